"""Second derivatives of loops that write array elements (triangular solves, recurrences):
srcad differentiates its own gradient, whose reverse sweep walks `reversed(range(n))` and
takes saved values back from its stack."""
import math

import numpy as np
import pytest

import srcad
from benchmarks.element_loops import forward_substitution, heat_steps
from conftest import numeric_jacobian


def back_substitution(U, b):
    n = b.shape[0]
    x = np.zeros(n)
    for i in reversed(range(n)):
        s = b[i]
        for j in range(i + 1, n):
            s = s - U[i, j] * x[j]
        x[i] = s / U[i, i]
    return np.sum(x ** 2)


def back_substitution_counting_down(U, b):
    n = b.shape[0]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s = s - U[i, j] * x[j]
        x[i] = s / U[i, i]
    return np.sum(x ** 2)


def _lower(seed, n=4):
    rng = np.random.default_rng(seed)
    return np.tril(rng.standard_normal((n, n))) + 3.0 * np.eye(n), rng.standard_normal(n)


def _differences_of_grad(f, args, wrt, eps=1e-6):
    """The Hessian as central differences of srcad's gradient (itself checked against
    differences of f across the suite)."""
    g = srcad.grad(f, wrt=wrt)
    x = args[wrt]
    rows = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        up, down = list(args), list(args)
        up[wrt], down[wrt] = x + step, x - step
        rows.append((g(*up) - g(*down)) / (2 * eps))
    return np.array(rows).reshape(x.shape + x.shape)


@pytest.mark.parametrize("f, triangle", [
    (forward_substitution, np.tril),
    (back_substitution, np.triu),
    (back_substitution_counting_down, np.triu)])
def test_hessian_of_a_triangular_solve_in_its_right_hand_side(f, triangle):
    """f(b) = |T^-1 b|^2 has the Hessian 2 T^-T T^-1."""
    L, b = _lower(0)
    T = triangle(L if triangle is np.tril else L.T)
    inverse = np.linalg.inv(T)
    want = 2.0 * inverse.T @ inverse
    np.testing.assert_allclose(srcad.hessian(f, wrt=1)(T, b), want, rtol=1e-10, atol=1e-12)
    v = np.array([0.3, -1.0, 0.5, 2.0])
    np.testing.assert_allclose(srcad.hvp(f, wrt=1)(T, b, v), want @ v, rtol=1e-10)


@pytest.mark.parametrize("f, triangle", [
    (forward_substitution, np.tril),
    (back_substitution, np.triu)])
def test_hessian_of_a_triangular_solve_in_its_matrix(f, triangle):
    L, b = _lower(1)
    T = triangle(L if triangle is np.tril else L.T)
    got = np.asarray(srcad.hessian(f, wrt=0)(T, b))
    want = _differences_of_grad(f, (T, b), 0)
    assert got.shape == (4, 4, 4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.abs(want).max())


def recursive_filter(x, a):
    n = x.shape[0]
    y = np.zeros(n)
    y[0] = x[0]
    for i in range(1, n):
        y[i] = np.tanh(a * y[i - 1]) + x[i]
    return np.sum(y ** 3)


def cholesky_log_determinant(A):
    n = A.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s = s - L[j, k] ** 2
        L[j, j] = np.sqrt(s)
        for i in range(j + 1, n):
            t = A[i, j]
            for k in range(j):
                t = t - L[i, k] * L[j, k]
            L[i, j] = t / L[j, j]
    total = 0.0
    for j in range(n):
        total = total + np.log(L[j, j])
    return 2.0 * total


