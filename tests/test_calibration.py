"""idtheory calibrate: separate seed streams, append-only records that later invocations extend, thresholds
with provenance, out-of-sample rates with exact bounds — exercised on a synthetic case (no training)."""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import strategies as st
from scipy.stats import beta

from idtheory import calibration, suite
from idtheory.executors import LocalExecutor
from idtheory.suite.catalog import Case
from idtheory.suite.records import Criterion, Outcome


def _fake_case(example, seed, device="cpu", th=None, assume=None):
    """A recovery whose score is a deterministic function of the seed, and a control that fails."""
    th = suite.RecordOnly() if th is None else th
    score = 0.95 + 0.04 * ((seed * 7919) % 100) / 100
    return [Outcome("C1.recovery", "C1", "recovery", "fake", "distinct", "signed permutation",
                    [Criterion("score", score, ">=", th["C1.recovery.score"])], {"seed": seed}),
            Outcome("C1.control", "C1", "control", "fake", "distinct", "signed permutation",
                    [Criterion("score", 0.5, ">=", th["C1.recovery.score"])], {"seed": seed})]


@pytest.fixture
def fake_case(monkeypatch):
    monkeypatch.setitem(suite.CASES, "FAKE", Case("FAKE", "C1", _fake_case,
                                                  lambda m: st.tuples(st.floats(1, 5), st.floats(6, 9))))
    return "FAKE"


def test_streams_never_share_a_run_and_the_seed_changes_every_example():
    for name in ("C1", "C2", "C7"):
        calibrating = suite.draw_examples(suite.CASES[name], 20, 4, 1, stream="calibration")
        evaluating = suite.draw_examples(suite.CASES[name], 20, 4, 1)
        assert all(s % 2 == 0 for _, s in calibrating) and all(s % 2 == 1 for _, s in evaluating)
        # an example is (Λ, training seed): the seed sets the mixing, the initialization and the data
        assert not set(map(repr, calibrating)) & set(map(repr, evaluating))
        first = {repr(suite.draw_examples(suite.CASES[name], 1, 4, seed)[0][0]) for seed in (1, 2, 7, 12345)}
        assert len(first) == 4, first  # hypothesis's simplest example is not replayed under every seed


def test_upper_bound_is_clopper_pearson():
    assert calibration.upper_bound(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100))  # 2.95 %: the ≤ 3 % target
    assert calibration.upper_bound(3, 40) == pytest.approx(beta.ppf(0.95, 4, 37))
    assert calibration.upper_bound(5, 5) == 1.0


def test_records_are_extended_not_rerun_and_thresholds_carry_provenance(fake_case, tmp_path):
    store = calibration.RecordStore(tmp_path / "records.jsonl")
    executor = LocalExecutor(1)
    assert calibration.run("calibration", [fake_case], 6, store, executor) == 6
    assert calibration.run("calibration", [fake_case], 6, store, executor) == 0  # resumed: nothing left
    assert calibration.run("calibration", [fake_case], 8, store, executor) == 2  # extended to 8
    assert calibration.run("evaluation", [fake_case], 5, store, executor) == 5
    lines = (tmp_path / "records.jsonl").read_text().splitlines()
    assert len(lines) == 2 * (8 + 5)
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"thresholds": {"C2.recovery.score": 0.9}}))
    summary = calibration.summarize(store, thresholds, tmp_path / "calibration", 8, "test")
    stored = json.loads(thresholds.read_text())
    p = stored["provenance"]["C1.recovery.score"]
    assert p["n"] == 8 and p["stream"].startswith("calibration") and p["source"] == "records.jsonl"
    assert stored["thresholds"]["C2.recovery.score"] == 0.9  # a case not calibrated now keeps its threshold
    recovery = summary["evaluation"]["C1.recovery"]
    assert recovery["n"] == 5 and recovery["upper_95"] == calibration.upper_bound(recovery["not_as_predicted"], 5)
    control = summary["evaluation"]["C1.control"]
    assert control["power"] == 1.0 and control["n"] == 5
    assert summary["examples"] == {fake_case: {"calibration": 8, "evaluation": 5}}
    markdown = (tmp_path / "calibration.md").read_text()
    assert "missing for n ≥ 8" in markdown and "evaluation: 3" in markdown


