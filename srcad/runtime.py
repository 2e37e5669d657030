"""The few helpers generated code calls. NumPy and the standard library only.

The CLI copies this module's helpers into standalone `_grad.py` files, so
nothing here may import srcad or gast (`refused` takes srcad's error class from
`sys.modules` when srcad is loaded, and falls back to TypeError without it).
"""
import copy
import numbers
import sys
from collections.abc import Mapping, Set

import numpy as np

_BASIC_INDEX = (int, slice, type(None), type(Ellipsis), np.integer)


def unbroadcast(g, like):
    """Sum the adjoint `g` back to the shape of `like` (undo broadcasting)."""
    if type(g) is np.ndarray and type(like) is np.ndarray and g.shape == like.shape:
        return g
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
    """A zero adjoint with the structure of `x` (arrays, scalars, lists, tuples, dicts; a
    named tuple's is one of its class, as its gradient is)."""
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating):
            return np.zeros_like(x)
        return np.zeros(x.shape)
    if isinstance(x, list):
        return [zeros_like_grad(item) for item in x]
    if isinstance(x, tuple):    # (a named tuple's: one of its class)
        zeros = [zeros_like_grad(item) for item in x]
        return rebuilt(zeros, x) if hasattr(type(x), "_fields") else tuple(zeros)
    if isinstance(x, dict):
        return {key: zeros_like_grad(value) for key, value in x.items()}
    if isinstance(x, np.floating):
        return x.dtype.type(0.0)
    return 0.0


def shape_only(x):
    """A stand-in for the array `x` where only its shape and dtype are read afterwards (by
    unbroadcast, spread, zeros_like_grad, ...): zeros that hold no memory (every element the
    same read-only item), so that x's memory goes back at once. Anything but a plain array
    of fixed-size items comes back as it is."""
    if type(x) is np.ndarray and x.itemsize and not x.dtype.hasobject:
        return np.ndarray(x.shape, x.dtype, bytes(x.itemsize), 0, (0,) * x.ndim)
    return x


# The parameter of each helper that it reads for the shape and dtype only, never for the
# numbers: generated code may pass it a `shape_only` stand-in.
SHAPE_READS = {"unbroadcast": "like", "broadcast_like": "like", "zeros_like_grad": "x",
               "spread": "x", "expand_to": "x", "reduced_size": "x", "cast_like": "x"}


def add_grad(a, b):
    """`a + b` for adjoints that may be lists, tuples or dicts of arrays."""
    if isinstance(a, list) or isinstance(b, list):
        return [add_grad(x, y) for x, y in zip(_items(a, b), _items(b, a))]
    if isinstance(a, tuple) or isinstance(b, tuple):
        return tuple(add_grad(x, y) for x, y in zip(_items(a, b), _items(b, a)))
    if isinstance(a, dict) or isinstance(b, dict):
        # (a key one of them lacks, as a dict that gained a key has: a zero there)
        keys = dict.fromkeys([*(a if isinstance(a, dict) else ()),
                              *(b if isinstance(b, dict) else ())])
        return {k: add_grad(_get(a, k), _get(b, k)) for k in keys}
    return a + b


def _sequence_like(items, like):
    """`items` as a list where list or tuple `like` is a list, else as a tuple: a plain one
    for a named tuple (np.linalg.eigh's result, a namedtuple argument), whose class takes
    its fields one by one, as add_grad makes its adjoints."""
    return list(items) if isinstance(like, list) else tuple(items)


def rebuilt(items, like):
    """`items` in a list or tuple of `like`'s own class (a named tuple's class takes its
    fields one by one)."""
    return type(like)(*items) if hasattr(like, "_fields") else type(like)(items)


def _items(a, other):
    """a's parts, to add to those of list or tuple `other`: a list's items, an array's rows
    (the adjoint of a NumPy function of the list: np.sum(xs), `x + [b]`), a number for
    every item."""
    if isinstance(a, (list, tuple)):
        return a
    if np.ndim(a) >= 1:
        return list(a)
    return [a] * len(other)


def _get(a, key):
    return a.get(key, 0.0) if isinstance(a, dict) else 0.0


def add_at(acc, like, index, g):
    """The adjoint of `y = like[index]`: a copy of `acc` with `g` added at `index`."""
    if isinstance(like, (list, tuple, dict)):
        out = dict(acc) if isinstance(like, dict) else list(acc)
        # (a dict's adjoint may lack a key, zero there: as a set_at that dropped it leaves)
        out[index] = add_grad(_get(out, index) if isinstance(like, dict) else out[index], g)
        return tuple(out) if isinstance(like, tuple) else out
    # (np.add.at into an array of ints truncates each sum, as NumPy's own does)
    integers = isinstance(acc, np.ndarray) and acc.dtype.kind in "iu"
    out = np.array(acc, dtype=acc.dtype if integers else float_dtype(acc, g), copy=True)
    if np.shape(out) != np.shape(like):
        out = np.broadcast_to(out, np.shape(like)).copy()
    if integers:
        np.add.at(out, index, g)
    elif _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def set_at(acc, like, index, value):
    """A copy of the adjoint `acc` with `index` set to `value` (used to zero it)."""
    if isinstance(like, (list, tuple, dict)):
        out = dict(acc) if isinstance(like, dict) else list(acc)
        if isinstance(like, dict) and index not in like:
            # a key the dict did not have before (that acc may lack too: the adjoint of a
            # set_at that dropped it, where reverse over reverse passes it back)
            out.pop(index, None)
        else:
            zero = type(value) is float and value == 0.0
            added = isinstance(like, dict) and index not in out
            out[index] = zeros_like_grad(like[index]) if zero else value
            if added:       # (a key acc lacked, dropped by d.pop(k): back in like's order)
                out = {k: out[k] for k in like if k in out} | out
        return tuple(out) if isinstance(like, tuple) else out
    out = np.array(acc, dtype=float_dtype(acc), copy=True)
    if np.shape(out) != np.shape(like):
        out = np.broadcast_to(out, np.shape(like)).copy()
    out[index] = value
    return out


def add_at_in_place(acc, like, index, g):
    """add_at, writing into `acc` itself where it is a float array shaped like `like` whose
    dtype the sum keeps: `acc` is a loop's own array (in_place.update_in_place), which no
    other name holds. Else a copy, as add_at makes (then the loop's own)."""
    if _writes_in_place(acc, like) and (type(g) is float or type(g) is int or (
            type(g) is np.float64 or type(g) is np.ndarray) and g.dtype == acc.dtype
            or float_dtype(acc, g) == acc.dtype):
        if _is_basic(index):
            acc[index] += g
        else:
            np.add.at(acc, index, g)
        return acc
    return add_at(acc, like, index, g)


def set_at_in_place(acc, like, index, value):
    """set_at, writing into `acc` itself where it is a float array shaped like `like` (see
    add_at_in_place)."""
    if _writes_in_place(acc, like):
        acc[index] = value
        return acc
    return set_at(acc, like, index, value)


def _writes_in_place(acc, like):
    return type(acc) is np.ndarray and type(like) is np.ndarray and acc.shape == like.shape \
        and acc.dtype.kind == "f"


def fresh(value):
    """A copy of `value` for a callee that changes it in place: an array's copy; a number,
    which nothing changes in place, as it is."""
    return value.copy() if isinstance(value, np.ndarray) else value


