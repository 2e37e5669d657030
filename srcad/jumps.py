"""IR pass: structure the jumps (return, break, continue) for the reverse sweep.

After this pass the function has one `return v_k` at its end, and no
statement follows, in its block, a statement that may jump: what came after
an `if` that may jump moves into the branches that fall through. The reverse
sweep can then replay a block knowing exactly which statements ran::

    for v_1 in range(v_0):            for v_1 in range(v_0):
        A                                 A
        if v_2:                           if v_2:
            break                 ->          break
        B                                 else:
                                              B

A `return` inside a loop sets the output and a flag and breaks; after the
loop, `if flag:` returns (or breaks out of the enclosing loop).
"""
import gast

from . import template as T

_JUMPS = (gast.Break, gast.Continue, gast.Return)
_JUMP_KINDS = set(_JUMPS)
_SIMPLE = {gast.Assign, gast.Expr}     # the commonest statements (comments are Exprs): they
                                       # neither jump nor hold statements


def structure_jumps(ir):
    """Rewrite `ir.body` in place (see the module docstring); returns `ir`."""
    body = ir.body
    jumps = _jumps_in(body)
    if len(jumps) == 1 and body and body[-1] is jumps[0] and type(jumps[0]) is gast.Return:
        # (the one jump is the return at the end: no statement may leave its block early,
        # and _lift would give back every block as it is)
        _final_return(ir, body)
        return ir
    returns = [n for n in jumps if type(n) is gast.Return]
    if len(returns) == 1 and body and body[-1] is returns[0]:
        body[:] = _lift(ir, body)
        _final_return(ir, body)
        return ir
    out, flag = ir.fresh(), ir.fresh()
    ir.homes.update((out, flag))
    entry = len(ir.inputs)
    needs_flag = _lower_loop_returns(ir, body, out, flag, in_loop=False)
    prologue = [T.assign(out, T.constant(None))]
    if needs_flag:
        prologue.append(T.assign(flag, T.constant(False)))
    body[entry:entry] = prologue
    body[:] = _lift(ir, body)
    _returns_to_output(body, out)
    body.append(gast.Return(value=T.name(out)))
    _final_return(ir, body)
    return ir


def _final_return(ir, body):
    """Make the function end with `return v_k`, v_k a name assigned exactly once."""
    value = body[-1].value
    if isinstance(value, gast.Name) and value.id not in ir.homes and value.id not in ir.inputs:
        return
    result = ir.fresh()
    body.insert(len(body) - 1, T.assign(result, value))
    body[-1] = gast.Return(value=T.name(result))


def _walk_stmts(block):
    """Every statement in `block`, nested ones included, each before those it holds."""
    for stmt in block:
        yield stmt
        if type(stmt) in _SIMPLE:
            continue                  # (most statements hold none: no look for blocks)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:                 # (no walk of nothing)
                yield from _walk_stmts(inner)


def _jumps_in(block):
    """The break, continue and return statements in `block`, nested ones included (in no
    particular order): what `_walk_stmts` finds of them, without a generator's step per
    statement."""
    found = []
    todo = [block]
    while todo:
        for stmt in todo.pop():
            kind = type(stmt)
            if kind in _SIMPLE:
                continue
            if kind in _JUMP_KINDS:
                found.append(stmt)
                continue
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if inner:
                    todo.append(inner)
    return found


def _lower_loop_returns(ir, block, out, flag, in_loop):
    """Returns inside loops -> out = value; flag = True; break. True if any was lowered."""
    lowered = False
    k = 0
    while k < len(block):
        stmt = block[k]
        if isinstance(stmt, gast.Return) and in_loop:
            new = [T.assign(out, stmt.value), T.assign(flag, T.constant(True)), gast.Break()]
            for n in new:
                ir.origin[n] = ir.origin.get(stmt)
            block[k:k + 1] = new
            lowered = True
            k += len(new)
            continue
        if isinstance(stmt, gast.If):
            lowered |= _lower_loop_returns(ir, stmt.body, out, flag, in_loop)
            lowered |= _lower_loop_returns(ir, stmt.orelse, out, flag, in_loop)
        elif isinstance(stmt, (gast.For, gast.While)):
            if _lower_loop_returns(ir, stmt.body, out, flag, in_loop=True):
                lowered = True
                leave = gast.Break() if in_loop else gast.Return(value=T.name(out))
                block.insert(k + 1, gast.If(test=T.name(flag), body=[leave], orelse=[]))
                k += 1
        k += 1
    return lowered


def _returns_to_output(block, out):
    for k, stmt in enumerate(block):
        if isinstance(stmt, gast.Return):
            if not (isinstance(stmt.value, gast.Name) and stmt.value.id == out):
                block[k] = T.assign(out, stmt.value)
            else:
                block[k] = gast.Pass()
        for field in ("body", "orelse"):
            if isinstance(stmt, gast.If):
                _returns_to_output(getattr(stmt, field), out)
    block[:] = [s for s in block if not isinstance(s, gast.Pass)] or [gast.Pass()]


def may_jump(stmt):
    """Whether running `stmt` can leave its block early (break/continue/return)."""
    if isinstance(stmt, _JUMPS):
        return True
    if isinstance(stmt, gast.If):
        return any(may_jump(s) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, (gast.For, gast.While)):
        return any(isinstance(s, gast.Return) for s in _walk_stmts(stmt.body))
    return False


def always_jumps(block):
    code = [stmt for stmt in block if not T.is_comment(stmt)]
    if not code:
        return False
    last = code[-1]
    if isinstance(last, _JUMPS):
        return True
    return isinstance(last, gast.If) and always_jumps(last.body) and always_jumps(last.orelse)


def _lift(ir, block):
    out = []
    for k, stmt in enumerate(block):
        if type(stmt) in _SIMPLE:
            out.append(stmt)
            continue
        if isinstance(stmt, (gast.For, gast.While)):
            stmt.body = _lift(ir, stmt.body)
        elif isinstance(stmt, gast.If):
            stmt.body = _lift(ir, stmt.body)
            stmt.orelse = _lift(ir, stmt.orelse)
        out.append(stmt)
        if isinstance(stmt, _JUMPS):
            return out  # the rest of the block is dead
        if isinstance(stmt, gast.If) and may_jump(stmt) and _has_code(rest := block[k + 1:]):
            body_open = not always_jumps(stmt.body)
            else_open = not always_jumps(stmt.orelse)
            if body_open:
                stmt.body = _lift(ir, stmt.body + (_clone(ir, rest) if else_open else rest))
            if else_open:
                stmt.orelse = _lift(ir, stmt.orelse + rest)
            return out
    return out


def _has_code(block):
    return any(not T.is_comment(s) for s in block)


def _clone(ir, block):
    """A deep copy of `block` that keeps the statements' origins (for error messages)."""
    clone = T.clone(block)
    for old, new in zip(_walk_all(block), _walk_all(clone)):
        if old in ir.origin:
            ir.origin[new] = ir.origin[old]
    return clone


def _walk_all(block):
    for stmt in block:
        yield from gast.walk(stmt)
