"""One evaluation, made visible: the evaluation-trace tables and the computational graph.

`evaluation_trace(fn, args, wrt)` runs the reverse-mode derivative of `fn`
with every assignment to a trace name recorded, and `format_trace` prints the
two tables of the textbooks::

    forward primal trace                      reverse adjoint trace
      v_m1 = x1              2.0                vbar_5 = seed     1.0
      v_1  = np.log(v_m1)    0.693...           vbar_3 = ...      1.0
      ...                                       vbar_m1 = ...     5.5

The recording is a rewrite of the generated source (a call after each
`v_i = ...` / `vbar_i = ...`), compiled beside the core's own; the core is
not changed. `graph(fn, args)` evaluates the three-address IR statement by
statement and labels each edge `v_a -> v_k` with the local partial derivative
dv_k/dv_a: the rule's adjoint template evaluated with the output adjoint
`g = 1` (straight-line code only), and `to_dot` draws it.
"""
import ast
import copy
import inspect
import math
import numbers
import re

import gast
import numpy as np

from . import __version__, api
from . import template as T
from .analysis import classify
from .codegen import to_source
from .errors import SrcadError
from .source import unwrap
from .standalone import callee_key, closure_vars, derive, free_names, provided, resolve

RECORD = "__srcad_record__"
_LINE = re.compile(r"^\s*# line (\d+): (.*)$")
_TRACE_NAME = re.compile(r"^(v|vbar)_(m?\d+)$")


# ----- values, as the tables show them -----


def is_finite(value):
    """False when `value` (a number, an array, or a list/tuple/dict of them) holds inf or nan."""
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, numbers.Number):
        try:
            return math.isfinite(abs(value))
        except (TypeError, OverflowError):
            return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            return bool(np.all(np.isfinite(value)))
        return True
    if isinstance(value, (list, tuple)):
        return all(is_finite(v) for v in value)
    if isinstance(value, dict):
        return all(is_finite(v) for v in value.values())
    return True


