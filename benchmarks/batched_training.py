"""The batched engine against the single-run path, on the same check-sized examples.

Draws ``--examples`` examples from C1's strategy (d = 3–4, spectrum and seed), then trains AnInfoNCE
on each with the check budget twice in one invocation: one run at a time through
``idtheory.training.fit`` (the engine with K = 1), and all runs of one dimension together through
``idtheory.engine.fit_groups``. Both use the machine the way check, validate and calibrate do: the
examples are split over ``--workers`` processes with one torch thread each, in equal shares sorted by
dimension (the largest batches the split allows). It records the seconds per
example of each (wall clock), their ratio, and the largest difference of the signed-permutation score
and of Λ̂ between a run trained alone and the same run trained in the batch.

    python benchmarks/batched_training.py --examples 64 --json benchmarks/results/batched_training.json
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from idtheory import AnInfoNCE, GenerativeProcess, suite
from idtheory.budget import resolve_budget
from idtheory.claims import predicted_group
from idtheory.engine import RunSpec, fit_groups
from idtheory.executors import LocalExecutor
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.training import embed, fit


def train(mode: str, examples: list, steps: int | None) -> list[tuple]:
    """(lam, seed, score, Λ̂) for every example, trained alone (``mode="alone"``) or batched."""
    specs = [RunSpec(GenerativeProcess(lam=lam, seed=seed), AnInfoNCE(len(lam)), seed) for lam, seed in examples]

    def budget(dim):
        return resolve_budget(suite.check_budget(dim), steps)

    if mode == "alone":
        fits = [fit(s.process, s.loss, budget(s.process.dim), s.seed) for s in specs]
    else:
        fits = [None] * len(specs)
        for dim in sorted({s.process.dim for s in specs}):
            members = [k for k, s in enumerate(specs) if s.process.dim == dim]
            for k, result in zip(members, fit_groups([specs[k] for k in members], budget(dim))):
                fits[k] = result
    out = []
    for s, result in zip(specs, fits):
        held_out = s.process.sampler("cpu", seed=s.seed + 3)
        z = held_out.latents(4096)
        h = embed(result.encoder, held_out.observe(z))
        score = predicted_group(s.process.lam).score(z.numpy(), h).score
        out.append((s.process.lam, s.seed, score, result.lam_hat))
    return out


def timed(executor: LocalExecutor, mode: str, shards: list, steps: int | None) -> tuple[float, dict]:
    start = time.perf_counter()
    results = executor.run(train, [(mode, shard, steps) for shard in shards])
    return time.perf_counter() - start, {(lam, seed): (score, lam_hat) for part in results
                                         for lam, seed, score, lam_hat in part}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="processes, one torch thread each")
    parser.add_argument("--steps", type=int, default=None, help="override the check budget's steps")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the examples (calibration stream)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    examples = suite.draw_examples(suite.CASES["C1"], args.examples, 4, args.seed, stream="calibration")
    examples = [(tuple(lam), seed) for lam, seed in examples]
    # Equal shares of the examples sorted by dimension, so that each worker's batches are as large as the
    # split allows (as calibrate's tasks of 32 jobs of one case); the single-run path gets the same shares.
    by_dim = sorted(examples, key=lambda e: len(e[0]))
    size = -(-len(by_dim) // args.workers)
    shards = [by_dim[k * size:(k + 1) * size] for k in range(args.workers)]
    executor = LocalExecutor(args.workers)
    sequential, alone = timed(executor, "alone", shards, args.steps)
    batched_seconds, batched = timed(executor, "batched", shards, args.steps)
    score_diff = max(abs(alone[key][0] - batched[key][0]) for key in alone)
    lam_diff = max(float(np.max(np.abs(np.subtract(alone[key][1], batched[key][1])))) for key in alone)
    out = {"examples": args.examples, "dims": sorted({len(lam) for lam, _ in examples}),
           "steps": args.steps or "check budget (max(3000, 800 d))", "workers": args.workers,
           "threads_per_worker": 1, "sequential_s_per_example": sequential / args.examples,
           "batched_s_per_example": batched_seconds / args.examples, "ratio": sequential / batched_seconds,
           "max_abs_score_difference": score_diff, "max_abs_lam_hat_difference": lam_diff,
           "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine()}
    print(dumps(out))
    if args.json:
        write_atomic(args.json, dumps(out) + "\n")


if __name__ == "__main__":
    main()
