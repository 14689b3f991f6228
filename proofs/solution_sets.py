"""Step 5 of the theorem (C1–C3): the orthogonal O with OᵀΛ̂O = Λ, Λ̂ diagonal, are P·B with B
block-orthogonal over the tie groups of Λ — signed permutations when λ are distinct."""

import itertools

import numpy as np
import sympy as sp
import torch
from scipy.stats import ortho_group

from idtheory.claims import predicted_group
from idtheory.indeterminacy import Indeterminacy
from idtheory.symbolic import Derivation, Step


def commuting_blocks(lam: tuple) -> Indeterminacy:
    """Solve QΛ = ΛQ for a generic symbolic Q: the entries left free are the group's blocks."""
    d = len(lam)
    Q = sp.Matrix(d, d, sp.symbols(f"q0:{d * d}", real=True))
    L = sp.diag(*lam)
    equations = [e for e in Q * L - L * Q if e != 0]  # none at all when Λ is isotropic
    free = Q.subs(sp.solve(equations, list(Q), dict=True)[0]) if equations else Q
    blocks: list[set[int]] = [{i} for i in range(d)]
    for i, j in itertools.product(range(d), repeat=2):
        if free[i, j] != 0:
            bi = next(b for b in blocks if i in b)
            bj = next(b for b in blocks if j in b)
            if bi is not bj:
                bi |= bj
                blocks.remove(bj)
    return Indeterminacy(tuple(tuple(sorted(b)) for b in blocks))


def signed_permutations_by_solving(lam: tuple) -> list[sp.Matrix]:
    """All O = P·Q with OΛOᵀ diagonal and O orthogonal, for distinct λ: Q commutes with Λ, so the linear
    solve makes it diagonal, QᵀQ = I makes each entry ±1, and P runs over the d! permutations."""
    d = len(lam)
    Q = sp.Matrix(d, d, sp.symbols(f"q0:{d * d}", real=True))
    L = sp.diag(*lam)
    Q = Q.subs(sp.solve([e for e in Q * L - L * Q if e != 0], list(Q), dict=True)[0])
    diagonal = [Q[i, i] for i in range(d)]
    signs = sp.solve([e for e in (Q.T * Q - sp.eye(d)) if e != 0], diagonal, dict=True)
    found = []
    for perm in itertools.permutations(range(d)):
        P = sp.eye(d)[list(perm), :]
        for sol in signs:
            O = P * Q.subs(sol)
            M = O * L * O.T
            if O.T * O == sp.eye(d) and M == sp.diag(*[M[i, i] for i in range(d)]) and O not in found:
                found.append(O)
    return found


CASES = {  # exact rationals: ties are exact
    "distinct d=2": (sp.Rational(1), sp.Rational(3)),
    "isotropic d=2": (sp.Rational(2), sp.Rational(2)),
    "distinct d=3": (sp.Rational(1), sp.Rational(2), sp.Rational(5)),
    "tie d=3": (sp.Rational(1), sp.Rational(1), sp.Rational(4)),
    "isotropic d=3": (sp.Rational(3),) * 3,
}


def _numeric() -> bool:
    """Random elements of the predicted group keep OΛOᵀ diagonal; a Haar rotation does not."""
    ok = True
    for lam in ((1.0, 2.0, 5.0), (1.0, 1.0, 4.0), (2.0, 2.0, 2.0), (1.0, 1.0, 3.0, 3.0)):
        group = predicted_group(lam)
        for s in range(5):
            o = group.sample(torch.Generator().manual_seed(s)).numpy()
            m = o @ np.diag(lam) @ o.T
            ok &= bool(np.allclose(m, np.diag(np.diag(m))))
        r = ortho_group.rvs(len(lam), random_state=0)
        m = r @ np.diag(lam) @ r.T
        ok &= bool(np.allclose(m, np.diag(np.diag(m))) == (group.name == "orthogonal"))
    return ok


def derivations():
    a, b, c, d_ = sp.symbols("a b c d", real=True)
    l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
    Q2 = sp.Matrix([[a, b], [c, d_]])
    L2 = sp.diag(l1, l2)
    solutions = signed_permutations_by_solving(CASES["distinct d=3"])
    is_signed_perm = all(sorted(abs(x) for x in s) == [0] * 6 + [1] * 3 and
                         all(sum(abs(x) for x in s.row(i)) == 1 for i in range(3)) for s in solutions)
    return [Derivation(
        name="solution-sets",
        claim="C2",
        title="Orthogonal maps that keep Λ diagonal: signed permutations, blocks, or everything",
        statement="OΛOᵀ diagonal with O orthogonal means OΛOᵀ = PΛPᵀ for a permutation P (same spectrum), so "
                  "Q = PᵀO commutes with Λ: Q is block-orthogonal over the tie groups of Λ. Distinct λ leave "
                  "exactly the 2^d·d! signed permutations; ties leave orthogonal blocks; isotropy leaves O(d).",
        assumptions=["Λ positive diagonal (exact rationals for the solved cases)", "d = 2 and 3"],
        steps=[
            Step("The commutator QΛ - ΛQ has entries (λⱼ - λᵢ)Qᵢⱼ: an entry survives only inside a tie group.",
                 Q2 * L2 - L2 * Q2, sp.Matrix([[0, b * (l2 - l1)], [c * (l1 - l2), 0]])),
            Step("Distinct λ in d = 3 (Λ = diag(1, 2, 5)): Q diagonal with Qᵢᵢ² = 1 and P any permutation give "
                 "2³·3! = 48 distinct orthogonal O with OΛOᵀ diagonal ...", sp.Integer(len(solutions)), sp.Integer(48)),
            Step("... and every one of them is a signed permutation matrix.", sp.true if is_signed_perm else sp.false,
                 sp.true),
            *[Step(f"{name}: the entries of Q left free by QΛ = ΛQ form the blocks "
                   f"{commuting_blocks(lam).blocks}, the predicted group's.",
                   sp.Matrix([list(map(len, commuting_blocks(lam).blocks))]),
                   sp.Matrix([list(map(len, predicted_group([float(v) for v in lam]).blocks))]))
              for name, lam in CASES.items()],
        ],
        conclusion=[commuting_blocks(lam) for lam in CASES.values()],
        declared=[predicted_group([float(v) for v in lam]) for lam in CASES.values()],
        conclusion_text="O = P·B, B block-orthogonal over equal-λ groups: signed permutation (C1), "
                        "block-orthogonal (C2), orthogonal (C3), exactly as idtheory.claims.predicted_group says.",
        numeric=_numeric,
    )]
