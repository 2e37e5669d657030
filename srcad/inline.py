"""Local functions, inlined where they are called: the first step of normalising a user
function's tree (`inline_local_functions`, before `normalise` reads it).

    def energy(x, k):                        def energy(x, k):
        spring = lambda d: 0.5 * k * d * d       spring__1 = 0.5 * k * x * x
        return spring(x) + spring(x - 1.0)  ->   d__2 = x - 1.0
                                                 spring__2 = 0.5 * k * d__2 * d__2
                                                 return spring__1 + spring__2

A local function is a `lambda` assigned to a name, or a `def` (no decorators) whose body
assigns names and ends with `return <expression>`, at the top level of the function. It
takes positional or named arguments, defaults too (not `*args`). Its name is bound
once and only ever called. Its defaults are computed where it is defined, as Python
computes them (`k=x * 2` reads x there), each into a name of its own that a call leaving
the parameter out passes. Each call runs its body right before the statement that makes
it, with its parameters and names renamed for that call: what it reads of the enclosing
function is what that function holds then, as Python's late binding reads it.

Calls where the statement may not evaluate them (`a if c else f(x)`, `c and f(x)`, a
comprehension, a `while` condition) are refused: inlining would run them always, or
once only.

The second kind: a function of the same module called as a statement for what it changes
(`apply_bc(u)`, its value unused), inlined there with the caller's names standing for
its parameters, so that `u[0] = 0.0` in it writes into the caller's u as Python does
(`_Helper` says which). Its nodes are placed inside the call's statement, in their own
order, for the checks that read positions; messages show their own lines (`srcad_at`,
`srcad_source`). Fresh names keep clear of every name of the module and of the caller."""

import itertools

import gast

from . import template as T
from .errors import UnsupportedError

_DEFINITIONS = (gast.Lambda, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)
# (expressions whose parts Python may evaluate, or not, or many times)
_CONDITIONAL = (gast.IfExp, gast.BoolOp, gast.ListComp, gast.SetComp, gast.DictComp,
                gast.GeneratorExp, gast.Lambda)


class _Local:
    """A local function: its parameters, its body's assignments and the returned value."""

    def __init__(self, name, params, body, value, node, defaults=()):
        self.name, self.params, self.body, self.value, self.node = \
            name, params, body, value, node
        # the default values, of the last parameters: {parameter: expression}, and then
        # {parameter: the name that holds its value} (`_Inliner.block` sets it)
        self.defaults = dict(zip(params[len(params) - len(defaults):], defaults))
        self.default_names = {}
        assigned = {n.id for stmt in body for n in T.name_nodes(stmt.targets)}
        self.rebinds = set(params) & assigned      # (bound to a copy, not substituted)
        self.locals = set(params) | assigned
        # (comprehension variables too: a caller's name there would be theirs)
        self.stored = {n.id for n in T.name_nodes(body + [value])
                       if not isinstance(n.ctx, gast.Load)}


def inline_local_functions(source, reserved, helper=None):
    """Inline the local functions of `source.tree` (a FunctionSource's) at their calls, in
    place. `reserved(name)`: whether srcad keeps `name` for itself (v_1, add_at, ...).
    `helper(name)`: the FunctionSource of the function of the user's that a statement
    `name(...)` calls, where it may be inlined there (`_Helper`), else None."""
    tree = source.tree
    found = {}
    for stmt in tree.body:
        local = _local_function(stmt)
        if local is not None:
            found[local.name] = local
    statement_calls = helper is not None and any(
        name is not None and helper(name) is not None
        for block in T.blocks(tree) for name in map(_called_name, block))
    if not found and not statement_calls:
        return
    nodes = T.all_nodes(tree)
    called = {id(node.func) for node in nodes if isinstance(node, gast.Call)}
    for node in nodes:
        name = getattr(node, "id", None)
        local = found.get(name)
        if local is None or type(node) is not gast.Name or _defines(local, node):
            continue
        if not isinstance(node.ctx, gast.Load) or id(node) not in called:
            del found[name]            # (rebound or passed on: `lambda` is refused there)
    for local in list(found.values()):   # (calls of itself: never done)
        inner = T.all_nodes(local.body + [local.value])
        if any(getattr(n, "id", None) == local.name or isinstance(n, _DEFINITIONS)
               for n in inner):
            del found[local.name]
    if not found and not statement_calls:
        return
    # (fresh names keep clear of every name of the module: a helper inlined later may
    # read any of them)
    names = {node.id for node in nodes if type(node) is gast.Name} | set(source.fn.__globals__)
    inliner = _Inliner(source, found, names, reserved)
    if statement_calls:
        args = tree.args
        inliner.helper = helper
        inliner.caller_locals = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs
                                 + [a for a in (args.vararg, args.kwarg) if a is not None]} \
            | {n.id for n in nodes if type(n) is gast.Name and not isinstance(n.ctx, gast.Load)} \
            | {n.name for n in nodes if n is not tree and isinstance(n, _DEFINITIONS[1:])} \
            | set(source.fn.__code__.co_freevars)       # (a closure's own names)
    inliner.block(tree.body)
    for node in T.all_nodes(tree):          # (an `assert`'s message, a `raise`)
        if type(node) is gast.Name and node.id in found:
            raise UnsupportedError(f"a call of the local function '{node.id}' here",
                                   source.location(node),
                                   hint="call it in a statement of its own, or define it "
                                        "at module level")


