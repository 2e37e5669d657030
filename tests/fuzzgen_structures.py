"""Random programs of structures and control flow for the differential fuzzer
(tests/test_fuzz.py), beside `fuzzgen`'s arithmetic ones.

The programs take a vector x of 3 numbers, a float y and sometimes a vector z, and use
what `fuzzgen` does not write: lists built with `append` in a loop, then read by index,
`sum(...)`, `np.stack` (and its rows, columns and sums), `np.array` and comprehensions;
element writes into local arrays in loops (`a[i] = ...`, `a[i] += ...`, `a[i] = a[i - 1]
* ...`, an element read, then overwritten, then used); `while` loops stopped by a value
(`while s < c and k < cap`, `while True: ... if s > c or k >= cap: break`); `if/elif/else`
chains on values; module-level helpers with defaults, called several times with keyword
arguments, some returning tuples (indexed or unpacked); dicts with string keys updated in
loops; `np.where`, `np.maximum`/`np.minimum`, `np.clip`, `abs`; early returns in loops.

Every loop stops within a few turns, every operation is domain-safe, and every array is
a vector of 3 numbers (or a stack of them), so no program fails to run. `check` adds the
second derivatives (`srcad.hessian` w.r.t. x against differences of srcad's gradient,
`srcad.hvp` against the Hessian's product) to `fuzzgen.check`'s first ones.
"""
import copy

import numpy as np

import srcad

import fuzzgen

N = 3
CONSTS = ["0.5", "1.5", "-0.7", "0.3", "2.0", "-1.2"]


class Scope:
    """The names visible at a point of a program, by what they hold."""

    def __init__(self):
        self.scalars = []   # names of float scalars
        self.vectors = []   # names of (N,) arrays
        self.lists = []     # (name, kind 's'/'v', length) lists built, never changed later
        self.dicts = []     # (name, {key: kind})
        self.ints = {}      # loop index -> bound

    def child(self):
        """The scope of a nested block: what it binds stays inside (a loop may not run, a
        branch may not be taken)."""
        c = Scope()
        c.scalars, c.vectors = list(self.scalars), list(self.vectors)
        c.lists, c.dicts, c.ints = list(self.lists), list(self.dicts), dict(self.ints)
        return c


