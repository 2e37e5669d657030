"""Every rule in the registry, checked on sample calls (tests/rule_specs.py).

For each sample call a small module is written to a temporary directory, so
that srcad reads real source, and its function `f` (the call, reduced to a
scalar by a fixed random weighting) is checked:

- "reverse": `srcad.check_grad` (central differences along random directions);
- "tangent": the rule's tangent template, called directly, against central
  differences of the primal (checks tangent rules before forward mode uses them);
- "forward": `srcad.jvp` against central differences (when srcad has `jvp`).
"""
import ast
import builtins
import importlib.util
import itertools
import math
import operator
import pathlib
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest

import srcad
import srcad.runtime as rt
from srcad.rules import registry

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from rule_specs import METHOD_SPECS, SPECS, ZERO_METHOD_SPECS, ZERO_SPECS, sample  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODES = ["reverse", "tangent"] + (["forward"] if hasattr(srcad, "jvp") else [])

# Cases left out because of known core bugs (see the report in docs/rules.md); empty when none.
KNOWN_CORE_BUGS = {}

_counter = itertools.count()
_DIR = None


def _workdir(tmp_path_factory):
    global _DIR
    if _DIR is None:
        _DIR = tmp_path_factory.mktemp("rule_cases")
    return _DIR


HEADER = """import builtins
import math
import operator
import numpy as np
import srcad.runtime as rt
from srcad import stop_gradient

W = None
"""


def load_module(directory, source):
    """Write `source` to a fresh module file and import it."""
    name = f"srcad_rule_case_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def namespace(values):
    return {"np": np, "math": math, "builtins": builtins, "rt": rt, "operator": operator,
            "stop_gradient": srcad.stop_gradient, **values}


def inputs_of(case):
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    return {name: sample(spec, rng) for name, spec in case.inputs.items()}


def flat(value):
    """A structure of arrays/floats as one float vector."""
    if isinstance(value, (list, tuple)):
        parts = [flat(v) for v in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(np.asarray(value, dtype=float))


def loss_source(out, use):
    """Source reducing `out` to a scalar with fixed weights W (never all ones)."""
    if isinstance(out, (list, tuple)):
        items = range(len(out)) if use is None else use
        return " + ".join(f"np.sum(out[{k}] * W[{k}])" for k in items)
    return "np.sum(out * W)"


def weights(out, rng):
    if isinstance(out, (list, tuple)):
        return [weights(o, rng) for o in out]
    shape = np.shape(out)
    return float(rng.standard_normal()) if shape == () else rng.standard_normal(shape)


def build(case, directory):
    """(module with f, argument list, wrt indices) for one sample call."""
    values = inputs_of(case)
    out = eval(case.expr, namespace(values))
    params = ", ".join(case.inputs)
    source = HEADER + f"\n\ndef f({params}):\n    out = {case.expr}\n" \
                      f"    return {loss_source(out, case.use)}\n"
    module = load_module(directory, source)
    module.W = weights(out, np.random.default_rng(1))
    names = list(case.inputs)
    return module, [values[n] for n in names], tuple(names.index(n) for n in case.wrt)


def perturb(value, direction, step):
    if isinstance(value, (list, tuple)):
        return rt.rebuilt([perturb(v, d, step) for v, d in zip(value, direction)], value)
    if isinstance(value, float):
        return value + step * float(direction)
    return value + step * direction


def random_like(value, rng):
    if isinstance(value, (list, tuple)):
        return rt.rebuilt([random_like(v, rng) for v in value], value)   # (named tuples)
    if isinstance(value, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))


def close(analytic, numeric, rtol):
    analytic, numeric = flat(analytic), flat(numeric)
    assert analytic.shape == numeric.shape, (analytic.shape, numeric.shape)
    scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    err = float(np.max(np.abs(analytic - numeric), initial=0.0))
    assert err <= rtol * scale, f"analytic {analytic} vs numeric {numeric} (error {err:.2e})"


# ----- the three checks -----


def check_reverse(case, directory):
    module, args, wrt = build(case, directory)
    srcad.check_grad(module.f, args, wrt=wrt, rtol=case.rtol, atol=1e-6, eps=case.eps)


