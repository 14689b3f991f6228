"""Evidence without training: the symmetry of each loss under its predicted group, the optimum's
stationarity, and the sympy derivations — each as Outcome records."""

from __future__ import annotations

import math
import time

import torch

from .. import strategies
from ..claims import ensemble_group, hard_negative_spectrum, predicted_group
from ..indeterminacy import Indeterminacy
from ..losses import AnInfoNCE, EnsembleAnInfoNCE, InfoNCE
from ..process import GenerativeProcess
from .records import Criterion, Outcome


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
    from ..symmetry import check_affine_symmetry, check_symmetry

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
        from ..losses import LpAnInfoNCE

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
    from ..symmetry import check_optimum

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


def proof_outcomes(claims: list[str] | None = None, directory=None) -> list[Outcome]:
    """Verify the sympy derivations of ``idtheory.proofs`` (every step, the conclusion against the claim
    registry, the numerical cross-check)."""
    from ..proving import load_derivations

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
