"""Calibration (``idtheory calibrate``): thresholds fitted on one seed stream, error rates measured on another.

Every case of :mod:`idtheory.suite` runs on examples drawn from a **stream**: ``calibration`` (even training
seeds) sets the thresholds, ``evaluation`` (odd training seeds — the stream ``check`` and ``validate`` draw
from) measures them, so no evaluated run ever set a threshold. Records are appended, one JSON line per
outcome, to a records file that any number of invocations extend — here or on a Ray cluster — and merge:
a job already recorded is not run again, so calibration can be spread over many invocations.

Thresholds come from the calibration stream's recovery runs alone:

    a metric that must be high (scores, R²):  1 - exp(μ + k σ) of ln(1 - value)
    a metric that must be low (Λ̂ error):      exp(μ + k σ) of ln(value)

bounded by what "recovered" can mean (a score at least 0.8, a Λ̂ error at most 0.3). k makes the bound a
one-sided normal **tolerance bound**: with 95 % confidence it covers a share 1 - 1 %/m of the log-normal,
where m is the number of criteria the check judges together. So each criterion wrongly fails at most 1 %/m
of recovery runs and the check, failing when any one does, at most 1 % (a union bound) — whatever μ and σ
the n calibration runs happened to give. (The rule before 2026-11-30, the point estimate of the 99 %
quantile, z = 2.326, falls short of the true quantile in about half of all fits, and a check of two criteria
could fail 2 %.) The evaluation stream then gives, per recovery criterion, the false-failure
rate and per control the rate at which it wrongly held, each with an exact (Clopper–Pearson) one-sided
95 % upper bound, against the targets: false failures ≤ 1 % with the bound ≤ 3 %, controls' power ≥ 99 %.
A missed target is reported, never fixed by moving a threshold.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
from scipy.stats import beta, nct, norm

from . import suite
from .budget import Budget
from .results import dumps, strict
from .suite.records import ERROR_CEILING, SCORE_FLOOR

STREAMS = ("calibration", "evaluation")
#: the tolerance bound's confidence and the false-failure share a check (all its criteria together) may have
CONFIDENCE, FALSE_FAILURE = 0.95, 0.01
#: the examples a case is judged on when no hypothesis seed's set is chosen (calibrate --evaluation-seed)
EVERY_RECORD = "every evaluation record"
#: the targets of the evaluation: false failures and their upper bound, controls' power
TARGETS = {"false_failure": 0.01, "false_failure_bound": 0.03, "power": 0.99}
#: records written before criteria carried their thresholds.json key (Criterion.key) are judged by these
#: rules: a control against the threshold of the recovery check it contrasts with,
CONTROL_THRESHOLD = {"C1": "C1.recovery.score", "C2": "C1.recovery.score", "C3": "C1.recovery.score",
                     "C4": "C4.recovery.style_r2", "C5": "C1.recovery.score", "C6": "C6.recovery.lam_error",
                     "C7": "C7.recovery.score", "C8": "C8.recovery.score"}
#: some criteria against another claim's threshold
BORROWED = {"C5.control-lam.lam_error": "C1.recovery.lam_error",
            "C1.control-fairness.linear_r2": "C5.recovery.linear_r2"}  # records before 2026-11-30


def upper_bound(failures: int, n: int, confidence: float = 0.95) -> float:
    """Exact (Clopper–Pearson) one-sided upper confidence bound of a rate with ``failures`` in ``n``."""
    if n == 0:
        return 1.0
    return 1.0 if failures >= n else float(beta.ppf(confidence, failures + 1, n - failures))


def tolerance_factor(n: int, coverage: float, confidence: float = CONFIDENCE) -> float:
    """k of the one-sided normal tolerance bound μ̂ + k σ̂ from n samples that exceeds the ``coverage``
    quantile with probability ``confidence`` (exact, by the noncentral t distribution)."""
    if n < 2:
        raise ValueError(f"a tolerance bound needs at least 2 values, got {n}")
    return float(nct.ppf(confidence, n - 1, norm.ppf(coverage) * math.sqrt(n)) / math.sqrt(n))


def fit_threshold(values, op: str, criteria: int = 1) -> float:
    """The threshold of one of a check's ``criteria`` criteria: the tolerance bound of its log-deficit
    (module docstring), bounded by what "recovered" can mean."""
    v = np.asarray(values, dtype=float)
    logs = np.log(np.clip(1 - v if op == ">=" else v, 1e-6, None))
    bound = math.exp(logs.mean() + tolerance_factor(len(v), 1 - FALSE_FAILURE / criteria) * logs.std(ddof=1))
    return max(SCORE_FLOOR, 1 - bound) if op == ">=" else min(ERROR_CEILING, bound)


#: jobs per task: a case's examples train as one engine batch, and larger batches cost less per run-step
#: (measured, d = 4, one thread, anchors: K = 8 1.62 ms, 16 1.48, 32 1.38); a run's numbers do not depend on it.
CHUNK = 32


def jobs(stream: str, cases: list[str], examples: int, max_dim: int = 4, seed: int = 1) -> list[tuple]:
    """(case, example, training seed) of ``stream`` for every case."""
    return [(name, example, s) for name in cases
            for example, s in suite.draw_examples(suite.CASES[name], examples, max_dim, seed, stream=stream)]


def _key(stream: str, case: str, example, seed: int) -> str:
    return json.dumps([stream, case, repr(example), seed])


#: bump when something a run's numbers depend on changes outside the check budget (a loss's defaults, a sampler)
REVISION = 1
#: the protocol of the records written before records carried theirs (the check budget of 2026-11)
LEGACY_PROTOCOL = "6b36f87d853f"


#: the Budget fields when records began to carry their protocol; a field added since counts only where the
#: check budget sets it away from its default (so adding a field leaves the protocol as it was)
PROTOCOL_FIELDS = ("steps", "batch", "lr", "loss_lr", "anneal", "late_negatives", "late_from", "hidden", "depth",
                   "eval_every", "eval_samples", "polish_steps", "polish_batches", "polish_lr")


def protocol(case: str | None = None) -> str:
    """What a record's numbers depend on besides its job: the budgets of its case at every dimension (the
    check budget, the case's own ``Case.budgets``, or a band's: idtheory.suite.bands), ``REVISION`` and the
    case's own ``Case.revision`` (where set: what it judges changed, not how it trains).
    Records of another protocol are kept in the file but neither resumed nor summarized, so a changed budget
    never mixes its runs with the old ones."""
    band = None if case is None else suite.band_of(case)
    budgets = None if band is not None else getattr(suite.CASES.get(case), "budgets", None)
    if band is None:
        runs = [b for d in range(1, 11) for b in (budgets(d) if budgets else (suite.check_budget(d),))]
    else:
        dims = range(band.low, band.high + 1)
        runs = [band.budget(d) for d in dims]
        if suite.CASES[case].claim in band.controls:  # its control trains with a recipe of its own
            runs += [band.budget(d, control=True) for d in dims]
    defaults = {f.name: f.default for f in fields(Budget)}
    budgets = [{k: v for k, v in asdict(b).items() if k in PROTOCOL_FIELDS or v != defaults[k]} for b in runs]
    revision = getattr(suite.CASES.get(case), "revision", 0) if band is None else 0
    what = (REVISION, budgets) if not revision else (REVISION, budgets, revision)  # 0: the protocols before it
    return hashlib.sha256(repr(what).encode()).hexdigest()[:12]


def _case_of(record: dict) -> str:
    """The case of a record's job (``C6.vmf``, ``C1@d8-10``), whose protocol it was trained under."""
    return json.loads(record["job"])[1]


