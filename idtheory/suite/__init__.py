"""The numerical checks of every claim, as plain functions returning result records.

A *case* trains one or more small encoders on one example of a process family and returns
:class:`Outcome` records, one per piece of evidence:

* ``recovery`` — the theory's prediction holds: recovery up to exactly the predicted group clears a
  calibrated threshold (the group is no larger than predicted);
* ``control`` — a negative control: the same criterion for a *stronger* group, or for a loss the theory
  says is misspecified, must fail (``passed`` then means "failed as predicted").

Thresholds come from ``thresholds.json``, written by ``idtheory calibrate`` (:mod:`idtheory.calibration`)
from the calibration seed stream; checks draw from the evaluation stream. Examples (spectra and seeds) are drawn by the
hypothesis strategies of :mod:`idtheory.strategies`, so pytest (``checks/``), the CLI
(``idtheory check``) and the calibration sample the same families.
"""

from .bands import BANDS, band_of
from .catalog import (
           BAND_CASES,
           CASES,
           PROFILES,
           Case,
           Profile,
           active_profile,
           calibrated,
           draw_examples,
           parse_claims,
           training_jobs,
           uncalibrated_bands,
)
from .evidence import optimum_outcomes, proof_outcomes, symmetry_outcomes
from .extended_cases import case_c6, case_c7, case_c8, case_c8_violation
from .records import THRESHOLDS_PATH, Criterion, Outcome, RecordOnly, Thresholds, thresholds
from .runner import run_case, run_cases, run_jobs, run_one
from .runs import Run, _process, check_budget, train
from .sphere_cases import case_c1, case_c2, case_c3, case_c4, case_c5

__all__ = ["BANDS", "BAND_CASES", "CASES", "band_of",
           "PROFILES", "THRESHOLDS_PATH", "Case", "Criterion", "Outcome", "Profile", "RecordOnly", "Run",
           "Thresholds", "active_profile", "calibrated", "case_c1", "case_c2", "case_c3", "case_c4", "case_c5",
           "case_c6", "case_c7", "case_c8", "case_c8_violation", "check_budget", "draw_examples", "optimum_outcomes",
           "proof_outcomes", "run_case", "run_cases", "run_jobs", "run_one", "symmetry_outcomes", "thresholds", "train",
           "training_jobs", "uncalibrated_bands",
           "parse_claims", "_process"]
