"""The public API: grad, value_and_grad, vjp, check_grad, ssa, show, stop_gradient.

This is the one place where the pipeline order appears::

    source -> normalise -> structure jumps -> differentiate -> Python source -> load
"""
import contextlib
import copy
import dis
import functools
import gc
import inspect
import itertools
import sys
import types
import weakref

import gast
import numpy as np

from . import effects, runtime
from . import template as T
from .analysis import activity, classify, returns_a_number, scalars
from .codegen import load, to_source, with_closure
from .errors import (ArgumentError, Location, NonScalarOutputError, SourceError,
                     SrcadError, UnsupportedError, WrtError)
from .jumps import structure_jumps
from .normalise import made_by, normalise, parameter_names, second_order_refusal
from .optimize import optimize, release_arrays
from .own_operators import check_own_arithmetic
from .tapes import replay_loops_from_tapes
from .in_place import update_in_place
from .forward import differentiate as forward_differentiate
from .forward import dot
from .reverse import bar, differentiate
from .rules import registry
from .source import (code_location, function_source, method_of_class, partial_function,
                     type_along, unwrap, users_module)

DEBUG = False   # tests set this: generated code then asserts the stack is empty
# set while `srcad grad` writes a file: a derivative for arguments of any kind checks the
# items and attributes of those its arithmetic takes (srcad.grad checks them on its calls)
FOR_FILES = False

_IRS = {}
_DERIVED = {}


def stop_gradient(x):
    """`x`, treated as a constant by every mode."""
    return x


registry.nondifferentiable(stop_gradient)


# ----- the pipeline -----


@contextlib.contextmanager
def _deep_recursion(fn):
    """Long expressions (a sum of 600 terms) nest deeply: allow it, or say so clearly."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        yield
    except RecursionError:
        code = getattr(fn, "__code__", None)
        where = Location(code.co_filename, code.co_firstlineno, 0, "") if code else None
        raise SourceError(f"{getattr(fn, '__name__', fn)} nests expressions too deeply for "
                          "srcad", where,
                          hint="split the long expression into several assignments") from None
    finally:
        sys.setrecursionlimit(limit)


@contextlib.contextmanager
def _collector_paused():
    """A transformation allocates hundreds of thousands of short-lived nodes, which would
    set off full collections of the whole heap (once a few derivatives are cached, most of
    the time spent on a 100-line function). Reference counting frees the nodes; the
    collector, paused meanwhile, picks up any cycle among them when it resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def intermediate(fn, dicts=frozenset(), aux=False, records=frozenset(), items=False):
    """The normalised, jump-structured IR of `fn` (cached per function, while the functions
    it calls are still the ones its free names referred to). `dicts`: parameters that are
    dicts in this call, whose `for k in d` walks the keys (see `ir_for_kinds`); `aux`: `fn`
    returns `(loss, aux)` (has_aux), the IR the loss (see `normalise`); `records`:
    parameters that are tuples in this call, whose attributes are named tuples' fields;
    `items`: the arguments hold lists, tuples or dicts, whose items' attributes may be named
    tuples' fields (`layer.W` of `for layer in layers`)."""
    fn = unwrap(fn)
    variant = dicts or aux or records or items
    if variant:
        ir = _VARIANT_IRS.get((fn, dicts, aux, records, items))
        if ir is not None and not _made_from(fn, ir):
            ir = None
    else:
        ir = _cached_ir(fn)
    if ir is not None and (ir.namespace.looked_up and not _current(_own_guards(fn, ir))
                           or ir.before_its_class and not ir.source.in_class_not_yet_made()):
        ir = None
    if ir is None:
        with _deep_recursion(fn), _collector_paused():
            ir = structure_jumps(normalise(function_source(fn), _reserved(), dicts, aux,
                                           records, items))
        ir.code, ir.made_with = fn.__code__, _defaults(fn)
        if variant:
            _VARIANT_IRS[(fn, dicts, aux, records, items)] = ir
            return ir
        _IRS[fn] = ir
        if _CLOSURES.get(id(fn.__code__), (fn,))[0] is fn:
            _CLOSURES[id(fn.__code__)] = (fn, ir)   # (fn keeps the code, and its id, alive)
    return ir


# (function, the parameters that are dicts, has_aux, the tuples, whether arguments hold
# items) -> its IR for such calls
_VARIANT_IRS = {}
# the file of each generated derivative -> the file of the function it is the derivative of
# (an error raised while it runs is told at the user's line: runtime.refused)
MADE_FROM = {}


def ir_for_kinds(fn, kinds, aux=False):
    """The IR of `fn` for arguments of these `kinds`: `for k in d` of a parameter d walks
    an index over a list or an array, the keys of a dict; `d.get(k)` of a dict looks k
    up. `aux`: see `intermediate`."""
    ir = intermediate(fn, aux=aux)
    if not ir.iterated and not ir.dict_gets and not ir.attributes_read \
            and not ir.fields_read:
        return ir
    args = ir.source.tree.args       # (the user's names: ir.params may rename one)
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    dicts = frozenset(p for p, kind in zip(params, kinds)
                      if kind == "dict" and (p in ir.iterated or p in ir.dict_gets))
    records = frozenset(p for p, kind in zip(params, kinds)
                        if kind == "tuple" and p in ir.attributes_read)
    items = ir.fields_read and any(kind in ("list", "tuple", "dict") for kind in kinds)
    return intermediate(fn, dicts, aux, records, items) if dicts or records or items else ir


# ----- closures: one transformation for every function made by one `def` -----
#
# A closure's derivative reads the closure variables through the closure's own cells, so
# another closure made by the same `def` (`make(k)` called again) can run the same code
# with its own cells: the first one's IR and derivatives serve it, without a transformation
# and without a cache entry that would keep it alive. They serve it only where they are
# right for it: the same globals and defaults, and its free names that the transformation
# looked up as functions referring to the same objects (its guards hold). The same serves
# the functions a `def` or a lambda without closure variables makes again and again
# (`srcad.grad(lambda w: loss(w, batch))` in a loop, `batch` a global): one
# transformation, and no cache entry for each.

# (keyed by the code object's id: equal code objects of two modules compare equal)
_CLOSURES = {}           # id(code object) -> (the first closure made by it, its IR)
_CLOSURE_DERIVED = {}    # (id(code), wrt, mode, ...) -> (its IR, that closure's Compiled)
_SERVED = weakref.WeakKeyDictionary()   # another closure -> {(wrt, mode, ...): Compiled}


def _shared_ir(fn):
    """The IR of the first closure made by `fn`'s `def`, if it serves `fn` too (not a
    copy of the function made for a subclass, `method_of_class`: its calls of methods
    are the subclass's)."""
    first, ir = _CLOSURES.get(id(fn.__code__), (None, None))
    if first is None or first is fn or first.__code__ is not fn.__code__ \
            or first.__globals__ is not fn.__globals__ \
            or first.__qualname__ != fn.__qualname__ \
            or not _same(first.__defaults__, fn.__defaults__) \
            or not _same(first.__kwdefaults__, fn.__kwdefaults__) \
            or not _current(_own_guards(fn, ir)):
        return None
    return ir


def _same(a, b):
    """The same default values, object for object."""
    if a is None or b is None:
        return a is b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(a[k] is b[k] for k in a)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _defaults(fn):
    """`fn`'s default values, as what is made from it keeps them (`_made_from`)."""
    keywords = fn.__kwdefaults__
    return fn.__defaults__, None if keywords is None else dict(keywords)


def _made_from(fn, made):
    """Whether `made` (an IR, a Compiled) was made from `fn` as it is: its code replaced
    in place (IPython's autoreload) or its defaults (`f.__defaults__ = (5.0,)`,
    `f.__kwdefaults__["k"] = 2`) call for another."""
    defaults, keywords = made.made_with
    return made.code is fn.__code__ and fn.__defaults__ is defaults \
        and _same(fn.__kwdefaults__, keywords)


class _Made:
    """What the derivatives a derivative object keeps were made from (`_made_from`)."""
    __slots__ = ("code", "made_with")

    def __init__(self, fn):
        self.code, self.made_with = fn.__code__, _defaults(fn)


def _state_guards(f):
    """Guards for a function's code and defaults (those of a function that others call:
    `_made_from` tells for the differentiated one)."""
    return ((_Attribute(f), "__code__", f.__code__),
            (_Attribute(f), "__defaults__", f.__defaults__),
            (_Attribute(f), "__kwdefaults__", f.__kwdefaults__))


def _cached_ir(fn):
    ir = _IRS.get(fn)
    if ir is not None and not _made_from(fn, ir):
        return None
    if ir is None:
        ir = _shared_ir(fn)
    return ir


def _closure_derivative(fn, key):
    """The first closure's derivative, run with `fn`'s cells, if it serves `fn` (kept
    while `fn` lives)."""
    ir, compiled = _CLOSURE_DERIVED.get((id(fn.__code__),) + key[1:], (None, None))
    first = _CLOSURES.get(id(fn.__code__), (None,))[0]
    if compiled is None or first is fn or intermediate(fn, aux=key[4] == "aux") is not ir:
        return None
    served = _SERVED.setdefault(fn, {})
    made = served.get(key[1:])
    if made is not None and made.source is compiled.source and _current(made.guards):
        return made
    guards = tuple(_own_guards(fn, ir)) + compiled.guards[compiled.own:]
    if not _current(guards):
        return None
    function = compiled.function
    if function.__closure__ and fn.__closure__:
        cells = {id(old): new for old, new in zip(first.__closure__, fn.__closure__)}
        function = with_closure(function, [cells.get(id(cell), cell)
                                           for cell in function.__closure__])
    made = served[key[1:]] = Compiled(compiled.source, function, compiled.callees, guards,
                                      compiled.own, compiled.code, compiled.changed)
    made.made_with = compiled.made_with
    made.renamed, made.output = compiled.renamed, compiled.output
    made.differentiated = compiled.differentiated
    return made


# ----- guards: is a cached transformation still right? -----
#
# A derivative is made for the objects that the function's free names refer to when it is
# made: `np.tanh` gives the adjoint of tanh, a user function `h` gives a call of `h`'s own
# derivative. If such a name is later bound to another object (a notebook cell defines `h`
# again, a closure variable holding a function is assigned), the cached derivative would
# be silently wrong. Each cached derivative keeps guards, `(place, name, object)`, and is
# made again when one fails. Values that are not functions (arrays, numbers) need no
# guard: generated code reads them when it runs, through the globals or, for closure
# variables, through the primal's own cells (see `codegen.load`).


