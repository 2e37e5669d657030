"""Front end, step one: a Python function -> its gast tree and where it came from."""
import ast
import functools
import inspect
import itertools
import keyword
import linecache
import os
import sys
import types
import weakref

import gast

from . import effects
from . import template as T
from .errors import Location, SourceError, UnsupportedError


def written_at(node):
    """(line, column) where `node` is written in its function's parsed text: its position,
    or for code inlined from a local function (which is placed where the call is, as it
    runs there: srcad/inline.py) its own line in the definition."""
    written = getattr(node, "srcad_at", None)
    if written is not None:
        return written
    return getattr(node, "lineno", None), getattr(node, "col_offset", None)


class FunctionSource:
    """A function's parsed definition and the facts needed to point at its lines."""

    def __init__(self, fn, tree, filename, first_line, indent, lines):
        self.fn = fn
        self.tree = tree            # gast.FunctionDef, decorators stripped
        self.filename = filename
        self.first_line = first_line  # file line of the first parsed line
        self.indent = indent        # columns removed by dedent
        self.lines = lines          # the parsed (dedented) lines

    def mentions(self, *texts):
        """Whether any of `texts` is written in the parsed lines, spaces aside (`d.pop (k)`
        is `d.pop(k)`): a quick sign that a pass about such code may have something to do."""
        compact = self.__dict__.get("_compact")
        if compact is None:
            compact = self.__dict__["_compact"] = "".join("".join(self.lines).split())
        return any("".join(text.split()) in compact for text in texts)

    def location(self, node):
        """The user's file, line and column of `node` (a node of `self.tree`, or of a
        helper's inlined into it: `srcad_source` is the helper's)."""
        other = getattr(node, "srcad_source", None)
        if other is not None and other is not self:
            return other.location(node)
        lineno, col = written_at(node)
        lineno = lineno or self.tree.lineno
        col = int(col or 0)         # (an inlined helper's nodes sit at fractional columns)
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return Location(self.filename, lineno + self.first_line - 1, col + self.indent,
                        " " * self.indent + text)

    def line_text(self, node):
        other = getattr(node, "srcad_source", None)
        if other is not None and other is not self:
            return other.line_text(node)
        lineno, _ = written_at(node)
        if not lineno or lineno > len(self.lines):
            return ""
        return self.lines[lineno - 1].strip()

    def told_line(self, node):
        """`(file line, text)` of the line `node` is written at: what `file_line` and
        `line_text` give, asked once; (None, "") where it has no text."""
        other = getattr(node, "srcad_source", None)
        if other is not None and other is not self:
            return other.told_line(node)
        lineno, _ = written_at(node)
        if not lineno or lineno > len(self.lines):
            return None, ""
        text = self.lines[lineno - 1].strip()
        return (lineno + self.first_line - 1 if text else None), text

    def file_line(self, node):
        other = getattr(node, "srcad_source", None)
        if other is not None and other is not self:
            return other.file_line(node)
        return written_at(node)[0] + self.first_line - 1

    def namespace(self):
        """Globals, then closure cells: what the function's free names refer to."""
        return Namespace(self.fn)

    def in_class_not_yet_made(self):
        """Whether the function is defined in the body of a module-level class that does not
        exist yet (a decorator in the class body runs before it does)."""
        path = self.fn.__qualname__.split(".")
        return len(path) > 1 and "<locals>" not in path and path[0] not in self.fn.__globals__

    def owner_class(self):
        """`(class, its dotted name)` when the function is an instance method defined in the
        body of a module-level class (`Model.loss`, `Outer.Inner.loss`), else None."""
        path = self.fn.__qualname__.split(".")
        if len(path) < 2 or "<locals>" in path:
            return None
        owner = self.fn.__globals__.get(path[0])
        for part in path[1:-1]:
            owner = getattr(owner, part, None)
        if not isinstance(owner, type):
            return None
        fn = getattr(self.fn, "srcad_method_of", self.fn)    # (see method_of_class)
        member = vars(owner).get(path[-1]) if fn is self.fn else \
            inspect.getattr_static(owner, path[-1], None)     # (a base class's method)
        if path[-1] == "<lambda>":             # (`g = lambda self, x: ...`: by its value)
            member = next((m for m in vars(owner).values() if m is self.fn), None)
        while hasattr(member, "primal"):       # @srcad.grad on the method
            member = member.primal
        if member is None or isinstance(member, (staticmethod, classmethod)) \
                or inspect.unwrap(member) is not fn:
            return None
        return owner, ".".join(path[:-1])