def check_forward(case, directory):
    module, args, wrt = build(case, directory)
    rng = np.random.default_rng(3)
    for k in wrt:
        t = random_like(args[k], rng)
        value, tangent_out = srcad.jvp(module.f, wrt=k)(*args, t)
        moved = [list(args), list(args)]
        moved[0][k] = perturb(args[k], t, case.eps)
        moved[1][k] = perturb(args[k], t, -case.eps)
        numeric = (module.f(*moved[0]) - module.f(*moved[1])) / (2 * case.eps)
        close(value, module.f(*args), 1e-12)
        close(tangent_out, numeric, case.rtol)


OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
             ast.Mod: operator.mod, ast.USub: operator.neg, ast.UAdd: operator.pos}


def bound_call(expr, values):
    """Resolve the outermost call of `expr`: (rule, template args, how to re-call the primal)."""
    ns = namespace(values)
    node = ast.parse(expr, mode="eval").body
    ev = lambda n: eval(compile(ast.Expression(n), "<spec>", "eval"), ns)  # noqa: E731
    names = lambda n: {m.id for m in ast.walk(n) if isinstance(m, ast.Name)}  # noqa: E731
    if isinstance(node, ast.Attribute):               # x.T
        return registry.method_rule(node.attr), [ev(node.value)], {}, \
            lambda a, k: getattr(a[0], node.attr), [names(node.value)]
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        primal = OPERATORS[type(node.op)]
        operands = [node.left, node.right] if isinstance(node, ast.BinOp) else [node.operand]
        return registry.lookup(primal), [ev(n) for n in operands], {}, \
            lambda a, k: primal(*a), [names(n) for n in operands]
    if not isinstance(node, ast.Call):
        return None, None, None, None, None
    func = node.func
    args = [ev(a) for a in node.args]
    kwargs = {k.arg: ev(k.value) for k in node.keywords}
    sources = [names(a) for a in node.args] + [names(k.value) for k in node.keywords]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id in values:
        obj = values[func.value.id]
        rule = registry.method_rule(func.attr)
        return rule, [obj] + args, kwargs, \
            lambda a, k: getattr(a[0], func.attr)(*a[1:], **k), [{func.value.id}] + sources
    primal = ev(func)
    return registry.lookup(primal), args, kwargs, lambda a, k: primal(*a, **k), sources


def check_tangent_template(case, directory):
    values = inputs_of(case)
    rule, args, kwargs, call, sources = bound_call(case.expr, values)
    if rule is None or rule.tangent is None:
        pytest.skip("the outermost operation is not the rule's primal call")
    template = rule.tangent
    params = template.params
    positional = dict(zip(template.positional, range(len(args))))
    keys = list(range(len(args))) + list(kwargs)
    active = {keys[i] for i, src in enumerate(sources) if src & set(case.wrt)}
    ans = call(args, kwargs)
    full = [args[positional[p]] if p in positional else kwargs.get(p, template.defaults.get(p))
            for p in params]
    extra = args[len(template.positional):]
    rng = np.random.default_rng(5)
    checked = 0
    for j, p in enumerate(template.diff):
        if template.results[j] is None or p in getattr(template, "zero", ()):
            continue
        if (positional[p] if p in positional else p) not in active:
            continue
        value = full[params.index(p)]
        if value is None or isinstance(value, (str, bool)) or not np.issubdtype(
                np.asarray(value if not isinstance(value, (list, tuple)) else flat(value)).dtype,
                np.floating):
            continue
        direction = random_like(value, rng)
        analytic = result_function(template, j)(direction, ans, *full, *extra)

        def at(step):
            a, k = list(args), dict(kwargs)
            if p in positional:
                a[positional[p]] = perturb(value, direction, step)
            else:
                k[p] = perturb(value, direction, step)
            return call(a, k)
        numeric = [(flat(at(case.eps)) - flat(at(-case.eps))) / (2 * case.eps)]
        close(analytic, numeric, case.rtol)
        checked += 1
    assert checked, "no differentiable argument was checked"


def result_function(template, j):
    """The template's preamble and its j-th result only, as a function (as generated code
    evaluates just the results for the active arguments)."""
    import gast
    params = ["g", "ans", *template.params] + ([f"*{template.varargs}"] if template.varargs else [])
    body = [ast.unparse(gast.gast_to_ast(stmt)) for stmt in template.preamble]
    body.append("return " + ast.unparse(gast.gast_to_ast(template.results[j])))
    source = f"def _result({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    scope = {}
    exec(source, dict(template.fn.__globals__), scope)
    return scope["_result"]


