"""The pytest plugin idtheory registers (entry point ``pytest11``): ``--loss REF`` parametrizes every test
that takes a ``loss_check`` argument with the checks of that loss (see :mod:`idtheory.testing`); without
``--loss`` such tests are skipped. Nothing heavy is imported until a test asks for it."""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("idtheory")
    group.addoption("--loss", default=None, help="idtheory: the loss whose checks parametrize `loss_check` tests "
                    "(a registered name, package.module:object or path/to/file.py:object)")


def pytest_generate_tests(metafunc):
    if "loss_check" not in metafunc.fixturenames:
        return
    if any("loss_check" in m.args[0] for m in metafunc.definition.iter_markers("parametrize")):
        return  # already parametrized, e.g. by parametrize_loss_checks
    ref = metafunc.config.getoption("--loss")
    if ref is None:
        metafunc.parametrize("loss_check", [pytest.param(None, marks=pytest.mark.skip(reason="no --loss REF given"))])
        return
    from .testing import loss_checks

    checks = loss_checks(ref)
    metafunc.parametrize("loss_check", checks, ids=[c.id for c in checks])
