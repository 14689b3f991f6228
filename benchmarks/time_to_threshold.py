"""Time-to-threshold on the official linspace experiment, against the official configuration's step cost.

Trains AnInfoNCE with the quick budget (evaluating every 250 steps) and records the first
evaluation at which MCC ≥ 0.95 (and R² ≥ 0.99), in steps and seconds. Then times steps of the
official configuration (encoder 10→100→500→500→500→500→100→10, batch 1000, 2B-2 negatives) on the
same machine, so the speed-up over its ~50,000 steps to MCC 0.96 (DESIGN §6-7) is measured here.

    python benchmarks/time_to_threshold.py --out benchmarks/results/time_to_threshold.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from idtheory import AnInfoNCE, GenerativeProcess, fit
from idtheory.encoders import OFFICIAL_WIDTHS, Encoder
from idtheory.reproduce import EXPERIMENTS
from idtheory.training import BUDGETS

OFFICIAL_STEPS_TO_MCC_096 = 50_000  # official training log, linspace run (DESIGN §6)


def official_step_seconds(process: GenerativeProcess, steps: int = 30) -> float:
    encoder = Encoder(10, 10, OFFICIAL_WIDTHS)
    loss = AnInfoNCE(10, negatives="both")
    opt = torch.optim.Adam([{"params": encoder.parameters(), "lr": 1e-4}, {"params": loss.parameters(), "lr": 1e-3}])
    data = process.sampler("cpu", seed=0)
    for i in range(steps + 3):
        if i == 3:  # warm-up excluded
            start = time.perf_counter()
        z, zt = data.latent_pairs(1000)
        value = loss(encoder(data.observe(z)), encoder(data.observe(zt)))
        opt.zero_grad()
        value.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/time_to_threshold.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--mcc", type=float, default=0.95)
    parser.add_argument("--r2", type=float, default=0.99)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    lam = tuple(v / 2 for v in EXPERIMENTS["linspace"].lam_code)
    process = GenerativeProcess(lam=lam)
    budget = replace(BUDGETS["quick"], eval_every=args.eval_every)

    def report(r):
        print(f"step {r['step']:6d}  {r['seconds']:7.1f}s  R² {r['r2']:.4f}  MCC {r['mcc']:.4f}", flush=True)

    result = fit(process, AnInfoNCE(10), budget, seed=args.seed, progress=report)
    hit = next((r for r in result.history if r["mcc"] >= args.mcc), None)
    both = next((r for r in result.history if r["mcc"] >= args.mcc and r["r2"] >= args.r2), None)
    official = official_step_seconds(process)
    out = {
        "benchmark": "time_to_threshold",
        "experiment": "linspace",
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "threads": args.threads,
                    "torch": torch.__version__},
        "budget": asdict(budget),
        "seed": args.seed,
        "threshold_mcc": args.mcc,
        "threshold_r2": args.r2,
        "steps_to_mcc": hit and hit["step"],
        "seconds_to_mcc": hit and round(hit["seconds"], 1),
        "steps_to_mcc_and_r2": both and both["step"],
        "seconds_to_mcc_and_r2": both and round(both["seconds"], 1),
        "seconds_per_step": round(result.seconds / result.steps, 4),
        "official_seconds_per_step": round(official, 4),
        "official_seconds_to_mcc_096_estimate": round(official * OFFICIAL_STEPS_TO_MCC_096),
        "speedup_vs_official": both and round(official * OFFICIAL_STEPS_TO_MCC_096 / both["seconds"], 1),
        "final": {k: result.history[-1][k] for k in ("step", "seconds", "r2", "mcc", "lam_hat")},
        "history": result.history,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k not in ("history", "budget")}, indent=1))


if __name__ == "__main__":
    main()