#: what a record keeps of its outcome's detail (the rest — histories, correlation matrices — is the report's)
DETAIL_KEPT = ("r2", "r2_per_latent", "lam_hat", "train_seconds", "restart", "restart_losses")


class RecordStore:
    """The append-only records file: one outcome per line, tagged with its stream, job and protocol."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load_all(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def load(self) -> list[dict]:
        """The records of the current protocol of their case (:func:`protocol`)."""
        current = functools.cache(protocol)
        return [r for r in self.load_all() if r.get("protocol", LEGACY_PROTOCOL) == current(_case_of(r))]

    def done(self) -> set[str]:
        return {r["job"] for r in self.load() if "job" in r}

    def append(self, stream: str, job: tuple, outcomes: list, device: str = "cpu") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as stream_file:
            for o in outcomes:
                record = o.to_dict()
                record["detail"] = {k: record["detail"][k] for k in DETAIL_KEPT if k in record["detail"]}
                record |= {"stream": stream, "job": _key(stream, *job), "protocol": protocol(job[0]), "device": device}
                stream_file.write(json.dumps(strict(record), allow_nan=False) + "\n")


def run(stream: str, cases: list[str], examples: int, store: RecordStore, executor, max_dim: int = 4,
        seed: int = 1, on_done: Callable[[tuple, list], None] | None = None, device: str = "cpu") -> int:
    """Run the jobs of ``stream`` that ``store`` does not hold yet; each job's outcomes are appended as soon as
    it finishes (metrics only: thresholds are not applied). Returns how many jobs ran."""
    done = store.done()
    todo = [j for j in jobs(stream, cases, examples, max_dim, seed) if _key(stream, *j) not in done]

    def finished(job, outcomes):
        store.append(stream, job, outcomes, str(device))
        if on_done is not None:
            on_done(job, outcomes)

    if todo:
        suite.run_jobs(todo, device=device, th=suite.RecordOnly(), on_done=finished, executor=executor, batch=CHUNK)
    return len(todo)


def _values(records: list[dict], stream: str) -> tuple[dict[str, list[float]], dict[str, str]]:
    values: dict[str, list[float]] = defaultdict(list)
    ops: dict[str, str] = {}
    for r in records:
        if r.get("stream") != stream or r.get("error"):
            continue
        for c in r["criteria"]:
            values[f"{r['case']}.{c['metric']}"].append(c["value"])
            ops[f"{r['case']}.{c['metric']}"] = c["op"]
    return values, ops


def fit(records: list[dict], cases: list[str] | None = None) -> dict[str, dict]:
    """key -> threshold with its provenance, from the calibration stream's recovery runs (of ``cases`` only,
    when given: the thresholds of other cases stay as they are)."""
    values, ops = _values(records, "calibration")
    # variants (C6.vmf-recovery) and controls borrow; only a claim's own recovery is fitted
    keys = [key for key in sorted(values) if key.split(".")[1] == "recovery" and key.count(".") == 2
            and (cases is None or key.split(".")[0] in cases)]
    criteria = Counter(key.rsplit(".", 1)[0] for key in keys)  # per check (C1.recovery): the m of its criteria
    out = {}
    for key in keys:
        v, m = values[key], criteria[key.rsplit(".", 1)[0]]
        k = tolerance_factor(len(v), 1 - FALSE_FAILURE / m)
        out[key] = {"value": fit_threshold(v, ops[key], m), "statistic": key.split(".")[-1], "op": ops[key],
                    "n": len(v), "stream": "calibration (even training seeds)",
                    "model": f"log-normal deficit, tolerance bound: {1 - FALSE_FAILURE / m:.3%} coverage (m = {m}) "
                             f"at {CONFIDENCE:.0%} confidence, k = {k:.3f}, bounded by {SCORE_FLOOR} / "
                             f"{ERROR_CEILING}"}
    return out


def _threshold_key(criterion: dict, record: dict) -> str | None:
    """The thresholds.json key a recorded criterion is judged against: the key it carries, or (records from
    before criteria carried their key) the key by the checks' naming rules; None when the criterion is
    judged against a value of its own run (C6's control, against its run's error)."""
    if "key" in criterion:
        return criterion["key"] or None
    if record["case"].startswith("C6") and record["evidence"] == "control":
        return None  # a record from before keys: C6's control was judged against its own run
    key = f"{record['case']}.{criterion['metric']}"
    case = record["case"]
    claim = case.split(".")[0]
    if key in BORROWED:
        return BORROWED[key]
    if ".control" in case and claim in CONTROL_THRESHOLD:
        return CONTROL_THRESHOLD[claim]
    return f"{claim}.recovery.{criterion['metric']}"  # a claim's or a variant's recovery, or a reported run


def _threshold_for(criterion: dict, record: dict, known: dict[str, float]) -> float | None:
    """The threshold in ``known`` that a recorded criterion is judged against (None: unknown), or the value
    it was compared with when that came from its own run."""
    key = _threshold_key(criterion, record)
    return criterion["threshold"] if key is None else known.get(key)


def evaluation_set(records: list[dict], seed: int, examples: int) -> tuple[list[dict], dict[str, str]]:
    """The records to judge: of a case whose evaluation records hold all ``examples`` examples that hypothesis
    seed ``seed`` draws for it, those alone (a set no earlier choice can have seen); of any other case,
    every evaluation record it has. Returns them and, per case, which examples it is judged on."""
    by_case: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r.get("stream") == "evaluation":
            by_case[_case_of(r)].append(r)
    kept = [r for r in records if r.get("stream") != "evaluation"]
    examples_of = {}
    for case, rs in sorted(by_case.items()):
        drawn = {_key("evaluation", *job) for job in jobs("evaluation", [case], examples, seed=seed)}
        if drawn <= {r["job"] for r in rs}:
            kept += [r for r in rs if r["job"] in drawn]
            examples_of[case] = f"hypothesis seed {seed}"
        else:
            kept += rs
            examples_of[case] = EVERY_RECORD
    return kept, examples_of


def evaluate(records: list[dict], thresholds: dict[str, float],
             examples_of: dict[str, str] | None = None) -> dict[str, dict]:
    """Per case and evidence, on the evaluation stream: how often the evidence was not as predicted (a
    recovery failing, a control wrongly holding), with its exact 95 % upper bound and the targets; each row
    names its examples (per case, as :func:`evaluation_set` returns them; by default every record)."""
    out: dict[str, dict] = {}
    for r in records:
        if r.get("stream") != "evaluation" or r["evidence"] not in ("recovery", "control", "fairness"):
            continue
        th = {c["metric"]: _threshold_for(c, r, thresholds) for c in r["criteria"]}
        if r.get("error") or any(t is None for t in th.values()):
            as_predicted = False
        else:
            holds = [c["value"] >= th[c["metric"]] if c["op"] == ">=" else c["value"] <= th[c["metric"]]
                     for c in r["criteria"]]
            as_predicted = not all(holds) if r["evidence"] == "control" else all(holds)
        row = out.setdefault(r["case"], {"evidence": r["evidence"], "n": 0, "not_as_predicted": 0,
                                         "examples": examples_of[_case_of(r)] if examples_of else EVERY_RECORD})
        row["n"] += 1
        row["not_as_predicted"] += not as_predicted
    for row in out.values():
        k, n = row["not_as_predicted"], row["n"]
        row["rate"] = k / n if n else float("nan")
        row["upper_95"] = upper_bound(k, n)
        if row["evidence"] == "control":
            row["power"] = 1 - row["rate"]
            row["meets_target"] = row["power"] >= TARGETS["power"]
        else:
            row["meets_target"] = row["rate"] <= TARGETS["false_failure"] and \
                row["upper_95"] <= TARGETS["false_failure_bound"]
    return out


def _shares(recovery: np.ndarray, control: np.ndarray, threshold: float) -> tuple[float, float]:
    """Of runs judged "value >= threshold": the recovery runs that fail, the control runs that pass."""
    return float(np.mean(recovery < threshold)), float(np.mean(control >= threshold))


def separation(records: list[dict], thresholds: dict[str, float], stream: str = "calibration") -> dict[str, dict]:
    """How far apart a threshold's recovery runs and each control judged against it lie, on ``stream``:
    the share of recovery runs that fail the threshold in ``thresholds`` and of control runs that pass it, and the
    best any single threshold could do on these runs (the one minimizing the sum of the two shares). A
    best sum far above 0 means the statistic cannot separate them at this budget, whatever the threshold."""
    recovery: dict[str, list[float]] = defaultdict(list)
    controls: dict[tuple[str, str], list[float]] = defaultdict(list)
    ops: dict[str, str] = {}
    for r in records:
        if r.get("stream") != stream or r.get("error") or r["evidence"] not in ("recovery", "control"):
            continue
        for c in r["criteria"]:
            key = _threshold_key(c, r)
            if key is None:
                continue
            ops[key] = c["op"]
            if r["evidence"] == "control":
                controls[(r["case"], key)].append(c["value"])
            elif r["case"] == key.rsplit(".", 1)[0]:  # the runs the threshold is fitted to
                recovery[key].append(c["value"])
    out = {}
    for (case, key), control in sorted(controls.items()):
        if not recovery.get(key):
            continue
        sign = 1.0 if ops[key] == ">=" else -1.0  # a "<=" criterion is "-value >= -t"
        rec, ctl = sign * np.asarray(recovery[key]), sign * np.asarray(control)
        best = max(np.concatenate([rec, ctl]), key=lambda t: (-sum(_shares(rec, ctl, t)), t))  # ties: the stricter
        row = {"threshold_key": key, "n_recovery": len(rec), "n_control": len(ctl), "stream": stream}
        if key in thresholds:
            ff, wrong = _shares(rec, ctl, sign * thresholds[key])
            row |= {"threshold": thresholds[key], "recovery_fails": ff, "control_holds": wrong}
        ff, wrong = _shares(rec, ctl, best)
        row |= {"best_threshold": float(sign * best), "best_recovery_fails": ff, "best_control_holds": wrong}
        out[case] = row
    return out


#: recovery score thresholds -> (the group scored, the next larger group a random element is drawn from)
NULL_GROUPS = {"C1.recovery.score": ("signed permutation", "orthogonal"),
               "C2.recovery.score": ("block-orthogonal (ties)", "orthogonal"),
               "C3.recovery.score": ("orthogonal", "linear, condition number 3"),
               "C7.recovery.score": ("block-orthogonal (refinement)", "orthogonal"),
               "C8.recovery.score": ("signed permutation", "orthogonal")}


def null_rates(thresholds: dict[str, float], dims=(3, 4), samples: int = 500, seed: int = 0) -> dict[str, dict]:
    """What a random element of the next larger group scores against each recovery score threshold: the
    share of h = g z (g Haar-random orthogonal, or a random linear map of condition number 3 for the
    orthogonal check) that pass — mean score (as the checks use) and worst latent. A high share means the
    score alone cannot tell the predicted group from the larger one (the Λ̂ criterion must)."""
    from scipy.stats import ortho_group

    from .indeterminacy import Indeterminacy
    from .process import GenerativeProcess

    rng = np.random.default_rng(seed)
    out = {}
    for key, (scored, larger) in NULL_GROUPS.items():
        if key not in thresholds:
            continue
        means, worsts = [], []
        for d in dims:
            z = GenerativeProcess(lam=(3.0,) * d).sampler("cpu", seed=seed).latents(2000).numpy()
            blocks = ((tuple(range(d - 1)), (d - 1,)) if "block" in scored
                      else tuple((i,) for i in range(d)) if "permutation" in scored else (tuple(range(d)),))
            group = Indeterminacy(blocks)
            for _ in range(samples):
                if larger.startswith("linear"):
                    u, v = (ortho_group.rvs(d, random_state=rng) for _ in range(2))
                    g = u @ np.diag(np.geomspace(1.0, 3.0, d)) @ v
                else:
                    g = ortho_group.rvs(d, random_state=rng)
                rec = group.score(z, z @ g.T)
                means.append(rec.score)
                worsts.append(rec.within.min())
        t = thresholds[key]
        out[key] = {"group": scored, "random_from": larger, "threshold": t, "n": len(means),
                    "pass_rate_mean_score": float(np.mean(np.asarray(means) >= t)),
                    "pass_rate_worst_latent": float(np.mean(np.asarray(worsts) >= t)),
                    "median_score": float(np.median(means))}
    return out


def write_thresholds(path: Path, fitted: dict[str, dict], records_file: Path) -> dict[str, float]:
    """Merge ``fitted`` into the thresholds file at ``path`` (thresholds of cases not calibrated now are
    kept, with their provenance); returns the merged thresholds."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    provenance = stored.get("provenance", {})
    for key in stored.get("thresholds", {}):
        provenance.setdefault(key, {"value": stored["thresholds"][key], "source": stored.get("sources", {}).get(key),
                                    "statistic": key.split(".")[-1], "n": stored.get("examples_per_case"),
                                    "stream": "first calibration (not separated from evaluation)"})
    for key, p in fitted.items():
        provenance[key] = p | {"source": records_file.name}
    merged = {k: p["value"] for k, p in sorted(provenance.items())}
    path.write_text(json.dumps({"source": "idtheory calibrate; provenance per threshold below",
                                "thresholds": merged, "provenance": dict(sorted(provenance.items()))},
                               indent=1) + "\n")
    return merged