def test_check_seeds_draw_different_examples_and_never_a_calibration_run():
    one, two = suite.training_jobs("quick", None, 1), suite.training_jobs("quick", None, 2)
    assert [c for c, _, _ in one] == [c for c, _, _ in two] == [c for c in suite.CASES if c not in suite.BAND_CASES]
    for (case, e1, s1), (_, e2, s2) in zip(one, two):
        assert (repr(e1), s1) != (repr(e2), s2), case
        assert s1 % 2 == 1 and s2 % 2 == 1  # the evaluation stream; calibration runs have even seeds


def test_the_examples_of_a_seed_do_not_depend_on_what_is_imported(tmp_path, monkeypatch):
    """Hypothesis mines constants from the "local" modules imported so far; the draw must not see them, or a
    check's examples would differ between the CLI, a script and an installed wheel."""
    import importlib
    import sys

    before = suite.draw_examples(suite.CASES["C2"], 30, 4, 3)
    # a local module full of constants a tied spectrum can draw (λ in [2, 5], gaps in [0.5, 1])
    constants = ", ".join(f"{2 + k / 64:.6f}" for k in range(192)) + ", " + ", ".join(
        f"{0.5 + k / 128:.6f}" for k in range(64))
    (tmp_path / "idtheory_user_constants.py").write_text(f"VALUES = [{constants}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("idtheory_user_constants")
    try:
        after = suite.draw_examples(suite.CASES["C2"], 30, 4, 3)
    finally:
        sys.modules.pop("idtheory_user_constants", None)
    assert after == before


def test_null_rates_say_how_often_a_random_element_of_the_larger_group_passes():
    rates = calibration.null_rates(dict(suite.thresholds()), samples=20)
    assert {"C1.recovery.score", "C3.recovery.score"} <= set(rates)
    assert rates["C3.recovery.score"]["pass_rate_worst_latent"] == 0.0  # a condition-3 map is not orthogonal
    assert all(0 <= r["pass_rate_mean_score"] <= 1 and r["n"] == 40 for r in rates.values())


def test_the_summary_header_says_how_to_run_the_same_command_again(tmp_path):
    from typer.testing import CliRunner

    from idtheory.cli import app

    records, out = tmp_path / "records.jsonl", tmp_path / "summary"
    records.write_text("")
    result = CliRunner().invoke(app, ["calibrate", "--stream", "evaluation", "--examples", "7", "--records",
                                      str(records), "--no-fit", "--summarize-only", "--summary", str(out)])
    assert result.exit_code == 0, result.output
    header = out.with_suffix(".md").read_text().splitlines()[2]
    assert header == (f"`idtheory calibrate --stream evaluation --examples 7 --records {records} --no-fit "
                      f"--summarize-only --summary {out}`")
    result = CliRunner().invoke(app, ["calibrate", "--stream", "evaluation", "--examples", "7", "--records",
                                      str(records), "--no-fit", "--summarize-only", "--evaluation-seed", "4",
                                      "--summary", str(out)])
    assert result.exit_code == 0, result.output
    assert "--summarize-only --evaluation-seed 4 --summary" in out.with_suffix(".md").read_text().splitlines()[2]


def test_a_criterion_records_the_threshold_it_was_judged_against():
    """Criteria built from the thresholds carry their key, so the evaluation never guesses which threshold a
    record meant; a criterion judged against another value (C6's control: its own run) carries None."""
    th = suite.Thresholds({"C1.recovery.score": 0.8})
    judged = Criterion("score", 0.5, ">=", th["C1.recovery.score"])
    assert judged.key == "C1.recovery.score" and type(judged.threshold) is float and not judged.holds
    assert Criterion("score", 0.5, ">=", suite.RecordOnly()["C7.recovery.score"]).key == "C7.recovery.score"
    assert Criterion("lam_error", 0.1, "<=", 0.3).key is None
    record = {"stream": "evaluation", "case": "C2.control", "evidence": "control", "criteria": [
        {"metric": "worst_latent_score", "value": 0.85, "op": ">=", "threshold": 0.8, "key": "C7.recovery.score"}]}
    # judged against the key it carries (0.9: the control fails, as predicted), not C2's legacy rule (C1's 0.8)
    rates = calibration.evaluate([record], {"C7.recovery.score": 0.9, "C1.recovery.score": 0.8})
    assert rates["C2.control"]["not_as_predicted"] == 0
    legacy = dict(record, criteria=[{k: v for k, v in record["criteria"][0].items() if k != "key"}])
    assert calibration.evaluate([legacy], {"C7.recovery.score": 0.9, "C1.recovery.score": 0.8})[
        "C2.control"]["not_as_predicted"] == 1


def test_separation_reports_the_overlap_no_threshold_can_remove():
    """Recovery runs at 0.9–0.99 and control runs at 0.5–0.95: the threshold in force (0.8) passes the controls
    above it; the best single threshold still leaves the overlap (one recovery run below the best control)."""
    def record(case, evidence, value, stream="calibration"):
        return {"stream": stream, "case": case, "evidence": evidence, "criteria": [
            {"metric": "score", "value": value, "op": ">=", "threshold": None, "key": "C1.recovery.score"}]}

    recovery = [record("C1.recovery", "recovery", v) for v in (0.9, 0.97, 0.98, 0.99)]
    control = [record("C1.control", "control", v) for v in (0.5, 0.6, 0.85, 0.95)]
    other_stream = [record("C1.control", "control", 0.99, "evaluation")]
    row = calibration.separation(recovery + control + other_stream, {"C1.recovery.score": 0.8})["C1.control"]
    assert (row["n_recovery"], row["n_control"]) == (4, 4)
    assert row["recovery_fails"] == 0 and row["control_holds"] == 0.5
    # at 0.97: one recovery run fails, no control holds; no threshold does better than a sum of 1/4
    assert row["best_threshold"] == 0.97 and row["best_recovery_fails"] == 0.25 and row["best_control_holds"] == 0
    legacy = [dict(r, criteria=[{k: v for k, v in r["criteria"][0].items() if k != "key"}]) for r in recovery]
    assert calibration.separation(legacy + control, {})["C1.control"]["best_threshold"] == 0.97


def test_records_of_another_training_protocol_are_kept_but_never_resumed_or_summarized(fake_case, tmp_path,
                                                                                      monkeypatch):
    from dataclasses import replace

    store = calibration.RecordStore(tmp_path / "records.jsonl")
    executor = LocalExecutor(1)
    assert calibration.run("evaluation", [fake_case], 3, store, executor) == 3
    assert {r["protocol"] for r in store.load()} == {calibration.protocol()}
    # a record written before records carried their protocol counts as LEGACY_PROTOCOL
    monkeypatch.setattr(calibration, "LEGACY_PROTOCOL", calibration.protocol())
    legacy_job = calibration._key("evaluation", fake_case, "legacy", 0)
    legacy = {k: v for k, v in store.load()[0].items() if k != "protocol"} | {"job": legacy_job}
    with store.path.open("a") as f:
        f.write(json.dumps(legacy) + "\n")
    assert len(store.load()) == 7 and legacy_job in store.done()
    original = suite.check_budget
    monkeypatch.setattr(suite, "check_budget", lambda dim: replace(original(dim), lr=0.004))
    assert calibration.protocol() != calibration.LEGACY_PROTOCOL
    assert store.load() == [] and len(store.load_all()) == 7
    assert calibration.run("evaluation", [fake_case], 3, store, executor) == 3  # trained again, appended
    assert len(store.load()) == 6 and len(store.load_all()) == 13
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"thresholds": {"C1.recovery.score": 0.9}}))
    summary = calibration.summarize(store, thresholds, tmp_path / "summary", 3, "test", fit_thresholds=False)
    assert summary["other_protocol_records"] == 7 and summary["evaluation"]["C1.recovery"]["n"] == 3
    assert "records of other protocols in the file, not used: 7" in (tmp_path / "summary.md").read_text()


