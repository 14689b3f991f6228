"""The check budget's recovery runs under other training settings, on the examples a seed stream draws.

The recovery checks' false failures at the check budget (C1 3 of 101 out of sample, C7 10 of 62) are
mostly not folds: the encoder still mixes two latents whose Λ̂ entries have drifted towards each other
(R² 0.993–0.998, signed-permutation score 0.75–0.95). This trains AnInfoNCE's recovery run of every
example of ``--case`` (C1 or C2: cases whose example is a spectrum) under the check budget with each
``--config``'s overrides (Budget fields, e.g. ``lr=0.004``), all configurations on the same examples
and seeds, and reports the score and Λ̂ error of each run with how many fall below the thresholds in
force. Ground truth only scores the runs; nothing is selected by it.

    python benchmarks/check_budget.py --case C1 --stream evaluation --examples 100 \
        --config lr=0.002 --config lr=0.004 --json benchmarks/results/check_budget_lr.json

``--dims 8-10`` draws examples of those dimensions from idtheory.suite.bands.BAND_SPECTRA instead: what a budget for the
thorough profile's d = 8–10 band recovers, before any threshold is calibrated there. The checks' own
strategies space neighbouring λ by ×1.6–2.0, which at d = 10 spans λ = 2…500; the band keeps the
paper's range instead (linspace 2.5…12.5: neighbours ×1.13–1.44). The MCC is reported beside the score.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import torch

from idtheory import calibration, suite
from idtheory.claims import predicted_group
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.suite.bands import BAND_SPECTRA
from idtheory.suite.runs import Train, _lam_error, _process, _score, aninfonce, check_budget, train_many

BUDGET_FIELDS = {f.name: f.type for f in fields(check_budget(3))}


def overrides(text: str) -> dict:
    """``"lr=0.004,loss_lr=0.01"`` -> {"lr": 0.004, "loss_lr": 0.01}, Budget fields only."""
    out = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key not in BUDGET_FIELDS:
            raise SystemExit(f"--config: {key!r} is not a Budget field; known: {', '.join(BUDGET_FIELDS)}")
        out[key] = int(value) if BUDGET_FIELDS[key] in (int, "int") else float(value)
    return out


def train_config(examples: list[tuple], config: dict, chunk: int) -> list[dict]:
    rows = []
    for start in range(0, len(examples), chunk):
        part = examples[start:start + chunk]
        processes = [_process(None, lam=lam, seed=seed) for _, lam, seed in part]
        requests = [Train(p, aninfonce(p), seed) for p, (_, _, seed) in zip(processes, part)]
        runs = train_many(requests, budget=lambda dim: replace(check_budget(dim), **config))
        for (_, lam, seed), run in zip(part, runs):
            if isinstance(run, Exception):
                rows.append({"lam": list(lam), "seed": seed, "error": str(run)})
                continue
            score, perm, _ = _score(run, predicted_group(lam))
            rows.append({"lam": list(lam), "seed": seed, "score": score,
                         "lam_error": _lam_error(run.lam_hat, lam, perm), "r2": run.history[-1]["r2"],
                         "mcc": run.history[-1]["mcc"], "final_loss": run.history[-1]["loss"],
                         "train_seconds": run.seconds, "error": None})
        print(f"  {min(start + chunk, len(examples))}/{len(examples)}", flush=True)
    return rows


def summary(rows: list[dict], case: str) -> dict:
    th = suite.thresholds()
    ok = [r for r in rows if r["error"] is None]
    score = np.array([r["score"] for r in ok])
    lam_error = np.array([r["lam_error"] for r in ok])
    return {"runs": len(rows), "errors": len(rows) - len(ok), "mcc_median": float(np.median([r["mcc"] for r in ok])),
            "lam_error_median": float(np.median(lam_error)),
            "score_below_threshold": int((score < th[f"{case}.recovery.score"]).sum()),
            "lam_error_above_threshold": int((lam_error > th[f"{case}.recovery.lam_error"]).sum()),
            "score_below": {str(t): int((score < t).sum()) for t in (0.9, 0.95, 0.98)},
            "score_quantiles": dict(zip(("q01", "q05", "q10", "q50"),
                                        np.quantile(score, [0.01, 0.05, 0.1, 0.5]).tolist()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default="C1", choices=("C1", "C2"))
    parser.add_argument("--stream", default="evaluation", choices=calibration.STREAMS)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--config", action="append", default=None,
                        help="Budget overrides, comma-separated key=value (repeat for each configuration)")
    parser.add_argument("--dims", default=None, help="LO-HI: examples of these dimensions only (default: the "
                        "checks' own, d <= 4)")
    parser.add_argument("--chunk", type=int, default=32, help="runs per engine batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    torch.set_num_threads(args.threads)
    configs = [overrides(c) for c in (args.config or ["lr=0.002", "lr=0.004"])]
    if args.dims:
        low, high = map(int, args.dims.split("-"))
        band = BAND_SPECTRA[args.case]
        examples = [(args.case, lam, seed) for lam, seed in
                    suite.draw_examples(lambda m: band(low, m), args.examples, high, seed=1, stream=args.stream)]
    else:
        examples = calibration.jobs(args.stream, [args.case], args.examples)
    out = {"case": args.case, "stream": args.stream, "dims": args.dims or "3-4", "examples": len(examples),
           "configs": [],
           "thresholds": {k: float(v) for k, v in suite.thresholds().items() if k.startswith(args.case)},
           "threads": args.threads, "torch": torch.__version__, "python": platform.python_version(),
           "machine": platform.machine()}
    for config in configs:
        print(f"{args.case}, {args.stream} stream, {len(examples)} examples, check budget with {config}", flush=True)
        start = time.perf_counter()
        rows = train_config(examples, config, args.chunk)
        result = {"overrides": config, "seconds": time.perf_counter() - start, "summary": summary(rows, args.case),
                  "runs": rows}
        out["configs"].append(result)
        print(f"  {result['seconds']:.0f} s: {result['summary']}", flush=True)
        if args.json:
            write_atomic(args.json, dumps(out) + "\n")


if __name__ == "__main__":
    main()
