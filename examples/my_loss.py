"""A contrastive loss written only against idtheory's loss protocol (no idtheory import):

    idtheory validate examples/my_loss.py:SoftplusAnInfoNCE

It is AnInfoNCE re-implemented from scratch, with Λ̂ = softplus(θ) instead of exp(θ) and the theory's
anchor negatives (row i: its positive against the other anchors).
"""

import torch
from torch import nn


class SoftplusAnInfoNCE(nn.Module):
    identifies = "signed permutation"  # what it claims on distinct spectra

    def __init__(self, dim: int):
        super().__init__()
        self.raw = nn.Parameter(torch.linspace(-1.0, 1.0, dim))  # Λ̂ starts distinct and small: 0.31 … 1.31

    @property
    def lam_hat(self) -> torch.Tensor:
        return nn.functional.softplus(self.raw)

    def forward(self, anchors: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
        lam = self.lam_hat
        logits = -(((anchors[:, None, :] - anchors[None, :, :]) ** 2) * lam).sum(-1)  # against the other anchors
        positive = -(((anchors - positives) ** 2) * lam).sum(-1)
        eye = torch.eye(len(anchors), dtype=torch.bool, device=anchors.device)
        logits = torch.where(eye, positive[:, None], logits)  # slot (i, i) holds the positive
        return nn.functional.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))
