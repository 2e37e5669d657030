"""Issue 3: control flow in reverse mode (if/elif/else, for, while, break,
continue, return anywhere), each against finite differences and, where one
exists, a closed form. conftest sets srcad.api.DEBUG, so every derivative also
asserts that its stack is empty at the end."""
import re

import gast
import numpy as np
import pytest

import srcad
from conftest import fd_check, full_check


# ----- functions under test -----


def logistic(l, r):
    for i in range(100):
        l = r * l * (1 - l)
    return l


def logistic_n(l, r, n):
    for i in range(n):
        l = r * l * (1 - l)
    return l


def while_data_stop(x):
    while x < 10.0:
        x = x * 1.5 + 0.1
    return x * x


def while_counter(x, n):
    i = 0
    s = 0.0
    while i < n:
        s = s + x ** i
        i += 1
    return s


def nested_break_continue(x, y):
    s = 0.0
    for i in range(4):
        for j in range(5):
            if j == 3:
                break
            if (i + j) % 2 == 0:
                continue
            s = s + x * y ** j + np.sin(x * i)
    return s


def nested_data_break(x):
    s = x
    for i in range(5):
        for j in range(5):
            s = s * 1.1 + np.sin(s)
            if s > 3.0:
                break
        s = s * 0.5
    return s


def early_return_in_loop(x):
    s = x
    for i in range(10):
        s = s * 1.3 + np.sin(s)
        if s > 4.0:
            return s * x
    return s


def return_in_while(x):
    k = 0
    while True:
        x = x * x + 0.5
        k = k + 1
        if x > 2.0:
            return x / k


def if_reduction(x):
    if np.sum(x) > 0:
        y = np.sum(x * x)
    else:
        y = np.sum(np.sin(x))
    return y


def elif_chain(x):
    if x < -1.0:
        y = x * x * x
    elif x < 0.0:
        y = np.sin(x)
    elif x < 1.0:
        y = np.exp(x)
    else:
        y = np.log(x) + 2.0
    return y


def cond_expr(x, y):
    z = x * y if x > y else x - y * y
    return z * x


def cond_expr_nested(x):
    return x * x if x > 1.0 else (np.sin(x) if x > 0.0 else -x)


