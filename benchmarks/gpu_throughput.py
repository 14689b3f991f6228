"""Throughput of the batched engine on one device: K check-sized runs (C1's strategy at d = 4, AnInfoNCE,
the check budget's shape) trained as one batch, for K = 1 … 1024.

Each K trains ``--steps`` steps after a short warm-up batch (CUDA start, kernel selection), and records
the wall seconds, the milliseconds per step, the run-steps per second (K × steps / seconds) and the
seconds per run at the full budget's length (3,200 steps at d = 4; ``--band``: 20,000 at d = 10, polish
not counted).

    python benchmarks/gpu_throughput.py --device cuda --k 1,64,256,1024 --json benchmarks/results/gpu_throughput.json
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import torch

from idtheory import AnInfoNCE, GenerativeProcess, strategies, suite
from idtheory.engine import RunSpec, fit_many
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.suite.bands import HIGH


def specs(examples: list) -> list[RunSpec]:
    return [RunSpec(GenerativeProcess(lam=lam, seed=seed), AnInfoNCE(len(lam)), seed) for lam, seed in examples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--k", default="1,64,256,1024", help="comma-separated batch sizes K")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--band", action="store_true", help="the d = 8–10 band's budget shape at d = 10 (3×128, "
                        "batch 512; idtheory.suite.bands) instead of the check budget's at d = 4")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    sizes = [int(k) for k in args.k.split(",")]
    dim = 10 if args.band else 4
    drawn = suite.draw_examples(lambda m: strategies.distinct_spectra(dim, dim, 0.15 if args.band else 0.6,
                                                                      0.3 if args.band else 1.0, 2.0, 5.0),
                                256, 4, 2024, stream="calibration")
    # beyond 256 the spectra repeat with other seeds (another mixing, initialization and data stream)
    examples = [(drawn[k % 256][0], drawn[k % 256][1] + 2 * 65536 * (k // 256)) for k in range(max(sizes))]
    full = HIGH.budget(dim) if args.band else suite.check_budget(dim)
    budget = replace(full, steps=args.steps, eval_every=args.steps, eval_samples=512, polish_steps=0)
    fit_many(specs(examples[:8]), replace(budget, steps=20, eval_every=20), device=args.device)  # warm-up
    rows = []
    for k in sizes:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fits = fit_many(specs(examples[:k]), budget, device=args.device)
        seconds = time.perf_counter() - start
        rows.append({"k": k, "steps": args.steps, "seconds": seconds, "ms_per_step": 1000 * seconds / args.steps,
                     "run_steps_per_s": k * args.steps / seconds,
                     "full_budget_s_per_run": full.steps * seconds / (k * args.steps),
                     "finite": all(f.error is None for f in fits)})
        print(dumps(rows[-1]), flush=True)
    out = {"device": args.device, "name": torch.cuda.get_device_name() if args.device.startswith("cuda") else
           platform.processor(), "dim": dim, "batch": budget.batch, "hidden": budget.hidden, "depth": budget.depth,
           "rows": rows, "torch": torch.__version__, "python": platform.python_version()}
    if args.json:
        write_atomic(args.json, dumps(out) + "\n")


if __name__ == "__main__":
    main()
