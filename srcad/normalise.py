"""Front end, step two: the user's function -> the three-address IR.

Every statement of the IR does at most one operation on atoms (names or
constants); the n inputs are named ``v_m(n-1) ... v_0`` and intermediates
``v_1, v_2, ...`` in evaluation order, as in the evaluation-trace notation.
A comment names the source line each group of statements came from::

    def f(x1, x2):                       v_m1 = x1
        return np.log(x1) + x1 * x2      v_0 = x2
                                         # line 2: return np.log(x1) + x1 * x2
                                         v_1 = np.log(v_m1)
                                         v_2 = v_m1 * v_0
                                         v_3 = v_1 + v_2
                                         return v_3

A variable assigned once, outside any loop or branch, simply names the value
of its right-hand side (pure SSA). A variable assigned several times, inside
a loop or branch, or mutated (``x[i] = ...``, ``xs.append(...)``) gets one
"home" name that every assignment writes. Loops become ``for v_i in
range(...)`` or ``while True`` with breaks; comprehensions become loops;
``a if c else b`` and ``and``/``or`` become ``if`` statements.
Anything outside the supported subset raises `UnsupportedError` at its line.
"""
import collections
import collections.abc
import dataclasses
import functools
import builtins
import inspect
import itertools
import math
import linecache
import re
import sys
import types

import gast
import numpy as np

from . import runtime
from . import template as T
from .assignment_expressions import assignment_expressions
from .errors import Location, SrcadError, UnsupportedError
from .inline import at_call, inline_local_functions
from .source import among, definition, function_source, partial_function, users_module


def vname(k):
    """The trace name of index k: v_m1 for -1, v_0, v_1, ..."""
    return f"v_m{-k}" if k < 0 else f"v_{k}"


class IR:
    """A normalised function: its statements plus the facts later stages need."""

    def __init__(self, source, params, inputs, body, origin, namespace, homes, counter):
        self.source = source
        self.counter = counter            # continues the v_1, v_2, ... numbering
        self.name = source.tree.name
        self.args = source.tree.args      # the user's signature, reused verbatim
        self.params = params              # user parameter names, in order
        self.inputs = inputs              # their trace names, v_m(n-1) ... v_0
        self.body = body
        self.origin = origin              # IR statement -> user node, for errors
        self.namespace = namespace        # what free names refer to
        self.homes = homes                # names that several statements assign
        self.entry = {id(s) for s in body[:len(inputs)]}  # `v_0 = x`: binds the inputs
        self.in_place = {}   # home -> (augmented assignment, a, b, the text of the
        #                      statement that made them share)
        self.changed = {}    # parameter -> how it may change the caller's object in place
        # parameter -> the names whose augmented assignments alone change it (`s = A[i, j];
        # s -= ...`): none for kinds that make them numbers
        self.augmented_only = {}
        # parameters it may change otherwise than by their own slots (`p[k] = v`,
        # `p.append(v)` of a list or dict): an item of theirs, in place
        self.items_changed = set()
        self.iterated = {}   # parameter -> `for x in parameter`'s node (a dict: its keys)
        self.dict_gets = set()   # parameters whose `.get(k)` is called (see ir_for_kinds)
        self.attributes_read = set()   # parameters whose attributes are read (`p.w`)
        self.fields_read = False       # ... and other values' (`layer.W`): maybe fields
        self.refusals_if_list = []   # (parameters, error): refused where one is a list
        self.unless_numbers = []     # (user statement, error): refused unless the items it
        #                              takes from arrays are numbers (`t = a[2]; a[2] = v`)
        # made while the class of this method was still being defined (@srcad.grad in its
        # body): `self.predict(w)` could not be read as a call through the class
        self.before_its_class = False
        self.aux = None      # has_aux: the atom holding what the function returns beside
        #                      its value (see `_returns_with_aux`)

    def fresh(self):
        return vname(next(self.counter))

    def location(self, stmt):
        node = self.origin.get(stmt)
        return self.source.location(node) if node is not None else None


_UNSUPPORTED_STMTS = {
    gast.Try: ("try/except", "move error handling outside the differentiated function"),
    gast.With: ("'with'", "move it outside the differentiated function"),
    gast.AsyncWith: ("'async with'", "move it outside the differentiated function"),
    gast.AsyncFor: ("'async for'", "use a plain for loop"),
    gast.Global: ("'global' of a name the function assigns",
                  "pass the value as an argument and return the new value"),
    gast.Nonlocal: ("'nonlocal' of a name the function assigns",
                    "pass the value as an argument and return the new value"),
    gast.ClassDef: ("a class definition inside the function", "define the class at module level"),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
    gast.FunctionDef: ("this function defined inside the differentiated function",
                       "srcad inlines a def of assignments and a return, without *args or "
                       "keyword-only parameters, at the function's top level, that is only called; else define the "
                       "helper at module level and pass what it needs as arguments"),
    gast.AsyncFunctionDef: ("an async function", "use a plain function at module level"),
}

_UNSUPPORTED_EXPRS = {
    gast.Lambda: ("this lambda", "srcad inlines `f = lambda ...` without *args or "
                  "keyword-only parameters, at the function's top level, where f is only called; else write a `def` "
                  "function at module level and call it"),
    gast.Yield: ("'yield' (generators)", "return a list or an array instead"),
    gast.YieldFrom: ("'yield from' (generators)", "return a list or an array instead"),
    gast.Await: ("'await'", "differentiate a synchronous function"),
    gast.GeneratorExp: ("a generator expression", "use a list comprehension or a loop"),
    gast.SetComp: ("a set comprehension", "use a list comprehension or a loop"),
    gast.Set: ("a set", "use a list or a tuple"),
    gast.NamedExpr: ("':=' in a lambda or a function that srcad inlines where it is called",
                     "assign in a statement of its own (`y = ...`, then read y)"),
    gast.Starred: ("'*' unpacking", "pass the arguments one by one (srcad spreads f(*xs) "
                   "for a function of yours where xs is a display, or a local list or tuple "
                   "that every binding makes a display of one length and that is only read)"),
}

_MUTATING_METHODS = {"append", "extend", "insert", "pop"}
# builtins that read the names of the frame they run in: always, or (False) only when
# called without arguments (`vars(obj)` and `dir(obj)` read an object)
_FRAME_READERS = ((eval, True), (exec, True), (locals, True), (globals, True),
                  (vars, False), (dir, False))
_FRAME_READER_NAMES = {f.__name__ for f, _ in _FRAME_READERS}   # (a user's alias: not seen)
# builtins that give the same for a generator expression and the list it would make (not
# any and all, which stop at the first item that decides: the list's later items may raise)
_CONSUMERS = {sum, max, min, list, tuple}
# the attributes of arrays, numbers, lists, tuples and dicts (`x.T`, `xs.count`): read as
# attributes, never as fields
_NOT_FIELDS = frozenset(name for kind in (np.ndarray, np.float64, complex, list, tuple, dict)
                        for name in dir(kind))
# the arguments of srcad's helpers that they read for the shape and dtype only
_SHAPE_ARGUMENTS = {"unbroadcast": (1,), "zeros_like_grad": (0,), "add_at": (1,),
                    "set_at": (1,), "spread": (1,), "broadcast_like": (1,), "if_floating": (1,),
                    "stored_part": (1, 3)}
# array methods that change the array in place, and what to write instead
_IN_PLACE_METHODS = {
    "fill": "write y[...] = v (or y = np.full_like(y, v))",
    "sort": "write y = np.sort(y)",
    "put": "write y[indices] = values",
    "resize": "write y = np.resize(y, shape)",
    "itemset": "write y[index] = v",
    "partition": "write y = np.partition(y, k)",
}
# the text of a write by a list's method (`xs.append(...)`), as `writes` holds it
_METHOD_TEXT = re.compile(r"^\w+\.\w+\(")
# augmented assignment operators, as written
AUGMENTED = {gast.Add: "+=", gast.Sub: "-=", gast.Mult: "*=", gast.Div: "/=", gast.Pow: "**=",
             gast.MatMult: "@=", gast.FloorDiv: "//=", gast.Mod: "%=", gast.BitOr: "|=",
             gast.BitAnd: "&=", gast.BitXor: "^=", gast.LShift: "<<=", gast.RShift: ">>="}
# the globals generated code calls: a parameter of that name would hide one
_HELPER_NAMES = {helper.__name__ for helper in runtime.HELPERS} | {"np"}
_COMPLEX_TYPES = {"complex64", "complex128", "complex256", "complex_", "csingle", "cdouble",
                  "clongdouble", "complexfloating"}
# what the text of code that writes a complex number has in it: an imaginary literal's `j`
# (`2j`, `1e-3J`), and the names of complex() and of the types above
_COMPLEX_SIGNS = ("j", "J", "complex", "csingle", "cdouble", "clongdouble")
_STACK = "_stack"        # the stack of a gradient (its generated code differentiated again)
_TAPE = "_tape"          # the lists of its loops that save a value each (tapes.py)
# names that generated code makes up itself
_GENERATED = re.compile(r"^(v|vbar|vdot)_m?\d+$|^_(stack|aux)$|^_(iterations|grads|terms|tape)\d+$|"
                        r"^_default_|"
                        r"^(grad|jvp)_|^_$")
_VIEW_METHODS = {"reshape", "ravel", "transpose", "swapaxes", "squeeze", "view", "diagonal"}
# attributes of an array that are views of it: a write into one changes the array
_VIEW_ATTRIBUTES = {"T", "mT", "flat", "real", "imag"}
# how a write through a view is written into the array itself, for the hint (A: its name)
_VIEW_WRITE_HINTS = {".T": "A[:, 0] = v for A.T[0] = v",
                     ".mT": "A[..., 0, :] = v for A.mT[..., 0] = v",
                     ".transpose(...)": "A[:, 0] = v for A.transpose()[0] = v",
                     ".flat": "A[k // n, k % n] = v for A.flat[k] = v, n columns",
                     ".ravel(...)": "A[k // n, k % n] = v for A.ravel()[k] = v, n columns",
                     ".real": "A[0] = v for A.real[0] = v of a real array"}
# methods whose result holds (or is) an object of a list or dict: what a function returning
# one hands back shares it (`return xs.copy()` of a list holds xs's arrays)
_CONTAINER_METHODS = {"get", "setdefault", "pop", "copy", "values", "items"}
# view functions whose result shares every argument (np.atleast_1d(y, z) -> (y, z))
_EACH_ARGUMENT = {np.atleast_1d, np.atleast_2d, np.atleast_3d, np.meshgrid,
                  np.broadcast_arrays}
# functions whose result is an index array (1-d or more): y[f(...)] is a copy, not a view
_INDEX_ARRAYS = {np.arange, np.argsort, np.flatnonzero}
# dtypes of arrays of numbers (an object array would hold references, as a list does)
_NUMBER_TYPES = {float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32,
                 np.int16, np.int8, np.uint8, np.bool_}
# attributes of an array that share none of its elements
_NUMBER_ATTRIBUTES = {"shape", "size", "ndim", "dtype", "itemsize", "nbytes", "strides"}
# NumPy functions whose result may share its first argument's array (np.ascontiguousarray
# and np.asfortranarray of an array already laid out so hand back the array itself)
_VIEW_FUNCTIONS = {np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray,
                   np.reshape, np.ravel, np.transpose, np.squeeze, np.swapaxes, np.moveaxis,
                   np.atleast_1d, np.atleast_2d, np.atleast_3d, np.expand_dims, np.diagonal,
                   np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.flip,
                   np.fliplr, np.flipud, np.rot90, np.float64, np.float32, np.broadcast_to,
                   np.diag, np.broadcast_arrays, np.meshgrid, np.real}


class _Aliases(list):
    """The aliases between locals, `(name, other name, node, loops)` in the order they were
    noted, with what a name is aliased to and where each pair was made at hand (a list
    scanned for each new alias took minutes on a gradient's long code)."""

    def __init__(self):
        super().__init__()
        self._partners = collections.defaultdict(list)   # name -> the other names, in order
        self._made = collections.defaultdict(list)       # {a, b} -> the nodes that made them

    def append(self, alias):
        a, b, made, _ = alias
        super().append(alias)
        self._partners[a].append(b)      # (both ways round: `a = a` twice)
        self._partners[b].append(a)
        self._made[frozenset((a, b))].append(made)

    def partners(self, name):
        """The names aliased to `name`, once per alias and way round, in order."""
        return self._partners.get(name, ())

    def made_between(self, a, b):
        """The nodes that made an alias between `a` and `b`."""
        return self._made.get(frozenset((a, b)), ())