def rnn(W, U, h, xs):
    T = xs.shape[0]
    for t in range(T):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def loop_with_if(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            s = s + x * i
        else:
            s = s * x
    return s


def integer_counters(x):
    k = 0
    s = x
    for i in range(1, 8, 2):
        k += i
        s = s * np.cos(s) + x * k
    return s


def while_with_break_continue(x):
    s = 0.0
    i = 0
    while i < 20:
        i += 1
        if i % 3 == 0:
            continue
        s = s + np.sin(x * i)
        if s > 1.5:
            break
    return s * x


def loop_array_carried(x, w):
    for i in range(4):
        x = np.tanh(x * w + i)
    return np.sum(x)


def nested_if_in_loops(x):
    s = x
    for i in range(3):
        for j in range(3):
            if i == j:
                s = s * x
            elif i < j:
                s = s + np.sin(x * j)
            else:
                s = s - x * i
    return s


def loop_range_zero(x, n):
    s = x
    for i in range(n):
        s = s * s
    return s


def bool_ops_condition(x, y):
    if x > 0 and y > 0 or x < -5:
        z = x * y
    else:
        z = x + y
    if not (x > 1):
        z = z * 2.0
    return z


def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    return x


def short_circuit_minimal(x, y):
    if x > 0 and y > 0:
        z = x * y
    else:
        z = x + y
    return z


# ----- logistic map -----


def logistic_closed_form(l0, r, n):
    d = 1.0
    l = l0
    for _ in range(n):
        d *= r * (1 - 2 * l)
        l = r * l * (1 - l)
    return d


def test_logistic_map_100_iterations():
    l0, r = 0.3, 3.2
    g = srcad.grad(logistic)(l0, r)
    assert g == pytest.approx(logistic_closed_form(l0, r, 100), rel=1e-9)
    fd_check(logistic_n, [l0, r, 10], wrt=0)


def test_logistic_map_wrt_r():
    l0, r = 0.3, 3.2
    gl, gr = srcad.grad(logistic_n, wrt=(0, 1))(l0, r, 10)
    assert gl == pytest.approx(logistic_closed_form(l0, r, 10), rel=1e-9)
    fd_check(logistic_n, [l0, r, 10], wrt=(0, 1))


def test_logistic_generated_source_is_readable():
    """With l alone active, the loop carries d l / d l0 forward and its reverse is one
    product: no tape, no stack, no reverse loop."""
    df = srcad.grad(logistic)
    assert df(0.3, 3.2) == pytest.approx(logistic_closed_form(0.3, 3.2, 100), rel=1e-12)
    src = df.source
    assert "vdot_m1 = 1.0" in src and "vbar_m1 = vbar_m1 * vdot_m1" in src
    assert "_tape" not in src and "_stack" not in src
    assert len(re.findall(r"^ *for ", src, re.M)) == 1
    assert re.search(r"# line \d+:", src)
    assert "# forward sweep" in src and "# reverse sweep" in src


# ----- while -----


def test_while_data_dependent_stop():
    for x in (0.5, 2.0, 7.0, 12.0):
        g = full_check(while_data_stop, [x])
        # closed form: k iterations of x -> 1.5 x + 0.1 give d x_k / d x = 1.5 ** k
        k, y = 0, x
        while y < 10.0:
            y = y * 1.5 + 0.1
            k += 1
        assert g == pytest.approx(2 * y * 1.5 ** k, rel=1e-10)


def test_while_integer_counter():
    x = 1.3
    g = full_check(while_counter, [x, 5], wrt=0)
    assert g == pytest.approx(sum(i * x ** (i - 1) for i in range(1, 5)), rel=1e-12)


def test_while_with_break_and_continue():
    for x in (0.1, 0.3, 1.1):
        full_check(while_with_break_continue, [x])


def test_return_inside_while_true():
    for x in (0.3, 1.2):
        full_check(return_in_while, [x])


# ----- break / continue / early return -----


def test_break_continue_nested_loops():
    x, y = 0.7, 1.3
    gx, gy = full_check(nested_break_continue, [x, y], wrt=(0, 1))
    ex = ey = 0.0
    for i in range(4):
        for j in range(3):
            if (i + j) % 2 == 0:
                continue
            ex += y ** j + i * np.cos(x * i)
            ey += x * j * y ** (j - 1) if j else 0.0
    assert gx == pytest.approx(ex, rel=1e-12)
    assert gy == pytest.approx(ey, rel=1e-12)


def test_data_dependent_break_nested():
    for x in (0.2, 0.9, 2.5):
        full_check(nested_data_break, [x])


def test_early_return_inside_loop():
    for x in (0.1, 0.5, 3.0, 5.0):
        full_check(early_return_in_loop, [x])


def test_early_return_closed_form():
    # x = 5.0 returns in the first iteration: s = 1.3 x + sin x; result s * x
    x = 5.0
    g = srcad.grad(early_return_in_loop)(x)
    s = 1.3 * x + np.sin(x)
    assert g == pytest.approx((1.3 + np.cos(x)) * x + s, rel=1e-12)


def two_returns(x):
    if x > 0.0:
        return x * 2.0
    return x * 3.0


def test_statements_made_by_structure_jumps_have_no_user_line():
    """The join before the single return is srcad's, not a line of the user's: no
    `# line N` comment may claim it. ir.origin is keyed by the statements themselves, so
    a replaced statement's entry cannot pass to a new one allocated at its address."""
    ir = srcad.api.intermediate(two_returns)
    assert all(isinstance(stmt, gast.stmt) for stmt in ir.origin)
    join, final = ir.body[-2:]
    assert isinstance(final, gast.Return) and final not in ir.origin
    assert isinstance(join, gast.Assign) and join not in ir.origin


# ----- if / elif / conditional expressions -----


def test_if_on_array_reduction_positive(rng):
    x = np.abs(rng.standard_normal(5)) + 0.1
    g = full_check(if_reduction, [x])
    np.testing.assert_allclose(g, 2 * x, rtol=1e-12)


def test_if_on_array_reduction_negative(rng):
    x = -np.abs(rng.standard_normal(5)) - 0.1
    g = full_check(if_reduction, [x])
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-12)