def record_rates(path: Path, evaluation: dict[str, dict], records_file: Path) -> None:
    """Store the out-of-sample rates beside the thresholds they were measured with, so that every report
    judged against these thresholds can print them (idtheory.suite.records.out_of_sample)."""
    stored = json.loads(path.read_text())
    stored["out_of_sample"] = {"stream": "evaluation", "source": records_file.name, "targets": TARGETS,
                               "rates": dict(sorted(evaluation.items()))}
    path.write_text(json.dumps(stored, indent=1) + "\n")


def markdown(thresholds: dict[str, dict], evaluation: dict[str, dict], counts: dict[str, dict[str, int]],
             wanted: int, command: str, null: dict[str, dict] | None = None,
             apart: dict[str, dict] | None = None, records_note: str = "") -> str:
    lines = ["# Calibration", "", f"`{command}`", "", *([records_note, ""] if records_note else []),
             "Thresholds are fitted on the calibration stream (even training seeds) only; every rate below is "
             "measured on the evaluation stream (odd training seeds, what `check` and `validate` draw). "
             f"Targets: false failures ≤ {TARGETS['false_failure']:.0%} with the exact 95 % upper bound ≤ "
             f"{TARGETS['false_failure_bound']:.0%}; controls' power ≥ {TARGETS['power']:.0%}.", "",
             "## Runs", "", f"| case | calibration | evaluation | missing for n ≥ {wanted} |", "|---|---|---|---|"]
    for case, c in sorted(counts.items()):
        missing = [f"{s}: {wanted - c.get(s, 0)}" for s in STREAMS if c.get(s, 0) < wanted]
        lines.append(f"| {case} | {c.get('calibration', 0)} | {c.get('evaluation', 0)} | {', '.join(missing) or '–'} |")
    lines += ["", "## Thresholds", "", "| threshold | value | statistic | n | stream | model |",
              "|---|---|---|---|---|---|"]
    for key, p in sorted(thresholds.items()):
        lines.append(f"| {key} | {p['value']:.4f} | {p.get('statistic', '')} | {p.get('n', '–')} | "
                     f"{p.get('stream', '')} | {p.get('model', p.get('source', ''))} |")
    lines += ["", "## Out-of-sample rates (evaluation stream)", "",
              "| evidence | kind | n | not as predicted | rate | 95 % upper bound | power | target | examples |",
              "|---|---|---|---|---|---|---|---|---|"]
    for case, row in sorted(evaluation.items()):
        power = f"{row['power']:.1%}" if "power" in row else ""
        lines.append(f"| {case} | {row['evidence']} | {row['n']} | {row['not_as_predicted']} | {row['rate']:.1%} | "
                     f"{row['upper_95']:.1%} | {power} | {'met' if row['meets_target'] else '**missed**'} | "
                     f"{row['examples']} |")
    lines += ["", "## How far apart recovery and control runs lie (calibration stream)", "",
              "The share of the recovery runs a threshold is fitted to that fail it, and of a control's runs that "
              "pass it, at this summary's threshold and at the best single threshold for these runs (least sum "
              "of the two shares). A best sum well above 0 means no threshold separates them at this budget.", "",
              "| control | threshold | n (recovery / control) | value | recovery fails | control holds | "
              "best | recovery fails | control holds |", "|---|---|---|---|---|---|---|---|---|"]
    for case, row in (apart or {}).items():
        at_value = (f"{row['threshold']:.4f} | {row['recovery_fails']:.1%} | {row['control_holds']:.1%}"
                    if "threshold" in row else "– | – | –")
        lines.append(f"| {case} | {row['threshold_key']} | {row['n_recovery']} / {row['n_control']} | {at_value} | "
                     f"{row['best_threshold']:.4f} | {row['best_recovery_fails']:.1%} | "
                     f"{row['best_control_holds']:.1%} |")
    lines += ["", "## A random element of the next larger group", "",
              "| threshold | scored as | random element of | threshold | passes (mean score) | passes (worst latent) |",
              "|---|---|---|---|---|---|"]
    for key, row in (null or {}).items():
        lines.append(f"| {key} | {row['group']} | {row['random_from']} | {row['threshold']:.4f} | "
                     f"{row['pass_rate_mean_score']:.1%} | {row['pass_rate_worst_latent']:.1%} |")
    return "\n".join(lines) + "\n"