def kept(value):
    """What a function hands back beside its value (has_aux), as the forward sweep leaves
    it, where the reverse sweep restores objects in place (undoes `xs.append(v)`, puts
    back an overwritten element): a copy of each list, dict and array in it, their items
    copied in turn; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        copied = copy.copy(value)           # (a defaultdict keeps its factory)
        for key, item in value.items():
            copied[key] = kept(item)
        return copied
    if isinstance(value, (list, tuple)):
        return rebuilt([kept(item) for item in value], value)
    return value


def writable(acc):
    """A copy of array `acc` for the loop after it to write into (add_at_in_place)."""
    return acc.copy() if type(acc) is np.ndarray else acc


def part_at(g, like, index, value, assigned=False):
    """The adjoint of the `value` that add_at (set_at: `assigned`) puts at `index` of an
    adjoint shaped like `like`: g's part there, summed back to value's shape (for reverse
    over reverse). Where set_at drops a key a dict did not have, value went nowhere."""
    if isinstance(like, (list, tuple, dict)):
        if isinstance(like, dict) and index not in like:
            return 0.0
        return g[index]
    return unbroadcast(assigned_part(g, index) if assigned else g[index], value)


def filled_diagonal(a, val):
    """A copy of array `a` with its main diagonal set to `val`, as np.fill_diagonal(a, val)
    sets it in place (val's items in turn, repeated as needed; a's dtype)."""
    out = np.array(a, copy=True)
    np.fill_diagonal(out, val)
    return out


def diagonal_part(g, val):
    """The adjoint of the `val` that filled_diagonal writes: g's main diagonal (where
    np.fill_diagonal writes, in its order), summed onto the items of val it took."""
    g = np.asarray(g)
    if g.ndim == 2:
        step, end = g.shape[1] + 1, g.shape[1] * g.shape[1]
    else:
        step, end = 1 + int(np.cumprod(g.shape[:-1]).sum()), None
    diagonal = g.ravel()[:end:step]
    size = np.size(val)
    summed = np.bincount(np.arange(diagonal.size) % size, weights=diagonal, minlength=size)
    return summed.reshape(np.shape(val)) if np.ndim(val) else summed[0]


def pushed_back(g, item):
    """The adjoint of a list before `xs.pop()`: its adjoint after, with the popped item's
    adjoint `item` back at the end (a new list: adjoints are never changed in place)."""
    return list(g) + [item]


def insertion_index(xs, i):
    """Where `xs.insert(i, v)` puts v: i counted from the end where negative, within 0 ..
    len(xs) (as list.insert, and a slice's start, clamp it)."""
    return slice(i, None).indices(len(xs))[0]


def popped_index(xs, i):
    """Where `xs.pop(i)` takes its item from list xs (and the reverse sweep puts it back): i
    counted from the end where negative. Where xs has no item at i, or i is no index, or xs
    no list (a dict's `d.pop(k)`), i as it is: the pop raises Python's own error, or pops
    the key."""
    if isinstance(xs, list) and hasattr(type(i), "__index__") and -len(xs) <= i < len(xs):
        return i.__index__() % len(xs)
    return i


def _field_position(record, name):
    """The index of field `name` of named tuple `record`; None where `record` is no named
    tuple or has no such field."""
    fields = getattr(type(record), "_fields", ())
    return fields.index(name) if isinstance(record, tuple) and name in fields else None


def field_index(record, name):
    """Where field `name` of named tuple `record` is: `p.w` of a tuple argument p reads
    `p[field_index(p, "w")]`, an item, whose adjoint goes to the tuple's adjoint. Where p
    has no such field, the attribute's own error (a plain tuple's AttributeError, as the
    function raises it), or a refusal for what a class adds to its fields (a property)."""
    at = _field_position(record, name)
    if at is not None:
        return at
    getattr(record, name)
    raise refused(f"{type(record).__name__}.{name} is no field of the named tuple but an "
                  f"attribute its class adds", "compute it in the function from the fields")


def field(record, name):
    """`r.name` where r may be a named tuple that an argument holds (`layer.W` of `for layer
    in layers`): its field, an item whose adjoint goes to the tuple's (`field_adjoint`);
    of any other object, its attribute, as Python reads it."""
    at = _field_position(record, name)
    return getattr(record, name) if at is None else record[at]


def field_adjoint(g, record, name):
    """The adjoint of `record` in field(record, name): zero but at the field, which takes
    g."""
    return add_at(zeros_like_grad(record), record, _field_at(record, name), g)


def field_tangent(t, record, name):
    """The tangent of field(record, name) along the tangent `t` of record (a tuple, of its
    class or not): t's item at the field."""
    return t[_field_at(record, name)]


def _field_at(record, name):
    """The index of field `name` of named tuple `record`, which varies; refused for another
    object's attribute: srcad differentiates named tuples, not objects."""
    at = _field_position(record, name)
    if at is not None:
        return at
    raise refused(f"srcad has no derivative rule for the attribute '.{name}' of a "
                  f"{type(record).__name__} that varies (srcad differentiates named tuples' "
                  "fields, not other objects')", "keep the values in a named tuple or a dict, "
                  "or pass them as arguments")


def inserted_back(g, at, item):
    """The adjoint of a list before `xs.pop(at)`: its adjoint after, with the popped item's
    adjoint `item` back at `at` (a new list: adjoints are never changed in place)."""
    return list(g[:at]) + [item] + list(g[at:])


def without_item(g, at):
    """The adjoint of a list before `xs.insert(at, v)`: its adjoint after, without the
    inserted item's at `at` (a new list: adjoints are never changed in place)."""
    return list(g[:at]) + list(g[at + 1:])


def with_zero_item(g, xs, at):
    """The adjoint of list `xs` in without_item(xs, at) (at >= 0: `insertion_index`): g
    with a zero back at `at`, shaped like the item dropped there."""
    return list(g[:at]) + [zeros_like_grad(xs[at])] + list(g[at:])


def structured(g, like):
    """The gradient of list or tuple `like` as a list or tuple of its items' gradients: one
    that NumPy made an array of (`np.tanh(xs)`) comes back as its rows; a named tuple's as
    one of its class, also where it is an item of `like` (a list or a dict of layers'
    parameters)."""
    if isinstance(like, dict):
        return {key: _structured_item(value, like.get(key)) for key, value in g.items()} \
            if isinstance(g, dict) else g
    if not isinstance(g, (list, tuple)):
        g = _sequence_like(_items(g, like), like)
    if len(g) == len(like) and any(isinstance(item, (list, tuple, dict)) for item in like):
        g = rebuilt([_structured_item(gi, li) for gi, li in zip(g, like)], g)
    fields = getattr(type(like), "_fields", None)
    if isinstance(like, tuple) and fields is not None and type(g) is tuple \
            and len(g) == len(fields):
        return rebuilt(g, like)       # a named tuple's gradient: one of its class, as JAX's
    return g


def _structured_item(g, like):
    """An item's gradient `g`, structured where the item `like` and g are both lists,
    tuples or dicts."""
    sequences = isinstance(g, (list, tuple)) and isinstance(like, (list, tuple))
    return structured(g, like) if sequences or isinstance(g, dict) and isinstance(like, dict) \
        else g


def structured_transpose(u, g):
    """The adjoint of structured(g, like) in g (it is linear in g): u as g was, an array of
    the items' adjoints for an array g, their sum for a number given to every item."""
    if isinstance(g, (list, tuple)) or not isinstance(u, (list, tuple)):
        return u
    if np.ndim(g) >= 1:
        return np.array([np.broadcast_to(ui, np.shape(gi)) for ui, gi in zip(u, g)],
                        dtype=float_dtype(g))
    return sum(u)


def whole_of(g, acc):
    """The adjoint of the `acc` that add_at or set_at copies: g, summed back to acc's
    shape where acc was broadcast (a float zero for an array)."""
    return g if isinstance(acc, (list, tuple, dict)) else unbroadcast(g, acc)


def saved_item(container, key):
    """What `container[key] = ...` overwrites, for `restore_item`: `(value,)` (a copy of an
    array's part), or `()` for a key a dict does not have yet."""
    if isinstance(container, dict):
        return (container[key],) if key in container else ()
    old = container[key]
    return (np.copy(old),) if isinstance(container, np.ndarray) else (old,)


def restore_item(container, key, saved):
    """Undo `container[key] = ...` (the reverse sweep): the old value back, or no key."""
    if saved:
        container[key] = saved[0]
    else:
        del container[key]


def restored_item(container, key, saved):
    """`restore_item` without changing `container`: a copy of it (a dict's, a list's, an
    array's) with the old value back at `key`, or without `key`. A gradient differentiated
    again calls this where the gradient restores in place (`normalise`): a value of its
    own, which its rules can follow."""
    if isinstance(container, dict):
        out = dict(container)
    elif isinstance(container, list):
        out = list(container)
    else:
        out = np.array(container, copy=True)
    restore_item(out, key, saved)
    return out


def saved_item_tangent(t, container, key):
    """The tangent of saved_item(container, key) along the tangent `t` of container:
    `(t[key],)`, or `()` for a key that a dict does not have yet."""
    if isinstance(container, dict) and key not in container:
        return ()
    return (np.copy(t[key]) if isinstance(t, np.ndarray) else t[key],)


def saved_item_adjoint(g, container, key):
    """The adjoint of the container of saved_item(container, key): zero but at key, which
    takes the saved value's adjoint (g = `(adjoint,)`; `()` or a zero: nothing saved)."""
    out = zeros_like_grad(container)
    if isinstance(g, tuple) and g and not (isinstance(container, dict) and key not in container):
        return add_at(out, container, key, g[0])
    return out


def restored_tangent(t, ans, key):
    """The tangent of restored_item's result `ans` along the tangent `t` of what it puts
    back (`(tangent,)`, or `()` where it drops the key): zero but at key."""
    out = zeros_like_grad(ans)
    if isinstance(t, tuple) and t and not (isinstance(ans, dict) and key not in ans):
        return set_at(out, ans, key, t[0])
    return out


def restored_part(g, ans, key, saved):
    """The adjoint of the `saved` that restored_item puts back into its result `ans`:
    `(g[key],)`, or `()` where nothing was saved (the key dropped)."""
    if not saved:
        return ()
    if isinstance(ans, (dict, list)):
        return (g[key],)
    return (np.asarray(g)[key],)


def assigned_part(g, index):
    """The adjoint of the value that `y[index] = value` writes: g[index], except that where
    an index array names an element more than once only the write NumPy keeps (the last)
    passes g on; the others were overwritten. (A number g: the adjoint of a 0-d array.)"""
    if not isinstance(g, (np.ndarray, list, tuple, dict)):
        g = np.asarray(g)
    part = g[index]
    if _is_basic(index) or not isinstance(g, np.ndarray):
        return part
    order = np.arange(np.size(part)).reshape(np.shape(part))
    kept = np.full(np.shape(g), -1, dtype=np.intp)
    kept[index] = order                  # the same writes the primal made: the same survive
    return np.where(kept[index] == order, part, 0.0)


def stored_part(g, like, index, value):
    """The adjoint of the `value` that `y[index] = value` writes into `y` (`like`), a list,
    dict or array: g[index] of a list or dict; of an array, the part the write kept
    (`assigned_part`) summed back to value's shape (`y[::2] = x` of a number x), or zeros
    where the array holds integers (it truncates the value)."""
    if isinstance(like, np.ndarray):     # (g a number where like is 0-d: assigned_part)
        return if_floating(unbroadcast(assigned_part(g, index), value), like)
    return g[index]


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
    if type(x) is np.ndarray and type(y) is np.ndarray and x.ndim <= 2 and y.ndim <= 2:
        if x.ndim == 2:
            return g @ y.T if y.ndim == 2 else np.outer(g, y)
        return y @ g if y.ndim == 2 else g * y
    x, y, xv, yv, gv = _promoted(g, x, y)
    out = unbroadcast(gv @ np.swapaxes(yv, -1, -2), xv)
    return out[0] if x.ndim == 1 else out


def matmul_adjoint_y(g, x, y):
    """The adjoint of y in `x @ y`: x.T @ g for matrices."""
    if type(x) is np.ndarray and type(y) is np.ndarray and x.ndim <= 2 and y.ndim <= 2:
        if y.ndim == 2:
            return x.T @ g if x.ndim == 2 else np.outer(x, g)
        return g @ x if x.ndim == 2 else g * x
    x, y, xv, yv, gv = _promoted(g, x, y)
    out = unbroadcast(np.swapaxes(xv, -1, -2) @ gv, yv)
    return out[:, 0] if y.ndim == 1 else out


def matmul_adjoint_x_sum(terms, x):
    """The sum of `matmul_adjoint_x(g, x, y)` over the `(g, y)` a loop collected: one
    matrix product `G.T @ Y` when every term is an outer product of vectors."""
    return _loop_sum(terms, x, lambda g, y: matmul_adjoint_x(g, x, y), lambda G, Y: G.T @ Y)


def matmul_adjoint_y_sum(terms, y):
    """The sum of `matmul_adjoint_y(g, x, y)` over the `(g, x)` a loop collected: one
    matrix product `X.T @ G` when every term is an outer product of vectors."""
    return _loop_sum(terms, y, lambda g, x: matmul_adjoint_y(g, x, y), lambda G, X: X.T @ G)


def matmul_adjoint_x_sum_transpose(g, terms, x):
    """The adjoint of `matmul_adjoint_x_sum(terms, x)` with respect to its terms (u, y),
    given g (shaped like x): matmul_adjoint_x(u, x, y) is bilinear, <g, u @ y^T> gives u
    g @ y and y matmul_adjoint_y(u, g, y), for each term."""
    g = np.broadcast_to(g, np.shape(x))
    return [(g @ y, matmul_adjoint_y(u, g, y)) for u, y in terms]


def matmul_adjoint_y_sum_transpose(g, terms, y):
    """The adjoint of `matmul_adjoint_y_sum(terms, y)` with respect to its terms (u, x),
    given g (shaped like y): <g, x^T @ u> gives u x @ g and x matmul_adjoint_x(u, x, g)."""
    g = np.broadcast_to(g, np.shape(y))
    return [(x @ g, matmul_adjoint_x(u, x, g)) for u, x in terms]


def product_rule_terms(terms, t):
    """The terms of the change of a sum of products of pairs (a, b) along tangents t of
    the pairs: (ta, b) and (a, tb) for each (a zero tangent spread to its side's shape)."""
    out = []
    for (a, b), (ta, tb) in zip(terms, t):
        out.append((np.broadcast_to(ta, np.shape(a)), b))
        out.append((a, np.broadcast_to(tb, np.shape(b))))
    return out


def _loop_sum(terms, fixed, adjoint, product):
    """`adjoint(*term)` summed over `terms`, or `product` of the terms' two sides stacked
    as matrices when `fixed` is a matrix and every side a vector."""
    rows = _vector_rows(terms) if type(fixed) is np.ndarray and fixed.ndim == 2 else None
    if rows is not None:
        return product(*rows)
    total = zeros_like_grad(fixed)
    for term in terms:
        total = total + adjoint(*term)
    return total


def _vector_rows(terms):
    """The two sides of `terms` (pairs) as two matrices, one row per pair, or None unless
    each side is made of vectors of one length."""
    if not terms:
        return None
    try:
        rows = np.array([a for a, _ in terms]), np.array([b for _, b in terms])
    except ValueError:          # vectors of different lengths
        return None
    if all(r.ndim == 2 and r.dtype != object for r in rows):
        return rows
    return None


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


def keys_of(mapping):
    """The keys of a dict, as a list (generated code loops over dict items by index);
    refused for what is no mapping (`bag.values()` of an object of another kind)."""
    if not isinstance(mapping, Mapping):
        raise refused(f"the keys or values of a {type(mapping).__name__}, which srcad reads "
                      "as a dict's", "pass a dict, or name the values as a list first")
    return list(mapping)


def _joins(x, y):
    """Whether `x + y` joins two lists or tuples (NumPy adds a list to an array)."""
    return isinstance(x, (list, tuple)) and isinstance(y, (list, tuple))


def _repeats(x, y):
    """Whether `x * y` repeats a list or tuple: the other factor is an integer (NumPy
    multiplies a list by an array or a float)."""
    return isinstance(x, (list, tuple)) and isinstance(y, (int, np.integer)) or \
        isinstance(y, (list, tuple)) and isinstance(x, (int, np.integer))


def add_adjoint(g, x, y, first):
    """The adjoint of x (`first`) or y in `x + y`, where + may join lists or tuples."""
    if _joins(x, y):
        part = g[:len(x)] if first else g[len(x):]
        return _sequence_like(part, x if first else y)
    return unbroadcast(g, x if first else y)


def add_tangent(tx, ty, x, like):
    """The tangent of `x + y` (`like`), where + may join lists or tuples."""
    if isinstance(x, (list, tuple)) and isinstance(like, (list, tuple)):
        return _sequence_like(list(tx) + list(ty), x)
    return broadcast_like(tx + ty, like)


def mul_adjoint(g, x, y, first):
    """The adjoint of x (`first`) or y in `x * y`, where `[a, b] * 3` repeats a list."""
    if _repeats(x, y):
        part = x if first else y
        return repeated_adjoint(g, part) if isinstance(part, (list, tuple)) else 0.0
    return unbroadcast(g * y, x) if first else unbroadcast(g * x, y)


def mul_adjoint_along(u, x, y, first, k):
    """The change of mul_adjoint(u, x, y, first) along a tangent of its factor x (k = 1) or
    y (k = 2), passed in that factor's place: the product rule's term for that factor. Zeros
    for the factor the adjoint is shaped like, and for a repeated list (its adjoint reads
    the lengths only)."""
    if _repeats(x, y) or (k == 1) == first:
        return zeros_like_grad(mul_adjoint(u, x, y, first))
    return mul_adjoint(u, x, y, first)


def add_adjoint_transpose(gbar, u, x, y, first):
    """The adjoint of u in add_adjoint(u, x, y, first), which is linear in u: for lists
    joined, gbar at x's places (`first`) or y's in the joined list, zeros at the others."""
    if _joins(x, y):
        part = list(_items(gbar, x if first else y))
        head, tail = u[:len(x)], u[len(x):]
        return _sequence_like(part + [zeros_like_grad(item) for item in tail] if first
                              else [zeros_like_grad(item) for item in head] + part, u)
    return broadcast_like(gbar, u)


def mul_adjoint_transpose(gbar, u, x, y, first, k):
    """The adjoint of argument k (0: u, 1: x, 2: y) of mul_adjoint(u, x, y, first), which is
    unbroadcast(u * y, x) or unbroadcast(u * x, y): bilinear in u and the other factor."""
    if _repeats(x, y):
        return _repeated_transpose(gbar, u, x, y, first, k)
    other, shaped = (y, x) if first else (x, y)
    gz = np.broadcast_to(gbar, np.broadcast_shapes(np.shape(u), np.shape(other)))
    if k == 0:
        return unbroadcast(gz * other, u)
    if (k == 2) == first:                # the other factor
        return unbroadcast(gz * u, other)
    return zeros_like_grad(shaped)       # the operand it is shaped like: its shape only


def _repeated_transpose(gbar, u, x, y, first, k):
    """mul_adjoint_transpose of a repeated list: the list's adjoint sums its copies' (see
    `repeated_adjoint`), so u's adjoint is gbar repeated; the integer's adjoint is 0.0,
    whatever u, and the factors give lengths only."""
    if k != 0:
        return zeros_like_grad((x, y)[k - 1])
    part = x if first else y
    if not isinstance(part, (list, tuple)):
        return zeros_like_grad(u)
    items = list(_items(gbar, part))
    return _sequence_like([items[n % len(part)] for n in range(len(u))], u)


def repeated_adjoint(g, part):
    """The adjoint of `part` in `part * n`: the sum of the adjoints of its n copies."""
    total = [zeros_like_grad(item) for item in part]
    for k, item in enumerate(g):
        total[k % len(part)] = add_grad(total[k % len(part)], item)
    return _sequence_like(total, part)


def mul_tangent(tx, ty, x, y, like):
    """The tangent of `x * y` (`like`), where `[a, b] * 3` repeats a list (and its
    tangent)."""
    if _repeats(x, y) and isinstance(x, (list, tuple)):
        return _sequence_like(list(tx) * y, x)
    if _repeats(x, y):
        return _sequence_like(x * list(ty), y)
    return broadcast_like(tx * y + x * ty, like)


def mul_tangent_adjoint(g, tx, ty, x, y, k):
    """The adjoint of argument k (0: tx, 1: ty, 2: x, 3: y) of mul_tangent(tx, ty, x, y,
    like): tx y + x ty is bilinear; a repeated list's tangent gets its repeats' sum."""
    if _repeats(x, y):
        listed = 0 if isinstance(x, (list, tuple)) else 1
        return repeated_adjoint(g, (tx, ty)[listed]) if k == listed else 0.0
    return unbroadcast(g * (y, x, ty, tx)[k], (tx, ty, x, y)[k])


def refused(message, hint, output=False):
    """The error for a case srcad cannot differentiate that is only known when the
    derivative runs: a srcad.UnsupportedError (a NonScalarOutputError for a value that
    is not a number, `output`, as srcad.grad's first call raises it), or a TypeError in a
    standalone file (no srcad). Helpers `raise refused(...)`: srcad differentiates some of
    them again."""
    errors = sys.modules.get("srcad.errors")    # loaded wherever srcad made the derivative
    if errors is None:
        return TypeError(f"srcad: {message}; {hint}")
    if output:
        return errors.NonScalarOutputError(message, hint=hint)
    return errors.UnsupportedError(message, _users_line(errors), hint=hint)


def _users_line(errors):
    """The user's line that the statement of the running derivative comes from (its
    `# line N:` comment), if a derivative srcad made in this process is running."""
    made = getattr(sys.modules.get("srcad.api"), "MADE_FROM", {})
    frame = sys._getframe(2)
    while frame is not None and not _made_from_users(frame.f_code.co_filename, made):
        frame = frame.f_back
    if frame is None:
        return None
    import linecache
    import re
    generated, line, text = frame.f_code.co_filename, frame.f_lineno, None
    while generated in made:       # (a derivative of a derivative: back to the user's file)
        for text in reversed(linecache.getlines(generated)[:line]):
            found = re.match(r"\s*# line (\d+): ", text)
            if found:
                break
        else:
            return None
        generated, line = made[generated], int(found.group(1))
        text = linecache.getline(generated, line)
    return errors.Location(generated, line, len(text) - len(text.lstrip()), text)


def _made_from_users(filename, made):
    """Whether `filename` is a derivative srcad made of the user's code, not of one of its
    own helpers (the derivative of eigh_adjoint that a Hessian runs): its line is the
    user's."""
    if filename not in made:
        return False
    while filename in made:
        filename = made[filename]
    return filename != refused.__code__.co_filename


def counted(xs):
    """len(xs) of what a `for` loop walks by index: refused for a dict, whose loop walks its
    keys (srcad makes that loop for a dict argument of the function it differentiates)."""
    if isinstance(xs, (Mapping, Set)):
        raise refused("a `for` loop over a dict or a set that srcad took for a list (an "
                      "argument of a file's generic derivative, a keyword-only argument, an "
                      "item, a value a call returns)",
                      "loop over d.keys(), d.values() or d.items()")
    if not (hasattr(xs, "__len__") and hasattr(xs, "__getitem__")):
        raise refused(f"a `for` loop over a {type(xs).__name__}, which srcad's loop cannot "
                      "index", "pass a list (list(...) where the value is made)")
    return len(xs)


def check_reversible(xs):
    """Before `for x in reversed(xs)`, which generated code walks as `xs[::-1]`: refused for
    a dict or a set (see `counted`) and for what cannot be sliced (a deque)."""
    counted(xs)
    walks = getattr(type(xs), "__reversed__", None)
    if walks not in (None, list.__reversed__, range.__reversed__):
        raise refused(f"a `for` loop over reversed(...) of a {type(xs).__name__}, whose own "
                      "__reversed__ srcad's loop (xs[::-1]) would not follow",
                      "pass a list (list(reversed(xs)) where the value is made)")
    try:
        xs[:0]
    except (TypeError, KeyError):
        raise refused(f"a `for` loop over reversed(...) of a {type(xs).__name__}, which "
                      "srcad's loop walks as xs[::-1] and this value cannot be sliced",
                      "pass a list (list(...) where the value is made)") from None


def if_floating(d, ans):
    """`d`, a derivative through an operation whose result is `ans`, where ans is floating;
    zeros where it holds integers or bools (`x.astype(y.dtype)` of an integer y: piecewise
    constant)."""
    kind = np.asarray(ans).dtype.kind
    return zeros_like_grad(d) if kind in "biu" else d


def check_method(obj, cls, name, holder="self", after=None):
    """Generated code calls `cls.name(obj, ...)` where the user's method wrote
    `self.name(...)` (`cls.name(...)` for a static method), or the user's function wrote
    `M.name(...)` of a module-level object M (`holder`): refused where `obj.name` is
    another function (a subclass's override, or one set on obj itself), whose derivative
    srcad did not make. `after`: the method's class, where it wrote `super().name(...)`."""
    if after is not None:
        method = getattr(super(after, obj), name, None)
        if getattr(method, "__func__", method) is not getattr(cls, name, None):
            raise refused(f"super().{name}(...) in {after.__qualname__} is another class's "
                          f"{name} for {type(obj).__qualname__}, but srcad differentiated "
                          f"{cls.__qualname__}.{name}",
                          f"call the method you mean by name: {cls.__qualname__}.{name}(self, "
                          "...)")
        return
    method = getattr(obj, name, None)
    if getattr(method, "__func__", method) is not getattr(cls, name, None):
        owner = type(obj).__qualname__
        where = f" in {cls.__qualname__}" if holder == "self" else ""
        if name in getattr(obj, "__dict__", ()):
            raise refused(f"{holder}.{name}(...){where} calls an attribute of the object "
                          f"itself here, but srcad differentiated {cls.__qualname__}.{name}",
                          f"call {cls.__qualname__}.{name}({holder}, ...) explicitly, or give "
                          "the attribute another name")
        raise refused(f"{holder}.{name}(...){where} is {owner}'s {name} here, but srcad "
                      f"differentiated {cls.__qualname__}.{name}",
                      f"differentiate a method of {owner} (define the caller there too), "
                      f"or call {cls.__qualname__}.{name}({holder}, ...) explicitly")


def check_item_copied(container, item, source, text, own=False):
    """`p[k] += v` or `t = p[k]; t += v` (`text`) where p is a copy of argument `source`: a
    list's or dict's copy holds the argument's own items, and NumPy changes an array item
    in place, the argument's too: refused unless `item` is a number (an array's copy is
    its own, rows and all). `own`: p is the argument that was copied, whose copy holds
    the item too (`q = p.copy(); t = p[k]; t += v`)."""
    if isinstance(container, (list, tuple, dict)) and not isinstance(
            item, (int, float, complex, np.generic)):
        if own:
            raise refused(f"'{text}' changes an item of {source} that a copy of it holds too "
                          "(Python would change both)",
                          "copy the item before writing into it: t = p[k].copy() (or copy "
                          "the items where the copy is made: {k: v.copy() for k, v in "
                          "params.items()})")
        raise refused(f"'{text}' changes the item of {source} that the copy holds too "
                      "(Python would change both)",
                      "put a new value in the copy's slot: p[k] = p[k] + ... (or copy the "
                      "items: {k: v.copy() for k, v in params.items()})")


def check_slice_length(container, index, value, text):
    """`xs[i:j] = v` (`text`) where list xs's slice and v differ in length: the write makes
    the list longer or shorter, which srcad's derivative does not follow (an array's slice
    keeps its shape): refused."""
    if isinstance(container, list) and isinstance(index, slice) \
            and len(range(*index.indices(len(container)))) != len(value):
        raise refused(f"'{text}' changes the length of a list",
                      "build a new list instead: u = u[:i] + [v] + u[j:]")


def check_output(value, seed, name, what="grad"):
    """A gradient needs a scalar value. With the default seed 1.0, an array value would give
    the gradient of its sum (a vector-Jacobian product) without a word: refused, unless a
    seed shaped like the value asks for that product. (`what`: the function asked for.)"""
    if isinstance(value, (bool, np.bool_, str, bytes, list, tuple, dict)) or value is None \
            or np.asarray(value).dtype.kind not in "iuf":
        raise refused(f"{what} needs {name} to return a number, but it returned {value!r}",
                      f"return the value to differentiate (a float) from {name}", True)
    if np.ndim(value) != 0 and np.shape(seed) != np.shape(value):
        raise refused(f"{what} needs {name} to return a scalar, but it returned a value of "
                      f"shape {np.shape(value)}", "differentiate a scalar (e.g. the sum), or "
                      "pass a seed shaped like the value for a vector-Jacobian product", True)
    if np.ndim(value) == 0:     # (a file's seed, given by hand: broadcast, another product)
        check_seed(seed, name)

def check_seed(seed, name):
    """The seed of a file's gradient of `name`, which returns a number, weighs that number:
    it must be a number too (an array, broadcast against the adjoints, would give another
    product without a word)."""
    if isinstance(seed, (bool, np.bool_, str, bytes, list, tuple, dict)) or seed is None \
            or np.ndim(seed) != 0 or np.asarray(seed).dtype.kind not in "iuf":
        given = f"a value of shape {np.shape(seed)}" if isinstance(seed, np.ndarray) \
            and seed.ndim else repr(seed)
        raise refused(f"the seed of grad_{name} weighs the number {name} returns, and must be "
                      f"a number, not {given}", f"pass a float (the gradient of seed * "
                      f"{name}), or leave it out")


def kind_of(value):
    """What a derivative is specialised on: "scalar", "bool" (an index x[b] of one adds an
    axis), "arrayN" (N dimensions), "list", "tuple", "dict" or "other"."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (numbers.Number, np.number)) and not isinstance(value, complex):
        return "scalar"
    if isinstance(value, np.ndarray):
        return f"array{value.ndim}"   # (the number of dimensions: x[i] of a vector is a scalar)
    for kind in (list, tuple, dict):
        if isinstance(value, kind):
            return kind.__name__
    return "other"


_OPERATOR_METHODS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                     "__matmul__", "__rmatmul__", "__truediv__", "__rtruediv__", "__pow__",
                     "__rpow__", "__neg__", "__mod__", "__rmod__", "__floordiv__",
                     "__rfloordiv__")


# how to make a NumPy array of an object with operators of its own, for refusals' hints
PLAIN_CONVERSIONS = ("A.toarray() of a sparse matrix, np.asarray of an np.matrix, "
                     "m.filled(0.0) of a masked array whose masked entries count as 0")


def own_arithmetic(value):
    """Whether `value` brings arithmetic operators of its own (`own_arithmetic_type`)."""
    return own_arithmetic_type(type(value))


def own_arithmetic_type(cls):
    """Whether the objects of class `cls` bring arithmetic operators of their own (a
    scipy.sparse matrix; np.matrix, whose * is a matrix product, and other subclasses of
    ndarray that redefine an operator: a masked array, whose operators and reductions skip
    its masked entries; a class defining __mul__): srcad's rules for `*`, `@`, ... are
    those of numbers and NumPy arrays."""
    if issubclass(cls, np.ndarray):
        return cls is not np.ndarray and any(
            getattr(cls, method, None) is not getattr(np.ndarray, method, None)
            for method in _OPERATOR_METHODS)
    if issubclass(cls, (numbers.Number, np.generic, list, tuple, dict, str, bytes, set,
                        frozenset, range, np.dtype, type(None))):
        return False
    return any(hasattr(cls, method) for method in _OPERATOR_METHODS)


def own_arithmetic_within(value):
    """The class of an object with operators of its own (`own_arithmetic`) that `value`
    holds: an item of a list, tuple or dict, or an attribute of an object of a user class,
    at any depth (each object once: structures may hold themselves); else None."""
    todo, seen = [value], set()
    while todo:
        current = todo.pop()
        items = _held(current)
        if items is None or id(current) in seen:
            continue
        seen.add(id(current))
        for item in items:
            if own_arithmetic(item):
                return type(item)
            todo.append(item)
    return None


def _held(value):
    """What `value` holds that may be an object with operators of its own: the items of a
    list, tuple or dict, the attributes of an object of a user class; None for what holds
    none (numbers, arrays, classes, modules, functions, methods, derivative objects)."""
    if isinstance(value, (numbers.Number, np.generic, np.ndarray, str, bytes, type(None),
                          type, type(np))) \
            or type(value).__module__ in ("builtins", "functools") and callable(value):
        return None
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, dict):
        return value.values()
    if type(value).__module__.partition(".")[0] == "srcad":
        return None               # (a derivative object: its caches)
    try:
        items = object.__getattribute__(value, "__dict__")
    except AttributeError:        # (slots, or a __getattr__ of its own)
        return None
    return items.values() if isinstance(items, dict) else None


def types_within(value):
    """The types of `value` and of all it holds (`_held`), as a walk meets them, with how
    many items each holder has: what `own_arithmetic_within` reads (a derivative made for
    an object whose attribute's attribute is an array is not one for a sparse matrix
    there)."""
    found, todo, seen = [], [value], set()
    while todo:
        current = todo.pop()
        items = _held(current)
        if items is None:
            found.append(type(current))
        elif id(current) in seen:
            found.append(None)            # (met before)
        else:
            seen.add(id(current))
            items = list(items)
            found.append((type(current), len(items)))
            todo.extend(reversed(items))
    return tuple(found)


def check_plain_operand(value, param, name):
    """A derivative file made for arguments of any kind: argument `param` of `name`, an
    operand of its arithmetic (or what one of its items or attributes is), must not be or
    hold an object that brings operators of its own (`own_arithmetic`), as srcad.grad
    refuses it on the first call."""
    kind = type(value) if own_arithmetic(value) else own_arithmetic_within(value)
    if kind is not None:
        what = "is" if kind is type(value) else "holds"
        raise refused(f"{name} computes with {param} by operators, and {param} {what} a "
                      f"{kind.__module__}.{kind.__qualname__}, which brings its operators "
                      "with it: srcad's derivatives of operators are those of numbers and "
                      "NumPy arrays", f"pass a NumPy array ({PLAIN_CONVERSIONS})")


def check_plain_result(value, what):
    """`what` (the value of a call of a user function, or part of it: known only when it
    runs), which an operator whose value varies takes, must not be an object that brings
    operators of its own (`own_arithmetic`), as srcad refuses those it sees when it
    differentiates."""
    if type(value) in _HOLDS_NOTHING or not own_arithmetic(value):
        return
    kind = type(value)
    raise refused(f"{what} is a {kind.__module__}.{kind.__qualname__}, which brings its "
                  "operators with it: srcad's derivatives of operators are those of numbers "
                  "and NumPy arrays", f"return a NumPy array ({PLAIN_CONVERSIONS}), or put "
                  "the operation in a function of your own and register its derivatives "
                  "with @srcad.adjoint and @srcad.tangent")


_HOLDS_NOTHING = frozenset((float, int, bool, np.float64, np.ndarray, type(None)))


def as_floats(value, param, name):
    """An argument that a file's derivative of `name` differentiates (`param`): its
    integers and arrays of integers made floats, also in lists, tuples and dicts, as
    srcad.grad makes them (it differentiates the function of floats; NumPy keeps an array's
    integer dtype through `np.zeros_like(x)` or `x.copy()` and truncates what is written
    into it); a bool, None or a text refused, as srcad.grad refuses them."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise refused(f"{name} is differentiated with respect to {param}, which is "
                      f"{value!r}: srcad differentiates with respect to numbers and arrays "
                      "of numbers", f"pass a float for {param}, or make the file again "
                      "without it in --wrt")
    check_real(value, param, name)
    return _made_floats(value)


def check_real(value, param, name):
    """An argument (`param`) of a file's derivative of `name` must hold no complex number
    or array, as srcad.grad requires of each argument: srcad's rules are those of
    real-valued code (the gradient of np.sum(np.abs(x * c) ** 2) for c = 1j had its sign
    turned)."""
    if _complex_within(value):
        raise refused(f"{name} is called with a complex {param}: srcad's rules are those of "
                      "real-valued code", "pass the real and imaginary parts as two real "
                      "arguments")


def _complex_within(value):
    """Whether `value` is or holds (in lists, tuples and dicts) a complex number or array."""
    if type(value) in (list, tuple):
        return any(_complex_within(item) for item in value)
    if type(value) is dict:
        return any(_complex_within(item) for item in value.values())
    return isinstance(value, (complex, np.complexfloating)) or \
        isinstance(value, np.ndarray) and value.dtype.kind == "c"


def _made_floats(value):
    """`value` with its integers and arrays of integers (or bools) made floats, at any
    depth of lists, tuples and dicts; `value` itself where it holds none."""
    if type(value) in (list, tuple):
        items = [_made_floats(item) for item in value]
        return value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    if type(value) is dict:
        items = {key: _made_floats(item) for key, item in value.items()}
        return value if all(items[key] is value[key] for key in value) else items
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return value.astype(float)
    return value


def check_function(value, made_for, read):
    """A file's derivative calls the function that `read` (`model.CFG.act`) reaches when it
    runs, and takes its derivative from the function that it reached when the file was
    written (`made_for`, "module.qualname"): refused where that is another function now
    (`CFG.act = np.sin`; srcad.grad makes its derivative again)."""
    now = f"{getattr(value, '__module__', None)}.{getattr(value, '__qualname__', None)}"
    if now != made_for:
        raise refused(f"{read} is {now} here, but this file was written for {made_for}",
                      "write the file again (srcad grad), or use srcad.grad in your program")


def check_tangent(tangent, value, param, name):
    """A forward file's tangent of argument `param` of `name` must have the structure and
    shapes of the argument, as srcad.jvp requires: broadcast (1.0 for an array), it would
    give another product without a word."""
    if _complex_within(tangent):
        raise refused(f"jvp_{name} is given a complex tangent of {param}: srcad's rules are "
                      "those of real-valued code", "pass real tangents")
    unlike = _shaped_unlike(value, tangent, f"the tangent of {param}")
    if unlike is not None:
        where, part, given = unlike
        raise refused(f"jvp_{name} needs {where} shaped like the argument: "
                      f"{_shape_described(part)}, not {_shape_described(given)}",
                      "reshape it, or np.broadcast_to(t, np.shape(x)) if broadcasting is "
                      "meant; pass zeros where a part does not count")


def _shaped_unlike(value, given, where):
    """`(where, value's part, given's part)` for the first part of `given` whose structure
    or shape is not that of `value`'s; None where they agree."""
    if isinstance(value, dict):
        if not isinstance(given, dict) or given.keys() != value.keys():
            return where, value, given
        parts = [(value[key], given[key], f"{where}[{key!r}]") for key in value]
    elif isinstance(value, (list, tuple)):
        if not isinstance(given, (list, tuple)) or len(given) != len(value):
            return where, value, given
        parts = [(v, g, f"{where}[{k}]") for k, (v, g) in enumerate(zip(value, given))]
    elif isinstance(given, (dict, list, tuple)) or given is None and value is not None \
            or np.shape(given) != np.shape(value):
        return where, value, given
    else:
        parts = []
    for part, given_part, at in parts:
        unlike = _shaped_unlike(part, given_part, at)
        if unlike is not None:
            return unlike
    return None


def _shape_described(x):
    """What a message says of a value's structure: its shape, or its kind and size."""
    if x is None:
        return "None"
    if isinstance(x, dict):
        return f"a dict with keys {', '.join(sorted(map(repr, x)))}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    return f"shape {np.shape(x)}"


def check_kinds(name, params, values, kinds):
    """A file made for example arguments (`srcad grad --args`) takes arguments of their
    kinds: for others its code may be wrong (a gradient for a number made an array is not
    summed back to a number)."""
    for param, value, kind in zip(params, values, kinds):
        if kind_of(value) != kind:
            raise refused(f"this derivative of {name} was made for {param} of kind {kind} "
                          f"(srcad grad --args), not {kind_of(value)}",
                          "make the file again with --args like these arguments, or without "
                          "--args for a derivative that takes any")


# The parameters whose objects a helper's result may share (it may return the adjoint it is
# given, or a list holding its items), where reading its source over-approximates: a forward
# value passed for its shape or dtype is never handed back. Generated code that is
# differentiated again writes forward values in place (restoring them from the stack), and
# srcad refuses such a write to an array another name shares.
RESULT_SHARES = {
    "add_adjoint": ("g",), "mul_adjoint": ("g",), "mul_adjoint_along": (),
    "add_tangent": ("tx", "ty"), "mul_tangent": ("tx", "ty"), "repeated_adjoint": ("g",),
    "mul_tangent_adjoint": ("g",), "fresh": (), "shape_only": ("x",),
    "zeros_like_grad": (), "add_grad": ("a", "b"), "add_at": ("acc", "g"),
    "set_at": ("acc", "value"), "add_at_in_place": ("acc", "g"),
    "set_at_in_place": ("acc", "value"), "writable": ("acc",), "unbroadcast": ("g",), "broadcast_like": ("t",),
    "spread": ("g",), "assigned_part": ("g",), "power_slope": (), "power_slope_in_y": (),
    "safe_log": (), "exponent_tangent": (), "matmul_adjoint_x": (), "matmul_adjoint_y": (),
    "matmul_adjoint_x_sum": (), "matmul_adjoint_y_sum": (), "float_dtype": (),
    "matmul_adjoint_x_sum_transpose": (), "matmul_adjoint_y_sum_transpose": (),
    "sum_adjoint": ("g",), "sum_tangent": ("t",), "select_weights": (), "unarray": ("g",),
    "diag_adjoint": ("g",), "trace_adjoint": (), "product_adjoint_a": (),
    "product_adjoint_b": (), "solve_transposed": (), "solve_adjoint_a": (),
    "solve_tangent_b": (), "keys_of": (), "check_output": (), "check_plain_operand": (), "check_kinds": (), "check_function": (), "check_seed": (), "check_tangent": (), "_shaped_unlike": (),
    "_shape_described": (), "check_real": (), "_complex_within": (), "as_floats": ("value",), "_made_floats": ("value",), "check_plain_result": (), "check_method": (),
    "check_reversible": (), "check_item_copied": (), "check_slice_length": (), "if_floating": ("d",), "counted": (), "stored_part": ("g",), "einsum_one": ("x",),
    "listed": ("xs",), "tupled": ("xs",), "unlisted": ("g",), "listed_tangent": ("t",),
    "transposed": ("rows",), "untransposed": ("g",),
    "part_at": ("g",),
    "whole_of": ("g",), "unarray_transpose": ("u",), "pushed_back": ("g", "item"),
    "inserted_back": ("g", "item"), "popped_index": (), "field_index": (), "field": ("record",), "field_adjoint": ("g",), "field_tangent": ("t",), "insertion_index": (), "without_item": ("g",), "with_zero_item": ("g",), "saved_item": ("container",),
    "restored_item": ("container", "saved"), "saved_item_tangent": ("t",),
    "saved_item_adjoint": ("g",), "restored_tangent": ("t",), "restored_part": ("g",),
    "structured": ("g",), "structured_transpose": ("u",), "largest": ("xs",),
    "smallest": ("xs",), "extremum_weights": (),
    # (read from their sources, these would share more: `zip(pieces, xs)` in a comprehension)
    "_loop_sum": ("fixed",), "expand_to": (), "unconcatenate": ("g",), "unhstack": (),
    "unvstack": (), "uncolumn_stack": (), "unstack_like": (), "diff_tangent": (),
    "einsum_adjoint": (), "adjugate": (), "adjugate_tangent": (), "adjugate_adjoint": (),
    "adjugate_second": (), "adjugate_second_adjoint": (), "_products_but_one": (),
    "_products_but_two": (), "_products_but_three": (), "_svd_for_adjugate": (),
    "_well_conditioned_inverse": (), "_adjugate_of_diagonal_tangent": (),
    "_third_of_diagonal": (),
}

