"""Identifiability profiles: what does a given contrastive loss identify, on which process family?

For each process family the loss applies to (sphere families for losses on normalized outputs: distinct
spectra, ties, isotropic, content/style and registered spectrum families, plus vMF hard negatives for
losses that take negatives; box latents with a Laplace conditional for losses on unnormalized outputs;
two augmentation families for ensemble losses) the loss trains several encoders — ``examples`` drawn
processes, each from :data:`INITS` initializations — together in the batched engine, and every run records

* the **strongest group** under which recovery passes for every latent (the worst latent's score),
  judged with the suite's calibrated thresholds: signed permutation (C1's) ⊂ the tie blocks of the
  theory's prediction (C2's) ⊂ orthogonal up to one scale (C3's) ⊂ linear (C5's linear R²) — or none;
* whether training **settled**: whether Λ̂ is where the loss wants it for the final encoder (:func:`lam_gap`)
  and the loss changed little over the last third of training, against :data:`SETTLED`; a run that had not
  settled proves nothing;
* the **measured symmetry** of the trained loss under rotations, sign flips, permutations, translations;
* a learned Λ̂ matched to the family's target (Λ; Λ − β/2 with hard negatives; each family's Λ_k), if any;
* an error record instead, if the loss raised, returned NaN or the wrong shape — the others go on.

A family's **verdict** is the strongest group attained by *every* run (a stronger group than the theory's
therefore needs all runs, from different initializations, to agree on it, each beyond what a random element
of the theory's group scores by chance, :func:`chance_score`); "inconclusive — not
converged" when a run had not settled, whatever its scores. Before any training, the **optimum check**
asks whether the theory's minimizer (h = id, Λ̂ = Λ) is a stationary point of the loss's expected value
(:func:`optimum_evidence`): a loss whose optimum is elsewhere (the positive counted twice in its
normalizer, say) fails it.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from . import _arguments, metrics, suite
from .budget import resolve_budget
from .claims import ensemble_group, hard_negative_spectrum, predicted_group
from .engine import RunSpec, fit_groups
from .indeterminacy import GroupKind, Indeterminacy
from .plugins import THEORY, LossPlugin, call_loss, resolve_loss
from .process import GenerativeProcess
from .registry import BUILTIN_FAMILIES
from .suite.runs import SECOND_RUN, Run, check_budget, scaled_lam_error, scored

#: initializations per drawn example (the second is seeded ``seed + SECOND_RUN``)
INITS = 2
#: examples per family under each profile (runs = examples × INITS)
EXAMPLES = {"quick": 4, "ci": 2, "dev": 2, "thorough": 20}
#: a run has settled when its Λ̂ is where the loss wants it for the final encoder (|ln Λ̂* - ln Λ̂| with Λ̂*
#: re-fitted on held-out pairs, :func:`lam_gap`) and its loss changed little over the last third of its steps
#: (thresholds.json; calibrated by benchmarks/validate_convergence.py)
SETTLED = {"lam_gap": "validate.settled.lam_gap", "loss_change": "validate.settled.loss_change"}
#: validate trains each run this many times the checks' steps: at the check budget 5 of 40 AnInfoNCE runs on
#: distinct spectra had not yet separated every latent though settled by every measure (35/40 the theory's
#: group), at twice it 38/40 (README, "Validate: measured profiles")
STEPS_FACTOR = 2
#: the largest dimension the recovery thresholds were calibrated at
CALIBRATED_MAX_DIM = 4

#: a run is credited a group stronger than the theory's only when its score beats what a random element of
#: the theory's group reaches by chance with this probability (:func:`chance_score`)
STRONGER_ALPHA = 1e-3

#: the calibrated threshold that judges recovery up to each kind of group: the checks' C1, C2, C3 and C5 recovery
#: thresholds as calibrated at the check budget, which validate trains with (twice its steps), kept under keys
#: of their own so that a check moving to another budget (C1 and C5: ``check_budget_v2``) does not move them
KIND_THRESHOLDS = {GroupKind.SIGNED_PERMUTATION: "validate.group.signed_permutation",
                   GroupKind.BLOCK_ORTHOGONAL: "validate.group.block_orthogonal",
                   GroupKind.ORTHOGONAL: "validate.group.orthogonal", GroupKind.LINEAR: "validate.group.linear"}


# --- process families -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """A family of processes: how its examples are drawn and what the theory predicts on each."""

    name: str
    setting: str  # sphere | box | hard negatives | ensemble
    examples: Callable[[int], st.SearchStrategy]  # max_dim -> strategy of examples

    def spectrum(self, example) -> tuple[float, ...]:
        return tuple(example[0]) if self.setting in ("hard negatives", "ensemble") else tuple(example)

    def process(self, example, seed: int) -> GenerativeProcess:
        lam = self.spectrum(example)
        if self.setting == "box":
            return GenerativeProcess(lam=lam, space="box", conditional="laplace", seed=seed)
        if self.setting == "hard negatives":
            return GenerativeProcess(lam=lam, seed=seed, hard_negative_beta=example[1])
        if self.setting == "ensemble":
            return GenerativeProcess(lam=lam, families=(tuple(example[1]),), seed=seed)
        return GenerativeProcess(lam=lam, seed=seed)

    def predicted(self, example) -> Indeterminacy:
        """The theory's group for AnInfoNCE (for box latents: the L1 loss of C8, which splits ties)."""
        if self.setting == "box":
            return Indeterminacy.signed_permutation(len(example))
        if self.setting == "hard negatives":
            return predicted_group(hard_negative_spectrum(example[0], example[1]))
        if self.setting == "ensemble":
            return ensemble_group([example[0], example[1]])
        return predicted_group(example)

    def lam_targets(self, example) -> list[tuple[float, ...]]:
        """What Λ̂ should converge to (one row per augmentation family)."""
        if self.setting == "hard negatives":
            return [tuple(hard_negative_spectrum(example[0], example[1]))]
        if self.setting == "ensemble":
            return [tuple(example[0]), tuple(example[1])]
        return [tuple(example)]