def summarize(store: RecordStore, thresholds_path: Path, out: Path | None, wanted: int, command: str,
              fit_thresholds: bool = True, cases: list[str] | None = None,
              evaluation_seed: int | None = None) -> dict:
    """Fit (optionally write) thresholds — of ``cases`` only, when given — from the store's calibration
    stream, evaluate on its evaluation stream (with ``evaluation_seed``: on that hypothesis seed's ``wanted``
    examples where a case has them all, :func:`evaluation_set`), write the Markdown and JSON summaries;
    returns the summary."""
    records = store.load()
    other_protocol = len(store.load_all()) - len(records)
    fitted = fit(records, cases) if fit_thresholds else {}
    if fitted:
        write_thresholds(thresholds_path, fitted, store.path)
    stored = json.loads(thresholds_path.read_text()) if thresholds_path.exists() else {}
    merged = stored.get("thresholds") or dict(suite.thresholds())
    provenance = stored.get("provenance", {})
    judged, examples_of = (records, None) if evaluation_seed is None else \
        evaluation_set(records, evaluation_seed, wanted)
    evaluation = evaluate(judged, merged, examples_of)
    if thresholds_path.exists() and evaluation:
        record_rates(thresholds_path, evaluation, store.path)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seen = set()
    for r in judged:
        case = json.loads(r["job"])[1]
        if (r["job"]) not in seen:
            seen.add(r["job"])
            counts[case][r["stream"]] += 1
    summary = {"thresholds": provenance or {k: {"value": v} for k, v in merged.items()}, "evaluation": evaluation,
               "null": null_rates(merged), "separation": separation(records, merged),
               "examples": {k: dict(v) for k, v in counts.items()}, "targets": TARGETS, "time": time.time(),
               "protocol": protocol(), "other_protocol_records": other_protocol,
               "case_protocols": {case: protocol(case) for case in suite.CASES if protocol(case) != protocol()}}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(dumps(summary))
        out.with_suffix(".md").write_text(markdown(summary["thresholds"], evaluation, summary["examples"], wanted,
                                                   command, summary["null"], summary["separation"],
                                                   f"Training protocols: {summary['protocol']} (the check "
                                                   "budget), " + "".join(f"{p} ({case}), " for case, p in
                                                                         summary["case_protocols"].items())
                                                   + "see idtheory.calibration.protocol; "
                                                   f"records of other protocols in the file, not used: "
                                                   f"{other_protocol}."))
    return summary


__all__ = ["RecordStore", "STREAMS", "TARGETS", "evaluate", "evaluation_set", "fit", "jobs", "protocol", "record_rates",
           "run", "separation", "summarize", "tolerance_factor", "upper_bound"]
