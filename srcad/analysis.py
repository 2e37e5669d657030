"""Facts about an IR, kept beside the tree in dicts (never written onto nodes).

- `classify`: what each statement does (`Op`): which rule, which operands.
- `activity`: which names are active (depend on `wrt` and reach the output).
- `scalars`: which names are known to hold scalars (shape `()`), given the
  kinds of the arguments; adjoints of those need no `unbroadcast`.
- `structures`: which names may hold lists, tuples or dicts.
"""
import builtins
import copy
import functools
import inspect
import numbers
import operator
import sys
import types
from collections import Counter

import gast
import numpy as np

from . import rules, runtime
from . import template as T
from .errors import MissingRuleError, SourceError, SrcadError, UnsupportedError
from .normalise import AUGMENTED, parameter_names
from .own_operators import check_own_arithmetic, result_checks
from .source import among, opaque_wrapper, partial_function, users_module, wrapper_name, written_at

BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
          gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
          gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
          gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}
# operators that NumPy computes with arrays where one operand is a list (`C - xs`); + and *
# may join or repeat lists instead (see joins_sequences)
ARRAY_OPERATORS = {operator.sub, operator.truediv, operator.floordiv, operator.mod,
                   operator.pow, operator.matmul}
CMPOPS = {gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
          gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne,
          gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.In: operator.contains,
          gast.NotIn: operator.contains}


class Op:
    """One IR statement seen as an operation: `target = kind(operands)`."""

    integral = False         # its value is known to hold integers or bools
    dtype_unknown = False    # a rule's dtype argument known only when it runs
    zero = frozenset()       # keys of `args` whose derivative is zero (shape-only arguments)

    def __init__(self, stmt, kind, target=None, args=None, rule=None, callee=None):
        self.stmt = stmt
        self.kind = kind  # copy const rule zero call getitem setitem append pop pack inert opaque
        #                   (append: also xs.insert(at, v), `at` in args)
        self.target = target      # the name written, or None
        self.args = args or {}    # parameter (or position) -> atom node
        self.rule = rule
        self.callee = callee
        self.diff = []            # keys of `args` that carry derivatives

    def operand_names(self, keys=None):
        keys = self.args if keys is None else keys
        return [self.args[k].id for k in keys if isinstance(self.args.get(k), gast.Name)]

    def template_names(self, sequences):
        """What the parameters of the rule's template stand for: the operands, else the
        template's defaults. A list or tuple (a name of `sequences`) passed to a NumPy ufunc
        is `np.asarray(xs)` there: NumPy computes with an array, where `2 * xs` in a rule's
        derivative would repeat the list. An operand that is a name stands there as its id (a
        str: T.substitute makes a Name node for each use, where it would copy a node)."""
        template = self.template
        names = {}
        for p in template.params:
            atom = self.args.get(p)
            if atom is None:
                names[p] = T.quote_expr(repr(template.defaults[p]))
            elif sequences and self.as_array(p, sequences):   # (most functions have none)
                names[p] = T.call("np.asarray", [atom])
            else:
                names[p] = atom.id if type(atom) is gast.Name else atom
        if template.varargs:
            names[template.varargs] = T.tuple_of(self.extra)
        return names

    def as_array(self, p, sequences):
        """Whether operand `p` is a list or tuple (a name of `sequences`) that NumPy makes
        an array of (a ufunc, `C - xs`; its tangent too: `template_names`)."""
        atom = self.args.get(p)
        return isinstance(atom, gast.Name) and atom.id in sequences \
            and _computes_with_arrays(self.rule.primal)


class Facts:
    """What both modes need to know of an IR for one `wrt` and one set of argument kinds."""

    def __init__(self, ir, wrt, arg_kinds, mode, callees=None):
        """`callees` answers for the user functions `ir` calls: `returns_scalar(fn, kinds)`
        and `changed_in_place(fn)` (see api.derive)."""
        self.ops = classify(ir, mode)
        self.output = ir.body[-1].value.id
        self.active = activity(ir, self.ops, [ir.inputs[k] for k in wrt], self.output)
        check_own_arithmetic(ir, self.ops, self.active)
        # (values of calls of user functions that such arithmetic takes: checked as they come)
        self.result_checks = result_checks(ir, self.ops, self.active)
        self.ndims = input_ndims(ir, self.ops, arg_kinds)
        self.scalar = scalars(ir, self.ops, arg_kinds, getattr(callees, "returns_scalar", None),
                              self.ndims)
        check_in_place(ir, self.scalar)
        check_items(ir, self.ops, self.scalar, arg_kinds)
        check_iterated_dicts(ir, arg_kinds)
        self.struct = structures(ir, self.ops, arg_kinds, self.scalar)
        # (new arrays that a callee changes: the forward sweep's call takes copies)
        self.copied_for_calls = check_calls_in_place(
            ir, self.ops, self.scalar, getattr(callees, "changed_in_place", None),
            self.struct, self.ndims, self.active if mode == "reverse" else ())
        # dict arguments, and the names that only copy one
        self.dict_inputs = {v for v, kind in zip(ir.inputs, arg_kinds) if kind == "dict"}
        for op in self.ops.values():
            if (op.kind == "copy" and _name_in(op.args[0], self.dict_inputs)
                    or op.kind == "pack" and isinstance(op.stmt.value, gast.Dict)) and all(
                    o.target != op.target or o is op for o in self.ops.values()):
                self.dict_inputs.add(op.target)     # (a dict display too)
        self.floating = floating_names(ir, self.ops, wrt) if any(
            op.kind == "setitem" for op in self.ops.values()) else set()   # (writes' question)
        # lists and tuples that NumPy makes arrays of (np.tanh(xs), C - xs): the derivative
        # computes with np.asarray(xs). Known ones only: an argument of unknown kind (a file's generic
        # derivative) is taken for an array there, as it is everywhere else.
        self.array_sequences = set()
        if self.struct and any(
                op.kind == "rule" and _computes_with_arrays(op.rule.primal)
                and set(op.operand_names()) & self.struct for op in self.ops.values()):
            known = tuple("scalar" if kind == "other" else kind for kind in arg_kinds)
            self.array_sequences = structures(ir, self.ops, known, self.scalar)

    def with_ops(self, ops):
        """The same facts seen through other `ops` (those of another mode, say)."""
        other = copy.copy(self)
        other.ops = ops
        return other


def derivative_call(op, name):
    """`op`'s call with the derivative `name` of its callee in the callee's place, keyword
    arguments named as that derivative's signature names them."""
    call = T.clone(op.stmt.value)
    call.func = T.name(name)
    renamed = parameter_names(list(inspect.signature(op.callee).parameters))
    for keyword in call.keywords:
        keyword.arg = renamed.get(keyword.arg, keyword.arg)
    return call


def argument_kind(atom, scalar, ndims, struct=frozenset(), dicts=frozenset()):
    """What a called user function is told of an argument `atom` (None: not passed):
    "scalar", "dict" (its `for k in d` walks the keys), "other" (a list, tuple or dict of
    values), or "array" with its number of dimensions where known (items of a matrix are
    numbers)."""
    if isinstance(atom, gast.Constant):
        return "scalar" if isinstance(atom.value, (int, float)) else "other"
    if not isinstance(atom, gast.Name):
        return "other"
    if atom.id in scalar:
        return "scalar"
    if atom.id in dicts:
        return "dict"
    if atom.id in struct:
        return "other"
    return f"array{ndims[atom.id]}" if ndims.get(atom.id) else "array"


def callee_derivative(ir, op, derive_callee, active, facts):
    """Ask for the derivative of the user function `op` calls (w.r.t. `active`), telling
    it which arguments are scalars; a callee without source becomes a MissingRuleError."""
    kinds = [argument_kind(atom, facts.scalar, facts.ndims, facts.struct, facts.dict_inputs)
             for atom in op.args.values()]
    try:
        return derive_callee(op.callee, tuple(active), tuple(op.args), tuple(kinds))
    except SrcadError as exc:
        if op.callee.__module__ != runtime.__name__ and isinstance(exc, SourceError):
            raise MissingRuleError(
                f"srcad cannot see into {op.callee.__name__}: {exc.message}",
                ir.location(op.stmt), hint=f"register a rule with @srcad.adjoint("
                f"{op.callee.__name__}) and @srcad.tangent({op.callee.__name__})") from None
        if op.callee.__module__ != runtime.__name__:
            raise
        # a helper of srcad's without a rule for this mode, whose source srcad cannot read
        said = f"srcad cannot differentiate its helper {op.callee.__name__} "
        if exc.message.startswith(said):
            raise                 # (a helper that calls itself: said once)
        raise MissingRuleError(f"{said}({exc.message})", ir.location(op.stmt)) from None


def inner_blocks(block):
    """Every non-empty statement list nested in `block` (bodies and else blocks, at any
    depth), outer ones first."""
    for stmt in walk_block(block):
        for field in BLOCK_FIELDS.get(type(stmt), ("body", "orelse")):
            inner = getattr(stmt, field, None)
            if inner:
                yield inner


def walk_block(block):
    """Every statement of a block, nested ones included, in program order."""
    for stmt in block:
        yield stmt
        for field in BLOCK_FIELDS.get(type(stmt), ("body", "orelse")):
            inner = getattr(stmt, field, None)
            if inner:       # (no generator for the blocks most statements lack)
                yield from walk_block(inner)


# gast class -> which of its fields "body" and "orelse" it has: none for most statements
# (an assignment, a call), whose fields the walks above (and reverse.Sites) need not look up
BLOCK_FIELDS = {cls: tuple(f for f in ("body", "orelse") if f in cls._fields)
                for cls in vars(gast).values()
                if isinstance(cls, type) and issubclass(cls, gast.AST)}


def classify(ir, mode="reverse", block=None):
    """`{id(stmt): Op}` for the statements of `ir` (of `block` in it, if given) that
    compute or store values."""
    ops = {}
    for stmt in walk_block(ir.body if block is None else block):
        op = _classify(ir, stmt, mode)
        if op is not None:
            ops[id(stmt)] = op
    _truncating_writes(ir, ops)
    return ops


