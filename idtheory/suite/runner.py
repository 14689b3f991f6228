"""Running cases: jobs (case, example, seed) to records, their training runs batched across jobs.

A case is a generator: it yields the training runs it needs (``run = yield Train(...)``, or a list) and
returns its Outcome records. The runner advances many cases in lockstep, trains every run they ask for
in one round together (:func:`idtheory.suite.runs.train_many`: one engine batch per shape), and sends
each case its runs — so a profile's or a calibration's runs of one shape share the vectorized model.
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Callable

from .catalog import CASES
from .records import Outcome
from .runs import train_many


def _error(name: str, example, seed: int, err: BaseException) -> list[Outcome]:
    return [Outcome(f"{name}.error", CASES[name].claim, "recovery", "-", "-", "-", [],
                    {"example": repr(example), "seed": seed}, error=f"{type(err).__name__}: {err}")]


def drive(cases: dict, device: str = "cpu", on_error: Callable[[object, BaseException], list[Outcome]] | None = None,
          ) -> dict:
    """Advance case generators (key -> generator) in lockstep, training each round's runs together; key ->
    the case's outcomes. A case that raises, or whose run fails, gets ``on_error(key, exception)`` (default:
    the exception propagates)."""
    results, sends = {}, dict.fromkeys(cases)

    def failed(k, err):
        if on_error is None:
            raise err
        results[k] = on_error(k, err)

    while sends:
        asks: dict = {}
        for k, value in sends.items():
            try:
                asks[k] = cases[k].send(value)
            except StopIteration as stop:
                results[k] = stop.value
            except Exception as err:  # noqa: BLE001 - recorded: the other cases go on
                failed(k, err)
        flat = [(k, request) for k, ask in asks.items() for request in (ask if isinstance(ask, list) else [ask])]
        start = time.perf_counter()
        runs = iter(train_many([request for _, request in flat], device))
        seconds = time.perf_counter() - start
        sends = {}
        for k, ask in asks.items():
            got = [next(runs) for _ in (ask if isinstance(ask, list) else [ask])]
            error = next((r for r in got if isinstance(r, Exception)), None)
            if error is not None:
                cases[k].close()
                failed(k, error)
                continue
            for run in got:  # the round's wall time, shared by the runs trained in it
                run.seconds = seconds / max(len(flat), 1)
            sends[k] = got if isinstance(ask, list) else got[0]
    return results


def run_one(case, device: str = "cpu") -> list[Outcome]:
    """Drive one case generator (e.g. ``case_c1(example, seed, loss=…)``) to its outcomes."""
    return drive({0: case}, device)[0]


def run_cases(jobs: list[tuple[str, object, int]], device: str = "cpu", th: dict | None = None,
              assume: dict | None = None) -> list[list[Outcome]]:
    """The outcomes of every (case, example, seed) job, in order; their training runs are batched across
    jobs. A failure inside a case becomes an error record of that job; the others go on."""
    results: dict[int, list[Outcome]] = {}
    cases = {}
    for k, (name, example, seed) in enumerate(jobs):
        try:
            case = CASES[name].run(example, seed, device, th, assume=assume)
        except Exception as err:  # noqa: BLE001
            results[k] = _error(name, example, seed, err)
            continue
        if inspect.isgenerator(case):
            cases[k] = case
        else:  # a case written as a plain function returns its outcomes
            results[k] = case
    results |= drive(cases, device, lambda k, err: _error(*jobs[k], err))
    for outcomes in results.values():
        if not outcomes or outcomes[0].error is None:
            for o in outcomes:
                o.params |= dict(assume or {})
    return [results[k] for k in range(len(jobs))]


def run_case(name: str, example, seed: int, device: str = "cpu", th: dict | None = None,
             assume: dict | None = None) -> list[Outcome]:
    """Run one case on one example; a failure inside becomes an error record, not an exception.
    ``assume``: {"conditional": name, "mixing": name} replaces the default assumptions where they fit."""
    return run_cases([(name, example, seed)], device, th, assume)[0]


def _dimension(example) -> int:
    """The latent dimension of a case's example: a spectrum, or a tuple whose first item leads to one."""
    while isinstance(example, (tuple, list)) and example and isinstance(example[0], (tuple, list)):
        example = example[0]
    return len(example) if isinstance(example, (tuple, list)) else 0


def _chunks(jobs: list[tuple], slots: int, batch: int) -> list[list[tuple]]:
    """Jobs in tasks of at most ``batch``, consecutive in (case, dimension) order so that a task's runs share
    engine batches. Many jobs: equal tasks, handed out as workers free up. Few (one task per worker): split
    where each task's estimated seconds (``Case.cost``) are nearest equal, since a task of C6–C8 trains
    runs that share fewer batches than one of C1–C5 (measured, quick check: 126 s against 91 s)."""
    ordered = sorted(jobs, key=lambda j: (j[0], _dimension(j[1])))
    size = max(1, min(batch, -(-len(jobs) // slots)))
    if len(jobs) > slots * size or slots == 1 or len(jobs) < 2:
        return [ordered[i:i + size] for i in range(0, len(ordered), size)]
    cumulative = list(itertools.accumulate(getattr(CASES.get(name), "cost", 1.0) for name, _, _ in ordered))
    cuts = [0, *sorted({min(range(1, len(ordered)), key=lambda i: abs(cumulative[i - 1] - cumulative[-1] * k / slots))
                        for k in range(1, slots)}), len(ordered)]
    return [ordered[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def run_jobs(jobs: list[tuple[str, object, int]], device: str = "cpu", workers: int = 1, th: dict | None = None,
             on_done: Callable[[tuple, list[Outcome]], None] | None = None,
             assume: dict | None = None, executor=None, batch: int = 8) -> list[Outcome]:
    """Run (case name, example, seed) jobs on ``executor`` (see :mod:`idtheory.executors`; default: local,
    in ``workers`` processes when > 1), ``batch`` jobs per task so that their runs train together;
    ``on_done`` sees each job's outcomes as soon as its task finishes (so an interrupted run keeps what
    it did)."""
    from ..executors import LocalExecutor

    executor = executor or LocalExecutor(workers)
    chunks = _chunks(jobs, executor.slots, batch)
    outcomes: list[Outcome] = []

    def done(task, result):
        for job, job_outcomes in zip(task[0], result):
            outcomes.extend(job_outcomes)
            if on_done is not None:
                on_done(job[:3], job_outcomes)

    executor.run(run_cases, [(chunk, device, th, assume) for chunk in chunks], done)
    return outcomes
