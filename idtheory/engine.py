"""The batched training engine: K independent runs trained as one vectorized model.

Each run has its own process (Λ, mixing, conditional), its own loss parameters, encoder initialization
and data stream; the K encoders are one stack of batched matmuls, the K losses one
``torch.func.vmap`` over their stacked parameters, Adam one foreach update. A run's random numbers
come from its own generators, drawn exactly as a run alone draws them (the exact sampler vectorizes
its arithmetic over all runs but not its draws), so a run's result does not depend on which runs
share its batch — :func:`idtheory.training.fit` is this engine with K = 1.

Between evaluations the loop reads nothing back from the device except inside the rejection
samplers, whose number of rounds depends on the draws (a GPU waits there); losses, metrics and Λ̂
are read every ``eval_every`` steps.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import functools
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from . import _arguments, counters, metrics
from .budget import resolve_budget
from .conditionals import fisher_bingham_many
from .encoders import Encoder
from .mixing import InvertibleMLP
from .plugins import loss_value
from .process import GenerativeProcess

LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default, as in Encoder


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse instead of handing it back to the system (Linux only).

    A training step allocates and frees the same MB-sized tensors (the K × B × B logits) thousands of
    times; by default glibc serves large ones with fresh mmap pages and trims freed heap, so every step
    pays for new pages again (measured, K = 32, d = 4, one thread: a step 61 → 40 ms, and the loss with
    both-view negatives 126 → 57 ms). Numbers are unchanged; the process keeps its peak heap. Returns
    whether the setting was applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 1024**3))


@dataclass
class RunSpec:
    """One run of a batch: a process, a fresh loss module (trained in place), a seed."""

    process: GenerativeProcess
    loss: nn.Module
    seed: int = 0
    normalize: bool = True


@dataclass
class Fit:
    encoder: nn.Module
    loss: nn.Module
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    lam_hat: list[float] | None = None
    error: str | None = None  # the run diverged (its loss became non-finite); the other runs went on
    batched_loss: bool = True  # False: the loss was not vmappable and was evaluated run by run
    # with Budget.restarts > 1: every restart's final training loss, and which one this Fit is (the lowest)
    restart_losses: list[float] | None = None
    restart: int = 0


def lam_hat_of(loss: nn.Module, dim: int) -> list | None:
    """The loss's learned Λ̂ as a list; a scalar (a learned temperature) is the isotropic Λ̂ = λ̂ I."""
    lam = getattr(loss, "lam_hat", None)
    if lam is None:
        return None
    lam = lam.detach().cpu().double()
    return [float(lam)] * dim if lam.ndim == 0 else lam.tolist()


def seeded(build: Callable[[], nn.Module], generator: torch.Generator) -> nn.Module:
    """Build a module, then re-draw its Linear layers from ``generator`` with PyTorch's default law
    U(-1/√fan_in, 1/√fan_in) (torch's own init would draw from the global RNG)."""
    module = build()
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)
                for p in (layer.weight, layer.bias):
                    p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * bound)
    return module


class StackedEncoder:
    """K encoders of one architecture as stacked weights (K, out, in): x (K, B, in) -> (K, B, out)."""

    def __init__(self, encoders: Sequence[Encoder]):
        layers = [[m for m in e.net if isinstance(m, nn.Linear)] for e in encoders]
        self.weights = [torch.stack([run[i].weight.detach() for run in layers]).requires_grad_()
                        for i in range(len(layers[0]))]
        self.biases = [torch.stack([run[i].bias.detach() for run in layers]).requires_grad_()
                       for i in range(len(layers[0]))]
        self.normalize = encoders[0].normalize

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b[:, None, :], x, w.transpose(1, 2))
            if i < last:
                x = nn.functional.leaky_relu(x, LEAKY_SLOPE)
        return nn.functional.normalize(x, dim=-1) if self.normalize else x

    @torch.no_grad()
    def rotate_outputs(self, rotation: torch.Tensor) -> None:
        """Fold the maps (K, d, d) into the last layers: outputs become rotation_k @ outputs (an orthogonal
        map commutes with the normalization, so normalized outputs rotate the same way). Run by run: a
        batched matmul may round differently from K = 1, and a run must not depend on its batch-mates."""
        for r, w, b in zip(rotation, self.weights[-1], self.biases[-1]):
            # On fresh copies: BLAS rounds by its operands' memory alignment, which for a slice of a stacked
            # tensor depends on the run's place in the batch (measured at d = 7 and 10); fresh tensors are
            # always aligned alike.
            r = r.clone()
            w.copy_(r @ w.clone())
            b.copy_(r @ b.clone())

    @torch.no_grad()
    def write_back(self, encoders: Sequence[Encoder]) -> None:
        for k, e in enumerate(encoders):
            linear = [m for m in e.net if isinstance(m, nn.Linear)]
            for layer, w, b in zip(linear, self.weights, self.biases):
                layer.weight.copy_(w[k])
                layer.bias.copy_(b[k])


