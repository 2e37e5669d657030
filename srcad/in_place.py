"""Adjoint arrays that a loop updates element by element, written in place.

The adjoint of `y = x[i]` is `xbar = add_at(xbar, x, i, ybar)`, and of `x[i] = v` in the
reverse sweep `xbar = set_at(xbar, x, i, 0.0)`: each makes a new array, as a functional
update must where another name may hold the old one. In a loop over the elements that is a
copy of the whole array per element (quadratic). Where no other name can hold the array,
the loop may write into it:

    vbar_1 = zeros_like_grad(v_1)                  vbar_1 = zeros_like_grad(v_1)
    for v_7 in reversed(range(1, v_6)):            for v_7 in reversed(range(1, v_6)):
        vbar_3 = set_at(vbar_3, v_3, v_7, 0.0)  ->     vbar_3 = set_at_in_place(vbar_3, ...)
        vbar_1 = add_at(vbar_1, v_1, v_7, g)           vbar_1 = add_at_in_place(vbar_1, ...)

with `vbar_3 = writable(vbar_3)` (a copy, once) before the loop, unless the array was just
made there (`zeros_like_grad(...)`, an operator's result). Inside the loop, every other
statement must read the name only for a new value: an operand of an operator, an element
indexed by numbers where the statement binds a number (`numbers`; `a[i, ...]` is a 0-d
view), its shape; so that nothing keeps the array or a view of it while the loop changes
it. The helpers write in place only into a float array shaped like the value (else they
copy, as add_at does, and the copy is then the loop's own). Code that srcad differentiates again reads them as add_at and set_at
(normalise.py), whose derivatives are known and which save nothing a write could change.
"""
import operator

import gast

from .template import name_nodes

_IN_PLACE = {"add_at": "add_at_in_place", "set_at": "set_at_in_place"}
_UPDATES = set(_IN_PLACE) | set(_IN_PLACE.values())
_NUMBER_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
_LOOPS = (gast.For, gast.While)
_ID = operator.attrgetter("id")         # (a Name node's name, read in C)


def update_in_place(tree, numbers, names=None):
    """Rewrite the loops of derivative `tree` (see the module). `numbers`: the names that
    certainly hold numbers; `names` (template.Names for `tree`, if there is one) forgets
    the statements that change."""
    if names is not None and all(_UPDATES.isdisjoint(map(_ID, names.nodes(stmt)))
                                 for stmt in tree.body if isinstance(stmt, _LOOPS)):
        return tree                     # (no loop updates an adjoint by element)
    _rewrite_block(tree.body, numbers, names, frozenset())
    return tree


def _rewrite_block(block, numbers, names, done):
    k = 0
    while k < len(block):
        stmt = block[k]
        if isinstance(stmt, _LOOPS):
            owned = sorted(_owned(stmt, numbers) - done)
            for name in owned:
                _rename_updates(stmt, name, names)
                if not _made_just_before(block, k, name, names):
                    block.insert(k, gast.Assign(
                        targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                           type_comment=None)],
                        value=gast.Call(func=_load("writable"), args=[_load(name)],
                                        keywords=[]), type_comment=None))
                    k += 1
            inner = done | set(owned)
        else:
            inner = done
        for field in ("body", "orelse"):
            nested = getattr(stmt, field, None)
            if isinstance(nested, list):
                _rewrite_block(nested, numbers, names, inner)
        k += 1


def _owned(loop, numbers):
    """The names that `loop` updates by add_at or set_at of themselves and reads otherwise
    only for new values (see the module)."""
    statements = _statements(loop)
    if not any(type(stmt) is gast.Assign and _is_update(stmt.value) for stmt in statements):
        return set()
    updated, escaping = set(), set()
    for stmt in statements:
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            else None
        if isinstance(target, gast.Name) and _updates_itself(stmt.value, target.id):
            updated.add(target.id)
            escaping |= _escaping(stmt.value, numbers)
        elif isinstance(stmt, (gast.If, gast.While)):
            continue                          # a test keeps nothing
        elif isinstance(stmt, gast.For):
            escaping |= {n.id for n in name_nodes([stmt.target, stmt.iter])}
        elif isinstance(target, gast.Name):
            escaping.add(target.id)
            escaping |= _escaping(stmt.value, numbers, target.id in numbers)
        else:
            escaping |= {n.id for n in name_nodes(stmt)}
    return updated - escaping


