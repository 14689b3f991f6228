"""Machine-checked derivations: a derivation is a chain of steps, each an equation sympy must prove, and
a conclusion computed from one of those steps.

A step holds ``lhs = rhs`` (scalars or matrices) with the sentence that justifies it. ``verify``
decides each step: ``simplify(lhs - rhs) == 0``, else ``lhs.equals(rhs)``; ``None`` from sympy means
"not proved" and fails.

Derivations are built with :class:`Proof`: ``proof.step(name, because, lhs, rhs)`` records a step
whose ``lhs`` is *computed* (from the premises and earlier steps' results) and whose ``rhs`` is the
stated form it must equal; it returns the computed ``lhs``, which the next steps compute with. The
conclusion is a :class:`Derived` — a function of one step's computed result — never a literal: a
conclusion that does not follow from the steps is an error of the toolkit. The conclusion is then
compared with what the claim registry declares.

A *mutation* alters one step as it is built (``Proof(mutations={step: fn(lhs, rhs) -> (lhs, rhs)})``);
because later steps and the conclusion compute with its result, a consistent error in one step must
surface in the verdict — the proof-mutation suite (proofs/test_proof_mutations.py) checks that it does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

#: a mutation of one step: (lhs, rhs) -> (lhs, rhs)
Mutation = Callable[[Any, Any], tuple[Any, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    because: str
    lhs: Any
    rhs: Any


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Derived:
    """A conclusion: ``how`` applied to the computed result (left-hand side) of the step named ``step``."""

    step: str
    how: Callable[[Any], Any] = _identity


class Proof:
    """Records the steps of one derivation; ``mutations`` (step name -> Mutation) alter steps as they are
    recorded, so that the alteration flows into everything computed from them."""

    def __init__(self, mutations: dict[str, Mutation] | None = None):
        self.steps: list[Step] = []
        self._mutations = dict(mutations or {})

    def step(self, name: str, because: str, lhs: Any, rhs: Any) -> Any:
        if any(s.name == name for s in self.steps):
            raise ValueError(f"two steps are named {name!r}")
        if name in self._mutations:
            lhs, rhs = self._mutations.pop(name)(lhs, rhs)
        self.steps.append(Step(name, because, lhs, rhs))
        return lhs

    def unused_mutations(self) -> list[str]:
        """Mutations whose step was never recorded (a typo in a mutation suite must not pass silently)."""
        return sorted(self._mutations)


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
    if isinstance(lhs, (list, tuple)) or isinstance(rhs, (list, tuple)):
        if not isinstance(lhs, (list, tuple)) or not isinstance(rhs, (list, tuple)) or len(lhs) != len(rhs):
            return False
        verdicts = [prove_equal(a, b) for a, b in zip(lhs, rhs)]
        return True if all(v is True for v in verdicts) else False if any(v is False for v in verdicts) else None
    if isinstance(lhs, sp.MatrixExpr) or isinstance(rhs, sp.MatrixExpr):  # symbolic shape: structural equality
        return True if lhs == rhs or isinstance(sp.simplify(lhs - rhs), sp.ZeroMatrix) else None
    if isinstance(lhs, dict) or isinstance(rhs, dict):
        if not isinstance(lhs, dict) or not isinstance(rhs, dict) or set(lhs) != set(rhs):
            return False
        return prove_equal(list(lhs.values()), [rhs[key] for key in lhs])
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
    conclusion: Any
    conclusion_matches: bool
    numeric: bool | None
    seconds: float
    scope: str = ""
    assumptions: list[str] = field(default_factory=list)
    general_d: bool = False

    @property
    def proved(self) -> bool:
        return all(s is True for s in self.steps) and self.conclusion_matches and self.numeric is not False

    def to_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "proved": self.proved, "steps": self.steps,
                "steps_verified": sum(s is True for s in self.steps), "conclusion": str(self.conclusion),
                "conclusion_derived": True, "conclusion_matches": self.conclusion_matches, "numeric": self.numeric,
                "scope": self.scope, "assumptions": self.assumptions, "general_d": self.general_d,
                "seconds": round(self.seconds, 3)}


@dataclass
class Derivation:
    name: str
    claim: str  # claim id in idtheory.claims.CLAIMS
    title: str
    statement: str
    scope: str  # for which d (p, M, …) it is shown and which direction of the claim
    assumptions: list[str]
    general_d: bool  # True when the steps hold for a symbolic dimension
    steps: list[Step]
    conclusion: Derived
    declared: Any  # what the claim registry predicts; must equal the conclusion
    conclusion_text: str = ""
    numeric: Callable[[], bool] | None = field(default=None, repr=False)

    def __post_init__(self):
        if not isinstance(self.conclusion, Derived):
            raise TypeError(f"derivation {self.name!r}: the conclusion must be Derived from a step, got the literal "
                            f"{self.conclusion!r}")
        names = [s.name for s in self.steps]
        if self.conclusion.step not in names:
            raise ValueError(f"derivation {self.name!r}: the conclusion is derived from step "
                             f"{self.conclusion.step!r}, which is not one of its steps {names}")

    def conclude(self) -> Any:
        step = next(s for s in self.steps if s.name == self.conclusion.step)
        return self.conclusion.how(step.lhs)

    def verify(self) -> Verdict:
        start = time.perf_counter()
        steps = [prove_equal(s.lhs, s.rhs) for s in self.steps]
        try:
            conclusion = self.conclude()
            matches = _same(conclusion, self.declared)
        except Exception as err:  # noqa: BLE001 - a conclusion that cannot be computed does not match
            conclusion, matches = f"{type(err).__name__}: {err}", False
        numeric = None if self.numeric is None else bool(self.numeric())
        return Verdict(self.name, self.claim, steps, conclusion, matches, numeric, time.perf_counter() - start,
                       self.scope, list(self.assumptions), self.general_d)

    def to_markdown(self, verdict: Verdict | None = None) -> str:
        marks = verdict.steps if verdict else [None] * len(self.steps)
        out = [f"## {self.title} ({self.claim})", "", f"**Statement.** {self.statement}", "",
               f"**Scope.** {self.scope} (general d: {'yes' if self.general_d else 'no'})", "",
               "**Assumptions.**", ""]
        out += [f"- {a}" for a in self.assumptions]
        out += ["", "**Steps.**", ""]
        for i, (s, ok) in enumerate(zip(self.steps, marks), 1):
            tick = {True: "✓", False: "✗", None: "?"}[ok] if verdict else ""
            out.append(f"{i}. {s.because} {tick}")
            out.append(f"   $$ {_latex(s.lhs)} = {_latex(s.rhs)} $$")
        derived_from = next(i for i, s in enumerate(self.steps, 1) if s.name == self.conclusion.step)
        out += ["", f"**Conclusion** (computed from step {derived_from}). {self.conclusion_text}"]
        if verdict:
            out.append(f"(computed: `{verdict.conclusion}`; matches the declared claim: "
                       f"{'yes' if verdict.conclusion_matches else 'NO'}; numerical cross-check: "
                       f"{_word(verdict.numeric)})")
        return "\n".join(out) + "\n"

    def to_latex(self, verdict: Verdict | None = None) -> str:
        lines = [f"\\subsection*{{{self.title} ({self.claim})}}", f"\\textbf{{Statement.}} {self.statement}",
                 f"\\textbf{{Scope.}} {self.scope}", "\\begin{enumerate}"]
        for s in self.steps:
            lines.append(f"\\item {s.because}\\[ {_latex(s.lhs)} = {_latex(s.rhs)} \\]")
        lines += ["\\end{enumerate}", f"\\textbf{{Conclusion.}} {self.conclusion_text}"]
        return "\n".join(lines) + "\n"


def _latex(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(_latex(v) for v in value) + r"\right)"
    return sp.latex(value)


def _word(v: bool | None) -> str:
    return {True: "passed", False: "FAILED", None: "none"}[v]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (sp.Basic, sp.MatrixBase)) or isinstance(b, (sp.Basic, sp.MatrixBase)):
        return prove_equal(a, b) is True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b
