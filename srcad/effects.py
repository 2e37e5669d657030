"""What a user function may change in place, read from its source.

srcad differentiates the functions it can read; a function it cannot (an attribute set on
an object, `d.update(...)`, `try`) may still be called where its result does not matter
to the derivative (`_ = put(box, w)`), and its changes to its arguments' objects or to
module-level values then reach values that do. A function it can read may change them
through calls (`np.copyto(b, w)`, `out=`, `b.fill(0.0)`, a helper of its own).
`changes(fn)` reads fn's source without normalising it and answers conservatively: every
parameter whose object it may change, and "" where it may change a value outside it
(`changed_outside(fn)` names those values).

    def put(obj, w):                    changes(put) == {"obj": "'obj.v = ...'"}
        obj.v = w * 2.0
        return 0.0

A parameter's object may be reached through other names (`q = p.items`, `for row in p`,
`box = [p]`): those names are followed, and so are names bound to module-level values
(`buf = BUF`). Calls of NumPy and math functions change nothing but their `out` (by
keyword or position) and the first argument of np.copyto and its kind; methods that
leave their object as it is change nothing of a local value; a call of a user function
passes on what that function changes; anything else called may change what it gets.
"""
import ast
import builtins
import dataclasses
import inspect
import logging
import math
import types

import gast
import numpy as np

from . import source
from . import template as T
from .normalise import _VIEW_FUNCTIONS, _dataclass_fields

# methods that leave their object as it is (arrays, lists, dicts, strings), and the
# position of their `out` where they take one
_KEEPING_METHODS = {
    "copy": None, "sum": 2, "mean": 2, "std": 2, "var": 2, "min": 1, "max": 1, "prod": 2,
    "dot": 1, "reshape": None, "ravel": None, "flatten": None, "transpose": None,
    "swapaxes": None, "squeeze": None, "astype": None, "tolist": None, "item": None,
    "all": 1, "any": 1, "argmax": 1, "argmin": 1, "argsort": None, "cumsum": 2,
    "cumprod": 2, "diagonal": None, "nonzero": None, "round": 1, "conj": None,
    "conjugate": None, "trace": 4, "view": None, "get": None, "keys": None, "values": None,
    "items": None, "index": None, "count": None, "startswith": None, "endswith": None,
    "format": None, "join": None, "split": None, "strip": None, "lower": None,
    "upper": None, "replace": None, "clip": 2, "repeat": None, "take": 2, "compress": 2,
    "searchsorted": None, "__len__": None, "__getitem__": None, "__contains__": None}
# NumPy functions that write into their first argument
_WRITING_FUNCTIONS = frozenset({"copyto", "put", "putmask", "place", "fill_diagonal",
                                "put_along_axis", "shuffle"})
_KEEPING_BUILTINS = frozenset({
    "len", "sum", "min", "max", "abs", "float", "int", "bool", "range", "enumerate", "zip",
    "isinstance", "print", "list", "tuple", "dict", "set", "sorted", "reversed", "any",
    "all", "repr", "str", "round", "type", "hasattr", "id", "divmod", "pow", "iter",
    "next", "format", "hash", "callable", "complex", "issubclass", "ord", "chr", "bin",
    "hex", "oct", "ascii", "slice", "frozenset", "bytes"})
# builtins that make a new object from their arguments' values (numbers, copies)
_NEW_BUILTINS = frozenset({"len", "sum", "abs", "float", "int", "bool", "range", "repr",
                           "str", "round", "hash", "ord", "chr", "divmod", "pow", "complex",
                           "isinstance", "callable", "hasattr", "id", "format"})
# builtins whose result is a new container holding their argument's items (`list(xs)`)
_NEW_CONTAINERS = frozenset({"list", "tuple", "dict", "sorted"})
_OUTSIDE = ""          # what stands for values outside the function
# modules whose functions change no value a numeric function reads (clocks, logs)
_HARMLESS_MODULES = frozenset({"time", "logging", "warnings", "datetime"})
# methods that change their object (lists, dicts, sets, arrays)
_CHANGING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
    "popitem", "add", "discard", "fill", "sort", "reverse", "resize", "put", "itemset",
    "__setitem__", "__delitem__", "__iadd__", "__imul__"})


def changes(fn):
    """`{parameter: how}` for what user function `fn` may change in place, "" standing
    for values outside it; None where its source cannot be read."""
    scan = _scan(fn, set())
    return None if scan is None else scan[0]


def definite_changes(fn, changed_of):
    """What `changes` finds where it knows the call that changes (np.copyto(b, w), `out=`,
    a list's append, a user function that does: `changed_of(callee)` says what), and the
    writes through a name bound to a module-level value (`buf = BUF; buf[0] = ...`), not
    the calls it knows nothing of: srcad's normalisation finds the rest of what a function
    it can read changes."""
    scan = _scan(fn, set(), definite=changed_of)
    return None if scan is None else scan[0]


