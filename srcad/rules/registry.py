"""The one registry of derivative rules.

A rule is a template: a small Python function whose return expression is
spliced into the generated code. Adjoint templates take the output adjoint
`g`, the output value `ans`, then the primal's parameters, and return one
expression per differentiable parameter (the parameters without a default)::

    @adjoint(np.sin)
    def sin(g, ans, x):
        return g * np.cos(x)

Tangent templates have the same signature, with `g` the tangent of one input;
element k of the result is the output tangent contributed by parameter k. For
elementwise functions the two coincide: `elementwise` registers both.
`None` in a result means "not differentiable with respect to this argument";
a literal `0` means "the derivative with respect to it is zero".
"""
import builtins
import functools
import inspect
import sys
import types

import gast

from .. import template as T
from ..errors import Location, RuleError

_RULES = {}        # id(primal) -> Rule
_METHODS = {}      # method or attribute name -> Rule  (x.sum(), x.T)
_KEEP = []         # keep primals alive so that ids stay unique
_TEMPLATES = []    # [templates]: every adjoint and tangent registered, in order
_TEMPLATE_FUNCTIONS = set()   # ids of their functions (kept alive by _TEMPLATES)
_LISTENERS = []    # called with no arguments after each template is registered


class Template:
    """A parsed rule function: its parameters, preamble statements and results."""

    def __init__(self, fn):
        self.fn = fn
        self._loaded = False
        # registered by the user (its function may return a tuple), not one of srcad's
        self.users = not (getattr(fn, "__module__", "") or "").startswith("srcad.")
        if self.users:
            self._load()   # a user's rule: check it now, where it is registered

    def __getattr__(self, name):
        # srcad's own rules are parsed on first use: importing srcad stays fast
        if name.startswith("_") or self.__dict__.get("_loaded", True):
            raise AttributeError(name)
        self._load()
        return getattr(self, name)

    def module_values(self):
        """`{name: value}` of the module names the template reads (what `globals` holds),
        without parsing srcad's own rules: the names their code objects load that are
        values of their module but no rule of it (`np`, `unbroadcast`)."""
        if self.__dict__.get("_loaded", True):
            return self.globals
        ns = self.fn.__globals__
        names, todo = set(), [self.fn.__code__]
        while todo:
            code = todo.pop()
            names.update(code.co_names)
            todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        return {n: ns[n] for n in names if n in ns and id(ns[n]) not in _TEMPLATE_FUNCTIONS}

    def _load(self):
        self._loaded = True
        fn = self.fn
        if isinstance(fn, (staticmethod, classmethod)):
            raise RuleError(f"a rule must be a plain function, not a {type(fn).__name__}",
                            hint="define the rule with `def` at module level, without "
                                 f"@{type(fn).__name__}")
        if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
            raise RuleError(f"a rule must be a function written with `def`, not "
                            f"{'a lambda' if callable(fn) else repr(fn)}",
                            hint="define the rule with `def` in a .py file, ending with "
                                 "`return <expression>`")
        try:
            src = T.dedent(inspect.getsource(fn))
            tree = gast.parse(src).body[0]
        except (OSError, TypeError, SyntaxError) as exc:
            raise RuleError(f"the source of the rule {fn.__qualname__} is not available ({exc})",
                            hint="define rules with `def` in a .py file") from None
        at = _rule_locator(fn, src)
        for node in gast.walk(tree) if self.users else ():   # (srcad's own rules have none)
            if isinstance(node, (gast.NamedExpr, gast.Lambda)):
                what = "binds a name with :=" if isinstance(node, gast.NamedExpr) \
                    else "defines a lambda"
                raise RuleError(f"the rule {fn.__qualname__} {what}: generated code would "
                                "run it among the derivative's own names", at(node),
                                hint="assign names before the return (`s = np.sign(x)`), "
                                     "and write functions with `def` outside the rule")
        signature = inspect.signature(fn)
        names = list(signature.parameters)
        if names[:2] != ["g", "ans"]:
            raise RuleError(f"the rule {fn.__qualname__} must start with the parameters (g, ans)")
        self.params = []
        self.positional = []     # those a call may pass by position (not after *varargs)
        self.defaults = {}
        self.varargs = None
        for param in list(signature.parameters.values())[2:]:
            if param.kind is param.VAR_POSITIONAL:
                self.varargs = param.name
                continue
            if param.kind is param.VAR_KEYWORD:
                raise RuleError(f"the rule {fn.__qualname__} cannot take **kwargs")
            self.params.append(param.name)
            if param.kind is not param.KEYWORD_ONLY:
                self.positional.append(param.name)
            if param.default is not param.empty:
                if not _literal(param.default):
                    raise RuleError(
                        f"the rule {fn.__qualname__} has the default {param.name}="
                        f"{param.default!r}, which generated code cannot write as it is",
                        hint="give it a number, string, None or a tuple of them (None, "
                             "then the value inside the rule: `if axis is None: ...`)")
                self.defaults[param.name] = param.default
        self.diff = [p for p in self.params if p not in self.defaults]
        tree.body = _augmented_as_assigned(tree.body, names, fn.__qualname__, at)
        body = [s for s in tree.body if not (isinstance(s, gast.Expr)
                                             and isinstance(s.value, gast.Constant))]
        branches = "write a choice as one expression: `a if c else b`, or np.where(c, a, b) " \
                   "for arrays"
        if not body or not isinstance(body[-1], gast.Return) or body[-1].value is None:
            raise RuleError(f"the rule {fn.__qualname__} must end with `return <expression>`",
                            at(body[-1] if body else tree), hint=branches)
        for stmt in body[:-1]:
            if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], gast.Name)):
                raise RuleError(f"the rule {fn.__qualname__} may only assign names before "
                                "its return", at(stmt), hint=branches)
        self.preamble = body[:-1]
        value = body[-1].value
        if isinstance(value, gast.Tuple) and len(self.diff) == 1 and len(value.elts) > 1:
            raise RuleError(
                f"the rule {fn.__qualname__} returns {len(value.elts)} expressions for 1 "
                f"differentiable parameter ({self.diff[0]})",
                hint="return one expression; give the other parameters defaults if they are "
                     "not differentiated, or list them without defaults to return theirs")
        results = value.elts if isinstance(value, gast.Tuple) and len(self.diff) > 1 else [value]
        if len(results) != len(self.diff):
            raise RuleError(
                f"the rule {fn.__qualname__} returns {len(results)} expression(s) for "
                f"{len(self.diff)} differentiable parameter(s) {tuple(self.diff)}",
                hint="return one expression (or None) per parameter without a default")
        self.results = [None if isinstance(r, gast.Constant) and r.value is None else r
                        for r in results]
        # a literal 0 means "the derivative is zero" (e.g. a shape-only argument)
        self.zero = {p for p, r in zip(self.diff, self.results)
                     if isinstance(r, gast.Constant) and type(r.value) in (int, float)
                     and r.value == 0}
        # the parameters whose derivatives it gives, neither None nor zero (an operation's
        # `diff`)
        self.nonzero = [p for p, r in zip(self.diff, self.results)
                        if r is not None and p not in self.zero]
        self.locals = [s.targets[0].id for s in self.preamble]
        # a tangent's preamble that reads g is written once per differentiated input
        self.preamble_reads_g = any(isinstance(n, gast.Name) and n.id == "g"
                                    for s in self.preamble for n in gast.walk(s.value))
        self.globals = self._free_names(tree, at)
        if self.users:
            self._own_globals(tree)

    def _own_globals(self, tree):
        """A user's rule reads its module's names (but modules) through its module when the
        derivative runs, `rules_module.K` for `K` of module rules: rebinding `rules.K` later
        changes the derivative as it changes the rule, two rules' modules may bind `K` to
        different values, and the differentiated function may have a parameter `K`. A rule
        whose module is not imported (its globals are no module's) reads them as they were
        when it was registered, under names of their own (`K__rules_module`)."""
        home = self.fn.__module__ or "rule"
        module = sys.modules.get(home)
        live = module is not None and getattr(module, "__dict__", None) is self.fn.__globals__
        alias = _module_alias(home, module if live else self.fn.__globals__)
        renames = {name: f"{name}__{alias}" for name, value in self.globals.items()
                   if not isinstance(value, types.ModuleType)}
        if not renames:
            return
        reads = [(node, field, k, item) for node in gast.walk(tree) for field in node._fields
                 for k, item in _children(getattr(node, field, None))
                 if isinstance(item, gast.Name) and item.id in renames
                 and isinstance(item.ctx, gast.Load)]
        for node, field, k, name in reads:
            if not live:
                name.id = renames[name.id]
                continue
            read = gast.Attribute(value=T.name(alias), attr=name.id, ctx=gast.Load())
            if k is None:
                setattr(node, field, read)
            else:
                getattr(node, field)[k] = read
            # (a result that is the name itself: `return K`)
            self.results = [read if r is name else r for r in self.results]
        kept = {name: value for name, value in self.globals.items() if name not in renames}
        if live:
            self.globals = {**kept, alias: module}
        else:
            self.globals = {**kept, **{renames[name]: self.globals[name] for name in renames}}

    @staticmethod
    def local_name(local, suffix):
        """The name of the rule's local `local` in generated code for v_<suffix>: `s_5`;
        one named like a trace name (v, vbar, vdot) is kept apart from them, `v__5`."""
        if local in ("v", "vbar", "vdot"):
            return f"{local}__{suffix}"
        return f"{local}_{suffix}"

    # substitute(expression, names), compiled: what reverse and forward mode call; made on
    # first use (the first transformation in a process reads every template's globals)
    @functools.cached_property
    def preamble_fills(self):
        return [T.substituter(s.value) for s in self.preamble]

    @functools.cached_property
    def result_fills(self):
        return [None if r is None else T.substituter(r) for r in self.results]

    def _free_names(self, tree, at):
        """Names the template reads from its module: they must exist where code runs."""
        bound = {"g", "ans", *self.params, *self.locals}
        # (a comprehension's variables are its own, whatever the module calls so)
        bound.update(node.id for node in gast.walk(tree)
                     if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store))
        if self.varargs:
            bound.add(self.varargs)
        names = {}
        ns = self.fn.__globals__
        for node in gast.walk(tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) \
                    and node.id not in bound:
                if node.id in ns:
                    names[node.id] = ns[node.id]
                elif not hasattr(builtins, node.id):
                    raise RuleError(f"the rule {self.fn.__qualname__} uses the undefined name "
                                    f"'{node.id}'", at(node),
                                    hint="define it in the rule's module above the rule, "
                                         "or assign it before the return")
        return names


