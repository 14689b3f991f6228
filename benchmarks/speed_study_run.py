"""One run of the training-speed study (results in benchmarks/results/speed_study.md).

    python benchmarks/speed_study_run.py '{"steps": 20000, "init": "spread", "late_negatives": null}' [threads]

The JSON holds Budget fields plus ``init`` (AnInfoNCE's Λ̂ init: a number or "spread"), ``negatives``,
``seed`` and ``spectrum`` ("linspace" or "bimodal"); it prints one line per evaluation.
"""

import json
import sys

import torch

from idtheory import AnInfoNCE, Budget, GenerativeProcess, fit
from idtheory.reproduce import EXPERIMENTS


def main() -> None:
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    lam = tuple(v / 2 for v in EXPERIMENTS[cfg.pop("spectrum", "linspace")].lam_code)
    loss = AnInfoNCE(len(lam), init=cfg.pop("init", "spread"), negatives=cfg.pop("negatives", "both"))
    seed = cfg.pop("seed", 0)

    def report(r):
        lam_hat = sorted(r["lam_hat"])
        print(f'{r["step"]:6d} {r["seconds"]:7.1f}s loss {r["loss"]:.4f} r2 {r["r2"]:.4f} mcc {r["mcc"]:.4f} '
              f'lam {lam_hat[0]:.2f}..{lam_hat[-1]:.2f}', flush=True)

    result = fit(GenerativeProcess(lam=lam), loss, Budget(**cfg), seed=seed, progress=report)
    print("final lam", [round(v, 2) for v in sorted(result.lam_hat)])


if __name__ == "__main__":
    main()