class Generator:
    """Writes one program, drawing every decision from chooser `ch` (choice 0 is the
    simplest, so that hypothesis shrinks towards small programs)."""

    def __init__(self, ch):
        self.ch = ch
        self.n = 0
        self.helpers = []        # dicts: name, params, defaults, ret ("s"/"v"), tuple
        self.helper_lines = []   # the helpers' source lines
        self.in_helper = False

    def fresh(self, p="t"):
        self.n += 1
        return f"{p}{self.n}"

    # ----- expressions -----

    def sleaf(self, sc):
        k = self.ch.int(0, 6)
        if k <= 2 and sc.scalars:
            return self.ch.choice(sc.scalars)
        if k <= 4 and sc.vectors:
            v = self.ch.choice(sc.vectors)
            idx = [str(c) for c in range(-N, N)] + [i for i, b in sc.ints.items() if b <= N]
            return f"{v}[{self.ch.choice(idx)}]"
        if k == 5 and sc.vectors:
            return f"np.sum({self.ch.choice(sc.vectors)})"
        if k == 6 and sc.ints and self.ch.flag(50):
            return self.ch.choice(list(sc.ints))
        return self.ch.choice(CONSTS)

    def sexpr(self, sc, d=2):
        """An expression that gives a float, nested `d` deep at most."""
        if d <= 0 or self.ch.flag(30):
            return self.sleaf(sc)
        k = self.ch.int(0, 11)
        a = self.sexpr(sc, d - 1)
        if k <= 2:
            return f"{a} {self.ch.choice(['+', '-', '*'])} {self.par(self.sexpr(sc, d - 1))}"
        if k == 3:
            return self.ch.choice([f"np.sin({a})", f"np.tanh({a})", f"np.exp(np.tanh({a}))",
                                   f"np.log(1.0 + {self.par(a)} ** 2)", f"np.cos({a})"])
        if k == 4:
            b = self.sexpr(sc, d - 1)
            return f"{self.par(a)} / (1.0 + {self.par(b)} ** 2)"
        if k == 5:
            return f"np.maximum({a}, {self.sexpr(sc, d - 1)})"
        if k == 6:
            return f"np.clip({a}, -0.5, 0.8)"
        if k == 7 and sc.vectors:
            return f"np.dot({self.vexpr(sc, d - 1)}, {self.vexpr(sc, d - 1)})"
        if k == 8:
            c = self.cond(sc, 1)
            return f"({a} if {c} else {self.sexpr(sc, d - 1)})"
        if k == 9 and sc.lists:
            return self.list_read(sc, "s")
        if k == 10 and sc.dicts:
            out = self.dict_read(sc, "s")
            if out:
                return out
        if k == 11:
            out = self.call(sc, "s")
            if out:
                return out
        return f"{self.par(a)} * {self.par(self.sexpr(sc, d - 1))}"

    def vleaf(self, sc):
        if sc.vectors and not self.ch.flag(15):
            v = self.ch.choice(sc.vectors)
            return self.ch.choice([v, v, v, f"{v}[::-1]"])
        return f"np.ones({N}) * {self.par(self.sleaf(sc))}"

    def vexpr(self, sc, d=2):
        """An expression that gives a vector of N numbers."""
        if d <= 0 or self.ch.flag(30):
            return self.vleaf(sc)
        k = self.ch.int(0, 11)
        a = self.vexpr(sc, d - 1)
        if k <= 2:
            b = self.vexpr(sc, d - 1) if self.ch.flag(60) else self.sexpr(sc, d - 1)
            return f"{a} {self.ch.choice(['+', '-', '*'])} {self.par(b)}"
        if k == 3:
            return self.ch.choice([f"np.sin({a})", f"np.tanh({a})", f"np.exp(np.tanh({a}))",
                                   f"np.log(1.0 + {self.par(a)} ** 2)"])
        if k == 4:
            return f"np.where({a} > {self.ch.choice(CONSTS)}, {self.vexpr(sc, d - 1)}, " \
                   f"{self.vexpr(sc, d - 1)})"
        if k == 5:
            b = self.ch.choice([self.ch.choice(CONSTS), self.vexpr(sc, d - 1)])
            return f"np.{self.ch.choice(['maximum', 'minimum'])}({a}, {b})"
        if k == 6:
            return f"np.clip({a}, -0.6, 0.9)"
        if k == 7 and sc.lists:
            return self.list_read(sc, "v")
        if k == 8 and sc.dicts:
            out = self.dict_read(sc, "v")
            if out:
                return out
        if k == 9:
            out = self.call(sc, "v")
            if out:
                return out
        if k == 10:
            return f"{self.par(a)} / (1.0 + {self.par(self.vexpr(sc, d - 1))} ** 2)"
        return f"np.abs({a}) + 0.1 * {self.par(a)}" if self.ch.flag(20) else a

    @staticmethod
    def par(s):
        if s.replace("_", "").replace(".", "").replace("-", "").isalnum():
            return s
        return f"({s})"

    def list_read(self, sc, want):
        name, kind, length = self.ch.choice(sc.lists)
        idx = self.ch.choice([str(c) for c in range(-length, length)])
        if kind == "v":
            if want == "v":
                return self.ch.choice([f"{name}[{idx}]", f"sum({name})",
                                       f"np.stack({name})[{idx}]",
                                       f"np.sum(np.stack({name}), axis=0)",
                                       f"np.stack({name}, axis=1)[:, {self.ch.int(0, length - 1)}] "
                                       f"+ np.mean(np.stack({name}), axis=0)"])
            return self.ch.choice([f"np.sum({name}[{idx}])", f"np.sum(np.stack({name}))",
                                   f"np.stack({name})[{idx}, {self.ch.int(0, N - 1)}]",
                                   f"np.sum(sum({name}))"])
        if want == "s":
            return self.ch.choice([f"{name}[{idx}]", f"sum({name})", f"np.sum(np.array({name}))",
                                   f"np.stack({name})[{idx}]"])
        return f"np.ones({N}) * {name}[{idx}]"

    def dict_read(self, sc, want):
        opts = [(n, k) for n, keys in sc.dicts for k, kind in keys.items() if kind == want]
        if not opts:
            return None
        n, k = self.ch.choice(opts)
        return f'{n}["{k}"]'

    def cond(self, sc, d=1):
        k = self.ch.int(0, 3)
        if k == 3 and sc.ints:
            return f"{self.ch.choice(list(sc.ints))} {self.ch.choice(['==', '>', '<'])} 1"
        a = self.sexpr(sc, d)
        if k == 2:
            return f"{a} < {self.sexpr(sc, d)}"
        return f"{a} {self.ch.choice(['>', '<'])} {self.ch.choice(CONSTS)}"

    # ----- helpers -----

    def call(self, sc, want):
        """A call of a helper (a new one, or one written before) giving a float (`want`
        "s") or a vector ("v"); an item of it where the helper returns a pair."""
        cands = [h for h in self.helpers if h["ret"] == want]
        if (not cands or self.ch.flag(30)) and len(self.helpers) < 3 and not self.in_helper:
            cands = [self.make_helper(want)]
        if not cands:
            return None
        h = self.ch.choice(cands)
        src = self.call_of(h, sc)
        return src + f"[{self.ch.int(0, 1)}]" if h["tuple"] else src

    def call_of(self, h, sc):
        """The call of helper `h`: its arguments positional, the last ones by keyword,
        some of its defaults given by keyword."""
        args = [self.sexpr(sc, 1) if kind == "s" else self.vexpr(sc, 1)
                for _, kind in h["params"]]
        parts = []
        kw = False
        for (p, kind), a in zip(h["params"], args):
            if kw or (self.ch.flag(25) and len(parts) > 0):
                kw = True
                parts.append(f"{p}={a}")
            else:
                parts.append(a)
        for p, val in h["defaults"]:
            if self.ch.flag(40):
                parts.append(f"{p}={self.sexpr(sc, 1)}")
        return f"{h['name']}({', '.join(parts)})"

    def make_helper(self, want):
        self.in_helper = True
        try:
            name = f"h{len(self.helpers) + 1}"
            params = [(f"p{k}", self.ch.choice(["s", "v"])) for k in range(self.ch.int(1, 2))]
            defaults = [(f"k{k}", self.ch.choice(CONSTS)) for k in range(self.ch.int(0, 2))]
            sc = Scope()
            for p, kind in params:
                (sc.scalars if kind == "s" else sc.vectors).append(p)
            sc.scalars += [p for p, _ in defaults]
            is_tuple = self.ch.flag(30)
            h = dict(name=name, params=params, defaults=defaults, ret=want, tuple=is_tuple)
            body = self.block(sc, 1, False, want + ("2" if is_tuple else ""), small=True)
            r1 = self.sexpr(sc) if want == "s" else self.vexpr(sc)
            if is_tuple:
                r2 = self.sexpr(sc) if want == "s" else self.vexpr(sc)
                body.append((0, f"return {r1}, {r2}"))
            else:
                body.append((0, f"return {r1}"))
            sig = ", ".join([p for p, _ in params] + [f"{p}={v}" for p, v in defaults])
            lines = [f"def {name}({sig}):"] + ["    " * (d + 1) + t for d, t in body]
            self.helper_lines.append(lines)
            self.helpers.append(h)
            return h
        finally:
            self.in_helper = False

    # ----- statements -----

    def block(self, sc, nest, in_loop, ret, small=False):
        lines = []
        for _ in range(self.ch.int(1, 2 if small else 4)):
            lines += self.stmt(sc, nest, in_loop, ret, small)
        return lines or [(0, "pass")]

    def indent(self, lines, k=1):
        return [(d + k, t) for d, t in lines]

    def stmt(self, sc, nest, in_loop, ret, small):
        """The lines of one statement, or of one construct (a loop building a list, ...);
        `nest` deep in blocks, `ret` what a `return` gives ("s", "v", or a pair "s2",
        "v2"), `small` in a helper."""
        deep = nest < (2 if small else 3)
        k = self.ch.int(0, 14)
        if k <= 1:
            name = self.fresh("s")
            line = (0, f"{name} = {self.sexpr(sc)}")
            sc.scalars.append(name)
            return [line]
        if k <= 3:
            name = self.fresh("v")
            line = (0, f"{name} = {self.vexpr(sc)}")
            sc.vectors.append(name)
            return [line]
        if k == 4 and sc.scalars:
            name = self.ch.choice(sc.scalars)
            op = self.ch.choice(["+=", "-=", "*=", "="])
            e = self.sexpr(sc)
            if op == "*=":
                e = f"np.tanh({e})"
            return [(0, f"{name} {op} {e}")]
        if k == 5 and deep:
            return self.list_build(sc, nest, ret)
        if k == 6 and deep:
            return self.array_writes(sc, nest, ret)
        if k == 7 and deep:
            return self.while_break(sc, nest, ret)
        if k == 8 and deep:
            return self.if_chain(sc, nest, in_loop, ret)
        if k == 9 and deep:
            return self.dict_block(sc, nest, ret)
        if k == 10 and deep:
            return self.loop_with_return(sc, nest, ret)
        if k == 11 and not small:
            return self.tuple_call(sc)
        if k == 12 and deep and sc.lists:
            return self.loop_over_list(sc, nest, ret)
        if k == 13 and in_loop:
            return [(0, f"if {self.cond(sc)}:"), (1, self.ch.choice(["break", "continue"]))]
        if k == 14 and sc.vectors:
            name = self.ch.choice(sc.vectors)
            return [(0, f"{name} = {name} {self.ch.choice(['+', '*'])} {self.par(self.vexpr(sc))}")]
        name = self.fresh("s")
        line = (0, f"{name} = {self.sexpr(sc)}")
        sc.scalars.append(name)
        return [line]

    def retval(self, sc, ret):
        """What a `return` of kind `ret` gives."""
        one = (lambda: self.sexpr(sc)) if ret[0] == "s" else (lambda: self.vexpr(sc))
        return f"{one()}, {one()}" if ret.endswith("2") else one()

    def list_build(self, sc, nest, ret):
        """`L = []; for i in range(k): ...; L.append(...)`, sometimes a comprehension over
        L after it."""
        name = self.fresh("L")
        kind = self.ch.choice(["s", "v"])
        i = self.fresh("i")
        k = self.ch.int(1, 3)
        inner = sc.child()
        inner.ints[i] = k
        lines = [(0, f"{name} = []"), (0, f"for {i} in range({k}):")]
        body = []
        if self.ch.flag(40):
            body += self.block(inner, nest + 1, True, ret, small=True)
            # a break/continue/return could leave the list shorter: only simple bodies
            body = [(d, t) for d, t in body if t not in ("break", "continue")]
            if any(t.startswith("return") or t.startswith("if") or t.startswith("while")
                   or t.startswith("for") for d, t in body):
                body = []
                inner = sc.child()
                inner.ints[i] = k
        e = self.sexpr(inner) if kind == "s" else self.vexpr(inner)
        body.append((0, f"{name}.append({e})"))
        lines += self.indent(body)
        if self.ch.flag(30):
            # a comprehension over the built list
            name2 = self.fresh("L")
            el = self.fresh("e")
            c = inner.child()
            (c.scalars if kind == "s" else c.vectors).append(el)
            e2 = self.sexpr(c, 1) if kind == "s" else self.vexpr(c, 1)
            lines.append((0, f"{name2} = [{e2} for {el} in {name}]"))
            sc.lists.append((name2, kind, k))
        sc.lists.append((name, kind, k))
        return lines

    def array_writes(self, sc, nest, ret):
        """A new vector whose elements a loop writes, reads and writes over."""
        a = self.fresh("a")
        init = self.ch.choice([f"np.zeros({N})", f"np.ones({N}) * {self.par(self.sleaf(sc))}"]
                              + ([f"{self.ch.choice(sc.vectors)}.copy()"] if sc.vectors else []))
        lines = [(0, f"{a} = {init}")]
        i = self.fresh("i")
        k = self.ch.int(1, N)
        inner = sc.child()
        inner.ints[i] = N
        inner.vectors.append(a)
        body = []
        for _ in range(self.ch.int(1, 3)):
            w = self.ch.int(0, 4)
            if w == 0:
                body.append((0, f"{a}[{i}] = {self.sexpr(inner)}"))
            elif w == 1:
                body.append((0, f"{a}[{i}] += {self.sexpr(inner)}"))
            elif w == 2:
                body.append((0, f"{a}[{i}] = {a}[{i} - 1] * {self.par(self.sexpr(inner, 1))} + "
                                f"{a}[{i}]"))
            elif w == 3:
                t = self.fresh("s")
                body.append((0, f"{t} = {a}[{self.ch.int(0, N - 1)}]"))
                body.append((0, f"{a}[{self.ch.int(0, N - 1)}] = {self.sexpr(inner)}"))
                body.append((0, f"{a}[{i}] *= np.tanh({t})"))
            else:
                body.append((0, f"{a}[{self.ch.int(-N, N - 1)}] -= {self.sexpr(inner, 1)}"))
        lines.append((0, f"for {i} in range({k}):"))
        lines += self.indent(body)
        if self.ch.flag(30):
            lines.append((0, f"{a}[0] = {a}[{N - 1}] * {self.par(self.sexpr(sc, 1))}"))
        sc.vectors.append(a)
        return lines

    def while_break(self, sc, nest, ret):
        """A `while` loop on a value, with a counter that stops it within `cap` turns."""
        s = self.fresh("w")
        c = self.fresh("c")
        cap = self.ch.int(2, 5)
        lines = [(0, f"{s} = {self.sexpr(sc, 1)}"), (0, f"{c} = 0")]
        inner = sc.child()
        inner.scalars.append(s)
        inner.ints[c] = 99
        step = f"{s} = {s} * 0.8 + {self.par(self.sexpr(inner, 1))}"
        form = self.ch.int(0, 2)
        body = [(0, step), (0, f"{c} += 1")]
        extra = self.block(inner, nest + 1, True, ret, small=True) if self.ch.flag(40) else []
        if form == 0:
            lines.append((0, f"while {s} < {self.ch.choice(CONSTS)} and {c} < {cap}:"))
            lines += self.indent(body + extra)
        elif form == 1:
            lines.append((0, "while True:"))
            stop = [(0, f"if {s} > {self.ch.choice(CONSTS)} or {c} >= {cap}:"), (1, "break")]
            lines += self.indent(body + stop + extra)
        else:
            lines.append((0, f"while {c} < {cap}:"))
            lines += self.indent(body + extra + [(0, f"if {self.cond(inner)}:"), (1, "break")])
        sc.scalars.append(s)
        return lines

    def if_chain(self, sc, nest, in_loop, ret):
        v = self.fresh("r")
        lines = []
        n = self.ch.int(1, 3)
        for j in range(n):
            head = "if" if j == 0 else "elif"
            inner = sc.child()
            body = []
            if self.ch.flag(40):
                body += self.block(inner, nest + 1, in_loop, ret, small=True)
            body.append((0, f"{v} = {self.sexpr(inner)}"))
            lines.append((0, f"{head} {self.sexpr(sc, 1)} {self.ch.choice(['>', '<'])} "
                             f"{self.ch.choice(CONSTS)}:"))
            lines += self.indent(body)
        inner = sc.child()
        lines.append((0, "else:"))
        lines += self.indent([(0, f"{v} = {self.sexpr(inner)}")])
        sc.scalars.append(v)
        return lines

    def dict_block(self, sc, nest, ret):
        """A dict with string keys whose items a loop updates (and adds one to)."""
        d = self.fresh("d")
        keys = {"a": "s", "b": self.ch.choice(["s", "v"])}
        init = ", ".join(f'"{k}": {self.sexpr(sc, 1) if kind == "s" else self.vexpr(sc, 1)}'
                         for k, kind in keys.items())
        lines = [(0, f"{d} = {{{init}}}")]
        i = self.fresh("i")
        k = self.ch.int(1, 3)
        inner = sc.child()
        inner.ints[i] = k
        inner.dicts.append((d, keys))
        body = [(0, f'{d}["a"] = {d}["a"] * 0.5 + {self.par(self.sexpr(inner, 1))}')]
        if keys["b"] == "s":
            body.append((0, f'{d}["b"] += {self.sexpr(inner, 1)}'))
        else:
            body.append((0, f'{d}["b"] = {d}["b"] + {self.par(self.vexpr(inner, 1))}'))
        if self.ch.flag(30):
            body.append((0, f'{d}["c"] = {d}["a"] * 2.0'))
            keys_after = dict(keys, c="s")
        else:
            keys_after = keys
        lines.append((0, f"for {i} in range({k}):"))
        lines += self.indent(body)
        sc.dicts.append((d, keys_after))
        return lines

    def loop_with_return(self, sc, nest, ret):
        i = self.fresh("i")
        k = self.ch.int(1, 3)
        inner = sc.child()
        inner.ints[i] = k
        body = self.block(inner, nest + 1, True, ret, small=True)
        body += [(0, f"if {self.cond(inner)}:"), (1, f"return {self.retval(inner, ret)}")]
        return [(0, f"for {i} in range({k}):")] + self.indent(body)

    def tuple_call(self, sc):
        """`u1, u2 = h(...)` of a helper that returns a pair."""
        want = self.ch.choice(["s", "v"])
        cands = [h for h in self.helpers if h["tuple"] and h["ret"] == want]
        if not cands:
            if len(self.helpers) >= 3:
                return []
            h = self.make_helper(want)
            if not h["tuple"]:
                return []
        else:
            h = self.ch.choice(cands)
        src = self.call_of(h, sc)
        a, b = self.fresh("u"), self.fresh("u")
        lst = sc.scalars if want == "s" else sc.vectors
        lst += [a, b]
        return [(0, f"{a}, {b} = {src}")]

    def loop_over_list(self, sc, nest, ret):
        name, kind, length = self.ch.choice(sc.lists)
        e, j = self.fresh("e"), self.fresh("j")
        acc = self.fresh("acc")
        inner = sc.child()
        (inner.scalars if kind == "s" else inner.vectors).append(e)
        inner.ints[j] = length
        inner.scalars.append(acc)
        head = self.ch.choice([f"for {e} in {name}:", f"for {j}, {e} in enumerate({name}):"])
        if not head.startswith(f"for {j}"):
            inner.ints.pop(j)
        term = f"np.sum({e})" if kind == "v" else e
        body = [(0, f"{acc} = {acc} + {self.par(self.sexpr(inner, 1))} * {self.par(term)}")]
        if self.ch.flag(30):
            body += self.block(inner, nest + 1, True, ret, small=True)
        sc.scalars.append(acc)
        return [(0, f"{acc} = 0.0"), (0, head)] + self.indent(body)

    def program(self):
        """(source, argument shapes, wrt, parameter names)."""
        shapes = [(N,), ()] + ([(N,)] if self.ch.flag(30) else [])
        params = ["x", "y", "z"][:len(shapes)]
        sc = Scope()
        for p, s in zip(params, shapes):
            (sc.vectors if s else sc.scalars).append(p)
        body = self.block(sc, 0, False, "s")
        body.append((0, f"return {self.sexpr(sc)}"))
        f_lines = [f"def f({', '.join(params)}):"] + ["    " * (d + 1) + t for d, t in body]
        out = ["import numpy as np", ""]
        for lines in self.helper_lines:
            out += ["", *lines, ""]
        out += ["", *f_lines, ""]
        wrt = tuple(k for k in range(len(shapes)) if k == 0 or self.ch.flag(60))
        return "\n".join(out), shapes, wrt, params