def changed_outside(fn):
    """The names of the values outside `fn` that it may change (None: one it cannot name,
    or its source cannot be read)."""
    scan = _scan(fn, set())
    return None if scan is None else scan[1]


_SCANS = {}        # function -> (its code, what _scan found): read once per function


def _scan(fn, seen, definite=False):
    if fn in seen:                 # (recursion: what it changes is being found)
        return {}, set()
    top = not seen                 # (inside another's scan, a recursion may be cut short)
    seen.add(fn)
    code = getattr(fn, "__code__", None)
    cached = _SCANS.get((fn, bool(definite)))
    if cached is not None and cached[0] is code:
        return cached[1]
    scan = _read(fn, seen, definite)
    if top:
        _SCANS[(fn, bool(definite))] = (code, scan)
    return scan


def _read(fn, seen, definite):
    tree = source.definition(fn)   # (its own code: a decorator's wrapper too)
    if tree is None:
        return None
    tree.decorator_list = []       # (they ran when it was defined, not when it is called)
    args = tree.args
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs
              + [a for a in (args.vararg, args.kwarg) if a is not None]]
    local = set(params) | {n.id for n in gast.walk(tree)
                           if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    reach = {p: {p} for p in params}      # name -> the parameters its object may be
    inside = {}                           # name -> those whose objects it may hold
    nodes = list(gast.walk(tree))

    def sources(value):
        """(the parameters value's object may be, those it may hold); _OUTSIDE for a
        value outside the function."""
        kind = type(value)
        if kind is gast.Name:
            if value.id not in local:
                return {_OUTSIDE}, set()
            return set(reach.get(value.id, ())), set(inside.get(value.id, ()))
        if kind in (gast.Subscript, gast.Attribute, gast.Starred):
            is_, holds = sources(value.value)
            return is_ | holds, is_ | holds     # an item may be the object or one it holds
        if kind in (gast.Constant, gast.Compare, gast.UnaryOp, gast.JoinedStr):
            return set(), set()
        if kind is gast.BinOp:                  # a new object; a list's holds the items
            left, right = sources(value.left), sources(value.right)
            return set(), left[0] | left[1] | right[0] | right[1]
        if kind is gast.IfExp:
            a, b = sources(value.body), sources(value.orelse)
            return a[0] | b[0], a[1] | b[1]
        if kind is gast.Call:
            return _call_sources(value)
        found = set()                           # displays, comprehensions, ...
        for n in gast.walk(value):
            if isinstance(n, gast.Name):
                s = sources(n)
                found |= s[0] | s[1]
        return set(), found

    def _call_sources(call):
        func = call.func
        target = _resolved(func, fn)
        if _is_numpy(target) and target not in _VIEW_FUNCTIONS and target is not np.einsum:
            return set(), set()                 # a new array
        if isinstance(func, gast.Name) and func.id in _NEW_BUILTINS \
                and getattr(builtins, func.id, None) is target:
            return set(), set()
        if isinstance(func, gast.Attribute) and func.attr == "copy" and not call.args:
            is_, holds = sources(func.value)
            return set(), is_ | holds
        if isinstance(func, gast.Name) and func.id in _NEW_CONTAINERS and len(call.args) == 1 \
                and not call.keywords and getattr(builtins, func.id, None) is target:
            is_, holds = sources(call.args[0])  # list(xs): a new list of xs's items
            return set(), is_ | holds
        found = set()
        holder = [func.value] if isinstance(func, gast.Attribute) else []   # (x.T(): x's)
        for part in holder + list(call.args) + [k.value for k in call.keywords]:
            s = sources(part) if not isinstance(part, gast.Name) or part.id in local \
                else ({_OUTSIDE}, set())
            found |= s[0] | s[1]
        return found, found

    grown = True
    while grown:                               # names that may share a parameter's object
        grown = False
        for node in nodes:
            for target, value in _bindings(node):
                is_, holds = sources(value)
                if isinstance(target, (gast.Subscript, gast.Attribute)):
                    # `q[0] = p`: q holds p (`q[0][1] = p` puts it deeper: only a change
                    # that deep would reach it)
                    if not isinstance(target.value, gast.Name):
                        continue
                    is_, holds, names = set(), is_ | holds, [target.value]
                else:
                    names = [n for n in gast.walk(target) if isinstance(n, gast.Name)]
                for n in names:
                    for table, new in ((reach, is_), (inside, holds)):
                        if not new <= table.get(n.id, set()):
                            table[n.id] = table.get(n.id, set()) | new
                            grown = True
    found, outside = {}, set()

    def changed(obj, how, deep=False):
        """`obj`, an expression, names an object that is changed in place (`deep`: or the
        objects it holds, by a call that gets it); None: values outside, unnamed."""
        if obj is None or isinstance(obj, _Outside):
            found.setdefault(_OUTSIDE, how)
            outside.add(obj if obj is None else obj.name)
            return
        root = _root(obj)
        if not isinstance(root, gast.Name):     # (a call's result: what it may be)
            is_, holds = sources(root)
            for p in is_:
                found.setdefault(p, how)
                if p == _OUTSIDE:
                    outside.add(None)
            return
        if root.id not in local:
            found.setdefault(_OUTSIDE, how)
            outside.add(root.id)
            return
        hit = set(reach.get(root.id, ()))
        if obj is not root or deep:             # an item or attribute of root's object
            hit |= inside.get(root.id, set())
        for p in hit:
            found.setdefault(p, how)
        if _OUTSIDE in hit:
            outside.add(None)

    for node in nodes:
        if definite and not isinstance(node, gast.Call) and not (
                isinstance(node, (gast.Subscript, gast.Attribute))
                and isinstance(node.ctx, gast.Store)
                and _OUTSIDE in reach.get(getattr(_root(node), "id", None), ())):
            continue            # (normalisation finds the writes, but through `buf = BUF`)
        text = _text(node)
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            found.setdefault(_OUTSIDE, text)
            outside.update(node.names)
        elif isinstance(node, (gast.Subscript, gast.Attribute)) \
                and isinstance(node.ctx, (gast.Store, gast.Del)):
            changed(node.value, f"'{text} = ...'")
        elif isinstance(node, gast.AugAssign):
            target = node.target
            changed(target if isinstance(target, gast.Name) else target.value,
                    f"'{_text(target)} op= ...'")
        elif isinstance(node, gast.Call):
            for obj, how in _call_changes(node, fn, seen, local, definite, nodes):
                changed(obj, how, deep=obj is not _holder(node))
    return ({p: how for p, how in found.items() if p in params or p == _OUTSIDE},
            outside)


def _bindings(node):
    """(target, value) pairs of the bindings `node` makes."""
    if isinstance(node, gast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, (gast.AnnAssign, gast.AugAssign)) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, (gast.For, gast.comprehension)):
        return [(node.target, gast.Subscript(value=node.iter, slice=gast.Constant(0, None),
                                             ctx=gast.Load()))]      # (an item of it)
    if isinstance(node, gast.withitem) and node.optional_vars is not None:
        return [(node.optional_vars, node.context_expr)]
    if isinstance(node, gast.NamedExpr):
        return [(node.target, node.value)]
    return []