#: devices on which the exact sphere runs draw by counters (idtheory.counters) instead of per-run generators:
#: on a GPU K per-run draws are K kernel launches (and, in the rejection rounds, K synchronizations)
COUNTER_DEVICES = ("cuda",)


class BatchSampler:
    """The K runs' samplers; draws for all at once where the arithmetic vectorizes (mixing, the exact
    conditional), each run from its own generators — or, for exact sphere runs on a device of
    ``COUNTER_DEVICES``, from counters keyed by each run's seed, all runs in one pass. Either way a run's
    draws do not depend on its batch-mates."""

    def __init__(self, samplers: list):
        self.samplers = samplers
        first = samplers[0]
        self.dim = first.process.dim
        mixings = [s.mixing for s in samplers]
        self.mixing_weights = None
        if all(isinstance(m, InvertibleMLP) for m in mixings) and len({len(m.weights) for m in mixings}) == 1:
            self.mixing_weights = torch.stack([m.weights for m in mixings])  # (K, L, d, d)
        self.exact = all(s.process.conditional == "exact" and s.process.space == "sphere" for s in samplers)
        self._rows_lam: dict[int, list[torch.Tensor]] = {}  # batch size -> per-row Λ of every family (Λ only)
        self.keys = None
        if self.exact and first.device.type in COUNTER_DEVICES:
            self.keys = counters.run_keys([s.seed for s in samplers], first.device)
            self.calls = 0  # the counters' call number: the same sequence alone or batched
            self._key_rows: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # n -> (key, row in run) per row

    def _counter_rows(self, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(key per row, row within its run, this call's number) for n rows of every run."""
        self.calls += 1
        if n not in self._key_rows:
            self._key_rows[n] = (self.keys.repeat_interleave(n),
                                 torch.arange(n, device=self.keys.device).repeat(len(self.samplers)))
        return (*self._key_rows[n], self.calls)

    def latents(self, n: int) -> torch.Tensor:
        if self.keys is not None:  # uniform on the sphere: normalized standard normals, as spaces._sphere
            keys, rows, call = self._counter_rows(n)
            g = counters.normal(keys, call, 0, rows, self.dim).view(len(self.samplers), n, self.dim)
            return g / g.norm(dim=2, keepdim=True)
        return torch.stack([s.latents(n) for s in self.samplers])

    @torch.no_grad()
    def observe(self, z: torch.Tensor) -> torch.Tensor:
        """x = g_k(z_k) for every run: z (K, n, d) -> (K, n, d)."""
        if self.mixing_weights is None:
            return torch.stack([s.observe(zk) for s, zk in zip(self.samplers, z)])
        x, last = z, self.mixing_weights.shape[1] - 1
        for i in range(last + 1):
            x = torch.bmm(x, self.mixing_weights[:, i].transpose(1, 2))
            if i < last:
                x = nn.functional.leaky_relu(x, self.samplers[0].mixing.slope)
        return x

    def positives(self, z: torch.Tensor) -> list[torch.Tensor]:
        """One positive per augmentation family and anchor: a list over families of (K, n, d)."""
        if not self.exact:
            per_run = [s.positives(zk) for s, zk in zip(self.samplers, z)]
            return [torch.stack([run[f] for run in per_run]) for f in range(len(per_run[0]))]
        k, n, d = z.shape
        if n not in self._rows_lam:
            self._rows_lam[n] = [torch.stack([s.spectra[f] for s in self.samplers])[:, None, :].expand(k, n, d)
                                 .reshape(k * n, d).to(z.dtype) for f in range(len(self.samplers[0].spectra))]
        rows = z.reshape(k * n, d)
        if self.keys is not None:
            return [fisher_bingham_many(rows, lam, counters.CounterDraws(*self._counter_rows(n))).reshape(k, n, d)
                    for lam in self._rows_lam[n]]
        parts = [(s.generator, n) for s in self.samplers]
        return [fisher_bingham_many(rows, lam, parts).reshape(k, n, d) for lam in self._rows_lam[n]]

    def hard_negatives(self, z: torch.Tensor) -> torch.Tensor:
        return torch.stack([s.hard_negatives(zk) for s, zk in zip(self.samplers, z)])


_MODULE_INTERNALS = frozenset(vars(nn.Module()))


def _signature(spec: RunSpec) -> tuple:
    """What must agree for runs to share one vectorized model (the batch evaluates run 0's module with
    each run's parameters, so every other attribute — a fixed temperature, p, the negatives — must agree)."""
    loss = spec.loss
    config = tuple((name, tuple(sorted((k, repr(v)) for k, v in vars(m).items() if k not in _MODULE_INTERNALS)))
                   for name, m in loss.named_modules())
    shapes = tuple((n, tuple(p.shape)) for n, p in loss.named_parameters())
    process = spec.process
    return (type(loss).__name__, config, shapes, process.dim, spec.normalize, len(process.spectra),
            process.hard_negative_beta is not None, process.hard_negative_count)


def check_batch(specs: Sequence[RunSpec]) -> None:
    if not specs:
        raise ValueError("a batch needs at least one run, got none (K = 0)")
    for k, spec in enumerate(specs):
        if not isinstance(spec.loss, nn.Module):
            raise TypeError(f"run {k}: the loss must be a torch.nn.Module, got {type(spec.loss).__name__}")
        dim = spec.process.dim
        if getattr(spec.loss, "dim", dim) != dim:
            raise ValueError(f"run {k}: the loss was built for dimension {spec.loss.dim} but the process has "
                             f"dimension {dim}")
        families = len(spec.process.spectra)
        if getattr(spec.loss, "families", 1) != families:
            raise ValueError(f"run {k}: the process has {families} augmentation families but the loss takes "
                             f"{getattr(spec.loss, 'families', 1)}")
    first = _signature(specs[0])
    for k, spec in enumerate(specs[1:], 1):
        if _signature(spec) != first:
            raise ValueError(f"run {k} cannot share a batch with run 0: they differ in dimension, normalization, "
                             f"families, hard negatives or loss configuration ({_signature(spec)} vs {first}); "
                             "group runs with idtheory.engine.fit_groups")


class StackedLoss:
    """The K loss modules as one functional module over stacked parameters, vmapped when possible."""

    def __init__(self, losses: Sequence[nn.Module], device: torch.device):
        self.base = copy.deepcopy(losses[0]).to(device)
        self.params, self.buffers = torch.func.stack_module_state([m.to(device) for m in losses])
        self.trainable = [p for p in self.params.values() if p.requires_grad]
        self.batched: bool | None = None  # decided at the first call
        self.reason = ""

    def _one(self, params, buffers, *args):
        return loss_value(torch.func.functional_call(self.base, (params, buffers), args))

    def __call__(self, *args) -> torch.Tensor:
        if self.batched is None:
            try:
                values = torch.func.vmap(self._one)(self.params, self.buffers, *args)
                self.batched = True
                return values
            except Exception as err:  # noqa: BLE001 - not vmappable: evaluated run by run, and said so
                self.batched, self.reason = False, f"{type(err).__name__}: {err}"
        if self.batched:
            return torch.func.vmap(self._one)(self.params, self.buffers, *args)
        return self._each(*args)

    def _each(self, *args) -> torch.Tensor:
        k = len(args[0])
        return torch.stack([self._one({n: t[i] for n, t in self.params.items()},
                                      {n: t[i] for n, t in self.buffers.items()},
                                      *[[x[i] for x in a] if isinstance(a, list) else a[i] for a in args])
                            for i in range(k)])

    def set_negatives(self, scheme: str) -> None:
        if hasattr(self.base, "negatives"):
            self.base.negatives = scheme

    @torch.no_grad()
    def write_back(self, losses: Sequence[nn.Module]) -> None:
        for k, loss in enumerate(losses):
            for name, stacked in self.params.items():
                loss.get_parameter(name).copy_(stacked[k])
            if hasattr(self.base, "negatives"):
                loss.negatives = self.base.negatives


#: restart r of a run with training seed s trains with seed s + r * RESTART_SEED_STRIDE
RESTART_SEED_STRIDE = 1_000_003


def fit_many(specs: Sequence[RunSpec], budget, device: str | torch.device = "cpu",
             progress: Callable[[int, dict], None] | None = None) -> list[Fit]:
    """Train the runs of ``specs`` together (see the module docstring); one :class:`Fit` per run, in order.

    Every ``eval_every`` steps each run's history records its loss, linear R² and MCC on its own held-out
    latents, and ``progress(run_index, record)`` is called. A run whose loss turns non-finite is stopped
    (its ``Fit.error`` says when) and the others go on.

    With ``budget.restarts`` = R > 1 every run is trained R times, restart r from training seed
    ``seed + r * RESTART_SEED_STRIDE`` (restart 0 is the run itself), all in the same batch, and the
    restart with the lowest final training loss is kept: no ground truth, and a run stuck at a saddle or
    folded has a higher loss (measured on C1's check budget: benchmarks/results/check-suite-notes.md).
    The kept restart's trained loss parameters are copied into the spec's loss module."""
    budget = resolve_budget(budget)
    if budget.restarts == 1:
        return _fit_batch(specs, budget, device, progress)
    r_count = budget.restarts
    expanded = [spec if r == 0 else replace(spec, loss=copy.deepcopy(spec.loss),
                                            seed=spec.seed + r * RESTART_SEED_STRIDE)
                for spec in specs for r in range(r_count)]
    fits = _fit_batch(expanded, budget, device, None if progress is None else (
        lambda k, record: progress(k // r_count, {**record, "restart": k % r_count})))
    out = []
    for i, spec in enumerate(specs):
        tries = fits[i * r_count:(i + 1) * r_count]
        losses = [final_training_loss(f.history) if f.error is None else math.inf for f in tries]
        best = min(range(r_count), key=lambda r: losses[r])
        kept = tries[best]
        if best:
            spec.loss.load_state_dict(kept.loss.state_dict())
            kept.loss = spec.loss
        kept.restart_losses, kept.restart = losses, best
        kept.seconds = sum(f.seconds for f in tries)
        out.append(kept)
    return out


def final_training_loss(history: list[dict]) -> float:
    """A run's mean training loss over its last evaluation interval, from its history (inf if it has none):
    what restarts are selected by (no ground truth)."""
    trained = [h for h in history if "polish_steps" not in h]
    return float(trained[-1]["loss"]) if trained else math.inf


def _fit_batch(specs: Sequence[RunSpec], budget, device: str | torch.device = "cpu",
               progress: Callable[[int, dict], None] | None = None) -> list[Fit]:
    dev = _arguments.device(device)
    check_batch(specs)
    keep_freed_memory()
    dim, families = specs[0].process.dim, len(specs[0].process.spectra)
    hard = specs[0].process.hard_negative_beta is not None
    latents = bool(getattr(specs[0].loss, "takes_latents", False))  # the CLLoss signature (idtheory.plugins)
    encoders = [seeded(lambda s=s: Encoder(dim, dim, budget.hidden, budget.depth, s.normalize),
                       torch.Generator().manual_seed(s.seed)).to(dev) for s in specs]
    data = BatchSampler([s.process.sampler(dev, seed=s.seed + 1) for s in specs])
    held_out = [s.process.sampler(dev, seed=s.seed + 2) for s in specs]
    z_eval = [h.latents(budget.eval_samples) for h in held_out]
    x_eval = torch.stack([h.observe(z) for h, z in zip(held_out, z_eval)])
    z_eval = [z.cpu().numpy() for z in z_eval]

    encoder = StackedEncoder(encoders)
    loss = StackedLoss([s.loss for s in specs], dev)
    groups = [{"params": encoder.parameters(), "lr": budget.lr}]
    if loss.trainable:
        groups.append({"params": loss.trainable, "lr": budget.loss_lr})
    opt = torch.optim.Adam(groups, foreach=True)
    # Constant, then a linear decay over the last ``anneal`` fraction: a constant step size keeps the
    # slow alignment between near-equal λ moving; the decay then removes the batch noise at the end.
    decay_start = budget.steps * (1 - budget.anneal)

    def rate(step: int) -> float:
        return min(1.0, (budget.steps - step) / max(budget.steps - decay_start, 1e-9))

    # LambdaLR's step counts the updates already made: update u (from 0) is training step u + 1.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, [rate, lambda step: rate(step) if step + 1 >= budget.loss_step else 0.0][:len(groups)])

    fits = [Fit(e, s.loss) for e, s in zip(encoders, specs)]
    alive = torch.ones(len(specs), dtype=torch.bool, device=dev)
    start = time.perf_counter()
    running = torch.zeros(len(specs), device=dev)
    since = 0

    def draw(with_hard: bool) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """One batch: (latents the loss may take, observations the encoder embeds) of every run."""
        z = data.latents(budget.batch)
        z_positives = data.positives(z)
        x = [data.observe(z), *(data.observe(zt) for zt in z_positives)]
        if with_hard:
            z_neg = data.hard_negatives(z)  # (K, n, M, d)
            x.append(data.observe(z_neg.reshape(len(specs), -1, dim)))
        return [z, *z_positives], x

    def loss_args(z: list[torch.Tensor], h: list[torch.Tensor]) -> list:
        """The loss's arguments from the latents and the embeddings of :func:`draw`'s observations."""
        a, positives = h[0], h[1: 1 + families]
        if latents:  # (z1, z2, z3, h1, h2, h3), negatives the batch rolled by one
            return [z[0], z[1], z[0].roll(1, 1), a, positives[0], a.roll(1, 1)]
        args = [a, positives if families > 1 else positives[0]]
        if len(h) > 1 + families:
            args.append(h[-1].reshape(len(specs), budget.batch, -1, dim))
        return args

    def evaluate(at: dict, means: list[float]) -> None:
        """Score every live run on its held-out latents; a run whose mean loss is not finite is stopped."""
        h_eval = embed_stacked(encoder, x_eval)
        loss.write_back([s.loss for s in specs])
        for k, fit in enumerate(fits):
            if fit.error is not None:
                continue
            if not math.isfinite(means[k]):
                fit.error = (f"the loss became {means[k]} between steps {since} and {at['step']}; check the loss, "
                             "or lower the learning rates")
                alive[k] = False
                continue
            mcc, _ = metrics.mcc(z_eval[k], h_eval[k])
            record = {**at, "seconds": time.perf_counter() - start, "loss": means[k],
                      "r2": metrics.r2(z_eval[k], h_eval[k]), "mcc": mcc, "lam_hat": lam_hat_of(specs[k].loss, dim)}
            fit.history.append(record)
            if progress is not None:
                progress(k, record)

    for step in range(1, budget.steps + 1):
        if step == budget.late_step:
            loss.set_negatives(budget.late_negatives)
        z, x = draw(hard and step >= (budget.late_step or 1))
        values = loss(*loss_args(z, [encoder(xi) for xi in x]))
        if step == 1 and values.shape != (len(specs),):
            raise ValueError(f"the loss must return a scalar, got shape {tuple(values.shape[1:])}")
        opt.zero_grad(set_to_none=True)
        # A diverged run contributes nothing; the runs' gradients are independent (separate slices).
        torch.where(alive, values, torch.zeros_like(values)).sum().backward()
        opt.step()
        schedule.step()
        running += values.detach()
        if step % budget.eval_every == 0 or step == budget.steps:
            evaluate({"step": step}, (running / (step - since)).tolist())
            running.zero_()
            since = step
    rounds = min(budget.polish_steps, budget.steps)  # a short run (e.g. --steps 8) polishes as briefly
    if rounds:
        per_step = min(budget.polish_batches, budget.steps)
        batches = [draw(hard) for _ in range(max(per_step, min(budget.polish_pool, budget.steps)))]
        values = polish(encoder, loss, batches, loss_args, alive, budget.polish_lr, rounds, per_step)
        evaluate({"step": budget.steps, "polish_steps": rounds}, values.tolist())
    encoder.write_back(encoders)
    loss.write_back([s.loss for s in specs])
    seconds = time.perf_counter() - start
    for fit, spec in zip(fits, specs):
        fit.seconds, fit.steps = seconds / len(specs), budget.steps
        fit.lam_hat = lam_hat_of(spec.loss, dim)
        fit.batched_loss = bool(loss.batched)
    return fits


def polish(encoder: StackedEncoder, loss: StackedLoss, batches: list, loss_args: Callable, alive: torch.Tensor,
           lr: float, rounds: int, per_step: int | None = None) -> torch.Tensor:
    """Minimize the same loss over an orthogonal map of the trained outputs, on a fixed sample; returns
    each run's loss (K,) at the last polish step (evaluated before that step's update).

    The slowest direction left after training at d ≈ 10 is a rotation between outputs whose λ are close:
    R² is 0.999 while MCC still climbs ~0.01 per 1,000 steps, batch noise masking a gradient that is
    proportional to the gap. Here that rotation (R = exp(S - Sᵀ), S strictly upper triangular, from
    R = I) and the loss's own parameters are the only variables, and every step sees the same
    ``batches``, so Adam (``rounds`` steps from ``lr``, decaying linearly) follows the exact gradient of
    a fixed objective instead of a noisy one (measured on linspace, 20,000 steps: MCC 0.928 → 0.967 and
    0.904 → 0.958; benchmarks/results/speed_study.md). The map is then folded into the encoder's last
    layer: an encoder of the same family with a lower loss, and no ground truth is used. A loss that
    cannot tell rotations apart (InfoNCE's critic sees inner products only) has no gradient in S beyond
    rounding and stays put (tested). Adam is elementwise, so a run's path does not depend on its
    batch-mates.

    With ``per_step`` < len(batches) every step takes a random ``per_step`` of the batches (the same
    choice for every run, from a fixed generator: a run's path still depends on its own data only), so the
    objective is the whole sample's at the cost of ``per_step`` batches a step. The polish converges in
    150 steps and what is left is the sample's noise (measured on linspace, MCC after 150, 400, 1,000
    steps on 64 batches: 0.9233 for all three; on 64, 128, 256 fixed batches: 0.923, 0.943, 0.957, while
    the best rotation, from ground truth, gives 0.999: benchmarks/results/speed_study.md)."""
    with torch.no_grad():
        batches = [(z, [encoder(xi) for xi in x]) for z, x in batches]
    k, dim = alive.shape[0], batches[0][1][0].shape[-1]
    skew = torch.zeros(k, dim, dim, device=alive.device, requires_grad=True)
    # eps above the float32 rounding of the gradient (~4e-8 for InfoNCE) and below its real size (1e-3
    # falling to 1e-6 as AnInfoNCE converges at d = 10): otherwise Adam normalizes the rounding noise of
    # a rotation-invariant loss into full steps and wanders at random.
    opt = torch.optim.Adam([skew, *loss.trainable], lr=lr, eps=1e-6, foreach=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1 - it / rounds)

    def rotation() -> torch.Tensor:  # run by run: the batched matrix_exp picks its degree by the whole batch
        upper = skew.triu(1)
        return torch.stack([torch.linalg.matrix_exp(a) for a in upper - upper.transpose(1, 2)])

    per_step = len(batches) if per_step is None else per_step
    choose = torch.Generator().manual_seed(0)
    for _ in range(rounds):
        r_t = rotation().transpose(1, 2)
        chosen = (batches if per_step >= len(batches) else
                  [batches[i] for i in torch.randperm(len(batches), generator=choose)[:per_step].tolist()])
        values = sum(loss(*loss_args(z, [h @ r_t for h in hs])) for z, hs in chosen) / len(chosen)
        opt.zero_grad(set_to_none=True)
        torch.where(alive, values, torch.zeros_like(values)).sum().backward()
        opt.step()
        schedule.step()
    with torch.no_grad():
        encoder.rotate_outputs(rotation())
    return values.detach()


@torch.no_grad()
def embed_stacked(encoder: StackedEncoder, x: torch.Tensor, chunk: int = 8192) -> np.ndarray:
    """(K, n, d) observations -> (K, n, d) outputs as numpy, in chunks of samples."""
    return torch.cat([encoder(x[:, i: i + chunk]) for i in range(0, x.shape[1], chunk)], dim=1).cpu().numpy()


def fit_groups(specs: Sequence[RunSpec], budget, device: str | torch.device = "cpu",
               progress: Callable[[int, dict], None] | None = None) -> list[Fit]:
    """:func:`fit_many` over runs of any shapes: runs that can share a model are trained together, one
    batch per shape; results in the order of ``specs``."""
    groups: dict[tuple, list[int]] = {}
    for k, spec in enumerate(specs):
        groups.setdefault(_signature(spec), []).append(k)
    out: list[Fit | None] = [None] * len(specs)
    for members in groups.values():
        fits = fit_many([specs[k] for k in members], budget, device,
                        None if progress is None else (lambda i, r, m=members: progress(m[i], r)))
        for k, fit in zip(members, fits):
            out[k] = fit
    return out


__all__ = ["Fit", "RunSpec", "check_batch", "fit_groups", "fit_many"]
