"""Re-run the recovery jobs that failed out of sample under another budget: does a case's failure go away?

A diagnostic, not evidence: it picks the evaluation-stream recovery records of ``--cases`` that do not hold
against the thresholds in force (so it selects on the outcome), trains each whole job again — every run of
the case, its control's too — with ``check_budget_v2`` (or ``--config``'s overrides of the check budget)
where the check budget was, and prints and writes old against new. What it can show is whether a budget
removes the failure mode seen (a saddle, a fold) or brings a new one; a case that moves to the budget is
then calibrated and evaluated afresh (``idtheory calibrate``), on examples this never saw (another
hypothesis seed). Jobs run one per process, ``--workers`` at a time.

    git show 5f3a264:idtheory/thresholds.json > /tmp/thresholds-check-budget.json
    python benchmarks/rerun_failures.py --cases C2,C3,C4,C6.vmf,C7 --thresholds /tmp/thresholds-check-budget.json \
        --json benchmarks/results/rerun_failures.json
    python benchmarks/rerun_failures.py --cases C6.vmf --thresholds /tmp/thresholds-check-budget.json \
        --config lr=0.004 --json benchmarks/results/rerun_failures_c6vmf_lr.json
"""

from __future__ import annotations

import argparse
import ast
import json
import time
from dataclasses import asdict, replace
from functools import partial
from multiprocessing import Pool
from pathlib import Path

from check_budget import overrides  # benchmarks/: the script's own folder

from idtheory import calibration, suite
from idtheory.results import dumps, writable_file, write_atomic
from idtheory.suite.runs import check_budget, check_budget_v2


def failing(records: Path, cases: list[str], protocol: str, th: dict[str, float]) -> list[dict]:
    """The evaluation-stream recovery records of ``cases`` under ``protocol`` that miss a threshold of ``th``."""
    out = {}
    for line in records.read_text().splitlines():
        r = json.loads(line)
        stream, case, example, seed = json.loads(r["job"])
        if (stream != "evaluation" or case not in cases or r["evidence"] != "recovery" or r["error"]
                or r.get("protocol", calibration.LEGACY_PROTOCOL) != protocol):
            continue
        # judged as calibrate judges it (the threshold a criterion names, or its own run's value)
        values = [(c["metric"], c["value"], c["op"], calibration._threshold_for(c, r, th)) for c in r["criteria"]]
        if not all(v >= t if op == ">=" else v <= t for _, v, op, t in values):
            out[r["job"]] = {"case": case, "example": example, "seed": seed,
                             "before": {m: v for m, v, _, _ in values}}
    return list(out.values())


def budget_with(config: dict, dim: int):
    return replace(check_budget(dim), **config)


def rerun(job: dict, config: dict) -> dict:
    """One job again with the check budget overridden by ``config`` for every run that does not carry a budget
    of its own (a case on ``Case.budgets`` keeps its own), in a process of its own (the patch of the runner's
    trainer stays there)."""
    import torch

    from idtheory.suite import runner, runs

    torch.set_num_threads(1)
    runner.train_many = partial(runs.train_many, budget=partial(budget_with, config))
    start = time.perf_counter()
    outcomes = runner.run_cases([(job["case"], ast.literal_eval(job["example"]), job["seed"])])[0]
    after = {o.case: {"as_predicted": o.passed, **{c.metric: c.value for c in o.criteria}} for o in outcomes}
    return job | {"after": after, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", required=True, help="comma-separated cases, e.g. C4,C6.vmf")
    parser.add_argument("--records", type=Path, default=Path("benchmarks/results/calibration-records.jsonl"))
    parser.add_argument("--protocol", default=calibration.LEGACY_PROTOCOL,
                        help="the protocol of the records to re-run (default: the check budget's)")
    parser.add_argument("--thresholds", type=Path, default=None,
                        help="the thresholds.json the records are judged against (default: the package's; the "
                             "records' own time's, e.g. from git show, once a case has moved)")
    parser.add_argument("--config", default=None, help="Budget overrides of the check budget, comma-separated "
                        "key=value (default: check_budget_v2's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.json:
        writable_file(args.json)
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in suite.CASES]
    if unknown:
        raise SystemExit(f"--cases: unknown {unknown}; known: {', '.join(suite.CASES)}")
    th = json.loads(args.thresholds.read_text())["thresholds"] if args.thresholds else dict(suite.thresholds())
    jobs = failing(args.records, cases, args.protocol, th)
    print(f"{len(jobs)} failing evaluation recovery jobs of {', '.join(cases)}", flush=True)
    rows = []
    if args.config is None:
        v2, base = asdict(check_budget_v2(4)), asdict(check_budget(4))
        config = {k: v for k, v in v2.items() if v != base[k]}
    else:
        config = overrides(args.config)
    print(f"check budget with {config}", flush=True)
    with Pool(args.workers) as pool:
        for row in pool.imap_unordered(partial(rerun, config=config), jobs):
            rows.append(row)
            print(row["case"], row["seed"], "before", row["before"], f"after ({row['seconds']:.0f} s)", flush=True)
            for case, outcome in row["after"].items():
                print("   ", case, outcome, flush=True)
            if args.json:
                write_atomic(args.json, dumps({"cases": cases, "protocol": args.protocol, "overrides": config,
                                               "runs": rows}) + "\n")


if __name__ == "__main__":
    main()
