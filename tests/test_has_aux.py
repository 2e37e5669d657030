"""`has_aux=True`: a function returning `(loss, aux)`, as jax.grad and jax.value_and_grad
read it: the gradient of the loss, and aux handed back as the function computed it."""
import copy
import functools
import inspect

import numpy as np
import pytest

import srcad
from conftest import assert_tree_allclose, fd_check, flatten, unflatten


def loss_of(f):
    """The loss alone, for central differences (same signature as `f`)."""
    @functools.wraps(f)
    def loss(*args):
        return f(*args)[0]
    return loss


def with_array_aux(w, x):
    pred = np.tanh(x @ w)
    return np.mean(pred ** 2), pred


def branches(x, y):
    if np.sum(x) > 0:
        return np.sum(x * y), x + 1.0
    z = np.sin(x)
    return np.sum(z * y), {"z": z, "count": 3, "label": "negative"}


def newton(x, a):
    for i in range(30):
        fx = x * x - a
        if abs(fx) < 1e-12:
            return x * a, i
        x = x - fx / (2.0 * x)
    return x * a, 30


def history(w, steps):
    seen = []
    for _ in range(steps):
        w = w - 0.1 * np.sin(w)
        seen.append(w)
    return np.sum(w * w), seen


def last_iterate(w, steps):
    for _ in range(steps):
        w = w - 0.1 * np.sin(w)       # (the reverse sweep binds w's name again)
    return np.sum(w * w), w


def overwritten(x):
    buf = np.zeros(3)
    buf[0] = x
    s = np.sum(buf * buf)
    buf[0] = 2.0 * x                  # (the reverse sweep puts the old element back)
    buf[2] = s
    return s + np.sum(buf), buf


def dict_items(x):
    d = {"a": x, "b": 2.0 * x}
    s = d["a"] * d["b"]
    d["a"] = s * x                    # (the reverse sweep restores the item)
    return d["a"] + s, d


_aux = 10.0                           # a global named like the generated name


def reads_global_aux(x, _aux_=1.0):
    return x * x * _aux, x * _aux_


def scalar_aux(x):
    y = x * x
    return y * x, y


def with_local_function(x):
    def square(t):
        return t * t
    return np.sum(square(x)), "ok"


CASES = [
    (with_array_aux, (np.array([0.3, -0.2, 0.5]), np.array([[1.0, 0.5, -0.3],
                                                             [0.2, -0.4, 0.8]])), 0),
    (with_array_aux, (np.array([0.3, -0.2, 0.5]), np.array([[1.0, 0.5, -0.3],
                                                             [0.2, -0.4, 0.8]])), (0, 1)),
    (branches, (np.array([0.4, 0.9]), np.array([2.0, -3.0])), (0, 1)),
    (branches, (np.array([-0.4, -0.9]), np.array([2.0, -3.0])), (0, "y")),
    (newton, (1.0, 2.0), "a"),
    (history, (np.array([0.5, 1.5]), 4), 0),
    (scalar_aux, (1.7,), 0),
    (last_iterate, (np.array([0.5, 1.5]), 4), 0),
    (overwritten, (1.5,), 0),
    (dict_items, (0.7,), 0),
    (reads_global_aux, (1.5, 3.0), (0, 1)),
    (with_local_function, (np.array([1.0, -2.0]),), 0),
]


