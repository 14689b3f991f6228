"""Mixing functions g: z -> x. Injective by construction, built deterministically from a generator."""

from __future__ import annotations

import torch
from torch import nn


def well_conditioned_matrix(dim: int, generator: torch.Generator, candidates: int = 1000) -> torch.Tensor:
    """A random square matrix with unit-norm columns and near-minimal condition number.

    As in cl-ica and the official code: draw many Gaussian matrices and keep the best conditioned one,
    so that the invertible MLP neither collapses nor stretches directions much.
    """
    w = torch.randn(candidates, dim, dim, generator=generator, device=generator.device)
    w = w / w.norm(dim=1, keepdim=True)
    cond = torch.linalg.cond(w)
    return w[cond.argmin()].clone()


class InvertibleMLP(nn.Module):
    """Bias-free square linear layers with leaky-ReLU (slope 0.2) between them: a bijection of R^d."""

    def __init__(self, dim: int, layers: int, generator: torch.Generator, slope: float = 0.2):
        super().__init__()
        if layers < 1:
            raise ValueError(f"an invertible MLP needs at least 1 layer, got {layers}")
        self.slope = slope
        weights = [well_conditioned_matrix(dim, generator) for _ in range(layers)]
        self.register_buffer("weights", torch.stack(weights))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z
        for i, w in enumerate(self.weights):
            x = x @ w.T
            if i < len(self.weights) - 1:
                x = nn.functional.leaky_relu(x, self.slope)
        return x


class Linear(nn.Module):
    def __init__(self, dim: int, generator: torch.Generator):
        super().__init__()
        self.register_buffer("weight", well_conditioned_matrix(dim, generator))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.weight.T


def build_mixing(name: str, dim: int, layers: int, generator: torch.Generator) -> nn.Module:
    from ._arguments import choice

    choice(name, tuple(MIXINGS), "mixing")
    return MIXINGS[name](dim, layers, generator)


#: name -> factory(dim, layers, generator)
MIXINGS = {
    "mlp": lambda dim, layers, g: InvertibleMLP(dim, layers, g),
    "linear": lambda dim, layers, g: Linear(dim, g),
    "identity": lambda dim, layers, g: nn.Identity(),
}