_EMPTY = object()


class Namespace(dict):
    """What a function's free names refer to (its globals, then its closure cells), and
    which of them the transformation looked up as functions (`np.sin`, a user function).

    A derivative is made for those objects: its rule or callee derivative is only right
    while each name still refers to the same one (see the guards in api.py). Values such as
    arrays and numbers are not remembered: the generated code reads them when it runs."""

    def __init__(self, fn):
        super().__init__(fn.__globals__)
        code = fn.__code__
        self._globals = fn.__globals__
        self._cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
        for var, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                self[var] = cell.cell_contents
            except ValueError:  # empty cell
                pass
        self.looked_up = {}     # the user's name -> the object the transformation relied on
        # (class, attribute, function) of the functions looked up on a class (`Model.f`)
        self.members = []
        # (container, key, function) of the functions read from module-level lists, tuples
        # and dicts (`D["g"](x)`)
        self.held_items = []
        self.renamed = {}       # name in generated code -> the user's name
        # the user's name -> the type of the number it held, which the analysis took it
        # for (`G = 9.81`: `-G / L * sin(th)` is a number), or of another value that an
        # operator takes (`typed`); the derivative holds while it holds a value of that
        # type (whatever the value)
        self.numbers = {}
        # (the user's name, steps) -> the type of what the steps reach from what the name
        # holds (`type_along`): the items and attributes of globals that operators take
        # (`CFG.W`, `LAYERS[0]`, `CFG.inner.W`, any item of a list walked `for W in LAYERS`)
        self.path_types = {}
        # those of them that the analysis took for numbers (`CFG.lr`: `number_along`)
        self.path_numbers = set()

    def number(self, name):
        """Whether `name` (a free name of the function) holds an int or a float now (read
        where it lives: this namespace is a copy made with the IR, which outlives a new
        value); remembered if it does."""
        return self.typed(name, (int, float))

    def live(self, name, default=None):
        """What free name `name` holds now (this namespace is a copy made with the IR)."""
        name = self.renamed.get(name, name)
        cell = self._cells.get(name)
        try:
            return cell.cell_contents if cell is not None else self._globals.get(name, default)
        except ValueError:               # (an empty cell)
            return default

    def typed_path(self, name, steps):
        """Remember the type of what `steps` (`type_along`) reach from what free name
        `name` holds now (a guard, as `typed`'s, read through the name: another object
        bound to it is read too): the attributes of NumPy's and other libraries' modules
        and classes (np.pi) need none."""
        value = self.live(name, _EMPTY)
        if value is _EMPTY or isinstance(value, types.FunctionType) or isinstance(
                value, (types.ModuleType, type)) and not users_module(
                    value if isinstance(value, types.ModuleType)
                    else sys.modules.get(value.__module__)):
            return
        kind = type_along(value, steps)
        if kind is not UNREACHED:         # (else the function fails the same way)
            self.path_types[self.renamed.get(name, name), steps] = kind

    def number_along(self, name, steps):
        """Whether what the attributes `steps` reach from what free name `name` holds is an
        int or a float now (`CFG.lr`, `config.LR` of a module of the user's); remembered if
        it is, under a guard on its type (as `typed_path`'s)."""
        value = self.live(name, _EMPTY)
        if value is _EMPTY or isinstance(value, (types.FunctionType, type)) or isinstance(
                value, types.ModuleType) and not users_module(value):
            return False
        kind = type_along(value, steps)
        if kind not in (int, float):
            return False
        key = (self.renamed.get(name, name), steps)
        self.path_types[key] = kind
        self.path_numbers.add(key)
        return True

    def typed(self, name, types_=None):
        """Whether `name` (a free name of the function) holds a value of one of `types_`
        (any, where None) now; its type is remembered if it does (the derivative holds
        while the name holds a value of that type: a global array that an operator takes
        must not become a sparse matrix, whose operators are its own)."""
        value = self.live(name, _EMPTY)
        if value is _EMPTY or types_ is not None and type(value) not in types_ or isinstance(
                value, (types.ModuleType, types.FunctionType, type)):
            return False
        self.numbers[self.renamed.get(name, name)] = type(value)
        return True

    def rename(self, new, name, value):
        """Generated code calls the user's `name` (bound to `value`) `new`."""
        self[new] = value
        self.renamed[new] = name
        if name in self:                 # (not a builtin): generated code holds the value
            self.looked_up[name] = value

    def function(self, name):
        """The object `name` refers to, remembered if it is callable (not a module)."""
        value = self[name]
        name = self.renamed.get(name, name)
        if callable(value) and not isinstance(value, types.ModuleType) and name in self:
            self.looked_up[name] = value
        return value


