"""The loss protocol (idtheory.plugins) and the failure records of identifiability profiles."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from idtheory import suite
from idtheory.losses import AnInfoNCE, InfoNCE
from idtheory.plugins import CallableLoss, available, resolve_loss
from idtheory.validation import measured_symmetry, profile_family

EXAMPLE_LOSS = Path(__file__).resolve().parent.parent / "examples" / "my_loss.py"


def test_registered_names_and_module_references():
    assert {"aninfonce", "infonce", "broken:sign-error"} <= set(available())
    an = resolve_loss("aninfonce")
    assert isinstance(an.make(3), AnInfoNCE) and an.identifies == "signed permutation" and an.normalize
    info = resolve_loss("idtheory.losses:InfoNCE")
    assert isinstance(info.make(3), InfoNCE) and info.identifies == "orthogonal"
    learned = resolve_loss("infonce")  # the registered InfoNCE learns its temperature, starting at 0.5
    loss = learned.make(3)
    assert learned.identifies == "orthogonal" and loss.tau == pytest.approx(0.5) and len(list(loss.parameters())) == 1
    assert resolve_loss("broken:no-normalization").normalize is False


def test_a_loss_in_a_file_outside_the_package_resolves():
    plugin = resolve_loss(f"{EXAMPLE_LOSS}:SoftplusAnInfoNCE")
    loss = plugin.make(3)
    a, p = torch.nn.functional.normalize(torch.randn(2, 16, 3), dim=-1)
    assert plugin.identifies == "signed permutation" and loss(a, p).shape == ()
    assert len(list(loss.parameters())) == 1


def test_plain_functions_and_factories():
    def cosine_loss(a, p):
        return -(a * p).sum(1).mean()

    plugin = resolve_loss(cosine_loss)
    assert isinstance(plugin.make(4), CallableLoss) and plugin.identifies is None

    def factory(dim):
        return AnInfoNCE(dim, init=2.0)

    assert torch.allclose(resolve_loss(factory).make(3).lam_hat, torch.full((3,), 2.0))


@pytest.mark.parametrize("ref, message", [
    ("no-such-loss", "unknown loss 'no-such-loss'"),
    ("idtheory.losses:NoSuch", "cannot resolve"),
    ("missing/file.py:Loss", "no such file"),
    (f"{EXAMPLE_LOSS}:Missing", "has no object 'Missing'"),
])
def test_bad_references_say_what_is_wrong(ref, message):
    with pytest.raises(ValueError, match=message):
        resolve_loss(ref)


def test_non_callables_and_bad_declarations_are_rejected():
    with pytest.raises(TypeError, match="not a callable"):
        resolve_loss("idtheory.losses:NEGATIVES")

    class Claims(torch.nn.Module):
        identifies = "everything"

    with pytest.raises(ValueError, match="identifies = 'everything'"):
        resolve_loss(Claims)


def _raises(a, p):
    raise RuntimeError("boom")


def _nan(a, p):
    return (a * p).sum() * float("nan")


def _vector(a, p):
    return (a * p).sum(1)


@pytest.mark.parametrize("fn, message", [
    (_raises, "RuntimeError: boom"),
    (_nan, "FloatingPointError: the loss became nan"),
    (_vector, "loss must return a scalar, got shape (256,)"),
])
def test_a_broken_loss_gives_an_error_record_not_a_crash(fn, message):
    records = profile_family(resolve_loss(fn), "distinct", [((2.0, 3.5, 6.0), 0)], th=suite.RecordOnly(), steps=20)
    for record in records:
        assert record.error is not None and message in record.error, record.error
        assert record.strongest == "none" and not record.matches_theory


def test_measured_symmetry_tells_infonce_from_aninfonce():
    gen = torch.Generator().manual_seed(0)
    h = torch.nn.functional.normalize(torch.randn(256, 3, generator=gen), dim=1).numpy()
    hp = torch.nn.functional.normalize(torch.as_tensor(h) + 0.1 * torch.randn(256, 3, generator=gen), dim=1).numpy()
    info = measured_symmetry(InfoNCE(0.2, negatives="anchors"), h, hp)
    assert info["rotation"] < 1e-5 and info["permutation"] < 1e-5 and info["translation"] > 1e-4
    an = measured_symmetry(AnInfoNCE(3, init=(1.0, 3.0, 9.0), negatives="anchors"), h, hp)
    # "invariant" in a profile means a relative change < 1e-5 (float32 round-off is ~1e-7)
    assert an["sign flips"] < 1e-5 and an["rotation"] > 1e-4 and an["permutation"] > 1e-4
    # the critic depends on a - b only: translations never change it (with unnormalized outputs that
    # is C5's offset b)
    assert an["translation"] < 1e-5 and math.isfinite(an["rotation"])
    assert np.isfinite(list(an.values())).all()


def test_broken_losses_resolve_to_their_classes():
    from idtheory.mutants import SignError

    plugin = resolve_loss("broken:sign-error")
    assert isinstance(plugin.make(3), SignError) and plugin.identifies == "signed permutation"
    assert resolve_loss("broken:no-normalization").normalize is False
