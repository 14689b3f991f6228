"""Counter-based random numbers for many runs at once, for the batched engine on CUDA.

A torch generator draws for one run per call, so K runs cost K small kernels per draw: on a GPU the
engine's throughput then grew no further than K ≈ 256 (303 ms per step at K = 1,024, nearly all of it
per-run draws; benchmarks/results/gpu/gpu_throughput_generators.json). Here every number is a hash of its
run's key and of where it is drawn — which call, which rejection round, which row of the run, which
slot of the row — so all runs draw in one vectorized pass, and a run's numbers still depend on
nothing but its own key and its own rows: the same alone or in any batch.

The hash is SplitMix64's finalizer (Steele, Lea & Flood 2014), a bijection of 64-bit integers with full
avalanche, applied twice; int64 tensor arithmetic wraps modulo 2⁶⁴ on CPU and CUDA. The counter packs
(call, round, row, slot) into 63 bits: calls < 2²⁴, rounds < 2⁶, rows < 2²⁰, slots < 2¹³.
"""

from __future__ import annotations

import math

import torch

_ROUND_BITS, _ROW_BITS, _SLOT_BITS = 6, 20, 13
_M1, _M2 = -4658895280553007687, -7723592293110705685  # 0xbf58476d1ce4e5b9, 0x94d049bb133111eb as int64
_GOLDEN = -7046029254386353131  # 0x9e3779b97f4a7c15


def _shift_right(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's >> is arithmetic)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def mix(x: torch.Tensor) -> torch.Tensor:
    """SplitMix64's finalizer on int64 tensors."""
    x = (x ^ _shift_right(x, 30)) * _M1
    x = (x ^ _shift_right(x, 27)) * _M2
    return x ^ _shift_right(x, 31)


def run_keys(seeds, device) -> torch.Tensor:
    """A key per run from its seed (distinct seeds give unrelated streams)."""
    return mix(torch.as_tensor(list(seeds), dtype=torch.int64, device=device) * _GOLDEN + 1)


def bits(keys: torch.Tensor, call: int, round_: int, rows: torch.Tensor, slots: int, offset: int = 0) -> torch.Tensor:
    """(len(rows), slots) 64-bit hashes: row i of its run (``rows``) with key ``keys[i]``, at ``call``,
    rejection ``round_`` and slots ``offset`` … ``offset + slots - 1``."""
    if not (0 <= call < 2**24 and 0 <= round_ < 2**_ROUND_BITS and offset + slots <= 2**_SLOT_BITS):
        raise ValueError(f"counter out of range: call {call}, round {round_}, slots {offset}…{offset + slots}")
    base = ((call << _ROUND_BITS | round_) << _ROW_BITS | rows) << _SLOT_BITS
    counters = base[:, None] + (offset + torch.arange(slots, device=rows.device))
    return mix(mix(counters) ^ keys[:, None])


def uniform(keys, call, round_, rows, slots, dtype=torch.float32, offset: int = 0) -> torch.Tensor:
    """Uniform on (0, 1), never 0 or 1: the top 24 (float32) or 53 (float64) bits, centred in their cell."""
    top = 53 if dtype == torch.float64 else 24
    return (_shift_right(bits(keys, call, round_, rows, slots, offset), 64 - top).to(dtype) + 0.5) * 2.0 ** -top


def normal(keys, call, round_, rows, slots, dtype=torch.float32) -> torch.Tensor:
    """Standard normal by Box–Muller from two uniforms per number (slots 2j and 2j + 1)."""
    u = uniform(keys, call, round_, rows, 2 * slots, dtype).view(len(rows), slots, 2)
    return (-2 * u[..., 0].log()).sqrt() * torch.cos(2 * math.pi * u[..., 1])


class CounterDraws:
    """The rows of many runs, each row drawn by counters: ``keys`` (per row, its run's key) and ``rows``
    (per row, its index within its run); ``call`` numbers the sampler's calls, the same sequence alone or
    batched. :func:`idtheory.conditionals.fisher_bingham_many` draws from it in place of per-run
    generators: in a round, a row's proposals take slots 0 … 2·d·per_row − 1 (Box–Muller pairs) and its
    uniforms the next per_row slots (so d ≤ 15 at 256 proposals per row)."""

    def __init__(self, keys: torch.Tensor, rows: torch.Tensor, call: int):
        self.keys, self.rows, self.call = keys, rows, call
        self.pending = torch.arange(len(rows), device=rows.device)
        self.round = 0

    def active(self) -> torch.Tensor | None:
        """The rows still to sample (None when done)."""
        return self.pending if self.pending.numel() else None

    def normal(self, d: int, per_row: int, dtype) -> torch.Tensor:
        """(d, rows, per_row), coordinate-major as the sampler holds its proposals."""
        draws = normal(self.keys[self.pending], self.call, self.round, self.rows[self.pending], d * per_row, dtype)
        return draws.view(-1, d, per_row).permute(1, 0, 2)

    def uniform(self, d: int, per_row: int, dtype) -> torch.Tensor:
        return uniform(self.keys[self.pending], self.call, self.round, self.rows[self.pending], per_row, dtype,
                       offset=2 * d * per_row)

    def keep(self, got: torch.Tensor) -> None:
        """Drop the rows that got a sample this round; the next round draws from fresh counters."""
        self.pending = self.pending[~got]
        self.round += 1
