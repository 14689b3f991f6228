"""The indeterminacy the theory predicts, as an object: a block-orthogonal group over tie groups of Λ.

Singleton blocks are the signed permutations (C1), one block is the full orthogonal group (C3), and
anything in between is block-orthogonal (C2). Scoring an encoder against a group asks exactly for
recovery up to that group: each block of latents linearly explained by one matched block of outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import torch

from . import _arguments, metrics


class GroupKind(IntEnum):
    """The kinds of indeterminacy, smallest group first: a result of a smaller kind is a stronger result."""

    SIGNED_PERMUTATION = 0
    BLOCK_ORTHOGONAL = 1
    ORTHOGONAL = 2
    LINEAR = 3
    NONE = 4  # not even a linear map recovers the latents

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ").replace("block orthogonal", "block-orthogonal")

    @classmethod
    def from_name(cls, name: str) -> GroupKind:
        """The kind of a group name: "block-orthogonal 3+1" is BLOCK_ORTHOGONAL."""
        for kind in cls:
            if name == kind.label or (kind is cls.BLOCK_ORTHOGONAL and name.startswith(kind.label + " ")):
                return kind
        raise ValueError(f"unknown group {name!r}; allowed: {', '.join(repr(k.label) for k in cls)}")

    def satisfies(self, declared: GroupKind) -> bool:
        """Whether a recovery up to this kind attains ``declared`` (this group is no larger)."""
        return self <= declared


@dataclass(frozen=True)
class Indeterminacy:
    blocks: tuple[tuple[int, ...], ...]

    def __post_init__(self):
        blocks = tuple(tuple(sorted(int(i) for i in b)) for b in self.blocks)
        flat = sorted(i for b in blocks for i in b)
        if not blocks or any(not b for b in blocks) or flat != list(range(len(flat))):
            raise ValueError(f"blocks must partition 0..d-1 into non-empty groups, got {self.blocks!r}")
        object.__setattr__(self, "blocks", tuple(sorted(blocks)))

    @classmethod
    def from_spectrum(cls, lam: Sequence[float], rtol: float = 0.05) -> Indeterminacy:
        """Group indices whose λ agree within ``rtol`` (relative, chained over the sorted spectrum)."""
        lam = _arguments.spectrum(lam)
        order = sorted(range(len(lam)), key=lam.__getitem__)
        blocks, current = [], [order[0]]
        for prev, i in zip(order, order[1:]):
            if lam[i] - lam[prev] <= rtol * lam[prev]:
                current.append(i)
            else:
                blocks.append(current)
                current = [i]
        blocks.append(current)
        return cls(tuple(tuple(b) for b in blocks))

    @classmethod
    def signed_permutation(cls, dim: int) -> Indeterminacy:
        return cls(tuple((i,) for i in range(dim)))

    @classmethod
    def orthogonal(cls, dim: int) -> Indeterminacy:
        return cls((tuple(range(dim)),))

    @property
    def dim(self) -> int:
        return sum(len(b) for b in self.blocks)

    @property
    def name(self) -> str:
        if all(len(b) == 1 for b in self.blocks):
            return "signed permutation"
        if len(self.blocks) == 1:
            return "orthogonal"
        return "block-orthogonal " + "+".join(str(len(b)) for b in self.blocks)

    @property
    def kind(self) -> GroupKind:
        if all(len(b) == 1 for b in self.blocks):
            return GroupKind.SIGNED_PERMUTATION
        return GroupKind.ORTHOGONAL if len(self.blocks) == 1 else GroupKind.BLOCK_ORTHOGONAL

    def score(self, z: np.ndarray, h: np.ndarray) -> metrics.BlockRecovery:
        """Recovery up to exactly this group (1.0 means h = group element ∘ z, linearly)."""
        return metrics.block_recovery(z, h, self.blocks)

    def matching(self, recovery: metrics.BlockRecovery) -> np.ndarray:
        """perm with latent i ↔ output perm[i], from a block recovery (within a tie block any order fits)."""
        perm = np.empty(self.dim, dtype=int)
        for b, out in zip(recovery.blocks, recovery.outputs):
            perm[list(b)] = out
        return perm

    def sample(self, generator: torch.Generator, dtype=torch.float64, count: int | None = None) -> torch.Tensor:
        """A random element that keeps every block in place: Haar-random orthogonal blocks (random signs
        for singletons). Permutations act on top of this together with a permuted Λ̂. With ``count``,
        that many independent elements, shape (count, d, d)."""
        d, batch = self.dim, () if count is None else (count,)
        m = torch.zeros(*batch, d, d, dtype=dtype)
        for b in self.blocks:
            q, r = torch.linalg.qr(torch.randn(*batch, len(b), len(b), generator=generator, dtype=dtype))
            q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[..., None, :]  # Haar measure
            index = torch.tensor(b)
            m[..., index[:, None], index] = q
        return m


def common_refinement(*groups: Indeterminacy) -> Indeterminacy:
    """Blocks of indices that lie together in every group: what an ensemble still cannot separate (C7)."""
    if not groups:
        raise ValueError("common_refinement needs at least one group")
    dims = {g.dim for g in groups}
    if len(dims) != 1:
        raise ValueError(f"groups act on different dimensions: {sorted(dims)}")
    labels = [tuple(next(k for k, b in enumerate(g.blocks) if i in b) for g in groups) for i in range(dims.pop())]
    blocks: dict[tuple[int, ...], list[int]] = {}
    for i, key in enumerate(labels):
        blocks.setdefault(key, []).append(i)
    return Indeterminacy(tuple(tuple(b) for b in blocks.values()))
