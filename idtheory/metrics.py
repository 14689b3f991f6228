"""Recovery metrics between true latents z (n, d) and encoder outputs h (n, k), on numpy arrays.

Linear R² regresses z on h with an intercept (ordinary least squares); MCC matches latents to output
dimensions by the Hungarian algorithm on absolute correlations; block recovery asks how much of each
predicted block of latents is explained by the output block matched to it through an orthogonal map and
one scale (orthogonal Procrustes), so that a block-orthogonal group is not scored as a block-linear one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import rankdata


def _check(z: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z, h = np.asarray(z, dtype=np.float64), np.asarray(h, dtype=np.float64)
    if z.ndim != 2 or h.ndim != 2:
        raise ValueError(f"z and h must be 2-d (samples, dims), got shapes {z.shape} and {h.shape}")
    if z.shape[0] != h.shape[0]:
        raise ValueError(f"z and h have different numbers of samples: {z.shape[0]} vs {h.shape[0]}")
    if z.shape[0] <= max(z.shape[1], h.shape[1]) + 1:
        raise ValueError(f"need more samples than dimensions + 1, got {z.shape[0]} for dims {z.shape[1]}, {h.shape[1]}")
    if not (np.isfinite(z).all() and np.isfinite(h).all()):
        raise ValueError("z and h must be finite (found NaN or inf)")
    return z, h


def r2_per_latent(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """R² of each z_j regressed linearly (with intercept) on all of h."""
    z, h = _check(z, h)
    design = np.column_stack([h, np.ones(len(h))])
    coef, *_ = np.linalg.lstsq(design, z, rcond=None)
    resid = z - design @ coef
    return 1 - (resid**2).sum(0) / ((z - z.mean(0)) ** 2).sum(0)


def r2(z: np.ndarray, h: np.ndarray) -> float:
    return float(r2_per_latent(z, h).mean())


def correlation_matrix(z: np.ndarray, h: np.ndarray, method: str = "pearson") -> np.ndarray:
    """(d_z, d_h) matrix of correlations corr(z_i, h_j)."""
    z, h = _check(z, h)
    if method == "spearman":
        z, h = rankdata(z, axis=0), rankdata(h, axis=0)
    elif method != "pearson":
        raise ValueError(f"unknown correlation method {method!r}; allowed: 'pearson', 'spearman'")
    zc = (z - z.mean(0)) / z.std(0)
    hc = (h - h.mean(0)) / h.std(0)
    return zc.T @ hc / len(z)


def mcc(z: np.ndarray, h: np.ndarray, method: str = "pearson") -> tuple[float, np.ndarray]:
    """Mean |correlation| after Hungarian matching; returns (score, perm) with latent i ↔ output perm[i]."""
    c = np.abs(correlation_matrix(z, h, method))
    rows, cols = linear_sum_assignment(-c)
    perm = np.empty(c.shape[0], dtype=int)
    perm[rows] = cols
    return float(c[rows, cols].mean()), perm


@dataclass(frozen=True)
class BlockRecovery:
    """Per-latent R² from the matched output block (``within``) and from all other outputs (``leak``)."""

    blocks: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]  # output indices matched to each block
    within: np.ndarray
    leak: np.ndarray

    @property
    def score(self) -> float:
        return float(self.within.mean())


def _r2_from(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    if h.shape[1] == 0:
        return np.zeros(z.shape[1])
    return r2_per_latent(z, h)


def r2_orthogonal(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Per-latent R² of z explained by c·h·R + b with R orthogonal and c one scale (orthogonal Procrustes
    with scaling; h and z of one width). A general invertible linear map scores below 1 — by how much grows
    with its condition number — while an orthogonal map times any scale scores 1. For one latent it is
    the linear R² (R = ±1)."""
    z, h = _check(z, h)
    if h.shape[1] != z.shape[1]:
        raise ValueError(f"an orthogonal fit needs as many outputs as latents, got {h.shape[1]} vs {z.shape[1]}")
    zc, hc = z - z.mean(0), h - h.mean(0)
    u, s, vt = np.linalg.svd(hc.T @ zc)
    scale = s.sum() / max((hc**2).sum(), 1e-300)
    resid = zc - scale * hc @ (u @ vt)
    return 1 - (resid**2).sum(0) / (zc**2).sum(0)


def block_recovery(z: np.ndarray, h: np.ndarray, blocks: Sequence[Sequence[int]]) -> BlockRecovery:
    """Match each latent block to as many output dimensions by the squared correlation they share
    (Hungarian on the block-replicated matrix), then score how well each block is explained by its
    own outputs up to an orthogonal map and a scale (:func:`r2_orthogonal`), and how much of it leaks
    (linearly) into the others."""
    z, h = _check(z, h)
    blocks = tuple(tuple(int(i) for i in b) for b in blocks)
    flat = sorted(i for b in blocks for i in b)
    if flat != list(range(z.shape[1])):
        raise ValueError(f"blocks {blocks} must partition the latent indices 0..{z.shape[1] - 1}")
    if h.shape[1] != z.shape[1]:
        raise ValueError(f"block recovery needs as many outputs as latents, got {h.shape[1]} vs {z.shape[1]}")
    energy = correlation_matrix(z, h) ** 2
    per_block = np.stack([energy[list(b)].sum(0) for b in blocks])
    slots = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
    rows, cols = linear_sum_assignment(-per_block[slots])
    outputs = tuple(tuple(sorted(int(c) for r, c in zip(rows, cols) if slots[r] == k)) for k in range(len(blocks)))
    within = np.empty(z.shape[1])
    leak = np.empty(z.shape[1])
    for b, out in zip(blocks, outputs):
        others = [j for j in range(h.shape[1]) if j not in out]
        within[list(b)] = r2_orthogonal(z[:, list(b)], h[:, list(out)])
        leak[list(b)] = _r2_from(z[:, list(b)], h[:, others])
    return BlockRecovery(blocks, outputs, within, leak)


def lam_recovery(lam: Sequence[float], lam_hat: Sequence[float], perm: Sequence[int]) -> np.ndarray:
    """Relative error |λ̂_perm(i) - λ_i| / λ_i with latent i matched to output perm[i]."""
    lam, lam_hat = np.asarray(lam, dtype=float), np.asarray(lam_hat, dtype=float)
    return np.abs(lam_hat[np.asarray(perm)] - lam) / lam
