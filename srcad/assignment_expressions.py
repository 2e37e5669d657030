"""Assignment expressions (`:=`) made assignment statements: the first step of normalising
a user function's tree (before `inline_local_functions`: a call it inlines after a `:=`
reads the binding; a local `def`'s own are made statements of its body).

    def f(x):                              def f(x):
        if (y := x * x) > 1.0:                 y = x * x
            return y * 2.0            ->       if y > 1.0:
        return y                                   return y * 2.0
                                               return y

Each binding is made where Python makes it, and the name is read there: every later step
reads it as any `y = ...`. A `while` test's bindings are made before each test, in the
loop (`while (n := n - 1) > 0:` -> `while True: n = n - 1; if n > 0: pass; else: break`,
its test the loop's first statements: normalise makes no other).
What Python evaluates before a `:=` in the same statement is held in a new name first
(`g(x) + (y := h(x))`: g runs first; `y * (y := 2.0)` reads the old y); a part Python
may not evaluate (`a and (y := b)`, `(y := b) if c else d`) is bound in an `if`, as
`and`, `or` and conditional expressions are. Refused where the binding would run
another number of times than Python runs it: in a comprehension, in a chained
comparison's later parts, in an augmented assignment's value whose target it changes;
one this step does not reach (in a lambda) is refused where `normalise` meets it.
"""
import gast

from . import template as T
from .errors import UnsupportedError
from .inline import at_call as _at

_SCOPES = (gast.Lambda, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)
_COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def assignment_expressions(source, taken):
    """Rewrite the `:=` of `source.tree` (a FunctionSource's) as statements, in place (see
    the module docstring); the `while` loops whose test is now their first statements,
    `while True:` with no test of its own to make. `taken`: the names a new one must keep
    clear of."""
    statements = _Statements(source, taken)
    statements.block(source.tree.body)
    return statements.tested_in_body