def test_records_without_a_protocol_were_trained_with_the_check_budget_in_force():
    """The records file's legacy lines (before 2026-11-29) were trained with today's check budget. When the
    budget changes this fails: then change this test, never LEGACY_PROTOCOL (the legacy lines keep theirs)."""
    assert calibration.protocol() == calibration.LEGACY_PROTOCOL


def test_the_thorough_profile_adds_the_d8_10_band_for_c1_to_c3_only(monkeypatch):
    from idtheory.suite import catalog

    band_keys = {f"{c}@d8-10.recovery.score": 0.9 for c in ("C1", "C2", "C3")}
    monkeypatch.setattr(catalog, "thresholds", lambda: suite.Thresholds(dict(suite.thresholds()) | band_keys))
    assert suite.uncalibrated_bands("thorough") == [] and suite.uncalibrated_bands("quick") == []
    jobs = suite.training_jobs("thorough", ["C1", "C2", "C3", "C4"], 1)
    band = [(case, example) for case, example, _ in jobs if case in suite.BAND_CASES]
    assert {case for case, _ in band} == {"C1@d8-10", "C2@d8-10", "C3@d8-10"}
    assert all(8 <= len(example) <= 10 for _, example in band)
    assert all(len(example) <= 4 for case, example, _ in jobs if case not in suite.BAND_CASES)


