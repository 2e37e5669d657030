"""Sample calls for every rule in the registry (used by tests/test_rules.py).

`SPECS[rule name]` lists calls written as source text over named inputs; an
input is a shape (standard normal values; `()` is a Python float) or
`(domain, shape)` with a domain from `DOMAINS`. Differentiable rules need two
calls or more (two shapes, broadcasting, axis variants); zero-derivative rules
one. `METHOD_SPECS` does the same for array methods and attributes (`x.sum()`,
`x.T`), which the registry keeps under the method name.
"""
import numpy as np


class Case:
    """One sample call: `expr` over `inputs`; `wrt` the inputs to differentiate."""

    def __init__(self, expr, wrt=None, use=None, rtol=1e-4, eps=1e-6, **inputs):
        self.expr = expr
        self.inputs = inputs
        self.wrt = list(inputs) if wrt is None else list(wrt)
        self.use = use            # for tuple/list outputs: which items feed the loss
        self.rtol = rtol
        self.eps = eps            # finite-difference step (larger for float32 values)

    def __repr__(self):
        shapes = ", ".join(f"{k}{_shape(v)}" for k, v in self.inputs.items())
        return f"{self.expr} [{shapes}]"


def _shape(spec):
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        return f":{spec[0]}{tuple(spec[1])}"
    return str(tuple(spec))


def c(expr, **kw):
    return Case(expr, **kw)


# ----- input domains -----


def _spd(rng, shape):
    n = shape[-1]
    b = rng.standard_normal(shape)
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


DOMAINS = {
    "n": lambda rng, s: rng.standard_normal(s),
    "pos": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.8, 0.8, s),
    "gt1": lambda rng, s: rng.uniform(1.2, 3.0, s),
    "nz": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s),
    "spd": _spd,
    "mat": lambda rng, s: rng.standard_normal(s) + s[-1] * np.eye(s[-1]),
    "sorted": lambda rng, s: np.sort(rng.uniform(0.1, 2.0, s), axis=-1),
    "singular": lambda rng, s: _singular(rng, s),
}


def _singular(rng, shape):
    """Matrices of rank n - 1: the last row the sum of the others."""
    x = rng.standard_normal(shape)
    x[..., -1, :] = np.sum(x[..., :-1, :], axis=-2)
    return x


def sample(spec, rng):
    domain, shape = spec if (isinstance(spec, tuple) and spec and isinstance(spec[0], str)) \
        else ("n", spec)
    shape = tuple(shape)
    value = DOMAINS[domain](rng, shape)
    return float(value) if shape == () else value


# ----- differentiable NumPy functions -----

UNARY = {  # function -> domain
    "exp": "n", "exp2": "n", "expm1": "n", "log": "pos", "log1p": "pos", "log2": "pos",
    "log10": "pos", "sqrt": "pos", "cbrt": "nz", "square": "n", "reciprocal": "nz",
    "absolute": "nz", "fabs": "nz", "negative": "n", "positive": "n", "sin": "n", "cos": "n",
    "tan": "unit", "arcsin": "unit", "arccos": "unit", "arctan": "n", "deg2rad": "n",
    "radians": "n", "rad2deg": "n", "degrees": "n", "sinc": "n", "sinh": "n", "cosh": "n",
    "tanh": "n", "arcsinh": "n", "arccosh": "gt1", "arctanh": "unit", "copy": "n",
    "float64": "n",
}
BINARY = {  # function -> (domain of x, domain of y)
    "add": ("n", "n"), "subtract": ("n", "n"), "multiply": ("n", "n"), "divide": ("n", "nz"),
    "power": ("pos", "n"), "float_power": ("pos", "n"), "remainder": ("pos", "pos"),
    "fmod": ("pos", "pos"), "arctan2": ("n", "nz"), "hypot": ("nz", "nz"),
    "logaddexp": ("n", "n"), "logaddexp2": ("n", "n"), "maximum": ("n", "n"),
    "minimum": ("n", "n"), "fmax": ("n", "n"), "fmin": ("n", "n"),
}

SPECS = {}
for _fn, _dom in UNARY.items():
    SPECS[f"numpy.{_fn}"] = [c(f"np.{_fn}(x)", x=(_dom, (3,))), c(f"np.{_fn}(x)", x=(_dom, (2, 3))),
                             c(f"np.{_fn}(x)", x=(_dom, ()))]
for _fn, (_dx, _dy) in BINARY.items():
    SPECS[f"numpy.{_fn}"] = [c(f"np.{_fn}(x, y)", x=(_dx, (3,)), y=(_dy, (3,))),
                             c(f"np.{_fn}(x, y)", x=(_dx, (2, 3)), y=(_dy, (3,))),
                             c(f"np.{_fn}(x, y)", x=(_dx, (2, 1)), y=(_dy, ())),
                             c(f"np.{_fn}(x, 1.5)", x=(_dx, (4,)))]
SPECS["numpy.float64"] = [c("np.float64(x)", x=()), c("np.float64(x)", x=(3,))]
SPECS["numpy.float32"] = [c("np.float64(np.float32(x))", x=(), rtol=1e-3, eps=1e-2),
                          c("np.float32(x) * 1.0", x=(2, 2), rtol=1e-2, eps=1e-2)]

