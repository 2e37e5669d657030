"""Operands that bring operators of their own: a scipy.sparse matrix, np.matrix, an
ndarray subclass redefining an operator, a class defining `__mul__` (`runtime.own_arithmetic`).
srcad's derivatives of operators and NumPy functions are those of numbers and arrays, which
would be wrong for them: these checks find where such an object may meet arithmetic whose
value varies (`check_own_arithmetic`), and which arguments a derivative for arguments of any
kind checks where it runs (`arithmetic_inputs`)."""
import gast
import numpy as np

from . import analysis, runtime
from . import template as T
from .source import ITEMS, UNREACHED, among, values_along
from .errors import UnsupportedError


def check_own_arithmetic(ir, ops, active, operators=None, holders=None):
    """`s * x` where s brings a `*` of its own (`runtime.own_arithmetic`: a scipy.sparse
    matrix, np.matrix, a class defining __mul__): srcad's rules for operators are those of
    numbers and NumPy arrays, whose derivative would be wrong for it. Refused where an
    operator whose value varies with `wrt` (`active`) has such an operand, or a call of a
    user function whose value varies has such an argument: a global name,
    an argument (`operators`: its index -> the object), an object the function makes by
    calling such a class (or np.matrix), a name that copies one, or an item or attribute
    of an argument or global that holds one (`holders`: index -> the argument), or a value
    computed from one (taken for one of its kind: `A @ v` of a sparse matrix is an array,
    `A * 2.0` another sparse matrix; convert it, `np.asarray(A @ v)`). In the function's
    straight-line code a name holds what its last assignment gave it (`A = np.asarray(A)`
    passes); in loops and branches, what any assignment may."""
    made = {}                       # id(stmt) -> the class of what the statement binds
    for k in (operators or {}):
        made[id(ir.body[k])] = type(operators[k])
    for op in ops.values():         # `s = Sq()`, `M = np.matrix(...)`
        if op.kind != "opaque" or not isinstance(op.stmt, gast.Assign):
            continue
        call = op.stmt.value
        if isinstance(call, gast.Call):
            cls = _made_by(analysis._resolve(ir, call.func))
            if cls is not None:
                made[id(op.stmt)] = cls
    bound = {o.target for o in ops.values()} | set(ir.inputs) | set(ir.params)
    reads = _global_reads(ir, ops, bound)
    _remember_global_operands(ir, ops, active, reads, bound)
    holding = {ir.inputs[k]: [value] for k, value in (holders or {}).items()}
    derived = _bound_to_own(ir, ops, bound, made, holding, reads)
    if not made:                    # (global names only)
        for op in ops.values():
            _check_operands(ir, op, active, {}, bound)
        return
    computed = _through_copies(ops, {op.target: True for op in ops.values()
                                     if id(op.stmt) in derived})
    held = _through_copies(ops, {op.target: made[id(op.stmt)] for op in ops.values()
                                 if id(op.stmt) in made})    # what any assignment may bind
    current = {}                    # what the straight-line code has bound so far
    for stmt in ir.body:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            inside = list(analysis.walk_block([stmt]))
            assigned = {op.target for s in inside if (op := ops.get(id(s))) is not None}
            current = {**current, **{n: held[n] for n in assigned if n in held}}
            for inner in inside:
                _check_operands(ir, ops.get(id(inner)), active, current, bound, computed)
            for name in assigned - held.keys():
                current.pop(name, None)
            continue
        op = ops.get(id(stmt))
        _check_operands(ir, op, active, current, bound, computed)
        if op is None or op.target is None:
            continue
        if id(stmt) in derived:     # (from what the straight-line code bound to it)
            cls = _computed_from_own(ir, op, current, holding, bound)
            if cls is None:
                current.pop(op.target, None)
            else:
                current[op.target] = cls
        elif id(stmt) in made:
            current[op.target] = made[id(stmt)]
        elif op.kind == "copy" and analysis._name_in(op.args[0], current):
            current[op.target] = current[op.args[0].id]
        else:
            current.pop(op.target, None)


# what makes a masked array (np.ma.masked_array is its class)
_MASKED_MAKERS = (np.ma.array, np.ma.asarray, np.ma.asanyarray, np.ma.fix_invalid,
                  np.ma.zeros, np.ma.ones, np.ma.empty, np.ma.zeros_like, np.ma.ones_like,
                  np.ma.empty_like) + tuple(
    maker for name, maker in vars(np.ma).items() if name.startswith("masked_")
    and callable(maker) and not isinstance(maker, type))