ITEMS = ("items", None)  # a step to any item of a list, tuple or dict (at a varying index)
UNREACHED = object()  # what `type_along` gives where a step fails
_TYPE_SETS = {}       # each frozenset of types that `type_along` gave, once


def values_along(value, steps):
    """The values that `steps` (`type_along`'s) reach from `value`, or `UNREACHED`."""
    values = [value]
    try:
        for step in steps:
            if step is ITEMS:
                values = [item for v in values for item in (
                    v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple))
                    else (v,))]
            else:
                values = [_step(v, step) for v in values]
    except Exception:
        return UNREACHED
    return values


def _step(value, step):
    kind, key = step
    return getattr(value, key) if kind == "attr" else value[key] if kind == "item" \
        else _got(value, key)


def _got(value, key):
    """`value.get(key)` of a dict (a step "get"); of anything else, no step."""
    if type(value) is not dict:
        raise TypeError("not a dict")
    return value.get(key)


def type_along(value, steps):
    """The type of what `steps` reach from `value`: each ("attr", name) an attribute,
    ("item", key) an item, ("get", key) what a dict's get gives, `ITEMS` any item of a
    list, tuple or dict (an array stands for
    its own items, none of which brings operators of its own); past `ITEMS`, the frozenset
    of the types reached, one object for equal sets (guards compare by identity).
    `UNREACHED` where a step fails. (A guard's read: one path, written out, is quickest.)"""
    if ITEMS not in steps:
        try:
            for kind, key in steps:
                value = getattr(value, key) if kind == "attr" else value[key] \
                    if kind == "item" else _got(value, key)
        except Exception:
            return UNREACHED
        return type(value)
    values = values_along(value, steps)
    if values is UNREACHED:
        return UNREACHED
    kinds = frozenset(map(type, values))
    return _TYPE_SETS.setdefault(kinds, kinds)


def among(value, group):
    """Whether `value`, what a user's name refers to, is one of `group` (a set or a dict of
    functions and types srcad knows). A value that cannot be hashed (an object whose class
    defines `__eq__` without `__hash__`, called as a function) is none of them."""
    try:
        return value in group
    except TypeError:
        return False


def users_module(module):
    """Whether `module` (a module object) is the user's own: not the standard library's,
    srcad's or an installed package's (NumPy's), whose functions no program rebinds and
    which import srcad only if they are srcad."""
    if not isinstance(module, types.ModuleType):
        return False
    top = module.__name__.partition(".")[0]
    path = getattr(module, "__file__", None) or ""
    return top not in sys.stdlib_module_names and top != "srcad" \
        and "-packages" + os.sep not in path


def code_location(fn):
    """Where `fn` is defined (file, first line and its text), if Python knows."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    text = linecache.getline(code.co_filename, code.co_firstlineno)
    return Location(code.co_filename, code.co_firstlineno, len(text) - len(text.lstrip()), text)


def opaque_wrapper(fn):
    """The first Python-function wrapper in `fn`'s chain of decorators (functools.wraps)
    that srcad cannot show to return what the function it wraps returns, or None. A
    wrapper passes if each of its `return`s is `return f(*args, **kwargs)` (or f(x, y),
    f(*args)) of the wrapped function with its own parameters, which it never rebinds or
    changes: then its value is the wrapped function's, whatever else it does (logging)."""
    while hasattr(fn, "__wrapped__"):
        if isinstance(fn, types.FunctionType):
            if not _returns_what_it_wraps(fn):
                return fn
        elif not isinstance(fn, functools._lru_cache_wrapper) \
                and not type(fn).__module__.startswith(("srcad.", "numpy")):   # (dispatchers)
            return fn           # an object's __call__ (functools.update_wrapper): unknown
        fn = fn.__wrapped__
    return None