def _classify(ir, stmt, mode):
    if isinstance(stmt, gast.Expr):
        call = stmt.value
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
                and call.func.attr == "append":
            return _op(stmt, "append", call.func.value.id, {0: call.args[0]}, diff=[0])
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
                and call.func.attr == "insert":     # an append at `at` (in 0..len(xs))
            return _op(stmt, "append", call.func.value.id, {0: call.args[1],
                                                            "at": call.args[0]}, diff=[0])
        return Op(stmt, "inert")
    if not isinstance(stmt, gast.Assign):
        return None
    target = stmt.targets[0]
    if id(stmt) in ir.entry:   # v_0 = x (or x.copy()): binds an input
        return _op(stmt, "copy", target.id, {0: T.name(ir.params[ir.inputs.index(target.id)])},
                   diff=[0])
    value = stmt.value
    if isinstance(target, gast.Subscript):
        return _op(stmt, "setitem", target.value.id, {"value": value, "index": target.slice},
                   diff=["value"])
    name = target.id
    if isinstance(value, gast.Name):
        return _op(stmt, "copy", name, {0: value}, diff=[0])
    if isinstance(value, gast.Constant):
        return Op(stmt, "const", name)
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mod) and isinstance(
            value.left, gast.Constant) and isinstance(value.left.value, str):
        return _text_op(ir, stmt, name, [value.right])        # "x=%.3f" % x
    if isinstance(value, gast.BinOp):
        return _rule_op(ir, stmt, name, BINOPS[type(value.op)], [value.left, value.right], [],
                        mode)
    if isinstance(value, gast.UnaryOp):
        return _rule_op(ir, stmt, name, UNARYOPS[type(value.op)], [value.operand], [], mode)
    if isinstance(value, gast.Compare):
        return _op(stmt, "zero", name)
    if isinstance(value, (gast.Tuple, gast.List)):
        return _op(stmt, "pack", name, dict(enumerate(value.elts)),
                   diff=list(range(len(value.elts))))
    if isinstance(value, gast.Dict):
        args = {k: v for k, v in enumerate(value.values)}
        return _op(stmt, "pack", name, args, diff=list(args))
    if isinstance(value, gast.Subscript):
        return _op(stmt, "getitem", name, {"value": value.value, "index": value.slice},
                   diff=["value"])
    if isinstance(value, gast.Attribute):
        if isinstance(value.value, gast.Name) and value.value.id in _local_names(ir):
            rule = rules.method_rule(value.attr)
            if rule is None:   # self.w on a constant object: fine unless the object varies
                return _opaque(stmt, name, [value.value], MissingRuleError(
                    f"srcad has no derivative rule for the attribute '.{value.attr}' (srcad "
                    "differentiates arrays, numbers and lists, tuples and dicts of them, not "
                    "the fields of other objects, such as a dataclass argument's)",
                    ir.location(stmt),
                    hint="pass the value as an argument, or keep the parameters in a dict "
                         f"(p['{value.attr}']; of a dataclass, dataclasses.asdict(p), whose "
                         "gradient is a dict); for an array attribute, the NumPy function "
                         "(np.transpose(x) for x.T)"), call=False)
            return _bind(ir, stmt, name, rule, [value.value], [], mode)
        return Op(stmt, "const", name)  # a module constant such as np.pi
    if isinstance(value, gast.Call):
        return _call_op(ir, stmt, name, value, mode)
    raise UnsupportedError(f"the operation '{type(value).__name__}'", ir.location(stmt))


def _local_names(ir):
    if not hasattr(ir, "_locals"):
        ir._locals = set(ir.inputs) | _names_used(ir)[0]
    return ir._locals


def _names_used(ir):
    """(the names the IR's body assigns, those it reads, how many times it reads each): one
    walk of the body, kept on the IR beside what is found of it (`_locals`,
    `_global_copies`)."""
    used = ir.__dict__.get("_names_used")
    if used is None:
        stored, loaded = set(), []
        for node in T.name_nodes(ir.body):
            if type(node.ctx) is gast.Load:
                loaded.append(node.id)
            elif isinstance(node.ctx, gast.Store):
                stored.add(node.id)
        counts = Counter(loaded)
        used = ir._names_used = (frozenset(stored), frozenset(counts), counts)
    return used


def load_counts(ir):
    """`{name: how many times the IR's body loads it}`, 0 for a name it does not load (a
    Counter not to be changed; from the one walk of `_names_used`)."""
    return _names_used(ir)[2]


def _computes_with_arrays(primal):
    """Whether NumPy makes arrays of list operands of `primal`: its ufuncs, and the
    operators of ARRAY_OPERATORS."""
    return isinstance(primal, np.ufunc) or among(primal, ARRAY_OPERATORS)


def _op(stmt, kind, target, args=None, diff=()):
    op = Op(stmt, kind, target, args)
    op.diff = list(diff)
    return op


def _opaque(stmt, target, atoms, refusal, call=True):
    """An operation without a derivative (a call or an attribute srcad has no rule for):
    its value is a constant where nothing it reads varies. `activity` raises `refusal`
    where something does: for a call, whatever becomes of its value (it may change its
    arguments in place: `x.sort()`); for an attribute, where its value is used."""
    op = Op(stmt, "opaque", target, dict(enumerate(atoms)))
    op.diff = list(op.args)        # (its value varies with them)
    op.refusal = refusal
    op.call = call
    return op


def _text_op(ir, stmt, name, atoms):
    """A text made of `atoms` ("x={:.3f}".format(x), what an f-string becomes, or "%.3f" %
    x): print may take it (it reaches no output); a number read back from it would have no
    derivative, so that is refused."""
    return _opaque(stmt, name, atoms, UnsupportedError(
        "a number read back from a text (an f-string, str.format or % of a differentiated "
        "value) has no derivative in srcad", ir.location(stmt),
        hint="compute with the number itself; format it only to print it"), call=False)


def _call_location(ir, stmt, call):
    """Where the call `call` of the statement `stmt` is written (the statement's line where
    the call has no position of its own: one normalise made)."""
    if written_at(call)[0] is None:
        return ir.location(stmt)
    return ir.source.location(call)


def _call_op(ir, stmt, name, call, mode):
    func = call.func
    args = list(call.args)
    keywords = [(k.arg, k.value) for k in call.keywords]
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and func.value.id in _local_names(ir):
        if func.attr == "pop" and not args and not keywords:
            return _op(stmt, "pop", name, {"list": func.value}, diff=["list"])
        if func.attr == "pop" and len(args) == 1 and not keywords \
                and not isinstance(args[0], gast.Starred):
            # xs.pop(j), j where the item is (normalise: `popped_index`): put back there
            return _op(stmt, "pop", name, {"list": func.value, "at": args[0]}, diff=["list"])
        if func.attr == "pop":
            return _opaque(stmt, name, [func.value] + args + [v for _, v in keywords],
                           UnsupportedError(
                "d.pop(k, default) (a key a dict may lack) is not supported by srcad "
                "(xs.pop() and xs.pop(i) of a list are)",
                ir.location(stmt), hint="read the item where the key is there: w = d[k] "
                                        "if k in d else default; of a dict argument, pop "
                                        "from a copy of it: p = dict(d); w = p.pop(k, "
                                        "default)"))
        rule = rules.method_rule(func.attr)
        if rule is None:
            return _opaque(stmt, name, [func.value] + args + [v for _, v in keywords],
                           MissingRuleError(
                f"srcad has no derivative rule for the method '.{func.attr}()'",
                ir.location(stmt),
                hint="call the NumPy function instead (np.sum(x) for x.sum()); a method of "
                     "your own module-level class on self (self.loss(w)) or through the class "
                     "(Model.loss(self, w)); or register a rule with @srcad.adjoint"))
        return _bind(ir, stmt, name, rule, [func.value] + args, keywords, mode)
    if isinstance(func, gast.Attribute) and func.attr == "format" \
            and isinstance(func.value, gast.Constant) and isinstance(func.value.value, str):
        return _text_op(ir, stmt, name, args + [v for _, v in keywords])
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and func.value.id in ir.namespace \
            and type(ir.namespace.live(func.value.id)) is np.ndarray \
            and (rule := rules.method_rule(func.attr)) is not None:
        ir.namespace.typed(func.value.id)    # (`W.dot(x)` of a global array: while it is one)
        return _bind(ir, stmt, name, rule, [func.value] + args, keywords, mode)
    primal = _resolve(ir, func)
    rule = rules.lookup(primal)
    wrapper = opaque_wrapper(primal) if rule is None else None
    if wrapper is not None:     # (srcad would differentiate what it wraps)
        return _opaque(stmt, name, args + [v for _, v in keywords], UnsupportedError(
            f"{getattr(primal, '__name__', _label(func))} is decorated with "
            f"{wrapper_name(wrapper)}, which may change its value: srcad cannot see "
            "through it", ir.location(stmt),
            hint=f"call the undecorated function ({_label(func)}.__wrapped__) here, or let "
                 "the decorator return fn(*args, **kwargs) as it is"))
    if rule is None and not isinstance(primal, types.FunctionType) \
            and hasattr(primal, "__wrapped__"):
        primal = inspect.unwrap(primal)   # the derivative of a callee (grad of grad)
    if rule is None and isinstance(primal, functools.partial) \
            and partial_function(primal) is not None:
        primal = partial_function(primal)   # `LOSS(w)` of `LOSS = partial(loss, X=X)`
    if rule is None and isinstance(getattr(type(primal), "generated", None), property):
        # a derivative object the function calls (`w - lr * d_loss(w, x)`): its generated
        # code for arguments of any kind, differentiated as a function of the user's is
        if getattr(primal, "_bound", ()):
            method = primal.primal
            owner = type(getattr(method, "__self__", None)).__name__
            called = getattr(method, "__name__", "method")
            wrt = primal.wrt[0] if primal.single else primal.wrt   # (counting the object)
            return _opaque(stmt, name, args + [v for _, v in keywords], UnsupportedError(
                f"{_label(func)} is the derivative of a bound method ({owner} object's "
                f"{called}): calling it with a differentiated value is not supported by "
                "srcad", ir.location(stmt),
                hint=f"take the derivative through the class and pass the object: "
                     f"{_label(func)} = srcad.grad({owner}.{called}, wrt={wrt}), then "
                     f"{_label(func)}(obj, ...)"))
        primal = primal.generated
    module = getattr(primal, "__module__", None) or ""
    if rule is not None and (rule.zero or module != "srcad.runtime" or (
            rule.adjoint if mode == "reverse" else rule.tangent) is not None):
        return _bind(ir, stmt, name, rule, args, keywords, mode)
    made_by = getattr(primal, "srcad_made_by", None)
    if made_by is not None:   # (hessian(f), jacobian(f), hvp(f): loops over jvps in Python)
        return _opaque(stmt, name, args + [v for _, v in keywords], UnsupportedError(
            f"calling what srcad.{made_by} returns ({_label(func)}) with a differentiated "
            "value is not supported by srcad", ir.location(stmt),
            hint="call a srcad.grad or srcad.jvp object here (or a function of your own "
                 f"that computes the {made_by} from them)"))
    # (a helper of srcad's with a rule for the other mode only: its source is read)
    if isinstance(primal, types.FunctionType) and module != "numpy" \
            and not module.startswith("numpy."):
        signature = inspect.signature(primal)
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in signature.parameters.values()):    # (a constant of constants)
            return _opaque(stmt, name, args + [v for _, v in keywords], UnsupportedError(
                f"calling {primal.__name__}, which takes *args or **kwargs, with a "
                "differentiated value is not supported by srcad", _call_location(ir, stmt, call),
                hint=f"list the parameters of {primal.__name__} explicitly"))
        op = Op(stmt, "call", name, callee=primal)
        try:
            bound = signature.bind(*args, **dict(keywords))
        except TypeError as exc:
            raise UnsupportedError(f"this call of {primal.__name__} does not match its "
                                   f"signature ({exc})", ir.location(stmt)) from None
        op.args = dict(bound.arguments)
        op.diff = [k for k, v in op.args.items() if isinstance(v, gast.Name)]
        return op
    label = _label(func)
    operands = args + [v for _, v in keywords]
    if primal in (enumerate, zip, reversed):
        return _opaque(stmt, name, operands, UnsupportedError(
            f"{label}(...) of a differentiated value outside a for statement",
            ir.location(stmt), hint=f"loop over it (for v in {label}(xs): ...), or index "
                                    "(xs[::-1] for reversed)"))
    if rule is None and isinstance(primal, type) and users_module(sys.modules.get(module)):
        hint = (f"srcad differentiates the fields of a dataclass or named tuple object made "
                f"here and read only for its fields (p = {label}(w, b), then p.w; every "
                f"binding of p one: p = {label}(...) or p = dataclasses.replace(p, w=v) or "
                "p._replace(w=v) in a loop too; no __post_init__, not passed on, no method "
                "called); else pass the arrays themselves, or keep them in a dict")
    else:
        hint = (f"register one with @srcad.adjoint({label}) (and @srcad.tangent for forward "
                "mode), or wrap the value in srcad.stop_gradient if no derivative is needed")
    return _opaque(stmt, name, operands, MissingRuleError(
        f"srcad has no derivative rule for {label}", ir.location(stmt), hint=hint))


