"""Outputs are never lost and bad input is one line: run folders, interrupted runs, the results schema,
and every refused argument (before any training, on stderr, non-zero exit)."""

import json
import subprocess
import sys

import pytest
import torch
from typer.testing import CliRunner

from idtheory import GenerativeProcess, register_conditional, results, suite
from idtheory.cli import app

runner = CliRunner()


@pytest.fixture
def no_training(monkeypatch):
    """check without its training jobs: proofs and symmetry only (seconds)."""
    monkeypatch.setattr(suite, "training_jobs", lambda *a, **k: [])


def test_two_checks_into_one_report_folder_keep_both_runs(tmp_path, no_training):
    outputs = ""
    for _ in range(2):
        result = runner.invoke(app, ["check", "--only", "C3", "--report", str(tmp_path / "rep")])
        assert result.exit_code == 0, result.output
        outputs += result.output
    runs = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert runs == ["run-1", "run-2"]
    for run in runs:
        payload = json.loads((tmp_path / "rep" / run / "results.json").read_text())
        assert payload["schema"] == results.SCHEMA and payload["header"]["status"] == "complete"
        assert payload["records"] and (tmp_path / "rep" / run / "report.md").exists()
        header = payload["header"]
        expected = {"idtheory", "torch", "hypothesis", "python", "thresholds_sha256", "seed", "profile", "device"}
        assert expected <= set(header)
        # no --seed: a fresh one, printed so the run can be replayed, and recorded
        assert isinstance(header["seed"], int) and f"--seed {header['seed']}" in outputs


def test_an_interrupted_check_says_so_and_names_what_is_missing(tmp_path, monkeypatch):
    jobs = [("C1", (2.0, 3.2, 5.12), 0), ("C5", (2.0, 3.2, 5.12), 1)]
    monkeypatch.setattr(suite, "training_jobs", lambda *a, **k: jobs)

    def interrupted_after_one(jobs, on_done, **kwargs):
        outcome = suite.Outcome("C1.recovery", "C1", "recovery", "AnInfoNCE", "distinct", "signed permutation",
                                [suite.Criterion("score", 0.99, ">=", 0.9)], {"lam": [2.0, 3.2, 5.12], "seed": 0})
        on_done(jobs[0], [outcome])
        raise KeyboardInterrupt

    monkeypatch.setattr(suite, "run_jobs", interrupted_after_one)
    result = runner.invoke(app, ["check", "--only", "C1,C5", "--report", str(tmp_path / "rep")])
    assert result.exit_code == 130
    payload = json.loads((tmp_path / "rep" / "run-1" / "results.json").read_text())
    assert payload["header"]["status"] == "interrupted" and payload["header"]["missing"] == ["C5 (seed 1)"]
    assert any(r["case"] == "C1.recovery" for r in payload["records"])
    assert "This run is interrupted" in (tmp_path / "rep" / "run-1" / "report.md").read_text()


def test_json_is_strict_and_writes_are_atomic(tmp_path):
    path = tmp_path / "r.json"
    file = results.ResultsFile([path], {"status": "running"})
    file.add([{"value": float("nan"), "array": torch.tensor([1.0, float("inf")]).numpy()}])
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["records"] == [{"value": None, "array": [1.0, None]}]
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    return path


def _bad_inputs(tmp_path, a_file):
    (tmp_path / "syntax.py").write_text("def loss(:\n")
    (tmp_path / "imports.py").write_text("import no_such_module_anywhere\n")
    return [
        (["check", "--workers", "0"], "workers must be an int >= 1, got 0"),
        (["check", "--workers", "-1"], "workers must be an int >= 1, got -1"),
        (["check", "--report", ""], "--report is an empty path"),
        (["check", "--report", str(a_file / "sub")], "lies under"),
        (["check", "--json", str(tmp_path)], "is a folder, not a file"),
        (["check", "--json", "/proc/idtheory-results.json"], "is not writable"),
        (["validate", "aninfonce", "--report", str(a_file)], "lies under"),
        (["validate", "aninfonce", "--json", "/proc/idtheory-results.json"], "is not writable"),
        (["validate", f"{tmp_path / 'syntax.py'}:loss"], "SyntaxError at line 1"),
        (["validate", f"{tmp_path / 'imports.py'}:loss"], "No module named 'no_such_module_anywhere'"),
        (["reproduce", "bimodal", "--threads", "-3"], "--threads must be >= 1, got -3"),
        (["reproduce", "bimodal", "--steps", "0"], "steps must be a positive int, got 0"),
        (["reproduce", "bimodal", "--seeds", "0-1", "--workers", "0"], "--workers must be >= 1, got 0"),
        (["reproduce", "bimodal", "--restarts", "0"], "Budget.restarts must be a positive int, got 0"),
        (["reproduce", "bimodal", "--json", str(a_file / "r.json")], "lies under"),
        (["prove", "--out", str(a_file / "d.md"), "--format", "md"], "lies under"),
    ]


def test_every_bad_input_is_one_line_before_any_work(tmp_path, a_file):
    for args, message in _bad_inputs(tmp_path, a_file):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.output)


def test_errors_go_to_stderr_and_version_to_stdout():
    done = subprocess.run([sys.executable, "-m", "idtheory", "check", "--workers", "0"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.startswith("error: workers must be")
    done = subprocess.run([sys.executable, "-m", "idtheory", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("idtheory ")


def test_a_wrong_conditional_is_blamed_where_it_is_called():
    register_conditional("test-wrong-shape", lambda z, lam, g: z[:, :2])
    register_conditional("test-off-sphere", lambda z, lam, g: 2 * z)
    z = torch.nn.functional.normalize(torch.randn(8, 3), dim=1)
    with pytest.raises(ValueError, match=r"conditional 'test-wrong-shape' returned \(8, 2\) for anchors of shape"):
        GenerativeProcess((1.0, 2.0, 3.0), conditional="test-wrong-shape").sampler().positives(z)
    with pytest.raises(ValueError, match="conditional 'test-off-sphere' returned points off the unit sphere"):
        GenerativeProcess((1.0, 2.0, 3.0), conditional="test-off-sphere").sampler().positives(z)