#: family -> (setting, suite case whose strategy draws its examples)
_BUILTIN = {**{name: ("sphere", case) for name, case in BUILTIN_FAMILIES.items()},
            "hard-negatives": ("hard negatives", "C6"), "ensemble": ("ensemble", "C7"), "box": ("box", "C8")}


def all_families() -> list[str]:
    """The built-in process families, then the registered spectrum families."""
    from .registry import SPECTRA

    return [*_BUILTIN, *SPECTRA]


def family(name: str) -> Family:
    from .registry import SPECTRA

    _arguments.choice(name, tuple(all_families()), "process family")
    if name in _BUILTIN:
        setting, case = _BUILTIN[name]
        return Family(name, setting, suite.CASES[case].examples)
    return Family(name, "sphere", SPECTRA[name])


def family_spectra(name: str):
    """``max_dim -> strategy`` of a family's examples."""
    return family(name).examples


def applicable_families(plugin: LossPlugin) -> list[str]:
    """The families a loss can train on: ensembles for a loss of several augmentation families, box
    latents for unnormalized outputs, the sphere families otherwise (hard negatives when it takes them)."""
    traits = plugin.traits
    out = []
    for name in all_families():
        setting = family(name).setting
        if traits.families > 1:
            fits = setting == "ensemble" and traits.families == 2
        elif not plugin.normalize:
            fits = setting == "box"
        else:
            fits = setting == "sphere" or (setting == "hard negatives" and traits.takes_negatives)
        if fits:
            out.append(name)
    return out


def check_applicable(plugin: LossPlugin, families: list[str]) -> None:
    allowed = applicable_families(plugin)
    for name in families:
        family(name)  # unknown names first
        if name not in allowed:
            raise ValueError(f"process family {name!r} does not fit loss {plugin.name!r} ({family(name).setting} "
                             f"processes; this loss can train on: {', '.join(allowed) or 'none'})")


# --- one run's record -------------------------------------------------------------------------------