def _label(func):
    from .template import source_of
    return source_of(func)


def _resolve(ir, node):
    if isinstance(node, gast.Name):
        # (a user global named like a helper is called `counted_` in the IR: `counted`
        # there is the helper normalisation introduced)
        if node.id in ir.namespace and node.id not in ir.namespace.renamed.values():
            return ir.namespace.function(node.id)
        if hasattr(builtins, node.id):
            return getattr(builtins, node.id)
        return getattr(runtime, node.id, None)   # helpers that normalisation introduces
    if isinstance(node, gast.Attribute):
        base = _resolve(ir, node.value)
        return getattr(base, node.attr, None)
    if isinstance(node, gast.Subscript):         # `D["g"]` (normalise guards what it holds)
        held = T.item_held(_resolve(ir, node.value), node.slice)
        return held[1] if held is not None else None
    return None


def _rule_op(ir, stmt, name, primal, args, keywords, mode):
    rule = rules.lookup(primal)
    return _bind(ir, stmt, name, rule, args, keywords, mode)


def _bind(ir, stmt, name, rule, args, keywords, mode):
    """Match call operands to the parameters of the rule's template."""
    if rule.zero:
        op = Op(stmt, "zero", name, rule=rule)
        op.args = dict(enumerate(args))
        return op
    template = rule.adjoint if mode == "reverse" else rule.tangent
    if template is None:
        which = "@srcad.adjoint" if mode == "reverse" else "@srcad.tangent"
        called = rule.name.rpartition(".")[2]
        refusal = MissingRuleError(
            f"srcad has no {mode}-mode rule for {rule.name}", ir.location(stmt),
            hint=f"register one with {which}({called}): where {called} has a rule, srcad "
                 "uses the rules, not its code" + (
                     " (srcad.hessian and srcad.hvp take forward mode over the gradient)"
                     if mode != "reverse" else ""))
        refusal.holds_again = True       # (the hint, met in a gradient differentiated again)
        raise refusal
    params = template.params
    bound = dict(zip(template.positional, args))
    extra = list(args[len(template.positional):])
    if extra and not template.varargs:
        raise UnsupportedError(f"too many arguments in this call of {rule.name} for its "
                               "derivative rule", ir.location(stmt),
                               hint="contract two operands at a time" if rule.name
                               == "numpy.einsum" else None)
    aliases = _KEYWORD_ALIASES[rule.primal] if among(rule.primal, _KEYWORD_ALIASES) else {}
    for key, atom in keywords:
        key = aliases.get(key, key)
        if key not in params:
            raise UnsupportedError(f"the rule for {rule.name} does not take the keyword "
                                   f"argument '{key}'", ir.location(stmt),
                                   hint="write np.reshape(x, shape, order=...)"
                                   if rule.name == "ndarray.reshape" else
                                   "pass it positionally or register a rule that takes it")
        bound[key] = atom
    if id(rule.primal) in _PARTICULAR:         # (few calls: no look-up of each for the rest)
        _bind_particular(ir, stmt, rule, bound)
    missing = [p for p in template.diff if p not in bound]
    if missing:
        raise UnsupportedError(f"this call of {rule.name} lacks the argument(s) {missing}",
                               ir.location(stmt))
    dtype = bound.get("dtype")
    kind = _dtype_kind(ir, dtype)
    if kind is not None and kind in "biu":       # x.astype(int), np.sum(x, dtype=int)
        op = Op(stmt, "zero", name, rule=rule)   # (piecewise constant: derivative 0)
        op.args = dict(enumerate(args + [v for _, v in keywords]))
        op.integral = True
        return op
    op = Op(stmt, "rule", name, bound, rule=rule)
    op.extra = extra
    op.template = template
    op.diff = list(template.nonzero)
    op.zero = template.zero
    # a dtype known only when it runs (`x.astype(y.dtype)`): derivatives of an integer
    # result are zeros (`if_floating`)
    op.dtype_unknown = kind is None and dtype is not None and not _is_none(dtype)
    return op


def _bind_particular(ir, stmt, rule, bound):
    """What `_bind` checks and fills in of the calls of particular functions (`_PARTICULAR`):
    np.einsum's subscripts, np.pad's mode, np.clip's bounds, NumPy's defaults."""
    if rule.primal is np.einsum or rule.primal is runtime.einsum_one:
        subscripts = bound.get("subscripts")
        if not (isinstance(subscripts, gast.Constant) and isinstance(subscripts.value, str)):
            raise UnsupportedError(f"this call of {rule.name} without a subscripts string",
                                   ir.location(stmt), hint="write the subscripts as a string "
                                                           "(np.einsum('ij,jk->ik', a, b))")
        if "..." in subscripts.value:
            raise UnsupportedError(f"'...' in the subscripts of {rule.name}",
                                   ir.location(stmt), hint="name every axis with a letter")
    mode = bound.get("mode")
    if rule.primal is np.pad and isinstance(mode, gast.Constant) \
            and mode.value not in runtime.COPYING_PAD_MODES:
        modes = ", ".join(runtime.COPYING_PAD_MODES)
        raise UnsupportedError(f"np.pad with mode={mode.value!r}", ir.location(stmt),
                               hint=f"pad with a mode of {modes}, or build the padding with "
                                    "slices and np.concatenate")
    if rule.primal is np.clip:       # x.clip(min=0.0): the bound not given is None
        for bound_name in ("a_min", "a_max"):
            bound.setdefault(bound_name, T.constant(None))
    for param, value in _CALL_DEFAULTS.get(id(rule.primal), {}).items():
        bound.setdefault(param, T.constant(value))


# the arguments a call may leave out whose rules list them among the differentiated ones:
# NumPy's defaults (np.select(conditions, choices): the default is 0; np.bincount(indices):
# no weights, integer counts)
# (by id, as rules are: a user's primal may not be hashable)
_CALL_DEFAULTS = {id(np.select): {"default": 0}, id(np.bincount): {"weights": None},
                  id(np.histogram): {"bins": 10, "range": None, "density": None,
                                     "weights": None}}


# the ids of the functions whose calls `_bind_particular` checks or fills in
_PARTICULAR = frozenset(map(id, (np.einsum, runtime.einsum_one, np.pad, np.clip))) \
    | _CALL_DEFAULTS.keys()


# keyword arguments a function takes under another name too (NumPy 2's np.clip(x, min=...),
# the method x.clip(min=..., max=...))
_KEYWORD_ALIASES = {np.clip: {"min": "a_min", "max": "a_max"}}


def _is_none(atom):
    return isinstance(atom, gast.Constant) and atom.value is None