SPECS.update({
    # ----- selections -----
    "numpy.clip": [c("np.clip(x, lo, hi)", x=(5,), lo=(5,), hi=("pos", (5,))),
                   c("np.clip(x, -0.5, 0.5)", x=(3, 4)),
                   c("np.clip(x, lo, 1.0)", x=(2, 3), lo=(3,)),
                   c("np.clip(x, None, hi)", x=(2, 3), hi=(2, 1))],
    "numpy.where": [c("np.where(x > 0, x, y)", x=(4,), y=(4,)),
                    c("np.where(x > 0, x, y)", x=(2, 3), y=(3,)),
                    c("np.where(x > 0, x, 0.0)", x=(3, 2))],
    # ----- reductions -----
    "numpy.sum": [c("np.sum(x)", x=(3,)), c("np.sum(x, axis=0)", x=(2, 3)),
                  c("np.sum(x, axis=-1, keepdims=True)", x=(2, 3)),
                  c("np.sum(x, axis=(0, 2))", x=(2, 3, 2)), c("np.sum(x, 1)", x=(2, 3))],
    "numpy.mean": [c("np.mean(x)", x=(3,)), c("np.mean(x, axis=1)", x=(2, 3)),
                   c("np.mean(x, axis=(0, 1), keepdims=True)", x=(2, 3, 2))],
    "numpy.prod": [c("np.prod(x)", x=(4,)), c("np.prod(x, axis=0)", x=(3, 2)),
                   c("np.prod(x, axis=1, keepdims=True)", x=(2, 3)),
                   c("np.prod(x * m)", x=(4,), m=(4,), wrt=["x"])],
    "numpy.max": [c("np.max(x)", x=(5,)), c("np.max(x, axis=0)", x=(3, 4)),
                  c("np.max(x, axis=1, keepdims=True)", x=(3, 4)),
                  c("np.max(x, axis=(0, 2))", x=(2, 3, 2))],
    "numpy.amax": [c("np.amax(x)", x=(5,)), c("np.amax(x, axis=-1)", x=(3, 4))],
    "numpy.min": [c("np.min(x)", x=(5,)), c("np.min(x, axis=0)", x=(3, 4)),
                  c("np.min(x, 1, keepdims=True)", x=(3, 4))],
    "numpy.amin": [c("np.amin(x)", x=(5,)), c("np.amin(x, axis=0)", x=(3, 4))],
    "numpy.var": [c("np.var(x)", x=(5,)), c("np.var(x, axis=0)", x=(4, 3)),
                  c("np.var(x, axis=1, ddof=1, keepdims=True)", x=(3, 4))],
    "numpy.std": [c("np.std(x)", x=(5,)), c("np.std(x, axis=0, ddof=1)", x=(4, 3)),
                  c("np.std(x, axis=(0, 1), keepdims=True)", x=(3, 4, 2))],
    "numpy.cumsum": [c("np.cumsum(x)", x=(5,)), c("np.cumsum(x, axis=0)", x=(3, 4)),
                     c("np.cumsum(x)", x=(2, 3)), c("np.cumsum(x, axis=-1)", x=(2, 3))],
    "numpy.cumprod": [c("np.cumprod(x)", x=(5,)), c("np.cumprod(x, axis=1)", x=(3, 4)),
                      c("np.cumprod(x * m)", x=(2, 3), m=(2, 3), wrt=["x"])],
    "numpy.linalg.norm": [
        c("np.linalg.norm(x)", x=(5,)), c("np.linalg.norm(x)", x=(3, 4)),
        c("np.linalg.norm(x, 1)", x=("nz", (5,))), c("np.linalg.norm(x, np.inf)", x=(5,)),
        c("np.linalg.norm(x, -np.inf)", x=(5,)), c("np.linalg.norm(x, 3)", x=("nz", (4,))),
        c("np.linalg.norm(x, ord=0.5)", x=("nz", (4,))),
        c("np.linalg.norm(x, axis=1)", x=(3, 4)),
        c("np.linalg.norm(x, axis=0, keepdims=True)", x=(3, 4)),
        c("np.linalg.norm(x, 'fro')", x=(3, 4)), c("np.linalg.norm(x, 'nuc')", x=(3, 4)),
        c("np.linalg.norm(x, 2)", x=(3, 4)), c("np.linalg.norm(x, -2)", x=(4, 3)),
        c("np.linalg.norm(x, 1)", x=("nz", (3, 4))), c("np.linalg.norm(x, -1)", x=("nz", (3, 4))),
        c("np.linalg.norm(x, np.inf)", x=("nz", (3, 4))),
        c("np.linalg.norm(x, -np.inf)", x=("nz", (3, 4))),
        c("np.linalg.norm(x, 'fro', axis=(1, 2))", x=(2, 3, 4)),
        c("np.linalg.norm(x, 2, axis=(0, 2))", x=(3, 2, 4)),
        c("np.linalg.norm(x, 0)", x=(5,))],
    "numpy.trace": [c("np.trace(x)", x=(3, 3)), c("np.trace(x, 1)", x=(3, 4)),
                    c("np.trace(x, axis1=1, axis2=2)", x=(2, 3, 3)),
                    c("np.trace(x, -1, 0, 2)", x=(3, 2, 4))],
    "numpy.diff": [c("np.diff(x)", x=(5,)), c("np.diff(x, 2, axis=0)", x=(5, 3)),
                   c("np.diff(x, axis=0)", x=(3, 2)), c("np.diff(x, prepend=0.5)", x=(4,)),
                   c("np.diff(x, 2, axis=0, prepend=np.ones((2, 3)), append=0.0)", x=(4, 3)),
                   c("np.diff(x, 0, prepend=1.0)", x=(3,))],
    "numpy.sort": [c("np.sort(x)", x=(5,)), c("np.sort(x, axis=0)", x=(4, 3)),
                   c("np.sort(x, axis=None)", x=(2, 3))],
    # ----- shape operations -----
    "numpy.reshape": [c("np.reshape(x, (3, 2))", x=(6,)), c("np.reshape(x, -1)", x=(2, 3)),
                      c("np.reshape(x, (2, 6), order='F')", x=(3, 4))],
    "numpy.ravel": [c("np.ravel(x)", x=(2, 3)), c("np.ravel(x, order='F')", x=(3, 2, 2))],
    "numpy.transpose": [c("np.transpose(x)", x=(2, 3)), c("np.transpose(x, (1, 2, 0))", x=(2, 3, 4)),
                        c("np.transpose(x, axes=[2, 0, 1])", x=(2, 3, 4)),
                        c("np.transpose(x, (-1, 0, 1))", x=(2, 3, 4))],
    "numpy.swapaxes": [c("np.swapaxes(x, 0, 1)", x=(2, 3)), c("np.swapaxes(x, 0, -1)", x=(2, 3, 4))],
    "numpy.moveaxis": [c("np.moveaxis(x, 0, -1)", x=(2, 3, 4)),
                       c("np.moveaxis(x, [0, 1], [2, 0])", x=(2, 3, 4))],
    "numpy.expand_dims": [c("np.expand_dims(x, 0)", x=(3,)), c("np.expand_dims(x, axis=-1)", x=(2, 3))],
    "numpy.squeeze": [c("np.squeeze(x)", x=(1, 3, 1)), c("np.squeeze(x, axis=0)", x=(1, 2, 3))],
    "numpy.atleast_1d": [c("np.atleast_1d(x)", x=()), c("np.atleast_1d(x)", x=(2, 3))],
    "numpy.atleast_2d": [c("np.atleast_2d(x)", x=(3,)), c("np.atleast_2d(x)", x=(2, 3))],
    "numpy.atleast_3d": [c("np.atleast_3d(x)", x=(3,)), c("np.atleast_3d(x)", x=(2, 3))],
    "numpy.full": [c("np.full(3, s)", s=()), c("np.full((2, 3), x)", x=(3,)),
                   c("np.full((2, 2), s, dtype=int) * x", wrt=["x"], s=(), x=(2,))],
    "numpy.full_like": [c("np.full_like(y, s)", wrt=["s"], s=(), y=(3,)),
                        c("np.full_like(y, x)", wrt=["x"], x=(3,), y=(2, 3))],
    "numpy.linspace": [c("np.linspace(a, b, 5)", a=(), b=()),
                       c("np.linspace(a, b, 4, endpoint=False, axis=-1)", a=(3,), b=(2, 3)),
                       c("np.linspace(a, b, 3, axis=1)", a=(2,), b=())],
    "numpy.logspace": [c("np.logspace(a, b, 5)", a=("unit", ()), b=("unit", ())),
                       c("np.logspace(a, b, 3, base=2.0, axis=1)", a=("unit", (2,)),
                         b=("unit", (2,)))],
    "numpy.geomspace": [c("np.geomspace(a, b, 5)", a=("pos", ()), b=("pos", ())),
                        c("np.geomspace(a, b, 3, endpoint=False)", a=("pos", (2,)),
                          b=("pos", (2,)))],
    "numpy.arange": [c("np.arange(s, 3.0, 0.5)", s=("unit", ())),
                     c("np.arange(s) * 2.0 + np.arange(s, 4.0, 2.0)", s=("gt1", ()))],
    "numpy.broadcast_to": [c("np.broadcast_to(x, (2, 3))", x=(3,)),
                           c("np.broadcast_to(x, (4, 2, 3))", x=(2, 1))],
    "numpy.tile": [c("np.tile(x, 2)", x=(3,)), c("np.tile(x, (2, 1, 2))", x=(2, 3)),
                   c("np.tile(x, (3,))", x=(2, 2))],
    "numpy.repeat": [c("np.repeat(x, 2)", x=(2, 3)), c("np.repeat(x, [1, 0, 2], axis=1)", x=(2, 3)),
                     c("np.repeat(x, 3, axis=0)", x=(2, 2))],
    "numpy.flip": [c("np.flip(x)", x=(2, 3)), c("np.flip(x, axis=1)", x=(2, 3)),
                   c("np.flip(x, (0, 2))", x=(2, 3, 2))],
    "numpy.fliplr": [c("np.fliplr(x)", x=(2, 3)), c("np.fliplr(x)", x=(3, 2, 2))],
    "numpy.flipud": [c("np.flipud(x)", x=(4,)), c("np.flipud(x)", x=(3, 2))],
    "numpy.roll": [c("np.roll(x, 2)", x=(5,)), c("np.roll(x, -1, axis=1)", x=(2, 3)),
                   c("np.roll(x, (1, 2), axis=(0, 1))", x=(3, 4)), c("np.roll(x, 3)", x=(2, 3))],
    "numpy.pad": [c("np.pad(x, 1)", x=(3,)), c("np.pad(x, ((1, 2), (0, 1)))", x=(2, 3)),
                  c("np.pad(x, (2, 1), mode='constant', constant_values=3.0)", x=(2, 2)),
                  c("np.pad(x, 2, mode='reflect')", x=(4,)),
                  c("np.pad(x, ((1, 2), (2, 1)), mode='symmetric')", x=(3, 3)),
                  c("np.pad(x, (1, 3), mode='edge')", x=(2, 3)),
                  c("np.pad(x, (3, 2), mode='wrap')", x=(2,))],
    "numpy.diag": [c("np.diag(x)", x=(3,)), c("np.diag(x, 1)", x=(3,)), c("np.diag(x)", x=(3, 3)),
                   c("np.diag(x, -1)", x=(3, 4))],
    "numpy.diagonal": [c("np.diagonal(x)", x=(3, 3)), c("np.diagonal(x, 1)", x=(3, 4)),
                       c("np.diagonal(x, 0, 1, 2)", x=(2, 3, 3))],
    "numpy.triu": [c("np.triu(x)", x=(3, 3)), c("np.triu(x, 1)", x=(2, 3, 4))],
    "numpy.tril": [c("np.tril(x)", x=(3, 3)), c("np.tril(x, -1)", x=(2, 4, 3))],
    "numpy.take": [c("np.take(x, [0, 2, 2])", x=(4,)), c("np.take(x, [1, 0, 1], axis=1)", x=(2, 3)),
                   c("np.take(x, [[0, 1], [1, 1]], axis=0)", x=(3, 2)),
                   c("np.take(x, [1, 7, -1], mode='wrap')", x=(5,)),
                   c("np.take(x, [1, 9, -3], axis=1, mode='clip')", x=(2, 4))],
    "numpy.concatenate": [c("np.concatenate([x, y])", x=(2,), y=(3,)),
                          c("np.concatenate([x, y, x], axis=1)", x=(2, 1), y=(2, 3)),
                          c("np.concatenate((x, y), axis=None)", x=(2, 2), y=(3,))],
    "numpy.stack": [c("np.stack([x, y])", x=(3,), y=(3,)),
                    c("np.stack([x, y, x], axis=-1)", x=(2, 3), y=(2, 3)),
                    c("np.stack([x, y])", x=(), y=())],
    "numpy.hstack": [c("np.hstack([x, y])", x=(2,), y=(3,)),
                     c("np.hstack([x, y])", x=(2, 1), y=(2, 3))],
    "numpy.column_stack": [c("np.column_stack([x, y])", x=(3,), y=(3,)),
                           c("np.column_stack((x, y, x))", x=(2,), y=(2, 3))],
    "numpy.append": [c("np.append(x, y)", x=(2, 2), y=(3,)),
                     c("np.append(x, y, axis=0)", x=(2, 3), y=(1, 3)),
                     c("np.append(x, [y, 2.0 * y])", x=(3,), y=()),
                     c("np.append(x, y, axis=1)", x=(2, 1), y=(2, 2))],
    "numpy.vstack": [c("np.vstack([x, y])", x=(3,), y=(3,)),
                     c("np.vstack([x, y])", x=(1, 3), y=(2, 3))],
    "numpy.split": [c("np.split(x, 2)", x=(4,)), c("np.split(x, [1, 3], axis=1)", x=(2, 4)),
                    c("np.split(x, 3, axis=0)", x=(3, 2), use=[1])],
    "numpy.array_split": [c("np.array_split(x, 2)", x=(5,)),
                          c("np.array_split(x, 3, axis=1)", x=(2, 4), use=[0, 2])],
    "numpy.array": [c("np.array([x, y])", x=(3,), y=(3,)), c("np.array(x)", x=(2, 3)),
                    c("np.array([[x, y], [y, x]])", x=(), y=())],
    "numpy.asarray": [c("np.asarray(x)", x=(3,)), c("np.asarray([x, y])", x=(2,), y=(2,))],
    # ----- products -----
    "numpy.dot": [c("np.dot(x, y)", x=(3,), y=(3,)), c("np.dot(x, y)", x=(2, 3), y=(3, 4)),
                  c("np.dot(x, y)", x=(2, 3), y=(3,)), c("np.dot(x, y)", x=(3,), y=(3, 2)),
                  c("np.dot(x, y)", x=(), y=(2, 3)), c("np.dot(x, y)", x=(2, 2, 3), y=(4, 3, 2))],
    "numpy.matmul": [c("np.matmul(x, y)", x=(2, 3), y=(3, 4)), c("np.matmul(x, y)", x=(3,), y=(3,)),
                     c("np.matmul(x, y)", x=(5, 2, 3), y=(3, 4)),
                     c("np.matmul(x, y)", x=(2, 3), y=(3,))],
    "numpy.inner": [c("np.inner(x, y)", x=(3,), y=(3,)), c("np.inner(x, y)", x=(2, 3), y=(4, 3)),
                    c("np.inner(x, y)", x=(), y=(2, 2))],
    "numpy.vdot": [c("np.vdot(x, y)", x=(3,), y=(3,)), c("np.vdot(x, y)", x=(2, 3), y=(6,))],
    "numpy.outer": [c("np.outer(x, y)", x=(3,), y=(2,)), c("np.outer(x, y)", x=(2, 2), y=(3,))],
    "numpy.cross": [c("np.cross(x, y)", x=(3,), y=(3,)), c("np.cross(x, y)", x=(4, 3), y=(3,)),
                    c("np.cross(x, y, axis=0)", x=(3, 2), y=(3, 2)),
                    c("np.cross(x, y, axisa=0, axisc=0)", x=(3, 4), y=(4, 3))],
    "numpy.convolve": [c("np.convolve(x, y)", x=(5,), y=(3,)),
                       c("np.convolve(x, y, 'same')", x=(4,), y=(3,)),
                       c("np.convolve(x, y, 'same')", x=(2,), y=(5,)),
                       c("np.convolve(x, y, mode='valid')", x=(6,), y=(3,)),
                       c("np.convolve(x, y, 'valid')", x=(3,), y=(5,)),
                       c("np.convolve(x, y, 1)", x=(5,), y=(2,)),
                       c("np.convolve(x, y)", x=(), y=(3,))],
    "numpy.tensordot": [c("np.tensordot(x, y)", x=(2, 3, 4), y=(3, 4, 2)),
                        c("np.tensordot(x, y, axes=1)", x=(2, 3), y=(3, 4)),
                        c("np.tensordot(x, y, axes=([0, 2], [1, 0]))", x=(2, 3, 4), y=(4, 2, 5)),
                        c("np.tensordot(x, y, 0)", x=(2,), y=(3,))],
    "numpy.einsum": [c("np.einsum('ij,jk->ik', x, y)", x=(2, 3), y=(3, 4)),
                     c("np.einsum('ij,j', x, y)", x=(2, 3), y=(3,)),
                     c("np.einsum('bij,bjk->bik', x, y)", x=(2, 2, 3), y=(2, 3, 2)),
                     c("np.einsum('ij,k->ik', x, y)", x=(2, 3), y=(4,)),
                     c("np.einsum('i,i->', x, y)", x=(4,), y=(4,)),
                     c("np.einsum('ii,i->i', x, y)", x=(3, 3), y=(3,)),
                     c("np.einsum('ij,jk', x, y, optimize=True)", x=(2, 3), y=(3, 2))],
    "srcad.runtime.listed": [c("rt.listed(x)", x=(3, 2)), c("rt.listed(x)", x=(3,))],
    "srcad.runtime.tupled": [c("rt.tupled(x)", x=(2, 3)), c("rt.tupled(list(x))", x=(3,))],
    "srcad.runtime.unlisted": [c("rt.unlisted(list(g), x)", g=(2, 3), x=(2, 3), wrt=["g"]),
                               c("rt.unlisted(tuple(g), tuple(x))", g=(3,), x=(3,),
                                 wrt=["g"])],
    "srcad.runtime.transposed": [c("np.array(rt.transposed(x))", x=(3, 2)),
                                 c("np.array(rt.transposed([tuple(r) for r in x]))", x=(2, 3)),
                                 c("np.array(rt.transposed([x[0], x[1, :2]]))", x=(2, 3))],
    "srcad.runtime.untransposed": [c("rt.untransposed(rt.transposed(g), x)", g=(3, 2),
                                     x=(3, 2), wrt=["g"]),
                                   c("rt.untransposed(rt.transposed(list(g)), list(x))",
                                     g=(2, 3), x=(2, 3), wrt=["g"])],
    "srcad.runtime.einsum_one": [c("rt.einsum_one('ii->i', x)", x=(3, 3)),
                                 c("rt.einsum_one('ij->', x)", x=(2, 3)),
                                 c("rt.einsum_one('iji->j', x)", x=(2, 3, 2))],
    "numpy.kron": [c("np.kron(x, y)", x=(2, 2), y=(3, 2)), c("np.kron(x, y)", x=(3,), y=(2,)),
                   c("np.kron(x, y)", x=(2,), y=(2, 3))],
    # ----- linear algebra -----
    "numpy.linalg.solve": [c("np.linalg.solve(a, b)", a=("mat", (3, 3)), b=(3,)),
                           c("np.linalg.solve(a, b)", a=("mat", (3, 3)), b=(3, 2)),
                           c("np.linalg.solve(a, b)", a=("mat", (2, 3, 3)), b=(2, 3, 2)),
                           c("np.linalg.solve(a, b)", a=("mat", (2, 3, 3)), b=(3,))],
    "numpy.matrix_power": [c("np.linalg.matrix_power(a, 3)", a=(3, 3)),
                           c("np.linalg.matrix_power(a, 1)", a=(2, 2)),
                           c("np.linalg.matrix_power(a, 0)", a=(2, 2)),
                           c("np.linalg.matrix_power(a, -2)", a=("mat", (3, 3))),
                           c("np.linalg.matrix_power(a, 2)", a=(2, 3, 3))],
    "numpy.linalg.inv": [c("np.linalg.inv(a)", a=("mat", (3, 3))),
                         c("np.linalg.inv(a)", a=("mat", (2, 2, 2)))],
    "numpy.linalg.det": [c("np.linalg.det(a)", a=("mat", (3, 3))),
                         c("np.linalg.det(a)", a=("mat", (2, 2, 2))),
                         c("np.linalg.det(a)", a=("singular", (2, 3, 3)))],
    # least squares: the solution, the residuals and the singular values, b a vector or
    # a matrix of right-hand sides
    # QR: the reduced factorisation of a tall and of a square matrix, and its R alone
    "numpy.linalg.qr": [c("np.linalg.qr(a)", a=(5, 3)), c("np.linalg.qr(a)", a=("mat", (3, 3))),
                        c("np.linalg.qr(a)", a=(4, 2), use=[1]),
                        c("np.linalg.qr(a, mode='r')", a=(5, 3))],
    "numpy.linalg.lstsq": [c("np.linalg.lstsq(a, b, rcond=None)", a=(5, 3), b=(5,),
                             use=[0, 1, 3]),
                           c("np.linalg.lstsq(a, b, rcond=None)", a=(6, 2), b=(6, 3),
                             use=[0, 1, 3]),
                           c("np.linalg.lstsq(a, b, rcond=None)", a=(3, 3), b=(3,),
                             use=[0, 3])],
    "numpy.linalg.slogdet": [c("np.linalg.slogdet(a)", a=("mat", (3, 3))),
                             c("np.linalg.slogdet(a)", a=("mat", (2, 3, 3)), use=[1])],
    "numpy.linalg.cholesky": [c("np.linalg.cholesky(a)", a=("spd", (3, 3))),
                              c("np.linalg.cholesky(a)", a=("spd", (2, 2, 2)))],
    "numpy.polyval": [c("np.polyval(p, x)", p=(4,), x=(5,)),
                      c("np.polyval(p, x)", p=(3,), x=(2, 3)),
                      c("np.polyval(p, x)", p=(1,), x=(3,)), c("np.polyval(p, 0.7)", p=(3,))],
    "numpy.trapezoid": [c("np.trapezoid(y)", y=(5,)), c("np.trapezoid(y, dx=0.3)", y=(2, 4)),
                        c("np.trapezoid(y, [0.0, 0.5, 1.5, 1.75], axis=0)", y=(4, 2)),
                        c("np.trapezoid(y, s, axis=1)", y=(2, 4), s=("sorted", (4,)),
                          wrt=["y"])],
    "numpy.gradient": [c("np.gradient(y)", y=(6,)), c("np.gradient(y, 0.3, edge_order=2)", y=(5,)),
                       c("np.gradient(y, s)", y=(6,), s=("sorted", (6,)), wrt=["y"]),
                       c("np.gradient(y, s, edge_order=2)", y=(7,), s=("sorted", (7,)),
                         wrt=["y"]),
                       c("np.gradient(y, 0.5, axis=1)", y=(3, 4)),
                       c("np.gradient(y, 0.5, 2.0)", y=(4, 3)),
                       c("np.gradient(y, axis=(1, 0), edge_order=2)", y=(3, 4)),
                       c("np.gradient(y, axis=[0, 1])", y=(3, 4)),
                       c("np.gradient(y)", y=(2,))],
    "numpy.average": [c("np.average(a)", a=(4,)),
                      c("np.average(a, axis=1, weights=w)", a=(2, 3), w=("pos", (3,)),
                        wrt=["a"]),
                      c("np.average(a, 0, w)", a=(2, 3), w=("pos", (2, 3)), wrt=["a"]),
                      c("np.average(a, axis=0, keepdims=True)", a=(3, 2))],
    # (x beyond xp's ends too: there the value is constant)
    "numpy.interp": [c("np.interp(x, [-1.0, 0.0, 0.5, 1.5], fp)", x=(6,), fp=(4,)),
                     c("np.interp(x, [-0.5, 0.5, 1.0], fp, left=-1.0, right=2.0)", x=(2, 3),
                       fp=(3,)),
                     c("np.interp(0.7, [0.0, 1.0, 2.5], fp)", fp=(3,))],
    # linear interpolation between sorted items: one q, several, along an axis, kept
    "numpy.quantile": [c("np.quantile(x, 0.3)", x=(7,), wrt=["x"]),
                       c("np.quantile(x, np.array([0.1, 0.5, 0.9]))", x=(6,), wrt=["x"]),
                       c("np.quantile(x, 0.25, axis=1)", x=(3, 5), wrt=["x"]),
                       c("np.quantile(x, 0.5, axis=0, keepdims=True)", x=(4, 3), wrt=["x"])],
    "numpy.percentile": [c("np.percentile(x, 30.0)", x=(7,), wrt=["x"]),
                         c("np.percentile(x, np.array([20.0, 80.0]), axis=0)", x=(5, 2),
                           wrt=["x"])],
    "numpy.median": [c("np.median(a)", a=(5,)), c("np.median(a)", a=(4,)),
                     c("np.median(a, axis=1)", a=(2, 4)),
                     c("np.median(a, axis=0, keepdims=True)", a=(3, 2))],
    # (eigh reads one triangle: a plain matrix checks that the other gets nothing)
    "numpy.linalg.pinv": [c("np.linalg.pinv(a)", a=(3, 3)), c("np.linalg.pinv(a)", a=(5, 3)),
                          c("np.linalg.pinv(a, rtol=1e-10)", a=(3, 4)),
                          c("np.linalg.pinv(a)", a=(2, 2, 3))],
    "numpy.linalg.multi_dot": [c("np.linalg.multi_dot([a, b, d])", a=(2, 3), b=(3, 4), d=(4, 2)),
                               c("np.linalg.multi_dot([a, b, d])", a=(3,), b=(3, 4), d=(4,))],
    "numpy.linalg.svdvals": [c("np.linalg.svdvals(a)", a=(3, 4)),
                             c("np.linalg.svdvals(a)", a=(2, 3, 3))],
    "numpy.linalg.matmul": [c("np.linalg.matmul(a, b)", a=(2, 3), b=(3, 4)),
                            c("np.linalg.matmul(a, b)", a=(2, 2, 3), b=(3,))],
    "numpy.linalg.outer": [c("np.linalg.outer(a, b)", a=(3,), b=(4,)),
                           c("np.linalg.outer(a, b)", a=(1,), b=(2,))],
    "numpy.linalg.cross": [c("np.linalg.cross(a, b)", a=(3,), b=(3,)),
                           c("np.linalg.cross(a, b, axis=0)", a=(3, 2), b=(3, 1))],
    "numpy.linalg.trace": [c("np.linalg.trace(a)", a=(3, 3)),
                           c("np.linalg.trace(a, offset=1)", a=(2, 3, 4))],
    "numpy.linalg.diagonal": [c("np.linalg.diagonal(a)", a=(3, 4)),
                              c("np.linalg.diagonal(a, offset=-1)", a=(2, 3, 3))],
    "numpy.linalg.vecdot": [c("np.linalg.vecdot(a, b)", a=(2, 3), b=(3,)),
                            c("np.linalg.vecdot(a, b, axis=0)", a=(3, 2), b=(3, 1))],
    "numpy.vecdot": [c("np.vecdot(a, b)", a=(4,), b=(4,)), c("np.vecdot(a, b)", a=(2, 3), b=(2, 3))],
    "numpy.matvec": [c("np.matvec(a, b)", a=(2, 3), b=(3,)),
                     c("np.matvec(a, b)", a=(2, 3, 4), b=(4,))],
    "numpy.vecmat": [c("np.vecmat(a, b)", a=(3,), b=(3, 2)),
                     c("np.vecmat(a, b)", a=(2, 3), b=(2, 3, 4))],
    "numpy.linalg.vector_norm": [c("np.linalg.vector_norm(a)", a=(2, 3)),
                                 c("np.linalg.vector_norm(a, axis=1, ord=1)", a=("nz", (2, 3))),
                                 c("np.linalg.vector_norm(a, axis=(0, 2), keepdims=True, ord=3)",
                                   a=(2, 3, 2))],
    "numpy.linalg.matrix_norm": [c("np.linalg.matrix_norm(a)", a=(2, 3)),
                                 c("np.linalg.matrix_norm(a, ord='nuc')", a=(2, 3, 3)),
                                 c("np.linalg.matrix_norm(a, keepdims=True, ord=2)", a=(3, 2))],
    "numpy.linalg.cond": [c("np.linalg.cond(a)", a=(3, 4)), c("np.linalg.cond(a, -2)", a=(3, 3)),
                          c("np.linalg.cond(a, 'fro')", a=("mat", (2, 3, 3))),
                          c("np.linalg.cond(a, 1)", a=("mat", (3, 3)))],
    "numpy.correlate": [c("np.correlate(a, v)", a=(6,), v=(3,)),
                        c("np.correlate(a, v, 'same')", a=(3,), v=(5,)),
                        c("np.correlate(a, v, 'full')", a=(4,), v=(4,))],
    # (np.cov and np.corrcoef: y is a constant)
    "numpy.cov": [c("np.cov(m)", m=(3, 5)), c("np.cov(m, rowvar=False)", m=(6, 2)),
                  c("np.cov(m, bias=True)", m=(7,)),
                  c("np.cov(m, y, ddof=2)", m=(2, 6), y=(6,), wrt=["m"])],
    "srcad.runtime.cov_of_pair": [c("rt.cov_of_pair(m, y)", m=(5,), y=(5,)),
                                  c("rt.cov_of_pair(m, y, False, False, 0)", m=(6, 2), y=(6, 3))],
    "srcad.runtime.corrcoef_of_pair": [c("rt.corrcoef_of_pair(x, y)", x=(5,), y=(5,)),
                                       c("rt.corrcoef_of_pair(x, y, False)", x=(7, 2), y=(7,))],
    "numpy.corrcoef": [c("np.corrcoef(x)", x=(3, 6)), c("np.corrcoef(x, rowvar=False)", x=(7, 3)),
                       c("np.corrcoef(x, y)", x=(5,), y=(5,), wrt=["x"])],
    "numpy.polyfit": [c("np.polyfit(x, y, 2)", x=("sorted", (6,)), y=(6,)),
                      c("np.polyfit(x, y, 1, w=w)", x=("sorted", (5,)), y=(5, 2),
                        w=("pos", (5,)), wrt=["x", "y"])],
    # (svd: square, tall, wide, stacked, the singular values alone; full_matrices=True of a
    # tall one: tests/test_reported.py)
    "numpy.linalg.svd": [c("np.linalg.svd(a)", a=(3, 3)),
                         c("np.linalg.svd(a, full_matrices=False)", a=(5, 3)),
                         c("np.linalg.svd(a, False)", a=(3, 4)),
                         c("np.linalg.svd(a, full_matrices=False)", a=(2, 3, 2)),
                         c("np.linalg.svd(a, compute_uv=False)", a=(3, 5))],
    "numpy.linalg.eigh": [c("np.linalg.eigh(a)", a=("spd", (3, 3))),
                          c("np.linalg.eigh(a)", a=(3, 3)),
                          c("np.linalg.eigh(a, 'U')", a=(2, 3, 3)),
                          c("np.linalg.eigh(a)", a=("spd", (3, 3)), use=[0])],
    "numpy.linalg.eigvalsh": [c("np.linalg.eigvalsh(a)", a=(3, 3)),
                              c("np.linalg.eigvalsh(a, UPLO='U')", a=("spd", (2, 3, 3)))],
    # ----- methods under their own primal -----
    "ndarray.reshape": [c("x.reshape(3, 2)", x=(6,)), c("x.reshape((2, -1))", x=(3, 2)),
                        c("x.reshape(-1)", x=(2, 2))],
    "ndarray.transpose": [c("x.transpose()", x=(2, 3)), c("x.transpose(1, 2, 0)", x=(2, 3, 4)),
                          c("x.transpose((2, 0, 1))", x=(2, 3, 4))],
    "ndarray.astype": [c("x.astype(float)", x=(3,)), c("x.astype(np.float64)", x=(2, 2))],
    "ndarray.item": [c("x.item()", x=(1,)), c("x.item(2)", x=(4,)), c("x.item(1, 0)", x=(2, 3)),
                     c("x.item((1, 2))", x=(2, 3))],
})