def _augmented_as_assigned(body, params, rule, at):
    """`c *= 2` in a rule's body (before its return) -> `c = c * 2`, for `c` a name the rule
    assigned before: a new value, as a rule's names hold values (in place, it would change
    whatever else holds that array: `c = g` makes c the derivative's own). Refused for a
    parameter, which is the derivative's (or the caller's) array."""
    made = []
    for stmt in body:
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            name = stmt.target.id
            assigned = any(isinstance(s, gast.Assign) and len(s.targets) == 1
                           and isinstance(s.targets[0], gast.Name) and s.targets[0].id == name
                           for s in made)
            if name in params:
                raise RuleError(f"the rule {rule} updates its parameter {name} in place",
                                at(stmt), hint=f"assign a new name (`{name}2 = {name} * 2`) "
                                               "and use that")
            if not assigned:
                raise RuleError(f"the rule {rule} updates {name}, which it has not assigned "
                                "before", at(stmt), hint=f"assign {name} first")
            _refuse_shared_update(stmt, name, made, body[len(made) + 1:], rule, at)
            value = gast.BinOp(left=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                               type_comment=None),
                               op=stmt.op, right=stmt.value)
            assign = gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                                    type_comment=None)],
                                 value=value, type_comment=None)
            for node in (assign, assign.targets[0], value, value.left):
                gast.copy_location(node, stmt)
            stmt = assign
        made.append(stmt)
    return made