CHECKS = {"reverse": check_reverse, "forward": check_forward, "tangent": check_tangent_template}


# ----- the walk over the registry -----


def _library(primal):
    module = getattr(primal, "__module__", None) or ""
    return module.split(".")[0] in ("numpy", "math", "builtins", "operator", "_operator",
                                    "srcad") or module == "" and hasattr(primal, "nin") or \
        type(primal).__name__ in ("builtin_function_or_method", "type", "ufunc",
                                 "method_descriptor")


def registered():
    """(key, rule) for every rule: functions by name, methods as 'ndarray.<name>' keys."""
    # rules that other tests register for their own test functions are not library rules
    rules = [(r.name, r) for r in registry.all_rules()
             if r.primal is None or _library(r.primal)]
    methods = [(f"method .{m}", r) for m, r in sorted(registry.methods().items())]
    return rules + methods


def specs_for(key, rule):
    if key.startswith("method ."):
        m = key[len("method ."):]
        return ZERO_METHOD_SPECS.get(m, "missing") if rule is None or rule.zero \
            else METHOD_SPECS.get(m)
    return ZERO_SPECS.get(key, "missing") if rule.zero else SPECS.get(key)


def differentiable_params():
    out = []
    for key, rule in registered():
        if rule is None or rule.zero:
            continue
        for k, case in enumerate(specs_for(key, rule) or []):
            for mode in MODES:
                if mode == "reverse" and rule.adjoint is None:
                    continue
                if mode in ("tangent", "forward") and rule.tangent is None:
                    continue
                if mode == "tangent" and key.startswith("method ."):
                    continue   # the same templates as the function's, checked there
                marks = []
                known = KNOWN_CORE_BUGS.get((key, repr(case), mode))
                if known:
                    marks.append(pytest.mark.xfail(reason=known, strict=True))
                out.append(pytest.param(key, case, mode, marks=marks,
                                        id=f"{mode}:{key}:{case!r}"))
    return out


def zero_params():
    out = []
    for key, rule in registered():
        if rule is not None and not rule.zero:
            continue
        expr = specs_for(key, rule)
        if expr is None:
            continue
        for mode in [m for m in MODES if m != "tangent"]:
            out.append(pytest.param(key, expr, mode, id=f"{mode}:{key}:{expr}"))
    return out


@pytest.mark.parametrize("key, case, mode", differentiable_params())
def test_rule(key, case, mode, tmp_path_factory):
    CHECKS[mode](case, _workdir(tmp_path_factory))


@pytest.mark.parametrize("key, expr, mode", zero_params())
def test_zero_rule(key, expr, mode, tmp_path_factory):
    """A zero-derivative function inside a differentiated function: no error, no gradient."""
    values = {"x": np.array([0.3, -1.2, 2.5, 0.7]), "s": 0.8}
    out = eval(expr, namespace(values))
    try:
        np.sum(np.asarray(out, dtype=float))
        use = " + 0.0 * np.sum(np.asarray(out, dtype=float))"
    except (TypeError, ValueError):
        use = ""
    source = HEADER + f"\n\ndef f(x, s):\n    out = {expr}\n" \
                      f"    return np.sum(x * x) + s * s{use}\n"
    module = load_module(_workdir(tmp_path_factory), source)
    args = [values["x"], values["s"]]
    if mode == "reverse":
        gx, gs = srcad.grad(module.f, wrt=(0, 1))(*args)
        np.testing.assert_allclose(gx, 2 * values["x"])
        np.testing.assert_allclose(gs, 2 * values["s"])
    else:
        _, tx = srcad.jvp(module.f, wrt=0)(*args, np.ones(4))
        np.testing.assert_allclose(tx, 2 * np.sum(values["x"]))