def test_a_band_case_trains_with_its_budget_and_is_judged_by_its_own_thresholds(monkeypatch):
    from idtheory.budget import Budget
    from idtheory.suite.bands import HIGH, Band

    tiny = Budget(steps=6, batch=16, hidden=8, depth=1, eval_every=6, eval_samples=128)
    asked = []
    monkeypatch.setattr(Band, "budget", lambda self, dim, control=False: asked.append(control) or tiny)
    (example, seed), = suite.draw_examples(suite.CASES["C1@d8-10"], 1, stream="calibration")
    outcomes = suite.run_case("C1@d8-10", example, seed, th=suite.RecordOnly())
    assert asked == [False, True]  # AnInfoNCE with the recovery's recipe, InfoNCE (the control) with its own
    assert [o.case for o in outcomes] == ["C1@d8-10.recovery", "C1@d8-10.control", "C1@d8-10.control-fairness"]
    assert {o.claim for o in outcomes} == {"C1"} and all(o.error is None for o in outcomes)
    assert [c.key for c in outcomes[0].criteria] == ["C1@d8-10.recovery.score", "C1@d8-10.recovery.lam_error"]
    assert outcomes[1].criteria[0].key == "C1@d8-10.recovery.score"  # the control against the band's recovery
    fairness = outcomes[2].criteria[0]  # every latent kept: judged against the floor of "recovered", no key
    assert (fairness.metric, fairness.threshold, fairness.key) == ("worst_latent_r2", 0.8, None)
    assert outcomes[0].detail["history"][-1]["step"] == tiny.steps
    # the band's records never mix with the checks' (another protocol), and without its thresholds a check
    # says how to calibrate them
    at_check_budget = next(n for n, c in suite.CASES.items()
                           if c.budgets is None and not c.revision and n not in suite.BAND_CASES)
    assert calibration.protocol("C1@d8-10") != calibration.protocol(at_check_budget) == calibration.protocol()
    assert HIGH.key("C2.recovery.score") == "C2@d8-10.recovery.score" and HIGH.key("C5.x.y") == "C5.x.y"
    missing = suite.run_case("C1@d8-10", example, seed, th=suite.Thresholds({"C1.recovery.score": 0.9}))
    assert missing[0].error and "idtheory calibrate --only C1@d8-10" in missing[0].error


def test_a_band_control_run_takes_the_fold_fix_and_its_own_protocol():
    from idtheory.suite.bands import HIGH, banded
    from idtheory.suite.sphere_cases import case_c1

    recovery, control = HIGH.budget(10), HIGH.budget(10, control=True)
    assert (control.late_from, control.loss_after) == (0.0, 0.25)  # anchors from step 1, τ held a quarter
    # the protocols its records were calibrated under (a change here invalidates C1@d8-10's calibration)
    assert (calibration.protocol("C1@d8-10"), calibration.protocol("C2@d8-10")) == ("74b6dda61ca1", "c9ba53369aef")
    assert replace(control, late_from=recovery.late_from, loss_after=recovery.loss_after) == recovery
    # C1's band records follow its control's recipe; C2's and C3's (no control run of their own) do not
    assert calibration.protocol("C1@d8-10") != calibration.protocol("C2@d8-10") == calibration.protocol("C3@d8-10")
    (example, seed), = suite.draw_examples(suite.CASES["C1@d8-10"], 1, stream="calibration")
    with pytest.raises(ValueError, match="add 'C2' to them"):
        next(banded(case_c1, HIGH, "C2", example, seed, th=suite.RecordOnly()))


def test_a_band_without_thresholds_is_skipped_and_named(monkeypatch):
    from idtheory.suite import catalog

    monkeypatch.setattr(catalog, "thresholds", lambda: suite.Thresholds({"C1.recovery.score": 0.8}))
    assert suite.uncalibrated_bands("thorough", ["C1"]) == ["C1@d8-10"]
    assert not any(case in suite.BAND_CASES for case, _, _ in suite.training_jobs("thorough", ["C1"], 1))


