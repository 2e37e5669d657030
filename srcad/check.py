"""`check_grad`: a derivative against central finite differences along random directions."""
import numpy as np

from .errors import ArgumentError, GradientCheckError


class GradientReport:
    """What `check_grad` measured: one row per (argument, direction)."""

    def __init__(self, rows):
        self.rows = rows   # (argument index, analytic d^T g, numeric difference, error)

    @property
    def worst(self):
        return max((r[3] for r in self.rows), default=0.0)

    def __repr__(self):
        return f"GradientReport({len(self.rows)} directions, worst error {self.worst:.2e})"

    def table(self):
        lines = ["arg  analytic               numeric                error"]
        for k, a, n, e in self.rows:
            lines.append(f"{k:<4} {a:<22.15g} {n:<22.15g} {e:.2e}")
        return "\n".join(lines)


def _flat(x):
    """(list of arrays, rebuild) for arrays, floats and lists/tuples/dicts of them."""
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flat(x[k]) for k in keys]
        return ([a for p in parts for a in p[0]],
                lambda arrays: {k: p[1](arrays[_offset(parts, i):_offset(parts, i + 1)])
                                for i, (k, p) in enumerate(zip(keys, parts))})
    if isinstance(x, (list, tuple)):
        parts = [_flat(item) for item in x]
        kind = type(x)
        return ([a for p in parts for a in p[0]],
                lambda arrays: kind(p[1](arrays[_offset(parts, i):_offset(parts, i + 1)])
                                    for i, p in enumerate(parts)))
    if isinstance(x, np.ndarray):
        return [x.astype(float)], lambda arrays: arrays[0]
    return [np.asarray(float(x))], lambda arrays: float(arrays[0])


def _fresh(x):
    """A copy of the arrays, lists, tuples and dicts in `x` (other objects as they are: a
    random generator too, which `_Draws.run` puts back before each run)."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, list):
        return [_fresh(item) for item in x]
    if type(x) is tuple:
        return tuple(_fresh(item) for item in x)
    if type(x) is dict:
        return {k: _fresh(v) for k, v in x.items()}
    return x


def _layout(x):
    """A short description of a value's structure and shapes."""
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__}[{', '.join(_layout(item) for item in x)}]"
    if isinstance(x, dict):
        return "dict{" + ", ".join(f"{k!r}: {_layout(v)}" for k, v in x.items()) + "}"
    return f"shape {np.shape(x)}"


def _offset(parts, i):
    return sum(len(p[0]) for p in parts[:i])


def check_grad(f, args, wrt=0, eps=1e-6, rtol=1e-5, atol=1e-7, directions=3, seed=0,
               grad_fn=None):
    """Compare the gradient of `f` with central differences along random unit directions.

    Raises `GradientCheckError` with the worst error when they disagree; returns a
    `GradientReport` otherwise.
    """
    from .api import _Draws, _wrt_indices, grad
    if not isinstance(args, (tuple, list)):
        raise ArgumentError(f"check_grad takes the arguments of {f.__name__} as a tuple or a "
                            f"list, not {type(args).__name__}",
                            hint=f"write check_grad({f.__name__}, ({args!r},)) for one argument")
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ArgumentError(f"check_grad needs a step eps > 0, not {eps!r}",
                            hint="leave eps at its default (1e-6), or pass a small positive "
                                 "number")
    indices, single = _wrt_indices(f, wrt)
    df = grad_fn or grad(f, wrt=tuple(indices))
    draws = _Draws(f, args)      # (each difference makes the draws the gradient was of)
    with draws.run():
        grads = df(*args)
    if grad_fn is not None and single:
        grads = (grads,)
    rng = np.random.default_rng(seed)
    rows = []
    for pos, k in enumerate(indices):
        arrays, rebuild = _flat(args[k])
        garrays, _ = _flat(grads[pos])
        if [a.shape for a in garrays] != [a.shape for a in arrays]:
            raise GradientCheckError(
                f"the gradient for argument {k} of {f.__name__} is not shaped like the "
                f"argument: {_layout(grads[pos])} for {_layout(args[k])}")
        for _ in range(directions):
            d = [rng.standard_normal(a.shape) for a in arrays]
            norm = np.sqrt(sum(float(np.sum(x * x)) for x in d)) or 1.0
            d = [x / norm for x in d]

            def at(step):
                moved = [_fresh(a) for a in args]   # (f may change its arguments in place)
                moved[k] = rebuild([a + step * x for a, x in zip(arrays, d)])
                with draws.run():
                    return float(np.sum(f(*moved)))
            numeric = (at(eps) - at(-eps)) / (2 * eps)
            analytic = float(sum(np.sum(g * x) for g, x in zip(garrays, d)))
            error = abs(analytic - numeric)
            rows.append((k, analytic, numeric, error))
            if not error <= atol + rtol * max(abs(numeric), abs(analytic)):
                raise GradientCheckError(
                    f"gradient check failed for {getattr(f, '__name__', f)} argument {k}: "
                    f"analytic {analytic!r} vs numeric {numeric!r} (error {error:.3e})",
                    GradientReport(rows))
    return GradientReport(rows)