class _Variables(gast.NodeVisitor):
    """Pre-pass: which user variables need a home name (see the module docstring)."""

    def __init__(self):
        self.sites = {}
        self.homed = set()
        self.mutated = set()   # changed in place: x[i] = ..., xs.append(...)
        self.depth = 0
        # whether an expression binds a name (a comprehension's variable, `:=`)
        self.binds_in_expressions = False

    def note(self, name):
        self.sites[name] = self.sites.get(name, 0) + 1
        if self.depth or self.sites[name] > 1:
            self.homed.add(name)

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Store):
            self.note(node.id)

    def visit_Constant(self, node):
        """Nothing to note (NodeVisitor's own visit_Constant looks for methods of Python
        3.7's node classes first)."""

    def visit_Subscript(self, node):
        if isinstance(node.ctx, gast.Store):
            root = node.value
            while isinstance(root, gast.Subscript):
                root = root.value
            if isinstance(root, gast.Name):
                self.homed.add(root.id)
                self.mutated.add(root.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if isinstance(node.target, gast.Name):
            self.homed.add(node.target.id)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, gast.Attribute) and func.attr in _MUTATING_METHODS
                and isinstance(func.value, gast.Name)):
            self.homed.add(func.value.id)
            self.mutated.add(func.value.id)
        self.generic_visit(node)

    def _nested(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_If = visit_For = visit_While = visit_IfExp = _nested

    def visit_ListComp(self, node):
        """Its variables are its own (renamed apart in `expr_ListComp`): not the function's."""
        self.binds_in_expressions = True
        self.depth += 1
        for generator in node.generators:
            self.visit(generator.iter)
            for cond in generator.ifs:
                self.visit(cond)
        self.visit(node.elt)
        self.depth -= 1

    def visit_BoolOp(self, node):
        self._nested(node)

    def _binding(self, node):
        self.binds_in_expressions = True
        self.generic_visit(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_NamedExpr = _binding

    # the commonest nodes: their parts visited without a look at their fields

    def visit_Assign(self, node):
        for target in node.targets:
            self.visit(target)
        self.visit(node.value)

    def visit_BinOp(self, node):
        self.visit(node.left)
        self.visit(node.right)

    def visit_Attribute(self, node):
        self.visit(node.value)

    # NodeVisitor's dispatch, without its name lookups and with only the fields that hold
    # nodes (what it visits besides are contexts and operators, which nothing here handles)

    def visit(self, node):
        kind = type(node)
        method = _VISITS.get(kind)
        if method is None:
            method = _VISITS[kind] = getattr(_Variables, "visit_" + kind.__name__,
                                             _Variables.generic_visit)
        method(self, node)

    def generic_visit(self, node):
        for field in T.child_fields(type(node)):
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, gast.AST):
                        self.visit(item)
            elif type(value) is gast.Name:    # (the commonest child: no dispatch needed)
                self.visit_Name(value)
            elif isinstance(value, gast.AST):
                self.visit(value)


_VISITS = {}    # node class -> the _Variables method for it


class Done:
    """An operation that is already in three-address form (skip normalising it again)."""

    def __init__(self, node):
        self.node = node


# the fields of NumPy's results that are named tuples (NumPy 2)
_RESULT_FIELDS = {np.linalg.slogdet: ("sign", "logabsdet"),
                  np.linalg.eigh: ("eigenvalues", "eigenvectors"),
                  np.linalg.eig: ("eigenvalues", "eigenvectors"),
                  np.linalg.svd: ("U", "S", "Vh"), np.linalg.qr: ("Q", "R")}
_FIELD_NAMES = {name for fields in _RESULT_FIELDS.values() for name in fields}
# arguments that make such a function give something else where they are not one of these
# constants (`svd(a, compute_uv=False)` gives S alone, `qr(a, mode="r")` R alone)
_NAMED_ONLY_WHEN = {np.linalg.svd: {"compute_uv": (True,)},
                    np.linalg.qr: {"mode": ("reduced", "complete")}}
# NumPy functions called through a helper of srcad's (`_through_srcad_helper`): their
# arrays as one list, or with y differentiated
_LISTING_HELPERS = {id(np.meshgrid): "meshgrid_of", id(np.broadcast_arrays): "broadcast_arrays_of"}
# NumPy functions that make each of several arrays at least so many dimensions (a tuple of
# them: `_atleast_each`)
_ATLEAST = (np.atleast_1d, np.atleast_2d, np.atleast_3d)
_PAIR_HELPERS = {id(np.cov): "cov_of_pair", id(np.corrcoef): "corrcoef_of_pair"}

# where array makers take their dtype by position
_DTYPE_POSITION = {np.zeros: 1, np.ones: 1, np.empty: 1, np.full: 2, np.zeros_like: 1,
                   np.ones_like: 1, np.empty_like: 1, np.full_like: 2, np.identity: 1,
                   np.eye: 3, np.array: 1, np.asarray: 1}


def _plain_constant(node, value):
    """A default written as a literal (`1.0`, `-2`, `None`) that is the function's `value`
    (`f.__defaults__ = (5.0,)` gives f another): the same value read again."""
    sign = 1
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        sign = -1 if isinstance(node.op, gast.USub) else 1
        node = node.operand
    if not isinstance(node, gast.Constant):
        return False
    written = node.value
    if sign == -1:
        try:
            written = -written
        except TypeError:
            return False
    return type(written) is type(value) and (written is value or written == value
                                             and repr(written) == repr(value))   # (-0.0)


class Normaliser:
    """Turns one user function into IR statements (see the module docstring)."""

    def __init__(self, source, reserved=None):
        self.source = source
        self.namespace = source.namespace()
        self.reserved = reserved or {}   # names generated code uses -> what they are there
        self.renamed = {}                # user global -> the name generated code calls it
        self.iterated = {}               # parameter -> `for x in parameter`'s iterable
        self.dict_gets = set()           # parameters whose `.get(k)` is called
        self.attributes_read = set()     # parameters whose attributes are read (`p.w`)
        self.fields_read = False         # ... and other values' (`layer.W`, `_may_be_a_field`)
        self.counter = itertools.count(1)
        self.env = {}          # user variable -> atom (Name or Constant node)
        self.home = {}         # homed user variable -> its trace name
        self.homes = set()     # trace names assigned by several statements
        self.origin = {}
        self.out = []          # the block being written
        self.current = None    # the user statement being normalised
        self.loops = 0
        self.outer_loop = None  # the outermost loop being normalised (user node)
        self.loop_stack = []    # the loops being normalised, outermost first
        self.deleted = set()    # names removed by `del`, not assigned since
        self.augmented = {}    # user variable -> its augmented assignments [(node, loop)]
        self.aliases = _Aliases()   # (name, other name, node, loops): `a = b` between locals
        self.permuted_in_loops = []   # (moved, node, loops) of `a, b = b, a` in loops
        # (a, b, id(permutation)) -> the statement that made the alias a permutation passed
        # on to a and b (`b[0] = a[0]`, whose item may be a number: `unless_numbers`)
        self.passed_on = {}
        self.writes = []       # (name, node, loops, text): `name[...] = ...`, `name.append(...)`
        # names whose last binding, in straight-line code since the last loop or branch,
        # made a new object (`w = w * 1.0`, `p = q.copy()`), and a new object of new items
        # (`p = [np.zeros(3)]`): what a copy held before is not theirs (_parameter_sharers)
        self.new_objects, self.new_items = set(), set()
        self.holders = set()   # (a, b, id(node)) of the aliases where list a holds b's object
        self.taken = set()     # (a, b, id(node)) of those where b = a[i], b = a.pop(), ...
        self.repeats = set()   # lists that may hold one object in two items ([y] * 2)
        # ... if a parameter is a list (`zs = xs * 2`, `zs = x + x`): name -> parameters
        self.repeats_if_list = {}
        self.were_repeated_if_list = {}   # ... at some point
        self.refusals_if_list = []   # (parameters, the error where one of them is a list)
        self._lists_assumed = None   # parameters taken for lists (a second look at aliases)
        self.unbound_checked = set()   # copies that item checks name, maybe unbound there
        self.unless_numbers = []     # (user statement, the error unless its items are numbers)
        self.were_repeated = set()   # names that were in `repeats` at some point
        self.copied = set()    # (a, b, id(node)): b = a[1:], a.copy(), a + c: a's items
        # (a, b, id(node)): list or dict a holds only the object that b is part of (`xs =
        # [x]; b = x[::-1]`): rebinding a's slots changes neither (see _held_within)
        self.held_within = set()
        self.direct = set()    # (a, b, id(node)): `alias(a, b, node)` itself, not its closure
        self.elements = set()  # (a, b, id(node)): b = a[i], a.pop(), a.get(k): one item
        #                        (or b[j] = a[i], b.append(a[i]): one slot holds one)
        self.augmenting = None  # the operator of the augmented assignment being normalised
        self.before_its_class = False   # see IR.before_its_class
        self.dict_params = frozenset()  # parameters known to be dicts (see `normalise`)
        self.record_params = frozenset()  # ... known to be tuples: `p.w` a named tuple's field
        self.item_records = False   # the arguments may hold named tuples: `field(layer, "W")`
        self.generated = source.filename.startswith("<srcad ")   # a derivative's code
        self.nested_items = {}   # name t of `t = p[k]` that `_nested_writes` made -> p
        self.binds_in_expressions = True   # (see _Variables; known once it has looked)
        if source.mentions("else"):          # (a loop's `else:` written anywhere)
            _flag_loop_elses(source.tree)
        if self.generated:
            _functional_updates(source.tree)
        self._helpers = {}     # name -> the source of the function `name(...)` inlines, or None
        # `while` loops whose test is their first statements, made so for its `:=` (before
        # inlining: a local function's call after a `:=` reads its binding)
        self.tested_in_body = assignment_expressions(
            source, {n.id for n in T.name_nodes(source.tree)} | set(self.namespace)
            | set(self.reserved)) if source.mentions(":=") else ()
        # (a helper is inlined where a statement calls it: none is looked up where no
        # statement is a call)
        calls = any(type(stmt) is gast.Expr and type(stmt.value) is gast.Call
                    for stmt in _statements_in(source.tree))
        inline_local_functions(source, lambda name: bool(_GENERATED.match(name))
                               or name in _HELPER_NAMES,
                               helper=self._helper_to_inline if calls else None)
        _rotations_through_temporaries(source.tree)
        if not self.generated:    # (`p__w` -> "p.w": what errors call the field)
            source.record_fields = {**(getattr(source, "record_fields", None) or {}),
                                    **_records_as_names(source.tree, self.namespace,
                                                        source.mentions("replace"))}
        if "dict" not in self.namespace and source.mentions("dict("):
            _dict_calls_as_displays(source.tree)
        if "zip" not in self.namespace and source.mentions("zip(*"):
            _zips_of_rows_transposed(source.tree, self.namespace)
        self._dict_copies(source.tree)
        self._variables()
        self.refuse_complex()
        if self._writes_by_calls(source.tree):
            self._variables()         # (the writes they are now)
            self._tree_changed()
        if not self.generated and self._nested_writes(source.tree):
            self._variables()         # (the names they take the inner objects into)
            self._tree_changed()
        self._comprehension_reads = None    # (see _comprehension_locals)

    def _dict_copies(self, tree):
        """`p = dict(params)` -> `p = params.copy()`, and `p = {**params, "w": e}` -> `value =
        e; p = params.copy(); p["w"] = value`, in the user's function `tree`, for a parameter
        params that nothing else binds (`params = {**params, ...}` may): what Python makes of
        a dict (refused for other kinds of argument, which dict() or ** would read
        otherwise); the values are computed first, as Python does. The same of a local
        that every binding makes a dict (`_local_dicts`), which needs no check."""
        if not self.source.mentions("{", "dict", "|", ".pop("):
            return                       # (no display, dict() call, `|` or pop to look at)
        args = tree.args
        params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        local_dicts = self._local_dicts(tree, params)
        if self.source.mentions(".pop("):
            self._dict_pops(tree, local_dicts, params)
            local_dicts = self._local_dicts(tree, params)
        found = [(block, k, parts) for block in T.blocks(tree)
                 for k in range(len(block) - 1, -1, -1)
                 if (parts := self._dict_copy_parts(block[k], params | local_dicts))
                 is not None]
        if not found:
            return
        stores = collections.Counter(n.id for n in T.name_nodes(tree.body)
                                     if not isinstance(n.ctx, gast.Load))
        own = collections.Counter(block[k].targets[0].id for block, k, (source, _) in found
                                  if block[k].targets[0].id == source.id)
        taken = {n.id for n in T.name_nodes(tree.body)} | params
        for block, k, (source, entries) in found:
            stmt = block[k]
            if source.id in local_dicts:
                block[k:k + 1] = self._dict_copied(stmt, source, entries, taken)
                continue
            if stores[source.id] != own[source.id]:
                continue                 # (bound otherwise: maybe no longer the argument)
            error = UnsupportedError(
                f"'{self._text_of(stmt)}' of {source.id}, which srcad does not know for a "
                "dict here", self.source.location(stmt),
                hint=f"srcad copies a dict argument this way (not one passed on by a "
                     f"caller it differentiates, nor pairs): write {{k: v for k, v in "
                     f"{source.id}.items()}}")
            error.refused_for = "no dict"
            self.refusals_if_list.append(({source.id}, error))
            block[k:k + 1] = self._dict_copied(stmt, source, entries, taken)

    @staticmethod
    def _dict_copied(stmt, source, entries, taken):
        """The statements that `stmt`, `p = dict(source)` or `p = {**source, k: v, ...}`,
        becomes: each v computed (into a fresh name, not in `taken`), `p = source.copy()`,
        then `p[k] = ...` of each."""
        target = stmt.targets[0].id
        new = []
        names = []
        for key, item in entries:
            name = _fresh_name(f"{target}__value", taken)
            taken.add(name)
            names.append(name)
            first = _located(T.assign(name, T.constant(None)), stmt)
            first.value = item           # (the value keeps its own positions)
            new.append(first)
        copy = gast.Call(func=gast.Attribute(value=T.load(source), attr="copy",
                                             ctx=gast.Load()), args=[], keywords=[])
        new.append(_located(gast.Assign(targets=[T.name(target, store=True)],
                                        value=copy, type_comment=None), stmt))
        for (key, _), name in zip(entries, names):
            slot = gast.Subscript(value=T.name(target), slice=T.clone(key),
                                  ctx=gast.Store())
            new.append(_located(gast.Assign(targets=[slot], value=T.name(name),
                                            type_comment=None), stmt))
        return new

    def _dict_pops(self, tree, local_dicts, params):
        """`v = d.pop(k)` -> `item = d[k]; d = {key: value for key, value in d.items() if key
        != k}; v = item` (`d.pop(k, default)`: `d[k] if k in d else default`; `d.pop(k)` as
        a statement: the item read, for Python's KeyError) in the user's function `tree`,
        for a local d that every binding makes a dict (`local_dicts`) and k a constant or a
        name: a new dict without k, which srcad follows. Python changes d's own dict, so
        this is done only where no other name can reach it (`_dict_kept_alone`) and no loop
        walks d as it changes."""
        taken = {n.id for n in T.name_nodes(tree.body)} | params

        def fresh(base):
            name = _fresh_name(base, taken)
            taken.add(name)
            return name

        _pops_lifted(tree, local_dicts, fresh)
        for block in T.blocks(tree):
            for k in range(len(block) - 1, -1, -1):
                stmt = block[k]
                call = stmt.value if type(stmt) in (gast.Assign, gast.Expr) else None
                if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                        and call.func.attr == "pop" and isinstance(call.func.value, gast.Name)
                        and call.func.value.id in local_dicts and 1 <= len(call.args) <= 2
                        and not call.keywords
                        and isinstance(call.args[0], (gast.Constant, gast.Name))
                        and not any(isinstance(a, gast.Starred) for a in call.args)):
                    continue
                holder = call.func.value.id
                shared = self._dict_shared(tree, holder, params)
                if shared == "walked":
                    self.error(call, f"{holder}.pop(...) in a loop over {holder} (Python "
                               "raises: the dict changed size during iteration)",
                               f"loop over a list of the keys: for k in list({holder})")
                if shared:
                    self.error(call, f"{holder}.pop(...) of a dict that another name or "
                               "object may hold too (Python changes the dict for each)",
                               f"make the dict without the key for {holder} alone: "
                               f"{holder} = {{k: v for k, v in {holder}.items() if k != "
                               "key}")
                new = []
                key = call.args[0]
                if isinstance(key, gast.Name):      # (the target may bind it again)
                    new.append(_located(T.assign(fresh(f"{holder}__key"), T.load(key)), stmt))
                    key = T.name(new[-1].targets[0].id)
                read = gast.Subscript(value=T.name(holder), slice=T.clone(key),
                                      ctx=gast.Load())
                if len(call.args) == 2:
                    read = gast.IfExp(test=gast.Compare(left=T.clone(key), ops=[gast.In()],
                                                        comparators=[T.name(holder)]),
                                      body=read, orelse=call.args[1])
                item = fresh(f"{holder}__popped")
                new.append(_located(T.assign(item, read), stmt))
                if len(call.args) == 2:
                    new[-1].value.orelse = call.args[1]     # (its own positions)
                helper = T.name("restored_item")
                helper.srcad_helper = True         # (srcad's, never the user's)
                dropped = gast.Call(func=helper, args=[
                    T.name(holder), T.clone(key), gast.Tuple(elts=[], ctx=gast.Load())],
                    keywords=[])
                if len(call.args) == 2:         # (a key d lacks: d as it is)
                    dropped = gast.IfExp(test=gast.Compare(
                        left=T.clone(key), ops=[gast.In()], comparators=[T.name(holder)]),
                        body=dropped, orelse=T.name(holder))
                new.append(_located(T.assign(holder, dropped), stmt))
                if type(stmt) is gast.Assign:
                    new.append(_at(gast.Assign(targets=stmt.targets, value=_located(
                        T.name(item), stmt), type_comment=None), stmt))
                block[k:k + 1] = new

    def _dict_shared(self, tree, holder, params):
        """Why `holder.pop(k)` cannot be made a new dict for local `holder`: "walked" where
        a loop over it (or a view of it) changes it, "shared" where the function reads it
        otherwise than where no other name or object can come to hold its dict (`d[k]`,
        `d.get(k)`, `d.copy()`, `k in d`, `len(d)`, `dict(d)`, `{**d}`, `return d`, a loop
        over d or its items, ...); else None."""
        bound = params | {n.id for n in T.name_nodes(tree.body)
                          if not isinstance(n.ctx, gast.Load)}
        parents = {}
        for node in T.all_nodes(tree):
            for field in _child_fields_of(node):
                child = getattr(node, field, None)
                for c in child if isinstance(child, list) else [child]:
                    if isinstance(c, gast.AST):
                        parents[id(c)] = node
        for node in T.name_nodes(tree.body):
            if node.id != holder or not isinstance(node.ctx, gast.Load):
                continue
            parent = parents.get(id(node))
            if isinstance(parent, (gast.For, gast.comprehension)) and parent.iter is node:
                if isinstance(parent, gast.For) and _changes_name(parent.body, holder):
                    return "walked"
                continue
            if isinstance(parent, gast.Subscript) and parent.value is node \
                    or isinstance(parent, gast.Compare) and node in parent.comparators \
                    and all(isinstance(op, (gast.In, gast.NotIn)) for op in parent.ops) \
                    or isinstance(parent, gast.Dict) and any(
                        k is None and v is node for k, v in zip(parent.keys, parent.values)) \
                    or isinstance(parent, gast.Return) \
                    or isinstance(parent, gast.Call) and _made_by_pop(parent) \
                    or isinstance(parent, gast.IfExp) and parent.orelse is node \
                    and isinstance(parent.body, gast.Call) and _made_by_pop(parent.body) \
                    or isinstance(parent, gast.Call) and node in parent.args \
                    and isinstance(parent.func, gast.Name) and parent.func.id not in bound \
                    and any(self.namespace.get(parent.func.id, getattr(
                        builtins, parent.func.id, None)) is reader for reader in _DICT_READERS):
                continue
            if not isinstance(parent, gast.Attribute) or parent.attr not in _DICT_METHODS:
                return "shared"
            call = parents.get(id(parent))
            if not isinstance(call, gast.Call) or call.func is not parent:
                return "shared"
            if parent.attr in ("keys", "values", "items"):     # (a view: where it is read)
                user = parents.get(id(call))
                if not (isinstance(user, (gast.For, gast.comprehension)) and user.iter is call):
                    return "shared"
                if isinstance(user, gast.For) and _changes_name(user.body, holder):
                    return "walked"
        return None

    def _local_dicts(self, tree, params):
        """The locals of the user's function `tree` (no parameter in `params`) that every
        binding makes a dict: each is a plain `d = value` whose value is a dict display, a
        dict comprehension or a call of the builtin dict (nothing in the function binds the
        name dict)."""
        dict_builtin = self.namespace.get("dict", dict) is dict and not any(
            n.id == "dict" and not isinstance(n.ctx, gast.Load)
            for n in T.name_nodes(tree.body))
        values = collections.defaultdict(list)
        for node in T.all_nodes(tree):
            if type(node) is gast.Assign and len(node.targets) == 1 \
                    and type(node.targets[0]) is gast.Name:
                values[node.targets[0].id].append(node.value)
        stores = collections.Counter(n.id for n in T.name_nodes(tree.body)
                                     if not isinstance(n.ctx, gast.Load))
        return {name for name, made in values.items()
                if name not in params and stores[name] == len(made) and all(
                    isinstance(v, (gast.Dict, gast.DictComp)) or _dict_popped(v)
                    or isinstance(v, gast.Call) and isinstance(v.func, gast.Name)
                    and dict_builtin and v.func.id == "dict" for v in made)}

    def _dict_copy_parts(self, stmt, params):
        """`(source, entries)` where `stmt` is `p = dict(source)`, `p = {**source, k: v,
        ...}` or `p = source | {k: v, ...}` (constant keys) of a name `source` in `params`;
        else None."""
        if not (type(stmt) is gast.Assign and len(stmt.targets) == 1
                and type(stmt.targets[0]) is gast.Name):
            return None
        value = stmt.value
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
                and value.func.id == "dict" and len(value.args) == 1 and not value.keywords \
                and isinstance(value.args[0], gast.Name) and value.args[0].id in params \
                and self.namespace.get("dict", dict) is dict and not any(
                    n.id == "dict" and not isinstance(n.ctx, gast.Load)
                    for n in T.name_nodes(self.source.tree.body)):
            return value.args[0], []
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.BitOr) \
                and isinstance(value.right, gast.Dict) and None not in value.right.keys:
            value = gast.Dict(keys=[None] + value.right.keys,      # `params | {"w": e}`
                              values=[value.left] + value.right.values)
        if isinstance(value, gast.Dict) and value.keys and value.keys[0] is None \
                and isinstance(value.values[0], gast.Name) and value.values[0].id in params \
                and all(isinstance(key, gast.Constant) for key in value.keys[1:]):
            return value.values[0], list(zip(value.keys[1:], value.values[1:]))
        return None

    def _variables(self):
        variables = _Variables()
        for stmt in self.source.tree.body:
            variables.visit(stmt)
        self.homed = variables.homed
        self.mutated = variables.mutated
        self.sites = variables.sites
        self.binds_in_expressions = variables.binds_in_expressions

    def _helper_to_inline(self, name):
        """The FunctionSource of the function of the user's, in this module, that a
        statement `name(...)` calls (its value unused: for what it changes), to inline
        there (srcad/inline.py); None for anything else. The derivative is made for it:
        guarded on the name, the function's code and its defaults."""
        if name not in self._helpers:
            self._helpers[name] = self._helper_source(name)
        return self._helpers[name]

    def _helper_source(self, name):
        fn = self.source.fn
        value = self.namespace.get(name)
        if self.generated or not isinstance(value, types.FunctionType) or value is fn \
                or value.__globals__ is not fn.__globals__ or value.__closure__ \
                or value.__defaults__ or value.__kwdefaults__ \
                or inspect.unwrap(value) is not value \
                or str(value.__module__).startswith("srcad"):
            return None
        try:
            source = function_source(value)
        except SrcadError:
            return None
        self.namespace.function(name)
        for attr in ("__code__", "__defaults__"):
            self.namespace.members.append((value, attr, getattr(value, attr)))
        return source

    def _writes_by_calls(self, tree):
        """`np.copyto(y, v)` -> `y[...] = v`; `np.add.at(y, i, v)` -> `y[...] = add_at(y, y, i,
        v)` (a copy of y with v added at i, repeats summed), `np.subtract.at` with -v;
        `np.fill_diagonal(y, v)` -> `y[...] = filled_diagonal(y, v)`: element
        writes into a local y, which srcad differentiates and checks (y also reached through
        another name ...), in the user's function `tree`. Whether it found any (none, without
        a look into its blocks, where no statement is a call)."""
        found = False
        if not any(type(stmt.value) is gast.Call for stmt in self.statements_of(gast.Expr)):
            return found
        for block in T.blocks(tree):
            for k, stmt in enumerate(block):
                call = stmt.value if isinstance(stmt, gast.Expr) else None
                if not isinstance(call, gast.Call):
                    continue
                func = self._resolved_object(call.func)
                scatter = any(_same_method(func, ufunc.at) for ufunc in (np.add, np.subtract))
                if func is not np.copyto and func is not np.fill_diagonal and not scatter:
                    continue
                label = T.source_of(call.func)
                if call.keywords or any(isinstance(a, gast.Starred) for a in call.args) \
                        or len(call.args) != (3 if scatter else 2):
                    self.error(call, f"this call of {label} (srcad takes "
                               + ("np.add.at(y, i, v)" if scatter else
                                  "np.fill_diagonal(y, v)" if func is np.fill_diagonal
                                  else "np.copyto(y, v)")
                               + " as a statement, without keywords)",
                               "pass the array, the index and the values by position"
                               if scatter else "write y[...] = np.where(mask, v, y) for where="
                               if func is np.copyto else "wrap=True: write the diagonal's "
                               "elements by index (y[i, i] = v)")
                if not isinstance(call.args[0], gast.Name):
                    self.error(call, f"{label} into something that is not a variable",
                               f"name the array first (y = {T.source_of(call.args[0])}), "
                               "then write into y")
                target, args = call.args[0], call.args[1:]
                if func is np.copyto:
                    written = args[0]
                elif func is np.fill_diagonal:
                    helper = _at(T.name("filled_diagonal"), call.func)
                    helper.srcad_helper = True
                    written = _at(gast.Call(func=helper, args=[
                        _at(T.load(target), target), args[0]], keywords=[]), call)
                else:
                    index, added = args
                    if _same_method(func, np.subtract.at):
                        added = _at(gast.UnaryOp(op=gast.USub(), operand=added), added)
                    helper = _at(T.name("add_at"), call.func)
                    helper.srcad_helper = True      # (resolved to srcad's, not the user's)
                    written = _at(gast.Call(func=helper, args=[
                        _at(T.load(target), target), _at(T.load(target), target), index,
                        added], keywords=[]), call)
                whole = _located(gast.Subscript(value=T.load(target),
                                                slice=T.constant(Ellipsis),
                                                ctx=gast.Store()), target)
                block[k] = _at(gast.Assign(targets=[whole], value=written, type_comment=None),
                               stmt)
                found = True
        return found

    def _nested_writes(self, tree):
        """`p[k][i] = v` (or `p[k][i] += v`) -> `t = p[k]; t[i] = v; p[k] = t` in the user's
        function `tree`, where p is a local list or dict of new objects (`_new_objects_in`)
        and k a constant or a name: Python changes the object in p's slot k, which t is, and
        every later read of p sees it; srcad's t is a new value, which p's slot takes back.
        A check of the alias between t and p would refuse the write (p is read later): the
        statement that makes t carries `srcad_written_back` (p), which that check passes.
        Every other name that may share p[k]'s object is checked as for any `t = p[k]`
        (but t and another such name of p: `_taken_from_one`).
        Whether it found any (none, without a look into its blocks, where no assignment
        writes into an item of an item)."""
        found = False
        if not any(_into_an_item_of_an_item(stmt) for stmt in self.statements()):
            return found
        args = tree.args
        params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        names = None
        for block in T.blocks(tree):
            for k in range(len(block) - 1, -1, -1):
                stmt = block[k]
                target = stmt.targets[0] if type(stmt) is gast.Assign \
                    and len(stmt.targets) == 1 else getattr(stmt, "target", None) \
                    if type(stmt) is gast.AugAssign else None
                if not (isinstance(target, gast.Subscript)
                        and isinstance(target.value, gast.Subscript)
                        and isinstance(target.value.value, gast.Name)
                        and isinstance(target.value.slice, (gast.Constant, gast.Name))):
                    continue
                outer, key = target.value.value.id, target.value.slice
                if outer in params or not self._new_objects_in(tree, outer, key):
                    continue
                if names is None:
                    names = {n.id for n in T.name_nodes(tree)} | set(self.namespace) \
                        | set(self.reserved)
                    self.source.record_fields = getattr(self.source, "record_fields",
                                                        None) or {}
                written = f"{T.source_of(target)} {AUGMENTED[type(stmt.op)]} ..." \
                    if type(stmt) is gast.AugAssign else None
                item = T.source_of(target.value)
                inner = _fresh_name(f"{outer}_item", names)
                names.add(inner)
                self.source.record_fields[inner] = item
                taken = _told_at(T.assign(inner, T.load(target.value)), stmt)
                target.value = _located(T.name(inner), target.value)
                slot = gast.Subscript(value=T.name(outer), slice=T.clone(key),
                                      ctx=gast.Store())
                put_back = _told_at(gast.Assign(targets=[slot], value=T.name(inner),
                                                type_comment=None), stmt)
                taken.srcad_written_back = put_back.srcad_written_back = outer
                slot.srcad_written_back = outer
                self.nested_items[inner] = outer
                if type(stmt) is gast.AugAssign:
                    stmt.srcad_nested_item = (item, written)
                block[k:k + 1] = [taken, stmt, put_back]
                found = True
        return found

    def _new_objects_in(self, tree, name, key):
        """Whether local `name` holds new objects in the slot that `key` names, none of
        which another of its slots holds: one statement binds it, to a display or
        comprehension whose item there (every item, for a key that is not a constant)
        makes a new object (`_made_new`), and nothing else puts an object in it (no slot
        assigned, no method that changes it called, not passed to a call)."""
        made = [n for n in T.all_nodes(tree.body) if type(n) is gast.Assign
                and any(isinstance(t, gast.Name) and t.id == name for t in n.targets)]
        stores = [n for n in T.name_nodes(tree.body)
                  if n.id == name and not isinstance(n.ctx, gast.Load)]
        if len(made) != 1 or len(stores) != 1 or len(made[0].targets) != 1 \
                or any(isinstance(n, (gast.Global, gast.Nonlocal)) and name in n.names
                       for n in gast.walk(tree)):
            return False
        value = made[0].value
        if isinstance(value, (gast.DictComp, gast.ListComp)):
            items = [value.value if isinstance(value, gast.DictComp) else value.elt]
        elif isinstance(value, gast.Dict) and None not in value.keys:
            items = value.values
            if isinstance(key, gast.Constant):
                items = [v for k, v in zip(value.keys, value.values)
                         if isinstance(k, gast.Constant) and k.value == key.value][-1:]
        elif isinstance(value, gast.List) and not any(isinstance(e, gast.Starred)
                                                      for e in value.elts):
            items = value.elts
            if isinstance(key, gast.Constant):
                items = items[key.value:key.value + 1] if type(key.value) is int \
                    and 0 <= key.value < len(items) else []
        else:
            return False
        return bool(items) and all(self._made_new(v) for v in items) \
            and self._only_read(tree, name)

    def _made_new(self, value):
        """Whether expression `value` makes an object that nothing else holds: a copy
        (`x.copy()`, no view), arithmetic, a display, what a NumPy function computes."""
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.List, gast.Dict,
                              gast.ListComp, gast.DictComp)):
            return True
        return isinstance(value, gast.Call) and (
            isinstance(value.func, gast.Attribute) and value.func.attr == "copy"
            and not value.args and not value.keywords or self._numpy_result(value))

    @staticmethod
    def _only_read(tree, name):
        """Whether every mention of local `name` in `tree` but its binding reads an item of
        it (`p[k]`, not a slot assigned or deleted but by `_nested_writes`), its keys or
        items (`p.items()`, `p.get(k)`, `for k in p`, `len(p)`), or returns it: no other name
        or object gets it, its items or a copy that holds them."""
        allowed = set()
        for node in T.all_nodes(tree.body):
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                    and node.value.id == name:
                if not isinstance(node.ctx, gast.Load) and not getattr(
                        node, "srcad_written_back", None):
                    return False
                allowed.add(id(node.value))
            elif isinstance(node, gast.Attribute) and node.attr in (
                    "items", "keys", "values", "get"):
                allowed.add(id(node.value))
            elif isinstance(node, (gast.For, gast.comprehension)):
                allowed.add(id(node.iter))
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                    and node.func.id == "len" and len(node.args) == 1:
                allowed.add(id(node.args[0]))
            elif isinstance(node, gast.Return) or isinstance(node, gast.Assign) \
                    and len(node.targets) == 1:
                allowed.add(id(node.targets[0] if isinstance(node, gast.Assign)
                               else node.value))
        return all(id(n) in allowed for n in T.name_nodes(tree.body) if n.id == name)

    # ----- helpers -----

    def nodes(self):
        """Every node of the user's function but contexts and operators, in source order
        (walked once: several questions about the whole function read it)."""
        nodes = self.__dict__.get("_nodes")
        if nodes is None:
            nodes = self._nodes = T.all_nodes(self.source.tree)
        return nodes

    def statements(self):
        """The user's function and every statement in it (`_statements_in`), walked once
        while no pre-pass rewrites it."""
        statements = self.__dict__.get("_statements")
        if statements is None:
            statements = self._statements = _statements_in(self.source.tree)
        return statements

    def statements_of(self, kind):
        """The statements of gast class `kind` in the user's function, nested ones
        included, in source order: what `nodes_of(kind)` gives for a kind of statement,
        from a walk of the statements alone (no expression holds one)."""
        return [stmt for stmt in self.statements() if type(stmt) is kind]

    def stored_in(self, stmt):
        """The names that user statement `stmt` stores, its nested statements' included:
        those in the statements' targets, unless an expression of the function binds one
        (then every name in `stmt` is looked at)."""
        if self.binds_in_expressions:
            return T.names_stored(stmt)
        return T.names_stored(_targets_of(_statements_in(stmt)))

    def _tree_changed(self):
        """Forget the walks of the user's function (`nodes`, `statements_of`): a pre-pass
        rewrote it."""
        self.__dict__.pop("_nodes", None)
        self.__dict__.pop("_statements", None)

    def nodes_of(self, kind):
        """The nodes of gast class `kind` among `nodes()`, in source order (sorted by class
        once per walk of the function: a question about a few kinds of node reads those
        alone, not every node)."""
        nodes = self.nodes()
        sorted_by = self.__dict__.get("_by_kind")
        if sorted_by is None or sorted_by[0] is not nodes:    # (a new walk: sorted anew)
            by_kind = collections.defaultdict(list)
            for node in nodes:
                by_kind[type(node)].append(node)
            sorted_by = self._by_kind = (nodes, by_kind)
        return sorted_by[1].get(kind, ())

    def refuse_complex(self):
        """Complex numbers: srcad's rules are for real numbers (abs, conj, ...), and a real
        result of complex steps would get a wrong gradient. (The first in source order is
        told, where there are several.) Where neither the function's text nor that of a
        helper inlined into it has a sign of one in it (`_COMPLEX_SIGNS`), none of its
        nodes can be one, and none is looked at: the pre-passes before this one make no
        constant, name or attribute of their own that is one."""
        sources = [self.source] + [helper for helper in self._helpers.values()
                                   if helper is not None]
        if not any(source.mentions(*_COMPLEX_SIGNS) for source in sources):
            return
        found = {node for node in self.nodes_of(gast.Constant)
                 if isinstance(node.value, complex)}
        found.update(node for node in self.nodes_of(gast.Name) if node.id == "complex")
        found.update(node for node in self.nodes_of(gast.Attribute)
                     if node.attr in _COMPLEX_TYPES)
        if found:
            first = next(node for node in self.nodes() if node in found)
            self.error(first, "a complex number", "srcad differentiates real-valued code: "
                       "write the real and imaginary parts as two real arrays")

    def error(self, node, what, hint):
        raise UnsupportedError(f"{what} is not supported by srcad",
                               self.source.location(node), hint=hint)

    def fresh(self):
        return vname(next(self.counter))

    def emit(self, stmt):
        self.origin[stmt] = self.current
        self.out.append(stmt)
        return stmt

    def emit_assign(self, target, value):
        return self.emit(T.assign(target, value))

    def block(self, stmts):
        """Normalise a list of user statements into a new IR block."""
        saved, self.out = self.out, []
        for stmt in stmts:
            self.statement(stmt)
        block, self.out = self.out, saved
        return block

    def is_local(self, ident):
        return ident in self.env or ident in self.home or ident in self.sites

    def home_of(self, ident):
        if ident not in self.home:
            self.home[ident] = self.fresh()
        self.homes.add(self.home[ident])
        return self.home[ident]

    # ----- the function -----

    def default_values(self, signature):
        """`{name: value}`: the derivative's signature refers by `name` to each default
        that is not a plain constant, and its value is the one the function was made with.
        Evaluated again, `k=a` would not find a closure's local `a`, and `k=K` would read a
        global `K` changed since."""
        fn = self.source.fn
        self.default_sources = {}      # name -> the default as written (standalone files)
        out = {}

        def named(param, default, value):
            name = f"_default_{param.id}"
            out[name] = value
            self.default_sources[name] = None if default is None \
                else T.source_of(default).strip()        # (None: set at run time)
            return T.name(name)

        def made(param, default, value):      # (the function's defaults may not be those
            if default is not None and _plain_constant(default, value):   # of its source)
                return default
            return named(param, default, value)

        positional = signature.posonlyargs + signature.args
        first = len(positional) - len(signature.defaults)
        written = dict(zip([a.id for a in positional[first:]], signature.defaults))
        values = fn.__defaults__ or ()
        signature.defaults = [made(param, written.get(param.id), value) for param, value in
                              zip(positional[len(positional) - len(values):], values)]
        keywords = fn.__kwdefaults__ or {}
        signature.kw_defaults = [made(param, default, keywords[param.id])
                                 if param.id in keywords else None
                                 for param, default in zip(signature.kwonlyargs,
                                                           signature.kw_defaults)]
        return out

    def function(self):
        tree = self.source.tree
        args = tree.args
        if args.vararg or args.kwarg:
            self.error(tree, "*args/**kwargs in the signature",
                       "list the parameters explicitly")
        params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
        # a parameter named like a generated name (v_0, vbar_1) is called v_0_ in the
        # derivative's signature, so that binding the inputs cannot overwrite it
        signature = T.clone(args)
        defaults = self.default_values(signature)
        renamed = parameter_names(params)
        for a in signature.posonlyargs + signature.args + signature.kwonlyargs:
            a.id = renamed[a.id]
        passed = [a.id for a in signature.posonlyargs + signature.args + signature.kwonlyargs]
        inputs = [vname(k) for k in range(1 - len(params), 1)]
        self.current = tree
        fn = self.source.fn
        none_default = {p.id for p, d in zip(reversed(args.posonlyargs + args.args),
                                             reversed(fn.__defaults__ or ())) if d is None}
        none_default |= {p for p, d in (fn.__kwdefaults__ or {}).items() if d is None}
        for param, name, v in zip(params, passed, inputs):
            # a parameter changed in place is copied first: the caller's value stays intact
            value = T.call(f"{name}.copy", []) if param in self.mutated else T.name(name)
            if param in self.mutated and param in none_default:    # `buf=None`, then made
                value = T.quote_expr(f"None if {name} is None else {name}.copy()")
            self.emit_assign(v, value)
            self.env[param] = T.name(v)
            if param in self.homed:
                self.home[param] = v
                self.homes.add(v)
        body = tree.body
        if (body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:]  # docstring
        self.top = self.out
        entry = len(self.out)
        for stmt in body:
            self.statement(stmt)
        # a check of a copy's item names the copy where a branch may not have bound it: None
        # until it is (the check passes a None)
        self.out[entry:entry] = [T.assign(name, T.constant(None))
                                 for name in sorted(self.unbound_checked - set(inputs))]
        self.free_helper_names()
        try:
            self.close_permutations()
            self.check_writes_through_aliases_unless_lists()
        except UnsupportedError as exc:
            if not self.generated:
                raise
            raise self._in_place_refusal(exc) from None
        if self.generated:      # (refusals that wait for the kinds, told at the user's line)
            self.unless_numbers = [(made, self._in_place_refusal(exc), slot)
                                   for made, exc, slot in self.unless_numbers]
        ir = IR(self.source, passed, inputs, self.out, self.origin, self.namespace, self.homes,
                self.counter)
        ir.args = signature
        ir.defaults = defaults
        ir.default_sources = self.default_sources
        ir.renamed = self.renamed
        ir.changed = self.changed_params(params)
        ir.augmented_only = self.augmented_only
        ir.items_changed = self.items_changed
        ir.iterated = self.iterated
        ir.dict_gets = self.dict_gets
        ir.attributes_read = self.attributes_read
        ir.fields_read = self.fields_read
        ir.stack = self.home.get(_STACK) if self.generated else None   # a gradient's stack
        ir.tapes = {v for n, v in self.home.items() if n.startswith(_TAPE)} \
            if self.generated else set()            # its loops' tapes (tapes.py)
        ir.refusals_if_list = self.refusals_if_list
        ir.unless_numbers = self.unless_numbers
        ir.before_its_class = self.before_its_class
        # `z = x; z += y` changes x too when x is an array: remember where that could happen
        for a, b, made, _ in self.aliases:
            for name, other in ((a, b), (b, a)):
                if a == b or name not in self.augmented or name not in self.home \
                        or _list_of_items(made, name):
                    continue          # (`hist += [x]`: list hist holds x, and stays a list)
                for aug, loop in self.augmented[name]:
                    if loop is None and _position(made) > _position(aug):
                        continue      # the second name was made after the update
                    if self._read_after(other, loop or aug, inclusive=loop is not None):
                        ir.in_place.setdefault(self.home[name],
                                               (aug, a, b, self._text_of(made)))
        return ir

    def alias_root(self, value):
        """The local variable whose array `value` may share (`b`, `b[i]`, `b.T`,
        `b.reshape(...)`), or None when `value` makes a new object."""
        node = value
        while True:
            if isinstance(node, gast.Name):
                # (a global or closure array, bound to a local and written, changes too)
                return node.id if self.is_local(node.id) or _may_hold_array(
                    self.namespace.get(node.id)) else None
            if isinstance(node, gast.Subscript) and not isinstance(
                    node.slice, (gast.List, gast.Compare, gast.BoolOp)) and not (
                    among(self._resolved(node.slice), _INDEX_ARRAYS)
                    or self._index_array_name(node.slice)):
                node = node.value         # (an index list, array or a mask makes a copy)
            elif isinstance(node, gast.Attribute) and node.attr not in _NUMBER_ATTRIBUTES:
                node = node.value
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and (
                    node.func.attr in _VIEW_METHODS or node.func.attr == "astype" and any(
                        k.arg == "copy" and not _literal_true(k.value) for k in node.keywords)):
                node = node.func.value
            else:
                return None

    def _one_index(self, target):
        """`B[i][j]` -> `B[i, j]` as a target, where B is a local array of numbers
        (`_known_array`) and i an int (a constant, or a name only `for i in range(...)`
        binds): the same element. Else `target` as it is."""
        outer = target.value
        if not (isinstance(outer, gast.Subscript) and isinstance(outer.value, gast.Name)
                and self._known_array(outer.value.id) and self._an_int(outer.slice)):
            return target
        inner = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
        return gast.copy_location(gast.Subscript(
            value=outer.value, slice=gast.Tuple(elts=[outer.slice, *inner], ctx=gast.Load()),
            ctx=target.ctx), target)

    def _an_int(self, index):
        """Whether `index` is an int constant or a name that only range loops bind."""
        if isinstance(index, gast.Constant):
            return type(index.value) is int
        if not isinstance(index, gast.Name):
            return False
        loops = [n for n in self.nodes() if isinstance(n, gast.For)
                 and isinstance(n.target, gast.Name) and n.target.id == index.id]
        stores = [n for n in T.name_nodes(self.source.tree.body)
                  if n.id == index.id and not isinstance(n.ctx, gast.Load)]
        return bool(loops) and len(stores) == len(loops) and all(
            isinstance(n.iter, gast.Call) and self._resolved(n.iter) is range for n in loops)

    def _index_array_name(self, index):
        """Whether `index` is a local that every binding makes an index array
        (`idx = np.array([0, 2])`, `order = np.argsort(x)`): y[index] is a copy. (Not a
        comparison: `m = n > 2` may be a bool, and xs[m] of a list an item.)"""
        if not (isinstance(index, gast.Name) and self._only_assigned(index.id)):
            return False
        values = self._assigned_values(index.id)
        return bool(values) and all(
            among(self._resolved(v), _INDEX_ARRAYS)
            or self._resolved(v) in (np.array, np.asarray) and v.args
            and isinstance(v.args[0], (gast.List, gast.Tuple, gast.ListComp))
            for v in values)

    def changed_params(self, params):
        """`{parameter: how}` for the parameters whose object the function may change in
        place (`p[i] = ...`, `p.append(...)`, `p += ...` on an array) while it is still the
        caller's: a caller passing an array there sees it change."""
        # (name, write, how, whether it changes only list `name`'s slots when name is a list:
        # `hs.append(...)`, `hs[i] = ...` of a name that is a list wherever it is used)
        changes = [(name, write, f"'{text}'", not text.endswith("= ...") or text == f"{name}"
                    "[...] = ..." and self._known_container(name))
                   for name, write, _, text in self.writes]
        changes += [(node.target.id, node, f"'{node.target.id} {AUGMENTED[type(node.op)]} ...': "
                     "NumPy does this in place for arrays", True)
                    for node in self.statements_of(gast.AugAssign)
                    if isinstance(node.target, gast.Name)]
        top = self.source.tree
        changed = {}
        self.augmented_only = {}    # parameter -> the homes whose `s -= ...` alone change it
        self.items_changed = set()  # ... that may change an item of a list or dict in place
        for p in params:
            sharing = [(p, top)] + [(b if a == p else a, made) for a, b, made, _ in self.aliases
                                    if p in (a, b) and a != b]
            homes = set()
            for name, write, text, slots_only in changes:
                # (`buf[i] = p` or `buf[:] = p` stored p's values in array buf, or p's
                # object in a slot of list buf: `buf[j] = ...` changes neither p nor what p
                # holds)
                if any(name == other and not self._fresh_before(name, write, made)
                       and not ((slots_only or text == f"'{name}[...] = ...'")
                                and other != p and self._holds(name, p, made))
                       for other, made in sharing):
                    changed.setdefault(p, text)
                    if not (name == p and (slots_only or text == f"'{p}[...] = ...'")):
                        self.items_changed.add(p)     # (not only `p[i] = v`, `p.append(v)`)
                    augmented = isinstance(write, gast.AugAssign) and isinstance(
                        write.target, gast.Name) and name in self.home
                    homes.add(self.home[name] if augmented else None)
            if homes and None not in homes:
                self.augmented_only[p] = homes
        return changed

    def _holds(self, holder, inner, made):
        """Whether alias `made` makes list `holder` hold `inner`'s object in a slot (`hs =
        [x]`, `hs.append(x)`): appending to holder, popping from it, extending it change
        its slots, not inner."""
        return (holder, inner, id(made)) in self.holders

    def _held_within(self, holder, name, made):
        """Whether alias `made` links `name` to list or dict `holder` only through the
        object a slot of holder holds (`d = {"b": x}; r = x[::-1]`): `holder[k] = v`,
        `holder.append(v)` rebind or add slots, and change neither that object nor r. Not
        where `made` also links them itself (`r = [d, x]`: r holds d) or a permutation
        passed the alias on."""
        pairs = (holder, name, id(made)), (name, holder, id(made))
        return pairs[0] in self.held_within and not any(
            pair in links for pair in pairs for links in (self.direct, self.passed_on))

    def loop_aliases(self, target, it):
        """`(name, variable)` for each name of `for target in it` that takes items of a local
        array, list or dict, and so shares their objects: `row` and `A` in `for row in A`,
        `for i, row in enumerate(A)`, `for a, b in zip(A, B)`, `for k, v in d.items()`."""
        names = [n.id for n in gast.walk(target) if isinstance(n, gast.Name)]
        root = self.alias_root(it)
        if root is not None:
            return [(name, root) for name in names]
        if isinstance(it, (gast.List, gast.Tuple)) or isinstance(it, gast.Call) and isinstance(
                it.func, gast.Attribute) and it.func.attr == "copy" \
                or self._listed(it) is not None:            # `for v in [y, z]`, list(A)
            return [(name, r) for name in names for r in sorted(self.shared_roots(it))]
        if not isinstance(it, gast.Call):
            return []
        pairs = isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2
        func, args = it.func, it.args
        if isinstance(func, gast.Attribute) and func.attr in ("values", "items") and not args:
            root = self.alias_root(func.value)
            if root is None:
                return []
            if func.attr == "items" and pairs:           # the keys are no objects of d's
                target = target.elts[1]
            return [(n.id, root) for n in gast.walk(target) if isinstance(n, gast.Name)]
        resolved = self.resolve(func) if isinstance(func, gast.Name) \
            and not self.is_local(func.id) else None
        if resolved is enumerate and args:
            return self.loop_aliases(target.elts[1] if pairs else target, args[0])
        if resolved in (reversed, sorted) and len(args) == 1:
            return self.loop_aliases(target, args[0])
        if resolved is runtime.transposed:             # `for a, b in zip(*rows)`
            return [(name, r) for name in names for r in sorted(self.shared_roots(it))]
        if resolved is zip:
            parts = target.elts if isinstance(target, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(args) else [target] * len(args)
            return [pair for part, arg in zip(parts, args)
                    for pair in self.loop_aliases(part, arg)]
        return []

    def iterated_roots(self, it):
        """The local variables whose objects a loop over `it` may give: those of `xs` in
        `xs`, `d.items()`, `d.values()`, `enumerate(xs)`, `zip(xs, ys)`, `reversed(xs)`."""
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute) \
                and it.func.attr in ("items", "values") and not it.args:
            return self.shared_roots(it.func.value)
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                and not self.is_local(it.func.id) \
                and self.resolve(it.func) in (enumerate, zip, reversed, sorted, list, tuple,
                                              runtime.transposed):
            return set().union(*(self.iterated_roots(a) for a in it.args))
        return self.shared_roots(it)

    def _listed(self, value):
        """The iterable of `list(xs)` or `tuple(xs)` (a new list of xs's items: for an array,
        views of its rows), else None. In srcad's own code, `listed(xs)` and `tupled(xs)`,
        which the user's list(xs) became."""
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
                and len(value.args) == 1 and not value.keywords \
                and not self.is_local(value.func.id) \
                and self._resolved_object(value.func) in (list, tuple) + (
                    (runtime.listed, runtime.tupled) if self.generated else ()):
            return value.args[0]
        return None

    def is_new(self, value):
        """Whether `value` makes a new object, shared with no local variable."""
        return not self.shared_roots(value)

    def shared_roots(self, value):
        """The local variables whose objects `value` may share: `alias_root`'s, those of a
        call (`call_aliases`), of the items of a display (`[y][0]`, `(y, 2.0)`), and of
        both sides of a conditional expression."""
        if isinstance(value, gast.Name):            # (the commonest: its alias_root alone)
            root = self.alias_root(value)
            return set() if root is None else {root}
        if isinstance(value, gast.BinOp):
            return self._operands_roots(value)
        if isinstance(value, (gast.List, gast.Tuple)):
            return {r for item in value.elts for r in self.shared_roots(item)}
        if isinstance(value, gast.Dict):
            return {r for item in value.values for r in self.shared_roots(item)}
        if isinstance(value, gast.IfExp):
            return self.shared_roots(value.body) | self.shared_roots(value.orelse)
        if isinstance(value, gast.BoolOp):                 # xs or [0.0]: xs itself
            return set().union(*(self.shared_roots(v) for v in value.values))
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and isinstance(value.func.value, gast.Name) and (
                    value.func.attr in ("pop", "get", "setdefault") or value.func.attr == "copy"
                    and self._shallow_copied(value.func.value.id)):
            return self.shared_roots(value.func.value)     # an item, or a shallow copy
        if isinstance(value, (gast.ListComp, gast.DictComp)):
            return self._comprehension_roots(value)
        if (listed := self._listed(value)) is not None:    # list(xs): xs's items
            return self.iterated_roots(listed)
        if isinstance(value, gast.Subscript) and isinstance(
                value.value, (gast.List, gast.Tuple, gast.Dict, gast.Call, gast.IfExp,
                              gast.ListComp)):
            return self.shared_roots(value.value)
        root = self.alias_root(value)
        return ({root} if root is not None else set()) | set(self.call_aliases(value))

    def _operands_roots(self, value):
        """`shared_roots` of BinOp `value`: lists joined or repeated hold their lists'
        objects (`[y] * 2`, `xs + ys`; of `[0.0] * n`, none of n's: a count); arithmetic
        makes a new value."""
        listy = [isinstance(side, (gast.List, gast.Tuple, gast.ListComp))
                 or isinstance(side, gast.Name) and self._list_display(side.id)
                 for side in (value.left, value.right)]
        if not (any(listy) and isinstance(value.op, (gast.Add, gast.Mult))):
            return set()
        sides = [value.left, value.right]
        if isinstance(value.op, gast.Mult) and not all(listy):
            sides = [side for side, is_list in zip(sides, listy) if is_list]
        return set().union(*(self.shared_roots(side) for side in sides))

    def _comprehension_roots(self, value):
        """What a list or dict comprehension's items may share: its iterables' items where
        an item is a loop variable or part of one (`[w for w in ws]`, `[r[0] for r in
        R]`), not a new value of it (`[w * 2.0 for w in ws]`, `[w.copy() for w in ws]`);
        and what the item shares of other names (`[y for _ in range(3)]`)."""
        item = _item_expression(value)
        targets = {n.id for g in value.generators for n in T.name_nodes(g.target)}
        if not targets & {n.id for n in T.name_nodes(item)}:
            return self.shared_roots(item)
        shared = _shared_names(item, self.namespace, set())
        roots = {n for n in shared - targets
                 if self.is_local(n) or _may_hold_array(self.namespace.get(n))}
        if shared & targets:
            roots = roots.union(*(self.iterated_roots(g.iter) for g in value.generators))
        return roots

    def alias(self, name, other, node, loops, item=False, stored=False, same=False):
        """Note that `name` may share `other`'s object from `node` on, and so whatever
        `other` shares (`p = parts[0]` after `parts = np.split(a, 3)` shares a's array).
        `item`: name gets an item of list or dict `other` (`r = xs[i]`, `r = xs.pop()`;
        with `stored`, holds one: `s[0] = xs[i]`), which appending to or popping from
        `other` (or rebinding its slots) leaves as it is (only this pair: what
        the closure adds is checked in full). `stored`: `name[i] = other` or
        `name.append(other)` puts other's object in list `name` (or copies it into array
        `name`): a later `name[j] = ...` changes neither it nor what it shares. `same`:
        name is other's object itself (`r = a`): a list that only holds a (`xs = [a]`)
        holds r as if r were taken from it; where name is part of other's object (`r =
        a[0]`, `r = a[::-1]`), it is reached through that list's slot, not the list
        (`held_within`)."""
        if _STACK in (name, other) and self.generated:
            return            # a gradient's own stack: saved values, restored exactly
        for theirs in dict.fromkeys(self.aliases.partners(other)):   # (each name once:
            if theirs != name:                     # repeats made the list grow without end)
                self.aliases.append((name, theirs, node, loops))
                if stored:
                    self.holders.add((name, theirs, id(node)))
                elif same and self._only_holds(theirs, other):
                    self.taken.add((theirs, name, id(node)))
                elif self._only_holds(theirs, other):
                    self.held_within.add((theirs, name, id(node)))
        self.aliases.append((name, other, node, loops))
        self.direct.add((name, other, id(node)))
        if item:
            self.taken.add((other, name, id(node)))
        if item and stored:        # one slot of name holds one item of other
            self.elements.add((other, name, id(node)))

    def alias_permuted(self, moved):
        """`a, b, c = b, c, a` (`moved`: each target's name with the name it takes its
        object from): the names hold the same objects as before, each under another name,
        so two of them share one only where two of them did before. Each takes over what
        its source shared, under the names that now hold it: no new alias between them."""
        loops = tuple(self.loop_stack)
        self._pass_on(moved, self.current, loops, list(self.aliases))
        if loops:       # (the aliases made later in the loop reach it on the next turn)
            self.permuted_in_loops.append((moved, self.current, loops))

    def _pass_on(self, moved, node, loops, aliases):
        """Add what the sources of a permutation share in `aliases` to the names that take
        their objects (see alias_permuted), each alias in the order of the one it renames,
        of the same kinds (`holders`, ...); whether any alias was new."""
        holder = {source: name for name, source in moved}
        known = {(a, b) for a, b, _, _ in self.aliases}
        added = False
        for name, source in moved:
            for a, b, made, _ in aliases:
                for mine, partner in ((a, b), (b, a)):
                    theirs = holder.get(partner, partner)
                    new = (name, theirs) if mine == a else (theirs, name)
                    if mine == source and theirs != name and new not in known:
                        self.aliases.append(new + (node, loops))
                        known.add(new)
                        first = self.passed_on.get((a, b, id(made)), made)
                        self.passed_on[new + (id(node),)] = first
                        self.passed_on[new[::-1] + (id(node),)] = first
                        for kinds in (self.holders, self.taken, self.elements, self.copied):
                            if (a, b, id(made)) in kinds:
                                kinds.add(new + (id(node),))
                            if (b, a, id(made)) in kinds:
                                kinds.add(new[::-1] + (id(node),))
                        added = True
        return added

    def close_permutations(self):
        """A permutation in a loop passes on, on the next turn, what its names came to
        share after it (`a, b = b, a; ...; c = b`: a shares c's array then): until nothing
        more is passed on."""
        changed = bool(self.permuted_in_loops)
        while changed:
            changed = False
            for moved, node, loops in self.permuted_in_loops:
                changed |= self._pass_on(moved, node, loops, list(self.aliases))

    def _only_holds(self, holder, inner):
        """Whether every alias between `holder` and `inner` is one where `holder` holds
        `inner`'s object (`xs = [a]`, `xs.append(a)`): holder is not inner, nor part of it."""
        pairs = self.aliases.made_between(holder, inner)
        return bool(pairs) and all((holder, inner, id(made)) in self.holders for made in pairs)

    def note_new_container(self, ident, value, start):
        """`ident = <value>` makes a new list or dict (`_new_container`), and
        `self.aliases[start:]` are the aliases it made. Appending to it, popping from it or
        putting another object in one of its slots changes nothing another name reaches;
        and where it holds only items of list xs (`[xs[0], xs[1]]`, `xs + ys`, `xs[1:]`),
        the same changes to xs leave it as it is. (`ident[i] += v` still changes the
        object in slot i, which others may share: that is checked in full.)"""
        node = self.current
        made = {b for a, b, m, _ in self.aliases[start:] if a == ident and m is node}
        for other in made:
            self.holders.add((ident, other, id(node)))
        wholesale = not isinstance(value, (gast.List, gast.Tuple, gast.Dict))
        for lists in self._items_taken(value)[0]:
            self.taken.add((lists, ident, id(node)))
            if wholesale:                       # xs[1:], xs + ys: slot for slot
                self.copied.add((lists, ident, id(node)))
        direct = self.shared_roots(value)
        for other in made - direct - {ident}:
            # `xs = [y]; ys = [y]`: xs only holds what ys holds, and its appends, pops and
            # slot rebinding change its own slots, not ys
            inners = [inner for inner in direct if any(
                {a, b} == {other, inner} for a, b, _, _ in self.aliases[:start])]
            if inners and all(self._only_holds(other, inner) for inner in inners):
                self.taken.add((other, ident, id(node)))

    def note_stored_again(self, holder, inners):
        """List `holder` gets (`holder[i] = v`, `holder.append(v)`) an object that shares
        `inners`: where one of them is holder itself or shares something with it
        (`xs[0] = xs[1]`, `r = xs[1]; xs[0] = r`, `xs.append(xs[0])`), holder may now hold
        one object in two items (if it is a list: `u = u0.copy()` is one where u0 is)."""
        if any(inner == holder or any({a, b} == {holder, inner} for a, b, _, _ in self.aliases)
               for inner in inners):
            params = self._list_only_if(holder)
            if params:
                self.repeats_if_list.setdefault(holder, set()).update(params)
                self.were_repeated_if_list.setdefault(holder, set()).update(params)
                return
            self.repeats.add(holder)
            self.were_repeated.add(holder)

    def _list_only_if(self, ident):
        """The parameters of which one must be a list for local `ident` to be one, where
        each binding of ident is such a parameter or its copy (`u = u0.copy()`, `u = u0`)
        and the parameters are bound nowhere else; None where ident may be a list
        otherwise."""
        if not self._only_assigned(ident):
            return None
        params = set()
        for value in self._assigned_values(ident):
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                    and value.func.attr == "copy" and not value.args and not value.keywords:
                value = value.func.value
            if not (isinstance(value, gast.Name) and value.id in self.parameters()
                    and not self._assigned_values(value.id)
                    and value.id not in self._bound_otherwise()):
                return None
            params.add(value.id)
        return params

    def note_held(self, holder, inner, node=None):
        """List `holder` now holds `inner`'s object (at `node`, else the current statement);
        holding it a second time, it may hold one object in two items."""
        node = self.current if node is None else node
        if self.loop_stack or any(a == holder and b == inner for a, b, _ in self.holders):
            self.repeats.add(holder)         # (appended in a loop: maybe each time)
            self.were_repeated.add(holder)
        self.holders.add((holder, inner, id(node)))

    def _repeated(self, value):
        """Whether `value` is a list repeated (`[y] * 3`, `xs * 2`) whose items may be
        arrays, or joined from lists that may hold the same objects (`xs + xs`): its copies
        are one object each. True, False, or the parameters that make it so if one of them
        is a list (`x + x`, `2 * x`: arrays, unless x is a list; known when it is called)."""
        if not isinstance(value, gast.BinOp) or not isinstance(value.op, (gast.Add, gast.Mult)):
            return False
        sides = (value.left, value.right)
        if isinstance(value.op, gast.Mult) and any(
                isinstance(side, gast.Constant) and type(side.value) is float for side in sides):
            return False        # `xs * 1.0`: a list it would refuse (only ints repeat)
        if_list = set()
        for side in sides:
            if isinstance(side, gast.Name):
                if side.id in self.repeats:
                    return True
                if_list |= self.repeats_if_list.get(side.id, set())
        if isinstance(value.op, gast.Add):      # lists that share objects, joined
            if not self._alias_closure(self.shared_roots(value.left)) & \
                    self._alias_closure(self.shared_roots(value.right)):
                return if_list
            left, right = self._list_sources(value.left), self._list_sources(value.right)
            if left is True or right is True:
                return True
            return left | right | if_list
        for side in sides:
            if isinstance(side, (gast.List, gast.Tuple)):
                return not all(isinstance(item, gast.Constant) for item in side.elts)
            sources = self._list_sources(side)
            if sources is True:
                return True
            if_list |= sources
        return if_list

    def _alias_closure(self, names):
        """`names` and every local that an alias links to one of them, in turn."""
        found, todo = set(names), list(names)
        while todo:
            name = todo.pop()
            for a, b, _, _ in self.aliases:
                for mine, theirs in ((a, b), (b, a)):
                    if mine == name and theirs not in found:
                        found.add(theirs)
                        todo.append(theirs)
        return found

    def _item_sources(self, container, seen=()):
        """`_list_sources` of an item of `container` (`d["a"] * 2`): of the items of the
        displays it is made by, or the parameter it is."""
        if not isinstance(container, gast.Name) or container.id in seen:
            return set()
        name, seen = container.id, seen + (container.id,)
        found = {name} if name in self.parameters() else set()
        for value in self._assigned_values(name):
            if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
                items = value.values if isinstance(value, gast.Dict) else value.elts
            elif isinstance(value, gast.Name):
                items = []
                more = self._item_sources(value, seen)
                if more is True:
                    return True
                found |= more
            else:
                return True if isinstance(value, gast.ListComp) else found | {name}
            for item in items:
                more = self._list_sources(item, seen)
                if more is True:
                    return True
                found |= more
        return found

    def _list_sources(self, side, seen=()):
        """Whether `side` of `side * n` may be a list (whose items `* n` repeats): True
        where it surely may (a list display, an alias, slice or copy of one, an item of a
        list of lists), else the parameters that make it one if they are lists (`x * 2`,
        `ys = xs; ys * 2`, `xs[:] * 2`, `d["a"] * 2`); an empty set for a number or an
        array made here."""
        if isinstance(side, gast.ListComp):
            return True
        if isinstance(side, (gast.List, gast.Tuple)):
            return not all(isinstance(item, gast.Constant) for item in side.elts)
        if isinstance(side, gast.Subscript) and isinstance(side.slice, gast.Slice):
            return self._list_sources(side.value, seen)         # a list's slice
        if isinstance(side, gast.Subscript):                     # an item of a container
            return self._item_sources(side.value, seen)
        if isinstance(side, gast.Call) and isinstance(side.func, gast.Attribute) \
                and side.func.attr == "copy" and not side.args:
            return self._list_sources(side.func.value, seen)
        if not isinstance(side, gast.Name) or side.id in seen:
            return set()
        name, seen = side.id, seen + (side.id,)
        if name in self.repeats or self._list_display(name):
            return True
        params = set(self.repeats_if_list.get(name, ()))
        if name in self.parameters():
            params.add(name)
        for value in self._assigned_values(name):
            if isinstance(value, (gast.Name, gast.Subscript, gast.Call)):
                found = self._list_sources(value, seen)
                if found is True:
                    return True
                params |= found
        return params

    def call_aliases(self, value):
        """The local variables whose arrays the result of call `value` may share: the first
        argument of `np.asarray` and other view-making functions; of a user function, the
        arguments its `return` may hand back (`returned_params`; all of them where its
        source cannot be read)."""
        if not isinstance(value, gast.Call):
            return []
        root = value.func
        while isinstance(root, gast.Attribute):
            root = root.value
        if not isinstance(root, gast.Name) or self.is_local(root.id):
            return []                          # a method of a local value (x.copy())
        try:
            func = self.resolve(value.func)
        except UnsupportedError:
            if isinstance(value.func, gast.Attribute) \
                    and self._missing_attribute(value.func) is not None:
                return []                      # (a missing function: see expr_Call)
            raise
        if isinstance(func, functools.partial) and partial_function(func) is not None:
            func = partial_function(func)       # (the function srcad reads for it)
        if among(func, _VIEW_FUNCTIONS) and _copies(func, value):
            return []
        if among(func, _VIEW_FUNCTIONS):
            args = value.args if among(func, _EACH_ARGUMENT) else value.args[:1]
        elif _returned_inputs(func, value) is not None:
            args = _returned_inputs(func, value)
        elif isinstance(func, types.FunctionType):
            args = value.args + [k.value for k in value.keywords]
            shared = returned_params(func)
            if shared is not None:          # only the arguments its result may share
                bound = _bound_arguments(func, value)
                if bound is not None:
                    # (a copy of a local list or dict holds its items, as `xs.copy()` here would)
                    args = [arg for param, arg in bound.items() if param in shared or (
                        param in returned_copies(func) and isinstance(arg, gast.Name)
                        and self._shallow_copied(arg.id))]
                # a module array it hands back, under the name this function reads it by
                args += [gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
                         for name in shared - set(inspect.signature(func).parameters)
                         if self.namespace.get(name) is func.__globals__.get(name)]
        else:
            return []
        return sorted({name for arg in args for name in self.shared_roots(arg)})

    def _second_order_refusal(self, exc, why, hint):
        return second_order_refusal(self.source, exc, why, hint)

    def _in_place_refusal(self, exc):
        """`exc`, met in srcad's own gradient code: an element write there (told without
        the gradient's names, which are srcad's)."""
        return self._second_order_refusal(
            exc, "the gradient writes into an array in place, as this line does, where "
                 "srcad cannot show that no other value the gradient still reads shares "
                 "that array (another name for it, a value read from it, a saved copy)",
            "for second derivatives, build new arrays instead of writing elements "
            "(np.where, np.concatenate, x * mask), or take differences of srcad.grad")

    def check_writes_through_aliases_unless_lists(self):
        """`check_writes_through_aliases`; where it refuses, but would not if some
        parameters were lists (`un = u[:]; un[i] = ...`: a list's slice is a new list, an
        array's a view), the refusal waits for the kinds of the arguments (refused unless
        they are lists)."""
        before = len(self.refusals_if_list), len(self.unless_numbers)
        try:
            self.check_writes_through_aliases()
            return
        except UnsupportedError as exc:
            if self.generated:
                raise
            refusal = exc
        del self.refusals_if_list[before[0]:], self.unless_numbers[before[1]:]
        self._lists_assumed = set()
        try:
            self.check_writes_through_aliases()
        except UnsupportedError:
            raise refusal from None
        finally:
            assumed, self._lists_assumed = self._lists_assumed, None
        if not assumed:
            raise refusal
        refusal.refused_for = "unless lists"
        self.refusals_if_list.append((assumed, refusal))

    def check_writes_through_aliases(self):
        """`y = x` (or x[0], x.T, xs.append(x), ...) then `y[i] = v` changes x in Python;
        srcad's y is a copy. Refuse when x is read after the write, where the two differ."""
        for name, write, write_loops, text in self.writes:
            params = None if self._may_repeat(name) else self._repeat_params(name)
            if params != set() and "] " in text and not text.endswith("] = ...") and (
                    write_loops or self._read_after(name, write)):
                error = UnsupportedError(
                    f"'{text}' changes an array that another item of '{name}' may be too "
                    "(Python would change both" + (f", {' or '.join(sorted(params))} being a "
                                                   "list, tuple or dict" if params else "")
                    + ")",
                    self.source.location(write),
                    hint=f"give each item its own array (e.g. [y.copy() for _ in range(n)]), "
                         f"or write {name}[i] = {name}[i] + ...")
                if not params:
                    raise error
                self.refusals_if_list.append((params, error))
            for a, b, made, alias_loops in self.aliases:
                if name not in (a, b) or a == b or self.generated and _STACK in (a, b):
                    continue
                other = b if name == a else a
                key = (name, other, id(made))
                if not text.endswith("= ...") and (
                        key in self.holders or key in self.taken or made is write):
                    continue          # `xs.append(...)`, `xs.pop()` change no item of xs
                if not text.endswith("= ...") and self._held_within(name, other, made):
                    continue          # `xs.append(...)`, `xs.pop()`: ditto
                if text.endswith("] = ...") and (key in self.holders or (
                        key in self.taken or self._held_within(name, other, made))
                                                  and self._known_container(name)):
                    continue          # `xs[i] = z` puts another object in list xs (or
                    #                   copies z's values into array xs): what it held, and
                    #                   an item taken from list xs before, stay as they are
                if self._rebound_between(name, made, write):
                    continue          # `t = y; t = 0.5 * t; t[i] = v` writes a new array
                if getattr(made, "srcad_written_back", None) == other:
                    continue          # `t = p[k]; t[i] = v; p[k] = t` (`_nested_writes`)
                if self._taken_from_one(name, other):
                    continue          # `p["w"][i] = ...; p["b"][i] = ...`: ditto, in a loop
                if self._fresh_before(name, write, made, slots=text.endswith("] = ...")
                                      and self._known_container(name)):
                    continue          # `t = np.sin(x); t[i] = v; t = x` in a loop: ditto
                    #                   (`un = u[:]; un[i] = v; u = un`: a new list's slot)
                if self._item_rebound_in_copy(name, other, made, text):
                    continue          # `q = p.copy(); q[k] = q[k] + v; t = p[k]`
                if self._unpacked_apart(name, other, made):
                    continue          # `a, b = xs` of new arrays: two objects, one each
                if made in write_loops and self._writes_its_own_slot(made, write, name):
                    if text.endswith("] = ...") and self._known_container(name):
                        continue  # `for i, v in enumerate(xs): xs[i] = v * w` of a list:
                        #           another object in the slot, v keeps the one it took
                    inner = write_loops[write_loops.index(made) + 1:]
                    if not (self._read_after(other, inner[0], inclusive=True) if inner
                            else self._read_after(other, write)):
                        continue  # `for i, v in enumerate(A): A[i] = v * w`: the loop binds
                        #           v anew each time; only reads after the write see it
                loops = [loop for loop in write_loops if loop in alias_loops]
                if not loops and _position(made) > _position(write):
                    continue          # the other name was made after the last write
                if loops and self._fresh_each_iteration(loops[-1], name, write, made):
                    # a new `name` every iteration: only a write after the alias matters
                    later = _position(write) > _position(made)
                    if not (later and self._read_after(other, write)):
                        continue
                elif write_loops:
                    if not self._read_after(other, write_loops[0], inclusive=True):
                        continue
                    if loops and write_loops[-1] is loops[-1] \
                            and self._bound_before_its_reads(loops[-1], other, write,
                                                             write_loops[0], made):
                        continue  # `v = u.copy(); u = v; u[1:] = ...` or `v = u[1:];
                        #           ...; u[1:] = ...` each iteration: a new v every time,
                        #           read only before the write (or for its shape)
                elif not self._read_after(other, write):
                    continue          # the other name is not read after the write
                made = self.passed_on.get(key, made)     # (a permutation passed it on)
                element = isinstance(made, gast.Assign) and _items_taken(made.value)
                source = self._value_source(b, made, write)
                error = UnsupportedError(
                    f"'{text}' changes {'a list' if _METHOD_TEXT.match(text) else 'an array'} "
                    f"that is also reached through "
                    f"'{other}', which is read later (Python would change both)",
                    self.source.location(write),
                    hint=f"if '{a}' holds a number, write {a} = float(...) where it gets "
                         f"its value {source}; to change '{other}' too, as Python does, "
                         f"write into '{other}' itself (by index or slice); else make the "
                         "copy explicit there (add .copy())" if element else
                         f"to change '{other}' too, as Python does, write into '{other}' "
                         f"itself (by index or slice); to keep them apart, make the copy "
                         f"explicit where '{a}' gets its value {source} (add .copy()), "
                         f"and read '{a}' afterwards")
                if not element or name == a:
                    raise error       # (`t[1] = ...` writes into what t is, an item)
                # `t = a[2]; a[2] = ...`: an element of a vector is a number, which shares
                # nothing, and `xs[2] = ...` of a list rebinds a slot; known once the kinds
                # of the arguments are (analysis.check_items)
                self.unless_numbers.append((made, error, text.endswith("] = ...")))

    def _taken_from_one(self, name, other):
        """Whether `name` and `other` are two names `_nested_writes` takes items of one list
        or dict p into (`p["w"][i] = ...` and `p["b"][i] = ...`, in a loop): each is read
        only between taking p[k]'s object and putting it back, so it holds what p holds
        then, whatever the other changed before (in Python, one object where both take
        one slot, else two: no slot of p holds another's object, `_new_objects_in`)."""
        outer = self.nested_items.get(name)
        return outer is not None and self.nested_items.get(other) == outer

    def _item_rebound_in_copy(self, name, other, made, text):
        """Whether `made` is `t = p[k]` (`name` t, k a constant) of a dict p whose shallow
        copy `other` no longer holds that item, which write `text` changes: p is made once,
        by a display whose value at k is a new array or number (`_new_array_or_number`),
        or, for `t[...] = ...`, which changes t alone, any copy (`x.copy()`): no other
        object holds it; q is made once, as `p.copy()` or `dict(p)`, after p; and `q[k] =
        <new object>` rebinds q's slot k after that and before `made`, all three in the
        block of `made`. Nothing else puts another object in a slot of p or q
        (`_only_items_read`)."""
        value = made.value if isinstance(made, gast.Assign) and len(made.targets) == 1 \
            and isinstance(made.targets[0], gast.Name) and made.targets[0].id == name \
            else None
        if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                and isinstance(value.slice, gast.Constant)):
            return False
        source, key = value.value.id, value.slice.value
        displays, copies = self._assigned_values(source), self._assigned_values(other)
        if len(displays) != 1 or len(copies) != 1 or not isinstance(displays[0], gast.Dict) \
                or not self._only_assigned(source) or not self._only_assigned(other) \
                or not self._copy_of(copies[0], source):
            return False
        slot = [v for k, v in zip(displays[0].keys, displays[0].values)
                if isinstance(k, gast.Constant) and k.value == key]
        if len(slot) != 1 or not (self._new_array_or_number(slot[0]) or text.endswith(
                "] = ...") and _copy_call(slot[0])) \
                or not self._only_items_read(source, copy=copies[0]) \
                or not self._only_items_read(other, slots=True):
            return False
        block, end, _ = self._statement_blocks().get(id(made), (None, 0, None))
        steps = [lambda s: isinstance(s, gast.Assign) and s.value is displays[0],
                 lambda s: isinstance(s, gast.Assign) and s.value is copies[0],
                 lambda s: isinstance(s, gast.Assign) and len(s.targets) == 1
                 and _is_slot(s.targets[0], other, key) and self.is_new(s.value)]
        for stmt in (block or [])[:end]:
            if steps and steps[0](stmt):
                steps.pop(0)
        return block is not None and not steps

    def _copy_of(self, value, source):
        """Whether `value` is `source.copy()` or `dict(source)`."""
        return isinstance(value, gast.Call) and not value.keywords and (
            isinstance(value.func, gast.Attribute) and value.func.attr == "copy"
            and not value.args and isinstance(value.func.value, gast.Name)
            and value.func.value.id == source
            or self._builtin(value) is dict and len(value.args) == 1
            and isinstance(value.args[0], gast.Name) and value.args[0].id == source)

    def _only_items_read(self, ident, copy=None, slots=False):
        """Whether local `ident` is only bound (`ident = ...`), read for an item
        (`ident[k]`), copied by `copy` (a node), and with `slots`, given a new object in a
        slot (`ident[k] = <new>`, k a constant): no other name reaches the dict, and
        nothing puts in a slot of it an object that another slot or name holds."""
        parents = self._parents()
        for node in self.nodes():
            if not (isinstance(node, gast.Name) and node.id == ident):
                continue
            parent = parents.get(id(node))
            grand = parents.get(id(parent))
            if isinstance(node.ctx, gast.Store) and isinstance(parent, gast.Assign) \
                    or isinstance(parent, gast.Subscript) and parent.value is node and (
                        isinstance(parent.ctx, gast.Load)
                        or slots and isinstance(grand, gast.Assign)
                        and grand.targets == [parent] and isinstance(parent.slice, gast.Constant)
                        and self.is_new(grand.value)) \
                    or copy is not None and (parent is copy or grand is copy):
                continue
            return False
        return True

    def _unpacked_apart(self, name, other, made):
        """Whether `made` is `a, b = xs` that binds `name` and `other` to two slots of
        local list `xs` whose items are objects of their own (`_distinct_items`): neither
        shares the other's object there (a write into b leaves a as it is)."""
        if not (isinstance(made, gast.Assign) and len(made.targets) == 1
                and isinstance(made.targets[0], (gast.Tuple, gast.List))
                and isinstance(made.value, gast.Name)):
            return False
        names = [e.id if isinstance(e, gast.Name) else None for e in made.targets[0].elts]
        return None not in names and names.count(name) == 1 and names.count(other) == 1 \
            and self._distinct_items(made.value.id)

    def _value_source(self, b, made, write):
        """Where a name gets, at `made`, the object it shares with `b`, for the hint on
        `write`: "from 'b'", or the user's statement itself where it reads no `b` (`t =
        p["w"]` after `q = p.copy()`: t shares q's item through p)."""
        if isinstance(made, gast.Assign) and hasattr(made, "lineno") \
                and _position(made) != _position(write) and not any(
                n.id == b for n in T.name_nodes(made.value)):
            return f"('{self._text_of(made)}')"
        return f"from '{b}'"

    def _writes_its_own_slot(self, loop, write, name):
        """`for i, v in enumerate(name): ... name[i] = ...`: `write` puts a value in the slot
        that the loop took v from this time round (i is not rebound in the loop)."""
        it, target = loop.iter, loop.target
        if not (isinstance(loop, gast.For) and isinstance(it, gast.Call) and len(it.args) == 1
                and not it.keywords and isinstance(it.func, gast.Name)
                and not self.is_local(it.func.id) and self.resolve(it.func) is enumerate
                and isinstance(it.args[0], gast.Name) and it.args[0].id == name
                and isinstance(target, gast.Tuple) and len(target.elts) == 2
                and isinstance(target.elts[0], gast.Name)):
            return False
        index = target.elts[0].id
        slot = write.targets[0] if isinstance(write, gast.Assign) and len(write.targets) == 1 \
            else getattr(write, "target", None)
        return isinstance(slot, gast.Subscript) and isinstance(slot.value, gast.Name) \
            and slot.value.id == name and isinstance(slot.slice, gast.Name) \
            and slot.slice.id == index and index not in T.names_stored(loop.body)

    def _may_repeat(self, name):
        """Whether list `name` may hold one object in two items: it is in `repeats`, or an
        alias makes it share the slots of a list that was (`s = xs`, `s = xs[1:]`,
        `s = xs + ys` after `xs = [y, y]`; also where xs got its repeated items after s was
        made: `repeats` only knows names, not when)."""
        return name in self.repeats or any(
            self._shares_slots(name, b if name == a else a, made)
            for a, b, made, _ in self.aliases if name in (a, b) and a != b)

    def _repeat_params(self, name):
        """The parameters that make list `name` hold one object in two items if one of them
        is a list (`zs = xs * 2`), also through the aliases `_may_repeat` follows (`s = zs`):
        an empty set where there are none."""
        params = set(self.repeats_if_list.get(name, ()))
        for a, b, made, _ in self.aliases:
            other = b if name == a else a
            if name in (a, b) and a != b and other in self.were_repeated_if_list \
                    and self._shares_slots(name, other, made, self.were_repeated_if_list):
                params |= self.were_repeated_if_list[other]
        return params

    def _shares_slots(self, name, other, made, were_repeated=None):
        """Whether alias `made` between `name` and `other` may give name the slots of
        `other`, a list once repeated. Not where name is one item of other (`r = xs[0]`,
        `s[0] = xs[1]`), nor where other holds name or took items of it, nor where name is
        a new list that holds what other holds (`t = [b]`: its own slots, whose repeats
        `note_held` sees), unless it took other's items slot for slot (`xs[1:]`)."""
        theirs, mine = (other, name, id(made)), (name, other, id(made))
        were_repeated = self.were_repeated if were_repeated is None else were_repeated
        if other not in were_repeated or theirs in self.elements:
            return False
        if theirs in self.holders or mine in self.taken:
            return False
        return mine not in self.holders or theirs in self.copied

    def _statement_blocks(self):
        """id(statement) -> (the block holding it, its index there, the statement whose
        block it is or None), for the user's code."""
        blocks = self.__dict__.get("_blocks")
        if blocks is None:
            blocks = self._blocks = {}
            for node in self.nodes():
                for field in ("body", "orelse"):
                    block = getattr(node, field, None)
                    if isinstance(block, list):
                        owner = node if isinstance(node, gast.stmt) and \
                            node is not self.source.tree else None
                        for k, stmt in enumerate(block):
                            blocks[id(stmt)] = (block, k, owner)
        return blocks

    def _rebound_between(self, name, first, last):
        """Whether, in the block holding both statements, `name` gets a new object between
        `first` and `last`."""
        blocks = self._statement_blocks()
        if id(first) not in blocks or id(last) not in blocks:
            return False
        (block, i, _), (other, j, _) = blocks[id(first)], blocks[id(last)]
        return block is other and i < j and any(
            isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name
            and self.is_new(stmt.value) for stmt in block[i + 1:j])

    def _fresh_before(self, name, write, made, slots=False):
        """Whether the last binding of `name` before `write` (in its block, else before the
        loop or branch around it) is a new object, with the alias `made` not between the
        two: then `write` changes that new object, whatever `name` shared before. With
        `slots` (`write` puts an object in a slot of list or dict `name`), a new list or
        dict holding the items of another (`u[:]`, `u.copy()`) is one too."""
        blocks = self._statement_blocks()
        node = write
        while id(node) in blocks:
            block, k, owner = blocks[id(node)]
            for stmt in reversed(block[:k]):
                if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                        and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
                    return (self.is_new(stmt.value) or slots and self._new_container(
                        stmt.value)) and not (
                        _position(stmt) < _position(made) < _position(write))
                if name in self._binds(stmt):
                    return False      # bound some other way (a loop, a tuple target)
            if owner is None or isinstance(owner, (gast.For, gast.While)) and (
                    name in self._binds(owner) or id(made) in self._within(owner)):
                return False          # an earlier turn of the loop rebinds it or shares it
            node = owner
        return False

    def _binds(self, stmt):
        """`_stored(stmt)` for a statement of the user's code, walked once: the checks of
        writes through aliases ask it of the same loops again for every write and alias
        (a derivative's code, differentiated again, has hundreds of both)."""
        cache = self.__dict__.setdefault("_binds_of", {})
        names = cache.get(id(stmt))
        if names is None:
            names = cache[id(stmt)] = _stored(stmt)
        return names

    def _within(self, stmt):
        """The ids of the nodes inside statement `stmt` of the user's code (walked once, as
        for `_binds`)."""
        cache = self.__dict__.setdefault("_ids_within", {})
        ids = cache.get(id(stmt))
        if ids is None:
            ids = cache[id(stmt)] = {id(n) for n in gast.walk(stmt)}
        return ids

    def _fresh_each_iteration(self, loop, name, *stmts):
        """Whether `loop`'s body binds `name` to a new object (not an alias) before `stmts`."""
        first = min(_position(s) for s in stmts)
        for stmt in loop.body:
            if _position(stmt) >= first:
                return False
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
                return self.is_new(stmt.value)
        return False

    def _bound_before_its_reads(self, loop, name, write, outer, made):
        """Whether every iteration of `loop` binds `name` first, at the top of its body, to
        a new object or by `made`, and reads it only after that and before `write` (no read
        after `write`, none in `outer`, the outermost loop around the write, before the
        binding; reads of its shape aside): then no read of name sees what `write`
        changed."""
        binding = None
        for stmt in loop.body:
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
                binding = stmt
                break
            if name in _stored(stmt) or any(isinstance(n, gast.Name) and n.id == name
                                            for n in gast.walk(stmt)):
                return False
        if binding is None or not (binding is made or self.is_new(binding.value)) \
                or _position(write) <= _position(binding):
            return False
        start, end = (binding.end_lineno, binding.end_col_offset), _position(write)
        own = self._comprehension_locals() | self._shape_reads()
        return not any(
            isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
            and id(n) not in own and _position(n) >= _position(outer)
            and not start <= _position(n) < end for n in self.nodes())

    def _text_of(self, stmt):
        """The user's text of statement `stmt` (its line where it spans several)."""
        lines = self.source.lines
        if getattr(stmt, "srcad_at", None) is None and stmt.lineno == getattr(
                stmt, "end_lineno", None) and stmt.lineno <= len(lines):
            return lines[stmt.lineno - 1][stmt.col_offset:stmt.end_col_offset].strip()
        return self.source.line_text(stmt)

    def _read_after(self, ident, node, inclusive=False):
        """Whether the user's code reads `ident` after statement `node` ends (`inclusive`:
        from where `node` starts, for a loop whose body runs again)."""
        if inclusive:
            start = (node.lineno, node.col_offset)
        else:
            start = (node.end_lineno, node.end_col_offset)
        last = self._last_reads().get(ident)
        return last is not None and last >= start

    def _last_reads(self):
        """name -> where the user's code last reads it (comprehensions' own variables and
        reads for the shape aside), found in one walk: `_read_after` is asked for every
        write and alias."""
        last = self.__dict__.get("_last_read_at")
        if last is None:
            last = self._last_read_at = {}
            own = self._comprehension_locals() | self._shape_reads()
            for n in self.nodes():
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) \
                        and id(n) not in own:
                    at = (n.lineno, n.col_offset)
                    if n.id not in last or at > last[n.id]:
                        last[n.id] = at
        return last

    def _shape_reads(self):
        """In a derivative's code, the ids of the names that its helpers read for their
        shape and dtype only (`unbroadcast(g, v_2)`: v_2's), which a write into their
        array's elements leaves as they were."""
        found = self.__dict__.get("_shapes_read")
        if found is None:
            found = self._shapes_read = set()
            if self.generated:
                for node in self.nodes():
                    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
                        for k in _SHAPE_ARGUMENTS.get(node.func.id, ()):
                            if k < len(node.args) and isinstance(node.args[k], gast.Name):
                                found.add(id(node.args[k]))
                found |= self._pushed_for_shapes(found)
        return found

    def _pushed_for_shapes(self, shape_reads):
        """In a derivative's code, the ids of the names read by `_stack.append(...)` (a name
        or a tuple of names) whose values, popped back, are read for their shape only: every
        read of the name from the first statement `... = _stack.pop()` that binds it on (from
        the start of the outermost loop around that statement: a later turn reads what it
        popped) is one of `shape_reads`, or the array a write goes into (`v[i] = ...`).
        (The forward sweep saves a view of an array for the reverse sweep's
        `unbroadcast(g, v_4)`; a later write into the array leaves its shape as it was.)"""
        pushed, popped = [], {}         # Name nodes pushed; name -> where its reads count
        blocks = self._statement_blocks()
        written = set()                 # ids of the names that `v[i] = ...` writes into
        for node in self.nodes():
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr == "append" and isinstance(node.func.value, gast.Name) \
                    and node.func.value.id == _STACK and len(node.args) == 1:
                item = node.args[0]
                pushed.extend(item.elts if isinstance(item, gast.Tuple) else [item])
            elif isinstance(node, gast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    written.add(id(target.value))
                if not (isinstance(node.value, gast.Call) and _is_stack_pop(node.value)):
                    continue
                start, owner = node, node
                while id(owner) in blocks:      # (the outermost loop around the pop)
                    owner = blocks[id(owner)][2]
                    if isinstance(owner, (gast.For, gast.While)):
                        start = owner
                for part in target.elts if isinstance(target, gast.Tuple) else [target]:
                    if isinstance(part, gast.Name):
                        where = _position(start)
                        popped[part.id] = min(popped.get(part.id, where), where)
        names = {n.id for n in pushed if isinstance(n, gast.Name) and n.id in popped}
        if not names:
            return set()
        skipped = {id(n) for n in pushed} | shape_reads | written
        for node in self.nodes():
            if isinstance(node, gast.Name) and node.id in names \
                    and isinstance(node.ctx, gast.Load) and id(node) not in skipped \
                    and _position(node) >= popped[node.id]:
                names.discard(node.id)
        return {id(n) for n in pushed if isinstance(n, gast.Name) and n.id in names}

    def _comprehension_locals(self):
        """The ids of the Name nodes that read a comprehension's own variable (`v` in
        `sum(v * v for v in xs)`), which is not the function's variable of that name."""
        if self._comprehension_reads is None:
            own = set()
            for node in self.nodes():
                if isinstance(node, (gast.ListComp, gast.SetComp, gast.GeneratorExp,
                                     gast.DictComp)):
                    bound = {n.id for g in node.generators for n in gast.walk(g.target)
                             if isinstance(n, gast.Name)}
                    inner = [node.elt] if hasattr(node, "elt") else [node.key, node.value]
                    inner += [c for g in node.generators for c in g.ifs]
                    inner += [g.iter for g in node.generators[1:]]
                    own.update(id(n) for part in inner for n in gast.walk(part)
                               if isinstance(n, gast.Name) and n.id in bound)
            self._comprehension_reads = own
        return self._comprehension_reads

    # ----- statements -----

    def statement(self, node):
        kind = type(node)
        if kind in (gast.Global, gast.Nonlocal) and not any(n in self.sites for n in node.names):
            return                      # (`global G` of a G the function only reads)
        if kind in _UNSUPPORTED_STMTS:
            self.error(node, *_UNSUPPORTED_STMTS[kind])
        method = getattr(self, "stmt_" + kind.__name__, None)
        if method is None:
            self.error(node, f"the statement '{kind.__name__}'", "rewrite it with assignments, "
                       "if, for and while")
        self.current = node
        line, text = self.source.told_line(node)
        if text:
            comment = T.comment(f"line {line}: {text}")
            last = next((stmt for stmt in reversed(self.out) if T.is_comment(stmt)), None)
            if last is None or last.value.value != comment.value.value:
                self.emit(comment)      # (once for `a = 1; b = 2`, `loop_broke__1 = True; break`)
        if not hasattr(node, "body"):
            method(node)
            return
        bound = self.stored_in(node)    # (normalising `node` builds new statements: the
        self._forget_new(bound)         # user's binds the same names after it)
        method(node)      # (a loop's later iterations see its own bindings; after a branch,
        self._forget_new(bound)         # either branch's)

    def _forget_new(self, bound):
        """Take `bound`, the names a compound statement binds, out of `new_objects` and
        `new_items`."""
        self.new_objects -= bound
        self.new_items -= bound

    def stmt_Pass(self, node):
        pass

    def stmt_Break(self, node):
        self.emit(gast.Break())

    def stmt_Continue(self, node):
        self.emit(gast.Continue())

    def stmt_Expr(self, node):
        value = node.value
        if isinstance(value, gast.Constant):
            return  # a bare string or number: no effect
        if type(value) in _UNSUPPORTED_EXPRS:   # `yield x`, `await y` as statements
            self.error(value, *_UNSUPPORTED_EXPRS[type(value)])
        if isinstance(value, gast.Call):
            func = value.func
            if (isinstance(func, gast.Attribute) and func.attr in ("append", "extend", "insert")
                    and isinstance(func.value, gast.Name) and self.is_local(func.value.id)):
                if len(value.args) != (2 if func.attr == "insert" else 1) or value.keywords:
                    self.error(node, f"this call of {func.attr}", {
                        "append": "append one value at a time",
                        "extend": "extend by one list at a time",
                        "insert": "insert one value at a time: xs.insert(i, v)"}[func.attr])
                if func.attr == "extend" and not _display_items(value.args[0]):
                    self._extend_by_loop(func.value, value.args[0], node)
                    return
                items = value.args[0].elts if func.attr == "extend" else value.args[-1:]
                text = f"{func.value.id}.{func.attr}(...)"
                self.writes.append((func.value.id, self.current, tuple(self.loop_stack), text))
                self._check_shared_write(func.value.id, text)
                self.new_items.discard(func.value.id)
                if not (self.generated and func.value.id == _STACK):
                    for item in items:
                        container = _item_of(item)           # xs.append(ys[0])
                        shared = self.shared_roots(item)
                        self.note_stored_again(func.value.id, shared)
                        for inner in sorted(shared):         # the list holds it now
                            self.alias(func.value.id, inner, node, tuple(self.loop_stack),
                                       stored=True, item=inner == container)
                            self.note_held(func.value.id, inner, node)
                target = T.name(self.home_of(func.value.id))
                if func.attr == "insert":
                    self._insert(target, value.args[0], value.args[1])
                    return
                # xs.extend([a, b]): every item is computed before the first goes in
                atoms = [self.atom(item) for item in items]
                for item in atoms:
                    call = gast.Call(func=gast.Attribute(value=T.clone(target), attr="append",
                                                         ctx=gast.Load()),
                                     args=[item], keywords=[])
                    self.emit(gast.Expr(value=call))
                return
            if (isinstance(func, gast.Attribute) and func.attr == "pop"
                    and (not value.args or not self.generated and _one_index(value))
                    and not value.keywords and isinstance(func.value, gast.Name)
                    and self.is_local(func.value.id)):
                self.atom(value)                     # `xs.pop()`: a pop whose item goes
                return
            if (self.generated and isinstance(func, gast.Attribute) and func.attr == "pop"
                    and len(value.args) == 1 and not value.keywords
                    and isinstance(func.value, gast.Name) and self.is_local(func.value.id)):
                # the reverse sweep undoing `xs.insert(at, v)`: `xs = without_item(xs, at)`, a
                # new list that rules follow (as restore_item: restored_item)
                self.assign(T.name(func.value.id, store=True), Done(T.call(
                    "without_item", [self.atom(func.value), self.atom(value.args[0])])))
                return
            if isinstance(func, gast.Name) and (
                    func.id == "print" and not self.is_local("print")
                    or self.generated and func.id in ("check_method", "check_reversible",
                                                      "check_item_copied",
                                                      "check_slice_length",
                                                      "check_output",
                                                      "check_plain_operand",
                                                      "check_plain_result")):
                args = [self.atom(a) for a in value.args]
                self.emit(gast.Expr(value=gast.Call(func=func, args=args, keywords=[])))
                return
            if isinstance(func, gast.Name) and self.generated and func.id == "restore_item" \
                    and isinstance(value.args[0], gast.Name):
                # the reverse sweep puts back, in place, what an element write of the user's
                # replaced (or drops a key it added): `d = restored_item(d, k, saved)`, a new
                # value that rules follow (no other name reads d after the write: the alias
                # check refuses the write where one does)
                container = value.args[0]
                self.assign(T.name(container.id, store=True), Done(T.call(
                    "restored_item", [self.atom(a) for a in value.args])))
                return
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
                and isinstance(self.namespace.get(value.func.id), types.FunctionType) \
                and not self.is_local(value.func.id):
            self.error(node, "a call whose result is unused (it may change its arguments in "
                       "place)", f"srcad inlines a function of this module called as a "
                       "statement where it binds none of its parameters again (p = ..., "
                       "p += ...: write p[...] += ... to change an array), takes no defaults "
                       "and returns nothing; else return the new value and assign it "
                       f"(u = {value.func.id}(u, ...))")
        if isinstance(value, gast.Call) and any(k.arg == "out" for k in value.keywords):
            self.error(node, "out= (a result written into an existing array)",
                       "assign the result instead: y = f(x), or y[...] = f(x) to fill y")
        method = value.func.attr if isinstance(value, gast.Call) \
            and isinstance(value.func, gast.Attribute) else None
        if method in _IN_PLACE_METHODS:
            self.error(node, f"'.{method}()', which changes what it is called on in place",
                       _IN_PLACE_METHODS[method])
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
                and value.func.id in _FRAME_READER_NAMES:
            self.expr_Call(value)       # `exec("...")`: its own error (it reads the frame)
        self.error(node, "a call whose result is unused (it may change its arguments in place)",
                   "assign the result to a variable; srcad supports list.append, list.pop, "
                   "print, np.copyto and np.add.at as statements")

    def _popped_index(self, holder, index):
        """For `xs.pop(i)`: where the item is (i counted from the end where negative;
        `runtime.popped_index`, Python's IndexError where there is none), which the reverse
        sweep puts it back at; an int i >= 0 is itself (pop raises where it is too large)."""
        if isinstance(index, gast.Constant) and type(index.value) is int and index.value >= 0 \
                or isinstance(index, gast.Constant) and isinstance(index.value, str):
            return index                                  # (a str: a dict's key)
        at = self.fresh()
        self.emit_assign(at, T.call("popped_index", [T.clone(holder), index]))
        return T.name(at)

    def _insert(self, target, index, item):
        """`xs.insert(i, v)` -> `xs.insert(j, v)`, j where Python puts v (i counted from the
        end where negative, within 0..len(xs): `runtime.insertion_index`), which the
        reverse sweep takes v's adjoint from; i = 0 is j."""
        index, item = self.atom(index), self.atom(item)
        if not (isinstance(index, gast.Constant) and index.value == 0
                and type(index.value) is int):
            at = self.fresh()
            self.emit_assign(at, T.call("insertion_index", [T.clone(target), index]))
            index = T.name(at)
        self.emit(gast.Expr(value=gast.Call(
            func=gast.Attribute(value=target, attr="insert", ctx=gast.Load()),
            args=[index, item], keywords=[])))

    def _extend_by_loop(self, holder, iterable, node):
        """`xs.extend(ys)` -> `for y in ys: xs.append(y)`, y a name of its own. The loop
        walks as many items as ys has when it starts (srcad's loops count first), as
        extend does, also where ys is xs itself."""
        item = f"__item_{next(self.counter)}__"
        self.homed.add(item)
        self.sites[item] = 2
        append = gast.Expr(value=gast.Call(
            func=gast.Attribute(value=T.name(holder.id), attr="append", ctx=gast.Load()),
            args=[T.name(item)], keywords=[]))
        loop = gast.For(target=T.name(item, store=True), iter=iterable, body=[append],
                        orelse=[], type_comment=None)
        for synthetic in (loop, append):
            gast.copy_location(synthetic, node)
        saved_current = self.current
        self.stmt_For(loop)
        self.current = saved_current

    def stmt_Delete(self, node):
        """`del x`: no value changes; reading x afterwards, before a new assignment, is an
        error here as it is when the function runs."""
        if self.out is not self.top:
            self.error(node, "'del' inside a branch or a loop",
                       "delete at the top level of the function, or leave the name alone")
        targets = [t for target in node.targets            # `del (a, b)` is `del a, b`
                   for t in (target.elts if isinstance(target, (gast.Tuple, gast.List))
                             else [target])]
        for target in targets:
            if not isinstance(target, gast.Name):
                self.error(target, "'del' of an element or attribute",
                           "build a new array or list without it")
            if self.env.pop(target.id, None) is not None:
                self.deleted.add(target.id)

    def stmt_Assert(self, node):
        test = self.atom(node.test)
        self.emit(gast.Assert(test=test, msg=None))

    def stmt_Raise(self, node):
        self.emit(node)

    def stmt_AnnAssign(self, node):
        if node.value is not None:
            self.assign(node.target, node.value)

    def stmt_Assign(self, node):
        if len(node.targets) == 1:
            self.assign(node.targets[0], node.value)
            return
        value = self.atom(node.value)
        for target in node.targets:
            self.bind(target, value)
        # `a = b = np.zeros(2)`: the names share one object (and whatever the value shares);
        # `a = b = None` or `= 0.0` share nothing that can change
        if isinstance(node.value, gast.Constant):
            return
        shared = [self.alias_root(node.value)] + self.call_aliases(node.value)
        loops = tuple(self.loop_stack)
        if any(isinstance(t, (gast.Tuple, gast.List)) for t in node.targets):
            # `a, b = c, d = y, z`: a and c take one object, b and d another, each what the
            # value shares (where the targets line up; else any name may share any)
            shared = sorted(self.shared_roots(node.value))
            parts = [_unpacked(t) for t in node.targets]
            lined_up = len({len(p) for p in parts}) == 1 and all(
                isinstance(t, (gast.Tuple, gast.List)) and not any(
                    isinstance(e, gast.Starred) for e in t.elts) for t in node.targets)
            groups = list(zip(*parts)) if lined_up else [[p for ps in parts for p in ps]]
        else:
            groups = [node.targets]
        for group in groups:
            names = [t.id for t in group if isinstance(t, gast.Name)]
            for k, name in enumerate(names):
                for other in names[k + 1:] + [r for r in shared if r is not None]:
                    self.alias(name, other, node, loops)

    def stmt_AugAssign(self, node):
        target = node.target
        if isinstance(target, gast.Name):
            self.augmented.setdefault(target.id, []).append((node, self.outer_loop))
            self.current = node
            self._check_shared_write(target.id, f"{target.id} {AUGMENTED[type(node.op)]} ...")
            value = gast.BinOp(left=T.load(target), op=node.op, right=node.value)
            kept = (target.id in self.new_objects, target.id in self.new_items)
            self.assign(target, value)
            for known, names in zip(kept, (self.new_objects, self.new_items)):
                if not known:           # (an array changed in place is the object it was)
                    names.discard(target.id)
        elif isinstance(target, gast.Subscript):
            current = T.load(target)
            holder = target.value
            copies = self._parameter_sharers()[0]
            if isinstance(holder, gast.Name) and holder.id in copies \
                    and holder.id not in self.new_items:
                # `p = params.copy(); p["w"] += v`: a list's or dict's copy holds params'
                # items, which NumPy changes in place: checked where it runs
                self.current = node
                self._check_copied_item(holder.id, current, copies[holder.id],
                                        f"{T.source_of(target)} {AUGMENTED[type(node.op)]} ...")
            nested = getattr(node, "srcad_nested_item", None)
            if nested is not None:
                # `p[k][i] += v` (`_nested_writes`) of a list p[k]: NumPy changes its item
                # in place, which another object may hold too: checked where it runs
                self.current = node
                self._check_copied_item(holder.id, current, [nested[0]], nested[1])
            self.augmenting = AUGMENTED[type(node.op)]     # NumPy changes xs[i]'s array
            try:
                self.assign(target, gast.BinOp(left=current, op=node.op, right=node.value))
            finally:
                self.augmenting = None
        else:
            self.error(node, "augmented assignment to an attribute", "use a local variable")

    def _new_object(self, value):
        """Whether user expression `value` makes a new object: a number, an operator's
        result, a display, a copy, what a NumPy function computes (not a view)."""
        if isinstance(value, (gast.Constant, gast.UnaryOp, gast.BinOp, gast.List, gast.Tuple,
                              gast.Dict, gast.ListComp, gast.DictComp)):
            return True
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in self.new_items:
            return True                 # (`p = (np.ones(3), ...); w = p[0]`)
        if not isinstance(value, gast.Call):
            return False
        if isinstance(value.func, gast.Attribute) and (
                value.func.attr in ("copy", "flatten") and not value.args
                or value.func.attr == "astype" and not any(k.arg == "copy"
                                                           for k in value.keywords)):
            return True
        return self._numpy_result(value) or self._builtin(value) in (list, tuple, dict)

    def _new_items(self, value):
        """Whether `value` makes a new object whose items are new too: numbers, arrays of
        numbers (arithmetic with a float, a NumPy function), displays of those."""
        if isinstance(value, (gast.Constant, gast.UnaryOp)):
            return True
        if isinstance(value, gast.BinOp):
            return _new_arithmetic(value)
        if isinstance(value, (gast.List, gast.Tuple)):
            return all(self._new_items(e) for e in value.elts)
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in self.new_items:
            return True
        if isinstance(value, gast.Dict):
            return all(self._new_items(v) for v in value.values)
        return isinstance(value, gast.Call) and self._numpy_result(value)

    def _new_array_or_number(self, value):
        """Whether user expression `value` makes, each time it runs, an array or a number
        of its own, which no other object shares: a constant, a unary operator, arithmetic
        that makes a new value (`_new_arithmetic`), a NumPy function's new array."""
        return isinstance(value, (gast.Constant, gast.UnaryOp)) \
            or isinstance(value, gast.BinOp) and _new_arithmetic(value) \
            or isinstance(value, gast.Call) and self._numpy_result(value)

    def _distinct_items(self, ident):
        """Whether local list `ident` holds an object of its own in each slot wherever it
        is read: every binding is a display or comprehension of new arrays or numbers
        (`[x * 2.0, np.sin(x)]`, `_new_array_or_number`), and nothing puts another object
        in a slot, as nothing can reach the list but its name: no write into it (nor
        `ident op= ...`), and it is read only for its items (`a, b = ident`, `ident[i]`,
        `for v in ident`, `len(ident)`)."""
        values = self._assigned_values(ident)
        if not self._only_assigned(ident) or any(name == ident for name, *_ in self.writes) \
                or not all(isinstance(v, gast.ListComp) and self._new_array_or_number(v.elt)
                           or isinstance(v, (gast.List, gast.Tuple))
                           and all(self._new_array_or_number(e) for e in v.elts)
                           for v in values):
            return False
        parents = self._parents()
        for node in self.nodes():
            if not (isinstance(node, gast.Name) and node.id == ident):
                continue
            parent = parents.get(id(node))
            if isinstance(node.ctx, gast.Store) and isinstance(parent, gast.Assign) \
                    or isinstance(parent, gast.Subscript) and parent.value is node \
                    and isinstance(parent.ctx, gast.Load) \
                    or isinstance(parent, gast.For) and parent.iter is node \
                    or isinstance(parent, gast.Assign) and parent.value is node \
                    and len(parent.targets) == 1 \
                    and isinstance(parent.targets[0], (gast.Tuple, gast.List)) \
                    or isinstance(parent, gast.Call) and parent.args == [node] \
                    and isinstance(parent.func, gast.Name) \
                    and not self.is_local(parent.func.id) and self._builtin(parent) is len:
                continue
            return False
        return True

    def _parents(self):
        """id(node) -> the node of the user's function whose child it is (walked once)."""
        parents = self.__dict__.get("_parent_of")
        if parents is None:
            parents = self._parent_of = {
                id(child): node for node in self.nodes()
                for child in gast.iter_child_nodes(node)}
        return parents

    def _numpy_result(self, call):
        """Whether `call` calls a NumPy function whose result is a new array."""
        func = self._resolved_object(call.func)
        return _numpy_function(func) and not among(func, _VIEW_FUNCTIONS) \
            and _returned_inputs(func, call) is None

    def _builtin(self, call):
        """The builtin that `call` calls by its own name, else None."""
        func = call.func
        if isinstance(func, gast.Name) and not self.is_local(func.id) \
                and func.id not in self.namespace:
            return getattr(builtins, func.id, None)
        return None

    def _copied_by_call(self, value):
        """The local names whose copy the result of call `value` of a user function may
        be or hold (`returned_copies`)."""
        func = self._resolved_object(value.func) if isinstance(value, gast.Call) else None
        if not isinstance(func, types.FunctionType) or not returned_copies(func):
            return []
        bound = _bound_arguments(func, value) or {}
        return sorted({arg.id for param, arg in bound.items() if param in returned_copies(func)
                       and isinstance(arg, gast.Name) and self.is_local(arg.id)})

    def _check_copied_item(self, copy, item, sources, text):
        """Emit `check_item_copied(copy, item, ...)`: refused where it runs if `copy` (of a
        parameter in `sources`, or one of them itself, which its copy shares items with) is
        a list or dict whose `item` is no number (see `_parameter_sharers`)."""
        own = copy in sources
        if own and sources == {copy} and not self._copies_read_later(copy):
            return              # (what its copies hold, changed, is seen nowhere)
        container = self.atom(T.name(copy))
        if isinstance(container, gast.Name) and not any(
                isinstance(s, gast.Assign) and any(isinstance(t, gast.Name) and t.id ==
                                                   container.id for t in s.targets)
                for s in self.top):
            self.unbound_checked.add(container.id)   # (bound in a branch: maybe not here)
        self.emit(gast.Expr(value=T.call("check_item_copied", [
            container, self.atom(item), T.constant(" or ".join(sorted(sources))),
            T.constant(text)] + ([T.constant(True)] if own else []))))

    def _copies_read_later(self, argument):
        """Whether a copy of copied `argument` (`q = p.copy()`), another name for one, or an
        item taken from one is read after the statement being normalised (or anywhere in
        its outermost loop): where the copies hold p's items, a write into one of those
        through p shows there."""
        copies, items = self._parameter_sharers()
        copied = {name for name, sources in copies.items()
                  if argument in sources and name != argument}
        reach = self._alias_closure(copied) | {
            name for name, containers in items.items() if containers & copied}
        if self.outer_loop is not None:
            return any(self._read_after(name, self.outer_loop, inclusive=True)
                       for name in reach)
        return any(self._read_after(name, self.current) for name in reach)

    def _check_shared_write(self, ident, text):
        """Before `text`, which changes local `ident` in place (`t += v`, `t[i] = v`,
        `t.append(v)`): where `ident` may be an item of a parameter's copy (`t = p["w"]`),
        a check that it is none of the argument's own objects."""
        if ident in self.new_objects:
            return                      # (`w = w.copy(); w[0] = v`)
        copies, items = self._parameter_sharers()
        for container in sorted(items.get(ident, ())):
            if container in self.env or container in self.home:
                self._check_copied_item(container, T.name(ident),
                                        copies.get(container) or items[container], text)

    def _parameter_sharers(self):
        """`(copies, items)` for the whole function. copies: the names that may hold a copy
        of a list or dict argument (`p = params.copy()` where nothing else binds params,
        copies of copies, `q = p`, `p, q = q, p`) -> the arguments; items: the names that
        may hold an item of such a copy (`t = p["w"]`, `w, b = p`, `l = p["layer"]; w =
        l["w"]`) -> its containers. Such a copy holds the argument's own objects, which a
        write in place changes for both (checked where it runs: `_check_copied_item`).
        Whatever binds a name anywhere counts: in a loop a later binding reaches an earlier
        statement."""
        found = self.__dict__.get("_sharers")
        if found is not None:
            return found
        if self.generated:                  # (srcad's own code: checked as the user's was)
            self._sharers = {}, {}
            return self._sharers
        pairs = []              # (name, how, other): name = other, other.copy(), other[k]
        for node in self.nodes():
            stored = _stored_in(node)
            if stored is not None:      # `q[0] = p[0]`, `q.append(t)`: q holds them
                holder, part = stored
                held = _item_of(part) or (part.id if isinstance(part, gast.Name) else None)
                if held is not None:
                    pairs.append((holder, "holds", held))
            if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                # `p |= params`, `p += ws`: p holds params' objects now
                merged = gast.BinOp(left=node.target, op=node.op, right=node.value)
                for copied in _copied_names(merged):
                    if copied != node.target.id:
                        pairs.append((node.target.id, "name", copied))
                        pairs.append((node.target.id, "argument", copied))
                for part in _display_parts(node.value):
                    held = _item_of(part) or (part.id if isinstance(part, gast.Name)
                                              else None)
                    if held is not None:
                        pairs.append((node.target.id, "holds", held))
            if not isinstance(node, gast.Assign):
                continue
            for copied in self._copied_by_call(node.value):
                # `u = init(u0)` of `def init(u0): return u0.copy()`: as `u = u0.copy()`
                for t in _unpacked(node.targets[0]) if len(node.targets) == 1 else ():
                    if isinstance(t, gast.Name):
                        pairs.append((t.id, "name", copied))
                        if not (self._list_display(copied) or self._known_array(copied)):
                            pairs.append((t.id, "argument", copied))
            for target in node.targets:
                parts = _aligned(target, node.value)
                if parts is None:               # `w, b = p`: items of p
                    parts = [None] * len(_unpacked(target))
                for t, value in zip(_unpacked(target), parts):
                    if not isinstance(t, gast.Name):
                        continue
                    if value is None:
                        if isinstance(node.value, gast.Name):
                            pairs.append((t.id, "item", node.value.id))
                    elif isinstance(value, (gast.Dict, gast.List, gast.Tuple)):
                        # `q = {"a": p["a"]}`: q holds what the copy p holds
                        for part in value.values if isinstance(value, gast.Dict) \
                                else value.elts:
                            if _item_of(part) is not None:
                                pairs.append((t.id, "holds", _item_of(part)))
                            elif isinstance(part, gast.Name):
                                pairs.append((t.id, "holds", part.id))
                    elif isinstance(value, gast.Name):
                        pairs.append((t.id, "name", value.id))
                    elif _item_of(value) is not None:
                        pairs.append((t.id, "item", _item_of(value)))
                    elif roots := self.shared_roots(value):
                        # `v = w[:]`, `v = p["w"].T`, `np.asarray(w)`: a view of what w is
                        pairs += [(t.id, "item", root) for root in sorted(roots)]
                    elif self._parameter_copied(value) is not None:
                        pairs.append((t.id, "argument", self._parameter_copied(value)))
                    else:
                        for copied in _copied_names(value):
                            pairs.append((t.id, "name", copied))
                            if not (self._list_display(copied)
                                    or self._known_array(copied)):
                                # `xs = make(x); ys = xs.copy()`: a list's copy, maybe (a
                                # list display's shares its items where the copy is made:
                                # shared_roots)
                                pairs.append((t.id, "argument", copied))
        # the copied argument holds the same items as its copy: a write into one of them
        # taken from it (`q = p.copy(); t = p["w"]; t[0] = v`) changes the copy's too
        pairs += [(other, "argument", other) for _, how, other in pairs if how == "argument"]
        copies, items = {}, {}
        changed = True
        while changed:
            changed = False
            for name, how, other in pairs:
                if how == "argument":
                    add, into = {other}, copies
                elif how == "holds":       # (an item of a copy, or a name for one)
                    add, into = (set().union(copies.get(other, set()), *(
                        copies.get(c, {c}) for c in items.get(other, ())))
                        if other in copies or other in items else set()), copies
                elif how == "item":     # (of an item of a copy: its containers too)
                    add, into = ({other} | items.get(other, set())
                                 if other in copies or other in items else set()), items
                else:
                    add, into = copies.get(other, set()), copies
                    if items.get(other, set()) - items.get(name, set()):
                        items.setdefault(name, set()).update(items[other])
                        changed = True
                if add - into.get(name, set()):
                    into.setdefault(name, set()).update(add)
                    changed = True
        self._sharers = copies, items
        return self._sharers

    def stmt_Return(self, node):
        value = self.atom(node.value) if node.value is not None else T.constant(None)
        self.emit(gast.Return(value=value))

    def stmt_If(self, node):
        test = self.atom(node.test)
        body = self.block(node.body)
        orelse = self.block(node.orelse)
        self.current = node
        self.emit(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse))

    def stmt_While(self, node):
        if node.orelse:
            self.error(node, "'else' on a while loop", "use a flag variable")
        self.loops += 1
        self.outer_loop = self.outer_loop or node
        self.loop_stack.append(node)
        saved, self.out = self.out, []
        if node not in self.tested_in_body:
            test = self.atom(node.test)
            self.current = node
            self.emit(gast.If(test=test, body=[gast.Pass()], orelse=[gast.Break()]))
        for stmt in node.body:
            self.statement(stmt)
        body, self.out = self.out, saved
        self.loops -= 1
        self.loop_stack.pop()
        self.outer_loop = None if self.outer_loop is node else self.outer_loop
        self.current = node
        self.emit(gast.While(test=T.constant(True), body=body, orelse=[]))

    def stmt_For(self, node):
        if node.orelse:
            self.error(node, "'else' on a for loop", "use a flag variable")
        it = node.iter
        func = self.resolve(it.func) if isinstance(it, gast.Call) \
            and isinstance(it.func, gast.Name) and not self.is_local(it.func.id) else None
        if func is range:
            bounds = [self.loop_bound(a, node) for a in it.args]
            target = node.target
            if isinstance(target, gast.Name) and self.sites.get(target.id) == 1 \
                    and target.id not in self.parameters():    # (a parameter's is its input)
                counter = self.home_of(target.id)
                self.env.pop(target.id, None)
                prologue = []
            else:
                counter = self.fresh()
                prologue = [(target, T.name(counter))]
            iter_node = T.call("range", bounds)
        else:
            counter = self.fresh()
            iter_node, prologue = self.loop_items(it, node, counter)
            # `for row in B`: each row shares B's array
            items = self.loop_items_taken(it, node)
            for name, root in self.loop_aliases(node.target, it):
                if not _indexes(node.body, root, name):       # `for k in d: d[k] = ...`
                    self.alias(name, root, node, tuple(self.loop_stack) + (node,))
                    if root in items:
                        self.taken.add((root, name, id(node)))
        self.loops += 1
        self.outer_loop = self.outer_loop or node
        self.loop_stack.append(node)
        saved, self.out = self.out, []
        for target, value in prologue:
            self.bind(target, value() if callable(value) else value)
        for stmt in node.body:
            self.statement(stmt)
        body, self.out = self.out, saved
        self.loops -= 1
        self.loop_stack.pop()
        self.outer_loop = None if self.outer_loop is node else self.outer_loop
        self.current = node
        self.emit(gast.For(target=T.name(counter, store=True), iter=iter_node, body=body,
                           orelse=[], type_comment=None))

    def loop_items_taken(self, it, loop):
        """The local lists of which `for ... in it` binds only items, as `r = xs[i]` does:
        `for r in [xs[0], xs[1]]` (the display is made once, before the loop), `for r in xs`
        when the loop leaves xs's slots alone. Appending to such a list, popping from it or
        putting another object in one of its slots then leaves the loop variable as it is."""
        if isinstance(it, (gast.List, gast.Tuple)):
            return self._items_taken(it)[0]
        if isinstance(it, gast.Name) and it.id not in _changed_in(loop):
            return {it.id}
        return set()

    def loop_bound(self, expr, loop):
        """An atom for a range() bound that the loop body cannot change."""
        atom = self.atom(expr)
        if isinstance(atom, gast.Name) and atom.id in self.homes:
            copy = self.fresh()
            self.emit_assign(copy, atom)
            return T.name(copy)
        return atom

    def loop_items(self, it, loop, counter):
        """`for x in seq` (arrays, lists, enumerate, zip, reversed, dict views) -> an index
        loop `for v_i in range(n)` and the binding of the loop target inside the body."""
        n, item = self.sequence(it)
        index = T.name(counter)
        return T.call("range", [n]), [(loop.target, lambda: item(index))]

    def _known_dict(self, it):
        """Whether iterable `it` is surely a dict: a display, a local only ever bound to
        one, a dict argument (see `normalise`'s `dicts`) as it came; or a module-level
        dict, which generated code walks as `keys_of(CFG)`: what Python's loop walks, also
        if CFG is something else by the time it runs."""
        return isinstance(it, gast.Dict) or isinstance(it, gast.Name) and (
            self._dict_display(it.id)
            or it.id in self.dict_params and it.id not in self.sites
            or not self.is_local(it.id)
            and isinstance(self.namespace.get(it.id), collections.abc.Mapping))

    def sequence(self, it):
        """(length atom, item(index) -> value) for an iterable; the length is emitted now."""
        if self._known_dict(it):
            return self.mapping_items(self.frozen_atom(it), "keys")    # `for k in d`
        func = self.resolve(it.func) if isinstance(it, gast.Call) and not (
            isinstance(it.func, gast.Attribute) and isinstance(it.func.value, gast.Name)
            and self.is_local(it.func.value.id)) else None
        if func is enumerate:
            if len(it.args) != 1 and not (len(it.args) == 2 and not it.keywords):
                self.error(it, "this call of enumerate", "use enumerate(seq) or enumerate(seq, k)")
            start = it.args[1] if len(it.args) == 2 else next(
                (k.value for k in it.keywords if k.arg == "start"), None)
            start = self.atom(start) if start is not None else None
            n, inner = self.sequence(it.args[0])

            def item(index):
                count = index if start is None else self.atom(
                    Done(gast.BinOp(left=index, op=gast.Add(), right=start)))
                return ("tuple", [count, inner(index)])
            return n, item
        if func is zip:
            parts = [self.sequence(a) for a in it.args]
            n = self.smallest([p[0] for p in parts])
            return n, lambda index: ("tuple", [p[1](index) for p in parts])
        if func is sorted and len(it.args) == 1:
            return self.sorted_items(it)
        if func is reversed:
            if len(it.args) != 1 or it.keywords:
                self.error(it, "this call of reversed", "pass one sequence")
            if isinstance(it.args[0], gast.Name) and it.args[0].id in self.parameters() \
                    and not self._known_dict(it.args[0]):
                self.iterated.setdefault(it.args[0].id, it)     # (a dict: its keys)
            if self._known_dict(it.args[0]):        # its keys, last first
                seq = self.fresh()
                self.emit_assign(seq, T.call("keys_of", [self.frozen_atom(it.args[0])]))
                seq = T.name(seq)
            else:
                seq = self.atom(it.args[0])
            if self._may_be_mapping(it.args[0]) and not self._known_dict(it.args[0]):
                self.emit(gast.Expr(value=T.call("check_reversible", [seq])))
            backwards = self.fresh()
            self.emit_assign(backwards, gast.Subscript(
                value=seq, slice=gast.Slice(lower=None, upper=None, step=T.constant(-1)),
                ctx=gast.Load()))
            return self.indexed(T.name(backwards))
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute) \
                and it.func.attr in ("items", "values", "keys") and not it.args:
            return self.mapping_items(self.frozen_atom(it.func.value), it.func.attr)
        if isinstance(it, gast.Call) and func is not None \
                and func not in (list, tuple, range, runtime.transposed) \
                and not self._numpy_result(it):
            # (`for t in np.linspace(...)`: a new array's items; a view's rows would be
            # another array's)
            self.error(it, f"iterating over {T.source_of(it.func)}(...)",
                       "loop over range(...), an array, a list, enumerate(...), zip(...) or "
                       "dict.items()")
        if isinstance(it, gast.Name) and it.id in self.parameters():
            self.iterated.setdefault(it.id, it)    # a dict argument would walk its keys
        return self.indexed(self.frozen_atom(it), self._may_be_mapping(it))

    def sorted_items(self, it):
        """(length atom, item(index) -> value) for `sorted(...)` of one iterable. Of a dict
        (`sorted(d)`, `sorted(d.keys())`, `sorted(d.items())`), the keys in order, each
        value read by its key: a dict's keys differ, so sorting its items sorts the keys
        and no value is compared (a key= would see the values: refused for items). Of
        anything else, the sorted list itself, whose rule's derivative follows each item
        to where the sort puts it."""
        inner = it.args[0]
        view = inner.func.attr if isinstance(inner, gast.Call) \
            and isinstance(inner.func, gast.Attribute) and not inner.args \
            and inner.func.attr in ("keys", "items", "values") else None
        if view == "values":
            self.error(it, "sorted(d.values())", "sort a list of the values: "
                       "sorted([d[k] for k in d])")
        if view is None and not self._known_dict(inner):
            return self.indexed(self.frozen_atom(it))
        if view == "items" and any(k.arg == "key" for k in it.keywords):
            self.error(it, "sorted(d.items(), key=...) (the key may compare the values)",
                       "sort the keys: for k in sorted(d, key=...): v = d[k]")
        mapping = self.frozen_atom(inner.func.value if view else inner)

        def in_order(keys):
            return self.atom(gast.copy_location(gast.Call(
                func=it.func, args=[Done(keys)], keywords=it.keywords), it))
        return self.mapping_items(mapping, view or "keys", in_order)

    def _may_be_mapping(self, it):
        """Whether iterable `it` may be what srcad's loop cannot index (a dict, a set, an
        iterator): anything but a list display."""
        return not isinstance(it, (gast.List, gast.Tuple, gast.ListComp)) and not (
            isinstance(it, gast.Name) and self._only_assigned(it.id)
            and self._list_display(it.id))

    def mapping_items(self, mapping, kind, in_order=None):
        """(length atom, item(index) -> value) for the "keys", "values" or "items" of the
        dict atom `mapping`; `in_order(keys)`, if given, gives the atom of the keys in the
        order to walk them (`sorted(d)`)."""
        keys = T.name(self.fresh())
        self.emit_assign(keys.id, T.call("keys_of", [mapping]))
        if in_order is not None:
            keys = in_order(keys)
        n = self.smallest([keys], lengths=False)

        def item(index):
            key = self.atom(Done(gast.Subscript(value=T.clone(keys), slice=index,
                                                ctx=gast.Load())))
            value = ("item", Done(gast.Subscript(value=mapping, slice=key, ctx=gast.Load())))
            return {"keys": key, "values": value, "items": ("tuple", [key, value])}[kind]
        return n, item

    def _assigned_values(self, ident):
        """The values assigned to local `ident` (`ident = value` statements)."""
        assigned = self.__dict__.get("_assigned")
        if assigned is None:                 # one walk of the function for every name
            assigned = self._assigned = {}
            for node in self.statements_of(gast.Assign):
                for t in node.targets:
                    if isinstance(t, gast.Name):
                        assigned.setdefault(t.id, []).append(node.value)
        return assigned.get(ident, [])

    def _dict_get(self, node):
        """`d.get(k, default)` of a dict d (a dict argument, see `normalise`'s `dicts`, or a
        local dict display), k a constant or a name: `d[k] if k in d else default` (None
        without one); else None. A parameter whose `.get` is called is noted: a dict
        argument there makes the IR again with it known (`api.ir_for_kinds`)."""
        func = node.func
        if not (isinstance(func, gast.Attribute) and func.attr == "get"
                and isinstance(func.value, gast.Name) and self.is_local(func.value.id)
                and 1 <= len(node.args) <= 2 and not node.keywords
                and isinstance(node.args[0], (gast.Constant, gast.Name))):
            return None
        name = func.value.id
        if name in self.parameters() and name not in self.dict_params:
            self.dict_gets.add(name)
        if not (self._dict_display(name) or self._dict_argument(self.env.get(name))):
            return None
        key = node.args[0]
        default = node.args[1] if len(node.args) == 2 else T.constant(None)
        return gast.copy_location(gast.IfExp(
            test=gast.Compare(left=key, ops=[gast.In()], comparators=[func.value]),
            body=gast.Subscript(value=func.value, slice=key, ctx=gast.Load()),
            orelse=default), node)

    def _dict_display(self, ident):
        """Whether every assignment of local `ident` is a dict display (`{...}`), or the
        dict without a key that `_dict_pops` makes of one for `ident.pop(k)`."""
        values = self._assigned_values(ident)
        return bool(values) and ident not in self.parameters() and all(
            isinstance(v, (gast.Dict, gast.DictComp)) or _dict_popped(v) for v in values)

    def _list_display(self, ident):
        """Whether every assignment of local `ident` is a list or a tuple display, or a
        comprehension (its .copy() is shallow: the same objects)."""
        values = self._assigned_values(ident)
        return bool(values) and all(isinstance(v, (gast.List, gast.Tuple, gast.ListComp))
                                    for v in values)

    def _shallow_copied(self, ident):
        """Whether `ident.copy()` is a shallow copy, which holds the very objects that local
        `ident` holds: ident is a list or tuple display or comprehension, or a list or dict
        wherever the function uses it (`p = {"w": w}`, `ys = xs[:]`; `_known_container`). A
        write into an item through either then changes the other's too."""
        return self._list_display(ident) or self._known_container(ident)

    def _only_assigned(self, ident):
        """Whether local `ident` is not a parameter and every binding of it is a plain
        `ident = value` (or `ident op= value`, which keeps a list a list and an array an
        array): no loop target, unpacking or comprehension variable of that name."""
        if ident in self.parameters() or not self._assigned_values(ident):
            return False
        return ident not in self._bound_otherwise()

    def _bound_otherwise(self):
        """The names bound otherwise than by `name = value` (or `name op= value`): loop
        targets, unpacking, comprehension variables."""
        other = self.__dict__.get("_bound_other")
        if other is None:                   # one walk of the function for every name
            plain = set()
            for node in self.statements_of(gast.Assign):
                plain.update(id(t) for t in node.targets if isinstance(t, gast.Name))
            for node in self.statements_of(gast.AugAssign):
                if isinstance(node.target, gast.Name):
                    plain.add(id(node.target))
            # (the names a statement binds are in its targets, unless an expression binds
            # one: then every name is looked at)
            named = T.name_nodes(self.source.tree if self.binds_in_expressions
                                 else _targets_of(self.statements()))
            other = self._bound_other = {
                n.id for n in named if isinstance(n.ctx, gast.Store) and id(n) not in plain}
        return other

    def _known_container(self, ident, seen=()):
        """Whether local `ident` is a list or a dict wherever the function uses it (every
        binding makes one: a display, a comprehension, lists joined or repeated, a slice
        or copy of such a list, np.split(...)). Then `ident[i] = v` puts another
        object in the slot and leaves the old one as it is (an array would copy v's values
        into the old item's memory, which an item taken before shares).

        A name met again while its own bindings are being looked at (`un = u[:]; ...;
        u = un` in a loop) counts as one: each binding then makes a list from lists, so
        every value either name holds is one (what is asked is an invariant of the loop)."""
        if ident in seen:
            return True
        if ident in self.parameters() and self._lists_assumed is not None \
                and self._rebound_first(ident) is None and ident not in self._bound_otherwise():
            self._lists_assumed.add(ident)      # (see check_writes_through_aliases_unless_lists)
            seen = seen + (ident,)
            return all(self._container_value(v, seen) for v in self._assigned_values(ident))
        if ident in self.parameters() and (first := self._rebound_first(ident)) is not None:
            # `u = list(u)` first: what the caller passed is read only there
            if (ident, "passed") in seen or not self._new_container(
                    first, seen + ((ident, "passed"),)) or ident in self._bound_otherwise():
                return False
            seen = seen + (ident,)
            return all(self._container_value(v, seen) for v in self._assigned_values(ident)
                       if v is not first)
        if not self._only_assigned(ident):
            return False
        seen = seen + (ident,)
        return all(self._container_value(v, seen) for v in self._assigned_values(ident))

    def _rebound_first(self, param):
        """The value of `param = value` where that is the first top-level statement of the
        function to mention parameter `param`; else None."""
        for stmt in self.source.tree.body:
            mentioned = any(isinstance(n, gast.Name) and n.id == param
                            for n in gast.walk(stmt))
            if not mentioned:
                continue
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == param:
                return stmt.value
            return None
        return None

    def _container_value(self, value, seen=()):
        """Whether expression `value` is surely a list or a dict (see `_known_container`)."""
        if isinstance(value, gast.Name):
            return self._known_container(value.id, seen)
        if isinstance(value, gast.IfExp):
            return self._container_value(value.body, seen) and self._container_value(
                value.orelse, seen)
        return self._new_container(value, seen)

    def _new_container(self, value, seen=()):
        """Whether expression `value` surely makes a new list or dict: a display, a
        comprehension, lists joined or repeated, a slice or copy of a list, np.split(...)."""
        if isinstance(value, (gast.List, gast.ListComp, gast.Dict, gast.DictComp)):
            return True
        if isinstance(value, gast.BinOp):
            if isinstance(value.op, gast.Add):
                return self._container_value(value.left, seen) and self._container_value(
                    value.right, seen)
            return isinstance(value.op, gast.Mult) and any(    # (other arithmetic: none)
                isinstance(b, gast.Constant) and type(b.value) is int
                and self._container_value(a, seen)
                for a, b in ((value.left, value.right), (value.right, value.left)))
        if isinstance(value, gast.IfExp):
            return self._new_container(value.body, seen) and self._new_container(
                value.orelse, seen)
        if isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice):
            return self._container_value(value.value, seen)   # a list's slice: a new list
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and value.func.attr == "copy" and not value.args and not value.keywords:
            return self._container_value(value.func.value, seen)   # xs.copy()
        if isinstance(value, gast.IfExp) and isinstance(value.body, gast.Call) \
                and _made_by_pop(value.body):
            return True                           # (`d.pop(k, default)`: `_dict_pops`)
        if isinstance(value, gast.Call) and _made_by_pop(value):
            return True                           # (a dict without the key: `_dict_pops`)
        if self._listed(value) is not None:
            return True                                            # list(xs): a new list
        return self._resolved(value) in (np.split, np.array_split, np.hsplit, np.vsplit,
                                          np.dsplit)

    def _items_taken(self, value):
        """`(lists, shared)` for new container `value`: the local lists (or dicts) of
        which it holds only items (`[xs[0], xs[1]]`, `xs + ys`, `xs[1:]`, `xs.copy()`), and
        the local variables whose objects it holds or shares otherwise (`[xs, y]`)."""
        lists, shared = set(), set()
        if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
            parts = value.values if isinstance(value, gast.Dict) else value.elts
        elif isinstance(value, gast.BinOp):
            parts = [value.left, value.right]
        elif isinstance(value, gast.IfExp):
            parts = [value.body, value.orelse]
        elif isinstance(value, gast.Subscript) or isinstance(value, gast.Call) and isinstance(
                value.func, gast.Attribute) and value.func.attr == "copy":   # xs[1:], xs.copy()
            parts = [value.value if isinstance(value, gast.Subscript) else value.func.value]
            if isinstance(parts[0], gast.Name):
                return {parts[0].id}, set()
        elif (listed := self._listed(value)) is not None:      # list(xs): xs's items
            parts = [listed]
            if isinstance(parts[0], gast.Name):
                return {parts[0].id}, set()
        else:
            return set(), self.shared_roots(value)
        for part in parts:
            item = _item_of(part)
            if isinstance(value, gast.BinOp) and isinstance(part, gast.Name):
                lists.add(part.id)             # xs + ys, xs * 2: xs's items
            elif isinstance(value, gast.BinOp) and isinstance(part, gast.Constant):
                pass
            elif item is not None and isinstance(part, (gast.Subscript, gast.Call)) and not (
                    isinstance(value, gast.IfExp)):
                lists.add(item)                # [xs[0], xs[1]]: xs's items
                shared |= self.shared_roots(part) - {item}
            elif isinstance(value, (gast.BinOp, gast.IfExp)) and self._new_container(part):
                more_lists, more_shared = self._items_taken(part)
                lists |= more_lists
                shared |= more_shared
            else:
                shared |= self.shared_roots(part)
        return lists - shared, shared

    def _known_array(self, ident):
        """Whether local `ident` is an array of numbers wherever the function uses it (every
        binding is np.zeros(...), np.ones(...), ... without an object dtype): `ident[i] = y`
        then copies y's values, and ident shares nothing of y afterwards."""
        return self._only_assigned(ident) and all(
            self._allocation(v) for v in self._assigned_values(ident))

    def _allocation(self, value):
        """Whether `value` makes a new array of numbers: np.zeros(3), ..., a NumPy ufunc's
        result, or arithmetic that joins or repeats no list (`x / c`, `-x`, `b * 1.0`; a
        number there is never written into)."""
        if isinstance(value, gast.BinOp) and not isinstance(value.op, (
                gast.Add, gast.Mult, gast.BitOr, gast.BitAnd, gast.BitXor, gast.Sub)) \
                or isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
            return True           # (| & ^ - of dicts or sets make dicts and sets)
        if isinstance(value, gast.BinOp) and any(    # `b * 1.0`: no list is joined or repeated
                isinstance(side, gast.Constant) and type(side.value) is float
                for side in (value.left, value.right)) and not any(
                isinstance(side, gast.Name) and self._object_array(side.id)
                for side in (value.left, value.right)):
            return True
        func = self._resolved(value)
        if isinstance(func, np.ufunc):
            return not value.keywords
        if func in (np.zeros_like, np.ones_like, np.empty_like, np.full_like):
            # (shaped like an array of numbers: one made here, or a parameter that is not a
            # list, which may hold None: refused when it is one)
            like = value.args[0] if value.args else None
            if not isinstance(like, gast.Name) or not self._number_dtype(value, func) or (
                    func is np.full_like and not (len(value.args) > 1 and isinstance(
                        value.args[1], gast.Constant) and type(value.args[1].value) in (
                            int, float))):
                return False
            if like.id in self.parameters() and not self._assigned_values(like.id) \
                    and like.id not in self._bound_otherwise():
                self._note_like_param(like.id, value)
                return True
            return self._known_array(like.id)
        if func not in (np.zeros, np.ones, np.empty, np.eye, np.identity, np.full):
            return False
        if func is np.full and not (len(value.args) > 1 and isinstance(
                value.args[1], gast.Constant) and type(value.args[1].value) in (int, float)):
            return False                          # np.full(2, None) is an object array
        return self._number_dtype(value, func)

    def _number_dtype(self, value, func):
        """Whether call `value` of `func` (an array maker) gives no dtype but a number type,
        by keyword or by position (`np.zeros(3, object)`)."""
        at = _DTYPE_POSITION.get(func)
        dtype = value.args[at] if at is not None and len(value.args) > at else None
        for k in value.keywords:
            if k.arg == "dtype":
                dtype = k.value
        return dtype is None or among(self._resolved_object(dtype), _NUMBER_TYPES)

    def _note_like_param(self, param, value):
        """`np.zeros_like(x)` of parameter x is taken for an array of numbers: x must not be
        a list or a tuple (`[1.0, None]` makes an array of objects)."""
        noted = self.__dict__.setdefault("_like_params", set())
        if param not in noted:
            noted.add(param)
            error = UnsupportedError(
                f"'{T.source_of(value).strip()}' of a list or tuple '{param}': srcad takes "
                "it for an array of numbers", self.source.location(value),
                hint=f"pass an array for '{param}' (np.asarray)")
            error.refused_for = "sequences"   # (not where the kind is not known: generic code)
            self.refusals_if_list.append(({param}, error))

    def _object_array(self, ident):
        """Whether local `ident` may be given an array of objects made here (`np.empty(2,
        dtype=object)`): arithmetic on it gives one too."""
        return any(isinstance(v, gast.Call) and not self._number_dtype(v, self._resolved(v))
                   for v in self._assigned_values(ident))

    def _resolved(self, value):
        """The global function that call `value` calls (np.zeros, np.split), else None."""
        return self._resolved_object(value.func) if isinstance(value, gast.Call) else None

    def _missing_attribute(self, func):
        """(module name, attribute) where `func` is `module.attribute` of a module that has
        no such attribute (`np.trapz` in NumPy 2.4, behind `hasattr(np, "trapezoid")`),
        else None."""
        try:
            base = self.resolve(func.value)
        except UnsupportedError:
            return None
        if isinstance(base, types.ModuleType) and not hasattr(base, func.attr):
            return base.__name__, func.attr
        return None

    def _resolved_object(self, node):
        """The global object a name or dotted name refers to, else None (no error)."""
        root = node
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        if not isinstance(root, gast.Name) or self.is_local(root.id):
            return None
        try:
            return self.resolve(node)
        except UnsupportedError:
            return None

    def _dict_argument(self, atom):
        """Whether `atom` is a dict argument (see `normalise`'s `dicts`) as it came."""
        return isinstance(atom, gast.Name) and any(
            p not in self.sites and isinstance(self.env.get(p), gast.Name)
            and self.env[p].id == atom.id for p in self.dict_params)

    def parameters(self):
        args = self.source.tree.args
        return {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}

    def indexed(self, seq, checked=False):
        """(length atom, item(index) -> value) of a loop over the items of `seq`; its
        length `counted(seq)` where seq may be a dict (refused when it runs)."""
        n = self.smallest([seq], lengths=False, checked=checked)
        return n, lambda index: ("item", Done(gast.Subscript(value=seq, slice=index,
                                                             ctx=gast.Load())))

    def frozen_atom(self, expr):
        atom = self.atom(expr)
        if isinstance(atom, gast.Name) and atom.id in self.homes:
            copy = self.fresh()
            self.emit_assign(copy, atom)
            return T.name(copy)
        return atom

    def smallest(self, items, lengths=True, checked=False):
        """An atom for the loop count: min of the lengths (`lengths=False`: of len(item), or
        of counted(item) if `checked`)."""
        counts = []
        for item in items:
            if lengths:
                counts.append(item)
                continue
            n = self.fresh()
            self.emit_assign(n, T.call("counted" if checked else "len", [item]))
            counts.append(T.name(n))
        smallest = counts[0]
        for count in counts[1:]:        # two at a time: min's rules take two arguments
            n = self.fresh()
            self.emit_assign(n, T.call("min", [smallest, count]))
            smallest = T.name(n)
        return smallest

    # ----- assignment -----

    def assign(self, target, value):
        if isinstance(target, gast.Name):
            ident = target.id
            for fresh, names in ((self._new_object(value), self.new_objects),
                                 (self._new_items(value), self.new_items)):
                if fresh:
                    names.add(ident)
                else:
                    names.discard(ident)
            root = self.alias_root(value)
            container = _item_of(value)           # r = xs[i], r = xs.pop(): xs held r
            start = len(self.aliases)
            for inner in sorted(self.shared_roots(value)):
                self.alias(ident, inner, self.current, tuple(self.loop_stack),
                           item=inner == container, same=isinstance(value, gast.Name))
            self.repeats.discard(ident)
            self.repeats_if_list.pop(ident, None)
            repeated = self._repeated(value)
            if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):   # [h, g] holds h
                for item in value.values if isinstance(value, gast.Dict) else value.elts:
                    inner = self.alias_root(item)
                    if inner is not None:
                        self.aliases.append((ident, inner, self.current,
                                             tuple(self.loop_stack)))
                        self.note_held(ident, inner)
            elif repeated is True:
                self.repeats.add(ident)
                self.were_repeated.add(ident)
            elif repeated:
                self.repeats_if_list[ident] = repeated
                self.were_repeated_if_list.setdefault(ident, set()).update(repeated)
            if container is not None and not (isinstance(value, gast.Subscript)
                                              and isinstance(value.slice, gast.Slice)):
                self.elements.add((container, ident, id(self.current)))
            if isinstance(self.current, gast.Assign) and self._new_container(value):
                self.note_new_container(ident, value, start)
            elif _list_of_items(self.current, ident):      # `hist += [x]`: hist holds x
                self.holders.update((ident, b, id(made)) for a, b, made, _ in
                                    self.aliases[start:] if a == ident and made is self.current)
            if ident in self.homed:
                home = self.home_of(ident)
                op = self.op(value)
                if ident in self.mutated and (root is not None or self.call_aliases(value)):
                    # x[i] = ... must not reach through to another variable's array (or the
                    # caller's, `x = np.asarray(p)`): bind a copy. Reads of the other name
                    # later are refused.
                    op = gast.Call(func=gast.Attribute(value=self.atom(Done(op)), attr="copy",
                                                       ctx=gast.Load()), args=[], keywords=[])
                if _reads(op, home) or not _is_op(op):
                    if not (isinstance(op, gast.Name) and op.id == home):
                        self.emit_assign(home, self.copy_if_needed(op, home))
                else:
                    self.emit_assign(home, op)
                self.env.pop(ident, None)
            else:
                self.env[ident] = self.as_value(self.op(value))
        elif isinstance(target, gast.Subscript):
            holder = target.value
            # xs[0] = y: list xs now holds y's array (an array of numbers copies y's values
            # and shares nothing of y afterwards)
            if isinstance(holder, gast.Name) and not self._known_array(holder.id):
                container = _item_of(value)       # s[0] = xs[1]: an item of xs
                shared = self.shared_roots(value)
                self.note_stored_again(holder.id, shared)
                for inner in sorted(shared):
                    self.alias(holder.id, inner, self.current, tuple(self.loop_stack),
                               stored=True, item=inner == container)
                    self.note_held(holder.id, inner)
            self.subscript_store(target, self.atom(value))
        elif isinstance(target, (gast.Tuple, gast.List)):
            # `b, c = y, 2.0`, `a, b = Y`, `b, c = pair(y)`: any target may share what the
            # value shares
            shared = sorted(self.shared_roots(value))
            container = _item_of(value)           # a, b = xs.pop(): parts of an item of xs
            moved = _permutation(target, value)
            if moved and not self.parameters() & {name for name, _ in moved}:
                self.alias_permuted(moved)
            else:
                moved = None       # (a parameter's name: its array stays the caller's)
            parts = [(part, shared, container) for part in _unpacked(target)]
            if isinstance(value, (gast.Tuple, gast.List)) \
                    and len(value.elts) == len(target.elts) and not any(
                        isinstance(e, gast.Starred) for e in value.elts + target.elts):
                # `a, b = x, x.copy()`: each target shares what its own item shares
                parts = [(part, sorted(self.shared_roots(item)), _item_of(item))
                         for elt, item in zip(target.elts, value.elts)
                         for part in _unpacked(elt)]
            for part, shared, container in parts:
                if moved:
                    break
                if isinstance(part, gast.Name):
                    for inner in shared:
                        self.alias(part.id, inner, self.current, tuple(self.loop_stack),
                                   item=inner == container)
                elif isinstance(part, gast.Subscript) and isinstance(part.value, gast.Name) \
                        and not self._known_array(part.value.id):
                    # `xs[0], xs[1] = xs[1], xs[0]`: list xs holds what the value shares (the
                    # names in `a[k]` are no targets)
                    for inner in shared:
                        self.alias(part.value.id, inner, self.current,
                                   tuple(self.loop_stack), stored=True,
                                   item=inner == container)
            self.note_swap(target, value)
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                atoms = [self.atom(e) for e in value.elts]
                self.bind(target, ("tuple", [self.protect(a, target) for a in atoms]))
            else:
                self.bind(target, self.atom(value))
        else:
            self.error(target, "assignment to an attribute", "assign to a local variable")

    def note_swap(self, target, value):
        """`A[0], A[1] = A[1], A[0]`: Python takes both rows first, as views where they are
        arrays, then writes A[0], which changes the view of it that it writes into A[1];
        srcad's items are copies. Refused unless they are numbers (analysis.check_items).
        Also where the later values reach A through other names (`r1, r0`), or the value is
        no display (`p`, `A[1::-1]`, `swapped(A[0], A[1])`): what of it is written later
        may be a view."""
        parts = _unpacked(target)
        values = _aligned(target, value)
        for k, part in enumerate(parts):
            holder = part.value if isinstance(part, gast.Subscript) else None
            if not isinstance(holder, gast.Name) or self._list_here(holder.id):
                continue
            later = values[k + 1:] if values is not None else [value]
            if any(self._shares(root, holder.id)
                   for item in later for root in self.shared_roots(item)):
                self.unless_numbers.append((self.current, UnsupportedError(
                    f"this assignment writes '{T.source_of(part)}' and then an item that "
                    f"was read from '{holder.id}' before it (where the items are rows, not "
                    "numbers, NumPy's views see the first write)",
                    self.source.location(self.current),
                    hint="copy the items first: a[i], a[j] = a[j].copy(), a[i].copy()"), True))
                return

    def _shares(self, name, other):
        """Whether `name` is `other` or may share its object (an alias pair of them)."""
        return name == other or any({a, b} == {name, other} for a, b, _, _ in self.aliases)

    def _list_here(self, ident):
        """Whether `ident` holds a list or dict where the current statement runs: it always
        does (`_known_container`), or it is a parameter assigned once, a new list, by a
        statement of the function's top level before this one (`xs = list(xs)`)."""
        if self._known_container(ident):
            return True
        made = [s for s in self.source.tree.body if isinstance(s, gast.Assign)
                and any(isinstance(t, gast.Name) and t.id == ident for t in s.targets)]
        return ident in self.parameters() and len(made) == 1 \
            and len(self._assigned_values(ident)) == 1 and self._new_container(made[0].value) \
            and _position(made[0]) < _position(self.current)

    def copy_if_needed(self, op, home):
        """A plain atom assigned to a home: a temp first when the atom is an operation."""
        if _is_op(op):
            tmp = self.fresh()
            self.emit_assign(tmp, op)
            return T.name(tmp)
        return op

    def as_value(self, op):
        """An atom that keeps its value even if a home it reads is reassigned later."""
        if _is_op(op) or (isinstance(op, gast.Name) and op.id in self.homes):
            tmp = self.fresh()
            self.emit_assign(tmp, op)
            return T.name(tmp)
        return op

    def protect(self, atom, target):
        """Copy an atom that a simultaneous assignment to `target` would overwrite."""
        written = {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
        homes = {self.home[w] for w in written if w in self.home}
        if isinstance(atom, gast.Name) and atom.id in homes:
            tmp = self.fresh()
            self.emit_assign(tmp, atom)
            return T.name(tmp)
        return atom

    def bind(self, target, value):
        """Assign `value` (an atom, ("item", subscript), or ("tuple", parts)) to `target`."""
        if isinstance(value, tuple) and value[0] == "item":
            if isinstance(target, gast.Name):
                self.assign(target, value[1])
                return
            value = self.atom(value[1])
        if isinstance(target, gast.Name):
            if isinstance(value, tuple):
                value = self.tuple_atom(value)
            self.assign(target, value if isinstance(value, Done) else Done(value))
        elif isinstance(target, (gast.Tuple, gast.List)):
            stars = [k for k, e in enumerate(target.elts) if isinstance(e, gast.Starred)]
            if len(stars) > 1:
                self.error(target, "two starred targets", "unpack the values one by one")
            if stars:
                self.bind_starred(target, value, stars[0])
                return
            if isinstance(value, tuple):
                parts = value[1]
                if len(parts) != len(target.elts):
                    self.error(target, "unpacking with a different number of values",
                               "make both sides the same length")
                for elt, part in zip(target.elts, parts):
                    self.bind(elt, part)
            else:
                dict_argument = self._dict_argument(value)
                for param in self.parameters():       # (unpacking walks a dict's keys)
                    if not dict_argument and isinstance(value, gast.Name) \
                            and isinstance(self.env.get(param), gast.Name) \
                            and self.env[param].id == value.id:
                        self.iterated.setdefault(param, target)
                if dict_argument:
                    keys = self.fresh()               # `a, b = d` of a dict: its keys
                    self.emit_assign(keys, T.call("keys_of", [value]))
                    value = T.name(keys)
                for k, elt in enumerate(target.elts):
                    item = gast.Subscript(value=value, slice=T.constant(k), ctx=gast.Load())
                    self.bind(elt, ("item", Done(item)))
        elif isinstance(target, gast.Subscript):
            if isinstance(value, tuple):
                value = self.tuple_atom(value)
            self.subscript_store(target, value)
        else:
            self.error(target, "this assignment target", "assign to a local variable")

    def bind_starred(self, target, value, star):
        """`first, *rest = v` (`a, *mid, z = v`): the items before the star are v[0], ...,
        those after it v[-1], ...; the starred name is the list of the others, as Python
        makes it (`list(v[1:])`, of an array too)."""
        if isinstance(value, tuple):
            value = self.tuple_atom(value)
        after = len(target.elts) - star - 1
        for k, elt in enumerate(target.elts):
            if k == star:
                stop = None if after == 0 else T.constant(-after)
                part = gast.Subscript(value=value, slice=gast.Slice(
                    lower=T.constant(star) if star else None, upper=stop, step=None),
                    ctx=gast.Load())
                self.bind(elt.value, Done(T.call("listed", [self.atom(Done(part))])))
                continue
            index = T.constant(k if k < star else k - len(target.elts))
            self.bind(elt, ("item", Done(gast.Subscript(value=value, slice=index,
                                                         ctx=gast.Load()))))

    def tuple_atom(self, value):
        parts = []
        for part in value[1]:
            if isinstance(part, tuple):
                part = self.tuple_atom(part) if part[0] == "tuple" else self.atom(part[1])
            parts.append(part)
        tmp = self.fresh()
        self.emit_assign(tmp, T.tuple_of(parts))
        return T.name(tmp)

    def _refuse_write_through_view(self, target):
        """`A.T[0] = v`, `A.flat[i] = v`, `A.reshape(n)[i] = v`, `A.T[:, 1][0] = v`: a write
        through a view, which changes A's elements where srcad would change a copy's;
        refused naming the view and how to write into A itself. Else nothing."""
        node, view = target.value, None
        while True:
            if isinstance(node, gast.Subscript):
                node = node.value
            elif isinstance(node, gast.Attribute) and node.attr in _VIEW_ATTRIBUTES:
                view, node = f".{node.attr}", node.value
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in _VIEW_METHODS:
                view, node = f".{node.func.attr}(...)", node.func.value
            else:
                break
        if view is None or not isinstance(node, gast.Name):
            return
        array = node.id
        example = re.sub(r"\bA\b", array, _VIEW_WRITE_HINTS.get(view, "A[i, j] = v"))
        self.error(target, f"a write into {array}{view}, a view that shares {array}'s "
                   "elements (as .T, .flat, .real, .imag, a reshape or a slice of one does),",
                   f"write into {array} itself ({example}), or into a copy if {array} should "
                   f"keep its values (b = {array}{view}.copy(); b[...] = v)")

    def subscript_store(self, target, value):
        target = self._one_index(target)
        if not isinstance(target.value, gast.Name) or not self.is_local(target.value.id):
            self._refuse_write_through_view(target)
            self.error(target, "assignment into an element of a non-local or nested object",
                       "assign into a local array, e.g. y = x.copy(); y[i] = ..."
                       if isinstance(target.value, (gast.Name, gast.Attribute)) else
                       "index a local array once: y[i, j] = ... (of a list of lists, take "
                       "the inner list first: row = ys[i]; row[j] = ...)")
        ident = target.value.id
        text = f"{ident}[...] {self.augmenting or '='} ..."
        self.writes.append((ident, self.current, tuple(self.loop_stack), text))
        self._check_shared_write(ident, text)
        self.new_items.discard(ident)           # (`p[0] = c[0]`: no longer new items)
        home = self.home_of(ident)
        index = self.index(target.slice)
        if isinstance(target.slice, gast.Slice) and not self._known_array(ident) \
                and not self.generated:         # `xs[1:3] = [v]` of a list: its length
            self.emit(gast.Expr(value=T.call("check_slice_length", [
                T.name(home), T.index_expr(T.clone(index)), T.clone(value),
                T.constant(f"{ident}[{T.source_of(target.slice)}] = ...")])))
        if isinstance(value, gast.Name) and value.id == home:
            value = self.as_value(value)
        self.emit_assign(gast.Subscript(value=T.name(home), slice=index, ctx=gast.Store()), value)

    # ----- expressions -----

    def atom(self, node):
        """Normalise `node`, emitting statements; returns a Name or Constant."""
        op = self.op(node)
        if _is_op(op):
            tmp = self.fresh()
            self.emit_assign(tmp, op)
            return T.name(tmp)
        return op

    def op(self, node):
        """Normalise `node` into one operation on atoms (not yet assigned)."""
        if isinstance(node, Done):
            return node.node
        kind = type(node)
        if kind in _UNSUPPORTED_EXPRS:
            self.error(node, *_UNSUPPORTED_EXPRS[kind])
        method = getattr(self, "expr_" + kind.__name__, None)
        if method is None:
            self.error(node, f"the expression '{kind.__name__}'", "rewrite it with simpler "
                       "operations")
        return method(node)

    def expr_JoinedStr(self, node):
        """f"x={x:.3f}" -> "x={:.3f}".format(x): a string, whose derivative is zero."""
        template, values = [], []
        for part in node.values:
            if isinstance(part, gast.Constant):
                template.append(str(part.value).replace("{", "{{").replace("}", "}}"))
                continue
            spec = part.format_spec
            if spec is not None and not all(isinstance(p, gast.Constant)
                                            for p in spec.values):
                self.error(part, "an f-string with a computed format",
                           "write the format as it is (f'{x:.3f}')")
            conversion = "" if part.conversion in (-1, None) else "!" + chr(part.conversion)
            spec_text = "" if spec is None else ":" + "".join(str(p.value) for p in spec.values)
            template.append("{" + conversion + spec_text + "}")
            values.append(part.value)
        call = gast.Call(func=gast.Attribute(value=gast.Constant(value="".join(template),
                                                                 kind=None),
                                             attr="format", ctx=gast.Load()),
                         args=values, keywords=[])
        return self.op(gast.copy_location(call, node))

    def expr_Constant(self, node):
        return T.constant(node.value)

    def expr_Name(self, node):
        ident = node.id
        if ident in self.env:
            return T.load(self.env[ident])
        if ident in self.home:
            return T.name(self.home[ident])
        if ident in self.deleted:
            self.error(node, f"reading '{ident}' after 'del {ident}'",
                       "remove the del, or assign the variable again first")
        if ident in self.sites:
            self.error(node, f"reading '{ident}' before it is assigned",
                       "assign the variable before using it")
        if ident not in self.namespace and not hasattr(builtins, ident):
            self.error(node, f"the undefined name '{ident}'", "define it at module level")
        return self.global_ref(node)

    def global_ref(self, node):
        """A reference to a module-level name (or a dotted one, np.sin), renamed when the
        name is one that generated code uses for something else (np, unbroadcast, v_1)."""
        node = T.load(node)
        root = node
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        ident = root.id
        if getattr(root, "srcad_helper", False):
            return node                         # srcad's helper (see _writes_by_calls)
        value = self.namespace.get(ident, getattr(builtins, ident, None))
        clash = _GENERATED.match(ident) or (
            ident in self.reserved and self.reserved[ident] is not value)
        if clash:
            if ident not in self.renamed:
                self._rename_global(ident, value)
            root.id = self.renamed[ident]
        return node

    def _rename_global(self, ident, value):
        """Generated code calls the user's global `ident` (bound to `value`) another name."""
        args = self.source.tree.args
        params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
        signature = set(params) | set(parameter_names(params).values())   # (`v_1_=3.0`)
        new = ident + "_"
        while new in self.namespace or new in self.sites or new in self.reserved \
                or new in signature:
            new += "_"
        self.renamed[ident] = new
        self.namespace.rename(new, ident, value)

    def free_helper_names(self):
        """A helper that normalisation introduced (`listed` for list(xs)) named like a user
        global the function never reads (its own `def listed`): the user's is renamed too,
        so that the helper's name means the helper (it meant the user's function)."""
        clashes = {ident for ident, value in self.reserved.items() if ident in self.namespace
                   and self.namespace[ident] is not value and ident not in self.renamed}
        if clashes:
            for ident in clashes & {node.id for node in T.name_nodes(self.out)}:
                self._rename_global(ident, self.namespace[ident])

    def expr_BinOp(self, node):
        return T.new_node(gast.BinOp, left=self.atom(node.left), op=node.op,
                          right=self.atom(node.right))

    def expr_UnaryOp(self, node):
        operand = self.atom(node.operand)
        if isinstance(node.op, gast.UAdd) and isinstance(operand, gast.Constant):
            return operand                  # (+y of an array is a new array: it stays)
        if isinstance(node.op, gast.USub) and isinstance(operand, gast.Constant) \
                and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
            return T.constant(-operand.value)
        return gast.UnaryOp(op=node.op, operand=operand)

    def expr_Compare(self, node):
        if len(node.ops) == 1:
            return gast.Compare(left=self.atom(node.left), ops=node.ops,
                                comparators=[self.atom(node.comparators[0])])
        # a < b < c  ->  a < b and b < c (b evaluated once)
        result = self.fresh()
        left = self.atom(node.left)
        block = self.out
        for k, (cmp, right) in enumerate(zip(node.ops, node.comparators)):
            right = self.atom(right)
            self.emit_assign(result, gast.Compare(left=left, ops=[cmp], comparators=[right]))
            if k < len(node.ops) - 1:
                inner = []
                self.emit(gast.If(test=T.name(result), body=inner, orelse=[]))
                self.out = inner
            left = right
        self.out = block
        self.homes.add(result)
        return T.name(result)

    def expr_BoolOp(self, node):
        """`a and b` -> v = a; if v: v = b (short-circuit kept)."""
        result = self.fresh()
        self.homes.add(result)
        block = self.out
        for k, value in enumerate(node.values):
            self.emit_assign(result, self.op(value))
            if k < len(node.values) - 1:
                inner = []
                test = T.name(result)
                if isinstance(node.op, gast.And):
                    self.emit(gast.If(test=test, body=inner, orelse=[]))
                else:
                    self.emit(gast.If(test=test, body=[gast.Pass()], orelse=inner))
                self.out = inner
        self.out = block
        return T.name(result)

    def expr_IfExp(self, node):
        """`a if c else b` -> if c: v = a else: v = b."""
        test = self.atom(node.test)
        result = self.fresh()
        self.homes.add(result)
        saved = self.out
        self.out = []
        self.emit_assign(result, self.op(node.body))
        body = self.out
        self.out = []
        self.emit_assign(result, self.op(node.orelse))
        orelse = self.out
        self.out = saved
        self.emit(gast.If(test=test, body=body, orelse=orelse))
        return T.name(result)

    def expr_Tuple(self, node):
        return gast.Tuple(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())

    def expr_List(self, node):
        return gast.List(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())

    def expr_Dict(self, node):
        if any(k is None for k in node.keys):
            self.error(node, "'**' in a dict display", "list the entries explicitly")
        return gast.Dict(keys=[self.atom(k) for k in node.keys],
                         values=[self.atom(v) for v in node.values])

    def expr_Attribute(self, node):
        field = self._result_field(node)
        if field is not None:           # `np.linalg.slogdet(a).logabsdet`: its item
            return self.op(gast.copy_location(gast.Subscript(
                value=node.value, slice=T.constant(field), ctx=gast.Load()), node))
        if type(node.value) is gast.Name and not node.attr.startswith("_") \
                and node.value.id in self._unbound_params:
            self.attributes_read.add(node.value.id)
            if node.value.id in self.record_params:     # a named tuple's field: its item
                record, at = self.atom(node.value), self.fresh()
                self.emit_assign(at, T.call("field_index", [T.clone(record),
                                                            T.constant(node.attr)]))
                return gast.Subscript(value=record, slice=T.name(at), ctx=gast.Load())
        elif self._may_be_a_field(node):
            self.fields_read = True
            if self.item_records:          # (maybe a named tuple that an argument holds)
                record, at = self.atom(node.value), self.fresh()
                self.emit_assign(at, T.call("field", [record, T.constant(node.attr)]))
                return T.name(at)
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name) and not self.is_local(root.id):
            self.resolve(node)  # a module constant such as np.pi: checked, kept as is
            return self.global_ref(node)
        return gast.Attribute(value=self.atom(node.value), attr=node.attr, ctx=gast.Load())

    def _may_be_a_field(self, node):
        """Whether attribute read `node` may read a named tuple's field, other than a
        parameter's (`p.w`): of a local value (`layer.W` of `for layer in layers`,
        `layers[0].W`, `net.l1.W`), by a name that no array, number, list or dict has."""
        root = node.value
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        return isinstance(root, gast.Name) and self.is_local(root.id) \
            and not node.attr.startswith("_") and node.attr not in _NOT_FIELDS

    def _result_field(self, node):
        """The index of field `node.attr` of what `node.value` returns, a call of a NumPy
        function with one argument whose result is a named tuple
        (`np.linalg.eigh(a).eigenvalues`), or holds, a name bound to such a call's value
        and to nothing else (`r = np.linalg.svd(a)`, then `r.S`); else None."""
        if node.attr not in _FIELD_NAMES:
            return None
        call = node.value
        if isinstance(call, gast.Name):
            fields = self._named_results.get(call.id)
            return fields.index(node.attr) if fields and node.attr in fields else None
        fields = self._result_fields(call)
        return fields.index(node.attr) if fields and node.attr in fields else None

    def _result_fields(self, call):
        """The field names of what `call` returns, a NumPy function's named tuple
        (`svd(a, full_matrices=False)`); else None (`svd(a, compute_uv=False)` gives S
        alone)."""
        if not isinstance(call, gast.Call) or any(
                isinstance(a, gast.Starred) for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            return None
        function = self._resolved_object(call.func)
        fields = _RESULT_FIELDS.get(function)
        if fields is None:
            return None
        try:
            given = inspect.signature(function).bind(
                *call.args, **{k.arg: k.value for k in call.keywords}).arguments
        except TypeError:        # (a call NumPy refuses: refused where it is made)
            return None
        for parameter, named in _NAMED_ONLY_WHEN.get(function, {}).items():
            value = given.get(parameter)
            if value is not None and not (isinstance(value, gast.Constant)
                                          and value.value in named):
                return None
        return fields

    @functools.cached_property
    def _unbound_params(self):
        """The parameters that the user's function never binds again."""
        tree = self.source.tree
        stored = {n.id for n in T.name_nodes(tree.body) if not isinstance(n.ctx, gast.Load)}
        return {a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs
                if a.id not in stored}

    @functools.cached_property
    def _named_results(self):
        """{name: field names}: the names the user's function binds once, to the value of a
        call whose result is a named tuple (`r = np.linalg.slogdet(a)`)."""
        tree = self.source.tree
        stores = collections.Counter(n.id for n in T.name_nodes(tree.body)
                                     if not isinstance(n.ctx, gast.Load))
        params = {a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs}
        found = {}
        for node in T.all_nodes(tree.body):
            if isinstance(node, gast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], gast.Name):
                name = node.targets[0].id
                fields = self._result_fields(node.value)
                if fields and stores[name] == 1 and name not in params:
                    found[name] = fields
        return found

    def expr_Subscript(self, node):
        return gast.Subscript(value=self.atom(node.value), slice=self.index(node.slice),
                              ctx=gast.Load())

    def index(self, node):
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.atom(p) for p in (node.lower, node.upper,
                                                                  node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.Constant):
            return T.constant(node.value)
        return self.atom(node)

    def _builtin_extremum(self, node):
        """`max` or `min` if `node` calls the builtin one, else None."""
        func = node.func
        if isinstance(func, gast.Name) and not self.is_local(func.id) and not node.keywords \
                and self.resolve(func) in (max, min):
            return func.id
        return None

    def _two_at_a_time(self, node, found):
        """`max(a, b, c)` is `max(max(a, b), c)` (the rule takes two values); `min` and
        `math.hypot` alike (`math.hypot(a)` is `math.hypot(a, 0.0)`). (`max(xs)` of one
        iterable is `largest(xs)`: see expr_Call.) `found` is what `node.func` refers to
        (`_resolved_object`'s answer)."""
        func = node.func
        if self._builtin_extremum(node) is None:
            if node.keywords or any(isinstance(a, gast.Starred) for a in node.args) \
                    or len(node.args) == 2 or not node.args or found is not math.hypot:
                return node
            if len(node.args) == 1:
                return gast.copy_location(gast.Call(func=func, args=[
                    node.args[0], T.constant(0.0)], keywords=[]), node)
        if len(node.args) > 2 and not any(isinstance(a, gast.Starred) for a in node.args):
            folded = node.args[0]
            for arg in node.args[1:]:
                folded = gast.copy_location(gast.Call(func=func, args=[folded, arg],
                                                      keywords=[]), node)
            return folded
        return node

    def _einsum_by_pairs(self, node):
        """`np.einsum("id,de,je->ij", A, B, C)` is `np.einsum("ie,je->ij",
        np.einsum("id,de->ie", A, B), C)`: two operands at a time (the rule takes two),
        each pair keeping the letters that a later operand or the output has. Other calls
        are returned as they are."""
        if len(node.args) < 4 or node.keywords or any(
                isinstance(a, gast.Starred) for a in node.args) \
                or not isinstance(node.args[0], gast.Constant) \
                or not isinstance(node.args[0].value, str) \
                or self._resolved_object(node.func) is not np.einsum:
            return node
        spec = node.args[0].value.replace(" ", "")
        inputs, arrow, output = spec.partition("->")
        inputs = inputs.split(",")
        if "." in spec or len(inputs) != len(node.args) - 1 \
                or not all(s.isalpha() for s in inputs + [output] if s):
            return node
        if not arrow:                   # (implicit: the letters met once, in order)
            letters = "".join(inputs)
            output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        folded, held = node.args[1], inputs[0]
        for j in range(1, len(inputs)):
            later = set(output).union(*inputs[j + 1:])
            kept = output if j == len(inputs) - 1 else "".join(
                dict.fromkeys(c for c in held + inputs[j] if c in later))
            pair = T.constant(f"{held},{inputs[j]}->{kept}")
            folded = gast.copy_location(gast.Call(func=node.func, args=[
                pair, folded, node.args[j + 1]], keywords=[]), node)
            held = kept
        return folded

    def _through_srcad_helper(self, node, func):
        """A call of a NumPy function whose rule cannot take it as it is, made a call of the
        helper of srcad's whose rule can; other calls are returned as they are:
        `np.meshgrid(x, y, indexing="ij")` is `meshgrid_of([x, y], indexing="ij")` and
        np.meshgrid(*xs) `meshgrid_of(xs)` (np.broadcast_arrays: `broadcast_arrays_of`): a
        rule's parameters after *args are not differentiated, a list's items are;
        `np.cov(m, y, ...)` is `cov_of_pair(m, y, ...)` (np.corrcoef: `corrcoef_of_pair`):
        np.cov's rule takes y, a parameter with a default, for a constant. `func` is what
        `node.func` refers to (`_resolved_object`'s answer)."""
        if id(func) in _LISTING_HELPERS:
            if len(node.args) == 1 and isinstance(node.args[0], gast.Starred):
                arrays = node.args[0].value                     # np.meshgrid(*xs): xs
            elif any(isinstance(a, gast.Starred) for a in node.args):
                return node
            else:
                arrays = _at(gast.List(elts=node.args, ctx=gast.Load()), node)
            return self._helper_call(node, _LISTING_HELPERS[id(func)], [arrays],
                                     node.keywords)
        if id(func) not in _PAIR_HELPERS or any(isinstance(a, gast.Starred) for a in node.args):
            return node
        args, keywords = list(node.args), list(node.keywords)
        if len(args) < 2:
            given = [k for k in keywords if k.arg == "y"]
            if not given or len(args) != 1:
                return node
            keywords.remove(given[0])
            args.append(given[0].value)
        if isinstance(args[1], gast.Constant) and args[1].value is None:
            return node
        return self._helper_call(node, _PAIR_HELPERS[id(func)], args, keywords)

    def _atleast_each(self, node):
        """`np.atleast_1d(a, b)` -> `(np.atleast_1d(a), np.atleast_1d(b))` (np.atleast_2d,
        np.atleast_3d too): the tuple NumPy gives for several arrays, each made by the call
        of one, which the rules take; else None."""
        if len(node.args) < 2 or node.keywords \
                or any(isinstance(a, gast.Starred) for a in node.args) \
                or not any(self._resolved_object(node.func) is f for f in _ATLEAST):
            return None
        return _at(gast.Tuple(elts=[_at(gast.Call(func=T.clone(node.func), args=[arg],
                                                  keywords=[]), node)
                                    for arg in node.args], ctx=gast.Load()), node)

    def _helper_call(self, node, helper, args, keywords):
        """`node`, a call, made a call of srcad's `helper` (never the user's of that name)."""
        func = _at(T.name(helper), node.func)
        func.srcad_helper = True
        return gast.copy_location(gast.Call(func=func, args=args, keywords=keywords), node)

    def expr_Call(self, node):
        if any(k.arg is None for k in node.keywords):
            self.error(node, "'**' in a call", "pass the keyword arguments one by one")
        node = self._stars_spread(node)
        decides = self._any_or_all(node)
        if decides is not None:
            return self._first_deciding(node.args[0], decides)
        looked_up = self._dict_get(node)
        if looked_up is not None:
            return self.op(looked_up)
        each = self._atleast_each(node)
        if each is not None:
            return self.op(each)
        if not self.generated and self._is_super(node):    # (super().f(x): _through_super)
            self.error(node, "super() other than in a call of a base class's method "
                       "(super().loss(w))", "read the attribute through the base class: "
                       "Base.attribute, Base.method(self, ...)")
        reader = self._resolved_object(node.func) if isinstance(node.func, gast.Name) \
            and node.func.id in _FRAME_READER_NAMES and not self.is_local(node.func.id) \
            else None
        if reader is not None and any(reader is f and (always or not node.args)
                                      for f, always in _FRAME_READERS):
            self.error(node, f"{node.func.id}(), which reads the names of the frame it runs "
                       "in (srcad's generated function runs this code, with names of its "
                       "own)", "pass the values explicitly")
        if isinstance(node.func, gast.Name) and not self.is_local(node.func.id) \
                and self._resolved_object(node.func) is sum and any(
                    isinstance(start, (gast.List, gast.Tuple, gast.ListComp))
                    for start in node.args[1:] + [k.value for k in node.keywords]):
            self.error(node, "sum(..., []) joining lists",
                       "join them with a comprehension: [y for part in parts for y in part]")
        if isinstance(node.func, gast.Name) and not self.is_local(node.func.id) and (
                among(self._resolved_object(node.func), _CONSUMERS)
                or getattr(self._resolved_object(node.func), "__module__", None) == "numpy"):
            node = gast.copy_location(gast.Call(func=node.func, args=[
                self._values_listed(a) for a in node.args], keywords=node.keywords), node)
        # (what the callee refers to, asked once: neither rewriting below changes the callee
        # or what the function's names hold)
        found = self._resolved_object(node.func)
        node = self._two_at_a_time(node, found)
        node = self._einsum_by_pairs(node)
        node = self._through_srcad_helper(node, found)
        node = self._through_class(node)
        node, packing = self._derivative_object_call(node)
        func = node.func
        called = None       # what func refers to, where the branch below looks it up
        if isinstance(func, gast.Name) and (getattr(func, "srcad_helper", False)
                                            or not self.is_local(func.id)):
            self.resolve(func)
            callee = self.global_ref(func)
        elif isinstance(func, gast.Attribute):
            root = func
            while isinstance(root, gast.Attribute) or self._module_level_item(root) \
                    and callable(self._resolved_object(root)):   # (`D["g"].generated`)
                root = root.value
            if isinstance(root, gast.Name) and not self.is_local(root.id):
                missing = self._missing_attribute(func) if self.out is not self.top else None
                if missing is not None:     # (in a branch: Python's error where it runs)
                    helper = _at(T.name("missing_attribute"), func)
                    helper.srcad_helper = True
                    return gast.Call(func=self.global_ref(helper),
                                     args=[T.constant(m) for m in missing], keywords=[])
                called = self.resolve(func)
                callee = self.global_ref(func)
            else:
                if func.attr in _MUTATING_METHODS and isinstance(func.value, gast.Name):
                    text = f"{func.value.id}.{func.attr}(...)"
                    self.writes.append((func.value.id, self.current, tuple(self.loop_stack),
                                        text))
                    self._check_shared_write(func.value.id, text)
                    self.new_items.discard(func.value.id)
                elif func.attr in _MUTATING_METHODS:      # the alias check sees names only
                    self.error(node, f"'.{func.attr}()' of a list that is not a variable",
                               f"name the list first (ys = xs[0]; ys.{func.attr}(...)), so "
                               "that srcad can check what else holds it")
                callee = gast.Attribute(value=self.atom(func.value), attr=func.attr,
                                        ctx=gast.Load())
        elif self._module_level_item(func) and callable(self._resolved_object(func)):
            callee = self.global_ref(func)    # `D["g"](x)`: the function it holds now
        elif self._module_level_item(func):
            self.error(node, f"calling {T.source_of(func)}, an item of a module-level "
                             "container that srcad cannot look up as it transforms the "
                             "function (a key other than a constant, or one the container "
                             "does not hold)",
                       f"give the function a module-level name (function = "
                       f"{T.source_of(func)}, at module level) and call that")
        else:
            self.error(node, "calling a local variable or the result of an expression",
                       "call a function defined at module level")
        if node.args and isinstance(node.args[0], gast.GeneratorExp) \
                and isinstance(func, gast.Name) and not self.is_local(func.id) \
                and among(self.resolve(func), _CONSUMERS):
            # sum(e for x in xs) is sum([e for x in xs]); sum((e for x in xs), start) too
            made = node.args[0]
            listed = gast.copy_location(gast.ListComp(elt=made.elt, generators=made.generators),
                                        made)
            node = gast.copy_location(gast.Call(func=func, args=[listed] + node.args[1:],
                                                keywords=node.keywords), node)
        if len(node.args) == 1 and [k.arg for k in node.keywords] == ["default"] \
                and isinstance(func, gast.Name) and not self.is_local(func.id) \
                and self.resolve(func) in (max, min) \
                and not isinstance(node.args[0], gast.Starred):
            # max(xs, default=d) is max(list(xs) or [d])
            items = node.args[0]
            if not isinstance(items, (gast.List, gast.ListComp)):
                items = gast.Call(func=gast.Name(id="list", ctx=gast.Load(), annotation=None,
                                                 type_comment=None), args=[items], keywords=[])
            either = gast.BoolOp(op=gast.Or(), values=[items, gast.List(
                elts=[node.keywords[0].value], ctx=gast.Load())])
            node = gast.copy_location(gast.Call(func=func, args=[
                gast.copy_location(either, node)], keywords=[]), node)
        if any(k.arg == "out" for k in node.keywords):
            self.error(node, "out= (a result written into an existing array)",
                       "assign the result instead: y = f(x)")
        if called is None:      # (asked again of None: the same answer)
            called = self._resolved_object(func)
        if any(isinstance(a, gast.Starred) for a in node.args) \
                and called is zip:     # (see _zips_of_rows_transposed)
            self.error(node, "zip(*rows) kept to read later (an iterator: empty once read)",
                       "unpack it (a, b = zip(*rows)), loop over it, or list it once: "
                       "cols = list(zip(*rows))")
        if called is np.nan_to_num and not all(
                isinstance(c, gast.Constant) and c.value is True
                for c in node.args[1:2] + [k.value for k in node.keywords if k.arg == "copy"]):
            self.error(node, "np.nan_to_num(x, copy=False) (x's NaNs and infinities replaced "
                       "in place)", "leave copy=True and use the result: y = np.nan_to_num(x)")
        args = [self.atom(a) for a in node.args]
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value)) for k in node.keywords]
        if isinstance(func, gast.Attribute) and func.attr == "pop" and _one_index(node) \
                and isinstance(func.value, gast.Name) and self.is_local(func.value.id) \
                and isinstance(callee, gast.Attribute) and isinstance(callee.value, gast.Name):
            args = [self._popped_index(callee.value, args[0])]
        extremum = self._builtin_extremum(node)
        if extremum and len(args) == 1 and not isinstance(node.args[0], gast.Starred):
            # max(xs) of one iterable: runtime.largest (np.max of numbers, else Python's)
            callee = T.name("largest" if extremum == "max" else "smallest")
        if len(args) <= 1 and not keywords and isinstance(func, gast.Name) \
                and not self.is_local(func.id) and self.resolve(func) in (list, tuple) \
                and not any(isinstance(a, gast.Starred) for a in node.args):
            if not args:                                # list(), tuple(): displays
                return (gast.List if self.resolve(func) is list else gast.Tuple)(
                    elts=[], ctx=gast.Load())
            callee = T.name("listed" if self.resolve(func) is list else "tupled")   # its rule
        # (the atoms above may have made a name local, never the reverse: `called` is what
        # func refers to still, or func is now a local's and refers to nothing global)
        if len(args) == 1 and not keywords and not isinstance(node.args[0], gast.Starred) \
                and called is np.where and self._resolved_object(func) is np.where:
            callee = T.quote_expr("np.nonzero")    # np.where(c): the indices, as np.nonzero(c)
        if len(args) > 3 and called is np.einsum and self._resolved_object(func) is np.einsum:
            self.error(node, f"np.einsum of {len(args) - 1} operands",
                       "contract two at a time: np.einsum('ij,jk->ik', A, B), then the result "
                       "with the next")
        if len(args) == 2 and not keywords and called is np.einsum \
                and self._resolved_object(func) is np.einsum \
                and isinstance(node.args[0], gast.Constant) and isinstance(node.args[0].value,
                                                                            str):
            callee = T.name("einsum_one")          # np.einsum("ii->", A): one operand
        # (at the user's call: a refusal of the callee points at it, not at its statement)
        call = at_call(gast.Call(func=callee, args=args, keywords=keywords), node)
        return call if packing is None else self._packed(call, packing)

    def _stars_spread(self, node):
        """`f(*xs)`, f a function of the user's, as `f(xs[0], xs[1])` where xs has a length
        srcad knows (`_known_length`): a display `(a, b)`, or a local that every binding
        makes a display of that length and that nothing but reads; other calls as they
        are (`*` stays refused there)."""
        if not any(isinstance(a, gast.Starred) for a in node.args) \
                or not isinstance(node.func, gast.Name) or self.is_local(node.func.id):
            return node
        fn = self._resolved_object(node.func)
        if not isinstance(fn, types.FunctionType) or getattr(fn, "__module__", None) is None \
                or fn.__module__.split(".")[0] in ("numpy", "scipy", "srcad"):
            return node
        args = []
        for arg in node.args:
            if not isinstance(arg, gast.Starred):
                args.append(arg)
                continue
            spread = arg.value
            if isinstance(spread, (gast.List, gast.Tuple)) \
                    and not any(isinstance(e, gast.Starred) for e in spread.elts):
                args.extend(spread.elts)
                continue
            length = self._known_length(spread)
            if length is None:
                return node
            args.extend(_at(gast.Subscript(value=T.load(spread), slice=T.constant(k),
                                           ctx=gast.Load()), arg) for k in range(length))
        return gast.copy_location(gast.Call(func=node.func, args=args,
                                            keywords=node.keywords), node)

    def _known_length(self, value):
        """The length of local `value` (a Name) where every binding of it is a list or
        tuple display of that length, and the function only reads it (`*xs` in a call,
        `xs[i]`, `len(xs)`, `for v in xs`): nothing may change its length. Else None."""
        if not isinstance(value, gast.Name) or not self.is_local(value.id) \
                or not self._only_assigned(value.id):
            return None
        name = value.id
        lengths = {len(v.elts) if isinstance(v, (gast.List, gast.Tuple)) and not any(
            isinstance(e, gast.Starred) for e in v.elts) else None
                   for v in self._assigned_values(name)}
        if len(lengths) != 1 or None in lengths:
            return None
        reads = set()
        for node in self.nodes():
            if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name) \
                    and node.target.id == name:
                return None
            if isinstance(node, (gast.Starred, gast.comprehension, gast.For)) \
                    or isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Load):
                part = node.iter if isinstance(node, (gast.comprehension, gast.For)) \
                    else node.value
                reads.add(id(part))
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                    and node.func.id == "len" and len(node.args) == 1:
                reads.add(id(node.args[0]))
        if any(n.id == name and isinstance(n.ctx, gast.Load) and id(n) not in reads
               for n in T.name_nodes(self.source.tree.body)):
            return None
        return lengths.pop()

    def _module_level_item(self, node):
        """Whether `node` is an item of a module-level name's list, tuple or dict (`D["g"]`,
        `cfg.fns[0]`), whatever it holds."""
        if not isinstance(node, gast.Subscript):
            return False
        root = node
        while isinstance(root, (gast.Subscript, gast.Attribute)):
            root = root.value
        return isinstance(root, gast.Name) and not self.is_local(root.id) \
            and root.id in self.namespace

    def _derivative_object_call(self, node):
        """`(call, packing)`: a call of a srcad derivative object `d` as a call of its
        generated function, `d.generated` (what srcad differentiates where a function calls
        the object), where the object's own call takes or gives something else. A jvp
        object's tangents, a tuple after the arguments, go to the tangent parameters by
        name; where the object packs what the function returns, `packing` says how
        (`_packed`): a 1-tuple `wrt` gets its one gradient in a 1-tuple ("grads";
        `value_and_grad`: "value and grads"); `grad(f, has_aux=True)` gives the gradients,
        then the aux of the pair its generated function gives first ("grads and aux",
        "..., one packed"). Other calls are returned as they are, packing None.

            d = srcad.grad(f, wrt=(0,))           j = srcad.jvp(f, wrt=(0, 1))
            g = d(w, x)                           y, t = j(a, b, (ta, tb))
        ->  v_3 = d.generated(v_1, v_2)       ->  v_5 = j.generated(v_1, v_2, vdot_m1=v_3,
            v_4 = (v_3,)                                            vdot_0=v_4)"""
        obj = self._resolved_object(node.func) if isinstance(
            node.func, (gast.Name, gast.Subscript)) and not self.generated else None
        if not isinstance(getattr(type(obj), "generated", None), property) \
                or getattr(obj, "_bound", ()):
            return node, None
        packing = None
        one = not obj.single and len(obj.wrt) == 1     # (a 1-tuple `wrt`)
        if obj.mode == "forward":
            node = self._tangents_by_name(node, obj)
        elif getattr(obj, "_aux_last", False):
            packing = "grads and aux, one packed" if one else "grads and aux"
        elif not one:
            return node, None
        else:
            packing = "value and grads" if obj.with_value else "grads"
        func = gast.Attribute(value=node.func, attr="generated", ctx=gast.Load())
        return gast.copy_location(gast.Call(func=func, args=node.args, keywords=node.keywords),
                                  node), packing

    def _packed(self, call, packing):
        """What a derivative object gives for `call` of its generated function (see
        `_derivative_object_call`)."""
        held = self.atom(Done(call))
        if packing == "grads":
            return gast.Tuple(elts=[held], ctx=gast.Load())
        value = self.atom(Done(gast.Subscript(value=held, slice=T.constant(0), ctx=gast.Load())))
        grads = self.atom(Done(gast.Subscript(value=held, slice=T.constant(1), ctx=gast.Load())))
        if packing.endswith("packed") or packing == "value and grads":
            grads = self.atom(Done(gast.Tuple(elts=[grads], ctx=gast.Load())))
        if packing.startswith("grads and aux"):    # (`grad(f, has_aux=True)`: value is a pair)
            aux = self.atom(Done(gast.Subscript(value=value, slice=T.constant(1),
                                                ctx=gast.Load())))
            return gast.Tuple(elts=[grads, aux], ctx=gast.Load())
        return gast.Tuple(elts=[value, grads], ctx=gast.Load())

    def _tangents_by_name(self, node, obj):
        """The call `j(*args, tangents)` of a jvp object `j` as its generated function takes
        it: each tangent by its parameter's name (`vdot_m1=...`)."""
        if not node.args or any(isinstance(a, gast.Starred) for a in node.args):
            self.error(node, "a jvp object's call without its tangents after the arguments",
                       "pass the arguments, then the tangent (a tuple of them for several)")
        names = list(inspect.signature(obj.generated).parameters)[
            len(inspect.signature(obj.base()).parameters) - len(obj._bound):]
        *args, given = node.args
        if obj.single:
            tangents = [given]
        elif isinstance(given, (gast.Tuple, gast.List)) and len(given.elts) == len(names) \
                and not any(isinstance(t, gast.Starred) for t in given.elts):
            tangents = given.elts
        else:
            held = self.atom(given)
            tangents = [gast.Subscript(value=held, slice=T.constant(k), ctx=gast.Load())
                        for k in range(len(names))]
        keywords = node.keywords + [gast.keyword(arg=n, value=t) for n, t in zip(names, tangents)]
        return gast.copy_location(gast.Call(func=node.func, args=args, keywords=keywords), node)

    def _through_class(self, node):
        """In a method of a module-level class, `self.predict(w)` calling a plain method of
        the class is `Model.predict(self, w)` (a static method's call `Model.predict(w)`),
        after a check that self's own `predict` is that function (`runtime.check_method`; a
        subclass may override it). Other calls are returned as they are."""
        func = node.func
        if not self.generated and isinstance(func, gast.Name) \
                and (self._callable_object(func.id) or self._called_self(func.id)):
            # `LAYER(x)` of a module-level object whose class defines __call__, or `self(x)`
            # in a method of such a class: `LAYER.__call__(x)`, which goes on as such a
            # method's call does
            func = gast.Attribute(value=func, attr="__call__", ctx=gast.Load())
            node = gast.copy_location(gast.Call(func=func, args=node.args,
                                                keywords=node.keywords), node)
        if not self.generated and isinstance(func, gast.Attribute) \
                and self._is_super(func.value):
            return self._through_super(node)
        if self.generated or not (isinstance(func, gast.Attribute)
                                  and isinstance(func.value, gast.Name)):
            return node
        args = self.source.tree.args
        params = args.posonlyargs + args.args
        if not self.is_local(func.value.id):
            owner = self._instance_class(func.value.id)   # `M.loss(w)`, M a module object
            if owner is None:
                return node
        elif not params or func.value.id != params[0].id or func.value.id in self.sites:
            return node
        else:
            owner = self.source.owner_class()
        if owner is None:
            self.before_its_class = self.source.in_class_not_yet_made()
            return node
        member = inspect.getattr_static(owner[0], func.attr, None)
        if isinstance(getattr(type(member), "generated", None), property):
            primal = getattr(member.base(), "__name__", "method")
            self.error(node, f"calling {T.source_of(func)}, a srcad derivative object that "
                             f"the class {owner[1]} holds, through an object",
                       f"call it through the class, {owner[1]}.{func.attr}"
                       f"({func.value.id}, ...), where its wrt counts self as parameter 0 "
                       f"(made as srcad.grad({primal}, wrt=1), it differentiates the "
                       "parameter after self)")
        static = isinstance(member, staticmethod)
        if not isinstance(member.__func__ if static else member, types.FunctionType):
            return node
        path = owner[1].split(".")
        if self.is_local(path[0]):      # (`Model = Other` in the method: another class)
            return node
        cls = T.name(path[0])
        for part in path[1:]:
            cls = gast.Attribute(value=cls, attr=part, ctx=gast.Load())
        self.resolve(cls)
        holder = [] if self.is_local(func.value.id) else [T.constant(func.value.id)]
        check = gast.Call(func=T.name("check_method"),
                          args=[self.atom(func.value), self.global_ref(cls),
                                T.constant(func.attr)] + holder, keywords=[])
        self.emit(gast.Expr(value=check))
        method = gast.Attribute(value=cls, attr=func.attr, ctx=gast.Load())
        args = node.args if static else [func.value] + node.args
        return gast.copy_location(gast.Call(func=method, args=args, keywords=node.keywords),
                                  node)

    def _values_listed(self, arg):
        """`d.values()` taken at once by sum, list, np.stack, ...: the list of them, as
        [d[k] for k in d.keys()] makes it, which a for statement over d.keys() reads (a
        view kept in a name follows later writes: not rewritten there)."""
        func = arg.func if isinstance(arg, gast.Call) else None
        if not (isinstance(func, gast.Attribute) and func.attr == "values" and not arg.args
                and not arg.keywords and isinstance(func.value, gast.Name)
                and self.is_local(func.value.id)):
            return arg
        key = gast.Name(id="__key", ctx=gast.Store(), annotation=None, type_comment=None)
        keys = gast.Call(func=gast.Attribute(value=T.load(func.value), attr="keys",
                                             ctx=gast.Load()), args=[], keywords=[])
        item = gast.Subscript(value=T.load(func.value), slice=T.load(key), ctx=gast.Load())
        made = gast.ListComp(elt=item, generators=[gast.comprehension(
            target=key, iter=keys, ifs=[], is_async=0)])
        for part in gast.walk(made):
            gast.copy_location(part, arg)
        return made

    def _callable_object(self, ident):
        """Whether global `ident` is an object of a module-level class of the user's whose
        `__call__` is a plain function, and no rule is registered for it (a decorator
        object, which wraps a function, is told apart by `source.opaque_wrapper`)."""
        from .rules import registry
        if self.is_local(ident) or ident not in self.namespace:
            return False
        value = self.namespace[ident]
        return not isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType,
                                      types.ModuleType)) \
            and inspect.getattr_static(value, "__wrapped__", None) is None \
            and isinstance(inspect.getattr_static(type(value), "__call__", None),
                           types.FunctionType) \
            and registry.lookup(value) is None and self._instance_class(ident) is not None

    def _called_self(self, ident):
        """Whether `ident` is the first parameter of a method of a module-level class whose
        `__call__` is a plain function (`self(x)`), not bound again in the method."""
        args = self.source.tree.args
        params = args.posonlyargs + args.args
        if not params or ident != params[0].id or ident in self.sites:
            return False
        owner = self.source.owner_class()
        return owner is not None and isinstance(
            inspect.getattr_static(owner[0], "__call__", None), types.FunctionType)

    def _is_super(self, node):
        """Whether `node` is `super()`, Python's own."""
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
            and node.func.id == "super" and not node.args and not node.keywords \
            and not self.is_local("super") and self._resolved_object(node.func) is super

    def _through_super(self, node):
        """`super().loss(w)` in a method of module-level class C: `B.loss(self, w)`, B the
        first class after C in C's method resolution order that defines loss, after a check
        that super() finds B's loss for self's class too (`runtime.check_method`: another
        class may come between C and B in a subclass's order); B must have a name in the
        module. Refused otherwise."""
        func = node.func
        params = self.source.tree.args.posonlyargs + self.source.tree.args.args
        owner = self.source.owner_class()
        hint = ("call the base class's method by name, Base.method(self, ...), where Base "
                "is a name of this module")
        if owner is None or not params or params[0].id in self.sites:
            self.error(node, "super() outside a method of a module-level class", hint)
        cls, name = owner[0], func.attr
        base = next((k for k in cls.__mro__[1:] if name in vars(k)), None)
        if base is None or not isinstance(vars(base)[name], types.FunctionType):
            self.error(node, f"super().{name}(...), which is no plain method of a base class",
                       hint)
        ref = self._class_name(base)
        if ref is None:
            self.error(node, f"super().{name}(...) of {base.__qualname__}, which has no name "
                       "in this module", hint)
        check = gast.Call(func=T.name("check_method"), args=[
            self.atom(T.name(params[0].id)), self.global_ref(ref), T.constant(name),
            T.constant("self"), self.global_ref(self._class_name(cls))], keywords=[])
        self.emit(gast.Expr(value=check))
        method = gast.Attribute(value=ref, attr=name, ctx=gast.Load())
        return gast.copy_location(gast.Call(func=method, args=[T.name(params[0].id)]
                                            + node.args, keywords=node.keywords), node)

    def _class_name(self, cls):
        """A reference to class `cls` by a name of the module (`Base`, `Outer.Inner`, or
        any global bound to it), or None."""
        path = cls.__qualname__.split(".")
        if "<locals>" not in path and not self.is_local(path[0]):
            found = self.namespace.get(path[0])
            for part in path[1:]:
                found = getattr(found, part, None)
            if found is cls:
                ref = T.name(path[0])
                for part in path[1:]:
                    ref = gast.Attribute(value=ref, attr=part, ctx=gast.Load())
                self.resolve(ref)
                return ref
        name = next((n for n, v in self.namespace.items() if v is cls and not self.is_local(n)
                     and n.isidentifier()), None)
        if name is None:
            return None
        ref = T.name(name)
        self.resolve(ref)
        return ref

    def _parameter_copied(self, value):
        """The parameter p where `value` is `p.copy()` (p bound nowhere else), or a copy of a
        name bound once to p (`v = p`); else None (copies of copies: `_parameter_sharers`)."""
        if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
                and value.func.attr == "copy" and not value.args and not value.keywords
                and isinstance(value.func.value, gast.Name)):
            return None
        name = value.func.value.id
        values = self._assigned_values(name)
        if len(values) == 1 and isinstance(values[0], gast.Name) \
                and name not in self._bound_otherwise():
            name = values[0].id                  # `v = ws; p = v.copy()`
        if name in self.parameters() and name not in self._bound_otherwise() and all(
                _copies_of(v, name) for v in self._assigned_values(name)):
            return name               # (`params = params.copy()` too: still its items)
        return None

    def _instance_class(self, ident):
        """`(class, its dotted name)` where global `ident` is an instance of a module-level
        class that the function can name (`Model`, `Outer.Inner`, `models.Model` through a
        module it imported), else None."""
        cls = type(self.namespace.get(ident))
        path = cls.__qualname__.split(".")
        if "<locals>" in path:
            return None
        if path[0] not in self.namespace:          # (the class's module by a name of it)
            module = sys.modules.get(cls.__module__)
            if not users_module(module):             # (`np`: a module, of class `module`)
                return None
            names = sorted(name for name, value in self.namespace.items() if value is module)
            if not names:
                return None
            path = names[:1] + path
        if self.is_local(path[0]):
            return None
        found = self.namespace[path[0]]
        for part in path[1:]:
            found = getattr(found, part, None)
        return (cls, ".".join(path)) if found is cls else None

    def expr_ListComp(self, node):
        """`[e for x in xs if c]` -> v = []; for x in xs: if c: v.append(e)."""
        def append(holder, inside):
            return gast.Expr(value=gast.Call(
                func=gast.Attribute(value=T.name(holder), attr="append", ctx=gast.Load()),
                args=[inside(node.elt)], keywords=[]))
        return self._comprehension(node, gast.List(elts=[], ctx=gast.Load()), append)

    def expr_DictComp(self, node):
        """`{k: e for x in xs if c}` -> v = {}; for x in xs: if c: v[k] = e."""
        def store(holder, inside):
            item = gast.copy_location(gast.Subscript(value=T.name(holder), slice=inside(node.key),
                                                     ctx=gast.Store()), node)
            return gast.Assign(targets=[item], value=inside(node.value), type_comment=None)
        return self._comprehension(node, gast.Dict(keys=[], values=[]), store)

    def _any_or_all(self, node):
        """For `any(e for x in xs)` (one `for`, conditions allowed) True, for `all(...)`
        False: the value a true (false) item decides; else None."""
        if len(node.args) == 1 and not node.keywords and isinstance(node.func, gast.Name) \
                and isinstance(node.args[0], gast.GeneratorExp) \
                and len(node.args[0].generators) == 1 and not self.is_local(node.func.id):
            function = self._resolved_object(node.func)
            if function is any or function is all:
                return function is any
        return None

    def _first_deciding(self, node, decides):
        """`any(e for x in xs)` -> v = False; for x in xs: if e: v = True; break (`all`:
        v = True; ... if not e: v = False; break): the loop stops at the first item that
        decides, as the generator does (a later item is never made)."""
        def decide(holder, inside):
            test = inside(node.elt)
            if not decides:
                test = gast.UnaryOp(op=gast.Not(), operand=test)
            return gast.If(test=test, body=[
                gast.Assign(targets=[T.name(holder, store=True)],
                            value=T.constant(decides), type_comment=None),
                gast.Break()], orelse=[])
        return self._comprehension(node, T.constant(not decides), decide)

    def _comprehension(self, node, empty, store):
        """The loop a comprehension stands for, made here; its value's name. `empty` is
        the new list or dict; `store(holder, inside)` the statement that puts one item in
        it (`inside` renames the comprehension's variables apart in an expression)."""
        result = self.fresh()
        self.homes.add(result)
        # the list's name while its loop is made: one per comprehension, as an inner one
        # (in `e`) is made while the outer one's append is still to come
        holder = f"__result_{result}__"
        self.emit_assign(result, empty)
        # its variables are its own (Python 3): renamed apart from the function's names, in
        # all but the first iterable, which is read where the comprehension stands
        private = {n.id: f"{n.id}__{result}" for generator in node.generators
                   for n in gast.walk(generator.target) if isinstance(n, gast.Name)}

        def inside(tree):
            copy = T.clone(tree)
            for n in gast.walk(copy):
                if isinstance(n, gast.Name) and n.id in private:
                    n.id = private[n.id]
            return copy
        loop_body = [store(holder, inside)]
        for k in range(len(node.generators) - 1, -1, -1):
            generator = node.generators[k]
            if generator.is_async:
                self.error(node, "async comprehensions", "use a plain loop")
            for cond in reversed(generator.ifs):
                loop_body = [gast.If(test=inside(cond), body=loop_body, orelse=[])]
            loop_body = [gast.For(target=inside(generator.target),
                                  iter=generator.iter if k == 0 else inside(generator.iter),
                                  body=loop_body, orelse=[], type_comment=None)]
        for synthetic in gast.walk(loop_body[0]):
            if isinstance(synthetic, (gast.For, gast.If, gast.Expr, gast.Assign)):
                gast.copy_location(synthetic, node)
        # comprehension variables are local to the comprehension: home them
        for n in gast.walk(loop_body[0]):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                self.homed.add(n.id)
                self.sites[n.id] = self.sites.get(n.id, 0) + 2
        self.env[holder] = T.name(result)
        self.home[holder] = result
        self.sites[holder] = 2
        saved_current = self.current
        self.stmt_For(loop_body[0])
        self.current = saved_current
        return T.name(result)

    # ----- names outside the function -----

    def _guard_holder(self, node, holder):
        """`node` (a name or a dotted name outside the function) refers to `holder`, an
        object whose attribute the derivative was made for: a guard's too (`cfg =
        Cfg(np.tanh)`, `box.cfg = ...` later make the derivative again)."""
        if isinstance(node, gast.Name) and node.id in self.namespace:
            self.namespace.looked_up[self.namespace.renamed.get(node.id, node.id)] = holder
        elif isinstance(node, gast.Attribute):
            parent = self.resolve(node.value)
            if (not isinstance(parent, types.ModuleType) or users_module(parent)) and not any(
                    b is parent and a == node.attr for b, a, _ in self.namespace.members):
                self.namespace.members.append((parent, node.attr, holder))
                self._guard_holder(node.value, parent)

    def _guard_item(self, node, container, held):
        """`node`, `D["g"]`, holds `held[1]` at key `held[0]` of `container`: a guard's
        (`D["g"] = other`, `D = {...}` later make the derivative again)."""
        if not any(c is container and k == held[0] for c, k, _ in self.namespace.held_items):
            self.namespace.held_items.append((container, *held))
        if isinstance(node.value, gast.Subscript):
            self._guard_item(node.value, self.resolve(node.value.value),
                             T.item_held(self.resolve(node.value.value), node.value.slice))
        else:
            self._guard_holder(node.value, container)

    def resolve(self, node):
        """The object a non-local name or dotted name refers to (module constants, np.sin)."""
        if isinstance(node, gast.Name):
            if getattr(node, "srcad_helper", False):     # (see _writes_by_calls)
                return self.reserved.get(node.id) or getattr(runtime, node.id)
            if node.id in self.namespace:
                return self.namespace.function(node.id)
            if hasattr(builtins, node.id):
                return getattr(builtins, node.id)
            self.error(node, f"the undefined name '{node.id}'", "define it at module level")
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            try:
                value = getattr(base, node.attr)
            except AttributeError:
                self.error(node, f"'{T.source_of(node)}' (no such attribute)",
                           "check the spelling of the function")
            base_is_users = users_module(base)
            if base_is_users and isinstance(node.value, gast.Name) \
                    and node.value.id in self.namespace:
                # (a guard's: `mod = other_module` later makes the derivative again)
                self.namespace.looked_up[self.namespace.renamed.get(
                    node.value.id, node.value.id)] = base
            if ((isinstance(base, type) or base_is_users)
                    and isinstance(value, types.FunctionType) or users_module(value)
                    or not isinstance(base, (type, types.ModuleType)) and callable(value)
                    and getattr(base, node.attr, None) is value) \
                    and not any(b is base and a == node.attr
                                for b, a, _ in self.namespace.members):
                # (a guard's: `helpers.act = act2`, `BOX.mod = other`, `cfg.act = np.sin`
                # (an object's attribute: not a bound method, made anew on each look-up)
                # later make the derivative again)
                self.namespace.members.append((base, node.attr, value))
                self._guard_holder(node.value, base)
            return value
        if isinstance(node, gast.Subscript):     # `D["g"]`, a function a call reads
            container = self.resolve(node.value)
            held = T.item_held(container, node.slice)
            if held is None:
                self.error(node, f"'{T.source_of(node)}' (no such item)",
                           "check the key or index")
            if callable(held[1]):
                self._guard_item(node, container, held)
            return held[1]
        return None


