"""Optimisation passes on the derivative IR. Each pass is one small function
`pass_(tree) -> (tree, changed)`; `optimize` runs them until none reports a change.

- `fold_zero_accumulate`: `vbar_3 = 0.0` then `vbar_3 = vbar_3 + e` -> `vbar_3 = e`
- `fold_identities`: `e * 1.0`, `e + 0.0`, `-(-e)` -> `e`, `a + -b` -> `a - b`
- `absorb_negations`: `a = -b; x = x + a * c` -> `x = x - b * c`; a negated product read
  once moves into its read (loop bodies)
- `reuse_common_values`: `a = x * y; ...; b = x * y` -> `b = a` (loop bodies)
- `propagate_copies`: `a = b; ... a ...` -> `... b ...` (a, b assigned once)
- `eliminate_dead_code`: drop pure assignments whose names are never read
- `eliminate_dead_stores`: drop top-level assignments that no later statement reads
- `batch_outer_products`: per-iteration `vbar_W = vbar_W + outer(g, h)` -> one `G.T @ H`
- `keep_sum_adjoints_scalar`: `vbar_3 = spread(g, v_3, None, False)` -> `vbar_3 = g` where
  every use broadcasts it against a value of v_3's shape anyway

`release_arrays` runs once, last: `del` for arrays after their last use, and first
(`keep_only_shapes`) `a = shape_only(a)` after the last read of a's numbers where only its
shape is read later.
"""
import collections
import itertools
import operator
import re

import gast

from . import runtime
from .template import (LOOPS_AND_BRANCHES, Names, assign, call, delete, is_comment, map_calls,
                       name_nodes, names_read, names_stored, quote, quote_expr)

_IMPURE_METHODS = {"append", "insert", "pop"}
_DERIVATIVE = re.compile(r"^(vbar|vdot)_m?\d+$")     # the names of adjoints and tangents
_ID = operator.attrgetter("id")         # (a Name node's name, read in C)


def optimize(tree, names=None, check=False):
    """Run the passes in turn until none would change anything. The passes edit `tree` in
    place: it must share no node with the cached IR (reverse.py and forward.py copy what
    they take). `names` (a `Names` for `tree`) is shared by the passes; with `check`, its
    entries are checked after every pass.

    A pass that reports no change leaves the tree as it was, and a pass gives the same
    answer on the same tree: so a pass runs again only if another pass changed the tree
    since its last run. A pass of `_IDEMPOTENT` reaches its own fixed point in one run:
    the tree it changed is one it would leave as it is. A change by a pass of
    `_REMOVING` (it only takes assignments out) leaves the passes of `_NOT_AFTER_REMOVAL`
    as settled as they were, and one of `eliminate_dead_stores` that leaves every name
    read that was read before leaves `eliminate_dead_code` settled too."""
    names = Names() if names is None else names
    settled = set()         # passes that would change nothing in the tree as it is now
    while len(settled) < len(PASSES):
        for step in PASSES:
            if step in settled:
                continue
            if step is eliminate_dead_stores:   # (it tells whether dead code may follow)
                tree, changed, unread = _eliminate_dead_stores(tree, names)
            else:
                tree, changed = step(tree, names)
                unread = True
            if check:
                names.check()
            if changed:
                kept = settled & _NOT_AFTER_REMOVAL if step in _REMOVING else set()
                if not unread:      # no name lost its last read: no value became dead
                    kept |= settled & {eliminate_dead_code}
                settled = kept | ({step} if step in _IDEMPOTENT else set())
            else:
                settled.add(step)
    for block in _blocks(tree):
        _drop_orphan_comments(block)
        if any(not isinstance(s, gast.Pass) and not is_comment(s) for s in block):
            block[:] = [s for s in block if not isinstance(s, gast.Pass)]   # `pass` + more
        for stmt in _compound_statements(block):
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and not stmt.body:
                stmt.body.append(gast.Pass())
            if isinstance(stmt, gast.If) and stmt.orelse and all(
                    isinstance(s, gast.Pass) or is_comment(s) for s in stmt.body):
                # `if c: pass else: ...` -> `if not c: ...`
                stmt.test = gast.UnaryOp(op=gast.Not(), operand=stmt.test)
                stmt.body, stmt.orelse = stmt.orelse, []
    return tree


def release_arrays(tree, arrays, names=None, stand_ins=True):
    """`del a, b` after the top-level statement that last mentions `a` and `b`, for the
    names of `arrays` (those that may hold arrays), so that memory goes back as soon as
    possible (a NumPy program that nests its expressions keeps few arrays alive; a trace
    names them all).

        vbar_2 = vbar_3 * (1.0 - v_3 * v_3)     vbar_2 = vbar_3 * (1.0 - v_3 * v_3)
        vbar_1 = unbroadcast(vbar_2, v_1)  ->   del v_3, vbar_3
                                                vbar_1 = unbroadcast(vbar_2, v_1)

    Only names bound on every path by then: a top-level assignment comes before. First,
    with `stand_ins`, `keep_only_shapes` gives each array whose shape alone is read later
    a stand-in, whose `del` then frees nothing. `names`: a `Names` for `tree`, if there is
    one."""
    if not arrays:
        return tree
    names = Names() if names is None else names
    if stand_ins:
        tree = keep_only_shapes(tree, arrays, names)
    body = tree.body
    params = {a.id for a in tree.args.args + tree.args.kwonlyargs}
    assignments = [s for s in body if type(s) is gast.Assign]
    # a sum's seed made a Python float (keep_sum_adjoints_scalar) holds no array
    arrays = arrays - {s.targets[0].id for s in assignments if type(s.value) is gast.Call
                       and type(s.value.func) is gast.Name and s.value.func.id == "float"
                       and _assigned_name(s) is not None}
    # a name whose only value is an argument's (`vbar_3 = vbar_4`): deleting it frees nothing
    copies = {s.targets[0].id for s in assignments if type(s.value) is gast.Name
              and s.value.id in params and type(s.targets[0]) is gast.Name} & arrays
    last, bound, copied = {}, {}, collections.Counter()
    for k, stmt in enumerate(body):
        if type(stmt) is gast.Expr and is_comment(stmt):
            continue
        nodes = names.nodes(stmt)
        held = arrays.intersection(map(_ID, nodes))     # (the arrays it mentions, in C)
        last.update(dict.fromkeys(held, k))
        if not copies.isdisjoint(held):
            copied.update(node.id for node in nodes
                          if node.id in copies and type(node.ctx) is gast.Store)
        if type(stmt) is gast.Assign:
            for node in _target_names(stmt):
                if type(node.ctx) is gast.Store:
                    bound.setdefault(node.id, k)
    ending = len(body)          # from here on only comments and the return
    while ending and (is_comment(body[ending - 1]) or isinstance(body[ending - 1], gast.Return)):
        ending -= 1
    dead = {}
    for name, k in last.items():
        if name not in params and bound.get(name, k + 1) <= k and k < ending - 1 \
                and copied.get(name, 0) != 1:       # (get: no __missing__ call)
            dead.setdefault(k, []).append(name)
    if not dead:
        return tree
    out = []
    for k, stmt in enumerate(body):
        out.append(stmt)
        if k in dead:
            gone = dead[k]          # (most are one name: no order to find)
            out.append(delete(sorted(gone, key=_trace_order) if len(gone) > 1 else gone))
    body[:] = out
    return tree


def _target_names(stmt):
    """The Name nodes of assignment `stmt`'s targets (the one target of most, without a
    walk)."""
    targets = stmt.targets
    if len(targets) == 1 and type(targets[0]) is gast.Name:
        return targets
    return name_nodes(targets)


