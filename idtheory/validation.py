"""Identifiability profiles: what does a given contrastive loss identify, on which process family?

For each family (distinct spectra, ties, isotropic, content/style — the suite's strategies) the loss
trains a fresh encoder on drawn examples, and the profile records

* the **strongest group** under which recovery passes for every latent (the worst latent's score, so
  that a tie block that lands near the axes by chance is not taken for identification), scored with the
  suite's calibrated thresholds: signed permutation (C1's threshold) ⊂ the tie blocks of Λ (C2's) ⊂
  orthogonal (C3's) ⊂ linear (C5's linear R²) — or ``none``;
* what the theory predicts for AnInfoNCE on that family (Λ's tie blocks), and whether they agree;
* the **measured symmetry** of the trained loss: is its value unchanged when the trained outputs are
  rotated, sign-flipped, permuted or translated (its parameters left as trained)?
* a learned Λ̂ (``lam_hat``), matched to Λ, if the loss has one;
* an error record instead, if the loss raised, returned NaN or the wrong shape — the run goes on.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from . import metrics, suite
from .claims import predicted_group
from .indeterminacy import GroupKind, Indeterminacy
from .plugins import LossPlugin, resolve_loss
from .process import GenerativeProcess
from .registry import BUILTIN_FAMILIES as FAMILIES  # family -> the case whose strategy draws its examples


def all_families() -> list[str]:
    """The built-in process families, then the registered spectrum families."""
    from .registry import SPECTRA

    return [*FAMILIES, *SPECTRA]


def family_spectra(name: str):
    """``max_dim -> strategy`` of a family's spectra: the suite case's for a built-in family, the registered
    one otherwise."""
    from . import _arguments
    from .registry import SPECTRA

    _arguments.choice(name, tuple(all_families()), "process family")
    return suite.CASES[FAMILIES[name]].examples if name in FAMILIES else SPECTRA[name]


@dataclass
class ProfileRecord:
    loss: str
    family: str
    lam: list[float]
    seed: int
    predicted: str = ""  # the theory's group for AnInfoNCE on this Λ
    strongest: str = "none"  # the strongest group whose recovery passed
    matches_theory: bool = False
    scores: dict = field(default_factory=dict)
    symmetry: dict = field(default_factory=dict)  # transformation -> |Δ loss| / |loss|
    lam_error: float | None = None
    lam_hat: list | None = None
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


#: the calibrated threshold that judges recovery up to each kind of group
KIND_THRESHOLDS = {GroupKind.SIGNED_PERMUTATION: "C1.recovery.score", GroupKind.BLOCK_ORTHOGONAL: "C2.recovery.score",
                   GroupKind.ORTHOGONAL: "C3.recovery.score", GroupKind.LINEAR: "C5.recovery.linear_r2"}


def measured_symmetry(loss: torch.nn.Module, h: np.ndarray, hp: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Relative change of the trained loss when the outputs of held-out pairs are transformed."""
    gen = torch.Generator().manual_seed(seed)
    a, p = torch.as_tensor(h[:256], dtype=torch.float32), torch.as_tensor(hp[:256], dtype=torch.float32)
    d = a.shape[1]
    rotation = Indeterminacy.orthogonal(d).sample(gen, dtype=torch.float32)
    signs = torch.diag(torch.where(torch.rand(d, generator=gen) < 0.5, -1.0, 1.0))
    perm = torch.eye(d)[torch.roll(torch.arange(d), 1)]
    shift = torch.randn(d, generator=gen)
    with torch.no_grad():
        base = float(loss(a, p))
        out = {}
        for name, fn in (("rotation", lambda x: x @ rotation.T), ("sign flips", lambda x: x @ signs.T),
                         ("permutation", lambda x: x @ perm.T), ("translation", lambda x: x + shift)):
            out[name] = abs(float(loss(fn(a), fn(p))) - base) / max(abs(base), 1e-12)
    return out