def _into_an_item_of_an_item(stmt):
    """Whether `stmt` is an assignment or an augmented assignment into an item of an item
    (`p[k][i] = v`, `p[k][i] += v`)."""
    kind = type(stmt)
    target = stmt.targets[0] if kind is gast.Assign and len(stmt.targets) == 1 \
        else stmt.target if kind is gast.AugAssign else None
    return type(target) is gast.Subscript and type(target.value) is gast.Subscript


def _targets_of(statements):
    """The targets of those of `statements` that bind names (assignments, loops, `with ...
    as`, `except ... as`): where statements store names."""
    targets = []
    for stmt in statements:
        kind = type(stmt)
        if kind is gast.Assign:
            targets.extend(stmt.targets)
        elif kind in _ONE_TARGET:
            targets.append(stmt.target)
        elif kind in _WITH:
            targets.extend(item.optional_vars for item in stmt.items)
        elif kind is gast.ExceptHandler:
            targets.append(stmt.name)
    return [target for target in targets if target is not None]


def _statements_in(tree):
    """`tree` (a function definition, or a statement) and every statement in it, nested
    ones included, parents before children in source order: what `T.all_nodes` finds of
    them (and the except handlers and match cases, which hold statements), without a look
    into any expression."""
    found = []
    todo = [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if type(node) in _HOLD_NO_STATEMENTS:
            continue
        for field in _STATEMENT_FIELDS_LAST_FIRST:
            block = getattr(node, field, None)
            if block:
                todo.extend(reversed(block))
    return found


# the fields that hold statements (or except handlers, or match cases, which hold them), in
# the order of the classes' fields, last first: a walk's stack pops the first one first
_STATEMENT_FIELDS_LAST_FIRST = ("cases", "finalbody", "orelse", "handlers", "body")
# the commonest statements, which hold none
_HOLD_NO_STATEMENTS = {gast.Assign, gast.AugAssign, gast.Expr, gast.Return}
# the statements with one target, and those whose items may bind names (`as f`)
_ONE_TARGET = {gast.AugAssign, gast.AnnAssign, gast.For, gast.AsyncFor}
_WITH = {gast.With, gast.AsyncWith}


def _flag_loop_elses(tree):
    """`for ...: ... break ... else: E` -> `flag = False; for ...: ... flag = True; break
    ...; if not flag: E` (and `while` alike), in the user's function `tree`: the `else` of a
    loop runs when no `break` of its own ended it."""
    count = 0
    todo = [tree]
    taken = None
    while todo:
        node = todo.pop()
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            new = []
            for stmt in block:
                if isinstance(stmt, (gast.For, gast.While)) and stmt.orelse:
                    if taken is None:         # the function's own names: none is a flag
                        taken = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}
                    count += 1
                    while f"loop_broke__{count}" in taken:
                        count += 1
                    flag = f"loop_broke__{count}"
                    new.append(_located(T.assign(flag, T.constant(False)), stmt))
                    _flag_breaks(stmt.body, flag)
                    new.append(stmt)
                    test = gast.UnaryOp(op=gast.Not(), operand=T.name(flag))
                    otherwise = _located(gast.If(test=_located(test, stmt), body=stmt.orelse,
                                                 orelse=[]), stmt.orelse[0])
                    new.append(otherwise)
                    todo.append(otherwise)          # (its loops may have an else too)
                    stmt.orelse = []
                else:
                    new.append(stmt)
                if isinstance(stmt, gast.stmt):
                    todo.append(stmt)
            block[:] = new


