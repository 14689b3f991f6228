"""The command line: tables, JSON, exit codes and error messages."""

import json

from typer.testing import CliRunner

from idtheory.cli import app

runner = CliRunner()


def test_reproduce_writes_json_and_prints_both_conventions(tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["reproduce", "bimodal", "--steps", "20", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "official code (2×)" in result.output and "block-orthogonal 5+5" in result.output
    payload = json.loads(out.read_text())
    assert payload["schema"] == "idtheory.results/1" and payload["header"]["status"] == "complete"
    (record,) = payload["records"]
    assert record["steps"] == 20 and record["lam_code"][0] == 5.0 and len(record["lam_hat_matched"]) == 10


def test_content_style_reports_both_losses_per_latent(tmp_path):
    out = tmp_path / "cs.json"
    result = runner.invoke(app, ["reproduce", "content-style", "--steps", "10", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "per-latent linear R²" in result.output
    assert [r["loss"] for r in json.loads(out.read_text())["records"]] == ["aninfonce", "infonce"]


def test_unknown_names_exit_2_with_the_allowed_values():
    result = runner.invoke(app, ["reproduce", "spiral", "--steps", "5"])
    assert result.exit_code == 2 and "unknown experiment 'spiral'" in result.output and "linspace" in result.output
    result = runner.invoke(app, ["reproduce", "linspace", "--sampler", "gauss", "--steps", "5"])
    assert result.exit_code == 2 and "unknown conditional 'gauss'" in result.output
    result = runner.invoke(app, ["prove", "no-such-proof"])
    assert result.exit_code == 2 and "unknown derivation(s) ['no-such-proof']" in result.output


def test_prove_json_and_markdown(tmp_path):
    out, md = tmp_path / "p.json", tmp_path / "p.md"
    result = runner.invoke(app, ["prove", "isotropic", "ensembles", "--json", str(out), "--format", "md",
                                 "--out", str(md)])
    assert result.exit_code == 0, result.output
    verdicts = json.loads(out.read_text())
    assert {v["name"]: v["claim"] for v in verdicts} == {"isotropic": "C3", "ensembles": "C7"}
    assert all(v["proved"] and v["steps_verified"] == len(v["steps"]) for v in verdicts)
    assert all(v["conclusion_derived"] and v["scope"] and v["assumptions"] for v in verdicts)
    assert {v["name"]: v["general_d"] for v in verdicts} == {"isotropic": True, "ensembles": True}
    assert md.read_text().startswith("# idtheory derivations")


def test_check_and_validate_reject_bad_arguments_before_training():
    cases = [
        (["check", "--only", "C1,C9"], "unknown claim(s) ['C9']"),
        (["check", "--profile", "fast"], "unknown profile 'fast'"),
        (["check", "--conditional", "gauss"], "unknown conditional 'gauss'"),
        (["validate", "no-such-loss"], "unknown loss 'no-such-loss'"),
        (["validate", "aninfonce", "--processes", "distinct,spiral"],
         "unknown process family 'spiral'; allowed: 'distinct', 'tied'"),
        (["check", "--executor", "dask"], "unknown executor 'dask'; allowed: 'local', 'ray', 'ray://HOST:PORT'"),
        (["check", "--workers", "0"], "workers must be an int >= 1, got 0"),
        (["validate", "aninfonce", "--workers", "-1"], "workers must be an int >= 1, got -1"),
        (["validate", "aninfonce", "--claim", "rotation"], "unknown claim 'rotation'"),
        (["validate", "aninfonce", "--processes", "box"], "process family 'box' does not fit loss 'aninfonce'"),
        (["validate", "aninfonce", "--max-dim", "11"], "--max-dim must be in 3…10, got 11"),
        (["validate", "aninfonce", "--steps", "0"], "--steps must be an int >= 1, got 0"),
        (["validate", "aninfonce", "--examples", "0"], "--examples must be an int >= 1, got 0"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)