@pytest.mark.parametrize("x, expected", [
    (-2.0, 3 * 4.0),
    (-0.5, np.cos(-0.5)),
    (0.5, np.exp(0.5)),
    (2.0, 0.5),
])
def test_elif_chain(x, expected):
    g = full_check(elif_chain, [x])
    assert g == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("x, y", [(2.0, 1.0), (0.5, 1.5)])
def test_conditional_expression(x, y):
    gx, gy = full_check(cond_expr, [x, y], wrt=(0, 1))
    if x > y:
        assert gx == pytest.approx(2 * x * y) and gy == pytest.approx(x * x)
    else:
        assert gx == pytest.approx(2 * x - y * y) and gy == pytest.approx(-2 * x * y)


@pytest.mark.parametrize("x, expected", [(2.0, 4.0), (0.5, np.cos(0.5)), (-0.5, -1.0)])
def test_conditional_expression_nested(x, expected):
    assert full_check(cond_expr_nested, [x]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("x, y", [(1.5, 2.0), (-0.5, 2.0), (-6.0, 1.0), (0.5, -1.0)])
def test_boolean_operators_in_conditions(x, y):
    full_check(bool_ops_condition, [x, y], wrt=(0, 1))


def test_loop_with_if():
    full_check(loop_with_if, [1.1])


def test_nested_if_in_nested_loops():
    full_check(nested_if_in_loops, [0.9])


# ----- loops over arrays -----


def test_rnn_step_loop(rng):
    n, d, T = 4, 3, 6
    W = rng.standard_normal((n, n)) * 0.5
    U = rng.standard_normal((n, d)) * 0.5
    h0 = rng.standard_normal(n)
    xs = rng.standard_normal((T, d))
    copies = [a.copy() for a in (W, U, h0, xs)]
    gW, gU, gh, gxs = full_check(rnn, [W, U, h0, xs], wrt=(0, 1, 2, 3))
    for a, c in zip((W, U, h0, xs), copies):
        np.testing.assert_array_equal(a, c)
    assert gW.shape == W.shape and gU.shape == U.shape
    assert gh.shape == h0.shape and gxs.shape == xs.shape


def test_rnn_source_uses_stack(rng):
    df = srcad.grad(rnn)
    df(np.eye(2), np.eye(2), np.ones(2), np.ones((3, 2)))
    src = df.source
    assert "_stack" in src and ".pop()" in src
    assert re.search(r"# line \d+:.*np\.tanh", src)


def test_loop_carried_array(rng):
    x = rng.standard_normal(4)
    w = rng.standard_normal(4)
    full_check(loop_array_carried, [x, w], wrt=(0, 1))


def test_integer_loop_counters():
    g = full_check(integer_counters, [0.4])
    assert np.isfinite(g)


def test_loop_zero_iterations():
    assert srcad.grad(loop_range_zero)(1.7, 0) == pytest.approx(1.0)
    assert srcad.grad(loop_range_zero)(1.7, 2) == pytest.approx(4 * 1.7 ** 3)


@pytest.mark.parametrize("x, y", [(1.5, 2.0), (1.5, -2.0), (-1.5, 2.0)])
def test_short_circuit_and_in_if(x, y):
    full_check(short_circuit_minimal, [x, y], wrt=(0, 1))


@pytest.mark.parametrize("x, expected", [(0.5, 1.0), (1.5, 1.0), (-0.5, 1.0)])
def test_chained_comparison(x, expected):
    g = full_check(chained_comparison, [x])
    assert g == pytest.approx(2 * x if 0 < x < 1 else 1.0)


def test_value_and_grad_with_loop():
    value, g = srcad.value_and_grad(logistic_n)(0.3, 3.2, 10)
    assert value == pytest.approx(logistic_n(0.3, 3.2, 10), rel=1e-14)
    assert g == pytest.approx(logistic_closed_form(0.3, 3.2, 10), rel=1e-9)


def test_vjp_with_loop(rng):
    W = rng.standard_normal((3, 3)) * 0.5
    x = rng.standard_normal(3)
    value, pullback = srcad.vjp(loop_array_carried, wrt=1)(x, W[0])
    assert np.ndim(value) == 0
    g = pullback(1.0)
    np.testing.assert_allclose(g, srcad.grad(loop_array_carried, wrt=1)(x, W[0]))


def return_in_else_in_loop(x):
    for i in range(5):
        if x < 3.0:
            x = x * 1.5
        else:
            return x * i
    return -x


def simultaneous_swap_in_loop(x, y):
    for i in range(3):
        x, y = y * 1.1, x * np.sin(y)
    return x * y


def halving_counter(x, n):
    s = x
    while n > 1:
        n = n // 2
        s = s * x
    return s


def reversed_iteration(xs):
    s = 0.0
    for x in reversed(xs):
        s = s * 0.5 + x
    return s


@pytest.mark.parametrize("x", [0.5, 1.5, 2.5, 3.5])
def test_return_in_else_branch_inside_loop(x):
    full_check(return_in_else_in_loop, [x])


def test_tuple_swap_in_loop():
    full_check(simultaneous_swap_in_loop, [0.8, 1.3], wrt=(0, 1))


def test_integer_floor_division_counter():
    g = full_check(halving_counter, [0.8, 9], wrt=0)
    assert g == pytest.approx(4 * 0.8 ** 3, rel=1e-12)


def test_reversed_iteration():
    g = full_check(reversed_iteration, [[0.5, 0.7, 0.1]])
    np.testing.assert_allclose(g, [1.0, 0.5, 0.25])
    g = full_check(reversed_iteration, [np.array([0.5, 0.7, 0.1])])
    np.testing.assert_allclose(g, [1.0, 0.5, 0.25])


# ----- values that live one iteration: saved together, once per iteration -----


def block_locals(x, w):
    for i in range(4):
        a = np.sin(x) * w          # a, b, c: assigned once per iteration, read only after
        b = a * a + x
        c = np.exp(-b) + a
        x = c * 0.5 + x * b
        if x[0] > 0.0:
            p = x * w
            q = np.cos(p)
            r = q * p
            x = x + r * 0.1
    return np.sum(x * x)


def outer_inner(x):
    for i in range(3):
        s = x * 1.5
        t = np.tanh(s)
        u = t * s
        for j in range(2):
            x = x + u * np.sin(x)
    return x * x


def test_block_local_values_are_pushed_as_one_tuple():
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(3), rng.standard_normal(3))
    full_check(block_locals, args, wrt=(0, 1))
    g = srcad.grad(block_locals, wrt=(0, 1))
    g(*args)
    # the loop body and the branch each push one tuple, their reverses pop it first
    assert len(re.findall(r"_stack\.append\(\(", g.source)) == 2
    assert len(re.findall(r"v_\w+(?:, v_\w+)+ = _stack\.pop\(\)", g.source)) == 2


