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
    directory: Optional[Path] = typer.Option(None, "--dir", help="proofs folder (default: the repository's)"),
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
    for col in ("claim", "derivation", "steps proved", "matches claim", "numeric check", "seconds"):
        table.add_column(col)
    verdicts, rendered = [], []
    for name, derivation in sorted(selected.items(), key=lambda kv: (kv[1].claim, kv[0])):
        v = derivation.verify()
        verdicts.append(v)
        ok = sum(s is True for s in v.steps)
        mark = "[green]" if v.proved else "[red]"
        table.add_row(v.claim, f"{mark}{name}", f"{ok}/{len(v.steps)}", "yes" if v.conclusion_matches else "NO",
                      {True: "passed", False: "FAILED", None: "-"}[v.numeric], f"{v.seconds:.2f}")
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
        json_path.write_text(json.dumps([{
            "name": v.name, "claim": v.claim, "proved": v.proved, "steps": v.steps,
            "steps_verified": sum(s is True for s in v.steps), "conclusion_matches": v.conclusion_matches,
            "numeric": v.numeric, "seconds": round(v.seconds, 3)} for v in verdicts], indent=1))
        console.print(f"wrote {json_path}")
    if not all(v.proved for v in verdicts):
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()
