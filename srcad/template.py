"""`quote(src)` and `fill(template, **names)`: the one place that builds gast nodes.

Every other module writes code as Python text and lets this module turn it
into gast nodes, so a change in gast's node classes touches only this file::

    fill("vbar_x = vbar_x + g * y", vbar_x="vbar_0", g="vbar_2", y="v_m1")
"""

import ast
import functools
import keyword
import operator
import re
import textwrap

import gast

COMMENT_PREFIX = "#"


def quote(src):
    """Parse statements; returns a list of gast statements."""
    return clone(_parsed(src).body)


def quote_expr(src):
    """Parse one expression."""
    return clone(_parsed(src).body[0].value)


@functools.lru_cache(maxsize=1024)
def _parsed(src):
    """The module of `src`, parsed once per text; callers get copies, never this tree."""
    return parse(src)


def parse(src):
    """`gast.parse(src)`: Python's parser, then the ast tree made a gast tree in place (gast's
    own conversion goes through a generic NodeTransformer and builds a second tree, which
    took half the front end's time)."""
    return _to_gast(ast.parse(src))


def dedent(text):
    """`textwrap.dedent(text)` for Python code: the lines that go on a string literal
    (`\"\"\"ab` then `    cd\"\"\"`) are part of the string and keep their spaces, and do not
    count for the margin. (textwrap's took them off: a method's `len(s)` of such a string
    came out shorter, and its gradient wrong.)"""
    inside = _lines_inside_strings(text)
    if not inside:
        return textwrap.dedent(text)
    lines = text.splitlines(True)
    code = [line for k, line in enumerate(lines) if k not in inside and line.strip()]
    if not code:
        return text
    width = len(code[0]) - len(textwrap.dedent("".join(code)).splitlines(True)[0])
    return "".join(line if k in inside else line[width:] if line.strip() else
                   line.lstrip(" \t") for k, line in enumerate(lines))


def indent(text, prefix):
    """`textwrap.indent(text, prefix)` for Python code: the lines that go on a string
    literal keep their text (the string's value). (textwrap's makes a call per line, for
    the generated function's 1,500 lines.)"""
    inside = _lines_inside_strings(text)
    if not inside:
        return "".join(prefix + line if line.strip() else line
                       for line in text.splitlines(True))
    return "".join(line if k in inside or not line.strip() else prefix + line
                   for k, line in enumerate(text.splitlines(True)))


def _lines_inside_strings(text):
    """The indices of the lines of `text` that begin inside a string literal (none where
    the text has no string that may span lines: the usual case, found without a scan)."""
    if '"""' not in text and "'''" not in text and "\\\n" not in text:
        return set()
    inside = set()
    for match in _STRING_OR_COMMENT.finditer(text):
        start, end = match.span()
        if text[start] != "#" and "\n" in text[start:end]:
            first = text.count("\n", 0, start)
            inside.update(range(first + 1, first + 1 + text.count("\n", start, end)))
    return inside


# a comment or a string literal (its prefix aside): what Python's tokenizer reads as one
# token wherever it begins (a quote inside a comment is none, a `#` inside a string none)
_STRING_OR_COMMENT = re.compile("|".join([
    r"#[^\n]*",
    r'"""(?:\\.|[^\\])*?"""',
    r"'''(?:\\.|[^\\])*?'''",
    r'"(?:\\.|[^"\\\n])*"',          # (a backslash may carry it on to the next line)
    r"'(?:\\.|[^'\\\n])*'"]), re.S)


