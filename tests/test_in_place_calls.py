"""Calls made for what they write into an array argument: `np.copyto(y, v)`, `np.add.at(y, i,
v)` and `np.subtract.at(y, i, v)` are element writes into y (`y[...] = ...`), differentiated
and checked as those are. References: central differences and closed forms."""

import numpy as np
import pytest

import srcad

from conftest import fd_check, full_check


def copied_in(x):
    out = np.zeros(3)
    np.copyto(out, x * 2.0)
    return np.sum(out ** 2 * x)


def copied_in_broadcast(x):
    out = np.ones((2, 3))
    np.copyto(out, np.sin(x))
    return np.sum(out * np.arange(6.0).reshape(2, 3))


def scattered(x):
    out = np.zeros(3)
    np.add.at(out, [0, 1, 1, 2, 1], x)
    return np.sum(out ** 2)


def scattered_rows(x):
    A = np.zeros((3, 2))
    np.add.at(A, ([0, 2, 0], [1, 1, 1]), x[:3] * x[1:])
    np.subtract.at(A, [1, 1], x[:2, None] * np.ones(2))
    return np.sum(A ** 3)


def assembled(k, x):
    """A spring chain's stiffness matrix, assembled element by element (as finite element
    codes do), times a displacement."""
    K = np.zeros((4, 4))
    for e in range(3):
        idx = np.array([e, e + 1])
        local = k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        np.add.at(K, (idx[:, None], idx[None, :]), local)
    return 0.5 * x @ K @ x


def into_a_parameter(x, w):
    np.add.at(x, [0, 0], w)
    return np.sum(x ** 2)


def scattered_then_read_through_another_name(x):
    y = x * 1.0
    z = y
    np.add.at(y, [0, 1], x[:2])
    return np.sum(z * x)


def scatter_seen_through_another_name_later(x):
    y = x * 1.0
    z = y
    np.add.at(y, [0, 1], x[:2])
    return np.sum(y * x) + np.sum(z)


def test_copyto_is_an_element_write():
    rng = np.random.default_rng(3)
    full_check(copied_in, [rng.normal(size=3)])
    full_check(copied_in_broadcast, [rng.normal(size=3)])
    x = np.array([0.3, -0.2, 0.5])
    assert srcad.grad(copied_in)(x) == pytest.approx(12.0 * x ** 2)


def test_add_at_sums_repeated_indices():
    x = np.array([0.3, -0.2, 0.5, 0.7, 1.1])
    out = np.array([0.3, -0.2 + 0.5 + 1.1, 0.7])
    # d/dx_k sum(out ** 2) = 2 * out[index of x_k]
    expected = 2.0 * out[[0, 1, 1, 2, 1]]
    assert srcad.grad(scattered)(x) == pytest.approx(expected)
    full_check(scattered, [x])
    _, tangent = srcad.jvp(scattered)(x, np.ones(5))
    assert tangent == pytest.approx(expected.sum())


def test_add_and_subtract_at_on_a_matrix_and_in_a_loop():
    rng = np.random.default_rng(4)
    full_check(scattered_rows, [rng.normal(size=4)])
    k, x = rng.uniform(1.0, 2.0, size=3), rng.normal(size=4)
    full_check(assembled, [k, x], wrt=(0, 1))
    gk, gx = srcad.grad(assembled, wrt=(0, 1))(k, x)
    np.testing.assert_allclose(gk, [0.5 * x @ K_e @ x for K_e in _elements(4)], rtol=1e-12)
    K = sum(k_e * K_e for k_e, K_e in zip(k, _elements(4)))
    np.testing.assert_allclose(gx, K @ x, rtol=1e-12)


def _elements(n):
    """The stiffness matrices of unit springs between neighbours."""
    for e in range(n - 1):
        K_e = np.zeros((n, n))
        K_e[e:e + 2, e:e + 2] = np.array([[1.0, -1.0], [-1.0, 1.0]])
        yield K_e