HELPERS = (add_adjoint, add_tangent, mul_adjoint, mul_adjoint_along, repeated_adjoint, mul_tangent,
           mul_tangent_adjoint, fresh, kept,
           keys_of, _joins, _repeats, add_adjoint_transpose, mul_adjoint_transpose, _promoted,
           matmul_adjoint_x, matmul_adjoint_y, matmul_adjoint_x_sum, matmul_adjoint_y_sum,
           matmul_adjoint_x_sum_transpose, matmul_adjoint_y_sum_transpose,
           _loop_sum, _vector_rows, product_rule_terms, expand_to, reduced_size, unbroadcast,
           broadcast_like,
           zeros_like_grad, shape_only, add_grad, _items, _get, add_at, set_at,
           add_at_in_place,
           set_at_in_place, _writes_in_place, writable, assigned_part, _is_basic,
           filled_diagonal, diagonal_part,
           unstack, saved_item, restore_item, restored_item, saved_item_tangent,
           saved_item_adjoint, restored_tangent, restored_part, part_at, whole_of, pushed_back, inserted_back,
           popped_index, field_index, _field_position, field, field_adjoint, field_tangent,
           _field_at,
           insertion_index,
           without_item, with_zero_item, structured, _structured_item,
           structured_transpose)


# ----- helpers of the NumPy rules (srcad/rules/numpy_rules.py) -----
# Each one is NumPy-only and keeps the floating dtype of its inputs (float32 in,
# float32 out) wherever NumPy's promotion allows.


def float_dtype(*xs):
    """The floating dtype a derivative of `xs` should have (float32 stays float32)."""
    if len(xs) == 1 and type(xs[0]) is np.ndarray and xs[0].dtype.kind == "f":
        return xs[0].dtype
    dtypes = [np.asarray(x).dtype for x in xs if not isinstance(x, (int, float))]
    if dtypes and all(np.issubdtype(d, np.floating) for d in dtypes):
        return np.result_type(*dtypes)
    return np.dtype(np.float64)


def cast_like(g, x):
    """`g` with the floating dtype of `x` (the adjoint of a dtype conversion)."""
    return np.asarray(g).astype(float_dtype(x))[()] if np.ndim(g) == 0 else \
        np.asarray(g).astype(float_dtype(x))


def cast_tangent(t, ans):
    """A tangent converted like the value it belongs to (floating results only)."""
    if np.issubdtype(np.asarray(ans).dtype, np.floating):
        return np.asarray(t).astype(np.asarray(ans).dtype)
    return t


def balanced_weight(x, y):
    """1 where x > y, 0 where x < y, 1/2 on ties: the share of x in max(x, y) (as JAX)."""
    w = np.where(np.greater(x, y), 1.0, np.where(np.equal(x, y), 0.5, 0.0))
    return w.astype(float_dtype(x, y))


def fmax_weight(x, y):
    """The share of x in np.fmax(x, y): NaN-aware (a NaN never wins), ties split."""
    w = balanced_weight(x, y)
    return np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, w)).astype(w.dtype)


def clip_masks(x, lo, hi):
    """Which of x, a_min, a_max each element of np.clip(x, a_min, a_max) comes from.

    x is passed through where a_min <= x <= a_max (bounds included), as in
    autograd and PyTorch.
    """
    shape = np.broadcast_shapes(np.shape(x), np.shape(lo) if lo is not None else (),
                                np.shape(hi) if hi is not None else ())
    dtype = float_dtype(x, *[b for b in (lo, hi) if b is not None])
    raised = x if lo is None else np.maximum(x, lo)       # NumPy: minimum(maximum(x, lo), hi)
    high = np.zeros(shape, bool) if hi is None else np.broadcast_to(np.greater(raised, hi), shape)
    low = np.zeros(shape, bool) if lo is None else np.broadcast_to(np.less(x, lo), shape)
    low = low & ~high
    inside = ~(low | high)
    return inside.astype(dtype), low.astype(dtype), high.astype(dtype)


def power_slope(x, y, n=1):
    """The n-th derivative of x ** y in x, y (y - 1) ... (y - n + 1) x ** (y - n), taken as 0
    where that product is (x ** 0 is 1 and x ** 2 has no third derivative, at x = 0 too)."""
    coefficient = y
    for k in range(1, n):
        coefficient = coefficient * (y - k)
    if np.ndim(coefficient) == 0 and np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        if coefficient == 0:
            return zeros_like_grad(x)
        try:
            return coefficient * x ** (y - n)
        except ZeroDivisionError:        # 0.0 ** -0.5: the slope is infinite, as in NumPy
            with np.errstate(divide="ignore"):
                return float(coefficient * np.float64(x) ** (y - n))
    zero = np.equal(coefficient, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = coefficient * np.asarray(x, float_dtype(x)) ** np.where(zero, 1, y - n)
    return np.where(zero, 0.0, slope).astype(float_dtype(x, slope))[()]


def power_slope_in_y(x, y, n=1):
    """The derivative of power_slope(x, y, n) in y: (c'(y) + c(y) log x) x ** (y - n), where
    c(y) = y (y - 1) ... (y - n + 1), with log x taken as 0 at x = 0 (as `safe_log`)."""
    coefficient, slope = 1.0, 0.0
    for k in range(n):          # the product rule, one factor (y - k) at a time
        coefficient, slope = coefficient * (y - k), slope * (y - k) + coefficient
    x = np.asarray(x, float_dtype(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((slope + coefficient * safe_log(x)) * x ** (y - n))[()]


def safe_log(x):
    """log(x) where x != 0, else 0: the y-derivative of x ** y at x = 0 is 0 (as JAX); nan
    where x < 0, without NumPy's warning (`exponent_tangent` drops it where the exponent
    does not vary, as an int read from a list that also holds floats does not)."""
    x = np.asarray(x)
    logs = np.log(np.where(x > 0, x, 1.0))
    return np.where(x > 0, logs, np.where(x == 0, 0.0, np.nan))[()]


def exponent_tangent(t, slope):
    """t * slope for the tangent t of the exponent y of x ** y and its slope in y (x ** y
    log x, nan where x < 0), 0 where t is 0: a direction that leaves y as it is changes
    x ** y by its x-derivative alone, which an integral y has at x < 0 (an int read from a
    list that also holds floats has a tangent, of zeros)."""
    with np.errstate(invalid="ignore"):
        product = np.asarray(t * slope)
    return np.where(np.equal(t, 0), product.dtype.type(0), product)[()]


# sinc'(x) = sum over k >= 1 of (-1)^k pi^2k 2k x^(2k-1) / (2k + 1)!, as x times a polynomial
# in x^2 (highest power first, for np.polyval): -(pi^2 / 3) x + (pi^4 / 30) x^3 - ...
# Eight terms reach rounding for |x| < 0.25, where the closed form is as accurate.
SINC_SLOPE_SERIES = tuple((-1) ** k * np.pi ** (2 * k) * 2 * k / np.prod(np.arange(1.0, 2 * k + 2))
                          for k in range(8, 0, -1))


def sinc_derivative(x):
    """d/dx sinc(x) = (cos(pi x) - sinc(x)) / x, by its Taylor series where |x| < 0.25.

    Near 0 the closed form cancels (all of its digits at x = 1e-9) and is 0/0 at 0; the
    series is accurate there and, being a polynomial, has the right derivatives when srcad
    differentiates this helper again (sinc''(0) = -pi^2 / 3). Each branch is fed only the
    values it is chosen for, so that neither adds a nan to the other's derivative."""
    x = np.asarray(x)
    near_zero = np.abs(x) < 0.25
    far = np.where(near_zero, 1.0, x)
    near = np.where(near_zero, x, 0.0)
    series = near * np.polyval(SINC_SLOPE_SERIES, near * near)
    closed_form = (np.cos(np.pi * far) - np.sinc(far)) / far
    return np.where(near_zero, series, closed_form).astype(float_dtype(x))[()]


def spread(g, x, axis=None, keepdims=False):
    """expand_to, keeping x's floating dtype when g is a Python number (the float seed)."""
    if axis is None and isinstance(g, (int, float)):
        if type(x) is np.ndarray and x.dtype.kind == "f":
            return np.full_like(x, g)
        return np.full(np.shape(x), g, dtype=float_dtype(x))
    out = expand_to(g, x, axis, keepdims)
    if isinstance(g, (int, float)):
        return out.astype(float_dtype(x))
    return out


def _axes(axis, ndim):
    """`axis` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(a % ndim if ndim else 0 for a in axes))


def chooser_weights(x, ans, axis=None, keepdims=False):
    """The share of each element of x in max/min(x, axis): ties split evenly (as JAX)."""
    x = np.asarray(x)
    hit = np.equal(x, expand_to(ans, x, axis, keepdims))
    count = np.sum(hit, axis=_axes(axis, x.ndim), keepdims=True)
    return (hit / count).astype(float_dtype(x))


def largest(xs):
    """Builtin max(xs) of one iterable: NumPy's max of a vector or a list of numbers (its
    derivative: `extremum_weights`), Python's of anything else (strings, dict keys, tuples
    compared in turn), whose value is what the user's code computes."""
    return np.max(xs) if _numbers(xs) else max(xs)


def smallest(xs):
    """Builtin min(xs) of one iterable (see `largest`)."""
    return np.min(xs) if _numbers(xs) else min(xs)


def _numbers(xs):
    """Whether xs is a vector of numbers, or a list or tuple of numbers."""
    if isinstance(xs, np.ndarray):
        return xs.ndim <= 1 and xs.dtype.kind in "biuf"
    return isinstance(xs, (list, tuple)) and all(
        isinstance(x, (int, float, np.number)) or isinstance(x, np.ndarray) and x.ndim == 0
        for x in xs)


def extremum_weights(xs, ans):
    """The share of each number of xs in largest(xs) or smallest(xs) (ties split evenly);
    refused where max or min compared other things than numbers."""
    if not _numbers(xs):
        raise refused("max(...) or min(...) of other things than numbers (tuples, strings) "
                      "is not differentiable", "take max or min of the numbers, or find the "
                      "index with np.argmax and read the values there")
    return chooser_weights(xs, ans)


def _grouped(x, axis):
    """x with the axes of `axis` moved last and flattened into one, and how to undo that."""
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    perm = [a for a in range(x.ndim) if a not in axes] + list(axes)
    moved = np.transpose(x, perm)
    return moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,)), (perm, moved.shape)


def _ungrouped(flat, how):
    perm, shape = how
    return np.transpose(flat.reshape(shape), np.argsort(perm))


def _shifted(v, first):
    """v moved one place along its last axis: first, v[0], ..., v[n - 2]."""
    return np.concatenate([np.full_like(v[..., :1], first), v[..., :-1]], axis=-1)


def prod_others(x, axis=None):
    """For each element, the product of the other elements of its group in prod(x, axis).

    Exact when x holds zeros (no division): exclusive cumulative products from
    the left and the right.
    """
    flat, how = _grouped(x, axis)
    left = np.cumprod(_shifted(flat, 1), axis=-1)
    right = np.cumprod(_shifted(flat[..., ::-1], 1), axis=-1)[..., ::-1]
    return _ungrouped(left * right, how)


def prod_others_tangent(t, x, axis=None):
    """The tangent of prod_others(x, axis) along t: the product rule on the products from
    the left and the right, each the tangent of a cumprod (exact at zeros)."""
    flat, how = _grouped(x, axis)
    tflat = _grouped(np.broadcast_to(t, np.shape(x)), axis)[0]
    a, ta = _shifted(flat, 1), _shifted(tflat, 0)
    b, tb = _shifted(flat[..., ::-1], 1), _shifted(tflat[..., ::-1], 0)
    left, right = np.cumprod(a, axis=-1), np.cumprod(b, axis=-1)
    d_left = cumprod_tangent(ta, left, a, a.ndim - 1)
    d_right = cumprod_tangent(tb, right, b, b.ndim - 1)
    return _ungrouped(d_left * right[..., ::-1] + left * d_right[..., ::-1], how)


def var_weights(x, axis=None, ddof=0):
    """d var(x, axis, ddof) / dx = 2 (x - mean) / (N - ddof)."""
    x = np.asarray(x)
    centred = x - np.mean(x, axis=axis, keepdims=True)
    return centred * (2.0 / (reduced_size(x, axis) - ddof))