def number_text(x, digits=None):
    """A float as the tables print it: `repr` (exact) or `digits` significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (numbers.Integral, np.integer)):
        return str(int(x))
    if isinstance(x, (numbers.Real, np.floating)):
        x = float(x)
        return repr(x) if digits is None else format(x, f".{digits}g")
    return repr(x)


def value_text(value, digits=None):
    """One line: numbers in full, arrays by shape (values when small), containers by size."""
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return number_text(value, digits)
    if isinstance(value, np.ndarray):
        shape = "x".join(str(n) for n in value.shape) or "()"
        head = f"array {shape} {value.dtype}"
        if value.size == 0:
            return head
        if value.ndim == 0:
            return number_text(value[()], digits)
        if value.size <= 4:
            return f"{head} [{', '.join(number_text(v, 6) for v in value.ravel())}]"
        if value.dtype.kind not in "biuf":
            return head
        finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
        stats = ""
        if finite.size:
            stats = (f" min {number_text(finite.min(), 4)} max {number_text(finite.max(), 4)}"
                     f" mean {number_text(finite.mean(), 4)}")
        bad = value.size - finite.size
        return head + stats + (f" ({bad} non-finite)" if bad else "")
    if isinstance(value, (list, tuple, dict)):
        return f"{type(value).__name__}[{len(value)}]"
    return f"{type(value).__name__}"


# ----- the evaluation trace -----


class Row:
    """One recorded assignment: which name, its defining expression, its value."""

    def __init__(self, name, op, line, text, finite):
        self.name = name
        self.op = op
        self.line = line          # (user line number, user source text) or None
        self.text = text          # the value, formatted
        self.finite = finite


class Trace:
    """The forward and reverse rows of one evaluation, and how it ended."""

    def __init__(self, fn, args, wrt):
        self.fn = fn
        self.args = args
        self.wrt = wrt
        self.forward = []
        self.reverse = []
        self.counts = {"forward": 0, "reverse": 0}
        self.first_bad = None      # (sweep, index) of the first non-finite row
        self.gradient = {}         # vbar name of an input -> value text
        self.error = None          # (statement text, exception) if the evaluation raised

    def rows(self, sweep):
        return self.forward if sweep == "forward" else self.reverse


class _Statement:
    """What the recorder knows statically about one recorded assignment."""

    def __init__(self, sweep, name, op, line):
        self.sweep = sweep
        self.name = name
        self.op = op
        self.line = line


def _line_comments(source):
    """`{source line number: (user line, user text)}` for the comment in force at each line."""
    current, out = None, {}
    for k, text in enumerate(source.splitlines(), 1):
        m = _LINE.match(text)
        if m:
            current = (int(m.group(1)), m.group(2))
        elif text.lstrip().startswith("# reverse sweep"):
            current = None
        out[k] = current
    return out


def _boundaries(source):
    """Source lines of the `# forward sweep` and `# reverse sweep` comments."""
    lines = [text.strip() for text in source.splitlines()]
    forward = lines.index("# forward sweep") + 1 if "# forward sweep" in lines else 0
    reverse = lines.index("# reverse sweep") + 1 if "# reverse sweep" in lines else len(lines) + 1
    return forward, reverse


class _Instrument(ast.NodeTransformer):
    """After each `v_i = ...` (forward) and `vbar_i = ...` (reverse), a call that records it."""

    def __init__(self, source):
        self.start, self.boundary = _boundaries(source)
        self.lines = _line_comments(source)
        self.statements = []

    def _block(self, stmts):
        out = []
        for stmt in stmts:
            stmt = self.visit(stmt)
            out.append(stmt)
            record = self._record(stmt)
            if record is not None:
                out.append(record)
        return out

    def _record(self, stmt):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            return None
        name = stmt.targets[0].id
        m = _TRACE_NAME.match(name)
        if not m:
            return None
        if stmt.lineno < self.start:
            return None   # `v_i = None` bindings before the forward sweep
        sweep = "forward" if stmt.lineno < self.boundary else "reverse"
        if (sweep == "forward") != (m.group(1) == "v"):
            return None   # values restored from the stack during the reverse sweep
        self.statements.append(_Statement(sweep, name, ast.unparse(stmt.value),
                                          self.lines.get(stmt.lineno)))
        call = ast.parse(f"{RECORD}({len(self.statements) - 1}, {name})").body[0]
        return ast.copy_location(call, stmt)

    def generic_visit(self, node):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self._block(block))
        return node


class _Recorder:
    def __init__(self, trace, statements, max_rows):
        self.trace = trace
        self.statements = statements
        self.max_rows = max_rows

    def __call__(self, index, value):
        st = self.statements[index]
        trace = self.trace
        count = trace.counts[st.sweep]
        trace.counts[st.sweep] = count + 1
        finite = is_finite(value)
        first_bad = not finite and trace.first_bad is None
        if first_bad:
            trace.first_bad = (st.sweep, count)
        if count < self.max_rows or first_bad:
            rows = trace.rows(st.sweep)
            rows.append((count, Row(st.name, st.op, st.line, value_text(value), finite)))


def _kinds(fn, args):
    n = len(api.intermediate(fn).params)
    known = api.kinds_of(args)
    return known + ("other",) * (n - len(known))


def _promote(args, wrt):
    """Integer inputs that are differentiated become floats (as `srcad.grad` does)."""
    args = list(args)
    for k in wrt:
        a = args[k]
        if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
            args[k] = float(a)
        elif isinstance(a, np.ndarray) and a.dtype.kind in "iu":
            args[k] = a.astype(float)
    return args


class _LazyDerivative:
    def __init__(self, entry):
        self.key = callee_key(entry, "reverse")
        self.function = None

    def __call__(self, *args, **kwargs):
        if self.function is None:
            fn, wrt, kinds, mode = self.key
            self.function = derive(fn, wrt, kinds, mode).function
        return self.function(*args, **kwargs)


def namespace(fn, source, callees):
    """Globals under which `source` (a derivative of `fn`) runs as it does inside srcad:
    with the defaults the function was made with (`_default_w`) and the user's globals
    that generated code reads under other names."""
    ir = api.intermediate(fn)
    ns = dict(fn.__globals__)
    ns.update(ir.defaults)
    ns.update({new: ir.namespace[new] for new in ir.renamed.values()})
    helpers = provided()
    for name in free_names(source):
        origin, value = resolve(name, fn, callees, helpers)
        if origin == "callee":
            ns[name] = _LazyDerivative(callees[name])
        elif origin in ("closure", "helper"):
            ns[name] = value
    return ns


def evaluation_trace(fn, args, wrt, max_rows=200):
    """Run the reverse-mode derivative of `fn` at `args`, recording every trace name."""
    fn = unwrap(fn)
    wrt = tuple(wrt)
    args = _promote(args, wrt)
    _refuse_non_scalar(fn, args)
    options = {"optimized": False} if "optimized" in inspect.signature(api.derive).parameters \
        else {}
    compiled = api.derive(fn, wrt, _kinds(fn, args), **options)   # every step, none folded
    source = compiled.source
    tree = ast.parse(source)
    instrument = _Instrument(source)
    tree = ast.fix_missing_locations(instrument.visit(tree))
    function = tree.body[0]
    seed = function.args.args[-1].arg if function.args.args and \
        function.args.args[-1].arg.startswith("vbar_") else None
    trace = Trace(fn, args, wrt)
    recorder = _Recorder(trace, instrument.statements, max_rows)
    ns = namespace(fn, source, compiled.callees)
    ns[RECORD] = recorder
    filename = f"<srcad trace {fn.__name__}>"
    exec(compile(tree, filename, "exec"), ns)
    if seed is not None:
        trace.reverse.append((-1, Row(seed, "seed", None, "1.0", True)))
    try:
        with np.errstate(all="ignore"):
            result = ns[function.name](*args)
    except Exception as exc:   # noqa: BLE001 - shown as the row where evaluation stopped
        trace.error = (_failing_line(exc, filename, source), exc)
        return trace
    grads = result if len(wrt) > 1 else (result,)
    ir = api.intermediate(fn)
    for k, g in zip(wrt, grads):
        trace.gradient[f"d/d{ir.params[k]} = vbar_{ir.inputs[k][2:]}"] = value_text(g)
    return trace


def _refuse_non_scalar(fn, args):
    """The trace seeds the reverse sweep with 1.0, the adjoint of a number: of an array or a
    tuple, the sweep stopped at an error of NumPy's (`tuple index out of range`). Where `fn`
    itself raises, the trace shows the statement that does."""
    try:
        with np.errstate(all="ignore"):
            value = fn(*copy.deepcopy(args))
    except Exception:       # noqa: BLE001 - shown as the row where evaluation stopped
        return
    if not api._is_scalar(value):
        raise api._non_scalar(fn, value, "srcad trace")


def _failing_line(exc, filename, source):
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    lines = source.splitlines()
    return lines[line - 1].strip() if line and line <= len(lines) else "?"


def format_trace(trace):
    """The two tables as text; the first non-finite row is marked."""
    fn = trace.fn
    params = api.intermediate(fn).params
    call = ", ".join(f"{p}={value_text(a, 6)}" for p, a in zip(params, trace.args))
    out = [f"evaluation trace of {fn.__name__}({call})", ""]
    rows = [r for _, r in trace.forward] + [r for _, r in trace.reverse]
    name_w = max([len(r.name) for r in rows] + [4])
    op_w = min(max([len(r.op) for r in rows] + [9]), 48)
    for sweep, title in (("forward", "forward primal trace"), ("reverse", "reverse adjoint trace")):
        out.append(title)
        out.append(f"  {'name':<{name_w}}   {'operation':<{op_w}}  value")
        line, last = None, -1
        for index, row in trace.rows(sweep):
            if index > last + 1:
                out.append(f"  ... {index - last - 1} rows not shown ...")
            last = max(last, index)
            if row.line is not None and row.line != line:
                out.append(f"  # line {row.line[0]}: {row.line[1]}")
            line = row.line or line
            op = row.op if len(row.op) <= op_w else row.op[:op_w - 1] + "…"
            mark = "   <-- first non-finite value" if trace.first_bad == (sweep, index) else ""
            out.append(f"  {row.name:<{name_w}} = {op:<{op_w}}  {row.text}{mark}")
        total = trace.counts[sweep]
        if total > last + 1:
            out.append(f"  ... {total - last - 1} rows not shown ...")
        out.append("")
    if trace.error is not None:
        text, exc = trace.error
        out.append(f"evaluation stopped at `{text}`: {type(exc).__name__}: {exc}")
    else:
        grads = ", ".join(f"{k} = {v}" for k, v in trace.gradient.items())
        out.append(f"gradient: {grads}")
    if trace.first_bad is None and trace.error is None:
        out.append("all values finite")
    return "\n".join(out) + "\n"


# ----- the computational graph -----


class Node:
    def __init__(self, key, name, op, value, kind, line):
        self.key = key            # unique id (a name assigned twice gets a suffix)
        self.name = name
        self.op = op
        self.value = value
        self.kind = kind          # "input", "intermediate", "output", "constant"
        self.line = line


class Edge:
    def __init__(self, source, target, partial, expr, zero=False):
        self.source = source
        self.target = target
        self.partial = partial    # the local partial derivative (a number) or None
        self.expr = expr          # how it was computed, as source text
        self.zero = zero          # piecewise-constant operation: derivative 0


class Graph:
    def __init__(self, fn, args):
        self.fn = fn
        self.args = args
        self.nodes = []
        self.edges = []
        self.output = None


def graph(fn, args):
    """The computational graph of one evaluation of straight-line `fn` at `args`."""
    fn = unwrap(fn)
    ir = api.intermediate(fn)
    _check_straight(ir, fn)
    ops = classify(ir, "reverse")
    g = Graph(fn, args)
    glob = dict(fn.__globals__)
    glob.update(closure_vars(fn))
    glob.update(ir.namespace)       # (a user global renamed where generated code uses its name)
    glob.update(provided())         # the helpers the three-address form calls (`listed`)
    env = dict(zip(ir.params, args))
    for p in ir.params[len(args):]:
        default = _default(fn, p)
        env[p] = default
    current = {}        # trace name -> node key of its current value
    keys = set()
    line = None
    for stmt in ir.body:
        if T.is_comment(stmt):
            m = _LINE.match(stmt.value.value)
            line = (int(m.group(1)), m.group(2)) if m else line
            continue
        if isinstance(stmt, gast.Return):
            g.output = current.get(getattr(stmt.value, "id", None))
            break
        op = ops.get(id(stmt))
        if op is None or op.target is None:
            raise SrcadError(f"srcad graph cannot draw the statement `{_stmt_text(stmt)}`",
                             ir.location(stmt), hint="use srcad trace")
        before = dict(env)
        with np.errstate(all="ignore"):
            exec(compile(_stmt_text(stmt), "<srcad graph>", "exec"), glob, env)
        value = env[op.target]
        key = op.target
        k = 1
        while key in keys:
            k += 1
            key = f"{op.target}_{k}"
        keys.add(key)
        edges = _edges(fn, ir, op, before, value, glob, current)
        kind = "intermediate"
        if op.kind == "copy" and isinstance(op.args[0], gast.Name) and op.args[0].id in ir.params:
            kind = "input"
        elif not edges:
            kind = "constant"
        g.nodes.append(Node(key, op.target, T.source_of(stmt.value), value, kind, line))
        for source, partial, expr, zero in edges:
            g.edges.append(Edge(source, key, partial, expr, zero))
        current[op.target] = key
    for node in g.nodes:
        if node.key == g.output:
            node.kind = "output"
    return g


def _stmt_text(stmt):
    return to_source([stmt]).strip()


def _default(fn, param):
    default = inspect.signature(fn).parameters[param].default
    if default is inspect.Parameter.empty:
        raise SrcadError(f"{fn.__name__} needs a value for its parameter '{param}'",
                         hint="pass it in --args")
    return default


def _check_straight(ir, fn):
    for stmt in ir.body:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            what = "branch" if isinstance(stmt, gast.If) else "loop"
            raise SrcadError(
                f"srcad graph draws straight-line functions, and {fn.__name__} has a {what} "
                "here", ir.location(stmt) or _first_location(ir, stmt),
                hint="use srcad trace to see every value of one evaluation")


def _first_location(ir, stmt):
    for node in ast_walk(stmt):
        loc = ir.location(node)
        if loc is not None:
            return loc
    return None


def ast_walk(stmt):
    for field in ("body", "orelse"):
        for s in getattr(stmt, field, None) or []:
            yield s
            yield from ast_walk(s)


def _edges(fn, ir, op, env, value, glob, current):
    """`[(source node key, partial, expression text, zero?)]` for the operands of `op`."""
    def node_of(atom):
        return current.get(atom.id) if isinstance(atom, gast.Name) else None

    if op.kind == "copy":
        source = node_of(op.args[0])
        return [(source, 1.0, "1", False)] if source else []
    if op.kind == "const":
        return []
    if op.kind == "zero":
        return [(node_of(a), 0.0, "0", True) for a in op.args.values() if node_of(a)]
    if op.kind == "rule":
        return _rule_edges(op, env, value, node_of, glob)
    if op.kind == "call":
        return _call_edges(op, env, value, glob, node_of)
    raise SrcadError(f"srcad graph draws scalar operations; `{_stmt_text(op.stmt)}` is "
                     f"a{'n' if op.kind[0] in 'aeiou' else ''} {op.kind} operation",
                     ir.location(op.stmt), hint="use srcad trace")


def _rule_edges(op, env, value, node_of, glob):
    """Partials from the adjoint template: its result for parameter p with `g = 1` (its
    operands may be the function's module values: `glob`, what the statements read)."""
    template = op.template
    names = {"g": T.constant(1.0), "ans": T.name("__ans__")}
    for p in template.params:
        names[p] = op.args[p] if p in op.args else T.quote_expr(repr(template.defaults[p]))
    if template.varargs:
        names[template.varargs] = T.tuple_of(getattr(op, "extra", []))
    scope = dict(env)
    scope["__ans__"] = value
    glob = {**glob, **template.globals}
    for local, stmt in zip(template.locals, template.preamble) if _scalar(value) is not None \
            else ():
        scope[local] = _eval(T.substitute(stmt.value, names), glob, scope)
        names[local] = T.name(local)
    scalar = _scalar(value) is not None and all(
        _scalar(_eval(a, glob, scope)) is not None for a in op.args.values()
        if isinstance(a, gast.Name))
    if not scalar:      # a Jacobian, not a number: label the edge with the rule instead
        names["g"] = T.name("g")
    edges = []
    for p, result in zip(template.diff, template.results):
        source = node_of(op.args.get(p))
        if source is None or result is None:
            continue
        expr = T.substitute(result, names)
        partial = _scalar(_eval(expr, glob, scope)) if scalar else None
        edges.append((source, partial, T.source_of(expr).replace("__ans__", op.target), False))
    return edges


def _call_edges(op, env, value, glob, node_of):
    """Partials of a call of a user function: its derivative w.r.t. each operand; where its
    `value` is no number, a Jacobian, not a label (srcad.grad of it would refuse it)."""
    call = op.stmt.value
    args = [_eval(a, glob, env) for a in call.args]
    kwargs = {k.arg: _eval(k.value, glob, env) for k in call.keywords}
    params = list(inspect.signature(op.callee).parameters)
    edges = []
    for p, atom in op.args.items():
        source = node_of(atom)
        if source is None:
            continue
        partial = None
        if _scalar(value) is not None:
            with np.errstate(all="ignore"):
                partial = api.grad(op.callee, wrt=params.index(p))(*args, **kwargs)
        edges.append((source, _scalar(partial), f"d {op.callee.__name__} / d {p}", False))
    return edges


def _eval(node, glob, scope):
    with np.errstate(all="ignore"):
        return eval(compile(T.source_of(copy.deepcopy(node)), "<srcad graph>", "eval"),
                    glob, scope)


def _scalar(x):
    if isinstance(x, (numbers.Number, np.number)):
        return x
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x[()]
    return None     # an array: the local derivative is a Jacobian, not a label


# ----- DOT -----


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(x):
    return number_text(x, 15) if x is not None else ""


def to_dot(g):
    """Graphviz DOT text of `g`, deterministic; edge labels carry 15 significant digits."""
    fn = g.fn
    params = api.intermediate(fn).params
    call = ", ".join(f"{p}={value_text(a, 6)}" for p, a in zip(params, g.args))
    lines = [f"// computational graph of {fn.__name__}({call}), generated by srcad "
             f"{__version__}",
             "// edge labels: local partial derivatives d(head)/d(tail)",
             f"digraph {_quote(fn.__name__)} {{",
             "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
             'fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    fills = {"input": "#dbe9f6", "output": "#fde2c8", "constant": "#eeeeee"}
    for node in g.nodes:
        shown = node.op if len(node.op) <= 32 else node.op[:31] + "…"
        value = node.value
        if isinstance(value, np.ndarray) and value.ndim:
            shown_value = f"array {'x'.join(map(str, value.shape))}"
        else:
            shown_value = value_text(value, 6)
        label = f"{node.key}\n{shown}\n= {shown_value}"
        attrs = [f"label={_quote(label)}", f"tooltip={_quote(value_text(node.value))}"]
        if node.kind in fills:
            attrs.append(f'fillcolor="{fills[node.kind]}"')
        if node.kind == "output":
            attrs.append("penwidth=2")
        lines.append(f"  {_quote(node.key)} [{', '.join(attrs)}];")
    for e in g.edges:
        attrs = [f"label={_quote(_label(e.partial))}", f"tooltip={_quote(e.expr)}"]
        if e.zero:
            attrs.append("style=dashed")
        lines.append(f"  {_quote(e.source)} -> {_quote(e.target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
