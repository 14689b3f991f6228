"""Registering new assumptions: names checked, then usable by processes and by the suite's cases."""

import pytest
import torch

from idtheory import suite
from idtheory.conditionals import CONDITIONAL_SPACES, CONDITIONALS, laplace
from idtheory.mixing import MIXINGS
from idtheory.process import GenerativeProcess
from idtheory.registry import register_conditional, register_mixing


@pytest.fixture
def projected_normal():
    def sample(z, lam, generator):
        x = z + torch.randn(z.shape, generator=generator) / (2 * lam).sqrt()
        return x / x.norm(dim=1, keepdim=True)

    register_conditional("test-projected-normal", sample, spaces=("sphere",))
    yield "test-projected-normal"
    CONDITIONALS.pop("test-projected-normal")
    CONDITIONAL_SPACES.pop("test-projected-normal")


def test_a_registered_conditional_drives_a_process(projected_normal):
    process = GenerativeProcess(lam=(2.0, 5.0), conditional=projected_normal)
    z, zt = process.sampler("cpu", seed=0).latent_pairs(64)
    assert torch.allclose(zt.norm(dim=1), torch.ones(64), atol=1e-5) and not torch.equal(z, zt)
    with pytest.raises(ValueError, match="already registered"):
        register_conditional(projected_normal, lambda z, lam, g: z)


def test_assumptions_apply_only_where_they_fit(projected_normal):
    sphere = suite._process({"conditional": projected_normal, "mixing": "linear"}, lam=(2.0, 5.0), seed=0)
    assert sphere.conditional == projected_normal and sphere.mixing == "linear"
    box = suite._process({"conditional": projected_normal}, lam=(2.0, 5.0), space="box", conditional="laplace")
    assert box.conditional == "laplace"  # a sphere conditional does not apply to the box


def test_registration_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown spaces \\['torus'\\]"):
        register_conditional("x", lambda z, lam, g: z, spaces=("torus",))
    with pytest.raises(ValueError, match="must be callable"):
        register_mixing("not-callable", 3)
    with pytest.raises(ValueError, match="already registered"):
        register_mixing("mlp", MIXINGS["mlp"])


def test_laplace_on_the_box_stays_inside_and_has_the_right_scale():
    gen = torch.Generator().manual_seed(0)
    z = torch.zeros(200_000, 2, dtype=torch.float64)
    lam = torch.tensor([4.0, 10.0], dtype=torch.float64)
    free = laplace(z, lam, gen)
    assert torch.allclose(free.abs().mean(0), 1 / lam, rtol=0.02)  # E|ε| = 1/λ for Laplace
    edge = laplace(torch.full((10_000, 2), 0.95, dtype=torch.float64), lam, gen, bounds=(-1.0, 1.0))
    assert edge.max() <= 1.0 and edge.min() >= -1.0
    with pytest.raises(ValueError, match="conditional 'exact' is defined on sphere"):
        GenerativeProcess(lam=(1.0, 2.0), space="box")


def test_a_registered_spectrum_family_is_a_process_family_of_validate():
    from hypothesis import strategies as st

    from idtheory.registry import SPECTRA, register_spectra
    from idtheory.validation import all_families, check_loss

    register_spectra("test-doubling", st.sampled_from([(1.5, 3.0, 6.0), (2.0, 4.0, 8.0, 16.0)]))
    try:
        assert all_families()[-1] == "test-doubling"
        with pytest.raises(ValueError, match="already registered"):
            register_spectra("distinct", st.just((1.0, 2.0)))
        with pytest.raises(ValueError, match="needs a hypothesis strategy or a callable"):
            register_spectra("test-bad", (1.0, 2.0))

        def boom(a, p):  # fails at the first step: the family is drawn and wired without a training
            raise RuntimeError("boom")

        records = check_loss(boom, families=["test-doubling"], examples=2).records
        assert [r.family for r in records] == ["test-doubling"] * 4  # 2 examples x 2 initializations
        assert {tuple(r.lam) for r in records} == {(1.5, 3.0, 6.0), (2.0, 4.0, 8.0, 16.0)}
        assert all("RuntimeError: boom" in r.error for r in records)
        with pytest.raises(ValueError, match="unknown process family 'nope'.*test-doubling"):
            check_loss(boom, families=["nope"])
    finally:
        SPECTRA.pop("test-doubling")
