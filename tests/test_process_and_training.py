"""Processes, mixing, the trainer's determinism and its input errors."""

from dataclasses import replace

import pytest
import torch

from idtheory import AnInfoNCE, Budget, GenerativeProcess, InfoNCE, fit
from idtheory.engine import lam_hat_of
from idtheory.reproduce import reproduce

TINY = Budget(steps=30, batch=32, hidden=16, depth=1, eval_every=10, eval_samples=256)


def test_process_is_frozen_hashable_and_samples_on_request():
    p = GenerativeProcess(lam=(1.0, 2.0, 3.0))
    assert p.dim == 3 and p.lam_code == (2.0, 4.0, 6.0)
    assert hash(p) == hash(GenerativeProcess(lam=[1, 2, 3]))
    with pytest.raises(AttributeError):
        p.lam = (1.0,)
    s = p.sampler("cpu", seed=1)
    z, zt = s.latent_pairs(100)
    assert z.shape == zt.shape == (100, 3)
    assert torch.allclose(z.norm(dim=1), torch.ones(100)) and torch.allclose(zt.norm(dim=1), torch.ones(100))


def test_mixing_is_injective_and_fixed_by_the_process_seed():
    p = GenerativeProcess(lam=(1.0,) * 5, seed=4)
    z = p.sampler(seed=0).latents(2000)
    x1, x2 = p.sampler(seed=0).observe(z), p.sampler(seed=9).observe(z)
    assert torch.equal(x1, x2)  # the mixing depends on the process seed only
    assert torch.cdist(x1[:200], x1[:200]).add(torch.eye(200)).min() > 1e-4  # distinct z stay distinct
    assert not torch.equal(x1, GenerativeProcess(lam=(1.0,) * 5, seed=5).sampler(seed=0).observe(z))


def test_fit_is_deterministic_for_a_seed():
    p = GenerativeProcess(lam=(1.0, 2.0, 4.0))
    runs = [fit(p, AnInfoNCE(3), TINY, seed=s) for s in (7, 7, 8)]
    strip = [[{k: v for k, v in r.items() if k != "seconds"} for r in run.history] for run in runs]
    assert strip[0] == strip[1] and strip[0] != strip[2]
    assert len(runs[0].history) == 3 and runs[0].steps == 30


def test_a_learned_temperature_is_recorded_as_an_isotropic_lam_hat():
    result = fit(GenerativeProcess(lam=(2.0, 2.0, 2.0)), InfoNCE.learned(), TINY, seed=0)
    assert len(result.lam_hat) == 3 and len(set(result.lam_hat)) == 1
    assert result.lam_hat[0] == pytest.approx(result.loss.concentration)
    assert all(len(r["lam_hat"]) == 3 for r in result.history)


def test_late_negatives_switch_the_scheme_at_the_given_fraction():
    loss = AnInfoNCE(3)
    fit(GenerativeProcess(lam=(1.0, 2.0, 4.0)), loss, TINY, seed=0)
    assert loss.negatives == "anchors"  # TINY inherits late_negatives="anchors", late_from=0.25
    kept = AnInfoNCE(3)
    fit(GenerativeProcess(lam=(1.0, 2.0, 4.0)), kept, replace(TINY, late_negatives=None), seed=0)
    assert kept.negatives == "both"


def test_loss_parameters_stay_at_their_initialization_until_loss_after():
    p, init = GenerativeProcess(lam=(1.0, 2.0, 4.0)), lam_hat_of(AnInfoNCE(3), 3)
    run = fit(p, AnInfoNCE(3), replace(TINY, loss_after=0.5), seed=0)  # Λ̂ trained from step 16 on
    assert run.history[0]["lam_hat"] == init  # step 10
    assert max(abs(a - b) for a, b in zip(run.history[1]["lam_hat"], init)) > 1e-4  # step 20
    assert fit(p, AnInfoNCE(3), TINY, seed=0).history[0]["lam_hat"] != init


