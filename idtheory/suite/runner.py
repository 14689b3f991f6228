"""Running cases: one job (case, example, seed) to records, and many jobs on an executor."""

from __future__ import annotations

from collections.abc import Callable

from .catalog import CASES
from .records import Outcome


def run_case(name: str, example, seed: int, device: str = "cpu", th: dict | None = None,
             assume: dict | None = None) -> list[Outcome]:
    """Run one case on one example; a failure inside becomes an error record, not an exception.
    ``assume``: {"conditional": name, "mixing": name} replaces the default assumptions where they fit."""
    case = CASES[name]
    try:
        outcomes = case.run(example, seed, device, th, assume=assume)
        for o in outcomes:
            o.params |= {k: v for k, v in (assume or {}).items()}
        return outcomes
    except Exception as err:  # noqa: BLE001 - recorded: the rest of the suite goes on
        return [Outcome(f"{name}.error", case.claim, "recovery", "-", "-", "-", [], {"example": repr(example),
                        "seed": seed}, error=f"{type(err).__name__}: {err}")]


def run_jobs(jobs: list[tuple[str, object, int]], device: str = "cpu", workers: int = 1, th: dict | None = None,
             on_done: Callable[[tuple, list[Outcome]], None] | None = None,
             assume: dict | None = None, executor=None) -> list[Outcome]:
    """Run (case name, example, seed) jobs on ``executor`` (see :mod:`idtheory.executors`; default: local,
    in ``workers`` processes when > 1); ``on_done`` sees each job's outcomes as soon as it finishes (so an
    interrupted run keeps what it did)."""
    from ..executors import LocalExecutor

    executor = executor or LocalExecutor(workers)
    outcomes: list[Outcome] = []

    def done(job, result):
        outcomes.extend(result)
        if on_done is not None:
            on_done(job[:3], result)

    executor.run(run_case, [(*job, device, th, assume) for job in jobs], done)
    return outcomes
