"""Derivative rules: the registry and one module per library."""
from . import builtin_rules, math_rules, numpy_rules, ops, runtime_rules  # noqa: F401  (registers)
from .registry import (adjoint, all_rules, elementwise, lookup, method_rule,  # noqa: F401
                       nondifferentiable, tangent)
