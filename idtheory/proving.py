"""Load the derivations in proofs/, verify them and render them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .symbolic import Derivation

#: where the repository keeps its derivations (an installed wheel has none: pass a directory)
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "proofs"


def load_derivations(directory: Path | str | None = None) -> dict[str, Derivation]:
    """Every ``derivations()`` list of every module in ``directory`` (skipping test_ and _ files)."""
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    if not directory.is_dir():
        raise ValueError(f"no proofs directory at {directory}; pass the repository's proofs/ folder")
    found: dict[str, Derivation] = {}
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith(("test_", "_", "conftest")):
            continue
        spec = importlib.util.spec_from_file_location(f"idtheory_proofs.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for derivation in getattr(module, "derivations", lambda: [])():
            if derivation.name in found:
                raise ValueError(f"two derivations are named {derivation.name!r} (second in {path.name})")
            found[derivation.name] = derivation
    return found
