"""Adjoint arrays that a reverse loop updates element by element, written in place
(in_place.py): the rewrite, what keeps a loop functional, and the derivatives unchanged."""
import copy

import numpy as np
import pytest

import srcad
from srcad.codegen import to_source
from srcad.in_place import update_in_place
from conftest import assert_tree_allclose, full_check
from programs import CASES
from test_optimize import gradient
from test_second_order_loops import cholesky_log_determinant
from benchmarks.element_loops import forward_substitution, heat_steps
from test_tapes import function


def rewrite(src, numbers=()):
    return to_source(update_in_place(function(src), set(numbers))).split("\n", 1)[1]


def lines(text):
    return [line.strip() for line in text.strip().splitlines()]


ELEMENT_LOOP = """vbar_1 = zeros_like_grad(v_1)
for i in range(n):
    vbar_2 = vbar_3 * 2.0
    vbar_1 = add_at(vbar_1, v_1, i, vbar_2)
return vbar_1"""


def test_a_loop_adding_into_an_array_it_just_made_writes_into_it():
    assert lines(rewrite(ELEMENT_LOOP)) == lines(
        ELEMENT_LOOP.replace("add_at(", "add_at_in_place("))


def test_an_array_made_elsewhere_is_copied_once_before_the_loop():
    src = ELEMENT_LOOP.replace("vbar_1 = zeros_like_grad(v_1)", "vbar_1 = g")
    assert lines(rewrite(src)) == lines(
        "vbar_1 = g\nvbar_1 = writable(vbar_1)\n"
        + src.split("\n", 1)[1].replace("add_at(", "add_at_in_place("))


@pytest.mark.parametrize("read", [
    "vbar_4 = vbar_1",                       # another name for it
    "vbar_4 = vbar_1[i]",                    # a row: a view of it
    "vbar_4 = unbroadcast(vbar_1, v_4)",     # a helper may hand it back
    "_stack.append(vbar_1)",                 # kept on the stack
    "vbar_4 = [vbar_1] + vbar_5",            # a list holding it
    "vbar_5 = set_at(vbar_5, v_5, i, vbar_1)",   # put in a list's slot
])
def test_a_loop_where_another_name_may_get_the_array_stays_functional(read):
    src = ELEMENT_LOOP.replace("    vbar_2 = vbar_3 * 2.0", "    vbar_2 = vbar_3 * 2.0\n    " + read)
    assert "add_at_in_place" not in rewrite(src, numbers={"vbar_2"})


def test_reads_for_new_values_keep_the_loop_in_place():
    """An operator's operand, an item taken where the statement binds a number, the shape,
    what add_at reads."""
    src = ELEMENT_LOOP.replace("    vbar_2 = vbar_3 * 2.0", (
        "    vbar_2 = if_floating(unbroadcast(vbar_1[i], v_2), v_1) * vbar_1.shape[0]\n"
        "    vbar_6 = vbar_1 * 2.0 + vbar_1\n"
        "    vbar_7 = add_at(vbar_7, v_7, i, vbar_1)"))
    text = rewrite(src, numbers={"vbar_2"})
    assert "vbar_1 = add_at_in_place(vbar_1" in text and "writable(vbar_1)" not in text


def test_an_inner_loop_of_an_updated_outer_loop_is_not_copied_again():
    src = ("vbar_1 = zeros_like_grad(v_1)\nfor j in range(m):\n    for i in range(n):\n"
           "        vbar_1 = add_at(vbar_1, v_1, i, g)\nreturn vbar_1")
    text = rewrite(src)
    assert text.count("add_at_in_place") == 1 and "writable" not in text


def test_a_name_assigned_otherwise_in_the_loop_updates_only_its_inner_loop_in_place():
    src = ("for j in range(m):\n    vbar_1 = vbar_1 * 0.5\n    for i in range(n):\n"
           "        vbar_1 = add_at(vbar_1, v_1, i, g)\nreturn vbar_1")
    assert lines(rewrite(src)) == lines(
        "for j in range(m):\n    vbar_1 = vbar_1 * 0.5\n    for i in range(n):\n"
        "        vbar_1 = add_at_in_place(vbar_1, v_1, i, g)\nreturn vbar_1")


# ----- the derivatives: unchanged, and nothing of the caller's changed -----

def scattered_counts(w, idx):
    out = np.zeros(4)
    for k in range(idx.shape[0]):
        out[idx[k]] = out[idx[k]] + w[k] * w[k]     # an element written more than once
    return np.sum(out * np.arange(1.0, 5.0))


def rows_of_a_matrix(W, x):
    H = np.zeros((3, x.shape[0]))
    for t in range(3):
        H[t] = np.tanh(W[t] * x + (H[t - 1] if t > 0 else 0.0))
    return np.sum(H ** 2)


def float32_loop(x):
    y = np.zeros(x.shape[0], dtype=np.float32)
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(y)


