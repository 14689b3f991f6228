"""`pytest checks/ --loss REF`: the identifiability profile of a user's loss (see idtheory.plugins for the
protocol). Passes when every run completes and the loss recovers what it declares (``identifies``) on
distinct spectra."""

import pytest

from idtheory import suite
from idtheory.plugins import resolve_loss
from idtheory.validation import check_loss, declared_consistent, summarize


@pytest.mark.slow
def test_loss_profile(request):
    ref = request.config.getoption("--loss")
    if ref is None:
        pytest.skip("no --loss REF given")
    plugin = resolve_loss(ref)
    profile = suite.PROFILES[suite.active_profile()]
    records = check_loss(ref, examples=profile.examples, max_dim=profile.max_dim)
    errors = [f"{r.family}: {r.error}" for r in records if r.error]
    assert not errors, errors
    if plugin.identifies is not None:
        strongest = summarize(records)["distinct"]["strongest"]
        assert declared_consistent(records, plugin.identifies), (
            f"{plugin.name} declares {plugin.identifies!r} but recovers {strongest} on distinct spectra")
