"""IR -> reverse-mode derivative IR: the forward sweep, then the adjoint sweep.

For every active statement `v_k = op(v_a, v_b)` the reverse sweep adds the
rule's contributions to `vbar_a`, `vbar_b` in reverse order; the first
contribution to an adjoint assigns it, later ones accumulate::

    v_2 = v_m1 * v_0          vbar_m1 = vbar_2 * v_0
    v_3 = v_1 + v_2    ->     vbar_0 = vbar_0 + vbar_2 * v_m1   (after vbar_2 = vbar_3)

Loops and branches record a control-flow trace on `_stack` (a plain list):
an `if` inside a loop pushes the branch it took, a loop with `break` or a
`while` pushes its iteration count, and a statement that overwrites a value
the reverse sweep reads pushes the old value first. The reverse sweep pops
them in the opposite order, so that when it reaches a statement every name
holds the value it had just after that statement ran.
"""
import operator
from collections import namedtuple

import gast

from . import template as T
from .analysis import (BLOCK_FIELDS, Facts, callee_derivative, classify, derivative_call,
                       dictionaries, inner_blocks, joins_sequences, load_counts, returns_a_number,
                       walk_block)
from .errors import SrcadError, UnsupportedError
from .forward import dot, with_tangents
from .own_operators import arithmetic_inputs, result_checked

STACK = "_stack"
AUX = "_aux"           # has_aux: what the function hands back beside its value
UNBOUND = "names the reverse sweep reads, bound on every path"   # comment on their binding


def bar(name):
    return "vbar_" + name[2:] if name.startswith("v_") else "vbar_" + name


# A loop whose derivative is carried forward: `start`, its one active input; `constant`,
# active names that enter it holding constants; `outputs`, the values it assigns whose
# adjoints may be nonzero after it; `assigned`, every name it assigns; `earlier`, those the
# reverse of earlier statements may read; `loop`, the loop with tangents; `blocks`, the
# ids of its blocks.
Carried = namedtuple("Carried", "start constant outputs assigned earlier loop blocks")


class Sites:
    """Where each name is assigned and used: blocks, positions, loops."""

    def __init__(self, ir, ops, active):
        self.defs = {}        # name -> [(block id, position)]
        self.ops = ops
        self.in_loop = set()  # names assigned inside a loop body
        self.uses = {}        # name -> [(block id, position)] of active uses
        self.counters = set()
        self.blocks = {}      # id(block) -> block: the body and every non-empty inner block
        self._walk(ir.body, ops, active, 0)

    def _walk(self, block, ops, active, loops):
        block_id = id(block)
        self.blocks[block_id] = block
        for pos, stmt in enumerate(block):
            op = ops.get(id(stmt))
            if op is not None and op.target is not None:
                site = (block_id, pos)
                self.defs.setdefault(op.target, []).append(site)
                if loops:
                    self.in_loop.add(op.target)
                if op.target in active or op.kind in ("setitem", "append"):
                    for n in op.operand_names(op.diff):
                        self.uses.setdefault(n, []).append(site)
                    if op.kind == "getitem":
                        for n in op.operand_names(["value"]):
                            self.uses.setdefault(n, []).append((None, pos))
            if isinstance(stmt, gast.For):
                self.counters.add(stmt.target.id)
            for field in BLOCK_FIELDS.get(type(stmt), ("body", "orelse")):
                nested = getattr(stmt, field, None)
                if nested:      # (no call for the blocks most statements lack)
                    self._walk(nested, ops, active,
                               loops + isinstance(stmt, (gast.For, gast.While)))

    def kind_at(self, site):
        """The kind of the Op of the statement at `site` (a block id and a position in it,
        as `defs` lists them)."""
        block, pos = site
        return self.ops[id(self.blocks[block][pos])].kind

    def assigned_in(self, name, block):
        """Whether a statement of `block` itself (not of its inner blocks) assigns `name`."""
        block_id = id(block)
        return any(b == block_id for b, _ in self.defs.get(name, ()))

    def multiply_assigned(self, name):
        return len(self.defs.get(name, ())) > 1 or name in self.in_loop