def _made_by(maker):
    """The class of the objects with operators of their own that calling `maker` gives
    (np.matrix; a masked array, by np.ma.masked_where and the like; a class with such
    operators), or None."""
    if maker in (np.matrix, np.asmatrix, np.bmat):
        return np.matrix
    if any(maker is m for m in _MASKED_MAKERS):
        return np.ma.MaskedArray
    if isinstance(maker, type) and runtime.own_arithmetic_type(maker):
        return maker
    return None


def _remember_global_operands(ir, ops, active, reads, bound):
    """The types of the globals (and closure variables), and of their items and attributes
    (`reads`, `_global_reads`), that an operator whose value varies takes (`W * x`, read
    as `v_1 = W`; `CFG.W * x`, `LAYERS[0] * x`), or that what it takes is computed from
    where nothing varies (`B = W * 2.0; B * x`): the derivative is made again where one is
    bound to a value of another type (a sparse matrix, whose operators are its own)."""
    computed = _read_where_nothing_varies(ir, ops, active, reads, bound)
    if not computed:
        return              # (no global read: `computed` holds what `reads` holds)
    for op in ops.values():
        for operand in _operands(op, active):
            if not isinstance(operand, gast.Name):
                continue
            for name, steps in reads.get(operand.id, ()):
                if steps:
                    ir.namespace.typed_path(name, steps)
                else:
                    ir.namespace.typed(name)
            for name, steps in computed.get(operand.id, set()) - reads.get(operand.id, set()):
                ir.namespace.typed_path(name, steps)


def _read_where_nothing_varies(ir, ops, active, reads, bound):
    """{name: {(global, steps)}}: what of globals (`reads`) the values that operations
    whose value does not vary compute read, through them (`B = W * 2.0; C = -B`: C reads
    W). A call's value is checked where it comes (`result_checks`)."""
    found = {name: set(read) for name, read in reads.items()}
    grown = True
    while grown:
        grown = False
        for op in ops.values():
            if op.target is None or op.target in active \
                    or op.kind not in ("rule", "opaque", "getitem", "pack"):
                continue
            new = set()
            for atom in op.args.values():
                if isinstance(atom, gast.Name) and atom.id in found:
                    new |= found[atom.id]
                elif isinstance(atom, gast.Name) and atom.id not in bound \
                        and atom.id in ir.namespace:
                    new.add((atom.id, ()))
            new -= found.get(op.target, set())
            if new:
                found.setdefault(op.target, set()).update(new)
                grown = True
    return found


def _global_reads(ir, ops, bound):
    """{name: {(global, steps)}}: the globals (and closure variables) each name may hold
    (steps empty), or their items and attributes (`source.type_along`'s steps: `CFG.W`,
    `CFG.inner.W`, `D["W"]`, `D.get("W")`, `getattr(CFG, "W")`, any item of a list
    `for W in LAYERS` walks), through copies."""
    reads = {}
    grown = True
    while grown:
        grown = False
        for op in ops.values():
            if op.target is None or not isinstance(op.stmt, gast.Assign) \
                    or op.kind not in _READING:
                continue
            found = _read_of(ir, op, bound, reads) - reads.get(op.target, set())
            if found:
                reads.setdefault(op.target, set()).update(found)
                grown = True
    return reads


# the kinds of operations that may read a global, its items or attributes (`_read_of`)
_READING = ("getitem", "copy", "const", "opaque")


def _read_of(ir, op, bound, reads):
    """What `op` reads of globals, as `_global_reads` tells it (`reads` so far)."""
    value = op.stmt.value
    steps = ()
    if op.kind == "getitem":
        index = op.args["index"]
        value, steps = op.args["value"], (("item", index.value),) if isinstance(
            index, gast.Constant) else (ITEMS,)
    elif op.kind == "copy":
        value = op.args[0]
    elif op.kind == "opaque" and isinstance(value, gast.Call) and len(value.args) == 2 \
            and isinstance(name := value.args[1], gast.Constant) \
            and isinstance(name.value, str) and analysis._resolve(ir, value.func) is getattr:
        value, steps = value.args[0], (("attr", name.value),)     # (`getattr(CFG, "W")`)
    elif op.kind == "opaque" and isinstance(value, gast.Call) \
            and isinstance(value.func, gast.Attribute) and value.func.attr == "get" \
            and len(value.args) == 1 and not value.keywords \
            and isinstance(key := value.args[0], gast.Constant):
        value, steps = value.func.value, (("get", key.value),)    # (`D.get("W")`)
    elif op.kind not in ("const", "opaque"):
        return set()
    while isinstance(value, gast.Attribute):                      # (`CFG.inner.W`)
        value, steps = value.value, (("attr", value.attr),) + steps
    if not isinstance(value, gast.Name):
        return set()
    if value.id in reads:
        return {(name, before + steps) for name, before in reads[value.id]}
    if value.id not in bound and (not steps or value.id in ir.namespace):
        return {(value.id, steps)}
    return set()


