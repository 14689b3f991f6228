"""The executors of check, validate and calibrate: local processes and Ray give the same records."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited while we looked
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the workers through /proc")
def test_sigterm_stops_the_local_workers_too():
    """`kill` or `timeout` signal only the parent; its workers must not go on training for an hour."""
    script = "import time; from idtheory.executors import LocalExecutor; LocalExecutor(2).run(time.sleep, [(60,)] * 4)"
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # the workers have taken their first jobs
        workers = _children(parent.pid)
        assert len(workers) >= 2, f"the pool did not start: children {workers}"
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _alive(w)], "workers outlived their parent"
    finally:
        parent.kill()
        for w in _children(parent.pid):
            os.kill(w, signal.SIGKILL)


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


def test_few_jobs_are_split_over_the_workers_by_their_estimated_cost_and_many_in_equal_tasks():
    from idtheory import suite
    from idtheory.suite.runner import _chunks

    jobs = suite.training_jobs("quick", None, 545017819)  # one example per case
    halves = _chunks(jobs, 2, 8)
    assert sorted(j for chunk in halves for j in chunk) == sorted(jobs)
    costs = [sum(suite.CASES[name].cost for name, _, _ in chunk) for chunk in halves]
    equal_count = [sum(suite.CASES[name].cost for name, _, _ in chunk) for chunk in (jobs[:5], jobs[5:])]
    assert abs(costs[0] - costs[1]) <= abs(equal_count[0] - equal_count[1])  # never worse than equal counts
    uneven = [j for j in jobs if j[0] in ("C2", "C3", "C5", "C7")]  # C7 alone costs about the other three
    split = [sum(suite.CASES[name].cost for name, _, _ in chunk) for chunk in _chunks(uneven, 2, 8)]
    by_count = [sum(suite.CASES[name].cost for name, _, _ in chunk) for chunk in (uneven[:2], uneven[2:])]
    assert abs(split[0] - split[1]) < abs(by_count[0] - by_count[1])
    assert [len(c) for c in _chunks(jobs * 10, 2, 32)] == [32, 32, 32, 4]  # dynamic scheduling balances these
    assert _chunks(jobs[:1], 2, 8) == [jobs[:1]]
