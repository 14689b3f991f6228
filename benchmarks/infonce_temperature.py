"""InfoNCE on isotropic processes (C3): a fixed τ = 0.1 against a temperature learned from τ = 0.5.

Trains the check budget's encoder (idtheory.suite.train) on isotropic spectra in d = 3–4 and records
the worst latent's orthogonal score and the learned concentration 1/(2τ̂) against κ. Why the
registered ``infonce`` learns its temperature.

    python benchmarks/infonce_temperature.py --out benchmarks/results/infonce_temperature.json
"""

import argparse
import json
import time
from pathlib import Path

import torch

from idtheory import suite
from idtheory.indeterminacy import Indeterminacy
from idtheory.losses import InfoNCE
from idtheory.process import GenerativeProcess

EXAMPLES = [((4.0,) * 3, 1), ((7.0,) * 4, 2), ((3.0,) * 4, 3), ((9.0,) * 3, 4)]
VARIANTS = {"fixed tau 0.1": lambda: InfoNCE(0.1), "learned from tau 0.5": InfoNCE.learned}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/infonce_temperature.json"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for variant, make in VARIANTS.items():
        for lam, seed in EXAMPLES:
            start = time.perf_counter()
            run = suite.train(GenerativeProcess(lam=lam, seed=seed), make(), seed)
            worst = float(Indeterminacy.orthogonal(len(lam)).score(run.z, run.h).within.min())
            rows.append({"variant": variant, "lam": list(lam), "seed": seed, "orthogonal_worst_latent": worst,
                         "concentration": run.loss.concentration, "kappa": lam[0],
                         "seconds": time.perf_counter() - start})
            print(f"{variant:22s} κ = {lam[0]:g}, d = {len(lam)}: orthogonal (worst latent) {worst:.4f}, "
                  f"1/(2τ) = {run.loss.concentration:.3f}", flush=True)
    args.out.write_text(json.dumps({"threads": args.threads, "runs": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