# ----- operators (ops.py) -----

SPECS.update({
    "operator.add": [c("x + y", x=(3,), y=(3,)), c("x + y", x=(2, 3), y=(3,)), c("x + y", x=(), y=())],
    "operator.sub": [c("x - y", x=(3,), y=(3,)), c("x - y", x=(2, 1), y=(3,)), c("x - y", x=(), y=())],
    "operator.mul": [c("x * y", x=(3,), y=(3,)), c("x * y", x=(2, 3), y=()), c("x * y", x=(), y=())],
    "operator.truediv": [c("x / y", x=(3,), y=("nz", (3,))), c("x / y", x=(2, 3), y=("nz", (2, 1))),
                         c("x / y", x=(), y=("nz", ()))],
    "operator.pow": [c("x ** y", x=("pos", (3,)), y=(3,)), c("x ** 3", x=(2, 3)),
                     c("x ** y", x=("pos", ()), y=())],
    "operator.neg": [c("-x", x=(3,)), c("-x", x=())],
    "operator.pos": [c("+x", x=(3,)), c("+x", x=())],
    "operator.matmul": [c("x @ y", x=(2, 3), y=(3, 4)), c("x @ y", x=(3,), y=(3, 2)),
                        c("x @ y", x=(2, 2, 3), y=(3,))],
    "operator.mod": [c("x % y", x=("pos", (3,)), y=("pos", (3,))), c("x % 0.7", x=(2, 3)),
                     c("x % y", x=("pos", ()), y=("pos", ()))],
})

