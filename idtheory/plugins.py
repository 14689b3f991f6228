"""The loss protocol: how idtheory finds and calls a contrastive loss it did not write.

A loss is anything callable as ``loss(anchors, positives[, negatives]) -> scalar tensor`` on embedding
batches of shape (B, d) (negatives: (B, M, d), passed only on hard-negative processes and only after the
first quarter of training, so the argument must be optional); its learnable parameters, if any, are
ordinary torch parameters and are trained with the encoder. No subclassing. Adapted as they are:

* a loss that returns a tuple or list whose first element is the loss (the rest is ignored);
* the signature of the official code's ``CLLoss`` — an object with a method ``loss(z1, z2, z3, h1, h2, h3)``
  (or a callable of those six arguments): ground-truth latents of anchors, positives and negatives,
  then their encodings. The negatives are the batch rolled by one (``z3 = roll(z1)``), as in that code.

A reference names it:

* a registered name: ``aninfonce``, ``infonce``, … (see :data:`LOSSES`), or one a package declares in
  the ``idtheory.losses`` entry-point group;
* ``package.module:object`` (resolved with :func:`pkgutil.resolve_name`), or ``path/to/file.py:object``.

The object may be a ``torch.nn.Module`` subclass (instantiated as ``cls(dim)`` if its constructor takes
``dim``, else ``cls()``), a factory function with a single ``dim`` parameter, a module instance (copied
for every run), or any other callable (wrapped; it then has no parameters). Optional attributes:

* ``identifies``: the indeterminacy the loss claims on distinct anisotropic spectra — ``"signed
  permutation"``, ``"block-orthogonal"``, ``"orthogonal"`` or ``"linear"`` — or ``"theory"``: on every
  process family, exactly the group the theory predicts there for AnInfoNCE;
* ``normalize_outputs``: False to train the encoder without projecting onto the sphere (default True);
* ``lam_hat``: a learned positive diagonal (d,), compared with Λ after training — or a scalar, an
  isotropic Λ̂ = λ̂ I (the registered ``infonce``'s learned 1/(2τ)).
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import torch
from torch import nn

from .indeterminacy import GroupKind

#: what a loss may declare it identifies (its ``identifies`` attribute); "theory": the theory's group on every family
THEORY = "theory"
GROUPS = (*(k.label for k in GroupKind if k is not GroupKind.NONE), THEORY)
ENTRY_POINT_GROUP = "idtheory.losses"


@dataclass(frozen=True)
class LossPlugin:
    name: str
    make: Callable[[int], nn.Module]  # dim -> a fresh loss module
    normalize: bool = True
    identifies: str | None = None

    @functools.cached_property
    def traits(self) -> LossTraits:
        """What the loss takes, read off one instance (d = 3)."""
        return LossTraits.of(self.make(3))


@dataclass(frozen=True)
class LossTraits:
    families: int  # augmentation families it takes positives of (an ensemble: > 1)
    takes_negatives: bool  # it accepts explicit negatives (B, M, d) as a third argument
    takes_latents: bool  # the CLLoss signature: ground-truth latents first
    has_lam_hat: bool

    @classmethod
    def of(cls, loss: nn.Module) -> LossTraits:
        takes_latents = bool(getattr(loss, "takes_latents", False))
        forward = loss.fn if isinstance(loss, CallableLoss) else loss.forward
        return cls(int(getattr(loss, "families", 1)), not takes_latents and _positional(forward) >= 3,
                   takes_latents, getattr(loss, "lam_hat", None) is not None)


def loss_value(out):
    """The loss tensor of what a loss returned: itself, or the first element of a tuple or list."""
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        shown = repr(out) if len(repr(out)) <= 60 else repr(out)[:57] + "..."
        raise TypeError(f"the loss returned {type(out).__name__} {shown}; it must return a 0-d torch tensor "
                        "(or a tuple whose first element is one) so that it can be differentiated")
    return out


def call_loss(loss: nn.Module, anchors: torch.Tensor, positives, negatives=None) -> torch.Tensor:
    """Evaluate a loss of the protocol on encoder outputs (for losses that take latents, the outputs stand
    in for them: at h = id they are the latents)."""
    if getattr(loss, "takes_latents", False):
        rolled = anchors.roll(1, 0)
        return loss_value(loss(anchors, positives, rolled, anchors, positives, rolled))
    args = (anchors, positives) if negatives is None else (anchors, positives, negatives)
    return loss_value(loss(*args))


class CallableLoss(nn.Module):
    """Wraps a plain function as a module without parameters."""

    def __init__(self, fn: Callable):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


class CLLossAdapter(nn.Module):
    """The official code's ``CLLoss`` signature ``loss(z1, z2, z3, h1, h2, h3)`` as a loss of the protocol;
    the engine passes ground-truth latents first (``takes_latents``)."""

    takes_latents = True

    def __init__(self, inner):
        super().__init__()
        self.inner = inner  # a module's parameters are registered, and so trained

    @property
    def lam_hat(self):
        return getattr(self.inner, "lam_hat", None)

    def forward(self, z1, z2, z3, h1, h2, h3):
        fn = self.inner.loss if hasattr(self.inner, "loss") else self.inner
        return loss_value(fn(z1, z2, z3, h1, h2, h3))


def _positional(fn) -> int:
    """How many positional arguments ``fn`` accepts (-1: it does not say)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return -1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return 99
    return sum(p.kind in kinds for p in params)


