"""Small MLP encoders with optional projection onto the unit sphere."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: the official repository's encoder widths for d = 10 (10→100→500→500→500→500→100→10)
OFFICIAL_WIDTHS = (100, 500, 500, 500, 500, 100)


class Encoder(nn.Module):
    """Leaky-ReLU MLP. ``hidden`` is one width (repeated ``depth`` times) or a sequence of widths."""

    def __init__(self, dim_in: int, dim_out: int, hidden: int | Sequence[int] = 256, depth: int = 3,
                 normalize: bool = True):
        super().__init__()
        widths = [hidden] * depth if isinstance(hidden, int) else list(hidden)
        layers: list[nn.Module] = []
        width = dim_in
        for w in widths:
            layers += [nn.Linear(width, w), nn.LeakyReLU()]
            width = w
        layers.append(nn.Linear(width, dim_out))
        self.net = nn.Sequential(*layers)
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.net(x)
        return nn.functional.normalize(h, dim=1) if self.normalize else h