# ----- the math module and built-ins (scalars) -----

MATH_UNARY = {
    "exp": "n", "expm1": "n", "log": "pos", "log1p": "pos", "log2": "pos", "log10": "pos",
    "sqrt": "pos", "cbrt": "nz", "exp2": "n", "sin": "n", "cos": "n", "tan": "unit",
    "asin": "unit", "acos": "unit", "atan": "n", "sinh": "n", "cosh": "n", "tanh": "n",
    "asinh": "n", "acosh": "gt1", "atanh": "unit", "fabs": "nz", "degrees": "n",
    "radians": "n", "erf": "n", "erfc": "n",
}
for _fn, _dom in MATH_UNARY.items():
    SPECS[f"math.{_fn}"] = [c(f"math.{_fn}(x)", x=(_dom, ())),
                            c(f"math.{_fn}(x) * math.{_fn}(y)", x=(_dom, ()), y=(_dom, ()))]
SPECS["math.log"].append(c("math.log(x, 3.0)", x=("pos", ())))
SPECS.update({
    "math.pow": [c("math.pow(x, y)", x=("pos", ()), y=()), c("math.pow(x, 3.0)", x=())],
    "math.atan2": [c("math.atan2(x, y)", x=(), y=("nz", ())), c("math.atan2(x, 2.0)", x=())],
    "math.hypot": [c("math.hypot(x, y)", x=("nz", ()), y=("nz", ())), c("math.hypot(x, 1.0)", x=())],
    "math.fmod": [c("math.fmod(x, y)", x=("pos", ()), y=("pos", ())), c("math.fmod(x, 0.3)", x=())],
    "math.copysign": [c("math.copysign(x, y)", x=("nz", ()), y=("nz", ()), wrt=["x"]),
                      c("math.copysign(x, -1.0)", x=("nz", ()))],
    "builtins.float": [c("float(x)", x=()), c("float(x) * y", x=(), y=())],
    "abs": [c("abs(x)", x=("nz", ())), c("abs(x)", x=("nz", (3,)))],
    "pow": [c("pow(x, y)", x=("pos", ()), y=()), c("pow(x, 2)", x=(3,))],
    "sum": [c("sum([x, y, x])", x=(3,), y=(3,)), c("sum(x)", x=(3, 2)),
            c("sum([x, y], 1.0)", x=(), y=())],
    "sorted": [c("sorted([x, y, z])", x=(), y=(), z=()), c("sorted(x, reverse=True)", x=(4,)),
               c("sorted([x, y, x * 2.0])", x=(), y=(), use=[0, 2])],
    "max": [c("max(x, y)", x=(), y=()), c("max(x, 0.0)", x=()), c("max(0.5, x)", x=())],
    "min": [c("min(x, y)", x=(), y=()), c("min(x, 0.0)", x=()), c("min(0.5, x)", x=())],
})

# ----- srcad's own runtime helpers (rules that let generated code be differentiated again) -----