class _Attribute:
    """An object's attributes read like a namespace, for guards (a function's code)."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def get(self, name, default=None):
        return getattr(self.obj, name, default)


class _Item:
    """A list, tuple or dict read like a namespace, for guards (`D["g"] = other`)."""
    __slots__ = ("container",)

    def __init__(self, container):
        self.container = container

    def get(self, key, default=None):
        try:
            return self.container[key]
        except (KeyError, IndexError):
            return default


class _Cell:
    """A closure cell read like a namespace, for guards."""
    __slots__ = ("cell",)

    def __init__(self, cell):
        self.cell = cell

    def get(self, name, default=None):
        try:
            return self.cell.cell_contents
        except ValueError:     # emptied since (`del` of the closure variable)
            return default


class _TypeOf:
    """The types of what a namespace's names hold, read like a namespace, for guards (a
    number the analysis relied on: `G = 9.81` may become 9.80, not an array)."""
    __slots__ = ("place",)

    def __init__(self, place):
        self.place = place

    def get(self, name, default=None):
        value = self.place.get(name, _MISSING)
        return default if value is _MISSING else type(value)


class _TypeAlong:
    """The type of what a path of items and attributes reaches from what a namespace's
    names hold (`source.type_along`: `CFG.inner.W`, `LAYERS[0]`), read like a namespace,
    for guards (a global array item that becomes a sparse matrix)."""
    __slots__ = ("place", "steps")

    def __init__(self, place, steps):
        self.place, self.steps = place, steps

    def get(self, name, default=None):
        value = self.place.get(name, _MISSING)
        return default if value is _MISSING else type_along(value, self.steps)


def _own_guards(fn, ir):
    """Guards for the objects that the transformation of `fn` itself looked up (they come
    first among `_guards(fn)`)."""
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    return [(_Cell(cells[name]) if name in cells else fn.__globals__, name, value)
            for name, value in ir.namespace.looked_up.items()] + [
        (_Attribute(cls), attr, value) for cls, attr, value in ir.namespace.members] + [
        (_Item(container), key, value)
        for container, key, value in ir.namespace.held_items] + [
        (_TypeOf(_Cell(cells[name]) if name in cells else fn.__globals__), name, kind)
        for name, kind in ir.namespace.numbers.items()] + [
        (_TypeAlong(_Cell(cells[name]) if name in cells else fn.__globals__, steps), name,
         kind) for (name, steps), kind in ir.namespace.path_types.items()]


def _guards(fn, fn_ir=None):
    """Guards for the objects that `fn`'s transformation, and that of every user function
    these reach, looked up (as far as their IRs are made). `fn_ir`: the IR of `fn` the
    derivative was made from, where it is not the cached one (for dict arguments, or with
    has_aux: what its returns call is looked up there only)."""
    guards, seen, todo = [], {fn}, [fn]
    while todo:
        f = todo.pop()
        ir = fn_ir if f is fn and fn_ir is not None else _cached_ir(f)
        if ir is None:
            continue
        guards.extend(_own_guards(f, ir))
        if f is not fn:          # (the derivative's own primal: checked by `derive`)
            guards.extend(_state_guards(f))
        for value in [*ir.namespace.looked_up.values(),
                      *(member for _, _, member in ir.namespace.members),
                      *(item for _, _, item in ir.namespace.held_items)]:
            if isinstance(value, _Transformed):     # (what its generated code looked up)
                value = value.generated
            if isinstance(value, types.FunctionType):
                value = inspect.unwrap(value)
                if value not in seen:
                    seen.add(value)
                    todo.append(value)
    return tuple(guards)


def _current(guards):
    """Whether every name of `guards` still refers to the object it did."""
    for place, name, value in guards:
        if place.get(name, _MISSING) is not value:
            return False
    return True


class Compiled:
    """A generated derivative: its source, the compiled function, the callees it calls and
    the guards it is right under (empty when it looked up no function but modules')."""

    def __init__(self, source, function, callees, guards=(), own=0, code=None, changed=()):
        self.source = source
        self.function = function
        self.callees = callees   # closure name -> (primal, wrt names)
        self.guards = guards
        self.own = own           # how many of them are the primal's own
        self.code = code         # the primal's code object it was made from
        self.made_with = (None, None)   # and its defaults (see `_made_from`)
        self.changed = changed   # (position, name) of the parameters it changes in place
        self.slots_only = frozenset()   # ... of those, the ones only their own slots of
        self.renamed = {}        # parameter -> its name in the signature, where they differ
        self.output = None       # the name of the value its IR returns
        self.differentiated = None   # the function it is the derivative of

    def keywords(self, kwargs):
        """`kwargs` with the names of the derivative's signature (`vbar_1=` -> `vbar_1_=`)."""
        if not self.renamed:
            return kwargs
        return {self.renamed.get(k, k): v for k, v in kwargs.items()}

    def check_distinct(self, args, kwargs=None):
        """A parameter the function changes in place must not share its array with another
        argument (`f(a, a)`, `f(b, [b])`), a default (`def f(x, a=B, b=B)`) or a module
        value the derivative reads (`f(x, G)` where f reads G): Python would change both,
        the derivative keeps them apart."""
        if not self.changed or self.code is None:
            return
        values = self._arguments(args, kwargs or {})
        others = [(f"argument '{p}'", p, v) for p, v in values.items()]
        fn = self.differentiated
        while getattr(fn, "srcad_primal", None) is not None:   # (the user's, not a
            fn = fn.srcad_primal                                #  derivative's code)
        if fn is not None:
            others += [(f"argument '{p}{what}'", p, v) for p, value in values.items()
                       for what, v in _attributes_read(fn, value)]
            others += [(what, None, v) for what, v in _values_read(fn, set())]
        for _, name in self.changed:
            if not isinstance(values.get(name), (np.ndarray, list, tuple, dict)):
                continue
            mine = _arrays_in(values[name], containers=True)
            if name not in self.slots_only and _one_object_twice(
                    mine[1:] if mine and mine[0] is values[name] else mine):
                raise UnsupportedError(
                    f"{self.code.co_name if fn is None else fn.__name__} changes its "
                    f"argument '{name}' in place, and two of its items share one array: "
                    "srcad would keep them apart",
                    code_location(fn) if fn is not None else None,
                    hint=f"pass '{name}' with an array of its own in each item (copies)")
            for what, other_name, other in others:
                if other_name != name and any(
                        a is b or type(a) is np.ndarray and type(b) is np.ndarray
                        and _share_memory(a, b)
                        for a in mine for b in _arrays_in(other, containers=True)):
                    raise UnsupportedError(
                        f"{self.code.co_name if fn is None else fn.__name__} changes its "
                        f"argument '{name}' in place, and "
                        f"{what} shares its array: srcad would keep the two apart",
                        code_location(fn) if fn is not None else None,
                        hint=f"pass a copy for '{name}'")

    def _arguments(self, args, kwargs):
        """Parameter -> the value the call gives it (defaults too)."""
        code = self.code
        n, params = code.co_argcount, code.co_varnames
        defaults, keywords = self.made_with
        defaults = defaults or ()
        values = dict(zip(params[:n], args))
        values.update((p, d) for p, d in zip(params[n - len(defaults):n], defaults)
                      if p not in values)
        for p in params[n:n + code.co_kwonlyargcount]:
            if p in kwargs or p in (keywords or {}):
                values[p] = kwargs.get(p, (keywords or {}).get(p))
        values.update((p, v) for p, v in kwargs.items() if p in params[:n])
        return values


def _one_object_twice(values):
    """Whether two of `values` (the arrays, lists and dicts in an argument) are one object,
    or arrays that share an element (a view of another: grouped by the array that owns
    their memory, so that each is compared with few)."""
    seen, owners = set(), {}
    for value in values:
        if id(value) in seen:
            return True
        seen.add(id(value))
        if type(value) is np.ndarray:
            owner = value.base if isinstance(value.base, np.ndarray) else value
            if any(_share_memory(value, other) for other in owners.get(id(owner), ())):
                return True
            owners.setdefault(id(owner), []).append(value)
    return False


def _share_memory(a, b):
    """Whether arrays a and b share an element (`x[::2]` and `x[1::2]` do not); where
    telling costs too much, that they may."""
    if not np.may_share_memory(a, b):
        return False
    try:
        return np.shares_memory(a, b, max_work=10_000)
    except np.exceptions.TooHardError:
        return True


_GLOBALS_READ = {}     # code object -> the global names it (and code nested in it) reads
_GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)
# what `_values_read` finds: what the function may change (and random generators, which
# draws change: `_Draws`)
_HELD = (np.ndarray, list, tuple, dict) + _GENERATORS


def _values_read(fn, seen):
    """`(what, value)` for the arrays, lists and dicts (and random generators) that `fn`
    reads besides its arguments: module values and closure variables, its own and those of
    the functions of the user's that it calls."""
    code = fn.__code__
    names = _GLOBALS_READ.get(code)
    if names is None:
        names, todo = set(), [code]
        while todo:
            inner = todo.pop()
            names.update(i.argval for i in dis.get_instructions(inner)
                         if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))
            todo.extend(c for c in inner.co_consts if isinstance(c, types.CodeType))
        names = _GLOBALS_READ[code] = tuple(sorted(names))
    found = [(f"the module's {n}", fn.__globals__.get(n, None)) for n in names]
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            found.append((f"the closure variable {name}", cell.cell_contents))
        except ValueError:              # (an empty cell)
            pass
    out = []
    for what, value in found:
        if isinstance(value, _HELD):
            out.append((what, value))
        elif isinstance(value, types.FunctionType) and value not in seen \
                and users_module(sys.modules.get(value.__module__)):
            seen.add(value)
            out.extend(_values_read(value, seen))
        else:
            out.extend((what + attribute, v) for attribute, v in _attributes_read(fn, value))
    return out


def _attributes_read(fn, value, depth=0):
    """`(".name", value)` for the arrays, lists and dicts (and random generators: `_HELD`)
    among the attributes of object `value` (not a class; a module of the user's) that `fn`
    or a function of the user's it calls may read (`cfg.k`, `m.W`, `getattr(o, "k")`): in
    its `__dict__`, its slots or its class, and in the objects it holds (`cfg.p.k`,
    `ws[0].w`, five deep)."""
    if isinstance(value, (list, tuple, dict)) and depth < _ATTRIBUTE_DEPTH:
        items = list(value.items() if isinstance(value, dict) else enumerate(value))
        return [(f"[{k!r}]{inner}", w) for k, item in items[:64]      # (objects it holds:
                for inner, w in _attributes_read(fn, item, depth + 1)]  # `ws[0].w`)
    try:                 # (an object's __getattr__ may raise anything, for __dict__ too)
        own = vars(value)
    except Exception:
        own = None
    if not (own is not None and not isinstance(value, (
            type, types.ModuleType, types.FunctionType, np.ndarray)) or users_module(value)
            or getattr(type(value), "__slots__", None) and not isinstance(value, np.ndarray)):
        return []
    names = _names_read(fn)
    attributes = dict(own or {})
    if not isinstance(value, types.ModuleType):
        for klass in type(value).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            for n in (slots,) if isinstance(slots, str) else slots:
                if n in names and n not in attributes:
                    try:
                        attributes[n] = getattr(value, n)
                    except Exception:    # (an empty slot, or a raising __getattr__)
                        pass
            for n, v in vars(klass).items():       # (class attributes: data only)
                if n in names and n not in attributes and isinstance(v, _HELD):
                    attributes[n] = v
    found = []
    for n, v in attributes.items():
        if n not in names:
            continue
        if isinstance(v, _HELD):
            found.append((f".{n}", v))
        elif depth < _ATTRIBUTE_DEPTH and not users_module(v):
            found.extend((f".{n}{inner}", w) for inner, w in _attributes_read(fn, v, depth + 1))
    return found


_ATTRIBUTE_DEPTH = 4      # how deep `_attributes_read` looks (`o.a.b.c.w`, `ws[0].w`)


def _names_read(fn):
    """The attribute and global names (and identifier-like strings: getattr's) that `fn`, the
    code nested in it and the functions of the user's that it calls may read."""
    names, todo, seen = set(), [fn], {fn}
    while todo:
        f = todo.pop()
        names.update(_code_names(f.__code__))
        for n in f.__code__.co_names:
            callee = f.__globals__.get(n)
            if isinstance(callee, types.FunctionType) and callee not in seen \
                    and users_module(sys.modules.get(callee.__module__)):
                seen.add(callee)
                todo.append(callee)
    return names


_CODE_NAMES = {}     # code object -> `_code_names`


def _code_names(code):
    """The names and identifier-like strings of `code` and the code nested in it."""
    names = _CODE_NAMES.get(code)
    if names is None:
        names, codes = set(), [code]
        while codes:
            inner = codes.pop()
            names.update(inner.co_names)
            names.update(c for c in inner.co_consts if isinstance(c, str) and c.isidentifier())
            codes.extend(c for c in inner.co_consts if isinstance(c, types.CodeType))
        names = _CODE_NAMES[code] = frozenset(names)
    return names


def derive(fn, wrt, kinds, with_value=False, mode="reverse", optimized=True,
           check_output=False):
    """Compile the derivative of `fn` in `mode` for argument `kinds` (cached).
    `with_value`: the derivative returns `(value, grads)`; "aux" (has_aux), `((loss, aux),
    grads)` of a function that returns the pair. `check_output`: a gradient that refuses a
    value that is not a number (True, for files; "unproven": where the analysis does not
    show it is one)."""
    fn = unwrap(fn)          # a decorated callee: the function its decorator wraps
    # (a rule registered later may change the derivative: the registry's version)
    key = (fn, wrt, mode, kinds, with_value, DEBUG, FOR_FILES, optimized, check_output,
           registry.templates_registered())
    compiled = _DERIVED.get(key)
    if compiled is not None and (compiled.guards and not _current(compiled.guards)
                                 or not _made_from(fn, compiled)):
        compiled = None
    if compiled is None:
        compiled = _closure_derivative(fn, key)
    if compiled is None:
        ir = ir_for_kinds(fn, kinds, aux=with_value == "aux")
        _refuse_for_kinds(fn, ir, kinds)
        callees = {}
        prefix = "grad" if mode == "reverse" else "jvp"
        own_names = {f"{prefix}_{ir.name}", f"value_and_grad_{ir.name}"}   # (the derivative's)

        def derive_callee(callee, wrt_names, passed, arg_kinds):
            params = list(inspect.signature(callee).parameters)
            indices = tuple(params.index(p) for p in wrt_names)
            kinds = tuple(arg_kinds[passed.index(p)] if p in passed else "other"
                          for p in params)
            callee_ir = ir_for_kinds(callee, kinds)
            name = f"{prefix}_{callee_ir.name}" + ("" if indices == (0,)
                                                   else "_" + "_".join(wrt_names))
            base, k = name, 1
            while name in callees and callees[name] != (callee, indices, kinds, mode) \
                    or name in own_names and callee is not fn:    # (two lambda_3s, two fs)
                k += 1
                name = f"{base}_{k}"
            callees[name] = (callee, indices, kinds, mode)
            if callee.__module__ == runtime.__name__:    # (errors told at the caller's line)
                derive(callee, indices, kinds, mode=mode)
            if mode == "forward":
                return name, [dot(callee_ir.inputs[i]) for i in indices]
            return name, bar(callee_ir.body[-1].value.id)

        derive_callee.returns_scalar = returns_scalar
        derive_callee.changed_in_place = changed_in_place

        try:
            with _deep_recursion(fn), _collector_paused():
                name, source, closure, cells = _generate(
                    fn, ir, wrt, kinds, with_value, mode, optimized, derive_callee, callees,
                    check_output)
        except SrcadError as exc:
            if getattr(fn, "srcad_primal", None) is None or getattr(exc, "second_order", False):
                raise
            raise second_order_refusal(       # (told at the user's line)
                ir.source, exc, f"in the {made_by(fn)}'s code, {exc.message}",
                exc.hint if getattr(exc, "holds_again", False) else
                "srcad.hessian and srcad.hvp (forward over reverse) may work where grad of "
                "grad does not; else take differences of srcad.grad" if mode == "reverse"
                else "take differences of srcad.grad here") from None
        function = load(source, name, fn.__globals__, closure, cells)
        function.srcad_primal = fn     # (what its errors name, differentiated again)
        MADE_FROM[function.__code__.co_filename] = fn.__code__.co_filename
        guards = _guards(fn, ir)
        own = len(_own_guards(fn, ir))
        params = list(inspect.signature(fn).parameters)
        changed = tuple((k, p) for k, p in enumerate(params) if p in ir.changed)
        # a derivative's generated code copies the parameters its function changes: those
        # are the ones whose arrays no other argument may share (`check_distinct`)
        changed = tuple(sorted(set(changed) | set(getattr(fn, "srcad_changed", ()))))
        function.srcad_changed = changed
        compiled = _DERIVED[key] = Compiled(source, function, callees, guards, own,
                                            fn.__code__, changed)
        compiled.made_with = ir.made_with
        compiled.slots_only = frozenset(ir.changed) - ir.items_changed - {
            p for _, p in getattr(fn, "srcad_changed", ())}
        compiled.renamed = {p: n for p, n in parameter_names(params).items() if p != n}
        compiled.output = ir.body[-1].value.id      # (its adjoint is the seed's name)
        compiled.differentiated = fn                # (an inner gradient: maybe unoptimised)
        if _CLOSURES.get(id(fn.__code__), (None,))[0] is fn:
            _CLOSURE_DERIVED[(id(fn.__code__),) + key[1:]] = (ir, compiled)
    return compiled


