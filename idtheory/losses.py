"""Contrastive losses: InfoNCE and AnInfoNCE, sharing one numerically stable InfoNCE estimator.

A loss is a module with ``critic(a, b) -> (len(a), len(b))`` scores; :class:`ContrastiveLoss` turns
any critic into the (M+1)-way classification loss. Two negative schemes:

* ``"anchors"`` (the theory's setting): row i scores its positive p_i against the *other anchors*
  a_j, j ≠ i, which are i.i.d. draws of the uniform marginal. B candidates per row.
* ``"both"`` (SimCLR practice and the official code): 2B rows, every view against the other 2B-1
  views, i.e. 2B-2 in-batch negatives from both views. Symmetric in the two views. The positives'
  marginal is not exactly uniform when Λ is anisotropic, so this is slightly off the theory.

Self-pairs are excluded exactly (their score is -inf, contributing nothing to the normalizer).

Hard negatives (claim C6), two ways:

* ``hard_beta`` β > 0: Robinson et al. (2021)'s importance-weighted in-batch estimator. Each row's
  in-batch negatives j are reweighted by w_ij ∝ exp(β ⟨a_i, c_j⟩) (normalized to mean 1 over the row,
  not differentiated): a consistent estimate of negatives from q(z⁻|z) ∝ exp(β zᵀz⁻) once the
  embedding preserves inner products, which the optimum h = Oz does. In logits this is + ln w_ij.
* explicit negatives: ``loss(a, p, negatives)`` with negatives of shape (B, M, d) scores row i's
  positive against its own M negatives (e.g. drawn from the vMF law in latent space by the process).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _arguments

NEGATIVES = ("anchors", "both")


class _InnerProducts(torch.autograd.Function):
    """``a @ b.mT``: every row of ``a`` against every row of ``b`` (batch dimensions allowed), with a backward
    that multiplies in the fast orientation. The gradients (B × B) @ (B × k) have a thin output (k = d or
    d + 2), which CPU BLAS computes several times slower than the transposed product (k × B) @ (B × B)
    (measured, one thread, K = 32: B = 256 5.7 → 1.2 ms, B = 512 26 → 9 ms for both gradients); so
    the backward forms the transposes. Its own vmap rule runs the batched product directly (a generated
    rule would trace the backward at every call)."""

    @staticmethod
    def forward(a, b):
        return a @ b.mT

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (b.mT @ grad.mT).mT, (a.mT @ grad).mT

    @staticmethod
    def vmap(info, in_dims, a, b):
        a, b = (x.movedim(d, 0) if d is not None else x.expand(info.batch_size, *x.shape)
                for x, d in zip((a, b), in_dims))
        return _InnerProducts.apply(a, b), 0


def _weighted_squares(x: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """Σᵢ λᵢ xᵢ² per row, as a column (n, 1). An elementwise product and a row sum rather than the
    matrix-vector product (x * x) @ λ: under vmap that product runs as one BLAS call whose summation
    order depends on how many runs share the batch (measured at d = 10: K = 1 and K = 2 differed in
    the last bit), and a run must not depend on its batch-mates."""
    return (x * x * lam).sum(1, keepdim=True)


def inner_products(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(…, n, k), (…, m, k) -> (…, n, m) of inner products aᵢᵀbⱼ (differentiable, vmappable)."""
    return _InnerProducts.apply(a, b)


