"""srcad: source-to-source automatic differentiation for numeric Python."""
from .api import (grad, hessian, hvp, jacobian, jvp, show, ssa, stop_gradient, value_and_grad,
                  vjp)
from .check import check_grad
from .errors import (ArgumentError, GradientCheckError, MissingRuleError, NonScalarOutputError,
                     RuleError, SourceError, SrcadError, UnsupportedError, WrtError)
from .rules.registry import adjoint, tangent

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "check_grad", "ssa", "show", "stop_gradient",
           "adjoint", "tangent", "SrcadError", "UnsupportedError", "MissingRuleError",
           "SourceError", "WrtError", "ArgumentError", "NonScalarOutputError", "RuleError",
           "GradientCheckError", "__version__"]
