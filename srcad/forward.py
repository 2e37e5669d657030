"""IR -> forward-mode derivative IR: each active statement followed by its tangent.

One sweep, no stack: `vdot_k` travels beside `v_k`::

    v_2 = v_m1 * v_0        ->     v_2 = v_m1 * v_0
                                   vdot_2 = vdot_m1 * v_0 + v_m1 * vdot_0

The tangent rule of a function returns one term per differentiable argument;
terms of inactive arguments are left out. Control flow is kept as it is.
"""
import operator

import gast

from . import template as T
from .analysis import Facts, callee_derivative, derivative_call, joins_sequences, walk_block
from .errors import UnsupportedError
from .own_operators import arithmetic_inputs, result_checked


def dot(name):
    return "vdot_" + name[2:] if name.startswith("v_") else "vdot_" + name


class Forward:
    """Builds `jvp_<name>` for one IR, one `wrt`, one set of argument kinds."""

    def __init__(self, ir, wrt, facts, derive_callee, arg_kinds=(), for_files=False):
        self.ir = ir
        self.wrt = wrt
        self.derive_callee = derive_callee
        self.arg_kinds = tuple(arg_kinds)
        self.for_files = for_files
        self.ops, self.output, self.active = facts.ops, facts.output, facts.active
        self.scalar, self.struct, self.ndims = facts.scalar, facts.struct, facts.ndims
        self.sequences = facts.array_sequences
        self.floating = facts.floating
        self.dict_inputs = facts.dict_inputs
        self.facts = facts

    def build(self):
        ir = self.ir
        args = T.clone(ir.args)
        for k in self.wrt:
            param = T.name(dot(ir.inputs[k]))
            param.ctx = gast.Param()
            if args.kwonlyargs or args.defaults:
                args.kwonlyargs.append(param)
                args.kw_defaults.append(None)
            else:
                args.args.append(param)
        body = self._plain_operand_checks() + self._block(ir.body[:-1])
        out = self.output
        tangent = T.name(dot(out)) if out in self.active else self.zero(out)
        none = self._none_bindings(out)
        if none == "all":
            tangent = T.constant(None)      # a function that returns None: no tangent (as JAX)
        elif none is not None:              # (`return None` on one path)
            test = f"{out} is None" if none == "some" else \
                f"{out} is None or isinstance({out}, (str, bytes))"
            tangent = gast.IfExp(test=T.quote_expr(test), body=T.constant(None),
                                 orelse=tangent)
        returned = [T.name(out), tangent]
        if ir.aux is not None:      # (has_aux: what the function hands back beside its value)
            returned.append(T.clone(ir.aux))
        body.append(gast.Return(value=T.tuple_of(returned)))
        return gast.FunctionDef(name=f"jvp_{ir.name}", args=args, body=body,
                                decorator_list=[], returns=None, type_comment=None)

    def _plain_operand_checks(self):
        """For an argument of any kind (a file's): `check_plain_operand` of each that the
        arithmetic takes, as the reverse derivative checks it (srcad.jvp refuses an np.matrix,
        whose `**` is a matrix power, on the call; a file has no other chance to)."""
        if "other" not in self.arg_kinds:
            return []
        params = self.ir.args.posonlyargs + self.ir.args.args + self.ir.args.kwonlyargs
        checks = []
        for k in arithmetic_inputs(self.ir, self.ops, self.active, parts=self.for_files):
            if self.arg_kinds[k:k + 1] == ("other",):
                checks.extend(T.quote(f"check_plain_operand({params[k].id}, "
                                      f"{params[k].id!r}, {self.ir.source.fn.__name__!r})"))
        return checks

    def _none_bindings(self, name):
        """"all" where every assignment of `name` (through copies) is `None` or a text (a
        function without a `return`), "some" where one is None, "some texts" where one
        is a text, else None."""
        values, top = {}, {id(stmt) for stmt in self.ir.body}
        for stmt in walk_block(self.ir.body):
            if isinstance(stmt, gast.Assign):
                for stored in T.names_stored(stmt):
                    values.setdefault(stored, []).append(stmt)
        for stored, stmts in values.items():
            first = stmts[0]
            if len(stmts) > 1 and id(first) in top and isinstance(first.value, gast.Constant) \
                    and first.value.value is None and self.ir.origin.get(first) is None:
                stmts.pop(0)     # (`v_3 = None` before the body: a name early returns bind)
            values[stored] = [stmt.value for stmt in stmts]
        todo, seen, found = [name], set(), set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for value in values.get(current) or [None]:
                if isinstance(value, gast.Name):
                    todo.append(value.id)
                elif isinstance(value, gast.Constant) and not _numeric(value.value):
                    found.add("none" if value.value is None else "text")
                else:
                    found.add("value")
        if "value" not in found and found:
            return "all"
        return "some texts" if "text" in found else "some" if "none" in found else None

    def zero(self, name):
        if name in self.scalar:
            return T.constant(0.0)
        return T.call("zeros_like_grad", [T.name(name)])

    def _block(self, block):
        out = []
        for stmt in block:
            if isinstance(stmt, gast.If):
                out.append(T.shell(stmt, body=self._block(stmt.body) or [gast.Pass()],
                                   orelse=self._block(stmt.orelse)))
            elif isinstance(stmt, (gast.For, gast.While)):
                out.append(T.shell(stmt, body=self._block(stmt.body), orelse=[]))
            else:
                out.extend(self._stmt(stmt))
                out.extend(result_checked(self.facts, stmt))
        return out

    def _active_atom(self, atom):
        return isinstance(atom, gast.Name) and atom.id in self.active

    def _tangent_of(self, atom):
        if self._active_atom(atom):
            return T.name(dot(atom.id))
        if isinstance(atom, gast.Constant):
            return T.constant(0.0 if _numeric(atom.value) else None)   # (None, a text: none)
        return self.zero(atom.id)

    def _stmt(self, original):
        op = self.ops.get(id(original))
        stmt = T.clone(original)   # the derivative never shares nodes with the cached IR
        if id(original) in self.ir.entry and op.target in self.active \
                and op.target not in [self.ir.inputs[k] for k in self.wrt]:
            return [stmt, T.assign(dot(op.target), self.zero(op.target))]
        if id(original) in self.ir.entry and op.target in self.active \
                and isinstance(stmt.value, gast.Call):
            # `v_0 = x.copy()`: the function changes x in place (xs.pop()); the caller's
            # tangent must not change either
            return [stmt, T.assign(dot(op.target), T.call(f"{dot(op.target)}.copy", []))]
        if op is not None and op.kind == "pop" and self._active_atom(op.args["list"]):
            popped = T.call(f"{dot(op.args['list'].id)}.pop",
                            [T.clone(op.args["at"])] if "at" in op.args else [])
            if op.target in self.active:
                return [stmt, T.assign(dot(op.target), popped)]
            return [stmt, gast.Expr(value=popped)]
        if op is None or op.target is None or op.target not in self.active \
                or id(original) in self.ir.entry:
            return [stmt]
        target = op.target
        kind = op.kind
        if kind == "call":
            return self._call(op)
        if kind == "const" and isinstance(stmt.value, gast.Constant):
            return [stmt, T.assign(dot(target), self._tangent_of(stmt.value))]
        if not any(self._active_atom(op.args.get(k)) for k in op.diff) \
                and kind not in ("setitem", "append"):
            return [stmt, T.assign(dot(target), self.zero(target))]
        if kind == "copy":
            return [stmt, T.assign(dot(target), T.name(dot(op.args[0].id)))]
        if kind == "getitem":
            index = T.clone(op.args["index"])
            part = gast.Subscript(value=T.name(dot(op.args["value"].id)), slice=index,
                                  ctx=gast.Load())
            return [stmt, T.assign(dot(target), part)]
        if kind == "setitem":
            index = T.index_expr(T.clone(stmt.targets[0].slice))
            value = self._tangent_of(op.args["value"])
            if target not in self.floating and target not in self.struct:
                value = T.call("if_floating", [value, T.name(target)])  # (ints truncate)
            call = T.call("set_at", [T.name(dot(target)), T.name(target), index, value])
            return [stmt, T.assign(dot(target), call)]
        if kind == "append":       # (in place, as the pop's: a new list each time was
            #                            quadratic in a long loop's pushes)
            grown = T.call(f"{dot(target)}.append", [self._tangent_of(op.args[0])])
            if "at" in op.args:                          # xs.insert(at, v)
                grown = T.call(f"{dot(target)}.insert", [T.clone(op.args["at"]),
                                                          self._tangent_of(op.args[0])])
            return [stmt, gast.Expr(value=grown)]
        if kind == "pack":
            value = T.clone(stmt.value)
            if isinstance(value, gast.Dict):
                value.values = [self._tangent_of(v) for v in value.values]
            else:
                value.elts = [self._tangent_of(e) for e in value.elts]
            return [stmt, T.assign(dot(target), value)]
        if kind == "rule":
            return [stmt] + self._rule(op)
        return [stmt]

    def _rule(self, op):
        if joins_sequences(op, self.struct):   # + may join lists: decided when it runs
            helper = "add_tangent" if op.rule.primal is operator.add else "mul_tangent"
            x, y = op.args["x"], op.args["y"]
            args = [self._tangent_of(x), self._tangent_of(y), T.clone(x)]
            if helper == "mul_tangent":
                args.append(T.clone(y))
            args.append(T.name(op.target))
            return [T.assign(dot(op.target), T.call(helper, args))]
        template = op.template
        for p, atom in op.args.items():
            if self._active_atom(atom) and p not in op.diff and p not in op.zero:
                raise UnsupportedError(
                    f"{op.rule.name} is not differentiable with respect to its argument '{p}'",
                    self.ir.location(op.stmt),
                    hint="wrap the value in srcad.stop_gradient if no derivative is needed")
        names = {"ans": T.name(op.target), **op.template_names(self.sequences)}
        active = [p for p in template.diff if p in op.diff and self._active_atom(op.args.get(p))]
        out = []
        if not template.preamble_reads_g:
            out.extend(self._preamble(template, names, op.target[2:]))
        terms = []
        for p, fill in zip(template.diff, template.result_fills):
            if p in active:
                names["g"] = T.name(dot(op.args[p].id))
                if op.as_array(p, self.sequences):
                    names["g"] = T.call("np.asarray", [names["g"]])
                if template.preamble_reads_g:   # g differs per input: a preamble for each
                    suffix = op.target[2:] if len(active) == 1 else f"{op.target[2:]}_{p}"
                    out.extend(self._preamble(template, names, suffix))
                term = self.simplify(fill(names), op.target)
                if op.dtype_unknown:
                    term = T.call("if_floating", [term, T.name(op.target)])
                terms.append(term)
        out.append(T.assign(dot(op.target), self._sum(terms, op)))
        return out

    @staticmethod
    def _preamble(template, names, suffix):
        """The template's preamble, its locals renamed (`Template.local_name`, and bound in
        `names`)."""
        out = []
        for local, fill in zip(template.locals, template.preamble_fills):
            fresh = template.local_name(local, suffix)
            out.append(T.assign(fresh, fill(names)))
            names[local] = T.name(fresh)
        return out

    def _sum(self, terms, op):
        """`a + b + ...`, or `add_grad(add_grad(a, b), ...)` where the tangents may be
        lists, tuples or dicts (the tangent of `add_at` in an adjoint of a dict, say)."""
        if len(terms) > 1 and (op.target in self.struct
                               or any(n in self.struct for n in op.operand_names())):
            total = terms[0]
            for term in terms[1:]:
                total = T.call("add_grad", [total, term])
            return total
        return T.sum_of(terms)

    def simplify(self, expr, target):
        if target not in self.scalar:
            return expr

        def drop(call):
            if isinstance(call.func, gast.Name) and call.func.id == "broadcast_like":
                return call.args[0]
            return call

        return T.map_calls(expr, drop)

    def _call(self, op):
        active = [p for p in op.diff if self._active_atom(op.args.get(p))]
        name, tangent_params = callee_derivative(self.ir, op, self.derive_callee, active, self)
        call = derivative_call(op, name)
        for p, tp in zip(active, tangent_params):
            call.keywords.append(gast.keyword(arg=tp, value=T.name(dot(op.args[p].id))))
        target = T.tuple_of([T.name(op.target, store=True), T.name(dot(op.target), store=True)],
                            store=True)
        return [T.assign(target, call)]


def _numeric(value):
    return not isinstance(value, (str, bytes, type(None)))


def differentiate(ir, wrt, arg_kinds, derive_callee, for_files=False):
    """The forward-mode derivative of `ir` as a gast FunctionDef. `for_files`: as in
    `reverse.differentiate`, the items and attributes of an argument of any kind that the
    arithmetic takes are checked too."""
    facts = Facts(ir, wrt, arg_kinds, "forward", derive_callee)
    return Forward(ir, wrt, facts, derive_callee, arg_kinds, for_files).build()


def with_tangents(ir, block, facts):
    """`block` of `ir` with each active statement followed by its tangent, as in `jvp`.
    `facts.ops` must be classified in forward mode and hold no calls of user functions."""
    return Forward(ir, (), facts, None)._block(block)
