"""Where the training jobs of check, validate and calibrate run: one interface, two engines.

* ``local`` (default): this machine — in this process when ``workers`` ≤ 1, else in a pool of
  ``workers`` spawned processes with one torch thread each.
* ``ray``: a Ray cluster (``pip install 'idtheory[ray]'``). ``"ray"`` connects to ``RAY_ADDRESS`` when it
  is set and otherwise starts a local instance with ``workers`` CPUs; ``"ray://HOST:PORT"`` connects to a
  cluster's Ray Client server. A Ray task is one job (a case or a profile on one example: its runs train
  one after the other inside the task) with one CPU and, for ``device="cuda"``, a fraction of a GPU.

Both call ``fn(*job)`` for every job and hand each result to ``on_done(job, result)`` as soon as it
finishes, so an interrupted sweep keeps what finished. A job trains with one torch thread and the
registries loaded from entry points wherever it runs, so the same seeds give the same records on
either engine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: a Ray worker's share of a GPU when the jobs train on CUDA (small encoders: many fit on one device)
GPU_SHARE = 0.125
#: seconds to wait for a cluster address to answer before calling it unreachable
CONNECT_TIMEOUT = 5.0

Job = tuple
OnDone = Callable[[Job, Any], None]


def prepare_worker() -> None:
    """What every worker process does first: one torch thread (the workers already use every core),
    and the registries of installed plug-ins (a new process starts with the built-in ones only)."""
    import torch

    from .registry import load_entry_points

    torch.set_num_threads(1)
    load_entry_points()


def _call(fn: Callable, job: Job) -> Any:
    prepare_worker()
    return fn(*job)


@dataclass
class LocalExecutor:
    workers: int = 1

    def __post_init__(self):
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {self.workers!r}")

    @property
    def description(self) -> str:
        return "local, in this process" if self.workers == 1 else f"local, {self.workers} processes"

    @property
    def slots(self) -> int:
        """How many jobs run at once (callers split their work into at least this many)."""
        return self.workers

    def run(self, fn: Callable, jobs: Sequence[Job], on_done: OnDone | None = None) -> list:
        results = []

        def done(job, result):
            results.append(result)
            if on_done is not None:
                on_done(job, result)

        if self.workers == 1:
            for job in jobs:
                done(job, fn(*job))
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")  # no forked torch thread pools
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=prepare_worker) as pool, \
                _sigterm_raises():
            futures = {pool.submit(fn, *job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    done(futures[future], future.result())
            except BaseException:
                _stop_workers(pool)  # else shutting the pool down waits for the jobs it is running
                raise
        return results


@contextlib.contextmanager
def forwarded(callback: Callable | None) -> Iterator[Callable | None]:
    """A picklable stand-in for ``callback`` that jobs in worker processes can call (live progress): each
    call is queued and made here, in the caller's process, by a relay thread, in the order received."""
    if callback is None:
        yield None
        return
    import multiprocessing

    manager = multiprocessing.get_context("spawn").Manager()
    queue = manager.Queue()

    def relay():
        while (args := queue.get()) is not None:
            callback(*args)

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    try:
        yield _Relay(queue)
    finally:
        queue.put(None)
        thread.join()
        manager.shutdown()


@dataclass(frozen=True)
class _Relay:
    queue: Any

    def __call__(self, *args) -> None:
        self.queue.put(args)


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a batch scheduler) reaches only this process, not its workers as Ctrl-C
    does: turn it into SystemExit so the pool's workers are stopped instead of left running their jobs."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_workers(pool) -> None:
    terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # before shutdown forgets them
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _reachable(host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as err:
        raise ValueError(f"Ray cluster at {host}:{port} is unreachable ({err.strerror or err}); start it with "
                         "`ray start --head` or check the address") from err


def _host_port(address: str, origin: str) -> tuple[str, int]:
    rest = address.split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{origin} {address!r} is not an address of the form HOST:PORT or ray://HOST:PORT")
    return host, int(port)


class RayExecutor:
    """Jobs as Ray tasks; results streamed back with ``ray.wait`` as tasks finish."""

    def __init__(self, address: str | None = None, workers: int = 2, device: str = "cpu"):
        try:
            import ray
        except ImportError as err:
            raise ValueError("the Ray executor needs Ray: pip install 'idtheory[ray]'") from err
        self._ray = ray
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        env = os.environ.get("RAY_ADDRESS")
        self.address = address or env or None
        if self.address and self.address != "auto":
            _reachable(*_host_port(self.address, "RAY_ADDRESS" if not address else "executor address"))
        self.gpus = GPU_SHARE if str(device).startswith("cuda") else 0
        self._started = False
        if not ray.is_initialized():
            if self.address:
                try:  # Ray gives up after ~20 s when something answers at the address that is not Ray
                    ray.init(address=self.address, log_to_driver=False)
                except (ConnectionError, RuntimeError) as err:
                    raise ValueError(f"no Ray cluster answers at {self.address}: {err}. A cluster with token "
                                     "authentication (Ray's default) also needs RAY_AUTH_MODE=token and its token "
                                     "(~/.ray/auth_token or RAY_AUTH_TOKEN)") from err
            else:  # a local instance of the size asked for, small shared memory: jobs return small records
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                         object_store_memory=200 * 1024**2)
            self._started = True
        self.cpus = int(ray.cluster_resources().get("CPU", 0))

    @property
    def slots(self) -> int:
        return max(self.cpus, 1)

    @property
    def description(self) -> str:
        where = self.address or "local instance"
        return f"ray ({where}, {self.cpus} CPUs" + (f", {self.gpus} GPU per task)" if self.gpus else ")")

    def run(self, fn: Callable, jobs: Sequence[Job], on_done: OnDone | None = None) -> list:
        ray = self._ray
        task = ray.remote(num_cpus=1, num_gpus=self.gpus)(_call)
        pending = {task.remote(fn, job): job for job in jobs}
        results = []
        try:
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ref)
                result = ray.get(ref)
                results.append(result)
                if on_done is not None:
                    on_done(job, result)
        finally:
            for ref in pending:  # interrupted: stop what has not finished
                ray.cancel(ref, force=True)
        return results

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


EXECUTORS = ("local", "ray", "ray://HOST:PORT")


def make_executor(spec: str = "local", workers: int = 1, device: str = "cpu") -> LocalExecutor | RayExecutor:
    """``"local"``, ``"ray"`` (RAY_ADDRESS or a local instance) or ``"ray://HOST:PORT"``."""
    if spec == "local":
        return LocalExecutor(workers)
    if spec == "ray":
        return RayExecutor(None, workers, device)
    if isinstance(spec, str) and spec.startswith("ray://"):
        return RayExecutor(spec, workers, device)
    raise ValueError(f"unknown executor {spec!r}; allowed: {', '.join(map(repr, EXECUTORS))}")


def close(executor) -> None:
    if hasattr(executor, "close"):
        executor.close()


__all__ = ["EXECUTORS", "LocalExecutor", "RayExecutor", "close", "make_executor", "prepare_worker"]
