"""Array functions: least squares and a small tanh network.

    srcad grad examples/arrays.py:least_squares
    srcad check examples/arrays.py:layer --args "[[0.1, 0.2], [0.3, -0.4]], [1.0, 2.0], [0.5, -0.5]"
"""
import numpy as np


def least_squares(w, X, y):
    """||X w - y||^2."""
    r = X @ w - y
    return np.sum(r * r)


def layer(W, x, b):
    """sum(tanh(W x + b)^2) / n, with broadcasting of b."""
    h = np.tanh(W @ x + b)
    return np.mean(h ** 2)


def weighted(x, w):
    """A weighted sum of squares with elementwise maths and a reduction."""
    return np.sum(w * np.exp(-x) + np.sqrt(x * x + 1.0))