def cumsum_adjoint(g, x, axis=None):
    """The adjoint of np.cumsum(x, axis): a cumulative sum of g from the end."""
    g = np.asarray(g)
    if axis is None:
        return np.cumsum(g[::-1])[::-1].reshape(np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _replaced(x, axis, i, value):
    """A copy of x with element i along axis replaced by `value` (a slice)."""
    y = np.array(x, dtype=np.result_type(x, value), copy=True)
    index = [slice(None)] * y.ndim
    index[axis] = i
    y[tuple(index)] = value
    return y


def _cumprod_replaced(x, axis, i, value):
    """np.cumprod(x, axis) with element i along axis replaced by `value` (a slice)."""
    return np.cumprod(_replaced(x, axis, i, value), axis=axis)


def _from(x, axis, i):
    """1 from place i on along axis, 0 before it (shaped to broadcast against x)."""
    return (np.arange(x.shape[axis]) >= i).reshape(
        [-1 if a == axis else 1 for a in range(x.ndim)])


def _flat_along(x, axis, *others):
    """x (and `others` shaped like it) flattened where axis is None, and the axis."""
    if axis is None:
        return (np.ravel(x), *[np.ravel(o) for o in others], 0)
    return (np.asarray(x), *[np.asarray(o) for o in others], axis)


def _later_sums(g, x, axis, others):
    """For each i along axis, the sum over j >= i of g_j others(i)_j (others(i): the
    products up to each j without x_i, or their tangents): cumprod's adjoint at zeros."""
    out = np.zeros_like(x, dtype=np.result_type(g, x))
    index = [slice(None)] * x.ndim
    for i in range(x.shape[axis]):
        index[axis] = i
        out[tuple(index)] = np.sum(g * others(i) * _from(x, axis, i), axis=axis)
    return out


def cumprod_adjoint(g, ans, x, axis=None):
    """The adjoint of np.cumprod(x, axis); exact at zeros (then O(n^2) along axis)."""
    shape = np.shape(x)
    x, axis = _flat_along(x, axis)
    g = np.asarray(g)
    if np.all(x != 0):
        out = cumsum_adjoint(g * ans, x, axis) / x
        return out.reshape(shape)
    return _later_sums(g, x, axis, lambda i: _cumprod_replaced(x, axis, i, 1)).reshape(shape)


def cumprod_adjoint_along(g, ans, x, axis, t, k):
    """The change of cumprod_adjoint(g, ans, x, axis) along a tangent t of ans (k = 1) or x
    (k = 2), as the helper reads them: cumsum_adjoint(g ans) / x where x has no zeros;
    x alone (through the products without each x_i) where it has."""
    shape = np.shape(x)
    x, t, axis = _flat_along(x, axis, np.broadcast_to(t, np.shape(ans if k == 1 else x)))
    g = np.asarray(g)
    if np.all(x != 0):
        if k == 1:
            return (cumsum_adjoint(g * t, x, axis) / x).reshape(shape)
        return (-cumsum_adjoint(g * ans, x, axis) / x * t / x).reshape(shape)
    if k == 1:
        return np.zeros(shape, dtype=np.result_type(g, x))
    return _later_sums(g, x, axis, lambda i: cumprod_tangent(
        _replaced(t, axis, i, 0), _cumprod_replaced(x, axis, i, 1), _replaced(x, axis, i, 1),
        axis)).reshape(shape)


def cumprod_adjoint_transpose(g, u, c, x, axis, k):
    """The adjoint of argument k (0: u, 1: c, 2: x) of cumprod_adjoint(u, c, x, axis) for
    the adjoint g of its value (x's shape): linear in u, cumprod's own tangent along g;
    where x has no zeros, u cumsum(g / x) for c and -g cumsum_adjoint(u c) / x^2 for x;
    where it has, the helper reads x alone (c: 0), and its Jacobian in x is symmetric (the
    Hessian of sum(u * cumprod(x))): x's part is its change along g."""
    if k == 0:
        return cumprod_tangent(g, c, x, axis)
    if k == 2 and not np.all(np.asarray(x) != 0):
        return cumprod_adjoint_along(u, c, x, axis, g, 2)
    shape = np.shape(x)
    x, g, axis = _flat_along(x, axis, np.broadcast_to(g, shape))
    if not np.all(x != 0):
        return np.zeros(np.shape(c), dtype=np.result_type(g, x))
    if k == 1:
        return (np.asarray(u) * np.cumsum(g / x, axis=axis)).reshape(np.shape(c))
    return (-g * cumsum_adjoint(np.asarray(u) * c, x, axis) / (x * x)).reshape(shape)


def cumprod_tangent(t, ans, x, axis=None):
    """The tangent of np.cumprod(x, axis) along t; exact at zeros."""
    x, t, axis = _flat_along(x, axis, t)
    if np.all(x != 0):
        return ans * np.cumsum(t / x, axis=axis)
    out = 0.0
    index = [slice(None)] * x.ndim
    for i in range(x.shape[axis]):
        index[axis] = i
        out = out + _cumprod_replaced(x, axis, i, t[tuple(index)]) * _from(x, axis, i)
    return out


# ----- norms -----


def _norm_is_matrix(x, ord, axis):
    if axis is None:
        return ord is not None and np.ndim(x) == 2
    return isinstance(axis, (tuple, list)) and len(axis) == 2


def norm_weights(x, ans, ord=None, axis=None, keepdims=False):
    """The local gradient of np.linalg.norm(x, ord, axis, keepdims), shaped like x.

    adjoint = expand_to(g) * weights; tangent = sum(t * weights) over the reduced
    axes. At x = 0 the 2-norm's gradient is taken as 0 (a subgradient).
    """
    x = np.asarray(x)
    dtype = float_dtype(x)
    if _norm_is_matrix(x, ord, axis):
        return _matrix_norm_weights(x, ans, ord, (0, 1) if axis is None else axis,
                                    keepdims).astype(dtype)
    axes = None if axis is None else axis
    n = expand_to(ans, x, axes, keepdims)
    absx = np.abs(x)
    if ord is None or ord == 2:
        w = norm_weights_kept(x / np.where(n == 0, 1, n), n)
    elif ord == 1:
        w = np.sign(x)
    elif ord == np.inf or ord == -np.inf:
        hit = np.equal(absx, n)
        w = np.sign(x) * hit / np.sum(hit, axis=_axes(axes, x.ndim), keepdims=True)
    elif ord == 0:
        w = np.zeros_like(x)
    else:
        w = norm_weights_kept(np.sign(x) * absx ** (ord - 1) / np.where(n == 0, 1, n)
                              ** (ord - 1), n)
    return np.asarray(w).astype(dtype)


def _norm_nonzero(n):
    """Refused where a norm n whose weights change with x (a p-norm other than 0, 1 and
    inf, the Frobenius norm) is 0: there it has no second derivative (its gradient x / n
    for p = 2 jumps), where the rules gave NaN (inf times 0) and grad of grad 0."""
    if np.any(np.asarray(n) == 0):
        raise refused("a p-norm or the Frobenius norm (np.linalg.norm, vector_norm, "
                      "matrix_norm) has no second derivative where it is 0: its gradient, "
                      "x / ||x|| for p = 2, jumps there (the first derivative srcad gives "
                      "there, 0, is a subgradient)", "for the square of the 2-norm write np.sum(x * x) "
                      "(smooth at 0), or keep x away from 0")


def norm_weights_kept(w, n):
    """w, the weights of a p-norm n (shaped like x), as they are: its rules refuse their
    derivative where n is 0 (`_norm_nonzero`), for srcad's reverse over `norm_weights`
    (grad of grad)."""
    return w


def norm_weights_checked(g, n):
    """g, the tangent (cotangent) of `norm_weights_kept`'s w, where w has one."""
    _norm_nonzero(n)
    return g


def vector_norm_weights(x, ans, axis=None, keepdims=False, ord=2):
    """The local gradient of np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord),
    shaped like x: `norm_weights`' of a vector norm, the axes it reduces (all for None)
    flattened into one."""
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    kept = [k for k in range(x.ndim) if k not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = np.reshape(moved, moved.shape[:len(kept)] + (-1,))
    weights = norm_weights(flat, np.linalg.vector_norm(flat, axis=-1, ord=ord), ord, -1)
    return np.transpose(np.reshape(weights, moved.shape), np.argsort(kept + list(axes)))


def cond_weights(x, p=None):
    """The local gradient of np.linalg.cond(x, p), shaped like x (stacks too): for p None or
    2, s_1 / s_n, u_1 v_1^T / s_n - s_1 u_n v_n^T / s_n^2 (-2: the reverse ratio); for the
    others, |x| |x^-1| with norm_weights W, |x^-1| W(x) - |x| x^-T W(x^-1) x^-T."""
    x = np.asarray(x)
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    if np.any(s[..., -1] <= max(x.shape[-2:]) * np.finfo(float_dtype(x)).eps * s[..., 0]):
        raise refused("np.linalg.cond of a singular matrix (of lower rank than min(m, n)): "
                      "infinite, with no derivative", "keep the matrix away from singular "
                      "ones, or differentiate its singular values (np.linalg.svdvals)")
    if p in (None, 2, -2):
        big, small = (0, -1) if p != -2 else (-1, 0)
        top, bottom = s[..., big, None, None], s[..., small, None, None]
        first = u[..., :, big, None] * vh[..., None, big, :]
        last = u[..., :, small, None] * vh[..., None, small, :]
        return first / bottom - top * last / (bottom * bottom)
    inverse = np.linalg.inv(x)
    axes = (-2, -1)
    norm, inverse_norm = np.linalg.norm(x, p, axes), np.linalg.norm(inverse, p, axes)
    return inverse_norm[..., None, None] * norm_weights(x, norm, p, axes) - (
        norm[..., None, None] * mT(inverse) @ norm_weights(inverse, inverse_norm, p, axes)
        @ mT(inverse))


def norm_weights_slopes(x, n, w, ord=None, axis=None, keepdims=False):
    """(a, b): the weights w = norm_weights(x, n, ...) change by a t + b s along tangents
    t of x and s of the norm n (s spread over x's shape).

    For a p-norm w = sign(x) |x|^(p-1) / n^(p-1) (x / n for 2 and Frobenius), so
    a = (p - 1) |x|^(p-2) / n^(p-1) and b = -(p - 1) w / n (inf or nan at n = 0, where
    the norm has no second derivative); the weights of ord 0, 1, inf, -inf (and the matrix
    1, -1, inf, -inf) are constant between their kinks: a = b = 0.
    """
    x = np.asarray(x)
    matrix = _norm_is_matrix(x, ord, axis)
    p = 2 if ord in (None, "fro") else ord
    # (the weights of the nuclear norm and of ord 2 and -2, singular vectors, do not depend
    # on n; their change along t is no factor times t: `norm_weights_change`)
    if matrix and p != 2 or matrix and ord == 2 or p in (0, 1, np.inf, -np.inf):
        zero = np.zeros(x.shape, dtype=float_dtype(x))
        return zero, zero
    if matrix and axis is None:
        axis = (0, 1)
    n = expand_to(n, x, axis, keepdims)
    _norm_nonzero(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p - 1) * np.abs(x) ** (p - 2) / n ** (p - 1), -(p - 1) * w / n


def norm_weights_change(t, x, n, w, ord=None, axis=None, keepdims=False):
    """How the weights w = norm_weights(x, n, ...) change along a tangent t of x: t times
    `norm_weights_slopes`' a, but for the matrix norms made of singular vectors ('nuc', 2,
    -2: `_singular_weights_change`)."""
    x = np.asarray(x)
    if _norm_is_matrix(x, ord, axis) and ord in ("nuc", 2, -2):
        r, c = ((0, 1) if axis is None else axis)
        r, c = r % x.ndim, c % x.ndim
        moved = _singular_weights_change(np.moveaxis(np.asarray(t), (r, c), (-2, -1)),
                                         np.moveaxis(x, (r, c), (-2, -1)), ord)
        return np.moveaxis(moved, (-2, -1), (r, c)).astype(float_dtype(x, t))
    return t * norm_weights_slopes(x, n, w, ord, axis, keepdims)[0]


def _singular_weights_change(t, x, ord):
    """The change along t of the weights of matrices x (stacked on leading axes): U V^T of
    the nuclear norm, u_k v_k^T of ord 2 (k the largest singular value) and -2 (the
    smallest). These are the upper right block of f(B), B = [[0, x], [x^T, 0]], whose
    eigenvalues are the singular values s and -s (and |m - n| zeros): f = sign for 'nuc'
    (times 1), the indicator of s_k for ord 2 and -2 (times 2). Daleckii-Krein: f(B)
    changes along E by Z (F * (Z^T E Z)) Z^T, F_ij = (f_i - f_j) / (l_i - l_j) (0 where
    both f are equal). Where it has no derivative (a repeated s_k, a singular x for
    'nuc' or -2), refused (`_singular_weights_defined`)."""
    m, n = x.shape[-2:]
    block = np.zeros(x.shape[:-2] + (m + n, m + n), dtype=float_dtype(x))
    block[..., :m, m:] = x
    block[..., m:, :m] = mT(x)
    values, vectors = np.linalg.eigh(block)
    _singular_weights_defined(values[..., max(m, n):], ord)
    # (ascending: the k = min(m, n) values -s, the |m - n| zeros, then s from the smallest,
    # at max(m, n), up: f by position, so that a singular value 0, or one repeated, meets
    # an f other than its own at the same eigenvalue: inf)
    k = min(m, n)
    f = np.zeros(m + n, dtype=values.dtype)
    if ord == "nuc":
        f[:k], f[max(m, n):], scale = -1.0, 1.0, 1.0
    else:
        f[m + n - 1 if ord == 2 else max(m, n)], scale = 1.0, 2.0
    change = np.zeros_like(block)
    change[..., :m, m:] = t
    change[..., m:, :m] = mT(t)
    df = f[:, None] - f[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(df == 0, 0.0, df / (values[..., :, None] - values[..., None, :]))
        inner = ratios * (mT(vectors) @ change @ vectors)
        return scale * (vectors @ inner @ mT(vectors))[..., :m, m:]


def _singular_weights_kinked(s, ord):
    """Where the weights of `_singular_weights_change` have no derivative, given the
    singular values s (ascending): the largest one repeated (ord 2), the smallest one
    repeated or 0 (-2), a 0 (the nuclear norm), to the rounding of the SVD; eigenvalues
    that differ by rounding only would give a finite but meaningless change."""
    tolerance = s.shape[-1] * 4 * np.finfo(s.dtype).eps * np.max(np.abs(s), axis=-1)
    gaps = np.diff(s, axis=-1)
    if ord == 2:
        return gaps[..., -1] <= tolerance if s.shape[-1] > 1 else np.zeros(s.shape[:-1], bool)
    low = s[..., 0] <= tolerance
    return low if ord == "nuc" or s.shape[-1] == 1 else low | (gaps[..., 0] <= tolerance)


def _singular_weights_defined(s, ord):
    """Refused where the weights of the matrix norm ord ('nuc', 2, -2) have no derivative,
    given the singular values s (ascending) of the matrices: there the norm has no second
    derivative (its singular vectors, its gradient's factors, turn anyhow with the smallest
    change of the matrix), and NaN would be the silent answer."""
    if np.any(_singular_weights_kinked(s, ord)):
        which = {2: "largest singular value is repeated", -2: "smallest singular value is "
                 "repeated or 0", "nuc": "singular values include a 0"}[ord]
        raise refused(f"the matrix norm of ord {ord!r} (np.linalg.norm, matrix_norm) has no "
                      f"second derivative at a matrix whose {which}: its gradient, made of "
                      "singular vectors, turns anyhow there with the smallest change of the "
                      "matrix",
                      "use first derivatives alone there, or move the matrix away from such "
                      "ones (a small perturbation that keeps its singular values apart)")


def singular_weights_kept(w, s, ord):
    """w, the weights of the matrix norm ord ('nuc', 2, -2) of matrices with singular
    values s (descending, as np.linalg.svd gives them), as they are: its rules refuse
    their derivative where it is not defined (`_singular_weights_defined`), for srcad's
    reverse over `_matrix_norm_weights` (grad of grad), which would otherwise give the
    derivative of the singular vectors that svd happened to return."""
    return w


def singular_weights_checked(g, s, ord):
    """g, the tangent (cotangent) of `singular_weights_kept`'s w, where w has one."""
    _singular_weights_defined(np.flip(s, axis=-1), ord)
    return g


def _matrix_norm_weights(x, ans, ord, axis, keepdims):
    r, c = axis[0] % x.ndim, axis[1] % x.ndim
    moved = np.moveaxis(x, (r, c), (-2, -1))
    if ord in (None, "fro"):
        n = expand_to(ans, x, axis, keepdims)
        return norm_weights_kept(x / np.where(n == 0, 1, n), n)
    if ord in ("nuc", 2, -2):
        u, s, vt = np.linalg.svd(moved, full_matrices=False)
        if ord == "nuc":
            w = u @ vt
        else:
            k = 0 if ord == 2 else -1
            w = u[..., :, k, None] * vt[..., None, k, :]
        return np.moveaxis(singular_weights_kept(w, s, ord), (-2, -1), (r, c))
    if ord in (1, -1, np.inf, -np.inf):
        along = -2 if ord in (1, -1) else -1          # 1: column sums, inf: row sums
        sums = np.sum(np.abs(moved), axis=along, keepdims=True)
        best = np.max(sums, axis=-1 if along == -2 else -2, keepdims=True) if ord > 0 \
            else np.min(sums, axis=-1 if along == -2 else -2, keepdims=True)
        hit = np.equal(sums, best)
        w = np.sign(moved) * hit / np.sum(hit, axis=(-2, -1), keepdims=True)
        return np.moveaxis(w, (-2, -1), (r, c))
    raise refused(f"no derivative for the matrix norm ord={ord!r}",
                  hint="use ord None, 'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf")


# ----- shape operations -----


def inverse_axes(axes, x):
    """The permutation that undoes np.transpose(x, axes) (None stays None)."""
    if axes is None:
        return None
    return tuple(int(a) for a in np.argsort([a % np.ndim(x) for a in axes]))


def method_axes(axes):
    """x.transpose(*axes) takes axes as varargs or one tuple: normalise to a tuple or None."""
    if len(axes) == 0 or (len(axes) == 1 and axes[0] is None):
        return None
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        return tuple(axes[0])
    return tuple(axes)


def method_shape(shape):
    """x.reshape(*shape) takes the shape as varargs or one tuple."""
    if len(shape) == 1:
        return shape[0]
    return tuple(shape)


def spaced_weights(start, stop, num, endpoint, axis, retstep=False):
    """w_k = k / (num - 1) (k / num without the endpoint), shaped along `axis` of
    np.linspace(start, stop, num, endpoint, axis=axis): sample k is (1 - w_k) start + w_k stop
    (logspace and geomspace sample that line too)."""
    if retstep:
        raise refused("np.linspace(..., retstep=True) is not differentiable",
                      hint="compute the step as (stop - start) / (num - 1)")
    ndim = len(np.broadcast_shapes(np.shape(start), np.shape(stop))) + 1
    shape = [1] * ndim
    shape[axis % ndim] = num
    return np.linspace(0.0, 1.0, num, endpoint=endpoint).reshape(shape)


def counts_from(stop):
    """1.0 where np.arange(start, stop, ...) counts from its first argument, 0.0 for
    np.arange(n), which counts from 0 up to it."""
    return 0.0 if stop is None else 1.0


def along(t, ans, axis):
    """A tangent of a bound of np.linspace (logspace, geomspace): broadcast to the shape of
    the samples without `axis`, that axis put back with length 1."""
    shape = list(np.shape(ans))
    axis = axis % len(shape)
    del shape[axis]
    return np.expand_dims(np.broadcast_to(t, shape), axis)


def permute_axes(x, axes):
    """np.transpose(x, axes) with negative axes allowed (for the inverse permutation)."""
    if axes is None:
        return np.transpose(x)
    nd = np.ndim(x)
    return np.transpose(x, tuple(a % nd for a in axes))


def unconcatenate(g, xs, axis=0):
    """The adjoint of np.concatenate(xs, axis): the list of pieces of g."""
    g = np.asarray(g)
    if axis is None:
        sizes = np.cumsum([np.size(x) for x in xs])[:-1]
        return _items_like([p.reshape(np.shape(x)) for p, x in zip(np.split(g, sizes), xs)],
                           xs)
    sizes = np.cumsum([np.shape(x)[axis] for x in xs])[:-1]
    return _items_like(np.split(g, sizes, axis=axis), xs)


def concatenated(g, xs, axis=0):
    """The adjoint of unconcatenate(u, xs, axis), which is linear in u: the pieces'
    adjoints g joined back (flattened for axis None; an unused piece's 0.0 spread)."""
    pieces = [np.broadcast_to(p, np.shape(x)) for p, x in zip(g, xs)]
    if axis is None:
        return np.concatenate([np.ravel(p) for p in pieces])
    return np.concatenate(pieces, axis=axis)


def unhstack(g, xs):
    """The adjoint of np.hstack(xs)."""
    axis = 0 if np.ndim(xs[0]) <= 1 else 1
    pieces = unconcatenate(g, [np.atleast_1d(x) for x in xs], axis)
    return _items_like([p.reshape(np.shape(x)) for p, x in zip(pieces, xs)], xs)


def unvstack(g, xs):
    """The adjoint of np.vstack(xs)."""
    pieces = unconcatenate(g, [np.atleast_2d(x) for x in xs], 0)
    return _items_like([p.reshape(np.shape(x)) for p, x in zip(pieces, xs)], xs)


def uncolumn_stack(g, xs):
    """The adjoint of np.column_stack(xs): 1-d items are columns of g, 2-d items blocks."""
    columns = [np.reshape(x, (-1, 1)) if np.ndim(x) < 2 else x for x in xs]
    return _items_like([p.reshape(np.shape(x)) for p, x in zip(unconcatenate(g, columns, 1),
                                                                xs)], xs)


def appended_part(g, arr, values, axis=None, first=True):
    """The adjoint of `arr` (`first`) or of `values` in np.append(arr, values, axis): its
    piece of g (of the flattened g where axis is None), shaped like it."""
    g = np.asarray(g)
    if axis is None:
        n = np.size(arr)
        part, like = (g[:n], arr) if first else (g[n:], values)
    else:
        head, tail = np.split(g, [np.shape(arr)[axis]], axis=axis)
        part, like = (head, arr) if first else (tail, values)
    return unarray(np.reshape(part, np.shape(like)), like)


def unsplit(g, ans, axis=0):
    """The adjoint of np.split(x, ...): g is a list of adjoints, 0.0 for unused pieces."""
    parts = [np.broadcast_to(np.asarray(gi, dtype=np.result_type(gi, ai)), np.shape(ai))
             for gi, ai in zip(g, ans)]
    return np.concatenate(parts, axis=axis)


def unstack_like(g, xs, axis=0):
    """The adjoint of np.stack(xs, axis), each piece in the shape of its input."""
    return _items_like([np.reshape(p, np.shape(x)) for p, x in zip(unstack(g, axis), xs)], xs)


def stacked_like(g, u, axis=0):
    """The adjoint of unstack_like(u, xs, axis), which is linear in u: the pieces' adjoints
    g stacked back along axis (an unused piece's 0.0 spread over its slice)."""
    piece = np.shape(np.take(np.asarray(u), 0, axis=axis))
    return np.stack([np.broadcast_to(p, piece) for p in g], axis=axis)


def listed(xs):
    """Builtin list(xs) of one iterable (generated code calls it so: its rule is srcad's)."""
    return list(xs)


def tupled(xs):
    """Builtin tuple(xs) of one iterable (see `listed`)."""
    return tuple(xs)


def unlisted(g, xs):
    """The adjoint of list(xs) or tuple(xs): the items' adjoints `g` in the structure of xs
    (a list, a tuple, or an array whose rows they are)."""
    if isinstance(xs, np.ndarray):
        if xs.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        rows = [np.broadcast_to(gi, xs.shape[1:]) for gi in g]
        return np.array(rows, dtype=float_dtype(xs)).reshape(xs.shape)
    if isinstance(xs, (list, tuple)):
        return _sequence_like(g, xs)
    raise refused(f"list() or tuple() of a {type(xs).__name__} that varies",
                  "make the list from its items ([v for v in ...])")


def transposed(rows):
    """`list(zip(*rows))`: the tuple of the rows' first items, that of their second ones, ...
    as many as the shortest row has (generated code calls it so: its rule is srcad's)."""
    return list(zip(*rows))


def untransposed(g, rows):
    """The adjoint of transposed(rows) for the tuples' adjoints `g`: row i's adjoint holds
    g[j][i] at each j, a zero where zip stopped before the row's end; in the structure of
    rows (lists, tuples, or an array)."""
    out = []
    for i, row in enumerate(rows):
        items = [g[j][i] if j < len(g) else zeros_like_grad(item) for j, item in enumerate(row)]
        if isinstance(row, np.ndarray):
            items = np.array(items, dtype=float_dtype(row)).reshape(row.shape)
        out.append(tuple(items) if isinstance(row, tuple) else items)
    if isinstance(rows, np.ndarray):
        return np.array(out, dtype=float_dtype(rows)).reshape(rows.shape)
    return tuple(out) if isinstance(rows, tuple) else out


def listed_tangent(t, xs, ans):
    """The tangent of list(xs) or tuple(xs) (`ans`): the items' tangents, in a list or a
    tuple as ans is."""
    return type(ans)(t)


def unarray(g, obj):
    """The adjoint of np.array(obj): nested lists of arrays get nested lists of adjoints."""
    if isinstance(obj, (list, tuple)):
        parts = [unarray(gi, oi) for gi, oi in zip(np.asarray(g), obj)]
        return parts if isinstance(obj, list) else tuple(parts)
    return cast_like(np.reshape(g, np.shape(obj)), obj)


def unarray_transpose(u, g, obj):
    """The adjoint of unarray(g, obj) in g (it is linear in g): the nested adjoints u (a
    zero for a part that got none) back in one array shaped like g."""
    if isinstance(obj, (list, tuple)):
        g = np.asarray(g)
        items = u if isinstance(u, (list, tuple)) else [0.0] * len(obj)
        parts = [unarray_transpose(ui, gi, oi) for ui, gi, oi in zip(items, g, obj)]
        return np.array(parts, dtype=float_dtype(g)).reshape(np.shape(g))
    return np.reshape(np.broadcast_to(u, np.shape(obj)), np.shape(g))


def untile(g, x, reps):
    """The adjoint of np.tile(x, reps): the tiles of g summed."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(x)
    nd = max(len(shape), len(reps))
    xs = (1,) * (nd - len(shape)) + tuple(shape)
    rs = (1,) * (nd - len(reps)) + reps
    split = [d for pair in zip(rs, xs) for d in pair]
    summed = np.asarray(g).reshape(split).sum(axis=tuple(range(0, 2 * nd, 2)))
    return summed.reshape(shape)


def unrepeat(g, x, repeats, axis=None):
    """The adjoint of np.repeat(x, repeats, axis): the copies of each element summed."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is None:
        n, axis_ = int(np.prod(shape)), 0
    else:
        axis_ = axis % len(shape)
        n = shape[axis_]
    index = np.repeat(np.arange(n), np.broadcast_to(repeats, (n,)))
    moved = np.moveaxis(g, axis_, 0)
    out = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
    np.add.at(out, index, moved)
    return np.moveaxis(out, 0, axis_).reshape(shape)


def unpad(g, x, pad_width, mode="constant"):
    """The adjoint of np.pad(x, pad_width, mode=mode): the middle of g for 'constant'; for
    the modes that pad with copies of x's elements, every element's adjoint adds up at the
    element it copies."""
    if check_pad_mode(mode) == "constant":
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(x), 2))
        index = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, np.shape(x)))
        return np.asarray(g)[index]
    origins = np.pad(np.arange(np.size(x)).reshape(np.shape(x)), pad_width, mode=mode)
    total = np.bincount(origins.ravel(), weights=np.ravel(g), minlength=np.size(x))
    return total.reshape(np.shape(x)).astype(float_dtype(x))


COPYING_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def missing_attribute(module, name):
    """What calling `module.name` does where the module has no such attribute (in a branch
    that `hasattr` keeps from running, for another version of NumPy): Python's error."""
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def check_pad_mode(mode):
    if mode not in COPYING_PAD_MODES:
        modes = ", ".join(COPYING_PAD_MODES)
        raise refused(f"np.pad is differentiable with modes {modes}, not {mode!r}",
                      hint="build the padding with slices and np.concatenate")
    return mode


def diagonal_adjoint(g, x, offset=0, axis1=0, axis2=1):
    """The adjoint of np.diagonal(x, offset, axis1, axis2): g put on that diagonal."""
    g = np.asarray(g)
    shape = np.shape(x)
    a1, a2 = axis1 % len(shape), axis2 % len(shape)
    moved_shape = [d for k, d in enumerate(shape) if k not in (a1, a2)] + [shape[a1], shape[a2]]
    out = np.zeros(moved_shape, dtype=np.result_type(g, float_dtype(x)))
    n = g.shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    out[..., rows, cols] = g
    return np.moveaxis(out, (-2, -1), (a1, a2))


def diag_adjoint(g, v, k=0):
    """The adjoint of np.diag(v, k): a diagonal taken (v 1-D) or put back (v 2-D)."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k)
    return diagonal_adjoint(g, v, k)


def trace_adjoint(g, x, offset=0, axis1=0, axis2=1):
    """The adjoint of np.trace(x, offset, axis1, axis2): g spread along the diagonal."""
    shape = np.shape(x)
    n = np.diagonal(np.zeros(shape, dtype=bool), offset, axis1, axis2).shape[-1]
    return diagonal_adjoint(np.broadcast_to(np.asarray(g)[..., None],
                                            np.shape(g) + (n,)), x, offset, axis1, axis2)


def take_adjoint(g, x, indices, axis=None, mode="raise"):
    """The adjoint of np.take(x, indices, axis, mode=mode): g added at the taken places
    (out-of-range indices wrapped or clipped as `mode` says)."""
    x = np.asarray(x)
    out = np.zeros(x.size if axis is None else x.shape,
                   dtype=np.result_type(np.asarray(g), float_dtype(x)))
    if mode != "raise":
        n = x.size if axis is None else x.shape[axis]
        indices = np.mod(indices, n) if mode == "wrap" else np.clip(indices, 0, n - 1)
    if axis is None:
        np.add.at(out, np.asarray(indices), g)
        return out.reshape(x.shape)
    axis = axis % x.ndim
    moved = np.moveaxis(out, axis, 0)
    gm = np.moveaxis(np.asarray(g), tuple(range(axis, axis + np.ndim(indices))),
                     tuple(range(np.ndim(indices))))
    np.add.at(moved, np.asarray(indices), gm)
    return out


def sort_adjoint(g, x, axis=-1):
    """The adjoint of np.sort(x, axis): g sent back to where each element came from."""
    x = np.asarray(x)
    if axis is None:
        order = np.argsort(x.ravel(), kind="stable")
        out = np.zeros(x.size, dtype=np.result_type(np.asarray(g), float_dtype(x)))
        out[order] = g
        return out.reshape(x.shape)
    order = np.argsort(x, axis=axis, kind="stable")
    out = np.zeros(x.shape, dtype=np.result_type(np.asarray(g), float_dtype(x)))
    np.put_along_axis(out, order, g, axis=axis)
    return out


def sorted_like(g, x, axis=-1):
    """The adjoint of sort_adjoint(u, x, axis), which is linear in u: g in the order
    np.sort(x, axis) puts x's elements (the same stable order)."""
    x = np.asarray(x)
    g = np.broadcast_to(g, x.shape)
    if axis is None:
        return np.ravel(g)[np.argsort(x.ravel(), kind="stable")]
    return np.take_along_axis(g, np.argsort(x, axis=axis, kind="stable"), axis=axis)


def sort_tangent(t, x, axis=-1):
    """The tangent of np.sort(x, axis): t permuted like x."""
    x = np.asarray(x)
    if axis is None:
        return np.asarray(t).ravel()[np.argsort(x.ravel(), kind="stable")]
    return np.take_along_axis(np.asarray(t), np.argsort(x, axis=axis, kind="stable"), axis)


def modf_tangent(t):
    """The tangent of np.modf(x) = (fractional part, integral part): t, and 0 (the integral
    part is piecewise constant)."""
    return t, np.zeros_like(t)


def histogram_edges_follow(bins, range=None, density=None):
    """1.0 where np.histogram's edges are np.linspace(min(a), max(a), n + 1), following a's
    smallest and largest items (bins a count or a rule's name, no range), else 0.0 (given
    edges, or a range: constants). density=True is refused: its heights divide the counts by
    their sum and the bins' widths."""
    if density:
        raise refused("np.histogram(..., density=True) has no derivative rule in srcad",
                      "take the counts (weights=... for weighted ones) and divide them by "
                      "their sum and np.diff(edges)")
    return float(range is None and np.ndim(bins) == 0)


def histogram_bins(a, edges):
    """The bin of each item of a among np.histogram's edges, as NumPy counts it (edges[k] <=
    a < edges[k + 1], the last bin holding its right edge too); -1 outside them (NaN too)."""
    place = np.searchsorted(edges, a, side="right") - 1
    place = np.where(np.equal(a, edges[-1]), len(edges) - 2, place)
    return np.where((np.greater_equal(a, edges[0])) & np.less_equal(a, edges[-1]), place, -1)


def partition_order(a, ans, axis=-1):
    """Where each item of ans = np.partition(a, kth, axis) comes from in a, matched by rank
    (items of equal value in the order a holds them): np.argpartition may order the items
    beside the kth ones differently from np.partition (NumPy's sorting kernels), so its
    permutation is not the one np.partition applied."""
    a = np.ravel(a) if axis is None else np.asarray(a)
    axis = -1 if axis is None else axis
    by_value = np.argsort(a, axis=axis, kind="stable")
    ranks = np.argsort(np.argsort(ans, axis=axis, kind="stable"), axis=axis)
    return np.take_along_axis(by_value, ranks, axis=axis)


def vander_powers(x, N=None, increasing=False):
    """The power of x in each column of np.vander(x, N, increasing), as floats."""
    powers = np.arange(float(np.size(x) if N is None else N))
    return powers if increasing else powers[::-1]


def sorted_order(xs, key=None, reverse=False):
    """Where each item of sorted(xs, reverse=reverse) comes from in xs (the same stable
    order, ties included); a key function is refused (its ranks are not differentiated)."""
    if key is not None:
        raise refused("sorted(..., key=...) is not differentiated by srcad",
                      "sort the values themselves (sorted(xs), np.sort(x)), or take the "
                      "order with np.argsort and index with it")
    items = list(xs)
    return sorted(range(len(items)), key=items.__getitem__, reverse=reverse)


def sorted_adjoint(g, xs, key=None, reverse=False):
    """The adjoint of sorted(xs): each item's adjoint back where it came from, shaped as xs
    (a list, a tuple or an array)."""
    out = [None] * len(g)
    for k, i in enumerate(sorted_order(xs, key, reverse)):
        out[i] = g[k]
    if isinstance(xs, np.ndarray):
        return np.array(out, dtype=float_dtype(xs)).reshape(xs.shape)
    return tuple(out) if isinstance(xs, tuple) else out