def _seed_keyword_only(function):
    """`function` (a gradient, `grad_f(x, y, vbar_3=1.0)`) with its last positional parameter,
    the seed, keyword-only: the quickest path (`_quick_class`) passes the floats it gets as
    they are, and they must never be taken for the seed."""
    code = function.__code__
    defaults = function.__defaults__
    if code.co_kwonlyargcount or not defaults or code.co_flags & (
            inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return function              # (a seed after keyword-only parameters is one already)
    strict = types.FunctionType(code.replace(co_argcount=code.co_argcount - 1,
                                             co_kwonlyargcount=1),
                                function.__globals__, function.__name__, defaults[:-1] or None,
                                function.__closure__)
    strict.__kwdefaults__ = {code.co_varnames[code.co_argcount - 1]: defaults[-1]}
    return strict


def _refuse_for_kinds(fn, ir, kinds):
    """The refusals that hold only where a parameter is a list or a tuple (`zs = xs * 2;
    zs[0] += v`), or may be one (a file's generic derivative), or is no dict (`dict(d)`),
    or is not a list (`un = u[:]; un[i] = v`): known for these kinds."""
    if not ir.refusals_if_list:
        return
    params = list(inspect.signature(fn).parameters)
    kinds = tuple(kinds) + ("other",) * (len(params) - len(kinds))    # (keyword-only ones)
    listy = {p for p, kind in zip(params, kinds) if kind in ("list", "tuple", "dict", "other")}
    sequences = {p for p, kind in zip(params, kinds) if kind in ("list", "tuple")}
    others = {p for p, kind in zip(params, kinds) if kind != "dict"}
    lists = {p for p, kind in zip(params, kinds) if kind == "list"}
    for names, error in ir.refusals_if_list:
        # (`refused_for`: "sequences" (lists and tuples only), "no dict", "unless lists"
        # (refused unless they all are); else any structure)
        kind = getattr(error, "refused_for", None)
        if kind == "unless lists":
            if names - lists:
                raise error
        elif names & (sequences if kind == "sequences" else others if kind == "no dict"
                      else listy):
            raise error


def _generate(fn, ir, wrt, kinds, with_value, mode, optimized, derive_callee, callees,
              check_output=False):
    """The derivative's name, source, closure and cells; its tree lives only in here."""
    arrays, numbers = set(), set()
    names = T.Names()           # the names of each statement, shared by what follows
    if mode == "reverse":
        tree, builder = differentiate(ir, wrt, kinds, derive_callee, with_value, DEBUG,
                                      carry=optimized, names=names,
                                      check_output=check_output, for_files=FOR_FILES)
        arrays, numbers = builder.array_names(), builder.number_names()
    else:
        tree = forward_differentiate(ir, wrt, kinds, derive_callee, for_files=FOR_FILES)
    if optimized:
        tree = optimize(tree, names, check=DEBUG)
        tree = replay_loops_from_tapes(tree, names)
        # (stand-ins for arrays read for their shape where an argument is a matrix: where
        # a function's arrays are large, mostly; their calls and lines would not pay back
        # for vectors of a few numbers)
        matrices = any(k.startswith("array") and k[5:].isdigit() and int(k[5:]) >= 2
                       for k in kinds)
        tree = release_arrays(update_in_place(tree, numbers, names), arrays, names,
                              stand_ins=matrices)
    source = to_source(tree)
    return (tree.name, source) + _closure(tree, fn, ir, callees, names)


_RETURNS_SCALAR = {}


def returns_scalar(fn, kinds):
    """Whether user function `fn` returns a scalar when called with argument `kinds`: a
    number (`returns_number`; a bool is none, x[b] of one adds an axis)."""
    key = (fn, kinds)
    known = _RETURNS_SCALAR.get(key)
    if known is None or not _current(known[1]):
        _RETURNS_SCALAR[key] = (False, (), False, None)   # recursion: assume not meanwhile
        try:
            ir = intermediate(fn)
            ops = classify(ir, "reverse")
        except SrcadError:
            return False
        found = scalars(ir, ops, kinds, returns_scalar)
        fn = unwrap(fn)
        guards = _guards(fn) + _state_guards(fn)
        number = returns_a_number(ir, ops, found)
        known = _RETURNS_SCALAR[key] = (number and ir.body[-1].value.id in found, guards,
                                        number, _numbers_returned(ir, ops, found))
    return known[0]


def returns_number(fn, kinds):
    """Whether user function `fn` certainly returns a number when called with argument
    `kinds` (`analysis.returns_a_number`)."""
    returns_scalar(fn, kinds)
    return _RETURNS_SCALAR[(fn, kinds)][2]


def returned_numbers(fn, kinds):
    """Where user function `fn` returns a tuple display (`return v, -k * x`) when called
    with argument `kinds`: for each item, whether it is certainly a number; else None."""
    returns_scalar(fn, kinds)
    return _RETURNS_SCALAR[(fn, kinds)][3]


returns_scalar.numbers = returned_numbers     # (what `analysis.scalars` asks of a's and b's
#                                               `a, b = rhs(th, om)`)


def _numbers_returned(ir, ops, found):
    """`returned_numbers` of the function of `ir` (`found`: its scalars)."""
    out = ir.body[-1].value
    made = [op for op in ops.values() if op.target == getattr(out, "id", None)]
    if not made or not all(op.kind == "pack" and isinstance(op.stmt.value, gast.Tuple)
                           for op in made) \
            or len({len(op.stmt.value.elts) for op in made}) != 1:
        return None
    return tuple(all(isinstance(item, gast.Constant) and type(item.value) in (int, float)
                     or returns_a_number(ir, ops, found, out=item) for item in items)
                 for items in zip(*(op.stmt.value.elts for op in made)))


_READING = set()    # the functions whose calls changed_in_place is reading


def changed_in_place(fn, kinds=None):
    """The parameters of user function `fn` that it may change in place, "" standing for
    values outside it: what normalising it finds and what its calls change
    (`effects.definite_changes`); for a function srcad cannot normalise, all that
    `effects.changes` reads from its source may change (nothing for a function without
    source: calling one is an error of its own where it matters). With the `kinds` of
    its arguments, not the parameters that only `s -= ...` of a number would change
    (`s = A[i, j]` of a matrix A)."""
    if fn.__module__ == runtime.__name__:
        return {}                   # (srcad's helpers change no argument)
    try:
        # what its statements change, and what its calls may (np.copyto(b, w), out=,
        # b.fill(0.0), a helper of its own that does)
        ir = intermediate(fn)
        found = ir.changed
        if str(fn.__module__).startswith("srcad.") \
                or fn.__code__.co_filename.startswith("<srcad ") or fn in _READING:
            return found            # (generated code changes no argument)
        _READING.add(fn)            # (a recursive function: its own calls, found so far)
        try:
            calls = effects.definite_changes(fn, changed_in_place) or {}
        finally:
            _READING.discard(fn)
        if kinds is not None and any(p not in calls for p in ir.augmented_only):
            numbers = scalars(ir, classify(ir, "reverse"), kinds, returns_scalar)
            found = {p: how for p, how in found.items() if p in calls
                     or not ir.augmented_only.get(p, {None}) <= numbers}
        return {**calls, **found}
    except SrcadError as exc:
        reason = str(exc).splitlines()[0]
        changed_in_place.unreadable[fn] = exc.message   # (where in a library: not said)
        return {param: f"{how}; srcad cannot read {fn.__name__} to follow it: {reason}"
                for param, how in (effects.changes(fn) or {}).items()}


# function -> why srcad cannot read it (what a library function without a rule is refused for)
changed_in_place.unreadable = weakref.WeakKeyDictionary()


class _LazyCallee:
    """The derivative of a called user function, compiled on first use (allows recursion)."""

    def __init__(self, fn, wrt, kinds, mode):
        self.fn = fn
        self.wrt = wrt
        self.kinds = kinds
        self.mode = mode
        self.compiled = None

    def __call__(self, /, *args, **kwargs):
        return self._current().function(*args, **kwargs)

    def _current(self):
        compiled = self.compiled
        if compiled is None or compiled.guards and not _current(compiled.guards):
            compiled = self.compiled = derive(self.fn, self.wrt, self.kinds, mode=self.mode)
        return compiled

    @property
    def __wrapped__(self):
        """The generated function (what a derivative of the derivative reads and calls)."""
        return self._current().function


_MISSING = object()


def _reserved():
    """The names generated code uses for its own purposes, and what they mean there (made
    again only after a rule is registered; do not change it)."""
    version = registry.templates_registered()
    if _RESERVED.get("version") != version:
        provided = {}
        for rule in registry.all_rules():
            for template in (rule.adjoint, rule.tangent):
                if template is not None:
                    provided.update(template.module_values())
        provided["np"] = np
        for helper in runtime.HELPERS:
            provided[helper.__name__] = helper
        _RESERVED.update(version=version, provided=provided)
    return _RESERVED["provided"]


_RESERVED = {}      # version: templates registered when `provided` was made


def _closure(tree, fn, ir, callees, names):
    """`(closure, cells)`: the values that the derivative's free names refer to, and the
    cells of `fn`'s closure variables among them (`ir` may be another closure's)."""
    provided = dict(_reserved())
    provided.update({new: ir.namespace[new] for new in ir.renamed.values()})
    user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    closure, cells = {}, {}
    renamed = set(ir.renamed.values())
    for name in _names(tree, names):
        if name in ir.defaults:          # a default value the function was made with
            closure[name] = ir.defaults[name]
        elif name in callees:
            closure[name] = _LazyCallee(*callees[name])
        elif name in renamed:            # a user global whose name generated code uses
            closure[name] = ir.namespace[name]
        elif name in provided:           # np, helpers: user references were renamed
            if fn.__globals__.get(name, _MISSING) is not provided[name]:
                closure[name] = provided[name]
        elif name in user_cells:         # read through the primal's own cell
            cells[name] = user_cells[name]
    return closure, cells


def _names(tree, names):
    """The names `tree` (a FunctionDef) reads. A `del` of names reads none: `release_arrays`
    adds hundreds, and `names` has no entry for them (each would be a walk)."""
    reads = set(names.loads_in(stmt for stmt in tree.body
                               if type(stmt) is not gast.Delete or not _deletes_names(stmt)))
    return T.names_read(tree.args, reads)


def _deletes_names(stmt):
    """Whether `stmt` is `del a, b, ...` (of names only: `del a[i]` reads a and i)."""
    return type(stmt) is gast.Delete and all(type(t) is gast.Name for t in stmt.targets)


# ----- argument handling -----


def kinds_of(args):
    """What a derivative is specialised on, for each argument (`runtime.kind_of`)."""
    return tuple(runtime.kind_of(a) for a in args)


def _as_function(fn):
    """A callable object of a class of the user's (`layer`, whose class defines __call__)
    as its bound method `layer.__call__`, which srcad differentiates as other methods;
    anything else as it is."""
    if isinstance(fn, functools.partial):
        return partial_function(fn) or fn
    call = inspect.getattr_static(type(fn), "__call__", None)
    if isinstance(fn, (types.FunctionType, types.MethodType, type, _Transformed)) \
            or not isinstance(call, types.FunctionType) \
            or isinstance(getattr(fn, "srcad_made_by", None), str) \
            or inspect.getattr_static(fn, "__wrapped__", None) is not None:
        return fn
    return fn.__call__


def _refuse_packed(f, name):
    """`f`, a derivative object that packs its one gradient in a 1-tuple (`wrt=(0,)`), given
    to the public `name` (grad, jvp, ...): its generated code, what srcad differentiates
    again, gives the gradient alone (srcad's own hessian and hvp know it does)."""
    inner = f
    if isinstance(inner, _Transformed) and inner.mode == "forward":
        raise UnsupportedError(f"srcad.{name} of a srcad.jvp object (its tangents come after "
                               "the arguments) is not supported by srcad",
                               hint=f"take srcad.{name} of the function itself, or of a function "
                                    "of yours that calls the jvp object")
    if isinstance(inner, _Transformed) and inner.with_value == "aux":
        made = "grad" if inner._aux_last else "value_and_grad"
        raise UnsupportedError(f"srcad.{name} of srcad.{made}(..., has_aux=True) is not "
                               "supported by srcad",
                               hint=f"take srcad.{name} of a function of yours that returns "
                                    "the loss alone, or of srcad.grad of it")
    if isinstance(inner, _Transformed) and inner.mode == "reverse" and not inner.single \
            and len(inner.wrt) == 1:
        made = "value_and_grad" if inner.with_value else "grad"
        raise WrtError(f"srcad.{name} of srcad.{made}(..., wrt=({inner._wrt_given[0]!r},)), "
                       "which gives its one gradient in a 1-tuple, is not supported by srcad",
                       hint=f"differentiate srcad.{made}(..., wrt={inner._wrt_given[0]!r}): "
                            "the gradient alone")


def _refuse_made_by(fn):
    """What jacobian, hessian, hvp or vjp returns is a Python loop over derivatives (or a
    closure per call): nothing srcad can transform."""
    made_by = getattr(fn, "srcad_made_by", None)
    if isinstance(made_by, str):     # (an object's __getattr__ may answer anything)
        raise UnsupportedError(
            f"srcad cannot differentiate the function that srcad.{made_by} returns",
            hint="differentiate f or srcad.grad(f) instead: srcad.grad(srcad.grad(f)), "
                 "srcad.jacobian(srcad.grad(f)), srcad.hessian(f), srcad.hvp(f)")


def _wrt_indices(fn, wrt, bound=0, keyword_only=False):
    """`wrt` (index, name, or tuple of them) -> (tuple of indices, single?). `bound`: how
    many leading parameters are already bound (the `self` of a method). `keyword_only`:
    whether wrt may name a keyword-only parameter (its index follows the positional
    ones: the derivatives of `_Transformed` take it by name), else refused."""
    fn = _as_function(fn)
    _refuse_made_by(fn)
    if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
        indices, single = _wrt_indices(fn.__func__, wrt, bound + 1, keyword_only)
        return tuple(k - 1 for k in indices), single   # relative to the bound method's call
    fn = unwrap(fn)
    params = list(inspect.signature(fn).parameters)[bound:]
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    indices = []
    for item in items:
        if isinstance(item, str):
            if item not in params:
                raise WrtError(f"{fn.__name__} has no parameter named {item!r} "
                               f"(its parameters are {', '.join(params)})")
            indices.append(params.index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            item = int(item)      # (an index computed with NumPy: `np.argmax(...)`, np.int64)
            if not -len(params) <= item < len(params):
                raise WrtError(f"wrt={item} is out of range: {fn.__name__} has "
                               f"{len(params)} parameter(s)")
            indices.append(item % len(params))
        else:
            raise WrtError(f"wrt must be an index, a parameter name or a tuple of them, "
                           f"not {item!r}")
        kind = inspect.signature(fn).parameters[params[indices[-1]]].kind
        if kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            raise WrtError(f"wrt names the keyword-only parameter {params[indices[-1]]!r} of "
                           f"{fn.__name__}: srcad.grad, value_and_grad, vjp and jvp "
                           "differentiate one, jacobian, hessian, hvp and check_grad "
                           "positional parameters only",
                           hint=f"move {params[indices[-1]]!r} before the `*` of the "
                                "signature: calls that pass it by name stay as they are")
    if len(set(indices)) != len(indices):
        raise WrtError(f"wrt={wrt!r} names a parameter of {fn.__name__} twice")
    return tuple(k + bound for k in indices), single


_PLAIN = (float, int, bool, np.float64, np.ndarray, type(None), str)  # (hold nothing)
_FAST_ENTRIES = 64   # argument signatures remembered per derivative


class _ByLayout(dict):
    """Compiled derivatives for one signature of argument types that includes arrays or
    objects with attributes, by the dtype and shape of each array argument and the types
    of each object's attributes (`_attribute_layout`: what checks depend on beyond types:
    an attribute, or an attribute's attribute, that becomes a sparse matrix brings
    operators of its own). `layout(args)` reads them, written out for the signature's
    positions: a loop over the arguments costs three times as much per call."""

    def __init__(self, types_, objects=()):
        super().__init__()
        reads = [f"a[{k}].dtype, a[{k}].shape" if t is np.ndarray else
                 f"_attribute_layout(a[{k}])"
                 for k, t in enumerate(types_) if t is np.ndarray or k in objects]
        self.layout = eval(f"lambda a: ({', '.join(reads)},)")


_HOLDS_NOTHING = frozenset(_PLAIN)


def _attribute_layout(obj):
    """The types of `obj`'s attributes, and of what they hold where they hold more (an
    object, a list: `runtime.types_within`, as far as the check of the first call looks)."""
    kinds = tuple(map(type, obj.__dict__.values()))
    return kinds if _HOLDS_NOTHING.issuperset(kinds) else runtime.types_within(obj)


def _layout(value):
    """What the output check of a call depends on beyond the derivative: the shape of each
    array, also inside lists, tuples and dicts (a list of floats, then one of arrays)."""
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, (list, tuple)):
        return type(value), tuple(_layout(v) for v in value)
    if isinstance(value, dict):
        return dict, tuple((k, _layout(v)) for k, v in value.items())
    if isinstance(value, (str, bytes, bool, int, type(None))):
        return value            # (`mode="sum"` or `n` may decide the output's shape)
    return None


def _promote(args, wrt):
    """Integer inputs that are differentiated become floats."""
    args = list(args)
    for k in wrt:
        if k < len(args):
            a = args[k]
            if isinstance(a, (bool, np.bool_)):     # (NumPy gives float16 for np.sin(True))
                raise ArgumentError(f"argument {k} is a bool ({a!r}): srcad differentiates "
                                    "with respect to numbers and arrays of numbers",
                                    hint="pass a float, or leave it out of wrt")
            if _holds_text(a) or a is None:
                raise ArgumentError(f"argument {k} is "
                                    f"{'None' if a is None else _described_text(a)}: srcad "
                                    "differentiates with respect to numbers and arrays",
                                    hint="leave it out of wrt")
            args[k] = _promoted(a)
    if any(_holds(a, lambda v: isinstance(v, np.ndarray) and v.dtype == object) for a in args):
        raise ArgumentError("srcad differentiates arrays of numbers, not arrays of objects "
                            "(dtype=object)", hint="pass an array of floats, or a list of "
                                                   "arrays")
    if any(_holds_complex(a) for a in args):   # (also where it is no input: np.abs(x * c))
        raise SrcadError("complex inputs are not supported by srcad's rules",
                         hint="srcad differentiates real-valued code: pass the real and "
                              "imaginary parts as two real arrays")
    return args


def _promoted(value):
    """`value` with its integers and arrays of integers (or bools) made floats, also in
    lists, tuples and dicts at any depth; `value` itself where it holds none."""
    if isinstance(value, (list, tuple)):
        items = [_promoted(v) for v in value]
        if all(p is v for p, v in zip(items, value)):
            return value
        return type(value)(items) if type(value) in (list, tuple) else value
    if isinstance(value, dict):
        items = {key: _promoted(v) for key, v in value.items()}
        if all(items[key] is v for key, v in value.items()):
            return value
        return items if type(value) is dict else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return value.astype(float)
    return value


def _check_promotion(fn, given, promoted, kwargs, copies=copy.deepcopy):
    """Refuse where `fn` computes another value once `_promote` has made its arrays of
    integers (or NumPy integers) floats: NumPy keeps an argument's dtype through
    `np.full_like(x, 2.7)`, `np.zeros_like(x)` or `x.copy()` and truncates what is written
    into them, so that the function of floats that srcad differentiates would not be the one
    called, and neither would its value or derivative. Where no such argument was promoted
    (floats), this costs a loop over the arguments; where one was, `fn` runs on copies of
    both argument lists (`given` and `promoted` hold the object `fn` takes first, if bound)."""
    made = [k for k, (a, p) in enumerate(zip(given, promoted)) if p is not a]
    if not made:
        return
    try:
        params = list(_signature_of(fn).parameters)
    except (TypeError, ValueError):       # (a callable without a signature)
        params = []
    names = ", ".join(params[k] if k < len(params) else f"#{k}" for k in made)
    name = getattr(fn, "__name__", getattr(getattr(fn, "func", None), "__name__", "f"))
    hint = "pass floats (x.astype(float)): srcad differentiates the function of floats"
    given, keywords = _with_defaults(fn, given, kwargs)
    promoted, _ = _with_defaults(fn, promoted, kwargs)
    try:
        floats = fn(*copies(tuple(promoted)), **copies(keywords))
    except Exception:     # noqa: BLE001 - the derivative raises it, or says why it fails
        return
    try:
        integers = fn(*copies(tuple(given)), **copies(keywords))
    except Exception as exc:  # noqa: BLE001 - any error of the user's function
        raise ArgumentError(f"{name} fails on its integer argument(s) {names} "
                            f"({type(exc).__name__}: {exc}), which srcad makes floats to "
                            "differentiate", hint=hint) from None
    if not _same_value(integers, floats):
        raise ArgumentError(f"{name} computes another value when its integer "
                            f"argument(s) {names} become floats to be differentiated "
                            f"({integers!r} for the integers given, {floats!r} for floats: "
                            "its result depends on their dtype)", hint=hint)
    # a branch on their type (`if isinstance(x, int)`, `if x.dtype.kind == "i"`) may agree
    # at the point alone, and its derivative not: the integers beside it tell
    for step in (1, 2):
        moved = [_shifted(a, step) if k in made else a for k, a in enumerate(given)]
        try:
            floats = fn(*copies(tuple(_promoted(a) for a in moved)), **copies(keywords))
            integers = fn(*copies(tuple(moved)), **copies(keywords))
        except Exception:     # noqa: BLE001 - beside the point: (a count, an index) not told
            continue
        if not _same_value(integers, floats):
            raise ArgumentError(
                f"{name} computes another function of its integer argument(s) {names} than "
                "of floats, which srcad makes them to differentiate: the values agree at the "
                f"point given, not {step} greater ({integers!r} for integers, {floats!r} for "
                "floats: its result depends on their dtype)", hint=hint)


def _shifted(value, step):
    """`value` with its integers and arrays of integers `step` greater (where that stays
    within their dtype), also in lists, tuples and dicts: the integers beside the point."""
    if isinstance(value, (list, tuple)):
        items = [_shifted(v, step) for v in value]
        return type(value)(items) if type(value) in (list, tuple) else value
    if isinstance(value, dict):
        return {key: _shifted(v, step) for key, v in value.items()} \
            if type(value) is dict else value
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, int):
        return value + step
    if isinstance(value, (np.integer, np.ndarray)) and np.asarray(value).dtype.kind in "iu" \
            and np.all(value <= np.iinfo(value.dtype).max - step):
        return value + value.dtype.type(step)
    return value