def test_block_local_values_of_an_outer_loop_around_an_inner_one():
    full_check(outer_inner, (0.3,), wrt=0)
    full_check(outer_inner, (-1.1,), wrt=0)


def grow(x, y):
    while x < 10.0:
        x = x * 1.5 + y
    return x * y


def grow_with_break(x, y):
    while x < 10.0:
        x = x * 1.5 + y
        if x > 8.0:
            break
    return x * y


def test_while_loop_counts_its_passes_without_branch_flags():
    """`while c:` runs its reverse body once per counted pass: no True/False per turn."""
    df = srcad.grad(grow, wrt=(0, 1))
    df(1.0, 0.5)
    assert "_stack.append(True)" not in df.source and "if _stack.pop()" not in df.source
    fd_check(grow, [1.0, 0.5], wrt=(0, 1))
    fd_check(grow, [11.0, 0.5], wrt=(0, 1))     # no pass at all


def test_while_loop_with_break_records_its_branches():
    df = srcad.grad(grow_with_break, wrt=(0, 1))
    df(1.0, 0.5)
    assert "if _stack.pop()" in df.source
    fd_check(grow_with_break, [1.0, 0.5], wrt=(0, 1))


def stepped(x, k, n):
    for i in range(n):
        h = 0.3
        if i == n - 1:
            h = 0.1
        a = x * h
        b = a * k
        x = x + b * x
    return x