ELEMENT_CASES = [
    ("heat_steps", heat_steps, (np.linspace(0.0, 1.0, 7) ** 2, 0.2), (0, 1)),
    ("forward_substitution", forward_substitution,
     (np.array([[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.2, 1.2]]),
      np.array([0.3, -0.7, 1.1])), (0, 1)),
    ("cholesky_log_determinant", cholesky_log_determinant,
     (np.array([[4.0, 0.5, 0.2], [0.5, 3.0, -0.4], [0.2, -0.4, 2.0]]),), 0),
    ("scattered_counts", scattered_counts, (np.array([0.5, -1.2, 0.3, 0.8]),
                                            np.array([1, 3, 1, 0])), 0),
    ("rows_of_a_matrix", rows_of_a_matrix, (np.arange(6.0).reshape(3, 2) / 5.0,
                                            np.array([0.3, -0.2])), (0, 1)),
]


@pytest.mark.parametrize("name, f, args, wrt", ELEMENT_CASES + CASES,
                         ids=[c[0] for c in ELEMENT_CASES + CASES])
def test_updates_in_place_preserve_every_derivative(name, f, args, wrt, monkeypatch):
    """The same numbers, bit for bit, with and without the rewrite (the same sums in the
    same order), and the arguments left as they were."""
    before = copy.deepcopy(args)
    reference = gradient(f, args, wrt)
    monkeypatch.setattr(srcad.api, "update_in_place", lambda tree, numbers, names: tree)
    for a, b in zip(reference, gradient(f, args, wrt)):
        np.testing.assert_allclose(a, b, rtol=0, atol=0, err_msg=name)
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("name, f, args, wrt", ELEMENT_CASES[:3],
                         ids=[c[0] for c in ELEMENT_CASES[:3]])
def test_element_loops_against_finite_differences(name, f, args, wrt):
    g = srcad.grad(f, wrt=wrt)
    g(*args)
    assert "_in_place(" in g.source
    full_check(f, args, wrt=wrt)


def test_a_float32_adjoint_keeps_the_sums_dtype():
    """add_at makes a float64 copy of a float32 adjoint when the term is float64; the
    in-place form then writes into that copy."""
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    g = srcad.grad(float32_loop)(x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)


def pulled_back(x):
    y = x * 1.0
    for i in range(x.shape[0]):
        y[i] = y[i] * 2.0
    return y


def test_a_pullbacks_seed_is_not_written():
    """The seed a caller passes to a pullback is its array: the loop copies it first."""
    x = np.array([0.5, -1.5, 2.0])
    value, pullback = srcad.vjp(pulled_back)(x)
    seed = np.array([1.0, 2.0, 3.0])
    kept = seed.copy()
    np.testing.assert_allclose(pullback(seed), 2.0 * kept)
    np.testing.assert_array_equal(seed, kept)


def test_second_derivatives_of_an_element_loop(monkeypatch):
    """The gradient's optimised code, differentiated again, reads its updates as add_at and
    set_at (without that, srcad falls back to its plain code)."""
    plain = []
    function_for = srcad.api._Transformed.function_for

    def spy(self, args, optimized=None):
        plain.append(optimized is False)
        return function_for(self, args, optimized)

    monkeypatch.setattr(srcad.api._Transformed, "function_for", spy)
    L = np.array([[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.2, 1.2]])
    b = np.array([0.3, -0.7, 1.1])
    g = srcad.grad(forward_substitution, wrt=1)
    g(L, b)
    assert "add_at_in_place(" in g.source
    h = srcad.hessian(forward_substitution, wrt=1)(L, b)
    eps = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        np.testing.assert_allclose(h[:, k], (g(L, b + e) - g(L, b - e)) / (2 * eps),
                                   rtol=1e-6, atol=1e-8)
    v = np.array([0.2, -1.0, 0.5])
    np.testing.assert_allclose(srcad.hvp(forward_substitution, wrt=1)(L, b, v), h @ v,
                               rtol=1e-10)
    assert plain and not any(plain)


def element_by_ellipsis(x):
    y = np.zeros(3)
    for i in range(3):
        y[i, ...] = x[i] ** 2      # y[i, ...] of a vector is a 0-d view, not a number
    return np.sum(y * np.arange(1.0, 4.0))


def column_by_ellipsis(X):
    Y = np.zeros((2, 3))
    for i in range(3):
        Y[..., i] = X[:, i] * 2.0
    return np.sum(Y ** 2)


def element_by_ellipsis_in_a_while_loop(x):
    y = np.zeros(3)
    i = 0
    while i < 3:
        y[i, ...] = x[i] * x[0]
        i += 1
    return np.sum(y)


@pytest.mark.parametrize("f, x", [
    (element_by_ellipsis, np.array([1.0, 2.0, 3.0])),
    (column_by_ellipsis, np.arange(6.0).reshape(2, 3) / 4.0),
    (element_by_ellipsis_in_a_while_loop, np.array([1.0, 2.0, 3.0]))])
def test_a_view_read_by_an_index_of_ellipsis_keeps_the_loop_functional(f, x):
    """helper-74: `vbar[i, ...]` is a 0-d view of the adjoint array, which unbroadcast hands
    back as it is: the update in place then zeroed the value it had just read (a zero
    gradient). Only an element indexed by numbers is read for a new value."""
    full_check(f, (x,))
