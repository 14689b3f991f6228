"""The check report: rewritten after every record (an interrupted run keeps what it did), with a
summary per claim and evidence kind, and one figure per trained case."""

import json

from idtheory.report import ReportWriter, all_passed, summary
from idtheory.suite import Criterion, Outcome


def _record(case, evidence, value, threshold=0.9, op=">=", history=True):
    detail = {}
    if history:
        detail = {"history": [{"step": 500, "r2": 0.5, "mcc": 0.4}, {"step": 1000, "r2": 0.99, "mcc": 0.95}],
                  "lam_hat": [2.1, 3.9, 8.2], "matched_correlation": [[0.99, 0.1, 0.0], [0.1, 0.98, 0.0],
                                                                      [0.0, 0.0, 0.97]],
                  "blocks": [[0], [1, 2]], "r2_per_latent": [0.99, 0.98, 0.97]}
    o = Outcome(case, case.split(".")[0], evidence, "AnInfoNCE", "distinct", "signed permutation",
                [Criterion("score", value, op, threshold)], {"lam": [2.0, 4.0, 8.0], "seed": 3}, detail, 1.5)
    return o.to_dict()


def test_report_is_written_after_each_record(tmp_path):
    writer = ReportWriter(tmp_path / "rep", tmp_path / "out.json", {"profile": "quick", "status": "running"})
    writer.add([_record("C1.recovery", "recovery", 0.95)])
    first = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert len(first["records"]) == 1 and first["summary"] == {"C1": {"recovery": "1/1"}}
    assert first["schema"] == "idtheory.results/1" and first["header"]["status"] == "running"
    writer.add([_record("C1.control", "control", 0.5), _record("C2.symmetry", "symmetry", 0.0, 1e-9, "<=", False)])
    payload = json.loads((tmp_path / "out.json").read_text())
    assert payload["summary"]["C1"] == {"recovery": "1/1", "control": "1/1"}
    assert all_passed(payload["records"])
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "| C1 |" in report and "control failed as predicted" in report and "plots/C1.recovery-0.png" in report
    assert (tmp_path / "rep" / "plots" / "C1.recovery-0.png").stat().st_size > 1000
    assert not (tmp_path / "rep" / "plots" / "C2.symmetry-2.png").exists()  # nothing trained: no figure


def test_a_failed_recovery_and_a_control_that_holds_are_failures():
    bad = [_record("C1.recovery", "recovery", 0.5), _record("C1.control", "control", 0.95)]
    assert not any(r["passed"] for r in bad)
    assert summary(bad) == {"C1": {"recovery": "0/1", "control": "0/1"}} and not all_passed(bad)
    assert not all_passed([])



def test_the_report_prints_each_run_with_its_measured_rate_and_marks_weak_controls(tmp_path, monkeypatch):
    from idtheory import calibration
    from idtheory.suite import records as records_module

    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"thresholds": {"C1.recovery.score": 0.9}}))
    evaluation = calibration.evaluate(
        [{"stream": "evaluation", "case": case, "evidence": evidence, "criteria": [
            {"metric": "score", "value": v, "op": ">=", "threshold": None, "key": "C1.recovery.score"}]}
         for case, evidence, values in (("C1.recovery", "recovery", [0.99] * 9 + [0.5]),
                                        ("C1.control", "control", [0.5] * 8 + [0.95] * 2)) for v in values],
        {"C1.recovery.score": 0.9})
    calibration.record_rates(thresholds, evaluation, tmp_path / "records.jsonl")
    monkeypatch.setattr(records_module, "THRESHOLDS_PATH", thresholds)
    (tmp_path / "rep").mkdir()
    writer = ReportWriter(tmp_path / "rep", tmp_path / "out.json", {"profile": "quick", "status": "running"})
    writer.add([_record("C1.recovery", "recovery", 0.95, history=False),
                _record("C1.control", "control", 0.5, history=False),
                _record("C2.control", "control", 0.5, history=False)])
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "false failures 1/10 (≤ 39.4%)" in report
    assert "**Weak controls**" in report and "C1.control: power 80% (n 10), **weak**" in report
    assert "not measured" in report  # C2's control has no measured rate
    from rich.console import Console

    from idtheory.tables import print_check

    console = Console(record=True, width=200)
    print_check(console, "quick", 1.0, writer.records)
    assert "weak control C1.control: power 80% out of sample (n 10" in console.export_text()