def generate(ch):
    """A `fuzzgen.Program` drawn with chooser `ch` (fuzzgen's Random- or DataChooser)."""
    source, shapes, wrt, params = Generator(ch).program()
    return fuzzgen.Program(source, shapes, wrt, params)


def check(module, program, seed=0):
    """'ok' or 'skip' (ill-conditioned), or raise `fuzzgen.Disagreement` / srcad's error:
    `fuzzgen.check`'s reverse, forward and finite differences, then the Hessian w.r.t. x
    against central differences of srcad's gradient (just checked) and `hvp` against the
    Hessian, neither changing the caller's arrays."""
    outcome = fuzzgen.check(module, program, seed)
    if outcome != "ok":
        return outcome
    f = module.f
    args = fuzzgen.make_args(program.shapes, seed)
    before = copy.deepcopy(args)
    with np.errstate(all="ignore"):
        hessian = np.asarray(srcad.hessian(f, wrt=0)(*args))
    _unchanged(args, before, "srcad.hessian")
    direction = np.random.default_rng(seed + 2).standard_normal(program.shapes[0])
    differences = _differences_of_grad(f, args, direction)
    if differences is None:
        return "skip"
    fd1, fd2 = differences
    scale = 1.0 + np.max(np.abs(fd1))
    if np.max(np.abs(fd1 - fd2)) > 1e-5 * scale:
        return "skip"        # a branch flips within the step, or strong curvature
    product = hessian @ direction
    if not np.max(np.abs(product - fd1)) <= 1e-4 * scale + 4 * np.max(np.abs(fd1 - fd2)):
        raise fuzzgen.Disagreement(f"hessian: H d = {product!r}, differences of the "
                                   f"gradient {fd1!r}")
    with np.errstate(all="ignore"):
        hvp = np.asarray(srcad.hvp(f, wrt=0)(*args, direction))
    _unchanged(args, before, "srcad.hvp")
    if not np.max(np.abs(hvp - product)) <= 1e-8 * scale:
        raise fuzzgen.Disagreement(f"hvp {hvp!r} != H d {product!r}")
    return "ok"


def _unchanged(args, before, what):
    for a, b in zip(args, before):
        if not np.array_equal(a, b):
            raise fuzzgen.Disagreement(f"{what} changed the caller's argument")


def _differences_of_grad(f, args, direction):
    """Central differences of srcad's gradient w.r.t. x along `direction`, at steps 1e-5 and
    2e-5 (None where a gradient is not finite)."""
    gradient = srcad.grad(f, wrt=0)
    points = []
    for h in (1e-5, -1e-5, 2e-5, -2e-5):
        moved = list(args)
        moved[0] = args[0] + h * direction
        with np.errstate(all="ignore"):
            g = gradient(*moved)
        if not np.all(np.isfinite(g)):
            return None
        points.append(g)
    return (points[0] - points[1]) / 2e-5, (points[2] - points[3]) / 4e-5