def test_a_scatter_into_an_argument_leaves_the_callers_array_alone():
    x, w = np.array([0.5, -0.4]), 0.3
    before = x.copy()
    gx, gw = srcad.grad(into_a_parameter, wrt=(0, 1))(x, w)
    np.testing.assert_array_equal(x, before)
    # x0 + 2w is the first element afterwards
    assert gx == pytest.approx([2.0 * (0.5 + 0.6), 2.0 * -0.4])
    assert gw == pytest.approx(2.0 * 2.0 * (0.5 + 0.6))
    fd_check(into_a_parameter, [x, w], wrt=(0, 1))


@pytest.mark.parametrize("f", [scattered_then_read_through_another_name,
                               scatter_seen_through_another_name_later])
def test_a_scatter_seen_through_another_name_is_refused(f):
    with pytest.raises(srcad.UnsupportedError, match="also reached through") as info:
        srcad.grad(f)(np.array([0.5, -0.4, 0.2]))
    assert "np.add.at(y, [0, 1], x[:2])" in str(info.value)


def scattered_from_a_variable_named_like_srcads_helper(x):
    add_at = x * 2.0
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2], add_at)
    return np.sum(y ** 2)


def copied_into_a_zero_d_array(x):
    y = np.array(0.0)
    np.copyto(y, x * 2.0)
    return float(y) ** 2


def copied_where(x):
    y = np.zeros(3)
    np.copyto(y, x ** 2, where=x > 0)
    return np.sum(y)


def scattered_into_an_item(x):
    ys = [np.zeros(3)]
    np.add.at(ys[0], [0, 1], x[:2])
    return np.sum(ys[0])


def test_helper_59s_cases():
    """A local variable named add_at is the user's, not srcad's helper (refused as a call of
    a local variable before); the adjoint of a 0-d array written whole may be a number
    (`float(y)`: a bare TypeError before); forms srcad does not rewrite say so."""
    x = np.array([1.0, 2.0, 3.0])
    # y = [2 x0 + 2 x1, 0, 2 x2]: d/dx sum(y^2) = [8(x0 + x1), 8(x0 + x1), 8 x2]
    assert srcad.grad(scattered_from_a_variable_named_like_srcads_helper)(x) == \
        pytest.approx([24.0, 24.0, 24.0])
    assert srcad.grad(copied_into_a_zero_d_array)(1.5) == pytest.approx(12.0)
    assert srcad.hessian(copied_into_a_zero_d_array)(1.5) == pytest.approx(8.0)
    with pytest.raises(srcad.UnsupportedError, match="without keywords") as info:
        srcad.grad(copied_where)(x)
    assert "np.where(mask, v, y)" in str(info.value)
    with pytest.raises(srcad.UnsupportedError, match="not a variable") as info:
        srcad.grad(scattered_into_an_item)(x)
    assert "y = ys[0]" in str(info.value)


# ----- a module's missing function behind hasattr (np.trapz left NumPy 2.4) -----

def area_behind_hasattr(y):
    t = np.trapezoid(y) if hasattr(np, "trapezoid") else np.trapz_of_old(y)
    return t * 2.0


def area_in_a_branch(y):
    if hasattr(np, "trapezoid"):
        t = np.trapezoid(y)
    else:
        t = np.trapz_of_old(y)
    return t * 2.0


def area_unguarded(y):
    return np.trapz_of_old(y) * 2.0


def test_a_missing_module_function_in_a_branch_raises_only_where_it_runs():
    y = np.array([1.0, 2.0, 4.0])
    for f in (area_behind_hasattr, area_in_a_branch):
        np.testing.assert_allclose(srcad.grad(f)(y), [1.0, 2.0, 1.0])
        assert srcad.jvp(f)(y, np.ones(3))[1] == pytest.approx(4.0)
    with pytest.raises(srcad.UnsupportedError, match="no such attribute"):
        srcad.grad(area_unguarded)(y)


# ----- functions of the module called as statements, for what they change -----

def apply_boundary(u):
    u[0] = 0.0
    u[-1] = 0.0


