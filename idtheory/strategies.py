"""Hypothesis strategies for the checks: spectra (distinct, tied, isotropic, content/style, ensembles)
and hard-negative strengths. All randomness comes from hypothesis or from explicit generators.

The defaults suit the cheap symmetry checks (any positive Λ); the training checks of
:mod:`idtheory.suite` narrow the ranges to where a few thousand steps train reliably.
"""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def distinct_spectra(draw, min_dim: int = 2, max_dim: int = 6, min_gap: float = 0.25, max_gap: float = 1.0,
                     low: float = 0.5, high: float = 3.0):
    """Λ with all entries distinct: consecutive sorted entries differ by ``min_gap``…``max_gap`` relatively."""
    d = draw(st.integers(min_dim, max_dim))
    lam = [draw(st.floats(low, high))]
    for _ in range(d - 1):
        lam.append(lam[-1] * (1 + draw(st.floats(min_gap, max_gap))))
    return tuple(draw(st.permutations(lam)))


@st.composite
def tied_spectra(draw, min_dim: int = 3, max_dim: int = 6, min_gap: float = 0.25, max_gap: float = 1.0,
                 low: float = 0.5, high: float = 3.0, min_block: int = 2, min_groups: int = 1):
    """Λ with at least one tie group of size ≥ ``min_block`` and at least ``min_groups`` groups, separated
    by ``min_gap``…``max_gap``."""
    d = draw(st.integers(max(min_dim, min_block + min_groups - 1), max_dim))
    sizes = [draw(st.integers(min_block, d - min_groups + 1))]
    while sum(sizes) < d:
        sizes.append(draw(st.integers(1, d - sum(sizes))))
    level, lam = draw(st.floats(low, high)), []
    for size in sizes:
        lam += [level] * size
        level *= 1 + draw(st.floats(min_gap, max_gap))
    return tuple(draw(st.permutations(lam)))


@st.composite
def isotropic_spectra(draw, min_dim: int = 2, max_dim: int = 6, low: float = 0.5, high: float = 10.0):
    return (draw(st.floats(low, high)),) * draw(st.integers(min_dim, max_dim))


@st.composite
def content_style_spectra(draw, min_dim: int = 2, max_dim: int = 6, content: int | None = None,
                          high: tuple[float, float] = (5.0, 20.0), ratio: tuple[float, float] = (10.0, 10.0)):
    """``content`` latents barely augmented (high λ, tied), the rest heavily (style: λ / ratio, tied).
    ``content`` defaults to half the latents."""
    d = draw(st.integers(max(min_dim, (content or 0) + 1), max_dim))
    k = content or (d // 2 or 1)
    level = draw(st.floats(*high))
    return (level,) * k + (level / draw(st.floats(*ratio)),) * (d - k)


@st.composite
def ensemble_spectra(draw, min_dim: int = 4, max_dim: int = 5, low: float = 2.0, high: float = 5.0,
                     min_gap: float = 0.5, max_gap: float = 1.0):
    """Two augmentation families, each with ties, whose tie groups cut across each other: family 1 ties
    all but one latent, family 2 splits the latents into two tied halves (C7's common refinement)."""
    d = draw(st.integers(min_dim, max_dim))
    order = draw(st.permutations(range(d)))

    def levels():
        a = draw(st.floats(low, high))
        return a, a * (1 + draw(st.floats(min_gap, max_gap)))

    (a1, b1), (a2, b2) = levels(), levels()
    first, second = [0.0] * d, [0.0] * d
    for rank, i in enumerate(order):
        first[i] = a1 if rank < d - 1 else b1
        second[i] = a2 if rank < d // 2 else b2
    return tuple(first), tuple(second)


#: the canonical official cases, in the paper's convention
LINSPACE = tuple(2.5 + i * 10 / 9 for i in range(10))
BIMODAL = (2.5,) * 5 + (12.5,) * 5
