"""What a user function that srcad cannot normalise may change in place.

srcad differentiates the functions it can read; a function it cannot (an attribute set on
an object, `d.update(...)`, `try`) may still be called where its result does not matter
to the derivative (`_ = put(box, w)`), and its changes to its arguments' objects or to
module-level values then reach values that do. `changes(fn)` reads fn's source without
normalising it and answers conservatively: every parameter whose object it may change, and
"" where it may change a value outside the function.

    def put(obj, w):                    changes(put) == {"obj": "'obj.v = ...'"}
        obj.v = w * 2.0
        return 0.0

A parameter's object may be reached through other names (`q = p.items`, `for row in p`):
those names are followed. Calls of NumPy and math functions and of the methods that leave
their object as it is change nothing (but `out=` and np.copyto and its kind); a call of a
user function passes on what that function changes; anything else called with a
parameter's object may change it.
"""
import ast
import builtins
import inspect
import math
import types

import gast
import numpy as np

from .errors import SrcadError

# methods that leave their object as it is (arrays, lists, dicts, strings)
_KEEPING_METHODS = frozenset({
    "copy", "sum", "mean", "std", "var", "min", "max", "prod", "dot", "reshape", "ravel",
    "flatten", "transpose", "swapaxes", "squeeze", "astype", "tolist", "item", "all", "any",
    "argmax", "argmin", "argsort", "cumsum", "cumprod", "diagonal", "nonzero", "round",
    "conj", "conjugate", "trace", "view", "get", "keys", "values", "items", "index", "count",
    "startswith", "endswith", "format", "join", "split", "strip", "lower", "upper",
    "replace", "clip", "repeat", "take", "compress", "searchsorted", "__len__",
    "__getitem__", "__contains__"})
# NumPy functions that write into their first argument
_WRITING_FUNCTIONS = frozenset({"copyto", "put", "putmask", "place", "fill_diagonal",
                                "put_along_axis", "shuffle"})
_KEEPING_BUILTINS = frozenset({
    "len", "sum", "min", "max", "abs", "float", "int", "bool", "range", "enumerate", "zip",
    "isinstance", "print", "list", "tuple", "dict", "set", "sorted", "reversed", "any",
    "all", "repr", "str", "round", "type", "hasattr", "getattr", "id", "map", "filter",
    "divmod", "pow", "iter", "next", "format", "hash", "callable", "complex", "issubclass",
    "vars", "dir", "ord", "chr", "bin", "hex", "oct", "ascii", "slice", "frozenset",
    "bytes", "memoryview"})


def changes(fn, _seen=None):
    """`{parameter: how}` for what user function `fn` may change in place, "" standing
    for values outside it; None where its source cannot be read."""
    from .source import function_source
    seen = set() if _seen is None else _seen
    if fn in seen:                 # (recursion: what it changes is being found)
        return {}
    seen.add(fn)
    try:
        tree = function_source(fn).tree
    except SrcadError:
        return None
    args = tree.args
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs
              + [a for a in (args.vararg, args.kwarg) if a is not None]]
    reach = {p: {p} for p in params}          # name -> the parameters its object may be
    inside = {}                                # name -> those whose objects it may hold
    local = set(params) | {n.id for n in gast.walk(tree)
                           if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    nodes = list(gast.walk(tree))
    grown = True
    while grown:                               # names that may share a parameter's object
        grown = False
        for node in nodes:
            for target, value in _bindings(node):
                sources = set()
                for n in gast.walk(value):
                    if isinstance(n, gast.Name):
                        sources |= reach.get(n.id, set()) | inside.get(n.id, set())
                if not sources or _makes_new(value):
                    continue
                # `q = p`: q is p's object; `q = p.copy()`, `q[0] = p`: q holds p's items
                # (`q[0][1] = p` puts it deeper: only a change that deep would reach it)
                if isinstance(target, (gast.Subscript, gast.Attribute)) \
                        and not isinstance(target.value, gast.Name):
                    continue
                held = isinstance(target, (gast.Subscript, gast.Attribute)) or _copies(value)
                where = inside if held else reach
                names = [_root(target)] if held else gast.walk(target)
                for n in names:
                    if isinstance(n, gast.Name) and not sources <= where.get(n.id, set()):
                        where[n.id] = where.get(n.id, set()) | sources
                        grown = True
    found = {}

    def changed(obj, how, deep=False):
        """`obj`, an expression, names an object that is changed in place (`deep`: or the
        objects it holds, by a call that gets it)."""
        if obj is None:                        # (a callee changes values outside it)
            found.setdefault("", how)
            return
        root = _root(obj)
        if not isinstance(root, gast.Name):
            return
        params_hit = set(reach.get(root.id, ()))
        if obj is not root or deep:            # an item or attribute of root's object
            params_hit |= inside.get(root.id, set())
        for p in params_hit:
            found.setdefault(p, how)
        if root.id not in local:
            found.setdefault("", how)

    for node in nodes:
        text = _text(node)
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            found.setdefault("", text)
        elif isinstance(node, (gast.Subscript, gast.Attribute)) \
                and isinstance(node.ctx, (gast.Store, gast.Del)):
            changed(node.value, f"'{text} = ...'")
        elif isinstance(node, gast.AugAssign):
            target = node.target
            changed(target if isinstance(target, gast.Name) else target.value,
                    f"'{_text(target)} op= ...'")
        elif isinstance(node, gast.Call):
            for obj, how in _call_changes(node, fn, seen):
                changed(obj, how, deep=obj is not None and obj is not _holder(node))
    return {p: how for p, how in found.items() if p in params or p == ""}


def _bindings(node):
    """(target, value) pairs of the bindings `node` makes."""
    if isinstance(node, gast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, (gast.AnnAssign, gast.AugAssign)) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, (gast.For, gast.comprehension)):
        return [(node.target, node.iter)]
    if isinstance(node, gast.withitem) and node.optional_vars is not None:
        return [(node.optional_vars, node.context_expr)]
    if isinstance(node, gast.NamedExpr):
        return [(node.target, node.value)]
    return []