class _Made:
    """Stands for the objects of class `cls` (with operators of their own) that a list the
    function makes holds: any item of it is one."""

    def __init__(self, cls):
        self.cls = cls


# what gives a NumPy array (or a number) of an object with operators of its own
_CONVERTERS = (np.asarray, np.array, np.ascontiguousarray, np.asfortranarray, np.copy, float,
               int, np.float64)
# the methods and attributes that give NumPy arrays or numbers: of np.matrix (whose other
# methods, `.diagonal()`, `.sum(axis=0)`, give matrices), of a masked array, and of others
# (sparse matrices)
_MATRIX_PLAIN = ("A", "A1", "getA", "getA1", "item", "tolist", "shape", "ndim", "size",
                 "dtype")
_MASKED_PLAIN = ("filled", "compressed", "data", "mask", "tolist", "item", "count", "shape",
                 "ndim", "size", "dtype")
_PLAIN = ("toarray", "diagonal", "item", "tolist", "getnnz", "count_nonzero", "shape",
          "ndim", "size", "nnz", "dtype", "data", "indices", "indptr", "format")


def _bound_to_own(ir, ops, bound, made, holding, reads):
    """Add to `made` the statements that bind an object with operators of its own: an item
    or attribute of a name `holding` ({name: the objects it may be}: argument values, or
    `_Made`) or of a global that holds one (`own_arithmetic_within`), through copies,
    nested items, and lists made of such objects (an item at a constant index, or an
    attribute, is the one the object has; at a varying index, any of them), or what a path
    from a global reaches (`reads`, `_global_reads`: `CFG.inner.W`); and what the
    function computes from such an object (`B = A * 2.0`, `A.T`, `np.multiply(A, y)`,
    `g(A)`), which is of its kind (np.matrix, a sparse matrix), but where it converts it
    (`np.asarray(A)`, `A.toarray()`). Returns the ids of the latter statements."""
    own = _through_copies(ops, {op.target: made[id(op.stmt)] for op in ops.values()
                                if id(op.stmt) in made}) if made else {}
    derived = set()
    grown = True
    while grown:
        grown = False
        for op in ops.values():
            if op.target is None or op.target in holding or id(op.stmt) in made \
                    or op.target in own:
                continue
            cls = _computed_from_own(ir, op, own, holding, bound)
            if cls is not None:
                made[id(op.stmt)] = own[op.target] = cls
                derived.add(id(op.stmt))
                grown = True
                continue
            if op.kind == "append":       # `L.append(A)`: any item of L may be one
                item = op.args[0]
                cls = own.get(item.id) if isinstance(item, gast.Name) else None
                if cls is None and isinstance(item, gast.Name) and item.id not in bound \
                        and item.id in ir.namespace \
                        and runtime.own_arithmetic(outside := ir.namespace.live(item.id)):
                    cls = type(outside)
                if cls is not None:
                    holding[op.target] = [_Items(cls)]
                    grown = True
                continue
            if op.kind not in ("getitem", "opaque", "const", "pack", "copy"):
                continue
            if op.kind == "pack":         # `[A, B]`: its items, where known
                items = [_Made(own[e.id]) if analysis._name_in(e, own) else holding[e.id][0]
                         if analysis._name_in(e, holding) and len(holding[e.id]) == 1
                         else ir.namespace.live(e.id) if isinstance(e, gast.Name)
                         and e.id not in bound and e.id in ir.namespace else None
                         for e in op.args.values()]
                if any(_holds_own(item) or runtime.own_arithmetic(item) for item in items):
                    if isinstance(op.stmt.value, gast.Dict):
                        items = {k.value: item for k, item in zip(op.stmt.value.keys, items)
                                 if isinstance(k, gast.Constant)} if all(
                            isinstance(k, gast.Constant) for k in op.stmt.value.keys) \
                            else [items]
                    holding[op.target] = [items]
                    grown = True
                continue
            if op.kind in ("const", "opaque"):      # (`CFG.inner.W`, `getattr(S, "T")`)
                objects = _read_objects(ir, _read_of(ir, op, bound, reads))
                cls = next((type(o) for o in objects if runtime.own_arithmetic(o)), None)
                if cls is not None:
                    made[id(op.stmt)] = own[op.target] = cls
                    grown = True
                    continue
            value = op.stmt.value
            if op.kind == "const" and isinstance(value, gast.Name):
                source, op_kind = value, "global"         # `M = A` of a global A
            elif op.kind in ("opaque", "const"):
                if not isinstance(value, gast.Attribute):
                    continue
                source, op_kind = value.value, "attribute"
            else:
                source = op.args[0] if op.kind == "copy" else op.args["value"]
                op_kind = op.kind
            if not isinstance(source, gast.Name):
                continue
            if op.kind == "copy" and source.id in own:
                own[op.target] = own[source.id]
                grown = True
                continue
            outside = source.id not in bound and source.id in ir.namespace
            if source.id in holding:
                objects = holding[source.id]
            elif outside:                             # (`o = OP`, `o = CFG.A` of a global)
                objects = [ir.namespace.live(source.id)]
            else:
                continue
            if op_kind in ("getitem", "attribute"):
                objects = _parts(objects, op_kind, op)
            cls = next((type(o) if not isinstance(o, _Made) else o.cls for o in objects
                        if isinstance(o, _Made) or runtime.own_arithmetic(o)), None)
            if cls is not None and (op.kind != "copy" or outside):
                made[id(op.stmt)] = own[op.target] = cls
                grown = True
            elif any(_holds_own(o) for o in objects):
                holding[op.target] = objects
                grown = True
    return derived