SPECS.update({
    "srcad.runtime.unbroadcast": [c("rt.unbroadcast(x, y)", x=(2, 3), y=(3,), wrt=["x"]),
                                  c("rt.unbroadcast(x, y)", x=(3,), y=(3,), wrt=["x"])],
    "srcad.runtime.broadcast_like": [c("rt.broadcast_like(x, y)", x=(3,), y=(2, 3), wrt=["x"]),
                                     c("rt.broadcast_like(x, y)", x=(), y=(2,), wrt=["x"])],
    "srcad.runtime.if_floating": [c("rt.if_floating(x, y)", x=(3,), y=(3,), wrt=["x"]),
                                  c("rt.if_floating(x, y > 0)", x=(3,), y=(3,), wrt=["x"])],
    "srcad.runtime.expand_to": [c("rt.expand_to(x, y, 0)", x=(3,), y=(2, 3), wrt=["x"]),
                                c("rt.expand_to(x, y, 1, True)", x=(2, 1), y=(2, 3), wrt=["x"])],
    "srcad.runtime.add_grad": [c("rt.add_grad(x, y)", x=(3,), y=(3,)),
                               c("rt.add_grad(x, y)", x=(), y=())],
    "srcad.runtime.add_at": [c("rt.add_at(x, y, 1, z)", x=(3,), y=(3,), z=(), wrt=["x", "z"]),
                             c("rt.add_at(x, y, slice(0, 2), z)", x=(3, 2), y=(3, 2), z=(2, 2),
                               wrt=["x", "z"]),
                             # an accumulator broadcast to y's shape, an index array that
                             # repeats an element (np.add.at adds twice), z broadcast
                             c("rt.add_at(x, y, np.array([0, 2, 0]), z)", x=(), y=(3,), z=(3,),
                               wrt=["x", "z"]),
                             c("rt.add_at(x, y, 1, z)", x=(1, 2), y=(3, 2), z=(), wrt=["x", "z"])],
    # what an element write replaces (saved_item), and that value put back (restored_item):
    # a gradient's restore of a dict's, list's or array's item, differentiated again (dicts:
    # tests/test_second_order_loops.py)
    "srcad.runtime.saved_item": [c("rt.saved_item(x, 1)", x=(3,), use=[0]),
                                 c("rt.saved_item(x, slice(0, 2))", x=(3, 2), use=[0]),
                                 c("rt.saved_item([x, y], 1)", x=(2,), y=(3,), use=[0])],
    "srcad.runtime.restored_item": [c("rt.restored_item(x, 1, (z,))", x=(3,), z=()),
                                    c("rt.restored_item(x, slice(0, 2), (z,))", x=(3, 2),
                                      z=(2, 2)),
                                    c("rt.restored_item([x, y], 0, (z,))", x=(3,), y=(2,),
                                      z=(3,))],
    # a field of a named tuple that an argument holds (`layer.W` of `for layer in layers`),
    # its adjoint and its tangent (the record: a NumPy function's named tuple)
    "srcad.runtime.field": [c("rt.field(np.linalg.slogdet(x), 'logabsdet')", x=("spd", (3, 3))),
                            c("rt.field(np.linalg.eigh(x), 'eigenvalues')", x=("spd", (3, 3)))],
    "srcad.runtime.field_adjoint": [
        c("rt.field_adjoint(g, np.linalg.slogdet(np.eye(2)), 'logabsdet')", g=(), use=[1]),
        c("rt.field_adjoint(g, np.linalg.eigh(np.eye(2)), 'eigenvalues')", g=(2,), use=[0])],
    "srcad.runtime.field_tangent": [
        c("rt.field_tangent((x, y), np.linalg.slogdet(np.eye(2)), 'logabsdet')", x=(),
          y=(3,)),
        c("rt.field_tangent((x, y), np.linalg.eigh(np.eye(2)), 'eigenvectors')", x=(2,),
          y=(2, 2))],
    # the gradient's undoing of xs.insert(at, v), differentiated again
    "srcad.runtime.without_item": [c("rt.without_item([x, y, z], 1)", x=(3,), y=(2,), z=()),
                                   c("rt.without_item([x, y], 0)", x=(2, 2), y=(3,))],
    "srcad.runtime.set_at": [c("rt.set_at(x, y, 1, z)", x=(3,), y=(3,), z=(), wrt=["x", "z"]),
                             c("rt.set_at(x, y, 0, z)", x=(2, 2), y=(2, 2), z=(2,), wrt=["x", "z"]),
                             # a repeated index: only the last write NumPy keeps counts
                             c("rt.set_at(x, y, np.array([1, 1, 0]), z)", x=(3,), y=(3,),
                               z=(3,), wrt=["x", "z"])],
    # np.fill_diagonal: a scalar, a vector, a shorter vector repeated, a tall matrix, a cube
    "srcad.runtime.filled_diagonal": [c("rt.filled_diagonal(x, z)", x=(3, 3), z=(), wrt=["x", "z"]),
                                      c("rt.filled_diagonal(x, z)", x=(3, 3), z=(3,),
                                        wrt=["x", "z"]),
                                      c("rt.filled_diagonal(x, z)", x=(5, 3), z=(2,),
                                        wrt=["x", "z"]),
                                      c("rt.filled_diagonal(x, z)", x=(2, 2, 2), z=(),
                                        wrt=["x", "z"])],
    "srcad.runtime.diagonal_part": [c("rt.diagonal_part(g, z)", g=(3, 3), z=(), wrt=["g"]),
                                    c("rt.diagonal_part(g, z)", g=(5, 3), z=(2,), wrt=["g"]),
                                    c("rt.diagonal_part(g, z)", g=(2, 2, 2), z=(2,), wrt=["g"])],
    "srcad.runtime.add_adjoint": [c("rt.add_adjoint(g, x, y, True)", g=(2, 3), x=(3,), y=(2, 3),
                                    wrt=["g"]),
                                  c("rt.add_adjoint(g, x, y, False)", g=(2, 3), x=(2, 3),
                                    y=(2, 1), wrt=["g"])],
    "srcad.runtime.fresh": [c("rt.fresh(x)", x=(3,)), c("rt.fresh(s)", s=())],
    "srcad.runtime.kept": [c("rt.kept(x)", x=(3,)), c("rt.kept(s)", s=())],
    "srcad.runtime.add_tangent": [c("rt.add_tangent(t, u, x, y)", t=(2, 3), u=(2, 3), x=(2, 3),
                                    y=(2, 3), wrt=["t", "u"]),
                                  c("rt.add_tangent(t, u, x, y)", t=(3,), u=(2, 3), x=(3,),
                                    y=(2, 3), wrt=["t", "u"])],
    "srcad.runtime.mul_tangent": [c("rt.mul_tangent(t, u, x, y, z)", t=(3,), u=(2, 3), x=(3,),
                                    y=(2, 3), z=(2, 3), wrt=["t", "u", "x", "y"]),
                                  c("rt.mul_tangent(t, u, x, y, z)", t=(), u=(2,), x=(),
                                    y=(2,), z=(2,), wrt=["t", "u", "x", "y"])],
    "srcad.runtime.mul_adjoint": [c("rt.mul_adjoint(g, x, y, True)", g=(2, 3), x=(3,), y=(2, 3)),
                                  c("rt.mul_adjoint(g, x, y, False)", g=(2, 3), x=(2, 3),
                                    y=(2, 1))],
    "srcad.runtime.sum_adjoint": [c("rt.sum_adjoint(g, x)", g=(3,), x=(2, 3), wrt=["g"]),
                                  c("rt.sum_adjoint(g, [x, y])", g=(), x=(), y=(), wrt=["g"])],
    "srcad.runtime.power_slope": [c("rt.power_slope(x, y)", x=("pos", (3,)), y=(3,)),
                                  c("rt.power_slope(x, y, 2)", x=("pos", (2, 3)), y=()),
                                  c("rt.power_slope(x, 3.0)", x=(3,))],
    "srcad.runtime.unstack": [c("rt.unstack(x)", x=(2, 3)), c("rt.unstack(x, 1)", x=(2, 3))],
    "srcad.runtime.matmul_adjoint_x": [c("rt.matmul_adjoint_x(g, x, y)", g=(2, 4), x=(2, 3), y=(3, 4)),
                                       c("rt.matmul_adjoint_x(g, x, y)", g=(2,), x=(2, 3), y=(3,))],
    "srcad.runtime.matmul_adjoint_y": [c("rt.matmul_adjoint_y(g, x, y)", g=(2, 4), x=(2, 3), y=(3, 4)),
                                       c("rt.matmul_adjoint_y(g, x, y)", g=(2,), x=(2, 3), y=(3,))],
    # shape operations' adjoints: the forward values (x, xs) are in `wrt` too, which checks
    # that their derivative is zero
    "srcad.runtime.spread": [c("rt.spread(g, x, 0)", g=(3,), x=(2, 3)),
                             c("rt.spread(g, x)", g=(), x=(2,)),
                             c("rt.spread(g, x, 1, True)", g=(2, 1), x=(2, 3))],
    "srcad.runtime.cast_like": [c("rt.cast_like(g, x)", g=(3,), x=(3,)),
                                c("rt.cast_like(g, x)", g=(), x=(2,))],
    "srcad.runtime.permute_axes": [c("rt.permute_axes(x, (1, 0))", x=(2, 3)),
                                   c("rt.permute_axes(x, None)", x=(2, 3, 4)),
                                   c("rt.permute_axes(x, (-1, 0, 1))", x=(2, 3, 4))],
    "srcad.runtime.unconcatenate": [c("rt.unconcatenate(g, [x, y], 0)", g=(5,), x=(2,), y=(3,)),
                                    c("rt.unconcatenate(g, [x, y], 1)", g=(2, 5), x=(2, 2),
                                      y=(2, 3)),
                                    c("rt.unconcatenate(g, [x, y], None)", g=(6,), x=(2,),
                                      y=(2, 2))],
    "srcad.runtime.unhstack": [c("rt.unhstack(g, [x, y])", g=(5,), x=(2,), y=(3,)),
                               c("rt.unhstack(g, [x, y])", g=(2, 5), x=(2, 2), y=(2, 3))],
    "srcad.runtime.unvstack": [c("rt.unvstack(g, [x, y])", g=(2, 3), x=(3,), y=(3,)),
                               c("rt.unvstack(g, [x, y])", g=(3, 2), x=(1, 2), y=(2, 2))],
    "srcad.runtime.uncolumn_stack": [c("rt.uncolumn_stack(g, [x, y])", g=(3, 2), x=(3,), y=(3,)),
                                     c("rt.uncolumn_stack(g, [x, y])", g=(2, 3), x=(2, 2),
                                       y=(2,))],
    "srcad.runtime.unstack_like": [c("rt.unstack_like(g, [x, y])", g=(2, 3), x=(3,), y=(3,)),
                                   c("rt.unstack_like(g, [x, y], 1)", g=(3, 2), x=(3,), y=(3,))],
    "srcad.runtime.unsplit": [c("rt.unsplit([g, h], [x, y], 0)", g=(2,), h=(3,), x=(2,), y=(3,)),
                              c("rt.unsplit([g, 0.0], [x, y], 1)", g=(2, 2), x=(2, 2),
                                y=(2, 1))],
    # builtin max(xs) / min(xs) of one iterable (normalised to these): as np.max / np.min
    "srcad.runtime.largest": [c("rt.largest(x)", x=(5,)), c("rt.largest([x, y, 0.5])", x=(), y=())],
    "srcad.runtime.smallest": [c("rt.smallest(x)", x=(4,)), c("rt.smallest((x, y))", x=(), y=())],
    "srcad.runtime.structured": [c("rt.structured(g, [s, t])", g=(2,), s=(), t=(), wrt=["g"]),
                                 c("rt.structured(g, (x, y))", g=(2, 3), x=(3,), y=(3,),
                                   wrt=["g"])],
    "srcad.runtime.unarray": [c("rt.unarray(g, [x, y])", g=(2, 3), x=(3,), y=(3,)),
                              c("rt.unarray(g, x)", g=(2, 2), x=(4,)),
                              c("rt.unarray(g, [s, t])", g=(2,), s=(), t=())],
    "srcad.runtime.untile": [c("rt.untile(g, x, 2)", g=(6,), x=(3,)),
                             c("rt.untile(g, x, (2, 1))", g=(4, 3), x=(2, 3))],
    "srcad.runtime.unrepeat": [c("rt.unrepeat(g, x, 2)", g=(6,), x=(3,)),
                               c("rt.unrepeat(g, x, 2, 0)", g=(4, 3), x=(2, 3))],
    "srcad.runtime.unpad": [c("rt.unpad(g, x, 1)", g=(5,), x=(3,)),
                            c("rt.unpad(g, x, ((1, 0), (0, 2)))", g=(3, 5), x=(2, 3)),
                            c("rt.unpad(g, x, 2, 'reflect')", g=(7,), x=(3,))],
    "srcad.runtime.diagonal_adjoint": [c("rt.diagonal_adjoint(g, x)", g=(3,), x=(3, 3)),
                                       c("rt.diagonal_adjoint(g, x, 1)", g=(3,), x=(3, 4))],
    "srcad.runtime.diag_adjoint": [c("rt.diag_adjoint(g, x)", g=(3, 3), x=(3,)),
                                   c("rt.diag_adjoint(g, x, 1)", g=(3,), x=(3, 4))],
    "srcad.runtime.trace_adjoint": [c("rt.trace_adjoint(g, x)", g=(), x=(3, 3)),
                                    c("rt.trace_adjoint(g, x, 1)", g=(), x=(2, 3))],
    "srcad.runtime.take_adjoint": [c("rt.take_adjoint(g, x, [0, 2, 2])", g=(3,), x=(3,)),
                                   c("rt.take_adjoint(g, x, [1, 1], 1)", g=(2, 2), x=(2, 3)),
                                   c("rt.take_adjoint(g, x, [4, -1], 1, 'wrap')", g=(2, 2),
                                     x=(2, 3))],
    "srcad.runtime.sorted_adjoint": [c("np.stack(rt.sorted_adjoint(list(g), list(x)))", g=(4,), x=(4,)),
                                     c("np.stack(rt.sorted_adjoint(list(g), list(x), None, True))",
                                       g=(3,), x=(3,))],
    "srcad.runtime.sort_adjoint": [c("rt.sort_adjoint(g, x)", g=(4,), x=(4,)),
                                   c("rt.sort_adjoint(g, x, 0)", g=(3, 2), x=(3, 2)),
                                   c("rt.sort_adjoint(g, x, None)", g=(6,), x=(2, 3))],
    "srcad.runtime.gradient_adjoint": [c("rt.gradient_adjoint(g, x)", g=(5,), x=(5,),
                                         wrt=["g"]),
                                       c("rt.gradient_adjoint(g, x, (0.3,), 0, 2)", g=(4, 2),
                                         x=(4, 2), wrt=["g"])],
    "srcad.runtime.diff_adjoint": [c("rt.diff_adjoint(g)", g=(3,)),
                                   c("rt.diff_adjoint(g, 2, 0)", g=(2, 3))],
    "srcad.runtime.unitem": [c("rt.unitem(g, x)", g=(), x=(1, 1)),
                             c("rt.unitem(g, x, (1,))", g=(), x=(3,))],
    "srcad.runtime.cumsum_adjoint": [c("rt.cumsum_adjoint(g, x)", g=(4,), x=(4,)),
                                     c("rt.cumsum_adjoint(g, x, 1)", g=(2, 3), x=(2, 3))],
    # products' adjoints: bilinear in the adjoint g and the other factor
    "srcad.runtime.tensordot_adjoint_a": [
        c("rt.tensordot_adjoint_a(g, a, b, 1)", g=(2, 4), a=(2, 3), b=(3, 4)),
        c("rt.tensordot_adjoint_a(g, a, b, ([0], [1]))", g=(3, 4), a=(2, 3), b=(4, 2))],
    "srcad.runtime.tensordot_adjoint_b": [
        c("rt.tensordot_adjoint_b(g, a, b, 1)", g=(2, 4), a=(2, 3), b=(3, 4)),
        c("rt.tensordot_adjoint_b(g, a, b, ([0], [1]))", g=(3, 4), a=(2, 3), b=(4, 2))],
    "srcad.runtime.product_adjoint_a": [
        c("rt.product_adjoint_a(g, a, b, rt.dot_axes(a, b))", g=(2,), a=(2, 3), b=(3,)),
        c("rt.product_adjoint_a(g, a, b, rt.inner_axes(a, b))", g=(2, 4), a=(2, 3), b=(4, 3)),
        c("rt.product_adjoint_a(g, a, b, rt.dot_axes(a, b))", g=(3,), a=(), b=(3,))],
    "srcad.runtime.product_adjoint_b": [
        c("rt.product_adjoint_b(g, a, b, rt.dot_axes(a, b))", g=(2,), a=(2, 3), b=(3,)),
        c("rt.product_adjoint_b(g, a, b, rt.inner_axes(a, b))", g=(2, 4), a=(2, 3), b=(4, 3)),
        c("rt.product_adjoint_b(g, a, b, rt.dot_axes(a, b))", g=(3,), a=(3,), b=())],
    "srcad.runtime.kron_adjoint_a": [c("rt.kron_adjoint_a(g, a, b)", g=(6,), a=(2,), b=(3,)),
                                     c("rt.kron_adjoint_a(g, a, b)", g=(4, 6), a=(2, 3),
                                       b=(2, 2))],
    "srcad.runtime.kron_adjoint_b": [c("rt.kron_adjoint_b(g, a, b)", g=(6,), a=(2,), b=(3,)),
                                     c("rt.kron_adjoint_b(g, a, b)", g=(4, 6), a=(2, 3),
                                       b=(2, 2))],
    "srcad.runtime.var_weights": [c("rt.var_weights(x)", x=(4,)),
                                  c("rt.var_weights(x, 1, 1)", x=(2, 3))],
    "srcad.runtime.einsum_adjoint": [
        c("rt.einsum_adjoint(g, 'ij,jk->ik', (a, b), 0)", g=(2, 4), a=(2, 3), b=(3, 4)),
        c("rt.einsum_adjoint(g, 'i,i->', (a, b), 1)", g=(), a=(3,), b=(3,)),
        c("rt.einsum_adjoint(g, 'ij,j', (a, b), 0)", g=(2,), a=(2, 3), b=(3,), wrt=["g", "a"])],
    "srcad.runtime.matmul_adjoint_x_sum": [
        c("rt.matmul_adjoint_x_sum([(g, y), (h, z)], x)", g=(2,), y=(3,), h=(2,), z=(3,),
          x=(2, 3)),
        c("rt.matmul_adjoint_x_sum([(g, y), (h, z)], x)", g=(2, 4), y=(3, 4), h=(2, 4),
          z=(3, 4), x=(2, 3)),
        c("rt.matmul_adjoint_x_sum([(g, y), (h, z)], x)", g=(2,), y=(3,), h=(2,), z=(3,),
          x=(2, 3), wrt=["g", "h"])],
    "srcad.runtime.matmul_adjoint_y_sum": [
        c("rt.matmul_adjoint_y_sum([(g, x), (h, z)], y)", g=(3,), x=(2,), h=(3,), z=(2,),
          y=(2, 3)),
        c("rt.matmul_adjoint_y_sum([(g, x)], y)", g=(2, 4), x=(2, 3), y=(3, 4))],
    # the adjugate (det's derivative) everywhere, its derivatives (the inverse's) where a is
    # invertible
    "srcad.runtime.adjugate": [c("rt.adjugate(a)", a=(3, 3)), c("rt.adjugate(a)", a=(2, 4, 4)),
                               c("rt.adjugate(a)", a=("singular", (3, 3))),
                               c("rt.adjugate(a)", a=(1, 1))],
    "srcad.runtime.adjugate_tangent": [
        c("rt.adjugate_tangent(t, a)", t=(3, 3), a=("mat", (3, 3))),
        c("rt.adjugate_tangent(t, a)", t=(2, 3, 3), a=("mat", (2, 3, 3))),
        c("rt.adjugate_tangent(t, a)", t=(4, 4), a=("singular", (4, 4)))],
    "srcad.runtime.adjugate_adjoint": [
        c("rt.adjugate_adjoint(g, a)", g=(3, 3), a=("mat", (3, 3))),
        c("rt.adjugate_adjoint(g, a)", g=(2, 3, 3), a=("mat", (2, 3, 3))),
        c("rt.adjugate_adjoint(g, a)", g=(4, 4), a=("singular", (4, 4)))],
    # forward values as the gradient reads them; zeros where prod_others is exact
    "srcad.runtime.prod_others": [c("rt.prod_others(x)", x=(4,)),
                                  c("rt.prod_others(x, 1)", x=(2, 3)),
                                  c("rt.prod_others(x, (0, 2))", x=(2, 2, 3)),
                                  c("rt.prod_others(x * np.array([1.0, 0.0, 1.0, 0.0]))",
                                    x=(4,))],
    "srcad.runtime.norm_weights": [
        c("rt.norm_weights(x, n)", x=(4,), n=("pos", ())),
        c("rt.norm_weights(x, np.linalg.norm(x, 3, 1), 3, 1)", x=(2, 3)),
        c("rt.norm_weights(x, np.linalg.norm(x, -1), -1)", x=("nz", (3,))),
        c("rt.norm_weights(x, np.linalg.norm(x, 'fro'), 'fro')", x=(2, 3)),
        c("rt.norm_weights(x, n, None, (0, 1), True)", x=(2, 3), n=("pos", (1, 1))),
        c("rt.norm_weights(x, np.linalg.norm(x, 1, 0), 1, 0)", x=("nz", (3, 2)))],
    # the weights of a matrix norm of singular vectors, as they are (their singular values
    # read only, for the check that they have a derivative)
    # the weights of a p-norm, as they are (their norm read only, for the check that it is
    # not 0)
    "srcad.runtime.norm_weights_kept": [
        c("rt.norm_weights_kept(w, np.linalg.norm(a))", wrt=["w"], w=(3,), a=(3,)),
        c("rt.norm_weights_kept(w, np.linalg.norm(a, axis=1, keepdims=True))", wrt=["w"],
          w=(2, 3), a=(2, 3))],
    "srcad.runtime.singular_weights_kept": [
        c("rt.singular_weights_kept(w, np.linalg.svd(a)[1], 2)", wrt=["w"], w=(3, 3),
          a=("mat", (3, 3))),
        c("rt.singular_weights_kept(w, np.linalg.svd(a)[1], 'nuc')", wrt=["w"], w=(2, 3, 4),
          a=(2, 3, 4))],
    "srcad.runtime.cumprod_adjoint": [
        c("rt.cumprod_adjoint(g, c, x)", g=(4,), c=(4,), x=("nz", (4,))),
        c("rt.cumprod_adjoint(g, np.cumprod(x, 1), x, 1)", g=(2, 3), x=("nz", (2, 3))),
        c("rt.cumprod_adjoint(g, np.cumprod(x), x)", g=(6,), x=("nz", (2, 3)))],
})