def test_every_rule_has_a_spec_and_the_count_is_reported():
    missing, few = [], []
    for key, rule in registered():
        specs = specs_for(key, rule)
        if key.startswith("method .") and rule is not None and not rule.zero \
                and specs is None:
            missing.append(key)
        elif specs is None or specs == "missing":
            if not (key.startswith("method .") and specs is None):
                missing.append(key)
        elif rule is not None and not rule.zero and len(specs) < 2:
            few.append(key)
    assert not missing, f"rules without a sample call in tests/rule_specs.py: {missing}"
    assert not few, f"differentiable rules with fewer than two sample calls: {few}"
    counts = rule_counts()
    message = (f"srcad rules checked: {counts['differentiable']} differentiable functions "
               f"(numpy/math/builtins: {counts['library']}; operators {counts['operator']}, "
               f"runtime helpers {counts['runtime']}), {counts['zero']} zero-derivative "
               f"functions, {counts['methods']} array methods; "
               f"{len(differentiable_params())} differentiable checks in modes {MODES}")
    print("\n" + message)
    warnings.warn(message)
    assert counts["library"] >= 100


def rule_counts():
    rules = registry.all_rules()
    diff = [r for r in rules if not r.zero]
    kind = lambda r: ("operator" if r.name.startswith("operator.") else  # noqa: E731
                      "runtime" if r.name.startswith("srcad.") else "library")
    return {"differentiable": len(diff),
            "library": sum(kind(r) == "library" for r in diff),
            "operator": sum(kind(r) == "operator" for r in diff),
            "runtime": sum(kind(r) == "runtime" for r in diff),
            "zero": sum(r.zero for r in rules),
            "methods": len(registry.methods())}


# ----- conventions at points where the derivative is undefined -----


CONVENTIONS = [  # (source of f, argument, expected gradient)
    ("np.sum(np.abs(x))", np.array([-1.0, 0.0, 2.0]), [-1.0, 0.0, 1.0]),
    ("abs(x)", 0.0, 0.0),
    ("np.max(x)", np.array([1.0, 3.0, 3.0]), [0.0, 0.5, 0.5]),
    ("np.sum(np.max(x, axis=1))", np.array([[2.0, 2.0, 2.0], [1.0, 0.0, 1.0]]),
     [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.0, 0.5]]),
    ("np.min(x)", np.array([1.0, 1.0, 3.0]), [0.5, 0.5, 0.0]),
    ("np.sum(np.maximum(x, 1.0))", np.array([0.0, 1.0, 2.0]), [0.0, 0.5, 1.0]),
    ("np.sum(np.minimum(x, 1.0))", np.array([0.0, 1.0, 2.0]), [1.0, 0.5, 0.0]),
    ("max(x, 1.0)", 1.0, 0.5),
    ("np.sum(np.clip(x, 0.0, 1.0))", np.array([-1.0, 0.0, 0.5, 1.0, 2.0]),
     [0.0, 1.0, 1.0, 1.0, 0.0]),
    ("np.linalg.norm(x)", np.zeros(3), [0.0, 0.0, 0.0]),
    ("np.prod(x)", np.array([2.0, 0.0, 3.0]), [0.0, 6.0, 0.0]),
    ("np.sum(np.cumprod(x))", np.array([2.0, 0.0, 3.0]), [1.0, 8.0, 0.0]),
    ("np.sum(np.sinc(x))", np.array([0.0]), [0.0]),
    ("np.sum(x ** 0.5)", np.array([0.0]), [np.inf]),
]


@pytest.mark.parametrize("expr, x, expected", CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_conventions(expr, x, expected, tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory),
                         HEADER + f"\n\ndef f(x):\n    return {expr}\n")
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(srcad.grad(module.f)(x), expected)


# ----- dtypes -----


FLOAT32 = ["np.sum(np.sin(x))", "np.sum(x * 0.5)", "np.max(x)", "np.sum(np.maximum(x, 0.0))",
           "np.linalg.norm(x)", "np.sum(np.clip(x, -0.5, 0.5))", "np.mean(np.tanh(x))",
           "np.var(x)", "np.std(x)", "np.sum(np.where(x > 0, x, 0.0))", "np.sum(np.log2(x * x))",
           "np.sum(np.sqrt(x * x))", "np.prod(x)", "np.sum(np.cumsum(x))",
           "np.sum(np.stack([x, x]) ** 2)", "np.sum(np.concatenate([x, x]) ** 2)",
           "np.sum(np.dot(x, x))", "np.sum(np.outer(x, x))", "np.sum(np.pad(x, 1) ** 2)",
           "np.sum(np.hypot(x, 1.0))", "np.sum(np.sinc(x))", "np.sum(np.tile(x, 2) ** 2)",
           "np.sum(np.sort(x) ** 3)"]