def _flag_breaks(block, flag):
    """`flag = True` before each `break` of `block` that ends its loop: not one in an inner
    loop's body, but one in an inner loop's `else` (it runs after that loop)."""
    for k in range(len(block) - 1, -1, -1):
        stmt = block[k]
        if isinstance(stmt, gast.Break):
            block.insert(k, _located(T.assign(flag, T.constant(True)), stmt))
        elif isinstance(stmt, gast.If):
            _flag_breaks(stmt.body, flag)
            _flag_breaks(stmt.orelse, flag)
        elif isinstance(stmt, (gast.For, gast.While)):
            _flag_breaks(stmt.orelse, flag)


def _at(node, where):
    """`node` (not the nodes in it) at the source position of `where`."""
    return gast.copy_location(node, where)


def _located(node, where):
    """`node` (and the nodes in it) at the source position of `where`."""
    for inner in gast.walk(node):
        gast.copy_location(inner, where)
    return node


def _told_at(stmt, where):
    """`stmt`, made for user statement `where`, at its position (the nodes in it too) and
    told at its line, as `where` is (which may be in an inlined body: `inline.at_call`)."""
    for inner in gast.walk(stmt):
        _at(inner, where)
    return at_call(stmt, where)


def _item_expression(comprehension):
    """What a list or dict comprehension puts in its list or dict (a dict's values)."""
    return comprehension.value if isinstance(comprehension, gast.DictComp) \
        else comprehension.elt


