"""How the polish phase's result depends on its sample: one trained d = 10 linspace encoder per seed,
polished again and again from the same trained state with other samples and step counts.

Each seed is trained with the ``quick`` budget (its polish pool drawn as usual); the encoder, the loss
and the drawn batches are kept just before the polish (:func:`idtheory.engine.polish` is wrapped for
that), and every variant ``POOL:STEPS`` polishes a copy: the first POOL of the batches, 64 a step (all of
them every step when POOL = 64), for STEPS steps. Reported per variant: MCC on fresh latents; and once,
the MCC of the best rotation of the trained outputs (orthogonal Procrustes against the true latents:
the ceiling any polish could reach). Ground truth is used here to score, never by the polish.

    python benchmarks/polish_sample.py --seeds 100,101 --variants 64:150,128:150,256:150,256:300 \
        --json benchmarks/results/polish_sample_100.json
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import replace
from pathlib import Path

import torch
from scipy.linalg import orthogonal_procrustes

import idtheory.engine as engine
from idtheory import metrics
from idtheory.budget import resolve_budget
from idtheory.process import GenerativeProcess
from idtheory.reproduce import EXPERIMENTS, _make_loss, parse_seeds
from idtheory.results import dumps, writable_file, write_atomic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="100,101")
    parser.add_argument("--variants", default="64:150,128:150,256:150,256:300")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    torch.set_num_threads(args.threads)
    seeds = parse_seeds(args.seeds)
    variants = [tuple(int(v) for v in text.split(":")) for text in args.variants.split(",")]
    budget = resolve_budget("quick")
    budget = replace(budget, polish_pool=max([budget.polish_pool] + [pool for pool, _ in variants]))
    kept: dict = {}
    polish = engine.polish

    def keep(encoder, loss, batches, loss_args, alive, lr, rounds, per_step=None):
        kept.update(encoder=copy.deepcopy(encoder), loss=copy.deepcopy(loss), batches=batches,
                    loss_args=loss_args, alive=alive)
        return polish(encoder, loss, batches, loss_args, alive, lr, rounds, per_step)

    engine.polish = keep
    lam = tuple(v / 2 for v in EXPERIMENTS["linspace"].lam_code)
    processes = [GenerativeProcess(lam=lam, seed=s) for s in seeds]
    start = time.perf_counter()
    engine.fit_many([engine.RunSpec(p, _make_loss("aninfonce", p.dim, "both"), s)
                     for p, s in zip(processes, seeds)], budget)
    trained_s = time.perf_counter() - start
    fresh = []
    for p, s in zip(processes, seeds):  # the scoring sample of `idtheory reproduce` (seed + 3)
        sampler = p.sampler("cpu", seed=s + 3)
        z = sampler.latents(4096)
        fresh.append((z.numpy(), sampler.observe(z)))
    x = torch.stack([obs for _, obs in fresh])

    def mccs(encoder) -> list[float]:
        h = engine.embed_stacked(encoder, x)
        return [metrics.mcc(z, h[k])[0] for k, (z, _) in enumerate(fresh)]

    h = engine.embed_stacked(kept["encoder"], x)
    out = {"experiment": "linspace", "seeds": seeds, "budget": budget.__dict__, "trained_seconds": trained_s,
           "before": mccs(kept["encoder"]),
           "best_rotation": [metrics.mcc(z, h[k] @ orthogonal_procrustes(h[k], z)[0])[0]
                             for k, (z, _) in enumerate(fresh)], "variants": []}
    print(f"trained in {trained_s:.0f} s; MCC before polish {out['before']}; best rotation {out['best_rotation']}")
    for pool, rounds in variants:
        encoder, loss = copy.deepcopy(kept["encoder"]), copy.deepcopy(kept["loss"])
        start = time.perf_counter()
        polish(encoder, loss, kept["batches"][:pool], kept["loss_args"], kept["alive"], budget.polish_lr, rounds,
               min(64, pool))
        row = {"pool": pool, "steps": rounds, "per_step": min(64, pool), "mcc": mccs(encoder),
               "seconds": time.perf_counter() - start}
        out["variants"].append(row)
        print(f"pool {pool:>4} × {rounds:>4} steps: MCC {[round(v, 4) for v in row['mcc']]} ({row['seconds']:.0f} s)")
    if args.json:
        write_atomic(args.json, dumps(out))


if __name__ == "__main__":
    main()