@pytest.mark.parametrize("expr", FLOAT32)
def test_float32_in_float32_out(expr, tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory), HEADER + f"\n\ndef f(x):\n    return {expr}\n")
    x = np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32)
    g = srcad.grad(module.f)(x)
    assert g.dtype == np.float32, g.dtype


def test_integer_inputs_are_promoted(tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory),
                         HEADER + "\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    x = np.array([1, 2, 3])
    g = srcad.grad(module.f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x))


def test_complex_inputs_raise_a_clear_error(tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory),
                         HEADER + "\n\ndef f(x):\n    return np.sum(np.sin(x))\n")
    with pytest.raises(srcad.SrcadError, match="complex"):
        srcad.grad(module.f)(np.array([1.0 + 1.0j]))


# ----- the registry's errors -----


def test_a_wrong_rule_is_caught_by_check_grad(tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory), HEADER + '''

def cube(x):
    return x * x * x


def wrong_cube_adjoint(g, ans, x):
    return g * 2.0 * x * x      # should be 3 x^2


def f(x):
    return np.sum(cube(x))
''')
    before = dict(registry._RULES)
    try:
        registry.adjoint(module.cube)(module.wrong_cube_adjoint)
        with pytest.raises(srcad.GradientCheckError):
            srcad.check_grad(module.f, [np.array([0.5, 1.5, -2.0])])
    finally:
        registry._RULES.clear()
        registry._RULES.update(before)


def test_a_numpy_function_without_a_rule_is_named(tmp_path_factory):
    module = load_module(_workdir(tmp_path_factory),
                         HEADER + "\n\ndef f(x):\n    return np.sum(np.nancumsum(x))\n")
    assert registry.lookup(np.nancumsum) is None
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(module.f)(np.ones(3))
    assert isinstance(info.value, srcad.MissingRuleError)
    text = str(info.value)
    assert "nancumsum" in text and "@srcad.adjoint" in text


# ----- the README table -----


def test_readme_table_is_current():
    sys.path.insert(0, str(ROOT / "tools"))
    import rules_table
    readme = ROOT / "README.md"
    if not readme.exists() or rules_table.START not in readme.read_text():
        pytest.skip(f"README.md has no {rules_table.START} ... {rules_table.END} markers yet")
    current = readme.read_text()
    assert rules_table.rewrite(current) == current, \
        "README's table of rules is stale: run `python3 tools/rules_table.py --write`"


def test_rules_table_script_runs():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "rules_table.py")],
                            capture_output=True, text=True, check=True)
    assert "numpy.linalg.solve" in result.stdout


def test_every_rule_giving_a_list_is_known_to_give_one():
    """A rule whose result is a list or a tuple (np.split, sorted, eigh) must be in
    analysis._LIST_RESULTS, or give one only where an argument is one and follow its
    arguments (analysis._follows_arguments: srcad's runtime helpers, add_adjoint of joined
    lists): generated code differentiated again adds such values' tangents with add_grad,
    and with `+` it joined the two lists (silently wrong Hessians through eigh, np.select,
    sorted and `xs + xs`, each found once). Checked on every sample call that is a call of
    its rule's function."""
    from srcad import analysis
    unknown = set()
    for rule in registry.all_rules():
        cases = SPECS.get(rule.name)
        if not isinstance(cases, list):
            continue
        for case in cases:
            try:
                called = eval(case.expr.split("(")[0], namespace({}))
            except Exception:      # (an expression that is not a call of a name)
                continue
            if called is not rule.primal:
                continue
            values = namespace(inputs_of(case))
            out = eval(case.expr, values)
            if not isinstance(out, (list, tuple)) \
                    or any(rule.primal is f for f in analysis._LIST_RESULTS):
                continue
            call = ast.parse(case.expr, mode="eval").body
            given = [eval(compile(ast.Expression(a), "<arg>", "eval"), values)
                     for a in call.args + [k.value for k in call.keywords]]
            if not (analysis._follows_arguments(rule.primal)
                    and any(isinstance(a, (list, tuple, dict)) for a in given)):
                unknown.add(rule.name)
    assert not unknown, f"rules giving lists, not in analysis._LIST_RESULTS: {sorted(unknown)}"