def _refuse_shared_update(stmt, name, before, after, rule, at):
    """Refuse `name op= v` (taken for `name = name op v`, a new value) where a name that
    may share name's array is read after it: one bound to name or to a view of it (`h =
    c`, `h = c[:2]`, `h = c.T`), or the one name was bound to (`c = g`). Python would
    change that array in place, and that name with it."""
    sharing = set()
    for s in before:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name):
            root = _viewed(s.value)
            if root == name:
                sharing.add(s.targets[0].id)
            if s.targets[0].id == name and root is not None:
                sharing.add(root)
    sharing.discard(name)
    read_after = {n for s in after for n in T.names_read(s)} & sharing
    if read_after:
        other, sign = sorted(read_after)[0], _AUGMENTED_SIGN.get(type(stmt.op), "?")
        raise RuleError(f"the rule {rule} updates {name} in place ({name} {sign}= ...), "
                        f"which srcad takes for a new value, and then reads {other}, which "
                        f"may share {name}'s array (Python would change it too)", at(stmt),
                        hint=f"write {name} = {name} {sign} ... (a new array), or use {other} "
                             "before the update")


def _viewed(value):
    """The name whose array `value` may be, or be a view of (`c`, `c[1:]`, `c.T`,
    `c.reshape(n)`, `np.reshape(c, n)`), else None: arithmetic makes a new array."""
    if isinstance(value, gast.Call):
        if isinstance(value.func, gast.Attribute) and isinstance(value.func.value, gast.Name) \
                and value.func.value.id in ("np", "numpy"):
            value = value.args[0] if value.args else None      # (np.reshape(c, n))
        else:
            value = value.func                                  # (c.reshape(n))
    while isinstance(value, (gast.Subscript, gast.Attribute)):
        value = value.value
    return value.id if isinstance(value, gast.Name) else None