def _dtype_kind(ir, atom):
    """The kind ('f', 'i', 'b', ...) of the dtype that operand `atom` names where it is known
    before the code runs (`int`, `np.int64`, "int32", None for float64), else None."""
    if atom is None:
        return None
    value = _constant_value(ir, atom)
    if value is _UNKNOWN:
        return None
    try:
        return np.dtype(value).kind
    except TypeError:
        return None


_UNKNOWN = object()


def _constant_value(ir, atom):
    """The value of a constant operand, a module-level name, or a local name assigned once
    from a module attribute (`v_1 = np.int64`); else _UNKNOWN."""
    if isinstance(atom, gast.Constant):
        return atom.value
    if not isinstance(atom, gast.Name):
        return _UNKNOWN
    if atom.id in _local_names(ir):
        values = _global_copies(ir).get(atom.id)
        if values is None or len(values) != 1:
            return _UNKNOWN
        atom = values[0]
    root = atom
    while isinstance(root, gast.Attribute):
        root = root.value
    # (an attribute of a module or a class: `np.int64`; not `X.dtype` of a module array,
    # which may be another array when the derivative runs)
    if root is not atom and not isinstance(_resolve(ir, root), (types.ModuleType, type)):
        return _UNKNOWN
    value = _resolve(ir, atom)
    return _UNKNOWN if value is None else value


def _global_copies(ir):
    """`{local name: [the module names or attributes assigned to it]}`; names assigned
    anything else too are left out."""
    if not hasattr(ir, "_global_copies"):
        found, other = {}, set()
        local = _local_names(ir)
        for stmt in walk_block(ir.body):
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            name, value = stmt.targets[0].id, stmt.value
            root = value
            while isinstance(root, gast.Attribute):
                root = root.value
            if isinstance(root, gast.Name) and root.id not in local and root is not value:
                found.setdefault(name, []).append(value)
            else:
                other.add(name)
        ir._global_copies = {n: v for n, v in found.items() if n not in other}
    return ir._global_copies


def _truncating_writes(ir, ops):
    """`y[i] = v` into an array known to hold integers or bools (`np.zeros(3, dtype=int)`,
    `np.arange(5)`, `x.astype(int)`) truncates v: it carries no derivative into y (other
    arrays are checked when the write runs: see `floating_names`)."""
    writes = [op for op in ops.values() if op.kind == "setitem"]
    if not writes:
        return
    made = _definitions(ops)
    for op in writes:
        defs = made.get(op.target, ())
        if defs and all(_integral_result(ir, d) for d in defs):
            op.diff = []


def _definitions(ops):
    """`{name: the operations that bind it}` (not those that change its object: element
    writes, appends, pops)."""
    made = {}
    for op in ops.values():
        if op.target is not None and op.kind not in ("setitem", "append", "pop"):
            made.setdefault(op.target, []).append(op)
    return made


# functions whose result is floating whatever the dtype of their (real) operands
_FLOATING_RESULTS = {operator.truediv, np.true_divide, np.exp, np.log, np.sqrt, np.sin, np.cos,
                     np.tan, np.tanh, np.arctan, np.sinh, np.cosh, np.log1p, np.expm1,
                     np.mean}
_MADE_AS_FLOATS = {np.zeros, np.ones, np.empty, np.eye, np.identity, np.random.rand,
                   np.random.randn}


def floating_names(ir, ops, wrt):
    """The names known to hold floating values (arrays of floats, floats): the differentiated
    inputs (integers become floats), np.zeros(n) without an integer dtype, arithmetic with a
    float constant, true division, np.exp(...), their copies, items and views. A value
    written into one of them keeps its derivative; writes into anything else are checked
    when they run (`if_floating`): an integer array truncates what it is given."""
    differentiated = {ir.inputs[k] for k in wrt}
    floating = set()
    made = _definitions(ops)
    changed = True
    while changed:
        changed = False
        for name, defs in made.items():
            if name not in floating and all(
                    id(op.stmt) in ir.entry and name in differentiated
                    or _makes_floats(ir, op, floating) for op in defs):
                floating.add(name)        # (x = x.astype(int) after: not a float array)
                changed = True
    return floating


def _makes_floats(ir, op, floating):
    if op.kind == "const":
        return isinstance(op.stmt.value, gast.Constant) and type(op.stmt.value.value) is float
    if op.kind in ("copy", "getitem"):
        source = op.args[0] if op.kind == "copy" else op.args["value"]
        return _name_in(source, floating)
    if op.kind not in ("rule", "zero") or op.rule is None or op.integral:
        return False
    primal = op.rule.primal
    call = op.stmt.value
    dtype = _dtype_argument(op)
    if dtype is not None or op.dtype_unknown:
        return _dtype_kind(ir, dtype) == "f"
    if among(primal, _MADE_AS_FLOATS):
        return True
    if primal in (np.zeros_like, np.ones_like, np.empty_like):    # x's dtype
        return len(call.args) == 1 and _name_in(call.args[0], floating)
    if among(primal, _FLOATING_RESULTS):
        return True
    if primal is np.copy:
        return _name_in(op.args.get("x"), floating)
    if isinstance(call, gast.BinOp):
        sides = (call.left, call.right)
        return any(isinstance(a, gast.Constant) and type(a.value) is float for a in sides) \
            or all(_name_in(a, floating) or isinstance(a, gast.Constant) for a in sides)
    if isinstance(call, gast.UnaryOp):
        return _name_in(call.operand, floating)
    return False


# where the functions that make arrays (zero-derivative ones among them) take their dtype
_DTYPE_POSITIONS = {np.zeros: 1, np.ones: 1, np.empty: 1, np.zeros_like: 1, np.ones_like: 1,
                    np.empty_like: 1, np.full: 2, np.full_like: 2, np.array: 1, np.asarray: 1,
                    np.identity: 1, np.eye: 3, np.arange: 3}


def _integral_result(ir, op):
    """Whether op's value is known to be an array of integers or bools."""
    if op.integral:
        return True
    if op.rule is None or op.kind not in ("zero", "rule"):
        return False
    dtype = _dtype_argument(op)
    if dtype is not None:
        kind = _dtype_kind(ir, dtype)
        return kind is not None and kind in "biu"
    if op.rule.primal is np.arange:
        return all(isinstance(a, gast.Constant) and type(a.value) is int
                   for a in op.stmt.value.args)
    return False


def _dtype_argument(op):
    """The operand that the call of rule or zero op `op` passes as its dtype (by keyword,
    or where the function takes it by position), else None."""
    call = op.stmt.value
    if not isinstance(call, gast.Call):
        return None
    for k in call.keywords:
        if k.arg == "dtype":
            return k.value
    position = _DTYPE_POSITIONS[op.rule.primal] if among(op.rule.primal, _DTYPE_POSITIONS) \
        else None
    if position is not None and len(call.args) > position:
        return call.args[position]
    return op.args.get("dtype")


def _name_in(atom, names):
    return isinstance(atom, gast.Name) and atom.id in names


def check_in_place(ir, scalar):
    """`z = x; z += y` changes x as well when x is an array (NumPy works in place);
    srcad's `z = z + y` would not: refuse rather than differ."""
    for home, (node, a, b, made) in ir.in_place.items():
        if home not in scalar:
            listed = isinstance(node.value, (gast.List, gast.ListComp, gast.Tuple))
            kind, how = ("a list", "Python extends a list in place (a tuple it would not)") \
                if listed else ("an array", "NumPy does this in place")
            raise UnsupportedError(
                f"'{node.target.id} {AUGMENTED[type(node.op)]} ...' changes {kind} that "
                f"is also named '{b if node.target.id == a else a}' (after '{made}'): {how}",
                ir.source.location(node),
                hint=(f"to change '{b}' too, as Python does, write into it by index "
                      f"({b}[i] {AUGMENTED[type(node.op)]} ...); to keep them apart, "
                      if made.startswith("for ") else "")
                + (f"write {a} = {b}.copy()" if made == f"{a} = {b}" else
                   "make the copy explicit there (add .copy())")
                + f", or {node.target.id} = {node.target.id} "
                  f"{AUGMENTED[type(node.op)][:-1]} ... to make a new "
                + ("list" if listed else "array"))


def check_items(ir, ops, scalar, arg_kinds):
    """`t = a[2]; a[2] = v; ... t`: t shares a's memory unless it is a number (a row of a
    matrix is a view); srcad's t is a copy. Refuse unless every item such a statement takes
    is a number for these kinds, or an item of a list, tuple or dict argument whose slot
    the write rebinds (`slot`: `xs[0] = v`, not `t[1] = v`): normalise names the statements,
    `ir.unless_numbers`."""
    if not ir.unless_numbers:
        return
    containers = {v for v, kind in zip(ir.inputs, arg_kinds) if kind in ("list", "tuple", "dict")
                  and all(op.target != v or op.kind == "setitem" or id(op.stmt) in ir.entry
                          for op in ops.values())}
    restored = {op.target for op in ops.values() if op.kind == "rule" and op.rule is not None
                and op.rule.primal is runtime.restored_item}
    for copied in ops.values():      # `p = params.copy()` of such an argument: a new one
        # (and a dict or list display: `d = {"a": ...}`)
        if (copied.kind == "rule" and copied.rule is not None and copied.rule.primal is np.copy
                and _name_in(copied.args.get("x"), containers)
                or copied.kind == "pack" and isinstance(copied.stmt.value, (gast.Dict, gast.List))) \
                and all(
                    op.target != copied.target or op is copied or op.kind == "setitem"
                    or op.kind == "copy" and _name_in(op.args[0], restored)
                    for op in ops.values()):
            # (a gradient differentiated again puts its slots back: restored_item's copies)
            containers.add(copied.target)
    for made, error, slot in ir.unless_numbers:
        taken = [op for op in ops.values()
                 if op.kind == "getitem" and ir.origin.get(op.stmt) is made]
        if not taken or any(op.target not in scalar and not (
                slot and _name_in(op.args["value"], containers)) for op in taken):
            raise error