def keep_only_shapes(tree, arrays, names):
    """`a = shape_only(a)` after the last top-level statement that reads the numbers of `a`
    (a name of `arrays`), where every later read takes only its shape and dtype (a
    parameter of `runtime.SHAPE_READS`: `unbroadcast(g, a)`, `zeros_like_grad(a)`, ...)
    and the first comes `_IDLE_STRETCH` statements or more later. The stand-in holds no
    memory, so a's array goes back there, not where the reverse sweep reads its shape:

        v_1 = v_m1 @ v_m5                       v_1 = v_m1 @ v_m5
        v_2 = v_1 + v_m4                        v_2 = v_1 + v_m4
        v_3 = np.tanh(v_2)                ->    v_1 = shape_only(v_1)
        ...                                     v_3 = np.tanh(v_2)
        vbar_1 = unbroadcast(vbar_2, v_1)       ...
                                                vbar_1 = unbroadcast(vbar_2, v_1)

    Only for `a` assigned once, by a top-level statement, and not a copy of another name
    (whose array would stay). A stand-in costs a call and a line: it pays back where the
    array would otherwise sit idle while many others are made, which the allocator may
    then place in its memory."""
    body = tree.body
    values = {a for a in arrays if not _DERIVATIVE.match(a)}      # (adjoints: no shape reads)
    made_at, stores = {}, collections.Counter()
    last_use, shape_reads = {}, collections.defaultdict(list)   # name -> statement indices
    for k, stmt in enumerate(body):
        if is_comment(stmt):
            continue
        read, helper = [], False
        for node in names.nodes(stmt):
            if node.id in values:
                if type(node.ctx) is gast.Store:
                    stores[node.id] += 1
                else:
                    read.append(node)
            elif node.id in _SHAPE_PARAMETERS:
                helper = True
        for_shape = _shape_arguments(stmt) if read and helper else ()
        for node in read:
            if id(node) in for_shape:
                shape_reads[node.id].append(k)
            else:
                last_use[node.id] = k
        target = _assigned_name(stmt)
        if target in values and type(stmt.value) is not gast.Name:
            made_at[target] = k
    candidates = {a for a in made_at if stores[a] == 1 and a in shape_reads}
    if not candidates:
        return tree
    statements = list(itertools.accumulate(map(_statement_count, body)))  # (up to each)
    after = collections.defaultdict(list)   # statement index -> names whose stand-in follows
    for a in candidates:
        last = max(made_at[a], last_use.get(a, -1))
        later = [k for k in shape_reads[a] if k > last]
        if later and statements[later[0] - 1] - statements[last] >= _IDLE_STRETCH:
            after[last].append(a)
    if not after:
        return tree
    out = []
    for k, stmt in enumerate(body):
        out.append(stmt)
        for a in sorted(after.get(k, ()), key=_trace_order):
            out.append(assign(a, call("shape_only", [quote_expr(a)])))
    body[:] = out
    return tree


# the statements (those in loops and branches included) that must run between an array's last
# use and the first read of its shape, for a stand-in to pay back its call and its line
_IDLE_STRETCH = 8


def _statement_count(stmt):
    """How many statements `stmt` is, those of its blocks included (comments: none)."""
    if is_comment(stmt):
        return 0
    if type(stmt) not in _COMPOUND:
        return 1
    return 1 + sum(_statement_count(s) for s in stmt.body + getattr(stmt, "orelse", []))


# each helper of runtime.SHAPE_READS -> (the parameter it reads for the shape, its position)
_SHAPE_PARAMETERS = {helper: (param, getattr(runtime, helper).__code__.co_varnames.index(param))
                     for helper, param in runtime.SHAPE_READS.items()}


def _shape_arguments(stmt):
    """The ids of the Name nodes that helper calls in `stmt` read for their shape only."""
    found = set()
    todo = [stmt]
    while todo:         # (a walk of its own: most nodes are of a few kinds, quicker so)
        node = todo.pop()
        kind = type(node)
        if kind is gast.Name or kind is gast.Constant:
            continue
        if kind is gast.BinOp:
            todo += (node.left, node.right)
        elif kind is gast.Call:
            if type(node.func) is gast.Name and node.func.id in _SHAPE_PARAMETERS \
                    and not any(type(a) is gast.Starred for a in node.args):
                param, position = _SHAPE_PARAMETERS[node.func.id]
                passed = node.args[position:position + 1] + [
                    k.value for k in node.keywords if k.arg == param]
                found.update(id(a) for a in passed if type(a) is gast.Name)
            todo.append(node.func)
            todo += node.args
            todo += (k.value for k in node.keywords)
        elif kind is gast.Assign:
            todo.append(node.value)
        else:
            todo += gast.iter_child_nodes(node)
    return found


def _trace_order(name):
    """v_m1, v_0, v_1, ... then vbar_m1, vbar_0, ...; other names last, by name."""
    prefix, _, number = name.rpartition("_")
    number = number.replace("m", "-", 1)
    if prefix in ("v", "vbar") and number.lstrip("-").isdigit():
        return (prefix == "vbar", int(number), "")
    return (2, 0, name)


def _blocks(tree):
    """Every statement list in `tree` (function body, branches, loop bodies), each before
    the blocks nested in it; lazy, so a pass may edit a block before its inner ones come."""
    for field in ("body", "orelse"):
        block = getattr(tree, field, None)
        if isinstance(block, list):
            yield block
            for stmt in _compound_statements(block):
                yield from _blocks(stmt)


def _loop_blocks(tree, inside=False):
    """The blocks that run once per iteration of some loop (loop bodies and what they nest)."""
    for field in ("body", "orelse"):
        block = getattr(tree, field, None)
        if isinstance(block, list):
            if inside:
                yield block
            for stmt in _compound_statements(block):
                in_loop = inside or isinstance(stmt, (gast.For, gast.While))
                yield from _loop_blocks(stmt, in_loop)


def _counted(tree, names_of):
    """How often each name comes in `names_of(stmt)` (`header_loads`, `header_stores` of a
    `Names`) over the statements of every block of `tree`: with headers' names, that is
    every name of the tree once. One count over one chain of the lists, in C."""
    statements = itertools.chain.from_iterable(_blocks(tree))
    return collections.Counter(itertools.chain.from_iterable(map(names_of, statements)))


def _compound_statements(block):
    """The statements of `block` that hold blocks, lazily as a loop over `block` would
    meet them (one that edits the block as it goes sees the same). The test of each
    statement's type runs in C: most blocks are long runs of simple statements."""
    return itertools.compress(block, map(_COMPOUND.__contains__, map(type, block)))


_COMPOUND = {cls for cls in vars(gast).values() if isinstance(cls, type)
             and issubclass(cls, gast.stmt) and {"body", "orelse"} & set(cls._fields)}


_OTHER_BLOCKS = _COMPOUND - set(LOOPS_AND_BRANCHES)     # (with, try, def, ...)


def _assigned_name(stmt):
    """The name `stmt` assigns if it is `name = ...`, else None."""
    if type(stmt) is gast.Assign:
        targets = stmt.targets
        if len(targets) == 1 and type(targets[0]) is gast.Name:
            return targets[0].id
    return None


def _reads(node, name):
    return name in names_read(node)


_ZERO_KINDS = {gast.Constant, gast.Call}     # the kinds of node `_is_zero` may accept


def _is_zero(node):
    kind = type(node)
    if kind is gast.Constant:
        return type(node.value) in (int, float) and node.value == 0
    return kind is gast.Call and type(node.func) is gast.Name and node.func.id == "zeros_like_grad"


