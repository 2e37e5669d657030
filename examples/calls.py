"""Calls to other user functions, which srcad differentiates too, and a module constant.

    srcad grad examples/calls.py:energy --wrt x,k
"""
import numpy as np

STIFFNESS = 2.5


def spring(x, k):
    """The energy of one spring."""
    return 0.5 * k * STIFFNESS * x * x


def damped(x, k):
    return spring(x, k) * np.exp(-0.1 * x)


def energy(x, k):
    """Two helpers, one calling the other, in a loop."""
    total = 0.0
    for i in range(3):
        total = total + damped(x + i, k) + spring(x, 1.0)
    return total
