"""Straight-line scalar functions: the textbook reference and a neuron.

    srcad grad examples/straight.py:f --wrt x1,x2
    srcad trace examples/straight.py:f --args "2.0, 5.0"
    srcad graph examples/straight.py:f --args "2.0, 5.0" -o graph.svg
"""
import math

import numpy as np


def f(x1, x2):
    """The reference function of the AD textbooks, log(x1) + x1 x2 - sin(x2)."""
    return np.log(x1) + x1 * x2 - np.sin(x2)


def neuron(w0, w1, w2, x1, x2):
    """A logistic neuron, 1 / (1 + exp(-(w0 + w1 x1 + w2 x2)))."""
    z = w0 + w1 * x1 + w2 * x2
    return 1.0 / (1.0 + math.exp(-z))


def poly(x, y):
    """Powers, division and a conditional expression."""
    r = x ** 3 / (1.0 + y * y)
    return r if x > 0 else -r
