"""idtheory validate: the optimum check on any loss, "inconclusive" for runs that had not settled, the
families each loss fits, adapters for foreign loss conventions, exit codes and the pytest plugin."""

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from idtheory import GenerativeProcess, suite
from idtheory.cli import app
from idtheory.losses import AnInfoNCE
from idtheory.plugins import resolve_loss
from idtheory.validation import (
    LossProfile,
    ProfileRecord,
    ValidationFailure,
    applicable_families,
    check_loss,
    convergence,
    declared_consistent,
    lam_gap,
    optimum_evidence,
    profile_family,
    set_lam_hat,
    summarize,
)

runner = CliRunner()
EXAMPLE_LOSS = Path(__file__).resolve().parent.parent / "examples" / "my_loss.py"
EXAMPLE = [((2.0, 3.5, 6.0), 0)]


def test_the_positive_counted_twice_fails_the_optimum_check_and_correct_losses_pass_it():
    broken = optimum_evidence(resolve_loss("broken:positive-as-negative"))
    assert broken["holds"] is False and broken["t_at_optimum"] > 4 and "optimum check" in broken["message"]
    for ref in ("aninfonce", f"{EXAMPLE_LOSS}:SoftplusAnInfoNCE"):
        result = optimum_evidence(resolve_loss(ref))
        assert result["holds"] and result["powered"], (ref, result)
    assert optimum_evidence(resolve_loss(lambda a, p: (a * p).sum()))["applicable"] is False