class _Statements:
    """The rewriting, statement by statement (`before`: what the one at hand needs first)."""

    def __init__(self, source, taken):
        self.source = source
        self.taken = set(taken)
        self.before = []
        self.bound = set()      # the names that the statement's `:=` bind
        self.tested_in_body = set()

    def block(self, block):
        rewritten = []
        for stmt in block:
            if isinstance(stmt, _SCOPES):   # (a local `def`: its names stay its own)
                if isinstance(stmt, gast.FunctionDef):
                    self.block(stmt.body)
                rewritten.append(stmt)
                continue
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list):
                    self.block(inner)
            rewritten += self.statement(stmt)
        block[:] = rewritten

    def statement(self, stmt):
        """`stmt` and the statements that make its bindings first, in their order."""
        if isinstance(stmt, gast.While):
            if not _binds(stmt.test):
                return [stmt]
            self.start(stmt.test)
            test = self.lift(stmt.test)     # (at each test: the loop's first statements)
            stop = _at(gast.If(test=test, body=[gast.Pass()], orelse=[gast.Break()]), stmt)
            stmt.body[:0] = self.before + [stop]
            stmt.test = _at(T.constant(True), stmt)
            self.tested_in_body.add(stmt)
            return [stmt]
        parts = _statement_parts(stmt)
        if not any(_binds(_get(part)) for part in parts):
            return [stmt]
        self.start([_get(part) for part in parts])
        if isinstance(stmt, gast.AugAssign):
            self.check_augmented(stmt)
        self.lift_parts(parts)
        return self.before + [stmt]

    def start(self, parts):
        """Begin a statement whose expressions `parts` hold a `:=`."""
        self.before = []
        self.bound = {n.target.id for n in T.all_nodes(parts) if isinstance(n, gast.NamedExpr)}

    def check_augmented(self, stmt):
        """`s += (y := e)` reads s before it binds y, `a[i] += (y := e)` reads a[i]: the
        read cannot come first as a statement of its own where it is the name bound, or
        an item."""
        target = stmt.target
        if isinstance(target, gast.Name) and target.id in self.bound or isinstance(
                target, gast.Subscript) and _binds(stmt.value):
            self.refuse(next(n for n in T.all_nodes(stmt.value)
                             if isinstance(n, gast.NamedExpr)),
                        f"':=' in the value of an augmented assignment to "
                        f"'{T.source_of(target).strip()}'",
                        "assign on a line of its own before it")

    def lift_parts(self, parts):
        """Make the bindings of `parts` (slots, in the order Python evaluates them); each
        part before the last that binds is held as it is then."""
        last = max(k for k, part in enumerate(parts) if _binds(_get(part)))
        for k, part in enumerate(parts[:last + 1]):
            value = self.lift(_get(part))
            if k < last:
                value = self.held(value, called=part[1] == "func")
            _set(part, value)

    def lift(self, node):
        """`node`, its bindings made by statements in `before`: the name for `(y := e)`."""
        if not _binds(node):
            return node
        if isinstance(node, gast.NamedExpr):
            value = self.lift(node.value)
            target = _at(T.name(node.target.id, store=True), node.target)
            self.before.append(_at(T.assign(target, value), node))
            return _at(T.name(node.target.id), node)
        if isinstance(node, gast.BoolOp) and any(_binds(v) for v in node.values[1:]):
            return self.short_circuit(node)
        if isinstance(node, gast.IfExp) and (_binds(node.body) or _binds(node.orelse)):
            return self.branches(node)
        if isinstance(node, gast.Compare) and any(_binds(c) for c in node.comparators[1:]):
            self.refuse(node, "':=' in a later part of a chained comparison (evaluated only "
                              "where the parts before it hold)",
                        "compare two at a time with `and` between them, or assign on a "
                        "line of its own")
        if isinstance(node, _COMPREHENSIONS):
            self.refuse(node, "':=' inside a comprehension", "write the loop out: `ys = []`, "
                        "then `for v in xs:` with the assignment and `ys.append(...)` in "
                        "its body")
        self.lift_parts(_parts(node))
        return node

    def short_circuit(self, node):
        """`a and (y := b)` -> `r = a; if r: y = b; r = y` (`or`: `if r: pass; else: ...`):
        what Python evaluates, and binds, only where the values before decide nothing."""
        result = self.fresh()
        outer = self.before
        for k, value in enumerate(node.values):
            self.before.append(_at(T.assign(result, self.lift(value)), value))
            if k < len(node.values) - 1:
                inner = []
                test = _at(T.name(result), node)
                self.before.append(_at(gast.If(test=test, body=inner, orelse=[])
                                       if isinstance(node.op, gast.And) else
                                       gast.If(test=test, body=[gast.Pass()], orelse=inner),
                                       node))
                self.before = inner
        self.before = outer
        return _at(T.name(result), node)

    def branches(self, node):
        """`(y := b) if c else d` -> `if c: y = b; r = y; else: r = d`."""
        result = self.fresh()
        test = self.lift(node.test)
        outer = self.before
        arms = []
        for value in (node.body, node.orelse):
            self.before = []
            self.before.append(_at(T.assign(result, self.lift(value)), value))
            arms.append(self.before)
        self.before = outer
        self.before.append(_at(gast.If(test=test, body=arms[0], orelse=arms[1]), node))
        return _at(T.name(result), node)

    def held(self, node, called=False):
        """`node` as it is now, for reading after the bindings that follow: a constant, or
        a name those do not bind (Python reads its object all the same), or the function a
        call names (`np.sin`, `xs.append`), as it is; else a new name assigned it now. A
        slice, keyword or `*` part is held part by part."""
        if isinstance(node, gast.Constant) or isinstance(node, gast.Name) and (
                node.id not in self.bound) or called and _dotted_free(node, self.bound):
            return node
        if isinstance(node, (gast.Slice, gast.keyword, gast.Starred)):
            for part in _parts(node):
                _set(part, self.held(_get(part)))
            return node
        name = self.fresh()
        self.before.append(_at(T.assign(name, node), node))
        return _at(T.name(name), node)

    def fresh(self):
        name, k = "_part", 1
        while name in self.taken:
            k += 1
            name = f"_part{k}"
        self.taken.add(name)
        return name

    def refuse(self, node, what, hint):
        raise UnsupportedError(f"{what} is not supported by srcad", self.source.location(node),
                               hint=hint)


