"""Is a folded InfoNCE control a worse optimum of InfoNCE, or InfoNCE's answer? One d = 8–10 example of
C1's band, its control (InfoNCE, learned τ) trained twice: with the band's recovery recipe (both-view
negatives for the first quarter, τ trained from the first step) and with the control recipe
(``Band.budget(dim, control=True)``: the fold fix, ``bands.FOLD_FIX``). For each: linear R² (all latents and
per latent, in Λ's order), the learned concentration 1/(2τ̂) and the final training loss (the mean over
the last evaluation window, anchor negatives in both). A fold that ends at a *higher* loss than keeping
every latent is an optimization failure, not the theory's reason for the control to fail.

    python benchmarks/band_control.py --json benchmarks/results/band_control.json

The default example is C1@d8-10's evaluation example of training seed 1 (benchmarks/results/
calibration-records.jsonl), whose control folded with the recovery's recipe. The two recipes train in
two one-thread processes side by side.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from idtheory import metrics
from idtheory.losses import InfoNCE
from idtheory.process import GenerativeProcess
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.suite.bands import HIGH
from idtheory.suite.runs import Train, train_many

EXAMPLE = [2.208801033391393, 2.540121188400102, 2.9211393666601166, 3.359310271659134, 3.863206812408004,
           4.442687834269204, 5.1090910094095845, 5.875454660821021, 6.756772859944174, 7.7702887889358]


def train(lam: list[float], seed: int, control: bool) -> dict:
    torch.set_num_threads(1)
    start = time.perf_counter()
    run, = train_many([Train(GenerativeProcess(lam=lam, seed=seed), InfoNCE.learned(), seed,
                             budget=HIGH.budget(len(lam), control))])
    return {"recipe": "control" if control else "recovery", "r2": metrics.r2(run.z, run.h),
            "r2_per_latent": metrics.r2_per_latent(run.z, run.h).tolist(), "concentration": run.loss.concentration,
            "final_loss": run.history[-1]["loss"], "loss_history": [(h["step"], h["loss"]) for h in run.history],
            "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", default=None, help="Λ as JSON (default: the evaluation example of seed 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    lam = json.loads(args.example) if args.example else EXAMPLE
    with ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(train, [lam, lam], [args.seed, args.seed], [False, True]))
    for run in runs:
        print(f"{run['recipe']:>8}: R² {run['r2']:.4f}, worst latent {min(run['r2_per_latent']):.3f} "
              f"(λ = {lam[run['r2_per_latent'].index(min(run['r2_per_latent']))]:.2f}), "
              f"1/(2τ̂) {run['concentration']:.2f}, final loss {run['final_loss']:.4f}, {run['seconds']:.0f} s")
    if args.json:
        write_atomic(args.json, dumps({"example": lam, "seed": args.seed, "runs": runs, "torch": torch.__version__,
                                       "machine": platform.machine()}))


if __name__ == "__main__":
    main()