def test_reproduce_record_carries_both_conventions():
    (record,) = reproduce("linspace", TINY)
    assert record["lam_code"] == pytest.approx([2 * v for v in record["lam"]])
    assert record["lam_hat_matched_code"] == pytest.approx([2 * v for v in record["lam_hat_matched"]])
    assert record["predicted"] == "signed permutation" and record["steps"] == 30
    assert record["negatives"] == "both, then anchors from step 8"
    assert reproduce("linspace", steps=8)[0]["negatives"] == "anchors"  # the quick budget: anchors from step 1


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: GenerativeProcess(lam=(1.0, 0.0)), ValueError, r"lam entries must be finite and > 0, got \[0.0\]"),
        (lambda: GenerativeProcess(lam=(1.0, float("nan"))), ValueError, r"got \[nan\]"),
        (lambda: GenerativeProcess(lam=(-1.0,)), ValueError, r"got \[-1.0\]"),
        (lambda: GenerativeProcess(lam="abc"), TypeError, "lam must be a sequence of positive numbers"),
        (lambda: GenerativeProcess(lam=()), ValueError, "at least one entry"),
        (lambda: GenerativeProcess(lam=(1.0,), conditional="gauss"), ValueError,
         "unknown conditional 'gauss'; allowed: 'exact', 'official'"),
        (lambda: GenerativeProcess(lam=(1.0,), mixing="relu"), ValueError, "unknown mixing 'relu'"),
        (lambda: GenerativeProcess(lam=(1.0, 2.0)).sampler("tpu"), ValueError, "device 'tpu'"),
        (lambda: fit(GenerativeProcess(lam=(1.0, 2.0)), AnInfoNCE(3), TINY), ValueError,
         "loss was built for dimension 3 but the process has dimension 2"),
        (lambda: fit(GenerativeProcess(lam=(1.0, 2.0)), lambda a, b: 0, TINY), TypeError, "torch.nn.Module"),
        (lambda: fit(GenerativeProcess(lam=(1.0, 2.0)), InfoNCE(), "fast"), ValueError,
         "unknown budget 'fast'; allowed: 'quick', 'paper'"),
        (lambda: Budget(batch=1), ValueError, "batch must be at least 2"),
        (lambda: Budget(lr=float("nan")), ValueError, "Budget.lr must be a finite number > 0, got nan"),
        (lambda: Budget(late_negatives="all"), ValueError, "unknown late_negatives scheme 'all'"),
        (lambda: Budget(anneal=1.5), ValueError, "Budget.anneal must be a fraction in"),
        (lambda: Budget(loss_after=-0.1), ValueError, "Budget.loss_after must be a fraction in"),
        (lambda: reproduce("spiral"), ValueError, "unknown experiment 'spiral'"),
    ],
)
def test_bad_input_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.skipif(torch.cuda.is_available(), reason="the machine has CUDA")
def test_cuda_request_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="device 'cuda' requested but CUDA is not available"):
        fit(GenerativeProcess(lam=(1.0, 2.0)), AnInfoNCE(2), TINY, device="cuda")


def test_vmf_hard_negatives_have_the_right_concentration_and_train():
    """q(z⁻|z) ∝ exp(β zᵀz⁻) on S²: E[zᵀz⁻] = coth β - 1/β; fit passes them as explicit negatives."""
    import math

    process = GenerativeProcess(lam=(2.0, 4.0, 8.0), hard_negative_beta=3.0, hard_negative_count=8)
    sampler = process.sampler("cpu", seed=0)
    z = sampler.latents(4000)
    negatives = sampler.hard_negatives(z)
    assert negatives.shape == (4000, 8, 3)
    cos = (negatives * z[:, None, :]).sum(-1).mean().item()
    assert abs(cos - (1 / math.tanh(3.0) - 1 / 3.0)) < 0.01
    result = fit(process, AnInfoNCE(3), Budget(steps=20, batch=32, eval_every=10, eval_samples=256), seed=0)
    assert len(result.history) == 2 and all(math.isfinite(r["loss"]) for r in result.history)
    # In-batch negatives warm the encoder up; the explicit ones replace them from ``late_from`` on.
    calls = []

    class Spy(AnInfoNCE):
        def forward(self, a, p, negatives=None):
            calls.append(negatives is not None)
            return super().forward(a, p, negatives)

    fit(process, Spy(3), Budget(steps=8, batch=16, eval_every=8, eval_samples=64, late_from=0.25), seed=0)
    assert calls == [False] * 2 + [True] * 6
    with pytest.raises(ValueError, match="hard_negative_beta must be a finite number > 0"):
        GenerativeProcess(lam=(1.0, 2.0), hard_negative_beta=-1.0)