def _local_function(stmt):
    """The _Local that `stmt` defines, or None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Lambda):
        lam = stmt.value
        params = _plain_params(lam.args, defaults=True)
        return None if params is None else _Local(stmt.targets[0].id, params, [], lam.body,
                                                  stmt, lam.args.defaults)
    if not isinstance(stmt, gast.FunctionDef) or stmt.decorator_list:
        return None
    params = _plain_params(stmt.args, defaults=True)
    body = stmt.body
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]                  # docstring
    body = [gast.copy_location(T.assign(s.target, s.value), s)     # `u: float = 2.0 * t`
            if isinstance(s, gast.AnnAssign) and s.value is not None and s.simple else s
            for s in body]
    if params is None or not body or not isinstance(body[-1], gast.Return) \
            or body[-1].value is None or not all(
                isinstance(s, gast.Assign) and all(isinstance(n, gast.Name) for t in s.targets
                                                   for n in _target_names(t))
                for s in body[:-1]):
        return None
    return _Local(stmt.name, params, body[:-1], body[-1].value, stmt, stmt.args.defaults)


def _plain_params(args, defaults=False):
    """The parameter names of `args` if they are plain (no *args, keyword-only; no
    defaults but where `defaults`)."""
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs \
            or args.defaults and not defaults:
        return None
    return [a.id for a in args.args]


def _target_names(target):
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    return [target]


def _defines(local, node):
    """Whether Name `node` is the name that `local`'s definition binds."""
    return isinstance(local.node, gast.Assign) and node is local.node.targets[0]


