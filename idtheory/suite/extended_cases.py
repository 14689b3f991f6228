"""The cases of the extensions: hard negatives (C6), ensembles (C7) and anisotropic L1 on the box (C8)."""

from __future__ import annotations

import time

from .. import _arguments
from ..claims import ensemble_group, hard_negative_spectrum, predicted_group
from ..indeterminacy import Indeterminacy
from ..losses import EnsembleAnInfoNCE
from .records import Criterion, Outcome, thresholds
from .runs import (
    Train,
    _base_detail,
    _lam_error,
    _outcome,
    _process,
    _score,
    _stronger_group_in_both_runs,
    aninfonce,
    check_budget_v2,
    scaled_lam_error,
    two_initializations,
)


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
    _arguments.choice(estimator, ("weighted", "vmf"), "hard-negative estimator")
    th = thresholds() if th is None else th
    lam, beta = example
    group = predicted_group(lam)
    effective = hard_negative_spectrum(lam, beta)
    params = {"lam": list(lam), "beta": beta, "lam_eff": list(effective), "seed": seed, "estimator": estimator}
    start = time.perf_counter()
    if estimator == "vmf":
        prefix, loss_name = "C6.vmf-", "AnInfoNCE (vMF hard negatives)"
        process = _process(assume, lam=lam, seed=seed, hard_negative_beta=beta)
        run = yield Train(process, aninfonce(process), seed)
    else:
        prefix, loss_name = "C6.", "AnInfoNCE (hard negatives)"
        process = _process(assume, lam=lam, seed=seed)
        run = yield Train(process, aninfonce(process, hard_beta=beta), seed)
    score, perm, detail = _score(run, group)
    detail = _base_detail(run) | detail
    error_eff, error_lam = _lam_error(run.lam_hat, effective, perm), _lam_error(run.lam_hat, lam, perm)
    # The importance-weighted estimator's recovery is reported, not asserted: out of sample it fails far
    # more often than a check may (the evidence issue measured 2 of 4; at the calibration's floor bounds,
    # 0.8 / 0.3), e.g. score 0.61 at β = 1.14 min λ, where Λ_eff's smallest entry is 1.2. The vMF estimator's
    # recovery (C6.vmf) is the asserted recovery evidence of C6.
    recovery = _outcome(f"{prefix}recovery", "C6", "recovery" if estimator == "vmf" else "reported", loss_name,
                        "distinct", group.name, [
        Criterion("score", score, ">=", th["C6.recovery.score"]),
        Criterion("lam_error", error_eff, "<=", th["C6.recovery.lam_error"])], params, detail, start)
    # Control: Λ̂ fits the uncorrected Λ at least as well as Λ - (β/2)I — C6 says it cannot.
    # its control compares the recovered Λ̂ with Λ and Λ_eff: reported with the recovery it depends on
    control = _outcome(f"{prefix}control", "C6", "control" if estimator == "vmf" else "reported", loss_name,
                       "distinct", "Λ̂ vs Λ", [
        Criterion("lam_error", error_lam, "<=", error_eff)], params, detail, start)
    return [recovery, control]


