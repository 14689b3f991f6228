"""The polish phase (``Budget.polish_steps``, :func:`idtheory.engine.polish`) on the official linspace
spectrum (d = 10, λ_code 5…25): MCC, R² and Λ̂ of each seed just before and just after polishing.

Every seed is trained once with the ``quick`` budget's recipe (``--steps`` long, ``--batch``, Λ̂
initialized by ``--init``), all seeds in one engine batch; its history's last training record and the
polish record are compared. Polishing uses no ground truth: it minimizes the same loss over an
orthogonal map of the outputs on ``--polish-batches`` fixed batches.

    python benchmarks/polish_linspace.py --seeds 1,2,3 --steps 12000 --json benchmarks/results/polish_linspace.json
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import torch

from idtheory import AnInfoNCE, GenerativeProcess
from idtheory.budget import resolve_budget
from idtheory.engine import RunSpec, fit_many
from idtheory.reproduce import EXPERIMENTS, parse_seeds
from idtheory.results import dumps, writable_file, write_atomic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--steps", type=int, default=12_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--init", default="spread", help="AnInfoNCE's Λ̂ initialization")
    parser.add_argument("--polish-steps", type=int, default=150)
    parser.add_argument("--polish-batches", type=int, default=64)
    parser.add_argument("--polish-lr", type=float, default=0.03)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    torch.set_num_threads(args.threads)
    seeds = parse_seeds(args.seeds)
    lam = tuple(v / 2 for v in EXPERIMENTS["linspace"].lam_code)  # the paper's convention
    budget = replace(resolve_budget("quick", args.steps), batch=args.batch, polish_steps=args.polish_steps,
                     polish_batches=args.polish_batches, polish_lr=args.polish_lr)
    start = time.perf_counter()
    fits = fit_many([RunSpec(GenerativeProcess(lam=lam, seed=s), AnInfoNCE(len(lam), init=args.init), s)
                     for s in seeds], budget)
    runs = []
    for seed, fit in zip(seeds, fits):
        trained = [h for h in fit.history if "polish_steps" not in h]
        polished = [h for h in fit.history if "polish_steps" in h]
        keep = ("r2", "mcc", "lam_hat", "seconds")
        runs.append({"seed": seed, "error": fit.error, "history": [{k: h[k] for k in ("step", "r2", "mcc")}
                                                                  for h in trained],
                     "before": {k: trained[-1][k] for k in keep} if trained else None,
                     "after": {k: polished[-1][k] for k in keep} if polished else None})
    out = {"experiment": "linspace", "lam": list(lam), "steps": args.steps, "batch": args.batch, "init": args.init,
           "polish": {"steps": args.polish_steps, "batches": args.polish_batches, "lr": args.polish_lr},
           "threads": args.threads, "seconds": time.perf_counter() - start, "runs": runs,
           "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine()}
    for run in runs:
        b, a = run["before"], run["after"]
        if b and a:
            print(f"seed {run['seed']}: MCC {b['mcc']:.4f} -> {a['mcc']:.4f}, R² {b['r2']:.4f} -> {a['r2']:.4f}")
    if args.json:
        write_atomic(args.json, dumps(out) + "\n")


if __name__ == "__main__":
    main()