def _to_gast(node):
    """Ast `node`, a tree of its own, turned into the gast node `gast.ast_to_gast` makes of
    it (fields and positions): each node takes its gast class where it is, contexts and
    operators become the shared ones, and the few nodes gast spells otherwise change."""
    kind = type(node)
    state = node.__dict__
    if kind is ast.Name:
        node.__class__ = gast.Name
        state["ctx"] = _GAST_SHARED[type(state["ctx"])]
        state["annotation"] = None
        state["type_comment"] = None
        return node
    if kind is ast.arg:                 # gast: a Name in the Param context
        node.__class__ = gast.Name
        state["id"] = state.pop("arg")
        state["ctx"] = gast.Param()
        annotation = state.get("annotation")
        state["annotation"] = None if annotation is None else _to_gast(annotation)
        state.setdefault("type_comment", None)
        return node
    shared = _GAST_SHARED.get(kind)
    if shared is not None:
        return shared
    cls = _GAST_CLASSES.get(kind)
    if cls is None:
        return None
    node.__class__ = cls
    for field in kind._fields:
        value = state.get(field)
        if type(value) is list:
            state[field] = [_to_gast(v) if isinstance(v, ast.AST) else v for v in value]
        elif isinstance(value, ast.AST):
            state[field] = _to_gast(value)
    if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        state["type_params"] = []
    elif kind is ast.ExceptHandler and state.get("name"):     # gast: the name is a Name
        state["name"] = gast.Name(state["name"], gast.Store(), None, None)
    return node


_MISSING = object()
_GAST_CLASSES = {cls: getattr(gast, name) for name, cls in vars(ast).items()
                 if isinstance(cls, type) and issubclass(cls, ast.AST)
                 and isinstance(getattr(gast, name, None), type)}
# Contexts (`Load`, `Store`, ...) and operators (`Add`, `USub`, `Lt`, ...) have no fields
# and nothing changes one: trees share one node of each kind, as the trees Python's parser
# makes do, instead of one more object for every name and every operation.
_SHARED_KINDS = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
_SHARED = {cls: cls() for cls in vars(gast).values() if isinstance(cls, type)
           and issubclass(cls, _SHARED_KINDS) and cls not in _SHARED_KINDS}
_GAST_SHARED = {getattr(ast, cls.__name__): node for cls, node in _SHARED.items()}
_LOAD, _STORE, _DEL = _SHARED[gast.Load], _SHARED[gast.Store], _SHARED[gast.Del]
_LOAD_KIND, _STORE_KIND = gast.Load, gast.Store


def name(ident, store=False):
    """A gast Name node (load or store context): what `gast.Name(id=ident, ctx=...,
    annotation=None, type_comment=None)` makes, without its generic constructor (the
    commonest node, built thousands of times a transformation); the context is shared."""
    node = _NAME.__new__(_NAME)
    node.__dict__ = {"id": ident, "ctx": _STORE if store else _LOAD, "annotation": None,
                     "type_comment": None}        # (one dict made whole: no setattr each)
    return node


def new_node(cls, **fields):
    """`cls(**fields)` without gast's generic constructor, which takes three times as long:
    for the nodes built thousands of times a transformation. The node's dict is `fields`
    itself (a call's `**` parameter is always a new dict, the caller's never)."""
    new = cls.__new__(cls)
    new.__dict__ = fields
    return new


def constant(value):
    return new_node(gast.Constant, value=value, kind=None)


def sum_of(terms):
    """`a + b + ...` of expression nodes, left to right."""
    total = terms[0]
    for term in terms[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=term)
    return total


def comment(text):
    """A statement that codegen prints as a `# text` line."""
    return new_node(gast.Expr, value=constant(COMMENT_PREFIX + " " + text))


def is_comment(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str) and stmt.value.value.startswith(COMMENT_PREFIX))


def call(func, args, keywords=()):
    """A call node `func(*args, **keywords)`; `func` is source text, the rest nodes."""
    return new_node(gast.Call, func=_callee(func), args=list(args),
                    keywords=[new_node(gast.keyword, arg=k, value=v) for k, v in keywords])


def _callee(func):
    """`quote_expr(func)`, built directly where source text `func` is a name or a dotted
    name (`np.add`, the usual callee), with the fields and positions its parse gives: a
    call's function is made hundreds of times a transformation, and copying the parsed
    tree cost ten times as much."""
    parts = _dotted_parts(func)
    if parts is None:
        return quote_expr(func)
    end = len(parts[0])
    node = new_node(_NAME, id=parts[0], ctx=_LOAD, lineno=1, col_offset=0, end_lineno=1,
                    end_col_offset=end, annotation=None, type_comment=None)
    for attr in parts[1:]:
        end += 1 + len(attr)
        node = new_node(gast.Attribute, value=node, attr=attr, ctx=_LOAD, lineno=1,
                        col_offset=0, end_lineno=1, end_col_offset=end)
    return node