def read_between(x, k, n):
    for i in range(n):
        h = 0.3
        a = x * h              # reads h before the if may change it
        if i == n - 1:
            h = 0.1
        b = a * k * h
        x = x + b * x
    return x


def test_value_reassigned_in_an_if_goes_with_its_block_group():
    """`h = 0.3; if ...: h = 0.1` read only after the if: the value h ends the pass with
    goes on the stack in the block's tuple; no push per assignment, no branch flag."""
    df = srcad.grad(stepped, wrt=(0, 1))
    df(0.4, 0.7, 5)
    assert "_stack.append(True)" not in df.source and "if _stack.pop()" not in df.source
    assert re.search(r"_stack\.append\(\(v_\d+, ", df.source)
    fd_check(stepped, [0.4, 0.7, 5], wrt=(0, 1))


def test_value_read_before_its_reassignment_keeps_its_pushes():
    df = srcad.grad(read_between, wrt=(0, 1))
    df(0.4, 0.7, 5)
    assert "if _stack.pop()" in df.source
    fd_check(read_between, [0.4, 0.7, 5], wrt=(0, 1))
    fd_check(read_between, [0.4, 0.7, 1], wrt=(0, 1))


# ----- the else of a loop: it runs where no break of the loop's own ended it -----

def for_else(x, limit):
    for i in range(4):
        x = x * 1.5
        if x > limit:
            break
    else:
        x = x + np.sin(x)
    return x


def while_else_with_inner_break(x, limit):
    k = 0
    while k < 3:
        for j in range(3):          # (its break ends the inner loop only)
            x = x * 1.1
            if j == 1:
                break
        if x > limit:
            break
        k = k + 1
    else:
        x = x * x
    return x


def nested_loop_elses(x):
    total = 0.0
    for i in range(3):
        for j in range(3):
            if j > i:
                break
            total = total + x * j
        else:
            total = total + x ** 2
    else:
        total = total * x
    return total


@pytest.mark.parametrize("f, args", [(for_else, (0.5, 100.0)), (for_else, (0.5, 1.0)),
                                     (while_else_with_inner_break, (0.5, 100.0)),
                                     (while_else_with_inner_break, (0.5, 0.6)),
                                     (nested_loop_elses, (0.7,))])
def test_loop_else(f, args):
    """It was refused ('else' on a for loop)."""
    full_check(f, args)
    slope = srcad.grad(f)
    expected = (slope(args[0] + 1e-6, *args[1:]) - slope(args[0] - 1e-6, *args[1:])) / 2e-6
    assert srcad.hessian(f)(*args) == pytest.approx(expected, rel=1e-5)


def break_in_an_inner_else(x):
    s = x
    for i in range(3):
        for j in range(2):
            if s > 100.0:
                break
            s = s * 2.0
        else:
            s = s + 1.0
            break                   # (ends the outer loop: its else does not run)
    else:
        s = s * x
    return s


def a_variable_named_like_the_flag(x):
    loop_broke__1 = x * x
    for i in range(2):
        if x > 10.0:
            break
    else:
        x = x + 0.0
    return loop_broke__1


@pytest.mark.parametrize("f", [break_in_an_inner_else, a_variable_named_like_the_flag])
def test_loop_else_flags(f):
    """An inner loop's else may break the outer loop; the flag takes a name of its own."""
    full_check(f, (0.7,))
    assert srcad.value_and_grad(f)(0.7)[0] == pytest.approx(f(0.7))


def loop_else_inside_an_else(x):
    for i in range(2):
        if x > 10.0:
            break
    else:
        for j in range(2):
            x = x * 1.5
            if x > 100.0:
                break
        else:
            x = x + 1.0
    return x


