"""Per-task overhead of the executors: the local process pool against a local Ray instance.

Each task is an empty job (it only prepares its worker, as every training job does), so the times are
pure overhead: start-up (a spawned pool, or ray.init and its first workers) and the cost per task once
running. A check-sized training job takes 15–40 s, against which both overheads are to be read.

    python benchmarks/executor_overhead.py --tasks 200 --json benchmarks/results/executor_overhead.json
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from idtheory.executors import close, make_executor
from idtheory.results import dumps, writable_file, write_atomic


def empty_job(k: int) -> int:
    return k


def _run(executor, tasks: int) -> float:
    start = time.perf_counter()
    results = executor.run(empty_job, [(k,) for k in range(tasks)])
    assert sorted(results) == list(range(tasks))
    return time.perf_counter() - start


def measure(spec: str, tasks: int, workers: int) -> dict:
    start = time.perf_counter()
    executor = make_executor(spec, workers)
    created = time.perf_counter() - start
    try:
        first = _run(executor, 1)  # the local pool spawns its workers in every run; Ray starts them once
        one = _run(executor, 1)
        many = _run(executor, tasks)
    finally:
        close(executor)
    return {"executor": executor.description, "create_s": round(created, 3), "first_task_s": round(first, 3),
            "one_task_s": round(one, 3), f"{tasks}_tasks_s": round(many, 3),
            "per_task_ms": round(1000 * (many - one) / (tasks - 1), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.pop("RAY_ADDRESS", None)  # a local instance: what this machine's overhead is
    out = {"tasks": args.tasks, "workers": args.workers, "cpus": os.cpu_count(), "python": platform.python_version(),
           "local": measure("local", args.tasks, args.workers), "ray": measure("ray", args.tasks, args.workers)}
    print(dumps(out))
    if args.json:
        write_atomic(writable_file(args.json), dumps(out) + "\n")


if __name__ == "__main__":
    main()
