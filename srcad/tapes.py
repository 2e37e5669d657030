"""Loops whose reverse reads what they saved from tapes of their own.

By default the reverse sweep of a loop restores each value the loop overwrites from the
shared stack: a push before the assignment, a pop after the last adjoint that reads it.

    for v_1 in range(v_0):                    for v_1 in reversed(range(v_0)):
        _stack.append(v_2)                        vbar_2 = vbar_m2 * v_3
        v_2 = v_m1 * v_m2                         vbar_3 = vbar_m2 * v_2
        _stack.append(v_3)                        v_3 = _stack.pop()
        v_3 = 1 - v_m2                            vbar_m2 = vbar_2 * v_m1 - vbar_3
        v_m2 = v_2 * v_3                          v_2 = _stack.pop()

When a reverse iteration reads each such value only before its pop, all it needs is the
value the forward iteration ended with. Then the loop keeps one list per value and the
reverse loop walks the lists backwards: the loop's own iteration replaces a method call
per value and iteration.

    _tape1 = []                               for v_2, v_3 in zip(reversed(_tape1),
    _tape2 = []                                                   reversed(_tape2)):
    for v_1 in range(v_0):                        vbar_2 = vbar_m2 * v_3
        v_2 = v_m1 * v_m2                         vbar_3 = vbar_m2 * v_2
        _tape1.append(v_2)                        vbar_m2 = vbar_2 * v_m1 - vbar_3
        v_3 = 1 - v_m2
        _tape2.append(v_3)
        v_m2 = v_2 * v_3

Only top-level `for` loops without jumps or nested blocks, that change no object in
place; a value read after the reverse loop keeps the stack (the stack leaves it as it
was before the loop, a tape as after the first iteration).
"""
import gast

from . import template as T
from .reverse import STACK, UNBOUND
_IN_PLACE = {"append", "pop", "extend", "insert", "remove", "clear", "sort", "reverse",
             "update", "setdefault", "popitem", "fill", "resize", "put", "itemset"}


def replay_loops_from_tapes(tree, names=None):
    """Rewrite every eligible pair of a top-level loop and its reverse (see the module).
    A pair is a loop `for t in x` and a later `for t in reversed(x)`, each the only one
    of its kind in the function body. `names` (template.Names for `tree`, if there is one)
    forgets the statements that change."""
    body = tree.body
    loops = {}
    for stmt in body:
        if isinstance(stmt, gast.For):
            replayed = _replayed_iter(stmt.iter)
            key = _loop_key(stmt.target, stmt.iter if replayed is None else replayed)
            loops.setdefault(key, []).append((stmt, replayed))
    count = 0
    for (loop, replayed), (back, iter_) in [pair for pair in loops.values() if len(pair) == 2]:
        if replayed is None and iter_ is not None and body.index(loop) < body.index(back):
            count = _use_tapes(body, loop, back, count, names)
    if count:
        _drop_unused_stack(body)
    return tree


