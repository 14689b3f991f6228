"""The cases of C1–C5 on the sphere: each trains on one example and returns its Outcome records."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from .. import metrics
from ..claims import predicted_group
from ..indeterminacy import Indeterminacy
from ..losses import InfoNCE
from ..process import GenerativeProcess
from .records import SCORE_FLOOR, Criterion, Outcome, thresholds
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
    infonce,
    lower_loss,
    two_initializations,
)

LossFactory = Callable[[GenerativeProcess], torch.nn.Module]


def case_c1(lam, seed, device="cpu", th=None, assume=None, loss: LossFactory | None = None, normalize: bool = True,
            name: str = "AnInfoNCE", control_runs: int = 2, by_loss: bool = True) -> list[Outcome]:
    """C1 on distinct spectra: AnInfoNCE recovers a signed permutation and Λ̂ = permuted Λ (trained with
    ``check_budget_v2``: Λ̂ held at its distinct initialization, then fitted); the same criterion fails for
    InfoNCE with a learned temperature (C4: its symmetry group is all of O(d)) while it keeps every latent
    linearly (``C1.control-fairness``: the control fails for the theory's reason).

    InfoNCE's rotation is set by its initialization, and at d = 3 a Haar-random rotation reaches C1's score
    threshold about one time in five (measured: the single-run control wrongly held in 23 % of the d = 3 runs
    and 8 % of the d = 4 runs of the records file; a Haar rotation 23 % and 6 %). So, like the "not identified"
    controls of C2, C3 and C7, the control trains InfoNCE from two initializations and holds only if both runs
    attain the signed permutation in every latent. ``control_runs`` = 1 scores one run's mean (the band, at
    d = 8–10, where a random rotation never comes near: 0 of 1,500 pass 0.8 at d = 6). AnInfoNCE trains from
    two initializations too, and the recovery is judged on the run of lower training loss (:func:`lower_loss`;
    ``by_loss=False``: one run, as the band was calibrated).

    With ``loss`` (a factory process -> loss module) the recovery check runs on one run of that loss instead,
    without the control: how the mutation tests show that a broken AnInfoNCE is caught."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    params = {"lam": list(lam), "seed": seed}
    out = []
    start = time.perf_counter()
    budget = check_budget_v2(len(lam))
    recovery_runs = 2 if loss is None and by_loss else 1
    requests = two_initializations(process, seed, loss or aninfonce, normalize=normalize,
                                   budget=budget)[:recovery_runs]
    if loss is None:
        requests += two_initializations(process, seed, infonce, control=True, budget=budget)[:control_runs]
    runs = yield requests  # trained together (with other cases' runs, by the runner)
    run, restart = lower_loss(runs[:recovery_runs])
    if restart:
        name = f"{name} (lower loss of two runs)"
    score, perm, detail = _score(run, group)
    detail |= restart
    out.append(_outcome("C1.recovery", "C1", "recovery", name, "distinct", group.name, [
        Criterion("score", score, ">=", th["C1.recovery.score"]),
        Criterion("lam_error", _lam_error(run.lam_hat, lam, perm) if run.lam_hat else math.inf, "<=",
                  th["C1.recovery.lam_error"])], params, _base_detail(run) | detail, start))
    if loss is not None:
        return out
    start = time.perf_counter()
    controls = runs[recovery_runs:]
    score, _, detail = _score(controls[0], group)
    detail = _base_detail(controls[0]) | detail
    if len(controls) == 1:
        criterion = Criterion("score", score, ">=", th["C1.recovery.score"])
    else:
        worst, both = _stronger_group_in_both_runs(*controls, seed, group)
        criterion = Criterion("worst_latent_score", worst, ">=", th["C1.recovery.score"])
        detail |= both
    runs_named = ", two runs" if len(controls) > 1 else ""
    out.append(_outcome("C1.control", "C1", "control", f"InfoNCE (learned τ{runs_named})", "distinct", group.name,
                        [criterion], params, detail, start))
    # The control is fair only if InfoNCE kept every latent in every run it judges (a fold is not the theory's
    # reason to fail): each latent's linear R² at least SCORE_FLOOR. Not AnInfoNCE's recovery bar (C5's
    # threshold): under anisotropy InfoNCE loses a little of the most augmented latents (C4) without folding
    # any — measured on C5's 100 calibration runs at lr 0.004, that bar (0.992) failed 72 of InfoNCE's 100
    # evaluation runs, whose worst R² was 0.979 — while a folded latent keeps R² near 0.
    kept = min(float(metrics.r2_per_latent(c.z, c.h).min()) for c in controls)
    out.append(_outcome("C1.control-fairness", "C1", "fairness", "InfoNCE (learned τ)", "distinct", "linear", [
        Criterion("worst_latent_r2", kept, ">=", SCORE_FLOOR)], params, detail, start))
    return out