class Reverse:
    """Builds `grad_<name>` for one IR, one `wrt`, one set of argument kinds."""

    def __init__(self, ir, wrt, arg_kinds, derive_callee, with_value=False, debug=False,
                 carry=False, check_output=False, for_files=False):
        self.ir = ir
        # refuse a value that is not a number: True (files), "unproven" (where the analysis
        # does not show that it is one)
        self.check_output = check_output
        self.for_files = for_files   # (see `differentiate`)
        self.wrt = wrt                    # indices of the differentiated inputs
        self.arg_kinds = arg_kinds
        self.derive_callee = derive_callee
        self.with_value = with_value
        self.debug = debug
        facts = Facts(ir, wrt, arg_kinds, "reverse", derive_callee)
        self.facts = facts
        self.carry = carry                # may loops carry tangents (see _carried_loops)
        self.ops, self.output, self.active = facts.ops, facts.output, facts.active
        self.scalar, self.struct, self.ndims = facts.scalar, facts.struct, facts.ndims
        self.matrices = {n for n, ndim in self.ndims.items() if ndim == 2}   # (2-D arrays)
        self.sequences = facts.array_sequences
        self.sites = Sites(ir, self.ops, self.active)
        # name -> its place among the assigned names, first assignments in program order
        self.def_order = {n: k for k, n in enumerate(self.sites.defs)}
        self.dicts = dictionaries(ir, self.ops, arg_kinds, self.struct)
        self.floating = facts.floating
        self.dict_inputs = facts.dict_inputs
        self.clean = {n for n in self.active if self._is_clean(n)}
        self.needs_init = {n for n in self.active if n not in self.clean and n != self.output}
        self.callees = {}                 # closure name -> derivative function
        self.temp = 0
        self._fragments = {}              # id(stmt) -> adjoint statements (built once)
        self._resets = {}                 # id(stmt) or name -> its adjoint's reset (once)
        self.first_defs = set()
        self.groups = {}                  # id(block) -> saved names pushed together at its end
        self.grouped = set()
        self.if_traced = {}               # id(if) -> whether the forward sweep records it
        self.loop_counted = {}            # id(loop) -> the name of its iteration counter
        self.counted_in = {}              # id(if) -> the counter of the loop it exits
        self._assigns = {}                # id(stmt) -> the names its adjoints assign first
        self.newly_assigned = []          # those of the adjoints being made
        # is the sweep being made kept (False: made only to see what it reads, it gets no
        # line comments, one node, `_any_pop`, serves for every pop, and one statement,
        # `_any_restore`, for every name's restore: `_restore`)
        self.kept = True
        self._any_pop = T.call(f"{STACK}.pop", [])
        self._any_restore = T.assign("_", self._any_pop)
        self.restores_objects = False     # does the reverse sweep change objects in place

    # ----- facts -----

    def _is_clean(self, name):
        """Single assignment, every use straight after it in the same block."""
        if name == self.output or name in self.struct:
            return False
        defs = self.sites.defs.get(name, [])
        if len(defs) != 1:
            return False
        block, pos = defs[0]
        uses = self.sites.uses.get(name, [])
        return bool(uses) and all(b == block and p > pos for b, p in uses)

    def zero(self, name):
        if name in self.scalar:
            return T.constant(0.0)
        return T.call("zeros_like_grad", [T.name(name)])

    def array_names(self):
        """The names of the derivative that may hold arrays of one dimension or more (none
        unless an argument does): forward values and their adjoints, not the inputs."""
        if not any(k.startswith("array") and k != "array0" for k in self.arg_kinds):
            return set()
        values = set(self.sites.defs) - set(self.ir.inputs) - self.scalar
        return values | {bar(n) for n in values}

    def number_names(self):
        """The names of the derivative that certainly hold numbers: forward values and their
        adjoints."""
        return self.scalar | {bar(n) for n in self.scalar}

    # ----- driver -----

    def build(self, names):
        """The derivative function's gast tree; `names` (a template.Names) learns the names
        of its adjoint statements."""
        self.carried = self._carried_loops() if self.carry else {}
        self.settled_tests = self._settled_tests()
        self.saved = {n for n in self.sites.defs
                      if self.sites.multiply_assigned(n) and n not in self.sites.counters}
        reverse = self._reverse_sweep(kept=False)
        reads = set()
        for stmt in reverse:      # (the adjoints are made once: the next sweep has them too)
            reads.update(names.loads(stmt))
        self.saved &= reads
        self.groups = self._block_groups()
        self.grouped = {n for names in self.groups.values() for n in names}
        self.first_defs = self._first_top_level_defs()
        reverse = self._reverse_sweep()
        forward = self._forward_block(self.ir.body[:-1])
        return self._function(forward, reverse)

    def _block_groups(self):
        """`{id(block): names}`: saved names that live and die in one iteration of a block
        inside a loop. Each is assigned first by a statement of the block and again, if at
        all, in the block's `if`s (`h = dt; if t + h > T: h = T - t`); every load of it
        comes after the first assignment, every adjoint that reads it belongs to a
        statement after the last; the block has no jump. Instead of one push before every
        assignment and one pop in the reverse sweep, the block pushes the values they end
        with together at its end and its reverse pops them together first: one tuple is
        cheaper than three pushes and pops or more, not than two."""
        candidates = {}
        inside_carried = {b for plan in self.carried.values() for b in plan.blocks}
        for name in self.saved:
            defs = self.sites.defs.get(name, ())
            # an adjoint reset to zeros_like_grad(name) reads name after the block's reverse
            if defs and defs[0][0] not in inside_carried \
                    and (name not in self.needs_init or name in self.scalar):
                candidates.setdefault(defs[0][0], []).append((defs[0][1], name))
        everywhere = load_counts(self.ir)
        groups = {}
        for block_id, assigned in candidates.items():
            block = self.sites.blocks[block_id]
            if len(assigned) < 3 or any(       # (a group has three names or more)
                    isinstance(stmt, (gast.Break, gast.Continue, gast.Return))
                    for stmt in walk_block(block)):    # jumps are statements
                continue
            at = dict(assigned)                        # position -> the name assigned there
            last = self._last_assignments(block, at.values(), self.sites.blocks)
            names, after = [], {}                      # after: loads in later statements
            for pos in range(len(block) - 1, -1, -1):
                name = at.get(pos)
                if name is not None and name in last \
                        and after.get(name, 0) == everywhere[name]:
                    names.append(name)                 # every load of it comes later
                for n in T.loaded_names(block[pos]):   # (Counter.update: a microsecond more)
                    after[n] = after.get(n, 0) + 1
            names.reverse()
            if len(names) >= 3:
                groups[block_id] = names
        return groups

    def _last_assignments(self, block, names, by_id):
        """`{name: position}` of the statement of `block` (an assignment, or an `if` around
        one) that assigns each of `names` last, for those whose adjoint reads all come
        after it: the value a name ends the block with is the one every adjoint reads."""
        where = {id(block): None}                      # block id -> position of its `if`
        for pos, stmt in enumerate(block):
            for inner in _branch_blocks(stmt):
                where[id(inner)] = pos
        last = {}
        for name in names:
            positions = []
            for block_id, pos in self.sites.defs[name]:
                stmt, op = by_id[block_id][pos], None
                if isinstance(stmt, gast.Assign):
                    op = self.ops.get(id(stmt))
                if block_id not in where or op is None \
                        or op.kind in ("setitem", "append", "pop"):
                    break
                positions.append(pos if where[block_id] is None else where[block_id])
            else:
                last[name] = max(positions)
        for pos, stmt in enumerate(block):
            for inner in walk_block([stmt]):
                op = self.ops.get(id(inner))
                if op is None or not (op.target in self.active
                                      or op.kind in ("setitem", "append")):
                    continue
                for name in op.operand_names():
                    if name in last and pos <= last[name]:
                        del last[name]
                # the adjoint of an operation reads its result (`ans`)
                if op.target in last and (pos < last[op.target] or inner is not stmt):
                    del last[op.target]
        return last

    def _carried_loops(self):
        """`{id(loop): Carried}`: top-level loops whose one active input is a scalar x and
        whose active values are scalars made by rules and copies. Such a loop carries its
        derivative forward, `vdot_k = d v_k / d x` beside each value as in `jvp`, and its
        reverse is one product per output, `vbar_x = vbar_k * vdot_k + ...`: no stack and no
        reverse loop (preaccumulation: forward mode inside the reverse sweep, cheaper than
        recording the loop whenever one input enters it)."""
        plans = {}
        tangents_read = set()     # names whose tangents the reverse of a carried loop reads
        for pos, loop in enumerate(self.ir.body[:-1]):
            if not isinstance(loop, (gast.For, gast.While)):
                continue
            inner = list(walk_block(loop.body))
            ops = [op for stmt in inner if (op := self.ops.get(id(stmt))) is not None]
            moved = [op for op in ops if op.target in self.active]
            if not moved or any(isinstance(stmt, gast.Return) for stmt in inner) or any(
                    op.kind not in ("rule", "copy") or op.target not in self.scalar
                    or op.target in self.struct for op in moved):
                continue
            assigned = {op.target for op in ops if op.target is not None}
            blocks = {id(block) for block in inner_blocks([loop])}
            reads = {n for op in moved for n in op.operand_names(op.diff)}
            before = self.ir.body[:pos]
            inner_before = {id(block) for block in inner_blocks(before)}
            entering = {}     # active name -> the kinds of its assignments before the loop
            for n in (reads | assigned) & self.active:
                kinds = [self.sites.kind_at(site) for site in self.sites.defs.get(n, ())
                         if site[0] in inner_before
                         or site[0] == id(self.ir.body) and site[1] < pos]
                if kinds:
                    entering[n] = kinds
            # `s = 0.0` before the loop: vdot_s = 0
            constant = {n for n, kinds in entering.items() if set(kinds) == {"const"}}
            start = set(entering) - constant
            if len(start) != 1 or not start <= self.scalar:
                continue
            later = {n for stmt in self.ir.body[pos + 1:] for n in T.loaded_names(stmt)}
            outputs = [n for n in self._ordered(assigned & self.active & later)
                       if n in self.needs_init or n == self.output]
            # the reverse of an earlier carried loop reads its outputs' tangents: this loop
            # must not change them (it would if both carry one variable)
            if not outputs or (assigned | start | constant) & tangents_read:
                continue
            try:
                facts = self.facts.with_ops(classify(self.ir, "forward", [loop]))
                carrying = with_tangents(self.ir, [loop], facts)
            except SrcadError:   # a rule without a tangent: the loop is recorded instead
                continue
            # what the reverse of the statements before the loop may read: their operands,
            # and the results of their operations (`y = np.exp(x)` reads y)
            earlier = {n for stmt in before for n in T.loaded_names(stmt)} | {
                op.target for stmt in walk_block(before)
                if (op := self.ops.get(id(stmt))) is not None
                and op.kind not in ("copy", "const")}
            tangents_read.update(outputs)
            plans[id(loop)] = Carried(start.pop(), constant, outputs, assigned,
                                      assigned & earlier, carrying[0], blocks)
            # the adjoints of the loop's own values are never made, and that of its input
            # is assigned by its reverse (after it, where the loop assigns the input); a
            # name assigned before the loop too keeps its resets there
            self.needs_init -= {n for n in (assigned & self.active) - set(outputs)
                                if all(block in blocks for block, _ in self.sites.defs[n])}
        return plans

    def _settled_tests(self):
        """The ids of top-level `if`s whose test is a name that neither the `if` nor any
        later statement assigns: the reverse sweep reads it again, as it was, instead of
        recording the branch taken (a flag set before a loop's early `return`)."""
        settled, later = set(), set()
        if not any(isinstance(stmt, gast.If) for stmt in self.ir.body):
            return settled          # (no walk of the whole function for nothing)
        for stmt in reversed(self.ir.body):
            later |= T.names_stored(stmt)
            if isinstance(stmt, gast.If) and isinstance(stmt.test, gast.Name) \
                    and stmt.test.id not in later:
                settled.add(id(stmt))
        return settled

    def _first_top_level_defs(self):
        """Statements that bind a saved name for the first time, outside any loop or branch:
        there is no earlier value to save and restore. (`Sites.defs` lists a name's
        assignments in program order: its first is where the function binds it first.)"""
        first = set()
        top = id(self.ir.body)
        for name in self.saved:
            block, pos = self.sites.defs[name][0]
            if block == top and self.sites.kind_at((block, pos)) not in ("setitem", "append",
                                                                          "pop"):
                first.add(id(self.ir.body[pos]))
        return first

    def _reverse_sweep(self, kept=True):
        """The reverse sweep's statements; if not `kept`, a sweep made only to see what it
        reads: without the line comments, and one node for every pop."""
        self.kept = kept
        self.if_traced.clear()
        self.loop_counted.clear()
        self.counted_in.clear()
        self.assigned = set()
        self.temp = 0
        self.uses_stack = False
        stmts = self._reverse_block(self.ir.body[:-1])
        init = [self._reset(n, n) for n in self._ordered(self.needs_init)]
        return init + stmts

    def _reset(self, name, key):
        """`vbar_name = 0.0` (or zeros_like_grad(name)), made once for `key`: the id of the
        statement it follows, or `name` at the sweep's start (both sweeps of `build` put the
        same statement there; the second keeps it)."""
        reset = self._resets.get(key)
        if reset is None:
            reset = self._resets[key] = T.assign(bar(name), self.zero(name))
        return reset

    def _ordered(self, names):
        order = self.def_order
        return sorted(names, key=lambda n: (order.get(n, 1 << 30), n))

    def _function(self, forward, reverse):
        ir = self.ir
        args = T.clone(ir.args)
        seed = T.name(bar(self.output))
        seed.ctx = gast.Param()
        if args.kwonlyargs:
            args.kwonlyargs.append(seed)
            args.kw_defaults.append(T.constant(1.0))
        else:
            args.args.append(seed)
            args.defaults.append(T.constant(1.0))
        body = []
        first = {self.ops[k].target for k in self.first_defs}
        maybe_unbound = (self.saved - first - self.grouped) | {
            n for n in self.needs_init if not self.sites.assigned_in(n, ir.body)}
        unbound = self._ordered(maybe_unbound - set(ir.inputs))
        if unbound:
            body.append(T.comment(UNBOUND))
            body.append(gast.Assign(targets=[T.name(n, store=True) for n in unbound],
                                    value=T.constant(None), type_comment=None))
        if self.uses_stack:
            body.append(T.assign(STACK, gast.List(elts=[], ctx=gast.Load())))
        params = ir.args.posonlyargs + ir.args.args + ir.args.kwonlyargs
        checked = arithmetic_inputs(ir, self.ops, self.active,
                                    parts=self.for_files) \
            if "other" in self.arg_kinds else ()
        for k in checked:
            # (an argument of any kind, as in a file: not one with operators of its own,
            # which srcad.grad refuses where it knows the argument; in a file, nor one
            # whose items or attributes the arithmetic takes, which srcad.grad checks on
            # each call that its fast path does not serve)
            if tuple(self.arg_kinds[k:k + 1]) == ("other",):
                body.extend(T.quote(f"check_plain_operand({params[k].id}, "
                                    f"{params[k].id!r}, {ir.source.fn.__name__!r})"))
        body.append(T.comment("forward sweep"))
        body.extend(forward)
        aux = T.clone(ir.aux) if ir.aux is not None else None
        if isinstance(aux, gast.Name):
            # (has_aux: what the function hands back beside its value, as the forward sweep
            # leaves it; the reverse sweep may bind its name again, or restore in place)
            body.append(T.assign(AUX, T.call("kept", [aux]) if self.restores_objects
                                 else aux))
            aux = T.name(AUX)
        if self.check_output is True or self.check_output == "unproven" \
                and not returns_a_number(ir, self.ops, self.scalar):
            what = ", 'grad (has_aux=True)'" if ir.aux is not None \
                else ", 'value_and_grad'" if self.with_value else ""
            body.extend(T.quote(f"check_output({self.output}, {bar(self.output)}, "
                                f"{ir.source.fn.__name__!r}{what})"))   # (<lambda> too)
        body.append(T.comment("reverse sweep"))
        body.extend(reverse)
        if self.debug and self.uses_stack:
            body.extend(T.quote(f"assert not {STACK}, 'srcad: stack not empty'"))
        grads = []
        for k in self.wrt:
            v = ir.inputs[k]
            grad = T.name(bar(v)) if v in self.active else self.zero(v)
            if self.arg_kinds[k] in ("list", "tuple", "dict"):
                # (np.tanh(xs): an array; named tuples, in a list or dict too: of their
                # class, as the adjoints' plain tuples are not)
                grad = T.call("structured", [grad, T.name(v)])
            grads.append(grad)
        result = grads[0] if len(grads) == 1 else T.tuple_of(grads)
        if self.with_value:
            value = T.name(self.output)
            if aux is not None:           # (has_aux: the pair the function returns)
                value = T.tuple_of([value, aux])
            result = T.tuple_of([value, result])
        body.append(gast.Return(value=result))
        # value_and_grad_f: a recursive f calls grad_f, which returns the gradient only
        prefix = "value_and_grad" if self.with_value else "grad"
        return gast.FunctionDef(name=f"{prefix}_{ir.name}", args=args, body=body,
                                decorator_list=[], returns=None, type_comment=None)

    # ----- forward sweep -----

    def _forward_block(self, block):
        out = []
        checks = self.facts.result_checks     # (few statements have any)
        for stmt in block:
            out.extend(self._forward_stmt(stmt))
            if id(stmt) in checks:
                out.extend(result_checked(self.facts, stmt))
        group = self.groups.get(id(block))
        if group:
            out.append(self._push(_packed(group)))
        return out

    def _push(self, value):
        self.uses_stack = True
        return T.new_node(gast.Expr, value=T.call(f"{STACK}.append", [value]))

    def _pop(self):
        self.uses_stack = True
        if not self.kept:         # (none of the sweep's statements is kept: one node will do)
            return self._any_pop
        return T.call(f"{STACK}.pop", [])

    def _restore(self, name):
        """`name = _stack.pop()`: the value `name` had before the statement that pushed it.
        In a sweep that is not kept, `_any_restore`: all that sweep is asked is the names it
        reads, and what each restore reads is the stack (its name is stored, not read)."""
        pop = self._pop()
        return T.assign(name, pop) if self.kept else self._any_restore

    def _forward_stmt(self, stmt):
        if id(stmt) in self.ir.entry:
            return [T.clone(stmt)]
        op = self.ops.get(id(stmt))
        if self._popped_list(op) is not None:   # the reverse sweep puts the item back
            return self._save_target(stmt, op) + [self._push(T.name(op.target))]
        out = self._save_target(stmt, op)
        copied = self.facts.copied_for_calls.get(id(stmt))
        if copied and type(out[-1]) is gast.Assign and type(out[-1].value) is gast.Call:
            # `g(x, b)` that changes the new array b: the reverse sweep passes b again (b
            # may be a number where srcad could not tell: `fresh` copies arrays only)
            call = out[-1].value
            call.args = [T.call("fresh", [a]) if type(a) is gast.Name and a.id in copied
                         else a for a in call.args]
            for keyword in call.keywords:
                if type(keyword.value) is gast.Name and keyword.value.id in copied:
                    keyword.value = T.call("fresh", [keyword.value])
        return out

    def _popped_list(self, op):
        """For `x = xs.pop()` where the reverse sweep restores xs (it undoes the appends
        to it, `xs.pop()`), the name xs; else None."""
        if op is not None and op.kind == "pop" and type(op.args["list"]) is gast.Name \
                and op.args["list"].id in self.saved:
            self._refuse_dict_pop(op)
            return op.args["list"].id
        return None

    def _save_target(self, stmt, op):
        if op is None:      # (`classify` makes ops of assignments and expressions only)
            if isinstance(stmt, gast.If):
                return [self._forward_if(stmt)]
            if isinstance(stmt, (gast.For, gast.While)):
                return self._forward_loop(stmt)
            return [T.clone(stmt)]
        if op.target in self.saved and id(stmt) not in self.first_defs \
                and op.target not in self.grouped:
            if op.kind == "setitem":
                index = stmt.targets[0].slice
                if op.target in self.dicts:    # the key may be new: nothing to save
                    return [self._push(T.call("saved_item", [
                        T.name(op.target), T.index_expr(T.clone(index))])), T.clone(stmt)]
                old = gast.Subscript(value=T.name(op.target), slice=T.clone(index),
                                     ctx=gast.Load())
                if op.target not in self.struct:
                    old = T.call("np.copy", [old])
                else:       # (a list's item as it is; an array's part copied: not a view)
                    old = T.new_node(gast.IfExp, test=T.call("isinstance", [
                        T.name(op.target), T.quote_expr("np.ndarray")]),
                        body=T.call("np.copy", [old]), orelse=T.clone(old))
                return [self._push(old), T.clone(stmt)]
            if isinstance(stmt, gast.Assign):
                return [self._push(T.name(op.target)), T.clone(stmt)]
        return [T.clone(stmt)]

    def _forward_if(self, stmt):
        body = self._forward_block(stmt.body)
        orelse = self._forward_block(stmt.orelse)
        counter = self.counted_in.get(id(stmt))
        if counter is not None:         # the test of a while loop: count passes through body
            body = T.quote(f"{counter} = {counter} + 1") + body
        if self.if_traced.get(id(stmt)):
            _before_jumps(body, self._push(T.constant(True)))
            orelse = orelse or []
            _before_jumps(orelse, self._push(T.constant(False)))
        return T.shell(stmt, body=body or [gast.Pass()], orelse=orelse)

    def _forward_loop(self, stmt):
        plan = self.carried.get(id(stmt))
        if plan is not None:
            return self._carried_forward(stmt, plan)
        body = self._forward_block(stmt.body)
        counter = self.loop_counted.get(id(stmt))
        if counter is None:
            return [T.shell(stmt, body=body, orelse=[])]
        if counter not in self.counted_in.values():
            body = T.quote(f"{counter} = {counter} + 1") + body
        new = T.shell(stmt, body=body, orelse=[])
        return T.quote(f"{counter} = 0") + [new, self._push(T.name(counter))]

    def _line_comment(self, node, note=""):
        """`# line N: <the source line>`, and `note` after it."""
        text = f"line {self.ir.source.file_line(node)}: {self.ir.source.line_text(node)}"
        return T.comment(f"{text}  {note}" if note else text)

    def _carried_forward(self, stmt, plan):
        """Save what the reverse sweep reads before the loop changes it; seed the tangents
        (1 for the input, 0 for outputs the loop may not assign); the loop with tangents."""
        out = [self._push(T.name(n)) for n in self._ordered(plan.earlier & self.saved)]
        node = self.ir.origin.get(stmt)
        if node is not None:
            out.append(self._line_comment(
                node, f"(carries vdot_k = d v_k / d {plan.start} from here)"))
        out.append(T.assign(dot(plan.start), T.constant(1.0)))
        zero = self._ordered((plan.constant | set(plan.outputs)) - {plan.start})
        out.extend(T.assign(dot(n), T.constant(0.0)) for n in zero)
        out.append(T.clone(plan.loop))
        return out

    # ----- reverse sweep -----

    def _reverse_block(self, block):
        """Adjoints of a block, last statement first, under the comments of their lines."""
        group = self.groups.get(id(block))
        out = [T.assign(_packed(group, store=True), self._pop())] if group else []
        line = None
        for stmt in reversed(block):
            fragment = self._reverse_stmt(stmt)
            if not fragment:
                continue
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                line = None
            elif self.kept:
                node = self.ir.origin.get(stmt)
                here = getattr(node, "lineno", None)
                if here is not None and here != line:
                    out.append(self._line_comment(node))
                    line = here
            out.extend(fragment)
        return out

    def _reverse_stmt(self, stmt):
        op = self.ops.get(id(stmt))
        if op is None:      # (`classify` makes ops of assignments and expressions only)
            return self._reverse_compound(stmt)
        if op.target is None or id(stmt) in self.ir.entry:
            return []
        out = []
        restore = []
        if op.target in self.saved and id(stmt) not in self.first_defs \
                and op.target not in self.grouped:
            self.restores_objects |= op.kind in ("setitem", "append")
            if op.kind == "setitem" and op.target in self.dicts:
                # before the adjoints: they zero the item's adjoint as the old value is (or
                # drop a key that the dict did not have)
                out.append(T.new_node(gast.Expr, value=T.call(
                    "restore_item", [T.name(op.target),
                                     T.index_expr(T.clone(stmt.targets[0].slice)),
                                     self._pop()])))
            elif op.kind == "setitem":
                index = T.clone(stmt.targets[0].slice)
                target = gast.Subscript(value=T.name(op.target), slice=index, ctx=gast.Store())
                # a list's slot back first: its adjoint is zeroed as the old item is (`xs =
                # [y, x]; xs[0] = x`: a number's, not an array's as the new item's)
                (out if op.target in self.struct else restore).append(
                    T.assign(target, self._pop()))
            elif op.kind == "append":            # (xs.insert(at, v): xs.pop(at))
                restore.append(T.new_node(gast.Expr, value=T.call(f"{op.target}.pop", [
                    T.clone(op.args["at"])] if "at" in op.args else [])))
            else:
                restore.append(self._restore(op.target))
        popped = self._popped_list(op)
        if popped is not None:
            self.restores_objects = True
            put_back = T.call(f"{popped}.append", [self._pop()])
            if "at" in op.args:                   # (xs.pop(at): xs.insert(at, item))
                put_back = T.call(f"{popped}.insert", [T.clone(op.args["at"]), self._pop()])
            restore.insert(0, T.new_node(gast.Expr, value=put_back))
        if op.kind == "pop" and getattr(op.args["list"], "id", None) in self.active:
            out.append(self._pop_adjoint(op))
        elif op.target in self.active:
            # both sweeps of `build` produce the same adjoints: make them once
            fragment = self._fragments.get(id(stmt))
            if fragment is None:
                self.newly_assigned = []
                fragment = self._fragments[id(stmt)] = self._adjoint(op)
                self._assigns[id(stmt)] = self.newly_assigned
            else:
                self.assigned.update(self._assigns[id(stmt)])
            out.extend(fragment)
        out.extend(restore)
        if op.target in self.active and op.target in self.needs_init \
                and op.kind not in ("setitem", "append") \
                and self.sites.multiply_assigned(op.target):
            out.append(self._reset(op.target, id(stmt)))
        return out

    def _reverse_compound(self, stmt):
        """The reverse of a statement without an operation: an `if`, a loop (carried or
        recorded), or none for the rest (`pass`, a jump)."""
        if isinstance(stmt, gast.If):
            return self._reverse_if(stmt)
        if id(stmt) in self.carried:
            return self._carried_reverse(stmt, self.carried[id(stmt)])
        if isinstance(stmt, gast.For):
            return self._reverse_for(stmt)
        if isinstance(stmt, gast.While):
            return self._reverse_while(stmt)
        return []

    def _reverse_if(self, stmt):
        body = self._reverse_block(stmt.body)
        orelse = self._reverse_block(stmt.orelse)
        if not body and not orelse:
            return []
        test = T.clone(stmt.test)
        direct = isinstance(test, gast.Constant) or id(stmt) in self.settled_tests or (
            isinstance(test, gast.Name) and not self.sites.multiply_assigned(test.id)
            and test.id not in self.ir.homes)
        if not direct:
            self.if_traced[id(stmt)] = True
            test = self._pop()
        return [gast.If(test=test, body=body or [gast.Pass()], orelse=orelse)]

    def _carried_reverse(self, stmt, plan):
        """`vbar_x = sum of vbar_k * vdot_k` over the loop's outputs k; restore what the
        forward sweep saved before the loop."""
        total = T.sum_of([gast.BinOp(left=T.name(bar(n)), op=gast.Mult(), right=T.name(dot(n)))
                          for n in plan.outputs])
        node = self.ir.origin.get(stmt)
        out = [self._line_comment(node)] if node is not None else []
        if plan.start in plan.assigned:
            out.append(T.assign(bar(plan.start), total))
        else:
            out.append(self.accumulate(plan.start, total))
        restored = self._ordered(plan.earlier & self.saved)
        out.extend(T.assign(n, self._pop()) for n in reversed(restored))
        return out

    def _reverse_for(self, stmt):
        body = self._reverse_block(stmt.body)
        if not body:
            return []
        bounds = T.clone(stmt.iter)
        if _breaks(stmt.body):
            counter = self._counter()
            self.loop_counted[id(stmt)] = counter
            iter_ = gast.Subscript(value=bounds, slice=gast.Slice(lower=None,
                                                                  upper=self._pop(), step=None),
                                   ctx=gast.Load())
        else:
            iter_ = bounds
        loop = gast.For(target=T.clone(stmt.target), iter=T.call("reversed", [iter_]), body=body,
                        orelse=[], type_comment=None)
        return [loop]

    def _reverse_while(self, stmt):
        body = self._reverse_block(stmt.body)
        if not body:
            return []
        counter = self._counter()
        self.loop_counted[id(stmt)] = counter
        exit_test = _exit_test(stmt.body, body)
        if exit_test is not None:
            # `while c:` became `while True: ...; if c: <body> else: break`. Count the passes
            # through <body> instead of the loop's turns: then every counted turn took the
            # branch, and no branch needs recording.
            test, reverse_if = exit_test
            del self.if_traced[id(test)]
            self.counted_in[id(test)] = counter
            body = reverse_if.body
        return [gast.For(target=T.name("_", store=True), iter=T.call("range", [self._pop()]),
                         body=body, orelse=[], type_comment=None)]

    def _counter(self):
        self.temp += 1
        return f"_iterations{self.temp}"

    # ----- adjoints of one statement -----

    def accumulate(self, name, expr):
        """vbar_name = expr the first time (clean names), vbar_name = vbar_name + expr after."""
        target = bar(name)
        if name in self.clean and name not in self.assigned:
            self.assigned.add(name)
            self.newly_assigned.append(name)
            return T.assign(target, expr)
        if name in self.struct:
            return T.assign(target, T.call("add_grad", [T.name(target), expr]))
        total = T.new_node(gast.BinOp, left=T.name(target), op=T.new_node(gast.Add), right=expr)
        return T.assign(target, total)

    def _active_atom(self, atom):
        return isinstance(atom, gast.Name) and atom.id in self.active

    def _adjoint(self, op):
        kind = op.kind
        if kind == "rule":
            return self._rule_adjoint(op)
        g = T.name(bar(op.target))
        if kind == "copy":
            src = op.args[0]
            return [self.accumulate(src.id, g)] if self._active_atom(src) else []
        if kind == "getitem":
            value = op.args["value"]
            if not self._active_atom(value):
                return []
            index = T.clone(op.args["index"])
            call = T.call("add_at", [T.name(bar(value.id)), T.name(value.id),
                                     T.index_expr(index), g])
            return [T.assign(bar(value.id), call)]
        if kind == "setitem":
            return self._setitem_adjoint(op, g)
        if kind == "append":
            out = []
            item = op.args[0]
            at = op.args.get("at", T.constant(-1))       # (xs.insert(at, v): there)
            last = gast.Subscript(value=T.name(bar(op.target)), slice=T.clone(at),
                                  ctx=gast.Load())
            if self._active_atom(item):
                out.append(self.accumulate(item.id, last))
            if "at" in op.args:
                out.append(T.assign(bar(op.target), T.call("without_item", [
                    T.name(bar(op.target)), T.clone(at)])))
            else:
                out.extend(T.quote(f"{bar(op.target)} = {bar(op.target)}[:-1]"))
            return out
        if kind == "pack":
            out = []
            keys = op.stmt.value.keys if isinstance(op.stmt.value, gast.Dict) else None
            for k, atom in op.args.items():
                if self._active_atom(atom):
                    key = T.clone(keys[k]) if keys else T.constant(k)
                    part = gast.Subscript(value=g, slice=key, ctx=gast.Load())
                    out.append(self.accumulate(atom.id, part))
            return out
        if kind == "call":
            return self._call_adjoint(op, g)
        if kind == "pop":
            raise self._pop_refused(op)
        return []

    def _pop_adjoint(self, op):
        """`t = xs.pop()` (also the stack of a gradient differentiated again): the adjoint
        of xs takes t's adjoint (0.0 for a value that is not active) back, for the adjoint
        of the append that pushed t (`abar = xsbar[-1]`). A list's adjoint is as long as
        the list at every point of the reverse sweep, so every pop gives one."""
        xs = op.args["list"].id
        aux = getattr(self.ir.aux, "id", None)     # (has_aux: handed back, no adjoint read)
        if any(other.kind == "copy" and xs in other.operand_names() + [other.target]
               and id(other.stmt) not in self.ir.entry      # (`v_0 = xs.copy()`: its own)
               and other.target != aux
               for other in self.ops.values() if other.target is not None):
            # another name for the list (`for v in xs` iterates one): its adjoint would not
            # take the item back
            raise self._pop_refused(op)
        self._refuse_dict_pop(op)
        given = T.name(bar(op.target)) if op.target in self.active else T.constant(0.0)
        if "at" in op.args:                                 # xs.pop(at)
            return T.assign(bar(xs), T.call("inserted_back", [T.name(bar(xs)),
                                                              T.clone(op.args["at"]), given]))
        return T.assign(bar(xs), T.call("pushed_back", [T.name(bar(xs)), given]))

    def _refuse_dict_pop(self, op):
        """`d.pop(k)` of what may be a dict (an argument, or a dict srcad could not make a
        new one without k for: normalise's `_dict_pops`): its item would be put back as a
        list's."""
        refusal = self._dict_pop_refusal(op)
        if refusal is not None:
            raise refusal

    def _dict_pop_refusal(self, op):
        """The error for `d.pop(k)` where d may be a dict (see `_refuse_dict_pop`), else
        None."""
        if "at" in op.args and op.args["list"].id in self.dicts:
            return UnsupportedError(
                "d.pop(k) of a dict that srcad cannot make a new dict without k for (an "
                "argument, a dict that another name may hold, or one read in the same "
                "statement) is not supported in reverse mode", self.ir.location(op.stmt),
                hint="of a dict argument, pop from a copy of it: p = dict(d); w = p.pop(k), "
                     "in a statement of its own")
        return None

    def _pop_refused(self, op):
        """The error for `xs.pop()` that the reverse sweep cannot undo; of a dict, the
        dict's (`_dict_pop_refusal`: `for k in d: ...; d["b"] * d.pop("b")`)."""
        refusal = self._dict_pop_refusal(op)
        if refusal is not None:
            return refusal
        generated = self.ir.source.filename.startswith("<srcad ")
        return UnsupportedError(
            "reverse mode through list.pop() is not supported" + (
                " (here in srcad's generated code: reverse over reverse through a loop "
                "or branch)" if generated else ""),
            self.ir.location(op.stmt),
            hint="use srcad.hessian or srcad.hvp (forward over reverse)" if generated else
                 "index the list instead (xs[-1]), or use forward mode (srcad.jvp, "
                 "srcad.hessian); a list also named otherwise (a loop over it) cannot pop "
                 "in reverse mode")

    def _setitem_adjoint(self, op, g):
        out = []
        value = op.args["value"]
        index = op.stmt.targets[0].slice
        if op.target not in self.struct and (self._may_be_array(index) or isinstance(
                index, gast.Constant) and index.value is Ellipsis or isinstance(
                index, gast.Tuple) and not index.elts):
            # (`y[...]`, `y[()]` may write a 0-d array, whose adjoint may be a number:
            # `float(y)` after `y[...] = v`)
            part = T.call("assigned_part", [T.name(bar(op.target)), T.index_expr(T.clone(index))])
        elif op.target in self.struct and self._active_atom(value) \
                and not self._surely_container(op.target):
            # a list, a dict or an array (a callee's result): `c[::2] = x` of an array sums
            # the part back to x's shape, and of `c[[1, 1]]` only the kept write counts
            return [self.accumulate(value.id, T.call("stored_part", [
                T.name(bar(op.target)), T.name(op.target), T.index_expr(T.clone(index)),
                T.name(value.id)])), T.assign(bar(op.target), T.call("set_at", [
                    T.name(bar(op.target)), T.name(op.target), T.index_expr(T.clone(index)),
                    T.constant(0.0)]))]
        else:
            part = gast.Subscript(value=T.name(bar(op.target)), slice=T.clone(index),
                                  ctx=gast.Load())
        if self._active_atom(value):
            if op.target not in self.struct:   # x[i] = scalar may fill a whole row
                part = T.call("unbroadcast", [part, T.name(value.id)])
                if op.target not in self.floating:     # an integer array truncates v
                    part = T.call("if_floating", [part, T.name(op.target)])
            out.append(self.accumulate(value.id, part))
        zero = T.call("set_at", [T.name(bar(op.target)), T.name(op.target),
                                 T.index_expr(T.clone(index)), T.constant(0.0)])
        out.append(T.assign(bar(op.target), zero))
        return out

    def _surely_container(self, name):
        """Whether `name` holds a list, tuple or dict wherever it is assigned: a display (a
        comprehension's too), or a list, tuple or dict argument."""
        kinds = dict(zip(self.ir.inputs, self.arg_kinds))
        for op in self.ops.values():
            if op.target != name or op.kind in ("setitem", "append", "pop"):
                continue
            if not (op.kind == "pack" or id(op.stmt) in self.ir.entry
                    and kinds.get(name) in ("list", "tuple", "dict")):
                return False
        return True

    def _may_be_array(self, index):
        """Whether `index` may hold an index array, which may name an element twice."""
        if isinstance(index, gast.Tuple):
            return any(self._may_be_array(e) for e in index.elts)
        return isinstance(index, gast.Name) and index.id not in self.scalar

    def _rule_adjoint(self, op):
        if self.struct and joins_sequences(op, self.struct):    # (no lists: no walk)
            return self._sequence_adjoint(op, T.name(bar(op.target)))
        template = op.template
        # (a varying value where the rule has no derivative: refused by analysis.activity)
        active = [p for p in op.diff if self._active_atom(op.args.get(p))]
        if not active:
            return []
        # (a str stands for a name: each use in the template becomes a Name node of its
        # own, as a node's copy would)
        names = {"g": bar(op.target), "ans": op.target, **op.template_names(self.sequences)}
        out = []
        for local, fill in zip(template.locals, template.preamble_fills):
            fresh = template.local_name(local, op.target[2:])
            out.append(T.assign(fresh, fill(names)))
            names[local] = fresh
        contributions = []   # (operand, expression); x * x gives one 2.0 * ... term
        for p, fill in zip(template.diff, template.result_fills):
            if p in active:
                expr = self.simplify(fill(names), op.target)
                if op.dtype_unknown:
                    expr = T.call("if_floating", [expr, T.name(op.target)])
                name = op.args[p].id
                twin = _twin(contributions, name, expr)
                if twin is None:
                    contributions.append((name, expr))
                else:
                    doubled = gast.BinOp(left=T.constant(2.0), op=gast.Mult(), right=expr)
                    contributions[twin] = (name, doubled)
        out.extend(self.accumulate(name, expr) for name, expr in contributions)
        return out

    def _sequence_adjoint(self, op, g):
        """`x + y` / `x * y` where x or y may be a list or tuple: decided when it runs."""
        helper = "add_adjoint" if op.rule.primal is operator.add else "mul_adjoint"
        x, y = op.args["x"], op.args["y"]
        out = []
        for first, atom in ((True, x), (False, y)):
            if self._active_atom(atom):
                call = T.call(helper, [T.clone(g), T.clone(x), T.clone(y), T.constant(first)])
                out.append(self.accumulate(atom.id, call))
        return out

    def simplify(self, expr, target):
        """Drop unbroadcast/broadcast_like where both shapes are known to be (); write the
        adjoints of `x @ y` as matrix products where the other operand is a known matrix:
        `x.T @ g` for y, `g @ y.T` for x, whatever the shape of the operand they are for."""
        scalar = self.scalar
        if self.matrices:
            expr = _MatrixAdjoints(self.matrices).visit(expr)
        if target not in scalar:
            return expr

        def is_scalar(node):
            if isinstance(node, gast.Constant):
                return isinstance(node.value, (int, float))
            return isinstance(node, gast.Name) and node.id in scalar

        def drop(call):
            func = call.func
            if isinstance(func, gast.Name) and len(call.args) == 2:
                if func.id == "unbroadcast" and is_scalar(call.args[1]):
                    return call.args[0]
                if func.id == "broadcast_like":
                    return call.args[0]
            return call

        return T.map_calls(expr, drop)

    def _call_adjoint(self, op, g):
        active = [p for p in op.diff if self._active_atom(op.args.get(p))]
        if not active:
            return []
        closure_name, seed = callee_derivative(self.ir, op, self.derive_callee, active, self)
        self.callees[closure_name] = True
        call = derivative_call(op, closure_name)
        call.keywords.append(gast.keyword(arg=seed, value=g))
        if len(active) == 1:
            return [self.accumulate(op.args[active[0]].id, call)]
        self.temp += 1
        tmp = f"_grads{self.temp}"
        out = [T.assign(tmp, call)]
        for k, p in enumerate(active):
            part = gast.Subscript(value=T.name(tmp), slice=T.constant(k), ctx=gast.Load())
            out.append(self.accumulate(op.args[p].id, part))
        return out