def check_iterated_dicts(ir, arg_kinds):
    """`for k in d` with a dict argument d walks its keys; srcad's loop indexes d[0], d[1]:
    refuse (a dict display is known to be one, and walks its keys)."""
    args = ir.source.tree.args       # (the user's names: ir.params may rename one)
    for param, kind in zip([a.id for a in args.posonlyargs + args.args + args.kwonlyargs],
                           arg_kinds):
        node = ir.iterated.get(param)
        if kind == "dict" and node is not None:
            raise UnsupportedError(f"iterating over the dict '{param}' itself is not supported "
                                   "by srcad", ir.source.location(node),
                                   hint=f"loop over {param}.keys(), {param}.items() or "
                                        f"{param}.values()")


def check_calls_in_place(ir, ops, scalar, changed_in_place, structures=frozenset(),
                         ndims=None, recalled=()):
    """A user function that changes an argument in place (`a[0] = ...`, `a += ...`) changes
    the caller's array in Python; srcad's derivative of it works on a copy, and the caller's
    would not see the change: refuse such a call of a value that is not a scalar. `ndims`
    (`input_ndims`) tells the callee which arguments are matrices, vectors, numbers. A new
    array made for the call alone passes. Returns `{id(call statement): names}`: such arrays
    passed to a call whose value is among `recalled` (the active values of a reverse sweep,
    which calls the callee's derivative with the array again): the forward sweep's call
    takes a copy, which the callee may change."""
    copied = {}
    if changed_in_place is None:
        return copied
    ndims = ndims or {}
    for op in ops.values():
        if op.kind != "call":
            continue
        kinds = tuple(argument_kind(op.args.get(param), scalar, ndims, structures)
                      for param in inspect.signature(op.callee).parameters)
        changes = changed_in_place(op.callee, kinds)
        if changes:     # (what it may change is all srcad can tell: refused for that)
            _refuse_unreadable_library(ir, op, getattr(changed_in_place, "unreadable", {}),
                                       changes)
        for param, how in changes.items():
            name = op.callee.__name__
            if param == "":
                raise UnsupportedError(
                    f"{name} may change a value outside it ({how}), which srcad cannot "
                    f"follow into {ir.name}", ir.location(op.stmt),
                    hint=f"let {name} return what it computes, and pass it on as an "
                         "argument")
            atom = op.args.get(param)
            default = _default_of(op.callee, param)
            if param not in op.args and default is not None \
                    and not isinstance(default, (numbers.Number, str, bytes, tuple)):
                raise UnsupportedError(
                    f"{name} may change its default value of '{param}' in place ({how}), "
                    "which Python keeps for the next call: srcad's derivative would not "
                    "follow that change", ir.location(op.stmt),
                    hint=f"pass {name} a new value for {param} here, or make it inside "
                         f"{name} (a default of None, then {param} = np.zeros(...))")
            if isinstance(atom, gast.Name) and atom.id not in scalar \
                    and (atom.id in structures
                         or not _fresh_and_passed_once(ir, ops, atom.id)):
                raise UnsupportedError(
                    f"{name} may change its argument '{param}' in place ({how}); srcad "
                    f"cannot carry that change back into {ir.name}", ir.location(op.stmt),
                    hint=f"let {name} return the new value and assign it"
                         + (f", or copy first inside {name} ({param} = {param}.copy())"
                            if param != "self" else ""))
            if isinstance(atom, gast.Name) and atom.id not in scalar and op.target in recalled:
                copied.setdefault(id(op.stmt), set()).add(atom.id)
    return copied


def _refuse_unreadable_library(ir, op, unreadable, changes):
    """A call of a library's function (SciPy's, the standard library's: not the user's)
    without a rule, whose code srcad cannot read (`unreadable`: function -> why) and which
    may change `changes` ({parameter or "": how}): say that it has no rule, first."""
    if op.callee not in unreadable or users_module(inspect.getmodule(op.callee)):
        return
    param, how = next(iter(changes.items()))
    what = "a value outside it" if param == "" else f"its argument '{param}' in place"
    name = op.callee.__name__
    raise MissingRuleError(
        f"srcad has no derivative rule for {op.callee.__module__}.{op.callee.__qualname__}"
        f", and cannot follow its code ({unreadable[op.callee]}): {name} may change "
        f"{what} ({how.split('; srcad cannot read')[0]})", ir.location(op.stmt),
        hint=f"register one with @srcad.adjoint({name}) (and @srcad.tangent for forward "
             "mode), or compute the value with NumPy in your own code")


def _default_of(fn, param):
    """The default value of `fn`'s parameter `param`, None where it has none."""
    try:
        default = inspect.signature(fn).parameters[param].default
    except (KeyError, TypeError, ValueError):
        return None
    return None if default is inspect.Parameter.empty else default


# NumPy functions whose result is a new array, shared with nothing (np.full(2, x) too)
_NEW_ARRAYS = {np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like,
               np.full_like, np.empty_like, np.copy, np.linspace, np.arange, np.eye,
               np.identity, runtime.fresh}


def _fresh_and_passed_once(ir, ops, name):
    """Whether `name` holds a new array made for the call that reads it, and read nowhere
    else (`h(x + x)`, `h(x, np.zeros(2))`): a change the callee makes to it reaches
    nothing."""
    made = [op for op in ops.values() if op.target == name]
    if len(made) != 1 or made[0].kind not in ("rule", "zero") or made[0].rule is None or not (
            isinstance(made[0].rule.primal, np.ufunc) or among(made[0].rule.primal, _NEW_ARRAYS)
            or getattr(made[0].rule.primal, "__module__", None) in ("_operator", "operator")):
        return False
    return load_counts(ir)[name] == 1


# ----- activity -----


def activity(ir, ops, wrt, output):
    """Names that depend on a `wrt` input and reach `output`: `set[str]`.

    Also checks that no attribute without a rule (`obj.w`) is read from a varying object."""
    varied = set(wrt)
    restored = _restored(ir, ops)     # (what a gradient's stack gives back: what was pushed)
    restored.update(_items_of_displays(ir, ops))
    # per operation with a derivative: its target, the names it varies with (for a value a
    # gradient's stack gives back, those pushed) and the names its derivative reads
    flows = []
    for op in ops.values():
        if op.target is None or op.kind in ("zero", "const", "inert"):
            continue
        operands = op.operand_names(op.diff)
        pushed = restored.get(id(op.stmt))
        varies_with = operands if pushed is None else \
            [a.id for a in pushed if isinstance(a, gast.Name)]
        flows.append((op.target, varies_with, operands))
    changed = True
    while changed:
        changed = False
        for target, varies_with, _ in flows:
            if target not in varied and not varied.isdisjoint(varies_with):
                varied.add(target)
                changed = True
    useful = {output}
    backwards = flows[::-1]   # usefulness flows from uses to definitions
    changed = True
    while changed:
        changed = False
        for target, _, operands in backwards:
            if target in useful:
                for n in operands:
                    if n not in useful:
                        useful.add(n)
                        changed = True
    for op in ops.values():
        if op.kind == "rule" and op.target in useful:
            _check_differentiable(ir, op, varied)
        if op.kind == "opaque" and op.target in varied and (op.call or op.target in useful):
            raise op.refusal
    return varied & useful