# ----- array methods and attributes -----

METHOD_SPECS = {
    "sum": [c("x.sum()", x=(3,)), c("x.sum(axis=0)", x=(2, 3)), c("x.sum(1, keepdims=True)", x=(2, 3))],
    "mean": [c("x.mean()", x=(3,)), c("x.mean(axis=-1)", x=(2, 3))],
    "prod": [c("x.prod()", x=(3,)), c("x.prod(axis=0)", x=(2, 3))],
    "max": [c("x.max()", x=(4,)), c("x.max(axis=1)", x=(2, 3))],
    "min": [c("x.min()", x=(4,)), c("x.min(0)", x=(2, 3))],
    "var": [c("x.var()", x=(4,)), c("x.var(axis=0, ddof=1)", x=(3, 2))],
    "std": [c("x.std()", x=(4,)), c("x.std(1)", x=(3, 2))],
    "cumsum": [c("x.cumsum()", x=(4,)), c("x.cumsum(axis=1)", x=(2, 3))],
    "cumprod": [c("x.cumprod()", x=(4,)), c("x.cumprod(axis=0)", x=(2, 3))],
    "clip": [c("x.clip(-0.5, 0.5)", x=(4,)), c("x.clip(lo, hi)", x=(2, 3), lo=(3,), hi=("pos", (2, 1))),
             c("x.clip(min=-0.2)", x=(5,)), c("x.clip(min=lo, max=0.4)", x=(4,), lo=(4,))],
    "trace": [c("x.trace()", x=(3, 3)), c("x.trace(1)", x=(2, 3))],
    "reshape": [c("x.reshape(3, 2)", x=(6,)), c("x.reshape((3, 2))", x=(2, 3))],
    "ravel": [c("x.ravel()", x=(2, 3)), c("x.ravel()", x=(4,))],
    "flatten": [c("x.flatten()", x=(2, 3)), c("x.flatten()", x=(3, 1, 2))],
    "T": [c("x.T", x=(2, 3)), c("x.T", x=(2, 3, 4))],
    "transpose": [c("x.transpose()", x=(2, 3)), c("x.transpose(0, 2, 1)", x=(2, 3, 4))],
    "swapaxes": [c("x.swapaxes(0, 1)", x=(2, 3)), c("x.swapaxes(1, 2)", x=(2, 3, 4))],
    "squeeze": [c("x.squeeze()", x=(1, 3)), c("x.squeeze(0)", x=(1, 2, 1))],
    "repeat": [c("x.repeat(2)", x=(3,)), c("x.repeat(2, axis=0)", x=(2, 3))],
    "diagonal": [c("x.diagonal()", x=(3, 3)), c("x.diagonal(1)", x=(3, 4))],
    "take": [c("x.take([0, 2])", x=(3,)), c("x.take([1, 1], axis=1)", x=(2, 3))],
    "copy": [c("x.copy()", x=(3,)), c("x.copy()", x=(2, 3))],
    "astype": [c("x.astype(float)", x=(3,)), c("x.astype(np.float64)", x=(2, 3))],
    "item": [c("x.item()", x=(1, 1)), c("x.item(1)", x=(3,))],
    "dot": [c("x.dot(y)", x=(2, 3), y=(3,)), c("x.dot(y)", x=(3,), y=(3, 2))],
}

# ----- zero-derivative functions: one call each, over an active input -----

ZERO_SPECS = {
    "numpy.floor": "np.floor(x)", "numpy.ceil": "np.ceil(x)", "numpy.round": "np.round(x, 1)",
    "numpy.around": "np.around(x)", "numpy.rint": "np.rint(x)", "numpy.trunc": "np.trunc(x)",
    "numpy.fix": "np.fix(x)", "numpy.sign": "np.sign(x)", "numpy.signbit": "np.signbit(x)",
    "numpy.heaviside": "np.heaviside(x, 0.5)", "numpy.floor_divide": "np.floor_divide(x, 0.3)",
    "numpy.argmax": "np.argmax(x)", "numpy.argmin": "np.argmin(x, axis=0)",
    "numpy.argsort": "np.argsort(x)", "numpy.argwhere": "np.argwhere(x > 0)",
    "numpy.nonzero": "np.nonzero(x > 0)", "numpy.flatnonzero": "np.flatnonzero(x > 0)",
    "numpy.count_nonzero": "np.count_nonzero(x > 0)",
    "numpy.searchsorted": "np.searchsorted(np.sort(x), 0.0)",
    "numpy.digitize": "np.digitize(x, [-1.0, 0.0, 1.0])",
    "numpy.isnan": "np.isnan(x)", "numpy.isinf": "np.isinf(x)", "numpy.isfinite": "np.isfinite(x)",
    "numpy.isclose": "np.isclose(x, 0.0)", "numpy.allclose": "np.allclose(x, x)",
    "numpy.array_equal": "np.array_equal(x, x)", "numpy.less": "np.less(x, 0.0)",
    "numpy.less_equal": "np.less_equal(x, 0.0)", "numpy.greater": "np.greater(x, 0.0)",
    "numpy.greater_equal": "np.greater_equal(x, 0.0)", "numpy.equal": "np.equal(x, 0.0)",
    "numpy.not_equal": "np.not_equal(x, 0.0)",
    "numpy.logical_and": "np.logical_and(x > 0, x < 1)",
    "numpy.logical_or": "np.logical_or(x > 0, x < -1)", "numpy.logical_not": "np.logical_not(x > 0)",
    "numpy.logical_xor": "np.logical_xor(x > 0, x < 1)", "numpy.any": "np.any(x > 0)",
    "numpy.all": "np.all(x > -10)", "numpy.zeros": "np.zeros(3)", "numpy.ones": "np.ones(3)",
    "numpy.zeros_like": "np.zeros_like(x)", "numpy.ones_like": "np.ones_like(x)",
    "numpy.empty": "np.empty(0)", "numpy.empty_like": "np.empty_like(x) * 0.0",
    "numpy.eye": "np.eye(3)", "numpy.identity": "np.identity(3)", "numpy.tri": "np.tri(3)",
    "numpy.diag_indices": "np.diag_indices(3)", "numpy.tril_indices": "np.tril_indices(3)",
    "numpy.triu_indices": "np.triu_indices(3)", "numpy.indices": "np.indices((2, 2))",
    "numpy.shape": "np.shape(x)", "numpy.ndim": "np.ndim(x)", "numpy.size": "np.size(x)",
    "math.floor": "math.floor(s)", "math.ceil": "math.ceil(s)", "math.trunc": "math.trunc(s)",
    "math.isnan": "math.isnan(s)", "math.isinf": "math.isinf(s)", "math.isfinite": "math.isfinite(s)",
    "math.isclose": "math.isclose(s, 0.0)", "math.factorial": "math.factorial(3)",
    "math.comb": "math.comb(4, 2)", "math.perm": "math.perm(4, 2)", "math.gcd": "math.gcd(4, 6)",
    "builtins.bool": "bool(s > 0)", "builtins.int": "int(s)", "builtins.range": "range(3)",
    "builtins.enumerate": "enumerate(x)", "builtins.zip": "zip(x, x)",
    "builtins.reversed": "reversed(x)", "builtins.slice": "slice(0, 2)", "isinstance":
    "isinstance(x, float)", "len": "len(x)", "print": "print(end='')", "round": "round(s)",
    "builtins.type": "type(x) is np.ndarray",
    "operator.floordiv": "x // 0.3", "operator.lt": "x < 0", "operator.le": "x <= 0",
    "operator.gt": "x > 0", "operator.ge": "x >= 0", "operator.eq": "x == 0",
    "operator.ne": "x != 0", "operator.not_": "not s", "operator.is_": "x is None",
    "operator.is_not": "x is not None", "operator.contains": "1.0 in x",
    "operator.and_": "(x > 0) & (x < 1)", "operator.or_": "(x > 0) | (x < -1)",
    "operator.xor": "(x > 0) ^ (x < 1)", "operator.invert": "~(x > 0)",
    "srcad.api.stop_gradient": "stop_gradient(x)", "srcad.runtime.keys_of": "rt.keys_of({'a': x})",
    "srcad.runtime.reduced_size": "rt.reduced_size(x, 0)",
    "srcad.runtime.check_method": "rt.check_method(rt, rt, 'float_dtype')",
    "srcad.runtime.check_item_copied": "rt.check_item_copied([1.0], 1.0, 'xs', 'ys[0] += ...')",
    "srcad.runtime.check_slice_length": "rt.check_slice_length([1.0, 2.0], slice(0, 1), [s], "
                                        "'u[0:1] = ...')",
    "srcad.runtime.counted": "rt.counted(x)",
    "srcad.runtime.insertion_index": "rt.insertion_index(list(x), -1)",
    "srcad.runtime.popped_index": "rt.popped_index(list(x), -1)",
    "srcad.runtime.field_index": "rt.field_index(np.linalg.slogdet(np.eye(2)), 'logabsdet')",
    "srcad.runtime.check_reversible": "rt.check_reversible(x)",
    "srcad.runtime.check_output": "rt.check_output(s, 1.0, 'f')",
    "srcad.runtime.check_plain_operand": "rt.check_plain_operand(s, 'x', 'f')",
    "srcad.runtime.median_weights": "rt.median_weights(x)",
    "srcad.runtime.quantile_weights": "rt.quantile_weights(x, 0.3)[0]",
    "srcad.runtime.average_weights": "rt.average_weights(x)",
    "srcad.runtime.trapezoid_weights": "rt.trapezoid_weights(x)",
    "srcad.runtime.zeros_like_grad": "rt.zeros_like_grad(x)",
    "srcad.runtime.shape_only": "rt.shape_only(x)",
    "srcad.runtime.inverse_axes": "rt.inverse_axes((0,), x)",
    "srcad.runtime.method_axes": "rt.method_axes((0,))",
    "srcad.runtime.method_shape": "rt.method_shape((4,))",
    "srcad.runtime.float_dtype": "rt.float_dtype(x)", "srcad.runtime.dot_axes": "rt.dot_axes(x, x)",
    "srcad.runtime.inner_axes": "rt.inner_axes(x, x)",
    "srcad.runtime._tensordot_axes": "rt._tensordot_axes(x, x, 1)",
    "srcad.runtime.kron_shapes": "rt.kron_shapes(x, x)[2] * x",
    "srcad.runtime.check_pad_mode": "rt.check_pad_mode('constant')",
    # (it raises: called where a branch never runs, as in the programs it is made for)
    "srcad.runtime.missing_attribute": "rt.missing_attribute('numpy', 'x') if s > 1.0 else s",
    "srcad.runtime.clip_masks": "rt.clip_masks(x, -0.5, 0.5)",
    "srcad.runtime.spaced_weights": "rt.spaced_weights(s, x, 4, True, 0)",
    "numpy.issubdtype": "np.issubdtype(x.dtype, np.floating)", "numpy.bool": "np.bool_(s > 0)",
    "numpy.result_type": "np.result_type(x, 1.0)",
    "operator.truth": "operator.truth(s)",
}
ZERO_METHOD_SPECS = {
    "shape": "x.shape", "ndim": "x.ndim", "size": "x.size", "dtype": "x.dtype",
    "argmax": "x.argmax()", "argmin": "x.argmin()", "argsort": "x.argsort()",
    "nonzero": "x.nonzero()", "any": "(x > 0).any()", "all": "(x > 0).all()",
    "round": "x.round(1)", "searchsorted": "x.searchsorted(0.0)",
    "astype_int": None,   # a placeholder name in the registry, not a method of arrays
}

