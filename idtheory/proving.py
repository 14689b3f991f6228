"""Load the derivations — those shipped in :mod:`idtheory.proofs`, or a folder of your own — to verify
and render them."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path

from . import proofs
from .symbolic import Derivation


def _modules(directory: Path | None):
    if directory is None:
        for info in pkgutil.iter_modules(proofs.__path__):
            if not info.name.startswith("_"):
                yield importlib.import_module(f"{proofs.__name__}.{info.name}")
        return
    if not directory.is_dir():
        raise ValueError(f"no proofs directory at {directory}")
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith(("test_", "_", "conftest")):
            continue
        spec = importlib.util.spec_from_file_location(f"idtheory_user_proofs.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def load_derivations(directory: Path | str | None = None, mutations: dict | None = None) -> dict[str, Derivation]:
    """Every derivation of every module: each module's ``derivations(mutations)`` list. ``mutations`` maps a
    derivation's name to {step name: mutation} (see :class:`idtheory.symbolic.Proof`); a mutation that names
    no step raises, so a mutation suite cannot pass by missing its target."""
    found: dict[str, Derivation] = {}
    for module in _modules(Path(directory) if directory is not None else None):
        for derivation in getattr(module, "derivations", lambda mutations=None: [])(mutations):
            if derivation.name in found:
                raise ValueError(f"two derivations are named {derivation.name!r} (second in {module.__name__})")
            found[derivation.name] = derivation
    for name, steps in (mutations or {}).items():
        if name not in found:
            raise ValueError(f"mutation of an unknown derivation {name!r}; known: {sorted(found)}")
        missing = set(steps) - {s.name for s in found[name].steps}
        if missing:
            raise ValueError(f"mutation of unknown step(s) {sorted(missing)} of {name!r}")
    return found