_AUGMENTED_SIGN = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
                   gast.Pow: "**", gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%"}


def _rule_locator(fn, dedented):
    """`at(node)`: the Location of a node of rule `fn`'s tree (parsed from `dedented`, its
    source without the indentation it has in its file)."""
    code = fn.__code__
    lines = dedented.splitlines()
    start = code.co_firstlineno - 1        # (the line of its first decorator, where
    #                                         its source begins)

    def at(node):               # (only for an error: reading the file's line costs)
        indent = 0
        try:
            first = inspect.getsourcelines(fn)[0][0]
            indent = len(first) - len(first.lstrip())
        except (OSError, TypeError, IndexError):
            pass
        line = getattr(node, "lineno", 1)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return Location(code.co_filename, start + line, indent + getattr(node, "col_offset", 0),
                        " " * indent + text)
    return at


_ALIASES = {}      # the name generated code calls a rules' module -> the module (see below)


def _module_alias(home, owner):
    """The name generated code reads a user rule's module by: `rules_module` for module
    rules (`pkg_rules_module` for pkg.rules), a name no parameter, helper or module of
    NumPy's is likely to have; numbered where two modules (`owner`: the module, or the
    rule's globals where it is in no module) would share it."""
    base = home.replace(".", "_") + "_module"
    alias, k = base, 1
    while _ALIASES.setdefault(alias, owner) is not owner:
        k += 1
        alias = f"{base}{k}"
    return alias


def _children(value):
    """(index or None, item) for each item of a node's field (a list or one value)."""
    if isinstance(value, list):
        return list(enumerate(value))
    return [(None, value)]


def _literal(value):
    """Whether `repr(value)` reads back as the same value wherever generated code runs."""
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


class Rule:
    """Everything srcad knows about differentiating one primal function."""

    def __init__(self, primal, name):
        self.primal = primal
        self.name = name
        self.adjoint = None       # Template
        self.tangent = None       # Template
        self.zero = False         # piecewise constant: derivative zero everywhere

    @property
    def kind(self):
        if self.zero:
            return "zero derivative"
        return ", ".join(k for k in ("adjoint", "tangent") if getattr(self, k))


