"""Losses against a naive per-row formula, their invariances, and their input errors."""

import math

import pytest
import torch
from scipy.stats import ortho_group

from idtheory.losses import AnInfoNCE, InfoNCE, inner_products


@pytest.fixture(autouse=True)
def _values_only():
    """These tests compare loss values; no autograd graph is needed."""
    with torch.no_grad():
        yield


def sphere(n, d, seed):
    return torch.nn.functional.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed),
                                                     dtype=torch.float64), dim=1)


def naive(critic, a, p, negatives):
    """Cross-entropy of each row written out candidate by candidate."""
    n = len(a)
    if negatives == "anchors":
        rows = [(a[i], p[i], [p[i]] + [a[j] for j in range(n) if j != i]) for i in range(n)]
    else:
        v = torch.cat([a, p])
        rows = [(v[k], v[(k + n) % (2 * n)], [v[m] for m in range(2 * n) if m != k]) for k in range(2 * n)]
    total = 0.0
    for anchor, positive, cands in rows:
        scores = torch.stack([critic(anchor, c) for c in cands])
        total += float(torch.logsumexp(scores, 0) - critic(anchor, positive))
    return total / len(rows)


def an_critic(lam):
    return lambda x, y: -(((x - y) ** 2) * lam).sum()


@pytest.mark.parametrize("negatives", ["anchors", "both"])
@pytest.mark.parametrize("n, d", [(2, 3), (7, 4), (16, 10)])
def test_aninfonce_matches_naive_formula(negatives, n, d):
    a, p = sphere(n, d, 0), sphere(n, d, 1)
    lam = torch.linspace(0.5, 9.0, d, dtype=torch.float64)
    loss = AnInfoNCE(d, init=tuple(lam.tolist()), negatives=negatives).double()
    lam = loss.lam_hat.detach()  # the float32-initialized value the loss really uses
    assert loss(a, p).item() == pytest.approx(naive(an_critic(lam), a, p, negatives), rel=1e-10)


@pytest.mark.parametrize("negatives", ["anchors", "both"])
def test_infonce_matches_naive_formula(negatives):
    a, p = sphere(9, 5, 2), sphere(9, 5, 3)
    loss = InfoNCE(tau=0.2, negatives=negatives)
    assert float(loss(a, p)) == pytest.approx(naive(lambda x, y: x @ y / 0.2, a, p, negatives), rel=1e-10)


@pytest.mark.parametrize("negatives", ["anchors", "both"])
def test_equal_embeddings_give_log_candidates(negatives):
    a = torch.ones(12, 4, dtype=torch.float64) / 2
    loss = AnInfoNCE(4, init=(1.0, 2.0, 3.0, 4.0), negatives=negatives).double()
    assert loss(a, a).item() == pytest.approx(math.log(loss.candidates(12)), rel=1e-12)


def test_both_scheme_is_symmetric_in_the_views():
    a, p = sphere(10, 6, 4), sphere(10, 6, 5)
    loss = AnInfoNCE(6, init=tuple(range(1, 7)), negatives="both").double()
    assert loss(a, p).item() == pytest.approx(loss(p, a).item(), rel=1e-12)


@pytest.mark.parametrize("negatives", ["anchors", "both"])
def test_isotropic_aninfonce_is_infonce_with_tau_half_inverse_kappa(negatives):
    a, p, kappa = sphere(20, 5, 6), sphere(20, 5, 7), 3.5
    an = AnInfoNCE(5, init=kappa, negatives=negatives).double()
    kappa = float(an.lam_hat[0])  # the float32-stored value the loss really uses
    assert float(an(a, p)) == pytest.approx(float(InfoNCE(1 / (2 * kappa), negatives)(a, p)), rel=1e-10)


def test_learned_temperature_is_the_isotropic_aninfonce_and_trains():
    a, p = sphere(20, 5, 6), sphere(20, 5, 7)
    info = InfoNCE(0.5, learn_tau=True).double()
    assert [n for n, _ in info.named_parameters()] == ["log_inverse_tau"]
    assert float(info.lam_hat) == pytest.approx(1.0) and info.concentration == pytest.approx(1.0)
    an = AnInfoNCE(5, init=1.0).double()
    info.log_inverse_tau.data.copy_(torch.log(2 * an.lam_hat[0]))  # the same float32-stored value in both
    assert float(info(a, p)) == pytest.approx(float(an(a, p)), rel=1e-10)
    with torch.enable_grad():
        info(a, p).backward()
    assert info.log_inverse_tau.grad is not None and info.log_inverse_tau.grad != 0
    fixed = InfoNCE(0.5)
    assert list(fixed.parameters()) == [] and fixed.lam_hat is None and fixed.tau == 0.5


@pytest.mark.parametrize("negatives", ["anchors", "both"])
def test_signed_permutation_with_permuted_lambda_leaves_aninfonce_unchanged(negatives):
    d = 6
    a, p = sphere(15, d, 8), sphere(15, d, 9)
    lam = torch.tensor([0.7, 1.3, 2.0, 3.1, 4.4, 6.0], dtype=torch.float64)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    signs = torch.tensor([1, -1, -1, 1, -1, 1], dtype=torch.float64)
    m = torch.eye(d, dtype=torch.float64)[perm] * signs[:, None]  # (m z)_k = signs_k z_perm[k]
    base = AnInfoNCE(d, init=tuple(lam.tolist()), negatives=negatives).double()
    moved = AnInfoNCE(d, init=tuple(lam[perm].tolist()), negatives=negatives).double()
    assert float(moved(a @ m.T, p @ m.T)) == pytest.approx(float(base(a, p)), rel=1e-12)


