"""Small MLP encoders with optional projection onto the unit sphere."""

from __future__ import annotations

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, dim_in: int, dim_out: int, hidden: int = 256, depth: int = 3, normalize: bool = True):
        super().__init__()
        layers: list[nn.Module] = []
        width = dim_in
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU()]
            width = hidden
        layers.append(nn.Linear(width, dim_out))
        self.net = nn.Sequential(*layers)
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.net(x)
        return nn.functional.normalize(h, dim=1) if self.normalize else h
