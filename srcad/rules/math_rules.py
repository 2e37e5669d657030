"""Rules for the `math` module (scalars only).

The derivatives use `math` functions so that they stay Python floats; the
conventions at kinks match the NumPy rules (fabs'(0) = 0, copysign'(0) = 0).
Where a derivative is infinite, it raises as `math` itself does
(ZeroDivisionError for sqrt at 0, asin at 1, ...), where NumPy's functions give
inf; `math.pow` has the rules of `**`.
"""
import math

from ..runtime import exponent_tangent, power_slope, safe_log
from .registry import adjoint, elementwise, nondifferentiable, tangent

# ----- exponentials and logarithms -----


@elementwise(math.exp)
def exp(g, ans, x):
    return g * ans


@elementwise(math.expm1)
def expm1(g, ans, x):
    return g * (ans + 1.0)


@elementwise(math.log)
def log(g, ans, x, base=math.e):
    """math.log(x) and math.log(x, base); the base is not differentiated."""
    return g / (x * math.log(base))


@elementwise(math.log1p)
def log1p(g, ans, x):
    return g / (1.0 + x)


@elementwise(math.log2)
def log2(g, ans, x):
    return g / (x * math.log(2.0))


@elementwise(math.log10)
def log10(g, ans, x):
    return g / (x * math.log(10.0))


# ----- powers and roots -----


@elementwise(math.sqrt)
def sqrt(g, ans, x):
    return g * 0.5 / ans


@adjoint(math.pow)
def pow_(g, ans, x, y):
    """As `**`: in x 0 where y = 0 (also at x = 0), in y 0 at x = 0 (as JAX), nan at x < 0."""
    return g * power_slope(x, y), g * ans * safe_log(x)


@tangent(math.pow)
def pow_tangent(g, ans, x, y):
    return g * power_slope(x, y), exponent_tangent(g, ans * safe_log(x))


@elementwise(math.fabs)
def fabs(g, ans, x):
    """fabs'(0) = 0 (as np.abs)."""
    return g * (math.copysign(1.0, x) if x != 0 else 0.0)


@adjoint(math.hypot)
def hypot(g, ans, x, y):
    """0 at the origin, where hypot has no derivative (as np.linalg.norm's rule; math
    would divide by zero)."""
    return g * (x / ans if ans != 0 else 0.0), g * (y / ans if ans != 0 else 0.0)


@tangent(math.hypot)
def hypot_tangent(g, ans, x, y):
    return g * (x / ans if ans != 0 else 0.0), g * (y / ans if ans != 0 else 0.0)


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


@elementwise(math.asin)
def asin(g, ans, x):
    return g / math.sqrt(1.0 - x * x)


@elementwise(math.acos)
def acos(g, ans, x):
    return -g / math.sqrt(1.0 - x * x)


@elementwise(math.atan)
def atan(g, ans, x):
    return g / (1.0 + x * x)


@adjoint(math.atan2)
def atan2(g, ans, y, x):
    return g * x / (x * x + y * y), -g * y / (x * x + y * y)


@tangent(math.atan2)
def atan2_tangent(g, ans, y, x):
    return g * x / (x * x + y * y), -g * y / (x * x + y * y)


@elementwise(math.degrees)
def degrees(g, ans, x):
    return g * (180.0 / math.pi)


@elementwise(math.radians)
def radians(g, ans, x):
    return g * (math.pi / 180.0)


# ----- hyperbolic functions -----


@elementwise(math.sinh)
def sinh(g, ans, x):
    return g * math.cosh(x)


@elementwise(math.cosh)
def cosh(g, ans, x):
    return g * math.sinh(x)


@elementwise(math.tanh)
def tanh(g, ans, x):
    return g * (1.0 - ans * ans)


@elementwise(math.asinh)
def asinh(g, ans, x):
    return g / math.sqrt(x * x + 1.0)


@elementwise(math.acosh)
def acosh(g, ans, x):
    return g / math.sqrt(x * x - 1.0)


@elementwise(math.atanh)
def atanh(g, ans, x):
    return g / (1.0 - x * x)


# ----- special functions -----


@elementwise(math.erf)
def erf(g, ans, x):
    return g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@elementwise(math.erfc)
def erfc(g, ans, x):
    return -g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


# ----- piecewise linear -----


@adjoint(math.fmod)
def fmod(g, ans, x, y):
    return g, -g * math.trunc(x / y)


@tangent(math.fmod)
def fmod_tangent(g, ans, x, y):
    return g, -g * math.trunc(x / y)


@adjoint(math.copysign)
def copysign(g, ans, x, y):
    """d/dx copysign(x, y) = sign(x) sign(y), 0 at x = 0; zero in y."""
    return g * (math.copysign(1.0, x) if x != 0 else 0.0) * math.copysign(1.0, y), 0


@tangent(math.copysign)
def copysign_tangent(g, ans, x, y):
    return g * (math.copysign(1.0, x) if x != 0 else 0.0) * math.copysign(1.0, y), 0


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.isclose, math.factorial, math.comb, math.perm, math.gcd)

# ----- Python 3.11+ -----

if hasattr(math, "cbrt"):
    @elementwise(math.cbrt)
    def cbrt(g, ans, x):
        return g / (3.0 * ans * ans)

if hasattr(math, "exp2"):
    @elementwise(math.exp2)
    def exp2(g, ans, x):
        return g * ans * math.log(2.0)