def profile_one(plugin: LossPlugin, family: str, lam, seed: int, device: str = "cpu",
                th: dict | None = None) -> ProfileRecord:
    th = suite.thresholds() if th is None else th
    record = ProfileRecord(plugin.name, family, list(lam), seed)
    start = time.perf_counter()
    try:
        process = GenerativeProcess(lam=tuple(lam), seed=seed)
        run = suite.train(process, plugin.make(process.dim), seed, device, plugin.normalize)
        d = process.dim
        predicted = predicted_group(lam)
        record.predicted = predicted.name
        # Each group is judged with the threshold of the claim that calibrated its kind.
        candidates = [Indeterminacy.signed_permutation(d), Indeterminacy.orthogonal(d)]
        if predicted.kind is GroupKind.BLOCK_ORTHOGONAL:
            candidates.insert(1, predicted)
        record.scores = {g.name: float(g.score(run.z, run.h).within.min()) for g in candidates}
        record.scores["linear_r2"] = metrics.r2(run.z, run.h)
        passing = [g for g in candidates if record.scores[g.name] >= th[KIND_THRESHOLDS[g.kind]]]
        if passing:
            record.strongest = min(passing, key=lambda g: g.kind).name
        elif record.scores["linear_r2"] >= th[KIND_THRESHOLDS[GroupKind.LINEAR]]:
            record.strongest = GroupKind.LINEAR.label
        record.matches_theory = record.strongest == predicted.name
        if run.lam_hat is not None and np.ndim(run.lam_hat) == 1 and len(run.lam_hat) == d:
            perm = predicted.matching(predicted.score(run.z, run.h))
            record.lam_hat = run.lam_hat
            record.lam_error = float(metrics.lam_recovery(lam, run.lam_hat, perm).max())
        record.symmetry = measured_symmetry(run.loss, run.h, run.h_positive, seed)
    except Exception as err:  # noqa: BLE001 - a broken loss is a result, not a crash of the run
        record.error = f"{type(err).__name__}: {err}"
    record.seconds = time.perf_counter() - start
    return record


def _job(ref, family, lam, seed, device, th):
    return profile_one(resolve_loss(ref), family, lam, seed, device, th)


def check_loss(loss, families: list[str] | None = None, examples: int = 1, max_dim: int = 4, device: str = "cpu",
               workers: int = 1, seed: int = 1, on_done=None, executor=None) -> list[ProfileRecord]:
    """The identifiability profile of ``loss`` (a reference string or an object, see idtheory.plugins).

    Runs ``examples`` drawn examples per family on ``executor`` (see :mod:`idtheory.executors`; default:
    local, in ``workers`` processes when > 1). A loss object rather than a reference string cannot be
    rebuilt in another process, so it trains here, one job after the other. ``on_done`` sees each record
    as it finishes."""
    from .executors import LocalExecutor

    plugin = resolve_loss(loss)
    chosen = families or all_families()
    spectra = {f: family_spectra(f) for f in chosen}
    th = suite.thresholds()
    jobs = [(f, example, s) for f in chosen
            for example, s in suite.draw_examples(spectra[f], examples, max_dim, seed)]
    if isinstance(loss, str):
        executor = executor or LocalExecutor(workers)
        fn, calls = _job, [(loss, f, ex, s, device, th) for f, ex, s in jobs]
    else:
        executor = LocalExecutor(1)
        fn, calls = profile_one, [(plugin, f, ex, s, device, th) for f, ex, s in jobs]
    records: list[ProfileRecord] = []

    def done(_job, record):
        records.append(record)
        if on_done is not None:
            on_done(record)

    executor.run(fn, calls, done)
    return records


def declared_consistent(records: list[ProfileRecord], declared: str | None) -> bool | None:
    """Whether every run on distinct spectra recovered exactly the kind of group the loss declares
    (None: nothing declared or no such run)."""
    distinct = [r.strongest for r in records if r.family == "distinct" and not r.error]
    if declared is None or not distinct:
        return None
    kind = GroupKind.from_name(declared)
    return all(GroupKind.from_name(s) is kind for s in distinct)


def summarize(records: list[ProfileRecord]) -> dict[str, dict]:
    """family -> strongest groups seen, the theory's group, agreement and errors."""
    out: dict[str, dict] = {}
    for r in records:
        row = out.setdefault(r.family, {"strongest": [], "predicted": r.predicted, "matches": True, "errors": 0})
        if r.error:
            row["errors"] += 1
            row["matches"] = False
            continue
        row["predicted"] = r.predicted
        row["strongest"].append(r.strongest)
        row["matches"] &= r.matches_theory
    return out