def _twin(contributions, name, expr):
    """The position in `contributions` ((operand, expression) pairs) of the one to `name`
    that writes as `expr` does, or None."""
    for k, (operand, other) in enumerate(contributions):
        if operand == name and T.source_of(other) == T.source_of(expr):
            return k
    return None


class _MatrixAdjoints(gast.NodeTransformer):
    """`matmul_adjoint_y(g, x, y)` -> `x.T @ g` and `matmul_adjoint_x(g, x, y)` ->
    `g @ y.T` when that x (y) is one of `matrices`, 2-D arrays."""

    def __init__(self, matrices):
        self.matrices = matrices

    def visit_Call(self, node):
        self.generic_visit(node)
        func, args = node.func, node.args
        if not (isinstance(func, gast.Name) and len(args) == 3 and not node.keywords):
            return node
        g, x, y = args
        if func.id == "matmul_adjoint_y" and isinstance(x, gast.Name) and x.id in self.matrices:
            return gast.BinOp(left=_transposed(x), op=gast.MatMult(), right=g)
        if func.id == "matmul_adjoint_x" and isinstance(y, gast.Name) and y.id in self.matrices:
            return gast.BinOp(left=g, op=gast.MatMult(), right=_transposed(y))
        return node


def _transposed(name):
    return gast.Attribute(value=T.clone(name), attr="T", ctx=gast.Load())