def _statements(loop):
    """Every statement in `loop`, the loop and the blocks it nests included."""
    found, todo = [], [loop]
    while todo:
        stmt = todo.pop()
        found.append(stmt)
        for field in ("body", "orelse"):
            nested = getattr(stmt, field, None)
            if isinstance(nested, list):
                todo.extend(nested)
    return found


def _updates_itself(value, name):
    """Whether `value` is `add_at(name, ...)` or `set_at(name, ...)` (or their in-place
    forms) where the other arguments do not read `name`."""
    return _is_update(value) and isinstance(value.args[0], gast.Name) \
        and value.args[0].id == name \
        and name not in {n.id for n in name_nodes(value.args[1:])}


def _is_update(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
        and node.func.id in _UPDATES and len(node.args) == 4 and not node.keywords


def _escaping(node, numbers, number=False):
    """The names read in expression `node` whose objects its value may hold: none of an
    operator's result, of a number attribute, of add_at's (it copies what it reads), of
    set_at's but the value it puts in a list's slot, of an element indexed by numbers where
    the value is a number (`number`; `numbers`, the names of numbers: `a[i, ...]` would be a
    0-d view); unbroadcast's and if_floating's of their first argument (which they may
    return); all names of anything else."""
    if isinstance(node, gast.Name):
        return {node.id}
    displays = (gast.List, gast.Tuple, gast.ListComp)     # `[a] + b` holds a
    if isinstance(node, (gast.UnaryOp, gast.Compare, gast.Constant)) or (
            isinstance(node, gast.BinOp) and not isinstance(node.left, displays)
            and not isinstance(node.right, displays)) or (
            isinstance(node, gast.Attribute) and node.attr in _NUMBER_ATTRIBUTES):
        return set()
    if _is_update(node):
        return _escaping(node.args[3], numbers) if node.func.id.startswith("set_at") \
            else set()
    if number and isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
            and all(_number_atom(part, numbers) for part in (
                node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice])):
        return set()
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
            and node.func.id in ("unbroadcast", "if_floating") and node.args \
            and not node.keywords:
        return _escaping(node.args[0], numbers, number)
    return {n.id for n in name_nodes(node)}


def _number_atom(node, numbers):
    """Whether index part `node` is an int constant, a name of a number, or arithmetic of
    those (not a slice, `...` or None, which make views)."""
    if isinstance(node, gast.Constant):
        return type(node.value) is int
    if isinstance(node, gast.Name):
        return node.id in numbers
    if isinstance(node, gast.BinOp):
        return _number_atom(node.left, numbers) and _number_atom(node.right, numbers)
    if isinstance(node, gast.UnaryOp):
        return _number_atom(node.operand, numbers)
    return False


def _made_just_before(block, k, name, names):
    """Whether the last statement before block[k] that mentions `name` makes it a new
    array (`name = zeros_like_grad(...)`, `name = a + b`)."""
    for stmt in reversed(block[:k]):
        mentioned = names.mentioned(stmt) if names is not None else \
            {n.id for n in name_nodes(stmt)}
        if name not in mentioned:
            continue
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
            value = stmt.value
            return isinstance(value, (gast.BinOp, gast.UnaryOp)) or (
                isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                and value.func.id == "zeros_like_grad")
        return False
    return False


def _rename_updates(loop, name, names):
    for stmt in _statements(loop):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name \
                and _updates_itself(stmt.value, name) and stmt.value.func.id in _IN_PLACE:
            stmt.value.func.id = _IN_PLACE[stmt.value.func.id]
            if names is not None:
                names.forget(stmt)


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