# ----- NaN-aware reductions, selections, shapes (twentieth session) -----


def _with_nans(rng, shape):
    """Standard normal values with a NaN at every fifth place from the second (no row or
    column of the shapes sampled here is all NaN)."""
    x = rng.standard_normal(shape)
    x.reshape(-1)[1::5] = np.nan
    return x


DOMAINS["nans"] = _with_nans

SPECS.update({
    "numpy.nansum": [c("np.nansum(x)", x=("nans", (2, 3))),
                     c("np.nansum(x, axis=0)", x=("nans", (2, 3))),
                     c("np.nansum(x, 1, keepdims=True)", x=("nans", (3, 4))),
                     c("np.nansum(x, axis=(0, 2))", x=("nans", (2, 3, 2)))],
    "numpy.nanmean": [c("np.nanmean(x)", x=("nans", (4,))),
                      c("np.nanmean(x, axis=1)", x=("nans", (3, 4))),
                      c("np.nanmean(x, 0, keepdims=True)", x=("nans", (2, 3))),
                      c("np.nanmean(x)", x=(2, 3))],
    "numpy.nanprod": [c("np.nanprod(x)", x=("nans", (4,))),
                      c("np.nanprod(x, axis=0)", x=("nans", (2, 3))),
                      c("np.nanprod(x, 1, keepdims=True)", x=(3, 2))],
    "numpy.nanmax": [c("np.nanmax(x)", x=("nans", (4,))),
                     c("np.nanmax(x, axis=1)", x=("nans", (3, 4))),
                     c("np.nanmax(x, 0, keepdims=True)", x=(2, 3))],
    "numpy.nanmin": [c("np.nanmin(x)", x=("nans", (4,))),
                     c("np.nanmin(x, axis=1)", x=("nans", (3, 4))),
                     c("np.nanmin(x, 0, keepdims=True)", x=(2, 3))],
    "numpy.nanvar": [c("np.nanvar(x)", x=("nans", (6,))),
                     c("np.nanvar(x, axis=1, ddof=1)", x=("nans", (3, 4))),
                     c("np.nanvar(x, 0, keepdims=True)", x=(3, 2))],
    "numpy.nanstd": [c("np.nanstd(x)", x=("nans", (6,))),
                     c("np.nanstd(x, axis=1, ddof=1)", x=("nans", (3, 4))),
                     c("np.nanstd(x, 0, keepdims=True)", x=(3, 2))],
    "numpy.ptp": [c("np.ptp(x)", x=(4,)), c("np.ptp(x, axis=1)", x=(2, 3)),
                  c("np.ptp(x, 0, keepdims=True)", x=(3, 2))],
    "numpy.nan_to_num": [c("np.nan_to_num(x)", x=("nans", (2, 3))),
                         c("np.nan_to_num(x, nan=1.0, posinf=2.0)", x=(4,)),
                         c("np.nan_to_num(x / y)", x=(3,), y=(3,), wrt=["x"])],
    "numpy.take_along_axis": [
        c("np.take_along_axis(x, np.array([[0, 2, 2], [1, 0, 1]]), axis=1)", x=(2, 3)),
        c("np.take_along_axis(x, np.array([3, 0, 0, -1]), axis=None)", x=(2, 2)),
        c("np.take_along_axis(x, np.argsort(x, axis=0), 0)", x=(3, 2)),
        c("np.take_along_axis(x, np.array([[1, 1], [0, 3], [2, 2]]), -1)", x=(1, 4))],
    "srcad.runtime.nan_var_weights": [c("rt.nan_var_weights(x)", x=("nans", (4,))),
                                      c("rt.nan_var_weights(x, 1, 1)", x=("nans", (3, 4)))],
    "srcad.runtime.nan_var_weights_along": [
        c("rt.nan_var_weights_along(t, x)", t=(4,), x=("nans", (4,)), wrt=["t"]),
        c("rt.nan_var_weights_along(t, x, 0, 1)", t=(3, 2), x=("nans", (3, 2)), wrt=["t"])],
    "srcad.runtime.take_along_axis_adjoint": [
        c("rt.take_along_axis_adjoint(g, x, np.array([[0, 2, 2], [1, 0, 1]]), 1)", g=(2, 3),
          x=(2, 3), wrt=["g"]),
        c("rt.take_along_axis_adjoint(g, x, np.array([3, 0, 0]), None)", g=(3,), x=(2, 2),
          wrt=["g"])],
    "numpy.select": [
        c("np.select([x > 0, x < -0.5], [x * x, np.sin(x)], 0.0)", x=(5,)),
        c("np.select([x > 0, y > 0], [x, y], default=2.0)", x=(2, 3), y=(2, 3)),
        c("np.select([x > 0.3, x > 0], [y, 2.0 * x])", x=(2, 3), y=(3,)),
        c("np.select((x > 0,), (y,))", x=(4,), y=(), wrt=["y"]),
        c("np.select([x > 0, x < -1.0], [x, y], default=z)", x=(2, 3), y=(3,), z=(2, 1)),
        c("np.select([np.abs(x) < 1.0], [x * x], 2.0 * np.abs(x) - 1.0)", x=(5,)),
        c("np.select(y > 0, x)", x=(2, 3), y=(2, 3), wrt=["x"])],
    "numpy.choose": [
        c("np.choose(np.array([0, 2, 1, 2]), [x, y, x * y])", x=(4,), y=(4,)),
        c("np.choose(np.array([[1, 0, 1], [0, 0, 1]]), (x, y))", x=(2, 3), y=(3,)),
        c("np.choose(np.array([0, 3, -1]), x, mode='wrap')", x=(3, 3)),
        c("np.choose(np.array([0, 5, 1]), [x, y], mode='clip')", x=(3,), y=())],
    "numpy.compress": [
        c("np.compress([True, False, True], x)", x=(3,)),
        c("np.compress(np.array([0, 1, 1]), x, axis=1)", x=(2, 3)),
        c("np.compress([False, True], x, axis=0)", x=(3, 2)),
        c("np.compress(np.ravel(x) > 0, x)", x=(2, 3))],
    "numpy.extract": [c("np.extract(x > 0, x)", x=(2, 3)),
                      c("np.extract(np.array([[1, 0], [0, 2]]), x * y)", x=(2, 2), y=(2,))],
    "numpy.cumulative_sum": [
        c("np.cumulative_sum(x)", x=(4,)), c("np.cumulative_sum(x, axis=1)", x=(2, 3)),
        c("np.cumulative_sum(x, axis=0, include_initial=True)", x=(3, 2)),
        c("np.cumulative_sum(x, include_initial=True)", x=(3,))],
    "numpy.cumulative_prod": [
        c("np.cumulative_prod(x)", x=(4,)), c("np.cumulative_prod(x, axis=1)", x=(2, 3)),
        c("np.cumulative_prod(x, axis=-2, include_initial=True)", x=(3, 2)),
        c("np.cumulative_prod(x * np.array([1.0, 0.0, 1.0]), include_initial=True)", x=(3,))],
    "srcad.runtime.select_adjoint": [
        c("rt.select_adjoint(g, [x > 0, x < -0.5], [x, 1.0])", g=(4,), x=(4,), wrt=["g"]),
        c("rt.select_adjoint(g, [x > 0], [np.ones(3)])", g=(2, 3), x=(2, 3), wrt=["g"])],
    "srcad.runtime.unselected": [
        c("rt.unselected(g, [x > 0, x < -0.5], 1.0)", g=(4,), x=(4,), wrt=["g"]),
        c("rt.unselected(g, [x > 0], np.ones(3))", g=(2, 3), x=(2, 3), wrt=["g"])],
    "srcad.runtime.choose_adjoint": [
        c("rt.choose_adjoint(g, np.array([0, 1, 1]), [x, 1.0])", g=(3,), x=(3,), wrt=["g"]),
        c("rt.choose_adjoint(g, np.array([2, 0]), x, 'wrap')", g=(2,), x=(2, 2), wrt=["g"])],
    "srcad.runtime.compress_adjoint": [
        c("rt.compress_adjoint(g, [True, False, True], x)", g=(2,), x=(3,), wrt=["g"]),
        c("rt.compress_adjoint(g, [0, 1], x, 0)", g=(1, 3), x=(2, 3), wrt=["g"])],
    "srcad.runtime.initial_dropped": [
        c("rt.initial_dropped(v, None, True)", v=(4,)),
        c("rt.initial_dropped(v, 1, True)", v=(2, 3)), c("rt.initial_dropped(v)", v=(3,))],
    "srcad.runtime.initial_zero": [
        c("rt.initial_zero(t, None, True)", t=(4,)),
        c("rt.initial_zero(t, -1, True)", t=(2, 3)), c("rt.initial_zero(t, 0)", t=(3,))],
    # (np.meshgrid(x, y) and np.broadcast_arrays(x, y) themselves: tests/test_reported.py)
    "numpy.meshgrid": [
        c("rt.meshgrid_of([x, y])", x=(3,), y=(2,)),
        c("rt.meshgrid_of([x, y, np.ones(2)], indexing='ij')", x=(3,), y=(2, 2)),
        c("rt.meshgrid_of([x, 2.0 * y], True, True)", x=(2,), y=(3,)),
        c("rt.meshgrid_of([x])", x=(3,))],
    "numpy.broadcast_arrays": [
        c("rt.broadcast_arrays_of([x, y])", x=(3,), y=(2, 1)),
        c("rt.broadcast_arrays_of([x, y, 2.0])", x=(), y=(2, 3)),
        c("rt.broadcast_arrays_of((x, y))", x=(1, 3), y=(2, 1))],
    "numpy.copysign": [c("np.copysign(x, y)", x=("nz", (4,)), y=("nz", (4,))),
                       c("np.copysign(x, -1.0)", x=("nz", (2, 3))),
                       c("np.copysign(x, y)", x=("nz", ()), y=(3,), wrt=["x"])],
    "numpy.ldexp": [c("np.ldexp(x, 3)", x=(4,)),
                    c("np.ldexp(x, np.array([[1], [-2]]))", x=(3,))],
    "numpy.real": [c("np.real(x)", x=(3,)), c("np.real(x * y)", x=(2, 3), y=())],
    "numpy.unwrap": [c("np.unwrap(3.0 * x)", x=(5,)),
                     c("np.unwrap(x, axis=0, period=2.0)", x=(4, 2))],
    "numpy.rot90": [c("np.rot90(x)", x=(2, 3)), c("np.rot90(x, 2)", x=(2, 3)),
                    c("np.rot90(x, -1, axes=(1, 2))", x=(2, 3, 4))],
    "srcad.runtime.unmeshgrid": [
        c("rt.unmeshgrid([g, h], np.meshgrid(x, y), [x, y])", g=(2, 3), h=(2, 3), x=(3,),
          y=(2,), wrt=["g", "h"]),
        c("rt.unmeshgrid([0.0, h], np.meshgrid(x, y, indexing='ij'), [x, y], 'ij')",
          h=(3, 2), x=(3,), y=(2,), wrt=["h"])],
    "srcad.runtime.meshgrid_tangent": [
        c("rt.meshgrid_tangent([t, u], [x, y])", t=(3,), u=(2,), x=(3,), y=(2,),
          wrt=["t", "u"]),
        c("rt.meshgrid_tangent([t, 0.0], [x, y], True, True)", t=(3,), x=(3,), y=(2,),
          wrt=["t"])],
    "srcad.runtime.unbroadcast_arrays": [
        c("rt.unbroadcast_arrays([g, h], np.broadcast_arrays(x, y), [x, y])", g=(2, 3),
          h=(2, 3), x=(3,), y=(2, 1), wrt=["g", "h"]),
        c("rt.unbroadcast_arrays([g, 0.0], np.broadcast_arrays(x, y), [x, y])", g=(2, 2),
          x=(2, 1), y=(2,), wrt=["g"])],
    "numpy.dstack": [c("np.dstack([x, y])", x=(2, 3), y=(2, 3)),
                     c("np.dstack((x, y))", x=(3,), y=(3,)),
                     c("np.dstack([x, y])", x=(2, 2, 1), y=(2, 2, 2)), c("np.dstack(x)", x=(2, 3))],
    "numpy.block": [c("np.block([x, y])", x=(2,), y=(3,)),
                    c("np.block([[a, b], [c, d]])", a=(2, 2), b=(2, 1), c=(1, 2), d=(1, 1)),
                    c("np.block([[x], [y]])", x=(3,), y=(1, 3)),
                    c("np.block([[x, 1.0]])", x=(1, 2)), c("np.block(x)", x=(2, 2))],
    "numpy.hsplit": [c("np.hsplit(x, 2)", x=(2, 4)), c("np.hsplit(x, [1])", x=(3,)),
                     c("np.hsplit(x, 3)", x=(1, 3), use=[2])],
    "numpy.vsplit": [c("np.vsplit(x, 2)", x=(4, 2)),
                     c("np.vsplit(x, [1, 2])", x=(3, 2, 2), use=[0, 2])],
    "numpy.dsplit": [c("np.dsplit(x, 2)", x=(1, 2, 4)), c("np.dsplit(x, [1])", x=(2, 1, 3))],
    "numpy.delete": [c("np.delete(x, 1)", x=(4,)), c("np.delete(x, [0, 2], axis=1)", x=(2, 3)),
                     c("np.delete(x, slice(0, 2), 0)", x=(3, 2)),
                     c("np.delete(x, [3, 0])", x=(2, 2))],
    "numpy.insert": [c("np.insert(x, 1, y)", x=(4,), y=()),
                     c("np.insert(x, 2, y, axis=0)", x=(3, 2), y=(2,)),
                     c("np.insert(x, [0, 0, 2], y)", x=(2, 2), y=(3,)),
                     c("np.insert(x, [1, 2], y, axis=1)", x=(2, 3), y=(2, 1)),
                     c("np.insert(x, 1, 2.0 * x[0])", x=(3,)),
                     c("np.insert(np.arange(3), 1, y)", y=())],
    "numpy.resize": [c("np.resize(x, (2, 3))", x=(4,)), c("np.resize(x, 3)", x=(2, 2)),
                     c("np.resize(x, (3, 2))", x=(2, 3))],
    "numpy.ediff1d": [c("np.ediff1d(x)", x=(4,)),
                      c("np.ediff1d(x, to_end=[1.0, 2.0], to_begin=-3.0)", x=(2, 2)),
                      c("np.ediff1d(x, to_begin=[0.0])", x=(1,))],
    "srcad.runtime.undstack": [
        c("rt.undstack(g, [x, y])", g=(2, 3, 2), x=(2, 3), y=(2, 3), wrt=["g"]),
        c("rt.undstack(g, [x])", g=(1, 3, 1), x=(3,), wrt=["g"])],
    "srcad.runtime.unblock": [
        c("rt.unblock(g, [a, b])", g=(2, 3), a=(2, 1), b=(2, 2), wrt=["g"]),
        c("rt.unblock(g, [a, b])", g=(5,), a=(2,), b=(3,), wrt=["g"]),
        c("rt.unblock(g, [x, 1.0])", g=(3,), x=(2,), wrt=["g"])],
    "srcad.runtime.gathered_adjoint": [
        c("rt.gathered_adjoint(g, x, np.array([2, 0, -1, 2]))", g=(4,), x=(3,), wrt=["g"]),
        c("rt.gathered_adjoint(g, x, np.array([[0, 1], [1, 0]]))", g=(2, 2), x=(2,),
          wrt=["g"])],
    "srcad.runtime.ediff1d_adjoint": [
        c("rt.ediff1d_adjoint(g, x)", g=(3,), x=(4,), wrt=["g"]),
        c("rt.ediff1d_adjoint(g, x, [1.0])", g=(5,), x=(2, 2), wrt=["g"])],
    "srcad.runtime.ediff1d_tangent": [c("rt.ediff1d_tangent(t)", t=(4,)),
                                      c("rt.ediff1d_tangent(t, 2.0, [1.0, 3.0])", t=(2, 2))],
    "numpy.i0": [c("np.i0(x)", x=(4,)), c("np.i0(8.0 * x)", x=(2, 3)), c("np.i0(x)", x=())],
    "srcad.runtime.bessel_i1": [c("rt.bessel_i1(x)", x=(4,)), c("rt.bessel_i1(6.0 * x)", x=(3,)),
                                c("rt.bessel_i1(x * 0.0)", x=(2,))],
})