class ContrastiveLoss(nn.Module):
    """InfoNCE over an arbitrary critic; subclasses define :meth:`critic`."""

    def __init__(self, negatives: str = "both", hard_beta: float = 0.0):
        super().__init__()
        self.negatives = _arguments.choice(negatives, NEGATIVES, "negatives scheme")
        if not (isinstance(hard_beta, (int, float)) and math.isfinite(hard_beta) and hard_beta >= 0):
            raise ValueError(f"hard_beta must be a finite number >= 0, got {hard_beta!r}")
        self.hard_beta = float(hard_beta)

    def _hard_weights(self, rows: torch.Tensor, cols: torch.Tensor, excluded: torch.Tensor) -> torch.Tensor:
        """ln w_ij for in-batch negatives; ``excluded`` marks the non-negatives (positive, self) of each row."""
        with torch.no_grad():
            sim = (self.hard_beta * rows @ cols.T).masked_fill(excluded, -math.inf)
            count = (~excluded).sum(1, keepdim=True)
            return (sim - sim.logsumexp(1, keepdim=True) + count.log()).masked_fill(excluded, 0.0)

    def critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Scores of every a_i against every b_j: shape (len(a), len(b))."""
        raise NotImplementedError

    def pair_critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Scores of a_i against b_i only; override when cheaper than the diagonal of :meth:`critic`."""
        return self.critic(a, b).diagonal()

    def forward(self, a: torch.Tensor, p: torch.Tensor, negatives: torch.Tensor | None = None) -> torch.Tensor:
        # Cross-entropy written out (vmap runs it as is; it decomposes cross_entropy), through log_softmax:
        # its fused kernels take one pass each way, where logsumexp's backward re-exponentiates (measured,
        # K = 32, B = 256, one thread, with the critic's matmul: forward + backward 11.2 → 7.9 ms).
        logits, labels = self.logits(a, p, negatives)
        return -logits.log_softmax(1).gather(1, labels[:, None]).mean()

    def logits(self, a: torch.Tensor, p: torch.Tensor, negatives: torch.Tensor | None = None):
        """(logits, labels) of the classification problem: row r's candidates and its positive's column."""
        _arguments.embeddings(a, p, getattr(self, "dim", None))
        n = a.shape[0]
        if negatives is not None:
            _arguments.negatives(negatives, a)
            m = negatives.shape[1]
            scores = self.pair_critic(a.repeat_interleave(m, 0), negatives.reshape(n * m, -1)).reshape(n, m)
            logits = torch.cat([self.pair_critic(a, p)[:, None], scores], dim=1)
            return logits, torch.zeros(n, dtype=torch.long, device=a.device)
        target = torch.arange(n, device=a.device)
        if self.negatives == "anchors":
            # Row i: the other anchors a_j as negatives; the self-pair slot (i, i) holds the positive.
            logits = self.critic(a, a)
            logits.diagonal().copy_(self.pair_critic(a, p))
            if self.hard_beta:
                logits = logits + self._hard_weights(a, a, torch.eye(n, dtype=torch.bool, device=a.device))
            return logits, target
        views = torch.cat([a, p])
        logits = self.critic(views, views)
        logits.diagonal().fill_(-math.inf)  # exact self-pair exclusion
        labels = torch.cat([target + n, target])
        if self.hard_beta:
            excluded = torch.eye(2 * n, dtype=torch.bool, device=a.device)
            excluded[torch.arange(2 * n, device=a.device), labels] = True
            logits = logits + self._hard_weights(views, views, excluded)
        return logits, labels

    def candidates(self, batch: int) -> int:
        """Number of candidates (positive + negatives) per row: ln of it is the loss of a constant encoder."""
        return batch if self.negatives == "anchors" else 2 * batch - 1