def smooth_into(u, out, k):
    for i in range(1, len(u) - 1):
        out[i] = u[i] + k * (u[i - 1] - 2 * u[i] + u[i + 1])
    apply_boundary(out)


def heat_with_helpers(u0, k):
    u = u0.copy()
    v = np.zeros_like(u0)
    for t in range(3):
        smooth_into(u, v, k)
        u, v = v, u
    return np.sum(u ** 2)


def boundary_seen_through_another_name(x):
    u = x * 1.0
    z = u
    apply_boundary(u)
    return np.sum(z * x)


def boundary_of_a_slice(x):
    u = x * 1.0
    apply_boundary(u[1:])
    return np.sum(u * u)


def scale_first(u, c):
    u[0] = u[0] * c


def scale_first_twice(u, c):
    u[0] = u[0] * c * c


def scaled_in_a_loop(x, c):
    u = x * 1.0
    for i in range(3):
        scale_first(u, c)
    return np.sum(u * u)


def axpy_bound(y, a, x):
    y += a * x


def axpy_written(y, a, x):
    y[...] += a * x


def calls_axpy_bound(x):
    y = np.ones_like(x)
    axpy_bound(y, 0.5, x)
    return np.sum(y * y)


def calls_axpy_written(x):
    y = np.ones_like(x)
    axpy_written(y, 0.5, x)
    return np.sum(y * y)


def test_a_function_called_for_what_it_changes_is_inlined():
    """`apply_boundary(u)` writes into the caller's u, as in Python: its body is inlined
    with its parameter standing for the caller's name (a call whose result is unused was
    refused before)."""
    rng = np.random.default_rng(60)
    full_check(heat_with_helpers, [rng.normal(size=6), 0.2], wrt=(0, 1))
    full_check(scaled_in_a_loop, [rng.normal(size=3), 1.3], wrt=(0, 1))
    x = rng.normal(size=3)
    np.testing.assert_allclose(srcad.grad(calls_axpy_written)(x), 2 * (1.0 + 0.5 * x) * 0.5)
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'z'") as info:
        srcad.grad(boundary_seen_through_another_name)(x)
    assert "u[0] = 0.0" in str(info.value)            # (at the helper's line)
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'u'"):
        srcad.grad(boundary_of_a_slice)(rng.normal(size=4))
    with pytest.raises(srcad.UnsupportedError, match="result is unused") as info:
        srcad.grad(calls_axpy_bound)(x)
    assert "write p[...] += ..." in str(info.value)


def test_an_inlined_function_is_guarded_by_its_name_and_code():
    global scale_first
    x, c = np.array([1.0, 2.0]), 1.5
    g = srcad.grad(scaled_in_a_loop, wrt=(0, 1))
    # (x0 c^3)^2 + x1^2: d/dc = 6 x0^2 c^5
    assert g(x, c)[1] == pytest.approx(6 * c ** 5)
    first = scale_first
    try:
        scale_first = scale_first_twice            # (x0 c^6)^2: 12 x0^2 c^11
        assert g(x, c)[1] == pytest.approx(12 * c ** 11)
        scale_first = first
        assert g(x, c)[1] == pytest.approx(6 * c ** 5)
    finally:
        scale_first = first


# ----- helper-61: inlined helpers' names and positions -----

t__1 = 5.0


def bump_by_a_global(u):
    t = 2.0
    u[0] = u[0] * t * t__1


def bumped(x):
    u = x * 1.0
    bump_by_a_global(u)
    return np.sum(u * u)


def tenfold(a):
    return a * 10.0


def bump_tenfold(u):
    u[0] = tenfold(u[0])


def shadows_the_helpers_function(x):
    def tenfold(a):
        return a * 2.0
    u = x * 1.0
    bump_tenfold(u)
    return np.sum(u * u)


def copy_across(a):
    t = 1.0
    s = 2.0
    a[0] = t * s * a[1]


def copy_and_scale(a, b, c):
    copy_across(a)
    c[0] = b[0] * 3.0


