"""The batched engine: a run gives the same numbers alone or in a batch; bad batches are refused; a loss
that cannot be vmapped runs one run at a time, and says so."""

import traceback
from dataclasses import replace

import pytest
import torch
from typer.testing import CliRunner

from idtheory import AnInfoNCE, GenerativeProcess, InfoNCE
from idtheory.budget import Budget
from idtheory.cli import app
from idtheory.engine import RESTART_SEED_STRIDE, RunSpec, fit_groups, fit_many
from idtheory.losses import LpAnInfoNCE
from idtheory.reproduce import parse_seeds

SMALL = Budget(steps=120, batch=64, hidden=16, depth=2, eval_every=60, eval_samples=512)


@pytest.fixture(autouse=True)
def one_thread():
    """The same kernels whatever the batch size: one torch thread (as in every check worker)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _specs(spectra, loss=lambda d: AnInfoNCE(d)):
    return [RunSpec(GenerativeProcess(lam=lam, seed=s), loss(len(lam)), s) for s, lam in enumerate(spectra)]


def test_a_run_gives_the_same_numbers_alone_and_batched():
    spectra = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0), (3.0, 3.0, 8.0)]
    alone = [fit_many([spec], SMALL)[0] for spec in _specs(spectra)]
    batched = fit_many(_specs(spectra), SMALL)
    for a, b in zip(alone, batched):
        assert a.lam_hat == b.lam_hat
        assert [h["mcc"] for h in a.history] == [h["mcc"] for h in b.history]
        assert all(torch.equal(p, q) for p, q in zip(a.encoder.parameters(), b.encoder.parameters()))
        assert b.batched_loss


def test_runs_of_different_shapes_are_refused_in_one_batch_and_grouped_by_fit_groups():
    specs = _specs([(2.0, 3.0, 5.0), (2.0, 3.0, 5.0, 7.0)])
    with pytest.raises(ValueError, match="run 1 cannot share a batch with run 0"):
        fit_many(specs, SMALL)
    fits = fit_groups(specs, Budget(steps=2, batch=16, hidden=8, depth=1, eval_every=2, eval_samples=64))
    assert [len(f.lam_hat) for f in fits] == [3, 4]
    with pytest.raises(ValueError, match=r"at least one run, got none \(K = 0\)"):
        fit_many([], SMALL)


def test_runs_with_different_fixed_temperatures_do_not_share_a_model():
    specs = _specs([(2.0, 2.0, 2.0)] * 2, loss=lambda d: InfoNCE(0.1))
    specs[1].loss = InfoNCE(0.2)
    with pytest.raises(ValueError, match="cannot share a batch"):
        fit_many(specs, SMALL)


class ItemLoss(torch.nn.Module):
    """Reads a tensor value in Python (``.item()``): not vmappable."""

    def __init__(self, dim):
        super().__init__()
        self.inner = AnInfoNCE(dim)

    def forward(self, a, p):
        scale = 1.0 if a.abs().max().item() <= 1.0 else 0.5
        return scale * self.inner(a, p)


def test_a_loss_that_cannot_be_vmapped_runs_run_by_run_with_the_same_numbers():
    spectra = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0)]
    batched = fit_many(_specs(spectra, ItemLoss), SMALL)
    alone = [fit_many([spec], SMALL)[0] for spec in _specs(spectra, ItemLoss)]
    assert not batched[0].batched_loss
    assert [f.lam_hat for f in batched] == [f.lam_hat for f in alone]


def test_reproduce_several_seeds_in_one_batch(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["reproduce", "bimodal", "--seeds", "0-1", "--steps", "8", "--workers", "1",
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(out.read_text())
    assert [(r["seed"], r["batched_with"]) for r in payload["records"]] == [(0, 2), (1, 2)]
    assert payload["summary"]["aninfonce"]["seeds"] == [0, 1]


def test_reproduce_over_worker_processes_gives_each_seed_its_own_numbers():
    """Seeds split over two one-thread worker processes: each seed's record is exactly the one it gets in one
    batch (one thread here too; d = 10), progress reaches this process, and a record says how many runs
    shared its batch."""
    from idtheory.reproduce import reproduce

    seen = []
    split = reproduce("bimodal", steps=8, seed=[0, 1], workers=2, progress=lambda label, r: seen.append(label))
    together = reproduce("bimodal", steps=8, seed=[0, 1])
    assert [(r["seed"], r["batched_with"]) for r in split] == [(0, 1), (1, 1)]
    assert [(r["mcc"], r["lam_hat_matched"]) for r in split] == [(r["mcc"], r["lam_hat_matched"]) for r in together]
    assert set(seen) == {"aninfonce seed 0", "aninfonce seed 1"}
    with pytest.raises(ValueError, match="workers must be an int >= 1, got 0"):
        reproduce("bimodal", steps=8, seed=[0, 1], workers=0)


def test_reproduce_with_restarts_keeps_the_lowest_training_loss():
    from idtheory.reproduce import reproduce

    (record,) = reproduce("bimodal", steps=8, seed=0, restarts=2)
    assert len(record["restart_losses"]) == 2
    assert record["restart_losses"][record["restart"]] == min(record["restart_losses"])
    assert record["budget"] == "quick (8 steps) (2 restarts)"


@pytest.mark.parametrize("text, seeds", [("0-4", [0, 1, 2, 3, 4]), ("0,3,7", [0, 3, 7]), ("2", [2])])
def test_seed_ranges(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["4-0", "a", "1,1", "-3"])
def test_bad_seed_ranges_are_refused(text):
    with pytest.raises(ValueError, match="seeds"):
        parse_seeds(text)


class HostReads(torch.utils._python_dispatch.TorchDispatchMode):
    """Counts the ops that make a GPU wait for the host, by torch.cuda.set_sync_debug_mode's rule: a
    tensor value read into Python (``item``, ``bool``, ``float``: ``_local_scalar_dense``) and an output
    whose shape depends on values (``nonzero``: boolean indexing). Adam's step counters are exempt: a
    non-capturable torch optimizer keeps them on the host even when training on CUDA (no device read)."""

    READS = {torch.ops.aten._local_scalar_dense.default, torch.ops.aten.nonzero.default,
             torch.ops.aten.masked_select.default}
    MASKED = {torch.ops.aten.index.Tensor, torch.ops.aten.index_put.default, torch.ops.aten.index_put_.default}

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        masked = func in self.MASKED and any(i is not None and i.dtype in (torch.bool, torch.uint8) for i in args[1])
        if func in self.READS or masked:
            self.count += not any("torch/optim/" in frame.filename for frame in traceback.extract_stack())
        return func(*args, **(kwargs or {}))


def _host_reads(specs, steps):
    budget = Budget(steps=steps, batch=32, hidden=8, depth=2, eval_every=steps, eval_samples=64)
    with HostReads() as reads:
        fit_many(specs, budget)
    return reads.count


def test_the_training_loop_reads_nothing_back_between_evaluations(monkeypatch):
    """Setup and the one evaluation cost the same whatever the length, so the difference of two lengths
    is the loop's own reads. The exact sampler's rejection rounds are its only reads (each round asks
    which rows are left): stood in for by a read-free draw, the loop must read nothing."""
    def lp_specs():
        process = GenerativeProcess(lam=(1.0, 2.0, 4.0), conditional="laplace", space="euclidean", seed=0)
        return [RunSpec(process, LpAnInfoNCE(3), seed) for seed in (0, 1)]

    assert _host_reads(lp_specs(), 12) - _host_reads(lp_specs(), 6) == 0
    sphere = lambda: _specs([(2.0, 3.0, 5.0), (1.0, 2.0, 4.0)])  # noqa: E731
    assert _host_reads(sphere(), 12) > _host_reads(sphere(), 6)  # the rejection rounds, counted
    monkeypatch.setattr("idtheory.engine.fisher_bingham_many",
                        lambda z, lam, parts: torch.nn.functional.normalize(z + 0.1 / lam.sqrt(), dim=1))
    assert _host_reads(sphere(), 12) - _host_reads(sphere(), 6) == 0


POLISHED = Budget(steps=120, batch=64, hidden=16, depth=2, eval_every=60, eval_samples=512, polish_steps=30,
                  polish_batches=4, polish_lr=0.01)


@pytest.mark.parametrize("pool", [0, 10])  # 10: every polish step takes a random 4 of 10 fixed batches
def test_the_polish_phase_gives_the_same_numbers_alone_and_batched(pool):
    spectra, budget = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0)], replace(POLISHED, polish_pool=pool)
    alone = [fit_many([spec], budget)[0] for spec in _specs(spectra)]
    batched = fit_many(_specs(spectra), budget)
    for a, b in zip(alone, batched):
        assert a.history[-1]["polish_steps"] == 30 and a.history[-1]["step"] == 120
        assert a.lam_hat == b.lam_hat
        assert all(torch.equal(p, q) for p, q in zip(a.encoder.parameters(), b.encoder.parameters()))


def _outputs(fit, process):
    from idtheory.training import embed

    sampler = process.sampler("cpu", seed=99)
    return torch.as_tensor(embed(fit.encoder, sampler.observe(sampler.latents(256))))


def test_the_polish_rotates_the_outputs_only_where_the_loss_sees_rotations():
    """Polishing folds an orthogonal map into the last layer: the outputs before and after differ by a
    rotation. AnInfoNCE's critic tells axes apart, so its map moves (0.15 here); InfoNCE's critic sees inner
    products only, so its map stays the identity but for rounding (0.002)."""
    process = GenerativeProcess(lam=(2.0, 3.2, 5.12), seed=0)
    moved = {}
    for loss, moves in ((lambda: AnInfoNCE(3), True), (lambda: InfoNCE.learned(), False)):
        plain = fit_many([RunSpec(process, loss(), 0)], SMALL)[0]
        polished = fit_many([RunSpec(process, loss(), 0)], POLISHED)[0]
        before, after = _outputs(plain, process), _outputs(polished, process)
        rotation = torch.linalg.lstsq(before, after).solution
        assert torch.allclose(rotation @ rotation.T, torch.eye(3), atol=1e-4)
        assert torch.allclose(before @ rotation, after, atol=1e-4)
        moved[moves] = (rotation - torch.eye(3)).abs().max().item()
    assert moved[True] > 0.05 and moved[False] < 0.005, moved


def test_a_negative_polish_is_refused():
    with pytest.raises(ValueError, match="polish_steps must be an int >= 0, got -1"):
        Budget(polish_steps=-1)
    with pytest.raises(ValueError, match="polish_lr must be a finite number > 0"):
        Budget(polish_lr=0.0)
    with pytest.raises(ValueError, match=r"polish_pool must be 0 or at least polish_batches \(64\), got 10"):
        Budget(polish_pool=10)


def test_a_polish_pool_changes_the_sample_not_the_steps():
    process = GenerativeProcess(lam=(2.0, 3.2, 5.12), seed=0)
    fixed, pooled = (fit_many([RunSpec(process, AnInfoNCE(3), 0)], replace(POLISHED, polish_pool=pool))[0]
                     for pool in (0, 10))
    trained = [[{k: v for k, v in h.items() if k != "seconds"} for h in f.history[:-1]] for f in (fixed, pooled)]
    assert trained[0] == trained[1] and pooled.history[-1]["polish_steps"] == 30  # the same run until the polish
    assert not all(torch.equal(p, q) for p, q in zip(fixed.encoder.parameters(), pooled.encoder.parameters()))


def test_restarts_keep_the_run_with_the_lowest_final_training_loss():
    """Every run trained twice in one batch; the kept one is, bit for bit, the restart trained alone with
    the lower final loss, and the spec's loss module carries its parameters."""
    from dataclasses import replace

    spectra = [(2.0, 3.2, 5.12), (1.0, 2.5, 6.0), (3.0, 3.0, 8.0), (1.5, 4.0, 9.0)]
    specs = _specs(spectra)
    kept = fit_many(specs, replace(SMALL, restarts=2))
    for spec, fit, lam in zip(specs, kept, spectra):
        tries = fit_many([RunSpec(GenerativeProcess(lam=lam, seed=spec.seed), AnInfoNCE(3),
                                  spec.seed + r * RESTART_SEED_STRIDE) for r in range(2)], SMALL)
        losses = [t.history[-1]["loss"] for t in tries]
        best = losses.index(min(losses))
        assert fit.restart_losses == losses and fit.restart == best
        assert fit.lam_hat == tries[best].lam_hat == spec.loss.lam_hat.tolist()
        assert all(torch.equal(p, q) for p, q in zip(fit.encoder.parameters(), tries[best].encoder.parameters()))
    assert {f.restart for f in kept} == {0, 1}  # both ways of keeping a run are exercised
    with pytest.raises(ValueError, match="Budget.restarts must be a positive int, got 0"):
        Budget(restarts=0)