def _same_value(a, b):
    """Whether two results of a function are the same: the same structure, and numbers
    equal but for rounding (a result that cannot be compared counts as the same)."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_value, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(
            _same_value(a[k], b[k]) for k in a)
    try:
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "biufc" and y.dtype.kind in "biufc":
            return bool(np.allclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True))
        return bool(np.all(x == y))
    except Exception:         # noqa: BLE001 - an object of the user's that NumPy cannot read
        return True


def _refuse_none_defaults(fn, passed, wrt):
    """A parameter of `wrt` left to its default None is differentiated with respect to
    nothing: refused, as None passed is (`_promote`)."""
    params = list(_signature_of(fn).parameters.values())
    for k in wrt:
        if passed <= k < len(params) and params[k].default is None:
            raise ArgumentError(f"argument {k} ({params[k].name}) is left to its default None: "
                                "srcad differentiates with respect to numbers and arrays",
                                hint="pass a value for it, or leave it out of wrt")


def _holds(value, test):
    """Whether `value`, or an item of a list, tuple or dict in it, passes `test`."""
    if isinstance(value, (list, tuple)):
        return any(_holds(v, test) for v in value)
    if isinstance(value, dict):
        return any(_holds(v, test) for v in value.values())
    return test(value)


def _holds_text(value):
    """Whether `value` holds a string (or an array of them): nothing to differentiate with
    respect to."""
    return _holds(value, lambda v: isinstance(v, (str, bytes)) or isinstance(
        v, np.ndarray) and v.dtype.kind in "OUSV")


def _described_text(value):
    return f"a {type(value).__name__}" + (f" of dtype {value.dtype}"
                                          if isinstance(value, np.ndarray) else "")


def _holds_complex(value):
    """Whether `value` holds a complex number or array."""
    return _holds(value, lambda v: isinstance(v, (complex, np.complexfloating)) or isinstance(
        v, np.ndarray) and v.dtype.kind == "c")


_OBJECTS = weakref.WeakSet()     # every derivative object (`_forget_rules`)


def _forget_rules():
    """A rule registered (again) makes derivatives again: the derivative cache's key holds
    the registry's version, and each derivative object forgets the derivatives it went
    straight to (here, so that its quickest calls check nothing)."""
    for made in list(_OBJECTS):
        made._forget()


registry.on_register(_forget_rules)


class _Transformed:
    """Common ground of derivative objects: which function, which `wrt`, which kinds.

    A derivative of a derivative (`grad(grad(f))`, `hessian`) transforms the
    generated code of the inner one, compiled for the kinds of the actual arguments.
    """
    mode = "reverse"
    with_value = False
    optimized = True
    # "unproven": the generated gradient checks that the value is a number where the
    # analysis does not show it is (the first call's run of the function sees one call)
    checks_output = False

    def __init__(self, fn, wrt, name):
        self.primal = fn
        fn = _as_function(fn)
        _refuse_made_by(fn)
        self._bound = ()   # a method's object, passed first: a constant of the derivative
        if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
            # (a subclass's object: its own methods are those `self.predict(w)` calls)
            self._bound, fn = (fn.__self__,), method_of_class(fn.__func__, type(fn.__self__))
        self._per_instance = {}   # id(obj) -> (weak reference to obj, derivative of obj.method)
        self._inner = fn if isinstance(fn, _Transformed) else None
        if self._inner is not None:
            self._bound = self._inner._bound     # hessian(m.loss): the object goes first
        self._fn = None if self._inner else unwrap(fn)
        base = self._base = self.base()
        self._made = _Made(base)      # what the derivatives of `_fast` are made from
        self._wrt_given = wrt
        self.wrt, self.single = _wrt_indices(base, wrt, len(self._bound), True)
        if self._fn is not None:    # (errors in the source surface now, not at the first call)
            intermediate(self._fn, aux=self.with_value == "aux")
        self._last = None
        self.__name__ = f"{name}_{base.__name__}"
        self.__qualname__ = self.__name__
        self.__doc__ = base.__doc__
        self.__module__ = base.__module__
        _OBJECTS.add(self)

    def base(self):
        """The user's original function (its signature is the derivative's)."""
        return self._inner.base() if self._inner else self._fn

    def _unchanged(self):
        """Whether the user's function keeps the code and defaults that the derivatives
        in `_fast` were made from; if not, they are forgotten (IPython's autoreload replaces
        a function's code in place, `f.__defaults__ = (5.0,)` its defaults)."""
        if _made_from(self._base, self._made):
            return True
        self._forget()
        return False

    def _forget(self):
        self._fast = {}
        self._made = _Made(self._base)
        self.__dict__.pop("_signature_", None)
        # (new code may have other parameters: `wrt` as given, checked against them)
        self.wrt, self.single = _wrt_indices(self._base, self._wrt_given, len(self._bound),
                                             True)

    def __get__(self, obj, objtype=None):
        """`@srcad.grad` on a method: through an instance, the derivative of the method bound
        to it (`wrt` counts the parameters after `self`), made once per instance."""
        if obj is None or self._inner is not None or self._bound:
            return self
        made = self._per_instance.get(id(obj))   # (by identity: instances equal by their
        if made is not None and made[0]() is obj:  # __eq__ hold other weights)
            return made[1]
        bound = self._remake(types.MethodType(self.primal, obj))
        try:
            ref = weakref.ref(obj, lambda _, key=id(obj), made=self._per_instance:
                              made.pop(key, None))
        except TypeError:                 # no weak references to it: made on each access
            return bound
        self._per_instance[id(obj)] = (ref, bound)
        return bound

    def _check_arguments(self, args, kwargs, after=""):
        """Arguments the function does not take: an ArgumentError naming them (called on the
        slow path only: the fast one sees only types that a checked call had)."""
        self._unchanged()        # (the signature of a function given other defaults)
        try:
            self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            base = self.base()
            raise ArgumentError(f"{self.__name__} takes the arguments of {base.__name__}"
                                f"{self._signature}{after}: {exc}") from None

    def _by_position(self, args, kwargs):
        """`(args, kwargs)` of a checked call with the arguments of positional parameters
        passed by position (defaults filled in before one given by name): promotion, kinds
        and checks see an argument given by name where they see the others."""
        return _positional(self.base(), args, kwargs) if kwargs else (args, kwargs)

    @property
    def _signature(self):
        signature = self.__dict__.get("_signature_")
        if signature is None:
            signature = self._signature_ = inspect.signature(self.base())
        return signature

    def function_for(self, args, optimized=None):
        """The function this one differentiates: the user's, or the inner derivative's
        generated one (`optimized`: whether its passes ran, where not as the inner says)."""
        return self._inner.compiled(args, optimized).function if self._inner else self._fn

    def _integers_made_floats(self, exc, args, promoted):
        """`exc`, raised by the derivative, as the ArgumentError it is where integer
        arguments became floats to be differentiated (`range(n)`, `x[i]` of a float)."""
        made = [name for name, a, p in zip(self._signature.parameters, args, promoted)
                if p is not a and isinstance(a, (int, np.integer))]
        if not made or isinstance(exc, SrcadError):
            return exc
        return ArgumentError(
            f"{self.base().__name__} fails when its integer argument(s) "
            f"{', '.join(made)} become floats to be differentiated: {exc}",
            hint="pass floats, or leave counts and indices out of wrt")

    def compiled(self, args=(), optimized=None, kwargs=None):
        """The derivative for arguments like `args` (and keyword-only ones in `kwargs`,
        which only the check of operands with operators of their own reads)."""
        base = self.base()
        n = base.__code__.co_argcount
        args = args[:n]
        # (a parameter left to its default: the default's kind, `dt=0.01` a number)
        defaults = base.__defaults__ or ()
        missing = [defaults[k - n + len(defaults)] if k >= n - len(defaults) else _MISSING
                   for k in range(len(args), n)]
        kinds = kinds_of(args) + tuple("other" if d is _MISSING else runtime.kind_of(d)
                                       for d in missing)
        optimized = self.optimized if optimized is None else optimized
        operators, holders = {}, {}   # (defaults too)
        named = base.__code__.co_varnames[n:n + base.__code__.co_kwonlyargcount]
        given = {**(base.__kwdefaults__ or {}), **(kwargs or {})}
        if any(k >= n for k in self.wrt):     # (wrt names a keyword-only parameter)
            kinds += tuple("other" if name not in given else runtime.kind_of(given[name])
                           for name in named)
        for k, a in enumerate(tuple(args) + tuple(missing)
                              + tuple(given.get(name, _MISSING) for name in named)):
            if a is _MISSING or type(a) in _PLAIN:
                continue
            if runtime.own_arithmetic(a):
                operators[k] = a
            elif runtime.own_arithmetic_within(a) is not None:
                holders[k] = a
        if operators or holders:  # (a scipy.sparse matrix, np.matrix, a class with its own *)
            ir = ir_for_kinds(self.function_for(args), kinds)
            ops = classify(ir, "reverse")
            check_own_arithmetic(ir, ops, activity(ir, ops, [ir.inputs[k] for k in self.wrt],
                                                   ir.body[-1].value.id), operators, holders)
        try:
            return derive(self.function_for(args), self.wrt, kinds, self.with_value,
                          self.mode, optimized, self.checks_output)
        except UnsupportedError as exc:
            if self._inner is None or not self._inner.optimized \
                    or not getattr(exc, "second_order", False):
                raise
            # the inner gradient's optimised code may do what its plain code does not
            # (write into a list of terms for a batched product): differentiate that
            return derive(self.function_for(args, optimized=False), self.wrt, kinds,
                          self.with_value, self.mode, optimized)

    @property
    def source(self):
        """The generated source (for the argument kinds of the last call, else generic)."""
        return (self._last or self.compiled()).source

    @property
    def generated(self):
        """The generated function for arguments of any kind: what a function that calls
        this derivative object is differentiated through (and what its derivative calls,
        `d.generated(w, x)`, where the object packs the function's results otherwise)."""
        return self.compiled().function

    def _plain(self, args):
        """Whether calls with these argument types can skip promotion and checks."""
        scalars = (float, np.float64, int, bool, type(None))
        return not self.with_value and (self.single or len(self.wrt) > 1 or
                                        self.mode == "forward") and all(
            type(a) in scalars and (type(a) not in (int, bool) or k not in self.wrt)
            for k, a in enumerate(args))


class Derivative(_Transformed):
    """A gradient function: call it, read `.source`, find the original in `.primal`."""
    # what the quickest path (`_quick_class`) reads, in slots: quicker than the instance's dict
    __slots__ = ("_floats_last", "_floats_code", "_base")

    def __init__(self, fn, wrt, with_value=False, check_scalar=True, name="grad",
                 optimize=True):
        """`with_value`: also return the value; "aux", `f` returns `(loss, aux)` (has_aux):
        `grad` returns `(grads, aux)`, `value_and_grad` `((loss, aux), grads)`."""
        self.optimized = optimize
        self.with_value = with_value
        self._aux_last = with_value == "aux" and name == "grad"
        self.check_scalar = check_scalar
        self.checks_output = "unproven" if check_scalar else False
        self._checked = set()
        self._fast = {}       # argument types -> Compiled, or a _ByLayout of them
        self._floats = None   # the Compiled for arguments that are all floats
        self._floats_strict = None   # its function, the seed keyword-only (_seed_keyword_only)
        self._floats_last = None   # its function while it is also `_last` (see _use)
        self._floats_code = None   # the code of the user's function it was made from
        self._remake = lambda method: Derivative(method, wrt, with_value, check_scalar, name,
                                                 optimize)
        super().__init__(fn, wrt, name)
        self._direct = not with_value and (self.single or len(self.wrt) > 1)  # result as is

    def __call__(self, /, *args, **kwargs):
        # (floats, checked before, take the quickest path: the __call__ of `_quick_class`)
        args = self._bound + args
        if not kwargs:
            compiled = self._fast.get(tuple(map(type, args)))
            if type(compiled) is _ByLayout:   # arrays among the arguments
                compiled = compiled.get(compiled.layout(args))
            if compiled is not None and (not compiled.guards or _current(compiled.guards)) \
                    and self._unchanged():
                # arguments like ones checked before: no checks left (but arrays shared
                # with a parameter the function changes in place)
                if compiled.changed:
                    compiled.check_distinct(args)
                self._use(compiled)
                if self._direct:
                    return compiled.function(*args)
                return self._finish(compiled.function(*args))
        self._check_arguments(args, kwargs)
        args, kwargs = self._by_position(args, kwargs)
        promoted = _promote(args, self.wrt)
        _refuse_none_defaults(self.base(), len(args), self.wrt)
        compiled = self.compiled(promoted, kwargs=kwargs)
        compiled.check_distinct(promoted, kwargs)
        _check_promotion(self.base(), args, promoted, kwargs,
                         functools.partial(_copies, compiled=compiled))
        self._use(compiled)
        try:
            if self.check_scalar and not self.with_value:
                self._check_output(compiled, promoted, kwargs)
            result = self._finish(compiled.function(*promoted, **compiled.keywords(kwargs)))
        except (TypeError, IndexError) as exc:   # (`x[i]` of an index made a float)
            raise self._integers_made_floats(exc, args, promoted) from exc
        if not kwargs and all(p is a for p, a in zip(promoted, args)):
            self._remember(args, compiled)
        return result

    def _use(self, compiled):
        """`compiled` serves this call: `.source` shows its code. The quickest path (all
        floats) is open while the float derivative is the one `.source` shows, so that it
        need not set `_last` itself."""
        self._last = compiled
        self._floats_last = self._floats_strict if compiled is self._floats else None

    def _remember(self, args, compiled):
        """Let later calls with arguments of these types (and array layouts) go straight
        to `compiled`."""
        if len(self._fast) >= _FAST_ENTRIES:
            self._forget()
        types_ = tuple(map(type, args))
        if any(isinstance(a, np.ndarray) and t is not np.ndarray
               or isinstance(a, (list, tuple, dict, str, bytes)) for a, t in zip(args, types_)):
            return        # array subclasses, structures (what they hold) and strings (which
            #               may choose what the function does): checked on each call
        objects = [k for k, a in enumerate(args)    # (their attributes' types: a layout)
                   if type(getattr(a, "__dict__", None)) is dict and not callable(a)]
        if np.ndarray not in types_ and not objects:
            self._fast[types_] = compiled
            if self._direct and not self._bound and not compiled.guards \
                    and all(t is float for t in types_) \
                    and self._made.made_with == (None, None):
                # (no guards to check on the quickest path, but that the code is the same)
                self._floats, self._floats_code = compiled, self._base.__code__
                if types_ and type(self) is Derivative:
                    self.__class__ = _quick_class(len(types_))
                self._floats_strict = self._floats_last = _seed_keyword_only(
                    compiled.function)                     # (the call made `_last` it)
            return
        by_layout = self._fast.get(types_)
        if by_layout is None or len(by_layout) >= _FAST_ENTRIES:
            by_layout = self._fast[types_] = _ByLayout(types_, objects)
        by_layout[by_layout.layout(args)] = compiled

    def _forget(self):
        super()._forget()
        self._floats = self._floats_strict = self._floats_last = self._floats_code = None

    def _finish(self, result):
        if self.with_value:
            value, grads = result
            loss = value[0] if self.with_value == "aux" else value
            if self.check_scalar and not _is_scalar(loss):
                raise _non_scalar(self._inner or self.base(), loss)
            if not self.single and len(self.wrt) == 1:
                grads = (grads,)
            return (grads, value[1]) if self._aux_last else (value, grads)
        if not self.single and len(self.wrt) == 1:
            return (result,)
        return result

    def _check_output(self, compiled, args, kwargs):
        key = (id(compiled), tuple(_layout(a) for a in args))
        if key in self._checked:
            return
        # run the primal on copies: it may change its arguments in place (and its defaults)
        function = self.function_for(args)
        given, keywords = _with_defaults(function, args, kwargs)
        value = function(*_copies(given, compiled), **_copies(keywords, compiled))
        if not _is_scalar(value):
            raise _non_scalar(self._inner or self.base(), value)
        if self._inner is None and not self._bound and self.primal is not self._fn:
            # srcad differentiates the function a decorator wraps: it must compute the same
            decorated = self.primal(*_copies(args, compiled),
                                    **_copies(kwargs, compiled))
            if not np.allclose(decorated, value, rtol=1e-12, atol=0.0, equal_nan=True):
                raise UnsupportedError(
                    f"the decorator of {self._fn.__name__} changes its value ({decorated!r} "
                    f"instead of {value!r}); srcad differentiates the undecorated function",
                    code_location(self._fn),
                    hint="apply srcad.grad to a function that computes the decorated value")
        self._checked.add(key)


_QUICK = {}     # number of arguments -> a Derivative whose __call__ takes that many floats


def _quick_class(n):
    """A subclass of Derivative for `n` floats: its __call__ checks them one by one, and
    passes them on without packing them in a tuple (a third of the call's cost, where the
    function is a few operations on numbers); anything else goes to Derivative.__call__."""
    cls = _QUICK.get(n)
    if cls is None:
        names = [f"_srcad_{k}" for k in range(n)]
        listed = ", ".join(names)
        source = (
            f"def __call__(self, /, {', '.join(p + '=_MISSING' for p in names)}, *rest, **kwargs):\n"
            f"    function = self._floats_last\n"
            f"    if function is not None and {' and '.join(f'type({p}) is float' for p in names)}"
            f" and not rest and not kwargs and self._base.__code__ is self._floats_code:\n"
            f"        try:\n"
            f"            return function({listed})\n"
            f"        except TypeError:\n"
            f"            pass\n"
            f"    args = tuple(a for a in ({listed},) if a is not _MISSING) + rest\n"
            f"    return Derivative.__call__(self, *args, **kwargs)\n")
        namespace = {"_MISSING": _MISSING, "Derivative": Derivative}
        exec(compile(source, f"<srcad quick call of {n}>", "exec"), namespace)
        cls = _QUICK[n] = type("Derivative", (Derivative,), {
            "__call__": namespace["__call__"], "__slots__": (), "__module__": __name__,
            "__doc__": Derivative.__doc__})
    return cls


def _with_defaults(fn, args, kwargs):
    """`args` and `kwargs` with the defaults of the parameters they leave out passed
    explicitly, so that a run on copies copies those too: a default array is an object the
    function may change as it may change an argument, and Python keeps it for the next
    call (helper-78: grad's check run wrote into one, then differentiated at it)."""
    if not (getattr(fn, "__defaults__", None) or getattr(fn, "__kwdefaults__", None)):
        return args, kwargs
    try:
        bound = _signature_of(fn).bind(*args, **kwargs)
    except TypeError:
        return args, kwargs         # (the call raises Python's error)
    bound.apply_defaults()
    return bound.args, bound.kwargs


def _copies(value, compiled, draws=None):
    """A deep copy of arguments `value` (a tuple or a dict of them), which the function may
    change; where one cannot be copied (an object holding a lock), `value` itself if the
    function changes none of its arguments in place (`compiled.changed`), else a clear
    error. `draws`: the random generators the copy shares with `value` (`_Draws`)."""
    try:
        return copy.deepcopy(value, None if draws is None else draws.shared())
    except Exception as exc:   # noqa: BLE001 - any object's __deepcopy__ or __reduce__ may fail
        if not compiled.changed:
            return value
        raise ArgumentError(f"srcad runs the function on copies of its arguments (it may "
                            f"change them), but one cannot be copied: {exc}",
                            hint="pass the arrays and numbers the function reads as "
                                 "arguments, or give the object a __deepcopy__") from None


# ----- random generators: one call of the function, one draw -----
#
# A function may draw from a NumPy random generator it is given or reads (noise, a dropout
# mask: `rng.random(w.shape) < 0.5`). Where srcad runs it more than once for one call (vjp:
# the value, then each call of the pullback; a Jacobian's or a Hessian's passes; check_grad's
# differences), every run must make the draws of that one call, or a value and its
# derivative, or two columns, come from different draws. `_Draws.run` puts the generators
# back where the call found them before each run, and where the call left them after it;
# the copies of the arguments srcad runs on share them (`_copies`). The generators end
# where one run leaves them, as Python's call of the function would leave them.

_GENERATOR_DEPTH = 6      # how deep `_random_generators` looks into objects' attributes
_GENERATOR_ITEMS = 256    # and at how many items of a list (a module's list of numbers)


def _random_generators(values):
    """The NumPy random generators (a Generator, a RandomState, a bit generator) that
    `values` hold, in lists, tuples and dicts (their first 256 items) and in the attributes
    of objects (six deep), each once."""
    found, seen = {}, set()
    todo = [(values, 0)]
    while todo:
        value, depth = todo.pop()
        if type(value) in _PLAIN or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, _GENERATORS):
            found[id(value)] = value
        elif isinstance(value, (list, tuple)):
            todo.extend((v, depth) for v in value[:_GENERATOR_ITEMS])
        elif isinstance(value, dict):
            todo.extend((v, depth) for v in itertools.islice(value.values(), _GENERATOR_ITEMS))
        elif depth < _GENERATOR_DEPTH and not isinstance(
                value, (type, types.ModuleType, types.FunctionType, np.ndarray)):
            try:         # (an object's __getattr__ may raise anything, for __dict__ too)
                attributes = vars(value)
            except Exception:  # noqa: BLE001 - no __dict__ (a number, a C object)
                continue
            if isinstance(attributes, dict):
                todo.extend((v, depth + 1) for v in attributes.values())
    return list(found.values())


