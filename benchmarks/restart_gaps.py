"""What the lower-loss rule (suite.runs.lower_loss) did in the calibration records: per case and stream, how often
the second run was judged, how far apart the two runs' final training losses lay, and the judged run of every
example whose two runs differ by more than ``--gap`` (a fold or a saddle in one of them fits the data worse).

    python benchmarks/restart_gaps.py [--records benchmarks/results/calibration-records.jsonl] [--gap 0.05]
        [--json benchmarks/results/restart_gaps.json]

Reads the records only (no training); the runs not judged are not in the records, so this says which run the
rule kept and why, not what the other one scored.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from idtheory.calibration import RecordStore


def summarize(records: list[dict], gap: float) -> dict:
    by_case: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if r["evidence"] == "recovery" and "restart_losses" in r["detail"]:
            by_case[(r["case"], r["stream"])].append(r)
    out = {}
    for (case, stream), rows in sorted(by_case.items()):
        gaps = np.array([abs(np.subtract(*r["detail"]["restart_losses"])) for r in rows])
        wide = [{"losses": r["detail"]["restart_losses"], "judged": r["detail"]["restart"],
                 "criteria": {c["metric"]: c["value"] for c in r["criteria"]},
                 "worst_latent_r2": min(r["detail"]["r2_per_latent"]), "job": r["job"]}
                for r, g in zip(rows, gaps) if g > gap]
        out[f"{case} ({stream})"] = {
            "n": len(rows), "second_run_judged": sum(r["detail"]["restart"] == 1 for r in rows),
            "gap_quantiles": dict(zip(("50%", "90%", "99%", "max"), np.quantile(gaps, [0.5, 0.9, 0.99, 1]).tolist())),
            f"gap_above_{gap}": wide}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=Path("benchmarks/results/calibration-records.jsonl"))
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = summarize(RecordStore(args.records).load(), args.gap)
    for name, row in result.items():
        q = row["gap_quantiles"]
        print(f"{name}: n {row['n']}, second run judged {row['second_run_judged']}, loss gap median "
              f"{q['50%']:.4f}, 99% {q['99%']:.4f}, max {q['max']:.4f}")
        for w in row[f"gap_above_{args.gap}"]:
            crit = ", ".join(f"{k} {v:.4f}" for k, v in w["criteria"].items())
            print(f"    losses {w['losses'][0]:.4f} / {w['losses'][1]:.4f}: run {w['judged']} judged, {crit}, "
                  f"worst latent R² {w['worst_latent_r2']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