class InfoNCE(ContrastiveLoss):
    """InfoNCE with the cosine critic aᵀb/τ (for sphere-normalized outputs).

    ``learn_tau=True`` trains τ with the encoder (ln(1/τ) is the parameter, starting at ``tau``), as
    CLIP does: the critic then equals AnInfoNCE's with Λ̂ = I/(2τ) up to a constant — isotropic, so it
    can match an isotropic conditional (C3) but no anisotropic one (C1, C4). A fixed τ far above the
    conditional's 1/(2κ) lets small encoders fold a latent (measured: τ = 0.1 folded in d = 3–4);
    starting soft (τ = 0.5) and learning avoids that, like AnInfoNCE's ``init="low"``.
    """

    identifies = "orthogonal"  # C3: any rotation; under anisotropy it is misspecified (C4)

    def __init__(self, tau: float = 0.1, negatives: str = "both", hard_beta: float = 0.0,
                 learn_tau: bool = False):
        super().__init__(negatives, hard_beta)
        if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
            raise ValueError(f"tau must be a finite number > 0, got {tau!r}")
        self._fixed_tau = None if learn_tau else float(tau)
        self.log_inverse_tau = nn.Parameter(torch.tensor(math.log(1 / tau))) if learn_tau else None

    @classmethod
    def learned(cls, start: float = 0.5, **kwargs) -> InfoNCE:
        """InfoNCE whose temperature is trained from a soft ``start`` (the registered ``infonce``)."""
        return cls(tau=start, learn_tau=True, **kwargs)

    @property
    def tau(self) -> float:
        return self._fixed_tau if self._fixed_tau is not None else float(torch.exp(-self.log_inverse_tau.detach()))

    @property
    def lam_hat(self) -> torch.Tensor | None:
        """The learned critic as an isotropic Λ̂ = I/(2τ) (a scalar); None while τ is fixed."""
        return None if self.log_inverse_tau is None else 0.5 * self.log_inverse_tau.exp()

    @property
    def concentration(self) -> float:
        """1/(2τ): the κ of the vMF conditional this critic matches (paper convention, as Λ̂)."""
        return 0.5 / self.tau

    def _scale(self, scores: torch.Tensor) -> torch.Tensor:
        if self._fixed_tau is not None:
            return scores / self._fixed_tau
        return scores * self.log_inverse_tau.exp()

    def critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self._scale(inner_products(a, b))

    def pair_critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self._scale((a * b).sum(1))


#: named Λ̂ initializations: log-spaced over (low, high)
INITS = {"low": (0.5, 2.0), "spread": (1.0, 10.0)}


class AnInfoNCE(ContrastiveLoss):
    """InfoNCE with critic s(a, b) = -(a-b)ᵀ Λ̂ (a-b), Λ̂ a learnable positive diagonal (paper convention).

    Λ̂ = exp(θ): positive by construction, and Adam's steps on θ are relative changes of Λ̂, which
    suits a spectrum spanning several-fold. ``init`` is a scalar, a length-``dim`` sequence, or one of

    * ``"low"`` (default): distinct values log-spaced over 0.5…2;
    * ``"spread"``: distinct values log-spaced over 1…10 (what the d = 10 reproductions use).

    Distinct values break the rotation symmetry from the first step, so the encoder does not first
    learn an arbitrary rotation that it must later undo (measured: MCC 0.87 vs 0.83 after 5,000 steps
    on linspace, spread vs constant). Starting low — a soft critic, like a high temperature — avoids
    the folded local minima small encoders otherwise fall into (measured, d = 3, 2,000 steps: 4 of 6
    seeds folded one latent onto |z_i| with Λ̂ starting at 5, none at 1; at 3,000 steps, 0.5…2 gave
    block scores 0.966–0.998 on 6 of 6 seeds). Which output gets which value is arbitrary, so this
    biases nothing but the permutation.
    """

    identifies = "signed permutation"  # on distinct spectra (C1), for the loss protocol of idtheory.plugins

    def __init__(self, dim: int, init: float | tuple[float, ...] | str = "low", negatives: str = "both",
                 learnable: bool = True, hard_beta: float = 0.0):
        super().__init__(negatives, hard_beta)
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.dim = dim
        if isinstance(init, str):
            low, high = INITS[_arguments.choice(init, tuple(INITS), "init")]
            init = tuple(torch.logspace(math.log10(low), math.log10(high), dim, dtype=torch.float64).tolist())
        values = _arguments.spectrum([init] * dim if isinstance(init, (int, float)) else init, dim, "init")
        self.log_lam = nn.Parameter(torch.tensor(values).log(), requires_grad=learnable)

    @property
    def lam_hat(self) -> torch.Tensor:
        return self.log_lam.exp()

    def critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        # -(a-b)ᵀΛ̂(a-b) = 2aᵀΛ̂b - aᵀΛ̂a - bᵀΛ̂b, as one matmul of augmented rows (no B×B temporaries).
        lam = self.lam_hat
        ones_a, ones_b = a.new_ones(len(a), 1), b.new_ones(len(b), 1)
        left = torch.cat([2 * a * lam, -_weighted_squares(a, lam), ones_a], dim=1)
        right = torch.cat([b, ones_b, -_weighted_squares(b, lam)], dim=1)
        return inner_products(left, right)

    def pair_critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        diff = a - b
        return -_weighted_squares(diff, self.lam_hat).squeeze(1)