def _random_state(generator):
    """The state `generator` (`_GENERATORS`) draws from next."""
    if isinstance(generator, np.random.RandomState):
        return generator.get_state()
    if isinstance(generator, np.random.Generator):
        generator = generator.bit_generator
    return generator.state


def _set_random_state(generator, state):
    if isinstance(generator, np.random.RandomState):
        generator.set_state(state)
        return
    if isinstance(generator, np.random.Generator):
        generator = generator.bit_generator
    generator.state = state


class _Draws:
    """The random generators that one call of a function reads: those its arguments (and
    its defaults) hold, those its code and the functions of the user's it calls read
    (`RNG` of the module, `cfg.rng`), and NumPy's own where it reads `np.random`; and where
    each stood when the call came. Each run of the function goes through `run`."""

    def __init__(self, fn, *values):
        if isinstance(fn, _Transformed):
            fn = fn.base()
        elif not isinstance(fn, types.FunctionType):
            fn = _as_function(fn)
        if isinstance(fn, types.MethodType):        # (its object: `self.rng`)
            values += (fn.__self__,)
            fn = fn.__func__
        fn = inspect.unwrap(fn)
        numpys = False
        if isinstance(fn, types.FunctionType):
            values += (fn.__defaults__, fn.__kwdefaults__,
                       [value for _, value in _values_read(fn, set())])
            numpys = _reads_numpy_random(fn)
        self.generators = _random_generators(values)
        self.shares = {id(g): g for g in self.generators}
        if numpys:
            self.generators.append(np.random.mtrand._rand)
        self.start = [_random_state(g) for g in self.generators]
        self.ran = False

    def shared(self):
        """A memo for `copy.deepcopy` that keeps the generators: the copy draws from them."""
        return dict(self.shares)

    @contextlib.contextmanager
    def run(self):
        """A run of the function: the first is the call, from where the call found the
        generators; each later one replays its draws, and leaves them where the call did
        (and where anything since has, `rng.normal()` between vjp and its pullback)."""
        if not self.generators:
            yield
            return
        now = [_random_state(g) for g in self.generators] if self.ran else None
        self.ran = True
        for generator, state in zip(self.generators, self.start):
            _set_random_state(generator, state)
        try:
            yield
        finally:
            for generator, state in zip(self.generators, now or ()):
                _set_random_state(generator, state)


