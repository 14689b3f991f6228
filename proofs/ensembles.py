"""C7: an ensemble over augmentation families Λ_k with one shared encoder is identified up to the
common refinement of the families' tie groups."""

import numpy as np
import sympy as sp
import torch
from scipy.stats import ortho_group

from idtheory.claims import ensemble_group, predicted_group
from idtheory.symbolic import Derivation, Step

FAMILIES = [  # each alone has two tie blocks; together they separate every latent
    (sp.Integer(1), sp.Integer(1), sp.Integer(2), sp.Integer(2)),
    (sp.Integer(1), sp.Integer(3), sp.Integer(3), sp.Integer(1)),
]


def free_pattern(families) -> sp.Matrix:
    """Entries of Q left free when Q must commute with every Λ_k (linear solve)."""
    d = len(families[0])
    Q = sp.Matrix(d, d, sp.symbols(f"q0:{d * d}", real=True))
    eqs = [e for lam in families for e in Q * sp.diag(*lam) - sp.diag(*lam) * Q if e != 0]
    return Q.subs(sp.solve(eqs, list(Q), dict=True)[0]) if eqs else Q


def _numeric() -> bool:
    """Elements of the refined group keep every Λ_k diagonal; elements of one family's group need not."""
    fam = [tuple(float(v) for v in lam) for lam in FAMILIES]
    group = ensemble_group(fam)
    ok = True
    for s in range(5):
        o = group.sample(torch.Generator().manual_seed(s)).numpy()
        ok &= all(np.allclose(o @ np.diag(lam) @ o.T, np.diag(lam)) for lam in fam)
    single = predicted_group(fam[0]).sample(torch.Generator().manual_seed(0)).numpy()
    ok &= not np.allclose(single @ np.diag(fam[1]) @ single.T, np.diag(fam[1]))
    r = ortho_group.rvs(4, random_state=0)
    ok &= not np.allclose(r @ np.diag(fam[0]) @ r.T, np.diag(fam[0]))
    return bool(ok)


def _blocks(pattern: sp.Matrix):
    d = pattern.shape[0]
    return tuple(sorted({tuple(j for j in range(d) if pattern[i, j] != 0 or pattern[j, i] != 0 or i == j)
                         for i in range(d)}))


def derivations():
    alone = [free_pattern([lam]) for lam in FAMILIES]
    both = free_pattern(FAMILIES)
    return [Derivation(
        name="ensembles",
        claim="C7",
        title="Ensembles break each other's ties",
        statement="A shared encoder must satisfy OᵀΛ̂_kO = Λ_k for every family k, so (after the permutation) "
                  "Q commutes with every Λ_k: Qᵢⱼ can be non-zero only where λ_{k,i} = λ_{k,j} for all k, i.e. "
                  "within the common refinement of the tie groups. Example d = 4: Λ₁ = diag(1,1,2,2) and "
                  "Λ₂ = diag(1,3,3,1) each leave 2+2 blocks; together only signed permutations remain.",
        assumptions=["one encoder shared by all families, each with its own Λ̂_k", "the permutation is common to "
                     "the families (it is fixed by the shared encoder)", "d = 4, integer spectra"],
        steps=[
            Step("Λ₁ alone leaves Q block-diagonal over {0,1}, {2,3}.", sp.Matrix([list(map(len, _blocks(alone[0])))]),
                 sp.Matrix([[2, 2]])),
            Step("Λ₂ alone leaves Q block-diagonal over {0,3}, {1,2}.", sp.Matrix([list(map(len, _blocks(alone[1])))]),
                 sp.Matrix([[2, 2]])),
            Step("Commuting with both forces Q diagonal: only signs (then permutations) remain.",
                 both, sp.diag(*[both[i, i] for i in range(4)])),
        ],
        conclusion=_blocks(both),
        declared=ensemble_group([tuple(float(v) for v in lam) for lam in FAMILIES]).blocks,
        conclusion_text="Indeterminacy = block-orthogonal over the common refinement (here: signed permutations), "
                        "as idtheory.claims.ensemble_group computes.",
        numeric=_numeric,
    )]
