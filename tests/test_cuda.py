"""The engine on CUDA (skipped without a GPU; run on one with ``python -m pytest tests/test_cuda.py``): the
training loop never makes the GPU wait for the host between evaluations (torch.cuda.set_sync_debug_mode),
and a run gives nearby numbers on CUDA batched and alone."""

import warnings

import pytest
import torch

from idtheory import AnInfoNCE, GenerativeProcess
from idtheory.budget import Budget
from idtheory.engine import RunSpec, fit_many

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

SMALL = Budget(steps=120, batch=64, hidden=16, depth=2, eval_every=60, eval_samples=512)


def _specs(spectra):
    return [RunSpec(GenerativeProcess(lam=lam, seed=s), AnInfoNCE(len(lam)), s) for s, lam in enumerate(spectra)]


def _synchronizations(steps: int) -> int:
    budget = Budget(steps=steps, batch=32, hidden=8, depth=2, eval_every=steps, eval_samples=64)
    process = GenerativeProcess(lam=(1.0, 2.0, 4.0), conditional="laplace", space="euclidean", seed=0)
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from idtheory.losses import LpAnInfoNCE

            fit_many([RunSpec(process, LpAnInfoNCE(3), seed) for seed in (0, 1)], budget, device="cuda")
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def test_the_training_loop_does_not_synchronize_between_evaluations():
    """Setup and the one evaluation synchronize the same whatever the length: the difference is the loop's.
    (The exact sphere sampler's rejection rounds do synchronize: counted on CPU in test_engine.)"""
    assert _synchronizations(12) - _synchronizations(6) == 0


def test_a_run_on_cuda_is_close_batched_and_alone():
    """(Not compared with the CPU: a CUDA generator draws other numbers than a CPU generator of the same seed,
    so a run on CUDA is another sample of the same process — measured: Λ̂ 8 % apart after 120 steps.)"""
    spectra = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0)]
    alone = [fit_many([spec], SMALL, device="cuda")[0] for spec in _specs(spectra)]
    batched = fit_many(_specs(spectra), SMALL, device="cuda")
    for a, b in zip(alone, batched):
        assert torch.allclose(torch.tensor(a.lam_hat), torch.tensor(b.lam_hat), rtol=1e-3)
        assert abs(a.history[-1]["mcc"] - b.history[-1]["mcc"]) < 1e-3
