"""The named experiments of the paper and the official repository, trained and scored end to end.

Spectra are given here in the official code's convention (exp(-½ …)), as in its logs, and converted
to the paper's convention (λ_paper = λ_code / 2) for the process and the loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from . import _arguments, metrics
from .budget import Budget, resolve_budget
from .engine import RunSpec, fit_many
from .indeterminacy import Indeterminacy
from .losses import AnInfoNCE, InfoNCE
from .process import GenerativeProcess
from .training import embed


@dataclass(frozen=True)
class Experiment:
    lam_code: tuple[float, ...]
    losses: tuple[str, ...]
    about: str


EXPERIMENTS = {
    "linspace": Experiment(tuple(np.linspace(5, 25, 10).tolist()), ("aninfonce",),
                           "official linspace λ = 5…25: all distinct, signed permutation predicted (C1)"),
    "bimodal": Experiment((5.0,) * 5 + (25.0,) * 5, ("aninfonce",),
                          "official bimodal λ = 5×5, 5×25: two tie blocks, block-orthogonal 5+5 predicted (C2)"),
    "isotropic": Experiment((10.0,) * 10, ("aninfonce",),
                            "λ = 10 for all: vMF case, any rotation predicted (C3)"),
    "content-style": Experiment((25.0,) * 5 + (5.0,) * 5, ("aninfonce", "infonce"),
                                "5 content latents barely augmented (λ = 25), 5 style latents heavily (λ = 5): "
                                "InfoNCE with τ matched to the content is misspecified for the style (C4)"),
}

#: InfoNCE's temperature for content-style: τ = 1/(2κ) with κ = the content latents' λ (paper convention)
_INFONCE_TAU = 1 / 25


def _make_loss(name: str, dim: int, negatives: str) -> torch.nn.Module:
    if name == "aninfonce":
        return AnInfoNCE(dim, init="spread", negatives=negatives)  # the d = 10 runs were measured with 1…10
    return InfoNCE(_INFONCE_TAU, negatives=negatives)


def plan(name: str, budget: str | Budget = "quick", steps: int | None = None, sampler: str = "exact",
         negatives: str = "both", device: str = "cpu", restarts: int = 1) -> tuple[Experiment, Budget]:
    """Check every argument of a reproduction before any training: the experiment and the resolved budget
    (with ``restarts`` initializations per seed, the lowest final training loss kept: ``Budget.restarts``)."""
    from .conditionals import CONDITIONALS
    from .losses import NEGATIVES

    exp = EXPERIMENTS[_arguments.choice(name, tuple(EXPERIMENTS), "experiment")]
    _arguments.choice(sampler, tuple(CONDITIONALS), "conditional")
    _arguments.choice(negatives, NEGATIVES, "negatives scheme")
    _arguments.device(device)
    return exp, replace(resolve_budget(budget, steps), restarts=restarts)


def parse_seeds(text: str) -> list[int]:
    """"0-4" -> [0, 1, 2, 3, 4]; "0,3,7" -> [0, 3, 7]."""
    seeds: list[int] = []
    for part in str(text).split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()) or (dash and int(hi) < int(lo)):
            raise ValueError(f"seeds must look like 0-4 or 0,3,7 (non-negative integers), got {text!r}")
        seeds += list(range(int(lo), int(hi) + 1)) if dash else [int(lo)]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat in {text!r}")
    return seeds


def reproduce(
    name: str,
    budget: str | Budget = "quick",
    sampler: str = "exact",
    seed: int | Sequence[int] = 0,
    device: str = "cpu",
    negatives: str = "both",
    progress: Callable[[str, dict], None] | None = None,
    on_record: Callable[[dict], None] | None = None,
    steps: int | None = None,
    workers: int = 1,
    restarts: int = 1,
) -> list[dict]:
    """Train every loss of experiment ``name`` and return one result record per loss and seed.

    Several seeds (a sequence) train together in the batched engine, one batch per loss; each seed's
    record is what that seed gives alone (bitwise at d = 10, tested; the exceptions measured so far are in
    the README, Batched training). ``workers`` > 1 splits the seeds over that many processes with one torch thread each
    (:class:`idtheory.executors.LocalExecutor`), each training its share as one batch: on 2 cores two
    one-thread batches of d = 10 runs beat one two-thread batch, whose small kernels split poorly over
    threads (README, Batched training). ``progress(label, record)`` sees every evaluation (label: the
    loss, with the seed when there are several); ``on_record`` each record as soon
    as its batch is trained. ``steps`` overrides the budget's length; ``restarts`` > 1 trains every seed that
    many times from other initializations and keeps the run with the lowest final training loss (no
    ground truth; a folded d = 10 run ends with a clearly higher loss: README, Batched training)."""
    exp, budget_config = plan(name, budget, steps, sampler, negatives, device, restarts)
    seeds = [seed] if isinstance(seed, int) else list(seed)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    budget_name = ((budget if isinstance(budget, str) else "custom") + (f" ({steps} steps)" if steps else "")
                   + (f" ({restarts} restarts)" if restarts > 1 else ""))
    shards = [part for part in (seeds[k::workers] for k in range(workers)) if part]
    jobs = [(name, loss_name, budget_config, budget_name, sampler, shard, device, negatives, len(seeds) > 1)
            for loss_name in exp.losses for shard in shards]
    records: list[dict] = []

    def done(job, shard_records):
        records.extend(shard_records)
        if on_record is not None:
            for record in shard_records:
                on_record(record)

    if len(jobs) == 1 or workers == 1:
        for job in jobs:
            done(job, _train_seeds(*job, progress))
    else:
        from .executors import LocalExecutor, forwarded

        with forwarded(progress) as relay:
            LocalExecutor(min(workers, len(jobs))).run(_train_seeds, [(*job, relay) for job in jobs], done)
    order = {(loss_name, s): k for k, (loss_name, s) in enumerate((n, s) for n in exp.losses for s in seeds)}
    return sorted(records, key=lambda r: order[r["loss"], r["seed"]])


def _train_seeds(name: str, loss_name: str, budget: Budget, budget_name: str, sampler: str, seeds: list[int],
                 device: str, negatives: str, labelled: bool, progress: Callable[[str, dict], None] | None):
    """One loss of experiment ``name`` on ``seeds``, trained as one batch: a record per seed."""
    lam = tuple(v / 2 for v in EXPERIMENTS[name].lam_code)
    processes = [GenerativeProcess(lam=lam, conditional=sampler, seed=s) for s in seeds]
    group = Indeterminacy.from_spectrum(lam)
    specs = [RunSpec(p, _make_loss(loss_name, p.dim, negatives), s) for p, s in zip(processes, seeds)]
    labels = [f"{loss_name} seed {s}" if labelled else loss_name for s in seeds]
    fits = fit_many(specs, budget, device, None if progress is None else (lambda k, r: progress(labels[k], r)))
    records = []
    for p, s, result in zip(processes, seeds, fits):
        if result.error is not None:
            raise FloatingPointError(f"{loss_name}, seed {s}: {result.error}")
        records.append(score(name, loss_name, p, group, result, s, device) | {
            "budget": budget_name, "budget_params": asdict(budget), "sampler": sampler,
            "batched_with": len(seeds),
            "negatives": negatives if budget.late_step is None else budget.late_negatives if budget.late_step == 1
            else f"{negatives}, then {budget.late_negatives} from step {budget.late_step}"})
    return records


def spread(records: list[dict]) -> dict[str, dict]:
    """Per loss, the min, median and max over seeds of MCC, R², block recovery and the Λ̂ error."""
    out: dict[str, dict] = {}
    for loss in dict.fromkeys(r["loss"] for r in records):
        rows = [r for r in records if r["loss"] == loss]
        stats = {key: [r[key] for r in rows] for key in ("mcc", "r2", "block_recovery")}
        if all("lam_rel_error" in r for r in rows):
            stats["lam_max_error"] = [max(r["lam_rel_error"]) for r in rows]
        out[loss] = {k: {"min": float(np.min(v)), "median": float(np.median(v)), "max": float(np.max(v))}
                     for k, v in stats.items()} | {"seeds": [r["seed"] for r in rows]}
    return out


def score(name, loss_name, process, group, result, seed, device) -> dict:
    """Evaluate a fit on fresh latents against the predicted group."""
    held_out = process.sampler(device, seed=seed + 3)
    z = held_out.latents(4096)
    h = embed(result.encoder, held_out.observe(z))
    z = z.cpu().numpy()
    recovery = group.score(z, h)
    mcc, _ = metrics.mcc(z, h)
    r2_per_latent = metrics.r2_per_latent(z, h)
    record = {
        "experiment": name,
        "loss": loss_name,
        "seed": seed,
        "device": str(device),
        "steps": result.steps,
        "seconds": round(result.seconds, 2),
        "r2": float(r2_per_latent.mean()),
        "r2_per_latent": r2_per_latent.tolist(),
        "mcc": mcc,
        "predicted": group.name,
        "blocks": [list(b) for b in group.blocks],
        "block_recovery": recovery.score,
        "block_leak": float(recovery.leak.mean()),
        "lam": list(process.lam),
        "history": result.history,
    }
    if result.restart_losses is not None:  # Budget.restarts > 1: which initialization was kept, and why
        record |= {"restart": result.restart, "restart_losses": result.restart_losses}
    if result.lam_hat is not None:
        perm = group.matching(recovery)
        matched = np.asarray(result.lam_hat)[perm]
        record |= {
            "lam_hat_matched": matched.tolist(),
            "lam_rel_error": metrics.lam_recovery(process.lam, result.lam_hat, perm).tolist(),
            "lam_code": list(process.lam_code),
            "lam_hat_matched_code": (2 * matched).tolist(),
        }
    return record
