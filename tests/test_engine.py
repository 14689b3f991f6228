"""The batched engine: a run gives the same numbers alone or in a batch; bad batches are refused; a loss
that cannot be vmapped runs one run at a time, and says so."""

import pytest
import torch
from typer.testing import CliRunner

from idtheory import AnInfoNCE, GenerativeProcess, InfoNCE
from idtheory.budget import Budget
from idtheory.cli import app
from idtheory.engine import RunSpec, fit_groups, fit_many
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
    result = CliRunner().invoke(app, ["reproduce", "bimodal", "--seeds", "0-1", "--steps", "8", "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(out.read_text())
    assert [(r["seed"], r["batched_with"]) for r in payload["records"]] == [(0, 2), (1, 2)]
    assert payload["summary"]["aninfonce"]["seeds"] == [0, 1]


@pytest.mark.parametrize("text, seeds", [("0-4", [0, 1, 2, 3, 4]), ("0,3,7", [0, 3, 7]), ("2", [2])])
def test_seed_ranges(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["4-0", "a", "1,1", "-3"])
def test_bad_seed_ranges_are_refused(text):
    with pytest.raises(ValueError, match="seeds"):
        parse_seeds(text)