def _items_of_displays(ir, ops):
    """`{id(statement): [item]}` for `v = items[k]`, k a constant, of a list, tuple or dict
    made once by a display (`items = [2, x[0]]`, `d = {"n": 2, "s": x[0]}`) that the
    function only reads items (and the length) of: v is the display's item there, which varies only if it
    does (a constant read from one had a tangent of zeros: 0 / 0 for np.sqrt(items[0]) of
    0.0)."""
    if not any(op.kind == "pack" for op in ops.values()):
        return {}                  # (no display)
    made = _definitions(ops)
    displays = {}                  # name -> {constant index or key: its item}
    for name, defs in made.items():
        items = _display_items(defs[0].stmt.value) if len(defs) == 1 \
            and defs[0].kind == "pack" else None
        if items is not None:
            displays[name] = (defs[0], items)
    if not displays:
        return {}
    found = {}
    for stmt in walk_block(ir.body):
        op = ops.get(id(stmt))
        own = [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else \
            [stmt.target, stmt.iter] if isinstance(stmt, gast.For) else [stmt]
        for name in {n.id for n in T.name_nodes(own)} & displays.keys():
            display, items = displays[name]
            if op is display or getattr(getattr(op, "rule", None), "primal", None) is len:
                continue
            if op is None or op.kind != "getitem" or not _name_in(op.args["value"], {name}) \
                    or name in T.names_mentioned(op.args["index"]):
                displays.pop(name)       # (changed, passed on, or read otherwise)
                continue
            index = op.args["index"]
            if isinstance(index, gast.Constant) and type(index.value) in (int, str) \
                    and index.value in items:
                found[id(stmt)] = (name, [items[index.value]])
    return {stmt: items for stmt, (name, items) in found.items() if name in displays}


def _display_items(value):
    """`{index or key: item}` of a list, tuple or dict display (negative indices too), None
    for one with `*xs`, `**d` or a key other than an int or str constant."""
    if isinstance(value, (gast.List, gast.Tuple)):
        if any(isinstance(e, gast.Starred) for e in value.elts):
            return None
        n = len(value.elts)
        return {k: e for k in range(-n, n) for e in [value.elts[k]]}
    if isinstance(value, gast.Dict) and all(
            isinstance(key, gast.Constant) and type(key.value) in (int, str)
            for key in value.keys):
        return {key.value: item for key, item in zip(value.keys, value.values)}
    return None


def _check_differentiable(ir, op, varied):
    """A varying value passed where `op`'s rule has no derivative (a parameter with a default,
    or whose rule result is None) would be a silent zero: refuse it."""
    for p, atom in op.args.items():
        if p not in op.diff and p not in op.zero and _name_in(atom, varied):
            raise UnsupportedError(
                f"{op.rule.name} is not differentiable with respect to its argument '{p}'",
                ir.location(op.stmt),
                hint="wrap the value in srcad.stop_gradient if no derivative is needed")
    extra = getattr(op, "extra", ())
    if extra and any(_name_in(atom, varied) for atom in extra):
        raise UnsupportedError(f"{op.rule.name} is not differentiable with respect to its extra "
                               "arguments", ir.location(op.stmt))


# ----- kinds of values -----


def input_ndims(ir, ops, arg_kinds):
    """`{name: number of dimensions}` of the array and number inputs, under both their trace
    name and their parameter name (entry bindings v_0 = x keep them), and of the names every
    assignment of which is known to have a number of them: copies (`a = a.copy()`, `b = a`),
    element writes (`a[i] = v`) and elementwise arithmetic (`b = a * a`, `np.tanh(a)`)."""
    given = {}
    for v, p, kind in zip(ir.inputs, ir.params, arg_kinds):
        if kind.startswith("array") and kind[5:].isdigit():
            given[v] = given[p] = int(kind[5:])
        elif kind == "scalar":
            given[v] = given[p] = 0
    if not any(op.kind == "getitem" for op in ops.values()):
        # (what else asks, the matrices among the inputs, asks of the inputs only)
        reassigned = {op.target for op in ops.values() if id(op.stmt) not in ir.entry}
        kept = {}
        for v, p in zip(ir.inputs, ir.params):
            if given.get(v) and v not in reassigned:
                kept[v] = kept[p] = given[v]
        return kept
    made, other = {}, set()   # name -> per assignment, the names whose most dimensions it has
    lengths = _tuple_lengths(ops)
    counts = _counts(ops, {v for v, ndim in given.items() if ndim})
    restored = _restored(ir, ops)
    for op in ops.values():
        name = op.target
        if name is not None and name not in ir.params:
            pushed = restored.get(id(op.stmt))
            if pushed and all(isinstance(a, gast.Name) for a in pushed):
                # a gradient's `v = _stack.pop()`: one of the values pushed, each of which
                # must have the dimensions v has
                made.setdefault(name, []).extend((a.id,) for a in pushed)
                continue
            sources = _dimensions_from(op, lengths, counts) if _plain_dtype(ir, op) else None
            if sources is None:
                other.add(name)
            else:
                made.setdefault(name, []).append(sources)
    for name in other:
        made.pop(name, None)
    ndims = {name: ndim for name, ndim in given.items() if name not in other}

    def most(sources):       # (None: one of them is not known; a number is one itself)
        if any(type(k) is str and k not in ndims for k in sources):
            return None
        return max((ndims[k] if type(k) is str else k for k in sources), default=0)
    changed = True
    while changed:        # a name takes the dimensions of an assignment of it
        changed = False
        for name, assignments in made.items():
            if name not in ndims:
                ndim = next((n for n in map(most, assignments) if n is not None), None)
                if ndim is not None:
                    ndims[name] = ndim
                    changed = True
    changed = True
    while changed:        # and keeps them if every assignment of it gives them
        changed = False
        for name, assignments in made.items():
            if name in ndims and any(most(sources) != ndims[name] for sources in assignments):
                del ndims[name]
                changed = True
    for v, p in zip(ir.inputs, ir.params):
        if p in ndims and v not in ndims:
            del ndims[p]
    return ndims


def _tuple_lengths(ops):
    """`{name: k}` for the names assigned once, a tuple display of k items (`v_3 = n, n`)."""
    lengths, seen = {}, set()
    for op in ops.values():
        name = op.target
        if name is None:
            continue
        if name in seen:
            lengths.pop(name, None)
            continue
        seen.add(name)
        value = getattr(op.stmt, "value", None)
        if isinstance(op.stmt, gast.Assign) and isinstance(value, gast.Tuple):
            lengths[name] = len(value.elts)
    return lengths


def _counts(ops, arrays):
    """Names that certainly hold an int: `len(a)`, `a.shape[k]`, `a.size` of an array input
    a (in `arrays`), `int(...)`, int constants, and `+`, `-`, `*`, `//` of these (`n =
    b.shape[0]; m = n - 1`): `np.zeros(n)` of one has one dimension."""
    counts = {op.target for op in ops.values() if op.target is not None}
    shapes = {op.target for op in ops.values() if op.kind == "zero"
              and isinstance(op.stmt.value, gast.Attribute) and op.stmt.value.attr == "shape"
              and _name_in(op.stmt.value.value, arrays)}
    shapes -= {op.target for op in ops.values() if op.target in shapes and not (
        op.kind == "zero" and isinstance(op.stmt.value, gast.Attribute)
        and op.stmt.value.attr == "shape" and _name_in(op.stmt.value.value, arrays))}

    def an_int(atom):
        return _name_in(atom, counts) or isinstance(atom, gast.Constant) \
            and type(atom.value) is int

    def gives_int(op):
        value = getattr(op.stmt, "value", None)
        if op.kind == "const":
            return an_int(value)
        if op.kind == "copy":
            return an_int(op.args[0])
        if op.kind == "getitem":
            index = op.args["index"]
            return _name_in(op.args["value"], shapes) and isinstance(index, gast.Constant) \
                and type(index.value) is int
        if op.kind == "zero" and isinstance(value, gast.Attribute) \
                and value.attr in ("size", "ndim") and _name_in(value.value, arrays):
            return True                       # x.size, x.ndim of an array input
        primal = getattr(op.rule, "primal", None)
        if primal is len or primal is int:
            return True
        return primal in (operator.add, operator.sub, operator.mul, operator.floordiv) \
            and isinstance(value, gast.BinOp) and all(map(an_int, op.args.values()))

    changed = True
    while changed:
        changed = False
        for op in ops.values():
            if op.target in counts and not gives_int(op):
                counts.discard(op.target)
                changed = True
    return counts - shapes


def _plain_dtype(ir, op):
    """Whether the dtype that op's call gives, if any, is known and adds no axes
    (`np.zeros(n, dtype=(float, 3))` has two)."""
    if op.kind not in ("rule", "zero") or op.rule is None or op.rule.primal is None:
        return True
    dtype = _dtype_argument(op)
    if dtype is None:
        return True
    value = _constant_value(ir, dtype)
    try:
        return value is not _UNKNOWN and np.dtype(value).shape == ()
    except (TypeError, ValueError):
        return False


def _dimensions_from(op, lengths, counts=frozenset()):
    """The names whose most dimensions `op`'s result has for certain (numbers add none; a
    number among them is a number of dimensions), or None where they are not known.
    `lengths`: `_tuple_lengths`, for the shapes given to np.zeros and its kin; `counts`:
    `_counts`, names that hold an int."""
    kind = op.kind
    if kind == "setitem":
        return (op.target,)
    if kind == "copy":
        return (op.args[0].id,) if type(op.args[0]) is gast.Name else None
    if kind != "rule" and kind != "zero" or op.rule is None:
        return None
    primal = op.rule.primal
    call = op.stmt.value
    if id(primal) in _SHAPED and isinstance(call, gast.Call):
        shape = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "shape"), None)
        if isinstance(shape, gast.Constant) and type(shape.value) is int \
                or _name_in(shape, counts):
            return (1,)                                     # np.zeros(3), np.zeros(n)
        if isinstance(shape, gast.Name) and shape.id in lengths:
            return (lengths[shape.id],)                     # np.zeros((n, n))
        return None
    if id(primal) in _SAME_DIMENSIONS:
        first = next(iter(op.args.values()), None)        # (a method's object too: a.copy())
        if isinstance(first, gast.Name) and isinstance(call, gast.Call) \
                and len(call.args) < _SAME_DIMENSIONS[id(primal)] \
                and not any(k.arg in ("shape", None) for k in call.keywords):
            return (first.id,)
        return None
    if kind == "rule" and (among(primal, _ELEMENTWISE_OPERATORS) or isinstance(primal, np.ufunc)
                           and primal.signature is None     # (not matmul's (n,k),(k,m))
                           and not (isinstance(call, gast.Call) and call.keywords)):
        names = []
        for atom in op.args.values():
            if isinstance(atom, gast.Name):
                names.append(atom.id)
            elif not (isinstance(atom, gast.Constant) and type(atom.value) in (int, float)):
                return None
        return tuple(names)
    return None


_ELEMENTWISE_OPERATORS = {operator.add, operator.sub, operator.mul, operator.truediv,
                          operator.pow, operator.floordiv, operator.mod, operator.neg,
                          operator.pos}
# functions whose first argument (or `shape`) is the shape of their result
_SHAPED = {id(np.zeros), id(np.ones), id(np.empty), id(np.full)}
# functions whose result has the dimensions of their first argument, an array, unless
# they are given a shape: the position of their `shape` parameter
_SAME_DIMENSIONS = {id(np.copy): 1 << 10, id(np.zeros_like): 4, id(np.ones_like): 4,
                    id(np.empty_like): 4, id(np.full_like): 5}    # (by id, as rules are)


def returns_a_number(ir, ops, scalar, out=None):
    """Whether `ir` returns a name of `scalar` (what `scalars` found) that an operation with
    a derivative computes (not a comparison, a constant such as None, the value of a call
    without a rule, nor `x ** 0.5`, complex for a negative float), a number written as
    such (`s = 0.0`) or a scalar parameter, through copies (`v_4 = v_2`): then it returns a
    number, or an argument's object (of a type that the caller checks once)."""
    ops = ops.values()
    todo, seen = [ir.body[-1].value if out is None else out], set()
    while todo:
        out = todo.pop()
        if not isinstance(out, gast.Name) or out.id not in scalar:
            return False
        if out.id in seen:
            continue
        seen.add(out.id)
        made = [op for op in ops if op.target == out.id]
        if not made and out.id not in ir.params or not all(
                op.kind in ("rule", "call", "copy", "getitem") and not _maybe_complex(op)
                or _number_written(op) for op in made):
            return False
        todo.extend(op.args[0] for op in made if op.kind == "copy")
    return True


def _maybe_complex(op):
    """`x ** y` of Python floats, but for a whole exponent, is complex where x < 0."""
    if getattr(op.rule, "primal", None) is not operator.pow:
        return False
    exponent = op.args.get("y")
    return not (isinstance(exponent, gast.Constant) and type(exponent.value) is int)


