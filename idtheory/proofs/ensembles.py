"""C7, for any dimension and any number of families: an ensemble over augmentation families Λ_k with one
shared encoder is identified up to the intersection of the commutants of all Λ_k — block-orthogonal over
the common refinement of the families' tie groups."""

import numpy as np
import sympy as sp
import torch
from scipy.stats import ortho_group

from idtheory.claims import ensemble_group, predicted_group
from idtheory.proofs._common import blocks_where, d, i, j, k
from idtheory.symbolic import Derivation, Derived, Proof

Q = sp.IndexedBase("Q", real=True)
lam = sp.IndexedBase("lambda", positive=True)  # lam[f, i]: family f's λ_i
f = sp.Symbol("f", integer=True, nonnegative=True)  # a family
K = sp.Symbol("K", integer=True, positive=True)  # number of families

#: family sets the derived rule is evaluated on, against idtheory.claims.ensemble_group
FAMILY_SETS = [
    [(1, 1, 2, 2), (1, 3, 3, 1)],  # each alone 2+2 blocks; together signed permutations
    [(1, 1, 1, 2), (3, 3, 1, 1)],  # refinement {0,1}, {2}, {3}
    [(2, 2, 2, 2, 2), (1, 1, 4, 4, 4), (5, 5, 5, 5, 7)],  # three families, d = 5
    [(1, 2, 3), (3, 3, 3)],  # a distinct family alone decides
]


def _numeric() -> bool:
    """Elements of the refined group keep every Λ_k diagonal; elements of one family's group need not."""
    fam = [tuple(float(v) for v in spectrum) for spectrum in FAMILY_SETS[0]]
    group = ensemble_group(fam)
    ok = True
    for s in range(5):
        o = group.sample(torch.Generator().manual_seed(s)).numpy()
        ok &= all(np.allclose(o @ np.diag(spectrum) @ o.T, np.diag(spectrum)) for spectrum in fam)
    single = predicted_group(fam[0]).sample(torch.Generator().manual_seed(0)).numpy()
    ok &= not np.allclose(single @ np.diag(fam[1]) @ single.T, np.diag(fam[1]))
    r = ortho_group.rvs(4, random_state=0)
    ok &= not np.allclose(r @ np.diag(fam[0]) @ r.T, np.diag(fam[0]))
    return bool(ok)


def refinement_rule(coefficient: sp.Expr):
    """Blocks of every family set from the derived rule: Q_ij may be non-zero only where the coefficient
    vanishes for every family."""
    def blocks(families):
        def free(r, s):
            return all(coefficient.subs({lam[f, i]: sp.Integer(spectrum[r]), lam[f, j]: sp.Integer(spectrum[s])}) == 0
                       for spectrum in families)
        return blocks_where(free, len(families[0]))
    return [blocks(families) for families in FAMILY_SETS]


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("ensembles"))
    commutator = proof.step(
        "commutator",
        "A shared encoder must satisfy OᵀΛ̂_fO = Λ_f for every family f; with the permutation that the shared "
        "encoder fixes for all families, Q = PᵀO commutes with every Λ_f. Entrywise, for any d: "
        "(QΛ_f - Λ_fQ)_ij = Q_ij(λ_{f,j} - λ_{f,i}).",
        sp.Sum(Q[i, k] * lam[f, k] * sp.KroneckerDelta(k, j), (k, 0, d - 1)).doit().subs(j <= d - 1, True)
        - sp.Sum(lam[f, i] * sp.KroneckerDelta(i, k) * Q[k, j], (k, 0, d - 1)).doit().subs(i <= d - 1, True),
        Q[i, j] * (lam[f, j] - lam[f, i]))
    proof.step("support", "So Q_ij = 0 unless λ_{f,i} = λ_{f,j} ...", sp.solve(commutator, Q[i, j]), [0])
    proof.step(
        "rule", "... for every family f = 1 … K at once: Q_ij is free only where all K coefficients vanish, i.e. "
        "inside the intersection of the commutants, the common refinement of the families' tie groups.",
        sp.diff(commutator, Q[i, j]), lam[f, j] - lam[f, i])
    return [Derivation(
        name="ensembles",
        claim="C7",
        title="Ensembles break each other's ties",
        statement="A shared encoder must satisfy OᵀΛ̂_fO = Λ_f for every family f, so (after the common permutation) "
                  "Q commutes with every Λ_f: Q_ij(λ_{f,j} - λ_{f,i}) = 0 for all f, and Q can be non-zero only "
                  "within the common refinement of the tie groups. E.g. d = 4: Λ₁ = diag(1,1,2,2) and "
                  "Λ₂ = diag(1,3,3,1) each leave 2+2 blocks; together only signed permutations remain.",
        scope="any dimension d and any number K of families (entrywise, symbolic d); the direction 'a solution "
              f"lies in the refined group'; the rule is evaluated on {len(FAMILY_SETS)} family sets (d = 3…5, "
              "K = 2…3) against the claim registry",
        assumptions=["one encoder shared by all families, each with its own Λ̂_f",
                     "the permutation is common to the families (it is fixed by the shared encoder)",
                     "each family's step 5 (solution-sets) applies"],
        general_d=True,
        steps=proof.steps,
        conclusion=Derived("rule", refinement_rule),
        declared=[ensemble_group([tuple(float(v) for v in spectrum) for spectrum in families])
                  for families in FAMILY_SETS],
        conclusion_text="Indeterminacy = block-orthogonal over the common refinement, as "
                        "idtheory.claims.ensemble_group computes.",
        numeric=_numeric,
    )]