def test_validate_flags_the_positive_counted_twice_and_exits_1():
    result = runner.invoke(app, ["validate", "broken:positive-as-negative", "--processes", "distinct",
                                 "--examples", "1", "--steps", "30", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert "optimum check failed" in " ".join(result.output.split())


def test_lam_hat_is_set_through_any_parametrization():
    loss = resolve_loss(f"{EXAMPLE_LOSS}:SoftplusAnInfoNCE").make(3)  # softplus, no set_lam_hat
    set_lam_hat(loss, (2.0, 3.2, 5.12))
    assert torch.allclose(loss.lam_hat.double(), torch.tensor([2.0, 3.2, 5.12], dtype=torch.float64), rtol=1e-5)


class _Slow(AnInfoNCE):
    """A correct AnInfoNCE with a deliberately poor initialization: Λ̂ starts 100x too small."""

    def __init__(self, dim):
        super().__init__(dim, init=0.02)


def test_a_correct_loss_that_has_not_settled_is_inconclusive_not_a_weaker_group():
    profile = check_loss(_Slow, families=["distinct"], examples=1, steps=900, optimum=False)
    row = profile.families["distinct"]
    assert row["verdict"] == "inconclusive — not converged" and row["not_settled"] == 2, row
    assert "--steps 1800" in row["hint"] and not profile.declared_holds
    limit = suite.thresholds()["validate.settled.lam_gap"]
    assert all(r.convergence["lam_gap"] > limit for r in profile.records), [r.convergence for r in profile.records]
    assert not profile.passed and any("inconclusive" in f for f in profile.failures())


def test_a_loss_that_declares_nothing_passes_only_when_every_family_was_measured():
    def records(settled):
        return [ProfileRecord("silent", "distinct", [2.0, 3.0, 5.0], seed, strongest="orthogonal", settled=settled,
                              predicted="signed permutation") for seed in (0, 1)]

    measured = LossProfile("silent", None, summarize(records(True)), records(True), {"holds": True})
    assert measured.passed and measured.declared_holds is None
    unsettled = LossProfile("silent", None, summarize(records(False)), records(False), {"holds": True})
    assert not unsettled.passed and unsettled.inconclusive == ["distinct"]
    assert "distinct: inconclusive" in unsettled.failures()[0] and "--steps" in unsettled.failures()[0]


@pytest.mark.parametrize("factor", [1.0, 1 / 3])
def test_the_lam_gap_is_the_distance_to_the_loss_optimum_for_the_encoder(factor):
    """At h = id the loss's optimum is Λ̂ = Λ (C1): the gap is ≈ 0 there and ≈ ln 3 from Λ/3, whatever the
    parametrization of Λ̂ (here softplus)."""
    lam = (2.0, 4.0, 8.0)
    sampler = GenerativeProcess(lam=lam, seed=0).sampler("cpu", seed=1)
    z = sampler.latents(8192)
    zt = sampler.positives(z)[0]
    loss = resolve_loss(f"{EXAMPLE_LOSS}:SoftplusAnInfoNCE").make(3)
    set_lam_hat(loss, [factor * v for v in lam])
    gap = lam_gap(loss, z.numpy(), zt.numpy(), 256)
    assert gap == pytest.approx(-math.log(factor), abs=0.06)


@pytest.mark.parametrize("family", ["distinct", "box"])
def test_the_declared_group_is_judged_on_distinct_spectra_or_box_latents(family):
    def run(strongest, settled=True):
        return ProfileRecord("lp", family, [2.0, 3.0], 0, strongest=strongest, settled=settled)

    assert declared_consistent([run("signed permutation")] * 2, "signed permutation") is True
    assert declared_consistent([run("signed permutation"), run("orthogonal")], "signed permutation") is False
    assert declared_consistent([run("signed permutation"), run("signed permutation", settled=False)],
                               "signed permutation") is False  # a run that had not settled proves nothing
    assert declared_consistent([ProfileRecord("lp", "tied", [2.0, 2.0], 0)], "signed permutation") is None


def test_on_box_latents_the_lam_error_divides_out_each_output_scale():
    """C8: with h = 2z the loss's optimum is Λ̂ = Λ/2 (λ̂_i |s_i| = λ_i), which is no error."""
    from idtheory.suite.runs import Run
    from idtheory.validation import _lam_error, family

    lam = (2.0, 3.0, 5.0)
    z = np.random.default_rng(0).uniform(-1, 1, (2000, 3))
    fam = family("box")
    run = Run(z, 2 * z + 0.3, [v / 2 for v in lam], [], 0.0)
    assert _lam_error(fam, lam, run.lam_hat, fam.predicted(lam), run) == pytest.approx(0.0, abs=1e-9)
    run.lam_hat = list(lam)  # right on the sphere, twice too large here
    assert _lam_error(fam, lam, run.lam_hat, fam.predicted(lam), run) == pytest.approx(1.0, abs=1e-9)


def test_a_group_stronger_than_the_theory_must_beat_chance():
    """A rotation of isotropic latents that happens to lie near the axes passes C1's score threshold
    (the worst latent's cos² 20° = 0.883 > 0.818) but is what a random rotation reaches 12 % of the time:
    it is the theory's group (orthogonal), not a signed permutation; an exact signed permutation is."""
    from idtheory.suite.runs import Run
    from idtheory.validation import chance_score, family, score_run

    th = suite.thresholds()
    assert th["validate.group.signed_permutation"] < chance_score((3,)) < 1  # 0.993 at α = 0.001
    assert chance_score((2,)) > 0.9999 and chance_score((4,)) < chance_score((3,))  # a 2-block: near the axes often
    assert chance_score((3,), alpha=0.01) < chance_score((3,))
    z = GenerativeProcess(lam=(3.0, 3.0, 3.0)).sampler("cpu", seed=0).latents(4000).numpy()
    angle = math.radians(20)
    rotation = np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    fam = family("isotropic")
    for h, expected in [(z @ rotation.T, "orthogonal"), (-z[:, [2, 0, 1]], "signed permutation")]:
        record = ProfileRecord("aninfonce", "isotropic", [3.0] * 3, 0)
        score_run(record, fam, (3.0, 3.0, 3.0), Run(z, h, [3.0] * 3, [], 0.0), th)
        assert record.scores["signed permutation"] > th["validate.group.signed_permutation"]
        assert record.strongest == expected, record.scores
        assert record.matches_theory is (expected == "orthogonal")


def test_convergence_reads_the_last_third_of_training():
    history = [{"step": s, "loss": 3.0 - s / 2000, "lam_hat": [1.0 + s / 1000, 2.0]} for s in (500, 1000, 2000, 3000)]
    conv = convergence(history, 3000)
    assert conv["from_step"] == 2000 and conv["steps"] == 3000
    assert conv["lam_drift"] == pytest.approx(float(torch.tensor(4 / 3).log()))
    assert conv["loss_change"] == pytest.approx(0.5 / 1.5)
    assert convergence(history[:1], 3000)["lam_drift"] is None


def test_each_loss_gets_the_families_it_fits():
    assert applicable_families(resolve_loss("lp-aninfonce")) == ["box"]
    assert applicable_families(resolve_loss("ensemble-aninfonce")) == ["ensemble"]
    an = applicable_families(resolve_loss("aninfonce"))
    assert an[:4] == ["distinct", "tied", "isotropic", "content-style"] and "hard-negatives" in an
    assert "hard-negatives" not in applicable_families(resolve_loss(f"{EXAMPLE_LOSS}:SoftplusAnInfoNCE"))
    with pytest.raises(ValueError, match="process family 'box' does not fit loss 'aninfonce'"):
        check_loss("aninfonce", families=["box"])


@pytest.mark.parametrize("ref, family", [("lp-aninfonce", "box"), ("ensemble-aninfonce", "ensemble"),
                                         ("aninfonce", "hard-negatives")])
def test_every_claims_setting_trains_and_is_scored(ref, family):
    examples = suite.draw_examples(suite.CASES[{"box": "C8", "ensemble": "C7", "hard-negatives": "C6"}[family]], 1)
    records = profile_family(resolve_loss(ref), family, examples, steps=60)
    assert len(records) == 2 and not any(r.error for r in records), [r.error for r in records]
    assert all(r.lam_error is not None and r.predicted and r.convergence["lam_drift"] is not None for r in records)
    # the Λ̂ gap refits a loss of (anchors, positives) alone: not one that takes negatives or several families
    assert all((r.convergence.get("lam_gap") is None) == (family != "box") for r in records)


def test_foreign_conventions_are_adapted():
    seen = {}

    class TupleLoss(AnInfoNCE):  # returns (loss, parts), like the official CLLoss
        def forward(self, a, p, negatives=None):
            value = super().forward(a, p, negatives)
            return value, [value.detach()]

    class OfficialStyle:  # the official signature: ground-truth latents, then their encodings
        def loss(self, z1, z2_con_z1, z3, h1, h2_con_h1, h3):
            seen["shapes"] = [tuple(t.shape) for t in (z1, z2_con_z1, z3, h1, h2_con_h1, h3)]
            return -(h1 * h2_con_h1).sum(-1).mean() + torch.logsumexp(h1 @ h3.T, dim=-1).mean(), None

    for loss in (TupleLoss, OfficialStyle):
        records = profile_family(resolve_loss(loss), "distinct", EXAMPLE, steps=20)
        assert not any(r.error for r in records), [r.error for r in records]
    assert seen["shapes"] == [(256, 3)] * 6  # latents and encodings of one batch (per run)


def test_a_loss_that_returns_a_float_gets_a_one_line_error_naming_it():
    records = profile_family(resolve_loss(lambda a, p: 1.5), "distinct", EXAMPLE, steps=5)
    assert all("the loss returned float 1.5" in r.error for r in records), records[0].error


def test_a_loss_that_is_not_vmappable_runs_one_by_one_and_says_so():
    def branching(a, p):  # Python control flow on a tensor value: vmap refuses it
        loss = ((a - p) ** 2).sum(1).mean()
        return loss if loss.item() > 0 else -loss

    profile = check_loss(branching, families=["distinct"], examples=1, steps=10, optimum=False)
    assert not any(r.error for r in profile.records) and not any(r.batched for r in profile.records)
    assert any("not vmappable" in n for n in profile.notes)


def test_exit_codes_and_raise_on_failure():
    # declares nothing, no Λ̂: passes when nothing errors and its runs settled (a constant loss settles)
    result = runner.invoke(app, ["validate", "tests.test_validation:_flat", "--processes", "distinct",
                                 "--examples", "1", "--steps", "10", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert check_loss(_flat, families=["distinct"], examples=1, steps=10).passed
    # 10 steps of a loss still falling: inconclusive, so nothing was measured
    result = runner.invoke(app, ["validate", "tests.test_validation:_plain", "--processes", "distinct",
                                 "--examples", "1", "--steps", "10", "--workers", "1"])
    assert result.exit_code == 1 and "inconclusive" in result.output, result.output

    def boom(a, p):
        raise RuntimeError("boom")

    result = runner.invoke(app, ["validate", "tests.test_validation:_boom", "--processes", "distinct",
                                 "--examples", "1", "--workers", "1"])
    assert result.exit_code == 1 and "boom" in result.output, result.output
    with pytest.raises(ValidationFailure, match="RuntimeError: boom"):
        check_loss(boom, families=["distinct"], examples=1, raise_on_failure=True)


def _plain(a, p):
    return ((a - p) ** 2).sum(1).mean()


def _flat(a, p):
    return ((a - p) ** 2).sum(1).mean() * 0 + 1


def _boom(a, p):
    raise RuntimeError("boom")


def test_the_pytest_plugin_parametrizes_loss_checks(tmp_path):
    """In a project of its own: the installed plugin registers --loss; without it the test is skipped."""
    (tmp_path / "test_mine.py").write_text(textwrap.dedent("""
        from idtheory.testing import parametrize_loss_checks

        def test_from_option(loss_check):
            loss_check()

        @parametrize_loss_checks("lp-aninfonce")
        def test_explicit(loss_check):
            loss_check()
    """))
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                "--loss", "aninfonce"], cwd=tmp_path, capture_output=True, text=True)
    ids = [line.split("::")[1] for line in collected.stdout.splitlines() if "::" in line]
    assert ids == ["test_from_option[optimum]", "test_from_option[distinct]", "test_from_option[tied]",
                   "test_from_option[isotropic]", "test_from_option[content-style]",
                   "test_from_option[hard-negatives]", "test_explicit[optimum]", "test_explicit[box]"], collected.stdout
    skipped = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "from_option"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert "1 skipped" in skipped.stdout, skipped.stdout