def _number_written(op):
    """`v = 0.0`, `v = 3`."""
    value = op.stmt.value
    return op.kind == "const" and isinstance(value, gast.Constant) \
        and type(value.value) in (int, float)


def scalars(ir, ops, arg_kinds, returns_scalar=None, ndims=None):
    """Names that certainly hold scalars, given `arg_kinds` ("scalar", "array", ...).

    `returns_scalar(fn, kinds)` answers for calls of user functions (None: never); `ndims`,
    what `input_ndims` says (found here if not given)."""
    known = {v for v, kind in zip(ir.inputs, arg_kinds) if kind == "scalar"}
    known |= {p for p, kind in zip(ir.params, arg_kinds) if kind == "scalar"}
    known |= _global_numbers(ir, ops)
    read_numbers = _numbers_read_along(ir, ops)
    if ndims is None:
        ndims = input_ndims(ir, ops, arg_kinds)
    loop_counters = {s.target.id for s in walk_block(ir.body) if isinstance(s, gast.For)}
    candidates = {op.target for op in ops.values() if op.target} | loop_counters
    scalar = (candidates | known) - (set(ir.inputs) - known)
    # (what an index selects: bools, ranges, a call's items; only an item's question,
    # `_scalar_result` of a getitem, reads them, and most functions take no item)
    if any(op.kind == "getitem" for op in ops.values()):
        flags, calls, ranges = _flags(ops), _made_once_by_calls(ops), _ranges(ops)
    else:
        flags, calls, ranges = (), {}, ()
    restored = _restored(ir, ops)
    changed = True
    while changed:
        changed = False
        for op in ops.values():
            if op.target not in scalar or id(op.stmt) in read_numbers:
                continue
            pushed = restored.get(id(op.stmt))
            if pushed is not None and all(_is_scalar_atom(a, scalar) for a in pushed):
                continue
            if pushed is not None or not _scalar_result(op, scalar, returns_scalar, ndims,
                                                        flags, calls, ranges):
                scalar.discard(op.target)
                changed = True
    return scalar


def _restored(ir, ops):
    """In a gradient's code (differentiated again), `{id(statement): atoms}` for the
    statements that take a saved value back, from the stack or from a loop's tape, and
    `atoms` the values that were saved there."""
    return {**_popped_from_stack(ir, ops), **_read_from_tapes(ir, ops)}


def _popped_from_stack(ir, ops):
    """`{id(statement): atoms}` for `v = _stack.pop()` and the items of
    `a, v = _stack.pop()`: reverse.py pushes a saved name so (`_stack.append(v)`,
    `_stack.append((a, v))`) and restores it so, and `atoms` are the values the pushes of
    that name hand over."""
    if ir.stack is None:
        return {}
    pushed, pops = {}, []
    tuples = {op.target: op for op in ops.values() if op.kind == "pack"}
    popped = {op.target for op in ops.values()       # (the tuples popped: `a, v = ...`)
              if op.kind == "pop" and _name_in(op.args["list"], {ir.stack})}
    for op in ops.values():
        made = ir.origin.get(op.stmt)
        if op.kind == "append" and op.target == ir.stack:
            value = made.value.args[0] if isinstance(made, gast.Expr) \
                and isinstance(made.value, gast.Call) and made.value.args else None
            if isinstance(value, gast.Name):
                pushed.setdefault(value.id, []).append(op.args[0])
            elif isinstance(value, gast.Tuple):
                pack = tuples.get(getattr(op.args[0], "id", None))
                if pack is None or len(pack.args) != len(value.elts) or not all(
                        isinstance(item, gast.Name) for item in value.elts):
                    return {}        # (not one of reverse.py's pushes: nothing is known)
                for k, item in enumerate(value.elts):
                    pushed.setdefault(item.id, []).append(pack.args[k])
        elif not isinstance(made, gast.Assign) or len(made.targets) != 1:
            continue
        elif op.kind == "pop" and _name_in(op.args["list"], {ir.stack}) \
                and isinstance(made.targets[0], gast.Name):
            pops.append((id(op.stmt), made.targets[0].id))
        elif op.kind == "getitem" and isinstance(made.targets[0], gast.Tuple) \
                and _name_in(op.args["value"], popped) \
                and isinstance(op.args["index"], gast.Constant) \
                and type(op.args["index"].value) is int:
            items = made.targets[0].elts
            k = op.args["index"].value
            if 0 <= k < len(items) and isinstance(items[k], gast.Name):
                pops.append((id(op.stmt), items[k].id))
    return {stmt: pushed[name] for stmt, name in pops if name in pushed}


def _read_from_tapes(ir, ops):
    """`{id(statement): atoms}` for the items that a gradient's reverse loop reads from a
    tape of tuples (tapes.py: `_tape1.append((a, v))` in the loop, `for a, v in
    reversed(_tape1)` after it, which reads `row = view[i]`, then `v = row[1]`): the k-th
    item is one of the k-th items appended. (Read as the tape, an int saved beside a float
    would have a tangent: 0 * log(x) of a power's exponent is nan where x < 0.)"""
    if not ir.tapes:
        return {}                  # (no tape: nothing is read from one)
    made = _definitions(ops)
    packs = {op.target: op for op in ops.values() if op.kind == "pack"}
    saved = {}                     # tape -> the tuples appended to it, as [{k: atom}]
    for tape in ir.tapes:
        made_by = made.get(tape, ())
        changes = [op for op in ops.values() if op.target == tape and op not in made_by]
        tuples = [packs.get(getattr(op.args[0], "id", None)) for op in changes]
        if len(made_by) == 1 and all(op.kind == "append" for op in changes) \
                and None not in tuples:
            saved[tape] = [t.args for t in tuples]
    views = {tape: tape for tape in saved}     # name -> its tape (the tape, its slices)
    rows = {}                                  # name -> the tape whose tuple it holds
    found = {}
    for op in ops.values():
        if op.kind != "getitem":
            continue
        value, index = getattr(op.args["value"], "id", None), op.args["index"]
        if value in views and len(made[op.target]) == 1:
            (views if isinstance(index, gast.Slice) else rows)[op.target] = views[value]
        elif value in rows and isinstance(index, gast.Constant) and type(index.value) is int:
            items = [args.get(index.value) for args in saved[rows[value]]]
            if None not in items:
                found[id(op.stmt)] = items
    return found


def _global_numbers(ir, ops):
    """The free names the IR reads that hold an int or a float now (`G = 9.81` of the
    module, a closure's `k`): numbers, under a guard on their type (Namespace.number)."""
    loaded = _names_used(ir)[1]      # (the IR's names stay; what they hold is read anew)
    bound = {op.target for op in ops.values()} | set(ir.inputs) | set(ir.params)
    free = loaded - bound
    namespace = ir.namespace
    return {n for n in free if n in namespace and namespace.number(n)}


def _numbers_read_along(ir, ops):
    """The ids of the statements that read a number from the attributes of a free name
    (`v_3 = CFG.lr`, `v_4 = config.LR` of a module of the user's), under a guard on its type
    (Namespace.number_along)."""
    found = set()
    for op in ops.values():
        if op.kind != "const":
            continue
        value, steps = op.stmt.value, ()
        while isinstance(value, gast.Attribute):
            value, steps = value.value, (("attr", value.attr),) + steps
        if steps and isinstance(value, gast.Name) and value.id not in ir.inputs \
                and value.id not in ir.params and value.id in ir.namespace \
                and ir.namespace.number_along(value.id, steps):
            found.add(id(op.stmt))
    return found


def _ranges(ops):
    """Names that hold a range wherever they are assigned: `range(...)` and slices of one
    (`for i in reversed(range(n))` walks `range(n)[::-1]`, also in a gradient's reverse
    sweep); an int index of one is an int."""
    ranges = {op.target for op in ops.values()
              if op.target is not None and op.kind not in ("setitem", "append", "pop")}
    changed = True
    while changed:
        changed = False
        for op in ops.values():
            if op.target in ranges and not _makes_range(op, ranges):
                ranges.discard(op.target)
                changed = True
    return ranges


def _makes_range(op, ranges):
    if op.kind == "getitem":
        return isinstance(op.args["index"], gast.Slice) and _name_in(op.args["value"], ranges)
    return op.kind in ("rule", "zero") and getattr(op.rule, "primal", None) is range \
        and isinstance(op.stmt.value, gast.Call)


def _made_once_by_calls(ops):
    """`{name: call op}` for the names that one call of a user function binds, and nothing
    else (`v_3 = rhs(th, om)`: its items are read by `a, b = ...`)."""
    if not any(op.kind == "call" for op in ops.values()):
        return {}
    made = {}
    for op in ops.values():
        if op.target is not None and op.kind not in ("setitem", "append", "pop"):
            made[op.target] = op if op.target not in made else None
    return {name: op for name, op in made.items() if op is not None and op.kind == "call"}


def _callee_kinds(op, scalar):
    """The kinds `scalars` of a callee takes from call op `op`: "scalar" for the numbers
    passed (or defaulted), else "other"."""
    kinds = []
    for name, param in inspect.signature(op.callee).parameters.items():
        if name in op.args:
            kinds.append("scalar" if _is_scalar_atom(op.args[name], scalar) else "other")
        else:
            number = isinstance(param.default, (int, float)) and \
                not isinstance(param.default, bool)
            kinds.append("scalar" if number else "other")
    return tuple(kinds)


# functions whose value is a bool (or an array of them)
_BOOLEAN = {operator.not_, operator.is_, operator.is_not, operator.contains, operator.eq,
            operator.ne, operator.lt, operator.le, operator.gt, operator.ge, bool, isinstance,
            callable, operator.truth, np.bool_, np.isnan, np.isinf, np.isfinite, np.isclose,
            np.allclose, np.all, np.any, np.array_equal, np.signbit, np.logical_and,
            np.logical_or, np.logical_not, np.logical_xor}