def wrapper_name(wrapper):
    """How an error names a wrapper: its code's own name (functools.wraps gives it the
    wrapped function's), or its class's."""
    code = getattr(wrapper, "__code__", None)
    if not isinstance(code, types.CodeType):   # (an object's __getattr__ may answer anything)
        return f"an object of class {type(wrapper).__qualname__}"
    return getattr(code, "co_qualname", code.co_name)


def _returns_what_it_wraps(wrapper):
    try:
        tree = ast.parse(T.dedent(inspect.getsource(wrapper.__code__))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False
    nodes = list(ast.walk(tree))
    # its own defaults (called without them, it passes others); a generator or a coroutine
    if not isinstance(tree, ast.FunctionDef) or tree.args.defaults \
            or any(tree.args.kw_defaults) \
            or any(isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)) for node in nodes):
        return False
    try:
        enclosed = inspect.getclosurevars(wrapper).nonlocals
    except ValueError:          # an empty cell
        return False
    args = tree.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    params = set(positional) | {a.arg for a in args.kwonlyargs} | {
        a.arg for a in (args.vararg, args.kwarg) if a is not None}
    returns = [node for node in nodes if isinstance(node, ast.Return)]
    passed = [ast.dump(ast.Name(id=n, ctx=ast.Load())) for n in positional]
    if args.vararg is not None:
        passed.append(ast.dump(ast.Starred(value=ast.Name(id=args.vararg.arg, ctx=ast.Load()),
                                           ctx=ast.Load())))

    def wraps(call):
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) \
            and enclosed.get(call.func.id) is wrapper.__wrapped__ \
            and [ast.dump(a) for a in call.args] == passed \
            and all(k.arg is None and isinstance(k.value, ast.Name) and args.kwarg
                    and k.value.id == args.kwarg.arg for k in call.keywords) \
            and bool(call.keywords) == (args.kwarg is not None)

    # `result = fn(*args, **kwargs)`, then `return result` (a timing decorator): result
    # bound by such calls alone and read by such returns (and f-strings) alone
    bound = {}
    for node in nodes:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr)) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    ok = isinstance(node, ast.Assign) and target is name \
                        and len(node.targets) == 1 and wraps(node.value)
                    bound[name.id] = bound.get(name.id, True) and ok
    held = {name for name, ok in bound.items() if ok and name not in params}
    formatted = {id(node.value) for node in nodes if isinstance(node, ast.FormattedValue)
                 and isinstance(node.value, ast.Name)}          # `{result}`, `{result:.3f}`
    calls = [node.value for node in nodes if isinstance(node, ast.Assign)
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id in held]
    for node in returns:
        value = node.value
        if isinstance(value, ast.Name) and value.id in held:
            continue
        if not wraps(value):
            return False
        calls.append(value)
    if any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in held
           and id(node) not in formatted
           and not any(r.value is node for r in returns) for node in nodes):
        return False
    uses = sum(len(passed) + len(call.keywords) for call in calls)
    named = sum(isinstance(node, ast.Name) and node.id in params for node in nodes)
    # (the parameters: read there only; and nothing that the function reads changed
    # around the call: `CONFIG["scale"] = 3.0`, but `calls.append(fn.__name__)` passes)
    outside = effects.changed_outside(wrapper)
    read = _names_read(inspect.unwrap(wrapper))
    return bool(returns) and named == uses and outside is not None and None not in outside \
        and read is not None and not outside & read


_METHODS_OF = weakref.WeakKeyDictionary()   # function -> {class: its method_of_class}


