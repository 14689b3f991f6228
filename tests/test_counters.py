"""Counter-based draws (the batched engine's sampling on CUDA), exercised on the CPU: the numbers have the
laws they claim, the exact sampler drawn by counters passes the same goodness-of-fit tests as with a
generator, and a run's draws and training do not depend on its batch-mates."""

import numpy as np
import pytest
import torch
from scipy import stats
from test_conditionals import circle_pvalue, projected_normal, sphere_pvalue

from idtheory import AnInfoNCE, GenerativeProcess, counters
from idtheory.budget import Budget
from idtheory.conditionals import fisher_bingham_many
from idtheory.engine import RunSpec, fit_many


def counter_fisher_bingham(z, lam, generator):
    """The exact sampler with every row drawn by counters (keyed by the generator's seed)."""
    n = len(z)
    keys = counters.run_keys([generator.initial_seed()], z.device).expand(n)
    draws = counters.CounterDraws(keys, torch.arange(n), call=1)
    return fisher_bingham_many(z, lam.to(z.dtype).expand_as(z), draws)


@pytest.mark.parametrize("lam", [(0.5, 3.0), (2.5, 12.5), (10.0, 40.0)])
def test_the_exact_sampler_drawn_by_counters_matches_quadrature_on_the_circle(lam):
    assert circle_pvalue(counter_fisher_bingham, lam) > 1e-3


@pytest.mark.parametrize("lam", [(0.5, 1.5, 4.0), (2.5, 7.5, 12.5), (3.0, 3.0, 3.0)])
def test_the_exact_sampler_drawn_by_counters_matches_quadrature_on_the_sphere(lam):
    assert sphere_pvalue(counter_fisher_bingham, lam) > 1e-3


def test_the_goodness_of_fit_test_still_has_power():
    assert sphere_pvalue(projected_normal, (0.5, 1.5, 4.0)) < 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_uniforms_and_normals_have_their_laws(dtype):
    keys = counters.run_keys(range(4), "cpu").repeat_interleave(5000)
    rows = torch.arange(5000).repeat(4)
    u = counters.uniform(keys, 3, 0, rows, 5, dtype)
    assert u.dtype == dtype and bool(((u > 0) & (u < 1)).all())
    assert stats.kstest(u.flatten().double().numpy(), "uniform").pvalue > 1e-3
    g = counters.normal(keys, 3, 0, rows, 5, dtype).flatten().double().numpy()
    assert stats.kstest(g, "norm").pvalue > 1e-3
    # neighbouring slots, rows, calls and runs are uncorrelated
    grid = counters.normal(keys, 3, 0, rows, 2).double()
    assert abs(np.corrcoef(grid[:, 0], grid[:, 1])[0, 1]) < 0.02
    other_call = counters.normal(keys, 4, 0, rows, 2).double()
    assert abs(np.corrcoef(grid[:, 0], other_call[:, 0])[0, 1]) < 0.02


def test_a_run_draws_the_same_numbers_alone_and_in_any_batch():
    keys = counters.run_keys([11, 12, 13], "cpu")
    rows = torch.arange(7)
    together = counters.normal(keys.repeat_interleave(7), 5, 2, rows.repeat(3), 4)
    alone = counters.normal(keys[1:2].expand(7), 5, 2, rows, 4)
    assert torch.equal(together[7:14], alone)
    with pytest.raises(ValueError, match="counter out of range"):
        counters.normal(keys[:1], 5, 64, rows[:1], 4)


def test_training_with_counter_draws_gives_the_same_run_alone_and_batched(monkeypatch):
    """What the engine does on CUDA, here on the CPU (one thread: bitwise)."""
    monkeypatch.setattr("idtheory.engine.COUNTER_DEVICES", ("cpu", "cuda"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        budget = Budget(steps=60, batch=64, hidden=16, depth=2, eval_every=30, eval_samples=512)
        spectra = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0)]

        def specs():
            return [RunSpec(GenerativeProcess(lam=lam, seed=s), AnInfoNCE(3), s) for s, lam in enumerate(spectra)]

        alone = [fit_many([spec], budget)[0] for spec in specs()]
        batched = fit_many(specs(), budget)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(alone, batched):
        assert a.lam_hat == b.lam_hat
        assert all(torch.equal(p, q) for p, q in zip(a.encoder.parameters(), b.encoder.parameters()))
    monkeypatch.setattr("idtheory.engine.COUNTER_DEVICES", ("cuda",))
    generator_drawn = fit_many(specs(), budget)
    assert generator_drawn[0].lam_hat != batched[0].lam_hat  # the counters are in use, not the generators