def test_fit_refits_only_the_cases_calibrated_now(fake_case, tmp_path):
    store = calibration.RecordStore(tmp_path / "records.jsonl")
    calibration.run("calibration", [fake_case], 6, store, LocalExecutor(1))
    records = store.load()
    assert set(calibration.fit(records)) == {"C1.recovery.score"}  # the fake case's outcomes are C1's
    assert calibration.fit(records, ["C2", "C1@d8-10"]) == {}
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"thresholds": {"C1.recovery.score": 0.5}}))
    calibration.summarize(store, thresholds, None, 6, "test", cases=["C2"])
    assert json.loads(thresholds.read_text())["thresholds"]["C1.recovery.score"] == 0.5


def test_every_case_trains_only_with_the_budgets_its_protocol_is_made_of():
    """A record's protocol is computed from its case's declared budgets (Case.budgets, else the check budget):
    a run trained with any other budget would mix with records it does not match."""
    import inspect

    for name, case in suite.CASES.items():
        if name in suite.BAND_CASES:
            continue
        (example, seed), = suite.draw_examples(case, 1, stream="calibration")
        generator = case.run(example, seed, th=suite.RecordOnly())
        assert inspect.isgenerator(generator), name
        asks = next(generator)
        for ask in asks if isinstance(asks, list) else [asks]:
            dim = ask.process.dim
            declared = set(case.budgets(dim)) if case.budgets else {suite.check_budget(dim)}
            assert (ask.budget or suite.check_budget(dim)) in declared, name
    # C1, C2, C3 and C5 train with check_budget_v2 and judge their recovery by the lower-loss rule
    # (Case.revision): a protocol of their own, while their d = 8-10 bands keep theirs (one run, as calibrated)
    assert len({calibration.protocol(c) for c in ("C1", "C2", "C3", "C5")}) == 1
    assert len({calibration.protocol(c) for c in ("C1", "C7", "C4", "C8")}) == 4


def test_c2s_recovery_is_judged_on_the_run_of_lower_training_loss_and_its_band_on_the_first():
    """Rule 3 of the evidence issue: no ground truth selects the run; a folded run fits worse. The final
    training loss is the last trained interval's (a polish's entries do not count)."""
    import numpy as np

    from idtheory.suite.runs import Run
    from idtheory.suite.sphere_cases import case_c2

    lam = (2.0, 2.0, 2.0, 4.0)
    z = np.random.default_rng(0).standard_normal((2000, 4))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    folded = z.copy()
    folded[:, 3] = np.abs(z[:, 3])  # the untied latent folded: its sign is lost

    def run(h, loss):
        history = [{"step": 1, "loss": 9.0}, {"step": 2, "loss": loss}, {"polish_steps": 1, "loss": 0.0}]
        return Run(z, h, list(lam), history, 0.0)

    th = suite.Thresholds({"C2.recovery.score": 0.99, "C2.recovery.lam_error": 0.1, "C1.recovery.score": 0.9})
    for losses, recovered, restart in (((2.0, 1.0), True, 1), ((1.0, 2.0), False, 0)):
        generator = case_c2(lam, 3, th=th)
        next(generator)
        try:
            generator.send([run(folded, losses[0]), run(z, losses[1])])
        except StopIteration as stop:
            recovery, _ = stop.value
        assert recovery.passed is recovered and recovery.detail["restart"] == restart
        assert recovery.detail["restart_losses"] == list(losses)
    band_th = suite.Thresholds({f"{k[:2]}@d8-10{k[2:]}": v for k, v in th.items()})
    band = suite.CASES["C2@d8-10"].run(lam, 3, th=band_th)
    next(band)
    try:
        band.send([run(folded, 2.0), run(z, 1.0)])
    except StopIteration as stop:
        recovery, _ = stop.value
    # the first run, judged as C2@d8-10 was calibrated
    assert "restart" not in recovery.detail and recovery.loss == "AnInfoNCE" and not recovery.passed


def test_c1s_control_holds_only_if_both_infonce_runs_attain_every_latent():
    """The control fails as predicted when either InfoNCE run mixes two latents (its rotation is set by the
    initialization), and wrongly holds only when both land on the axes."""
    import numpy as np

    from idtheory.suite.runs import Run
    from idtheory.suite.sphere_cases import case_c1

    lam = (2.0, 3.2, 5.12)
    z = np.random.default_rng(0).standard_normal((2000, 3))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    c, s = np.cos(np.pi / 5), np.sin(np.pi / 5)
    mixed = z @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T

    def run(h):
        return Run(z, h, list(lam), [{"step": 1, "loss": 0.0}], 0.0)

    th = suite.Thresholds({"C1.recovery.score": 0.9, "C1.recovery.lam_error": 0.1, "C5.recovery.linear_r2": 0.9})
    for second, control_fails in ((mixed, True), (-z[:, [1, 0, 2]], False)):
        generator = case_c1(lam, 3, th=th)
        asks = next(generator)
        # AnInfoNCE's two runs (the recovery judged on the lower loss), then InfoNCE's two
        assert [a.seed for a in asks] == [3, 3 + 7919, 3, 3 + 7919] and all(a.budget.loss_after == 0.85 for a in asks)
        try:
            generator.send([run(z), run(z), run(z), run(second)])
        except StopIteration as stop:
            recovery, control, fairness = stop.value
        assert recovery.passed and fairness.passed
        assert control.criteria[0].metric == "worst_latent_score" and control.passed is control_fails