def method_of_class(fn, cls):
    """`fn`, a method of a module-level class that `cls` inherits it from, as a function of
    cls's own (`Poly.loss`, the same code as `LinearModel.loss`): its calls `self.predict(w)`
    are then cls's methods (`Poly.predict`, where cls overrides it), which the check in
    generated code asks of the object. `fn` itself where cls is its own class, or has no
    name in fn's module."""
    path = fn.__qualname__.split(".")
    names = cls.__qualname__.split(".")
    if len(path) < 2 or "<locals>" in path or "<locals>" in names \
            or path[:-1] == names or inspect.getattr_static(cls, path[-1], None) is not fn:
        return fn
    found = fn.__globals__.get(names[0])
    for part in names[1:]:
        found = getattr(found, part, None)
    if found is not cls:
        return fn
    made = _METHODS_OF.setdefault(fn, {})
    method = made.get(cls)
    if method is None or method.__code__ is not fn.__code__:
        method = made[cls] = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__,
                                                fn.__defaults__, fn.__closure__)
        method.__kwdefaults__ = fn.__kwdefaults__
        method.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
        method.__module__ = fn.__module__
        method.srcad_method_of = fn
    return method


def definition(fn):
    """The gast FunctionDef of function `fn` (or of a code object) as its file has it, a
    lambda's as `def lambda_<line>(...): return ...`; None where it cannot be read."""
    code = getattr(fn, "__code__", fn)
    if not isinstance(code, types.CodeType):
        return None
    if code.co_name == "<lambda>":
        try:
            return _lambda_source(fn).tree
        except SourceError:
            return None
    try:
        tree = T.parse(T.dedent(inspect.getsource(code))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    return tree if isinstance(tree, (gast.FunctionDef, gast.AsyncFunctionDef)) else None


def _names_read(fn):
    """The names `fn`'s source reads (all of them where it cannot be read: None)."""
    try:
        tree = ast.parse(T.dedent(inspect.getsource(fn.__code__)))
    except (OSError, TypeError, SyntaxError, AttributeError):
        return None
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


# ----- functools.partial: a function with source that does what the partial does -----

_PARTIAL_FACTORIES = weakref.WeakKeyDictionary()   # function -> {(bound, names): factory}
_PARTIALS = weakref.WeakKeyDictionary()            # partial -> the function made for it
_PARTIAL_COUNT = itertools.count(1)


def partial_function(p):
    """A function that does what functools.partial `p` does, with source that srcad reads:

        partial(loss, X=X, y=y)  ->  def loss_partial(w):
                                         return loss(w, X=_p_keyword_0, y=_p_keyword_1)

    p's values are its closure's cells, so functions made for partials of one function
    that bind the same positions and names share one code, and one transformation. The
    source is registered with linecache. None where p's function is no plain Python
    function (a method's is: its object is bound first) or takes *args or **kwargs. Its
    parameters with defaults are not the made function's: func's own defaults, read when
    it is called (a later `func.__defaults__ = ...` too)."""
    made = _PARTIALS.get(p)
    if made is not None:
        return made
    func, bound = p.func, p.args
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        func, bound = func.__func__, (func.__self__,) + bound
    if not isinstance(func, types.FunctionType):
        return None
    names = tuple(p.keywords)
    factories = _PARTIAL_FACTORIES.setdefault(func, {})
    factory = factories.get((len(bound), names))
    if factory is None:
        try:
            params = inspect.signature(functools.partial(func, *bound, **p.keywords)).parameters
        except (TypeError, ValueError):
            return None
        factory = factories[(len(bound), names)] = _partial_factory(func, len(bound), names,
                                                                   params)
    if factory is False:
        return None
    made = _PARTIALS[p] = factory(*bound, *p.keywords.values())
    made.srcad_partial = p
    return made


def _partial_factory(func, bound, names, params):
    """`factory(*bound values, *keyword values)` -> the function for a partial of `func`
    binding `bound` positions and the keywords `names`; False where it cannot. Parameters
    with a default are left to `func` (its default, as it is when called: a partial reads
    it then too); the wrapper's own names take a prefix no parameter has."""
    kept = [q for q in params.values() if q.name not in names and q.default is q.empty]
    if any(q.kind in (q.VAR_POSITIONAL, q.VAR_KEYWORD) for q in kept):
        return False
    taken = [q.name for q in kept] + [func.__name__]
    prefix = "_p"
    while any(name.startswith(prefix + "_") for name in taken):
        prefix += "p"
    called = func.__name__ if func.__name__.isidentifier() \
        and not keyword.iskeyword(func.__name__) else f"{prefix}_function"
    inner = [f"{prefix}_argument_{k}" for k in range(bound)] + \
        [f"{prefix}_keyword_{k}" for k in range(len(names))]
    signature = inspect.Signature([q.replace(annotation=q.empty) for q in kept])
    arguments = inner[:bound] \
        + [q.name for q in kept if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)] \
        + [f"{n}={inner[bound + k]}" for k, n in enumerate(names)] \
        + [f"{q.name}={q.name}" for q in kept if q.kind is q.KEYWORD_ONLY]
    name = f"{func.__name__}_partial" if called == func.__name__ else "lambda_partial"
    text = (f"def _srcad_partial({', '.join(inner)}):\n"
            f"    def {name}{signature}:\n"
            f"        return {called}({', '.join(arguments)})\n"
            f"    return {name}\n")
    filename = f"<partial of {func.__qualname__} #{next(_PARTIAL_COUNT)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    scope = {called: func, "__name__": func.__module__}
    exec(compile(text, filename, "exec", dont_inherit=True), scope)
    return scope["_srcad_partial"]