def _name(primal):
    module = getattr(primal, "__module__", None) or ""
    name = getattr(primal, "__qualname__", None) or getattr(primal, "__name__", repr(primal))
    if isinstance(primal, type(abs)) and module == "builtins":
        return name
    if module.startswith("numpy"):
        module = "numpy"
        linalg = ("solve", "inv", "det", "slogdet", "cholesky", "norm", "eigh", "eigvalsh",
                  "pinv", "qr", "lstsq", "svd", "svdvals", "multi_dot", "matmul",
                  "outer", "cross", "trace", "diagonal", "vecdot", "matrix_norm", "vector_norm",
                  "cond")
        if name in linalg and getattr(__import__("numpy").linalg, name, None) is primal:
            module = "numpy.linalg"
    if module in ("_operator", "operator"):
        module = "operator"
    return f"{module}.{name}" if module else name


def rule_for(primal, create=False, name=None):
    rule = _RULES.get(id(primal))
    if rule is None and create:
        rule = _RULES[id(primal)] = Rule(primal, name or _name(primal))
        _KEEP.append(primal)
    return rule


def _check_primals(primals, kind):
    """Each primal is something a rule can be for: a callable, not the rule itself
    (`@srcad.adjoint` without the function: the rule would become the decorator)."""
    if not primals:
        raise RuleError(f"@srcad.{kind} needs the function the rule is for: "
                        f"@srcad.{kind}(f)")
    for primal in primals:
        if not callable(primal):
            raise RuleError(f"@srcad.{kind} needs functions, not {primal!r}",
                            hint=f"write @srcad.{kind}(f) with the function f the rule is for")
        params = list(getattr(getattr(primal, "__code__", None), "co_varnames", ()))[:2]
        if params == ["g", "ans"] and not str(primal.__module__).startswith("srcad."):
            raise RuleError(f"@srcad.{kind} was given the rule {primal.__qualname__} as the "
                            "function the rule is for", hint=f"write @srcad.{kind}(f) with "
                            "the function f the rule is for")


def adjoint(*primals, method=None):
    """Register the decorated template as the adjoint rule of each primal."""
    _check_primals(primals, "adjoint")

    def register(fn):
        template = Template(fn)
        _TEMPLATES.append(template)
        _TEMPLATE_FUNCTIONS.add(id(fn))
        for primal in primals:
            rule_for(primal, create=True).adjoint = template
        if method:
            for m in ([method] if isinstance(method, str) else method):
                _METHODS[m] = rule_for(primals[0])
        _registered()
        return fn
    return register


def tangent(*primals):
    """Register the decorated template as the tangent rule of each primal."""
    _check_primals(primals, "tangent")

    def register(fn):
        template = Template(fn)
        _TEMPLATES.append(template)
        _TEMPLATE_FUNCTIONS.add(id(fn))
        for primal in primals:
            rule_for(primal, create=True).tangent = template
        _registered()
        return fn
    return register


def on_register(listener):
    """Call `listener()` after each template registered from now on (derivatives made
    before may use the rule it replaces)."""
    _LISTENERS.append(listener)


def _registered():
    for listener in _LISTENERS:
        listener()


def elementwise(*primals, method=None):
    """Adjoint and tangent at once, for functions whose local derivative is diagonal."""
    def register(fn):
        adjoint(*primals, method=method)(fn)
        tangent(*primals)(fn)
        return fn
    return register


def nondifferentiable(*primals, methods=()):
    """Functions whose derivative is zero wherever it exists (floor, sign, argmax, ...)."""
    for primal in primals:
        rule_for(primal, create=True).zero = True
    for m in methods:
        _METHODS[m] = rule_for(primals[0]) if primals else None


def zero_method(*names):
    """Methods and attributes of arrays with zero derivative (x.shape, x.argmax())."""
    for m in names:
        rule = Rule(None, f"ndarray.{m}")
        rule.zero = True
        _METHODS[m] = rule


def method_rule(name):
    return _METHODS.get(name)


def lookup(primal):
    try:
        return _RULES.get(id(primal))
    except TypeError:
        return None


def templates_registered():
    """How many templates have been registered so far (a version of the registry: it only
    grows)."""
    return len(_TEMPLATES)


def all_rules():
    """Every registered rule, sorted by name (used by tests and the README table)."""
    return sorted({id(r): r for r in _RULES.values()}.values(), key=lambda r: r.name)


def methods():
    return dict(_METHODS)
