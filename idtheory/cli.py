"""Command line: thin wrappers over the library, with progress and tables from rich.

Every bad argument is refused before any work, with one line on stderr and exit code 2; an
interrupted run (Ctrl-C) marks its results ``interrupted`` and exits 130; a check or validation whose
evidence is not as predicted exits 1.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import tables

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Verify the identifiability theory of contrastive learning (AnInfoNCE).")
console = Console()
errors = Console(stderr=True)

EXECUTOR_HELP = ("where the training jobs run: local (this machine) | ray (RAY_ADDRESS, else a local Ray instance) | "
                 "ray://HOST:PORT (needs pip install 'idtheory[ray]')")
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C


def _fail(err: Exception) -> typer.Exit:
    message = " ".join(str(err).split())  # one line, whatever the exception held
    errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        console.print(f"idtheory {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="print the version and exit")) -> None:
    """Verify the identifiability theory of contrastive learning (AnInfoNCE)."""


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[status]}"), console=console)


@app.command()
def reproduce(
    experiment: str = typer.Argument(..., help="linspace | bimodal | isotropic | content-style"),
    budget: str = typer.Option("quick", help="quick | paper"),
    sampler: str = typer.Option("exact", help="exact (Fisher–Bingham) | official (rejected projected normal)"),
    seed: int = typer.Option(0),
    seeds: Optional[str] = typer.Option(None, help="several seeds trained together in the batched engine, e.g. "
                                        "0-4 or 0,3,7 (overrides --seed); each seed's result is reported"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    negatives: str = typer.Option("both", help="negatives until the budget's switch to anchors (the theory's "
                                  "setting): both (SimCLR, 2B-2 in-batch) | anchors; the quick budget trains with "
                                  "anchors from step 1, so this matters for --budget paper"),
    json_path: Optional[str] = typer.Option(None, "--json", help="write the results here (after every loss)"),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads (default: torch's choice; with --workers > 1 "
                                          "every worker has one)"),
    steps: Optional[int] = typer.Option(None, help="override the budget's number of steps"),
    workers: int = typer.Option(2, help="with several seeds: processes to split them over, one torch thread each "
                                "(on 2 cores faster than one two-thread batch); 1: every seed in one batch"),
    restarts: int = typer.Option(1, help="initializations per seed, the lowest final training loss kept (catches "
                                 "the d = 10 folds; R times the training)"),
):
    """Train an official experiment and score it against the predicted indeterminacy."""
    import torch

    from . import results
    from .reproduce import EXPERIMENTS, parse_seeds, plan, spread
    from .reproduce import reproduce as run

    try:
        if threads is not None and threads < 1:
            raise ValueError(f"--threads must be >= 1, got {threads}")
        if workers < 1:
            raise ValueError(f"--workers must be >= 1, got {workers}")
        exp, chosen = plan(experiment, budget, steps, sampler, negatives, device, restarts)
        seed_list = parse_seeds(seeds) if seeds is not None else [seed]
        out = results.writable_file(json_path, "--json")
    except ValueError as err:
        raise _fail(err) from err
    if threads:
        torch.set_num_threads(threads)
    head = results.header("reproduce", experiment=experiment, budget=budget, steps=chosen.steps, sampler=sampler,
                          seed=seed_list[0] if len(seed_list) == 1 else seed_list, device=device, negatives=negatives)
    file = results.ResultsFile([out], head, spread)
    labels = [n if len(seed_list) == 1 else f"{n} seed {s}" for n in exp.losses for s in seed_list]
    with _progress() as bar:
        tasks = {label: bar.add_task(f"{experiment}/{label}", total=chosen.steps, status="") for label in labels}

        def progress(label: str, record: dict) -> None:
            status = (f"loss {record['loss']:.3f}  R² {record['r2']:.3f}  MCC {record['mcc']:.3f}"
                      + ("  (polished)" if "polish_steps" in record else ""))
            bar.update(tasks[label], completed=record["step"], status=status)
            if not console.is_terminal:  # a log file gets one line per evaluation instead of a live bar
                console.print(f"{experiment}/{label} step {record['step']} ({record['seconds']:.0f} s): {status}")

        try:
            records = run(experiment, budget, sampler, seed_list, device, negatives, progress,
                          on_record=lambda r: file.add([r]), steps=steps, workers=workers, restarts=restarts)
        except KeyboardInterrupt:
            done = {(r["loss"], r["seed"]) for r in file.records}
            file.finish("interrupted", [f"{n} seed {s}" for n in exp.losses for s in seed_list if (n, s) not in done])
            errors.print("interrupted: the finished losses are in the results")
            raise typer.Exit(INTERRUPTED) from None
    file.records[:] = records  # written as each batch finished; the finished file lists them in plan order
    file.finish()
    tables.print_reproduction(console, experiment, EXPERIMENTS[experiment].about, records, sampler, budget, steps,
                              seed, device)
    if out is not None:
        console.print(f"wrote {out}")


@app.command()
def prove(
    names: Optional[list[str]] = typer.Argument(None, help="derivations to run (default: all)"),
    fmt: Optional[str] = typer.Option(None, "--format", help="md | tex: render the derivations"),
    out: Optional[str] = typer.Option(None, help="write the rendering here instead of the terminal"),
    json_path: Optional[str] = typer.Option(None, "--json", help="write the verdicts here"),
    directory: Optional[Path] = typer.Option(None, "--dir", help="a folder of your own derivations (default: those "
                                             "shipped in idtheory.proofs)"),
):
    """Verify the sympy derivations of every claim; exit 1 if any step is not proved."""
    from . import results
    from .proving import load_derivations

    try:
        if fmt not in (None, "md", "tex"):
            raise ValueError(f"unknown format {fmt!r}; allowed: 'md', 'tex'")
        out_path = results.writable_file(out, "--out")
        json_file = results.writable_file(json_path, "--json")
        derivations = load_derivations(directory)
        unknown = sorted(set(names or ()) - set(derivations))
        if unknown:
            raise ValueError(f"unknown derivation(s) {unknown}; available: {sorted(derivations)}")
    except ValueError as err:
        raise _fail(err) from err
    selected = {n: d for n, d in derivations.items() if not names or n in names}
    table = Table(title="derivations")
    for col in ("claim", "derivation", "steps proved", "matches claim", "numeric check", "general d", "seconds"):
        table.add_column(col)
    verdicts, rendered = [], []
    for name, derivation in sorted(selected.items(), key=lambda kv: (kv[1].claim, kv[0])):
        v = derivation.verify()
        verdicts.append(v)
        mark = "[green]" if v.proved else "[red]"
        table.add_row(v.claim, f"{mark}{name}", f"{sum(s is True for s in v.steps)}/{len(v.steps)}",
                      "yes" if v.conclusion_matches else "NO", {True: "passed", False: "FAILED", None: "-"}[v.numeric],
                      "yes" if v.general_d else "no", f"{v.seconds:.2f}")
        if fmt:
            rendered.append(derivation.to_markdown(v) if fmt == "md" else derivation.to_latex(v))
    console.print(table)
    if fmt:
        header = ("# idtheory derivations\n\n"
                  "Generated by `idtheory prove --format md`; every step is checked by sympy.\n\n")
        text = (header if fmt == "md" else "") + "\n".join(rendered)
        if out_path:
            results.write_atomic(out_path, text)
            console.print(f"wrote {out_path}")
        else:
            console.print(text, markup=False, highlight=False)
    if json_file:
        results.write_atomic(json_file, results.dumps([v.to_dict() for v in verdicts]))
        console.print(f"wrote {json_file}")
    if not all(v.proved for v in verdicts):
        raise typer.Exit(1)


@app.command()
def check(
    profile: str = typer.Option("quick", help="quick | ci | thorough: examples per claim and largest dimension"),
    only: Optional[str] = typer.Option(None, help="comma-separated claims, e.g. C1,C2 (default: C1–C8)"),
    json_path: Optional[str] = typer.Option(None, "--json", help="also write results.json here"),
    report: Optional[str] = typer.Option("idtheory-report", help="folder of the reports: each run writes "
                                         "results.json, report.md and plots/ into a new run-N folder inside it"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    workers: int = typer.Option(2, help="parallel training processes (one torch thread each); with --executor ray, "
                                "the CPUs of a local Ray instance"),
    executor: str = typer.Option("local", help=EXECUTOR_HELP),
    seed: Optional[int] = typer.Option(None, help="hypothesis seed for drawing the examples (evaluation stream; "
                                       "default: a fresh one, printed and recorded so the run can be replayed)"),
    conditional: Optional[str] = typer.Option(None, help="a registered conditional to use wherever it applies "
                                              "(default: exact Fisher–Bingham on the sphere, Laplace on the box)"),
    mixing: Optional[str] = typer.Option(None, help="a registered mixing (default: mlp)"),
):
    """Run the suite: proofs, symmetry checks, recovery checks and negative controls for every claim."""
    import torch

    from . import results, suite
    from ._arguments import device as check_device
    from .executors import close, make_executor
    from .registry import resolve_assumptions
    from .report import ReportWriter, all_passed

    try:
        if workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers}")
        assume = resolve_assumptions(conditional, mixing)
        claims = suite.parse_claims(only)
        fresh = seed is None
        if fresh:
            import secrets

            seed = secrets.randbelow(2**31)
        jobs = suite.training_jobs(profile, claims, seed)
        check_device(device)
        json_file = results.writable_file(json_path, "--json")
        folder = results.new_run_folder(report, "--report")
        runner = make_executor(executor, workers, device)
    except ValueError as err:
        raise _fail(err) from err
    if fresh:
        console.print(f"seed {seed} (replay with --seed {seed})")
    skipped = suite.uncalibrated_bands(profile, claims)
    if skipped:
        console.print(f"skipped (no calibrated thresholds): {', '.join(skipped)}; calibrate them with `idtheory "
                      f"calibrate --only {','.join(skipped)}` (hours on a CPU)")
    head = results.header("check", profile=profile, claims=",".join(claims), seed=seed, device=device,
                          workers=workers, skipped_uncalibrated=skipped, executor=runner.description,
                          assumptions=", ".join(f"{k} {v}" for k, v in assume.items()) or "defaults (calibrated)")
    writer = ReportWriter(folder, json_file, head)
    start = time.perf_counter()
    torch.set_num_threads(1) if workers > 1 else None
    finished: list[tuple] = []
    try:
        with _progress() as bar:
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
                finished.append(tuple(job))
                writer.add([o.to_dict() for o in outcomes])
                log(f"{job[0]} (seed {job[2]}): " + ", ".join(
                    f"{o.case} {'ok' if o.passed else 'FAILED'}" for o in outcomes))

            suite.run_jobs(jobs, device=device, on_done=done, assume=assume or None, executor=runner)
    except KeyboardInterrupt:
        missing = [f"{name} (seed {s})" for name, _, s in jobs if not any(f[0] == name and f[2] == s
                                                                         for f in finished)]
        writer.finish("interrupted", missing)
        errors.print(f"interrupted: {len(missing)} training job(s) did not run; the results say so"
                     + (f" ({folder})" if folder else ""))
        raise typer.Exit(INTERRUPTED) from None
    finally:
        close(runner)
    writer.finish()
    tables.print_check(console, profile, time.perf_counter() - start, writer.records)
    if folder is not None:
        console.print(f"wrote {folder / 'report.md'}, {folder / 'results.json'} and {folder / 'plots'}")
    if not all_passed(writer.records):
        raise typer.Exit(1)


@app.command()
def validate(
    loss: str = typer.Argument(..., help="a registered name, package.module:object or path/to/file.py:object"),
    processes: Optional[str] = typer.Option(None, help="comma-separated process families (default: every family "
                                            "the loss fits): distinct, tied, isotropic, content-style, "
                                            "hard-negatives, ensemble, box and registered spectrum families"),
    claim: Optional[str] = typer.Option(None, help="what the loss claims (default: its `identifies` attribute): "
                                        "signed permutation | block-orthogonal | orthogonal | linear (on distinct "
                                        "spectra) | theory (the theory's group on every family)"),
    profile: str = typer.Option("quick", help="quick | ci | thorough: examples per family (4 | 2 | 20, each from "
                                "2 initializations)"),
    examples: Optional[int] = typer.Option(None, help="examples per family (overrides the profile's)"),
    max_dim: int = typer.Option(4, help="largest dimension drawn (3–10; thresholds are calibrated up to 4)"),
    steps: Optional[int] = typer.Option(None, help="training steps per run (default: twice the check "
                                        "budget's, 2 max(3000, 800 d))"),
    json_path: Optional[str] = typer.Option(None, "--json", help="write the results here (after every run)"),
    report: Optional[str] = typer.Option(None, help="folder of the reports: each run writes results.json and "
                                         "report.md into a new run-N folder inside it"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    workers: int = typer.Option(2, help="parallel training processes (one family each); with --executor ray, "
                                "the CPUs of a local Ray instance"),
    executor: str = typer.Option("local", help=EXECUTOR_HELP),
    seed: int = typer.Option(1, help="hypothesis seed for drawing the examples"),
):
    """Identifiability profile of a contrastive loss: per process family, the group every run recovers.

    Exit code 0 when every declared claim holds, the optimum check holds and no run errored; 1 otherwise."""
    from . import _arguments, results
    from .executors import close, make_executor
    from .plugins import GROUPS, resolve_loss
    from .registry import load_entry_points
    from .report import profile_markdown
    from .validation import EXAMPLES, INITS, applicable_families, check_applicable, check_loss

    start = time.perf_counter()
    try:
        _arguments.positive_int(workers, "workers")
        plugin = resolve_loss(loss)
        load_entry_points()  # registered spectrum families are process families too
        families = [f.strip() for f in processes.split(",")] if processes else applicable_families(plugin)
        check_applicable(plugin, families)
        declared = claim or plugin.identifies
        if declared is not None and declared not in GROUPS:
            raise ValueError(f"unknown claim {declared!r}; allowed: {', '.join(map(repr, GROUPS))}")
        _arguments.choice(profile, tuple(EXAMPLES), "profile")
        count = _arguments.positive_int(examples, "--examples") if examples is not None else EXAMPLES[profile]
        if steps is not None:
            _arguments.positive_int(steps, "--steps")
        if not 3 <= max_dim <= 10:
            raise ValueError(f"--max-dim must be in 3…10, got {max_dim}")
        json_file = results.writable_file(json_path, "--json")
        folder = results.new_run_folder(report, "--report")
        runner = make_executor(executor, workers, device)
    except (ValueError, TypeError) as err:
        raise _fail(err) from err
    head = results.header("validate", loss=plugin.name, declared=declared, profile=profile, seed=seed,
                          device=device, executor=runner.description, families=families, examples=count,
                          inits=INITS, max_dim=max_dim, steps=steps)
    file = results.ResultsFile([json_file, folder / "results.json" if folder else None], head, _profile_summary)

    def write_markdown():
        if folder is not None:
            results.write_atomic(folder / "report.md", profile_markdown(file.header, file.payload()["summary"],
                                                                        file.records))

    try:
        with _progress() as bar:
            task = bar.add_task(f"validate {plugin.name}", total=len(families) * count * INITS, status="")

            def done(r):
                file.add([r.to_dict()])
                write_markdown()
                status = f"{r.family}: " + (f"error {r.error}" if r.error else f"strongest {r.strongest}")
                bar.update(task, advance=1, status=status)
                if not console.is_terminal:
                    console.print(f"[{time.perf_counter() - start:5.0f}s] {status}")

            result = check_loss(loss, families, count, max_dim, device, seed=seed, on_done=done, executor=runner,
                                steps=steps)
    except KeyboardInterrupt:
        file.finish("interrupted")
        write_markdown()
        errors.print("interrupted: the finished runs are in the results")
        raise typer.Exit(INTERRUPTED) from None
    finally:
        close(runner)
    file.header.update(declared_consistent=result.declared_holds, optimum=result.optimum, notes=result.notes,
                       passed=result.passed)
    file.finish()
    write_markdown()
    tables.print_profile(console, result, time.perf_counter() - start)
    for path in (json_file, folder):
        if path is not None:
            console.print(f"wrote {path}")
    if not result.passed:
        raise typer.Exit(1)


@app.command()
def calibrate(
    stream: str = typer.Option("both", help="calibration (fits thresholds) | evaluation (measures them) | both"),
    examples: int = typer.Option(20, help="examples per case and stream: the records file is extended to this many"),
    only: Optional[str] = typer.Option(None, help="comma-separated cases (default: every case but the violation "
                                       "runs, which are reported, never calibrated)"),
    records: str = typer.Option("calibration-records.jsonl", help="the append-only records file: extended by every "
                                "invocation (here or on a cluster), never rewritten"),
    thresholds: Optional[str] = typer.Option(None, help="the thresholds file to merge into (default: the "
                                             "package's thresholds.json)"),
    summary: Optional[str] = typer.Option(None, help="write the summary as PATH.md and PATH.json"),
    fit_thresholds: bool = typer.Option(True, "--fit/--no-fit", help="fit the thresholds of the cases calibrated "
                                        "here (--only) from the calibration stream; the others are kept"),
    summarize_only: bool = typer.Option(False, help="train nothing: summarize the records file as it is"),
    workers: int = typer.Option(2, help="parallel training processes; with --executor ray, the CPUs of a local "
                                "Ray instance"),
    executor: str = typer.Option("local", help=EXECUTOR_HELP),
    max_dim: int = typer.Option(4, help="largest latent dimension drawn (the band cases, e.g. C1@d8-10, draw "
                                "their own)"),
    seed: int = typer.Option(1, help="hypothesis seed of both streams (they never share examples)"),
    evaluation_seed: Optional[int] = typer.Option(None, help="judge each case on the --examples evaluation "
                                                  "examples this hypothesis seed draws, where the records hold them "
                                                  "all (default, and for other cases: every evaluation record)"),
    device: str = typer.Option("cpu", help="cpu | cuda"),
):
    """Calibrate the checks' thresholds on one seed stream and measure their error rates on another."""
    from . import _arguments, calibration, suite
    from .executors import close, make_executor

    start = time.perf_counter()
    try:
        streams = calibration.STREAMS if stream == "both" else (_arguments.choice(stream, calibration.STREAMS,
                                                                                   "stream"),)
        _arguments.positive_int(examples, "--examples")
        _arguments.positive_int(workers, "--workers")
        # the violation runs are reported, never calibrated; the band cases (hours on a CPU) only when named
        default = [n for n in suite.CASES if "violation" not in n and n not in suite.BAND_CASES]
        cases = [c.strip() for c in only.split(",")] if only else default
        for c in cases:
            _arguments.choice(c, tuple(suite.CASES), "case")
        store = calibration.RecordStore(Path(records))
        thresholds_path = Path(thresholds) if thresholds else suite.THRESHOLDS_PATH
        _arguments.device(device)
        runner = None if summarize_only else make_executor(executor, workers, device)
    except (ValueError, TypeError) as err:
        raise _fail(err) from err
    try:
        for s in () if summarize_only else streams:
            console.print(f"{s} stream: {examples} examples per case, records in {store.path}")

            def done(job, outcomes):
                console.print(f"[{time.perf_counter() - start:5.0f}s] {job[0]} seed {job[2]}: " + ", ".join(
                    f"{o.case} " + (f"ERROR {o.error}" if o.error else " ".join(f"{c.metric}={c.value:.4f}"
                                                                                for c in o.criteria))
                    for o in outcomes), highlight=False)

            ran = calibration.run(s, cases, examples, store, runner, max_dim, seed, done, device)
            console.print(f"{s}: ran {ran} new jobs")
    except KeyboardInterrupt:
        errors.print(f"interrupted: every finished job is in {store.path}; run the same command again to go on")
        raise typer.Exit(INTERRUPTED) from None
    finally:
        close(runner)
    # what was asked, as it would be typed again (the summary's header; the records hold the rest)
    command = " ".join(["idtheory calibrate", f"--stream {stream}", f"--examples {examples}",
                        *([f"--only {only}"] if only else []), f"--records {records}",
                        *([f"--thresholds {thresholds}"] if thresholds else []),
                        *([] if fit_thresholds else ["--no-fit"]), *(["--summarize-only"] if summarize_only else []),
                        *([f"--max-dim {max_dim}"] if max_dim != 4 else []), *([f"--seed {seed}"] if seed != 1 else []),
                        *([f"--evaluation-seed {evaluation_seed}"] if evaluation_seed is not None else []),
                        *([f"--device {device}"] if device != "cpu" else []),
                        *([f"--summary {summary}"] if summary else [])])
    result = calibration.summarize(store, thresholds_path, Path(summary) if summary else None, examples, command,
                                   fit_thresholds, cases, evaluation_seed)
    tables.print_calibration(console, result)
    if summary:
        console.print(f"wrote {summary}.md and {summary}.json")


def _profile_summary(records: list[dict]) -> dict:
    from .validation import ProfileRecord, summarize

    return summarize([ProfileRecord(**r) for r in records])
