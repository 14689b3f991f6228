"""The generative process: a frozen, hashable config and the stateful sampler it builds on a device."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from . import _arguments
from .conditionals import CONDITIONAL_SPACES, CONDITIONALS, fisher_bingham
from .mixing import MIXINGS, build_mixing
from .spaces import BOUNDS, SPACES


@dataclass(frozen=True)
class GenerativeProcess:
    """z ~ uniform on the sphere, z̃ ~ p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) (paper convention), x = g(z).

    ``lam`` is Λ's diagonal in the paper's convention; the official code's λ is twice this.
    ``seed`` fixes the mixing g; the data stream is seeded separately in :meth:`sampler`.

    Two extensions of the data design, each for one claim:

    * ``families`` (C7): further augmentation families Λ_2, Λ_3, …; every anchor then gets one positive
      per family (``lam`` is the first family).
    * ``hard_negative_beta`` β (C6): each anchor also gets ``hard_negative_count`` negatives drawn from
      q(z⁻|z) ∝ exp(β zᵀz⁻), a von Mises–Fisher law around the anchor, instead of in-batch negatives.
    """

    lam: tuple[float, ...]
    conditional: str = "exact"
    mixing: str = "mlp"
    mixing_layers: int = 3
    space: str = "sphere"
    seed: int = 0
    families: tuple[tuple[float, ...], ...] = ()
    hard_negative_beta: float | None = None
    hard_negative_count: int = 16
    dim: int = field(init=False)

    def __post_init__(self):
        lam = _arguments.spectrum(self.lam)
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "dim", len(lam))
        _arguments.choice(self.conditional, tuple(CONDITIONALS), "conditional")
        _arguments.choice(self.mixing, tuple(MIXINGS), "mixing")
        _arguments.choice(self.space, tuple(SPACES), "space")
        spaces = CONDITIONAL_SPACES.get(self.conditional, ("sphere",))
        if self.space not in spaces:
            fitting = [c for c, sp in CONDITIONAL_SPACES.items() if self.space in sp]
            raise ValueError(f"conditional {self.conditional!r} is defined on {', '.join(spaces)}, not on "
                             f"{self.space!r}; conditionals for {self.space!r}: {', '.join(fitting) or 'none'}")
        if not isinstance(self.mixing_layers, int) or self.mixing_layers < 1:
            raise ValueError(f"mixing_layers must be a positive int, got {self.mixing_layers!r}")
        families = tuple(_arguments.spectrum(f, len(lam), f"families[{k}]") for k, f in enumerate(self.families))
        object.__setattr__(self, "families", families)
        beta = self.hard_negative_beta
        if beta is not None and not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
            raise ValueError(f"hard_negative_beta must be a finite number > 0 or None, got {beta!r}")
        if not isinstance(self.hard_negative_count, int) or self.hard_negative_count < 1:
            raise ValueError(f"hard_negative_count must be a positive int, got {self.hard_negative_count!r}")

    @property
    def spectra(self) -> tuple[tuple[float, ...], ...]:
        """Every augmentation family's Λ, ``lam`` first."""
        return (self.lam, *self.families)

    @property
    def lam_code(self) -> tuple[float, ...]:
        """Λ in the official code's exp(-½ …) convention."""
        return tuple(2 * v for v in self.lam)

    def sampler(self, device: str | torch.device = "cpu", seed: int = 0) -> ProcessSampler:
        return ProcessSampler(self, _arguments.device(device), seed)


class ProcessSampler:
    """Draws batches of a process directly on its device, from its own generator (no global RNG)."""

    def __init__(self, process: GenerativeProcess, device: torch.device, seed: int):
        self.process = process
        self.device = device
        self.seed = seed  # the data stream's seed (the batched engine keys counter-based draws by it)
        mixing_gen = torch.Generator(device=device).manual_seed(process.seed)
        self.mixing = build_mixing(process.mixing, process.dim, process.mixing_layers, mixing_gen).to(device)
        self.mixing.requires_grad_(False)
        self.spectra = [torch.tensor(lam, device=device) for lam in process.spectra]
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self._marginal = SPACES[process.space]
        conditional = CONDITIONALS[process.conditional]
        self._bounds = bounds = BOUNDS.get(process.space)
        self._conditional = conditional if bounds is None else (lambda z, lam, g: conditional(z, lam, g, bounds))
        self._checked = False  # the conditional's first output is checked once (a registered one may be wrong)

    def latents(self, n: int) -> torch.Tensor:
        return self._marginal(n, self.process.dim, self.generator)

    def latent_pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.latents(n)
        return z, self._conditional(z, self.spectra[0], self.generator)

    def positives(self, z: torch.Tensor) -> list[torch.Tensor]:
        """One positive per augmentation family for each anchor."""
        out = [self._conditional(z, lam, self.generator) for lam in self.spectra]
        if not self._checked:
            self._check(z, out[0])
            self._checked = True
        return out

    def _check(self, z: torch.Tensor, z_tilde) -> None:
        """Blame a conditional that returns the wrong shape or points outside its latent space, where it is
        called, instead of letting the encoder or the loss fail on them later."""
        name, space = self.process.conditional, self.process.space
        if not isinstance(z_tilde, torch.Tensor) or z_tilde.shape != z.shape:
            got = tuple(z_tilde.shape) if isinstance(z_tilde, torch.Tensor) else type(z_tilde).__name__
            raise ValueError(f"conditional {name!r} returned {got} for anchors of shape {tuple(z.shape)}; it must "
                             "return one sample per anchor, of the anchors' shape")
        if not bool(torch.isfinite(z_tilde).all()):
            raise ValueError(f"conditional {name!r} returned non-finite values")
        if space == "sphere":
            off = float((z_tilde.norm(dim=1) - 1).abs().max())
            if off > 1e-4:
                raise ValueError(f"conditional {name!r} returned points off the unit sphere (|‖z̃‖ - 1| up to "
                                 f"{off:.3g}); a sphere conditional must return unit vectors")
        elif self._bounds is not None:
            low, high = self._bounds
            if bool((z_tilde < low).any() or (z_tilde > high).any()):
                raise ValueError(f"conditional {name!r} returned points outside the {space} [{low}, {high}]^d")

    def hard_negatives(self, z: torch.Tensor) -> torch.Tensor:
        """(n, count, d) draws of q(z⁻|z) ∝ exp(β zᵀz⁻): vMF(β) is the Fisher–Bingham law with Λ = (β/2)I."""
        beta, count = self.process.hard_negative_beta, self.process.hard_negative_count
        if beta is None:
            raise ValueError("this process has no hard negatives: set GenerativeProcess.hard_negative_beta")
        iso = torch.full((self.process.dim,), beta / 2, device=self.device)
        return fisher_bingham(z.repeat_interleave(count, 0), iso, self.generator).reshape(len(z), count, -1)

    @torch.no_grad()
    def observe(self, z: torch.Tensor) -> torch.Tensor:
        return self.mixing(z)
