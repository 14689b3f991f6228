"""Argument checks shared by the public entry points: errors name the value and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch


def spectrum(lam: Iterable[float], dim: int | None = None, name: str = "lam") -> tuple[float, ...]:
    """Return Λ's diagonal as a tuple of positive finite floats, or raise ValueError/TypeError."""
    if isinstance(lam, (str, bytes)) or not isinstance(lam, Iterable):
        raise TypeError(f"{name} must be a sequence of positive numbers, got {lam!r}")
    values = tuple(float(v) for v in (lam.tolist() if hasattr(lam, "tolist") else lam))
    if not values:
        raise ValueError(f"{name} must have at least one entry, got {lam!r}")
    bad = [v for v in values if not math.isfinite(v) or v <= 0]
    if bad:
        raise ValueError(f"{name} entries must be finite and > 0, got {bad} in {values}")
    if dim is not None and len(values) != dim:
        raise ValueError(f"{name} has {len(values)} entries but the latent dimension is {dim}")
    return values


def choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(map(repr, allowed))}")
    return value


def device(spec: str | torch.device) -> torch.device:
    """Resolve a device, refusing CUDA on a machine without it instead of failing later inside torch."""
    try:
        dev = torch.device(spec)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {spec!r}; allowed: 'cpu', 'cuda', 'cuda:N'") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {spec!r} requested but CUDA is not available on this machine; use 'cpu'")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {spec!r}; allowed: 'cpu', 'cuda', 'cuda:N'")
    return dev


def embeddings(a: torch.Tensor, b: torch.Tensor, dim: int | None = None) -> None:
    """Check a pair of embedding batches (B, d) before a loss sees them."""
    for label, t in (("anchor", a), ("positive", b)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{label} embeddings must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 2:
            raise ValueError(f"{label} embeddings must have shape (batch, dim), got {tuple(t.shape)}")
    if a.shape != b.shape:
        raise ValueError(f"anchor and positive embeddings differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    if a.shape[0] < 2:
        raise ValueError(f"a contrastive loss needs a batch of at least 2 pairs, got {a.shape[0]}")
    if dim is not None and a.shape[1] != dim:
        raise ValueError(f"embeddings have dimension {a.shape[1]} but the loss was built for {dim}")


def negatives(n: torch.Tensor, a: torch.Tensor) -> None:
    """Check explicit negatives (B, M, d) against the anchors (B, d)."""
    if not isinstance(n, torch.Tensor):
        raise TypeError(f"negatives must be a torch.Tensor, got {type(n).__name__}")
    if n.ndim != 3 or n.shape[0] != a.shape[0] or n.shape[2] != a.shape[1] or n.shape[1] < 1:
        raise ValueError(f"negatives must have shape (batch, count, dim) = ({a.shape[0]}, M, {a.shape[1]}), "
                         f"got {tuple(n.shape)}")


def positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value