def unwrap(fn):
    """The plain Python function behind decorators; a clear error for what has none."""
    if isinstance(fn, functools.partial):
        raise SourceError(
            f"srcad cannot differentiate functools.partial object {fn!r}",
            code_location(fn.func),
            hint="differentiate the underlying function and pass the fixed "
                 "arguments yourself, e.g. srcad.grad(f)(x, *fixed)")
    wrapper = opaque_wrapper(fn)
    if wrapper is not None:
        raise SourceError(
            f"{fn.__name__} is decorated with {wrapper_name(wrapper)}, which may change its "
            "value: srcad cannot see through it",
            code_location(inspect.unwrap(fn)),
            hint=f"differentiate the undecorated function ({fn.__name__}.__wrapped__), or let "
                 "the decorator return fn(*args, **kwargs) as it is")
    fn = inspect.unwrap(fn)
    if isinstance(fn, types.MethodType):
        raise SourceError(
            f"srcad cannot differentiate the method {fn.__qualname__} bound to a class",
            code_location(fn.__func__),
            hint="differentiate a module-level function that takes the values it needs "
                 "as arguments")
    if not isinstance(fn, types.FunctionType):
        raise SourceError(
            f"{fn!r} is not a Python function with source code",
            hint="srcad differentiates functions written in Python; for built-in or "
                 "library functions register a rule with @srcad.adjoint")
    return fn


def function_source(fn):
    """Retrieve, dedent and parse the source of `fn`."""
    fn = unwrap(fn)
    name = fn.__qualname__
    if fn.__name__ == "<lambda>":
        return _lambda_source(fn)
    try:
        lines, first_line, module, dedented = _definition(fn)
    except (OSError, TypeError) as exc:
        raise SourceError(
            f"the source of {name} is not available ({exc})",
            hint="srcad reads source code: define the function in a .py file (not at an "
                 "interactive prompt or through exec)") from None
    if dedented is None:
        dedented = T.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip())
    if module is None:
        try:
            module = T.parse(dedented)
        except SyntaxError as exc:
            raise SourceError(f"the source of {name} cannot be parsed ({exc.msg})") from None
    tree = module.body[0]
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    source = FunctionSource(fn, tree, filename, max(first_line, 1), indent,
                            dedented.split("\n"))
    if isinstance(tree, gast.AsyncFunctionDef):
        raise UnsupportedError("async functions are not supported by srcad",
                               source.location(tree),
                               hint="differentiate a synchronous function")
    if not isinstance(tree, gast.FunctionDef) or tree.name != fn.__code__.co_name:
        raise SourceError(
            f"the source of {name} is not a function definition: line {source.first_line} "
            f"of {filename} reads {lines[0].strip()!r}", code_location(fn),
            hint="the file was probably changed after the function was loaded: reload the "
                 "module (importlib.reload) or restart, then differentiate it again")
    tree.decorator_list = []
    _without_annotations(tree)
    return source


