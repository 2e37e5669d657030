"""Arrays reached through two names: srcad copies where Python semantics allow it and
refuses (with the line) where Python would change both names; never a silent difference."""
import numpy as np
import pytest

import srcad
from conftest import fd_check


def write_through_alias(x):
    y = x
    y[0] = 5.0 * x[1]
    return np.sum(y * y)


def write_then_read_original(x):
    y = x
    y[0] = 5.0 * x[1]
    return np.sum(x * y)


def write_into_row(X):
    row = X[0]
    row[1] = row[0] * 2.0
    return np.sum(row * row)


def write_into_row_then_read_matrix(X):
    row = X[0]
    row[1] = row[0] * 2.0
    return np.sum(X)


def fresh_rows(x):
    rows = []
    for i in range(3):
        h = np.zeros(2)
        h[0] = x[i]
        h[1] = x[i] * x[i]
        rows.append(h)
    return np.sum(np.stack(rows) ** 2)


def one_row_appended_three_times(x):
    rows = []
    h = np.zeros(2)
    for i in range(3):
        h[0] = x[i]
        rows.append(h)
    return np.sum(np.stack(rows) ** 2)


def same(a):
    return a


def write_into_a_callees_result(x):
    y = x * 2.0
    b = same(y)                 # the callee may return its argument
    b[0] = 5.0
    return np.sum(y)


def write_into_asarray(x):
    y = x * 2.0
    b = np.asarray(y)
    b[0] = 5.0
    return np.sum(y)


def write_into_loop_rows(X):
    B = X * 2.0
    for row in B:
        row[0] = 5.0
    return np.sum(B)


def append_through_second_name(x):
    xs = [x]
    ys = xs
    ys.append(x * x)
    return xs[-1]


def append_to_held_list(x):
    grid = []
    row = []
    grid.append(row)
    row.append(x * x)
    return grid[0][0]


def fresh_callee_result(x):
    y = same(x * 2.0)           # the array is new: y is the only name for it
    y[0] = 5.0
    return np.sum(y * x)


@pytest.mark.parametrize("f, x", [
    (fresh_callee_result, np.array([1.0, 2.0, 3.0])),
    (write_through_alias, np.array([1.0, 2.0, 3.0])),
    (write_into_row, np.arange(6.0).reshape(2, 3) + 1),
    (fresh_rows, np.array([1.0, -2.0, 0.5])),
])
def test_writes_that_python_confines_to_one_name(f, x):
    x0 = x.copy()
    fd_check(f, [x], 0)
    np.testing.assert_array_equal(x, x0)   # the caller's array is untouched


@pytest.mark.parametrize("f, line", [
    (write_then_read_original, "y[0] = 5.0 * x[1]"),
    (write_into_row_then_read_matrix, "row[1] = row[0] * 2.0"),
    (one_row_appended_three_times, "h[0] = x[i]"),
    (write_into_a_callees_result, "b[0] = 5.0"),
    (write_into_asarray, "b[0] = 5.0"),
    (write_into_loop_rows, "row[0] = 5.0"),
    (append_through_second_name, "ys.append(x * x)"),
    (append_to_held_list, "row.append(x * x)"),
])
def test_writes_seen_through_another_name_are_refused(f, line):
    matrices = (write_into_row_then_read_matrix, write_into_loop_rows)
    x = np.ones((2, 3)) if f in matrices else np.ones(3)
    with pytest.raises(srcad.UnsupportedError, match="also reached through") as info:
        srcad.grad(f)(x)
    assert line in str(info.value) and "test_aliasing.py" in str(info.value)
