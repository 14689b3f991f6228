"""Helpers shared by the derivations: symbolic-dimension index algebra and blocks from a support rule."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import sympy as sp

from idtheory.indeterminacy import Indeterminacy

d = sp.Symbol("d", integer=True, positive=True)  # a symbolic dimension
i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)  # indices 0 … d-1


def in_range(expr):
    """The index conditions left by Kronecker sums over 0 … d-1 (i and j are indices): true."""
    return expr.subs({j <= d - 1: True, i <= d - 1: True})


def diagonal_product(matrix: sp.IndexedBase, diagonal: sp.IndexedBase, left: bool):
    """Entry (i, j) of diag(v)·M (``left``) or M·diag(v), as a sum over k = 0 … d-1 with symbolic d."""
    if left:
        return in_range(sp.Sum(diagonal[i] * sp.KroneckerDelta(i, k) * matrix[k, j], (k, 0, d - 1)).doit())
    return in_range(sp.Sum(matrix[i, k] * diagonal[k] * sp.KroneckerDelta(k, j), (k, 0, d - 1)).doit())


def blocks_where(free: Callable[[int, int], bool], dim: int) -> Indeterminacy:
    """The group whose blocks are the connected components of the entries (i, j) that ``free`` leaves
    unconstrained (an orthogonal matrix supported there is block-orthogonal over them)."""
    blocks: list[set[int]] = [{r} for r in range(dim)]
    for r, s in itertools.product(range(dim), repeat=2):
        if free(r, s):
            br = next(b for b in blocks if r in b)
            bs = next(b for b in blocks if s in b)
            if br is not bs:
                br |= bs
                blocks.remove(bs)
    return Indeterminacy(tuple(tuple(sorted(b)) for b in blocks))


def summand(expr: sp.Expr) -> sp.Expr:
    """The summand of the sums in ``expr`` (all over the same index range), terms outside a sum dropped."""
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expr)):
        factors = sp.Mul.make_args(term)
        sums = [f for f in factors if isinstance(f, sp.Sum)]
        coefficient = sp.Mul(*[f for f in factors if not isinstance(f, sp.Sum)])
        if sums:
            total += coefficient * sums[0].function
    return sp.expand(total)


def pull_constants(expr):
    """Split every sum over its terms and move factors free of the index out of it."""
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(sp.expand(e.function), *e.limits).expand())
    return sp.expand(expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.factor_terms(e)))