def _holder(call):
    """The object whose method `call` calls (`xs` in `xs.append(y)`), else None."""
    return call.func.value if isinstance(call.func, gast.Attribute) else None


def _root(node):
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node


def _is_numpy(target):
    return target is not None and not isinstance(target, types.ModuleType) and (
        isinstance(target, np.ufunc)
        or str(getattr(target, "__module__", None)).startswith("numpy")
        or target in vars(math).values())


def _call_changes(call, fn, seen, local, definite=False, nodes=()):
    """(expression, how) for each object `call` may change (None: values outside); with
    `definite`, only where it knows the call (`nodes`: those of fn's definition)."""
    func = call.func
    args = list(call.args) + [k.value for k in call.keywords]
    text = f"'{_text(func)}(...)'"
    everything = [] if definite else [(a, text) for a in args] + [(None, text)]
    target = _resolved(func, fn)
    if _is_numpy(target):
        return _numpy_changes(target, call, text)
    if str(getattr(target, "__module__", None)).startswith("srcad."):
        return []                               # (srcad's helpers change no argument)
    if isinstance(func, gast.Attribute):
        holder = _root(func.value)
        owner = _resolved(func.value, fn)
        if isinstance(owner, types.ModuleType) and owner.__name__ in _HARMLESS_MODULES \
                or isinstance(owner, logging.Logger):
            return []                           # time.perf_counter(), logger.info(...)
        if isinstance(owner, types.ModuleType):
            return everything                   # another module's function: unknown
        known = isinstance(holder, gast.Name) and holder.id in local \
            or isinstance(owner, (list, dict, set, np.ndarray))   # (a module-level one)
        if func.attr == "at" and isinstance(_resolved(func.value, fn), np.ufunc):
            return [(a, text) for a in call.args[:1]]       # np.add.at(a, i, v) changes a
        if known and func.attr in _KEEPING_METHODS:
            out = [(k.value, text) for k in call.keywords if k.arg == "out"]
            place = _KEEPING_METHODS[func.attr]
            if place is not None and len(call.args) > place:
                out.append((call.args[place], text))
            return out
        if known and (not definite or func.attr in _CHANGING_METHODS):
            return [(func.value, text)]         # a list's append, an array's fill, ...
        if definite:
            return []
        return [(func.value, text)] + everything   # an unknown object's method
    if definite and target is dataclasses.replace and _replaces_a_record(call, fn, nodes):
        return []               # (a new object of the record's class, as srcad makes it)
    if isinstance(func, gast.Name) and target is not None \
            and getattr(builtins, func.id, None) is target:
        if func.id in _KEEPING_BUILTINS:
            return []
        return everything                       # setattr, map, eval, exec, ...
    if isinstance(target, types.FunctionType):
        if definite:            # (what srcad knows the callee changes)
            inner = definite(target)
            scan = inner, {None} if _OUTSIDE in inner else set()
        else:
            scan = _scan(target, seen, definite)
        if scan is not None:
            inner, inner_outside = scan
            outside = [(None if n is None else _Outside(n), text) for n in inner_outside]
            if not set(inner) - {_OUTSIDE}:
                return outside                  # (none of its arguments)
            try:
                bound = inspect.signature(target).bind_partial(*call.args, **{
                    k.arg: k.value for k in call.keywords if k.arg is not None})
            except TypeError:
                bound = None
            if bound is not None and not any(isinstance(a, gast.Starred) for a in call.args) \
                    and all(k.arg is not None for k in call.keywords):
                return [(node, text) for p in inner if p in bound.arguments
                        for node in _passed(bound.arguments[p])] + outside
    return everything


