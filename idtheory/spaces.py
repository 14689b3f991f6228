"""Latent spaces: where z lives and how its marginal is sampled.

The sphere with a uniform marginal is the AnInfoNCE setting. The box [-1, 1]^d with a uniform marginal
carries the Lp conditionals of claim C8; R^d ("euclidean") has a standard normal marginal — not
uniform, so it violates the theory's assumption and is there to report what happens then. Every
space samples directly on the requested device.
"""

from __future__ import annotations

import torch


def _sphere(n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    # A standard normal vector divided by its norm is uniform on S^{d-1} (rotation invariance).
    g = torch.randn(n, dim, generator=generator, device=generator.device)
    return g / g.norm(dim=1, keepdim=True)


def _box(n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    return 2 * torch.rand(n, dim, generator=generator, device=generator.device) - 1


def _euclidean(n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, dim, generator=generator, device=generator.device)


#: name -> sampler(n, dim, generator) of the marginal p(z)
SPACES = {"sphere": _sphere, "box": _box, "euclidean": _euclidean}
#: spaces that are boxes: conditionals are restricted to these bounds
BOUNDS = {"box": (-1.0, 1.0)}

