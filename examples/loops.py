"""Loops: the logistic map, a while loop with a last short step, a branch in a loop.

    srcad grad examples/loops.py:logistic
    srcad check examples/loops.py:logistic --args "0.3, 3.2, 100"
"""
import numpy as np


def logistic(l0, r, n):
    """The logistic map l <- r l (1 - l), iterated n times."""
    l = l0
    for _ in range(n):
        l = r * l * (1.0 - l)
    return l


def decay(y0, k, t_end):
    """Explicit Euler for y' = -k y from 0 to t_end, with a shorter last step."""
    t = 0.0
    y = y0
    h = 0.1
    while t < t_end:
        if t + h > t_end:
            h = t_end - t
        y = y - h * k * y
        t = t + h
    return y


def clipped_sum(x, limit):
    """Sum of the entries of x, each clipped at limit, stopping at the first negative."""
    s = 0.0
    for v in x:
        if v < 0:
            break
        if v > limit:
            s = s + limit
        else:
            s = s + v * v
    return s * np.sum(x)