def _reads_numpy_random(fn):
    """Whether `fn` (or a function of the user's it calls) may draw from NumPy's own
    generator: reads `np.random`, or a module name bound to it or to one of its functions
    (`from numpy.random import normal`)."""
    names = _names_read(fn)
    own = np.random.mtrand._rand
    return "random" in names or any(
        value is np.random or getattr(value, "__self__", None) is own
        for value in map(fn.__globals__.get, names))


def _is_scalar(value):
    """A number (an integer, a float, a 0-d numeric array), not a bool, None or a string."""
    if isinstance(value, (list, tuple, dict, str, bytes, bool, np.bool_)) or value is None \
            or np.ndim(value) != 0:
        return False
    return np.asarray(value).dtype.kind in "iuf"


def _non_scalar(fn, value, what="grad"):
    if not isinstance(value, (list, tuple, dict)) and np.ndim(value) == 0:
        return NonScalarOutputError(
            f"{what} needs {fn.__name__} to return a number, but it returned {value!r}",
            hint=f"return the value to differentiate (a float) from {fn.__name__}")
    if isinstance(value, dict):
        returned = f"a dict (keys {', '.join(map(repr, value))})"
    else:
        try:
            returned = f"a value of shape {np.shape(value)}"
        except ValueError:                   # a ragged tuple
            returned = f"a {type(value).__name__} of {len(value)} parts"
    pair = " (or, where it returns a loss and what it hands back beside it, pass " \
        "has_aux=True)" if isinstance(value, tuple) and len(value) == 2 else ""
    return NonScalarOutputError(
        f"{what} needs {fn.__name__} to return a scalar, but it returned {returned}",
        hint="use srcad.vjp for a vector-Jacobian product, or srcad.jacobian for the whole "
             f"Jacobian{pair}")


def _decorator_form(make, f, kwargs, name):
    if f is None:
        return lambda fn: make(fn, **kwargs)
    if isinstance(f, (int, np.integer, str, tuple)) and not isinstance(f, bool):
        raise WrtError(f"srcad got {f!r} where the function belongs",
                       hint=f"write @srcad.grad(wrt={f!r}) (wrt by keyword)")
    _refuse_packed(f, name)
    return make(f, **kwargs)


def grad(f=None, wrt=0, optimize=True, has_aux=False):
    """The gradient of scalar-valued `f` with respect to argument(s) `wrt`.

    `optimize=False` keeps the derivative exactly as the transformation wrote it.
    `has_aux=True`: `f` returns a pair `(loss, aux)`; the derivative returns `(gradient,
    aux)`, as jax.grad does.
    """
    return _decorator_form(
        lambda fn, wrt, optimize, has_aux: Derivative(
            fn, wrt, with_value="aux" if has_aux else False, optimize=optimize),
        f, {"wrt": wrt, "optimize": optimize, "has_aux": has_aux}, "grad")


def value_and_grad(f=None, wrt=0, optimize=True, has_aux=False):
    """`fn(*args) -> (f(*args), gradient)`; with `has_aux=True`, `f` returns a pair `(loss,
    aux)` and `fn` gives `((loss, aux), gradient)`, as jax.value_and_grad does."""
    return _decorator_form(
        lambda fn, wrt, optimize, has_aux: Derivative(
            fn, wrt, with_value="aux" if has_aux else True, name="value_and_grad",
            optimize=optimize),
        f, {"wrt": wrt, "optimize": optimize, "has_aux": has_aux}, "value_and_grad")


def vjp(f, wrt=0, has_aux=False):
    """`fn(*args) -> (value, pullback)`, `pullback(ybar)` -> the vector-Jacobian product;
    with `has_aux=True`, `f` returns a pair `(value, aux)` and `fn` gives `(value, pullback,
    aux)`, as jax.vjp does."""
    _refuse_packed(f, "vjp")
    return _VectorJacobian(f, wrt, has_aux)


class _VectorJacobian:
    """What `vjp(f)` returns: called, `(value, pullback)` (`has_aux`: `(value, pullback,
    aux)`); `.source`, the pullback's code."""
    srcad_made_by = "vjp"      # (a Python closure per call: differentiate f instead)

    def __init__(self, f, wrt, has_aux=False):
        _refuse_aux_of_derivative(f, has_aux, "vjp")
        self.has_aux = has_aux
        # (has_aux: the pullback's function returns `((value, aux), grads)`, of the value)
        self.derivative = Derivative(f, wrt, with_value="aux" if has_aux else False,
                                     check_scalar=False, name="vjp")
        # (a bound method is called as it is: its object goes first, as the derivative's;
        # a derivative object too: vjp(grad(f)))
        f = _as_function(f)
        self._fn = f if isinstance(f, (types.MethodType, _Transformed)) else unwrap(f)
        self.__name__ = self.derivative.__name__

    @property
    def source(self):
        return self.derivative.source

    def __call__(self, /, *args, **kwargs):
        derivative = self.derivative
        args = derivative._bound + args
        derivative._check_arguments(args, kwargs)
        args, kwargs = derivative._by_position(args, kwargs)
        given, args = args, _promote(args, derivative.wrt)
        compiled = derivative.compiled(args, kwargs=kwargs)
        compiled.check_distinct(args, kwargs)
        _check_promotion(derivative.base(), given, args, kwargs,
                         functools.partial(_copies, compiled=compiled))
        derivative._last = compiled
        # the pullback differentiates at the arguments as given here, whatever the function
        # or the caller does to them afterwards, and at the draws the value was made of
        draws = _Draws(derivative, args, kwargs)
        args, kwargs = _copies(args, compiled, draws), _copies(kwargs, compiled, draws)
        own, keywords = _with_defaults(self._fn, args[len(derivative._bound):], kwargs)
        with draws.run():
            value = self._fn(*_copies(own, compiled, draws),
                             **_copies(keywords, compiled, draws)) \
                if compiled.changed else self._fn(*own, **keywords)
        if self.has_aux:    # (aux as this run made it: the pullback replays the same run)
            value, aux = value
        seed = bar(compiled.output)
        name = self._fn.__name__

        def pullback(ybar=_MISSING):
            if ybar is _MISSING:
                raise ArgumentError(f"the pullback of {name} takes ybar, shaped like the "
                                    f"value {name} returned ({_described(value)})")
            _check_cotangent(value, ybar, name)
            with draws.run():
                grads = compiled.function(*args, **compiled.keywords(kwargs), **{seed: ybar})
            if self.has_aux:
                grads = grads[1]                # (after the value and aux)
            grads = _apart_from(grads, ybar)
            if not derivative.single and len(derivative.wrt) == 1:
                return (grads,)
            return grads
        return (value, pullback, aux) if self.has_aux else (value, pullback)


def _refuse_aux_of_derivative(f, has_aux, name):
    """`has_aux=True` for a derivative object `f`: its generated code returns derivatives,
    no pair `(value, aux)` written out (see `normalise._returns_with_aux`)."""
    if has_aux and isinstance(f, _Transformed):
        raise UnsupportedError(
            f"srcad.{name}(..., has_aux=True) of a srcad derivative object is not supported "
            "by srcad: it returns derivatives, not a pair (value, aux)",
            hint=f"take srcad.{name} of a function of yours that returns the pair (and calls "
                 "the derivative object)")


def _arrays_in(value, containers=False):
    """The arrays of `value`, or of the tuples, lists and dicts in it (and, `containers`,
    those lists and dicts)."""
    if isinstance(value, np.ndarray):
        return [value]
    own = [value] if containers and isinstance(value, (list, dict)) else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return own + [a for item in value for a in _arrays_in(item, containers)]
    return own