def test_the_tolerance_factor_covers_the_quantile_with_the_stated_confidence():
    """k of the tolerance bound: the tabulated value (n = 100, 99 % coverage, 95 % confidence: 2.684), above
    the quantile's z and falling to it as n grows; and by simulation, μ̂ + k σ̂ of n = 20 normal samples lies
    above the 99.5 % quantile in 95 % of draws, where the point estimate (k = z) does in about half."""
    from scipy.stats import norm

    assert calibration.tolerance_factor(100, 0.99) == pytest.approx(2.684, abs=1e-3)
    assert calibration.tolerance_factor(20, 0.995) > calibration.tolerance_factor(100, 0.995) > norm.ppf(0.995)
    assert calibration.tolerance_factor(100_000, 0.99) == pytest.approx(norm.ppf(0.99), abs=0.02)
    samples = np.random.default_rng(0).standard_normal((20_000, 20))
    mean, std = samples.mean(1), samples.std(1, ddof=1)
    covered = mean + calibration.tolerance_factor(20, 0.995) * std >= norm.ppf(0.995)
    assert covered.mean() == pytest.approx(0.95, abs=0.005)
    assert (mean + norm.ppf(0.995) * std >= norm.ppf(0.995)).mean() < 0.6
    with pytest.raises(ValueError, match="at least 2"):
        calibration.tolerance_factor(1, 0.99)


def test_a_check_of_two_criteria_shares_the_false_failure_budget_between_them():
    """The same calibration values give a looser threshold where a check judges two criteria (each may fail
    0.5 % of recovery runs) than where it judges one (1 %), and the provenance says which."""
    def records(metrics):
        rng = np.random.default_rng(1)
        return [{"stream": "calibration", "case": "C9.recovery", "error": None,
                 "criteria": [{"metric": m, "value": float(1 - np.exp(rng.normal(-5, 0.5))), "op": ">="}
                              for m in metrics]} for _ in range(50)]

    one = calibration.fit(records(["score"]))["C9.recovery.score"]
    two = calibration.fit(records(["score", "other"]))["C9.recovery.score"]
    assert two["value"] < one["value"] and "99.500% coverage (m = 2)" in two["model"]
    assert "99.000% coverage (m = 1)" in one["model"]


def test_the_evaluation_can_be_restricted_to_one_hypothesis_seeds_examples():
    """A case whose records hold every example seed 4 draws is judged on those alone (an older seed's records
    are set aside); a case that lacks some keeps every record, and each row says which it got."""
    def record(case, job, value):
        return {"stream": "evaluation", "case": f"{case}.recovery", "evidence": "recovery", "error": None,
                "job": calibration._key("evaluation", *job),
                "criteria": [{"metric": "score", "value": value, "op": ">=", "key": "C1.recovery.score"}]}

    fresh = calibration.jobs("evaluation", ["C1", "C2"], 3, seed=4)
    old = calibration.jobs("evaluation", ["C1", "C2"], 3, seed=3)
    records = ([record(*job[:1], job, 0.99) for job in fresh if job[0] == "C1"]
               + [record(*job[:1], job, 0.5) for job in old]
               + [record(*job[:1], job, 0.99) for job in fresh if job[0] == "C2"][:2])
    judged, examples_of = calibration.evaluation_set(records, 4, 3)
    assert examples_of == {"C1": "hypothesis seed 4", "C2": "every evaluation record"}
    rates = calibration.evaluate(judged, {"C1.recovery.score": 0.9}, examples_of)
    assert (rates["C1.recovery"]["n"], rates["C1.recovery"]["not_as_predicted"]) == (3, 0)
    assert (rates["C2.recovery"]["n"], rates["C2.recovery"]["not_as_predicted"]) == (5, 3)
    assert rates["C1.recovery"]["examples"] == "hypothesis seed 4"