def _same_method(found, method):
    """Whether `found` is bound method `method` (`np.add.at`: a new object each time)."""
    return type(found) is type(method) and getattr(found, "__self__", None) is method.__self__ \
        and getattr(found, "__name__", None) == method.__name__


def _new_arithmetic(value):
    """Whether arithmetic `value` makes a new number or array: not `xs + ys`, `xs * 2` of
    lists, `d | e` of dicts, which hold their operands' items (a float constant's `+` or
    `*` is no list's)."""
    return isinstance(value.op, (gast.Sub, gast.Div, gast.FloorDiv, gast.Mod, gast.Pow,
                                 gast.MatMult)) or isinstance(
        value.op, (gast.Add, gast.Mult)) and any(
        isinstance(side, gast.Constant) and type(side.value) is float
        for side in (value.left, value.right))


def _copy_call(value):
    """Whether `value` is `<expression>.copy()`, a new object."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "copy" and not value.args and not value.keywords


def _is_slot(target, holder, key):
    """Whether assignment target `target` is `holder[key]`, key a constant."""
    return isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
        and target.value.id == holder and isinstance(target.slice, gast.Constant) \
        and target.slice.value == key


def _items_taken(value):
    """Whether `value` takes items (`a[i]`, `a[i], b[j]`, `a[i - 1, j] if i > 0 else
    0.0`), which are numbers where they are elements (analysis.check_items)."""
    if isinstance(value, gast.IfExp):
        return all(_items_taken(v) or isinstance(v, gast.Constant) and type(v.value) in (
            int, float) for v in (value.body, value.orelse)) and not all(
                isinstance(v, gast.Constant) for v in (value.body, value.orelse))
    return isinstance(value, gast.Subscript) or isinstance(value, (gast.Tuple, gast.List)) \
        and all(isinstance(e, gast.Subscript) for e in value.elts)


def _copies_of(value, name):
    """Whether `value` is `name.copy()`."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "copy" and not value.args and not value.keywords \
        and isinstance(value.func.value, gast.Name) and value.func.value.id == name


