"""Result records of the check suite and the calibrated thresholds they are judged against."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

THRESHOLDS_PATH = Path(__file__).resolve().parent.parent / "thresholds.json"
#: what "recovered" can mean at all: scores and R² at least this, relative Λ̂ errors at most this (the bounds of
#: every calibrated threshold, and the bar a latent must clear to count as kept at all)
SCORE_FLOOR, ERROR_CEILING = 0.8, 0.3


class Threshold(float):
    """A threshold that knows its key in thresholds.json: a criterion built from it records the key, so the
    calibration judges every record against the threshold it was judged against, without guessing."""

    key: str

    def __new__(cls, value: float, key: str):
        threshold = super().__new__(cls, value)
        threshold.key = key
        return threshold

    def __reduce__(self):
        return Threshold, (float(self), self.key)


class Thresholds(dict):
    """Calibrated thresholds, keyed ``"<case>.<metric>"``; a missing one says how to calibrate it."""

    def __getitem__(self, key: str) -> Threshold:
        return Threshold(super().__getitem__(key), key)

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def __missing__(self, key: str) -> float:
        case = key.split(".")[0]
        raise KeyError(f"no calibrated threshold {key!r} in idtheory/thresholds.json; "
                       f"run `idtheory calibrate --only {case}`")


def thresholds() -> Thresholds:
    return Thresholds(json.loads(THRESHOLDS_PATH.read_text())["thresholds"]) if THRESHOLDS_PATH.exists() \
        else Thresholds()


def out_of_sample() -> dict[str, dict]:
    """case -> its measured out-of-sample rate (``idtheory calibrate``'s evaluation of the thresholds in force,
    stored in thresholds.json); empty when none was measured."""
    if not THRESHOLDS_PATH.exists():
        return {}
    return json.loads(THRESHOLDS_PATH.read_text()).get("out_of_sample", {}).get("rates", {})


def rate_text(row: dict | None) -> str:
    """A measured rate as the reports print it: a control's power (weak below the target), a recovery's or a
    fairness precondition's rate of not holding, with n and the exact 95 % upper bound."""
    if not row:
        return "not measured"
    if "power" in row:
        return f"power {row['power']:.0%} (n {row['n']})" + ("" if row["meets_target"] else ", **weak**")
    word = "false failures" if row["evidence"] == "recovery" else "not as predicted"
    return f"{word} {row['not_as_predicted']}/{row['n']} (≤ {row['upper_95']:.1%})"


class RecordOnly(dict):
    """Thresholds that are all NaN: run the checks to record their metrics (calibration)."""

    def __getitem__(self, key: str) -> Threshold:
        return Threshold(float("nan"), key)

    def get(self, key: str, default=None) -> Threshold:
        return self[key]


@dataclass
class Criterion:
    metric: str
    value: float
    op: str  # ">=" or "<="
    threshold: float
    key: str | None = None  # the thresholds.json key judged against (taken from a Threshold); None: another value

    def __post_init__(self):
        if self.key is None:
            self.key = getattr(self.threshold, "key", None)
        self.threshold = float(self.threshold)

    @property
    def holds(self) -> bool:
        return self.value >= self.threshold if self.op == ">=" else self.value <= self.threshold


@dataclass
class Outcome:
    case: str
    claim: str
    evidence: str  # "proof", "symmetry", "optimum", "recovery", "control", "fairness" (a control's
    # precondition: it must hold) or "reported" (never asserted)
    loss: str
    family: str
    group: str  # the group the criteria score against
    criteria: list[Criterion]
    params: dict  # the example: spectrum (paper convention), seed, …
    detail: dict = field(default_factory=dict)  # matched correlations, history, Λ̂, per-latent R², …
    seconds: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        """recovery, symmetry: every criterion holds; control: some criterion fails, as the theory predicts;
        reported (an assumption violated, or a known optimization failure mode): never failed."""
        if self.error is not None:
            return False
        held = all(c.holds for c in self.criteria)
        return True if self.evidence == "reported" else not held if self.evidence == "control" else held

    @property
    def margin(self) -> float | None:
        """A control's distance from passing the stronger claim: the smallest (threshold − value) for ">="
        criteria, (value − threshold) for "<=" (positive: it failed as predicted); None for other evidence."""
        if self.evidence != "control" or not self.criteria:
            return None
        gaps = [np.subtract(c.threshold, c.value) if c.op == ">=" else np.subtract(c.value, c.threshold)
                for c in self.criteria]
        return float(max(np.max(g) for g in gaps))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["passed"] = self.passed
        out["margin"] = self.margin
        for c, record in zip(self.criteria, out["criteria"]):
            record["holds"] = c.holds
        return out
