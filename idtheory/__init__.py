"""idtheory: verify the identifiability theory of contrastive learning (AnInfoNCE, Rusak et al. 2025).

Conventions: Λ is given in the paper's convention, p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) on the unit sphere;
the official code's λ is twice that.
"""

from importlib.metadata import PackageNotFoundError, version

from .conditionals import CONDITIONALS, fisher_bingham, laplace, official
from .encoders import Encoder
from .engine import RunSpec, fit_groups, fit_many
from .indeterminacy import Indeterminacy
from .losses import AnInfoNCE, ContrastiveLoss, EnsembleAnInfoNCE, InfoNCE, LpAnInfoNCE
from .metrics import block_recovery, lam_recovery, mcc, r2, r2_per_latent
from .plugins import resolve_loss
from .process import GenerativeProcess
from .registry import register_conditional, register_mixing, register_space, register_spectra
from .reproduce import EXPERIMENTS, reproduce
from .suite import CASES, run_case
from .training import BUDGETS, Budget, Fit, fit
from .validation import check_loss

try:
    __version__ = version("idtheory")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "unknown"

__all__ = [
    "AnInfoNCE",
    "RunSpec",
    "fit_groups",
    "fit_many",
    "CASES",
    "EnsembleAnInfoNCE",
    "LpAnInfoNCE",
    "check_loss",
    "laplace",
    "register_conditional",
    "register_mixing",
    "register_space",
    "register_spectra",
    "resolve_loss",
    "run_case",
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