def _without_annotations(tree):
    """`tree` (a function definition) without the annotations of its parameters and result:
    a derivative's def would evaluate them (`x: Vector` under `from __future__ import
    annotations`, Vector imported only for type checkers: a NameError), and no derivative
    reads them."""
    args = tree.args
    for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if arg is not None:
            arg.annotation = None
    tree.returns = None



def _lambda_source(fn):
    """The source of lambda `fn` as `def lambda_<line>(<its parameters>): return <its body>`,
    the lambda found in its file: the one at its first line with its parameters (where
    several such are, the one whose body holds where its code starts). Positions are the
    file's: the whole file is parsed, once for each text of it."""
    code = fn.__code__
    where = code_location(fn)
    try:
        all_lines, _ = inspect.findsource(fn)
    except (OSError, TypeError) as exc:
        raise SourceError(
            f"the source of the lambda {fn.__qualname__} is not available ({exc})", where,
            hint="srcad reads source code: define the function in a .py file (not at an "
                 "interactive prompt or through exec)") from None
    text = "".join(all_lines)
    module = _PARSED_FILES.get(text)
    if module is None:
        try:
            module = T.parse(text)
        except SyntaxError as exc:
            raise SourceError(f"the file of the lambda {fn.__qualname__} cannot be parsed "
                              f"({exc.msg})", where) from None
        _PARSED_FILES.clear()           # (one file at a time: lambdas come few)
        _PARSED_FILES[text] = module
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                              + bool(code.co_flags & inspect.CO_VARARGS)
                              + bool(code.co_flags & inspect.CO_VARKEYWORDS)]
    found = [node for node in gast.walk(module) if isinstance(node, gast.Lambda)
             and node.lineno == code.co_firstlineno and _parameters(node.args) == params]
    if not found:
        raise SourceError(
            f"line {code.co_firstlineno} of {code.co_filename} holds no lambda with this "
            f"one's parameters ({', '.join(params)})", where,
            hint="the file was probably changed after the lambda was made: reload the module "
                 "(importlib.reload) or restart, then differentiate it again")
    if len(found) > 1:      # (the innermost of those whose body holds where its code starts)
        found = [node for node in found if _holds_start(node.body, code)]
        found = sorted(found, key=lambda node: (node.lineno, node.col_offset))[-1:]
    if len(found) != 1:
        raise SourceError(
            f"srcad cannot tell which lambda of line {code.co_firstlineno} this is", where,
            hint="write it as a `def` function, or give each lambda its own line")
    lam = found[0]
    if not _compiles_to(text, code):
        raise SourceError(
            f"the lambda at line {code.co_firstlineno} of {code.co_filename} is not the code "
            f"that {fn.__qualname__} runs", where,
            hint="the file was probably changed after the lambda was made (or the lambda was "
                 "made by exec): reload the module (importlib.reload) or restart, then "
                 "differentiate it again")
    body = gast.Return(value=T.clone(lam.body))   # (the parsed file stays as it is)
    gast.copy_location(body, lam.body)
    tree = gast.FunctionDef(name=f"lambda_{code.co_firstlineno}", args=T.clone(lam.args),
                            body=[body], decorator_list=[], returns=None, type_comment=None)
    gast.copy_location(tree, lam)
    tree.end_lineno, tree.end_col_offset = lam.end_lineno, lam.end_col_offset
    filename = inspect.getsourcefile(fn) or code.co_filename
    return FunctionSource(fn, tree, filename, 1, 0, text.split("\n"))   # (a form feed
    #                                                                    ends no line)