def reads_an_alias_in_the_outer_helper(x):
    u = x * 1.0
    z = u
    w = np.zeros(3)
    copy_and_scale(u, z, w)
    return np.sum(w * x)


def scale_each(u, c):
    for i in range(2):
        scale_first(u, c=c)


def scaled_through_a_loop_of_calls(x, c):
    u = x * 1.0
    scale_each(u, c)
    return np.sum(u * u)


def named_like_the_helpers_local(x):
    t = x * 1.0
    bump_by_a_global(t)
    return np.sum(t * t)


def test_inlined_helpers_keep_their_names_and_order():
    """A renamed local took the name of a global the helper reads (t__1); the caller's
    local def hid the module function the helper calls; a nested helper's lines were
    placed after the outer helper's next line, so a read through an alias looked like
    one before the write: three wrong gradients without a word (helper-61). Calls inside
    a helper's loop, by keyword, and a caller name equal to a helper's local are inlined."""
    x = np.array([0.3, 1.2, -0.7])
    # u0 becomes 10 x0: d/dx0 (10 x0)^2 = 200 x0
    np.testing.assert_allclose(srcad.grad(bumped)(x), [200 * 0.3, 2.4, -1.4])
    with pytest.raises(srcad.UnsupportedError, match="result is unused"):
        srcad.grad(shadows_the_helpers_function)(x)
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'z'"):
        srcad.grad(reads_an_alias_in_the_outer_helper)(x)
    full_check(scaled_through_a_loop_of_calls, [x, 1.3], wrt=(0, 1))
    full_check(named_like_the_helpers_local, [x])


def double_first_n_times(u, n):
    if n > 0:
        u[0] = u[0] * 2.0
        double_first_n_times(u, n - 1)


def doubled_recursively(x):
    u = x * 1.0
    double_first_n_times(u, 3)
    return np.sum(u * u)


def test_a_recursive_helper_is_refused_at_its_recursive_call():
    """(It crashed while writing the message: a column of the inlined code's positions.)"""
    with pytest.raises(srcad.UnsupportedError, match="a recursion") as info:
        srcad.grad(doubled_recursively)(np.array([0.3, 1.2]))
    assert "double_first_n_times(u, n - 1)" in str(info.value)     # (the recursive call)


# ----- helper-62: names an inlined helper reads, seen from the caller -----

k_scale = 2.0


def scale_first_by_the_module(u):
    u[0] = u[0] * k_scale


def make_loss(k_scale):
    def loss(x):
        u = x * 1.0
        scale_first_by_the_module(u)
        return np.sum(u * u) + 0.0 * k_scale
    return loss


t__2 = 3.0


def double_second(u):
    t = 2.0
    u[1] = u[1] * t


def triple_first(u):
    u[0] = u[0] * t__2


def two_helpers(x):
    u = x * 1.0
    double_second(u)
    triple_first(u)
    return np.sum(u * u)


def halve_down(u, n):
    if n > 0:
        u[n] = u[n] * 0.5
        halve_down(u, n - 1)


def halved_recursively(x):
    u = x * 1.0
    halve_down(u, 2)
    return np.sum(u * u)


def test_an_inlined_helper_reads_the_modules_names():
    """A closure's own k_scale hid the module's k_scale that the helper reads (refused
    now); fresh names keep clear of every module name (a helper's t renamed t__2 hid the
    global another helper reads): wrong gradients without a word before (helper-62)."""
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(srcad.UnsupportedError, match="result is unused"):
        srcad.grad(make_loss(5.0))(x)
    np.testing.assert_allclose(srcad.grad(two_helpers)(x), [18 * 0.3, 8 * -0.7, 2 * 1.1])
    with pytest.raises(srcad.UnsupportedError, match="a recursion"):
        srcad.grad(halved_recursively)(x)


# ----- helper-63: frames and comprehension scopes -----

i_offset = 3.0


def add_offset_and_items(u):
    u[:] = u * i_offset + np.array([u[i_offset] for i_offset in range(3)])


def offset_by_a_helper(x):
    u = x * 1.0
    add_offset_and_items(u)
    return np.sum(u * x)