def in_sorted_order(g, xs, key=None, reverse=False):
    """The adjoint of sorted_adjoint(u, xs, key, reverse), which is linear in u: the items'
    adjoints g in sorted(xs)'s order (a list, as sorted gives)."""
    items = list(g)
    return [items[i] for i in sorted_order(xs, key, reverse)]


def sorted_tangent(t, xs, key=None, reverse=False):
    """The tangent of sorted(xs): the items' tangents in sorted order (a list)."""
    return [t[i] for i in sorted_order(xs, key, reverse)]


def gradient_adjoint(g, f, spacings=(), axis=None, edge_order=1):
    """The adjoint of f in np.gradient(f, *spacings, axis=axis, edge_order=edge_order)
    for the adjoint `g` of its value (a list of them, one per axis, for several axes).
    Along each axis np.gradient applies a banded matrix D (D[i, j] = 0 for |i - j| > 2:
    three points at most, within two of i); the adjoint is D's transpose applied to g."""
    f = np.asarray(f)
    axes = tuple(range(f.ndim)) if axis is None else \
        tuple(a % f.ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    gs = [g] if len(axes) == 1 and not isinstance(g, (list, tuple)) else list(g)
    if len(spacings) <= 1:
        spacings = tuple(spacings) * len(axes)
    dtype = float_dtype(f, *gs)
    out = np.zeros(f.shape, dtype=dtype)
    for a, ga, spacing in zip(axes, gs, spacings or (None,) * len(axes)):
        out += np.moveaxis(_banded_transposed(np.moveaxis(np.asarray(ga, dtype=dtype), a, -1),
                                              spacing, edge_order), -1, a)
    return out


def gradient_along(g, spacings=(), axis=None, edge_order=1):
    """The adjoint of gradient_adjoint(u, f, spacings, axis, edge_order), which is linear
    in u (D^T u along each axis): D g, np.gradient's own (a list for several axes)."""
    out = np.gradient(g, *spacings, axis=axis, edge_order=edge_order)
    return list(out) if isinstance(out, tuple) else out


def _banded_transposed(g, spacing, edge_order):
    """D.T applied to g along its last axis, D the matrix of np.gradient along an axis of
    that length. The columns j = r, r + 5, r + 10, ... of D are read at once, as
    np.gradient of the comb of ones at those j: no two of them are within two of a row."""
    n = g.shape[-1]
    out = np.zeros_like(g)
    for r in range(min(n, 5)):
        comb = np.zeros(n)
        comb[r::5] = 1.0
        column = np.gradient(comb, *(() if spacing is None else (spacing,)),
                             edge_order=edge_order).astype(g.dtype)   # D[i, j(i)]
        columns = np.arange(r, n, 5)
        for d in range(-2, 3):
            rows = columns + d
            kept = (rows >= 0) & (rows < n)
            out[..., columns[kept]] += g[..., rows[kept]] * column[rows[kept]]
    return out


def diff_adjoint(g, n=1, axis=-1):
    """The adjoint of np.diff(x, n, axis): -diff of g padded with zeros, n times."""
    g = np.asarray(g)
    for _ in range(n):
        widths = [(0, 0)] * g.ndim
        widths[axis % g.ndim] = (1, 1)
        g = -np.diff(np.pad(g, widths), axis=axis)
    return g


def diff_trimmed(g, x, n=1, axis=-1, prepend=None, append=None):
    """The adjoint of x in np.diff(x, n, axis, prepend, append) from the adjoint `g` of
    the whole (prepend, x, append): the part that belongs to x (for n = 0, NumPy returns
    x as it is, without prepend and append)."""
    g = np.asarray(g)
    if n == 0:
        return g
    axis = axis % g.ndim
    start = 0 if prepend is None else 1 if np.ndim(prepend) == 0 else np.shape(prepend)[axis]
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + np.shape(x)[axis])
    return g[tuple(index)]


def diff_tangent(t, n=1, axis=-1, prepend=None, append=None):
    """The tangent of np.diff(x, n, axis, prepend, append) for the tangent t of x (prepend
    and append are constants: their tangents are zeros)."""
    t = np.asarray(t)
    ends = {key: np.zeros_like(t, shape=np.shape(value)) for key, value in
            (("prepend", prepend), ("append", append)) if value is not None}
    return np.diff(t, n, axis, **ends)


def unitem(g, x, index=()):
    """The adjoint of x.item(*index): g at that element, zeros elsewhere."""
    x = np.asarray(x)
    out = np.zeros(x.shape, dtype=np.result_type(np.asarray(g), float_dtype(x)))
    if len(index) == 1 and isinstance(index[0], tuple):      # x.item((i, j))
        index = index[0]
    if len(index) == 0:
        out.flat[0] = g
    elif len(index) == 1:
        out.flat[index[0]] = g
    else:
        out[tuple(index)] = g
    return out


def item_tangent(t, index=()):
    return np.asarray(t).item(*index)


# ----- products -----


def _tensordot_axes(a, b, axes):
    """axes of np.tensordot as two lists of non-negative axes."""
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(na - n, na)), list(range(n))
    xa, xb = axes
    xa = [xa] if np.ndim(xa) == 0 else list(xa)
    xb = [xb] if np.ndim(xb) == 0 else list(xb)
    return [int(k) % na for k in xa], [int(k) % nb for k in xb]


def tensordot_adjoint_a(g, a, b, axes=2):
    """The adjoint of a in np.tensordot(a, b, axes)."""
    xa, xb = _tensordot_axes(a, b, axes)
    na, nb = np.ndim(a), np.ndim(b)
    free_a = [k for k in range(na) if k not in xa]
    free_b = [k for k in range(nb) if k not in xb]
    g_b = list(range(len(free_a), len(free_a) + len(free_b)))
    out = np.tensordot(g, b, axes=(g_b, free_b))
    # out axes: free_a, then b's contracted axes in increasing order
    order = free_a + [xa[xb.index(k)] for k in sorted(xb)]
    return np.transpose(out, np.argsort(order))


def tensordot_adjoint_b(g, a, b, axes=2):
    """The adjoint of b in np.tensordot(a, b, axes)."""
    xa, xb = _tensordot_axes(a, b, axes)
    na, nb = np.ndim(a), np.ndim(b)
    free_a = [k for k in range(na) if k not in xa]
    free_b = [k for k in range(nb) if k not in xb]
    g_a = list(range(len(free_a)))
    out = np.tensordot(a, g, axes=(free_a, g_a))
    # out axes: a's contracted axes in increasing order (as b's), then free_b
    order = [xb[xa.index(k)] for k in sorted(xa)] + free_b
    return np.transpose(out, np.argsort(order))


def dot_axes(a, b):
    """np.dot(a, b) as np.tensordot(a, b, axes): last of a with second-to-last of b."""
    return ([np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)])


def inner_axes(a, b):
    """np.inner(a, b) as np.tensordot(a, b, axes): last axes of both."""
    return ([np.ndim(a) - 1], [np.ndim(b) - 1])


def product_adjoint_a(g, a, b, axes):
    """Adjoint of a in dot/inner written as tensordot; scalars multiply."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return tensordot_adjoint_a(g, a, b, axes)


def product_adjoint_b(g, a, b, axes):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return tensordot_adjoint_b(g, a, b, axes)


def kron_shapes(a, b):
    """(shape of a, shape of b, ndim): both padded with leading 1s to np.kron's ndim."""
    nd = max(np.ndim(a), np.ndim(b))
    return (1,) * (nd - np.ndim(a)) + np.shape(a), (1,) * (nd - np.ndim(b)) + np.shape(b), nd


def kron_parts(g, a, b):
    """g of np.kron(a, b) viewed as (a0, b0, a1, b1, ...), a and b padded to one ndim."""
    sa, sb, nd = kron_shapes(a, b)
    return np.reshape(g, [d for pair in zip(sa, sb) for d in pair])


def kron_adjoint_a(g, a, b):
    """The adjoint of a in np.kron(a, b)."""
    sa, sb, nd = kron_shapes(a, b)
    bb = np.reshape(b, [d for s in sb for d in (1, s)])
    return np.sum(kron_parts(g, a, b) * bb, axis=tuple(range(1, 2 * nd, 2))).reshape(np.shape(a))


def kron_adjoint_b(g, a, b):
    """The adjoint of b in np.kron(a, b)."""
    sa, sb, nd = kron_shapes(a, b)
    aa = np.reshape(a, [d for s in sa for d in (s, 1)])
    return np.sum(kron_parts(g, a, b) * aa, axis=tuple(range(0, 2 * nd, 2))).reshape(np.shape(b))


def einsum_adjoint(g, subscripts, operands, k):
    """The adjoint of operand k of np.einsum(subscripts, *operands) (no '...')."""
    spec = subscripts.replace(" ", "")
    if "..." in spec:
        raise refused("the einsum rule does not support '...' yet",
                      hint="name every axis with a letter")
    inputs, _, output = spec.partition("->")
    inputs = inputs.split(",")
    if "->" not in spec:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    mine = inputs[k]
    letters = "".join(dict.fromkeys(mine))      # an index repeated in the operand: once
    sizes = {c: np.shape(operands[k])[mine.index(c)] for c in letters}
    full = dict(sizes)          # an axis of size 1 broadcasts against the others' size
    for spec, operand in zip(inputs, operands):
        for c, n in zip(spec, np.shape(operand)):
            if c in full:
                full[c] = max(full[c], n)
    others = [s for j, s in enumerate(inputs) if j != k]
    known = set(output).union(*others) if others else set(output)
    target = "".join(c for c in letters if c in known)
    rest = [op for j, op in enumerate(operands) if j != k]
    out = np.einsum(",".join([output] + others) + "->" + target, g, *rest)
    shape = [out.shape[target.index(c)] if c in known else 1 for c in letters]
    spread_out = np.broadcast_to(out.reshape(shape), [full[c] for c in letters])
    broadcast = tuple(a for a, c in enumerate(letters) if sizes[c] != full[c])
    if broadcast:                               # summed back onto the size-1 axes
        spread_out = spread_out.sum(axis=broadcast, keepdims=True)
    if letters == mine:
        return spread_out.copy()
    # `ii->`: the adjoint lies on the diagonal (einsum's `ii->i` is a writeable view)
    adjoint = np.zeros(np.shape(operands[k]), dtype=np.result_type(out, float_dtype(
        operands[k])))
    np.einsum(f"{mine}->{letters}", adjoint)[...] = spread_out
    return adjoint


def einsum_one(subscripts, x):
    """np.einsum of one operand (`ii->`, `ij->ji`, `ij->`): generated code calls it so,
    as its derivative rule is not the two operands' one."""
    return np.einsum(subscripts, x)


def einsum_with(g, subscripts, operands, k):
    """np.einsum(subscripts, *operands) with operand k replaced by g: the adjoint in its
    first argument of einsum_adjoint(u, subscripts, operands, k), which is linear in u."""
    replaced = list(operands)
    replaced[k] = g
    return np.einsum(subscripts, *replaced)


def einsum_adjoint_operands(g, u, subscripts, operands, k):
    """The adjoints of the operands in einsum_adjoint(u, subscripts, operands, k), which is
    linear in each but the k-th (its shape only): for operand j, einsum_adjoint(u, ...) of
    the operands with the k-th replaced by g (the sum over all indices of the operands'
    and u's product is the same form, whichever of them is left out)."""
    replaced = list(operands)
    replaced[k] = np.broadcast_to(g, np.shape(operands[k]))
    parts = [np.zeros(np.shape(operands[k]), dtype=float_dtype(operands[k])) if j == k
             else einsum_adjoint(u, subscripts, replaced, j) for j in range(len(operands))]
    return tuple(parts) if isinstance(operands, tuple) else parts


def einsum_adjoint_along(g, subscripts, operands, k, t):
    """The change of einsum_adjoint(g, subscripts, operands, k) along tangents t of the
    operands: linear in each operand other than the k-th (which gives a shape only), so
    the product rule's terms are einsum adjoints with one operand replaced by its tangent."""
    total = np.zeros(np.shape(operands[k]), dtype=float_dtype(operands[k]))
    for j, tj in enumerate(t):
        if j != k:
            moved = list(operands)
            moved[j] = np.broadcast_to(tj, np.shape(operands[j]))
            total = total + einsum_adjoint(g, subscripts, moved, k)
    return total


def cross_adjoint(g, x, y, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The adjoint of x in np.cross(x, y, ...): y x g for vectors of 3 components; for
    vectors of 2, whose cross product x0 y1 - x1 y0 is a number, (y1 g, -y0 g). (The
    adjoint of y is -cross_adjoint(g, y, x, ...).)"""
    if axis is not None:
        axisa = axisb = axisc = axis
    xm = np.moveaxis(np.asarray(x), axisa, -1)
    ym = np.moveaxis(np.asarray(y), axisb, -1)
    if xm.shape[-1] != ym.shape[-1]:
        raise refused("np.cross of a vector of 2 components and one of 3 is not "
                      "differentiable with srcad", hint="give both vectors 3 components "
                      "(a third one of 0.0)")
    g = np.asarray(g)
    if xm.shape[-1] == 3:
        d = np.cross(ym, np.moveaxis(g, axisc, -1))
    else:
        d = np.stack([ym[..., 1] * g, -ym[..., 0] * g], axis=-1)
    return np.moveaxis(unbroadcast(d, xm), -1, axisa)


def convolve_adjoint(g, x, y, mode="full"):
    """The adjoint of x in np.convolve(x, y, mode) (np.convolve(y, x, mode) is the same):
    g put in its place in the full convolution's length, correlated with y."""
    m, n = np.size(x), np.size(y)
    g = np.ravel(g)
    if g.shape[0] != m + n - 1:        # (modes "valid" or 0, "same" or 1; "full" is 2)
        full = np.zeros(m + n - 1, dtype=np.result_type(g, float_dtype(x)))
        start = (min(m, n) - 1) // 2 if mode in ("same", 1) else min(m, n) - 1
        full[start:start + g.shape[0]] = g
        g = full
    adjoint = np.convolve(g, np.ravel(y)[::-1], "valid")   # (correlated: convolve has rules)
    return adjoint.reshape(np.shape(x)) if np.ndim(x) else adjoint[0]   # (x may be a number)


def correlate_adjoint_a(g, a, v, mode="valid"):
    """The adjoint of a in np.correlate(a, v, mode): convolve's, as NumPy computes it,
    np.convolve(a, v[::-1], mode), or np.convolve(v, a[::-1], mode)[::-1] where v is the
    longer."""
    a, v = np.ravel(a), np.ravel(v)
    if a.shape[0] >= v.shape[0]:
        return convolve_adjoint(g, a, v[::-1], mode)
    return convolve_adjoint(np.asarray(g)[::-1], a[::-1], v, mode)[::-1]


def correlate_adjoint_v(g, a, v, mode="valid"):
    """The adjoint of v in np.correlate(a, v, mode) (see `correlate_adjoint_a`)."""
    a, v = np.ravel(a), np.ravel(v)
    if a.shape[0] >= v.shape[0]:
        return convolve_adjoint(g, v[::-1], a, mode)[::-1]
    return convolve_adjoint(np.asarray(g)[::-1], v, a[::-1], mode)


def outer_adjoint_a(g, a, b):
    """The adjoint of a in np.outer(a, b) (both flattened)."""
    return (np.asarray(g) @ np.ravel(b)).reshape(np.shape(a))


def outer_adjoint_b(g, a, b):
    return (np.ravel(a) @ np.asarray(g)).reshape(np.shape(b))


# ----- linear algebra -----


def mT(a):
    """The matrix transpose of a (stacks of matrices: the last two axes)."""
    return np.swapaxes(a, -1, -2)


def _matrix_powers(a, n):
    """[a^0, a^1, ..., a^(n-1)] (identities shaped like a first)."""
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=float_dtype(a)), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return powers


def matrix_power_adjoint(g, a, n):
    """The adjoint of np.linalg.matrix_power(a, n): the sum over k < n of
    (a^k)^T g (a^(n-1-k))^T; for n < 0, that of the inverse's power, taken back through
    the inverse (d inv(a) = -inv(a) da inv(a))."""
    a = np.asarray(a)
    g = np.asarray(g)
    base = np.linalg.inv(a) if n < 0 else a    # (not called again: srcad differentiates it)
    m = abs(n)
    powers = _matrix_powers(base, m)
    total = np.zeros(a.shape, dtype=np.result_type(g, float_dtype(a)))
    for k in range(m):
        total = total + mT(powers[k]) @ g @ mT(powers[m - 1 - k])
    return -mT(base) @ total @ mT(base) if n < 0 else total


def matrix_power_tangent(t, a, n):
    """The tangent of np.linalg.matrix_power(a, n) for the tangent t of a: the sum over
    k < n of a^k t a^(n-1-k); for n < 0, through the inverse."""
    a = np.asarray(a)
    t = np.asarray(t)
    base = np.linalg.inv(a) if n < 0 else a    # (not called again: srcad differentiates it)
    t = -base @ t @ base if n < 0 else t
    m = abs(n)
    powers = _matrix_powers(base, m)
    total = np.zeros(np.broadcast_shapes(a.shape, t.shape), dtype=np.result_type(t, a))
    for k in range(m):
        total = total + powers[k] @ t @ powers[m - 1 - k]
    return total


def solve_transposed(g, a, b):
    """solve(a^T, g): the adjoint of b in x = solve(a, b), before unbroadcasting."""
    if np.ndim(b) == 1:
        return np.linalg.solve(mT(a), np.asarray(g)[..., None])[..., 0]
    return np.linalg.solve(mT(a), g)


def solve_adjoint_a(w, ans, a, b):
    """The adjoint of a in x = solve(a, b), given w = solve(a^T, g): -w x^T."""
    if np.ndim(b) == 1:
        return unbroadcast(-w[..., :, None] * ans[..., None, :], a)
    return unbroadcast(-w @ mT(ans), a)


def solve_tangent_a(t, ans, a, b):
    """The tangent of x = solve(a, b) along a: -solve(a, t x)."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, (t @ ans[..., None]))[..., 0]
    return -np.linalg.solve(a, t @ ans)


def solve_tangent_b(t, a, b):
    """The tangent of x = solve(a, b) along b, broadcast over a's stack."""
    if np.ndim(b) == 1:
        return np.linalg.solve(a, np.asarray(t)[..., None])[..., 0]
    return np.linalg.solve(a, t)


def _products_but_one(s):
    """p[..., i] = the product of s_k over k != i, without dividing (s may hold zeros):
    the product of those before i times that of those after it."""
    ones = np.ones_like(s[..., :1])
    before = np.concatenate([ones, np.cumprod(s, axis=-1)[..., :-1]], axis=-1)
    after = np.flip(np.cumprod(np.flip(s, -1), axis=-1), -1)
    after = np.concatenate([after[..., 1:], ones], axis=-1)
    return before * after, before, after


def _products_but_two(s):
    """P[..., i, j] = the product of s_k over k != i, j for i != j, 0 on the diagonal (a
    symmetric matrix), without dividing: for i < j, the product of those before i, of
    those between i and j, and of those after j."""
    n = s.shape[-1]
    _, before, after = _products_but_one(s)
    later = np.arange(n)[None, :] > np.arange(n)[:, None]          # [i, k]: k > i
    # up_to[..., i, j] = the product of s_k over i < k <= j; between: over i < k < j
    up_to = np.cumprod(np.where(later, s[..., None, :], 1.0), axis=-1)
    between = np.concatenate([np.ones_like(up_to[..., :1]), up_to[..., :-1]], axis=-1)
    upper = np.where(later, before[..., :, None] * between * after[..., None, :], 0.0)
    return upper + mT(upper)


def _svd_for_adjugate(a):
    """(U, s, V^T, det(U) det(V)) of a = U diag(s) V^T; s is nan for a matrix holding a nan
    or an inf (whose SVD does not converge): its adjugate's derivatives are nan."""
    finite = np.all(np.isfinite(a), axis=(-2, -1))
    u, s, vt = np.linalg.svd(np.where(finite[..., None, None], a, 0.0))
    s = np.where(finite[..., None], s, np.nan)
    return u, s, vt, np.sign(np.linalg.det(u) * np.linalg.det(vt))


def _well_conditioned_inverse(a):
    """(det(a), inv(a)) where the matrices of a are invertible with condition numbers (in
    the 1-norm) below 1e6, else None: there det(a) inv(a) is their adjugate to about 1e-10,
    some times quicker than from the SVD, which is right everywhere."""
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:          # (a singular matrix)
        return None
    # (the largest 1-norms of the stack: a bound on each matrix's condition number; nan or
    # inf where a holds them)
    with np.errstate(invalid="ignore", over="ignore"):
        condition = np.abs(a).sum(axis=-2).max() * np.abs(inverse).sum(axis=-2).max()
    if not condition < 1e6:
        return None
    return np.linalg.det(a)[..., None, None], inverse


def adjugate(a):
    """adj(a), the transposed matrix of cofactors (det(a) inv(a) where a is invertible),
    also where a is singular (stacks of matrices: the last two axes). From the SVD
    a = U diag(s) V^T, as adj(X Y) = adj(Y) adj(X) and adj(U) = det(U) U^T for an orthogonal
    U: adj(a) = det(U) det(V) V diag(prod over j != i of s_j) U^T, no division anywhere."""
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return np.zeros(a.shape, dtype=float_dtype(a))
    quick = _well_conditioned_inverse(a)
    if quick is not None:
        d, b = quick
        return d * b
    u, s, vt, sign = _svd_for_adjugate(a)
    others = _products_but_one(s)[0]
    return sign[..., None, None] * (mT(vt) * others[..., None, :]) @ mT(u)


def _adjugate_of_diagonal_tangent(m, s):
    """The tangent of adj(diag(s)) along m: its (n - 1)-minors to first order,
    diag(P diag(m)) - P * m with P = `_products_but_two(s)` (a linear map of m that is its
    own adjoint, P being symmetric)."""
    p = _products_but_two(s)
    d = np.diagonal(m, axis1=-2, axis2=-1)
    eye = np.eye(s.shape[-1], dtype=bool)
    return np.where(eye, (p @ d[..., None]), 0.0) - p * m


def adjugate_tangent(t, a):
    """The tangent of adj(a) along t: with a = U diag(s) V^T and M = U^T t V,
    a + e t = U (diag(s) + e M) V^T, so d adj(a) = det(U) det(V) V d adj(diag(s))[M] U^T
    (where a is well conditioned, with B = inv(a): det(a) (tr(B t) B - B t B))."""
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return np.zeros(np.broadcast_shapes(a.shape, np.shape(t)), dtype=float_dtype(a))
    quick = _well_conditioned_inverse(a)
    if quick is not None:
        d, b = quick
        bt = b @ t
        return d * (np.trace(bt, axis1=-2, axis2=-1)[..., None, None] * b - bt @ b)
    u, s, vt, sign = _svd_for_adjugate(a)
    m = mT(u) @ t @ mT(vt)
    return sign[..., None, None] * mT(vt) @ _adjugate_of_diagonal_tangent(m, s) @ mT(u)


def adjugate_adjoint(g, a):
    """The adjoint of adj(a): the transpose of `adjugate_tangent`,
    det(U) det(V) U d adj(diag(s))[V^T g U] V^T (that map being its own adjoint); where a is
    well conditioned, det(a) (<g, B> B^T - B^T g B^T)."""
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return np.zeros(a.shape, dtype=float_dtype(a))
    quick = _well_conditioned_inverse(a)
    if quick is not None:
        d, b = quick
        bT = mT(b)
        return d * (np.sum(g * b, axis=(-2, -1))[..., None, None] * bT - bT @ g @ bT)
    u, s, vt, sign = _svd_for_adjugate(a)
    h = vt @ g @ u
    return sign[..., None, None] * u @ _adjugate_of_diagonal_tangent(h, s) @ vt


def _products_but_three(s):
    """Q[..., a, b, p] = the product of s_k over k not in {a, b, p} for a, b, p distinct, 0
    where two of them are the same: `_products_but_two` of s with s_a made 1, for each a."""
    n = s.shape[-1]
    eye = np.eye(n, dtype=bool)
    without_a = np.where(eye, 1.0, s[..., None, :])               # [..., a, k]
    q = _products_but_two(without_a)                              # [..., a, b, p]
    return np.where(eye[:, :, None] | eye[:, None, :], 0.0, q)