def test_rotations_leave_infonce_unchanged_but_change_anisotropic_aninfonce():
    d = 6
    a, p = sphere(15, d, 10), sphere(15, d, 11)
    r = torch.tensor(ortho_group.rvs(d, random_state=0))
    info = InfoNCE(0.3)
    assert float(info(a @ r.T, p @ r.T)) == pytest.approx(float(info(a, p)), rel=1e-12)
    an = AnInfoNCE(d, init=(0.5, 1.0, 2.0, 3.0, 4.0, 5.0)).double()
    assert abs(float(an(a @ r.T, p @ r.T)) - float(an(a, p))) > 1e-3


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: AnInfoNCE(3, init=(1.0, -2.0, 3.0)), r"init entries must be finite and > 0, got \[-2.0\]"),
        (lambda: AnInfoNCE(3, init=(1.0, float("nan"), 3.0)), r"finite and > 0, got \[nan\]"),
        (lambda: AnInfoNCE(3, init=(1.0, 2.0)), "init has 2 entries but the latent dimension is 3"),
        (lambda: AnInfoNCE(0), "dim must be a positive int, got 0"),
        (lambda: AnInfoNCE(3, negatives="all"), "unknown negatives scheme 'all'; allowed: 'anchors', 'both'"),
        (lambda: InfoNCE(tau=0.0), "tau must be a finite number > 0, got 0.0"),
    ],
)
def test_bad_construction_is_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "a, p, match",
    [
        (torch.zeros(4, 3), torch.zeros(5, 3), r"differ in shape: \(4, 3\) vs \(5, 3\)"),
        (torch.zeros(4, 2), torch.zeros(4, 2), "embeddings have dimension 2 but the loss was built for 3"),
        (torch.zeros(4), torch.zeros(4), r"shape \(batch, dim\), got \(4,\)"),
        (torch.zeros(1, 3), torch.zeros(1, 3), "at least 2 pairs, got 1"),
    ],
)
def test_bad_embeddings_are_named(a, p, match):
    with pytest.raises(ValueError, match=match):
        AnInfoNCE(3)(a, p)


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def signed_permutations(draw, dim=5):
    perm = draw(st.permutations(range(dim)))
    signs = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=dim, max_size=dim))
    return torch.eye(dim, dtype=torch.float64)[list(perm)] * torch.tensor(signs, dtype=torch.float64)[:, None], perm


@given(signed_permutations(), st.lists(st.floats(0.1, 20.0), min_size=5, max_size=5),
       st.integers(0, 2**16), st.sampled_from(["anchors", "both"]))
def test_property_signed_permutations_are_exact_symmetries(element, lam, seed, negatives):
    """For any Λ̂, any signed permutation of the outputs with Λ̂ permuted alike leaves AnInfoNCE unchanged."""
    m, perm = element
    a, p = sphere(12, 5, seed), sphere(12, 5, seed + 1)
    base = AnInfoNCE(5, init=tuple(lam), negatives=negatives).double()
    moved = AnInfoNCE(5, init=tuple(lam[i] for i in perm), negatives=negatives).double()
    with torch.no_grad():
        assert float(moved(a @ m.T, p @ m.T)) == pytest.approx(float(base(a, p)), rel=1e-9)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_lp_critic_matches_its_formula(p):
    from idtheory.losses import LpAnInfoNCE

    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 7, 3, generator=gen, dtype=torch.float64)
    loss = LpAnInfoNCE(3, p=p, init=(0.5, 2.0, 7.0)).double()
    naive = -((a[:, None, :] - b[None, :, :]).abs() ** p) @ torch.tensor([0.5, 2.0, 7.0], dtype=torch.float64)
    assert torch.allclose(loss.critic(a, b), naive, atol=1e-10)
    assert torch.allclose(loss.pair_critic(a, b), naive.diagonal(), atol=1e-10)
    with pytest.raises(ValueError, match="p must be a finite number > 0"):
        LpAnInfoNCE(3, p=0.0)


def test_inner_products_backward_and_vmap_rule_are_exact():
    """The critics' matmul with its transposed backward: gradients by finite differences, and under
    vmap (a batched and an unbatched argument) the same values and gradients as the plain product."""
    with torch.enable_grad():  # this module's tests otherwise run without autograd
        _check_inner_products()


def _check_inner_products():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(3, 5, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(inner_products, (a, b))
    for in_dims, second in (((0, 0), b), ((0, None), b[0])):
        vmapped = torch.func.vmap(inner_products, in_dims=in_dims)(a, second)
        plain = a @ second.mT
        assert torch.allclose(vmapped, plain)
        weights = torch.randn(plain.shape, generator=gen, dtype=torch.float64)
        got = torch.autograd.grad((vmapped * weights).sum(), (a, b))
        want = torch.autograd.grad((plain * weights).sum(), (a, b))
        assert all(torch.allclose(g, w) for g, w in zip(got, want))
