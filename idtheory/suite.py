"""The numerical checks of every claim, as plain functions returning result records.

A *case* trains one or more small encoders on one example of a process family and returns
:class:`Outcome` records, one per piece of evidence:

* ``recovery`` — the theory's prediction holds: recovery up to exactly the predicted group clears a
  calibrated threshold (the group is no larger than predicted);
* ``control`` — a negative control: the same criterion for a *stronger* group, or for a loss the theory
  says is misspecified, must fail (``passed`` then means "failed as predicted").

Thresholds come from ``thresholds.json``, written by ``benchmarks/calibrate.py`` from ≥ 20 examples
per case (see ``benchmarks/results/calibration.json``). Examples (spectra and seeds) are drawn by the
hypothesis strategies of :mod:`idtheory.strategies`, so pytest (``checks/``), the CLI
(``idtheory check``) and the calibration sample the same families.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from . import _validate, metrics, strategies
from .claims import ensemble_group, hard_negative_spectrum, predicted_group
from .indeterminacy import Indeterminacy
from .losses import AnInfoNCE, EnsembleAnInfoNCE, InfoNCE
from .process import GenerativeProcess
from .training import Budget, embed, fit

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.json")


class Thresholds(dict):
    """Calibrated thresholds, keyed ``"<case>.<metric>"``; a missing one says how to calibrate it."""

    def __missing__(self, key: str) -> float:
        case = key.split(".")[0]
        raise KeyError(f"no calibrated threshold {key!r} in idtheory/thresholds.json; "
                       f"run `python benchmarks/calibrate.py --only {case}`")


def thresholds() -> Thresholds:
    return Thresholds(json.loads(THRESHOLDS_PATH.read_text())["thresholds"]) if THRESHOLDS_PATH.exists() \
        else Thresholds()


def calibrated(case: str) -> bool:
    """Whether thresholds.json has the recovery thresholds of ``case`` (violation runs borrow C8's)."""
    claim = CASES[case].claim
    return any(k.startswith(f"{claim}.recovery") for k in thresholds())


class RecordOnly(dict):
    """Thresholds that are all NaN: run the checks to record their metrics (calibration)."""

    def __missing__(self, key: str) -> float:
        return float("nan")


def check_budget(dim: int) -> Budget:
    """The training budget of the checks: a 2×64 encoder, batch 256, ≥ 3,000 steps (800 per latent)."""
    return Budget(steps=max(3000, 800 * dim), batch=256, hidden=64, depth=2, eval_every=500, eval_samples=2048)


# --- result records -----------------------------------------------------------------------------------


@dataclass
class Criterion:
    metric: str
    value: float
    op: str  # ">=" or "<="
    threshold: float

    @property
    def holds(self) -> bool:
        return self.value >= self.threshold if self.op == ">=" else self.value <= self.threshold


@dataclass
class Outcome:
    case: str
    claim: str
    evidence: str  # "proof", "symmetry", "optimum", "recovery", "control" or "reported" (never asserted)
    loss: str
    family: str
    group: str  # the group the criteria score against
    criteria: list[Criterion]
    params: dict  # the example: spectrum (paper convention), seed, …
    detail: dict = field(default_factory=dict)  # matched correlations, history, Λ̂, per-latent R², …
    seconds: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        """recovery, symmetry: every criterion holds; control: some criterion fails, as the theory predicts;
        reported (an assumption violated, or a known optimization failure mode): never failed."""
        if self.error is not None:
            return False
        held = all(c.holds for c in self.criteria)
        return True if self.evidence == "reported" else not held if self.evidence == "control" else held

    def to_dict(self) -> dict:
        out = asdict(self)
        out["passed"] = self.passed
        for c, record in zip(self.criteria, out["criteria"]):
            record["holds"] = c.holds
        return out


# --- one training run, scored ------------------------------------------------------------------------


@dataclass
class Run:
    z: np.ndarray
    h: np.ndarray  # encoder outputs of fresh latents z
    lam_hat: list | None
    history: list[dict]
    seconds: float
    loss: torch.nn.Module | None = None  # the trained loss
    h_positive: np.ndarray | None = None  # outputs of one positive per z (first family)


def train(process: GenerativeProcess, loss: torch.nn.Module, seed: int, device: str = "cpu",
          normalize: bool = True) -> Run:
    result = fit(process, loss, check_budget(process.dim), seed=seed, device=device, normalize=normalize)
    held_out = process.sampler(device, seed=seed + 3)
    z = held_out.latents(4096)
    h = embed(result.encoder, held_out.observe(z))
    h_positive = embed(result.encoder, held_out.observe(held_out.positives(z)[0]))
    return Run(z.cpu().numpy(), h, result.lam_hat, result.history, result.seconds, result.loss, h_positive)


def _score(run: Run, group: Indeterminacy) -> tuple[float, np.ndarray, dict]:
    rec = group.score(run.z, run.h)
    perm = group.matching(rec)
    corr = metrics.correlation_matrix(run.z, run.h)[:, perm]
    detail = {"per_latent_within": rec.within.tolist(), "leak": rec.leak.tolist(),
              "matched_correlation": corr.tolist(), "blocks": [list(b) for b in group.blocks]}
    return rec.score, perm, detail


def _lam_error(lam_hat, target, perm) -> float:
    return float(metrics.lam_recovery(target, lam_hat, perm).max())


def _base_detail(run: Run) -> dict:
    return {"history": run.history, "lam_hat": run.lam_hat, "r2": metrics.r2(run.z, run.h),
            "r2_per_latent": metrics.r2_per_latent(run.z, run.h).tolist(), "train_seconds": run.seconds}


# --- the cases -----------------------------------------------------------------------------------------

LossFactory = Callable[[GenerativeProcess], torch.nn.Module]


def aninfonce(process: GenerativeProcess, hard_beta: float = 0.0) -> AnInfoNCE:
    return AnInfoNCE(process.dim, hard_beta=hard_beta)


def infonce(process: GenerativeProcess) -> InfoNCE:
    """InfoNCE with τ = 1/(2 λ_max): matched to the least-augmented latents, exact when Λ = κI (C3)."""
    return InfoNCE(tau=1 / (2 * max(process.lam)))


def _process(assume: dict | None, **config) -> GenerativeProcess:
    """The case's process, with the user's assumptions (a registered conditional or mixing) applied where
    they fit: a conditional only on the latent spaces it declares."""
    from .conditionals import CONDITIONAL_SPACES

    for key, value in (assume or {}).items():
        if key == "conditional" and config.get("space", "sphere") not in CONDITIONAL_SPACES[value]:
            continue
        config[key] = value
    return GenerativeProcess(**config)


def _outcome(case, claim, evidence, loss, family, group, criteria, params, detail, start) -> Outcome:
    return Outcome(case, claim, evidence, loss, family, group, criteria, params, detail, time.perf_counter() - start)


def case_c1(lam, seed, device="cpu", th=None, assume=None, loss: LossFactory | None = None, normalize: bool = True,
            name: str = "AnInfoNCE") -> list[Outcome]:
    """C1 on distinct spectra: AnInfoNCE recovers a signed permutation and Λ̂ = permuted Λ; the same
    criterion fails for InfoNCE (C4: its symmetry group is all of O(d)).

    With ``loss`` (a factory process -> loss module) the recovery check runs on that loss instead, without
    the control: how the mutation tests show that a broken AnInfoNCE is caught."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    params = {"lam": list(lam), "seed": seed}
    out = []
    start = time.perf_counter()
    run = train(process, (loss or aninfonce)(process), seed, device, normalize)
    score, perm, detail = _score(run, group)
    out.append(_outcome("C1.recovery", "C1", "recovery", name, "distinct", group.name, [
        Criterion("score", score, ">=", th["C1.recovery.score"]),
        Criterion("lam_error", _lam_error(run.lam_hat, lam, perm) if run.lam_hat else math.inf, "<=",
                  th["C1.recovery.lam_error"])], params, _base_detail(run) | detail, start))
    if loss is not None:
        return out
    start = time.perf_counter()
    run = train(process, infonce(process), seed, device)
    score, _, detail = _score(run, group)
    out.append(_outcome("C1.control", "C1", "control", "InfoNCE", "distinct", group.name, [
        Criterion("score", score, ">=", th["C1.recovery.score"])], params, _base_detail(run) | detail, start))
    return out


def _recovery_and_stronger_group(claim, family, lam, seed, device, th, assume) -> list[Outcome]:
    """Train AnInfoNCE; recovery up to Λ's tie blocks (with Λ̂), and the same encoder scored as a signed
    permutation — the stronger group that ties (C2) or isotropy (C3) rule out — as the control."""
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    params = {"lam": list(lam), "seed": seed}
    start = time.perf_counter()
    run = train(process, aninfonce(process), seed, device)
    score, perm, detail = _score(run, group)
    recovery = _outcome(f"{claim}.recovery", claim, "recovery", "AnInfoNCE", family, group.name, [
        Criterion("score", score, ">=", th[f"{claim}.recovery.score"]),
        Criterion("lam_error", _lam_error(run.lam_hat, lam, perm), "<=", th[f"{claim}.recovery.lam_error"])],
        params, _base_detail(run) | detail, start)
    strong = Indeterminacy.signed_permutation(len(lam))
    _, _, strong_detail = _score(run, strong)
    start = time.perf_counter()
    strong_score, both = _stronger_group_in_both_runs(run, process, seed, device, strong)
    control = _outcome(f"{claim}.control", claim, "control", "AnInfoNCE (two runs)", family, strong.name, [
        Criterion("worst_latent_score", strong_score, ">=", th["C1.recovery.score"])], params,
        _base_detail(run) | strong_detail | both, start)
    return [recovery, control]


def case_c2(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C2 on tied spectra: block-orthogonal recovery over the tie groups; a signed permutation (the
    stronger group) is not attained (control, scored on the same encoder)."""
    th = thresholds() if th is None else th
    return _recovery_and_stronger_group("C2", "tied", lam, seed, device, th, assume)


def case_c3(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C3, Λ = κI: AnInfoNCE and InfoNCE both recover z up to a rotation, with Λ̂ = κI and 1/(2τ̂) = κ;
    a signed permutation is not attained (control)."""
    th = thresholds() if th is None else th
    out = _recovery_and_stronger_group("C3", "isotropic", lam, seed, device, th, assume)
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    start = time.perf_counter()
    # InfoNCE learns its temperature from a soft start: at a fixed τ = 1/(2κ) (down to 0.05 here) small
    # encoders fold a latent — 8 of 20 runs in the first calibration, orthogonal score 0.67–0.89; see
    # benchmarks/infonce_temperature.py. Same claim, group and metrics: it borrows C3's thresholds.
    run = train(process, InfoNCE.learned(), seed, device)
    score, _, detail = _score(run, group)
    kappa_error = abs(run.loss.concentration - lam[0]) / lam[0]
    out.append(_outcome("C3.infonce-recovery", "C3", "recovery", "InfoNCE (learned τ)", "isotropic", group.name, [
        Criterion("score", score, ">=", th["C3.recovery.score"]),
        Criterion("lam_error", kappa_error, "<=", th["C3.recovery.lam_error"])],
        {"lam": list(lam), "seed": seed}, _base_detail(run) | detail | {"concentration": run.loss.concentration},
        start))
    return out


def case_c4(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C4 on content/style spectra: AnInfoNCE keeps the heavily augmented style latents; InfoNCE, with τ
    matched to the content, loses them (control: its worst style R² falls below AnInfoNCE's threshold)."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    style = [i for i, v in enumerate(lam) if v < max(lam)]
    params = {"lam": list(lam), "seed": seed, "style": style}
    out = []
    for evidence, name, make in (("recovery", "AnInfoNCE", aninfonce), ("control", "InfoNCE", infonce)):
        start = time.perf_counter()
        run = train(process, make(process), seed, device)
        r2 = metrics.r2_per_latent(run.z, run.h)
        out.append(_outcome(f"C4.{evidence}", "C4", evidence, name, "content-style", "linear (style latents)", [
            Criterion("style_r2", float(r2[style].min()), ">=", th["C4.recovery.style_r2"])], params,
            _base_detail(run), start))
    return out


def case_c5(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C5, outputs not normalized: only a linear map is identified (linear R² high); a signed permutation
    is not (control)."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    params = {"lam": list(lam), "seed": seed}
    start = time.perf_counter()
    run = train(process, aninfonce(process), seed, device, normalize=False)
    detail = _base_detail(run)
    recovery = _outcome("C5.recovery", "C5", "recovery", "AnInfoNCE (unnormalized)", "distinct", "linear", [
        Criterion("linear_r2", detail["r2"], ">=", th["C5.recovery.linear_r2"])], params, detail, start)
    strong = Indeterminacy.signed_permutation(len(lam))
    score, perm, strong_detail = _score(run, strong)
    control = _outcome("C5.control", "C5", "control", "AnInfoNCE (unnormalized)", "distinct", strong.name, [
        Criterion("score", score, ">=", th["C1.recovery.score"])], params,
        detail | strong_detail | {"lam_error": _lam_error(run.lam_hat, lam, perm)}, start)
    return [recovery, control]


def case_c6(example, seed, device="cpu", th=None, assume=None, estimator: str = "weighted") -> list[Outcome]:
    """C6, hard negatives q ∝ exp(β zᵀz⁻): Λ̂ → permuted Λ - (β/2)I with the same signed-permutation
    recovery; Λ̂ ≠ Λ (control: Λ̂'s error against the uncorrected Λ is larger than against Λ - (β/2)I).

    Two estimators of the hard-negative loss, each its own case:

    * ``"weighted"`` (case C6): Robinson et al.'s importance-weighted in-batch negatives (``hard_beta``);
    * ``"vmf"`` (case C6.vmf): explicit negatives drawn per anchor from vMF(z, β) in latent space. They
      only constrain the map locally, and from scratch the encoder folds a latent (measured: d = 3,
      R² 0.665); so, like the anchor negatives of every check, they replace the in-batch negatives
      after the first quarter of training (``Budget.late_from``). Same criteria and thresholds as C6.
    """
    _validate.choice(estimator, ("weighted", "vmf"), "hard-negative estimator")
    th = thresholds() if th is None else th
    lam, beta = example
    group = predicted_group(lam)
    effective = hard_negative_spectrum(lam, beta)
    params = {"lam": list(lam), "beta": beta, "lam_eff": list(effective), "seed": seed, "estimator": estimator}
    start = time.perf_counter()
    if estimator == "vmf":
        prefix, loss_name = "C6.vmf-", "AnInfoNCE (vMF hard negatives)"
        process = _process(assume, lam=lam, seed=seed, hard_negative_beta=beta)
        run = train(process, aninfonce(process), seed, device)
    else:
        prefix, loss_name = "C6.", "AnInfoNCE (hard negatives)"
        process = _process(assume, lam=lam, seed=seed)
        run = train(process, aninfonce(process, hard_beta=beta), seed, device)
    score, perm, detail = _score(run, group)
    detail = _base_detail(run) | detail
    error_eff, error_lam = _lam_error(run.lam_hat, effective, perm), _lam_error(run.lam_hat, lam, perm)
    recovery = _outcome(f"{prefix}recovery", "C6", "recovery", loss_name, "distinct", group.name, [
        Criterion("score", score, ">=", th["C6.recovery.score"]),
        Criterion("lam_error", error_eff, "<=", th["C6.recovery.lam_error"])], params, detail, start)
    # Control: Λ̂ fits the uncorrected Λ at least as well as Λ - (β/2)I — C6 says it cannot.
    control = _outcome(f"{prefix}control", "C6", "control", loss_name, "distinct", "Λ̂ vs Λ", [
        Criterion("lam_error", error_lam, "<=", error_eff)], params, detail, start)
    return [recovery, control]


def case_c7(example, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C7, an ensemble over two augmentation families with crossing ties: recovery up to the common
    refinement of their tie groups; one family alone cannot separate that far (control)."""
    th = thresholds() if th is None else th
    first, second = example
    group = ensemble_group([first, second])
    params = {"lam": list(first), "families": [list(second)], "seed": seed}
    ensemble = _process(assume, lam=first, families=(second,), seed=seed)
    start = time.perf_counter()
    run = train(ensemble, EnsembleAnInfoNCE(ensemble.dim, 2), seed, device)
    score, perm, detail = _score(run, group)
    lam_error = max(_lam_error(row, lam, perm) for row, lam in zip(run.lam_hat, (first, second)))
    recovery = _outcome("C7.recovery", "C7", "recovery", "EnsembleAnInfoNCE", "ensemble", group.name, [
        Criterion("score", score, ">=", th["C7.recovery.score"]),
        Criterion("lam_error", lam_error, "<=", th["C7.recovery.lam_error"])], params,
        _base_detail(run) | detail, start)
    start = time.perf_counter()
    single = _process(assume, lam=first, seed=seed)
    run = train(single, aninfonce(single), seed, device)
    _, _, detail = _score(run, group)
    score, both = _stronger_group_in_both_runs(run, single, seed, device, group)
    detail |= both
    control = _outcome("C7.control", "C7", "control", "AnInfoNCE (first family only, two runs)", "ensemble",
                       group.name, [
        Criterion("worst_latent_score", score, ">=", th["C7.recovery.score"])], params, _base_detail(run) | detail,
        start)
    return [recovery, control]


#: offset of the second training seed in the controls that need two runs
SECOND_RUN = 7919


def _stronger_group_in_both_runs(first: Run, process, seed, device, group: Indeterminacy) -> tuple[float, dict]:
    """The controls of C2, C3 and C7 ask whether a stronger group than the theory allows is *identified*.

    The theory says the extra rotation is arbitrary — set by the initialization — so a single run can land
    near the stronger group by chance: measured in calibration with the mean score, single runs reached
    the C1 threshold in 6 of 20 (C2) and 3 of 20 (C3), and the first C7 family alone scored 0.74–0.96
    over the refinement, because a mean over a block hides the one latent the stronger group would
    single out. So the control asks for every latent (the worst latent's score under the stronger
    group; a correct recovery has it within ~0.01 of the mean) and for two runs from different
    initializations (not identified = not attained consistently), and keeps the smaller value."""
    second = train(process, aninfonce(process), seed + SECOND_RUN, device)
    worst = [float(group.score(run.z, run.h).within.min()) for run in (first, second)]
    return min(worst), {"worst_latent_scores": worst, "second_run_seed": seed + SECOND_RUN}


def _scaled_lam_error(run: Run, lam, perm, p: float) -> float:
    """C8: max relative error of λ̂_i |s_i|^p against λ_π(i), s_i the slope of output i on its latent."""
    slopes = np.array([np.polyfit(run.z[:, i], run.h[:, perm[i]], 1)[0] for i in range(len(lam))])
    scaled = np.asarray(run.lam_hat)[perm] * np.abs(slopes) ** p
    return float((np.abs(scaled - np.asarray(lam)) / np.asarray(lam)).max())


def case_c8(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C8, anisotropic L1 (Laplace) on the box with a uniform marginal: the Lp AnInfoNCE (p = 1) recovers
    a signed permutation with per-axis scaling and offset **even across ties**, and λ̂_i |s_i| = λ_π(i).
    Control: the L2 critic (p = 2) on the same data keeps the rotation symmetry inside a tie (as on the
    sphere, C2), so a signed permutation is not recovered — C8 needs p ≠ 2."""
    from .losses import LpAnInfoNCE

    th = thresholds() if th is None else th
    group = Indeterminacy.signed_permutation(len(lam))
    process = _process(assume, lam=lam, space="box", conditional="laplace", seed=seed)
    params = {"lam": list(lam), "seed": seed, "space": "box", "conditional": "laplace"}
    out = []
    for evidence, p in (("recovery", 1.0), ("control", 2.0)):
        start = time.perf_counter()
        run = train(process, LpAnInfoNCE(process.dim, p=p), seed, device, normalize=False)
        score, perm, detail = _score(run, group)
        criteria = [Criterion("score", score, ">=", th["C8.recovery.score"])]
        if evidence == "recovery":
            criteria.append(Criterion("lam_error", _scaled_lam_error(run, lam, perm, p), "<=",
                                      th["C8.recovery.lam_error"]))
        out.append(_outcome(f"C8.{evidence}", "C8", evidence, f"LpAnInfoNCE (p = {p:g})", "box, Laplace",
                            group.name, criteria, params, _base_detail(run) | detail, start))
    return out


def case_c8_violation(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C8's assumption violated: R^d latents with a standard normal (not uniform) marginal. The same
    criteria are recorded and reported, never asserted."""
    from .losses import LpAnInfoNCE

    th = thresholds() if th is None else th
    group = Indeterminacy.signed_permutation(len(lam))
    process = _process(assume, lam=lam, space="euclidean", conditional="laplace", seed=seed)
    start = time.perf_counter()
    run = train(process, LpAnInfoNCE(process.dim, p=1.0), seed, device, normalize=False)
    score, perm, detail = _score(run, group)
    return [_outcome("C8.violation", "C8", "reported", "LpAnInfoNCE (p = 1)", "R^d (normal marginal), Laplace",
                     group.name, [Criterion("score", score, ">=", th["C8.recovery.score"]),
                                  Criterion("lam_error", _scaled_lam_error(run, lam, perm, 1.0), "<=",
                                            th["C8.recovery.lam_error"])],
                     {"lam": list(lam), "seed": seed, "space": "euclidean", "conditional": "laplace"},
                     _base_detail(run) | detail, start)]


@st.composite
def hard_negative_examples(draw, **spectrum):
    """A distinct spectrum and β ∈ [0.6, 1.2] min λ (< 2 min λ, and a shift Λ̂ must visibly follow)."""
    lam = draw(strategies.distinct_spectra(**spectrum))
    return lam, round(min(lam) * draw(st.floats(0.6, 1.2)), 6)


@dataclass(frozen=True)
class Case:
    name: str
    claim: str
    run: Callable[..., list[Outcome]]
    examples: Callable[[int], st.SearchStrategy]  # max_dim -> strategy of examples


_DISTINCT = {"min_gap": 0.6, "max_gap": 1.0, "low": 2.0, "high": 5.0}


def _C8_SPECTRA(max_dim):  # noqa: N802 - a strategy factory, named like the others' constants
    return strategies.tied_spectra(4, max(max_dim, 4), 0.5, 1.0, 4.0, 10.0, min_block=3, min_groups=2)


CASES = {c.name: c for c in (
    Case("C1", "C1", case_c1, lambda m: strategies.distinct_spectra(3, m, **_DISTINCT)),
    Case("C2", "C2", case_c2, lambda m: strategies.tied_spectra(4, m, 0.5, 1.0, 2.0, 5.0, min_block=3, min_groups=2)),
    Case("C3", "C3", case_c3, lambda m: strategies.isotropic_spectra(3, m, 2.0, 10.0)),
    Case("C4", "C4", case_c4, lambda m: strategies.content_style_spectra(4, m, 3, (8.0, 15.0), (4.0, 8.0))),
    Case("C5", "C5", case_c5, lambda m: strategies.distinct_spectra(3, m, **_DISTINCT)),
    Case("C6", "C6", case_c6, lambda m: hard_negative_examples(min_dim=3, max_dim=m, **_DISTINCT)),
    Case("C6.vmf", "C6", functools.partial(case_c6, estimator="vmf"),
         lambda m: hard_negative_examples(min_dim=3, max_dim=m, **_DISTINCT)),
    Case("C7", "C7", case_c7, lambda m: strategies.ensemble_spectra(4, max(m, 4))),
    # λ 4…10 on the box [-1, 1]: mean |ε| = 1/λ stays well inside it. A tie of ≥ 3 latents: C8 says it
    # does not matter, and the p = 2 control then cannot line up with the axes by chance.
    Case("C8", "C8", case_c8, lambda m: _C8_SPECTRA(m)),
    Case("C8.violation", "C8", case_c8_violation, lambda m: _C8_SPECTRA(m)),
)}


@dataclass(frozen=True)
class Profile:
    examples: int  # examples per case
    max_dim: int  # the thresholds are calibrated up to d = 4 (benchmarks/calibrate.py --max-dim to go further)


PROFILES = {"quick": Profile(1, 4), "ci": Profile(1, 4), "dev": Profile(1, 4), "thorough": Profile(10, 4)}


def active_profile() -> str:
    """The hypothesis profile loaded now (by conftest.py or --hypothesis-profile), if it is one of ours."""
    for name in ("thorough", "ci", "dev"):
        try:
            if settings.get_profile(name).max_examples == settings.default.max_examples:
                return name
        except Exception:  # noqa: BLE001 - profile not registered (library use outside pytest)
            continue
    return "quick"


def draw_examples(case: Case, count: int, max_dim: int = 4, seed: int = 0) -> list[tuple]:
    """``count`` (example, training seed) pairs from the case's strategy, reproducibly, with distinct
    examples and distinct seeds (hypothesis likes to repeat its simplest values; the seed sets the
    mixing, the initialization and the data, so repeating it would hide most of the variance)."""
    found: list[tuple] = []

    @hypothesis_seed(seed)
    @settings(max_examples=50 * count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case.examples(max_dim), st.integers(0, 2**16))
    def collect(example, training_seed):
        if len(found) < count and all(example != e and training_seed != s for e, s in found):
            found.append((example, training_seed))

    collect()
    if len(found) < count:
        raise RuntimeError(f"could only draw {len(found)} distinct examples for {case.name}")
    return found


def run_case(name: str, example, seed: int, device: str = "cpu", th: dict | None = None,
             assume: dict | None = None) -> list[Outcome]:
    """Run one case on one example; a failure inside becomes an error record, not an exception.
    ``assume``: {"conditional": name, "mixing": name} replaces the default assumptions where they fit."""
    case = CASES[name]
    try:
        outcomes = case.run(example, seed, device, th, assume=assume)
        for o in outcomes:
            o.params |= {k: v for k, v in (assume or {}).items()}
        return outcomes
    except Exception as err:  # noqa: BLE001 - recorded: the rest of the suite goes on
        return [Outcome(f"{name}.error", case.claim, "recovery", "-", "-", "-", [], {"example": repr(example),
                        "seed": seed}, error=f"{type(err).__name__}: {err}")]


def run_jobs(jobs: list[tuple[str, object, int]], device: str = "cpu", workers: int = 1, th: dict | None = None,
             on_done: Callable[[tuple, list[Outcome]], None] | None = None,
             assume: dict | None = None, executor=None) -> list[Outcome]:
    """Run (case name, example, seed) jobs on ``executor`` (see :mod:`idtheory.executors`; default: local,
    in ``workers`` processes when > 1); ``on_done`` sees each job's outcomes as soon as it finishes (so an
    interrupted run keeps what it did)."""
    from .executors import LocalExecutor

    executor = executor or LocalExecutor(workers)
    outcomes: list[Outcome] = []

    def done(job, result):
        outcomes.extend(result)
        if on_done is not None:
            on_done(job[:3], result)

    executor.run(run_case, [(*job, device, th, assume) for job in jobs], done)
    return outcomes


# --- symmetry evidence (no training) -----------------------------------------------------------------


def _symmetry_outcome(claim: str, loss: str, params: dict, result, expect_outside: str, tol: float = 1e-9,
                      start: float = 0.0) -> Outcome:
    """``expect_outside``: "broken" (the loss changes outside the group) or "invariant" (it does not)."""
    criteria = [Criterion("within", result.within, "<=", tol)]
    if math.isfinite(result.outside):
        criteria.append(Criterion("outside", result.outside, ">=", 1e3 * tol) if expect_outside == "broken"
                        else Criterion("outside", result.outside, "<=", tol))
    return Outcome(f"{claim}.symmetry", claim, "symmetry", loss, "-", result.group, criteria, params,
                   seconds=time.perf_counter() - start)


def symmetry_outcomes(claims: list[str] | None = None, seed: int = 0) -> list[Outcome]:
    """The loss is invariant under every element of the predicted group (Λ̂ transformed along) and, where
    something lies outside the group, not invariant there. Canonical spectra (paper convention)."""
    from .symmetry import check_affine_symmetry, check_symmetry

    first, second = (3.0, 2.0, 2.0, 2.0), (3.0, 2.0, 3.0, 2.0)
    iso = (5.0,) * 4

    def an(lam, **kw):
        return lambda perm: AnInfoNCE(len(lam), init=tuple(lam[k] for k in perm), negatives="anchors", **kw)

    def ensemble(perm):
        loss = EnsembleAnInfoNCE(4, 2, negatives="anchors")
        for member, lam in zip(loss.members, (first, second)):
            member.log_lam.data = torch.tensor([lam[k] for k in perm]).log()
        return loss

    beta = 2.0
    effective = hard_negative_spectrum(strategies.LINSPACE, beta)
    lp_lam = (6.0, 6.0, 12.0)

    def lp(perm):
        from .losses import LpAnInfoNCE

        return LpAnInfoNCE(3, init=tuple(lp_lam[k] for k in perm), negatives="anchors")

    specs = {
        "C1": ("AnInfoNCE", {"lam": strategies.LINSPACE}, lambda: check_symmetry(an(strategies.LINSPACE),
                                                                                  strategies.LINSPACE, seed), "broken"),
        "C2": ("AnInfoNCE", {"lam": strategies.BIMODAL}, lambda: check_symmetry(an(strategies.BIMODAL),
                                                                                 strategies.BIMODAL, seed), "broken"),
        "C3": ("AnInfoNCE", {"lam": iso}, lambda: check_symmetry(an(iso), iso, seed), "broken"),
        # InfoNCE's loss does not change under rotations that mix latents of different λ: its symmetry
        # group is O(d) whatever Λ is, larger than the signed permutations C1 allows.
        "C4": ("InfoNCE", {"lam": strategies.LINSPACE},
               lambda: check_symmetry(lambda perm: InfoNCE(0.1, negatives="anchors"), strategies.LINSPACE, seed),
               "invariant"),
        "C5": ("AnInfoNCE (unnormalized)", {"lam": strategies.LINSPACE},
               lambda: check_affine_symmetry(strategies.LINSPACE, seed), "broken"),
        # Hard negatives: with Λ̂ = Λ_eff the loss keeps exactly Λ's signed-permutation symmetry.
        "C6": ("AnInfoNCE (hard negatives)", {"lam": strategies.LINSPACE, "beta": beta},
               lambda: check_symmetry(an(effective, hard_beta=beta), strategies.LINSPACE, seed,
                                      group=predicted_group(effective)), "broken"),
        "C7": ("EnsembleAnInfoNCE", {"lam": first, "families": [second]},
               lambda: check_symmetry(ensemble, GenerativeProcess(lam=first, families=(second,)), seed,
                                      group=ensemble_group([first, second])), "broken"),
        # L1 with a tie: still only signed permutations — a rotation inside the tie changes the loss (p ≠ 2)
        "C8": ("LpAnInfoNCE (p = 1)", {"lam": lp_lam, "space": "box"},
               lambda: check_symmetry(lp, GenerativeProcess(lam=lp_lam, space="box", conditional="laplace"), seed,
                                      group=Indeterminacy.signed_permutation(3)), "broken"),
    }
    out = []
    for claim in claims or list(specs):
        loss, params, check, expect = specs[claim]
        start = time.perf_counter()
        tol = 1e-7 if claim == "C5" else 1e-9  # C5 rescales by e^{±3}: float64 round-off grows with it
        out.append(_symmetry_outcome(claim, loss, params | {"seed": seed}, check(), expect, tol, start))
    return out


def optimum_outcomes(claims: list[str] | None = None, seed: int = 0, make_loss=None, name: str = "AnInfoNCE",
                     ) -> list[Outcome]:
    """C1's first step, numerically: at h = id and Λ̂ = Λ the expected gradient of the loss vanishes (the
    optimal critic is the log density ratio for any number of negatives), and at Λ̂ = 1.5 Λ it does not."""
    from .symmetry import check_optimum

    if claims and "C1" not in claims:
        return []
    lam = (2.0, 3.2, 5.12)
    make_loss = make_loss or (lambda lam_hat: AnInfoNCE(len(lam_hat), init=lam_hat, negatives="anchors"))
    start = time.perf_counter()
    result = check_optimum(make_loss, lam, seed)
    criteria = [Criterion("t_at_optimum", result.at_optimum, "<=", 4.0),
                Criterion("t_perturbed", result.perturbed, ">=", 10.0)]
    return [Outcome("C1.optimum", "C1", "optimum", name, "distinct", "h = id, Λ̂ = Λ", criteria,
                    {"lam": list(lam), "seed": seed}, seconds=time.perf_counter() - start)]


# --- proofs, and the whole suite ---------------------------------------------------------------------


def proof_outcomes(claims: list[str] | None = None, directory=None) -> list[Outcome]:
    """Verify the sympy derivations of ``idtheory.proofs`` (every step, the conclusion against the claim
    registry, the numerical cross-check)."""
    from .proving import load_derivations

    out = []
    for name, derivation in sorted(load_derivations(directory).items(), key=lambda kv: (kv[1].claim, kv[0])):
        if claims and derivation.claim not in claims:
            continue
        v = derivation.verify()
        criteria = [Criterion("steps_not_proved", float(sum(s is not True for s in v.steps)), "<=", 0.0),
                    Criterion("conclusion_matches_claim", float(v.conclusion_matches), ">=", 1.0)]
        if v.numeric is not None:
            criteria.append(Criterion("numeric_check", float(v.numeric), ">=", 1.0))
        out.append(Outcome(f"{v.claim}.proof", v.claim, "proof", "-", "-", name, criteria,
                           {"derivation": name, "steps": len(v.steps), "scope": v.scope,
                            "general_d": v.general_d}, seconds=v.seconds))
    return out


def training_jobs(profile: str = "quick", claims: list[str] | None = None, seed: int = 1) -> list[tuple]:
    """(case, example, seed) for every training case of ``claims`` under ``profile``."""
    from . import _validate

    prof = PROFILES[_validate.choice(profile, tuple(PROFILES), "profile")]
    return [(name, example, s) for name, case in CASES.items() if not claims or case.claim in claims
            for example, s in draw_examples(case, prof.examples, prof.max_dim, seed)]


def validate_claims(only: str | list[str] | None) -> list[str]:
    """Parse ``"C1,C3"`` (or a list) into known claim ids of the suite; default: every claim whose
    thresholds are calibrated."""
    claims = sorted({c.claim for c in CASES.values()})
    if only is None or only == "":
        return [c for c in claims if calibrated(c)]
    items = [c.strip().upper() for c in (only.split(",") if isinstance(only, str) else only) if c.strip()]
    unknown = [c for c in items if c not in claims]
    if unknown:
        raise ValueError(f"unknown claim(s) {unknown}; allowed: {', '.join(claims)}")
    return items
