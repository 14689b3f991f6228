"""Step 5 of the theorem (C1–C3), for any dimension: an orthogonal O with OᵀΛ̂O = Λ (Λ̂, Λ positive
diagonal) satisfies Λ̂O = OΛ, entrywise O_ij(λ̂_i - λ_j) = 0; so O = P·B with B block-orthogonal over
the tie groups of Λ — signed permutations when the λ are distinct, all of O(d) when Λ = κI."""

import numpy as np
import sympy as sp
import torch
from scipy.stats import ortho_group

from idtheory.claims import predicted_group
from idtheory.proofs._common import blocks_where, d, diagonal_product, i, j
from idtheory.symbolic import Derivation, Derived, Proof

O = sp.IndexedBase("O", real=True)
lam, lh = sp.IndexedBase("lambda", positive=True), sp.IndexedBase("lhat", positive=True)
Om = sp.MatrixSymbol("O", d, d)
Lm, Lhm = sp.MatrixSymbol("Lambda", d, d), sp.MatrixSymbol("Lambdahat", d, d)

#: spectra the derived rule is evaluated on, against idtheory.claims.predicted_group (ties exact)
SPECTRA = [(1, 3), (2, 2), (1, 2, 5), (1, 1, 4), (3, 3, 3), (1, 1, 3, 3), (2, 5, 5, 5, 7), (1, 2, 3, 4, 5, 6),
           (4, 4, 1, 4, 1, 9)]


def _numeric() -> bool:
    """Random elements of the predicted group keep OΛOᵀ diagonal; a Haar rotation does not."""
    ok = True
    for spectrum in ((1.0, 2.0, 5.0), (1.0, 1.0, 4.0), (2.0, 2.0, 2.0), (1.0, 1.0, 3.0, 3.0)):
        group = predicted_group(spectrum)
        for s in range(5):
            o = group.sample(torch.Generator().manual_seed(s)).numpy()
            m = o @ np.diag(spectrum) @ o.T
            ok &= bool(np.allclose(m, np.diag(np.diag(m))))
        r = ortho_group.rvs(len(spectrum), random_state=0)
        m = r @ np.diag(spectrum) @ r.T
        ok &= bool(np.allclose(m, np.diag(np.diag(m))) == (group.name == "orthogonal"))
    return ok


def support_rule(coefficient: sp.Expr):
    """Blocks of every spectrum in SPECTRA from the derived rule "O_ij may be non-zero only where its
    coefficient vanishes", after the permutation that makes λ̂ = λ (P = I)."""
    def blocks(spectrum):
        def free(r, s):
            return coefficient.subs({lh[i]: sp.Integer(spectrum[r]), lam[j]: sp.Integer(spectrum[s])}) == 0
        return blocks_where(free, len(spectrum))
    return [blocks(spectrum) for spectrum in SPECTRA]


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("solution-sets"))
    proof.step("intertwine", "Multiplying OᵀΛ̂O = Λ by O on the left (OOᵀ = I) gives Λ̂O = OΛ.",
               (Om * (Om.T * Lhm * Om)).subs(Om * Om.T, sp.Identity(d)), Lhm * Om)
    commutator = proof.step(
        "commutator", "Entrywise, for any d, with Λ̂ and Λ diagonal: (Λ̂O - OΛ)_ij = O_ij(λ̂_i - λ_j).",
        diagonal_product(O, lh, left=True) - diagonal_product(O, lam, left=False), O[i, j] * (lh[i] - lam[j]))
    proof.step("support", "So Λ̂O = OΛ forces O_ij = 0 wherever λ̂_i ≠ λ_j.",
               sp.solve(commutator, O[i, j]), [0])
    proof.step(
        "rule", "The constraint on entry (i, j) is its coefficient λ̂_i - λ_j. Every row of the orthogonal O has a "
        "non-zero entry, so each λ̂_i is some λ_j, and Λ̂ = OΛOᵀ has Λ's spectrum: λ̂ = Pλ for a permutation P. "
        "Then B = PᵀO is non-zero only inside the tie groups of Λ, and orthogonal: block-orthogonal over them.",
        sp.diff(commutator, O[i, j]), lh[i] - lam[j])
    return [Derivation(
        name="solution-sets",
        claim="C2",
        title="Orthogonal maps that keep Λ diagonal: signed permutations, blocks, or everything",
        statement="OᵀΛ̂O = Λ with O orthogonal and Λ̂, Λ diagonal gives O_ij(λ̂_i - λ_j) = 0 for all i, j: after the "
                  "permutation that sorts Λ̂ like Λ, O is block-orthogonal over the groups of equal λ — exactly the "
                  "2^d·d! signed permutations when the λ are distinct (C1), orthogonal blocks over ties (C2), all of "
                  "O(d) when Λ = κI (C3).",
        scope="any dimension d (entrywise, symbolic d); the direction 'a solution is P·B' — that every P·B is a "
              "solution is the symmetry evidence of the check suite; the rule is evaluated on "
              f"{len(SPECTRA)} spectra with d = 2…6 against the claim registry",
        assumptions=["Λ, Λ̂ positive diagonal", "O orthogonal (from the sphere constraint)",
                     "similar matrices share their spectrum (λ̂ is a permutation of λ)"],
        general_d=True,
        steps=proof.steps,
        conclusion=Derived("rule", support_rule),
        declared=[predicted_group([float(v) for v in spectrum]) for spectrum in SPECTRA],
        conclusion_text="O = P·B, B block-orthogonal over equal-λ groups: signed permutation (C1), block-orthogonal "
                        "(C2), orthogonal (C3), exactly as idtheory.claims.predicted_group says.",
        numeric=_numeric,
    )]