def _breaks(block):
    """Whether a loop body can leave the loop early (a break not inside a nested loop)."""
    for stmt in block:
        if isinstance(stmt, gast.Break):
            return True
        if isinstance(stmt, gast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


def _exit_test(block, reverse):
    """`(if, its reverse)` when the loop body `block` ends in `if c: <body> else: break`,
    <body> cannot jump, and the body's `reverse` is that if's alone (the statements that
    compute c need no adjoint and restore nothing)."""
    code = [s for s in block if not T.is_comment(s)]
    back = [s for s in reverse if not T.is_comment(s)]
    if not code or len(back) != 1 or not isinstance(code[-1], gast.If) \
            or not isinstance(back[0], gast.If) or back[0].orelse:
        return None
    test = code[-1]
    orelse = [s for s in test.orelse if not T.is_comment(s)]
    if len(orelse) != 1 or not isinstance(orelse[0], gast.Break) or any(
            isinstance(n, (gast.Break, gast.Continue, gast.Return))
            for s in test.body for n in gast.walk(s)):
        return None
    return test, back[0]


def _branch_blocks(stmt):
    """The blocks of an `if` statement and of the `if`s nested in them (not of loops)."""
    if isinstance(stmt, gast.If):
        for block in (stmt.body, stmt.orelse):
            yield block
            for inner in block:
                yield from _branch_blocks(inner)


def _packed(names, store=False):
    """The tuple `(a, b, ...)`: how a block's group of saved names goes on the stack."""
    return T.tuple_of([T.name(n, store) for n in names], store)


def _before_jumps(block, push):
    """Append `push` at the end of every path through `block`, before any final jump."""
    code = [k for k, stmt in enumerate(block) if not T.is_comment(stmt)]
    if not code:
        block.append(push)
        return
    last = block[code[-1]]     # comments after the last statement do not count
    if isinstance(last, (gast.Break, gast.Continue)):
        block.insert(code[-1], T.clone(push))
    elif isinstance(last, gast.If) and _may_jump(last):
        _before_jumps(last.body, push)
        if not last.orelse:
            last.orelse = []
        _before_jumps(last.orelse, push)
    else:
        block.append(T.clone(push))


def _may_jump(stmt):
    if isinstance(stmt, (gast.Break, gast.Continue)):
        return True
    if isinstance(stmt, gast.If):
        return any(_may_jump(s) for s in stmt.body + stmt.orelse)
    return False


def differentiate(ir, wrt, arg_kinds, derive_callee, with_value=False, debug=False,
                  carry=False, names=None, check_output=False, for_files=False):
    """The reverse-mode derivative of `ir` as a gast FunctionDef, plus the callees it calls.
    `carry`: loops with one active scalar input carry tangents instead of being recorded.
    `names` (a template.Names) keeps the names of the adjoint statements it finds, for the
    passes that come next. `check_output`: the derivative refuses a value that is not
    scalar when called without a seed (for files: srcad.grad checks it on the first call).
    `for_files`: an argument of any kind whose items or attributes the arithmetic takes is
    checked (`check_plain_operand`) too."""
    builder = Reverse(ir, wrt, arg_kinds, derive_callee, with_value, debug, carry,
                      check_output, for_files)
    return builder.build(T.Names() if names is None else names), builder