def _replayed_iter(node):
    """`x` if `node` is `reversed(x)`."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
            and node.func.id == "reversed" and len(node.args) == 1 and not node.keywords:
        return node.args[0]
    return None


def _loop_key(target, iter_):
    return gast.dump(target), gast.dump(iter_)


def _use_tapes(body, loop, back, count, known):
    """Give `loop` and its reverse `back` tapes if they qualify; the tape count after."""
    pushes = _pushes(loop.body, known)
    if not pushes:
        return count
    pops = _pops(back.body, known)
    if pops is None or \
            [names for _, names in reversed(pushes)] != [names for _, names in pops]:
        return count
    if not (_simple(loop.body) and _simple(back.body)):
        return count
    after = T.names_read(body[body.index(back) + 1:])
    for k, names in pops:       # a single name: its value after the pop must be unused
        if isinstance(names, str) and (names in after or
                                       names in T.names_read(back.body[k + 1:])):
            return count
    tapes = []
    for k, names in pushes:
        count += 1
        tapes.append((f"_tape{count}", names))
    for (k, names), (tape, _) in reversed(list(zip(pushes, tapes))):
        record = T.quote(f"{tape}.append({_text(names)})")[0]
        if isinstance(names, str):                  # the push went before the assignment
            loop.body[k:k + 2] = [loop.body[k + 1], record]
        else:                                       # a group: the push ends the block
            loop.body[k] = record
    popped = {k for k, _ in pops}
    back.body[:] = [s for j, s in enumerate(back.body) if j not in popped]
    targets = [_target(names) for _, names in tapes]
    iters = [T.call("reversed", [T.name(tape)]) for tape, _ in tapes]
    if T.names_mentioned(back.target) & T.names_read(back.body):   # the body reads the index
        targets.insert(0, back.target)
        iters.insert(0, back.iter)
    back.target = targets[0] if len(targets) == 1 else T.tuple_of(targets, store=True)
    back.iter = iters[0] if len(iters) == 1 else T.call("zip", iters)
    at = body.index(loop)
    body[at:at] = [T.assign(tape, gast.List(elts=[], ctx=gast.Load())) for tape, _ in tapes]
    changed = _unbind(body, loop, back, [saved for _, saved in tapes if isinstance(saved, str)])
    if known is not None:             # (a template.Names)
        for stmt in (back, changed):
            known.forget(stmt)
    return count


def _pushes(block, known):
    """[(position, name or tuple of names)] of `_stack.append(...)` in `block`: a single name
    right before its only assignment in the block, a tuple of names last; None if the block
    uses the stack otherwise. `known`: as in `_stored`."""
    found = []
    stored = None         # the names each statement stores (found at the first push of one)
    for k, stmt in enumerate(block):
        arg = _stack_call(stmt, "append")
        if arg is None:
            if STACK in _mentioned(stmt, known):
                return None
            continue
        if isinstance(arg, gast.Name):
            if stored is None:
                stored = [_stored(s, known) for s in block]
            stores = [s for s, names in zip(block, stored) if arg.id in names]
            nxt = block[k + 1] if k + 1 < len(block) else None
            if len(stores) != 1 or stores[0] is not nxt or not isinstance(nxt, gast.Assign):
                return None
            found.append((k, arg.id))
        elif isinstance(arg, gast.Tuple) and all(isinstance(e, gast.Name) for e in arg.elts) \
                and all(T.is_comment(s) for s in block[k + 1:]):
            found.append((k, tuple(e.id for e in arg.elts)))
        else:
            return None
    return found


def _pops(block, known):
    """[(position, name or tuple of names)] of `... = _stack.pop()` in `block`; None if the
    block uses the stack otherwise. `known`: as in `_stored`."""
    found = []
    for k, stmt in enumerate(block):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and _stack_method_call(stmt.value, "pop", args=0) is not None:
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                found.append((k, target.id))
                continue
            if isinstance(target, gast.Tuple) and all(isinstance(e, gast.Name)
                                                      for e in target.elts):
                found.append((k, tuple(e.id for e in target.elts)))
                continue
        if STACK in _mentioned(stmt, known):
            return None
    return found


def _stored(stmt, known):
    """The set of names `stmt` stores; from `known` (the tree's template.Names, which has
    found most statements' names already) if given."""
    return T.names_stored(stmt) if known is None else known.stores(stmt)


def _mentioned(stmt, known):
    """The set of names `stmt` loads or stores; from `known` as in `_stored`."""
    return T.names_mentioned(stmt) if known is None else known.mentioned(stmt)


def _stack_call(stmt, method, args=1):
    """The argument of the statement `_stack.<method>(arg)` (the call itself for no
    argument), or None."""
    return _stack_method_call(stmt.value, method, args) if isinstance(stmt, gast.Expr) else None


def _stack_method_call(call, method, args=1):
    """The argument of the expression `_stack.<method>(arg)` (the call itself for no
    argument), or None."""
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
            and call.func.attr == method and isinstance(call.func.value, gast.Name) \
            and call.func.value.id == STACK and len(call.args) == args and not call.keywords:
        return call.args[0] if args else call
    return None


def _simple(block):
    """Straight-line code that changes no object in place (the stack and the `_terms`
    lists of batched outer products aside)."""
    for stmt in block:
        if not isinstance(stmt, (gast.Assign, gast.Expr)):
            return False
        for node in gast.walk(stmt):
            if isinstance(node, (gast.Subscript, gast.Attribute)) \
                    and isinstance(node.ctx, gast.Store):
                return False
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in _IN_PLACE:
                owner = node.func.value
                if not (isinstance(owner, gast.Name) and
                        (owner.id == STACK or owner.id.startswith("_terms"))):
                    return False
            if isinstance(node, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
                return False
    return True


def _text(names):
    return names if isinstance(names, str) else f"({', '.join(names)})"


def _target(names):
    if isinstance(names, str):
        return T.name(names, store=True)
    return T.tuple_of([T.name(n, store=True) for n in names], store=True)


def _unbind(body, loop, back, names):
    """Take `names` out of the `x = y = None` that binds what the reverse sweep reads, where
    nothing reads them before the loop assigns them any more; that statement, or None."""
    marks = [k for k, s in enumerate(body[:body.index(loop)])
             if T.is_comment(s) and UNBOUND in s.value.value]
    if not marks:
        return None
    init = body[marks[0] + 1]
    elsewhere = T.names_read([s for s in body if s is not loop and s is not back])
    free = set()
    for name in names:
        first = next(s for s in loop.body if name in T.names_mentioned(s))
        if name not in elsewhere and isinstance(first, gast.Assign) \
                and name not in T.names_read(first.value):
            free.add(name)
    kept = [t for t in init.targets if t.id not in free]
    if not kept:
        del body[marks[0]:marks[0] + 2]
    else:
        init.targets = kept
    return init


def _drop_unused_stack(body):
    """`_stack = []` (and the debug check that it ends empty) where nothing else uses it."""
    uses = [s for s in body if STACK in T.names_mentioned(s)]
    if all(_is_stack_init(s) or isinstance(s, gast.Assert) for s in uses):
        body[:] = [s for s in body if s not in uses]


def _is_stack_init(stmt):
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
        and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == STACK
