"""srcad quickstart: the gradient of f(x1, x2) = log x1 + x1 x2 - sin x2 and its code."""
import numpy as np

import srcad


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def main():
    df = srcad.grad(f, wrt=(0, 1))
    gradient = tuple(float(g) for g in df(2.0, 5.0))   # NumPy scalars print as floats
    print("gradient at (2, 5):", gradient)             # (5.5, 1.7163378145367738)
    print()
    print("the evaluation trace, as the transformation writes it (optimize=False):")
    trace = srcad.grad(f, wrt=(0, 1), optimize=False)
    trace(2.0, 5.0)          # .source is the code made for the last call's argument kinds
    print(trace.source)
    print("what runs by default (forward values the reverse sweep never reads are dropped):")
    print(df.source)


if __name__ == "__main__":
    main()