def same(a, b):
    """`a` and `b` hold equal values in the same structure (strings and ints too)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, str):
        return a == b
    return np.array_equal(a, b)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_grad_of_the_loss_and_aux_as_computed(f, args, wrt):
    before = copy.deepcopy(args)
    grads, aux = srcad.grad(f, wrt=wrt, has_aux=True)(*args)
    assert same(aux, f(*args)[1])
    fd_check(loss_of(f), args, wrt, grads=grads)
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)        # the caller's arrays unchanged


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_value_and_grad_gives_the_pair_then_the_gradient(f, args, wrt):
    (loss, aux), grads = srcad.value_and_grad(f, wrt=wrt, has_aux=True)(*args)
    want_loss, want_aux = f(*args)
    assert loss == pytest.approx(want_loss, rel=1e-14)
    assert same(aux, want_aux)
    fd_check(loss_of(f), args, wrt, grads=grads)
    plain, _ = srcad.grad(f, wrt=wrt, has_aux=True, optimize=False)(*args)
    assert_tree_allclose(plain, grads)


def test_decorator_form():
    @srcad.grad(wrt=("w",), has_aux=True)
    def loss(w, x):
        r = x @ w
        return 0.5 * np.sum(r * r), r
    w, x = np.array([1.0, -2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    (g,), r = loss(w, x)
    np.testing.assert_allclose(g, x.T @ (x @ w), rtol=1e-14)
    np.testing.assert_array_equal(r, x @ w)


def test_the_same_function_without_has_aux_is_still_refused_and_told_of_it():
    x = np.array([0.4, 0.9])
    srcad.grad(scalar_aux, has_aux=True)(1.5)
    with pytest.raises(srcad.NonScalarOutputError, match="has_aux=True"):
        srcad.grad(scalar_aux)(1.5)
    with pytest.raises(srcad.NonScalarOutputError, match="has_aux=True"):
        srcad.grad(branches)(x, x)


def returns_a_name(x):
    out = (x * x, x)
    return out


def may_end_without_return(x):
    if x > 0:
        return x * x, 1


def returns_three(x):
    return x * x, x, 2.0


@pytest.mark.parametrize("f, phrase", [
    (returns_a_name, "each return to give a pair"),
    (returns_three, "each return to give a pair"),
    (may_end_without_return, "end in a return of a pair"),
])
def test_refused_where_the_pair_is_not_written_out(f, phrase):
    with pytest.raises(srcad.UnsupportedError, match=phrase) as info:
        srcad.grad(f, has_aux=True)
    assert "test_has_aux.py" in str(info.value) and "return loss, aux" in str(info.value)


def test_a_loss_that_is_not_a_scalar_is_refused():
    def vector_loss(x):
        return x * 2.0, 1
    with pytest.raises(srcad.NonScalarOutputError, match=r"has_aux=True.*shape \(3,\)"):
        srcad.grad(vector_loss, has_aux=True)(np.ones(3))


@pytest.mark.parametrize("outer", [srcad.grad, srcad.hessian, srcad.jacobian])
def test_a_has_aux_derivative_is_not_differentiated_again(outer):
    for inner in (srcad.grad(scalar_aux, has_aux=True),
                  srcad.value_and_grad(scalar_aux, has_aux=True)):
        with pytest.raises(srcad.UnsupportedError, match="has_aux=True"):
            outer(inner)


GRAD_AUX = srcad.grad(scalar_aux, has_aux=True)
GRAD_AUX_PACKED = srcad.grad(scalar_aux, wrt=(0,), has_aux=True)
VALUE_AUX = srcad.value_and_grad(scalar_aux, has_aux=True)
VALUE_AUX_PACKED = srcad.value_and_grad(scalar_aux, wrt=(0,), has_aux=True)


def calls_grad_aux(x):
    g, y = GRAD_AUX(x)
    return g * y


def calls_grad_aux_packed(x):
    (g,), y = GRAD_AUX_PACKED(x)
    return g * y + x


def calls_value_aux(x):
    (v, y), g = VALUE_AUX(x)
    return g * y * v


def calls_value_aux_packed(x):
    (v, y), (g,) = VALUE_AUX_PACKED(x)
    return g - y * v


@pytest.mark.parametrize("f", [calls_grad_aux, calls_grad_aux_packed, calls_value_aux,
                               calls_value_aux_packed])
def test_called_by_a_differentiated_function(f):
    # scalar_aux: loss x**3 (gradient 3x**2), aux x**2
    x = 1.3
    closed = {calls_grad_aux: 12 * x ** 3, calls_grad_aux_packed: 12 * x ** 3 + 1,
              calls_value_aux: 21 * x ** 6, calls_value_aux_packed: 6 * x - 5 * x ** 4}
    assert srcad.grad(f)(x) == pytest.approx(closed[f], rel=1e-12)
    fd_check(f, (x,), 0)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w):
        s = self.scale * w
        return np.sum(s ** 2), s


def test_bound_method():
    m = Model(3.0)
    w = np.array([1.0, -0.5])
    g, s = srcad.grad(m.loss, has_aux=True)(w)
    np.testing.assert_allclose(g, 2 * 9.0 * w, rtol=1e-14)
    np.testing.assert_array_equal(s, 3.0 * w)


# ----- srcad.jvp and srcad.vjp with has_aux=True, as jax.jvp and jax.vjp -----


def wrt_indices(f, wrt):
    """`wrt` (an index, a name, or a tuple of them) as a tuple of indices of `f`'s
    parameters."""
    params = list(inspect.signature(f).parameters)
    return tuple(params.index(k) if isinstance(k, str) else k
                 for k in (wrt if isinstance(wrt, tuple) else (wrt,)))


def random_like(value, gen):
    """Random numbers in the structure and shapes of `value` (floats for numbers)."""
    return unflatten(value, [gen.standard_normal(a.shape) for a in flatten(value)])


def moved(args, indices, tangents, step):
    """`args` with each argument of `indices` moved `step` along its tangent."""
    out = list(copy.deepcopy(args))
    for k, t in zip(indices, tangents):
        out[k] = unflatten(args[k], [a + step * d for a, d in zip(flatten(args[k]),
                                                                    flatten(t))])
    return out


def value_fd(f, args, indices, tangents, eps=1e-6):
    """Central differences of the value (first item) of `f` along the tangents."""
    ahead = flatten(f(*moved(args, indices, tangents, eps))[0])
    behind = flatten(f(*moved(args, indices, tangents, -eps))[0])
    return [(a - b) / (2 * eps) for a, b in zip(ahead, behind)]


def vector_value(w, x):
    pred = np.tanh(x @ w)
    return pred * w[:2], {"pred": pred, "count": 2}


def vector_history(w, steps):
    seen = []
    for _ in range(steps):
        w = w - 0.1 * np.sin(w)
        seen.append(w)
    return w * w, seen


def vector_overwritten(x):
    buf = np.zeros(3)
    buf[0] = x
    s = np.sum(buf * buf)
    buf[0] = 2.0 * x
    buf[2] = s
    return buf * x, buf


W, X = np.array([0.3, -0.2, 0.5]), np.array([[1.0, 0.5, -0.3], [0.2, -0.4, 0.8]])
VECTOR_CASES = CASES + [
    (vector_value, (W, X), 0),
    (vector_value, (W, X), (0, 1)),
    (vector_history, (np.array([0.5, 1.5]), 4), 0),
    (vector_overwritten, (1.5,), 0),
]


@pytest.mark.parametrize("f, args, wrt", VECTOR_CASES,
                         ids=lambda c: getattr(c, "__name__", None))
def test_jvp_gives_the_value_its_tangent_and_aux_as_computed(f, args, wrt):
    before = copy.deepcopy(args)
    indices = wrt_indices(f, wrt)
    gen = np.random.default_rng(1)
    tangents = tuple(random_like(args[k], gen) for k in indices)
    given = tangents if isinstance(wrt, tuple) else tangents[0]
    value, tangent, aux = srcad.jvp(f, wrt=wrt, has_aux=True)(*args, given)
    want_value, want_aux = f(*copy.deepcopy(args))
    assert_tree_allclose(value, want_value, rtol=1e-14, atol=0)
    assert same(aux, want_aux)
    for got, numeric in zip(flatten(tangent), value_fd(f, args, indices, tangents)):
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)        # the caller's arrays unchanged
    plain = srcad.jvp(f, wrt=wrt, has_aux=True, optimize=False)(*args, given)
    assert_tree_allclose(plain[1], tangent)
    assert same(plain[2], want_aux)


@pytest.mark.parametrize("f, args, wrt", VECTOR_CASES,
                         ids=lambda c: getattr(c, "__name__", None))
def test_vjp_gives_the_value_a_pullback_and_aux_as_computed(f, args, wrt):
    before = copy.deepcopy(args)
    value, pullback, aux = srcad.vjp(f, wrt=wrt, has_aux=True)(*args)
    want_value, want_aux = f(*copy.deepcopy(args))
    assert_tree_allclose(value, want_value, rtol=1e-14, atol=0)
    assert same(aux, want_aux)
    ybar = random_like(value, np.random.default_rng(2))

    @functools.wraps(f)
    def weighted(*a):
        return sum(np.sum(y * v) for y, v in zip(flatten(ybar), flatten(f(*a)[0])))
    fd_check(weighted, args, wrt, grads=pullback(ybar))
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)


def test_jvp_and_vjp_closed_forms():
    # scalar_aux: value x**3, aux x**2
    x = 1.3
    value, tangent, aux = srcad.jvp(scalar_aux, has_aux=True)(x, 0.5)
    assert (value, aux) == scalar_aux(x)
    assert tangent == pytest.approx(1.5 * x ** 2, rel=1e-14)
    value, pullback, aux = srcad.vjp(scalar_aux, has_aux=True)(x)
    assert (value, aux) == scalar_aux(x)
    assert pullback(2.0) == pytest.approx(6 * x ** 2, rel=1e-14)
    w = np.array([1.0, -0.5])
    value, tangent, s = srcad.jvp(Model(3.0).loss, has_aux=True)(w, np.array([1.0, 1.0]))
    assert tangent == pytest.approx(2 * 9.0 * (1.0 - 0.5), rel=1e-14)
    np.testing.assert_array_equal(s, 3.0 * w)
    value, pullback, s = srcad.vjp(Model(3.0).loss, has_aux=True)(w)
    np.testing.assert_allclose(pullback(1.0), 2 * 9.0 * w, rtol=1e-14)
    np.testing.assert_array_equal(s, 3.0 * w)


def test_jvp_decorator_form():
    @srcad.jvp(wrt=("w",), has_aux=True)
    def residual(w, x):
        r = x @ w
        return r * r, r
    w, x = np.array([1.0, -2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    value, tangent, r = residual(w, x, (np.array([1.0, 0.0]),))
    np.testing.assert_allclose(tangent, 2 * (x @ w) * x[:, 0], rtol=1e-14)
    np.testing.assert_array_equal(r, x @ w)
    np.testing.assert_array_equal(value, r * r)


def noisy(w, gen):
    z = gen.standard_normal(3)
    return np.sum(w * z), z


def noisy_global(w):
    z = np.random.standard_normal(3)
    return w * z, z


def test_aux_and_the_derivative_come_from_one_run():
    # the derivative of sum(w * z) is z, the draw handed back as aux
    w = np.array([1.0, 2.0, 3.0])
    value, pullback, z = srcad.vjp(noisy, has_aux=True)(w, np.random.default_rng(0))
    np.testing.assert_array_equal(pullback(1.0), z)
    assert value == pytest.approx(np.sum(w * z), rel=1e-14)
    np.random.seed(3)
    value, pullback, z = srcad.vjp(noisy_global, has_aux=True)(w)
    np.testing.assert_array_equal(pullback(np.ones(3)), z)
    np.testing.assert_array_equal(value, w * z)
    t = np.array([0.5, -1.0, 2.0])
    value, tangent, z = srcad.jvp(noisy, has_aux=True)(w, np.random.default_rng(0), t)
    assert tangent == pytest.approx(np.sum(t * z), rel=1e-14)
    value, tangent, z = srcad.jvp(noisy_global, has_aux=True)(w, t)
    np.testing.assert_array_equal(tangent, t * z)


def sines_and_stats(x, y):
    z = np.sin(x) * y
    return z, {"norm": np.sum(z ** 2), "x": x}


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_gives_the_jacobian_and_aux_as_computed(mode):
    """As jax.jacobian(f, has_aux=True): `(jacobian, aux)` (no has_aux before)."""
    x, y = np.array([0.3, -1.2, 0.5]), 2.0
    jac, aux = srcad.jacobian(sines_and_stats, mode=mode, has_aux=True)(x, y)
    np.testing.assert_allclose(jac, np.diag(np.cos(x) * y), rtol=1e-14)
    assert aux["norm"] == pytest.approx(np.sum((np.sin(x) * y) ** 2), rel=1e-14)
    np.testing.assert_array_equal(aux["x"], x)
    (jx, jy), _ = srcad.jacobian(sines_and_stats, wrt=(0, 1), mode=mode, has_aux=True)(x, y)
    np.testing.assert_allclose(jy, np.sin(x), rtol=1e-14)
    w = np.array([1.0, 2.0, 3.0])
    np.random.seed(5)
    jac, z = srcad.jacobian(noisy_global, mode=mode, has_aux=True)(w)
    np.testing.assert_array_equal(jac, np.diag(z))       # (one run's draws: aux's)


@pytest.mark.parametrize("make", [
    lambda f: srcad.jvp(f, has_aux=True), lambda f: srcad.vjp(f, has_aux=True),
    lambda f: srcad.jacobian(f, has_aux=True)])
@pytest.mark.parametrize("f, phrase", [
    (returns_a_name, "each return to give a pair"),
    (returns_three, "each return to give a pair"),
    (may_end_without_return, "end in a return of a pair"),
])
def test_jvp_and_vjp_refuse_where_the_pair_is_not_written_out(make, f, phrase):
    with pytest.raises(srcad.UnsupportedError, match=phrase) as info:
        make(f)
    assert "test_has_aux.py" in str(info.value) and "return loss, aux" in str(info.value)


@pytest.mark.parametrize("name", ["jvp", "vjp", "jacobian"])
def test_has_aux_of_a_derivative_object_is_refused(name):
    transform = getattr(srcad, name)
    for inner in (srcad.grad(lambda x: x * x), srcad.grad(lambda x, y: x * y, wrt=(0, 1)),
                  srcad.value_and_grad(lambda x: x * x)):
        with pytest.raises(srcad.UnsupportedError, match="of a srcad derivative object"):
            transform(inner, has_aux=True)
    with pytest.raises(srcad.UnsupportedError, match="has_aux=True"):
        transform(srcad.grad(scalar_aux, has_aux=True), has_aux=True)


@pytest.mark.parametrize("outer", [srcad.grad, srcad.vjp, srcad.jvp, srcad.hessian])
def test_a_has_aux_jvp_is_not_differentiated_again(outer):
    with pytest.raises(srcad.UnsupportedError, match="srcad.jvp object"):
        outer(srcad.jvp(scalar_aux, has_aux=True))


JVP_AUX = srcad.jvp(scalar_aux, has_aux=True)
JVP_AUX_TUPLE = srcad.jvp(scalar_aux, wrt=(0,), has_aux=True)
VJP_AUX = srcad.vjp(scalar_aux, has_aux=True)


def calls_jvp_aux(x):
    v, t, y = JVP_AUX(x, 1.0)
    return v * t * y


def calls_jvp_aux_tuple(x):
    v, t, y = JVP_AUX_TUPLE(x, (2.0,))
    return v * t + y


@pytest.mark.parametrize("f", [calls_jvp_aux, calls_jvp_aux_tuple])
def test_a_has_aux_jvp_called_by_a_differentiated_function(f):
    # scalar_aux: value x**3 (tangent 3x**2 t), aux x**2
    x = 1.3
    closed = {calls_jvp_aux: 21 * x ** 6, calls_jvp_aux_tuple: 30 * x ** 4 + 2 * x}
    assert srcad.grad(f)(x) == pytest.approx(closed[f], rel=1e-12)
    assert srcad.jvp(f)(x, 0.5)[1] == pytest.approx(0.5 * closed[f], rel=1e-12)
    fd_check(f, (x,), 0)


def test_a_has_aux_vjp_called_by_a_differentiated_function_is_refused():
    def calls_vjp_aux(x):
        v, pullback, y = VJP_AUX(x)
        return v * y
    with pytest.raises(srcad.UnsupportedError, match="calling what srcad.vjp returns"):
        srcad.grad(calls_vjp_aux)(1.3)


# ----- a functools.partial with has_aux=True -----

def batch_loss(w, x, y, scale=2.0):
    pred = np.tanh(x @ w)
    if np.sum(pred) > 100.0:
        return scale * np.sum((pred - y) ** 2), {"pred": pred, "large": True}
    return scale * np.mean((pred - y) ** 2), {"pred": pred, "large": False}


_X = np.array([[0.5, -1.0], [0.3, 0.8], [-0.2, 0.4]])
_Y = np.array([0.1, -0.3, 0.7])


@pytest.mark.parametrize("bound", [
    functools.partial(batch_loss, x=_X, y=_Y),
    functools.partial(batch_loss, x=_X, y=_Y, scale=0.5),
    functools.partial(Model(1.5).loss),
])
def test_a_partial_whose_function_returns_pairs(bound):
    """srcad's wrapper of a partial returns `f(...)`: where f writes out `(loss, aux)` at
    each return, the wrapper's return is read as that pair (refused before, pointing at
    the wrapper's `<partial of batch_loss>` lines); gradient, value, jvp and vjp against
    differences, aux as the partial computes it."""
    w = np.array([0.7, -0.4])
    loss, aux = bound(w)
    (value, got_aux), g = srcad.value_and_grad(bound, has_aux=True)(w)
    assert value == pytest.approx(loss, rel=1e-14)
    assert_tree_allclose(got_aux, aux, rtol=0, atol=0)
    fd_check(lambda v: bound(v)[0], (w,), 0, grads=g)
    g2, aux2 = srcad.grad(bound, has_aux=True)(w)
    np.testing.assert_allclose(g2, g, rtol=1e-14)
    assert_tree_allclose(aux2, aux, rtol=0, atol=0)
    tangent = np.array([0.3, 1.1])
    _, t_out, aux3 = srcad.jvp(bound, has_aux=True)(w, tangent)
    assert t_out == pytest.approx(g @ tangent, rel=1e-12)
    assert_tree_allclose(aux3, aux, rtol=0, atol=0)
    _, pullback, aux4 = srcad.vjp(bound, has_aux=True)(w)
    np.testing.assert_allclose(pullback(1.0), g, rtol=1e-12)
    assert_tree_allclose(aux4, aux, rtol=0, atol=0)


def test_a_partial_whose_function_returns_no_pair_is_refused_in_its_file():
    bound = functools.partial(returns_a_name)
    with pytest.raises(srcad.UnsupportedError, match="each return to give a pair") as info:
        srcad.grad(bound, has_aux=True)(np.ones(2))
    assert "test_has_aux.py" in str(info.value) and "return out" in str(info.value)


def returns_a_lambda_as_aux(x):
    return np.sum(x ** 2), (lambda: 1.0)


@pytest.mark.parametrize("make", [srcad.grad, srcad.value_and_grad, srcad.vjp, srcad.jvp])
def test_a_lambda_as_aux_is_refused_clearly(make):
    """`return loss, (lambda: ...)`: srcad took the lambda for a local function named as
    aux (a bare KeyError 'aux_' before)."""
    x = np.array([0.5, -1.0])
    args = (x, x) if make is srcad.jvp else (x,)
    with pytest.raises(srcad.UnsupportedError, match="not a lambda") as info:
        make(returns_a_lambda_as_aux, has_aux=True)(*args)
    assert "test_has_aux.py" in str(info.value) and "(lambda: 1.0)" in str(info.value)


# ----- aux: a list that the function pops from -----

def popped_list_as_aux(x):
    xs = [x, 2.0 * x, np.sin(x)]
    first = xs.pop(0)
    return np.sum(first * xs[0]) + np.sum(xs[1] ** 2), xs


def popped_in_a_loop_with_an_early_return(x):
    xs = [x, x * 2.0, x ** 2]
    for i in range(2):
        a = xs.pop(0)
        if np.sum(a) > 100.0:
            return np.sum(a), xs
        xs.append(a * x)
    return np.sum(xs[0] * xs[-1]), xs


def popped_then_named_again(x):
    xs = [x, x * 2.0, x ** 2]
    a = xs.pop(1)
    rest = xs
    return np.sum(a * x * rest[0]), rest


@pytest.mark.parametrize("f", [popped_list_as_aux, popped_in_a_loop_with_an_early_return,
                               popped_then_named_again])
def test_aux_a_list_popped_from(f):
    """aux is the list the function popped from (`return loss, xs`): the name aux gets at
    the return is no other name for the list where the pops are undone (refused before as
    'reverse mode through list.pop() is not supported'); gradient against differences,
    aux as the function computed it, in grad, value_and_grad, vjp and jvp."""
    x = np.array([0.3, -0.7, 1.2])
    loss, aux = f(x.copy())
    g, got = srcad.grad(f, has_aux=True)(x)
    fd_check(loss_of(f), (x,), 0, grads=g)
    assert_tree_allclose(got, aux, rtol=0, atol=0)
    (value, got), g2 = srcad.value_and_grad(f, has_aux=True)(x)
    assert value == loss and np.array_equal(g2, g)
    assert_tree_allclose(got, aux, rtol=0, atol=0)
    _, pullback, got = srcad.vjp(f, has_aux=True)(x)
    np.testing.assert_allclose(pullback(1.0), g, rtol=1e-12)
    assert_tree_allclose(got, aux, rtol=0, atol=0)
    tangent = np.array([0.5, 1.0, -2.0])
    _, t_out, got = srcad.jvp(f, has_aux=True)(x, tangent)
    assert t_out == pytest.approx(g @ tangent, rel=1e-12)
    assert_tree_allclose(got, aux, rtol=0, atol=0)
    np.testing.assert_array_equal(x, [0.3, -0.7, 1.2])


_X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.3]])
_Y = np.array([1.0, 0.0, 2.0])


def residual_loss(w, X, y):
    r = X @ w - y
    return np.sum(r * r), {"r": r}


def sum_only(w, X, y):
    return np.sum(X @ w)


def test_a_lambda_returning_what_a_pair_returning_function_returns():
    """`lambda p: loss_fn(p, X, y)` with has_aux, as jax users write it: loss_fn writes
    out `(loss, aux)` at each return, the lambda hands its pair on (refused before as a
    return not written out); closed form 2 X^T (X w - y), aux as computed, in every mode."""
    w = np.array([0.3, -0.2])
    want = 2 * _X.T @ (_X @ w - _Y)
    g, aux = srcad.grad(lambda p: residual_loss(p, _X, _Y), has_aux=True)(w)
    np.testing.assert_allclose(g, want, rtol=1e-13)
    np.testing.assert_array_equal(aux["r"], _X @ w - _Y)
    (value, aux), g = srcad.value_and_grad(lambda p: residual_loss(p, _X, _Y),
                                           has_aux=True)(w)
    assert value == pytest.approx(np.sum((_X @ w - _Y) ** 2), rel=1e-14)
    np.testing.assert_allclose(g, want, rtol=1e-13)
    tangent = np.array([1.0, -0.5])
    _, t_out, aux = srcad.jvp(lambda p: residual_loss(p, _X, _Y), has_aux=True)(w, tangent)
    assert t_out == pytest.approx(want @ tangent, rel=1e-12)
    _, pullback, aux = srcad.vjp(lambda p: residual_loss(p, _X, _Y), has_aux=True)(w)
    np.testing.assert_allclose(pullback(1.0), want, rtol=1e-13)


def returns_by_branch(p):
    if p[0] > 0:
        return residual_loss(p, _X, _Y)
    return residual_loss(-p, _X, _Y)


def test_returns_of_a_pair_returning_function_in_branches():
    w = np.array([0.3, -0.2])
    for point, sign in ((w, 1.0), (-w, -1.0)):
        g, aux = srcad.grad(returns_by_branch, has_aux=True)(point)
        np.testing.assert_allclose(g, sign * 2 * _X.T @ (_X @ (sign * point) - _Y),
                                   rtol=1e-13)
        fd_check(loss_of(returns_by_branch), (point,), 0, grads=g)


def test_a_called_function_that_returns_no_pair_is_refused_at_its_return():
    with pytest.raises(srcad.UnsupportedError, match="each return to give a pair") as info:
        srcad.grad(lambda p: sum_only(p, _X, _Y), has_aux=True)
    assert info.value.location.line == inspect.getsourcelines(sum_only)[1] + 1


def test_the_called_function_rebound_is_checked_again(tmp_path):
    from conftest import load_module
    m = load_module(tmp_path, """
        import numpy as np

        def loss_fn(w):
            return np.sum(w * w), w

        def other(w):
            return np.sum(w)

        def step(w):
            return loss_fn(w * 2.0)
        """)
    d = srcad.grad(m.step, has_aux=True)
    w = np.array([1.0, -2.0])
    g, aux = d(w)
    np.testing.assert_allclose(g, 8.0 * w, rtol=1e-14)
    m.loss_fn = m.other
    with pytest.raises(srcad.UnsupportedError, match="each return to give a pair"):
        d(w)


def test_a_global_function_rebound_gives_the_new_gradient(tmp_path):
    """The derivative of a has_aux function is made from its own IR (the pair's): the
    functions that IR looked up are guarded (rebinding `act` kept the old gradient, 2x
    for 3x**2, without a word)."""
    from conftest import load_module
    m = load_module(tmp_path, """
        import numpy as np

        def act(x):
            return x * x

        def cube(x):
            return x * x * x

        def f(x):
            return np.sum(act(x)), 0
        """)
    d = srcad.grad(m.f, has_aux=True)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(d(x)[0], 2 * x, rtol=1e-14)
    m.act = m.cube
    np.testing.assert_allclose(d(x)[0], 3 * x * x, rtol=1e-14)
    np.testing.assert_allclose(srcad.value_and_grad(m.f, has_aux=True)(x)[1], 3 * x * x,
                               rtol=1e-14)
