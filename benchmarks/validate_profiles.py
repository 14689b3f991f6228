"""Summarize measured identifiability profiles (results files of `idtheory validate --json`) per loss and
family: how many runs recovered exactly the theory's group, a stronger one, a weaker one; how many
examples (two initializations each) agreed on the theory's group; how many runs had not settled, and how
many weaker runs validate took for settled (the ones that would make a verdict wrongly weaker).

    python benchmarks/validate_profiles.py benchmarks/results/validate/thorough-*.json \
        --out benchmarks/results/validate/summary.md
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from idtheory.indeterminacy import GroupKind


def _kind(name: str) -> GroupKind:
    return GroupKind.NONE if name in ("", "none") else GroupKind.from_name(name)


def summarize(path: Path) -> list[str]:
    payload = json.loads(path.read_text())
    head, records = payload["header"], payload["records"]
    rows = []
    by_family: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_family[r["family"]].append(r)
    for family, runs in by_family.items():
        ok = [r for r in runs if not r["error"]]
        theory = sum(r["matches_theory"] for r in ok)
        stronger = sum(_kind(r["strongest"]) < _kind(r["predicted"]) for r in ok)
        weaker = [r for r in ok if _kind(r["strongest"]) > _kind(r["predicted"])]
        weaker_settled = sum(r["settled"] is not False for r in weaker)
        pairs: dict[int, list[dict]] = defaultdict(list)
        for r in ok:
            pairs[r["example"]].append(r)
        agree = sum(all(r["matches_theory"] for r in pair) for pair in pairs.values())
        pair_stronger = sum(all(_kind(r["strongest"]) < _kind(r["predicted"]) for r in pair) for pair in pairs.values())
        unsettled = sum(r["settled"] is False for r in ok)
        verdict = payload["summary"].get(family, {}).get("verdict", "")
        trained = sorted({r["convergence"].get("steps") for r in ok if r["convergence"].get("steps")})
        steps = "–".join(f"{s:,}" for s in trained) or (f"{head['steps']:,}" if head.get("steps") else "check budget")
        rows.append(f"| {head['loss'].split('/')[-1]} | {family} | {steps} | {len(runs)} | {theory}/{len(ok)} "
                    f"({theory / max(len(ok), 1):.0%}) | {stronger} | {len(weaker)} ({weaker_settled}) | "
                    f"{agree}/{len(pairs)} | "
                    f"{pair_stronger} | {unsettled} | {len(runs) - len(ok)} | {verdict} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    lines = ["| loss | family | steps | runs | runs with exactly the theory's group | stronger | weaker (of them "
             "taken as settled) | examples: both initializations the theory's group | examples: both stronger | "
             "not settled | errors | verdict (every run) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for path in args.files:
        lines += summarize(path)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