# builtins that read a dict without keeping it (see `_dict_kept_alone`), and its methods
# that keep it in nothing
_DICT_READERS = (len, list, tuple, sorted, dict, set, sum, print)
_DICT_METHODS = {"get", "pop", "copy", "keys", "values", "items"}


def _child_fields_of(node):
    """The fields of `node` that may hold nodes."""
    return T._CHILD_FIELDS.get(type(node), ())


def _made_by_pop(call):
    """Whether `call` is the new dict that `_dict_pops` makes for `d.pop(k)`."""
    return isinstance(call.func, gast.Name) and call.func.id == "restored_item" \
        and getattr(call.func, "srcad_helper", False)


def _pops_lifted(tree, local_dicts, fresh):
    """`... d.pop(k) ...` in an expression -> `popped = d.pop(k)` before its statement, and
    `... popped ...`, in the user's function `tree`, for a local dict d (in `local_dicts`):
    the statement `_dict_pops` makes a new dict of. Only where Python pops before it reads
    d anywhere else in the statement and pops once, always: the pop is in the value of an
    assignment (or `+=`, whose target does not read d), an expression statement, a
    `return` or an `if`'s test, in no conditional expression, `and`, `or`, comprehension
    or lambda, and every other mention of d there comes after it. `fresh(base)`: a new
    name."""
    conditional = (gast.IfExp, gast.BoolOp, gast.Lambda, gast.ListComp, gast.SetComp,
                   gast.DictComp, gast.GeneratorExp)
    for block in T.blocks(tree):
        k = 0
        while k < len(block):
            stmt = block[k]
            value = stmt.test if type(stmt) is gast.If else getattr(stmt, "value", None) \
                if type(stmt) in (gast.Assign, gast.AugAssign, gast.Expr, gast.Return) \
                else None
            found = None if value is None else _first_pop(value, local_dicts, conditional)
            if found is None or type(stmt) is gast.AugAssign and any(
                    n.id == found.func.value.id for n in T.name_nodes(stmt.target)):
                k += 1
                continue
            popped = _located(T.name(fresh(f"{found.func.value.id}__popped")), found)
            for parent in gast.walk(value):
                for field in T.child_fields(type(parent)):
                    inner = getattr(parent, field, None)
                    if inner is found:
                        setattr(parent, field, popped)
                    elif type(inner) is list:
                        inner[:] = [popped if n is found else n for n in inner]
            if value is found:
                if type(stmt) is gast.If:
                    stmt.test = popped
                else:
                    stmt.value = popped
            block.insert(k, _at(gast.Assign(targets=[_located(T.name(popped.id, store=True),
                                                              found)],
                                            value=found, type_comment=None), stmt))
            k += 1