ZERO_SPECS.update({
    "srcad.runtime.item_indices": "rt.item_indices(x)",
    "srcad.runtime.present": "rt.present(x)", "srcad.runtime.nan_count": "rt.nan_count(x, 0)",
    "srcad.runtime.nan_chooser_weights": "rt.nan_chooser_weights(x, np.nanmax(x))",
    "srcad.runtime.ptp_weights": "rt.ptp_weights(x)",
})

# ----- more NumPy functions: layouts, Vandermonde matrices, scatter-adds, partitions,
# NaN-aware quantiles, fractional parts -----

SPECS.update({
    "numpy.diagflat": [c("np.diagflat(v)", v=(3,)), c("np.diagflat(v, -1)", v=(2, 2)),
                       c("np.diagflat(v, 2)", v=())],
    "numpy.vander": [c("np.vander(x)", x=(4,)), c("np.vander(x, 3, increasing=True)", x=(5,)),
                     c("np.vander(x, N=6)", x=(2,))],
    "numpy.ascontiguousarray": [c("np.ascontiguousarray(x.T)", x=(2, 3)),
                                c("np.ascontiguousarray(s)", s=()),
                                c("np.ascontiguousarray([x, y])", x=(3,), y=(3,))],
    "numpy.asfortranarray": [c("np.asfortranarray(x)", x=(2, 3)),
                             c("np.asfortranarray(s)", s=())],
    "numpy.bincount": [c("np.bincount(np.array([0, 2, 2, 1, 0]), weights=w)", w=(5,)),
                       c("np.bincount(np.array([3, 0, 3]), w, minlength=6)", w=(3,))],
    "numpy.partition": [c("np.partition(x, 2)", x=(5,)),
                        c("np.partition(x, (0, 2), axis=0)", x=(4, 3)),
                        c("np.partition(x, 3, axis=None)", x=(2, 3))],
    "numpy.nanmedian": [c("np.nanmedian(x)", x=("nans", (6,))),
                        c("np.nanmedian(x, axis=1)", x=("nans", (3, 4))),
                        c("np.nanmedian(x, 0, keepdims=True)", x=("nans", (5, 2))),
                        c("np.nanmedian(x)", x=(5,))],
    "numpy.nanquantile": [c("np.nanquantile(x, 0.3)", x=("nans", (7,))),
                          c("np.nanquantile(x, np.array([0.1, 0.5, 0.9]), axis=1)",
                            x=("nans", (3, 6))),
                          c("np.nanquantile(x, 0.25, axis=0, keepdims=True)",
                            x=("nans", (6, 2)))],
    "numpy.nanpercentile": [c("np.nanpercentile(x, 30.0)", x=("nans", (7,))),
                            c("np.nanpercentile(x, [20.0, 75.0], axis=0)", x=("nans", (5, 3)))],
    "numpy.modf": [c("np.modf(3.0 * x)", x=(5,)), c("np.modf(x)", x=(2, 3), use=[0]),
                   c("np.modf(x)", x=())],
    "numpy.histogram": [c("np.histogram(x, 4)", x=(6,)),
                        c("np.histogram(np.arange(5.0), 3, weights=w)", w=(5,)),
                        c("np.histogram(x, [-3.0, 0.0, 3.0], weights=w)", x=(2, 3), w=(2, 3)),
                        c("np.histogram(x, 'auto')", x=(7,)),
                        c("np.histogram(x, 3, (-1.0, 1.0), weights=w)", x=(5,), w=(5,)),
                        c("np.histogram(x, np.sort(b))", x=(5,), b=(4,)),
                        c("np.histogram(x, 3, range=(lo - 3.0, 3.0))", x=(6,), lo=())],
    "srcad.runtime.modf_tangent": [c("rt.modf_tangent(t)", t=(3,)),
                                   c("rt.modf_tangent(t)", t=(2, 2), use=[0])],
})

ZERO_SPECS.update({
    "srcad.runtime.partition_order": "rt.partition_order(x, np.partition(x, 1))",
    "srcad.runtime.vander_powers": "rt.vander_powers(x) * x",
    "srcad.runtime.histogram_edges_follow": "rt.histogram_edges_follow(3) * x",
    "srcad.runtime.histogram_bins": "rt.histogram_bins(x, np.linspace(-1.0, 1.0, 4))",
})