def fold_zero_accumulate(tree, names=None):
    """`x = 0.0; ...; x = x + e` -> `x = e` when nothing in between touches x, and
    `x = -y; ...; x = x + e` -> `x = e - y` when nothing in between touches x or sets what
    y reads (in loops only: straight-line code keeps the textbook adjoints).

        vbar_2 = 0.0                    vbar_2 = -vbar_3
        vbar_2 = vbar_2 + -vbar_3   ->

        vbar_1 = -vbar_4                v_4 = _stack.pop()
        v_4 = _stack.pop()          ->  vbar_1 = vbar_3 * v_m1 - vbar_4
        vbar_1 = vbar_1 + vbar_3 * v_m1

    Adjoint contributions always have the shape of the adjoint they add to, so
    the sum with a zero of that shape is the contribution itself; `-y + e` is `e - y`
    exactly (one operation less).
    """
    names = Names() if names is None else names
    in_loops = {id(block) for block in _loop_blocks(tree)}
    changed = False
    for block in _blocks(tree):
        changed |= _fold_block(block, id(block) in in_loops, names)
    return tree, changed


def _fold_block(block, in_loop, names):
    """`fold_zero_accumulate` on one block, in one walk down it: `pending` holds the
    `x = 0.0` and `x = -y` met so far that may still move down. Each stops at the first
    statement it may not pass: one that assigns x or what y reads, or reads x, a loop or
    branch that mentions any of them, or any other statement but a comment. If that
    statement is `x = x + e`, it takes the value and the first one goes."""
    pending = {}            # x -> (its statement, y or None, the names y reads)
    dropped = set()         # ids of the statements that go
    for stmt in block:
        target = _assigned_name(stmt)
        if not pending:
            stopped = ()
        elif target is not None:
            reads = names.header_loads(stmt)
            stopped = [x for x, (_, _, minus_reads) in pending.items()
                       if x == target or x in reads or target in minus_reads]
        elif type(stmt) in LOOPS_AND_BRANCHES:
            mentioned = names.mentioned(stmt)
            stopped = [x for x, (_, _, minus_reads) in pending.items()
                       if x in mentioned or not mentioned.isdisjoint(minus_reads)]
        elif is_comment(stmt):
            stopped = ()
        else:
            stopped = list(pending)
        for x in stopped:
            first, minus, _ = pending.pop(x)
            if x != target:
                continue
            addend = _accumulated(stmt.value, x)
            if addend is not None and minus is not None:   # `x = -y` then `x = x + e`
                addend = None if not isinstance(stmt.value, gast.BinOp) else \
                    gast.BinOp(left=addend, op=gast.Sub(), right=minus)
            if addend is not None:
                stmt.value = addend
                names.forget(stmt)
                names.forget(first)         # (it goes; its `y` now belongs to stmt)
                dropped.add(id(first))
        if target is not None:
            value = stmt.value
            kind = type(value)      # (most values are neither: no call to tell)
            minus = _negated(value) if in_loop and kind is gast.UnaryOp else None
            if minus is not None or kind in _ZERO_KINDS and _is_zero(value):
                pending[target] = (stmt, minus, () if minus is None else names_read(minus))
    if dropped:
        block[:] = [stmt for stmt in block if id(stmt) not in dropped]
    return bool(dropped)


def _negated(value):
    """`y` if `value` is `-y`, else None."""
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
        return value.operand
    return None


