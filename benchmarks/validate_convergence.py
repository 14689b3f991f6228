"""Calibrate validate's convergence diagnostic: when has a run settled?

Trains correct losses (the built-in AnInfoNCE and examples/my_loss.py:SoftplusAnInfoNCE) on every sphere
family, examples from the **calibration** seed stream only, at the check budget, and records for each run
how much it still moved over the last third of training (max |Δ ln λ̂_i| and the relative change of its
loss; idtheory.validation.convergence). A run counts as settled when both stay at or below

    1.5 × the largest value over these runs

(a correct loss trained to the budget must settle; the 1.5 leaves room for examples not seen here, and a
run still moving — Λ̂ several-fold from its target — drifts far more). The thresholds go into
idtheory/thresholds.json with their provenance.

    python benchmarks/validate_convergence.py --examples 3 --workers 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from idtheory import suite
from idtheory.calibration import write_thresholds
from idtheory.results import dumps
from idtheory.validation import SETTLED, check_loss

LOSSES = ("aninfonce", str(Path(__file__).resolve().parent.parent / "examples" / "my_loss.py") + ":SoftplusAnInfoNCE")
FAMILIES = ["distinct", "tied", "isotropic", "content-style"]
FACTOR = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=3, help="examples per family and loss (2 runs each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "validate-convergence.json")
    args = parser.parse_args()
    start = time.perf_counter()
    runs = []
    for loss in LOSSES:
        profile = check_loss(loss, FAMILIES, args.examples, workers=args.workers, seed=args.seed, optimum=False,
                             stream="calibration")
        runs += [{"loss": Path(r.loss).name, "family": r.family, "lam": r.lam, "seed": r.seed,
                  "strongest": r.strongest, "error": r.error, **r.convergence} for r in profile.records]
        print(f"{time.perf_counter() - start:6.0f}s {loss}: {len(profile.records)} runs", flush=True)
    ok = [r for r in runs if not r["error"]]
    if len(ok) < len(runs):
        raise SystemExit(f"{len(runs) - len(ok)} runs errored: {next(r['error'] for r in runs if r['error'])}")
    fitted = {}
    for statistic, key in SETTLED.items():
        values = np.array([r[statistic] for r in ok if r[statistic] is not None])
        fitted[key] = {"value": FACTOR * float(values.max()), "statistic": statistic, "op": "<=", "n": len(values),
                       "stream": "calibration (even training seeds)",
                       "model": f"{FACTOR} x the largest value over correct losses at the check budget",
                       "max": float(values.max()), "median": float(np.median(values))}
    write_thresholds(suite.THRESHOLDS_PATH, fitted, args.out)
    args.out.write_text(dumps({"command": f"python benchmarks/validate_convergence.py --examples {args.examples}",
                               "seconds": time.perf_counter() - start, "thresholds": fitted, "runs": runs}))
    for key, p in fitted.items():
        print(f"{key}: {p['value']:.4f} (max {p['max']:.4f}, median {p['median']:.4f}, n = {p['n']})")


if __name__ == "__main__":
    main()
