"""fit(): train an encoder on a generative process with a contrastive loss. Deterministic for a seed."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .budget import BUDGETS, Budget, resolve_budget
from .engine import Fit, RunSpec, fit_many
from .process import GenerativeProcess


@torch.no_grad()
def embed(encoder: nn.Module, x: torch.Tensor, chunk: int = 8192) -> np.ndarray:
    return torch.cat([encoder(x[i : i + chunk]) for i in range(0, len(x), chunk)]).cpu().numpy()


def fit(
    process: GenerativeProcess,
    loss: nn.Module,
    budget: Budget | str = "quick",
    seed: int = 0,
    device: str | torch.device = "cpu",
    normalize: bool = True,
    progress: Callable[[dict], None] | None = None,
) -> Fit:
    """Train a fresh encoder f so that h = f∘g minimizes ``loss`` on pairs of ``process``: the batched
    engine (:func:`idtheory.engine.fit_many`) with one run, so a run gives the same numbers alone or batched.

    The encoder's initialization, the data stream and the evaluation set all derive from ``seed``
    through explicit generators. Every ``eval_every`` steps the history records the loss, linear R²
    and MCC on a fixed held-out set of fresh latents; ``progress`` is called with each record.
    With ``budget.late_negatives`` set, the loss's ``negatives`` attribute is switched at ``late_from``
    (the returned ``Fit.loss`` is the same object, trained, and left in the late scheme).
    """
    (result,) = fit_many([RunSpec(process, loss, seed, normalize)], budget, device,
                         None if progress is None else (lambda _k, record: progress(record)))
    if result.error is not None:
        raise FloatingPointError(result.error)
    return result


__all__ = ["Budget", "BUDGETS", "Fit", "fit", "embed", "resolve_budget"]
