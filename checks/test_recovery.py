"""Recovery checks and negative controls of C1–C7: train small encoders on hypothesis-drawn processes
and assert recovery up to exactly the predicted group — and that the stronger group, or the
misspecified loss, fails as the theory says. The logic lives in idtheory.suite; thresholds in
idtheory/thresholds.json (benchmarks/calibrate.py)."""

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from idtheory import suite

PROFILE = suite.PROFILES[suite.active_profile()]

# Training checks: few examples, no shrinking (a re-run is a full training), no deadline.
training = settings(max_examples=PROFILE.examples, phases=[Phase.explicit, Phase.generate], deadline=None,
                    suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.slow
@pytest.mark.parametrize("claim", list(suite.CASES))
@training
@given(data=st.data())
def test_claim_recovery_and_controls(claim, data):
    if not suite.calibrated(claim):
        to_calibrate = suite.CASES[claim].claim
        pytest.skip(f"{claim} has no calibrated thresholds yet (benchmarks/calibrate.py --only {to_calibrate})")
    example = data.draw(suite.CASES[claim].examples(PROFILE.max_dim), label="example")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    outcomes = suite.run_case(claim, example, seed)
    for o in outcomes:
        note(f"{o.case}: {o.criteria} error={o.error}")
    failed = [o for o in outcomes if not o.passed]
    assert not failed, "; ".join(
        f"{o.case} ({o.evidence}, {o.loss}) " + (o.error or ", ".join(
            f"{c.metric}={c.value:.4f} {c.op} {c.threshold:.4f}: {'holds' if c.holds else 'fails'}"
            for c in o.criteria)) for o in failed)