def _flags(ops):
    """Names that hold a bool (a comparison, `not a`, np.isnan(x), their copies and `&`):
    `x[b]` of one is no element of x but x with an axis more, (1, n) or (0, n). (A user
    function's value is a scalar only where it is a number: `returns_scalar`.)"""
    flags, changed = set(), True
    while changed:
        changed = False
        for op in ops.values():
            if op.target is None or op.target in flags:
                continue
            primal = getattr(op.rule, "primal", None)
            if isinstance(getattr(op.stmt, "value", None), gast.Compare) or among(primal, _BOOLEAN) \
                    or (op.kind == "copy" or primal in (operator.and_, operator.or_,
                                                        operator.xor)) \
                    and _of_flags(op, flags):
                flags.add(op.target)
                changed = True
    return flags


def _of_flags(op, flags):
    """Whether `op` has names among its operands, each of them one of `flags`."""
    names = op.operand_names()
    return bool(names) and flags.issuperset(names)


def _is_int_atom(atom, scalar, flags=()):
    """An index that selects one element: an int constant or a scalar name (loop counter),
    not a bool (`flags`)."""
    if isinstance(atom, gast.Constant):
        return isinstance(atom.value, int) and not isinstance(atom.value, bool)
    return isinstance(atom, gast.Name) and atom.id in scalar and atom.id not in flags


def _is_scalar_atom(atom, scalar):
    if isinstance(atom, gast.Constant):
        return isinstance(atom.value, (int, float, bool)) or atom.value is None
    return isinstance(atom, gast.Name) and atom.id in scalar


def _reassigned(ops, name):
    return sum(1 for op in ops.values() if op.target == name) > 1


def _scalar_result(op, scalar, returns_scalar=None, ndims=None, flags=(), calls=None,
                   ranges=()):
    atoms = (a for a in op.args.values() if not isinstance(a, (gast.Slice, gast.Tuple)))
    if op.kind == "zero" and op.rule is None:   # a comparison: of arrays, an array (a mask)
        atoms = [op.stmt.value.left] + op.stmt.value.comparators
    if op.kind == "getitem":   # v[i] or m[i, j]: one integer per dimension
        value, index = op.args["value"], op.args["index"]
        call = (calls or {}).get(getattr(value, "id", None))
        numbers = getattr(returns_scalar, "numbers", None)
        if call is not None and numbers is not None and isinstance(index, gast.Constant) \
                and type(index.value) is int:   # `a, b = rhs(th, om)` of `return om, -th`
            items = numbers(call.callee, _callee_kinds(call, scalar))
            return items is not None and -len(items) <= index.value < len(items) \
                and items[index.value]
        if _name_in(value, ranges):            # an item of a range: an int
            return _is_int_atom(index, scalar, flags)
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        return isinstance(value, gast.Name) and (ndims or {}).get(value.id) == len(parts) \
            and all(_is_int_atom(p, scalar, flags) for p in parts)
    if op.kind == "call":
        if returns_scalar is None:
            return False
        return returns_scalar(op.callee, _callee_kinds(op, scalar))
    if op.kind == "const":
        return isinstance(op.stmt.value, gast.Constant) and _is_scalar_atom(op.stmt.value, scalar)
    if op.kind in ("copy",):
        return _is_scalar_atom(op.args[0], scalar)
    if op.kind not in ("zero", "rule"):
        return False
    primal = op.rule.primal if op.rule is not None else operator.lt  # comparisons
    if _always_scalar(primal):
        return True
    if among(primal, _FULL_REDUCTIONS) and all(
            op.args.get(p) is None or (isinstance(op.args[p], gast.Constant)
                                       and (op.args[p].value is None
                                            or op.args[p].value is False))
            for p in ("axis", "keepdims")):
        return True   # np.sum(x) without axis is a scalar whatever x is
    return not getattr(op, "extra", None) and _keeps_scalars(primal) and \
        all(_is_scalar_atom(a, scalar) for a in atoms)


_FULL_REDUCTIONS = (np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.std,
                    np.var, np.median, np.vdot, np.argmin, np.argmax)


def _always_scalar(primal):
    """math functions, float(), int(), bool() and len() return Python numbers whatever they
    are given (or raise)."""
    return getattr(primal, "__module__", None) == "math" or primal in (float, int, bool, len)


def _keeps_scalars(primal):
    """Functions whose result is a scalar when every argument is: ufuncs of one result (np.modf
    gives two) and operators. (np.ones(3) or np.tile(x, 3) make arrays of scalars, so they are
    not in this list.)"""
    return isinstance(primal, np.ufunc) and primal.nout == 1 \
        or getattr(primal, "__module__", None) in ("_operator", "operator") \
        or primal in (abs, pow, min, max, round, int, bool)


def joins_sequences(op, maybe):
    """`a + b` or `a * 3` where an operand may be a list or tuple."""
    return op.kind == "rule" and op.rule.primal in (operator.add, operator.mul) \
        and bool(maybe) and any(_name_in(a, maybe) for a in op.args.values())


def _numeric(kind):
    return kind == "scalar" or kind.startswith("array")


def dictionaries(ir, ops, arg_kinds, struct):
    """Names among `struct` that may hold dicts (`d[k] = v` may add a key): dict arguments,
    dict displays, and what calls, subscripts and copies of those give."""
    maybe = {v for v, kind in zip(ir.inputs, arg_kinds) if kind in ("dict", "other")}
    changed = bool(struct)          # (no list, tuple or dict: no name among them to add)
    while changed:
        changed = False
        for op in ops.values():
            if op.target is None or op.target in maybe or op.target not in struct:
                continue
            if (op.kind == "pack" and isinstance(op.stmt.value, gast.Dict)) \
                    or op.kind in ("call", "getitem") or (
                    op.kind == "copy" and _name_in(op.args[0], maybe)) or (
                    op.kind == "rule" and op.rule is not None and op.rule.primal is np.copy
                    and _name_in(op.args.get("x"), maybe)):          # d.copy()
                maybe.add(op.target)
                changed = True
    return maybe


# functions with a rule whose result is a list or a tuple (np.split, np.linalg.slogdet) and
# those that give one for list, tuple or dict arguments (`_follows_arguments`): in generated
# code that is differentiated again, their tangents add with `add_grad`
_LIST_RESULTS = (np.split, np.array_split, np.linalg.slogdet, np.linalg.lstsq, np.linalg.qr,
                 np.linalg.eigh, np.linalg.svd, sorted, runtime.sorted_adjoint,
                 runtime.in_sorted_order,
                 np.gradient,
                 runtime.unconcatenate, runtime.unhstack, runtime.unvstack,
                 runtime.uncolumn_stack,
                 runtime.unstack_like, runtime.unstack, runtime.multi_dot_adjoint,
                 runtime.listed, runtime.tupled, runtime.unlisted, runtime.transposed,
                 runtime.untransposed,
                 np.hsplit, np.vsplit, np.dsplit, runtime.meshgrid_of, runtime.unmeshgrid,
                 runtime.meshgrid_tangent, runtime.meshgrid_spread, runtime.broadcast_arrays_of,
                 runtime.unbroadcast_arrays, runtime.broadcast_arrays_tangent,
                 runtime.broadcast_arrays_spread,
                 runtime.undstack, runtime.unblock, runtime.select_adjoint,
                 runtime.choose_adjoint, runtime.saved_item, runtime.saved_item_tangent,
                 runtime.without_item, runtime.with_zero_item, np.modf, runtime.modf_tangent,
                 np.histogram)
_LIST_RESULT_IDS = frozenset(map(id, _LIST_RESULTS))   # (by id, as rules are)


def _follows_arguments(primal):
    """Whether `primal` may give a list, tuple or dict where an argument is one: xs.copy()
    (whose rule is np.copy's) and every helper of srcad's runtime, whatever it does
    (zeros_like_grad(pieces), add_at(pieces_bar, ...), add_adjoint(g, xs, ys, True) of a
    joined list, restored_item(p, k, saved)): one that gives an array then adds with
    add_grad, which adds arrays with `+`, and a helper that gives a list need not be listed
    to be known."""
    return primal is np.copy or getattr(primal, "__module__", None) == runtime.__name__


def _gives_structure(op, maybe):
    primal = op.rule.primal if op.kind in ("rule", "zero") and op.rule else None
    # (a helper follows its arguments only where one may hold a list, tuple or dict: `maybe`)
    return id(primal) in _LIST_RESULT_IDS or bool(maybe) and _follows_arguments(primal) \
        and any(_name_in(a, maybe) for a in op.args.values()) \
        or primal is not None and _users_rule(op.rule)


def _users_rule(rule):
    """Whether a rule was registered by the user (its function may return a tuple)."""
    adjoint, tangent = rule.adjoint, rule.tangent
    return adjoint is not None and adjoint.users or tangent is not None and tangent.users


def structures(ir, ops, arg_kinds, scalar=frozenset()):
    """Names that may hold lists, tuples or dicts (their adjoints add with `add_grad`): not
    those of `scalar`, which hold numbers (`a, b = rhs(th, om)` of `return om, -th`)."""
    maybe = {v for v, kind in zip(ir.inputs, arg_kinds) if not _numeric(kind)}
    maybe |= {p for p, kind in zip(ir.params, arg_kinds) if not _numeric(kind)}
    restored = _restored(ir, ops)
    changed = True
    while changed:
        changed = False
        for op in ops.values():
            if op.target is None or op.target in maybe or op.target in scalar:
                continue
            pushed = restored.get(id(op.stmt))
            if pushed is not None and any(_name_in(a, maybe) for a in pushed) \
                    or pushed is None and _may_give_structure(op, maybe):
                maybe.add(op.target)
                changed = True
    return maybe


def _may_give_structure(op, maybe):
    """Whether `op` may give a list, tuple or dict, given the names `maybe` that may hold
    one: an item popped from a list of them (`r = rows.pop()`) too."""
    return op.kind in ("pack", "call", "append") or joins_sequences(op, maybe) \
        or _gives_structure(op, maybe) or (
            op.kind == "getitem" and _name_in(op.args["value"], maybe)) or (
            op.kind == "pop" and _name_in(op.args["list"], maybe)) or (
            op.kind == "copy" and _name_in(op.args[0], maybe))