def _recovery_and_stronger_group(claim, family, lam, seed, device, th, assume, by_loss=True) -> list[Outcome]:
    """Train AnInfoNCE (``check_budget_v2``) from two initializations; recovery up to Λ's tie blocks (with Λ̂)
    on the run of lower training loss (:func:`lower_loss`; ``by_loss=False``: the first run, as the d = 8–10
    bands were calibrated), and the stronger group that ties (C2) or isotropy (C3) rule out — a signed
    permutation, in every latent of both runs — as the control."""
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    params = {"lam": list(lam), "seed": seed}
    start = time.perf_counter()
    run, second = yield two_initializations(process, seed, budget=check_budget_v2(len(lam)))  # trained together
    chosen, restart = lower_loss([run, second] if by_loss else [run])
    score, perm, detail = _score(chosen, group)
    name = "AnInfoNCE (lower loss of two runs)" if restart else "AnInfoNCE"
    recovery = _outcome(f"{claim}.recovery", claim, "recovery", name, family, group.name, [
        Criterion("score", score, ">=", th[f"{claim}.recovery.score"]),
        Criterion("lam_error", _lam_error(chosen.lam_hat, lam, perm), "<=", th[f"{claim}.recovery.lam_error"])],
        params, _base_detail(chosen) | detail | restart, start)
    strong = Indeterminacy.signed_permutation(len(lam))
    _, _, strong_detail = _score(run, strong)
    strong_score, both = _stronger_group_in_both_runs(run, second, seed, strong)
    control = _outcome(f"{claim}.control", claim, "control", "AnInfoNCE (two runs)", family, strong.name, [
        Criterion("worst_latent_score", strong_score, ">=", th["C1.recovery.score"])], params,
        _base_detail(run) | strong_detail | both, start)
    return [recovery, control]


def case_c2(lam, seed, device="cpu", th=None, assume=None, by_loss=True) -> list[Outcome]:
    """C2 on tied spectra: block-orthogonal recovery over the tie groups; a signed permutation (the
    stronger group) is not attained (control, scored on the same encoders)."""
    th = thresholds() if th is None else th
    return (yield from _recovery_and_stronger_group("C2", "tied", lam, seed, device, th, assume, by_loss))


def case_c3(lam, seed, device="cpu", th=None, assume=None, by_loss=True) -> list[Outcome]:
    """C3, Λ = κI: AnInfoNCE and InfoNCE both recover z up to a rotation, with Λ̂ = κI and 1/(2τ̂) = κ;
    a signed permutation is not attained (control)."""
    th = thresholds() if th is None else th
    out = yield from _recovery_and_stronger_group("C3", "isotropic", lam, seed, device, th, assume, by_loss)
    process = _process(assume, lam=lam, seed=seed)
    group = predicted_group(lam)
    start = time.perf_counter()
    # InfoNCE learns its temperature from a soft start: at a fixed τ = 1/(2κ) (down to 0.05 here) small
    # encoders fold a latent — 8 of 20 runs in the first calibration, orthogonal score 0.67–0.89; see
    # benchmarks/infonce_temperature.py. Same claim, group and metrics: it borrows C3's thresholds.
    run = yield Train(process, InfoNCE.learned(), seed, budget=check_budget_v2(len(lam)))
    score, _, detail = _score(run, group)
    kappa_error = abs(run.loss.concentration - lam[0]) / lam[0]
    out.append(_outcome("C3.infonce-recovery", "C3", "recovery", "InfoNCE (learned τ)", "isotropic", group.name, [
        Criterion("score", score, ">=", th["C3.recovery.score"]),
        Criterion("lam_error", kappa_error, "<=", th["C3.recovery.lam_error"])],
        {"lam": list(lam), "seed": seed}, _base_detail(run) | detail | {"concentration": run.loss.concentration},
        start))
    return out