def _read_objects(ir, reads):
    """What `reads` ({(global, steps)}, `_global_reads`) reach now."""
    objects = []
    for name, steps in reads:
        found = values_along(ir.namespace.live(name), steps)
        objects.extend(() if found is UNREACHED else found)
    return objects


def _computed_from_own(ir, op, own, holding, bound):
    """The class of what `op` computes from an object with operators of its own (a name of
    `own`, {name: class}, or a global), or that a user function called with one, or with
    an object holding one (`holding`, or a global), may return; None where it is none (a
    conversion)."""
    value = op.stmt.value if isinstance(op.stmt, gast.Assign) else None
    if op.kind == "rule":
        if among(op.rule.primal, _CONVERTERS):
            return None
        names = [a.id for p, a in op.args.items() if p in op.diff and isinstance(a, gast.Name)]
        for n in names:                       # (`sum([A, A])`: of the items' kind)
            if n not in holding:
                continue
            found = next((c for o in holding[n] if (c := _own_within(o)) is not None),
                         None)
            if found is not None:
                return found
    elif op.kind == "call":
        for a in op.args.values():
            if analysis._name_in(a, holding):
                found = next((c for o in holding[a.id] if (c := _own_within(o)) is not None),
                             None)
                if found is not None:
                    return found
        names = [a.id for a in op.args.values() if isinstance(a, gast.Name)]
    elif op.kind in ("opaque", "zero") and isinstance(value, gast.Attribute):
        names = [value.value.id] if isinstance(value.value, gast.Name) else []
    elif op.kind == "opaque" and isinstance(value, gast.Call) \
            and isinstance(value.func, gast.Attribute):
        if value.func.attr == "todense" and analysis._name_in(value.func.value, own):
            return np.matrix
        names = [value.func.value.id] if isinstance(value.func.value, gast.Name) else []
    else:
        return None
    for n in names:
        cls = own.get(n)
        if cls is None and n not in bound and n in ir.namespace:  # (a global: `-OP`, `g(A)`)
            outside = ir.namespace.live(n)
            cls = type(outside) if runtime.own_arithmetic(outside) else None
        if cls is not None:
            receiver = isinstance(value, gast.Attribute) and analysis._name_in(
                value.value, {n}) or isinstance(value, gast.Call) and isinstance(
                value.func, gast.Attribute) and analysis._name_in(value.func.value, {n})
            if receiver:        # (A.toarray(), M.A: its attribute or method)
                part = value.attr if isinstance(value, gast.Attribute) else value.func.attr
                plain = _MATRIX_PLAIN if issubclass(cls, np.matrix) else _MASKED_PLAIN \
                    if issubclass(cls, np.ma.MaskedArray) else _PLAIN
                if part in plain:
                    return None
            return cls
        if n not in bound and n in ir.namespace:
            outside = ir.namespace.live(n)
            found = runtime.own_arithmetic_within(outside) if op.kind == "call" else None
            if found is not None:
                return found
    return None