class LpAnInfoNCE(ContrastiveLoss):
    """The anisotropic Lp critic -Σ_i λ̂_i |a_i - b_i|^p, Λ̂ learnable, for unnormalized outputs on box or
    R^d latents with the matching Lp conditional (claim C8; p = 1: the Laplace conditional)."""

    identifies = "signed permutation"  # with per-axis scaling and an offset (C8), ties or not
    normalize_outputs = False

    def __init__(self, dim: int, p: float = 1.0, init: float | tuple[float, ...] | str = "low",
                 negatives: str = "both"):
        super().__init__(negatives)
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p > 0):
            raise ValueError(f"p must be a finite number > 0, got {p!r}")
        self.p = float(p)
        self.dim = dim
        self.log_lam = AnInfoNCE(dim, init).log_lam

    @property
    def lam_hat(self) -> torch.Tensor:
        return self.log_lam.exp()

    def critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        # Σ λ_i |a_i - b_i|^p = ‖λ^{1/p} ∘ (a - b)‖_p^p: one cdist, no (B, B, d) temporary
        scale = self.lam_hat ** (1 / self.p)
        return -torch.cdist(a * scale, b * scale, p=self.p) ** self.p

    def pair_critic(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return -((a - b).abs() ** self.p * self.lam_hat).sum(1)


class EnsembleAnInfoNCE(nn.Module):
    """Σ_k w_k AnInfoNCE_k over K augmentation families sharing one encoder, each with its own Λ̂_k (C7).

    Called as ``loss(a, [p_1, …, p_K])`` with one positive batch per family, in the order of
    :attr:`GenerativeProcess.spectra`.
    """

    def __init__(self, dim: int, families: int = 2, weights: tuple[float, ...] | None = None,
                 init: float | tuple[float, ...] | str = "low", negatives: str = "both"):
        super().__init__()
        if not isinstance(families, int) or families < 1:
            raise ValueError(f"families must be a positive int, got {families!r}")
        weights = (1.0,) * families if weights is None else _arguments.spectrum(weights, families, "weights")
        self.dim, self.families, self.weights = dim, families, weights
        self.members = nn.ModuleList(AnInfoNCE(dim, init, negatives) for _ in range(families))

    @property
    def negatives(self) -> str:
        return self.members[0].negatives

    @negatives.setter
    def negatives(self, scheme: str) -> None:
        for member in self.members:
            member.negatives = _arguments.choice(scheme, NEGATIVES, "negatives scheme")

    @property
    def lam_hat(self) -> torch.Tensor:
        """(K, d): row k is family k's Λ̂."""
        return torch.stack([m.lam_hat for m in self.members])

    def forward(self, a: torch.Tensor, positives) -> torch.Tensor:
        if isinstance(positives, torch.Tensor) or len(positives) != self.families:
            got = "one tensor" if isinstance(positives, torch.Tensor) else f"{len(positives)} batches"
            raise ValueError(f"EnsembleAnInfoNCE needs one positive batch per family ({self.families}), got {got}")
        return sum(w * m(a, p) for w, m, p in zip(self.weights, self.members, positives))