def test_a_loop_else_inside_another_loops_else():
    full_check(loop_else_inside_an_else, (0.7,))


# ----- seventeenth session: a parameter's name as a counting loop's target -----

def loop_rebinds_the_parameter(x):
    s = x
    for x in range(2):
        s = s + x
    return s


def loop_rebinds_the_parameter_then_scales(x):
    s = x * x
    for x in range(2):
        s = s * 2.0
    return s


def loop_rebinds_another_parameter(x, k):
    y = x * k
    for k in range(3):
        y = y + k * x
    return y


def loop_rebinds_an_array_parameter(xs):
    s = np.sum(xs * xs)
    for xs in range(1, 4, 2):
        s = s + 1.0
    return s


def test_a_parameter_named_as_a_counting_loops_target():
    """helper-70: `for x in range(2)` where x is a parameter took x's input name for the
    counter: the forward value was lost and the counter's adjoint added to x's (grad 3.0
    for 1.0). The counter is a name of its own now; x is the counter after the loop, as
    in Python."""
    assert srcad.grad(loop_rebinds_the_parameter)(0.5) == pytest.approx(1.0)
    assert srcad.jvp(loop_rebinds_the_parameter)(0.5, 1.0)[1] == pytest.approx(1.0)
    full_check(loop_rebinds_the_parameter_then_scales, (0.5,))
    assert srcad.hessian(loop_rebinds_the_parameter_then_scales)(0.5) == pytest.approx(8.0)
    full_check(loop_rebinds_another_parameter, (0.7, 1.5), wrt=(0, 1))
    xs = np.array([0.7, 0.2])
    np.testing.assert_allclose(srcad.grad(loop_rebinds_an_array_parameter)(xs), 2 * xs)


# ----- eighteenth session: any and all of a generator -----

def squares_if_any_positive(x):
    if any(v > 0 for v in x):
        return np.sum(x ** 2)
    return np.sum(x)


def iterate_until_all_small(x):
    s = 0.0
    for i in range(5):
        x = x * 0.5 + np.sin(x)
        if all(abs(v) < 0.9 for v in x):
            break
        s = s + np.sum(x * x)
    return s + np.sum(x)


def any_with_a_condition(xs, t):
    y = 0.0
    for k in range(3):
        if any(v * t > 1.0 for v in xs if v > 0):
            y = y + t * t
        else:
            y = y + np.sum(xs) * t
        t = t * 1.5
    return y


def stops_before_a_division_by_zero(x):
    ok = any(1.0 / v > 0.5 for v in [1.0, 0.0])
    return np.sum(x ** 3) if ok else 0.0


def variable_of_the_generator_is_its_own(x):
    v = 3.0
    small = all(v > -5 for v in x)
    return v * np.sum(x) if small else 0.0


@pytest.mark.parametrize("f, args", [
    (squares_if_any_positive, (np.array([0.3, -0.5, 0.8]),)),
    (squares_if_any_positive, (np.array([-0.3, -0.5, -0.8]),)),
    (iterate_until_all_small, (np.array([0.9, -1.4, 0.3]),)),
    (iterate_until_all_small, (np.array([0.1, -0.2, 0.3]),)),
    (any_with_a_condition, (np.array([0.2, -0.3, 0.6]), 0.8)),
    (stops_before_a_division_by_zero, (np.array([0.2, -0.3, 0.6]),)),
    (variable_of_the_generator_is_its_own, (np.array([0.2, -0.3, 0.6]),))])
def test_any_and_all_of_a_generator(f, args):
    """`any(e for x in xs)` is a loop that stops at the first true item (`all`: the first
    false one), as the generator does: a later item is never made (1.0 / 0.0 would
    raise). Refused before. Reverse, forward and second order against differences."""
    fd_check(f, args, wrt=0)
    x = np.asarray(args[0], dtype=float)
    v = np.linspace(-1.0, 1.0, x.size)
    g = srcad.grad(f, wrt=0)
    value, tangent = srcad.jvp(f, wrt=0)(*args, v)
    np.testing.assert_allclose(tangent, np.dot(g(*args), v), rtol=1e-10, atol=1e-12)
    assert value == f(*args)
    h = 1e-5
    expected = (g(x + h * v, *args[1:]) - g(x - h * v, *args[1:])) / (2 * h)
    np.testing.assert_allclose(srcad.hvp(f, wrt=0)(*args, v), expected, rtol=1e-6, atol=1e-7)


