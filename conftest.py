"""Hypothesis profiles: `dev` (default), `ci` (loaded when CI is set: fewer examples, derandomized),
`thorough` (select with --hypothesis-profile=thorough). Deadlines are off: torch calls vary in time."""

import os

import torch
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# One torch thread per pytest-xdist worker: the workers already use every core.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)

