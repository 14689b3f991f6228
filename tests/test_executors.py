"""The executors of check, validate and calibrate: local processes and Ray give the same records."""

import json
import subprocess
import sys

import pytest

from idtheory import executors
from idtheory.executors import LocalExecutor, make_executor


def _square(x):
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_streams_every_result_to_on_done(workers):
    seen = []
    results = LocalExecutor(workers).run(_square, [(k,) for k in range(5)], lambda job, r: seen.append((job, r)))
    assert sorted(results) == [0, 1, 4, 9, 16]
    assert sorted(seen) == [((k,), k * k) for k in range(5)]


@pytest.mark.parametrize("spec, workers, message", [
    ("dask", 2, "unknown executor 'dask'; allowed: 'local', 'ray', 'ray://HOST:PORT'"),
    ("local", 0, "workers must be an int >= 1, got 0"),
    ("local", -1, "workers must be an int >= 1, got -1"),
    ("ray://nowhere", 2, "executor address 'ray://nowhere' is not an address of the form HOST:PORT"),
])
def test_bad_executor_arguments_are_named(spec, workers, message):
    pytest.importorskip("ray") if spec.startswith("ray") else None
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_executor(spec, workers)


def test_unreachable_cluster_is_an_error_not_a_hang(monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 0.5)
    with pytest.raises(ValueError, match="Ray cluster at 127.0.0.1:9 is unreachable"):
        make_executor("ray://127.0.0.1:9")  # the discard port: nothing listens there
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    with pytest.raises(ValueError, match="Ray cluster at 127.0.0.1:9 is unreachable"):
        make_executor("ray")


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ValueError, match=r"pip install 'idtheory\[ray\]'"):
        make_executor("ray")


def _records(path):
    """The records of a results.json without what depends on the clock."""
    out = []
    for r in json.loads(path.read_text())["records"]:
        r.pop("seconds")
        r["detail"].pop("train_seconds", None)
        for h in r["detail"].get("history", []):
            h.pop("seconds")
        out.append(r)
    return sorted(out, key=lambda r: (r["case"], json.dumps(r["params"], sort_keys=True)))


@pytest.mark.slow
def test_check_on_ray_gives_the_records_of_the_local_executor(tmp_path, monkeypatch):
    """The acceptance run of the Ray executor: `check --only C1,C5` on a local Ray instance with 2 CPUs."""
    pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    runs = {}
    for name in ("local", "ray"):
        report = tmp_path / name
        done = subprocess.run([sys.executable, "-m", "idtheory", "check", "--profile", "quick", "--only", "C1,C5",
                               "--executor", name, "--workers", "2", "--seed", "1", "--report", str(report)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        runs[name] = _records(report / "run-1" / "results.json")
        assert json.loads((report / "run-1" / "results.json").read_text())["header"]["executor"].startswith(name)
    assert [r["case"] for r in runs["ray"]] == [r["case"] for r in runs["local"]]
    assert any(r["evidence"] == "recovery" for r in runs["ray"])
    for local, ray in zip(runs["local"], runs["ray"]):
        assert ray == local, (local["case"], local["criteria"], ray["criteria"])