def _replaces_a_record(call, fn, nodes, seen=frozenset()):
    """Whether `call`, dataclasses.replace(p, ...) in fn (`nodes`: its definition's), gets
    a local p that every binding makes a record (`p = State(...)` of a dataclass whose
    __init__ only sets its fields, or a replace of such a record): replace then makes a
    new object and changes nothing. A record of another class (a __post_init__ of its
    own) or an argument's may change what it holds."""
    p = call.args[0] if call.args else None
    if isinstance(p, gast.Name) and p.id in seen:
        return True                     # (state = replace(state, ...): its other bindings)
    args = nodes[0].args                # (the definition's own, walked first)
    params = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
    if not isinstance(p, gast.Name) or p.id in {a.id for a in params if a is not None}:
        return False
    values = [value for node in nodes for target, value in _bindings(node)
              if isinstance(target, gast.Name) and target.id == p.id]
    for value in values:
        made = _resolved(value.func, fn) if isinstance(value, gast.Call) else None
        if made is dataclasses.replace:
            if not _replaces_a_record(value, fn, nodes, seen | {p.id}):
                return False
        elif not isinstance(made, type) or _dataclass_fields(made) is None:
            return False
    return bool(values)


def _passed(value):
    """The argument nodes a parameter was bound to: one, or those of `*args`, `**kwargs`."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return [value]


class _Outside:
    """A value outside a called function that it changes, by its name there."""

    def __init__(self, name):
        self.name = name


def _numpy_changes(target, call, text):
    """What a call of NumPy function `target` changes: its `out` (by keyword or position),
    or the first argument of those that write into it."""
    name = getattr(target, "__name__", "")
    if name in _WRITING_FUNCTIONS:
        return [(a, text) for a in call.args[:1]]
    out = [(k.value, text) for k in call.keywords if k.arg == "out"]
    if isinstance(target, np.ufunc):
        out += [(a, text) for a in call.args[target.nin:]]
        return out
    try:
        bound = inspect.signature(target).bind_partial(*call.args)
    except (TypeError, ValueError):
        return out
    if "out" in bound.arguments:
        out.append((bound.arguments["out"], text))
    return out


def _resolved(node, fn):
    """The object a global or builtin name (or dotted name) refers to in `fn`, or None."""
    if isinstance(node, gast.Attribute):
        base = _resolved(node.value, fn)
        return getattr(base, node.attr, None) if base is not None else None
    if isinstance(node, gast.Subscript):         # `D["g"]`, a function held in a container
        held = T.item_held(_resolved(node.value, fn), node.slice)
        return held[1] if held is not None else None
    if not isinstance(node, gast.Name):
        return None
    if node.id in fn.__code__.co_varnames or node.id in fn.__code__.co_cellvars:
        return None
    for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        if var == node.id:
            try:
                return cell.cell_contents
            except ValueError:
                return None
    if node.id in fn.__globals__:
        return fn.__globals__[node.id]
    return getattr(builtins, node.id, None)


def _text(node):
    try:
        return ast.unparse(gast.gast_to_ast(node))
    except Exception:           # (a node unparse cannot print: only the message loses)
        return type(node).__name__