def assembled_compliance(k, f):
    """Finite elements: springs k between n + 1 nodes, the first one held."""
    n = k.shape[0]
    K = np.zeros((n + 1, n + 1))
    for e in range(n):
        K[e, e] += k[e]
        K[e + 1, e + 1] += k[e]
        K[e, e + 1] -= k[e]
        K[e + 1, e] -= k[e]
    K[0, 0] += 1.0
    u = np.linalg.solve(K, f)
    return u @ f


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_of_a_recursive_filter(wrt):
    """y[i] = tanh(a y[i-1]) + x[i]: the gradient saves y's elements and the loop's values
    in tuples on its stack; the second differentiation knows them for numbers."""
    x = np.random.default_rng(2).standard_normal(5)
    got = np.asarray(srcad.hessian(recursive_filter, wrt=wrt)(x, 0.7))
    want = _differences_of_grad(recursive_filter, (x, np.array(0.7)), wrt)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_reverse_over_reverse_through_a_recursive_filter():
    x = np.random.default_rng(2).standard_normal(5)
    g = srcad.grad(recursive_filter, wrt=1)
    got = srcad.grad(srcad.grad(recursive_filter, wrt=1), wrt=1)(x, 0.7)
    assert got == pytest.approx((g(x, 0.7 + 1e-6) - g(x, 0.7 - 1e-6)) / 2e-6, rel=1e-6)