def counts_its_names(x):
    a = 1.0
    return np.sum(x * x) * len(dir()) * a


def evaluates_text(x):
    return eval("np.sum(x * x)")


def test_comprehension_scopes_and_frame_readers():
    """A helper's comprehension variable is its own: the module's i_offset outside it was
    renamed with it (refused as an undefined name); dir(), vars(), locals(), eval() read
    the frame they run in, srcad's generated function (wrong gradients, or a bare
    KeyError, before)."""
    x = np.array([0.3, -0.7, 1.1])
    full_check(offset_by_a_helper, [x])
    for f, name in ((counts_its_names, "dir()"), (evaluates_text, "eval()")):
        with pytest.raises(srcad.UnsupportedError, match="reads the names of the frame") \
                as info:
            srcad.grad(f)(x)
        assert name in str(info.value)


# ----- sixteenth session: np.fill_diagonal -----

def diagonal_set(A, d):
    K = A @ A.T
    np.fill_diagonal(K, d)
    return np.sum(K * np.arange(9.0).reshape(3, 3)) + np.sum(K ** 2)


def diagonal_zeroed(X):
    D = X @ X.T
    np.fill_diagonal(D, 0.0)
    return np.sum(np.tanh(D))


def diagonal_cycled(A, d):
    M = A * 1.0
    np.fill_diagonal(M, d)         # d's two items in turn along four diagonal places
    return np.sum(M ** 3)


def cube_diagonal(C, s):
    T = C * s
    np.fill_diagonal(T, s * s)
    return np.sum(T * T)


def test_fill_diagonal_is_an_element_write():
    """np.fill_diagonal(K, d) -> K[...] = filled_diagonal(K, d): K keeps its adjoint off the
    diagonal; d's items take the diagonal's, summed where NumPy repeats them (a shorter d,
    a tall matrix, whose diagonal stops at its last column; a cube)."""
    rng = np.random.default_rng(6)
    A, d = rng.normal(size=(3, 2)), rng.normal(size=3)
    full_check(diagonal_set, [A, d], wrt=(0, 1))
    gd = srcad.grad(diagonal_set, wrt=1)(A, d)
    np.testing.assert_allclose(gd, np.diag(np.arange(9.0).reshape(3, 3)) + 2.0 * d, rtol=1e-12)
    full_check(diagonal_set, [A, 0.7], wrt=(0, 1))
    full_check(diagonal_zeroed, [rng.normal(size=(4, 2))])
    full_check(diagonal_cycled, [rng.normal(size=(6, 4)), rng.normal(size=2)], wrt=(0, 1))
    full_check(cube_diagonal, [rng.normal(size=(2, 2, 2)), 0.8], wrt=(0, 1))
    _, tangent = srcad.jvp(diagonal_cycled, wrt=1)(np.ones((6, 4)), np.array([0.5, -1.0]),
                                                   np.array([1.0, 0.0]))
    assert tangent == pytest.approx(2 * 3 * 0.5 ** 2)     # two places hold d[0]


def test_second_derivatives_through_fill_diagonal():
    rng = np.random.default_rng(7)
    A, d = rng.normal(size=(3, 2)), rng.normal(size=3)
    H = srcad.hessian(diagonal_set, wrt=1)(A, d)
    np.testing.assert_allclose(H, 2.0 * np.eye(3), atol=1e-12)
    g = srcad.grad(diagonal_set, wrt=0)
    step = np.zeros((3, 2))
    step[1, 0] = 1e-6
    want = (g(A + step, d) - g(A - step, d)) / 2e-6
    got = srcad.hvp(diagonal_set, wrt=0)(A, d, step / 1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_fill_diagonal_with_wrap_says_what_to_write():
    def wrapped(A):
        M = A * 1.0
        np.fill_diagonal(M, 1.0, wrap=True)
        return np.sum(M)
    with pytest.raises(srcad.UnsupportedError, match="np.fill_diagonal"):
        srcad.grad(wrapped)(np.ones((5, 2)))
