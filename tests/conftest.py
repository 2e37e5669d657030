"""Shared test set-up and helpers for the srcad test suite.

Importing this module switches srcad into debug mode: every generated
derivative then asserts that its control-flow stack is empty when it returns.
"""
import copy
import importlib.util
import sys
import textwrap

import numpy as np
import pytest

import srcad
import srcad.api

srcad.api.DEBUG = True

_MODULES = [0]


def rule_module(name, k):
    """Source of a module holding `name(x) = k * x`, a function without source (made by
    exec), whose adjoint and tangent rules multiply g by the module's value `K = k`."""
    return textwrap.dedent(f"""
        import srcad
        K = {k!r}
        ns = {{}}
        exec("def {name}(x):\\n    return {k!r} * x\\n", ns)
        {name} = ns["{name}"]

        @srcad.adjoint({name})
        def {name}_adjoint(g, ans, x):
            return g * K

        @srcad.tangent({name})
        def {name}_tangent(g, ans, x):
            return g * K
        """)


def load_module(tmp_path, source, prefix="test_mod"):
    """Write `source` (dedented) to a new module file under tmp_path and import it."""
    _MODULES[0] += 1
    name = f"{prefix}_{_MODULES[0]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ----- structure helpers: flatten arrays / floats / lists / tuples / dicts -----


def flatten(x):
    """A list of float arrays holding every leaf of `x` (in a fixed order)."""
    if isinstance(x, dict):
        return [a for k in sorted(x) for a in flatten(x[k])]
    if isinstance(x, (list, tuple)):
        return [a for item in x for a in flatten(item)]
    return [np.array(x, dtype=float)]


def unflatten(like, arrays):
    """Rebuild the structure of `like` from `arrays` (inverse of `flatten`)."""
    it = iter(arrays)

    def build(x):
        if isinstance(x, dict):
            out = {}
            for k in sorted(x):
                out[k] = build(x[k])
            return {k: out[k] for k in x}
        if isinstance(x, (list, tuple)):
            return type(x)(build(item) for item in x)
        a = next(it)
        if isinstance(x, np.ndarray):
            return a.reshape(x.shape)
        return float(a)
    return build(like)


def same_structure(a, b):
    """True when `a` and `b` have the same nesting and leaf shapes."""
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(
            same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            same_structure(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b)


def assert_tree_allclose(actual, expected, rtol=1e-7, atol=1e-10):
    assert same_structure(actual, expected), (actual, expected)
    for a, e in zip(flatten(actual), flatten(expected)):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# ----- an independent finite-difference check -----


def _normalise_wrt(f, wrt):
    import inspect
    params = list(inspect.signature(f).parameters)
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(params.index(item))
        else:
            out.append(item % len(params))
    return out, single


def fd_directional(f, args, k, direction, eps=1e-6):
    """Central difference of scalar `f` along `direction` in argument `k`."""
    arrays = flatten(args[k])

    def at(step):
        moved = list(args)
        moved[k] = unflatten(args[k], [a + step * d for a, d in zip(arrays, direction)])
        return float(f(*copy.deepcopy(moved)))
    return (at(eps) - at(-eps)) / (2 * eps)


def numeric_jacobian(f, x, eps=1e-6):
    """Central differences of scalar or array-valued `f` at array `x`, one column (last
    axis) per element of x."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    return np.stack(columns, axis=-1)


def fd_check(f, args, wrt=0, rtol=1e-6, atol=1e-8, eps=1e-6, directions=3, seed=0,
             grads=None):
    """Compare srcad's gradient of `f` with central differences along random unit
    directions (independent of `srcad.check_grad`). Returns the gradients."""
    indices, single = _normalise_wrt(f, wrt)
    if grads is None:
        args_copy = copy.deepcopy(list(args))
        grads = srcad.grad(f, wrt=wrt)(*args_copy)
    gtuple = (grads,) if single else tuple(grads)
    assert len(gtuple) == len(indices)
    rng = np.random.default_rng(seed)
    for pos, k in enumerate(indices):
        g = gtuple[pos]
        assert same_structure(g, args[k]), (
            f"gradient for argument {k} has structure {g!r}, argument is {args[k]!r}")
        garrays = flatten(g)
        arrays = flatten(args[k])
        for _ in range(directions):
            d = [rng.standard_normal(a.shape) for a in arrays]
            norm = np.sqrt(sum(float(np.sum(x * x)) for x in d)) or 1.0
            d = [x / norm for x in d]
            numeric = fd_directional(f, args, k, d, eps)
            analytic = float(sum(np.sum(ga * x) for ga, x in zip(garrays, d)))
            assert abs(analytic - numeric) <= atol + rtol * max(abs(numeric), abs(analytic)), (
                f"argument {k}: analytic {analytic!r} vs finite differences {numeric!r}")
    return grads


def full_check(f, args, wrt=0, **kw):
    """fd_check plus srcad.check_grad, and the caller's inputs left unchanged."""
    before = copy.deepcopy(list(args))
    grads = srcad.grad(f, wrt=wrt)(*args)
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)
    fd_check(f, args, wrt, grads=grads, **kw)
    srcad.check_grad(f, list(args), wrt=wrt)
    return grads


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ----- hypothesis profiles of the differential fuzzer (tests/test_fuzz.py) -----
# Registered here, before pytest reads --hypothesis-profile=long.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=400, deadline=None, derandomize=True, print_blob=True,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])
settings.register_profile(
    "long", max_examples=6000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])