def _third_of_diagonal(x, y, s):
    """F(x, y) with F[a, b] = T(x, y, E_ab), T the third derivative of det at diag(s) (a
    trilinear form): the sum over distinct k, l, m and the permutations p of them of
    sign(p) x[k, p(k)] y[l, p(l)] z[m, p(m)], times the product of the other s. For z = E_ab,
    m = a and p(a) = b: on the diagonal, the sum over k, l of Q[a, k, l] (x_kk y_ll - x_kl y_lk);
    off it, that over p of Q[a, b, p] (x_bp y_pa + x_pa y_bp - x_ba y_pp - x_pp y_ba)
    (Q = `_products_but_three(s)`)."""
    q = _products_but_three(s)
    dx = np.diagonal(x, axis1=-2, axis2=-1)
    dy = np.diagonal(y, axis1=-2, axis2=-1)
    on = np.einsum("...akl,...k,...l->...a", q, dx, dy) \
        - np.einsum("...akl,...kl,...lk->...a", q, x, y)
    off = np.einsum("...abp,...bp,...pa->...ab", q, x, y) \
        + np.einsum("...abp,...pa,...bp->...ab", q, x, y) \
        - mT(x) * np.einsum("...abp,...p->...ab", q, dy) \
        - mT(y) * np.einsum("...abp,...p->...ab", q, dx)
    eye = np.eye(s.shape[-1], dtype=bool)
    return np.where(eye, on[..., None, :], off)


def adjugate_second(t, u, a):
    """The second derivative of adj(a) along t and u (symmetric in them), also where a is
    singular: adj(a)[i, j] is the derivative of det(a) along E_ji, so its second derivative
    is det's third along E_ji, t and u; with a = U diag(s) V^T, det(U) det(V)
    V F(U^T t V, U^T u V)^T U^T (F of `_third_of_diagonal`). O(n^3) memory."""
    u_, s, vt, sign = _svd_for_adjugate(a)
    mt, mu = mT(u_) @ t @ mT(vt), mT(u_) @ u @ mT(vt)
    return sign[..., None, None] * mT(vt) @ mT(_third_of_diagonal(mt, mu, s)) @ mT(u_)


def adjugate_second_adjoint(g, t, a):
    """The adjoint of u -> adjugate_second(t, u, a) applied to g: the gradient in u of
    <g, adjugate_second(t, u, a)> = det(U) det(V) T(U^T g^T V, U^T t V, U^T u V), which is
    det(U) det(V) U F(U^T g^T V, U^T t V) V^T."""
    u_, s, vt, sign = _svd_for_adjugate(a)
    mg, mt = mT(u_) @ mT(g) @ mT(vt), mT(u_) @ t @ mT(vt)
    return sign[..., None, None] * u_ @ _third_of_diagonal(mg, mt, s) @ vt


def det_adjoint(g, ans, a):
    """The adjoint of det(a): g adj(a)^T (g det(a) inv(a)^T where a is invertible; the
    adjugate is also right where a is singular)."""
    return np.asarray(g)[..., None, None] * mT(adjugate(a))


def det_tangent(t, ans, a):
    """The tangent of det(a): trace(adj(a) t) (det(a) trace(inv(a) t) where a is
    invertible)."""
    return np.sum(mT(adjugate(a)) * t, axis=(-2, -1))


def _qr_checked(a, mode, ans):
    """a, refused unless ans = np.linalg.qr(a, mode) is a reduced factorisation (mode
    'reduced', or 'r', which returns R alone) of a matrix with no more columns than rows, of
    full rank (R invertible: its derivative is unique)."""
    a = np.asarray(a)
    if mode not in ("reduced", "r") or a.ndim != 2 or a.shape[0] < a.shape[1]:
        raise refused(f"np.linalg.qr of a {'x'.join(map(str, a.shape))} array, mode={mode!r}: "
                      "srcad differentiates the reduced factorisation (mode 'reduced', or 'r' "
                      "for R alone) of a matrix with no more columns than rows",
                      "pass a tall matrix and leave mode at 'reduced' (or 'r')")
    r = ans if mode == "r" else ans[1]
    largest = np.max(np.abs(r)) if np.size(r) else 0.0
    tiny = np.finfo(float_dtype(r)).eps * max(a.shape) * largest
    if np.any(np.abs(np.diag(r)) <= tiny):
        raise refused("np.linalg.qr of a matrix of lower rank than its columns: its R has a "
                      "zero on the diagonal, and Q no unique derivative", "drop the dependent "
                      "columns first")
    return a


def _qr_factors(ans, a, mode):
    """(Q, R) of ans = np.linalg.qr(a, mode) (checked): mode 'r' returns R alone, whose
    derivative needs Q too, the reduced factorisation's (NumPy computes the same R)."""
    a = _qr_checked(a, mode, ans)
    if mode == "r":
        q, r = np.linalg.qr(a)
    else:
        q, r = ans
    return q, r


def qr_adjoint(g, ans, a, mode="reduced"):
    """The adjoint of (Q, R) = np.linalg.qr(a) (R alone for mode 'r': gQ = 0): with
    M = R gR^T - gQ^T Q and copyltu(M) the symmetric matrix of its lower triangle,
    (gQ + Q copyltu(M)) R^-T."""
    q, r = _qr_factors(ans, a, mode)
    if mode == "r":
        gq, gr = np.zeros_like(q), np.broadcast_to(g, r.shape)
    else:
        gq = np.broadcast_to(g[0], q.shape) if np.ndim(g[0]) else np.zeros_like(q)
        gr = np.broadcast_to(g[1], r.shape) if np.ndim(g[1]) else np.zeros_like(r)
    m = r @ gr.T - gq.T @ q
    sym = np.tril(m) + np.tril(m, -1).T
    return np.linalg.solve(r, (gq + q @ sym).T).T


def qr_tangent(t, ans, a, mode="reduced"):
    """The tangent of (Q, R) = np.linalg.qr(a) along t (dR alone for mode 'r'): X = Q^T t R^-1,
    its strictly lower part made skew, W; dR = (X - W) R and dQ = (t - Q dR) R^-1."""
    q, r = _qr_factors(ans, a, mode)
    x = np.linalg.solve(r.T, (q.T @ t).T).T
    w = np.tril(x, -1) - np.tril(x, -1).T
    dr = (x - w) @ r
    if mode == "r":
        return dr
    dq = np.linalg.solve(r.T, (t - q @ dr).T).T
    return dq, dr


def _lstsq_checked(a, ans):
    """a, refused unless it has full column rank for ans = np.linalg.lstsq(a, b) (the
    least-squares solution is then unique; the minimum-norm one of a wide or rank-deficient
    a has another derivative). Both modes check: (a^T a) is singular otherwise."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] < a.shape[1] or ans[2] < a.shape[1]:
        raise refused(f"np.linalg.lstsq of a {'x'.join(map(str, a.shape))} matrix of rank "
                      f"{ans[2]}: srcad differentiates the solution where it is unique (full "
                      "column rank)", "solve a regularised problem: np.linalg.solve(A.T @ A + "
                      "lam * np.eye(n), A.T @ b)")
    return a


def lstsq_weights(g, ans, a):
    """z = (a^T a)^-1 gx for ans = np.linalg.lstsq(a, b), gx the adjoint of its solution
    (a of full column rank: `_lstsq_checked`)."""
    a = _lstsq_checked(a, ans)
    gx = g[0] if isinstance(g, (tuple, list)) else 0.0
    return np.linalg.solve(a.T @ a, np.broadcast_to(gx, np.shape(ans[0])))


def _residual_part(g, ans, a, b):
    """(r, gres): b - a x, and the adjoint of lstsq's residuals (r's squares summed per
    column; an empty array, without adjoint, where lstsq gives none)."""
    r = np.asarray(b) - np.asarray(a) @ ans[0]
    gres = g[1] if isinstance(g, (tuple, list)) and np.size(ans[1]) else 0.0
    return r, np.reshape(gres, (-1,))[0] if np.ndim(b) == 1 and np.ndim(gres) else gres


def lstsq_adjoint_a(g, ans, a, b, z):
    """a's adjoint: r z^T - a z x^T (the solution's), -2 r x^T gres (the residuals': at the
    minimum only a's own change counts), U diag(gs) V^T (the singular values')."""
    x = ans[0]
    r, gres = _residual_part(g, ans, a, b)
    az = np.asarray(a) @ z
    if np.ndim(b) == 1:
        out = np.outer(r, z) - np.outer(az, x) - 2.0 * gres * np.outer(r, x)
    else:
        out = r @ z.T - az @ x.T - 2.0 * (r * gres) @ x.T
    gs = g[3] if isinstance(g, (tuple, list)) else 0.0
    if np.any(gs):
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        out = out + (u * gs) @ vt
    return out


def lstsq_adjoint_b(g, ans, a, b, z):
    """b's adjoint: a z (the solution's) + 2 r gres (the residuals')."""
    r, gres = _residual_part(g, ans, a, b)
    return np.asarray(a) @ z + 2.0 * r * gres


def lstsq_tangent_a(t, ans, a, b):
    """The tangent of np.linalg.lstsq(a, b) along t for a: (dx, dres, 0, ds)."""
    a = _lstsq_checked(a, ans)
    x = ans[0]
    r = np.asarray(b) - a @ x
    dx = np.linalg.solve(a.T @ a, t.T @ r - a.T @ (t @ x))
    dres = -2.0 * np.sum(r * (t @ x), axis=0) if np.size(ans[1]) else np.zeros_like(ans[1])
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    ds = np.einsum("ij,ik,kj->j", u, t, vt.T)
    return dx, np.reshape(dres, np.shape(ans[1])), 0, ds


def lstsq_tangent_b(t, ans, a, b):
    """The tangent of np.linalg.lstsq(a, b) along t for b: (dx, dres, 0, 0)."""
    a = _lstsq_checked(a, ans)
    r = np.asarray(b) - a @ ans[0]
    dx = np.linalg.solve(a.T @ a, a.T @ t)
    dres = 2.0 * np.sum(r * t, axis=0) if np.size(ans[1]) else np.zeros_like(ans[1])
    return dx, np.reshape(dres, np.shape(ans[1])), 0, np.zeros_like(ans[3])


def _singular_refused():
    """A refusal of the derivative of slogdet's logabsdet at a singular matrix (sign 0)."""
    return refused("np.linalg.slogdet of a singular matrix: its logabsdet is -inf, and has "
                   "no derivative there", "differentiate np.linalg.det (its derivative, the "
                   "adjugate, exists everywhere), or keep the matrix away from singular ones")


def slogdet_adjoint(g, ans, a):
    """The adjoint of slogdet(a) = (sign, logdet): only logdet carries a derivative,
    inv(a)^T; refused at a singular matrix (sign 0) whose logdet is used (its adjoint is not
    0). A singular matrix of a stack whose logdet is not used gets 0."""
    glog = np.asarray(g[1])
    singular = np.equal(ans[0], 0)
    if np.any(singular & np.not_equal(glog, 0)):
        raise _singular_refused()
    if np.any(singular):
        a = np.where(singular[..., None, None], np.eye(np.shape(a)[-1], dtype=float_dtype(a)),
                     a)
    return glog[..., None, None] * mT(np.linalg.inv(a))


def slogdet_tangent(t, ans, a):
    """The tangent of slogdet(a): (0, trace(inv(a) t)); refused at a singular matrix."""
    if np.any(np.equal(ans[0], 0)):
        raise _singular_refused()
    return (np.zeros_like(ans[0]), np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))


def _phi(x):
    """The lower triangle of x with its diagonal halved."""
    return np.tril(x) - 0.5 * np.eye(x.shape[-1], dtype=x.dtype) * x


def _one_triangle(x, UPLO):
    """The symmetric matrix that np.linalg.eigh (and cholesky, "L") reads from x: its
    lower (UPLO "L") or upper ("U") triangle, mirrored."""
    part = np.triu(x) if str(UPLO).upper() == "U" else np.tril(x)
    return part + mT(part) - np.eye(x.shape[-1], dtype=part.dtype) * part


def _to_triangle(S, UPLO):
    """The adjoint of `_one_triangle`: the triangle read gets S's symmetric part, twice off
    the diagonal (each entry stands on both sides), once on it."""
    S = 0.5 * (S + mT(S))
    off = np.triu(2.0 * S, 1) if str(UPLO).upper() == "U" else np.tril(2.0 * S, -1)
    return off + np.eye(S.shape[-1], dtype=S.dtype) * S


def cholesky_adjoint(g, L):
    """The adjoint of L = cholesky(a) with respect to a's lower triangle.

    NumPy reads only the lower triangle of a, so the adjoint lives there:
    with S = L^-T phi(L^T g) L^-1 symmetrised, abar = tril(2 S, -1) + diag(S).
    """
    g = np.asarray(g)
    P = _phi(mT(L) @ g)
    Linv = np.linalg.inv(L)
    return _to_triangle(mT(Linv) @ P @ Linv, "L")


def cholesky_tangent(t, L):
    """The tangent of cholesky(a) along t (only t's lower triangle is read)."""
    Linv = np.linalg.inv(L)
    return L @ _phi(Linv @ _one_triangle(np.asarray(t), "L") @ mT(Linv))


def _eigen_gaps(w):
    """F with F[i, j] = 1 / (w[j] - w[i]) and 0 on the diagonal (eigenvalues w; a repeated
    eigenvalue gives inf: its eigenvectors have no derivative). Repeated means a gap of at
    most 64 machine epsilons of the largest |w|: eigenvalues equal but for rounding."""
    gaps = w[..., None, :] - w[..., :, None]
    # (eigenvalues equal but for rounding are equal: their gap would be rounding's, and a
    # finite but meaningless derivative would pass for one)
    tiny = 64 * np.finfo(float).eps * np.max(np.abs(w), axis=-1, keepdims=True)[..., None]
    gaps = np.where(np.abs(gaps) <= tiny, 0.0, gaps)
    diagonal = np.eye(w.shape[-1], dtype=bool)
    same = gaps == 0.0        # (divided by 1.0, then inf: no division by zero to silence)
    return np.where(diagonal, 0.0, np.where(same, np.inf, 1.0 / np.where(
        diagonal | same, 1.0, gaps)))


def _repeated(f):
    """Which columns of F (of `_eigen_gaps`) belong to a repeated eigenvalue (singular
    value): those holding an inf."""
    return np.any(np.isinf(f), axis=-2)


def _vectors_refused(what, forward=False):
    """The refusal of a derivative through the eigenvectors (singular vectors) of a
    repeated eigenvalue (singular value): any orthonormal basis of its eigenspace is one,
    and the smallest change of the matrix may turn them anyhow within it."""
    function, kind = (("np.linalg.eigh", "eigenvalue") if what == "eigenvectors"
                      else ("np.linalg.svd", "singular value"))
    return refused(f"the {'tangent' if forward else 'derivative'} of the {what} of {function} "
                   f"at a repeated {kind} is not defined (within its space, any basis is "
                   f"one, and the smallest change of the matrix turns them anyhow)"
                   f"{f'; second derivatives of the {kind}s need it too' if forward else ''}",
                   f"use the {kind}s alone (first derivatives), or move the matrix away from repeated {kind}s "
                   "(a small perturbation that keeps them apart)")


def _used_vectors_checked(g, repeated, what):
    """g, the cotangent of eigenvectors (singular vectors, in columns), refused where a
    vector of a repeated eigenvalue (singular value) has one that is not 0: the result
    would be inf or NaN."""
    if np.any(np.any(g != 0.0, axis=-2) & repeated):
        raise _vectors_refused(what)
    return g


class UndefinedTangent:
    """The tangent of eigenvectors (singular vectors) of a matrix with a repeated
    eigenvalue (singular value): forward mode computes every item's tangent, used or not,
    and those of the eigenvalues alone are right. Items of the columns that are defined
    (`dV[:, k]` of an eigenvalue apart) are plain arrays; any other use, and adding to it,
    raises the refusal, where NaN would be the silent answer."""

    def __init__(self, values, undefined, what):
        self.values, self.undefined, self.what = values, undefined, what
        self.shape, self.ndim, self.dtype = values.shape, values.ndim, values.dtype

    def __getitem__(self, index):
        if not np.any(self.undefined[index]):
            return self.values[index]
        return UndefinedTangent(self.values[index], self.undefined[index], self.what)

    def __len__(self):
        return len(self.values)

    def refuse(self, *args, **kwargs):
        raise _vectors_refused(self.what, forward=True)

    __array__ = __array_ufunc__ = __array_function__ = __iter__ = __float__ = refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = refuse
    __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __pow__ = __bool__ = refuse
    T = property(refuse)


def _undefined_where(values, undefined, what, rows=False):
    """`values`, or an `UndefinedTangent` where a column (a row, `rows`) is `undefined` (a
    mask over the vectors): values left NaN there."""
    if not np.any(undefined):
        return values
    undefined = np.broadcast_to(undefined[..., :, None] if rows else undefined[..., None, :],
                                values.shape)
    return UndefinedTangent(np.where(undefined, np.nan, values), undefined, what)


def eigh_adjoint(g, ans, UPLO="L"):
    """The adjoint of (w, V) = eigh(a): S = V (diag(gw) + F * (V^T gV)) V^T (F of
    `_eigen_gaps`), given to the triangle of a that eigh reads; refused where an
    eigenvector of a repeated eigenvalue has a cotangent."""
    w, V = ans
    gw = np.broadcast_to(np.asarray(g[0], dtype=w.dtype), w.shape)
    gV = np.broadcast_to(np.asarray(g[1], dtype=V.dtype), V.shape)
    gaps = _eigen_gaps(w)
    gV = _used_vectors_checked(gV, _repeated(gaps), "eigenvectors")
    gV = mT(V) @ gV
    unused = gV == 0.0          # (no eigenvector used: no gap read, inf or not)
    inner = np.where(unused, 0.0, gaps * np.where(unused, 1.0, gV))
    inner = inner + gw[..., None, :] * np.eye(w.shape[-1], dtype=w.dtype)
    return _to_triangle(V @ inner @ mT(V), UPLO)


def eigh_tangent(t, ans, UPLO="L"):
    """The tangent of (w, V) = eigh(a) along t: with M = V^T t V (t's triangle mirrored),
    dw = diag(M), dV = V (F * M); the eigenvectors of a repeated eigenvalue have none (an
    `UndefinedTangent`)."""
    w, V = ans
    inner = mT(V) @ _one_triangle(np.asarray(t), UPLO) @ V
    gaps = _eigen_gaps(w)
    repeated = _repeated(gaps)
    if np.any(repeated):
        gaps = np.where(np.isinf(gaps), 0.0, gaps)
    return (np.diagonal(inner, axis1=-2, axis2=-1).copy(),
            _undefined_where(V @ (gaps * inner), repeated, "eigenvectors"))


def eigvalsh_adjoint(g, a, UPLO="L"):
    """The adjoint of eigvalsh(a): V diag(g) V^T, given to the triangle it reads."""
    w, V = np.linalg.eigh(a, UPLO)
    g = np.broadcast_to(np.asarray(g, dtype=w.dtype), w.shape)
    return _to_triangle((V * g[..., None, :]) @ mT(V), UPLO)


def eigvalsh_tangent(t, a, UPLO="L"):
    """The tangent of eigvalsh(a) along t: diag(V^T t V)."""
    w, V = np.linalg.eigh(a, UPLO)
    inner = mT(V) @ _one_triangle(np.asarray(t), UPLO) @ V
    return np.diagonal(inner, axis1=-2, axis2=-1).copy()


def _svd_parts(ans, a, compute_uv=True, hermitian=False):
    """(U, s, V) of the reduced factorisation a = U diag(s) V^T that ans = np.linalg.svd(a)
    holds (its first min(m, n) columns of U and rows of Vh: those of the full one too;
    recomputed for compute_uv=False)."""
    if hermitian:
        raise refused("np.linalg.svd(..., hermitian=True) returns |eigenvalues| and "
                      "eigenvectors whose signs differ from the general factorisation's",
                      "leave hermitian at False, or use np.linalg.eigh")
    u, s, vh = ans if compute_uv else np.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    return u[..., :, :k], s, mT(vh[..., :k, :])


def _svd_extra_refused(which, forward=False):
    """The refusal of a derivative of the columns of U (rows of Vh) beyond min(m, n) that
    np.linalg.svd(a) gives with full_matrices=True: any basis of a's orthogonal complement
    (forward mode gives every item of the result a tangent, used or not)."""
    return refused(f"np.linalg.svd with full_matrices=True of a matrix that is not square"
                   f"{' in forward mode' if forward else ''}: the {which} beyond min(m, n) "
                   "are any basis of a complement, with no derivative", "pass "
                   "full_matrices=False (or compute_uv=False for the singular values alone)")


def _svd_rank_checked(u, s, v):
    """u, refused for a matrix that is not square and of lower rank than min(m, n) (a zero
    singular value, by NumPy's cutoff): the singular vectors of its zero singular values
    are any basis of a complement, with no derivative."""
    k = s.shape[-1]
    tiny = max(u.shape[-2], v.shape[-2]) * np.finfo(s.dtype).eps * np.max(s, axis=-1)
    if (u.shape[-2] > k or v.shape[-2] > k) and np.any(s[..., -1] <= tiny):
        raise refused("the singular vectors of np.linalg.svd of a matrix that is not square "
                      "and of lower rank than min(m, n): those of its zero singular values "
                      "have no derivative", "use the singular values alone "
                      "(np.linalg.svd(a, compute_uv=False)), or keep the matrix of full rank")
    return u


def _svd_cotangents(g, u, s, v, compute_uv):
    """(gU, gs, gV), the adjoints of the reduced U, s and V = Vh^T from g, that of what
    np.linalg.svd returned (an unused item: 0); refused where the extra columns of a full
    U (rows of Vh) have one."""
    if not compute_uv:
        return 0.0 * u, np.broadcast_to(np.asarray(g, dtype=s.dtype), s.shape), 0.0 * v
    k = s.shape[-1]
    gu, gvh = np.asarray(g[0], dtype=s.dtype), np.asarray(g[2], dtype=s.dtype)
    if gu.ndim and gu.shape[-1] > k:
        if np.any(gu[..., :, k:] != 0.0):
            raise _svd_extra_refused("columns of U")
        gu = gu[..., :, :k]
    if gvh.ndim and gvh.shape[-2] > k:
        if np.any(gvh[..., k:, :] != 0.0):
            raise _svd_extra_refused("rows of Vh")
        gvh = gvh[..., :k, :]
    return (np.broadcast_to(gu, u.shape), np.broadcast_to(np.asarray(g[1], dtype=s.dtype),
                                                          s.shape),
            np.broadcast_to(mT(gvh) if gvh.ndim else gvh, v.shape))


def _gapped(f, m):
    """F * m, 0 wherever m is 0 (an unused singular vector reads no gap, inf or not)."""
    unused = m == 0.0
    return np.where(unused, 0.0, f * np.where(unused, 1.0, m))


def svd_adjoint(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The adjoint of (U, s, Vh) = np.linalg.svd(a), V = Vh^T, F[i, j] = 1 / (s_j^2 - s_i^2):
    U (F * (U^T gU - gU^T U) S + diag(gs) + S F * (V^T gV - gV^T V)) V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T), the last two only for a matrix that
    is not square (Townsend, "Differentiating the singular value decomposition", 2016);
    refused where a singular vector of a repeated singular value has a cotangent."""
    u, s, v = _svd_parts(ans, a, compute_uv, hermitian)
    gu, gs, gv = _svd_cotangents(g, u, s, v, compute_uv)
    if compute_uv and (np.any(gu != 0.0) or np.any(gv != 0.0)):
        u = _svd_rank_checked(u, s, v)
    f = _eigen_gaps(s * s)
    gu = _used_vectors_checked(gu, _repeated(f), "singular vectors")
    gv = _used_vectors_checked(gv, _repeated(f), "singular vectors")
    j, k = mT(u) @ gu, mT(v) @ gv
    inner = _gapped(f, j - mT(j)) * s[..., None, :] + s[..., :, None] * _gapped(f, k - mT(k))
    inner = inner + gs[..., None, :] * np.eye(s.shape[-1], dtype=s.dtype)
    abar = u @ inner @ mT(v)
    if u.shape[-2] > s.shape[-1]:
        abar = abar + (gu - u @ (mT(u) @ gu)) @ (mT(v) / s[..., :, None])
    if v.shape[-2] > s.shape[-1]:
        abar = abar + (u / s[..., None, :]) @ mT(gv - v @ (mT(v) @ gv))
    return abar


def svd_tangent(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent of (U, s, Vh) = np.linalg.svd(a) along t: with P = U^T t V, ds = diag(P),
    dU = U (F * (P S + S P^T)) + (I - U U^T) t V S^-1,
    dV = V (F * (S P + P^T S)) + (I - V V^T) t^T U S^-1 (F as in `svd_adjoint`); refused
    for the extra columns of a full U (rows of Vh), which have no derivative; the singular
    vectors of a repeated singular value have none either (an `UndefinedTangent`)."""
    u, s, v = _svd_parts(ans, a, compute_uv, hermitian)
    p = mT(u) @ t @ v
    ds = np.diagonal(p, axis1=-2, axis2=-1).copy()
    if not compute_uv:
        return ds
    if ans[0].shape[-1] > s.shape[-1]:
        raise _svd_extra_refused("columns of U", forward=True)
    if ans[2].shape[-2] > s.shape[-1]:
        raise _svd_extra_refused("rows of Vh", forward=True)
    u = _svd_rank_checked(u, s, v)
    f = _eigen_gaps(s * s)
    repeated = _repeated(f)
    if np.any(repeated):
        f = np.where(np.isinf(f), 0.0, f)
    du = u @ (f * (p * s[..., None, :] + s[..., :, None] * mT(p)))
    dv = v @ (f * (s[..., :, None] * p + mT(p) * s[..., None, :]))
    if u.shape[-2] > s.shape[-1]:
        du = du + (t @ v - u @ (mT(u) @ t @ v)) / s[..., None, :]
    if v.shape[-2] > s.shape[-1]:
        dv = dv + (mT(t) @ u - v @ (mT(v) @ mT(t) @ u)) / s[..., None, :]
    return (_undefined_where(du, repeated, "singular vectors"), ds,
            _undefined_where(mT(dv), repeated, "singular vectors", rows=True))