def _first_pop(value, local_dicts, conditional):
    """The `d.pop(k)` call in expression `value` (not all of it) that `_pops_lifted` lifts:
    of a local dict, the first mention of d in source order, where it is sure to run."""
    calls = [n for n in gast.walk(value) if isinstance(n, gast.Call)
             and isinstance(n.func, gast.Attribute) and n.func.attr == "pop"
             and isinstance(n.func.value, gast.Name) and n.func.value.id in local_dicts]
    if isinstance(value, gast.Call) and calls and calls[0] is value:
        return None                         # (`v = d.pop(k)`: `_dict_pops` reads it as it is)
    for call in calls:
        name = call.func.value.id
        mentions = [n for n in T.name_nodes(value) if n.id == name]
        if any(not hasattr(n, "lineno") for n in mentions):
            continue                        # (made by srcad: where Python reads it unknown)
        first = min(mentions, key=lambda n: (n.lineno, n.col_offset))
        if first is call.func.value and not any(
                isinstance(n, conditional) and any(m is call for m in gast.walk(n))
                for n in gast.walk(value)):
            return call
    return None


def _dict_popped(value):
    """Whether `value` is the dict without a key that `_dict_pops` makes for `d.pop(k)`
    (or for `d.pop(k, default)`: that, or d as it is)."""
    if isinstance(value, gast.IfExp):
        value = value.body
    return isinstance(value, gast.Call) and _made_by_pop(value)


def _changes_name(body, name):
    """Whether statements `body` call `name.pop(...)` or bind `name` again."""
    return any(isinstance(n, gast.Name) and n.id == name and not isinstance(n.ctx, gast.Load)
               or isinstance(n, gast.Attribute) and n.attr == "pop"
               and isinstance(n.value, gast.Name) and n.value.id == name
               for n in T.all_nodes(body))


def _returns_with_aux(source):
    """For `has_aux=True`: each `return loss, aux` of the user's function (a pair written
    out, as jax.grad reads such a function) becomes `value = loss; aux_ = aux; return
    value`, in the user's function, of fresh names: the IR returns the loss, and aux_
    holds what the function hands back beside it (the same name at each return). A return
    of what a function of the user's returns, which writes out such pairs, hands its pair
    on (`_returns_callees_pair`). Returns that name and the names of those functions;
    refuses a return of anything else, and a function that may end without one."""
    tree = source.tree
    taken = {n.id for n in T.name_nodes(tree)}
    value, aux = _fresh_name("value_", taken), _fresh_name("aux_", taken)
    partial = getattr(source.fn, "srcad_partial", None)
    pair_name = _fresh_name("pair_", taken)
    callees = []
    if partial is not None:
        _partial_pair_written_out(source, partial, pair_name)
    for block in _own_blocks(tree):
        for k in range(len(block) - 1, -1, -1):
            stmt = block[k]
            if not isinstance(stmt, gast.Return):
                continue
            got = []
            if _returns_callees_pair(source, stmt):     # `return loss_fn(p, batch)`
                callees.append(stmt.value.func.id)
                got = [gast.copy_location(T.assign(pair_name, stmt.value), stmt)]
                gast.copy_location(got[0].targets[0], stmt)
                stmt = gast.copy_location(gast.Return(value=_items_of_pair(pair_name)), stmt)
            pair = _aux_pair(source, stmt)
            new = [T.assign(value, pair.elts[0]), T.assign(aux, pair.elts[1]),
                   gast.Return(value=T.name(value))]
            for node in (new[0], new[0].targets[0], new[1], new[1].targets[0], new[2],
                         new[2].value):   # (at the return's line; the expressions keep theirs)
                gast.copy_location(node, stmt)
            block[k:k + 1] = got + new
    _ends_in_aux_pairs(source)
    return aux, callees


_AUX_HINT = "write `return loss, aux` at each return: the value to differentiate, then " \
            "what the function hands back beside it"


def _aux_pair(source, stmt):
    """The pair `(loss, aux)` that return `stmt` of `source`'s function writes out; refused
    where it returns anything else."""
    pair = stmt.value
    if not isinstance(pair, gast.Tuple) or len(pair.elts) != 2 \
            or any(isinstance(e, gast.Starred) for e in pair.elts):
        raise UnsupportedError(
            "with has_aux=True, srcad needs each return to give a pair (loss, aux) "
            "written out", source.location(stmt), hint=_AUX_HINT)
    if isinstance(pair.elts[1], gast.Lambda):
        raise UnsupportedError(
            "with has_aux=True, srcad hands back values as aux, not a lambda",
            source.location(pair.elts[1]),
            hint="return the values the lambda reads as aux, and make the function from "
                 "them where it is called")
    return pair


def _returns_callees_pair(source, stmt):
    """Whether return `stmt` of `source`'s function (`lambda p: loss_fn(p, batch)`, as jax
    users write it) returns what a module-level function of the user's returns, which
    writes out a pair `(loss, aux)` at each return (checked there, in its own file)."""
    call = stmt.value
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)) \
            or any(isinstance(n, gast.Name) and n.id == call.func.id
                   and not isinstance(n.ctx, gast.Load) for n in T.name_nodes(source.tree)):
        return False
    func = source.namespace().get(call.func.id)
    if not isinstance(func, types.FunctionType) or func is source.fn \
            or str(func.__module__).startswith(("srcad", "numpy")):
        return False
    _check_pairs_written_out(function_source(func))
    return True


def _check_pairs_written_out(source):
    """Refuse `source`'s function (one whose pair a has_aux function hands on) where a
    return gives no pair written out, or a path may end without a return."""
    for block in _own_blocks(source.tree):
        for stmt in block:
            if isinstance(stmt, gast.Return):
                _aux_pair(source, stmt)
    _ends_in_aux_pairs(source)


def _items_of_pair(name):
    """`(name[0], name[1])`: the pair that `name` holds, written out."""
    return T.tuple_of([gast.Subscript(value=T.name(name), slice=T.constant(i),
                                      ctx=gast.Load()) for i in (0, 1)])


def _ends_in_aux_pairs(source):
    """Refuse `source`'s function where a path through it may end without a return."""
    tree = source.tree
    if not _ends_in_return(tree.body):
        raise UnsupportedError(
            f"with has_aux=True, srcad needs {tree.name} to end in a return of a pair "
            "(loss, aux) on every path", source.location(tree.body[-1]), hint=_AUX_HINT)


def _partial_pair_written_out(source, partial, pair):
    """A functools.partial's function (`source`: srcad's wrapper, `return f(...)`) with
    has_aux=True: where f returns a pair written out at each return (checked there, in
    the user's file), the wrapper's return becomes `pair_ = f(...); return pair_[0],
    pair_[1]`, a pair written out too."""
    func = partial.func
    _check_pairs_written_out(function_source(
        func.__func__ if isinstance(func, types.MethodType) else func))
    body = source.tree.body
    got = T.assign(pair, body[-1].value)
    body[-1:] = [gast.copy_location(got, body[-1]),
                 gast.copy_location(gast.Return(value=_items_of_pair(pair)), body[-1])]


_NO_BLOCKS = {gast.Assign, gast.AugAssign, gast.Expr, gast.Return}   # statements that hold
                                                                     # no statements


def _own_blocks(tree):
    """The statement lists of function `tree`, nested ones included, but not those of the
    functions and classes defined in it."""
    todo = [tree.body]
    while todo:
        block = todo.pop()
        yield block
        for stmt in block:
            if type(stmt) in _NO_BLOCKS:
                continue              # (the commonest statements: no blocks to look for)
            if not isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
                todo.extend(inner for inner in (getattr(stmt, "body", None),
                                                getattr(stmt, "orelse", None),
                                                getattr(stmt, "finalbody", None)) if inner)
                todo.extend(h.body for h in getattr(stmt, "handlers", ()))


def _ends_in_return(block):
    """Whether every path through `block` ends in a `return` (or a `raise`)."""
    last = block[-1] if block else None
    if isinstance(last, gast.If):
        return _ends_in_return(last.body) and _ends_in_return(last.orelse)
    return isinstance(last, (gast.Return, gast.Raise))


def _copied_names(value):
    """The names whose items `value` may hold as a shallow copy: `xs.copy()`, `{} | d`,
    `d | e`, `ws * 2`."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr == "copy" and not value.args \
            and isinstance(value.func.value, gast.Name):
        return [value.func.value.id]
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.BitOr, gast.Add,
                                                                gast.Mult)):
        # `d | e`, `xs + ys`, `ws * 2` (lists: the same objects; arrays: a new one, which
        # the check where it runs lets through)
        return [side.id for side in (value.left, value.right) if isinstance(side, gast.Name)]
    return []


def _display_parts(value):
    """The items of a list, tuple or dict display, else none."""
    if isinstance(value, (gast.List, gast.Tuple)):
        return value.elts
    return value.values if isinstance(value, gast.Dict) else []


def _stored_in(node):
    """`(holder, value)` where statement or expression `node` puts `value` in list or dict
    `holder` (`holder[k] = value`, `holder.append(value)`); else None."""
    if isinstance(node, gast.Assign) and len(node.targets) == 1 \
            and isinstance(node.targets[0], gast.Subscript) \
            and isinstance(node.targets[0].value, gast.Name):
        return node.targets[0].value.id, node.value
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
            and node.func.attr in ("append", "insert") and node.args \
            and isinstance(node.func.value, gast.Name):
        return node.func.value.id, node.args[-1]
    return None


def _dict_calls_as_displays(tree):
    """`dict(w=a, b=c)` -> `{"w": a, "b": c}` in the user's function `tree` (where nothing
    there binds the name dict): the same dict, which srcad knows as a display."""
    named = [n for n in T.name_nodes(tree) if n.id == "dict"]
    if not named or any(not isinstance(n.ctx, gast.Load) for n in named):
        return

    class Displays(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, gast.Name) and node.func.id == "dict" and not node.args \
                    and node.keywords and all(k.arg is not None for k in node.keywords):
                return gast.copy_location(gast.Dict(
                    keys=[gast.copy_location(gast.Constant(value=k.arg, kind=None), k.value)
                          for k in node.keywords],
                    values=[k.value for k in node.keywords]), node)
            return node

    Displays().visit(tree)


def _zips_of_rows_transposed(tree, namespace):
    """`zip(*rows)` -> `transposed(rows)` (`runtime.transposed`: the same tuples, listed,
    which its rule differentiates) in the user's function `tree` (where nothing there binds
    the name zip), where the zip is read once as it is made: unpacked (`a, b = zip(*rows)`),
    looped over (`for a, b in zip(*rows)`, also in enumerate(...) and comprehensions) or
    listed (`list(zip(*rows))`). Elsewhere (`z = zip(*rows)`, read twice: empty the second
    time; `a, b = c, d = zip(*rows)`: the second finds it empty) the `*` stays, and is
    refused."""
    bound = {n.id for n in T.name_nodes(tree) if not isinstance(n.ctx, gast.Load)}

    def builtin(func, *names):
        return isinstance(func, gast.Name) and func.id in names \
            and func.id not in namespace and func.id not in bound

    def read_once(node):                # where a zip made here is read once, as it is made
        if isinstance(node, gast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], (gast.Tuple, gast.List)):
            return [node.value]
        if isinstance(node, (gast.For, gast.comprehension)):
            it = node.iter
            inner = it.args[:1] if isinstance(it, gast.Call) and builtin(it.func, "enumerate") \
                else []
            return [it] + inner
        if isinstance(node, gast.Call) and builtin(node.func, "list", "tuple") \
                and len(node.args) == 1 and not node.keywords:
            return node.args
        return []

    for node in gast.walk(tree):
        for call in read_once(node):
            if isinstance(call, gast.Call) and builtin(call.func, "zip") and not call.keywords \
                    and len(call.args) == 1 and isinstance(call.args[0], gast.Starred):
                helper = _at(T.name("transposed"), call.func)
                helper.srcad_helper = True          # (resolved to srcad's, not the user's)
                call.func, call.args = helper, [call.args[0].value]


def _records_as_names(tree, namespace, replaces=True):
    """`p = Params(w, b)` of a plain dataclass or named tuple (`_record_class`) -> `p__w =
    w; p__b = b`, and each `p.w` -> `p__w`, in the user's function `tree`, where every
    statement that binds p makes an object of that class (`p = Params(...)` again in a time
    loop, or `p = replace(p, ...)`: `_replaces_as_records`) and p is read only for its
    fields (written too, unless the class is frozen; a named tuple's unpacked, `w, b = p`,
    or indexed, `p[0]`, too): p's fields are then names of their own, holding the objects
    they would hold, which srcad differentiates (an object's fields it does not) and loops
    carry as they carry other names. A field that is a record in turn (`Outer(Params(w, b),
    2.0)`) becomes names in the next round. Where p is passed on, returned or its methods
    are called, it stays the object it is (refused where it varies). `replaces`: whether
    the function's text may call replace (or `_replace`)."""
    named = {}         # the name of each field -> how the user writes it ("p.w")
    _annotations_dropped(tree)
    while True:
        if replaces:                    # (`replace(o.p, ...)`: once o.p is a name)
            _replaces_as_records(tree, namespace)
        if not any(_record_call(stmt, _BINDS_NOTHING, namespace)
                   for stmt in _statements_in(tree)):
            return named        # (no call of a record class at all: no need to count names)
        nodes = T.name_nodes(tree)
        stores = collections.Counter(n.id for n in nodes if not isinstance(n.ctx, gast.Load))
        taken = {n.id for n in nodes} | set(namespace)
        made = next((found for block in T.blocks(tree) for stmt in block
                     if (found := _record_made(stmt, stores, namespace, tree))), None)
        if made is None:
            return named
        name, cls, bindings = made
        fields, _, tuple_like = _record_class(cls)
        fresh = {}
        for field in fields:
            fresh[field] = _fresh_name(f"{name}__{field}", taken)
            named[fresh[field]] = f"{named.get(name, name)}.{field}"   # (`o.p.w`)
        _FieldsAsNames(name, fresh, list(fields) if tuple_like else None).visit(tree)
        for block in T.blocks(tree):
            for k in reversed(range(len(block))):
                if any(block[k] is stmt for stmt in bindings):
                    block[k:k + 1] = _fields_bound(block[k], cls, fresh)


def _annotations_dropped(tree):
    """`state: State = State(x, v)` -> `state = State(x, v)` in the user's function `tree`
    (not in functions defined in it): Python does not evaluate the annotation of a local,
    and normalises the statement as the assignment (`stmt_AnnAssign`), which
    `_records_as_names` reads."""
    for block in _own_blocks(tree):
        block[:] = [_at(T.assign(stmt.target, stmt.value), stmt)
                    if isinstance(stmt, gast.AnnAssign) and stmt.value is not None
                    and stmt.simple and isinstance(stmt.target, gast.Name) else stmt
                    for stmt in block]


def _fresh_name(base, taken):
    """`base`, with as many `_`s as keep it apart from the names in `taken` (which gets
    it)."""
    while base in taken:
        base += "_"
    taken.add(base)
    return base


def _fields_bound(stmt, cls, fresh):
    """The statements that bind the fields (`fresh`: field -> its name) of the record that
    `stmt` makes (`p = Params(e, f)` -> `p__w = e; p__b = f`), in the order Python computes
    the values; where a value reads a field that an earlier one binds (`p = Params(p.w +
    p.b, p.w)`, read as `p__w + p__b, p__w`), one assignment of them all (`p__w, p__b =
    p__w + p__b, p__w`), as Python makes the object after computing its arguments
    (constants after the others: they read none; a swap, `p = Params(p.b, p.w)`, is then
    one srcad knows). `p = replace(p, w=e)` leaves p.b as it is."""
    values = [(fresh[field], value) for field, value in _record_values(stmt.value, cls)
              if not (isinstance(value, gast.Name) and value.id == fresh[field])]
    if not values:
        return [_at(gast.Pass(), stmt)]     # (`p = replace(p)`)
    if any(_reads(later, target) for k, (target, _) in enumerate(values)
           for _, later in values[k + 1:]):
        computed = [(target, value) for target, value in values
                    if not isinstance(value, gast.Constant)]    # (constants after them)
        targets = gast.Tuple(elts=[T.name(target, store=True) for target, _ in computed],
                             ctx=gast.Store())
        together = gast.Assign(targets=[_located(targets, stmt)], value=_at(gast.Tuple(
            elts=[value for _, value in computed], ctx=gast.Load()), stmt), type_comment=None)
        return [_at(together, stmt)] + [_located(T.assign(target, value), stmt)
                                        for target, value in values
                                        if isinstance(value, gast.Constant)]
    return [_located(T.assign(target, value), stmt) if isinstance(value, gast.Constant)
            else _at(T.assign(target, value), stmt) for target, value in values]


def _replaces_as_records(tree, namespace):
    """`dataclasses.replace(p, w=e)` (or `p._replace(w=e)` of a named tuple) -> `Params(w=e,
    b=p.b)` in the user's function `tree`, where every statement that binds p makes an
    object of one class that `_record_class` reads (`_record_classes`: `p = Params(...)`,
    then `p = replace(p, ...)` in a loop, or `q = replace(p, ...)`): the object replace makes
    (of p's class, the fields given, then the others read from p), made as
    `_records_as_names` reads it, and p read for its fields only."""
    nodes = T.name_nodes(tree)
    if not any(_is_replace(namespace.get(n.id)) or isinstance(namespace.get(n.id),
                                                                types.ModuleType)
               and _is_replace(vars(namespace[n.id]).get("replace")) for n in nodes) \
            and not any(isinstance(n, gast.Attribute) and n.attr == "_replace"
                        for n in gast.walk(tree)):
        return                            # (no name for it: the function calls none)
    stores = collections.Counter(n.id for n in nodes if not isinstance(n.ctx, gast.Load))
    classes = _record_classes(tree, namespace, stores)
    for call in gast.walk(tree):
        replaced = _replaced(call, namespace, stores)
        if replaced is None or replaced[0].id not in classes:
            continue
        (source, tuple_like), func = replaced, classes[replaced[0].id]
        fields, _, of_tuple = _record_class(_record_callee(func, namespace, stores))
        given = [k.arg for k in call.keywords]
        if of_tuple != tuple_like or not set(given) <= set(fields):
            continue                       # (Python's own error where it runs)
        _guard_class(func, namespace)
        read = [gast.keyword(arg=field, value=_located(gast.Attribute(
            value=T.name(source.id), attr=field, ctx=gast.Load()), call))
            for field in fields if field not in given]
        call.func = _located(T.clone(func), call.func)
        call.args, call.keywords = [], call.keywords + read


def _record_classes(tree, namespace, stores):
    """`{name: the node that names its class (`Params`, `models.Params`)}` of the names
    that every statement binding them (in function `tree`) binds to an object of one class
    that `_record_class` reads: `p = Params(...)`, or a replace of such a name or of the
    name itself (`q = replace(p, ...)`; `p = Params(...)`, then `p = replace(p, ...)` in a
    loop; `p._replace(...)`; `q = replace(p, ...)` and `p = replace(q, ...)` in one
    loop)."""
    declared = {name for n in gast.walk(tree) if isinstance(n, (gast.Global, gast.Nonlocal))
                for name in n.names}
    values = collections.defaultdict(list)      # each name -> the values that bind it
    for stmt in (stmt for block in _own_blocks(tree) for stmt in block):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id not in declared:
            values[stmt.targets[0].id].append(stmt.value)
    values = {name: made for name, made in values.items() if len(made) == stores[name]}
    kinds, sources = {}, {}      # each name -> the classes it is bound to, the names replaced
    named = {}                   # each class -> a node that names it
    for name, made in values.items():
        kinds[name], sources[name] = set(), []
        for value in made:
            cls = _record_callee(value.func, namespace, stores) \
                if isinstance(value, gast.Call) else None
            if cls is not None:
                kinds[name].add(cls)
                named.setdefault(cls, value.func)
            elif (replaced := _replaced(value, namespace, stores)) is not None:
                sources[name].append(replaced)
            else:
                kinds[name].add(None)
    changed = True
    while changed:           # (a name bound to a replace of q has q's classes too)
        changed = False
        for name, replaced in sources.items():
            more = set().union(*(kinds.get(source.id, {None}) for source, _ in replaced))
            if not more <= kinds[name]:
                kinds[name] |= more
                changed = True
    return {name: named[cls] for name, (cls,) in ((name, kinds[name]) for name in kinds
                                                  if len(kinds[name]) == 1)
            if cls is not None and all(_record_class(cls)[2] == tuple_like
                                       for _, tuple_like in sources[name])}


def _replaced(call, namespace, stores):
    """`(p, named tuple?)` where `call` is `dataclasses.replace(p, w=e, ...)` (False) or
    `p._replace(w=e, ...)` (True) of a name p, the fields given by keyword; else None."""
    if not isinstance(call, gast.Call) or any(k.arg is None for k in call.keywords):
        return None
    if isinstance(call.func, gast.Attribute) and call.func.attr == "_replace" \
            and isinstance(call.func.value, gast.Name) and not call.args:
        return call.func.value, True
    if len(call.args) == 1 and isinstance(call.args[0], gast.Name) \
            and _calls_replace(call.func, namespace, stores):
        return call.args[0], False
    return None


def _one_index(call):
    """Whether `call` (`xs.pop(...)`) passes one index, by position: `xs.pop(i)`."""
    return len(call.args) == 1 and not call.keywords \
        and not isinstance(call.args[0], gast.Starred)


def _calls_replace(func, namespace, stores):
    """Whether `func`, what a call calls, is dataclasses.replace: an attribute of a module
    (`dataclasses.replace`), or a free name bound to it (`from dataclasses import
    replace`; remembered for a guard), which the function does not bind itself
    (`stores`: how often it binds each name)."""
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        module = namespace.get(func.value.id)
        return isinstance(module, types.ModuleType) and not stores[func.value.id] \
            and _is_replace(vars(module).get(func.attr))     # (no module's __getattr__)
    if not isinstance(func, gast.Name) or not _is_replace(namespace.get(func.id)) \
            or stores[func.id]:
        return False
    namespace.function(func.id)
    return True


def _is_replace(value):
    return value is dataclasses.replace


def _record_made(stmt, stores, namespace, tree):
    """`(name, class, bindings)` where `stmt` is `name = Cls(...)` of a plain dataclass or
    named tuple Cls (`_record_class`), every statement that binds name (`bindings`, `stmt`
    among them) makes an object of Cls so, and every other mention of name reads or writes
    a field (`_records_as_names`; a named tuple's unpacks or indexes it too). None
    otherwise."""
    made = _record_call(stmt, stores, namespace)
    if made is None or any(isinstance(n, (gast.Global, gast.Nonlocal)) and made[0] in n.names
                           for n in gast.walk(tree)):
        return None          # (`global p`: the module's p, which srcad refuses to assign)
    name, cls = made
    bindings = [other for block in T.blocks(tree) for other in block
                if (_record_call(other, stores, namespace) or (None,))[0] == name]
    if len(bindings) != stores[name] or any(
            _record_call(other, stores, namespace)[1] is not cls
            or _record_values(other.value, cls) is None for other in bindings):
        return None
    if len(bindings) == 1 and any(n.id == name for n in T.name_nodes(stmt.value)):
        return None         # (`p = Params(p.b, p.w)` in a loop reads p's fields as it sets them)
    fields, frozen, tuple_like = _record_class(cls)
    mentions = [n for n in T.name_nodes(tree) if n.id == name]
    reads = [n for n in gast.walk(tree) if isinstance(n, gast.Attribute)
             and isinstance(n.value, gast.Name) and n.value.id == name]
    whole = _records_read_whole(tree, name, len(fields)) if tuple_like else []
    if len(reads) + len(whole) != len(mentions) - len(bindings) or any(
            n.attr not in fields or isinstance(n.ctx, gast.Del)
            or frozen and not isinstance(n.ctx, gast.Load) for n in reads):
        return None
    for other in bindings:
        _guard_class(other.value.func, namespace)
    return name, cls, bindings


_BINDS_NOTHING = collections.Counter()   # `stores` of a function that binds no name


def _record_call(stmt, stores, namespace):
    """`(name, class)` where `stmt` is `name = Cls(...)` (or `models.Cls(...)`) of a class
    that `_record_class` reads (`_record_callee`); else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call)):
        return None
    cls = _record_callee(stmt.value.func, namespace, stores)
    return None if cls is None else (stmt.targets[0].id, cls)


def _record_callee(func, namespace, stores):
    """The class that `func`, what a call calls, names where `_record_class` reads it: a
    free name (`Params`) or an attribute of a module (`models.Params`), which the function
    does not bind itself (`stores`: how often it binds each name); else None."""
    if isinstance(func, gast.Name) and not stores[func.id]:
        cls = namespace.get(func.id)
    elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and not stores[func.value.id] \
            and isinstance(namespace.get(func.value.id), types.ModuleType):
        cls = vars(namespace[func.value.id]).get(func.attr)     # (no module's __getattr__)
    else:
        return None
    return cls if _record_class(cls) is not None else None


def _guard_class(func, namespace):
    """A guard's for the class a free name names (`Params = Other` later makes the
    derivative again); a module's attribute is read as srcad reads the others."""
    if isinstance(func, gast.Name):
        namespace.function(func.id)