def _defined(result):
    """A jvp's `(value, tangent)`, refused where the tangent holds an UndefinedTangent: the
    eigenvectors (singular vectors) of a repeated eigenvalue returned as they are, whose
    tangent refuses every use, handing it back to the caller among them."""
    if type(result[1]) not in _NUMBERS_AND_ARRAYS:
        _refuse_undefined(result[1])
    return result


_NUMBERS_AND_ARRAYS = (np.ndarray, float, np.float64, np.float32)


def _refuse_undefined(value):
    if isinstance(value, runtime.UndefinedTangent):
        value.refuse()
    if isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            _refuse_undefined(item)


def _apart_from(result, given):
    """`result` with each of its arrays that shares memory with an array of `given` (the
    caller's ybar or tangents: a reshape passes them on as views) copied: changing a
    derivative in place must not change what the caller passed."""
    given = _arrays_in(given)
    if not given:
        return result

    def apart(value):
        if isinstance(value, np.ndarray):
            shared = any(np.may_share_memory(value, g) for g in given)
            return value.copy() if shared else value
        if isinstance(value, dict):            # (new lists and dicts: the caller's may
            return {k: apart(v) for k, v in value.items()}      # be the result itself)
        if isinstance(value, list):
            return [apart(v) for v in value]
        if isinstance(value, tuple):
            items = [apart(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        return value
    return apart(result)


def _check_cotangent(value, ybar, name):
    """`ybar` must be shaped like the value it weighs: broadcasting would give another
    product without a word (a (3, 1) ybar for a (3,) value triples it)."""
    if _holds_complex(ybar):
        raise SrcadError("a complex ybar is not supported by srcad's rules",
                         hint="pass the real and imaginary parts as two real ybars")
    _check_shaped_like(value, ybar, "ybar", lambda where, v, y: _cotangent_error(
        v, y, name, where))


def _check_shaped_like(value, given, where, error):
    """`given` must have the structure and shapes of `value`; `error(where, value part,
    given part)` makes the exception for the first part that differs."""
    if isinstance(value, dict):
        if not isinstance(given, dict) or given.keys() != value.keys():
            raise error(where, value, given)
        for key in value:
            _check_shaped_like(value[key], given[key], f"{where}[{key!r}]", error)
    elif isinstance(value, (list, tuple)):
        if not isinstance(given, (list, tuple)) or len(given) != len(value):
            raise error(where, value, given)
        for k, (v, g) in enumerate(zip(value, given)):
            _check_shaped_like(v, g, f"{where}[{k}]", error)
    elif isinstance(given, (dict, list, tuple)) or given is None and value is not None \
            or np.shape(given) != np.shape(value):
        raise error(where, value, given)     # (None is no zero of a number's: as JAX)


_described = runtime._shape_described     # (a value's shape in messages: files copy it)


def _cotangent_error(value, ybar, name, where):
    return SrcadError(
        f"the pullback of {name} needs {where} shaped like value{where[4:]} (the value "
        f"{name} returned): {_described(value)}, not {_described(ybar)}",
        hint=_NO_NONE if ybar is None else "reshape it, or np.broadcast_to(ybar, "
                                           "np.shape(value)) if broadcasting is meant")


def _tangent_error(value, tangent, name, where):
    return ArgumentError(
        f"{name} needs {where} shaped like the argument: {_described(value)}, not "
        f"{_described(tangent)}",
        hint=_NO_NONE if tangent is None else "reshape it, or np.broadcast_to(t, "
                                              "np.shape(x)) if broadcasting is meant")


_NO_NONE = "pass zeros (0.0, np.zeros_like(x)) where a part does not count: None is the " \
           "derivative of a None value only"


class TangentFunction(_Transformed):
    """`fn(*args, tangent) -> (value, tangent_out)`: forward mode, one sweep."""
    mode = "forward"
    tangents_text = ", then the tangent(s)"     # what follows the arguments, for messages

    def __init__(self, fn, wrt, optimize=True, has_aux=False):
        """`has_aux`: `fn` returns `(value, aux)`; the call gives `(value, tangent_out,
        aux)`, as jax.jvp does."""
        self.optimized = optimize
        self.with_value = "aux" if has_aux else False
        self._fast = {}   # argument types -> (generated function, tangent keyword names)
        self._remake = lambda method: TangentFunction(method, wrt, optimize, has_aux)
        _refuse_aux_of_derivative(fn, has_aux, "jvp")
        super().__init__(fn, wrt, "jvp")

    def __call__(self, /, *args, **kwargs):
        if not args:
            raise ArgumentError(f"{self.__name__} takes the arguments of {self.base().__name__}"
                                f"{self._signature}{self.tangents_text}: pass the tangents by "
                                "position, after the arguments")
        *args, tangents = self._bound + args
        key = (tuple(map(type, args)),
               type(tangents) if self.single or type(tangents) is not tuple
               else tuple(map(type, tangents)))
        if not kwargs:
            fast = self._fast.get(key)
            if fast is not None and (not fast[2] or _current(fast[2])) and self._unchanged():
                function, names, _, self._last = fast
                if names is None:            # tangents follow the arguments positionally
                    return _defined(function(*args, tangents) if self.single
                                    else function(*args, *tangents))
                if self.single:
                    return _defined(function(*args, **{names[0]: tangents}))
                return _defined(function(*args, **dict(zip(names, tangents))))
        plain = not kwargs and self._plain(args) and (
            type(tangents) is float if self.single else type(tangents) is tuple
            and len(tangents) == len(self.wrt) and all(type(t) is float for t in tangents))
        self._check_arguments(args, kwargs, self.tangents_text)
        args, kwargs = self._by_position(tuple(args), kwargs)
        given, args = args, _promote(args, self.wrt)
        if not self.single and not isinstance(tangents, (tuple, list)):
            raise ArgumentError(f"{self.__name__} needs a tuple of {len(self.wrt)} tangents "
                                f"after the arguments, not {tangents!r}")
        tangents = (tangents,) if self.single else tuple(tangents)
        if len(tangents) != len(self.wrt):
            raise WrtError(f"jvp needs {len(self.wrt)} tangent(s), got {len(tangents)}")
        params = list(self._signature.parameters)
        for k, t in zip(self.wrt, tangents):
            if _holds_complex(t):
                raise SrcadError("complex tangents are not supported by srcad's rules",
                                 hint="pass the real and imaginary parts as two real tangents")
            if _holds_text(t):
                raise ArgumentError(f"a tangent is {_described_text(t)}: tangents are numbers "
                                    "and arrays shaped like their arguments")
            if k < len(args):
                _check_shaped_like(args[k], t, f"the tangent of {params[k]}",
                                   lambda where, value, given: _tangent_error(
                                       value, given, self.__name__, where))
        compiled = self.compiled(args, kwargs=kwargs)
        compiled.check_distinct(args, kwargs)
        _check_promotion(self.base(), given, args, kwargs,
                         functools.partial(_copies, compiled=compiled))
        self._last = compiled
        kwargs = compiled.keywords(kwargs)
        ir = intermediate(compiled.differentiated)
        for k, t in zip(self.wrt, tangents):
            kwargs[dot(ir.inputs[k])] = _promote([t], [0])[0]
        if compiled.changed:
            # it changes a parameter through another name (`y = np.asarray(x); y[0] = ...`),
            # which the forward sweep does as it goes: on copies, the caller's stay intact
            # (but its random generators, which its draws move on, as a call's do)
            draws = _Draws(self, args, kwargs)
            args = _copies(tuple(args), compiled, draws)
            kwargs = _copies(kwargs, compiled, draws)
        elif plain:
            signature = ir.args
            positional = not (signature.kwonlyargs or signature.defaults) \
                and len(args) == len(signature.args)
            self._fast[key] = (compiled.function,
                               None if positional else [dot(ir.inputs[k]) for k in self.wrt],
                               compiled.guards, compiled)
        try:
            value, tangent, *aux = compiled.function(*args, **kwargs)   # (aux: has_aux)
        except (TypeError, IndexError) as exc:   # (`range(n)` of an integer made a float)
            raise self._integers_made_floats(exc, given, args) from exc
        return _defined((value, _apart_from(tangent, tangents), *aux))


def jvp(f=None, wrt=0, optimize=True, has_aux=False):
    """Forward mode: `fn(*args, tangent) -> (value, tangent_out)`; with `has_aux=True`, `f`
    returns a pair `(value, aux)` and `fn` gives `(value, tangent_out, aux)`, as jax.jvp
    does."""
    return _decorator_form(
        lambda fn, wrt, optimize, has_aux: TangentFunction(fn, wrt, optimize, has_aux),
        f, {"wrt": wrt, "optimize": optimize, "has_aux": has_aux}, "jvp")


def jacobian(f, wrt=0, mode="auto", has_aux=False):
    """The full Jacobian, shape `out.shape + in.shape` (a tuple of them for several `wrt`);
    where the value, or an argument, is a dict or a list or tuple of arrays of several
    shapes, a block for each of its items, as jax.jacobian gives them (the value's items
    outside, a tuple `wrt` next, an argument's items inside). With `has_aux=True`, `f`
    returns a pair `(value, aux)` and the call gives `(jacobian, aux)`, as jax.jacobian's.

    "forward" builds it a column per pass (one jvp per input element), "reverse" a
    row per pass (one vjp per output element); "auto" picks forward when the inputs
    have no more elements than the output, reverse otherwise.
    """
    if mode not in ("auto", "forward", "reverse"):
        raise SrcadError(f"jacobian mode must be 'auto', 'forward' or 'reverse', not {mode!r}")
    _refuse_packed(f, "jacobian")
    _refuse_aux_of_derivative(f, has_aux, "jacobian")
    indices, single = _wrt_indices(f.base() if isinstance(f, _Transformed) else f, wrt)
    tangent_fn = TangentFunction(f, tuple(indices), has_aux=has_aux)
    pullback_fn = None if isinstance(f, _Transformed) else vjp(f, tuple(indices), has_aux)

    def jac(*args, **kwargs):
        args, kwargs = _positional(f, args, kwargs, indices)
        given, args = args, _promote(args, indices)
        _check_promotion(_users_function(f), given, args, kwargs)
        what = getattr(jac, "srcad_made_by", "jacobian")
        leaves = [_leaves(args[k], what) for k in indices]
        # (on copies: a function may change its arguments, the Jacobian is at these; each
        # pass makes the draws of this one run)
        given, keywords = _with_defaults(f, args, kwargs)
        draws = _Draws(f, given, keywords)
        with draws.run():
            returned = f(*copy.deepcopy(given, draws.shared()),
                         **copy.deepcopy(keywords, draws.shared())) \
                if not isinstance(f, _Transformed) else f(*args, **kwargs)
        if has_aux:        # (a pair at each return: TangentFunction checked it)
            returned, aux = returned
        outputs = _output_parts(returned, f)
        total = sum(size for _, _, size in outputs)
        chosen = mode
        if mode == "auto":
            size = sum(int(np.prod(shape)) for parts in leaves for _, shape in parts)
            chosen = "forward" if size <= total else "reverse"
        if pullback_fn is None:
            chosen = "forward"   # derivatives of derivatives: forward over reverse
        jac.mode = chosen
        found = [{} for _ in indices]      # per argument: its part's key -> (total, *shape)
        if chosen == "forward":
            zero = [_tangent_of(args[k], parts) for parts, k in zip(leaves, indices)]
            for pos, parts in enumerate(leaves):
                for key, shape in parts:
                    columns = []
                    for e in np.eye(int(np.prod(shape))):
                        tangents = list(zero)
                        tangents[pos] = _tangent_of(args[indices[pos]], parts, key, e)
                        with draws.run():
                            column = tangent_fn(*args, tuple(tangents), **kwargs)[1]
                        columns.append(_flat_output(column, outputs))
                    out = np.stack(columns, axis=-1) if columns else np.zeros((total, 0))
                    found[pos][key] = out.reshape((total,) + shape)
        else:
            with draws.run():        # (the pullback replays the draws of its value's run)
                pullback = pullback_fn(*args, **kwargs)[1]
            dtype = runtime.float_dtype(np.asarray(
                returned if outputs[0][0] is None else returned[outputs[0][0]]))
            rows = []
            for e in np.eye(total, dtype=dtype):     # (float32 stays)
                rows.append(pullback(_output_seed(e, outputs, returned)))
            for pos, parts in enumerate(leaves):
                for key, shape in parts:
                    pieces = [np.asarray(r[pos] if key is None else r[pos][key]) for r in rows]
                    out = np.stack(pieces) if rows else np.zeros((0,) + shape)
                    found[pos][key] = out.reshape((total,) + shape)
        by_output = {}
        start = 0
        for key, shape, size in outputs:
            blocks = [_like_argument(args[k], {part: block[start:start + size].reshape(
                shape + block.shape[1:]) for part, block in parts.items()})
                for parts, k in zip(found, indices)]
            by_output[key] = blocks[0] if single else tuple(blocks)
            start += size
        result = _like_argument(returned, by_output)
        return (result, aux) if has_aux else result
    jac.mode = None
    jac.srcad_made_by = "jacobian"
    return jac


def _users_function(f):
    """The user's function that `f` (a function, or a derivative object of srcad's, whose
    bound object goes first) is made from, taking `f`'s arguments."""
    if isinstance(f, _Transformed):
        return functools.partial(f.base(), *f._bound) if f._bound else f.base()
    return f


def _signature_of(f):
    """The signature `f` is called with (a derivative's: its function's, less a bound
    `self`)."""
    if isinstance(f, _Transformed):
        params = list(f._signature.parameters.values())[len(f._bound):]
        return inspect.Signature(params)
    return inspect.signature(f)


def _positional(f, args, kwargs, indices=()):
    """`(args, kwargs)` for a call of `f` with the arguments of its positional parameters
    passed by position (defaults filled in, those at `indices` too): Jacobians and Hessians
    index the arguments."""
    if not kwargs and all(k < len(args) for k in indices) \
            and len(args) >= _required_count(f):
        return args, kwargs
    try:
        bound = _signature_of(f).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"{getattr(f, '__name__', 'the function')} takes the arguments "
                            f"{_signature_of(f)}: {exc}") from None
    bound.apply_defaults()
    return bound.args, bound.kwargs


def _leaves(arg, what):
    """The parts of an argument a Jacobian is taken with respect to, `[(key, shape)]`: the
    argument whole (key None: an array, a number, a list of numbers or of arrays of one
    shape), or each item of a dict, or of a list or tuple of arrays of several shapes
    (its keys, its indices), which must be numbers or arrays."""
    if not isinstance(arg, dict) and not (isinstance(arg, (list, tuple)) and _ragged(arg)):
        return [(None, _input_shape(arg, what))]
    keys = list(arg) if isinstance(arg, dict) else list(range(len(arg)))
    for key in keys:
        if isinstance(arg[key], (dict, list, tuple)):
            raise ArgumentError(f"srcad.{what} takes a {type(arg).__name__} of numbers and "
                                f"arrays; its item {key!r} is a {type(arg[key]).__name__}",
                                hint=f"use {_PER_ITEM[what]}, which take any structure")
    return [(key, np.shape(arg[key])) for key in keys]


def _tangent_of(arg, parts, key=None, e=None):
    """A tangent of argument `arg` (whose `parts` are `_leaves`'): zero, but the unit
    vector `e` in part `key` where `e` is given."""
    if parts[0][0] is None:
        return _basis(e, parts[0][1], arg)
    return _like_argument(arg, {k: _basis(e if k == key else None, shape, arg[k])
                                for k, shape in parts})


def _like_argument(arg, found):
    """`found[None]` for an argument taken whole, else its parts `found` (key -> value) in
    the argument's structure: a dict, a list, a tuple."""
    if None in found:
        return found[None]
    if isinstance(arg, dict):
        return dict(found)
    return type(arg)(found[k] for k in range(len(arg)))


def _input_shape(arg, what):
    """The shape of an argument a Jacobian or Hessian is taken with respect to: an array, a
    number, or a list or tuple of numbers or of arrays of one shape."""
    if isinstance(arg, dict):
        raise ArgumentError(f"srcad.{what} takes arrays, numbers and lists of them, not a "
                            "dict", hint=f"use {_PER_ITEM[what]}, which take dicts, or pass "
                                         "the dict's arrays as arguments")
    try:
        return np.shape(arg)
    except ValueError:
        raise ArgumentError(f"srcad.{what} needs a list whose items have one shape (they make "
                            f"one array), not {_items_shapes(arg)}",
                            hint=f"use {_PER_ITEM[what]}, which take any list, or pass the "
                                 "items as arguments") from None


_PER_ITEM = {"jacobian": "srcad.vjp or srcad.jvp", "hessian": "srcad.hvp or srcad.grad"}


def _items_shapes(items):
    return "items of shapes " + ", ".join(str(np.shape(item)) if not isinstance(
        item, (list, tuple, dict)) else _described(item) for item in items)


def _required_count(f):
    """How many positional arguments a call of `f` needs at least."""
    return sum(1 for p in _signature_of(f).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               and p.default is p.empty)


def _ragged(items):
    """Whether list or tuple `items` holds arrays of several shapes (no one array)."""
    try:
        np.shape(items)
    except ValueError:
        return True
    return False


def _basis(e, shape, arg):
    """The unit vector `e` (None: zero) shaped like argument `arg`: an array of its floating
    dtype, a float, or a list or tuple of numbers (which a list's tangent is)."""
    e = np.zeros(int(np.prod(shape))) if e is None else e
    if isinstance(arg, (list, tuple)):     # each item shaped (and typed) like the argument's
        return type(arg)(_basis(row.ravel(), np.shape(item), item)
                         for row, item in zip(e.reshape(shape), arg))
    if isinstance(arg, np.ndarray) and arg.ndim:
        return e.reshape(shape).astype(runtime.float_dtype(arg))
    return float(e[0]) if e.size else 0.0


def _jacobian_value(value, f, part=""):
    """The value of `f` (its item `part`) as an array: the Jacobian has shape `out.shape +
    in.shape`."""
    try:
        out = np.asarray(value)
    except ValueError:     # a list of arrays of different shapes in a dict, say
        out = None
    if out is None or out.dtype == object:
        name = getattr(f, "__name__", "f")
        raise SrcadError(f"jacobian needs {name} to return an array, a number, or a dict, "
                         f"list or tuple of them; {part or 'it'} is a {type(value).__name__} "
                         "that NumPy cannot make one array of",
                         hint="take the jacobian of each output separately, or return "
                              "np.concatenate of the flattened outputs")
    return out


def _output_parts(value, f):
    """The parts of `f`'s value that a Jacobian has blocks for, `[(key, shape, size)]`: the
    value whole (key None: an array, a number, a list of equally shaped arrays), or each
    item of a dict, or of a list or tuple of arrays of several shapes, as jax.jacobian
    gives them."""
    if isinstance(value, dict) or isinstance(value, (list, tuple)) and _ragged(value):
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        if not keys:
            raise SrcadError(f"jacobian needs {getattr(f, '__name__', 'f')} to return "
                             "something to differentiate; it returned an empty dict",
                             hint="return the values whose Jacobian you want")
        shapes = [np.shape(_jacobian_value(value[key], f, f"its item {key!r}"))
                  for key in keys]
        return [(key, shape, int(np.prod(shape))) for key, shape in zip(keys, shapes)]
    shape = _jacobian_value(value, f).shape
    return [(None, shape, int(np.prod(shape)))]


def _flat_output(value, outputs):
    """A value (or tangent) of the function, its parts (`_output_parts`) one after another
    in one flat array."""
    if outputs[0][0] is None:
        return np.ravel(np.asarray(value))
    return np.concatenate([np.ravel(np.asarray(value[key])) for key, _, _ in outputs])


def _output_seed(e, outputs, value):
    """The flat array `e` cut into the parts of the function's value and shaped like it:
    a seed for its pullback."""
    if outputs[0][0] is None:
        shape = outputs[0][1]
        return _shaped_like(e.reshape(shape) if shape else 1.0 * e[0], value)
    parts, start = {}, 0
    for key, shape, size in outputs:
        part = e[start:start + size]
        parts[key] = _shaped_like(part.reshape(shape) if shape else part[0], value[key])
        start += size
    return _like_argument(value, parts)


def _shaped_like(seed, value):
    """`seed`, an array shaped like np.asarray(value), in value's structure: a list or tuple
    (nested) of its parts where value is one, a number where value is one."""
    if isinstance(value, (list, tuple)):
        parts = [_shaped_like(seed[k], part) for k, part in enumerate(value)]
        return runtime.rebuilt(parts, value)
    if isinstance(value, np.ndarray):
        return seed
    return float(seed)


def hessian(f, wrt=0):
    """The Hessian of scalar `f`: forward mode over the generated gradient code.

    For a tuple `wrt` it is a tuple of tuples of blocks, as `jax.hessian` gives them:
    block `[i][j]` has the shape `shape(arg_i) + shape(arg_j)`.
    """
    _refuse_packed(f, "hessian")
    indices, single = _wrt_indices(f.base() if isinstance(f, _Transformed) else f, wrt)
    if single:
        by_blocks = jacobian(grad(f, wrt=wrt), wrt=wrt, mode="forward")
        tangent_of_grad = None

        def hess(*args, **kwargs):
            nonlocal tangent_of_grad
            args, kwargs = _positional(f, args, kwargs, indices)
            arg = args[indices[0]]
            if not isinstance(arg, dict) and not (isinstance(arg, (list, tuple))
                                                  and _ragged(arg)):
                return by_blocks(*args, **kwargs)
            if tangent_of_grad is None:
                tangent_of_grad = TangentFunction(grad(f, wrt=wrt), wrt)
            return _structure_hessian(tangent_of_grad, args, kwargs, indices[0])
        hess.srcad_made_by = "hessian"
        return hess
    tangent_fn = TangentFunction(grad(f, wrt=tuple(indices)), tuple(indices))

    def hess(*args, **kwargs):
        args, kwargs = _positional(f, args, kwargs, indices)
        given, args = args, _promote(args, indices)
        _check_promotion(_users_function(f), given, args, kwargs)
        shapes = [_input_shape(args[k], "hessian") for k in indices]
        rows = [[None] * len(indices) for _ in indices]
        draws = _Draws(f, args, kwargs)      # (each pass makes the draws of the first)
        for j, shape in enumerate(shapes):
            columns = []     # one per element of argument j: the tangents of every gradient
            for e in np.eye(int(np.prod(shape))):
                tangents = [_basis(None, s, args[k]) for s, k in zip(shapes, indices)]
                tangents[j] = _basis(e, shape, args[indices[j]])
                with draws.run():
                    column = tangent_fn(*args, tuple(tangents), **kwargs)[1]
                # (the generated gradient for a 1-tuple wrt returns the gradient alone)
                columns.append(column if len(indices) > 1 else (column,))
            for i, shape_i in enumerate(shapes):
                parts = [np.asarray(c[i]) for c in columns]
                block = np.stack(parts, axis=-1) if parts else np.zeros(shape_i + (0,))
                rows[i][j] = block.reshape(shape_i + shape)
        return tuple(tuple(row) for row in rows)
    hess.srcad_made_by = "hessian"
    return hess


def _structure_hessian(tangent_fn, args, kwargs, index):
    """The Hessian with respect to argument `args[index]`, a dict of numbers and arrays or
    a list or tuple of them of several shapes, as jax.hessian gives it: `{a: {b: block}}`
    (a list of lists, a tuple of tuples), block `[a][b]` of shape `shape(d[a]) +
    shape(d[b])`; a column per element, the tangents of the gradient (`tangent_fn`)."""
    d = args[index]
    keys = list(d) if isinstance(d, dict) else list(range(len(d)))
    for key in keys:
        if isinstance(d[key], (dict, list, tuple)):
            raise ArgumentError(f"srcad.hessian takes a {type(d).__name__} of numbers and "
                                f"arrays; its item {key!r} is a {type(d[key]).__name__}",
                                hint="use srcad.hvp or srcad.grad, which take any structure")

    def like_d(parts):
        if isinstance(d, dict):
            return dict(zip(keys, parts))
        return runtime.rebuilt(list(parts), d)
    shapes = {key: np.shape(d[key]) for key in keys}
    blocks = {key: {} for key in keys}
    draws = _Draws(tangent_fn, args, kwargs)      # (each pass makes the draws of the first)
    for j in keys:
        columns = []
        for e in np.eye(int(np.prod(shapes[j]))):
            tangent = like_d(_basis(e if key == j else None, shapes[key], d[key])
                             for key in keys)
            with draws.run():
                columns.append(tangent_fn(*args, tangent, **kwargs)[1])
        for i in keys:
            parts = [np.asarray(column[i]) for column in columns]
            block = np.stack(parts, axis=-1) if parts else np.zeros(shapes[i] + (0,))
            blocks[i][j] = block.reshape(shapes[i] + shapes[j])
    return like_d(like_d(blocks[i][j] for j in keys) for i in keys)


def hvp(f, wrt=0):
    """`fn(*args, v)` -> the Hessian-vector product, without forming the Hessian."""
    _refuse_packed(f, "hvp")
    tangent_fn = TangentFunction(grad(f, wrt=wrt), wrt)
    indices, single = _wrt_indices(tangent_fn.base(), wrt)
    tangent_fn.__name__ = f"hvp_{tangent_fn.base().__name__}"
    tangent_fn.tangents_text = ", then the vector v"
    checked = set()           # argument layouts at which f was seen to return a number

    def product(*args, **kwargs):
        if "v" in kwargs and "v" in _signature_of(f).parameters:
            raise ArgumentError(f"{tangent_fn.__name__}: v= is ambiguous, as "
                                f"{tangent_fn.base().__name__} has a parameter named v",
                                hint="pass the arguments positionally, the vector last")
        if "v" in kwargs:
            v = kwargs.pop("v")
        elif args:
            *args, v = args
        else:
            raise ArgumentError(f"{tangent_fn.__name__} takes the arguments of "
                                f"{tangent_fn.base().__name__}, then the vector v")
        args, kwargs = _positional(f, tuple(args), kwargs)
        promoted = _promote(args, indices)  # (None or a text among wrt: an ArgumentError)
        layout = tuple(_layout(a) for a in args)
        if layout not in checked:     # (the gradient of a vector's sum is not the Hessian's)
            _check_promotion(f, args, promoted, kwargs)
            given, keywords = _with_defaults(f, args, kwargs)
            value = f(*copy.deepcopy(given), **copy.deepcopy(keywords))
            if not _is_scalar(value):
                raise _non_scalar(tangent_fn.base(), value, "hvp")
            checked.add(layout)
        tangent = tangent_fn(*args, v, **kwargs)[1]
        # a 1-tuple wrt gives a 1-tuple, as grad does (the generated gradient returns it bare)
        return (tangent,) if not single and len(indices) == 1 else tangent
    product.srcad_made_by = "hvp"
    return product


def ssa(f):
    """The three-address form of `f`, as source."""
    ir = intermediate(f)
    import gast
    tree = gast.FunctionDef(name=ir.name, args=ir.args, body=ir.body, decorator_list=[],
                            returns=None, type_comment=None)
    return to_source(tree)


def show(df):
    """Print the generated source of a derivative (or the three-address form of a function)."""
    text = df.source if hasattr(df, "source") else ssa(df)
    print(text)
    return text


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "ssa", "show",
           "stop_gradient", "kinds_of"]
