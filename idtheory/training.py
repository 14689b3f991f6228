"""fit(): train an encoder on a generative process with a contrastive loss. Deterministic for a seed."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from . import _arguments, metrics
from .encoders import Encoder
from .process import GenerativeProcess


@dataclass(frozen=True)
class Budget:
    """Training hyper-parameters. The defaults are the ``quick`` budget, chosen by the measurements in
    benchmarks/results/speed_study.md."""

    steps: int = 20_000
    batch: int = 512
    lr: float = 2e-3
    loss_lr: float = 5e-3  # on ln Λ̂: a relative step of ~0.5 %
    anneal: float = 0.25  # final fraction of ``steps`` over which all learning rates decay linearly to 0
    # Negatives scheme from the fraction ``late_from`` of the steps on (losses with a ``negatives``
    # attribute): both-view negatives get the encoder off the ground fastest, but they are not uniform,
    # which biases Λ̂; anchor negatives (the theory's exact setting) then remove the bias.
    late_negatives: str | None = "anchors"
    late_from: float = 0.25
    hidden: int = 128
    depth: int = 3
    eval_every: int = 1000
    eval_samples: int = 4096

    def __post_init__(self):
        for name in ("steps", "batch", "hidden", "depth", "eval_every", "eval_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Budget.{name} must be a positive int, got {value!r}")
        if self.batch < 2:
            raise ValueError(f"Budget.batch must be at least 2 for in-batch negatives, got {self.batch}")
        for name in ("lr", "loss_lr"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Budget.{name} must be a finite number > 0, got {value!r}")
        if self.late_negatives is not None:
            from .losses import NEGATIVES

            _arguments.choice(self.late_negatives, NEGATIVES, "late_negatives scheme")
        for name in ("anneal", "late_from"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"Budget.{name} must be a fraction in [0, 1], got {getattr(self, name)!r}")

    @property
    def late_step(self) -> int | None:
        """The first step trained with ``late_negatives`` (None: the scheme never changes)."""
        step = int(self.steps * self.late_from) + 1
        return step if self.late_negatives and step <= self.steps else None


BUDGETS = {
    "quick": Budget(),
    # The official run's length, batch, learning rates and negatives (its encoder is wider: 100-500-…).
    "paper": Budget(steps=100_000, batch=1000, lr=1e-4, loss_lr=1e-3, anneal=0.0, late_negatives=None,
                    hidden=256, depth=3),
}


def resolve_budget(budget: Budget | str = "quick", steps: int | None = None) -> Budget:
    """A budget from its name (or itself), with ``steps`` overriding its length: the one place a budget is
    resolved."""
    if isinstance(budget, str):
        budget = BUDGETS[_arguments.choice(budget, tuple(BUDGETS), "budget")]
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget or one of {', '.join(map(repr, BUDGETS))}, got {budget!r}")
    if steps is None:
        return budget
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    return replace(budget, steps=steps, eval_every=min(budget.eval_every, steps))


@dataclass
class Fit:
    encoder: nn.Module
    loss: nn.Module
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    lam_hat: list[float] | None = None


def _lam_hat(loss: nn.Module, dim: int) -> list | None:
    """The loss's learned Λ̂ as a list; a scalar (a learned temperature) is the isotropic Λ̂ = λ̂ I."""
    lam = getattr(loss, "lam_hat", None)
    if lam is None:
        return None
    lam = lam.detach().cpu().double()
    return [float(lam)] * dim if lam.ndim == 0 else lam.tolist()


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
    """Train a fresh encoder f so that h = f∘g minimizes ``loss`` on pairs of ``process``.

    The encoder's initialization, the data stream and the evaluation set all derive from ``seed``
    through explicit generators. Every ``eval_every`` steps the history records the loss, linear R²
    and MCC on a fixed held-out set of fresh latents; ``progress`` is called with each record.
    With ``budget.late_negatives`` set, the loss's ``negatives`` attribute is switched in place at
    ``late_from`` (the returned ``Fit.loss`` is the same object, left in the late scheme).
    """
    budget = resolve_budget(budget)
    dev = _arguments.device(device)
    if not isinstance(loss, nn.Module):
        raise TypeError(f"loss must be a torch.nn.Module, got {type(loss).__name__}")
    dim = process.dim
    if getattr(loss, "dim", dim) != dim:
        raise ValueError(f"loss was built for dimension {loss.dim} but the process has dimension {dim}")
    families = len(process.spectra)
    if getattr(loss, "families", 1) != families:
        raise ValueError(f"the process has {families} augmentation families but the loss takes "
                         f"{getattr(loss, 'families', 1)}")

    init_gen = torch.Generator().manual_seed(seed)
    encoder = _seeded(lambda: Encoder(dim, dim, budget.hidden, budget.depth, normalize), init_gen).to(dev)
    loss = loss.to(dev)
    data = process.sampler(dev, seed=seed + 1)
    held_out = process.sampler(dev, seed=seed + 2)
    z_eval = held_out.latents(budget.eval_samples)
    x_eval = held_out.observe(z_eval)
    z_eval_np = z_eval.cpu().numpy()

    groups = [{"params": list(encoder.parameters()), "lr": budget.lr}]
    loss_params = [p for p in loss.parameters() if p.requires_grad]
    if loss_params:
        groups.append({"params": loss_params, "lr": budget.loss_lr})
    opt = torch.optim.Adam(groups)
    # Constant, then a linear decay over the last ``anneal`` fraction: a constant step size keeps the
    # slow alignment between near-equal λ moving; the decay then removes the batch noise at the end.
    decay_start = budget.steps * (1 - budget.anneal)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min(1.0, (budget.steps - step) / max(budget.steps - decay_start, 1e-9)))

    result = Fit(encoder, loss)
    start = time.perf_counter()
    running = 0.0
    for step in range(1, budget.steps + 1):
        if step == budget.late_step and hasattr(loss, "negatives"):
            loss.negatives = budget.late_negatives
        z = data.latents(budget.batch)
        a = encoder(data.observe(z))
        positives = [encoder(data.observe(z_tilde)) for z_tilde in data.positives(z)]
        args = [a, positives if families > 1 else positives[0]]
        if process.hard_negative_beta is not None and step >= (budget.late_step or 1):
            z_neg = data.hard_negatives(z)
            args.append(encoder(data.observe(z_neg.reshape(-1, dim))).reshape(z_neg.shape))
        value = loss(*args)
        if value.shape != ():
            raise ValueError(f"loss must return a scalar, got shape {tuple(value.shape)}")
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
        schedule.step()
        running += value.detach()
        if step % budget.eval_every == 0 or step == budget.steps:
            mean_loss = float(running) / (step - (result.history[-1]["step"] if result.history else 0))
            running = 0.0
            if not math.isfinite(mean_loss):
                since = result.history[-1]["step"] if result.history else 0
                raise FloatingPointError(f"the loss became {mean_loss} between steps {since} and {step}; "
                                         "check the loss, or lower the learning rates")
            h = embed(encoder, x_eval)
            mcc, _ = metrics.mcc(z_eval_np, h)
            record = {
                "step": step,
                "seconds": time.perf_counter() - start,
                "loss": mean_loss,
                "r2": metrics.r2(z_eval_np, h),
                "mcc": mcc,
                "lam_hat": _lam_hat(loss, dim),
            }
            result.history.append(record)
            if progress is not None:
                progress(record)
    result.seconds = time.perf_counter() - start
    result.steps = budget.steps
    result.lam_hat = _lam_hat(loss, dim)
    return result


def _seeded(build: Callable[[], nn.Module], generator: torch.Generator) -> nn.Module:
    """Build a module, then re-draw its Linear layers from ``generator`` with PyTorch's default law
    U(-1/√fan_in, 1/√fan_in) (torch's own init would draw from the global RNG)."""
    module = build()
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)
                for p in (layer.weight, layer.bias):
                    p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * bound)
    return module


__all__ = ["Budget", "BUDGETS", "Fit", "fit", "embed", "resolve_budget"]
