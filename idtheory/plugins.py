"""The loss protocol: how idtheory finds and calls a contrastive loss it did not write.

A loss is anything callable as ``loss(anchors, positives[, negatives]) -> scalar tensor`` on embedding
batches of shape (B, d) (negatives: (B, M, d)); its learnable parameters, if any, are ordinary torch
parameters and are trained with the encoder. No subclassing. A reference names it:

* a registered name: ``aninfonce``, ``infonce``, … (see :data:`LOSSES`), or one a package declares in
  the ``idtheory.losses`` entry-point group;
* ``package.module:object`` (resolved with :func:`pkgutil.resolve_name`), or ``path/to/file.py:object``.

The object may be a ``torch.nn.Module`` subclass (instantiated as ``cls(dim)`` if its constructor takes
``dim``, else ``cls()``), a factory function with a single ``dim`` parameter, a module instance (copied
for every run), or any other callable (wrapped; it then has no parameters). Optional attributes:

* ``identifies``: the indeterminacy the loss claims on distinct anisotropic spectra — ``"signed
  permutation"``, ``"block-orthogonal"``, ``"orthogonal"`` or ``"linear"``;
* ``normalize_outputs``: False to train the encoder without projecting onto the sphere (default True);
* ``lam_hat``: a learned positive diagonal (d,), compared with Λ after training — or a scalar, an
  isotropic Λ̂ = λ̂ I (the registered ``infonce``'s learned 1/(2τ)).
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from torch import nn

from .indeterminacy import GroupKind

#: what a loss may declare it identifies (its ``identifies`` attribute)
GROUPS = tuple(k.label for k in GroupKind if k is not GroupKind.NONE)
ENTRY_POINT_GROUP = "idtheory.losses"


@dataclass(frozen=True)
class LossPlugin:
    name: str
    make: Callable[[int], nn.Module]  # dim -> a fresh loss module
    normalize: bool = True
    identifies: str | None = None


class CallableLoss(nn.Module):
    """Wraps a plain function as a module without parameters."""

    def __init__(self, fn: Callable):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def _builtin() -> dict[str, object]:
    from . import mutants
    from .losses import AnInfoNCE, InfoNCE

    def infonce(dim):  # noqa: ARG001 - the protocol's factory form; InfoNCE works in any dimension
        return InfoNCE.learned()

    infonce.identifies = InfoNCE.identifies
    out: dict[str, object] = {"aninfonce": AnInfoNCE, "infonce": infonce}
    def factory(cls):
        def make(dim):  # one parameter named dim: the protocol's factory form
            return cls(dim)
        return make

    for name, (cls, normalize) in mutants.MUTANTS.items():
        make = factory(cls)
        make.normalize_outputs = normalize
        make.identifies = "signed permutation"  # what they pretend to be
        out[f"broken:{name}"] = make
    return out


def available() -> list[str]:
    return sorted([*_builtin(), *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))])


def _load_file(ref: str):
    path, _, attr = ref.rpartition(":")
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"no such file {path!r} in loss reference {ref!r}")
    spec = importlib.util.spec_from_file_location(f"idtheory_user.{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise ValueError(f"cannot load {path}: SyntaxError at line {err.lineno}: {err.msg}") from err
    except Exception as err:  # noqa: BLE001 - any error while importing the user's file is theirs, said in a line
        where = next((f" (line {tb.lineno})" for tb in _traceback_frames(err) if tb.filename == str(file)), "")
        raise ValueError(f"cannot load {path}{where}: {type(err).__name__}: {err}") from err
    if not hasattr(module, attr):
        raise ValueError(f"{path} has no object {attr!r}")
    return getattr(module, attr)


def _traceback_frames(err: BaseException):
    import traceback

    return traceback.extract_tb(err.__traceback__)


def _find(ref: str):
    builtin = _builtin()
    if ref in builtin:
        return builtin[ref]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == ref:
            return ep.load()
    if ".py:" in ref:
        return _load_file(ref)
    if ":" not in ref and "." not in ref:
        raise ValueError(f"unknown loss {ref!r}; registered: {', '.join(available())}; "
                         "or give package.module:object or path/to/file.py:object")
    try:
        return pkgutil.resolve_name(ref)
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"cannot resolve loss reference {ref!r}: {err}") from err


def _takes_dim(fn) -> bool:
    try:
        return "dim" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def resolve_loss(ref) -> LossPlugin:
    """A :class:`LossPlugin` from a reference string or an object (see the module docstring)."""
    obj = _find(ref) if isinstance(ref, str) else ref
    name = ref if isinstance(ref, str) else getattr(obj, "__name__", type(obj).__name__)
    if isinstance(obj, type) and issubclass(obj, nn.Module):
        make = (lambda dim: obj(dim)) if _takes_dim(obj) else (lambda dim: obj())
    elif isinstance(obj, nn.Module):
        make = lambda dim: copy.deepcopy(obj)  # noqa: E731 - a fresh copy per training run
    elif callable(obj) and _takes_dim(obj) and len(inspect.signature(obj).parameters) == 1:
        def make(dim):
            loss = obj(dim)
            return loss if isinstance(loss, nn.Module) else CallableLoss(loss)
    elif callable(obj):
        make = lambda dim: CallableLoss(obj)  # noqa: E731
    else:
        raise TypeError(f"loss {name!r} is a {type(obj).__name__}, not a callable or torch module")
    identifies = getattr(obj, "identifies", None)
    if identifies is not None and identifies not in GROUPS:
        raise ValueError(f"{name}.identifies = {identifies!r}; allowed: {', '.join(map(repr, GROUPS))}")
    return LossPlugin(name, make, bool(getattr(obj, "normalize_outputs", True)), identifies)
