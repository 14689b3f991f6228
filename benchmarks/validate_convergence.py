"""Calibrate validate's convergence diagnostic: when has a run settled?

Trains correct losses (the built-in AnInfoNCE and examples/my_loss.py:SoftplusAnInfoNCE) on every sphere
family, examples from the **calibration** seed stream only, at validate's budget (the stored runs in
benchmarks/results/validate-convergence.json were trained at the check budget, half of it, before validate
trained twice as long; its runs are closer to settled, so the thresholds err on flagging), and records for each run
the two statistics validate judges (no ground truth in them): the gap between its Λ̂ and the Λ̂ that
minimizes the loss for its final encoder (idtheory.validation.lam_gap) and the relative change of its loss
over the last third of training (idtheory.validation.convergence). Here, and only here, ground truth labels
which runs had settled: those that recovered the theory's group (or a stronger one, by chance) with Λ̂
within C1's Λ̂ threshold of its target. A correct loss need not settle in the budget (the softplus
example's Λ̂ climbs at most ~lr per step, so it trails targets of 20–30), so runs that had not are left
out, not fitted. A run counts as
settled when both statistics stay at or below

    1.5 × the largest value over the runs that had settled

(the 1.5 leaves room for examples not seen here). The thresholds go into idtheory/thresholds.json with
their provenance; the JSON also says how many of the runs that had *not* settled each statistic flags.

    python benchmarks/validate_convergence.py --examples 3 --workers 2
    python benchmarks/validate_convergence.py --refit   # thresholds again from the runs in --out, no training
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from idtheory import suite
from idtheory.calibration import write_thresholds
from idtheory.indeterminacy import GroupKind
from idtheory.results import dumps
from idtheory.validation import SETTLED, check_loss

LOSSES = ("aninfonce", str(Path(__file__).resolve().parent.parent / "examples" / "my_loss.py") + ":SoftplusAnInfoNCE")
FAMILIES = ["distinct", "tied", "isotropic", "content-style"]
FACTOR = 1.5


def settled_by_truth(run: dict, lam_limit: float) -> bool:
    """Ground truth's label (calibration only): at least the theory's group, Λ̂ within C1's threshold."""
    at_least = GroupKind.from_name(run["strongest"]) <= GroupKind.from_name(run["predicted"])  # "none": never
    return at_least and run["lam_error"] is not None and run["lam_error"] <= lam_limit


def fit(runs: list[dict], lam_limit: float) -> dict[str, dict]:
    """The settled thresholds from the runs ground truth calls settled, and what they flag among the rest."""
    fitted = {}
    settled = [settled_by_truth(r, lam_limit) for r in runs]
    for statistic, key in SETTLED.items():
        values = np.array([r[statistic] for r, ok in zip(runs, settled) if ok and r[statistic] is not None])
        limit = FACTOR * float(values.max())
        others = [r[statistic] for r, ok in zip(runs, settled) if not ok and r[statistic] is not None]
        fitted[key] = {"value": limit, "statistic": statistic, "op": "<=", "n": len(values),
                       "stream": "calibration (even training seeds)",
                       "model": f"{FACTOR} x the largest value over runs of correct losses at the check budget that "
                                "had settled (at least the theory's group, Λ̂ within C1's threshold)",
                       "max": float(values.max()), "median": float(np.median(values)),
                       "not_settled_runs": len(others), "not_settled_flagged": int(sum(v > limit for v in others))}
    return fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=3, help="examples per family and loss (2 runs each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "validate-convergence.json")
    parser.add_argument("--refit", action="store_true", help="fit again from the runs stored in --out")
    args = parser.parse_args()
    start = time.perf_counter()
    lam_limit = suite.thresholds()["C1.recovery.lam_error"]
    if args.refit:
        stored = json.loads(args.out.read_text())
        command, seconds, runs = stored["command"], stored["seconds"], stored["runs"]
    else:
        command = f"python benchmarks/validate_convergence.py --examples {args.examples}"
        runs = []
        for loss in LOSSES:
            profile = check_loss(loss, FAMILIES, args.examples, workers=args.workers, seed=args.seed, optimum=False,
                                 stream="calibration")
            runs += [{"loss": Path(r.loss).name, "family": r.family, "lam": r.lam, "seed": r.seed,
                      "predicted": r.predicted, "strongest": r.strongest, "error": r.error, "lam_error": r.lam_error,
                      **r.convergence} for r in profile.records]
            print(f"{time.perf_counter() - start:6.0f}s {loss}: {len(profile.records)} runs", flush=True)
        seconds = time.perf_counter() - start
    ok = [r for r in runs if not r["error"]]
    if len(ok) < len(runs):
        raise SystemExit(f"{len(runs) - len(ok)} runs errored: {next(r['error'] for r in runs if r['error'])}")
    fitted = fit(ok, lam_limit)
    write_thresholds(suite.THRESHOLDS_PATH, fitted, args.out)
    args.out.write_text(dumps({"command": command, "seconds": seconds, "thresholds": fitted, "runs": runs}))
    for key, p in fitted.items():
        print(f"{key}: {p['value']:.4f} (max {p['max']:.4f}, median {p['median']:.4f}, n = {p['n']}; flags "
              f"{p['not_settled_flagged']} of {p['not_settled_runs']} runs that had not settled)")


if __name__ == "__main__":
    main()