def _makes_new(value):
    """Whether expression `value` surely makes a new object sharing nothing (arithmetic,
    a comparison, a number)."""
    return isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant))


def _copies(value):
    """Whether `value` is `x.copy()`: a new object that may hold x's items."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "copy" and not value.args


def _holder(call):
    """The object whose method `call` calls (`xs` in `xs.append(y)`), else None."""
    return call.func.value if isinstance(call.func, gast.Attribute) else None


def _root(node):
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node


def _call_changes(call, fn, seen):
    """(expression, how) for each object `call` may change (None: values outside)."""
    func = call.func
    args = list(call.args) + [k.value for k in call.keywords]
    text = f"'{_text(func)}(...)'"
    if isinstance(func, gast.Attribute):
        holder = _resolved(func.value, fn)
        if isinstance(holder, types.ModuleType):
            if holder.__name__.startswith("numpy") or holder is math:
                return _numpy_changes(func.attr, call, text)
            return [(a, text) for a in args]     # another module's function: unknown
        out = [(k.value, text) for k in call.keywords if k.arg == "out"]
        if func.attr == "at":                           # np.add.at(a, i, v) changes a
            return out + [(a, text) for a in call.args[:1]]
        if func.attr in _KEEPING_METHODS:
            return out
        out.append((func.value, text))
        holder = _root(func.value)
        if not (isinstance(holder, gast.Name) and holder.id in _locals(fn)):
            out += [(a, text) for a in args]    # an unknown object's method
        return out
    if isinstance(func, gast.Name):
        target = _resolved(func, fn)
        if target is not None and getattr(builtins, func.id, None) is target:
            if func.id in _KEEPING_BUILTINS:
                return []
            return [(a, text) for a in args]     # setattr, delattr, exec, ...
        if isinstance(target, types.FunctionType):
            inner = changes(target, seen)
            if inner is not None:
                try:
                    bound = inspect.signature(target).bind_partial(*call.args, **{
                        k.arg: k.value for k in call.keywords if k.arg is not None})
                except TypeError:
                    bound = None
                if bound is not None and not any(isinstance(a, gast.Starred)
                                                 for a in call.args) \
                        and all(k.arg is not None for k in call.keywords):
                    out = [(bound.arguments[p], text) for p in inner
                           if p in bound.arguments]
                    if "" in inner:
                        out.append((None, text))
                    return out
        if isinstance(target, np.ufunc) or str(getattr(target, "__module__", None)).startswith(
                "numpy"):
            return _numpy_changes(func.id, call, text)
    return [(a, text) for a in args]


def _numpy_changes(name, call, text):
    """What a call of NumPy function `name` changes: its `out=`, or the first argument of
    those that write into it."""
    if name in _WRITING_FUNCTIONS:
        return [(a, text) for a in call.args[:1]]
    return [(k.value, text) for k in call.keywords if k.arg == "out"]


def _resolved(node, fn):
    """The object a global or builtin name (or dotted name) refers to in `fn`, or None."""
    if isinstance(node, gast.Attribute):
        base = _resolved(node.value, fn)
        return getattr(base, node.attr, None) if base is not None else None
    if not isinstance(node, gast.Name):
        return None
    scope = dict(fn.__globals__)
    for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            scope[var] = cell.cell_contents
        except ValueError:
            pass
    if node.id in fn.__code__.co_varnames:
        return None
    if node.id in scope:
        return scope[node.id]
    return getattr(builtins, node.id, None)


def _locals(fn):
    return set(fn.__code__.co_varnames)


def _text(node):
    try:
        return ast.unparse(gast.gast_to_ast(node))
    except Exception:           # (a node unparse cannot print: only the message loses)
        return type(node).__name__
