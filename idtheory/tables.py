"""The terminal tables of check, validate and reproduce (rich): presentation only, no verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .report import EVIDENCE_WORDS, summary, weak_controls
from .suite.records import out_of_sample


def _fmt(values, digits=2) -> str:
    return " ".join(f"{v:.{digits}f}" for v in values)


def print_reproduction(console: Console, experiment, about, records, sampler, budget, steps, seed,
                       device) -> None:
    console.print(f"[bold]{experiment}[/bold]: {about}")
    console.print(f"sampler {sampler}, negatives {records[0]['negatives']}, budget {budget}"
                  f"{f' ({steps} steps)' if steps else ''}, seed {seed}, device {device}")
    table = Table()
    for col in ("loss", "seed", "R²", "MCC", "predicted", "block rec.", "Λ̂ max error", "steps", "seconds"):
        table.add_column(col)
    for r in records:
        error = f"{max(r['lam_rel_error']):.1%}" if "lam_rel_error" in r else "–"
        table.add_row(r["loss"], str(r["seed"]), f"{r['r2']:.4f}", f"{r['mcc']:.4f}", r["predicted"],
                      f"{r['block_recovery']:.4f}", error, str(r["steps"]), f"{r['seconds']:.0f}")
    console.print(table)
    several = len({r["seed"] for r in records}) > 1
    for r in records if not several else []:
        if "lam_hat_matched" in r:
            lam_table = Table(title=f"{r['loss']}: Λ̂ matched to Λ (max rel. error {max(r['lam_rel_error']):.1%})")
            for col in ("convention", "Λ", "Λ̂ (matched)"):
                lam_table.add_column(col)
            lam_table.add_row("paper", _fmt(r["lam"]), _fmt(r["lam_hat_matched"]))
            lam_table.add_row("official code (2×)", _fmt(r["lam_code"]), _fmt(r["lam_hat_matched_code"]))
            console.print(lam_table)
    if len(records) > 1 and not several:
        per = Table(title="per-latent linear R²")
        per.add_column("latent")
        per.add_column("λ (paper)")
        for r in records:
            per.add_column(r["loss"])
        for i, v in enumerate(records[0]["lam"]):
            per.add_row(f"z{i}", f"{v:g}", *(f"{r['r2_per_latent'][i]:.3f}" for r in records))
        console.print(per)


def print_check(console: Console, profile: str, seconds: float, records: list[dict]) -> None:
    table = Table(title=f"idtheory check --profile {profile} ({seconds:.0f} s)")
    kinds = tuple(EVIDENCE_WORDS)
    table.add_column("claim")
    for k in kinds:
        table.add_column(EVIDENCE_WORDS[k])
    for claim, row in summary(records).items():
        cells = []
        for k in kinds:
            cell = row.get(k, "–")
            ok = cell == "–" or cell.split("/")[0] == cell.split("/")[1]
            cells.append(cell if ok else f"[red]{cell}[/red]")
        table.add_row(claim, *cells)
    console.print(table)
    rates = out_of_sample()
    for case in weak_controls(records, rates):
        row = rates[case]
        console.print(f"[yellow]weak control[/yellow] {case}: power {row['power']:.0%} out of sample (n {row['n']}, "
                      "idtheory calibrate)")
    for r in records:
        if not r["passed"]:
            console.print(f"[red]FAILED[/red] {r['case']} ({r['loss']}, {r['params']}): "
                          + (r["error"] or "; ".join(f"{c['metric']}={c['value']:.4g} {c['op']} {c['threshold']:.4g}"
                                                      for c in r["criteria"])))


def print_profile(console: Console, profile, seconds: float) -> None:
    """The identifiability profile of :func:`idtheory.validation.check_loss`, one row per family."""
    table = Table(title=f"identifiability profile of {profile.loss} ({seconds:.0f} s)")
    for col in ("process family", "AnInfoNCE theory", "verdict (every run)", "runs attaining theory", "stronger",
                "as theory", "Λ̂ max error", "trained loss invariant under", "errors"):
        table.add_column(col)
    for family, row in profile.families.items():
        recs = [r for r in profile.records if r.family == family and not r.error]
        lam = [r.lam_error for r in recs if r.lam_error is not None]
        inv = sorted({k for r in recs for k, v in r.symmetry.items() if v < 1e-5})
        ok = row["runs"] - row["errors"]
        table.add_row(family, row["predicted"], row["verdict"], f"{row['theory_runs']}/{ok}", str(row["stronger_runs"]),
                      "yes" if row["matches"] else "NO", f"{max(lam):.1%}" if lam else "–",
                      ", ".join(inv) or "nothing tested", str(row["errors"]))
    console.print(table)
    for row in profile.families.values():
        if "hint" in row:
            console.print(f"[yellow]inconclusive[/yellow]: {row['hint']}")
    optimum = profile.optimum
    if optimum.get("applicable"):
        if "error" in optimum:
            console.print(f"[red]optimum check errored[/red]: {optimum['error']}")
        else:
            state = "[green]holds[/green]" if optimum["holds"] else "[red]FAILS[/red]"
            console.print(f"optimum check (h = id, Λ̂ = Λ {optimum['lam']}): |t| = {optimum['t_at_optimum']:.2f} "
                          f"(≤ 4) {state}; at Λ̂ = 1.5 Λ |t| = {optimum['t_perturbed']:.1f}"
                          + ("" if optimum["powered"] else " [yellow](below 10: the check has little power)[/yellow]"))
            if not optimum["holds"]:
                console.print(f"[red]{optimum['message']}[/red]")
    else:
        console.print(f"optimum check: not applicable ({optimum.get('reason')})")
    for note in profile.notes:
        console.print(f"[yellow]note[/yellow]: {note}")
    for r in profile.records:
        if r.error:
            console.print(f"[red]error[/red] on {r.family} (λ {r.lam}, seed {r.seed}): {r.error}")
    verdict = profile.declared_holds
    if verdict is not None:
        console.print(f"declared: {profile.declared!r} → " + ("[green]holds[/green]" if verdict else "[red]does NOT "
                                                                                                    "hold[/red]"))
    console.print("[green]validate: passed[/green]" if profile.passed else "[red]validate: FAILED[/red] (exit 1)")


def print_calibration(console: Console, summary: dict) -> None:
    """Out-of-sample rates of ``idtheory calibrate`` (idtheory.calibration.summarize)."""
    table = Table(title="calibration: out-of-sample rates (evaluation stream)")
    for col in ("evidence", "kind", "n", "not as predicted", "rate", "95 % upper bound", "target", "examples"):
        table.add_column(col)
    for case, row in sorted(summary["evaluation"].items()):
        table.add_row(case, row["evidence"], str(row["n"]), str(row["not_as_predicted"]), f"{row['rate']:.1%}",
                      f"{row['upper_95']:.1%}", "met" if row["meets_target"] else "[red]missed[/red]",
                      row["examples"])
    console.print(table)
    for case, counts in sorted(summary["examples"].items()):
        console.print(f"{case}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
