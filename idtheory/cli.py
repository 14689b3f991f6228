"""Command line: thin wrappers over the library, with progress and tables from rich."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Verify the identifiability theory of contrastive learning (AnInfoNCE).")
console = Console()

EXECUTOR_HELP = ("where the training jobs run: local (this machine) | ray (RAY_ADDRESS, else a local Ray instance) | "
                 "ray://HOST:PORT (needs pip install 'idtheory[ray]')")


def _fmt(values, digits=2) -> str:
    return " ".join(f"{v:.{digits}f}" for v in values)


@app.command()
def reproduce(
    experiment: str = typer.Argument(..., help="linspace | bimodal | isotropic | content-style"),
    budget: str = typer.Option("quick", help="quick | paper"),
    sampler: str = typer.Option("exact", help="exact (Fisher–Bingham) | official (rejected projected normal)"),
    seed: int = typer.Option(0),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    negatives: str = typer.Option("both", help="first-quarter negatives: both (SimCLR, 2B-2 in-batch) | anchors; "
                                  "the quick budget then switches to anchors (the theory's setting)"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="write the results here"),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads (default: torch's choice)"),
    steps: Optional[int] = typer.Option(None, help="override the budget's number of steps"),
):
    """Train an official experiment and score it against the predicted indeterminacy."""
    from dataclasses import replace

    import torch

    from .reproduce import EXPERIMENTS
    from .reproduce import reproduce as run
    from .training import BUDGETS

    if threads:
        torch.set_num_threads(threads)
    try:
        exp = EXPERIMENTS[experiment] if experiment in EXPERIMENTS else None
        chosen, total = budget, 0
        if budget in BUDGETS:
            total = BUDGETS[budget].steps
            if steps is not None:
                chosen = replace(BUDGETS[budget], steps=steps, eval_every=min(BUDGETS[budget].eval_every, steps))
                total = steps
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.fields[status]}"), console=console, transient=False) as bar:
            tasks = {name: bar.add_task(f"{experiment}/{name}", total=total, status="", start=True)
                     for name in (exp.losses if exp else ())}

            def progress(loss_name: str, record: dict) -> None:
                status = f"loss {record['loss']:.3f}  R² {record['r2']:.3f}  MCC {record['mcc']:.3f}"
                bar.update(tasks[loss_name], completed=record["step"], status=status)
                if not console.is_terminal:  # a log file gets one line per evaluation instead of a live bar
                    console.print(f"{experiment}/{loss_name} step {record['step']} ({record['seconds']:.0f} s): "
                                  f"{status}")

            records = run(experiment, chosen, sampler, seed, device, negatives, progress)
            for name, task in tasks.items():
                bar.update(task, total=next(r["steps"] for r in records if r["loss"] == name))
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err

    console.print(f"[bold]{experiment}[/bold]: {exp.about}")
    console.print(f"sampler {sampler}, negatives {records[0]['negatives']}, budget {budget}"
                  f"{f' ({steps} steps)' if steps else ''}, seed {seed}, device {device}")
    table = Table()
    for col in ("loss", "R²", "MCC", "predicted", "block rec.", "steps", "seconds"):
        table.add_column(col)
    for r in records:
        table.add_row(r["loss"], f"{r['r2']:.4f}", f"{r['mcc']:.4f}", r["predicted"], f"{r['block_recovery']:.4f}",
                      str(r["steps"]), f"{r['seconds']:.0f}")
    console.print(table)
    for r in records:
        if "lam_hat_matched" in r:
            lam_table = Table(title=f"{r['loss']}: Λ̂ matched to Λ (max rel. error {max(r['lam_rel_error']):.1%})")
            lam_table.add_column("convention")
            lam_table.add_column("Λ")
            lam_table.add_column("Λ̂ (matched)")
            lam_table.add_row("paper", _fmt(r["lam"]), _fmt(r["lam_hat_matched"]))
            lam_table.add_row("official code (2×)", _fmt(r["lam_code"]), _fmt(r["lam_hat_matched_code"]))
            console.print(lam_table)
    if len(records) > 1:
        per = Table(title="per-latent linear R²")
        per.add_column("latent")
        per.add_column("λ (paper)")
        for r in records:
            per.add_column(r["loss"])
        for i, v in enumerate(records[0]["lam"]):
            per.add_row(f"z{i}", f"{v:g}", *(f"{r['r2_per_latent'][i]:.3f}" for r in records))
        console.print(per)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(records, indent=1))
        console.print(f"wrote {json_path}")


@app.command()
def prove(
    names: Optional[list[str]] = typer.Argument(None, help="derivations to run (default: all)"),
    fmt: Optional[str] = typer.Option(None, "--format", help="md | tex: render the derivations"),
    out: Optional[Path] = typer.Option(None, help="write the rendering here instead of the terminal"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="write the verdicts here"),
    directory: Optional[Path] = typer.Option(None, "--dir", help="a folder of your own derivations (default: those "
                                             "shipped in idtheory.proofs)"),
):
    """Verify the sympy derivations of every claim; exit 1 if any step is not proved."""
    from .proving import load_derivations

    try:
        derivations = load_derivations(directory)
        if fmt not in (None, "md", "tex"):
            raise ValueError(f"unknown format {fmt!r}; allowed: 'md', 'tex'")
        unknown = sorted(set(names or ()) - set(derivations))
        if unknown:
            raise ValueError(f"unknown derivation(s) {unknown}; available: {sorted(derivations)}")
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    selected = {n: d for n, d in derivations.items() if not names or n in names}
    table = Table(title="derivations")
    for col in ("claim", "derivation", "steps proved", "matches claim", "numeric check", "general d", "seconds"):
        table.add_column(col)
    verdicts, rendered = [], []
    for name, derivation in sorted(selected.items(), key=lambda kv: (kv[1].claim, kv[0])):
        v = derivation.verify()
        verdicts.append(v)
        ok = sum(s is True for s in v.steps)
        mark = "[green]" if v.proved else "[red]"
        table.add_row(v.claim, f"{mark}{name}", f"{ok}/{len(v.steps)}", "yes" if v.conclusion_matches else "NO",
                      {True: "passed", False: "FAILED", None: "-"}[v.numeric], "yes" if v.general_d else "no",
                      f"{v.seconds:.2f}")
        if fmt:
            rendered.append(derivation.to_markdown(v) if fmt == "md" else derivation.to_latex(v))
    console.print(table)
    if fmt:
        header = ("# idtheory derivations\n\n"
                  "Generated by `idtheory prove --format md`; every step is checked by sympy.\n\n")
        text = (header if fmt == "md" else "") + "\n".join(rendered)
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            console.print(f"wrote {out}")
        else:
            console.print(text, markup=False, highlight=False)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps([v.to_dict() for v in verdicts], indent=1))
        console.print(f"wrote {json_path}")
    if not all(v.proved for v in verdicts):
        raise typer.Exit(1)


@app.command()
def check(
    profile: str = typer.Option("quick", help="quick | ci | thorough: examples per claim and largest dimension"),
    only: Optional[str] = typer.Option(None, help="comma-separated claims, e.g. C1,C2 (default: C1–C8)"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="also write results.json here"),
    report: Optional[Path] = typer.Option(Path("idtheory-report"), help="folder for results.json, report.md, plots"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    workers: int = typer.Option(2, help="parallel training processes (one torch thread each); with --executor ray, "
                                "the CPUs of a local Ray instance"),
    executor: str = typer.Option("local", help=EXECUTOR_HELP),
    seed: int = typer.Option(1, help="hypothesis seed for drawing the examples"),
    conditional: Optional[str] = typer.Option(None, help="a registered conditional to use wherever it applies "
                                              "(default: exact Fisher–Bingham on the sphere, Laplace on the box)"),
    mixing: Optional[str] = typer.Option(None, help="a registered mixing (default: mlp)"),
):
    """Run the suite: proofs, symmetry checks, recovery checks and negative controls for every claim."""
    import platform
    import time

    import torch

    from . import __version__, suite
    from .conditionals import CONDITIONALS
    from .executors import close, make_executor
    from .mixing import MIXINGS
    from .registry import load_entry_points
    from .report import EVIDENCE_WORDS, ReportWriter, all_passed, summary

    try:
        load_entry_points()
        assume = {}
        if conditional is not None:
            from ._validate import choice

            assume["conditional"] = choice(conditional, tuple(CONDITIONALS), "conditional")
        if mixing is not None:
            from ._validate import choice

            assume["mixing"] = choice(mixing, tuple(MIXINGS), "mixing")
        claims = suite.validate_claims(only)
        jobs = suite.training_jobs(profile, claims, seed)
        from ._validate import device as check_device

        check_device(device)
        runner = make_executor(executor, workers, device)
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    header = {"idtheory": __version__, "profile": profile, "claims": ",".join(claims), "device": device,
              "workers": workers, "executor": runner.description, "hypothesis seed": seed, "torch": torch.__version__,
              "python": platform.python_version(), "machine": platform.machine(),
              "thresholds": "idtheory/thresholds.json (benchmarks/calibrate.py)",
              "assumptions": ", ".join(f"{k} {v}" for k, v in assume.items()) or "defaults (calibrated)"}
    writer = ReportWriter(report, json_path, header)
    start = time.perf_counter()
    torch.set_num_threads(1) if workers > 1 else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), console=console) as bar:
        task = bar.add_task("proofs + symmetry", total=2 + len(jobs), status="")

        def log(text: str) -> None:
            bar.update(task, advance=1, status=text)
            if not console.is_terminal:
                console.print(f"[{time.perf_counter() - start:5.0f}s] {text}")

        outcomes = suite.proof_outcomes(claims)
        writer.add([o.to_dict() for o in outcomes])
        log(f"proofs: {sum(o.passed for o in outcomes)}/{len(outcomes)} proved")
        outcomes = suite.symmetry_outcomes(claims) + suite.optimum_outcomes(claims)
        writer.add([o.to_dict() for o in outcomes])
        log(f"symmetry and optimum: {sum(o.passed for o in outcomes)}/{len(outcomes)} as predicted")
        bar.update(task, description="training checks")

        def done(job, outcomes):
            writer.add([o.to_dict() for o in outcomes])
            log(f"{job[0]} (seed {job[2]}): " + ", ".join(
                f"{o.case} {'ok' if o.passed else 'FAILED'}" for o in outcomes))

        try:
            suite.run_jobs(jobs, device=device, on_done=done, assume=assume or None, executor=runner)
        finally:
            close(runner)
    table = Table(title=f"idtheory check --profile {profile} ({time.perf_counter() - start:.0f} s)")
    kinds = tuple(EVIDENCE_WORDS)
    table.add_column("claim")
    for k in kinds:
        table.add_column(EVIDENCE_WORDS[k])
    for claim, row in summary(writer.records).items():
        cells = []
        for k in kinds:
            cell = row.get(k, "–")
            ok = cell == "–" or cell.split("/")[0] == cell.split("/")[1]
            cells.append(cell if ok else f"[red]{cell}[/red]")
        table.add_row(claim, *cells)
    console.print(table)
    for r in writer.records:
        if not r["passed"]:
            console.print(f"[red]FAILED[/red] {r['case']} ({r['loss']}, {r['params']}): "
                          + (r["error"] or "; ".join(f"{c['metric']}={c['value']:.4g} {c['op']} {c['threshold']:.4g}"
                                                      for c in r["criteria"])))
    if report is not None:
        console.print(f"wrote {report / 'report.md'}, {report / 'results.json'} and {report / 'plots'}")
    if not all_passed(writer.records):
        raise typer.Exit(1)


@app.command()
def validate(
    loss: str = typer.Argument(..., help="a registered name, package.module:object or path/to/file.py:object"),
    processes: Optional[str] = typer.Option(None, help="comma-separated families: distinct,tied,isotropic,"
                                            "content-style and registered spectrum families (default: all)"),
    claim: Optional[str] = typer.Option(None, help="the group the loss claims on distinct spectra (default: its "
                                        "`identifies` attribute): signed permutation | block-orthogonal | "
                                        "orthogonal | linear"),
    profile: str = typer.Option("quick", help="quick | ci | thorough: examples per family and largest dimension"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="write the records here"),
    report: Optional[Path] = typer.Option(None, help="folder for profile.json and report.md"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    workers: int = typer.Option(2, help="parallel training processes; with --executor ray, the CPUs of a local "
                                "Ray instance"),
    executor: str = typer.Option("local", help=EXECUTOR_HELP),
    seed: int = typer.Option(1, help="hypothesis seed for drawing the examples"),
):
    """Identifiability profile of a contrastive loss: the strongest group it recovers on each process family."""
    import time

    from . import suite
    from .executors import close, make_executor
    from .plugins import GROUPS, resolve_loss
    from .registry import load_entry_points
    from .validation import all_families, check_loss, family_case, summarize

    start = time.perf_counter()
    try:
        plugin = resolve_loss(loss)
        load_entry_points()  # registered spectrum families are process families too
        families = [f.strip() for f in processes.split(",")] if processes else all_families()
        for f in families:
            family_case(f)  # an unknown name is an error here, before any training
        declared = claim or plugin.identifies
        if declared is not None and declared not in GROUPS:
            raise ValueError(f"unknown claim {declared!r}; allowed: {', '.join(map(repr, GROUPS))}")
        prof = suite.PROFILES[profile] if profile in suite.PROFILES else None
        if prof is None:
            raise ValueError(f"unknown profile {profile!r}; allowed: {', '.join(map(repr, suite.PROFILES))}")
        runner = make_executor(executor, workers, device)
    except (ValueError, TypeError) as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), console=console) as bar:
        task = bar.add_task(f"validate {plugin.name}", total=len(families) * prof.examples, status="")

        def done(r):
            status = f"{r.family}: " + (f"error {r.error}" if r.error else f"strongest {r.strongest}")
            bar.update(task, advance=1, status=status)
            if not console.is_terminal:
                console.print(f"[{time.perf_counter() - start:5.0f}s] {status}")

        try:
            records = check_loss(loss, families, prof.examples, prof.max_dim, device, seed=seed, on_done=done,
                                 executor=runner)
        finally:
            close(runner)
    rows = summarize(records)
    table = Table(title=f"identifiability profile of {plugin.name} ({time.perf_counter() - start:.0f} s)")
    for col in ("process family", "AnInfoNCE theory", "strongest recovered", "as theory", "Λ̂ max error",
                "trained loss invariant under", "errors"):
        table.add_column(col)
    for family, row in rows.items():
        recs = [r for r in records if r.family == family and not r.error]
        lam = [r.lam_error for r in recs if r.lam_error is not None]
        inv = sorted({k for r in recs for k, v in r.symmetry.items() if v < 1e-5})
        table.add_row(family, row["predicted"], ", ".join(row["strongest"]) or "–", "yes" if row["matches"] else "NO",
                      f"{max(lam):.1%}" if lam else "–", ", ".join(inv) or "nothing tested", str(row["errors"]))
    console.print(table)
    for r in records:
        if r.error:
            console.print(f"[red]error[/red] on {r.family} (λ {r.lam}, seed {r.seed}): {r.error}")
    distinct = rows.get("distinct", {}).get("strongest", [])
    verdict = None
    if declared is not None and distinct:
        verdict = all(s == declared or (declared == "block-orthogonal" and s.startswith("block")) for s in distinct)
        console.print(f"declared: {declared!r} on distinct spectra → measured {', '.join(distinct)}: "
                      + ("[green]consistent[/green]" if verdict else "[red]NOT consistent[/red]"))
    payload = {"loss": plugin.name, "declared": declared, "declared_consistent": verdict, "profile": profile,
               "summary": rows, "records": [r.to_dict() for r in records]}
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=1, default=float))
        console.print(f"wrote {json_path}")
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        (report / "profile.json").write_text(json.dumps(payload, indent=1, default=float))
        lines = [f"# Identifiability profile: {plugin.name}", "", f"declared: {declared}; consistent: {verdict}", "",
                 "| family | λ | seed | theory (AnInfoNCE) | strongest recovered | scores | Λ̂ error | "
                 "invariant under | error |", "|---|---|---|---|---|---|---|---|---|"]
        for r in records:
            scores = ", ".join(f"{k} {v:.3f}" for k, v in r.scores.items())
            inv = ", ".join(k for k, v in r.symmetry.items() if v < 1e-5)
            lines.append(f"| {r.family} | {', '.join(f'{v:.3g}' for v in r.lam)} | {r.seed} | {r.predicted} | "
                         f"{r.strongest} | {scores} | {'' if r.lam_error is None else f'{r.lam_error:.1%}'} | "
                         f"{inv} | {r.error or ''} |")
        (report / "report.md").write_text("\n".join(lines) + "\n")
        console.print(f"wrote {report / 'report.md'}")


def main() -> None:  # pragma: no cover
    app()
