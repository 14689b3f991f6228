"""Loss checks for your own test suite, in the spirit of scikit-learn's ``parametrize_with_checks``:
one pytest test per piece of evidence — the optimum check, then every process family the loss fits —
each a :class:`LossCheck` that profiles the loss (:func:`idtheory.validation.check_loss`) and asserts
what it declares::

    from idtheory.testing import parametrize_loss_checks

    @parametrize_loss_checks("my_package.losses:MyLoss")
    def test_my_loss(loss_check):
        loss_check()

or, with the pytest plugin idtheory installs, ``pytest --loss REF`` parametrizes any test that takes
a ``loss_check`` argument. A family's check fails when a run errors, when training had not settled
(inconclusive: train longer), or when the verdict contradicts the loss's ``identifies`` (a group on
distinct spectra; ``"theory"``: the theory's group on every family). The number of examples follows
the hypothesis profile in force (``ci``: 2 per family, ``quick``/default: 4; each from 2 initializations).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossCheck:
    loss: object  # a reference string or a loss object (idtheory.plugins)
    evidence: str  # "optimum" or a process family
    examples: int = 2
    steps: int | None = None

    @property
    def id(self) -> str:
        return self.evidence

    def __call__(self) -> None:
        from .plugins import resolve_loss
        from .validation import check_loss, optimum_evidence

        if self.evidence == "optimum":
            result = optimum_evidence(resolve_loss(self.loss))
            assert result.get("holds") is not False, result.get("message") or result.get("error")
            return
        profile = check_loss(self.loss, families=[self.evidence], examples=self.examples, steps=self.steps,
                             optimum=False)
        row = profile.families[self.evidence]
        errors = [f"{r.lam}: {r.error}" for r in profile.records if r.error]
        assert not errors, f"{profile.loss} on {self.evidence}: runs errored: {errors}"
        assert row["not_settled"] == 0, f"{profile.loss} on {self.evidence}: inconclusive — {row.get('hint')}"
        assert profile.declared_holds is not False, (
            f"{profile.loss} declares {profile.declared!r}; on {self.evidence} the theory predicts "
            f"{row['predicted']}, every run recovered {row['verdict']} ({row['theory_runs']}/{row['runs']} runs "
            f"the theory's group)")


def loss_checks(loss, examples: int | None = None, steps: int | None = None) -> list[LossCheck]:
    """The checks of ``loss``: the optimum check, then one per process family it fits."""
    from .plugins import resolve_loss
    from .suite import active_profile
    from .validation import EXAMPLES, applicable_families

    count = examples or EXAMPLES[active_profile()]
    families = applicable_families(resolve_loss(loss))
    return [LossCheck(loss, "optimum", count, steps), *(LossCheck(loss, f, count, steps) for f in families)]


def parametrize_loss_checks(loss, examples: int | None = None, steps: int | None = None):
    """``pytest.mark.parametrize("loss_check", …)`` over :func:`loss_checks`, one test id per evidence."""
    import pytest

    checks = loss_checks(loss, examples, steps)
    return pytest.mark.parametrize("loss_check", checks, ids=[c.id for c in checks])


__all__ = ["LossCheck", "loss_checks", "parametrize_loss_checks"]
