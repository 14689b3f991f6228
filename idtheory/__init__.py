"""idtheory: verify the identifiability theory of contrastive learning (AnInfoNCE, Rusak et al. 2025).

Conventions: Λ is given in the paper's convention, p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) on the unit sphere;
the official code's λ is twice that.
"""

from .conditionals import CONDITIONALS, fisher_bingham, official
from .encoders import Encoder
from .indeterminacy import Indeterminacy
from .losses import AnInfoNCE, ContrastiveLoss, InfoNCE
from .metrics import block_recovery, lam_recovery, mcc, r2, r2_per_latent
from .process import GenerativeProcess
from .reproduce import EXPERIMENTS, reproduce
from .training import BUDGETS, Budget, Fit, fit

__all__ = [
    "AnInfoNCE",
    "BUDGETS",
    "Budget",
    "CONDITIONALS",
    "ContrastiveLoss",
    "EXPERIMENTS",
    "Encoder",
    "Fit",
    "GenerativeProcess",
    "Indeterminacy",
    "InfoNCE",
    "block_recovery",
    "fisher_bingham",
    "fit",
    "lam_recovery",
    "mcc",
    "official",
    "r2",
    "r2_per_latent",
    "reproduce",
]
