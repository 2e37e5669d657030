"""Gradient tools compared side by side, each behind one ``prepare`` function.

``prepare_<tool>(f, args, wrt)`` does what is not part of a gradient
evaluation (imports, building the gradient function, converting inputs) and
returns a ``Prepared``: ``run()`` computes the gradient once (what is timed)
and ``to_numpy(result)`` turns it into NumPy for the correctness check
against the hand-written gradient.  Tools differ in when they transform or
compile (srcad on the first call, tangent-ad in ``grad``, JAX at the first
jitted call), so the runner reports the first call's overhead instead of
timing ``prepare``.

Every peer is optional.  A missing package or a workload a tool cannot handle
raises ``Unavailable`` with a short reason, which becomes the table cell; the
runner never crashes because of a peer.  srcad itself never imports any of
these packages: only the benchmarks do.
"""

import importlib
import time
import types
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from benchmarks.workloads import _wrt_tuple, central_differences


class Unavailable(Exception):
    """The tool cannot run this cell; ``str(exc)`` is the short reason."""


@dataclass
class Prepared:
    run: Callable[[], Any]
    to_numpy: Callable[[Any], Any]


def _identity(result):
    return result


def import_optional(module):
    """Import ``module`` or raise ``Unavailable('not installed')``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"not installed ({exc.name})") from exc


def with_namespace(f, np_like):
    """A copy of workload ``f`` whose global ``np`` is ``np_like``, so
    autograd, JAX and PyTorch trace the very same source as srcad."""
    return types.FunctionType(f.__code__, {**f.__globals__, "np": np_like},
                              f.__name__, f.__defaults__, f.__closure__)


def _pack(f, args, wrt):
    """``f`` as a function of one tuple of differentiated arguments, for
    tools that take a single ``argnum``; returns ``(packed_f, params)``."""
    idx = _wrt_tuple(wrt)

    def packed(params):
        full = list(args)
        for k, p in zip(idx, params):
            full[k] = p
        return f(*full)
    return packed, tuple(args[k] for k in idx)


def _unpack(wrt, grads):
    return tuple(grads) if isinstance(wrt, tuple) else grads[0]


# ----- srcad (reverse and forward) -----

def prepare_srcad(f, args, wrt):
    df = import_optional("srcad").grad(f, wrt=wrt)
    return Prepared(lambda: df(*args), _identity)


def prepare_srcad_forward(f, args, wrt):
    """One jvp pass per scalar input along each unit direction: the fair use
    of forward mode, only offered for the few-scalar-input workloads."""
    srcad = import_optional("srcad")
    idx = _wrt_tuple(wrt)
    if any(np.ndim(args[k]) != 0 for k in idx):
        raise Unavailable("array input: reverse mode fits")
    fn = srcad.jvp(f, wrt=wrt)
    if not isinstance(wrt, tuple):
        return Prepared(lambda: fn(*args, 1.0)[1], _identity)
    directions = [tuple(1.0 if i == j else 0.0 for i in range(len(idx)))
                  for j in range(len(idx))]

    def run():
        return tuple(fn(*args, d)[1] for d in directions)
    return Prepared(run, _identity)


# ----- the hand-written NumPy gradient -----

def prepare_hand(grad_f):
    def prepare(f, args, wrt):
        return Prepared(lambda: grad_f(*args), _identity)
    return prepare


# ----- tangent-ad (the maintained Tangent fork) -----

def prepare_tangent(f, args, wrt):
    df = import_optional("tangent").grad(f, wrt=_wrt_tuple(wrt), verbose=0)
    return Prepared(lambda: df(*args), _identity)


# ----- autograd -----

def prepare_autograd(f, args, wrt):
    autograd = import_optional("autograd")
    anp = import_optional("autograd.numpy")
    packed, params = _pack(with_namespace(f, anp), args, wrt)
    g = autograd.grad(packed)
    return Prepared(lambda: g(params), lambda r: _unpack(wrt, r))


# ----- JAX, eager and jit -----

def _jax():
    jax = import_optional("jax")
    jax.config.update("jax_enable_x64", True)  # the workloads are float64
    return jax, import_optional("jax.numpy")


def _jax_args(jnp, args):
    return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)


def _jax_to_numpy(wrt):
    def convert(result):
        parts = result if isinstance(result, tuple) else (result,)
        return _unpack(wrt, [np.asarray(p) for p in parts])
    return convert


def prepare_jax(f, args, wrt):
    """``jax.grad`` without ``jit``: every primitive dispatched one by one."""
    jax, jnp = _jax()
    g = jax.grad(with_namespace(f, jnp), argnums=wrt)
    jargs = _jax_args(jnp, args)
    return Prepared(lambda: jax.block_until_ready(g(*jargs)), _jax_to_numpy(wrt))


def static_argnums(args, wrt):
    """Python scalars that are not differentiated (loop counts, step sizes,
    end times) must be static under ``jit``: they drive Python control flow."""
    idx = _wrt_tuple(wrt)
    return tuple(k for k, a in enumerate(args)
                 if k not in idx and isinstance(a, (int, float)))


# Tracing unrolls Python loops; XLA compile time grows faster than the op
# count (full-size rk4, 19,373 forward ops: 136 s), so bigger graphs are skipped.
JIT_MAX_FORWARD_OPS = 5000


def prepare_jax_jit(f, args, wrt):
    """``jit(grad(f))``: the first call traces and compiles."""
    jax, jnp = _jax()
    fj, static = with_namespace(f, jnp), static_argnums(args, wrt)
    jargs = _jax_args(jnp, args)
    ops = len(jax.make_jaxpr(fj, static_argnums=static)(*jargs).jaxpr.eqns)
    if ops > JIT_MAX_FORWARD_OPS:
        raise Unavailable(f"skipped: loop unrolls to {ops:,} ops")
    g = jax.jit(jax.grad(fj, argnums=wrt), static_argnums=static)
    return Prepared(lambda: jax.block_until_ready(g(*jargs)), _jax_to_numpy(wrt))


# ----- PyTorch eager -----

def _torch_namespace(torch):
    """The handful of ``np.*`` calls the workloads make, in torch terms."""
    def reduce(op):
        def call(x, axis=None, keepdims=False):
            if axis is None:
                return op(x)
            return op(x, dim=axis, keepdim=keepdims)
        return call
    return types.SimpleNamespace(exp=torch.exp, log=torch.log, tanh=torch.tanh,
                                 sum=reduce(torch.sum), max=reduce(torch.amax))


def prepare_torch(f, args, wrt):
    torch = import_optional("torch")
    idx = _wrt_tuple(wrt)
    targs = list(args)
    for k, a in enumerate(args):
        if isinstance(a, np.ndarray) or k in idx:
            targs[k] = torch.tensor(a, dtype=torch.float64, requires_grad=k in idx)
    params = [targs[k] for k in idx]
    ft = with_namespace(f, _torch_namespace(torch))

    def run():
        return torch.autograd.grad(ft(*targs), params)

    def to_numpy(result):
        return _unpack(wrt, [r.detach().numpy() for r in result])
    return Prepared(run, to_numpy)


# ----- central finite differences -----

def prepare_fd(f, args, wrt):
    return Prepared(lambda: central_differences(f, args, wrt), _identity)


# ----- imports, paid before any timing -----

# tangent-ad imports jax and torch itself: import them first so that each
# figure is the package's own import time.
PEER_MODULES = ("srcad", "autograd", "jax", "torch", "tangent", "sympy")


def preload():
    """Import every peer once so that no cell's first call pays an import;
    returns module -> seconds (float) or the reason it is unavailable."""
    times = {}
    for module in PEER_MODULES:
        start = time.perf_counter()
        try:
            _jax() if module == "jax" else import_optional(module)
            times[module] = time.perf_counter() - start
        except Exception as exc:  # broken installs are reported, not fatal
            times[module] = str(exc) if isinstance(exc, Unavailable) else type(exc).__name__
    return times


# ----- the tools in table order -----

TOOLS = {
    "srcad": prepare_srcad,
    "srcad fwd": prepare_srcad_forward,
    "hand": None,  # filled per workload by prepare_hand(grad_f)
    "tangent-ad": prepare_tangent,
    "autograd": prepare_autograd,
    "jax": prepare_jax,
    "jax jit": prepare_jax_jit,
    "torch": prepare_torch,
    "fd": prepare_fd,
}

# Where a tool's arrays live outside the Python heap, tracemalloc sees nothing.
NATIVE_MEMORY_TOOLS = ("jax", "jax jit", "torch")

DISTRIBUTIONS = {"srcad": "srcad", "tangent-ad": "tangent-ad",
                 "autograd": "autograd", "jax": "jax", "jaxlib": "jaxlib",
                 "torch": "torch", "sympy": "sympy", "gast": "gast"}


def versions():
    """Installed version of every peer package, or 'not installed'."""
    from importlib import metadata
    found = {}
    for label, dist in DISTRIBUTIONS.items():
        try:
            found[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[label] = "not installed"
    return found
