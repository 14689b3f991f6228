"""Hypothesis strategies for the checks: spectra (distinct, tied, isotropic, content/style) and
elements of predicted groups. All randomness comes from hypothesis or from explicit generators."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def distinct_spectra(draw, min_dim: int = 2, max_dim: int = 6, min_gap: float = 0.25):
    """Λ with all entries distinct: consecutive sorted entries differ by at least ``min_gap`` relatively."""
    d = draw(st.integers(min_dim, max_dim))
    lam = [draw(st.floats(0.5, 3.0))]
    for _ in range(d - 1):
        lam.append(lam[-1] * (1 + draw(st.floats(min_gap, 1.0))))
    return tuple(draw(st.permutations(lam)))


@st.composite
def tied_spectra(draw, min_dim: int = 3, max_dim: int = 6, min_gap: float = 0.25):
    """Λ with at least one tie group of size ≥ 2; groups are separated by ``min_gap``."""
    d = draw(st.integers(min_dim, max_dim))
    sizes = []
    while sum(sizes) < d:
        sizes.append(draw(st.integers(1, d - sum(sizes))))
    if max(sizes) < 2:  # force a tie
        sizes = [2] + [1] * (d - 2)
    level, lam = draw(st.floats(0.5, 3.0)), []
    for size in sizes:
        lam += [level] * size
        level *= 1 + draw(st.floats(min_gap, 1.0))
    return tuple(draw(st.permutations(lam)))


@st.composite
def isotropic_spectra(draw, min_dim: int = 2, max_dim: int = 6):
    return (draw(st.floats(0.5, 10.0)),) * draw(st.integers(min_dim, max_dim))


@st.composite
def content_style_spectra(draw, min_dim: int = 2, max_dim: int = 6, ratio: float = 10.0):
    """Half the latents barely augmented (content, high λ), the rest heavily (style, λ / ratio)."""
    d = draw(st.integers(min_dim, max_dim))
    high = draw(st.floats(5.0, 20.0))
    k = d // 2 or 1
    return (high,) * k + (high / ratio,) * (d - k)


#: the canonical official cases, in the paper's convention
LINSPACE = tuple(2.5 + i * 10 / 9 for i in range(10))
BIMODAL = (2.5,) * 5 + (12.5,) * 5