def _binds(node):
    """Whether expression `node` (or a list of them) holds a `:=` of the function's scope
    (not one in a lambda, which binds the lambda's names)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if type(node) is list:
            stack.extend(node)
        elif isinstance(node, gast.NamedExpr):
            return True
        elif isinstance(node, gast.AST) and not isinstance(node, gast.Lambda):
            stack.extend(getattr(node, field, None) for field in T.child_fields(type(node)))
    return False


def _dotted_free(node, bound):
    """Whether `node` is a name or dotted name (`np.linalg.norm`) whose first name is not
    in `bound`."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name) and node.id not in bound


def _statement_parts(stmt):
    """The parts of statement `stmt` that Python evaluates each time it runs it, in its
    order: slots `(node, field, index)` (index None for a field that holds one node)."""
    if isinstance(stmt, gast.Assign):
        return [(stmt, "value", None)] + [p for t in stmt.targets for p in _target_parts(t)]
    if isinstance(stmt, gast.AnnAssign):
        return [(stmt, "value", None)] + _target_parts(stmt.target) \
            if stmt.value is not None else []
    if isinstance(stmt, gast.AugAssign):
        return _target_parts(stmt.target) + [(stmt, "value", None)]
    if isinstance(stmt, gast.Delete):
        return [p for t in stmt.targets for p in _target_parts(t)]
    fields = {gast.Expr: ("value",), gast.Return: ("value",), gast.If: ("test",),
              gast.For: ("iter",), gast.Assert: ("test",), gast.Raise: ("exc", "cause")}
    return [(stmt, field, None) for field in fields.get(type(stmt), ())
            if getattr(stmt, field) is not None]


def _target_parts(target):
    """The parts of assignment target `target` that Python evaluates (`a` and `i` of
    `a[i] = v`), in its order."""
    if isinstance(target, (gast.Tuple, gast.List)):
        return [p for elt in target.elts for p in _target_parts(elt)]
    if isinstance(target, gast.Starred):
        return _target_parts(target.value)
    if isinstance(target, gast.Subscript):
        return [(target, "value", None), (target, "slice", None)]
    if isinstance(target, gast.Attribute):
        return [(target, "value", None)]
    return []


def _parts(node):
    """The parts of expression `node` that Python evaluates each time it evaluates `node`,
    in its order, as slots (see `_statement_parts`): not those of `and`/`or` but the first,
    a conditional expression's branches, a chained comparison's later comparisons, a
    comprehension's or a lambda's."""
    if isinstance(node, gast.Dict):           # (`{**d}`: no key)
        return [(node, field, k) for k in range(len(node.keys))
                for field in ("keys", "values") if getattr(node, field)[k] is not None]
    if isinstance(node, gast.BoolOp):
        return [(node, "values", 0)]
    if isinstance(node, gast.IfExp):
        return [(node, "test", None)]
    if isinstance(node, gast.Compare):
        return [(node, "left", None), (node, "comparators", 0)]
    if isinstance(node, _COMPREHENSIONS + (gast.Lambda,)):
        return []
    parts = []
    for field in T.child_fields(type(node)):
        value = getattr(node, field, None)
        if type(value) is list:
            parts += [(node, field, k) for k, item in enumerate(value) if item is not None]
        elif isinstance(value, gast.AST):
            parts.append((node, field, None))
    return parts


def _get(part):
    node, field, index = part
    value = getattr(node, field)
    return value if index is None else value[index]


def _set(part, value):
    node, field, index = part
    if index is None:
        setattr(node, field, value)
    else:
        getattr(node, field)[index] = value
