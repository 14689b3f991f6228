"""How often a d = 10 linspace run folds (loses a latent) under a training recipe, measured on the first
``--until`` steps of the recipe (the fold happens early and is then locked in: speed_study.md).

Each seed is trained with the ``quick`` budget (``--override`` changes its fields, as JSON) for its first
``--until`` steps on the recipe's own schedule: the learning rates are constant there (the decay starts
at 75 %) and the negatives scheme switches at the full run's step. A run counts as **folded** when its
linear R² on held-out latents is below ``--fold-r2`` at the last step (0.95; an unfolded run is at
0.96–0.99 by step 6,000, a folded one at 0.88–0.90: benchmarks/results/reproduce-linspace-seeds0-4.json).
The seeds are split over ``--workers`` one-thread processes, each one engine batch.

    python benchmarks/fold_rate.py --seeds 100-119 --until 6000 --json benchmarks/results/fold_rate.json
    python benchmarks/fold_rate.py --seeds 100-119 --override '{"late_from": 0}' --json ...
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from scipy.stats import beta

from idtheory.budget import resolve_budget
from idtheory.reproduce import parse_seeds, reproduce
from idtheory.results import dumps, writable_file, write_atomic


def probe_budget(overrides: dict, until: int):
    """The quick budget with ``overrides``, cut to its first ``until`` steps on the full run's schedule."""
    full = replace(resolve_budget("quick"), **overrides)
    if until > full.steps * (1 - full.anneal):
        raise ValueError(f"--until {until} reaches the learning-rate decay (from step "
                         f"{full.steps * (1 - full.anneal):.0f}); the probe keeps the rates constant")
    late, loss_step = full.late_step, full.loss_step
    schedule = ({"late_negatives": None} if late is None or late > until
                else {"late_from": (late - 0.5) / until})  # int(until * late_from) + 1 == late
    if loss_step > 1:
        schedule["loss_after"] = min(1.0, (loss_step - 0.5) / until)
    return full, replace(full, steps=until, anneal=0.0, polish_steps=0, **schedule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="100-119")
    parser.add_argument("--until", type=int, default=6000)
    parser.add_argument("--override", default="{}", help="Budget fields as JSON, e.g. '{\"late_from\": 0}'")
    parser.add_argument("--fold-r2", type=float, default=0.95)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    full, budget = probe_budget(json.loads(args.override), args.until)
    seeds = parse_seeds(args.seeds)
    start = time.perf_counter()
    records = reproduce("linspace", budget=budget, seed=seeds, workers=args.workers)
    seconds = time.perf_counter() - start
    runs = [{"seed": r["seed"], "r2": r["r2"], "mcc": r["mcc"], "r2_per_latent": r["r2_per_latent"],
             "folded": r["r2"] < args.fold_r2,
             "history": [{k: h[k] for k in ("step", "loss", "r2", "mcc", "lam_hat")} for h in r["history"]]}
            for r in records]
    folds = sum(run["folded"] for run in runs)
    out = {"experiment": "linspace", "until": args.until, "override": json.loads(args.override),
           "recipe": asdict(full), "fold_r2": args.fold_r2, "seeds": seeds, "folded": folds,
           "fold_rate": folds / len(runs),
           "fold_rate_upper95": float(beta.ppf(0.95, folds + 1, len(runs) - folds)) if folds < len(runs) else 1.0,
           "seconds": round(seconds, 1), "workers": args.workers, "torch": torch.__version__,
           "machine": platform.machine(), "runs": runs}
    print(f"{folds}/{len(runs)} folded (R² < {args.fold_r2} at step {args.until}); "
          f"one-sided 95 % upper bound {out['fold_rate_upper95']:.2f}; {seconds:.0f} s")
    for run in runs:
        fold = "  folded" if run["folded"] else ""
        print(f"  seed {run['seed']:>4}: R² {run['r2']:.3f}  MCC {run['mcc']:.3f}{fold}")
    if args.json:
        write_atomic(args.json, dumps(out))


if __name__ == "__main__":
    main()