class _Items:
    """Stands for a list that the function appends objects of class `cls` (with operators
    of their own) to: any item of it may be one."""

    def __init__(self, cls):
        self.cls = cls


def _parts(objects, kind, op):
    """The items (or attributes) of `objects` that `op` (`v = a[i]`, `v = a.name`: `kind`
    getitem or attribute) may take: at a constant index, that item; else any."""
    parts = []
    for o in objects:
        if isinstance(o, _Items):
            if kind == "getitem":
                parts.append(_Made(o.cls))
        elif kind == "attribute":
            try:
                parts.append(getattr(o, op.stmt.value.attr))
            except Exception:             # (the function would fail the same way)
                pass
        elif isinstance(index := op.args["index"], gast.Constant):
            try:
                parts.append(o[index.value])
            except Exception:             # (the function would fail the same way)
                pass
        elif isinstance(o, (list, tuple)):
            parts.extend(o)
        elif isinstance(o, dict):
            parts.extend(o.values())
    return parts


def _own_within(o):
    """The class of the object with operators of its own that `o` is or holds, or None."""
    if isinstance(o, (_Made, _Items)):
        return o.cls
    if isinstance(o, (list, dict)):
        made = next((item for item in (o.values() if isinstance(o, dict) else o)
                     if isinstance(item, _Made)), None)
        if made is not None:
            return made.cls
    if runtime.own_arithmetic(o):
        return type(o)
    return runtime.own_arithmetic_within(o)


def _holds_own(o):
    """Whether `o` is or holds an object with operators of its own (`_Made` one too)."""
    if isinstance(o, (_Made, _Items)):
        return True
    if isinstance(o, (list, dict)) and any(isinstance(item, _Made) for item in (
            o.values() if isinstance(o, dict) else o)):
        return True
    return runtime.own_arithmetic_within(o) is not None


def result_checks(ir, ops, active):
    """{id(stmt): [(name, what it is)]}: the statements that bind a value a call of a user
    function gives, or an item or attribute of one (through copies), that an operator whose
    value varies takes (or a call whose value varies is given). Its type is known only
    when it runs, where `runtime.check_plain_result` refuses an object with operators of
    its own (a helper returning a global sparse matrix)."""
    if not any(op.kind == "call" for op in ops.values()):
        return {}           # (no call of a user function: no value to check)
    taken = {a.id for op in ops.values() for a in _operands(op, active)
             if isinstance(a, gast.Name)}
    if not taken:
        return {}
    parts = {}          # id(stmt) -> what the name it binds is
    given = {}          # name -> what a statement binding it makes it
    grown = True
    while grown:
        grown = False
        for op in ops.values():
            if op.target is None or id(op.stmt) in parts:
                continue
            what = _part_of_a_result(ir, op, given)
            if what is not None:
                parts[id(op.stmt)] = given[op.target] = what
                grown = True
    checks = {}
    for op in ops.values():
        if id(op.stmt) in parts and op.target in taken:
            checks[id(op.stmt)] = [(op.target, parts[id(op.stmt)])]
    return checks


def result_checked(facts, stmt):
    """The checks (`result_checks`) that follow `stmt` in a derivative's forward sweep."""
    return [gast.Expr(value=T.call("check_plain_result", [T.name(name), T.constant(what)]))
            for name, what in getattr(facts, "result_checks", {}).get(id(stmt), ())]


