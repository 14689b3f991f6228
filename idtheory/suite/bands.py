"""Dimension bands: C1–C3 at the paper's dimension (d = 8–10), with their own budget and thresholds.

The checks' budget (2×64 encoder, batch 256, 800 steps per latent) recovers at d ≤ 4 and not beyond it
(measured on 16 examples at d = 8–10: signed-permutation score median 0.545, every run below C1's
0.818; benchmarks/results/check-suite-notes.md). The ``quick`` budget's shape does (score median 0.949,
MCC median 0.974, no fold in 10), so a band trains with it, and is judged against thresholds calibrated
on the band's own runs: ``C1@d8-10.recovery.score`` and so on, fitted by ``idtheory calibrate --only
C1@d8-10,…`` like any other. A band case is the claim's own case run through :func:`banded`: its runs get
the band's budget, its threshold lookups the band's keys, its outcomes the band's case names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from .. import strategies
from ..budget import Budget
from .records import Threshold, thresholds
from .runs import Train, check_budget

#: The fold fix a band's control trains with: the ``quick`` budget's negatives and Λ̂ (τ) hold when the band's
#: control was calibrated (speed_study.md, "The fold"). Written out, not read from ``BUDGETS["quick"]``, so
#: that the quick recipe can move (it holds Λ̂ longer since: "Holding Λ̂ longer") without changing the
#: protocol of the band's records.
FOLD_FIX = {"late_from": 0.0, "loss_after": 0.25}


@dataclass(frozen=True)
class Band:
    name: str  # "d8-10": case names C1@d8-10, threshold keys C1@d8-10.recovery.score
    low: int
    high: int
    claims: tuple[str, ...]  # the claims whose thresholds the band calibrates (others are borrowed)
    # the claims whose control trains a run of its own (``Train.control``: C1's InfoNCE), with the control recipe
    controls: tuple[str, ...] = ()

    def budget(self, dim: int, control: bool = False) -> Budget:
        """The checks' budget with the ``quick`` budget's shape: 3×128 encoder, batch 512, 20,000 steps, a
        150-step polish (measured: benchmarks/results/check_budget_d8-10_quick.json).

        A control's own run (``control``) also takes the fold fix (``FOLD_FIX``): anchor negatives from
        the first step, the loss's parameters held for the first quarter. With the recovery's recipe, C1's
        InfoNCE (learned τ) dropped a latent in 8 of 20 calibration runs at d = 8–10 (in the one inspected,
        its most augmented): a worse optimum of its own loss (final loss 4.246 with the fold, 4.202 with
        every latent kept), not the theory's reason to fail; speed_study.md, "The band's control". The
        recovery keeps the recipe its thresholds were calibrated with."""
        budget = replace(check_budget(dim), steps=20_000, batch=512, hidden=128, depth=3, polish_steps=150,
                         eval_every=1000)
        return replace(budget, **FOLD_FIX) if control else budget

    def case(self, claim: str) -> str:
        return f"{claim}@{self.name}"

    def key(self, key: str) -> str:
        """A thresholds.json key of the checks -> the band's key (a claim the band does not calibrate keeps its own)."""
        claim, _, rest = key.partition(".")
        return f"{self.case(claim)}.{rest}" if claim in self.claims else key


HIGH = Band("d8-10", 8, 10, ("C1", "C2", "C3"), controls=("C1",))
BANDS = {HIGH.name: HIGH}

#: the band's spectra: the paper's range (linspace 2.5…12.5 has neighbours ×1.13–1.44), not the checks' own
#: strategies, whose neighbours differ ×1.6–2.0 (at d = 10: λ = 2…500, where nobody trains)
BAND_SPECTRA: dict[str, Callable[[int, int], st.SearchStrategy]] = {
    "C1": lambda low, high: strategies.distinct_spectra(low, high, 0.15, 0.3, 2.0, 5.0),
    "C2": lambda low, high: strategies.tied_spectra(low, high, 0.15, 0.3, 2.0, 5.0, min_block=3, min_groups=2),
    "C3": lambda low, high: strategies.isotropic_spectra(low, high, 2.0, 10.0),
}


class BandThresholds(dict):
    """The thresholds a band case is judged against: each key of the checks read as the band's key."""

    def __init__(self, base, band: Band):
        super().__init__()
        self.base, self.band = base, band

    def __getitem__(self, key: str) -> Threshold:
        key = self.band.key(key)
        return Threshold(float(self.base[key]), key)

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def banded(run: Callable, band: Band, claim: str, example, seed: int, device="cpu", th=None, assume=None):
    """``run`` (the case generator of ``claim``) on a band: its training requests get the band's budget (a
    control's own run the control recipe), its threshold lookups the band's keys, its outcomes the band's
    case names (``C1.recovery`` -> ``C1@d8-10.recovery``)."""
    inner = run(example, seed, device, BandThresholds(thresholds() if th is None else th, band), assume=assume)
    sent = None
    while True:
        try:
            ask = inner.send(sent)
        except StopIteration as stop:
            outcomes = stop.value
            break
        asks = ask if isinstance(ask, list) else [ask]
        if any(isinstance(a, Train) and a.control for a in asks) and claim not in band.controls:
            # the calibration protocol of a band case counts the control recipe only for band.controls
            raise ValueError(f"{claim} trains a control run of its own on band {band.name}, whose controls are "
                             f"{band.controls}: add {claim!r} to them")
        banded_asks = [replace(a, budget=band.budget(a.process.dim, a.control)) if isinstance(a, Train) else a
                       for a in asks]
        sent = yield banded_asks if isinstance(ask, list) else banded_asks[0]
    for outcome in outcomes:
        outcome_claim, _, rest = outcome.case.partition(".")
        outcome.case = f"{band.case(outcome_claim)}.{rest}"
    return outcomes


def band_of(name: str) -> Band | None:
    """The band of a case name (``C1@d8-10`` -> HIGH), None for the checks' own cases."""
    return BANDS[name.split("@", 1)[1].split(".")[0]] if "@" in name else None