def _compiles_to(text, code):
    """Whether the file's `text`, compiled, holds `code` (a lambda's) at its line: the same
    instructions, names and constants. (Its instructions depend on the whole file: a name
    bound by an import is loaded as an attribute, not as a method.)"""
    compiled = _COMPILED_FILES.get(text)
    if compiled is None:
        try:
            compiled = compile(text, code.co_filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        _COMPILED_FILES.clear()
        _COMPILED_FILES[text] = compiled
    key = _code_key(code)
    todo = [compiled]
    while todo:
        inner = todo.pop()
        if inner.co_firstlineno == code.co_firstlineno and inner.co_name == code.co_name \
                and _code_key(inner) == key:
            return True
        todo.extend(c for c in inner.co_consts if isinstance(c, types.CodeType))
    return False


_COMPILED_FILES = {}       # the text of the file of the last lambda checked -> its code


def _code_key(code):
    """What two compilations of one text share: instructions, names, constants (those of
    nested code too)."""
    consts = tuple(_code_key(c) if isinstance(c, types.CodeType) else (type(c), repr(c))
                   for c in code.co_consts)
    return code.co_code, code.co_names, code.co_varnames, code.co_freevars, consts


_PARSED_FILES = {}         # the text of the file of the last lambda read -> its gast module


def _parameters(args):
    """The names of a lambda's parameters, in the order of its code's co_varnames."""
    names = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.id for a in (args.vararg, args.kwarg) if a is not None]
    return tuple(names)


def _holds_start(body, code):
    """Whether expression `body` spans the first source position of `code`'s instructions
    that has a width (Python 3.11's positions; without them, every body does)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return True
    for line, end_line, col, end_col in positions():
        if line is not None and col is not None and (line, col) != (end_line, end_col):
            return (body.lineno, body.col_offset) <= (line, col) \
                and (line, col) < (body.end_lineno, body.end_col_offset)
    return True


def _definition(fn):
    """(the lines of `fn`'s definition, the first one's number, its parsed module or None,
    their dedented text where the module was parsed from just that text, else None): the
    lines `inspect.getsourcelines` gives, found without its tokenizer (a third of the
    time spent reading a function) where that is safe, else from `inspect`.

    The definition ends before the first later line, neither blank nor a comment, that is
    indented no deeper than its first line. Without the blank and comment lines before
    that line, the text must parse as one definition ending on its last line: a cut
    inside a string or brackets does not parse. `inspect` keeps the comments after it that
    are indented at least as deep as the body, and so does this. Tabs in an indentation,
    which Python counts as up to eight columns, send the question to `inspect`."""
    all_lines, start = inspect.findsource(fn)
    margin = _indentation(all_lines[start])
    stop = start + 1
    while stop < len(all_lines) and all_lines[stop - 1].lstrip().startswith("@"):
        stop += 1                       # decorators: the definition starts after them
    while margin is not None and stop < len(all_lines):
        line = all_lines[stop]
        if not _blank_or_comment(line) and (_indentation(line) or 0) <= margin:
            break                       # (a tab in the indentation stops here too)
        stop += 1
    end = stop
    while end > start + 1 and _blank_or_comment(all_lines[end - 1]):
        end -= 1
    lines = all_lines[start:end]
    if all(_indentation(line) is not None for line in all_lines[start:stop + 1]
           if line.strip()):
        dedented = T.dedent("".join(lines))
        try:
            module = T.parse(dedented)
        except SyntaxError:
            module = None
        if module is not None and len(module.body) == 1 \
                and isinstance(module.body[0], (gast.FunctionDef, gast.AsyncFunctionDef)) \
                and module.body[0].end_lineno == len(lines):
            first = module.body[0].body[0]
            body = margin + first.col_offset
            parsed_end = end
            if not lines[first.lineno - 1][:body].strip():      # the body has its own lines
                for k in range(end, stop):
                    if all_lines[k].strip() and _indentation(all_lines[k]) >= body:
                        end = k + 1             # a comment as deep as the body
            return all_lines[start:end], start + 1, module, \
                dedented if end == parsed_end else None
    lines, first_line = inspect.getsourcelines(fn)
    return lines, first_line, None, None


def _indentation(line):
    """How many spaces `line` starts with; None if its indentation holds anything else."""
    width = len(line) - len(line.lstrip())
    return width if line.startswith(" " * width) else None


def _blank_or_comment(line):
    return not line.strip() or line.lstrip().startswith("#")
