"""How far a run trained in a batch is from the same run trained alone, where they are not bitwise equal
(README, "Batched equals alone, and where it does not": with the polish, d = 5 and 7).

For each dimension, three AnInfoNCE runs on distinct spectra (λ log-spaced 2.5…12.5, one seed each) are
trained with a shortened ``quick`` recipe, polish included, once alone (K = 1 each) and once as one batch
(K = 3), on one thread; the script writes the largest absolute differences of each run's MCC, linear R² and
Λ̂ (relative) on its held-out latents, and of its last-layer weights.

    python benchmarks/batched_equality.py --dims 5,7,10 --json benchmarks/results/batched_equality.json
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from idtheory import AnInfoNCE, GenerativeProcess
from idtheory.budget import resolve_budget
from idtheory.engine import RunSpec, fit_many
from idtheory.results import dumps, writable_file, write_atomic

SEEDS = (0, 1, 2)


def specs(dim: int) -> list[RunSpec]:
    lam = tuple(np.geomspace(2.5, 12.5, dim).tolist())
    return [RunSpec(GenerativeProcess(lam=lam, seed=s), AnInfoNCE(dim, init="spread"), s) for s in SEEDS]


def last(fit) -> dict:
    record = fit.history[-1]
    return {"mcc": record["mcc"], "r2": record["r2"], "lam_hat": np.asarray(fit.lam_hat),
            "weight": list(fit.encoder.parameters())[-2].detach().numpy()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", default="5,7,10")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    torch.set_num_threads(1)
    budget = resolve_budget("quick", args.steps)
    rows = []
    start = time.perf_counter()
    for dim in (int(d) for d in args.dims.split(",")):
        alone = [last(fit_many([spec], budget)[0]) for spec in specs(dim)]
        batched = [last(fit) for fit in fit_many(specs(dim), budget)]
        diff = {key: max(float(np.max(np.abs(a[key] - b[key]))) for a, b in zip(alone, batched))
                for key in ("mcc", "r2", "weight")}
        diff["lam_hat_relative"] = max(float(np.max(np.abs(a["lam_hat"] / b["lam_hat"] - 1)))
                                       for a, b in zip(alone, batched))
        rows.append({"dim": dim, "runs": len(SEEDS), "bitwise_equal": all(
            np.array_equal(a["weight"], b["weight"]) for a, b in zip(alone, batched)),
            "max_abs_difference": diff, "mcc_alone": [a["mcc"] for a in alone]})
        print(f"d = {dim}: bitwise equal {rows[-1]['bitwise_equal']}; largest |Δ| MCC {diff['mcc']:.2e}, "
              f"R² {diff['r2']:.2e}, Λ̂ (relative) {diff['lam_hat_relative']:.2e}, last layer {diff['weight']:.2e}")
    out = {"recipe": f"quick, {args.steps} steps, polish included", "seeds": list(SEEDS), "threads": 1,
           "seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
           "machine": platform.machine(), "dims": rows}
    if args.json:
        write_atomic(args.json, dumps(out))


if __name__ == "__main__":
    main()