def test_hessian_of_a_cholesky_log_determinant():
    """The loops read only A's lower triangle: for a symmetric direction V, the Hessian
    along V twice is d2/dt2 log det(A + t V) = -tr(A^-1 V A^-1 V)."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((4, 4))
    A = M @ M.T + 4.0 * np.eye(4)
    assert cholesky_log_determinant(A) == pytest.approx(np.linalg.slogdet(A)[1])
    H = np.asarray(srcad.hessian(cholesky_log_determinant)(A))
    V = rng.standard_normal((4, 4))
    V = V + V.T
    lower = np.tril(V)          # what the loops read of A + t V
    inverse = np.linalg.inv(A)
    want = -np.trace(inverse @ V @ inverse @ V)
    assert np.einsum("ij,ijkl,kl->", lower, H, lower) == pytest.approx(want, rel=1e-8)


def test_hessian_of_an_assembled_stiffness_matrix():
    rng = np.random.default_rng(4)
    k, f = 1.0 + rng.random(4), rng.standard_normal(5)
    got = np.asarray(srcad.hessian(assembled_compliance)(k, f))
    want = _differences_of_grad(assembled_compliance, (k, f), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(srcad.hvp(assembled_compliance)(k, f, v), got @ v, rtol=1e-10)


def poisson_negative_log_likelihood(w, X, counts):
    total = 0.0
    for k, c in enumerate(counts):
        rate = np.exp(X[k] @ w)
        total = total + rate - c * np.log(rate) + math.lgamma(c + 1)
    return total


def test_hessian_of_a_likelihood_over_enumerated_counts():
    """The gradient pushes c (a count) with the active rate in one tuple; what it pops
    back under c is no more active than what it pushed, so math.lgamma(c + 1), which has
    no derivative rule, stays out of the second derivative: X^T diag(rate) X."""
    rng = np.random.default_rng(5)
    X = 0.3 * rng.standard_normal((6, 3))
    w = 0.2 * rng.standard_normal(3)
    counts = [1, 0, 3, 2, 1, 4]
    want = (X.T * np.exp(X @ w)) @ X
    np.testing.assert_allclose(srcad.hessian(poisson_negative_log_likelihood)(w, X, counts),
                               want, rtol=1e-12, atol=1e-14)
    v = rng.standard_normal(3)
    np.testing.assert_allclose(
        srcad.hvp(poisson_negative_log_likelihood)(w, X, counts, v), want @ v, rtol=1e-12)


def trajectory_from_numbers(y0, k):
    Y = np.zeros(6)
    Y[0] = y0
    for i in range(5):
        Y[i + 1] = Y[i] - 0.1 * k * Y[i] ** 3
    return np.sum(Y ** 2)


def filtered_by_size(x, k):
    Y = np.zeros(x.size)
    Y[0] = x[0]
    for i in range(1, x.size):
        Y[i] = np.tanh(k * Y[i - 1]) + x[i]
    return np.sum(Y ** 2)


def filtered_by_int_of_shape(x, k):
    n = int(x.shape[0])
    Y = np.zeros(n)
    Y[0] = x[0]
    for i in range(1, n):
        Y[i] = np.tanh(k * Y[i - 1]) + x[i]
    return np.sum(Y ** 2)


def test_vectors_whose_length_is_known_otherwise():
    """np.zeros(6) of a function of numbers only, np.zeros(x.size), np.zeros(int(n)): their
    elements are numbers too (helper-65: refused before)."""
    H = srcad.hessian(trajectory_from_numbers, wrt=(0, 1))(0.8, 0.5)
    g = srcad.grad(trajectory_from_numbers, wrt=(0, 1))
    for j, step in enumerate(((1e-6, 0.0), (0.0, 1e-6))):
        up = g(0.8 + step[0], 0.5 + step[1])
        down = g(0.8 - step[0], 0.5 - step[1])
        for i in range(2):
            assert H[i][j] == pytest.approx((up[i] - down[i]) / 2e-6, rel=1e-6)
    x = np.random.default_rng(6).standard_normal(5)
    for f in (filtered_by_size, filtered_by_int_of_shape):
        got = np.asarray(srcad.hessian(f)(x, 0.7))
        np.testing.assert_allclose(got, _differences_of_grad(f, (x, np.array(0.7)), 0),
                                   rtol=1e-6, atol=1e-8)


# ----- seventeenth session: views that the gradient reads for their shape only -----

def heat_step(u0, dt):
    u = u0 * 1.0
    u[1:-1] += dt * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def running_differences(u0):
    u = u0 * 1.0
    u[1:] -= u[:-1]
    return np.sum(u ** 3)


def jacobi_sweeps(A, b):
    x = np.zeros(b.shape[0])
    for k in range(3):
        xn = np.zeros(b.shape[0])
        for i in range(b.shape[0]):
            s = b[i]
            for j in range(b.shape[0]):
                if j != i:
                    s = s - A[i, j] * x[j]
            xn[i] = s / A[i, i]
        x = xn
    return np.sum(x ** 2)


@pytest.mark.parametrize("f, args, wrt", [
    (heat_step, (np.linspace(0.0, 1.0, 6) ** 2, 0.1), 0),
    (heat_step, (np.linspace(0.0, 1.0, 6) ** 2, 0.1), 1),
    (running_differences, (np.linspace(0.2, 1.0, 5),), 0),
    (jacobi_sweeps, (np.array([[4.0, 0.5, 0.2], [0.3, 3.0, -0.4], [0.2, -0.1, 2.0]]),
                     np.array([0.3, -0.2, 0.5])), 1),
    (heat_steps, (np.linspace(0.0, 1.0, 6) ** 2, 0.2), 0),
    (heat_steps, (np.linspace(0.0, 1.0, 6) ** 2, 0.2), 1)])
def test_second_derivatives_where_the_gradient_reads_views_for_their_shape(f, args, wrt):
    """helper-69: the gradient keeps views of the array it writes into (`v_2 = v_1[1:-1]`)
    and reads them only for their shape (`unbroadcast(g, v_2)`): the second-order alias
    check no longer counts those reads. Refused before; checked against differences of
    the gradient, and hvp against the Hessian."""
    h = srcad.hessian(f, wrt=wrt)(*args)
    g = srcad.grad(f, wrt=wrt)
    x = np.asarray(args[wrt], dtype=float)

    def gradient_at(value):
        moved = list(args)
        moved[wrt] = value if x.ndim else float(value)
        return g(*moved)

    expected = numeric_jacobian(gradient_at, x)
    np.testing.assert_allclose(np.reshape(h, np.shape(expected)), expected, rtol=1e-6,
                               atol=1e-7)
    if x.ndim:
        v = np.linspace(-1.0, 1.0, x.size)
        moved = list(args)
        np.testing.assert_allclose(srcad.hvp(f, wrt=wrt)(*moved, v), h @ v, rtol=1e-9,
                                   atol=1e-12)


def squared_in_place(x):
    u = x * 1.0
    u[...] = u * x
    return np.sum(u ** 2)


D_SQUARED_IN_PLACE = srcad.grad(squared_in_place)


def first_component_of_the_gradient(x, v):
    return np.sum(D_SQUARED_IN_PLACE(x) * v)


def test_grad_of_a_function_calling_a_gradient_of_a_slice_write():
    """helper-74: a derivative object called in a function is differentiated through its
    code for arguments of any kind, which saved `u[...]` as a view that the write changed:
    0.828 for 1.08. f = sum(x ** 4)."""
    x, v = np.array([0.3, -0.5, 0.8]), np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(srcad.grad(first_component_of_the_gradient)(x, v),
                               12 * x ** 2 * v)


# ----- eighteenth session: a new array each time step, written in place -----

def heat_steps_copying(u, k):
    for t in range(3):
        u = u.copy()
        u[1:-1] += k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u * u)


def wave_steps(u, k):
    prev = u.copy()
    cur = u.copy()
    for t in range(3):
        nxt = cur.copy()
        nxt[1:-1] = 2 * cur[1:-1] - prev[1:-1] + k * (cur[2:] - 2 * cur[1:-1] + cur[:-2])
        prev = cur
        cur = nxt
    return np.sum(cur * cur * prev)


@pytest.mark.parametrize("f", [heat_steps_copying, wave_steps])
@pytest.mark.parametrize("wrt", [0, 1])
def test_second_derivatives_of_time_steps_that_copy_then_write(f, wrt):
    """`u = u.copy(); u[1:-1] += ...` each step: the gradient binds the copy, then the
    name (`v_2 = v_m1.copy(); v_m1 = v_2`), and saves views of it (`v_4 = v_m1[1:-1]`) on
    its stack for their shapes. The second-order alias check took both for reads after
    the write (a new v_2 and new views each iteration, read only before the write or
    for their shapes): refused before. Checked against differences of the gradient."""
    args = (np.linspace(0.0, 1.0, 6) ** 2, 0.3)
    h = np.asarray(srcad.hessian(f, wrt=wrt)(*args))
    g = srcad.grad(f, wrt=wrt)

    def gradient_at(value):
        moved = list(args)
        moved[wrt] = value if np.ndim(args[wrt]) else float(value)
        return g(*moved)

    expected = numeric_jacobian(gradient_at, np.asarray(args[wrt], dtype=float))
    np.testing.assert_allclose(np.reshape(h, np.shape(expected)), expected, rtol=1e-6,
                               atol=1e-7)
    if wrt == 0:
        v = np.linspace(-1.0, 1.0, 6)
        np.testing.assert_allclose(srcad.hvp(f, wrt=0)(*args, v), h @ v, rtol=1e-9,
                                   atol=1e-12)


def copy_then_write_an_element(x):
    x = x.copy()
    x[0] = x[1] * x[2]
    return np.sum(x ** 2)


def test_hessian_of_a_copy_then_an_element_write():
    """helper-78: the gradient restores the copy's name from its stack (`v_0 =
    _stack.pop()`), which left v_0's dimensions unknown to the second-order analysis, and
    `v_2 = v_0[1]` was not known to be a number: refused (written into the parameter
    itself, accepted). The pop gives back a value pushed, whose dimensions are known."""
    x = np.array([0.3, 0.5, -0.2, 1.0])
    a, b = x[1], x[2]
    expected = np.diag([0.0, 2 * b * b + 2, 2 * a * a + 2, 2.0])
    expected[1, 2] = expected[2, 1] = 4 * a * b
    np.testing.assert_allclose(srcad.hessian(copy_then_write_an_element)(x), expected,
                               rtol=1e-12, atol=1e-12)
    v = np.array([0.2, -1.0, 0.5, 0.3])
    np.testing.assert_allclose(srcad.hvp(copy_then_write_an_element)(x, v), expected @ v,
                               rtol=1e-12, atol=1e-12)


# ----- lists and dicts that the gradient changes in place -----


def appended_to_a_list_copy(x):
    xs = [x, x * x]
    ys = list(xs)
    ys.append(np.sin(x))
    return np.sum(np.stack(ys) ** 3)


def appended_in_nested_loops(x):
    xs = [x, x * x]
    ys = list(xs)
    for k in range(2):
        for j in range(2):
            ys.append(ys[-1] * np.sin(x) + ys[j])
    zs = list(ys)
    zs.append(zs[0] * 2)
    return np.sum(np.stack(zs) ** 3) + np.sum(np.stack(xs))


def appended_to_a_tuples_list(x):
    ys = list((x, x * x))
    ys.append(np.sin(x))
    ys[0] = ys[0] * ys[2]
    return np.sum(np.stack(tuple(ys)) ** 3)


def appended_to_rows(x):
    ys = list(np.outer(x, x))
    ys.append(np.sin(x))
    return np.sum(np.stack(ys) ** 3)


def _second_derivatives_match_differences(f, x):
    """hessian, hvp and grad of grad (along a line) against central differences of
    srcad.grad."""
    expected = numeric_jacobian(srcad.grad(f), x)
    np.testing.assert_allclose(srcad.hessian(f)(x), expected, rtol=1e-6, atol=1e-7)
    v = np.linspace(-1.0, 0.8, np.size(x))
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected @ v, rtol=1e-6, atol=1e-7)
    slope = srcad.grad(lambda t: f(x + t * v))
    along = (slope(1e-6) - slope(-1e-6)) / 2e-6
    assert srcad.grad(srcad.grad(lambda t: f(x + t * v)))(0.0) == pytest.approx(along,
                                                                                rel=1e-6)


def _grown(xs, x):
    ys = list(xs)
    ys.append(np.cos(x) * ys[0])
    ys.insert(1, np.tanh(x) * ys[-1])
    return ys


def grown_in_a_function_called_twice(x):
    return np.sum(np.stack(_grown(_grown([x, x * x], x), x * 2)) ** 3)


@pytest.mark.parametrize("f", [appended_to_a_list_copy, appended_in_nested_loops,
                               appended_to_a_tuples_list, appended_to_rows])
def test_second_derivatives_of_appends_to_a_list_copy(f):
    """`ys = list(xs); ys.append(v)`: the gradient calls list(xs) as srcad's `listed`,
    which the second-order alias check did not know for a new list (as it knows list):
    the append was taken for a write into xs, and refused."""
    _second_derivatives_match_differences(f, np.array([0.3, -0.45, 0.9]))


def test_second_derivatives_of_a_list_grown_in_a_function_called_twice():
    """effects took `ys = list(xs)` for xs itself: 'may change its argument xs in place'
    (at first order too). hessian and hvp; grad of grad through the callee's pops is
    refused, and says so."""
    x = np.array([0.3, -0.45, 0.9])
    f = grown_in_a_function_called_twice
    expected = numeric_jacobian(srcad.grad(f), x)
    np.testing.assert_allclose(srcad.hessian(f)(x), expected, rtol=1e-6, atol=1e-7)
    v = np.array([0.3, -1.1, 0.7])
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected @ v, rtol=1e-6, atol=1e-7)
    with pytest.raises(srcad.UnsupportedError, match="srcad.hessian and srcad.hvp"):
        srcad.grad(srcad.grad(lambda t: f(x + t * v)))(0.0)



def popped_by_a_computed_index(x):
    xs = []
    for k in range(6):
        xs.append(x * (k + 1.0))
    s = 0.0
    for i in range(3, 5):
        xs.pop(i - 3)
        s = s + np.sum(np.sin(xs[0]))
    return s + np.sum(xs[1] * xs[2])


def shrunk_then_read_by_index(x):
    xs = [x, 2.0 * x, np.sin(x), x * x]
    s = 0.0
    for i in range(2):
        xs.pop()
        s = s + np.sum(xs[len(xs) - 1] * xs[0])
    return s


def shrunk_then_read_from_the_end(x):
    xs = [x, 2.0 * x, np.sin(x), x * x]
    s = 0.0
    for i in range(2):
        xs.pop()
        s = s + np.sum(xs[-1] * xs[0])
    return s


@pytest.mark.parametrize("f", [popped_by_a_computed_index, shrunk_then_read_by_index,
                               shrunk_then_read_from_the_end])
def test_second_derivatives_of_a_list_popped_in_a_loop_then_read(f):
    """The adjoint of an item popped and not read is the number 0; add_at's tangent put
    the tangent it adds into zeros shaped like the list at that point, which has arrays
    where the adjoint has that 0 (a bare ValueError, 'cannot broadcast a non-scalar to a
    scalar array') or, before the pop is undone, fewer items (a bare IndexError). Its
    zeros are now shaped like the adjoint."""
    x = np.array([0.3, -0.45, 0.9])
    expected = numeric_jacobian(srcad.grad(f), x)
    np.testing.assert_allclose(srcad.hessian(f)(x), expected, rtol=1e-6, atol=1e-7)
    v = np.array([0.3, -1.1, 0.7])
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected @ v, rtol=1e-6, atol=1e-7)

def dict_item_rewritten(w):
    p = {"w": w, "b": np.tanh(w)}
    q = p.copy()
    q["w"] = q["w"] * q["b"]
    return np.sum(q["w"] ** 3) + np.sum(p["w"] * p["b"])


def dict_built_by_item_writes(w):
    p = {}
    p["w"] = w * 2
    p["b"] = np.sin(w)
    p["w"] = p["w"] * p["b"]
    return np.sum(p["w"] ** 3)


def dict_items_in_nested_loops(w):
    p = {"w": w}
    for k in range(2):
        for j in range(2):
            p["w" + str(j)] = p["w"] * (j + 1.0)
            p["w"] = p["w"] * np.cos(p["w" + str(j)])
    return np.sum(p["w"] ** 2) + np.sum(p["w1"])


def dict_item_in_a_branch(w):
    p = {"w": w}
    if np.sum(w) > 0:
        p["w"] = p["w"] ** 2
    else:
        p["v"] = p["w"] * 3
    return np.sum(p["w"] ** 3) + (np.sum(p["v"]) if "v" in p else 0.0)


def dict_of_a_comprehension_rewritten(w):
    d = {k: w * (i + 1.0) for i, k in enumerate("abc")}
    d["b"] = d["a"] * d["c"]
    for k in d:
        d[k] = np.sin(d[k]) * w
    return np.sum(d["a"] * d["b"])


def _scaled_copy(params):
    p = params.copy()
    p["w"] = np.sin(p["w"]) * p["w"]
    return np.sum(p["w"] ** 3)


def dict_copies_in_a_function_called_twice(w):
    return _scaled_copy({"w": w}) + _scaled_copy({"w": w * 2})


@pytest.mark.parametrize("f", [dict_item_rewritten, dict_built_by_item_writes,
                               dict_items_in_nested_loops, dict_item_in_a_branch,
                               dict_of_a_comprehension_rewritten,
                               dict_copies_in_a_function_called_twice])
@pytest.mark.parametrize("x", [np.array([0.3, -0.45, 0.9]), -np.array([0.3, 0.45, 0.9])])
def test_second_derivatives_of_dict_item_writes(f, x):
    """`p[k] = v` into a dict: the gradient saves the old item (or none, for a new key) and
    its reverse sweep put it back in place, `restore_item(p, k, saved)`, which srcad could
    not read again (refused). It reads it as `p = restored_item(p, k, saved)` now, a value
    of its own with rules; and set_at's and add_at's adjoints of a dict that lacks the key
    (restored without it) no longer raise KeyError (reverse over reverse)."""
    _second_derivatives_match_differences(f, x)



def dict_slots_rebound_in_a_loop(x):
    d = {"a": 0.0, "b": x}
    for i in range(3):
        d["a"] = d["a"] * 0.5 + x[0]
        d["b"] = d["b"] + x[::-1]
    return d["a"] ** 2 + np.sum(d["b"])


def list_slots_rebound_in_a_loop(x):
    xs = [0.0, x]
    for i in range(3):
        xs[0] = xs[0] * 0.5 + x[0] * x[1]
        xs[1] = xs[1] * x[::-1]
    return xs[0] ** 2 + np.sum(xs[1])


def dict_slots_rebound_in_nested_loops(x):
    d = {"a": 0.0, "b": x}
    for i in range(2):
        for j in range(2):
            d["a"] = d["a"] * 0.5 + x[j]
            d["b"] = np.sin(d["b"]) * x[::-1]
    return d["a"] ** 2 + np.sum(d["b"] ** 2)


def appended_list_slots_rebound(x):
    xs = []
    xs.append(x)
    xs.append(x[1:] * 2.0)
    for i in range(2):
        xs[0] = xs[0] * x[::-1]
        xs[1] = xs[1] + x[:2] ** 2
    return np.sum(xs[0] ** 2) + np.sum(xs[1] * xs[0][1:])


@pytest.mark.parametrize("f", [dict_slots_rebound_in_a_loop, list_slots_rebound_in_a_loop,
                               dict_slots_rebound_in_nested_loops, appended_list_slots_rebound])
def test_second_derivatives_of_slots_rebound_beside_a_held_array(f):
    """`d = {"b": x}` holds x; the gradient's `v = x[::-1]` shares x, and through it d;
    `d["a"] = ...` rebinds a slot of d, which changes neither x nor v. Counted as a write
    into v (the gradient of f, normalised again, refused: 'writes into an array in
    place')."""
    _second_derivatives_match_differences(f, np.array([0.3, -0.45, 0.9]))

def rescaled_parameters(p):
    q = p.copy()
    q["w"] = q["w"] * q["b"]
    q["c"] = np.sin(q["w"])
    return np.sum(q["w"] ** 3) + np.sum(q["c"] * q["b"])


def doubled_parameters(params):
    p = dict(params)
    p["w"] = p["w"] * 2
    return np.sum(p["w"] ** 3 * p["b"])


def rescaled_items(x, xs):
    ys = xs.copy()
    ys[0] = ys[0] * x
    ys[1] = np.sin(ys[0]) + ys[1]
    return np.sum(np.stack(ys) ** 3)


@pytest.mark.parametrize("f", [rescaled_parameters, doubled_parameters])
def test_hvp_of_a_dict_argument_whose_copy_is_written(f):
    """The copy of a dict argument (params.copy(), dict(params)), written by key: the
    second-order alias check took `t = q["w"]` for a view that the write `q["w"] = ...`
    changes (a dict's copy rebinds a slot, as a dict argument's write does:
    analysis.check_items)."""
    p = {"w": np.array([0.3, -0.45, 0.9]), "b": np.array([0.5, -0.2, 1.1])}
    v = {"w": np.array([0.3, -1.1, 0.7]), "b": np.array([0.2, 0.4, -0.3])}
    g = srcad.grad(f)
    up = {k: p[k] + 1e-6 * v[k] for k in p}
    down = {k: p[k] - 1e-6 * v[k] for k in p}
    for product in (srcad.hvp(f)(p, v), srcad.jvp(srcad.grad(f))(p, v)[1]):
        assert set(product) == {"w", "b"}
        for k in p:
            np.testing.assert_allclose(product[k], (g(up)[k] - g(down)[k]) / 2e-6,
                                       rtol=1e-6, atol=1e-7)


def test_hessian_through_a_written_copy_of_a_list_argument():
    xs = [np.array([0.2, 0.5, -0.3]), np.array([1.0, 0.3, 0.2])]
    x = np.array([0.3, -0.45, 0.9])
    g = srcad.grad(rescaled_items)
    expected = numeric_jacobian(lambda y: g(y, xs), x)
    np.testing.assert_allclose(srcad.hessian(rescaled_items)(x, xs), expected, rtol=1e-6,
                               atol=1e-7)
    v = np.array([0.3, -1.1, 0.7])
    np.testing.assert_allclose(srcad.hvp(rescaled_items)(x, xs, v), expected @ v, rtol=1e-6,
                               atol=1e-7)


def inserted_into_a_list(x):
    xs = [x, x * x]
    xs.insert(1, np.sin(x))
    return np.sum(np.stack(xs) ** 3)


def inserted_at_both_ends(x):
    xs = [x * x]
    xs.insert(0, np.sin(x))
    xs.insert(-1, np.cos(x) * x)
    xs.insert(10, x ** 3)
    return np.sum(np.stack(xs) ** 2 * np.arange(1.0, 5.0)[:, None])


def inserted_in_nested_loops(x):
    xs = [x]
    for k in range(3):
        for j in range(2):
            xs.insert(j, xs[-1] * np.sin(x) + k)
    return np.sum(np.stack(xs) ** 2)


@pytest.mark.parametrize("f", [inserted_into_a_list, inserted_at_both_ends,
                               inserted_in_nested_loops])
def test_second_derivatives_of_inserts_into_a_list(f):
    """The gradient undoes `xs.insert(i, v)` by `xs.pop(j)` (j where v went), a statement
    that srcad refused in generated code ('a call whose result is unused'): it reads it
    again as `xs = without_item(xs, j)`, which has rules."""
    _second_derivatives_match_differences(f, np.array([0.3, -0.45, 0.9]))


def recurrent_steps(W, x):
    h = x
    for t in range(4):
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


def recurrent_steps_on_the_right(W, x):
    h = x
    for t in range(4):
        h = np.sin(h @ W) + 0.5 * h
    return np.sum(h ** 3)


RECURRENT_STEPS_GRADIENT = srcad.grad(recurrent_steps)
RIGHT_STEPS_GRADIENT = srcad.grad(recurrent_steps_on_the_right)
DIRECTION = np.arange(9.0).reshape(3, 3) / 9.0 - 0.4


def recurrent_slope_along(W, x):
    return np.sum(RECURRENT_STEPS_GRADIENT(W, x) * DIRECTION)


def right_slope_along(W, x):
    return np.sum(RIGHT_STEPS_GRADIENT(W, x) * DIRECTION)


@pytest.mark.parametrize("f, slope", [(recurrent_steps, recurrent_slope_along),
                                      (recurrent_steps_on_the_right, right_slope_along)])
def test_grad_of_grad_of_steps_that_multiply_by_one_matrix(f, slope):
    """The gradient collects W's terms (g, h) over the loop and adds them after it in one
    product (matmul_adjoint_x_sum, _y_sum), which had a tangent rule only: grad of grad
    was refused ('this lambda is not supported', from inside srcad's helper)."""
    rng = np.random.default_rng(4)
    W, x = 0.5 * rng.standard_normal((3, 3)), np.array([0.3, -0.5, 0.8])
    want = np.tensordot(_differences_of_grad(f, (W, x), 0), DIRECTION, axes=2)
    np.testing.assert_allclose(srcad.grad(slope)(W, x), want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(f)(W, x, DIRECTION), want, rtol=1e-6, atol=1e-8)


def writes_over_elements_read_before(x, y, z):
    a = np.ones(3) * y
    for i in range(2):
        a[-3] -= i - np.sum(x)
        a[i] = np.clip(np.sum(z) * np.sum(z), -0.5, 0.8)
        a[i] = a[i - 1] * y + a[i]
    a[0] = a[2] * (x[0] * np.sum(z))
    return np.sum(a) * (x[-1] + np.sum(a))


def test_hessian_of_element_writes_walks_each_statement_once(monkeypatch):
    """The gradient's code, normalised again for the Hessian, holds hundreds of writes and
    aliases; the check of writes through aliases asked for every pair which names each loop
    and statement binds, walking them again (a 35-line program of the differential fuzzer
    took 41 s to be refused, now 3): the statements are walked once and remembered."""
    import srcad.normalise
    walked = []
    stored = srcad.normalise._stored
    monkeypatch.setattr(srcad.normalise, "_stored",
                        lambda node: walked.append(node) or stored(node))
    x, y, z = np.array([0.3, 0.5, -0.2]), 0.7, np.array([0.1, -0.4, 0.6])
    hessian = srcad.hessian(writes_over_elements_read_before)(x, y, z)
    want = _differences_of_grad(writes_over_elements_read_before, (x, y, z), 0)
    np.testing.assert_allclose(hessian, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hessian, numeric_jacobian(
        lambda x: numeric_jacobian(lambda u: writes_over_elements_read_before(u, y, z), x,
                                   eps=1e-4), x, eps=1e-4), rtol=1e-4, atol=1e-6)
    assert len(walked) < 400
