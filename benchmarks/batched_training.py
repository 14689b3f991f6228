"""The batched engine against the single-run path, on the same check-sized examples.

Draws ``--examples`` examples from C1's strategy (d = 3–4, spectrum and seed), then trains AnInfoNCE
on each with the check budget twice in one invocation: one run at a time through
``idtheory.training.fit`` (the engine with K = 1), and all runs of one dimension together through
``idtheory.engine.fit_groups``. Both use ``--threads`` torch threads. It records the seconds per
example of each, their ratio, and the largest difference of the signed-permutation score and of Λ̂
between a run trained alone and the same run trained in the batch.

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
from idtheory.claims import predicted_group
from idtheory.engine import RunSpec, fit_groups
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.training import embed, fit


def score(process: GenerativeProcess, fit_result, seed: int) -> float:
    held_out = process.sampler("cpu", seed=seed + 3)
    z = held_out.latents(4096)
    h = embed(fit_result.encoder, held_out.observe(z))
    return predicted_group(process.lam).score(z.numpy(), h).score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="override the check budget's steps")
    parser.add_argument("--seed", type=int, default=2024, help="hypothesis seed for drawing the examples")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    examples = suite.draw_examples(suite.CASES["C1"], args.examples, 4, args.seed)

    def specs():
        return [RunSpec(GenerativeProcess(lam=lam, seed=seed), AnInfoNCE(len(lam)), seed) for lam, seed in examples]

    def budget(dim):
        b = suite.check_budget(dim)
        return b if args.steps is None else type(b)(**{**b.__dict__, "steps": args.steps})

    start = time.perf_counter()
    alone = [fit(s.process, s.loss, budget(s.process.dim), s.seed) for s in specs()]
    sequential = time.perf_counter() - start
    batched_specs = specs()
    start = time.perf_counter()
    batched = []
    for dim in sorted({s.process.dim for s in batched_specs}):
        members = [s for s in batched_specs if s.process.dim == dim]
        batched += list(zip(members, fit_groups(members, budget(dim))))
    batched_seconds = time.perf_counter() - start
    by_seed = {s.seed: f for s, f in batched}
    score_diff = lam_diff = 0.0
    for s, a in zip(specs(), alone):
        b = by_seed[s.seed]
        score_diff = max(score_diff, abs(score(s.process, a, s.seed) - score(s.process, b, s.seed)))
        lam_diff = max(lam_diff, float(np.max(np.abs(np.subtract(a.lam_hat, b.lam_hat)))))
    out = {"examples": args.examples, "dims": sorted({len(lam) for lam, _ in examples}),
           "steps": args.steps or "check budget (max(3000, 800 d))", "threads": args.threads,
           "sequential_s_per_example": sequential / args.examples,
           "batched_s_per_example": batched_seconds / args.examples,
           "ratio": sequential / batched_seconds, "max_abs_score_difference": score_diff,
           "max_abs_lam_hat_difference": lam_diff, "torch": torch.__version__, "python": platform.python_version(),
           "machine": platform.machine()}
    print(dumps(out))
    if args.json:
        write_atomic(writable_file(args.json), dumps(out) + "\n")


if __name__ == "__main__":
    main()