def _record_values(call, cls):
    """`[(field, value), ...]` that `call` of record class `cls` gives its fields, in the
    order Python computes them (the arguments as written, then the defaults left); None
    where the call is not one whose values srcad can tell (`*args`, a default that is no
    number) or would fail."""
    if any(isinstance(a, gast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    try:
        bound = inspect.signature(cls).bind(
            *range(len(call.args)), **{k.arg: k.arg for k in call.keywords})
    except TypeError:                      # (Python's own error where it runs)
        return None
    given = {v: field for field, v in bound.arguments.items()}
    values = [(given[k], a) for k, a in enumerate(call.args)] \
        + [(k.arg, k.value) for k in call.keywords]
    for field, default in _record_class(cls)[0].items():
        if field not in bound.arguments:
            if type(default) not in (int, float, bool, str, type(None)):
                return None                # (a factory's, an array's: read by the object)
            values.append((field, T.constant(default)))
    return values


def _records_read_whole(tree, name, size):
    """The mentions of named tuple `name` (of `size` fields) in `tree` that read its items
    as a tuple's: unpacked (`w, b = p`) or indexed by a number (`p[0]`, `p[-1]`)."""
    found = []
    for node in gast.walk(tree):
        if isinstance(node, gast.Assign) and isinstance(node.value, gast.Name) \
                and node.value.id == name and len(node.targets) == 1 \
                and isinstance(node.targets[0], (gast.Tuple, gast.List)) \
                and len(node.targets[0].elts) == size \
                and not any(isinstance(e, gast.Starred) for e in node.targets[0].elts):
            found.append(node.value)
        elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                and node.value.id == name and isinstance(node.ctx, gast.Load) \
                and _constant_index(node.slice) is not None \
                and -size <= _constant_index(node.slice) < size:
            found.append(node.value)
    return found


def _constant_index(node):
    """The int that `node` writes (`0`, `-1`), or None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _constant_index(node.operand)
        return -inner if inner is not None else None
    return node.value if isinstance(node, gast.Constant) and type(node.value) is int else None


def _record_class(cls):
    """`({field: default or MISSING}, frozen?, named tuple?)` of a class whose objects
    srcad can take apart into their fields: a plain dataclass (`_dataclass_fields`) or a
    named tuple (`_named_tuple_fields`); None for other objects."""
    if not isinstance(cls, type):
        return None
    record = _dataclass_fields(cls)
    if record is not None:
        return (*record, False)
    fields = _named_tuple_fields(cls)
    return None if fields is None else (fields, True, True)


def _named_tuple_fields(cls):
    """`{field: default or MISSING}` of a class that collections.namedtuple or
    typing.NamedTuple makes (methods of its own allowed), whose objects hold its fields
    only as given; None for other classes (a __new__ of their own, a property in a field's
    place)."""
    fields = inspect.getattr_static(cls, "_fields", None)
    if not issubclass(cls, tuple) or type(fields) is not tuple \
            or type(cls).__call__ is not type.__call__ \
            or inspect.getattr_static(cls, "__init__") is not object.__init__ \
            or inspect.getattr_static(cls, "__getattribute__") is not tuple.__getattribute__ \
            or inspect.getattr_static(cls, "__getattr__", None) is not None:
        return None
    new = inspect.getattr_static(cls, "__new__")
    new = getattr(new, "__func__", new)
    if getattr(getattr(new, "__code__", None), "co_filename", None) != "<string>" or any(
            type(inspect.getattr_static(cls, field, None)) is not _TUPLE_GETTER
            for field in fields):
        return None
    defaults = inspect.getattr_static(cls, "_field_defaults", {})
    return {field: defaults.get(field, dataclasses.MISSING) for field in fields}


_TUPLE_GETTER = type(inspect.getattr_static(collections.namedtuple("_Record", "field"),
                                           "field"))       # (what reads a field)


def _dataclass_fields(cls):
    """`({field: default or MISSING}, frozen?)` of a dataclass whose construction only
    sets its fields from the arguments of its generated __init__ (no __post_init__, InitVar,
    field left out of __init__, or class of its own that reads or makes its objects
    otherwise); None for other classes."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") \
            or type(cls).__call__ is not type.__call__ \
            or inspect.getattr_static(cls, "__new__") is not object.__new__ \
            or inspect.getattr_static(cls, "__getattribute__") is not object.__getattribute__ \
            or inspect.getattr_static(cls, "__getattr__", None) is not None:
        return None
    init = inspect.getattr_static(cls, "__init__")
    if getattr(getattr(init, "__code__", None), "co_filename", None) != "<string>":
        return None                        # (an __init__ of the user's)
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls).parameters)
    if any(not f.init for f in fields) or set(params) != {f.name for f in fields}:
        return None                        # (an InitVar, a field set otherwise)
    for f in fields:
        member = inspect.getattr_static(cls, f.name, None)
        if hasattr(type(member), "__set__") and not isinstance(member,
                                                               types.MemberDescriptorType):
            return None                    # (a property of the same name)
    return ({f.name: f.default for f in fields},
            cls.__dataclass_params__.frozen)


class _FieldsAsNames(gast.NodeTransformer):
    """`p.w` -> `p__w` (`fresh`: field -> its name), reading or writing as p.w did; for a
    named tuple (`fields`: its fields in order) `p[0]` -> `p__w` and `w, b = p` -> `w, b =
    p__w, p__b` too (`_records_read_whole`)."""

    def __init__(self, name, fresh, fields=None):
        self.name, self.fresh, self.fields = name, fresh, fields

    def field(self, field, where, ctx=None):
        return _at(gast.Name(id=self.fresh[field], ctx=ctx or gast.Load(), annotation=None,
                             type_comment=None), where)

    def visit_Attribute(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == self.name:
            return self.field(node.attr, node, node.ctx)
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        if self.fields and isinstance(node.value, gast.Name) and node.value.id == self.name:
            return self.field(self.fields[_constant_index(node.slice)], node)
        return self.generic_visit(node)

    def visit_Assign(self, node):
        if self.fields and isinstance(node.value, gast.Name) and node.value.id == self.name:
            node.value = _at(gast.Tuple(elts=[self.field(field, node.value)
                                              for field in self.fields], ctx=gast.Load()),
                             node.value)
        return self.generic_visit(node)


_FUNCTIONAL = {"add_at_in_place": "add_at", "set_at_in_place": "set_at"}


def _functional_updates(tree):
    """In a derivative's code differentiated again, its updates in place (in_place.py) as
    add_at and set_at, and `a = writable(a)` dropped: the same values where they run (no
    other name holds a), and what reverse mode differentiates and saves (a write in
    place would change an array that its stack holds)."""
    for block in T.blocks(tree):
        block[:] = [stmt for stmt in block if not (
            isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)
            and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == "writable")]
    for node in gast.walk(tree):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id in _FUNCTIONAL:
            node.func.id = _FUNCTIONAL[node.func.id]
            node.func.srcad_helper = True        # (what the code's namespace lacks)


def _rotations_through_temporaries(tree):
    """`t = a; a = b; b = t` -> `a, b = b, a` (and `t = a; a = b; b = c; c = t` -> `a, b, c =
    b, c, a`) in the user's function `tree`, where t is a local name that nothing else
    mentions: the same names end with the same objects, and t, which held one of them,
    is never read again. A permutation of names shares nothing (`_permutation`), where
    t would stay another name for one of the arrays. (None where fewer than three
    statements copy a name: a rotation is as many copies as names, three at least.)"""
    if sum(_name_copy(stmt) is not None for stmt in _statements_in(tree)) < 3:
        return
    mentioned = None
    for block in T.blocks(tree):
        for k in range(len(block) - 2):
            names = _rotated(block, k)
            if names is None:
                continue
            if mentioned is None:
                params = tree.args
                mentioned = collections.Counter(n.id for n in T.name_nodes(tree.body)) + \
                    collections.Counter(a.id for a in params.posonlyargs + params.args
                                        + params.kwonlyargs)
            if mentioned[names[0]] != 2:     # the temporary: its two mentions only
                continue
            last = block[k + len(names) - 1]
            rotated = names[1:]
            targets = gast.Tuple(elts=[T.name(n, store=True) for n in rotated],
                                 ctx=gast.Store())
            values = gast.Tuple(elts=[T.name(n) for n in rotated[1:] + rotated[:1]],
                                ctx=gast.Load())
            swap = gast.Assign(targets=[targets], value=values, type_comment=None)
            _located(swap, block[k])
            swap.end_lineno, swap.end_col_offset = last.end_lineno, last.end_col_offset
            block[k:k + len(names)] = [swap]
            return _rotations_through_temporaries(tree)      # (the blocks changed)


def _rotated(block, k):
    """`[t, a, b, ...]` where `block[k:]` starts with `t = a; a = b; ...; b = t` (names only,
    distinct, at least two besides t), else None."""
    first = _name_copy(block[k])
    if first is None:
        return None
    names = list(first)
    for stmt in block[k + 1:]:
        pair = _name_copy(stmt)
        if pair is None or pair[0] != names[-1]:
            return None
        if pair[1] == names[0]:
            return names if len(names) >= 3 and len(set(names)) == len(names) else None
        names.append(pair[1])
    return None


def _name_copy(stmt):
    """`(a, b)` where `stmt` is `a = b` (names only), else None."""
    if type(stmt) is gast.Assign and len(stmt.targets) == 1 \
            and type(stmt.targets[0]) is gast.Name and type(stmt.value) is gast.Name:
        return stmt.targets[0].id, stmt.value.id
    return None


def _permutation(target, value):
    """`[(a, b), (b, c), (c, a)]` for `a, b, c = b, c, a`: the targets, distinct names,
    each with the name whose object it takes, where the values are the same names in
    another order; else None."""
    if not isinstance(value, (gast.Tuple, gast.List)) or len(value.elts) != len(target.elts):
        return None
    names = [t.id for t in target.elts if isinstance(t, gast.Name)]
    sources = [v.id for v in value.elts if isinstance(v, gast.Name)]
    if len(names) != len(target.elts) or len(set(names)) != len(names) \
            or sorted(sources) != sorted(names):
        return None
    return list(zip(names, sources))


def _unpacked(target):
    """The targets a tuple or list target assigns: names, subscripts, attributes (those in
    nested tuples and starred ones too)."""
    if isinstance(target, (gast.Tuple, gast.List)):
        return [part for elt in target.elts for part in _unpacked(elt)]
    if isinstance(target, gast.Starred):
        return _unpacked(target.value)
    return [target]


def _aligned(target, value):
    """The values a tuple target's parts get, in `_unpacked`'s order, where `value` is a
    display of the same shape; else None."""
    if isinstance(target, (gast.Tuple, gast.List)):
        if not isinstance(value, (gast.Tuple, gast.List)) or len(value.elts) != len(target.elts):
            return None
        out = []
        for part, item in zip(target.elts, value.elts):
            inner = _aligned(part, item)
            if inner is None:
                return None
            out.extend(inner)
        return out
    return None if isinstance(target, gast.Starred) else [value]


def _item_of(value):
    """The name of the list or dict that `value` takes an item of (`xs[i]`, `xs.pop()`,
    `d.get(k)`), else None."""
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        return value.value.id
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr in ("pop", "get", "setdefault") \
            and isinstance(value.func.value, gast.Name):
        return value.func.value.id
    return None


def _position(node):
    return (node.lineno, node.col_offset)


def _is_stack_pop(call):
    """Whether `call` is `_stack.pop()` (a derivative's)."""
    return isinstance(call.func, gast.Attribute) and call.func.attr == "pop" \
        and isinstance(call.func.value, gast.Name) and call.func.value.id == _STACK \
        and not call.args


def _is_op(node):
    return not isinstance(node, (gast.Name, gast.Constant))


_RETURNED = {}     # id(code) -> (code, the parameters its result may share, or None)


def returned_params(fn):
    """The parameters of user function `fn` whose objects its result may share (`return a`,
    `return a[0]`, `return a.T`, `b = a; return b`), and the module arrays (`return G`), read
    from its source; None when the source cannot be read. A call of a function other than
    NumPy's counts as sharing its arguments. (A copy it returns: `returned_copies`.)"""
    if getattr(fn, "__module__", None) == "srcad.runtime":
        from .runtime import RESULT_SHARES      # (runtime imports nothing of srcad's)
        if fn.__name__ in RESULT_SHARES:
            return set(RESULT_SHARES[fn.__name__])
    return _returned(fn)[0]


def returned_copies(fn):
    """The parameters of user function `fn` whose copy (`p.copy()`) its result may be or
    hold, and that it does not share otherwise (`returned_params`): a list's or dict's copy
    holds p's objects, an array's holds its own."""
    if getattr(fn, "__module__", None) == "srcad.runtime":
        return set()
    return _returned(fn)[1] or set()


def _returned(fn):
    """`(returned_params, returned_copies)` of `fn`, read from its source once."""
    code = fn.__code__
    known = _RETURNED.get(id(code))
    if known is not None and known[0] is code:
        return known[1]
    tree = definition(fn)
    if tree is None:
        found = None, None
    else:
        namespace = fn.__globals__
        links = {}          # local name -> the names whose objects its value may share
        copy_links = {}     # ... whose copy (`p.copy()`) it may be or hold
        for node in gast.walk(tree):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    copies = set()
                    shared = _shared_names(node.value, namespace, copies)
                    for name in gast.walk(target):
                        if isinstance(name, gast.Name):
                            links.setdefault(name.id, set()).update(shared)
                            copy_links.setdefault(name.id, set()).update(copies)
            elif isinstance(node, (gast.For, gast.comprehension)):
                for name in gast.walk(node.target):
                    if isinstance(name, gast.Name):
                        links.setdefault(name.id, set()).update(
                            _shared_names(node.iter, namespace))
        todo = []           # (name, whether the result holds a copy of it)
        for node in gast.walk(tree):
            if isinstance(node, gast.Return) and node.value is not None:
                copies = set()
                todo += [(n, False) for n in _shared_names(node.value, namespace, copies)]
                todo += [(n, True) for n in copies]
        seen = set()
        while todo:
            name, copied = todo.pop()
            if (name, copied) not in seen:
                seen.add((name, copied))
                todo += [(n, copied) for n in links.get(name, ())]
                todo += [(n, True) for n in copy_links.get(name, ())]
        args = tree.args
        params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        shared = {name for name, copied in seen if not copied}
        # and the module's (or closure's) arrays it may hand back: `return G`
        held = {name for name in shared - params - set(links)
                if _may_hold_array(namespace.get(name))}
        found = (params & shared) | held, \
            params & {name for name, copied in seen if copied} - shared
    _RETURNED[id(code)] = (code, found)
    return found


def _shared_names(expr, namespace, copies=None):
    """The names whose objects the value of `expr` may share (syntactically). `copies`: a
    set that gets the names whose copy (`x.copy()`) the value is or holds, where a copy
    is a copy of the value's own (else they count as shared)."""
    def inner(node):                # (a part of the value: what it shares, it shares)
        return _shared_names(node, namespace, copies)

    def through(node):              # (what a part shares a view or item of)
        return _shared_names(node, namespace)

    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, gast.Subscript):
        if isinstance(expr.slice, (gast.List, gast.Compare, gast.BoolOp)):
            return set()
        return through(expr.value)
    if isinstance(expr, gast.Attribute):
        return set() if expr.attr in _NUMBER_ATTRIBUTES else through(expr.value)
    if isinstance(expr, (gast.Tuple, gast.List)):
        return set().union(*(inner(e) for e in expr.elts))
    if isinstance(expr, gast.Dict):
        return set().union(*(inner(v) for v in expr.values))
    if isinstance(expr, gast.IfExp):
        return inner(expr.body) | inner(expr.orelse)
    if isinstance(expr, gast.BoolOp):                 # `xs or [...]`: xs itself
        return set().union(*(inner(v) for v in expr.values))
    if isinstance(expr, gast.Starred):                # `[*xs]`: xs's items
        return through(expr.value)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Add, gast.Mult)) and any(
            isinstance(side, (gast.List, gast.Tuple, gast.ListComp))
            for side in (expr.left, expr.right)):
        return inner(expr.left) | inner(expr.right)
    if isinstance(expr, (gast.ListComp, gast.DictComp)):
        # `[w for w in ws]` holds ws's items; `[w.copy() for w in ws]` new ones
        targets = {n.id for g in expr.generators for n in gast.walk(g.target)
                   if isinstance(n, gast.Name)}
        made = set()
        direct = _shared_names(_item_expression(expr), namespace, made)
        if copies is not None:
            copies |= made - targets
        else:
            direct |= made - targets
        iterated = set().union(*(through(g.iter) for g in expr.generators))
        return direct - targets | (iterated if direct & targets else set())
    if isinstance(expr, gast.Call):
        func = _global_object(expr.func, namespace)
        if isinstance(expr.func, gast.Attribute) and func is None:     # a method: x.T()
            if expr.func.attr == "copy" and not expr.args and copies is not None:
                copies |= through(expr.func.value)
                return set()
            copy = next((k.value for k in expr.keywords if k.arg == "copy"), None)
            return through(expr.func.value) if expr.func.attr in \
                _VIEW_METHODS | _CONTAINER_METHODS or expr.func.attr == "astype" \
                and copy is not None and not _literal_true(copy) else set()
        if func in (list, tuple, dict, zip, reversed, enumerate, iter, sorted):
            # a new list of the same objects (`list(reversed(xs))`, `dict(a=y, b=z)`)
            return set().union(*(through(a) for a in expr.args),
                               *(through(k.value) for k in expr.keywords))
        if among(func, _VIEW_FUNCTIONS) and _copies(func, expr):
            return set()
        if among(func, _VIEW_FUNCTIONS):
            return set().union(*(through(a) for a in (
                expr.args if among(func, _EACH_ARGUMENT) else expr.args[:1])))
        if (returned := _returned_inputs(func, expr)) is not None:
            return set().union(*(through(a) for a in returned))
        if getattr(func, "__module__", None) in ("numpy", "math", "builtins") \
                or isinstance(func, (np.ufunc, type)):
            return set()
        return set().union(*(through(a) for a in expr.args),
                           *(through(k.value) for k in expr.keywords))
    return set()


def _bound_arguments(func, call):
    """`{parameter: argument node}` of `call` of user function `func`, or None."""
    try:
        return inspect.signature(func).bind(*call.args, **{
            k.arg: k.value for k in call.keywords if k.arg is not None}).arguments
    except TypeError:
        return None


def _returned_inputs(func, call):
    """The arguments of a call of NumPy's `func` that its result may be (or view), where
    that depends on how it is called; else None: `np.array(y, copy=False)`, einsum of one
    operand (`np.einsum("ij->ji", A)`, `np.einsum(A, [0, 1], [1, 0])`), `matrix_power(B,
    k)` (B itself for k = 1), `np.diff(y, n=k)` (y itself for n = 0)."""
    args, keywords = call.args, {k.arg: k.value for k in call.keywords}
    if func in (np.array, np.asarray) and "copy" in keywords \
            and not _literal_true(keywords["copy"]):
        return args[:1]
    if func is np.einsum:
        if args and isinstance(args[0], gast.Constant) and isinstance(args[0].value, str):
            return args[1:] if len(args) == 2 else []
        return [a for a in args[::2] if not isinstance(a, (gast.List, gast.Tuple))]
    if func is np.linalg.matrix_power:
        power = args[1] if len(args) > 1 else keywords.get("n")
        return [] if _constant_int(power, lambda k: k != 1) else args[:1]
    if func is np.diff:
        order = args[1] if len(args) > 1 else keywords.get("n")
        return [] if order is None or _constant_int(order, lambda k: k >= 1) else args[:1]
    return None


def _numpy_function(func):
    """Whether `func` is a function of NumPy's (not a class: np.ndindex, np.nditer)."""
    return (getattr(func, "__module__", "") or "").startswith("numpy") \
        and not isinstance(func, type)


def _constant_int(node, test):
    """Whether `node` is an int constant that passes `test`."""
    return isinstance(node, gast.Constant) and type(node.value) is int and test(node.value)


def _global_object(node, namespace):
    """The module-level object `node` (a name or dotted name) refers to, or None."""
    if isinstance(node, gast.Name):
        if node.id in namespace:
            return namespace[node.id]
        return getattr(builtins, node.id, None)
    if isinstance(node, gast.Attribute):
        base = _global_object(node.value, namespace)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _may_hold_array(value):
    """Whether a global or closure value is an array or a container (shared if written)."""
    return isinstance(value, (np.ndarray, list, dict))


def _literal_true(node):
    return isinstance(node, gast.Constant) and node.value is True


def _copies(func, call):
    """Whether `call` of a view function copies all the same: np.meshgrid but with
    copy=False."""
    copy = next((k.value for k in call.keywords if k.arg == "copy"), None)
    return func is np.meshgrid and (copy is None or _literal_true(copy))


def _stored(node):
    """The names that `node` binds (assignment and loop targets)."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


def _indexes(stmts, container, ident):
    """Whether `ident` indexes `container` somewhere in `stmts` (`d[k]`): then it is a key
    or an index, not one of the container's objects."""
    return any(isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name)
               and n.value.id == container and isinstance(n.slice, gast.Name)
               and n.slice.id == ident for stmt in stmts for n in gast.walk(stmt))


def _list_of_items(made, name):
    """Whether assignment `made` binds `name` to a list or tuple display, or to one joined
    to another (`hist = [x]`, `hist += [x]`, `hist = hist + [x]`): a list that holds
    items, not an array that another name may be."""
    value = getattr(made, "value", None)
    target = made.targets[0] if isinstance(made, gast.Assign) and len(made.targets) == 1 \
        else getattr(made, "target", None)
    sides = [value.left, value.right] if isinstance(value, gast.BinOp) else [value]
    return isinstance(target, gast.Name) and target.id == name and any(
        isinstance(side, (gast.List, gast.Tuple, gast.ListComp)) for side in sides)


def _changed_in(node):
    """The names whose objects `node` changes by item or method (`name[...] = ...`,
    `name[...] op= ...`, `name.append(...)`, `name.pop()`)."""
    names = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
            root = n.value
            while isinstance(root, gast.Subscript):
                root = root.value
            if isinstance(root, gast.Name):
                names.add(root.id)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) \
                and n.func.attr in _MUTATING_METHODS and isinstance(n.func.value, gast.Name):
            names.add(n.func.value.id)
    return names


def _display_items(node):
    """Whether `node` is a list or tuple display without starred items (`[a, b]`)."""
    return isinstance(node, (gast.List, gast.Tuple)) and not any(
        isinstance(e, gast.Starred) for e in node.elts)


def _reads(node, ident):
    """Whether expression `node` reads (or names) `ident`."""
    return any(n.id == ident for n in T.name_nodes(node))


def parameter_names(params):
    """`{parameter: its name in a derivative's signature}`: one named like a generated name
    (v_0, vbar_1) or like a name generated code calls (np, spread) gets `_`s, so that
    binding the inputs cannot overwrite it, as many as keep it apart from the other
    parameters."""
    names, taken = {}, set(params)
    for ident in params:
        name = ident
        if _GENERATED.match(ident) and ident != "_" or ident in _HELPER_NAMES:
            name = ident + "_"
            while name in taken:
                name += "_"
            taken.add(name)
        names[ident] = name
    return names


def made_by(generated):
    """What srcad's generated function `generated` is: "jvp" (forward code) or
    "gradient"."""
    return "jvp" if generated.__name__.startswith("jvp_") else "gradient"


def second_order_refusal(source, exc, why, hint):
    """A refusal `exc` met in srcad's own gradient code (`source`, differentiated again),
    told at the user's line that the gradient's statement comes from (its `# line N:`
    comment)."""
    primal = getattr(source.fn, "srcad_primal", None)
    where = None
    lines, first, filename = source.lines, source.first_line, source.filename
    at = exc.location
    # (a third derivative: the gradient's line comes from generated code in turn, whose
    # own `# line N:` comment names the user's line)
    while at is not None and primal is not None and at.filename == filename:
        for text in reversed(lines[:at.line - first + 1]):
            found = re.match(r"\s*# line (\d+): ", text)
            if found:
                filename = primal.__code__.co_filename
                line = linecache.getline(filename, int(found.group(1)))
                where = at = Location(filename, int(found.group(1)),
                                      len(line) - len(line.lstrip()), line)
                break
        else:
            break
        if not filename.startswith("<srcad ") or getattr(primal, "srcad_primal", None) is None:
            break
        lines, first, primal = linecache.getlines(filename), 1, primal.srcad_primal
    name = primal.__name__ if primal is not None else "the function"
    error = UnsupportedError(f"srcad cannot differentiate its {made_by(source.fn)} of {name} "
                             f"again here: {why}", where or exc.location, hint=hint)
    error.second_order = True
    return error


def _fields_named(exc, named):
    """`exc`, its message and hint calling the fields of dataclass objects the function
    made as the user does (`p.w`, not `p__w`: `_records_as_names`)."""
    if named:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, named)) + r")\b")
        exc.message = pattern.sub(lambda m: named[m.group(1)], exc.message)
        if exc.hint:
            exc.hint = pattern.sub(lambda m: named[m.group(1)], exc.hint)
        exc.args = (exc.render(),)
    return exc


def normalise(source, reserved=None, dicts=frozenset(), aux=False, records=frozenset(),
              items=False):
    """The three-address IR of a parsed function (a `FunctionSource`). `reserved` maps the
    names that generated code uses (np, helpers) to their objects: user globals with those
    names but other values are renamed. `dicts`: parameters known to be dicts, whose `for k
    in d` walks the keys. `aux`: the function returns a pair `(loss, aux)`, of which the IR
    returns the loss and holds aux in `ir.aux` (`has_aux=True`; see `_returns_with_aux`).
    `records`: parameters known to be tuples, whose attributes (`p.w`) are a named tuple's
    fields: items at the field's index (`field_index`), as `p[0]` is. `items`: the
    arguments may hold named tuples, whose fields other values' attributes may be
    (`layer.W` of `for layer in layers`: `field(layer, "W")`, an item where it is one)."""
    aux_name, pair_callees = _returns_with_aux(source) if aux else (None, ())
    try:
        normaliser = Normaliser(source, reserved)
    except SrcadError as exc:
        raise _fields_named(exc, getattr(source, "record_fields", None))
    for name in pair_callees:      # (guarded: another function, or new code, checks again)
        callee = normaliser.namespace.function(name)
        normaliser.namespace.members.append((callee, "__code__", callee.__code__))
    normaliser.dict_params = dicts
    normaliser.record_params = records
    normaliser.item_records = items
    try:
        ir = normaliser.function()
        if aux_name is not None:
            held = normaliser.home.get(aux_name)
            ir.aux = T.name(held) if held is not None else T.clone(normaliser.env[aux_name])
        return ir
    except UnsupportedError as exc:
        _fields_named(exc, getattr(source, "record_fields", None))
        if not normaliser.generated or getattr(exc, "second_order", False):
            raise
        raise normaliser._second_order_refusal(      # (told at the user's line)
            exc, f"in the {made_by(source.fn)}'s code, {exc.message}",
            "second derivatives (grad of grad, hessian, hvp) all differentiate this code: "
            "take differences of srcad.grad here") from None
