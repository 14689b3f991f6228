"""Machine-checked derivations: a derivation is a list of steps, each an equation sympy must prove.

A step holds ``lhs = rhs`` (scalars or matrices) with the sentence that justifies it. ``verify``
decides each step: ``simplify(lhs - rhs) == 0``, else ``lhs.equals(rhs)``; ``None`` from sympy means
"not proved" and fails. The derivation's conclusion is compared with what the claim registry
declares, and an optional numerical cross-check evaluates the conclusion at random points.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp


@dataclass(frozen=True)
class Step:
    because: str
    lhs: Any
    rhs: Any


def prove_equal(lhs: Any, rhs: Any) -> bool | None:
    """True if sympy proves lhs = rhs, False if it disproves it, None if it cannot decide."""
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
        if lhs.shape != rhs.shape:
            return False
        verdicts = [prove_equal(a, b) for a, b in zip(lhs, rhs)]
        if all(v is True for v in verdicts):
            return True
        return False if any(v is False for v in verdicts) else None
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if isinstance(lhs, sp.logic.boolalg.BooleanAtom) or isinstance(rhs, sp.logic.boolalg.BooleanAtom):
        return lhs == rhs  # sp.true / sp.false: a fact established by the step's own computation
    if sp.simplify(lhs - rhs) == 0:
        return True
    return lhs.equals(rhs)


@dataclass
class Verdict:
    name: str
    claim: str
    steps: list[bool | None]
    conclusion_matches: bool
    numeric: bool | None
    seconds: float

    @property
    def proved(self) -> bool:
        return all(s is True for s in self.steps) and self.conclusion_matches and self.numeric is not False


@dataclass
class Derivation:
    name: str
    claim: str  # claim id in idtheory.claims.CLAIMS
    title: str
    statement: str
    assumptions: list[str]
    steps: list[Step]
    conclusion: Any
    declared: Any  # what the claim registry predicts; must equal the conclusion
    conclusion_text: str = ""
    numeric: Callable[[], bool] | None = field(default=None, repr=False)

    def verify(self) -> Verdict:
        start = time.perf_counter()
        steps = [prove_equal(s.lhs, s.rhs) for s in self.steps]
        matches = _same(self.conclusion, self.declared)
        numeric = None if self.numeric is None else bool(self.numeric())
        return Verdict(self.name, self.claim, steps, matches, numeric, time.perf_counter() - start)

    def to_markdown(self, verdict: Verdict | None = None) -> str:
        marks = verdict.steps if verdict else [None] * len(self.steps)
        out = [f"## {self.title} ({self.claim})", "", f"**Statement.** {self.statement}", "", "**Assumptions.**", ""]
        out += [f"- {a}" for a in self.assumptions]
        out += ["", "**Steps.**", ""]
        for i, (s, ok) in enumerate(zip(self.steps, marks), 1):
            tick = {True: "✓", False: "✗", None: "?"}[ok] if verdict else ""
            out.append(f"{i}. {s.because} {tick}")
            out.append(f"   $$ {sp.latex(s.lhs)} = {sp.latex(s.rhs)} $$")
        out += ["", f"**Conclusion.** {self.conclusion_text or sp.latex(self.conclusion)}"]
        if verdict:
            out.append(f"(matches the declared claim: {'yes' if verdict.conclusion_matches else 'NO'}; "
                       f"numerical cross-check: {_word(verdict.numeric)})")
        return "\n".join(out) + "\n"

    def to_latex(self, verdict: Verdict | None = None) -> str:
        lines = [f"\\subsection*{{{self.title} ({self.claim})}}", f"\\textbf{{Statement.}} {self.statement}",
                 "\\begin{enumerate}"]
        for s in self.steps:
            lines.append(f"\\item {s.because}\\[ {sp.latex(s.lhs)} = {sp.latex(s.rhs)} \\]")
        lines += ["\\end{enumerate}", f"\\textbf{{Conclusion.}} {self.conclusion_text}"]
        return "\n".join(lines) + "\n"


def _word(v: bool | None) -> str:
    return {True: "passed", False: "FAILED", None: "none"}[v]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (sp.Basic, sp.MatrixBase)) or isinstance(b, (sp.Basic, sp.MatrixBase)):
        return prove_equal(a, b) is True
    return a == b