# ----- assignment expressions (:=) -----

_A = np.array([[0.9, -0.4], [0.3, 0.8]])


def walrus_in_if_test(x):
    if (y := x * x) > 1.0:
        return y * 2.0
    return y


def walrus_in_while_test(x):
    steps = 0
    while (r := np.sin(x) * x) > 0.05:
        x = x * 0.7
        steps += 1
    return r * 3.0 + x * steps        # r: the value of the last test, which failed


def walrus_counting_down_with_continue(x):
    s = 0.0
    n = 5
    while (n := n - 1) > 0:
        s = s + n * x
        if n == 2:
            continue
        s = s * x
    return s + n * x


def walrus_array_in_loop(x):
    s = 0.0
    for i in range(3):
        if (u := _A @ x)[0] > 0.0:
            x = u * 0.5 + np.sin(x)
        s = s + np.dot(u, u)
    return s + np.sum(x * u)


def walrus_in_call_arguments(x):
    return np.dot((u := _A @ x), np.tanh(u)) + np.sum(u)


def walrus_reads_in_order(x):
    y = np.sin(x)
    z = y * (y := 2.0 * x) + np.cos(x) * (w := y * x)   # the old y, then the new one
    xs = [x, 2.0 * x, x * x]
    t = xs[2] * (p := xs.pop()) + xs[-1]                # xs[2] before the pop
    return z * y + w + t * p


def walrus_in_and_or_and_branches(x):
    y = 0.5
    if x > 0.0 and (y := x * x) > 0.1:
        y = y * 3.0
    q = x < -1.0 or (w := np.exp(x)) > 0.5
    r = (v := x * 3.0) if x > 0.2 else (v := x - 1.0)
    return y + r * v + (w * q if x >= -1.0 else 1.0)    # (w: bound where x >= -1)


def walrus_in_for_and_elif(x):
    s = 0.0
    for v in (ys := [x, 2.0 * x, x * x]):
        if v > 1.5:
            s = s + v
        elif (t := np.sin(v)) > 0.0:
            s = s + t * v
        else:
            s = s - t
    return s + ys[0]


def walrus_in_local_def(x):
    def squared_twice(v):
        w = (t := v * v) + t
        return w
    t = 3.0
    return squared_twice(x) * t      # the def's t is its own


@pytest.mark.parametrize("f, args", [
    (walrus_in_if_test, (1.5,)), (walrus_in_if_test, (0.4,)),
    (walrus_in_while_test, (1.3,)), (walrus_in_while_test, (0.1,)),
    (walrus_counting_down_with_continue, (0.8,)),
    (walrus_array_in_loop, (np.array([0.7, -0.2]),)),
    (walrus_array_in_loop, (np.array([-0.7, 0.4]),)),
    (walrus_in_call_arguments, (np.array([0.3, 1.2]),)),
    (walrus_reads_in_order, (0.6,)),
    (walrus_in_and_or_and_branches, (0.7,)), (walrus_in_and_or_and_branches, (0.1,)),
    (walrus_in_and_or_and_branches, (-0.3,)), (walrus_in_and_or_and_branches, (-1.2,)),
    (walrus_in_for_and_elif, (0.6,)), (walrus_in_for_and_elif, (-0.4,)),
    (walrus_in_local_def, (0.7,))])