def case_c7(example, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C7, an ensemble over two augmentation families with crossing ties: recovery up to the common
    refinement of their tie groups; one family alone cannot separate that far (control). Every run trains with
    ``check_budget_v2`` (at the check budget 13 of 104 evaluation recoveries fell short, most of them mixing
    two latents whose Λ̂ entries had drifted together, as C1's did)."""
    th = thresholds() if th is None else th
    first, second = example
    group = ensemble_group([first, second])
    params = {"lam": list(first), "families": [list(second)], "seed": seed}
    ensemble = _process(assume, lam=first, families=(second,), seed=seed)
    single = _process(assume, lam=first, seed=seed)
    start = time.perf_counter()
    budget = check_budget_v2(len(first))
    run, first_run, second_run = yield [Train(ensemble, EnsembleAnInfoNCE(ensemble.dim, 2), seed, budget=budget),
                                        *two_initializations(single, seed, budget=budget)]
    score, perm, detail = _score(run, group)
    lam_error = max(_lam_error(row, lam, perm) for row, lam in zip(run.lam_hat, (first, second)))
    recovery = _outcome("C7.recovery", "C7", "recovery", "EnsembleAnInfoNCE", "ensemble", group.name, [
        Criterion("score", score, ">=", th["C7.recovery.score"]),
        Criterion("lam_error", lam_error, "<=", th["C7.recovery.lam_error"])], params,
        _base_detail(run) | detail, start)
    start = time.perf_counter()
    run, second = first_run, second_run
    _, _, detail = _score(run, group)
    score, both = _stronger_group_in_both_runs(run, second, seed, group)
    detail |= both
    control = _outcome("C7.control", "C7", "control", "AnInfoNCE (first family only, two runs)", "ensemble",
                       group.name, [
        Criterion("worst_latent_score", score, ">=", th["C7.recovery.score"])], params, _base_detail(run) | detail,
        start)
    return [recovery, control]


def case_c8(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C8, anisotropic L1 (Laplace) on the box with a uniform marginal: the Lp AnInfoNCE (p = 1) recovers
    a signed permutation with per-axis scaling and offset **even across ties**, and λ̂_i |s_i| = λ_π(i).
    Control: the L2 critic (p = 2) on the same data keeps the rotation symmetry inside a tie (as on the
    sphere, C2), so a signed permutation is not recovered — C8 needs p ≠ 2."""
    from ..losses import LpAnInfoNCE

    th = thresholds() if th is None else th
    group = Indeterminacy.signed_permutation(len(lam))
    process = _process(assume, lam=lam, space="box", conditional="laplace", seed=seed)
    params = {"lam": list(lam), "seed": seed, "space": "box", "conditional": "laplace"}
    out = []
    kinds = (("recovery", 1.0), ("control", 2.0))
    start = time.perf_counter()
    runs = yield [Train(process, LpAnInfoNCE(process.dim, p=p), seed, normalize=False, control=evidence == "control")
                  for evidence, p in kinds]
    for (evidence, p), run in zip(kinds, runs):
        score, perm, detail = _score(run, group)
        criteria = [Criterion("score", score, ">=", th["C8.recovery.score"])]
        if evidence == "recovery":
            criteria.append(Criterion("lam_error", scaled_lam_error(run, lam, perm, p), "<=",
                                      th["C8.recovery.lam_error"]))
        out.append(_outcome(f"C8.{evidence}", "C8", evidence, f"LpAnInfoNCE (p = {p:g})", "box, Laplace",
                            group.name, criteria, params, _base_detail(run) | detail, start))
    return out


def case_c8_violation(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C8's assumption violated: R^d latents with a standard normal (not uniform) marginal. The same
    criteria are recorded and reported, never asserted."""
    from ..losses import LpAnInfoNCE

    th = thresholds() if th is None else th
    group = Indeterminacy.signed_permutation(len(lam))
    process = _process(assume, lam=lam, space="euclidean", conditional="laplace", seed=seed)
    start = time.perf_counter()
    run = yield Train(process, LpAnInfoNCE(process.dim, p=1.0), seed, normalize=False)
    score, perm, detail = _score(run, group)
    return [_outcome("C8.violation", "C8", "reported", "LpAnInfoNCE (p = 1)", "R^d (normal marginal), Laplace",
                     group.name, [Criterion("score", score, ">=", th["C8.recovery.score"]),
                                  Criterion("lam_error", scaled_lam_error(run, lam, perm, 1.0), "<=",
                                            th["C8.recovery.lam_error"])],
                     {"lam": list(lam), "seed": seed, "space": "euclidean", "conditional": "laplace"},
                     _base_detail(run) | detail, start)]
