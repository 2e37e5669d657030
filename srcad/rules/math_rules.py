"""Rules for the `math` module (scalars only)."""
import math

from .registry import elementwise, nondifferentiable

# ----- exponentials and logarithms -----


@elementwise(math.exp)
def exp(g, ans, x):
    return g * ans


@elementwise(math.log)
def log(g, ans, x):
    return g / x


@elementwise(math.sqrt)
def sqrt(g, ans, x):
    return g * 0.5 / ans


# ----- trigonometry -----


@elementwise(math.sin)
def sin(g, ans, x):
    return g * math.cos(x)


@elementwise(math.cos)
def cos(g, ans, x):
    return -g * math.sin(x)


@elementwise(math.tan)
def tan(g, ans, x):
    return g * (1.0 + ans * ans)


@elementwise(math.tanh)
def tanh(g, ans, x):
    return g * (1.0 - ans * ans)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite)