def _pinv_checked(a, rcond=None, hermitian=False, rtol=None):
    """a, refused unless it has full rank (min(m, n)) by np.linalg.pinv's own cutoff, rtol
    (or rcond) times the largest singular value: where the rank drops, the pseudo-inverse
    jumps (the singular values it drops come back when a moves), with no derivative."""
    if hermitian:
        raise refused("np.linalg.pinv(..., hermitian=True) reads one triangle of a",
                      "leave hermitian at False")
    a = np.asarray(a)
    s = np.linalg.svd(a, compute_uv=False)
    tol = rtol if rtol is not None else rcond if rcond is not None \
        else max(a.shape[-2:]) * np.finfo(float_dtype(a)).eps
    kept = s > np.asarray(tol)[..., None] * np.max(s, axis=-1, keepdims=True)
    if not np.all(kept):
        raise refused("np.linalg.pinv of a matrix of lower rank than min(m, n): its "
                      "pseudo-inverse jumps where the rank changes, with no derivative",
                      "drop the dependent rows or columns first, or solve a regularised "
                      "problem: np.linalg.solve(A.T @ A + lam * np.eye(n), A.T)")
    return a


def pinv_adjoint(g, ans, a, rcond=None, hermitian=False, rtol=None):
    """The adjoint of P = np.linalg.pinv(a), a of full rank: -P^T g P^T, plus
    (I - a P) g^T P P^T for a tall a and P^T P g^T (I - P a) for a wide one (Golub and
    Pereyra's derivative; each projection is 0 in the other case)."""
    a = _pinv_checked(a, rcond, hermitian, rtol)
    p = ans
    g = np.broadcast_to(np.asarray(g, dtype=p.dtype), p.shape)
    abar = -mT(p) @ g @ mT(p)
    if a.shape[-2] > a.shape[-1]:
        x = mT(g) @ p @ mT(p)
        abar = abar + x - a @ (p @ x)
    elif a.shape[-2] < a.shape[-1]:
        y = mT(p) @ p @ mT(g)
        abar = abar + y - (y @ p) @ a
    return abar


def pinv_tangent(t, ans, a, rcond=None, hermitian=False, rtol=None):
    """The tangent of P = np.linalg.pinv(a) along t, a of full rank: -P t P, plus
    P P^T t^T (I - a P) for a tall a and (I - P a) t^T P^T P for a wide one."""
    a = _pinv_checked(a, rcond, hermitian, rtol)
    p = ans
    dp = -p @ t @ p
    if a.shape[-2] > a.shape[-1]:
        x = p @ mT(p) @ mT(t)
        dp = dp + x - (x @ a) @ p
    elif a.shape[-2] < a.shape[-1]:
        y = mT(t) @ mT(p) @ p
        dp = dp + y - p @ (a @ y)
    return dp


def _multi_dot_chain(arrays):
    """The matrices np.linalg.multi_dot(arrays) multiplies: a first 1-D array as a row, a
    last one as a column."""
    chain = [np.asarray(a) for a in arrays]
    if any(a.ndim != 2 for a in chain[1:-1]) or chain[0].ndim not in (1, 2) \
            or chain[-1].ndim not in (1, 2):
        raise refused("np.linalg.multi_dot of arrays other than matrices (and a vector first "
                      "or last)", "multiply stacks of matrices with @ (np.matmul)")
    first = chain[0][None, :] if chain[0].ndim == 1 else chain[0]
    last = chain[-1][:, None] if chain[-1].ndim == 1 else chain[-1]
    return [first] + chain[1:-1] + [last]


def multi_dot_adjoint(g, arrays):
    """The adjoints of np.linalg.multi_dot(arrays): for A_k, (A_1 ... A_k-1)^T g
    (A_k+1 ... A_n)^T, each in the shape of its array."""
    chain = _multi_dot_chain(arrays)
    g = np.reshape(g, (chain[0].shape[0], chain[-1].shape[1]))
    before = [np.eye(chain[0].shape[0], dtype=g.dtype)]
    for a in chain[:-1]:
        before.append(before[-1] @ a)
    after = [np.eye(chain[-1].shape[1], dtype=g.dtype)]
    for a in chain[:0:-1]:
        after.append(a @ after[-1])
    n = len(chain)
    return [np.reshape(before[k].T @ g @ after[n - 1 - k].T, np.shape(arrays[k]))
            for k in range(n)]


def multi_dot_tangent(t, arrays):
    """The tangent of np.linalg.multi_dot(arrays) along the tangents t of the arrays: the sum
    over k of the product with A_k replaced by t_k."""
    chain = _multi_dot_chain(arrays)
    tangents = _multi_dot_chain(t)
    total = 0.0
    for k in range(len(chain)):
        total = total + np.linalg.multi_dot(chain[:k] + [tangents[k]] + chain[k + 1:])
    shape = np.shape(np.linalg.multi_dot(arrays))
    return np.reshape(total, shape)


def _covariance_rows(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                     aweights=None):
    """(X, N - ddof, rows of m, transposed): the variables np.cov(m, y, rowvar, ...) pairs,
    one per row of X, centred; refused with weights."""
    if fweights is not None or aweights is not None:
        raise refused("np.cov with fweights or aweights", "weight the centred data yourself "
                      "and write the covariance as a matrix product")
    x = np.atleast_2d(np.asarray(m, dtype=float_dtype(m)))
    transposed = not rowvar and x.shape[0] != 1
    x = x.T if transposed else x
    rows = x.shape[0]
    if y is not None:
        extra = np.atleast_2d(np.asarray(y, dtype=float_dtype(y)))
        x = np.concatenate((x, extra.T if not rowvar and extra.shape[0] != 1 else extra))
    if ddof is None:
        ddof = 0 if bias else 1
    return x - np.mean(x, axis=1, keepdims=True), x.shape[1] - ddof, rows, transposed


def cov_of_pair(m, y, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """np.cov(m, y, ...): generated code calls it so where y is given, its rule
    differentiating y too (normalise rewrites np.cov(m, y) to it)."""
    return np.cov(m, y, rowvar, bias, ddof, fweights, aweights)


def corrcoef_of_pair(x, y, rowvar=True):
    """np.corrcoef(x, y, rowvar), as `cov_of_pair` is np.cov's."""
    return np.corrcoef(x, y, rowvar)


def _in_layout(rows, like, rowvar):
    """Variables' rows (one per row) put back in the layout np.cov read them from, `like`'s."""
    transposed = not rowvar and np.atleast_2d(np.asarray(like)).shape[0] != 1
    return np.reshape(rows.T if transposed else rows, np.shape(like))


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                aweights=None, of_y=False):
    """The adjoint of m (of y for `of_y`) in np.cov(m, y, ...) = X X^T / (N - ddof) (X the
    centred variables, one per row): (g + g^T) X / (N - ddof), m's rows (y's) of it in
    m's layout (y's)."""
    x, divisor, rows, _ = _covariance_rows(m, y, rowvar, bias, ddof, fweights, aweights)
    g = np.reshape(np.asarray(g, dtype=x.dtype), (x.shape[0], x.shape[0]))
    full = (g + g.T) @ x / divisor
    return _in_layout(full[rows:], y, rowvar) if of_y else _in_layout(full[:rows], m, rowvar)


def cov_tangent(t, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                aweights=None, of_y=False):
    """The tangent of np.cov(m, y, ...) along t for m (for y: `of_y`): (dX X^T + X dX^T) /
    (N - ddof), dX the centred tangent in X's layout (the other's rows: 0)."""
    x, divisor, rows, transposed = _covariance_rows(m, y, rowvar, bias, ddof, fweights,
                                                    aweights)
    dt = np.atleast_2d(np.asarray(t, dtype=x.dtype))
    if of_y:
        dt = dt.T if not rowvar and dt.shape[0] != 1 else dt
    else:
        dt = dt.T if transposed else dt
    dt = dt - np.mean(dt, axis=1, keepdims=True)
    held = np.zeros((x.shape[0] - dt.shape[0], x.shape[1]), dtype=x.dtype)
    dx = np.concatenate((held, dt) if of_y else (dt, held))
    product = dx @ x.T / divisor
    return np.squeeze(product + product.T)


def _correlation_parts(x, y=None, rowvar=True):
    """(C, s, R): the covariance matrix of np.corrcoef(x, y, rowvar), the standard deviations
    and the correlations C / (s s^T)."""
    c = np.atleast_2d(np.cov(x, y, rowvar))
    s = np.sqrt(np.diagonal(c))
    return c, s, c / s[:, None] / s[None, :]


def corrcoef_adjoint(g, x, y=None, rowvar=True, of_y=False):
    """The adjoint of x in np.corrcoef(x, y, rowvar): with R = C / (s s^T), s^2 = diag(C),
    C's adjoint g / (s s^T) - diag((rows + columns of g * R) / (2 s^2)), then np.cov's."""
    c, s, r = _correlation_parts(x, y, rowvar)
    g = np.reshape(np.asarray(g, dtype=c.dtype), c.shape)
    weighted = g * r
    gc = g / s[:, None] / s[None, :] - np.diag(
        (np.sum(weighted, axis=1) + np.sum(weighted, axis=0)) / (2.0 * s * s))
    return cov_adjoint(gc, x, y, rowvar, of_y=of_y)


def corrcoef_tangent(t, x, y=None, rowvar=True, of_y=False):
    """The tangent of np.corrcoef(x, y, rowvar) along t for x: dC / (s s^T) - R * (q + q^T),
    q = diag(dC) / (2 s^2) as a column."""
    c, s, r = _correlation_parts(x, y, rowvar)
    dc = np.reshape(cov_tangent(t, x, y, rowvar, of_y=of_y), c.shape)
    q = (np.diagonal(dc) / (2.0 * s * s))[:, None]
    return np.squeeze(dc / s[:, None] / s[None, :] - r * (q + q.T))


def _polyfit_system(x, deg, w=None, full=False, cov=False):
    """(A, D): the weighted Vandermonde matrix np.polyfit(x, y, deg, w=w) solves with, and
    its derivative in x (row i: d A[i] / d x_i); refused for full=True or cov=True, or where
    A has not full column rank (the fit is not unique)."""
    if full or cov:
        raise refused("np.polyfit with full=True or cov=True returns more than the "
                      "coefficients", "call np.polyfit for the coefficients alone")
    x = np.asarray(x, dtype=float_dtype(x))
    powers = np.arange(deg, -1, -1)
    weights = np.ones_like(x) if w is None else np.asarray(w, dtype=x.dtype)
    a = weights[:, None] * x[:, None] ** powers
    d = weights[:, None] * powers * x[:, None] ** np.maximum(powers - 1, 0)
    if np.linalg.matrix_rank(a) < deg + 1:
        raise refused(f"np.polyfit of degree {deg} through fewer than {deg + 1} distinct "
                      "points: the fit is not unique", "lower the degree")
    return a, d


def _polyfit_residual(ans, a, y, w=None):
    """(r, w shaped like y): the weighted residual w y - A p of p = ans = np.polyfit(...)."""
    weights = np.ones(a.shape[0], dtype=a.dtype) if w is None else np.asarray(w, dtype=a.dtype)
    shaped = weights if np.ndim(y) == 1 else weights[:, None]
    return shaped * np.asarray(y, dtype=a.dtype) - a @ ans, shaped


def polyfit_adjoint_x(g, ans, x, y, deg, w=None, full=False, cov=False):
    """The adjoint of x in p = np.polyfit(x, y, deg, w=w), the least-squares solution of
    A p = w y: with z = (A^T A)^-1 g and r = w y - A p, sum_j D_ij (r z^T - A z p^T)_ij
    (D = dA/dx, `_polyfit_system`)."""
    a, d = _polyfit_system(x, deg, w, full, cov)
    z = np.linalg.solve(a.T @ a, np.asarray(g, dtype=a.dtype))
    r, _ = _polyfit_residual(ans, a, y, w)
    m = np.outer(r, z) - np.outer(a @ z, ans) if np.ndim(y) == 1 else r @ z.T - (a @ z) @ ans.T
    return np.sum(d * m, axis=1)


def polyfit_adjoint_y(g, ans, x, y, deg, w=None, full=False, cov=False):
    """The adjoint of y in p = np.polyfit(x, y, deg, w=w): w A (A^T A)^-1 g."""
    a, _ = _polyfit_system(x, deg, w, full, cov)
    _, shaped = _polyfit_residual(ans, a, y, w)
    return shaped * (a @ np.linalg.solve(a.T @ a, np.asarray(g, dtype=a.dtype)))


def polyfit_tangent_x(t, ans, x, y, deg, w=None, full=False, cov=False):
    """The tangent of np.polyfit(x, y, deg, w=w) along t for x: (A^T A)^-1 (dA^T r - A^T dA p),
    dA = D t row by row."""
    a, d = _polyfit_system(x, deg, w, full, cov)
    r, _ = _polyfit_residual(ans, a, y, w)
    da = d * np.asarray(t, dtype=a.dtype)[:, None]
    return np.linalg.solve(a.T @ a, da.T @ r - a.T @ (da @ ans))


def polyfit_tangent_y(t, ans, x, y, deg, w=None, full=False, cov=False):
    """The tangent of np.polyfit(x, y, deg, w=w) along t for y: (A^T A)^-1 A^T (w t)."""
    a, _ = _polyfit_system(x, deg, w, full, cov)
    _, shaped = _polyfit_residual(ans, a, y, w)
    return np.linalg.solve(a.T @ a, a.T @ (shaped * np.asarray(t, dtype=a.dtype)))


def polyval_adjoint_p(g, p, x):
    """The adjoint of polyval(p, x) in the coefficients p: g times x^(n-1-k), summed over
    the points x."""
    x = np.asarray(x)
    powers = x[..., None] ** np.arange(np.shape(p)[0] - 1, -1, -1)
    return unarray(np.sum(np.asarray(g)[..., None] * powers, axis=tuple(range(x.ndim))), p)


def polyval_slope(p, x):
    """d polyval(p, x) / dx: the derivative polynomial's value (0 for a constant)."""
    p = np.asarray(p)
    n = np.shape(p)[0]        # (np.polyder's coefficients, written out: linear in p)
    return np.polyval(p[:-1] * np.arange(n - 1, 0, -1), x) if n > 1 else 0.0 * x


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """The weight of each y in trapezoid(y, x, dx, axis): half the spacing on each side of
    it along `axis` (shaped to broadcast against y)."""
    y = np.asarray(y)
    n = y.shape[axis]
    if n < 2:
        return np.zeros(y.shape, dtype=float_dtype(y))
    if x is None:
        d = np.full(n - 1, float(dx), dtype=float_dtype(y))
    else:                              # (x along the same axis, counted as NumPy does)
        x = np.asarray(x, dtype=float)
        d = np.diff(x, axis=axis if x.ndim > 1 else -1)
    axis = axis % y.ndim
    if d.ndim == 1:
        d = d.reshape([-1 if k == axis else 1 for k in range(y.ndim)])
    elif d.ndim < y.ndim:
        d = d.reshape((1,) * (y.ndim - d.ndim) + d.shape)
    edge = np.zeros_like(np.take(d, [0], axis=axis))
    return 0.5 * (np.concatenate([edge, d], axis=axis) + np.concatenate([d, edge], axis=axis))


def average_weights(a, axis=None, weights=None, returned=False):
    """The share of each item of a in np.average(a, axis, weights): its weight over the
    sum of the weights along `axis` (a 1-D weights lies along axis)."""
    if returned:
        raise refused("np.average(..., returned=True) returns the sum of the weights too",
                      "compute the weights' sum with np.sum and average without returned")
    a = np.asarray(a)
    if weights is None:
        w = np.ones(a.shape, dtype=float_dtype(a))
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != a.shape:          # (weights along `axis`, one or several, in its order)
            axes = [k % a.ndim for k in (axis if isinstance(axis, tuple) else (axis,))]
            w = w.transpose(np.argsort(axes))
            w = w.reshape([a.shape[k] if k in axes else 1 for k in range(a.ndim)])
        w = np.broadcast_to(w, a.shape)
    return w / np.sum(w, axis=axis, keepdims=True)


def interp_parts(x, xp, fp, left=None, right=None, period=None):
    """For np.interp(x, xp, fp, left, right): the index i of the segment of each x, its
    position t along it, and where x lies inside [xp[0], xp[-1]] (outside, the value is
    left or right: fp's end where they are None)."""
    if period is not None:
        raise refused("np.interp with a period has no derivative rule in srcad",
                      "reduce x modulo the period first")
    x, xp = np.asarray(x, dtype=float), np.asarray(xp, dtype=float)
    if len(xp) < 2:                     # one point: fp[0] everywhere (but left, right)
        return np.zeros(x.shape, dtype=int), np.zeros(x.shape), np.zeros(x.shape, dtype=bool)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = (x - xp[i]) / (xp[i + 1] - xp[i])
    return i, t, (x >= xp[0]) & (x <= xp[-1])


def interp_slope(x, xp, fp, left=None, right=None, period=None):
    """d np.interp(x, xp, fp) / dx: the slope of x's segment, 0 outside xp."""
    i, _, inside = interp_parts(x, xp, fp, left, right, period)
    xp, fp = np.asarray(xp, dtype=float), np.asarray(fp, dtype=float)
    if len(xp) < 2:
        return np.zeros(np.shape(x))
    return np.where(inside, (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i]), 0.0)


def interp_adjoint_fp(g, x, xp, fp, left=None, right=None, period=None):
    """The adjoint of np.interp(x, xp, fp, ...) in fp: each x's g shared by the two ends of
    its segment (1 - t and t); outside xp, all of it to fp's end unless left/right is
    given."""
    i, t, _ = interp_parts(x, xp, fp, left, right, period)
    g = np.broadcast_to(np.asarray(g, dtype=float), np.shape(t))
    x, xp = np.asarray(x, dtype=float), np.asarray(xp, dtype=float)
    below, above = x < xp[0], x > xp[-1]
    t = np.where(below, 0.0, np.where(above, 1.0, t))
    keep = ~(below & (left is not None) | above & (right is not None))
    out = np.zeros(len(xp))
    if len(xp) < 2:                    # (one point: fp[0] on both sides)
        out[0] = np.sum(np.where(keep, g, 0.0))
        return unarray(out, fp)
    np.add.at(out, i, np.where(keep, g * (1.0 - t), 0.0))
    np.add.at(out, i + 1, np.where(keep, g * t, 0.0))
    return unarray(out, fp)


def interp_tangent_fp(t, x, xp, fp, left=None, right=None, period=None):
    """The tangent of np.interp(x, xp, fp, ...) along fp's tangent t (linear in fp; a given
    left or right is a constant)."""
    interp_parts(x, xp, fp, left, right, period)
    return np.interp(x, xp, t, left=None if left is None else 0.0,
                     right=None if right is None else 0.0)


def median_weights(a, axis=None, overwrite_input=False):
    """The share of each item of a in np.median(a, axis): 1 for the middle one, 1/2 for
    each of the two middle ones of an even count (a tie: those that sorting puts there)."""
    if isinstance(axis, (tuple, list)) or overwrite_input:
        raise refused("np.median over several axes, or overwriting its input, has no "
                      "derivative rule in srcad", "take the median over one axis (reshape "
                      "first), without overwrite_input")
    a = np.asarray(a)
    moved = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    n = moved.shape[-1]
    order = np.argsort(moved, axis=-1)
    middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    weights = np.zeros(moved.shape, dtype=float_dtype(a))
    picked = np.take(order, middle, axis=-1)
    np.put_along_axis(weights, picked, 1.0 / len(middle), axis=-1)
    # (a nan makes the median nan: so is its derivative)
    weights = np.where(np.isnan(moved).any(axis=-1, keepdims=True), np.nan, weights)
    return weights.reshape(a.shape) if axis is None else np.moveaxis(weights, -1, axis)


def quantile_weights(a, q, axis=None, overwrite_input=False, method="linear",
                     weights=None, skip_nan=False):
    """`(w, qs)`: w[k] the share of each item of a in np.quantile(a, qs[k], axis) (linear
    interpolation between the two items sorting puts around position q (n - 1)), qs the
    q's as a flat array. skip_nan: np.nanquantile's, n a group's count of numbers (NaN items
    and all-NaN groups get no share); else a NaN makes the group's shares NaN, as its
    quantiles are."""
    if isinstance(axis, (tuple, list)) or overwrite_input or method != "linear" \
            or weights is not None:
        raise refused("np.quantile, np.percentile, np.median and their nan-forms "
                      "(np.nanquantile ...) have derivative rules in srcad for "
                      "method='linear' over one axis, without weights or overwrite_input",
                      "sort first and interpolate by hand (np.sort(a)[k])")
    a = np.asarray(a)
    moved = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    qs = np.asarray(q, dtype=float).reshape(-1)
    missing = np.isnan(moved)
    counts = np.sum(~missing, axis=-1) if skip_nan else moved.shape[-1]
    positions = qs.reshape((-1,) + (1,) * (moved.ndim - 1)) * (np.asarray(counts) - 1)
    shares = _rank_shares(moved, positions).astype(float_dtype(a))
    if skip_nan:
        return np.where(np.asarray(counts)[..., None] > 0, shares, 0.0), qs
    return np.where(missing.any(axis=-1, keepdims=True), np.nan, shares), qs


def _rank_shares(moved, positions):
    """shares[k, ..., i]: the share of item i of each group (moved's last axis) in the value
    at the place positions[k, ...] of the group's sorted order: between the two items there,
    linear interpolation (NaN sorts last; ties: the items sorting puts there)."""
    ranks = np.argsort(np.argsort(moved, axis=-1), axis=-1)
    low = np.floor(positions)[..., None]
    above = positions[..., None] - low        # (0 at the last place: no item above gets any)
    return np.equal(ranks, low) * (1.0 - above) + np.equal(ranks, low + 1) * above


def quantile_adjoint(g, a, q, axis=None, overwrite_input=False, method="linear",
                     keepdims=False, weights=None, scale=1.0, skip_nan=False):
    """a's adjoint in np.quantile(a, q, ...) (np.percentile's: q scaled by 1/100;
    skip_nan: np.nanquantile's, 0 at NaN items)."""
    shares, qs = quantile_weights(a, np.asarray(q) * scale, axis, overwrite_input, method,
                                  weights, skip_nan)
    parts = np.reshape(g, (qs.size,) + shares.shape[1:-1] + (1,))
    out = np.sum(shares * parts, axis=0)
    a = np.asarray(a)
    out = out.reshape(a.shape) if axis is None else np.moveaxis(out, -1, axis)
    if skip_nan:
        return np.where(np.isnan(a), 0.0, out)
    return out


def quantile_tangent(t, a, q, axis=None, overwrite_input=False, method="linear",
                     keepdims=False, weights=None, scale=1.0, skip_nan=False):
    """The tangent of np.quantile(a, q, ...) along t (np.percentile's: q scaled; skip_nan:
    np.nanquantile's, t read at a's numbers only)."""
    shares, qs = quantile_weights(a, np.asarray(q) * scale, axis, overwrite_input, method,
                                  weights, skip_nan)
    t = np.asarray(t)
    if skip_nan:
        t = np.where(np.isnan(a), 0.0, t)
    moved = t.reshape(-1) if axis is None else np.moveaxis(t, axis, -1)
    out = np.sum(shares * moved, axis=-1)
    if keepdims:
        out = np.expand_dims(out, tuple(range(1, t.ndim + 1)) if axis is None else 1 + axis)
    return out.reshape(np.shape(q) + out.shape[1:])


