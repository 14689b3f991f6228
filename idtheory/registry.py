"""Register new assumptions by name — from Python, or from another package through entry points —
so that every claim they apply to exercises them (``idtheory check --conditional NAME --mixing NAME``).

Entry-point groups (``[project.entry-points."<group>"]`` in the plug-in package's pyproject.toml):

* ``idtheory.conditionals``: ``name = "pkg.module:sampler"``; the sampler ``(z, lam, generator[, bounds])``
  may carry a ``spaces`` attribute (default ``("sphere",)``);
* ``idtheory.mixings``: ``name = "pkg.module:factory"``, ``factory(dim, layers, generator) -> module``;
* ``idtheory.spaces``: ``name = "pkg.module:marginal"``, ``marginal(n, dim, generator)``;
* ``idtheory.spectra``: ``name = "pkg.module:family"``, a hypothesis strategy of spectra Λ, or
  ``family(max_dim)`` returning one — a process family of ``idtheory validate``, whose result is compared
  with the group C1–C3 predict for each drawn Λ;
* ``idtheory.losses``: see :mod:`idtheory.plugins`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from hypothesis.strategies import SearchStrategy

from .conditionals import CONDITIONAL_SPACES, CONDITIONALS
from .mixing import MIXINGS
from .spaces import BOUNDS, SPACES

#: the built-in process families of identifiability profiles -> the suite case whose strategy draws them
BUILTIN_FAMILIES = {"distinct": "C1", "tied": "C2", "isotropic": "C3", "content-style": "C4"}
#: registered spectrum families: name -> (max_dim -> hypothesis strategy of spectra)
SPECTRA: dict[str, Callable[[int], SearchStrategy]] = {}


def _check_name(name: str, registry: dict, kind: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a {kind} name must be a non-empty string, got {name!r}")
    if name in registry:
        raise ValueError(f"a {kind} named {name!r} is already registered")


def register_conditional(name: str, sampler: Callable, spaces: Sequence[str] = ("sphere",)) -> None:
    """``sampler(z, lam, generator)`` draws one z̃ per row of z (``bounds`` too, on box spaces)."""
    _check_name(name, CONDITIONALS, "conditional")
    unknown = [s for s in spaces if s not in SPACES]
    if unknown or not callable(sampler):
        raise ValueError(f"conditional {name!r}: needs a callable and known spaces ({', '.join(SPACES)}); "
                         f"got {sampler!r}, unknown spaces {unknown}")
    CONDITIONALS[name] = sampler
    CONDITIONAL_SPACES[name] = tuple(spaces)


def register_mixing(name: str, factory: Callable) -> None:
    """``factory(dim, layers, generator)`` returns an injective torch module z -> x."""
    _check_name(name, MIXINGS, "mixing")
    if not callable(factory):
        raise ValueError(f"mixing {name!r}: the factory must be callable, got {factory!r}")
    MIXINGS[name] = factory


def register_space(name: str, marginal: Callable, bounds: tuple[float, float] | None = None) -> None:
    """``marginal(n, dim, generator)`` samples p(z); ``bounds`` makes it a box for the conditionals."""
    _check_name(name, SPACES, "space")
    if not callable(marginal):
        raise ValueError(f"space {name!r}: the marginal must be callable, got {marginal!r}")
    SPACES[name] = marginal
    if bounds is not None:
        BOUNDS[name] = tuple(bounds)


def register_spectra(name: str, family: SearchStrategy | Callable[[int], SearchStrategy]) -> None:
    """A family of spectra Λ for identifiability profiles: a hypothesis strategy drawing sequences of
    positive λ, or ``family(max_dim)`` returning one (to respect ``--max-dim``)."""
    _check_name(name, SPECTRA | BUILTIN_FAMILIES, "spectrum family")
    if isinstance(family, SearchStrategy):
        strategy = family
        family = lambda max_dim: strategy  # noqa: E731 - the same strategy at every max_dim
    elif not callable(family):
        raise ValueError(f"spectrum family {name!r}: needs a hypothesis strategy or a callable max_dim -> "
                         f"strategy, got {family!r}")
    SPECTRA[name] = family


def load_entry_points() -> list[str]:
    """Register every assumption that installed packages declare; returns what was added."""
    added = []
    for group, registry, register in (
            ("idtheory.spaces", SPACES, lambda n, o: register_space(n, o)),
            ("idtheory.conditionals", CONDITIONALS,
             lambda n, o: register_conditional(n, o, getattr(o, "spaces", ("sphere",)))),
            ("idtheory.mixings", MIXINGS, register_mixing),
            ("idtheory.spectra", SPECTRA, register_spectra)):
        for ep in entry_points(group=group):
            if ep.name not in registry:
                register(ep.name, ep.load())
                added.append(f"{group}:{ep.name}")
    return added


def resolve_assumptions(conditional: str | None = None, mixing: str | None = None) -> dict[str, str]:
    """The user's replacements of the default assumptions, by registered name (entry points loaded first)."""
    from ._arguments import choice

    load_entry_points()
    out = {}
    if conditional is not None:
        out["conditional"] = choice(conditional, tuple(CONDITIONALS), "conditional")
    if mixing is not None:
        out["mixing"] = choice(mixing, tuple(MIXINGS), "mixing")
    return out
