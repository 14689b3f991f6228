"""Metrics against reference implementations (scikit-learn, scipy) and the DESIGN reference values."""

import itertools

import numpy as np
import pytest
import torch
from scipy.stats import ortho_group, pearsonr, spearmanr
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from idtheory import metrics
from idtheory.indeterminacy import Indeterminacy


def sample_sphere(n, d, seed=0):
    g = np.random.default_rng(seed).standard_normal((n, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


@pytest.mark.parametrize("seed", range(3))
def test_r2_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((500, 4))
    h = np.tanh(z @ rng.standard_normal((4, 6))) + 0.3 * rng.standard_normal((500, 6))
    reference = r2_score(z, LinearRegression().fit(h, z).predict(h), multioutput="raw_values")
    np.testing.assert_allclose(metrics.r2_per_latent(z, h), reference, rtol=1e-9)
    assert metrics.r2(z, h) == pytest.approx(reference.mean())


@pytest.mark.parametrize("method, ref", [("pearson", pearsonr), ("spearman", spearmanr)])
def test_mcc_matches_brute_force_over_permutations(method, ref):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 4))
    h = np.column_stack([z[:, 2] ** 3, -z[:, 0], z[:, 3] + rng.standard_normal(300), rng.standard_normal(300)])
    c = np.abs([[ref(z[:, i], h[:, j])[0] for j in range(4)] for i in range(4)])
    best = max(np.mean([c[i, p[i]] for i in range(4)]) for p in itertools.permutations(range(4)))
    score, perm = metrics.mcc(z, h, method)
    assert score == pytest.approx(best, rel=1e-9)
    assert (perm[0], perm[2]) == (1, 0) and score == pytest.approx(np.mean(c[range(4), perm]))


def test_reference_values_for_d10():
    """DESIGN §Metrics: Haar orthogonal ≈ 0.59, random 5+5 blocks ≈ 0.73, signed permutation 1.0; R² = 1."""
    z = sample_sphere(20_000, 10)
    haar = [metrics.mcc(z, z @ ortho_group.rvs(10, random_state=s).T)[0] for s in range(20)]
    blocks = Indeterminacy(((0, 1, 2, 3, 4), (5, 6, 7, 8, 9)))
    block = [metrics.mcc(z, z @ blocks.sample(torch.Generator().manual_seed(s)).numpy().T)[0] for s in range(20)]
    assert np.mean(haar) == pytest.approx(0.59, abs=0.03)
    assert np.mean(block) == pytest.approx(0.73, abs=0.03)
    perm = np.eye(10)[np.random.default_rng(0).permutation(10)] * np.where(np.arange(10) % 2, 1, -1)
    assert metrics.mcc(z, z @ perm.T)[0] == pytest.approx(1.0)
    assert metrics.r2(z, z @ ortho_group.rvs(10, random_state=0).T) == pytest.approx(1.0)


def test_block_recovery_scores_exactly_the_group():
    z = sample_sphere(5000, 6)
    group = Indeterminacy(((0, 3), (1, 2, 5), (4,)))
    m = group.sample(torch.Generator().manual_seed(0)).numpy()
    perm = np.random.default_rng(2).permutation(6)
    h = (z @ m.T)[:, perm]
    rec = group.score(z, h)
    assert rec.score == pytest.approx(1.0) and rec.leak.max() < 0.05
    # output j carries the latent block of perm[j]
    assert rec.outputs == tuple(tuple(j for j in range(6) if perm[j] in b) for b in group.blocks)
    # The same map is *not* a signed permutation: the stronger group must score clearly lower.
    assert Indeterminacy.signed_permutation(6).score(z, h).score < 0.8


def test_matching_follows_the_blocks():
    z = sample_sphere(4000, 4)
    h = z[:, [2, 0, 3, 1]] * np.array([1, -1, 1, -1])
    group = Indeterminacy.signed_permutation(4)
    perm = group.matching(group.score(z, h))
    assert perm.tolist() == [1, 3, 0, 2]
    assert metrics.lam_recovery([1.0, 2.0, 3.0, 4.0], [3.0, 1.1, 4.0, 2.0], perm).tolist() == pytest.approx(
        [0.1, 0.0, 0.0, 0.0]
    )


def test_ties_become_blocks():
    assert Indeterminacy.from_spectrum([5, 1, 5.1, 1, 9]).blocks == ((0, 2), (1, 3), (4,))
    assert Indeterminacy.from_spectrum([2.5 + i * 10 / 9 for i in range(10)]).name == "signed permutation"
    assert Indeterminacy.from_spectrum([3.0] * 4).name == "orthogonal"
    assert Indeterminacy.from_spectrum([2.5] * 5 + [12.5] * 5).name == "block-orthogonal 5+5"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: metrics.r2(np.zeros((10, 2)), np.zeros((9, 2))), "different numbers of samples: 10 vs 9"),
        (lambda: metrics.mcc(np.zeros((10, 2)), np.zeros((10, 2)), "kendall"), "unknown correlation method"),
        (lambda: metrics.r2(np.full((10, 2), np.nan), np.zeros((10, 2))), "must be finite"),
        (lambda: metrics.block_recovery(np.ones((50, 3)), np.ones((50, 3)), [(0, 1)]), "must partition"),
        (lambda: Indeterminacy(((0, 2),)), "must partition 0..d-1"),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _conditioned(d, condition, seed):
    """A random invertible linear map with singular values log-spaced over 1…condition."""
    u, v = ortho_group.rvs(d, random_state=seed), ortho_group.rvs(d, random_state=seed + 1000)
    return u @ np.diag(np.geomspace(1.0, condition, d)) @ v


@pytest.mark.parametrize("d", [3, 4, 6, 10])
def test_orthogonal_score_separates_orthogonal_from_linear_maps(d):
    """"Orthogonal" means orthogonal up to one scale: a random orthogonal map times any scale (plus an
    offset) scores 1; a random invertible map of condition number 3 scores below the calibrated threshold
    of orthogonal recovery (C3's), although its linear R² is 1."""
    from idtheory.suite import thresholds

    threshold = thresholds()["C3.recovery.score"]
    z = sample_sphere(4000, d, seed=d)
    group = Indeterminacy.orthogonal(d)
    for seed in range(20):
        rotation = ortho_group.rvs(d, random_state=seed)
        assert group.score(z, 2.5 * z @ rotation.T + 1.0).within.min() > 1 - 1e-9
        linear = z @ _conditioned(d, 3.0, seed).T
        assert metrics.r2(z, linear) > 1 - 1e-9
        assert group.score(z, linear).within.min() < threshold
        assert metrics.r2_orthogonal(z, linear).mean() < threshold


def test_orthogonal_score_of_one_latent_is_the_linear_r2():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 1))
    h = -3 * z + 0.5 * rng.standard_normal((500, 1))
    assert metrics.r2_orthogonal(z, h)[0] == pytest.approx(metrics.r2(z, h), rel=1e-12)


def test_block_scores_are_block_orthogonal_not_block_linear():
    """Inside a block a general linear map no longer passes: a block-orthogonal score of a map that is
    block-diagonal but not orthogonal in its 3-block drops below C2's threshold."""
    from idtheory.suite import thresholds

    z = sample_sphere(4000, 4, seed=1)
    group = Indeterminacy(((0, 1, 2), (3,)))
    m = np.eye(4)
    m[:3, :3] = _conditioned(3, 3.0, 7)
    assert group.score(z, z @ m.T).within.min() < thresholds()["C2.recovery.score"]
    m[:3, :3] = ortho_group.rvs(3, random_state=7)
    assert group.score(z, z @ m.T).within.min() > 1 - 1e-9