def test_assignment_expressions(f, args):
    """`name := e` is an assignment statement made where Python evaluates it, the name read
    there: in an `if` or `while` test (before every test, the last failing one too), a
    call's argument, `and`/`or` and a conditional expression's branches (only where they
    run), a `for`'s iterable; what the statement evaluates before it sees the old values.
    Refused before. Reverse and forward mode against central differences."""
    fd_check(f, args)
    x = np.asarray(args[0], dtype=float)
    v = np.linspace(1.0, -0.5, x.size).reshape(x.shape)
    h = 1e-6
    expected = (f(x + h * v) - f(x - h * v)) / (2 * h)
    value, tangent = srcad.jvp(f)(args[0], v if x.ndim else 1.0)
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_an_assignment_expressions_derivative_reads_well():
    """Its statements sit under the line's comment; a `while` test's are the loop's first
    statements, with no `if True:` of a loop without a test around them."""
    g = srcad.grad(walrus_counting_down_with_continue)
    g(0.8)
    text = g.source
    assert "# line " in text and "while (n := n - 1) > 0:" in text
    assert "if True" not in text
    loop = text[text.index("while True:"):]
    assert re.match(r"while True:\n\s+# line \d+: while \(n := n - 1\) > 0:\n\s+v_\d+ = v_\d+ - 1",
                    loop), loop
    g = srcad.grad(walrus_in_if_test)
    g(1.5)
    assert "_part" not in g.source and "y :=" in g.source


def comprehension_binds(x):
    return sum([(y := v * x) for v in (1.0, 2.0)]) + y


def generator_binds(x):
    if any((y := v) > 1.0 for v in (x, 2.0 * x)):
        return y
    return x


def later_comparison_binds(x):
    return 1.0 if 0.0 < x < (y := 2.0) else y * x


def augmented_value_binds_its_target(x):
    s = 1.0
    s += (s := x * x)
    return s


def augmented_item_value_binds(x):
    a = np.array([x, 2.0 * x])
    a[0] += (y := x * x)
    return np.sum(a) * y


def lambda_binds(x):
    h = lambda v: (t := v * v) + t      # noqa: E731
    t = 3.0
    return h(x) * t


@pytest.mark.parametrize("f, phrase", [
    (comprehension_binds, "':=' inside a comprehension"),
    (generator_binds, "':=' inside a comprehension"),
    (later_comparison_binds, "':=' in a later part of a chained comparison"),
    (augmented_value_binds_its_target, "augmented assignment to 's'"),
    (augmented_item_value_binds, "augmented assignment to 'a[0]'"),
    (lambda_binds, "':=' in a lambda")])
def test_assignment_expressions_that_would_bind_another_number_of_times(f, phrase):
    """Where making the binding a statement would run it another number of times than
    Python does (each item of a comprehension, only where the comparisons before hold),
    or after what reads its name (`s += (s := ...)`), or in a lambda's own scope: a clear
    refusal, not a wrong value."""
    with pytest.raises(srcad.UnsupportedError, match=re.escape(phrase)) as info:
        srcad.grad(f)(0.7)
    assert "hint:" in str(info.value)


@pytest.mark.parametrize("fn", [logistic, while_counter, nested_break_continue,
                                nested_data_break, while_with_break_continue,
                                nested_if_in_loops, two_returns, grow_with_break,
                                nested_loop_elses, break_in_an_inner_else])
def test_structure_jumps_finds_every_jump_and_leaves_jumpless_code_as_lifting_would(fn):
    """`_jumps_in` finds the jumps that a walk of every statement finds; where the only
    one is the return at the end, structure_jumps gives the body that lifting it gives."""
    from srcad import jumps, template as T
    from srcad.normalise import normalise
    from srcad.source import function_source

    def fresh_ir():
        return normalise(function_source(fn), srcad.api._reserved())
    ir = fresh_ir()
    walked = [s for s in jumps._walk_stmts(ir.body) if isinstance(s, jumps._JUMPS)]
    assert sorted(map(id, jumps._jumps_in(ir.body))) == sorted(map(id, walked))
    if len(walked) == 1 and walked[0] is ir.body[-1]:
        lifted = fresh_ir()
        lifted.body[:] = jumps._lift(lifted, lifted.body)
        jumps._final_return(lifted, lifted.body)
        structured = jumps.structure_jumps(fresh_ir())
        assert [T.source_of(s) for s in structured.body] \
            == [T.source_of(s) for s in lifted.body]