def case_c4(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C4 on content/style spectra: AnInfoNCE keeps the heavily augmented style latents (judged on the
    lower-loss of two runs: :func:`lower_loss`); InfoNCE, with a learned temperature (the fair control of C1),
    loses them (control, one run: its worst style R² falls below AnInfoNCE's threshold; the report states
    the margin, however small)."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    style = [i for i, v in enumerate(lam) if v < max(lam)]
    params = {"lam": list(lam), "seed": seed, "style": style}
    start = time.perf_counter()
    *recovered, control = yield [*two_initializations(process, seed), Train(process, infonce(process), seed,
                                                                             control=True)]
    run, restart = lower_loss(recovered)
    out = []
    for evidence, name, judged, detail in (("recovery", "AnInfoNCE (lower loss of two runs)", run, restart),
                                           ("control", "InfoNCE (learned τ)", control, {})):
        r2 = metrics.r2_per_latent(judged.z, judged.h)
        out.append(_outcome(f"C4.{evidence}", "C4", evidence, name, "content-style", "linear (style latents)", [
            Criterion("style_r2", float(r2[style].min()), ">=", th["C4.recovery.style_r2"])], params,
            _base_detail(judged) | detail, start))
    return out


def case_c5(lam, seed, device="cpu", th=None, assume=None) -> list[Outcome]:
    """C5, outputs not normalized: only a linear map is identified (linear R² high, judged on the lower-loss
    of two runs from different initializations); a signed permutation is not (control: both runs, every
    latent, as C1's control), and neither is Λ̂ (``C5.control-lam``: Λ̂ misses Λ by more than C1's threshold)."""
    th = thresholds() if th is None else th
    process = _process(assume, lam=lam, seed=seed)
    params = {"lam": list(lam), "seed": seed}
    start = time.perf_counter()
    run, second = yield two_initializations(process, seed, normalize=False, budget=check_budget_v2(len(lam)))
    chosen, restart = lower_loss([run, second])
    recovered = _base_detail(chosen) | restart
    recovery = _outcome("C5.recovery", "C5", "recovery", "AnInfoNCE (unnormalized, lower loss of two runs)",
                        "distinct", "linear", [
        Criterion("linear_r2", recovered["r2"], ">=", th["C5.recovery.linear_r2"])], params, recovered, start)
    detail = _base_detail(run)
    strong = Indeterminacy.signed_permutation(len(lam))
    _, perm, strong_detail = _score(run, strong)
    worst, both = _stronger_group_in_both_runs(run, second, seed, strong)
    lam_error = _lam_error(run.lam_hat, lam, perm)
    control = _outcome("C5.control", "C5", "control", "AnInfoNCE (unnormalized, two runs)", "distinct", strong.name, [
        Criterion("worst_latent_score", worst, ">=", th["C1.recovery.score"])], params,
        detail | strong_detail | both | {"lam_error": lam_error}, start)
    # C5's second half: Λ̂ is not identified either (any Λ̂' fits with h rescaled), so it stays farther from Λ
    # than C1's calibrated Λ̂ error allows.
    lam_control = _outcome("C5.control-lam", "C5", "control", "AnInfoNCE (unnormalized)", "distinct", "Λ̂ vs Λ", [
        Criterion("lam_error", lam_error, "<=", th["C1.recovery.lam_error"])], params, detail, start)
    return [recovery, control, lam_control]
