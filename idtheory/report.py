"""Write a check run to disk as it goes: results.json, report.md and one figure per trained case.

Everything is rewritten (atomically) after each finished job, so an interrupted run keeps what it did,
and says so (``status`` in results.json, a banner in report.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .claims import CLAIMS
from .results import ResultsFile, write_atomic
from .suite.records import out_of_sample, rate_text

#: what a passed piece of evidence is called in the summary table
EVIDENCE_WORDS = {"proof": "proved", "symmetry": "symmetric", "optimum": "stationary at the optimum",
                  "recovery": "recovered", "control": "control failed as predicted",
                  "fairness": "control fair (kept the latents)",
                  "reported": "reported (not asserted)"}


def summary(records: list[dict]) -> dict[str, dict[str, str]]:
    """claim -> evidence kind -> "k/n" passed."""
    table: dict[str, dict[str, list[int]]] = {}
    for r in records:
        cell = table.setdefault(r["claim"], {}).setdefault(r["evidence"], [0, 0])
        cell[0] += bool(r["passed"])
        cell[1] += 1
    return {c: {e: f"{p}/{n}" for e, (p, n) in row.items()} for c, row in sorted(table.items())}


def all_passed(records: list[dict]) -> bool:
    return bool(records) and all(r["passed"] for r in records)


def weak_controls(records: list[dict], rates: dict[str, dict]) -> list[str]:
    """The controls of this run whose measured power is below the target."""
    cases = dict.fromkeys(r["case"] for r in records if r["evidence"] == "control")
    return [c for c in cases if c in rates and not rates[c]["meets_target"]]


def _criteria_text(r: dict) -> str:
    if r.get("error"):
        return f"error: {r['error']}"
    text = "; ".join(f"{c['metric']} = {c['value']:.4g} (needs {c['op']} {c['threshold']:.4g}: "
                     f"{'holds' if c['holds'] else 'fails'})" for c in r["criteria"])
    if r.get("margin") is not None:  # a control: how far it stayed from passing the stronger claim
        text += f"; margin {r['margin']:.4g}"
    return text


def _example_text(params: dict) -> str:
    def fmt(v):
        if isinstance(v, (list, tuple)):
            return "(" + ", ".join(fmt(x) for x in v) + ")"
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{k} {fmt(v)}" for k, v in params.items())


def markdown(header: dict, records: list[dict]) -> str:
    kinds = list(EVIDENCE_WORDS)
    lines = ["# idtheory check report", ""]
    if header.get("status") != "complete":
        missing = header.get("missing")
        lines += [f"**This run is {header.get('status', 'running')}: its results are incomplete"
                  + (f"; not run: {', '.join(map(str, missing))}" if missing else "") + ".**", ""]
    lines += [f"- **{k}**: {v}" for k, v in header.items() if k != "missing"]
    lines += ["", "## Summary (passed / run)", "",
              "| claim | prediction | " + " | ".join(EVIDENCE_WORDS[k] for k in kinds) + " |",
              "|---|---|" + "---|" * len(kinds)]
    for claim, row in summary(records).items():
        lines.append(f"| {claim} | {CLAIMS[claim].prediction} | " + " | ".join(row.get(k, "–") for k in kinds) + " |")
    rates = out_of_sample()
    weak = weak_controls(records, rates)
    if weak:
        lines += ["", "**Weak controls** (power below the target, measured out of sample by `idtheory calibrate`): "
                  + "; ".join(f"{case}: {rate_text(rates[case])}" for case in weak) + "."]
    lines += ["", "## Every result", "",
              "Out of sample: the rate measured for the thresholds in force on the evaluation stream (`idtheory "
              "calibrate`), with its exact 95 % upper bound.", "",
              "| | case | loss | group scored | example | criteria | out of sample | seconds |",
              "|---|---|---|---|---|---|---|---|"]
    for r in records:
        mark = "✅" if r["passed"] else "❌"
        measured = rate_text(rates.get(r["case"])) if r["evidence"] in ("recovery", "control", "fairness") else ""
        lines.append(f"| {mark} | {r['case']} | {r['loss']} | {r['group']} | {_example_text(r['params'])} | "
                     f"{_criteria_text(r)} | {measured} | {r['seconds']:.1f} |")
    plots = [r["plot"] for r in records if r.get("plot")]
    if plots:
        lines += ["", "## Figures", ""]
        lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def plot(record: dict, path: Path) -> bool:
    """Matched correlation heatmap with the scored blocks outlined, metrics vs step, Λ̂ vs Λ."""
    detail = record.get("detail") or {}
    if not detail.get("history"):
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    corr = detail.get("matched_correlation")
    if corr is not None:
        corr = np.abs(np.asarray(corr))
        im = ax.imshow(corr, vmin=0, vmax=1, cmap="viridis")
        fig.colorbar(im, ax=ax, fraction=0.046)
        # outline each block: latents of the block against the outputs matched to it (same positions)
        for block in detail.get("blocks", []):
            lo, hi = min(block), max(block)
            if list(block) == list(range(lo, hi + 1)):
                ax.add_patch(Rectangle((lo - 0.5, lo - 0.5), hi - lo + 1, hi - lo + 1, fill=False, ec="red", lw=2))
            else:
                for i in block:
                    for j in block:
                        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
        ax.set_xlabel("output (matched order)")
        ax.set_ylabel("latent")
        ax.set_title(f"|corr|, blocks of {record['group']}")
    else:
        r2 = detail.get("r2_per_latent", [])
        ax.bar(range(len(r2)), r2)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("latent")
        ax.set_title("per-latent linear R²")
    history = detail["history"]
    steps = [h["step"] for h in history]
    axes[1].plot(steps, [h["r2"] for h in history], label="linear R²")
    axes[1].plot(steps, [h["mcc"] for h in history], label="MCC")
    axes[1].set_xlabel("training step")
    axes[1].set_ylim(0, 1.02)
    axes[1].legend()
    axes[1].set_title("recovery during training")
    lam_hat = detail.get("lam_hat")
    ax = axes[2]
    if lam_hat is not None:
        rows = np.atleast_2d(np.asarray(lam_hat, dtype=float))
        spectra = [record["params"]["lam"], *record["params"].get("families", [])]
        for k, (row, lam) in enumerate(zip(rows, spectra)):
            ax.scatter(np.sort(lam), np.sort(row), label=f"family {k + 1}" if len(rows) > 1 else "sorted Λ̂")
        if "lam_eff" in record["params"]:
            ax.scatter(np.sort(spectra[0]), np.sort(record["params"]["lam_eff"]), marker="x", label="Λ - β/2 (C6)")
        top = max(max(map(max, spectra)), float(rows.max()))
        ax.plot([0, top], [0, top], "k--", lw=1, label="Λ̂ = Λ")
        ax.set_xlabel("true λ (sorted)")
        ax.set_ylabel("learned λ̂ (sorted)")
        ax.legend(fontsize=8)
        ax.set_title("Λ̂ vs Λ")
    else:
        ax.axis("off")
    mark = "passed" if record["passed"] else "FAILED"
    fig.suptitle(f"{record['case']} · {record['loss']} · {mark}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


class ReportWriter:
    """Accumulates records and rewrites results.json / report.md (and new figures) on every add.

    ``directory`` should be a fresh run folder (:func:`idtheory.results.new_run_folder`)."""

    def __init__(self, directory: Path | None, json_path: Path | None, header: dict):
        self.directory = directory
        paths = [directory / "results.json" if directory is not None else None, json_path]
        self.file = ResultsFile(paths, header, summary)

    @property
    def records(self) -> list[dict]:
        return self.file.records

    @property
    def header(self) -> dict:
        return self.file.header

    def add(self, records: list[dict]) -> None:
        for r in records:
            if self.directory is not None and r["evidence"] in ("recovery", "control") and not r.get("error"):
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{r['case']}-{len(self.records)}") + ".png"
                if plot(r, self.directory / "plots" / name):
                    r["plot"] = f"plots/{name}"
            self.file.records.append(r)
        self.write()

    def finish(self, status: str = "complete", missing: list | None = None) -> None:
        self.file.finish(status, missing)
        self._write_markdown()

    def write(self) -> None:
        self.file.write()
        self._write_markdown()

    def _write_markdown(self) -> None:
        if self.directory is not None:
            write_atomic(self.directory / "report.md", markdown(self.header, self.records))


def profile_markdown(header: dict, summary_rows: dict, records: list[dict]) -> str:
    """report.md of ``idtheory validate``: the family verdicts, then one line per run."""
    lines = [f"# Identifiability profile: {header.get('loss')}", ""]
    if header.get("status") != "complete":
        lines += [f"**This run is {header.get('status', 'running')}: its results are incomplete.**", ""]
    lines += [f"declared: {header.get('declared')}; holds: {header.get('declared_consistent')}; "
              f"passed: {header.get('passed')}", ""]
    optimum = header.get("optimum") or {}
    if optimum.get("applicable") and "t_at_optimum" in optimum:
        lines += [f"optimum check: |t| = {optimum['t_at_optimum']:.2f} at h = id, Λ̂ = Λ (≤ 4: "
                  f"{'holds' if optimum['holds'] else 'FAILS'}); {optimum['t_perturbed']:.1f} at Λ̂ = 1.5 Λ", ""]
    lines += [f"note: {n}" for n in header.get("notes") or []]
    lines += ["", "| family | theory | verdict (every run) | runs attaining theory | stronger | not settled | errors |",
              "|---|---|---|---|---|---|---|"]
    for family, row in summary_rows.items():
        ok = row["runs"] - row["errors"]
        lines.append(f"| {family} | {row['predicted']} | {row['verdict']} | {row['theory_runs']}/{ok} | "
                     f"{row['stronger_runs']} | {row['not_settled']} | {row['errors']} |")
    lines += ["", "| family | example | seed | theory (AnInfoNCE) | strongest recovered | scores (worst latent) | "
              "Λ̂ error | Λ̂ gap | invariant under | error |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        scores = ", ".join(f"{k} {v:.3f}" for k, v in r["scores"].items() if v is not None)
        invariant = ", ".join(k for k, v in r["symmetry"].items() if v is not None and v < 1e-5)
        error = "" if r["lam_error"] is None else f"{r['lam_error']:.1%}"
        gap = (r.get("convergence") or {}).get("lam_gap")
        lines.append(f"| {r['family']} | {r['lam']} | {r['seed']} | {r['predicted']} | {r['strongest']} | {scores} | "
                     f"{error} | {'' if gap is None else f'{gap:.3f}'} | {invariant} | {r['error'] or ''} |")
    return "\n".join(lines) + "\n"
