"""The few helpers generated code calls. NumPy and the standard library only.

The CLI copies this module's helpers into standalone `_grad.py` files, so
nothing here may import srcad or gast.
"""
import numpy as np

_BASIC_INDEX = (int, slice, type(None), type(Ellipsis), np.integer)


def unbroadcast(g, like):
    """Sum the adjoint `g` back to the shape of `like` (undo broadcasting)."""
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    if not shape:
        return g[()] if g.ndim == 0 else g
    return g


def broadcast_like(t, like):
    """Broadcast the tangent `t` to the shape of `like`."""
    shape = np.shape(like)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def zeros_like_grad(x):
    """A zero adjoint with the structure of `x` (arrays, scalars, lists, tuples, dicts)."""
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating):
            return np.zeros_like(x)
        return np.zeros(x.shape)
    if isinstance(x, list):
        return [zeros_like_grad(item) for item in x]
    if isinstance(x, tuple):
        return tuple(zeros_like_grad(item) for item in x)
    if isinstance(x, dict):
        return {key: zeros_like_grad(value) for key, value in x.items()}
    if isinstance(x, np.floating):
        return x.dtype.type(0.0)
    return 0.0


def add_grad(a, b):
    """`a + b` for adjoints that may be lists, tuples or dicts of arrays."""
    if isinstance(a, list) or isinstance(b, list):
        return [add_grad(x, y) for x, y in zip(_items(a, b), _items(b, a))]
    if isinstance(a, tuple) or isinstance(b, tuple):
        return tuple(add_grad(x, y) for x, y in zip(_items(a, b), _items(b, a)))
    if isinstance(a, dict) or isinstance(b, dict):
        keys = a.keys() if isinstance(a, dict) else b.keys()
        return {k: add_grad(_get(a, k), _get(b, k)) for k in keys}
    return a + b


def _items(a, other):
    return a if isinstance(a, (list, tuple)) else [0.0] * len(other)


def _get(a, key):
    return a[key] if isinstance(a, dict) else 0.0


def add_at(acc, like, index, g):
    """The adjoint of `y = like[index]`: a copy of `acc` with `g` added at `index`."""
    if isinstance(like, (list, tuple, dict)):
        out = dict(acc) if isinstance(like, dict) else list(acc)
        out[index] = add_grad(out[index], g)
        return tuple(out) if isinstance(like, tuple) else out
    out = np.array(acc, dtype=np.result_type(acc, g, float), copy=True)
    if np.shape(out) != np.shape(like):
        out = np.broadcast_to(out, np.shape(like)).copy()
    if _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def set_at(acc, like, index, value):
    """A copy of the adjoint `acc` with `index` set to `value` (used to zero it)."""
    if isinstance(like, (list, tuple, dict)):
        out = dict(acc) if isinstance(like, dict) else list(acc)
        out[index] = zeros_like_grad(like[index]) if value == 0 else value
        return tuple(out) if isinstance(like, tuple) else out
    out = np.array(acc, dtype=np.result_type(acc, float), copy=True)
    if np.shape(out) != np.shape(like):
        out = np.broadcast_to(out, np.shape(like)).copy()
    out[index] = value
    return out


def _is_basic(index):
    if isinstance(index, tuple):
        return all(isinstance(i, _BASIC_INDEX) for i in index)
    return isinstance(index, _BASIC_INDEX)


def unstack(g, axis=0):
    """The adjoint of `np.stack(list, axis)`: the list of slices of `g`."""
    g = np.asarray(g)
    return [np.take(g, i, axis=axis) for i in range(g.shape[axis])]


def _promoted(g, x, y):
    """x, y and g as NumPy's matmul sees them: 1-D operands promoted to matrices."""
    x, y, g = np.asarray(x), np.asarray(y), np.asarray(g)
    xv = x[None, :] if x.ndim == 1 else x
    yv = y[:, None] if y.ndim == 1 else y
    gv = g
    if x.ndim == 1:
        gv = np.expand_dims(gv, -2 if y.ndim > 1 else 0)
    if y.ndim == 1:
        gv = np.expand_dims(gv, -1)
    return x, y, xv, yv, gv


def matmul_adjoint_x(g, x, y):
    """The adjoint of x in `x @ y`: g @ y.T for matrices."""
    x, y, xv, yv, gv = _promoted(g, x, y)
    out = unbroadcast(gv @ np.swapaxes(yv, -1, -2), xv)
    return out[0] if x.ndim == 1 else out


def matmul_adjoint_y(g, x, y):
    """The adjoint of y in `x @ y`: x.T @ g for matrices."""
    x, y, xv, yv, gv = _promoted(g, x, y)
    out = unbroadcast(np.swapaxes(xv, -1, -2) @ gv, yv)
    return out[:, 0] if y.ndim == 1 else out


def expand_to(g, x, axis=None, keepdims=False):
    """The adjoint of a reduction over `axis`: `g` spread back over the shape of `x`."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        for a in sorted(a % len(shape) for a in axes):
            g = np.expand_dims(g, a)
    return np.broadcast_to(g, shape).copy()


def reduced_size(x, axis=None):
    """How many elements a reduction over `axis` combines (for mean)."""
    shape = np.shape(x)
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


HELPERS = (_promoted, matmul_adjoint_x, matmul_adjoint_y, expand_to, reduced_size, unbroadcast, broadcast_like, zeros_like_grad, add_grad, _items, _get,
           add_at, set_at, _is_basic, unstack)
