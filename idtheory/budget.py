"""Training budgets: the hyper-parameters of a run, by name, resolved in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import _arguments


@dataclass(frozen=True)
class Budget:
    """Training hyper-parameters. The defaults are the first ``quick`` recipe, chosen by the measurements
    in benchmarks/results/speed_study.md (the checks' and the bands' budgets derive from them, and their
    thresholds were calibrated with them); ``BUDGETS["quick"]`` now changes the negatives, holds Λ̂ early
    and adds the polish phase."""

    steps: int = 20_000
    batch: int = 512
    lr: float = 2e-3
    loss_lr: float = 5e-3  # on ln Λ̂: a relative step of ~0.5 %
    anneal: float = 0.25  # final fraction of ``steps`` over which all learning rates decay linearly to 0
    # Negatives scheme from the fraction ``late_from`` of the steps on (losses with a ``negatives``
    # attribute): both-view negatives get the encoder off the ground fastest, but they are not uniform,
    # which biases Λ̂; anchor negatives (the theory's exact setting) then remove the bias. Anchor
    # negatives from the first step fold d = 10 runs unless Λ̂ is held early (``loss_after``):
    # speed_study.md, "The fold".
    late_negatives: str | None = "anchors"
    late_from: float = 0.25
    # The fraction of the steps before the loss's own parameters (Λ̂, a learned τ) start training; until
    # then they stay at their initialization. 0: trained from the first step.
    loss_after: float = 0.0
    hidden: int = 128
    depth: int = 3
    eval_every: int = 1000
    eval_samples: int = 4096
    # After the steps: Adam over an orthogonal map of the outputs (and the loss's parameters) on a fixed
    # sample of ``polish_batches`` batches, for ``polish_steps`` steps (0: none; neither more than
    # ``steps``); see engine.polish. The quick budget polishes, measured in speed_study.md.
    # ``polish_pool`` > ``polish_batches``: the fixed sample is that many batches, and every step takes a
    # random ``polish_batches`` of them (the rotation's error is the sample's noise; this buys a larger
    # sample at the same cost per step).
    polish_steps: int = 0
    polish_batches: int = 64
    polish_pool: int = 0
    polish_lr: float = 0.03
    # Train every run this many times from other initializations (in the same batch) and keep the one
    # with the lowest final training loss (engine.fit_many); 1: no restarts.
    restarts: int = 1

    def __post_init__(self):
        for name in ("steps", "batch", "hidden", "depth", "eval_every", "eval_samples", "polish_batches", "restarts"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Budget.{name} must be a positive int, got {value!r}")
        if self.batch < 2:
            raise ValueError(f"Budget.batch must be at least 2 for in-batch negatives, got {self.batch}")
        for name in ("polish_steps", "polish_pool"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"Budget.{name} must be an int >= 0, got {value!r}")
        if self.polish_pool and self.polish_pool < self.polish_batches:
            raise ValueError(f"Budget.polish_pool must be 0 or at least polish_batches ({self.polish_batches}), "
                             f"got {self.polish_pool}")
        for name in ("lr", "loss_lr", "polish_lr"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Budget.{name} must be a finite number > 0, got {value!r}")
        if self.late_negatives is not None:
            from .losses import NEGATIVES

            _arguments.choice(self.late_negatives, NEGATIVES, "late_negatives scheme")
        for name in ("anneal", "late_from", "loss_after"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"Budget.{name} must be a fraction in [0, 1], got {getattr(self, name)!r}")

    @property
    def late_step(self) -> int | None:
        """The first step trained with ``late_negatives`` (None: the scheme never changes)."""
        step = int(self.steps * self.late_from) + 1
        return step if self.late_negatives and step <= self.steps else None

    @property
    def loss_step(self) -> int:
        """The first step that trains the loss's own parameters."""
        return int(self.steps * self.loss_after) + 1 if self.loss_after else 1


BUDGETS = {
    # Anchor negatives from the first step, Λ̂ held at its initialization (distinct values) for the first
    # 85 % of the steps, and a 300-step polish on 256 fixed batches, 64 a step (measured: speed_study.md,
    # "The fold" and "Holding Λ̂ longer": chosen on seeds 100-109 over holding it 25, 40, 55, 70 %).
    "quick": Budget(late_from=0.0, loss_after=0.85, polish_steps=300, polish_pool=256),
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