def _accumulated(value, name):
    """`e` if `value` is `name + e` or `add_grad(name, e)` (e not reading name)."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        left, right = value.left, value.right
    elif isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
            and value.func.id == "add_grad" and len(value.args) == 2:
        left, right = value.args
    else:
        return None
    if isinstance(left, gast.Name) and left.id == name and not _reads(right, name):
        return right
    return None


def fold_identities(tree, names=None):
    """`e * 1.0` / `1.0 * e` / `e + 0.0` / `- -e` -> `e`; `a + -b` -> `a - b`.

    Only where adjoints and tangents (vbar_k, vdot_k) are assigned: they are floating, and
    there `e * 1.0` is `e`; the user's `(x > 0) * 1.0` turns booleans into numbers. `t = x *
    1` makes a new array and `t = x` does not: where t or x is changed in place (`t[i] =
    ...`, `t.append(...)`), the copy stays."""
    changed = False
    changed_in_place = None
    for block in _blocks(tree):
        for stmt in block:
            if _assigns_derivatives(stmt):
                value, did = _fold(stmt.value)
                if did and isinstance(value, gast.Name) and not isinstance(stmt.value, gast.Name):
                    if changed_in_place is None:
                        changed_in_place = _changed_in_place(tree)
                    if value.id in changed_in_place or any(
                            n.id in changed_in_place for n in name_nodes(stmt.targets)):
                        continue
                if did:
                    stmt.value = value
                    changed = True
                    if names is not None:
                        names.forget(stmt)      # `power_slope(x, 2)` -> `2 * x`
    return tree, changed


def _assigns_derivatives(stmt):
    """Whether `stmt` assigns adjoints and tangents only (`vbar_3 = ...`)."""
    if type(stmt) is not gast.Assign:
        return False
    targets = stmt.targets
    if len(targets) == 1 and type(targets[0]) is gast.Name:      # (most: no generator)
        return _DERIVATIVE.match(targets[0].id) is not None
    return all(type(t) is gast.Name and _DERIVATIVE.match(t.id) for t in targets)


def _changed_in_place(tree):
    """Names whose object a statement changes: `x[i] = ...`, `x.attr = ...`, `x += ...`,
    `x.append(...)`, `x.pop()`."""
    names = set()
    for node in gast.walk(tree):
        target = None
        if isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Store):
            target = node.value
        elif isinstance(node, gast.AugAssign):
            target = node.target
        elif isinstance(node, gast.Attribute) and node.attr in _IMPURE_METHODS:
            target = node.value
        while isinstance(target, (gast.Subscript, gast.Attribute)):
            target = target.value
        if isinstance(target, gast.Name):
            names.add(target.id)
    return names


def _fold(node):
    """(folded expression, changed?) for the identities of `fold_identities`."""
    kind = type(node)
    if kind is gast.Name or kind is gast.Constant:      # most operands: nothing to fold
        return node, False
    if kind is gast.BinOp:
        left, a = _fold(node.left)
        right, b = _fold(node.right)
        node.left, node.right = left, right
        op = node.op
        if isinstance(op, gast.Add) and isinstance(right, gast.UnaryOp) \
                and isinstance(right.op, gast.USub):      # (`a - 0.0` folds again)
            return _fold(gast.BinOp(left=left, op=gast.Sub(), right=right.operand))[0], True
        if (isinstance(op, gast.Mult) and _constant(right, 1)) or (
                isinstance(op, (gast.Add, gast.Sub)) and _constant(right, 0)):
            return left, True
        if isinstance(op, gast.Mult) and _constant(left, 1):
            return right, True
        return node, a or b
    if kind is gast.UnaryOp:
        operand, a = _fold(node.operand)
        node.operand = operand
        if isinstance(node.op, gast.USub) and isinstance(operand, gast.UnaryOp) \
                and isinstance(operand.op, gast.USub):
            return operand.operand, True
        return node, a
    if kind is gast.Call:
        changed = False
        for k, arg in enumerate(node.args):
            node.args[k], did = _fold(arg)
            changed |= did
        if type(node.func) is gast.Name and node.func.id == "power_slope" \
                and len(node.args) == 2 and not node.keywords:
            power = _power_slope(*node.args)
            if power is not None:
                return power, True
        return node, changed
    return node, False


def _power_slope(x, y):
    """`power_slope(x, 3)` -> `3 * x ** 2`, `power_slope(x, 2)` -> `2 * x`,
    `power_slope(x, 1)` -> `1`, for a number y not in [0, 1) (x ** 0 has slope 0, also at
    x = 0, where `0 * x ** -1` fails; there `0.5 * x ** -0.5` fails for a float, and the
    helper says inf, as NumPy); else None."""
    sign = 1
    if type(y) is gast.UnaryOp and type(y.op) is gast.USub:
        sign, y = -1, y.operand
    if type(y) is not gast.Constant or type(y.value) not in (int, float) \
            or 0 <= sign * y.value < 1:
        return None
    y = sign * y.value
    if y == 1:
        return gast.Constant(value=1, kind=None)
    if y == 2:
        return gast.BinOp(left=gast.Constant(value=2, kind=None), op=gast.Mult(), right=x)
    return gast.BinOp(left=gast.Constant(value=y, kind=None), op=gast.Mult(), right=gast.BinOp(
        left=x, op=gast.Pow(), right=gast.Constant(value=y - 1, kind=None)))


def _constant(node, value):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) \
        and node.value == value


def _pure(expr):
    for node in gast.walk(expr):
        if isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and func.attr in _IMPURE_METHODS:
                return False
            if isinstance(func, gast.Name) and func.id.startswith(("grad_", "jvp_")):
                continue
            if not _known_pure(func):
                return False
    return True


def _known_pure(func):
    """NumPy, math and srcad's runtime helpers have no side effects."""
    root = func
    while isinstance(root, gast.Attribute):
        root = root.value
    if isinstance(root, gast.Name) and root.id in ("np", "math"):
        return True
    return isinstance(func, gast.Name) and func.id in (
        "unbroadcast", "broadcast_like", "zeros_like_grad", "add_grad", "add_at", "set_at",
        "power_slope",
        "expand_to", "reduced_size", "matmul_adjoint_x", "matmul_adjoint_y", "unstack",
        "matmul_adjoint_x_sum", "matmul_adjoint_y_sum",
        "slice", "len", "range", "float", "abs", "min", "max", "keys_of", "pushed_back")


def eliminate_dead_code(tree, names=None):
    """Remove pure assignments to names that nothing reads, `if`s with nothing to do, and
    what only they read."""
    names = Names() if names is None else names
    counts = _counted(tree, names.header_loads)
    changed = False
    again = True
    while again:
        # another walk only if a name stops being read after a statement assigning it was
        # kept: a statement still to come in this walk sees the new count
        again = False
        kept = set()            # the names assigned by the statements kept so far
        for block in _blocks(tree):
            keep = []
            for stmt in reversed(block):   # last first: a chain of dead values goes at once
                name = _assigned_name(stmt)
                if name is not None and not counts.get(name) and _pure(stmt.value) \
                        or name is None and _empty_if(stmt):
                    for n in names.header_loads(stmt):    # (the target is a name)
                        counts[n] -= 1
                        if not counts[n] and n in kept:
                            again = True
                    changed = True
                    continue
                if name is not None:
                    kept.add(name)
                elif type(stmt) is not gast.Expr:     # loops, branches, unpacking, ...
                    kept.update(names.stores(stmt))
                keep.append(stmt)
            if len(keep) != len(block):
                block[:] = reversed(keep)
    if changed:
        for block in _blocks(tree):
            _drop_orphan_comments(block)
    return tree, changed


def _empty_if(stmt):
    """Whether `stmt` is an `if` of a pure test whose branches hold nothing but `pass`."""
    return type(stmt) is gast.If and _pure(stmt.test) and all(
        isinstance(s, gast.Pass) or is_comment(s) for s in stmt.body + stmt.orelse)


def _drop_orphan_comments(block):
    """A line comment left with no statement under it (the derivative's `return` is none of
    its statements) goes; an emptied block gets `pass`."""
    if not block:
        return
    keep = [s for k, s in enumerate(block)          # (a comment is an expression statement)
            if not (type(s) is gast.Expr and is_comment(s) and s.value.value.startswith("# line")
                    and (k + 1 == len(block) or is_comment(block[k + 1])
                         or isinstance(block[k + 1], gast.Return)))]
    if not any(not is_comment(s) for s in keep):
        keep.append(gast.Pass())
    block[:] = keep


def eliminate_dead_stores(tree, names=None):
    """Top-level assignments that no later statement reads (they run once, so this is exact).

        vbar_1 = 0.0        <- nothing after it reads vbar_1
        return vbar_0
    """
    tree, changed, _ = _eliminate_dead_stores(tree, names)
    return tree, changed


def _eliminate_dead_stores(tree, names=None):
    """`eliminate_dead_stores`, and whether a name the assignments it took out read is read
    by no statement left. Where none is, every name read before still is, so no value
    became dead: a tree `eliminate_dead_code` would leave as it is, it still would."""
    names = Names() if names is None else names
    body = tree.body
    later = set()           # the names read by the statements kept (all of them, at the end)
    keep = []
    dropped_reads = set()   # the names read by the assignments taken out
    for stmt in reversed(body):
        name = _assigned_name(stmt)
        if name is not None and name not in later and _pure(stmt.value):
            dropped_reads.update(names.loads(stmt))
            continue
        keep.append(stmt)
        later.update(names.loads(stmt))
    changed = len(keep) != len(body)
    if changed:
        body[:] = list(reversed(keep))
    return tree, changed, not dropped_reads <= later


def propagate_copies(tree, names=None):
    """`a = b` with a assigned once: later reads of a read b, the copy goes, when every read
    of a follows the copy in its block and b does not change before the last of them.

        vbar_3 = vbar_5                 vbar_m1 = vbar_5 * v_0
        vbar_m1 = vbar_3 * v_0    ->

        vbar_71 = vbar_2                v_2 = _stack.pop()
        v_2 = _stack.pop()        ->    vbar_69 = vbar_2 * v_64
        vbar_2 = vbar_71
        vbar_69 = vbar_71 * v_64

    `b = a` in between gives b the value it has (it goes too). The inputs' bindings
    (`v_m1 = x1`) stay, they name the trace.
    """
    names = Names() if names is None else names
    blocks = list(_blocks(tree))
    statements = [stmt for block in blocks for stmt in block]
    stored = _stored_counts(statements, names)
    copies = [stmt for stmt in statements if type(stmt) is gast.Assign
              and type(stmt.value) is gast.Name and _assigned_name(stmt) is not None]
    # (renaming changes what a copy reads, no statement's form: these stay all the copies)
    copy_ids = {id(stmt) for stmt in copies}
    params = {a.id for a in tree.args.args + tree.args.kwonlyargs}
    copies = [stmt for stmt in copies
              if _may_propagate(stmt.targets[0].id, stmt.value.id, params, stored)]
    if not copies:
        return tree, False      # (saves the walk of the whole tree for the index)
    # renaming gives a read of `a` the name `b` of another copy: these names are all it needs
    involved = {stmt.targets[0].id for stmt in copies} | {stmt.value.id for stmt in copies}
    index = None            # (a walk of the whole tree: made for the first copy that needs it)
    changed = False
    for block in blocks:
        order = None        # (made for the first copy of the block that needs it)
        for k in range(len(block) - 1, -1, -1):   # last first: earlier positions stay valid
            stmt = block[k]
            if id(stmt) not in copy_ids:
                continue
            a, b = stmt.targets[0].id, stmt.value.id
            if not _may_propagate(a, b, params, stored) \
                    or _overwritten_then_read(block, k, a, b, names):
                continue
            if index is None:
                index = _name_index(tree, names, involved)
            loads, stores = index
            if len(stores.get(a, ())) != 1:
                continue
            if len(stores.get(b, ())) > 1 and any(
                    isinstance(chain[-1][2], gast.Return) for chain, _ in loads.get(a, ())):
                continue    # `vbar_m1 = vbar_2; return vbar_m1`: the result keeps its name
            if order is None:
                order = _order(block)
            reads = _statements_holding(loads.get(a, ()), block, order)
            if not reads or order[id(reads[0])] <= order[id(stmt)]:
                continue        # (a copy nothing reads is dead code's)
            # list.index finds the node itself (a gast node equals no other node), in C
            last = block.index(reads[-1])
            if not _stored_once_elsewhere(stores.get(b, ()), block, order, stmt, reads[-1]) \
                    and _changed_before(block, k, last, {b}, names, copy=a):
                continue
            _rename(loads, a, b, names)
            kept, gone = [], [stmt]
            for s in block[k + 1:last + 1]:             # `b = b` after the renaming goes
                (gone if _is_self_copy(s) else kept).append(s)
            block[k:last + 1] = kept
            for s in gone:
                del order[id(s)]
            changed = True
    return tree, changed


def _order(block):
    """`{id(stmt): place}` for the statements of `block`: a pass that only takes statements
    out of a block (and out of this too) keeps it right."""
    return {id(stmt): k for k, stmt in enumerate(block)}


def _stored_once_elsewhere(chains, block, order, first, last):
    """Whether the stores at `chains` (from `_name_index`) are at most one, and that one is
    not in `block` after `first` and up to `last`: then no statement in between changes
    the name, and `_changed_before` need not look (a long chain of copies made that
    quadratic)."""
    if len(chains) > 1:
        return False
    where = id(block)
    for chain in chains:
        stmt = next((s for b, _, s in chain if b == where), None)
        if stmt is not None and id(stmt) in order \
                and order[id(first)] < order[id(stmt)] <= order[id(last)]:
            return False
    return True


def _statements_holding(sites, block, order):
    """The statements of `block` that hold the names at `sites` (from `_name_index`), in
    their order, or None if one is outside `block`; `order` (from `_order`) leaves out the
    statements taken out of `block` since the index was made. (A chain of copies moves
    every read down the chain: finding positions with `block.index` made this cubic.)"""
    where = id(block)
    holders = {}
    for chain, _ in sites:
        stmt = next((s for b, _, s in chain if b == where), None)
        if stmt is None:
            return None
        if id(stmt) in order:
            holders[id(stmt)] = stmt
    return sorted(holders.values(), key=lambda stmt: order[id(stmt)])


def _overwritten_then_read(block, k, a, b, names):
    """Whether a statement after the copy `a = b` at block[k] changes b and a later one
    reads a: then `_changed_before` keeps the copy, and this tells without `_name_index`
    (it looks no further than the first read of a before b changes)."""
    overwritten = False
    for stmt in block[k + 1:]:
        reads = a in names.loads(stmt)
        if reads and overwritten:
            return True
        overwritten = overwritten or _changes(stmt, {b}, names, copy=a)
        if reads and not overwritten:
            return False
    return False


def _changed_before(block, k, last, watched, names, copy=None):
    """Whether a statement after block[k] changes one of the `watched` names before
    block[last] reads it: one in between, or block[last] itself if it is a loop or branch
    (which may read after it writes). With `copy` (a copy of the one name): `name = copy`
    changes nothing."""
    if any(_changes(stmt, watched, names, copy) for stmt in block[k + 1:last]):
        return True
    return type(block[last]) in _COMPOUND and bool(watched & names.stores(block[last]))


def _changes(stmt, watched, names, copy=None):
    """Whether `stmt` changes one of the `watched` names; with `copy` (a copy of the one
    name), `name = copy` does not."""
    if copy is not None and _assigned_name(stmt) in watched \
            and isinstance(stmt.value, gast.Name) and stmt.value.id == copy:
        return False
    return bool(watched & names.stores(stmt))


def _rename(loads, old, new, names):
    """Every read of `old` in the index `loads` (from `_name_index`) reads `new`."""
    for chain, node in loads.pop(old, ()):
        node.id = new
        names.forget(chain[-1][2])
        loads.setdefault(new, []).append((chain, node))


def _is_self_copy(stmt):
    name = _assigned_name(stmt)
    return name is not None and isinstance(stmt.value, gast.Name) and stmt.value.id == name


def _stored_counts(statements, names):
    """name -> how many times `statements` (those of every block) store it, for
    `_may_propagate`: one count over the lists of `names`, in C. A copy whose target is
    stored twice would fail the index's count of stores, which holds the same stores where
    every block is a loop's or a branch's (`_index_block` walks those); elsewhere (a block
    of another kind counts twice) the `name = ...` statements are counted instead."""
    if _OTHER_BLOCKS.isdisjoint(map(type, statements)):
        return collections.Counter(itertools.chain.from_iterable(
            map(names.header_stores, statements)))
    return collections.Counter(map(_assigned_name, statements))


def _may_propagate(a, b, params, stored):
    """Whether copy `a = b` passes the checks of `propagate_copies` that need no index:
    neither is a parameter, and `stored` (name -> how many times a statement stores it)
    does not already show a stored twice."""
    return a not in params and b not in params and a != b and stored[a] == 1


def _after(chain, block, k):
    """Whether a name at `chain` (its (block, index, statement) ancestors) comes after
    block[k]."""
    return any(b == block and j > k for b, j, _ in chain)


def _name_index(tree, names, wanted=None):
    """name -> [(chain, Name node)] for loads, name -> [chain] for stores, for the names in
    `wanted` (all when None), from `names` (a `Names`); a chain is the (block id, index,
    statement) of every statement that contains the name, outermost first."""
    loads, stores = {}, {}
    _index_block(tree.body, (), names, wanted, loads, stores)
    return loads, stores


def _index_block(block, chain, names, wanted, loads, stores):
    """`_name_index` for one block whose statements are inside `chain`. (A function of its
    own: a nested function that calls itself is a reference cycle, and it would keep the
    whole tree alive until the collector runs.)"""
    where = id(block)
    for idx, stmt in enumerate(block):
        here = None         # (made for a statement with a wanted name: most have none)
        for node in names.own_nodes(stmt):
            if wanted is None or node.id in wanted:
                if here is None:
                    here = chain + ((where, idx, stmt),)
                if type(node.ctx) is gast.Load:
                    loads.setdefault(node.id, []).append((here, node))
                else:
                    stores.setdefault(node.id, []).append(here)
        if type(stmt) in LOOPS_AND_BRANCHES:
            here = chain + ((where, idx, stmt),) if here is None else here
            _index_block(stmt.body, here, names, wanted, loads, stores)
            _index_block(stmt.orelse, here, names, wanted, loads, stores)


# an adjoint helper of `@` -> (its sum over a loop's terms, the place of the fixed operand)
_LOOP_SUMS = {"matmul_adjoint_x": ("matmul_adjoint_x_sum", 1),
              "matmul_adjoint_y": ("matmul_adjoint_y_sum", 2)}


def batch_outer_products(tree, names=None):
    """A matrix adjoint that a loop adds to once per iteration, and reads nowhere else:
    the loop collects the terms, one sum after the loop adds them.

        for v_2 in reversed(range(v_0)):
            vbar_m4 = vbar_m4 + matmul_adjoint_x(vbar_3, v_m4, v_1)
    ->
        _terms1 = []
        for v_2 in reversed(range(v_0)):
            _terms1.append((vbar_3, v_1))
        vbar_m4 = vbar_m4 + matmul_adjoint_x_sum(_terms1, v_m4)

    For vectors each term is an outer product and the sum is one matrix product
    (`G.T @ H`), not one outer product and one addition per iteration. Only in
    functions that write no element of an array: collected arrays must stay as they are.
    """
    known = Names() if names is None else names
    # (a helper's callee is a Name it reads: a loop that reads none has no term to look for)
    loops = [(block, loop) for block in _blocks(tree) for loop in _compound_statements(block)
             if isinstance(loop, gast.For) and not _LOOP_SUMS.keys().isdisjoint(known.loads(loop))
             and any(_loop_term(s) is not None for s in loop.body)]
    if not loops:
        return tree, False
    count, mutated = 0, set()
    for n in gast.walk(tree):
        if isinstance(n, gast.AugAssign) or (isinstance(n, (gast.Subscript, gast.Attribute))
                                             and isinstance(n.ctx, gast.Store)):
            return tree, False
        if isinstance(n, gast.Name) and n.id.startswith("_terms") \
                and isinstance(n.ctx, gast.Store):
            count += 1
        if isinstance(n, gast.Attribute) and n.attr in _IMPURE_METHODS \
                and isinstance(n.value, gast.Name):
            mutated.add(n.value.id)
    changed = False
    for block, loop in loops:
        found = [(s, term) for s in loop.body if (term := _loop_term(s)) is not None
                 and _collectable(s, term, loop, mutated)]
        before, after = [], []
        for stmt, term in found:
            count += 1
            terms = f"_terms{count}"
            helper, fixed = _LOOP_SUMS[term.func.id]
            pair = [a.id for i, a in enumerate(term.args) if i != fixed]
            before.append(quote(f"{terms} = []")[0])
            loop.body[loop.body.index(stmt)] = quote(f"{terms}.append(({pair[0]}, {pair[1]}))")[0]
            total = quote_expr(f"{helper}({terms}, {term.args[fixed].id})")
            if isinstance(stmt.value, gast.BinOp):
                stmt.value.right = total
            else:
                stmt.value.args[1] = total
            if names is not None:
                names.forget(stmt)
            after.append(stmt)
        if found:
            k = block.index(loop)
            block[k:k + 1] = before + [loop] + after
            changed = True
    return tree, changed


def _loop_term(stmt):
    """The helper call of `stmt` if it is `acc = acc + helper(a, b, c)` or
    `acc = add_grad(acc, helper(a, b, c))`, a helper of `_LOOP_SUMS`, names only."""
    acc = _assigned_name(stmt)
    term = _accumulated(stmt.value, acc) if acc is not None else None
    if isinstance(term, gast.Call) and isinstance(term.func, gast.Name) \
            and term.func.id in _LOOP_SUMS and not term.keywords and len(term.args) == 3 \
            and all(isinstance(a, gast.Name) and a.id != acc for a in term.args):
        return term
    return None


def _collectable(stmt, term, loop, mutated):
    """Whether the accumulation `stmt` of `term` can move after `loop`: its adjoint read and
    written nowhere else in the loop, the fixed operand not written in it, and no operand
    among the `mutated` lists (`append`/`pop` would change a collected term)."""
    acc = stmt.targets[0].id
    fixed = term.args[_LOOP_SUMS[term.func.id][1]].id
    mentions = [n for n in gast.walk(loop) if isinstance(n, gast.Name) and n.id == acc]
    return len(mentions) == 2 and fixed not in names_stored(loop) \
        and not {a.id for a in term.args} & mutated


# NumPy functions whose result has the shape of their one argument (unary ufuncs)
_ELEMENTWISE = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square",
    "reciprocal", "negative", "abs", "absolute", "fabs", "sign", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh"})
_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def keep_sum_adjoints_scalar(tree, names=None):
    """The adjoint of a full sum stays the scalar it is, when every use of it meets a value
    of the summed array's shape in elementwise arithmetic (which broadcasts it anyway).

        v_3 = v_2 * v_2                                 (v_3 no longer computed)
        vbar_3 = spread(vbar_4, v_3, None, False)   ->  vbar_3 = float(vbar_4)
        vbar_2 = 2.0 * unbroadcast(vbar_3 * v_2, v_2)   vbar_2 = 2.0 * vbar_3 * v_2

    A scalar times an array of v_3's shape is elementwise the same as an array of that
    scalar times it, so values, shapes and dtypes do not change; the array of copies of the
    seed is not built, and v_3 itself may no longer be needed. Where the uses now say
    that an `unbroadcast` has nothing to sum, it goes (`_full_shape_known`). Top-level
    code only, names assigned at most once (their shapes cannot change between definition
    and use).
    """
    body = tree.body
    definitions, spreads = _definitions_and_spreads(body)
    if not spreads:
        return tree, False
    names = Names() if names is None else names
    stores = _counted(tree, names.header_stores)
    changed = False
    for k in spreads:
        stmt = body[k]
        name = _assigned_name(stmt)
        if stores[name] != 1:
            continue
        seed, summed = stmt.value.args[0], stmt.value.args[1].id
        if stores[summed] != 1 or (isinstance(seed, gast.Name) and stores[seed.id] > 1):
            continue
        same = _same_shape(summed, definitions, stores)
        if any(name in names.loads(s) and (type(s) in _COMPOUND or
                                           _broadcast_anyway(s, name, same) == "fail")
               for s in body[k + 1:]):
            continue
        # a Python float, as spread's: an np.float64 seed would make float32 arrays float64
        stmt.value = seed if isinstance(seed, gast.Constant) else call("float", [seed])
        names.forget(stmt)
        changed = True
        for later in body[k + 1:]:
            if type(later) is gast.Assign and name in names.loads(later):
                later.value = _full_shape_known(later.value, name, same)
                names.forget(later)
    return tree, changed


def _definitions_and_spreads(body):
    """The value each `name = value` of `body` gives last, by name, and the positions of
    those whose value is a full spread (`_is_full_spread`): one walk for both."""
    definitions, spreads = {}, []
    for k, stmt in enumerate(body):
        name = _assigned_name(stmt)
        if name is not None:
            value = definitions[name] = stmt.value
            if type(value) is gast.Call and _is_full_spread(value):    # (most are no call)
                spreads.append(k)
    return definitions, spreads


def _full_shape_known(value, seed, same):
    """`value` with `unbroadcast(e, v)` written `e` where e has v's shape already (v one of
    `same`, e elementwise arithmetic of names of `same`, numbers and the scalar `seed`), and
    `2.0 * (seed * e)` written `2.0 * seed * e`: the scalar product first, one array
    operation less (exact, as doubling is).

        vbar_2 = 2.0 * unbroadcast(vbar_3 * v_2, v_2)   ->   vbar_2 = 2.0 * vbar_3 * v_2
    """
    def drop(node):
        args = node.args
        if isinstance(node.func, gast.Name) and node.func.id == "unbroadcast" \
                and len(args) == 2 and not node.keywords and isinstance(args[1], gast.Name) \
                and args[1].id in same and _broadcast_anyway(args[0], seed, same) == "full":
            return args[0]
        return node

    value = map_calls(value, drop)
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) \
            and _constant(value.left, 2) and isinstance(value.right, gast.BinOp) \
            and isinstance(value.right.op, gast.Mult) and isinstance(value.right.left, gast.Name) \
            and value.right.left.id == seed:
        scaled = gast.BinOp(left=value.left, op=gast.Mult(), right=value.right.left)
        value = gast.BinOp(left=scaled, op=gast.Mult(), right=value.right.right)
    return value


def _is_full_spread(value):
    """`spread(g, v, None, False)` with g a name or a number and v a name."""
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == "spread" and not value.keywords and len(value.args) == 4):
        return False
    seed, summed, axis, keepdims = value.args
    return isinstance(seed, (gast.Name, gast.Constant)) and isinstance(summed, gast.Name) \
        and _constant_is(axis, None) and _constant_is(keepdims, False)


def _constant_is(node, value):
    return isinstance(node, gast.Constant) and node.value is value


def _same_shape(name, definitions, stores):
    """Names whose value has the shape of `name`'s, following definitions like `a = b * b`,
    `a = b * 2.0`, `a = -b`, `a = np.exp(b)` back; only names assigned at most once."""
    same, todo = {name}, [name]
    while todo:
        value = definitions.get(todo.pop())
        for operand in _shape_sources(value):
            if operand not in same and stores[operand] <= 1:
                same.add(operand)
                todo.append(operand)
    return same


def _shape_sources(value):
    """The name whose shape `value` has, for elementwise forms of one name."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, _ARITHMETIC):
        sides = [value.left, value.right]
        names = {s.id for s in sides if isinstance(s, gast.Name)}
        if len(names) == 1 and all(isinstance(s, gast.Name) or _is_number(s) for s in sides):
            return names
    elif isinstance(value, gast.UnaryOp) and isinstance(value.operand, gast.Name):
        return {value.operand.id}
    elif _elementwise_call(value) and isinstance(value.args[0], gast.Name):
        return {value.args[0].id}
    return set()


def _is_number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _elementwise_call(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and isinstance(node.func.value, gast.Name) and node.func.value.id == "np" \
        and node.func.attr in _ELEMENTWISE and len(node.args) == 1 and not node.keywords


def _broadcast_anyway(node, name, same):
    """The shape of `node` if `name` held a scalar: "full" (that of the names in `same`),
    "scalar", "seed" (a scalar made from `name`: still short of the full shape), "other",
    or "fail" where a value made from `name` would reach anything but elementwise
    arithmetic before it meets a full-shaped operand."""
    if isinstance(node, gast.Name):
        return "seed" if node.id == name else "full" if node.id in same else "other"
    if _is_number(node):
        return "scalar"
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC):
        shapes = {_broadcast_anyway(node.left, name, same),
                  _broadcast_anyway(node.right, name, same)}
        if "fail" in shapes:
            return "fail"
        if "seed" in shapes:
            return "full" if "full" in shapes else "seed" if shapes <= {"seed", "scalar"} \
                else "fail"
        return "full" if "full" in shapes and shapes <= {"full", "scalar"} \
            else "scalar" if shapes == {"scalar"} else "other"
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _broadcast_anyway(node.operand, name, same)
    if _elementwise_call(node):
        return _broadcast_anyway(node.args[0], name, same)
    parts = [_broadcast_anyway(child, name, same) for child in gast.iter_child_nodes(node)]
    return "fail" if "seed" in parts or "fail" in parts else "other"


def absorb_negations(tree, names=None):
    """`a = -b` whose reads can all take the sign: they read b, each flipping its statement,
    `x + t` becoming `x - t` and `-t` becoming `t` (every step exact in floating point), and
    the negation goes.

        vbar_15 = -vbar_12                      vbar_2 = vbar_2 - vbar_12 * v_m2
        vbar_2 = vbar_2 + vbar_15 * v_m2    ->

        vbar_43 = -vbar_40                      vbar_33 = -(vbar_40 * v_m2)
        vbar_33 = vbar_43 * v_m2            ->  vbar_33 = vbar_33 + vbar_42 * v_41
        vbar_33 = vbar_33 + vbar_42 * v_41      (then `fold_zero_accumulate`:
                                                 vbar_33 = vbar_42 * v_41 - vbar_40 * v_m2)

    A negated product read once moves into that read, which takes the sign the same way:

        vbar_50 = -(vbar_61 * v_46)             vbar_44 = vbar_44 - vbar_61 * v_46 * v_m4
        vbar_44 = vbar_44 + vbar_50 * v_m4  ->

    The sign travels through factors of products and quotients only. At most one read may
    need a minus of its own, so the count of negations never grows, and no name is left
    holding the opposite of what it names. Only for `a` assigned once and read only after,
    in its block, once per statement, with what `-a` reads unchanged until then; and only
    in loops, where the operation saved counts once per iteration: straight-line code
    keeps the textbook adjoints (`vbar_4 = -vbar_5` for `v_5 = v_3 - v_4`).
    """
    blocks = list(_loop_blocks(tree))
    negations = [(name, _negated(s.value)) for block in blocks for s in block
                 if (name := _assigned_name(s)) is not None]
    negated_products = {a for a, negated in negations if _product(negated)}
    if not negated_products:
        return tree, False
    names = Names() if names is None else names
    if negated_products <= _read_out_of_sign(blocks, negated_products, names):
        return tree, False      # (no index of the whole tree to find that out)
    involved = {name for a, negated in negations if _product(negated)
                for name in {a} | names_read(negated)}
    loads, stores = _name_index(tree, names, involved)
    moved = set()           # names read by a product moved into a read: their index is stale
    changed = False
    for block in blocks:
        order = _order(block)
        for k in range(len(block) - 1, -1, -1):   # last first: earlier positions stay valid
            stmt = block[k]
            name = _assigned_name(stmt)
            negated = _negated(stmt.value) if name is not None else None
            if not _product(negated) or len(stores.get(name, ())) != 1:
                continue
            operands = names_read(negated)
            sites = loads.get(name, ())
            users = [chain[-1][2] for chain, _ in sites]
            kinds = [_sign_site(user, name) for user in users]
            reads = _statements_holding(sites, block, order)
            if not reads or order[id(reads[0])] <= order[id(stmt)] or None in kinds \
                    or kinds.count("wrap") > 1 \
                    or len({id(user) for user in users}) != len(users) \
                    or name in operands or ({name} | operands) & moved:
                continue
            inline = not isinstance(negated, gast.Name)
            if inline and (len(users) != 1 or kinds[0] == "wrap"):
                continue            # a product moves into its one read, and only to save
            if _changed_before(block, k, block.index(reads[-1]), operands, names):
                continue
            if inline:                      # `a = -(p * q)` read once: the read reads p * q
                users[0].value = _substitute(users[0].value, name, negated)
                names.forget(users[0])
                moved |= operands
            for user, kind in zip(users, kinds):
                if kind == "accumulate":
                    user.value.op = gast.Sub() if isinstance(user.value.op, gast.Add) \
                        else gast.Add()
                elif kind == "cancel":
                    user.value = _drop_negation(user.value)
                else:
                    user.value = gast.UnaryOp(op=gast.USub(), operand=user.value)
            if not inline:
                _rename(loads, name, negated.id, names)
            del block[k]
            del order[id(stmt)]
            names.forget(stmt)      # (its product may live on in the read it moved into)
            changed = True
    return tree, changed


def _read_out_of_sign(blocks, candidates, names):
    """The names of `candidates` that a statement of `blocks` (simple: the innermost
    statement around its names) reads where the sign cannot reach it (`_sign_site` None).
    `absorb_negations` keeps a negation of these, whatever the rest of the tree holds: one
    of its reads has no kind."""
    found = set()
    for block in blocks:
        for stmt in block:
            if type(stmt) not in LOOPS_AND_BRANCHES:
                for name in candidates.intersection(names.header_loads(stmt)) - found:
                    if _sign_site(stmt, name) is None:
                        found.add(name)
    return found


def _product(expr):
    """Whether `expr` is a name, or a product or quotient of names and numbers."""
    if isinstance(expr, gast.Name):
        return True
    return isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)) \
        and all(_product(side) or _is_number(side) for side in (expr.left, expr.right))


def _substitute(expr, name, new):
    """`expr` with its read of `name` on the sign chain (see `_on_sign_chain`) replaced by
    `new`."""
    if isinstance(expr, gast.Name):
        return new if expr.id == name else expr
    if isinstance(expr, gast.UnaryOp):
        expr.operand = _substitute(expr.operand, name, new)
    elif isinstance(expr, gast.BinOp):
        expr.left = _substitute(expr.left, name, new)
        expr.right = _substitute(expr.right, name, new)
    return expr


def _has_negation(expr):
    """Whether a unary minus is on `expr`'s sign chain: its root, or a factor of a product or
    quotient on the chain."""
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        return True
    return isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)) \
        and (_has_negation(expr.left) or _has_negation(expr.right))


def _drop_negation(expr):
    """`expr` with the first unary minus of its sign chain removed (see `_has_negation`)."""
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        return expr.operand
    if _has_negation(expr.left):
        expr.left = _drop_negation(expr.left)
    else:
        expr.right = _drop_negation(expr.right)
    return expr


def _on_sign_chain(expr, name):
    if isinstance(expr, gast.Name):
        return expr.id == name
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        return _on_sign_chain(expr.operand, name)
    return isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)) \
        and (_on_sign_chain(expr.left, name) or _on_sign_chain(expr.right, name))


def _sign_site(stmt, name):
    """How the assignment `stmt` takes a flipped sign of `name` (read once in it): it
    "accumulate"s (`x = x + t` -> `x = x - t`, `x = s + t` -> `x = s - t` when t reads
    it), can "cancel" a minus of its own, or needs to "wrap" its value in one; None where
    the sign cannot reach the result."""
    if _assigned_name(stmt) is None:
        return None
    value = stmt.value
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)):
        return "accumulate" if _on_sign_chain(value.right, name) else None
    if not _on_sign_chain(value, name):
        return None
    return "cancel" if _has_negation(value) else "wrap"


def reuse_common_values(tree, names=None):
    """In a loop body, an operation already computed from the same operands, which have not
    changed since, is not computed again: `b = x * y` becomes `b = a` after `a = x * y`.

        v_17 = 0.5 * v_5                v_17 = 0.5 * v_5
        ...                       ->    ...
        v_20 = 0.5 * v_5                v_20 = v_17

    The copy then goes in `propagate_copies`. Operations of names and numbers only, none
    of a name changed in place (`x[i] = ...` would change `x * y`).
    """
    names = Names() if names is None else names
    changed = False
    in_place = None
    for block in _loop_blocks(tree):
        known = {}                      # an operation's key -> (its holder, its operands)
        keys_of = collections.defaultdict(list)    # a name -> the keys that mention it
        for stmt in block:
            name = _assigned_name(stmt)
            key = _operation_key(stmt.value) if name is not None else None
            if key is not None:
                operands = names.reads(stmt)          # (the target is a name)
                if name in operands:
                    key = None
                elif key in known and known[key][0] != name:
                    if in_place is None:
                        in_place = _changed_in_place(tree)
                    if not operands & in_place:
                        stmt.value = gast.Name(id=known[key][0], ctx=gast.Load(),
                                               annotation=None, type_comment=None)
                        names.forget(stmt)
                        changed = True
                    key = None
            if not is_comment(stmt):
                for stored in names.stores(stmt):
                    for k in keys_of.pop(stored, ()):
                        held = known.get(k)
                        if held is not None and (held[0] == stored or stored in held[1]):
                            del known[k]
            if key is not None:
                known[key] = (name, operands)
                for mentioned in operands | {name}:
                    keys_of[mentioned].append(key)
    return tree, changed


def _operation_key(value):
    """A hashable key equal for equal arithmetic operations of names and numbers (at least
    one name), else None."""
    kind = type(value)
    if kind is gast.BinOp:
        parts = (value.left, value.right)
    elif kind is gast.UnaryOp:
        parts = (value.operand,)
    else:
        return None
    key = [type(value.op)]
    for part in parts:
        if type(part) is gast.Name:
            key.append(part.id)
        elif _is_number(part):
            key.append(repr(part.value))      # repr: 1 and 1.0, 0.0 and -0.0 differ
        else:
            return None
    return tuple(key) if any(type(p) is gast.Name for p in parts) else None


def drop_copied_slots(tree, names=None):
    """A block's pushed tuple holds each value once: where the block copies one of its
    values into another, `a = b` (what `reuse_common_values` leaves), a leaves the tuple
    and the block's reverse reads b instead. The copy then goes in `propagate_copies`.

        v_20 = v_17                            v_20 = v_17
        _stack.append((v_17, v_20, v_19))  ->  _stack.append((v_17, v_19))
        ...
        v_17, v_20, v_19 = _stack.pop()        v_17, v_19 = _stack.pop()
        vbar_12 = vbar_19 * v_20               vbar_12 = vbar_19 * v_17

    Only for a and b assigned by the block and the pop alone, a read nowhere else, and
    tuples of two values or more.
    """
    names = Names() if names is None else names
    pushes, pops = {}, {}   # the names of a tuple -> (its block, the statement, the Tuple)
    for block in _blocks(tree):
        for stmt in block:
            kind = type(stmt)       # (told here: most statements are neither, no call for them)
            packed = _pushed_tuple(stmt) if kind is gast.Expr else None
            if packed is not None:
                pushes[tuple(e.id for e in packed.elts)] = (block, stmt, packed)
            elif kind is gast.Assign and _pops_tuple(stmt):
                unpacked = stmt.targets[0]
                pops[tuple(e.id for e in unpacked.elts)] = (block, stmt, unpacked)
    changed = False
    for slots, (forward, push, packed) in pushes.items():
        if slots not in pops:
            continue
        backward, pop, unpacked = pops[slots]
        copies = {_assigned_name(s): s.value.id for s in forward
                  if _assigned_name(s) in slots and isinstance(s.value, gast.Name)
                  and s.value.id in slots and s.value.id != _assigned_name(s)}
        if not copies:
            continue
        loads, stores = _name_index(tree, names, set(copies) | set(copies.values()))
        home = {id(forward), id(backward)}
        for a, b in copies.items():
            if b in copies or len(packed.elts) <= 2 \
                    or len(stores.get(a, ())) != 2 or len(stores.get(b, ())) != 2 \
                    or not all(home & {where for where, _, _ in chain}
                               for chain, _ in loads.get(a, ())):
                continue
            k = [e.id for e in packed.elts].index(a)
            del packed.elts[k], unpacked.elts[k]
            names.forget(push)
            names.forget(pop)
            for chain, node in loads.get(a, ()):
                if any(where == id(backward) for where, _, _ in chain):
                    node.id = b
                    names.forget(chain[-1][2])
            changed = True
    return tree, changed


def _pushed_tuple(stmt):
    """The Tuple of names in `_stack.append((a, b, ...))`, else None."""
    if type(stmt) is not gast.Expr:
        return None
    call = stmt.value
    if _stack_call(call, "append") and len(call.args) == 1 \
            and type(call.args[0]) is gast.Tuple \
            and all(type(e) is gast.Name for e in call.args[0].elts):
        return call.args[0]
    return None


def _pops_tuple(stmt):
    """Whether `stmt` is `a, b, ... = _stack.pop()`."""
    return type(stmt) is gast.Assign and len(stmt.targets) == 1 \
        and type(stmt.targets[0]) is gast.Tuple \
        and all(type(e) is gast.Name for e in stmt.targets[0].elts) \
        and _stack_call(stmt.value, "pop") and not stmt.value.args


def _stack_call(node, method):
    """Whether `node` calls `_stack.<method>`."""
    return type(node) is gast.Call and type(node.func) is gast.Attribute \
        and node.func.attr == method and type(node.func.value) is gast.Name \
        and node.func.value.id == "_stack"


PASSES = (fold_zero_accumulate, fold_identities, propagate_copies, eliminate_dead_code,
          eliminate_dead_stores, batch_outer_products, keep_sum_adjoints_scalar,
          absorb_negations, reuse_common_values, drop_copied_slots)
# each runs to its own fixed point: eliminate_dead_code repeats until nothing more is dead;
# eliminate_dead_stores reads only the statements it keeps, so it removes all it would at once;
# fold_identities folds each expression bottom up, and folds again what its folds make
_IDEMPOTENT = {eliminate_dead_code, eliminate_dead_stores, fold_identities}
# these only take out pure assignments (and `if`s with nothing to do) ...
_REMOVING = {eliminate_dead_code, eliminate_dead_stores}
# ... which cannot give this one anything new to fold: it looks at each expression alone,
# and at the names changed in place, which a pure assignment does not change
_NOT_AFTER_REMOVAL = {fold_identities}