@functools.lru_cache(maxsize=1024)
def _dotted_parts(text):
    """The names of `text` when it is a name or dotted name (`a.b.c` -> ('a', 'b', 'c')),
    else None. ASCII only: the parser counts positions in bytes."""
    parts = tuple(text.split("."))
    if text.isascii() and all(part.isidentifier() and not keyword.iskeyword(part)
                              for part in parts):
        return parts
    return None


def tuple_of(elts, store=False):
    return new_node(gast.Tuple, elts=list(elts),
                    ctx=_STORE if store else _LOAD)


def assign(target, value):
    """`target = value`; `target` is a name (str) or a node."""
    if isinstance(target, str):
        target = name(target, store=True)
    return new_node(gast.Assign, targets=[target], value=value, type_comment=None)


def delete(names):
    """`del a, b, ...` for the names in `names` (strs)."""
    targets = []
    for ident in names:
        target = name(ident)
        target.ctx = _DEL
        targets.append(target)
    return new_node(gast.Delete, targets=targets)


def store(node):
    """A copy of `node` (a Name, Subscript or Tuple) in store context."""
    copy = clone(node)
    copy.ctx = _STORE
    if isinstance(copy, gast.Tuple):
        copy.elts = [store(e) for e in copy.elts]
    return copy


def load(node):
    copy = clone(node)
    if hasattr(copy, "ctx"):
        copy.ctx = _LOAD
    return copy


def clone(node):
    """A deep copy of a gast tree (or list of trees); much faster than copy.deepcopy.
    Every field of a node's class is set in the copy (None where the node has none).
    Contexts and operators are shared, not copied."""
    kind = type(node)
    if kind is list:
        return list(map(clone, node))
    if kind is _NAME:               # the commonest node, its fields spelled out
        return _clone_name(node, node.id)
    if not isinstance(node, gast.AST):
        return node
    return _copied(node, clone)


def _copied(node, copy, *args):
    """A new node of `node`'s class with its source position and fields, each node or list
    among them passed through `copy(value, *args)` but contexts and operators (shared); a
    field `node` lacks is None."""
    kind = type(node)
    old = node.__dict__
    state = old.copy()
    for field in _FIELDS.get(kind) or node._fields:
        value = old.get(field, _MISSING)
        if type(value) is list or (isinstance(value, _AST) and type(value) not in _SHARED):
            state[field] = copy(value, *args)
        elif value is _MISSING:
            state[field] = None
    new = kind.__new__(kind)        # (what `_made` does, without a call for every node)
    new.__dict__ = state
    return new


_AST = gast.AST
_FIELDS = {cls: cls._fields for cls in vars(gast).values()
           if isinstance(cls, type) and issubclass(cls, gast.AST)}


def _clone_name(node, ident):
    """A copy of Name `node` (what `clone` makes of it) whose id is `ident`."""
    state = node.__dict__.copy()
    state["id"] = ident
    state.setdefault("ctx", None)
    annotation = state.get("annotation")
    state["annotation"] = annotation if annotation is None else clone(annotation)
    state.setdefault("type_comment", None)
    new = _NAME.__new__(_NAME)      # (what `_made` does, without a call for every name)
    new.__dict__ = state
    return new


