"""A corpus of programs covering what srcad supports, shared by the tests that must hold
on "every program": optimisation passes preserve results, forward agrees with reverse.

Each case is (name, function, args, wrt).
"""
import math

import numpy as np

# ----- straight-line -----


def seed(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def neuron(w0, w1, w2, x1, x2):
    return 1.0 / (1.0 + np.exp(-(w0 + w1 * x1 + w2 * x2)))


def least_squares(w, X, y):
    r = X @ w - y
    return np.sum(r * r)


def broadcasting(a, b):
    c = a * b + a / (1.0 + b * b) - b
    return np.sum(c * c)


def math_scalars(x, y):
    z = math.exp(x) * math.sin(y) + math.sqrt(1.0 + x * x)
    return z / (1.0 + math.cos(x) ** 2) + math.log(2.0 + y)


def reassign(x):
    y = x * 2.0
    y = y + np.sin(y)
    y += x
    y *= 0.5
    return y * y


def tuples(x, y):
    a, b = x * y, x - y
    b, a = a, b
    return a * a + 3.0 * b


# ----- control flow -----


def logistic(l, r, n):
    for i in range(n):
        l = r * l * (1 - l)
    return l


def while_stop(x):
    t = 0.0
    y = x
    while t < 1.0:
        y = y * 1.1 + np.sin(y)
        t = t + 0.3
    return y


def nested_break_continue(x):
    s = 0.0
    for i in range(6):
        for j in range(5):
            if j > i:
                break
            if j == 2:
                continue
            s = s + x * j + s * 0.1
    return s


def early_return(x):
    for i in range(10):
        x = x * 1.5
        if x > 20.0:
            return x * 2
    return x


def branches(x):
    if np.sum(x) > 0:
        y = x * 2
    elif np.sum(x) > -1:
        y = x * 3
    else:
        y = x ** 2
    return np.sum(y * y)


def conditional_expression(x):
    y = x * 2 if x > 0 else -x * x
    return y * y


def rnn(W, U, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def rk4_like(x, k):
    t = 0.0
    while t < 1.0:
        h = 0.3
        if t + h > 1.0:
            h = 1.0 - t
        k1 = -k * x
        k2 = -k * (x + 0.5 * h * k1)
        x = x + h * k2
        t = t + h
    return x


# ----- subscripts and structures -----


def build_elementwise(x):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[i] + 1.0
        y[i] += x[i - 1]
    return np.sum(y * x)


def slices(x):
    return np.sum(x[::-1] * x) + np.sum(x[1:] * x[:-1]) + x[0] * x[-1]


def helper(a, b=2.0):
    return a * b + np.sin(a)


def calls(x, y):
    return helper(x, b=y) + helper(a=y)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def dict_input(p):
    return np.sum(p["w"] * p["b"]) + np.sum(p["w"] ** 2)


def list_loop(xs):
    total = 0.0
    for k, x in enumerate(xs):
        total = total + (k + 1) * np.sum(np.sin(x))
    return total


def comprehension(x):
    ys = [x[i] * i for i in range(3)]
    return ys[0] + ys[1] * ys[2]


def zipped(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s = s + u * v
    return s


_rng = np.random.default_rng(7)
_A = _rng.standard_normal((3, 3))

CASES = [
    ("seed", seed, (2.0, 5.0), (0, 1)),
    ("neuron", neuron, (0.1, 0.2, -0.3, 0.5, 0.7), (0, 1, 2)),
    ("least_squares", least_squares, (_rng.standard_normal(4), _rng.standard_normal((6, 4)),
                                      _rng.standard_normal(6)), 0),
    ("broadcasting", broadcasting, (_rng.standard_normal((3, 1)), _rng.standard_normal(4)),
     (0, 1)),
    ("math_scalars", math_scalars, (0.3, 0.8), (0, 1)),
    ("reassign", reassign, (0.7,), 0),
    ("tuples", tuples, (0.7, 1.3), (0, 1)),
    ("logistic", logistic, (0.3, 3.2, 50), 0),
    ("while_stop", while_stop, (0.5,), 0),
    ("nested_break_continue", nested_break_continue, (0.7,), 0),
    ("early_return_loop", early_return, (1.3,), 0),
    ("early_return_end", early_return, (0.01,), 0),
    ("branches_pos", branches, (np.array([0.5, 1.0, -0.2]),), 0),
    ("branches_mid", branches, (np.array([-0.5, 0.1, -0.2]),), 0),
    ("branches_neg", branches, (np.array([-1.5, -1.0, -0.2]),), 0),
    ("conditional_pos", conditional_expression, (0.7,), 0),
    ("conditional_neg", conditional_expression, (-0.7,), 0),
    ("rnn", rnn, (0.5 * _A, _rng.standard_normal((3, 2)), _rng.standard_normal((4, 2)),
                  _rng.standard_normal(3)), (0, 1, 3)),
    ("rk4_like", rk4_like, (1.0, 0.7), (0, 1)),
    ("build_elementwise", build_elementwise, (_rng.standard_normal(4),), 0),
    ("slices", slices, (_rng.standard_normal(5),), 0),
    ("calls", calls, (0.4, 0.9), (0, 1)),
    ("power", power, (1.3, 4), 0),
    ("dict_input", dict_input, ({"w": _rng.standard_normal(3), "b": _rng.standard_normal(3)},),
     0),
    ("list_loop", list_loop, ([_rng.standard_normal(2), _rng.standard_normal(3)],), 0),
    ("comprehension", comprehension, (_rng.standard_normal(3),), 0),
    ("zipped", zipped, (_rng.standard_normal(3), _rng.standard_normal(3)), (0, 1)),
]