def _called_name(stmt):
    """`h` of a statement `h(...)`, else None."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
        return call.func.id
    return None


class _Helper:
    """A function of the user's that a statement `h(u, ...)` calls for what it changes (its
    value unused), inlined there: its body, its parameters standing for the caller's names,
    so that `u[0] = 0.0` in it writes into the caller's u, as Python does.

    Only a plain one: positional parameters without defaults, none of them bound again in
    it (`p = ...`, `p += ...`: for a number the caller's name would change), no `return`
    but a last one without a value, no definitions, `global`, `try` or `with`, and reading
    no module name that the caller binds as its own."""

    def __init__(self, source):
        self.source = source
        tree = source.tree
        self.params = _plain_params(tree.args)
        body = tree.body
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            body = body[1:]                  # docstring
        if body and isinstance(body[-1], gast.Return) and body[-1].value is None:
            body = body[:-1]
        self.body = body
        nodes = T.all_nodes(body)
        # a comprehension's variables are its own (`[u[i] for i in ...]` next to the
        # module's `i`): not renamed, and no caller's name stands in for a parameter there
        self.scoped = {n.id for c in nodes if isinstance(c, gast.comprehension)
                       for n in T.name_nodes(c.target)}
        stored = {n.id for n in nodes if type(n) is gast.Name
                  and not isinstance(n.ctx, gast.Load)} - self.scoped
        self.locals = stored - set(self.params or ())
        self.names = {n.id for n in nodes if type(n) is gast.Name}
        # (a name a comprehension binds may be the module's outside it: free too)
        self.free = {n.id for n in nodes if type(n) is gast.Name
                     and isinstance(n.ctx, gast.Load)} - stored - set(self.params or ())
        self.plain = self.params is not None and bool(body) and not (
            (stored | self.scoped) & set(self.params)
            or any(isinstance(n, _NOT_IN_HELPERS) for n in nodes))


_NOT_IN_HELPERS = (gast.Return, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef,
                   gast.Lambda, gast.Global, gast.Nonlocal, gast.Try, gast.With,
                   gast.Yield, gast.YieldFrom, gast.Await, gast.Delete)


class _Inliner:
    helper = None           # (see inline_local_functions)
    caller_locals = frozenset()

    def __init__(self, source, found, taken, reserved):
        self.source = source
        self.found = found
        self.taken = taken
        self.reserved = reserved
        self.count = itertools.count(1)
        self.defined = set()     # the local functions defined before the statement at hand
        self.definitions = {id(local.node): name for name, local in found.items()}
        self.helpers = {}        # name -> the _Helper a statement `name(...)` inlines, or None
        # inlined names -> what the user wrote (`a__1` -> `a`): what messages call them
        self.written = source.record_fields = getattr(source, "record_fields", None) or {}

    def block(self, block, depth=0):
        """Inline the calls in `block`'s statements (and in the blocks they hold); `depth`:
        how many inlined bodies hold it."""
        if depth > 20:
            raise UnsupportedError("calls that srcad inlines (local functions, or functions "
                                   "called for what they change) nested more than 20 "
                                   "deep: a recursion",
                                   self.source.location(block[0]) if block else None,
                                   hint="write the recursion as a loop, or let the function "
                                        "return its value and assign it")
        out = []
        for stmt in block:
            if id(stmt) in self.definitions:        # (at the top level: it goes)
                name = self.definitions[id(stmt)]
                self.defined.add(name)
                out.extend(self._defaults(self.found[name], stmt, depth))
                continue
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and isinstance(stmt, gast.stmt):
                    self.block(inner, depth)
            out.extend(self.statement(stmt, depth))
        block[:] = out

    def statement(self, stmt, depth):
        """The statements that replace `stmt`: its calls' bodies, then itself."""
        if depth > 20:
            raise UnsupportedError("calls that srcad inlines (local functions, or functions "
                                   "called for what they change) nested more than 20 "
                                   "deep: a recursion",
                                   self.source.location(stmt),
                                   hint="write the recursion as a loop, or let the function "
                                        "return its value and assign it")
        name = _called_name(stmt) if self.helper is not None else None
        if name is not None and name not in self.found and name not in self.caller_locals:
            inlined = self._helper_call(stmt, name, depth)
            if inlined is not None:
                return inlined
        if isinstance(stmt, gast.While):
            parts = []
            self._refuse_calls(stmt.test, "a call of the local function '{}' in a while "
                               "condition (Python makes it before every turn)",
                               "compute the value into a variable before the loop and "
                               "again at the end of its body")
        elif isinstance(stmt, gast.For):
            parts = [stmt.iter]                      # (the target is bound each time)
        else:
            parts = [getattr(stmt, f) for f in ("targets", "target", "value", "test")
                     if isinstance(getattr(stmt, f, None), (gast.AST, list))]
        before = []
        for part in parts:
            for node in T.all_nodes(part):
                if isinstance(node, _CONDITIONAL):
                    self._refuse_calls(node, "a call of the local function '{}' that Python "
                                       "may not make, or make several times (in a "
                                       "conditional expression, `and`/`or` or a "
                                       "comprehension)", "call it in a statement of its "
                                       "own, or define it at module level")
            before.extend(self._inline_calls(stmt, part, depth))
        return before + [stmt]

    def _defaults(self, local, stmt, depth):
        """The statements that compute `local`'s defaults where its definition `stmt` is,
        each into a name of its own (Python computes them once, there: `k=x * 2` reads the
        x of then, whatever x holds at a call)."""
        out = []
        for param, value in local.defaults.items():
            name = local.default_names[param] = self._fresh(f"{local.name}__{param}", param)
            out.extend(self.statement(gast.copy_location(T.assign(name, T.clone(value)),
                                                         value), depth))
        return out

    def _refuse_calls(self, tree, message, hint):
        for node in T.all_nodes(tree):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                    and node.func.id in self.found:
                raise UnsupportedError(message.format(node.func.id),
                                       self.source.location(node), hint=hint)

    def _inline_calls(self, stmt, part, depth):
        """Statements computing the calls of local functions in expression `part` (which
        each call is replaced in by the name of its value), in the order Python makes
        them: arguments first, left to right."""
        calls = [n for n in _after_their_parts(part) if isinstance(n, gast.Call)
                 and isinstance(n.func, gast.Name) and n.func.id in self.found]
        if calls and any(isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
                         and n.func.attr == "pop" for n in T.all_nodes(part)):
            raise UnsupportedError(
                f"a call of the local function '{calls[0].func.id}' in a statement that "
                "also pops from a list", self.source.location(calls[0]),
                hint="pop into a variable in a statement of its own first")
        before = []
        for call in calls:
            name = call.func.id
            if name not in self.defined:
                raise UnsupportedError(
                    f"a call of the local function '{name}' before its definition "
                    "(Python raises an error there)", self.source.location(call),
                    hint=f"define {name} before the statement that calls it")
            k = next(self.count)
            body, result = self._instance(self.found[name], call, k, stmt)
            for node in T.all_nodes(body):
                _placed_at(node, stmt)
            for s in body:
                before.extend(self.statement(s, depth + 1))
            _replace(stmt, part, call, result)
        return before

    def _helper_call(self, stmt, name, depth):
        """The statements of helper `name`'s body for statement `stmt` (`name(...)`), or None
        where it is not one to inline (`_Helper`)."""
        if name not in self.helpers:
            source = self.helper(name)
            self.helpers[name] = None if source is None else _Helper(source)
        helper = self.helpers[name]
        if helper is None:
            return None
        source = helper.source
        call = stmt.value
        if not helper.plain or helper.free & self.caller_locals:
            return None
        passed = _passed(helper.params, call)
        if passed is None:
            return None
        self.taken |= helper.names          # (fresh names keep clear of the helper's own)
        k = next(self.count)
        renamed, body = {}, []
        for p, arg in passed:                 # (in the call's order, as Python reads them)
            if isinstance(arg, gast.Name) and arg.id not in helper.scoped:
                renamed[p] = arg.id               # (the caller's own name: its object)
                continue
            renamed[p] = self._fresh(f"{p}__{k}", p)
            body.append(at_call(T.assign(renamed[p], arg), call))
        for q in helper.locals:
            renamed[q] = self._fresh(f"{q}__{k}", q)
        inlined = []
        for s in helper.body:
            copy = _renamed(s, renamed)
            for node in T.all_nodes(copy):
                node.srcad_source = source      # (its messages: the helper's own lines)
            inlined.append(copy)
        # placed inside the call's statement, in the helper's own order: what reads
        # positions (a read after a write into a shared array) sees them where they run
        _place_within(inlined, stmt)
        out = body + inlined
        self.block(out, depth + 1)
        return out

    def _instance(self, local, call, k, stmt):
        """(the statements of `local`'s body for call `call`, the name of its value)."""
        args = self._bound(local, call)
        renamed = {}
        body = []
        for p in local.params:
            arg = args[p]
            if isinstance(arg, gast.Name) and p not in local.rebinds \
                    and arg.id not in local.stored:
                renamed[p] = arg.id               # (read only: the caller's own name)
                continue
            renamed[p] = self._fresh(f"{p}__{k}", p)
            body.append(gast.copy_location(T.assign(renamed[p], arg), call))
        for q in local.locals - set(local.params):
            renamed[q] = self._fresh(f"{q}__{k}", q)
        for s in local.body:
            body.append(_renamed(s, renamed))
        result = self._fresh(f"{local.name}__{k}", f"{local.name}(...)")
        value = _renamed(local.value, renamed)
        where = local.value if hasattr(local.value, "lineno") else call
        body.append(gast.copy_location(T.assign(result, value), where))
        return body, result

    def _bound(self, local, call):
        name = local.name
        if any(isinstance(a, gast.Starred) for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            raise UnsupportedError(f"'*' or '**' in a call of the local function '{name}'",
                                   self.source.location(call),
                                   hint="pass the arguments one by one")
        args = dict(zip(local.params, call.args))
        for keyword in call.keywords:
            if keyword.arg not in local.params or keyword.arg in args:
                args = None
                break
            args[keyword.arg] = keyword.value
        if args is not None:
            for param, default in local.default_names.items():
                args.setdefault(param, gast.copy_location(T.name(default), call))
        if args is None or len(call.args) > len(local.params) \
                or set(args) != set(local.params):
            raise UnsupportedError(
                f"this call of the local function '{name}' does not match its parameters "
                f"({', '.join(local.params)})", self.source.location(call),
                hint="pass one value for each parameter, by position or by name")
        return args

    def _fresh(self, name, written):
        """A name for the inlined copy of what the user wrote as `written` (a parameter, a
        local, a call's value), which srcad's messages call it (`record_fields`)."""
        while name in self.taken or self.reserved(name):
            name = "_" + name if self.reserved(name) else name + "_"
        self.taken.add(name)
        self.written[name] = written
        return name


def _after_their_parts(tree):
    """The nodes of `tree`, each after the nodes in it, left to right (Python's order of
    evaluation for calls: arguments first)."""
    out = []
    todo = [(tree, False)]
    while todo:
        node, done = todo.pop()
        if done:
            out.append(node)
            continue
        if type(node) is list:
            todo.extend((item, False) for item in reversed(node))
            continue
        if not isinstance(node, gast.AST):
            continue
        todo.append((node, True))
        for field in reversed(T.child_fields(type(node))):
            child = getattr(node, field, None)
            if child is not None:
                todo.append((child, False))
    return out


def _placed_at(node, stmt):
    """Give `node` (of a local function's body) the position of `stmt`, which makes the call:
    its code runs there, and what reads a position (is a name read after a write into an
    array it shares?) must see it there; messages show its own line (`written_at`)."""
    if getattr(node, "srcad_at", None) is None and hasattr(node, "lineno"):
        node.srcad_at = (node.lineno, node.col_offset)
    for field in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(node, field):
            setattr(node, field, getattr(stmt, field))


def at_call(node, call):
    """`node`, made for `call`, at its position, and told at its line (the call may be in
    an inlined body: `srcad_at`, `srcad_source`)."""
    gast.copy_location(node, call)
    for attr in ("srcad_at", "srcad_source"):
        if hasattr(call, attr):
            setattr(node, attr, getattr(call, attr))
    return node


def _passed(params, call):
    """`[(parameter, argument)]` of `call` in the order Python reads the arguments, where
    they bind each of `params` once (by position or name); else None."""
    if any(isinstance(a, gast.Starred) for a in call.args) or len(call.args) > len(params) \
            or any(k.arg is None for k in call.keywords):
        return None
    passed = list(zip(params, call.args)) + [(k.arg, k.value) for k in call.keywords]
    if sorted(p for p, _ in passed) != sorted(params):
        return None
    return passed


def _place_within(stmts, stmt):
    """Give the nodes of `stmts` (a helper's body) positions inside `stmt`, which calls it,
    in the body's own order (line, then column): the checks that read positions (is a
    name read after a write into an array it shares?) see them where they run, a helper's
    inside another's within the other's statement. Messages show their own lines
    (`written_at`)."""
    nodes = [n for n in T.all_nodes(stmts) if getattr(n, "lineno", None) is not None]
    for node in nodes:
        if getattr(node, "srcad_at", None) is None:
            node.srcad_at = (node.lineno, node.col_offset)
            node.srcad_end = (getattr(node, "end_lineno", None) or node.lineno,
                              getattr(node, "end_col_offset", None) or node.col_offset)
    if not nodes:
        return
    first = min(n.srcad_at[0] for n in nodes)

    def key(line, col):
        return (line - first) * 10_000 + col + 1

    ends = [getattr(n, "srcad_end", n.srcad_at) for n in nodes]
    span = max(key(*end) for end in ends) + 1
    start = stmt.col_offset
    end = getattr(stmt, "end_col_offset", None)
    width = end - start if end is not None and stmt.end_lineno == stmt.lineno else 1.0
    for node, end in zip(nodes, ends):
        node.lineno = node.end_lineno = stmt.lineno
        node.col_offset = start + width * key(*node.srcad_at) / span
        node.end_col_offset = start + width * key(*end) / span


def _renamed(node, renamed):
    """A copy of `node` with its Name nodes renamed by `renamed` (names it lacks stay)."""
    copy = T.clone(node)
    for name in T.name_nodes(copy):
        if name.id in renamed:
            name.id = renamed[name.id]
    return copy


def _replace(stmt, part, old, new_name):
    """Replace node `old` (in `part`, a field of `stmt`) by a load of `new_name`."""
    new = gast.copy_location(T.name(new_name), old)
    for holder in [stmt] + T.all_nodes(part):
        for field in T.child_fields(type(holder)):
            value = getattr(holder, field, None)
            if value is old:
                setattr(holder, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[[id(item) for item in value].index(id(old))] = new
                return