def _cl_loss_method(obj) -> bool:
    """Whether ``obj`` (a class or an instance) has the official ``loss(z1, z2, z3, h1, h2, h3)`` method."""
    method = getattr(obj, "loss", None)
    if method is None or not callable(method):
        return False
    return _positional(method) == (7 if isinstance(obj, type) else 6)


def _builtin() -> dict[str, object]:
    from . import mutants
    from .losses import AnInfoNCE, EnsembleAnInfoNCE, InfoNCE, LpAnInfoNCE

    def infonce(dim):  # noqa: ARG001 - the protocol's factory form; InfoNCE works in any dimension
        return InfoNCE.learned()

    def lp_aninfonce(dim):  # C8: L1 on box latents, outputs not normalized
        return LpAnInfoNCE(dim, p=1.0)

    def ensemble_aninfonce(dim):  # C7: one Λ̂ per augmentation family, two families
        return EnsembleAnInfoNCE(dim, 2)

    infonce.identifies = InfoNCE.identifies
    lp_aninfonce.identifies, lp_aninfonce.normalize_outputs = LpAnInfoNCE.identifies, False
    ensemble_aninfonce.identifies = THEORY
    out: dict[str, object] = {"aninfonce": AnInfoNCE, "infonce": infonce, "lp-aninfonce": lp_aninfonce,
                              "ensemble-aninfonce": ensemble_aninfonce}
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
    if _cl_loss_method(obj) or (isinstance(obj, nn.Module) and _positional(obj.forward) == 6):
        if isinstance(obj, type):
            make = (lambda dim: CLLossAdapter(obj(dim))) if _takes_dim(obj) else (lambda dim: CLLossAdapter(obj()))
        else:
            make = lambda dim: CLLossAdapter(copy.deepcopy(obj))  # noqa: E731
    elif isinstance(obj, type) and issubclass(obj, nn.Module):
        make = (lambda dim: obj(dim)) if _takes_dim(obj) else (lambda dim: obj())
    elif isinstance(obj, nn.Module):
        make = lambda dim: copy.deepcopy(obj)  # noqa: E731 - a fresh copy per training run
    elif callable(obj) and _takes_dim(obj) and len(inspect.signature(obj).parameters) == 1:
        def make(dim):
            loss = obj(dim)
            return loss if isinstance(loss, nn.Module) else CallableLoss(loss)
    elif callable(obj) and not isinstance(obj, type) and _positional(obj) == 6:
        make = lambda dim: CLLossAdapter(obj)  # noqa: E731
    elif callable(obj):
        make = lambda dim: CallableLoss(obj)  # noqa: E731
    else:
        raise TypeError(f"loss {name!r} is a {type(obj).__name__}, not a callable or torch module")
    identifies = getattr(obj, "identifies", None)
    if identifies is not None and identifies not in GROUPS:
        raise ValueError(f"{name}.identifies = {identifies!r}; allowed: {', '.join(map(repr, GROUPS))}")
    return LossPlugin(name, make, bool(getattr(obj, "normalize_outputs", True)), identifies)