def name_nodes(tree):
    """Every Name node in `tree` (a node or a list), in no particular order: a fast,
    specialised walk (the commonest classes tested first, as module globals)."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is _NAME:
            found.append(node)
        elif kind is _ASSIGN:        # the commonest nodes of three-address code first
            stack.extend(node.targets)
            stack.append(node.value)
        elif kind is _BINOP:
            stack.append(node.left)
            stack.append(node.right)
        elif kind is _CALL:
            stack.append(node.func)
            stack.extend(node.args)
            if node.keywords:
                stack.extend(node.keywords)
        elif kind is _CONSTANT:
            pass
        elif kind in _VALUE_ONLY:
            stack.append(node.value)
        elif kind is list:
            stack.extend(node)
        else:
            for field in _CHILD_FIELDS.get(kind, ()):
                child = getattr(node, field, None)
                if child is not None:
                    stack.append(child)
    return found


# (a module global is one look-up, `gast.Name` two, for each node of the walk)
_NAME, _ASSIGN, _BINOP = gast.Name, gast.Assign, gast.BinOp
_CALL, _CONSTANT = gast.Call, gast.Constant
_VALUE_ONLY = {gast.Expr, gast.Attribute}      # classes whose one child field is `value`


def loaded_names(tree):
    """The id of every Name loaded in `tree`, repeats included (a list)."""
    return [node.id for node in name_nodes(tree) if type(node.ctx) is gast.Load]


_LEAF_FIELDS = ("ctx", "op", "ops", "id", "attr", "kind", "type_comment")


def _child_fields():
    """gast class -> the fields that may hold nodes (a context, an operator, an identifier
    or a constant's value holds none)."""
    fields = {}
    for value in vars(gast).values():
        if isinstance(value, type) and issubclass(value, gast.AST):
            fields[value] = tuple(f for f in value._fields if f not in _LEAF_FIELDS)
    fields[gast.Constant] = ()
    return fields


_CHILD_FIELDS = _child_fields()


def all_nodes(tree):
    """Every node of `tree` (a node or a list), parents before children in source order:
    what `gast.walk` finds, but contexts and operators, at a third of its cost."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if type(node) is list:
            stack.extend(reversed(node))
            continue
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:           # an identifier in a list (`global a, b`)
            continue
        found.append(node)
        for field in reversed(fields):
            child = getattr(node, field, None)
            if child is not None:
                stack.append(child)
    return found


def blocks(tree):
    """Every statement list in `tree` (bodies and else blocks), outer ones first."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                yield block
                # (a statement of a class without blocks has none to give: not looked at)
                todo.extend([stmt for stmt in block if type(stmt) in _WITH_BLOCKS])


_WITH_BLOCKS = frozenset(cls for cls in vars(gast).values() if isinstance(cls, type)
                         and issubclass(cls, gast.stmt)
                         and ("body" in cls._fields or "orelse" in cls._fields))


def child_fields(kind):
    """The fields of gast class `kind` that may hold nodes."""
    return _CHILD_FIELDS.get(kind, ())


def names_read(tree, into=None):
    """The set of names loaded in `tree` (added to `into` when given)."""
    into = set() if into is None else into
    into.update(loaded_names(tree))
    return into


def names_stored(tree):
    """The set of names stored in `tree` (assignment, loop and unpacking targets)."""
    return {node.id for node in name_nodes(tree) if type(node.ctx) is gast.Store}


def names_mentioned(tree):
    """The set of names loaded or stored in `tree`."""
    return set(map(_ID, name_nodes(tree)))


class Names:
    """The names in each statement, found once and kept while the statement stays as it
    is: the passes ask for the names of the same statements over and over.

    A simple statement's entry holds its Name nodes and the names it loads and stores, a
    loop's or branch's those of its header (test, iterable, target); the names of its
    blocks come from their statements' entries. A pass that changes a statement's names
    (`stmt.value = e`, `node.id = b`) calls `forget(stmt)`. `check` compares every entry
    with a fresh walk (the tests run it after every pass)."""

    def __init__(self):
        self._entries = _Entries()

    def own_nodes(self, stmt):
        """The Name nodes of a simple statement, or of a loop's or branch's header."""
        return self._entries[stmt][1]

    def header_loads(self, stmt):
        """The names loaded by a simple statement, or by a loop's or branch's header
        (repeats included; a list not to be changed)."""
        return self._entries[stmt][2]

    def header_stores(self, stmt):
        """The names stored by a simple statement, or by a loop's header (a list not to be
        changed)."""
        return self._entries[stmt][3]

    def nodes(self, stmt):
        """The Name nodes of `stmt`, its blocks included."""
        return self._part(stmt, 1)

    def loads(self, stmt):
        """The names loaded in `stmt`, repeats included (a list not to be changed)."""
        return self._part(stmt, 2)

    def loads_in(self, stmts):
        """The names loaded in the statements `stmts` (an iterable), repeats included: what
        `loads` gives for each, in one list (without two calls a statement)."""
        entries = self._entries
        found = []
        for stmt in stmts:
            found.extend(self._gather(stmt, 2) if type(stmt) in _COMPOUND
                         else entries[stmt][2])
        return found

    def reads(self, stmt):
        """The set of names loaded in `stmt`."""
        return set(self._part(stmt, 2))

    def stores(self, stmt):
        """The set of names stored in `stmt`."""
        return set(self._part(stmt, 3))

    def mentioned(self, stmt):
        """The set of names loaded or stored in `stmt`."""
        return set(map(_ID, self._part(stmt, 1)))

    def _part(self, stmt, part):
        """Part `part` of `stmt`'s entry, gathered from its blocks too for a loop or branch
        (a simple statement's, the commonest, without a second call)."""
        if type(stmt) in _COMPOUND:
            return self._gather(stmt, part)
        return self._entries[stmt][part]

    def _gather(self, stmt, part):
        found = list(self._entries[stmt][part])
        for block in (stmt.body, stmt.orelse):
            for inner in block:      # a simple statement's own entry holds all its names
                if type(inner) in _COMPOUND:
                    found.extend(self._gather(inner, part))
                else:
                    found.extend(self._entries[inner][part])
        return found

    def forget(self, stmt):
        """`stmt` now holds other names than when they were found."""
        self._entries.pop(stmt, None)

    def check(self):
        """Every entry still lists exactly the names its statement holds."""
        for stmt, nodes, loads, stores in self._entries.values():
            _, fresh, fresh_loads, fresh_stores = _Entries()[stmt]
            assert sorted(map(id, fresh)) == sorted(map(id, nodes)) \
                and sorted(fresh_loads) == sorted(loads) \
                and sorted(fresh_stores) == sorted(stores), \
                f"stale names: {gast.dump(stmt)[:200]}"


class _Entries(dict):
    """stmt -> (stmt, its Name nodes, loads, stores), each found on the first look-up (in
    `__missing__`: a look-up that finds its entry runs no Python code). Nodes hash and
    compare by identity, so a statement is its own key."""

    def __missing__(self, stmt):
        """`stmt`'s entry, found now (here, not in a function of its own: a call fewer
        for each statement of the derivative; `_Entries()[stmt]` finds one afresh)."""
        nodes = name_nodes(header(stmt) if type(stmt) in _COMPOUND else stmt)
        loads, stores = [], []
        for node in nodes:
            kind = type(node.ctx)
            if kind is _LOAD_KIND:
                loads.append(node.id)
            elif kind is _STORE_KIND:
                stores.append(node.id)
        entry = self[stmt] = stmt, nodes, loads, stores
        return entry


_ID = operator.attrgetter("id")


LOOPS_AND_BRANCHES = (gast.If, gast.For, gast.While)
_COMPOUND = frozenset(LOOPS_AND_BRANCHES)     # (`in` a set: no comparison of classes)


def header(stmt):
    """The parts of a compound statement outside its blocks (test, iterable, target)."""
    return [getattr(stmt, f) for f in ("test", "iter", "target") if hasattr(stmt, f)]


def shell(stmt, **blocks):
    """A copy of a compound statement (if/for/while) with new blocks and a copied header."""
    new = stmt.__class__.__new__(stmt.__class__)
    for field in stmt._fields:
        value = blocks[field] if field in blocks else getattr(stmt, field, None)
        setattr(new, field, value if field in blocks else clone(value))
    return new


def substitute(tree, names):
    """A copy of `tree` with Name nodes whose id is a key of `names` replaced:
    str values rename, node values are spliced in (copied)."""
    kind = type(tree)
    if kind is list:
        return [substitute(t, names) for t in tree]
    if kind is gast.Name:
        return _substituted_name(tree, names)
    if not isinstance(tree, gast.AST):
        return tree
    return _copied(tree, substitute, names)


def _substituted_name(node, names):
    """What `substitute` makes of Name `node`."""
    if node.id not in names:
        return _clone_name(node, node.id)
    value = names[node.id]
    is_store = isinstance(node.ctx, gast.Store)
    if isinstance(value, str):
        return name(value, store=is_store)
    return store(value) if is_store else clone(value)


def substituter(tree):
    """A function `build(names)` that returns `substitute(tree, names)`, about twice as fast:
    Python code that builds the copy node by node, compiled once. For the expressions of
    rule templates, substituted thousands of times a transformation.

        substituter(g * np.cos(x)) ->
        def build(names):
            return _make(_1, {**_1s, 'left': _name(_2, names), 'op': _make(_3, {**_3s}),
                              'right': _make(_4, {**_4s, 'func': ..., 'args': [...], ...})})
    """
    scope = {"_make": _made, "_name": _substituted_name}
    code = _building_code(tree, scope)
    exec(f"def build(names):\n    return {code}\n", scope)
    return scope["build"]


def _building_code(value, scope):
    """Python expression that builds what `substitute(value, names)` returns; the objects it
    refers to are added to `scope`."""
    if type(value) is list:
        return "[" + "".join(_building_code(v, scope) + ", " for v in value) + "]"
    key = f"_{len(scope)}"
    scope[key] = value
    if type(value) is gast.Name:
        return f"_name({key}, names)"
    if not isinstance(value, gast.AST):
        return key
    kind = type(value)
    fields = _FIELDS.get(kind) or value._fields
    state = value.__dict__
    children = {f: v for f, v in state.items() if f in fields and (
        type(v) is list or (isinstance(v, gast.AST) and type(v) not in _SHARED))}
    fixed = {f: v for f, v in state.items() if f not in children}
    fixed.update({f: None for f in fields if f not in state})
    scope[key] = kind
    scope[key + "s"] = fixed
    return f"_make({key}, {{**{key}s" + "".join(
        f", {f!r}: {_building_code(v, scope)}" for f, v in children.items()) + "})"


def _made(kind, state):
    """A node of class `kind` whose fields and position are the new dict `state`."""
    new = kind.__new__(kind)
    new.__dict__ = state
    return new


def map_calls(tree, replace):
    """`tree` with every Call node replaced by `replace(call)`, innermost calls first
    (`replace` may return the call itself). Edits `tree` in place."""
    kind = type(tree)
    for field in _CHILD_FIELDS.get(kind, tree._fields):   # skips contexts, operators, ids
        child = getattr(tree, field, None)
        if type(child) is list:
            for k, item in enumerate(child):
                if isinstance(item, gast.AST):
                    child[k] = map_calls(item, replace)
        elif isinstance(child, gast.AST):
            setattr(tree, field, map_calls(child, replace))
    return replace(tree) if kind is gast.Call else tree


def fill(template, **names):
    """Parse `template` and substitute names: str values rename, node values splice."""
    return substitute(_parsed(template).body, names)


def fill_expr(template, **names):
    return substitute(_parsed(template).body[0].value, names)


def source_of(node):
    """Short source text of a gast node, for messages."""
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(clone(node))))


def index_expr(index):
    """An index (slices included) as an expression that can be passed to a helper."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else constant(None)
                 for p in (index.lower, index.upper, index.step)]
        return call("slice", parts)
    if isinstance(index, gast.Tuple):
        return tuple_of([index_expr(e) for e in index.elts])
    return index


def item_held(container, key):
    """`(key, what container[key] holds)`, for a list, tuple or dict `container` and a
    `key` node written as a constant ("g", 0, -1): a function held in a module-level
    container that a call reads (`D["g"](x)`); None otherwise."""
    if isinstance(key, gast.UnaryOp) and isinstance(key.op, gast.USub) \
            and isinstance(key.operand, gast.Constant) and type(key.operand.value) is int:
        key = -key.operand.value
    elif isinstance(key, gast.Constant) and type(key.value) in (int, str):
        key = key.value
    else:
        return None
    if type(container) is dict and key in container:
        return key, container[key]
    if type(container) in (list, tuple) and type(key) is int \
            and -len(container) <= key < len(container):
        return key, container[key]
    return None