def _part_of_a_result(ir, op, given):
    """What `op` binds, where it is the value of a call of a user function ("the value of
    h()") or part of one (`given`: {name: what it is}); else None."""
    value = op.stmt.value if isinstance(op.stmt, gast.Assign) else None
    if op.kind == "call" and isinstance(value, gast.Call):
        func = value.func
        name = ir.namespace.renamed.get(func.id, func.id) if isinstance(func, gast.Name) \
            else func.attr if isinstance(func, gast.Attribute) else "the function"
        return f"the value of {name}({'...' if value.args or value.keywords else ''})"
    source = op.args[0] if op.kind == "copy" else op.args["value"] if op.kind == "getitem" \
        else value.value if op.kind in ("opaque", "const") and isinstance(
            value, gast.Attribute) else None
    if not analysis._name_in(source, given):
        return None
    if op.kind == "copy":
        return given[source.id]
    part = "an item" if op.kind == "getitem" else "an attribute"
    return f"{part} of {given[source.id]}"


def arithmetic_inputs(ir, ops, active, parts=False):
    """The indices of the inputs that an operator whose value varies takes as an operand
    (or a call of a user function whose value varies as an argument), directly, through
    copies, or (with `parts`) as their items or attributes: what a file made for arguments
    of any kind checks (`check_plain_operand`)."""
    source = {v: v for v in ir.inputs}
    grown = True
    while grown:                      # (copies, items and attributes of the inputs)
        grown = False
        for op in ops.values():
            value = op.stmt.value if isinstance(op.stmt, gast.Assign) else None
            part = op.args[0] if op.kind == "copy" else None if not parts \
                else op.args["value"] if op.kind == "getitem" else value.value \
                if op.kind == "opaque" and isinstance(value, gast.Attribute) else None
            if analysis._name_in(part, source) and op.target not in source:
                source[op.target] = source[part.id]
                grown = True
    found = set()
    for op in ops.values():
        for operand in _operands(op, active):
            if isinstance(operand, gast.Name) and operand.id in source:
                found.add(source[operand.id])
    return [k for k, v in enumerate(ir.inputs) if v in found]


def _through_copies(ops, found):
    """`found` ({name: what it holds}) with the names that copy one (`v_3 = v_0`)."""
    grown = bool(found)
    while grown:
        grown = False
        for op in ops.values():
            if op.kind == "copy" and analysis._name_in(op.args[0], found) and op.target not in found:
                found[op.target] = found[op.args[0].id]
                grown = True
    return found


def _operands(op, active):
    """The operands of `op` if it is an operator, a method with an array method's rule or
    a user function's call, whose value varies; else none."""
    if op is None or op.kind not in ("rule", "call") or op.target not in active:
        return []
    if op.kind == "call":
        return list(op.args.values())     # (the callee may compute with them)
    if among(op.rule.primal, _CONVERTERS):
        return []
    # (an operator, a NumPy function, `M.dot(x)`: an array method's rule)
    return [a for p, a in op.args.items() if p in op.diff]


def _check_operands(ir, op, active, held, bound, computed=()):
    """`check_own_arithmetic` of one operation, `held` the names that may hold such an
    object there (those of `computed` computed from one)."""
    for operand in _operands(op, active):
        if not isinstance(operand, gast.Name):
            continue
        if operand.id in held:
            kind = held[operand.id]
        elif operand.id not in bound and operand.id in ir.namespace \
                and runtime.own_arithmetic(ir.namespace.live(operand.id)):
            kind = type(ir.namespace.live(operand.id))
        else:
            if operand.id not in bound and operand.id in ir.namespace:
                ir.namespace.typed(operand.id)    # (rebound to a sparse matrix: made again)
            continue
        value = op.stmt.value
        where = "an argument of this call" if op.kind == "call" else \
            "the object of this method" if isinstance(value, gast.Call) and isinstance(
                value.func, gast.Attribute) and value.func.value is operand else \
            "an argument of this function" if isinstance(value, gast.Call) else \
            "an operand of this operator"
        name = f"{kind.__module__}.{kind.__qualname__}"
        if operand.id in computed:
            raise UnsupportedError(
                f"{where} is computed from a {name}, which brings its operators with it, "
                "and srcad takes it for one (srcad's derivatives of operators are those of "
                "numbers and NumPy arrays)", ir.location(op.stmt),
                hint="convert what you compute from it to a NumPy array "
                     "(np.asarray(A @ v), A.toarray() first) before this line")
        raise UnsupportedError(
            f"{where} is a {name}, which brings its "
            "operators with it: srcad's derivatives of operators are those of numbers "
            "and NumPy arrays", ir.location(op.stmt),
            hint=f"pass a NumPy array ({runtime.PLAIN_CONVERSIONS}), or put the "
                 "operation in a function of your own and "
                 "register its derivatives with @srcad.adjoint and @srcad.tangent")