@dataclass
class ProfileRecord:
    loss: str
    family: str
    lam: list  # the example: Λ, or (Λ, β) with hard negatives, or (Λ_1, Λ_2) for an ensemble
    seed: int
    example: int = 0  # index of the drawn example within the family
    init: int = 0  # which initialization of that example
    predicted: str = ""  # the theory's group on this example
    strongest: str = "none"  # the strongest group whose recovery passed
    matches_theory: bool = False
    scores: dict = field(default_factory=dict)
    symmetry: dict = field(default_factory=dict)  # transformation -> |Δ loss| / |loss|
    lam_error: float | None = None
    lam_hat: list | None = None
    settled: bool | None = None
    convergence: dict = field(default_factory=dict)
    batched: bool = True  # False: the loss was not vmappable and was evaluated run by run
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def measured_symmetry(loss: torch.nn.Module, h: np.ndarray, hp: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Relative change of the trained loss when the outputs of held-out pairs are transformed."""
    gen = torch.Generator().manual_seed(seed)
    a, p = torch.as_tensor(h[:256], dtype=torch.float32), torch.as_tensor(hp[:256], dtype=torch.float32)
    d = a.shape[1]
    rotation = Indeterminacy.orthogonal(d).sample(gen, dtype=torch.float32)
    signs = torch.diag(torch.where(torch.rand(d, generator=gen) < 0.5, -1.0, 1.0))
    perm = torch.eye(d)[torch.roll(torch.arange(d), 1)]
    shift = torch.randn(d, generator=gen)
    with torch.no_grad():
        base = float(call_loss(loss, a, p))
        out = {}
        for name, fn in (("rotation", lambda x: x @ rotation.T), ("sign flips", lambda x: x @ signs.T),
                         ("permutation", lambda x: x @ perm.T), ("translation", lambda x: x + shift)):
            out[name] = abs(float(call_loss(loss, fn(a), fn(p))) - base) / max(abs(base), 1e-12)
    return out


def convergence(history: list[dict], steps: int) -> dict:
    """How much a run still moved over the last third of its steps (no ground truth involved): the largest
    |Δ ln λ̂_i| (if the loss has a Λ̂; reported) and the relative change of its mean training loss (judged),
    between the last evaluation at or before 2/3 of the steps and the end."""
    if len(history) < 2:
        return {"lam_drift": None, "loss_change": None, "from_step": None}
    reference = max((r for r in history if r["step"] <= 2 * steps / 3), key=lambda r: r["step"], default=history[0])
    last = history[-1]
    drift = None
    if reference.get("lam_hat") is not None and last.get("lam_hat") is not None:
        drift = float(np.abs(np.log(np.asarray(last["lam_hat"], dtype=float))
                             - np.log(np.asarray(reference["lam_hat"], dtype=float))).max())
    change = abs(last["loss"] - reference["loss"]) / max(abs(last["loss"]), 1e-6)
    return {"lam_drift": drift, "loss_change": float(change), "from_step": reference["step"], "steps": last["step"]}


def lam_gap(loss: torch.nn.Module, h: np.ndarray, h_positive: np.ndarray, batch: int) -> float | None:
    """max_i |ln Λ̂*_i - ln Λ̂_i|: how far the trained Λ̂ is from the Λ̂* that minimizes the loss for the final
    encoder — the mean loss over batches of ``batch`` held-out pairs (h, h_positive), fitted by L-BFGS over the
    loss's own parameters (any parametrization: exp, softplus, a temperature). No ground truth involved.

    A run whose Λ̂ trails its encoder (a slow parametrization, too few steps) has a large gap even when Λ̂
    no longer moves much; a settled run's gap is the refit's noise. inf when the refit runs away (for this
    encoder the loss wants some Λ̂_i at 0 or ∞: far from settled); None for a loss without a trainable Λ̂."""
    lam = getattr(loss, "lam_hat", None)
    if lam is None:
        return None
    trial = copy.deepcopy(loss)
    params = [p for p in trial.parameters() if p.requires_grad]
    if not params:
        return None
    dim = h.shape[1]
    n = len(h) // batch * batch
    anchors = torch.as_tensor(h[:n], dtype=torch.float32).reshape(-1, batch, dim)
    positives = torch.as_tensor(h_positive[:n], dtype=torch.float32).reshape(-1, batch, dim)
    opt = torch.optim.LBFGS(params, lr=1, max_iter=200, tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        value = torch.stack([call_loss(trial, a, p) for a, p in zip(anchors, positives)]).mean()
        value.backward()
        return value

    try:
        opt.step(closure)
    except (RuntimeError, ValueError):  # the refit ran away (overflow in the line search)
        return math.inf
    with torch.no_grad():
        gap = (torch.as_tensor(trial.lam_hat).double().log() - torch.as_tensor(lam).double().log()).abs().max()
    return float(gap) if torch.isfinite(gap) else math.inf


def settled(conv: dict, th: dict) -> bool | None:
    """Whether the run had settled (None: no threshold to judge by, as while calibrating them)."""
    limits = {k: th.get(key) for k, key in SETTLED.items()}
    if any(v is None or v != v for v in limits.values()):
        return None
    return all(conv.get(k) is None or conv[k] <= limits[k] for k in SETTLED)


def _lam_error(fam: Family, example, lam_hat, predicted: Indeterminacy, run: Run) -> float | None:
    targets = fam.lam_targets(example)
    rows = np.atleast_2d(np.asarray(lam_hat, dtype=float)) if lam_hat is not None else None
    if rows is None or rows.shape != (len(targets), len(targets[0])):
        return None
    perm = predicted.matching(predicted.score(run.z, run.h))
    if fam.setting == "box":  # unnormalized outputs: h_i = s_i z_π(i) + c trades Λ̂ against the scale (C8)
        return scaled_lam_error(run, targets[0], perm, float(getattr(run.loss, "p", 1.0)))
    return max(float(metrics.lam_recovery(t, row, perm).max()) for t, row in zip(targets, rows))


@functools.cache
def chance_score(block_sizes: tuple[int, ...], alpha: float = STRONGER_ALPHA, draws: int = 20_000) -> float:
    """The signed-permutation score (worst latent) that h = g z, with g a Haar-random element of the
    block-orthogonal group with these block sizes, exceeds with probability ``alpha``.

    A run of a family whose theory allows a rotation inside a block can land near the axes by chance (a
    random rotation of a 3-block passes C1's threshold 12 % of the time, of a 2-block 56 %), so one run
    that passes the signed-permutation threshold is no evidence of a stronger group; only a score beyond
    this level is. Computed on population correlations: for latents uniform on the sphere (covariance ∝ I)
    and orthogonal g, corr(z_i, h_j) = g_ji, so the score is min_i g²_{π(i) i} under the Hungarian matching
    π of :func:`idtheory.metrics.block_recovery`. Deterministic (fixed seed)."""
    bounds = np.cumsum((0, *block_sizes))
    group = Indeterminacy(tuple(tuple(range(lo, hi)) for lo, hi in zip(bounds, bounds[1:])))
    g = group.sample(torch.Generator().manual_seed(0), count=draws)
    energy = (g ** 2).transpose(1, 2).numpy()  # [latent i, output j] = g_ji²
    worst = np.empty(draws)
    for n, e in enumerate(energy):
        rows, cols = linear_sum_assignment(-e)
        worst[n] = e[rows, cols].min()
    return float(np.quantile(worst, 1 - alpha))


def score_run(record: ProfileRecord, fam: Family, example, run: Run, th: dict) -> None:
    """Fill ``record`` with the strongest group recovered, its scores and the Λ̂ error. A group stronger
    than the theory's must also beat chance (:func:`chance_score`, recorded as ``scores["chance level"]``)."""
    d = run.z.shape[1]
    predicted = fam.predicted(example)
    record.predicted = predicted.name
    candidates = [Indeterminacy.signed_permutation(d), Indeterminacy.orthogonal(d)]
    if predicted.kind is GroupKind.BLOCK_ORTHOGONAL:
        candidates.insert(1, predicted)
    record.scores = {g.name: float(g.score(run.z, run.h).within.min()) for g in candidates}
    record.scores["linear_r2"] = float(metrics.r2_per_latent(run.z, run.h).min())
    passing = [g for g in candidates if record.scores[g.name] >= th[KIND_THRESHOLDS[g.kind]]]
    if predicted.kind is not GroupKind.SIGNED_PERMUTATION:
        chance = record.scores["chance level"] = chance_score(tuple(sorted(len(b) for b in predicted.blocks)))
        passing = [g for g in passing if g.kind >= predicted.kind or record.scores[g.name] > chance]
    if passing:
        record.strongest = min(passing, key=lambda g: g.kind).name
    elif record.scores["linear_r2"] >= th[KIND_THRESHOLDS[GroupKind.LINEAR]]:
        record.strongest = GroupKind.LINEAR.label
    record.matches_theory = record.strongest == predicted.name
    record.lam_hat = run.lam_hat
    record.lam_error = _lam_error(fam, example, run.lam_hat, predicted, run)


# --- runs, trained together ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunItem:
    """One training run of a profile: a family's drawn example from one initialization."""

    family: str
    example_index: int
    example: object
    seed: int
    init: int = 0


def run_items(name: str, examples: list[tuple]) -> list[RunItem]:
    """Every (example, seed) of a family from :data:`INITS` initializations (seeds ``seed + k·SECOND_RUN``)."""
    return [RunItem(name, i, example, seed + init * SECOND_RUN, init)
            for i, (example, seed) in enumerate(examples) for init in range(INITS)]


def validate_budget(dim: int):
    """The checks' budget (:func:`idtheory.suite.check_budget`) with :data:`STEPS_FACTOR` times its steps."""
    budget = check_budget(dim)
    return replace(budget, steps=STEPS_FACTOR * budget.steps)


def profile_runs(plugin: LossPlugin, items: list[RunItem], device: str = "cpu", th: dict | None = None,
                 steps: int | None = None) -> list[ProfileRecord]:
    """Train the runs of ``items`` (of any families) together in the engine — one batch per dimension and
    setting — and score each; one record per run, in order."""
    th = suite.thresholds() if th is None else th
    records = [ProfileRecord(plugin.name, it.family, _as_list(it.example), it.seed, it.example_index, it.init)
               for it in items]
    by_dim: dict[int, list[int]] = {}
    for k, it in enumerate(items):
        by_dim.setdefault(len(family(it.family).spectrum(it.example)), []).append(k)
    for dim, members in by_dim.items():
        start = time.perf_counter()
        budget = resolve_budget(validate_budget(dim), steps)
        # at least six evaluations, so that the convergence diagnostic has a last third to look at
        budget = replace(budget, eval_every=max(1, min(budget.eval_every, budget.steps // 6)))
        try:
            specs = [RunSpec(family(items[k].family).process(items[k].example, items[k].seed), plugin.make(dim),
                             items[k].seed, plugin.normalize) for k in members]
            fits = fit_groups(specs, budget, device)
        except Exception as err:  # noqa: BLE001 - a broken loss is a result, not a crash of the profile
            for k in members:
                records[k].error = f"{type(err).__name__}: {err}"
                records[k].seconds = (time.perf_counter() - start) / len(members)
            continue
        for k, spec, fit in zip(members, specs, fits):
            record, item = records[k], items[k]
            record.seconds, record.batched = fit.seconds, fit.batched_loss
            if fit.error is not None:
                record.error = f"FloatingPointError: {fit.error}"
                continue
            try:
                run = scored(spec.process, fit, spec.seed, device)
                score_run(record, family(item.family), item.example, run, th)
                record.convergence = convergence(fit.history, budget.steps)
                pairs = plugin.traits.families == 1 and not plugin.traits.takes_latents
                if pairs and family(item.family).setting != "hard negatives":  # the loss takes (a, p) alone
                    record.convergence["lam_gap"] = lam_gap(run.loss, run.h, run.h_positive, budget.batch)
                record.settled = settled(record.convergence, th)
                if pairs:
                    record.symmetry = measured_symmetry(run.loss, run.h, run.h_positive, spec.seed)
            except Exception as err:  # noqa: BLE001
                record.error = f"{type(err).__name__}: {err}"
    return records


def profile_family(plugin: LossPlugin, name: str, examples: list[tuple], device: str = "cpu", th: dict | None = None,
                   steps: int | None = None) -> list[ProfileRecord]:
    """One family's runs (:func:`run_items`) through :func:`profile_runs`."""
    return profile_runs(plugin, run_items(name, examples), device, th, steps)


def _as_list(example):
    return [_as_list(e) for e in example] if isinstance(example, (tuple, list)) else float(example)


# --- the optimum check ---------------------------------------------------------------------------------

#: the suite's C1.optimum criteria: |t| of the mean gradient at the optimum, and at Λ̂ = 1.5 Λ (power)
OPTIMUM_T = {"at_optimum": 4.0, "perturbed": 10.0}


def set_lam_hat(loss: torch.nn.Module, lam) -> None:
    """Put the loss's Λ̂ at ``lam``: through its ``set_lam_hat(values)`` if it has one, else by fitting its
    parameters to ln Λ̂ = ln Λ (L-BFGS), so that any parametrization (exp, softplus, …) works."""
    target = torch.as_tensor(lam, dtype=torch.float64)
    if hasattr(loss, "set_lam_hat"):
        loss.set_lam_hat(target)
    else:
        params = [p for p in loss.parameters() if p.requires_grad]
        opt = torch.optim.LBFGS(params, lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            gap = ((torch.as_tensor(loss.lam_hat).double().log() - target.log()) ** 2).sum()
            gap.backward()
            return gap

        opt.step(closure)
    got = torch.as_tensor(loss.lam_hat).detach().double()
    if not torch.allclose(got.expand_as(target), target, rtol=1e-5):
        raise ValueError(f"could not set lam_hat to {target.tolist()} (got {got.tolist()}); give the loss a "
                         "set_lam_hat(values) method")


def optimum_evidence(plugin: LossPlugin, seed: int = 0) -> dict:
    """The optimum check for any loss with a Λ̂ (C1's first step, numerically): at h = id and Λ̂ = Λ the
    mean gradient of the loss over many small batches vanishes (|t| ≤ 4), and at Λ̂ = 1.5 Λ it does not
    (|t| ≥ 10, so that the check has power). Λ of C1's canonical example; an isotropic Λ = 5 I for a
    scalar Λ̂ (a learned temperature); box latents for losses on unnormalized outputs."""
    from .symmetry import check_optimum

    traits = plugin.traits
    if not traits.has_lam_hat or traits.families > 1:
        why = "it exposes no lam_hat" if not traits.has_lam_hat else "an ensemble has one Λ̂ per family"
        return {"applicable": False, "reason": why, "holds": None}
    probe = plugin.make(3)
    scalar = torch.as_tensor(probe.lam_hat).ndim == 0
    lam = (5.0, 5.0, 5.0) if scalar else (2.0, 3.2, 5.12)
    process = (GenerativeProcess(lam=lam, space="box", conditional="laplace") if not plugin.normalize
               else GenerativeProcess(lam=lam))

    def make(lam_hat):
        loss = plugin.make(len(lam_hat)).double()
        if hasattr(loss, "negatives"):
            loss.negatives = "anchors"  # the theory's setting, as the trainer uses late in training
        set_lam_hat(loss, lam_hat[0] if scalar else lam_hat)
        return loss

    start = time.perf_counter()
    try:
        result = check_optimum(make, process, seed)
    except Exception as err:  # noqa: BLE001 - reported, like a run's error
        return {"applicable": True, "holds": False, "error": f"{type(err).__name__}: {err}"}
    holds = result.at_optimum <= OPTIMUM_T["at_optimum"]
    out = {"applicable": True, "lam": list(lam), "space": process.space, "t_at_optimum": result.at_optimum,
           "t_perturbed": result.perturbed, "holds": holds, "powered": result.perturbed >= OPTIMUM_T["perturbed"],
           "seconds": time.perf_counter() - start}
    if not holds:
        out["message"] = (f"optimum check failed: at h = id and Λ̂ = Λ the loss's mean gradient does not vanish "
                          f"(|t| = {result.at_optimum:.1f} > {OPTIMUM_T['at_optimum']:g}), so its minimizer is not "
                          "the theory's — e.g. the positive counted twice in the normalizer")
    return out


# --- the profile ------------------------------------------------------------------------------------------

@dataclass
class LossProfile:
    loss: str
    declared: str | None
    families: dict  # family -> its summary (see summarize)
    records: list[ProfileRecord]
    optimum: dict
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.records)

    @property
    def declared_holds(self) -> bool | None:
        return declared_consistent(self.records, self.declared)

    @property
    def inconclusive(self) -> list[str]:
        """Families with a run that had not settled: nothing was measured there."""
        return [name for name, row in self.families.items() if row["not_settled"]]

    @property
    def passed(self) -> bool:
        """Every declared claim holds, the optimum check (where it applies) holds, no run errored and every
        family was measured (a loss that declares nothing passes only when its runs settled)."""
        return (self.errors == 0 and not self.inconclusive and self.declared_holds is not False
                and self.optimum.get("holds") is not False)

    def failures(self) -> list[str]:
        out = [f"{r.family} (λ {r.lam}, seed {r.seed}): {r.error}" for r in self.records if r.error]
        out += [f"{name}: inconclusive — {self.families[name]['hint']}" for name in self.inconclusive]
        if self.optimum.get("holds") is False:
            out.append(self.optimum.get("message") or self.optimum.get("error", "optimum check failed"))
        if self.declared_holds is False:
            out.append(f"declared {self.declared!r}, measured " + "; ".join(
                f"{f}: {row['verdict']}" for f, row in self.families.items()))
        return out


class ValidationFailure(AssertionError):
    """``check_loss(..., raise_on_failure=True)`` on a loss whose profile did not pass."""


def check_loss(loss, families: list[str] | None = None, examples: int = EXAMPLES["quick"], max_dim: int = 4,
               device: str = "cpu", workers: int = 1, seed: int = 1, on_done=None, executor=None,
               steps: int | None = None, optimum: bool = True, raise_on_failure: bool = False,
               stream: str = "evaluation") -> LossProfile:
    """The identifiability profile of ``loss`` (a reference string or an object, see idtheory.plugins).

    Per family, ``examples`` drawn examples × :data:`INITS` initializations, trained together; families
    run as jobs on ``executor`` (see :mod:`idtheory.executors`; default: local, ``workers`` processes). A
    loss object rather than a reference string cannot be rebuilt in another process, so it trains here.
    ``on_done`` sees each record as it finishes. ``raise_on_failure``: raise :class:`ValidationFailure`
    naming what failed. ``stream``: the seed stream of the examples (``"calibration"`` only to calibrate)."""
    from .executors import LocalExecutor

    plugin = resolve_loss(loss)
    chosen = families or applicable_families(plugin)
    check_applicable(plugin, chosen)
    _arguments.positive_int(examples, "examples")
    if not isinstance(max_dim, int) or not 3 <= max_dim <= 10:
        raise ValueError(f"max_dim must be an int in 3…10, got {max_dim!r}")
    th = suite.thresholds()
    items = [it for f in chosen
             for it in run_items(f, suite.draw_examples(family(f).examples, examples, max_dim, seed, stream))]
    if isinstance(loss, str):
        executor = executor or LocalExecutor(workers)
        # as many jobs as workers, each a slice of every family: bigger batches than one job per family
        slices = [items[i::executor.slots] for i in range(executor.slots)]
        fn, calls = _job, [(loss, part, device, th, steps) for part in slices if part]
    else:
        executor = LocalExecutor(1)
        fn, calls = profile_runs, [(plugin, items, device, th, steps)]
    records: list[ProfileRecord] = []

    def done(_job, job_records):
        for record in job_records:
            records.append(record)
            if on_done is not None:
                on_done(record)

    evidence = optimum_evidence(plugin, seed) if optimum else {"applicable": False, "reason": "not asked"}
    executor.run(fn, calls, done)
    records.sort(key=lambda r: (chosen.index(r.family), r.example, r.init))
    notes = []
    if max_dim > CALIBRATED_MAX_DIM:
        notes.append(f"examples up to d = {max_dim}: the recovery thresholds are calibrated at d ≤ "
                     f"{CALIBRATED_MAX_DIM} only, so verdicts at larger d are not calibrated")
    if any(not r.batched for r in records):
        notes.append("the loss is not vmappable: its runs were evaluated one by one (slower, same results)")
    profile = LossProfile(plugin.name, plugin.identifies, summarize(records), records, evidence, notes)
    if raise_on_failure and not profile.passed:
        raise ValidationFailure(f"{plugin.name}: " + "; ".join(profile.failures()))
    return profile


def _job(ref, items, device, th, steps):
    return profile_runs(resolve_loss(ref), items, device, th, steps)


def _kind(name: str) -> GroupKind:
    return GroupKind.NONE if name == "none" else GroupKind.from_name(name)


def summarize(records: list[ProfileRecord]) -> dict[str, dict]:
    """family -> runs, errors, runs not settled, how many runs attain each kind of group, the theory's
    group, and the verdict: the strongest group every run attains, or inconclusive / error."""
    out: dict[str, dict] = {}
    for name in dict.fromkeys(r.family for r in records):
        runs = [r for r in records if r.family == name]
        ok = [r for r in runs if not r.error]
        unsettled = [r for r in ok if r.settled is False]
        predicted = sorted({_kind(r.predicted).label for r in ok if r.predicted})
        attained = {k.label: sum(_kind(r.strongest) <= k for r in ok) for k in GroupKind if k is not GroupKind.NONE}
        row = {"runs": len(runs), "errors": len(runs) - len(ok), "not_settled": len(unsettled),
               "predicted": ", ".join(predicted), "attained": attained,
               "theory_runs": sum(r.matches_theory for r in ok),
               "stronger_runs": sum(_kind(r.strongest) < _kind(r.predicted) for r in ok if r.predicted)}
        if not ok:
            row["verdict"] = "error"
        elif unsettled:
            worst = max(unsettled, key=lambda r: r.convergence.get("lam_gap") or 0)
            trained = max(r.convergence.get("steps") or 0 for r in unsettled)
            row["verdict"] = "inconclusive — not converged"
            row["hint"] = (f"{len(unsettled)}/{len(ok)} runs had not settled (largest Λ̂ gap to its optimum for "
                           f"the final encoder {_fmt(worst.convergence.get('lam_gap'))} in ln Λ̂, loss change "
                           f"{_fmt(worst.convergence.get('loss_change'))} over the last third); train longer "
                           + (f"(e.g. --steps {2 * trained})" if trained else "with --steps"))
        else:
            weakest = max(ok, key=lambda r: _kind(r.strongest))
            row["verdict"] = weakest.strongest if _kind(weakest.strongest) is not GroupKind.BLOCK_ORTHOGONAL \
                else GroupKind.BLOCK_ORTHOGONAL.label
        row["matches"] = row["errors"] == 0 and row["verdict"] in predicted and len(predicted) == 1 and all(
            r.matches_theory for r in ok)
        out[name] = row
    return out


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3g}"


def declared_consistent(records: list[ProfileRecord], declared: str | None) -> bool | None:
    """Whether the runs recover exactly what the loss declares: its group on distinct spectra — or, for a
    loss on unnormalized outputs, on box latents (C8's setting, where the theory predicts the signed
    permutation ties or not) — in every run, every run settled; or with ``"theory"`` the theory's group on
    every family (every family's verdict). None: nothing declared or no such run."""
    if declared is None:
        return None
    if declared == THEORY:
        rows = summarize(records)
        return all(row["matches"] for row in rows.values()) if rows else None
    judged = [r for r in records if r.family in ("distinct", "box")]
    if not judged:
        return None
    if any(r.error or r.settled is False for r in judged):
        return False
    kind = GroupKind.from_name(declared)
    return all(_kind(r.strongest) is kind for r in judged)


__all__ = ["EXAMPLES", "INITS", "LossProfile", "ProfileRecord", "ValidationFailure", "all_families",
           "applicable_families", "check_loss", "chance_score", "declared_consistent", "family", "optimum_evidence",
           "profile_family", "summarize"]