def select_weights(xs, ans):
    """The share of each item of builtin max/min(xs) in the result: ties split evenly."""
    hits = [np.equal(x, ans) for x in xs]
    count = sum(hits)
    return [h / count for h in hits]


def sum_adjoint(g, xs):
    """The adjoint of builtin sum(xs): g for every item (xs a list or an array)."""
    _sum_of_numbers(g)
    if isinstance(xs, (list, tuple)):
        parts = [unbroadcast(g, x) for x in xs]
        return parts if isinstance(xs, list) else tuple(parts)
    return np.broadcast_to(g, np.shape(xs)).copy()


def sum_adjoint_transpose(g, u, xs):
    """The adjoint of sum_adjoint(u, xs), which is linear in u: the items' adjoints g
    summed, each to u's shape (xs an array: g summed over its first axis)."""
    if isinstance(xs, (list, tuple)):
        total = 0.0
        for part in g:
            total = total + broadcast_like(part, u)
        return total
    return unbroadcast(g, u)


def _sum_of_numbers(part):
    """Refuse builtin sum where it joins lists or tuples (`sum(parts, start)` with a list
    start: its value, or an item's, is a list)."""
    if isinstance(part, (list, tuple)):
        raise refused("sum(..., start) joining lists or tuples",
                      "join them with a comprehension: [y for part in parts for y in part]")


def sum_tangent(t, xs):
    """The tangent of builtin sum(xs)."""
    if isinstance(xs, (list, tuple)):
        for item in t:
            _sum_of_numbers(item)
        return sum(t)
    return np.sum(t, axis=0)


HELPERS = HELPERS + (
    sorted_order, sorted_adjoint, in_sorted_order, sorted_tangent, sorted_like,
    concatenated, stacked_like, gradient_along, sum_adjoint_transpose, float_dtype, spread, cast_like, cast_tangent, balanced_weight, fmax_weight, clip_masks,
    power_slope, power_slope_in_y, safe_log, exponent_tangent,
    sinc_derivative, _axes, chooser_weights, prod_others, var_weights, cumsum_adjoint,
    _cumprod_replaced, cumprod_adjoint, cumprod_adjoint_transpose, cumprod_tangent, _norm_is_matrix, norm_weights,
    _norm_nonzero, norm_weights_kept, norm_weights_checked,
    _grouped, _ungrouped, _shifted, prod_others_tangent, _replaced, _from, _flat_along,
    _later_sums, cumprod_adjoint_along, norm_weights_slopes, einsum_adjoint_along,
    _matrix_norm_weights, norm_weights_change, _singular_weights_change, _singular_weights_kinked,
    _singular_weights_defined, singular_weights_kept, singular_weights_checked,
    inverse_axes, method_axes, method_shape, permute_axes,
    unconcatenate, unhstack, unvstack, uncolumn_stack, appended_part, unsplit, unstack_like,
    unarray, untile, unrepeat,
    unpad, check_pad_mode, missing_attribute, diagonal_adjoint, diag_adjoint, trace_adjoint, take_adjoint,
    sort_adjoint, sort_tangent, modf_tangent, partition_order, vander_powers,
    histogram_edges_follow, histogram_bins,
    gradient_adjoint, quantile_weights, _rank_shares, quantile_adjoint,
    quantile_tangent, _qr_checked, _qr_factors, qr_adjoint, qr_tangent,
    _lstsq_checked, lstsq_weights, _residual_part, lstsq_adjoint_a,
    lstsq_adjoint_b, lstsq_tangent_a, lstsq_tangent_b, diff_adjoint, diff_trimmed, diff_tangent,
    unitem, item_tangent, _tensordot_axes,
    tensordot_adjoint_a, tensordot_adjoint_b, dot_axes, inner_axes, product_adjoint_a,
    product_adjoint_b, kron_shapes, kron_parts, kron_adjoint_a, kron_adjoint_b, einsum_adjoint,
    einsum_with, einsum_adjoint_operands, outer_adjoint_a, outer_adjoint_b, cross_adjoint, convolve_adjoint, mT,
    _matrix_powers, matrix_power_adjoint, matrix_power_tangent, solve_transposed,
    solve_adjoint_a, solve_tangent_a,
    solve_tangent_b,
    _products_but_one, _products_but_two, _svd_for_adjugate, _well_conditioned_inverse,
    adjugate, _adjugate_of_diagonal_tangent, adjugate_tangent, adjugate_adjoint,
    _products_but_three, _third_of_diagonal, adjugate_second, adjugate_second_adjoint,
    det_adjoint, det_tangent, _singular_refused, slogdet_adjoint, slogdet_tangent, _phi,
    cholesky_adjoint,
    cholesky_tangent, _one_triangle, _to_triangle, _eigen_gaps, _repeated, _vectors_refused,
    _used_vectors_checked, UndefinedTangent, _undefined_where, eigh_adjoint, eigh_tangent,
    eigvalsh_adjoint, eigvalsh_tangent, _svd_parts, _svd_extra_refused, _svd_rank_checked,
    _svd_cotangents, _gapped, svd_adjoint, svd_tangent, _pinv_checked, pinv_adjoint,
    pinv_tangent, correlate_adjoint_a, correlate_adjoint_v, _multi_dot_chain, multi_dot_adjoint,
    multi_dot_tangent, _covariance_rows, cov_of_pair, corrcoef_of_pair, _in_layout,
    cov_adjoint, cov_tangent, _correlation_parts,
    corrcoef_adjoint, corrcoef_tangent, _polyfit_system, _polyfit_residual,
    polyfit_adjoint_x, polyfit_adjoint_y, polyfit_tangent_x, polyfit_tangent_y,
    vector_norm_weights, cond_weights, polyval_adjoint_p, polyval_slope,
    trapezoid_weights, average_weights, interp_parts, interp_slope,
    interp_adjoint_fp, interp_tangent_fp, median_weights, select_weights, sum_adjoint,
    sum_tangent, spaced_weights, along,
    refused, _users_line, kind_of, own_arithmetic, own_arithmetic_type, own_arithmetic_within,
    _held, types_within, _banded_transposed, _sum_of_numbers,
    counts_from, check_output, check_plain_operand, check_kinds, check_function, check_tangent, check_seed, _shaped_unlike,
    _shape_described, as_floats, _made_floats, check_real, _complex_within,
    check_plain_result, check_method, check_reversible, check_item_copied, check_slice_length, counted, if_floating, stored_part, einsum_one, listed,
    tupled, unlisted, listed_tangent, transposed, untransposed,
    unarray_transpose,
    largest, smallest, _numbers, _repeated_transpose,
    extremum_weights)


# ----- helpers of NumPy's NaN-aware reductions, selections and shape operations -----


def present(x):
    """1 where x holds a number, 0 where it holds NaN, in x's floating dtype: the items
    np.nansum and its kin count."""
    return (~np.isnan(x)).astype(float_dtype(x))


def nan_count(x, axis=None):
    """How many numbers each group of a NaN-aware reduction of x over `axis` holds (axes of
    length 1 kept), at least 1: an all-NaN group, whose result is NaN, divides 0 by 1."""
    return np.maximum(np.sum(present(x), axis=axis, keepdims=True), 1.0)


def nan_chooser_weights(x, ans, axis=None, keepdims=False):
    """chooser_weights of np.nanmax and np.nanmin: a NaN is never chosen (it equals
    nothing), ties split evenly; an all-NaN group (its result NaN) gets no share."""
    x = np.asarray(x)
    hit = np.equal(x, expand_to(ans, x, axis, keepdims))
    count = np.maximum(np.sum(hit, axis=_axes(axis, x.ndim), keepdims=True), 1)
    return (hit / count).astype(float_dtype(x))


def ptp_weights(x, axis=None, keepdims=False):
    """d ptp(x, axis) / dx: the max's share of each element less the min's (ties split
    evenly; where a group is constant, they cancel)."""
    highest = np.max(x, axis=axis, keepdims=keepdims)
    lowest = np.min(x, axis=axis, keepdims=keepdims)
    return chooser_weights(x, highest, axis, keepdims) - chooser_weights(x, lowest, axis,
                                                                         keepdims)


def nan_var_weights(x, axis=None, ddof=0):
    """d nanvar(x, axis, ddof) / dx = 2 (x - nanmean) / (n - ddof), n the count of numbers
    in x's group; 0 at a NaN."""
    return nan_var_weights_along(x, x, axis, ddof)


def nan_var_weights_along(t, x, axis=None, ddof=0):
    """nan_var_weights is linear in the numbers of x, and symmetric: its tangent along t
    (and its adjoint), with t read where x holds numbers only."""
    counts = np.sum(present(x), axis=axis, keepdims=True)
    numbers = np.where(np.isnan(x), 0.0, t)
    centred = numbers - np.sum(numbers, axis=axis, keepdims=True) / np.maximum(counts, 1.0)
    return np.where(np.isnan(x), 0.0, centred * (2.0 / (counts - ddof)))


def _along_axis_index(indices, shape, axis):
    """The fancy index that np.take_along_axis(x, indices, axis) reads x (shaped `shape`,
    flattened where axis is None) at: `indices` along axis, every place along the others."""
    if axis is None:
        return (np.asarray(indices),)
    axis = axis % len(shape)
    return tuple(np.asarray(indices) if d == axis else
                 np.arange(n).reshape([-1 if k == d else 1 for k in range(len(shape))])
                 for d, n in enumerate(shape))


def take_along_axis_adjoint(g, x, indices, axis=-1):
    """The adjoint of np.take_along_axis(x, indices, axis): g added into zeros at the places
    taken (a place taken twice gets both)."""
    x = np.asarray(x)
    shape = (x.size,) if axis is None else x.shape
    out = np.zeros(shape, dtype=np.result_type(np.asarray(g), float_dtype(x)))
    np.add.at(out, _along_axis_index(indices, shape, axis), g)
    return out.reshape(x.shape)


def _items_like(parts, xs):
    """The adjoints `parts` of the items of xs, as xs holds them: a list for a list or a
    tuple, an array for an array (whose rows NumPy took for the items)."""
    if isinstance(xs, np.ndarray):
        return np.array(parts, dtype=float_dtype(xs, *parts)).reshape(xs.shape)
    return parts


def select_adjoint(g, condlist, choicelist):
    """The adjoint of np.select(condlist, choicelist, default) in its choices: each gets g
    where its condition is the first that holds, summed back to its shape."""
    g = np.asarray(g)
    taken = np.zeros(g.shape, dtype=bool)
    parts = []
    for condition, choice in zip(condlist, choicelist):
        chosen = np.broadcast_to(condition, g.shape) & ~taken
        taken = taken | chosen
        parts.append(unbroadcast(np.where(chosen, g, 0.0), choice))
    return _items_like(parts, choicelist)


def unselected(g, condlist, default):
    """The adjoint of np.select(condlist, choicelist, default) in its default: g where no
    condition holds, summed back to the default's shape."""
    g = np.asarray(g)
    held = np.zeros(g.shape, dtype=bool)
    for condition in condlist:
        held = held | np.broadcast_to(condition, g.shape)
    return unbroadcast(np.where(held, 0.0, g), default)


def choose_adjoint(g, a, choices, mode="raise"):
    """The adjoint of np.choose(a, choices, mode=mode) in its choices: each gets g where a
    picks it (an index out of range wrapped or clipped as `mode` says)."""
    n = len(choices)
    picked = np.mod(a, n) if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" \
        else np.asarray(a)
    parts = [unbroadcast(np.where(picked == k, g, 0.0), choices[k]) for k in range(n)]
    return _items_like(parts, choices)


def compress_adjoint(g, condition, x, axis=None):
    """The adjoint of np.compress(condition, x, axis): g back at the places kept (of x
    flattened where axis is None), zeros elsewhere."""
    x = np.asarray(x)
    shape = (x.size,) if axis is None else x.shape
    out = np.zeros(shape, dtype=np.result_type(np.asarray(g), float_dtype(x)))
    index = [slice(None)] * len(shape)
    index[0 if axis is None else axis] = np.flatnonzero(condition)
    out[tuple(index)] = g
    return out.reshape(x.shape)


def initial_dropped(v, axis=None, include_initial=False):
    """v without its first item along axis (0 for None) where np.cumulative_sum or
    np.cumulative_prod put the initial value there (include_initial): their cumsum's or
    cumprod's part."""
    if not include_initial:
        return v
    v = np.asarray(v)
    axis = 0 if axis is None else axis
    return np.take(v, np.arange(1, v.shape[axis]), axis=axis)


def initial_zero(t, axis=None, include_initial=False):
    """t with a zero put first along axis (0 for None) where include_initial: the tangent
    of a cumulative sum or product whose constant initial value leads (initial_dropped's
    transpose)."""
    if not include_initial:
        return t
    t = np.asarray(t)
    axis = 0 if axis is None else axis
    return np.concatenate([np.zeros_like(np.take(t, [0], axis=axis)), t], axis=axis)


def meshgrid_of(xs, copy=True, sparse=False, indexing="xy"):
    """np.meshgrid(*xs, ...): generated code calls it so, its rule differentiating the list
    xs (normalise rewrites np.meshgrid(x, y) to it)."""
    return np.meshgrid(*xs, copy=copy, sparse=sparse, indexing=indexing)


def _grid_axis(k, n, indexing):
    """The axis of np.meshgrid's grids along which its k-th of n inputs runs ('xy' swaps
    the first two)."""
    if indexing == "xy" and n > 1 and k < 2:
        return 1 - k
    return k


def unmeshgrid(g, ans, xs, indexing="xy"):
    """The adjoint of np.meshgrid(*xs, indexing=indexing): each input gets its grid's
    adjoint summed over the axes it does not run along (g: one adjoint per grid, 0.0 for
    those unused)."""
    parts = []
    for k, (gk, grid, x) in enumerate(zip(g, ans, xs)):
        gk = np.broadcast_to(gk, np.shape(grid))
        axis = _grid_axis(k, len(xs), indexing)
        others = tuple(a for a in range(gk.ndim) if a != axis)
        part = np.sum(gk, axis=others).reshape(np.shape(x))
        parts.append(part.astype(float_dtype(x, part)))
    return _items_like(parts, xs)


def meshgrid_tangent(t, xs, copy=True, sparse=False, indexing="xy"):
    """The tangent of np.meshgrid(*xs, ...): the grids of the inputs' tangents (each
    shaped like its input first, a constant's 0.0 too)."""
    return meshgrid_of([np.broadcast_to(tk, np.shape(x)) for tk, x in zip(t, xs)], copy,
                       sparse, indexing)


def broadcast_arrays_of(xs, subok=False):
    """np.broadcast_arrays(*xs) (see meshgrid_of)."""
    return np.broadcast_arrays(*xs, subok=subok)


def unbroadcast_arrays(g, ans, xs):
    """The adjoint of np.broadcast_arrays(*xs): each one's adjoint summed back to its
    shape (0.0 for those unused)."""
    parts = [unbroadcast(np.broadcast_to(gk, np.shape(out)), x) for gk, out, x in zip(g, ans, xs)]
    return _items_like(parts, xs)


def broadcast_arrays_tangent(t, ans):
    """The tangent of np.broadcast_arrays(*xs): each input's tangent broadcast like its
    result."""
    return tuple(np.broadcast_to(tk, np.shape(out)) for tk, out in zip(t, ans))


def pieces_like(g, xs):
    """The adjoints g of the items of xs (a list's, an array's rows), each in its item's
    shape (an unused one's 0.0 spread): what the transposes of unhstack, unvstack, ... join
    back as np.hstack, np.vstack, ... joined xs."""
    return [np.broadcast_to(p, np.shape(x)) for p, x in zip(_items(g, xs), xs)]


def blocks_like(g, arrays):
    """`pieces_like` for np.block's nested lists of arrays: g's parts as `arrays` nests
    them, each in its block's shape."""
    if not isinstance(arrays, list):
        return np.broadcast_to(g, np.shape(arrays))
    return [blocks_like(p, item) for p, item in zip(_items(g, arrays), arrays)]


def meshgrid_spread(g, u, grids, xs, indexing="xy"):
    """The adjoint of unmeshgrid(u, grids, xs, indexing), which is linear in u: each
    input's adjoint spread over its grid along the axis it runs along (summed back where
    u's item is a number)."""
    parts = []
    for k, (gk, grid, x, uk) in enumerate(zip(_items(g, xs), grids, xs, u)):
        along = [1] * np.ndim(grid)
        along[_grid_axis(k, len(xs), indexing)] = -1
        line = np.reshape(np.broadcast_to(gk, np.shape(x)), along)
        parts.append(unbroadcast(np.broadcast_to(line, np.shape(grid)), uk))
    return _sequence_like(parts, u)


def broadcast_arrays_spread(g, u, outs, xs):
    """The adjoint of unbroadcast_arrays(u, outs, xs), which is linear in u: each input's
    adjoint broadcast like its result (summed back where u's item is a number)."""
    parts = [unbroadcast(np.broadcast_to(gk, np.shape(out)), uk)
             for gk, out, uk in zip(_items(g, xs), outs, u)]
    return _sequence_like(parts, u)


def select_adjoint_transpose(g, u, condlist, choicelist):
    """The adjoint of select_adjoint(u, condlist, choicelist), which is linear in u: each
    choice's adjoint where its condition is the first that holds."""
    shape = np.shape(u)
    taken = np.zeros(shape, dtype=bool)
    out = np.zeros(shape, dtype=float_dtype(u))
    for condition, gk in zip(condlist, _items(g, choicelist)):
        chosen = np.broadcast_to(condition, shape) & ~taken
        taken = taken | chosen
        out = out + np.where(chosen, gk, 0.0)
    return out


def unselected_transpose(g, u, condlist):
    """The adjoint of unselected(u, condlist, default), linear in u: the default's adjoint
    where no condition holds."""
    held = np.zeros(np.shape(u), dtype=bool)
    for condition in condlist:
        held = held | np.broadcast_to(condition, np.shape(u))
    return np.where(held, 0.0, np.broadcast_to(g, np.shape(u))).astype(float_dtype(u))


def choose_adjoint_transpose(g, u, a, choices, mode="raise"):
    """The adjoint of choose_adjoint(u, a, choices, mode), which is linear in u: each
    choice's adjoint where a picks it."""
    n = len(choices)
    picked = np.mod(a, n) if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" \
        else np.asarray(a)
    out = np.zeros(np.shape(u), dtype=float_dtype(u))
    for k, gk in enumerate(_items(g, choices)):
        out = out + np.where(picked == k, gk, 0.0)
    return out


def undstack(g, xs):
    """The adjoint of np.dstack(xs): g cut along its third axis, each piece in the shape of
    its input."""
    pieces = unconcatenate(g, [np.atleast_3d(x) for x in xs], 2)
    return _items_like([p.reshape(np.shape(x)) for p, x in zip(pieces, xs)], xs)


def unblock(g, arrays):
    """The adjoint of np.block(arrays): g cut into the blocks, in nested lists as `arrays`
    nests them (the innermost lists are joined along the last axis, the next along the one
    before, ...)."""
    g = np.asarray(g)
    depth, item = 0, arrays
    while isinstance(item, list) and item:
        depth, item = depth + 1, item[0]
    return _unblocked(g, arrays, depth, g.ndim)


def _unblocked(g, arrays, depth, ndim):
    """g's pieces for the blocks of `arrays`, a list `depth` deep in a result of ndim axes."""
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    axis = ndim - depth
    sizes = [_block_extent(item, axis, ndim) for item in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return [_unblocked(p, item, depth - 1, ndim) for p, item in zip(pieces, arrays)]


def _block_extent(item, axis, ndim):
    """How far a block of np.block reaches along `axis`, one its lists do not join along:
    as far as its first array (its shape taken to ndim axes with leading 1s)."""
    while isinstance(item, list):
        item = item[0]
    shape = (1,) * (ndim - np.ndim(item)) + np.shape(item)
    return shape[axis]


def item_indices(x):
    """The flat index of each item of x, in x's shape: what np.delete, np.insert and
    np.resize do to them tells where each item of their result comes from."""
    return np.arange(np.size(x)).reshape(np.shape(x))


def gathered_adjoint(g, x, origins):
    """The adjoint of an array whose items are x's at the flat indices `origins` (-1 for an
    item that is none of x's): each item of g added at its origin (repeats add up)."""
    if np.size(x) == 0:          # (np.resize of an empty array fills with zeros)
        return np.zeros(np.shape(x), dtype=float_dtype(x))
    origins = np.asarray(origins)
    g = np.broadcast_to(g, origins.shape)
    kept = origins >= 0
    total = np.bincount(origins[kept], weights=g[kept], minlength=np.size(x))
    return total.reshape(np.shape(x)).astype(float_dtype(x, g))[()]


def ediff1d_adjoint(g, ary, to_begin=None):
    """The adjoint of np.ediff1d(ary, to_end, to_begin) in ary: np.diff's adjoint of the
    differences' part of g (after to_begin's items)."""
    n = np.size(ary)
    if n == 0:
        return np.zeros(np.shape(ary), dtype=float_dtype(ary))
    begin = 0 if to_begin is None else np.size(to_begin)
    return diff_adjoint(np.asarray(g)[begin:begin + n - 1]).reshape(np.shape(ary))


def ediff1d_tangent(t, to_end=None, to_begin=None):
    """The tangent of np.ediff1d(ary, to_end, to_begin) along t: the differences of t
    between zeros for the constants to_begin and to_end."""
    def zeros(part):
        return None if part is None else np.zeros(np.size(part))
    return np.ediff1d(t, zeros(to_end), zeros(to_begin))


def bessel_i1(x):
    """The modified Bessel function I1, np.i0's derivative, by its power series: the sum
    over k of (x/2)^(2k+1) / (k! (k+1)!), terms of one sign (no cancellation), summed until
    they fall below rounding (|x| + 30 of them; I1 overflows beyond |x| = 713)."""
    x = np.asarray(x, dtype=float_dtype(x))
    half = x / 2
    term, total = half, half
    finite = np.abs(x[np.isfinite(x)])
    for k in range(min(int(np.max(finite, initial=0.0)), 750) + 30):
        term = term * half * half / ((k + 1) * (k + 2))
        total = total + term
    return total[()]


def bessel_i1_slope(x):
    """I1' = I0 - I1 / x (1/2 at x = 0): the derivative of bessel_i1, np.i0's second."""
    x = np.asarray(x, dtype=float_dtype(x))
    nonzero = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.5, np.i0(x) - bessel_i1(nonzero) / nonzero)[()]


# (most make new arrays; initial_dropped and initial_zero hand their argument back without
# include_initial)
RESULT_SHARES.update({"present": (), "nan_count": (), "nan_chooser_weights": (),
                      "ptp_weights": (), "nan_var_weights": (), "nan_var_weights_along": (),
                      "take_along_axis_adjoint": (), "_items_like": (), "select_adjoint": (),
                      "unselected": (), "choose_adjoint": (), "compress_adjoint": (),
                      "initial_dropped": ("v",), "initial_zero": ("t",), "unmeshgrid": (),
                      "_grid_axis": (),
                      # (views of their inputs, as NumPy's are)
                      "meshgrid_of": ("xs",), "meshgrid_tangent": ("t",),
                      "broadcast_arrays_of": ("xs",), "unbroadcast_arrays": ("g",),
                      "broadcast_arrays_tangent": ("t",),
                      # (pieces of g: np.split's views)
                      "undstack": ("g",), "unblock": ("g",), "_unblocked": ("g",),
                      "_block_extent": (),
                      "item_indices": (), "gathered_adjoint": (), "ediff1d_adjoint": (),
                      "ediff1d_tangent": (), "bessel_i1": (), "bessel_i1_slope": (),
                      "partition_order": (), "vander_powers": (), "modf_tangent": ("t",),
                      "histogram_edges_follow": (), "histogram_bins": ()})

HELPERS = HELPERS + (present, nan_count, nan_chooser_weights, ptp_weights, nan_var_weights,
                     nan_var_weights_along, _along_axis_index, take_along_axis_adjoint,
                     _items_like, select_adjoint, unselected, choose_adjoint,
                     compress_adjoint, initial_dropped, initial_zero, meshgrid_of, _grid_axis,
                     unmeshgrid, meshgrid_tangent, broadcast_arrays_of, unbroadcast_arrays,
                     broadcast_arrays_tangent, undstack, unblock, _unblocked, _block_extent,
                     item_indices, gathered_adjoint, ediff1d_adjoint, ediff1d_tangent,
                     bessel_i1, bessel_i1_slope, pieces_like, blocks_like, meshgrid_spread,
                     broadcast_arrays_spread, select_adjoint_transpose, unselected_transpose,
                     choose_adjoint_transpose)
