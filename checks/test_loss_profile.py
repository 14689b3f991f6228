"""`pytest checks/ --loss REF`: the checks of a user's loss (see idtheory.plugins for the protocol and
idtheory.testing for what each check asserts), one test per piece of evidence. The ``--loss`` option and
the parametrization come from idtheory's pytest plugin, so the same works in any project."""

import pytest


@pytest.mark.slow
def test_loss(loss_check):
    loss_check()
