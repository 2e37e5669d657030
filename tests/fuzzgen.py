"""Random well-typed numeric programs for the differential fuzzer (tests/test_fuzz.py).

A program is Python *source*: a module with ``import numpy as np``, zero or
more helper functions ``h1, h2, ...`` and the function under test ``f``.
Every expression's shape is tracked while it is generated, so programs never
fail with a broadcasting error; every operation is domain-safe (``log(1 +
x*x)``, ``sqrt(1 + x*x)``, ``exp(tanh(x))``, denominators bounded away from
zero, powers with small integer exponents or positive bases); every loop has a
bounded trip count.

The generator draws its choices from a `Chooser`: `DataChooser` takes them
from hypothesis (so hypothesis can shrink a failing program), `RandomChooser`
from `random.Random` (for quick exploratory runs without hypothesis). Choice
0 of every decision is the simplest option, so shrinking leads to small
programs.

`load(source)` writes the source to a temporary ``.py`` file and imports it
(so `inspect.getsource` works); `check(module, program, seed)` runs srcad's
reverse mode, forward mode (when `srcad.jvp` exists) and central finite
differences and raises `Disagreement` when they do not agree. It returns
"ok" or "skip" (the example is ill-conditioned: overflow, NaN, or a branch /
break decision that flips within the finite-difference step).
"""
import copy
import hashlib
import importlib.util
import os
import random
import re
import sys
import tempfile

import numpy as np

import srcad

# ----- choices -----


class RandomChooser:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def int(self, lo, hi):
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def flag(self, percent):
        """True with probability percent/100 (False is the simple choice)."""
        return self.int(0, 99) < percent


class DataChooser(RandomChooser):
    """Choices drawn from a hypothesis `data` object."""

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data = data
        self.st = st
        self._ints = {}

    def int(self, lo, hi):
        if lo == hi:
            return lo
        key = (lo, hi)
        if key not in self._ints:
            self._ints[key] = self.st.integers(lo, hi)
        return self.data.draw(self._ints[key])


# ----- shapes -----


def bshape(a, b):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


PARAM_SHAPES = [(), (3,), (3, 1), (1, 3), (3, 3), (2,)]
CONSTANTS = ["0.5", "1.5", "2.0", "-0.7", "0.3", "3.0", "-1.2", "1"]
# user names that look like srcad's generated or runtime names (issue 8: no collisions)
TRICKY_NAMES = ["v_1", "v_2", "vbar_0", "vbar_1", "v_m1", "vdot_0", "_stack", "_iterations1",
                "_grads2", "unbroadcast", "zeros_like_grad", "add_at", "g", "ans", "i"]


class Var:
    def __init__(self, shape, owned=False, local=False):
        self.shape = shape
        self.owned = owned   # a fresh array that nothing else refers to
        self.local = local   # created in the current block (so: afresh on every iteration)


class Scope:
    """Names visible at a point of the program."""

    def __init__(self, vars=None, ints=None):
        self.vars = dict(vars or {})    # name -> Var (float scalars and arrays)
        self.ints = dict(ints or {})    # name -> bound (loop indices: 0 <= i < bound)

    def child(self):
        return Scope({k: Var(v.shape, v.owned) for k, v in self.vars.items()}, self.ints)

    def disown(self, src):
        """`src` may alias the arrays it names: they are no longer safe to write into."""
        for name in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", src):
            if name in self.vars:
                self.vars[name].owned = False

    def merge_back(self, inner):
        """After a block: outer variables keep their shapes; ownership only decreases."""
        for name, var in self.vars.items():
            if name in inner.vars and not inner.vars[name].owned:
                var.owned = False


class Program:
    def __init__(self, source, shapes, wrt, params):
        self.source = source
        self.shapes = shapes      # shapes of f's parameters
        self.wrt = wrt            # tuple of indices
        self.params = params

    def __repr__(self):
        return f"Program(wrt={self.wrt}, shapes={self.shapes})\n{self.source}"


class Generator:
    def __init__(self, ch, tricky_names=True, max_helpers=3, max_depth=3, max_stmts=4,
                 scalar_inputs=False):
        self.ch = ch
        self.scalar_inputs = scalar_inputs  # scalar arguments, the first one differentiated
        self.tricky = tricky_names
        self.max_helpers = max_helpers
        self.max_depth = max_depth
        self.max_stmts = max_stmts
        self.helpers = []     # (name, param shapes, return shape, lines)
        self.n = 0
        self.used = set()
        self.in_helper = 0
        self.finished = set()

    # ----- names -----

    def fresh(self, prefix="t"):
        if self.tricky and self.ch.flag(8):
            name = self.ch.choice(TRICKY_NAMES)
            if name not in self.used:
                self.used.add(name)
                return name
        self.n += 1
        name = f"{prefix}{self.n}"
        self.used.add(name)
        return name

    # ----- expressions: each returns (source, shape, owned) -----

    def expr(self, sc, depth):
        if depth <= 0 or self.ch.flag(25):
            return self.leaf(sc)
        kind = self.ch.int(0, 10)
        if kind == 0:
            return self.leaf(sc)
        if kind in (1, 2):
            return self.binop(sc, depth)
        if kind == 3:
            return self.func(sc, depth)
        if kind == 4:
            src, shp, _ = self.expr(sc, depth - 1)
            return f"-{self.paren(src)}", shp, True
        if kind == 5:
            return self.power(sc, depth)
        if kind == 6:
            return self.division(sc, depth)
        if kind == 7:
            return self.reduction(sc, depth)
        if kind == 8:
            return self.subscript(sc, depth)
        if kind == 9:
            out = self.call(sc, depth)
            if out is not None:
                return out
            return self.binop(sc, depth)
        return self.ifexp(sc, depth)

    @staticmethod
    def paren(src):
        if src.replace("_", "").replace(".", "").isalnum() or (
                src.endswith(")") and src.count("(") == 1 and src[0].isalpha()) or (
                src.endswith("]") and src[0].isalpha() and "(" not in src):
            return src
        return f"({src})"

    def leaf(self, sc):
        names = list(sc.vars)
        k = self.ch.int(0, 9)
        if k <= 6 and names:
            name = names[self.ch.int(0, len(names) - 1)]
            return name, sc.vars[name].shape, False
        if k == 7 and sc.ints:
            name = self.ch.choice(list(sc.ints))
            return name, (), True
        return self.ch.choice(CONSTANTS), (), True

    def binop(self, sc, depth):
        l, ls, _ = self.expr(sc, depth - 1)
        r, rs, _ = self.expr(sc, depth - 1)
        shape = bshape(ls, rs)
        if shape is None:
            r, rs = self.reduce_src(r), ()
            shape = ls
        op = self.ch.choice(["+", "*", "-"])
        if op != "+" and " " in r and not r.startswith("("):
            r = self.paren(r)
        if op == "*" and " " in l and not l.startswith("("):
            l = self.paren(l)
        return f"{l} {op} {r}", shape, True

    def func(self, sc, depth):
        a, shp, _ = self.expr(sc, depth - 1)
        k = self.ch.int(0, 6)
        pa = self.paren(a)
        src = [f"np.sin({a})", f"np.tanh({a})", f"np.cos({a})", f"np.exp(np.tanh({a}))",
               f"np.log(1.0 + {pa} * {pa})", f"np.sqrt(1.0 + {pa} * {pa})",
               f"np.exp(-{pa} * {pa})"][k]
        return src, shp, True

    def power(self, sc, depth):
        a, shp, _ = self.expr(sc, depth - 1)
        pa = self.paren(a)
        k = self.ch.int(0, 5)
        if k == 0:
            return f"{pa} ** 2", shp, True
        if k == 1:
            return f"{pa} ** 3", shp, True
        if k == 2:
            return f"(1.0 + {pa} * {pa}) ** {self.ch.choice(['0.5', '-1.5', '1.5', '-1'])}", \
                shp, True
        if k == 3:
            return f"2.0 ** np.tanh({a})", shp, True
        b, bs, _ = self.expr(sc, depth - 1)
        shape = bshape(shp, bs)
        if shape is None:
            b, bs, shape = self.reduce_src(b), (), shp
        if k == 4:
            return f"(1.5 + np.tanh({a})) ** np.tanh({b})", shape, True
        return f"np.exp(np.tanh({a})) ** np.sin({b})", shape, True

    def division(self, sc, depth):
        a, shp, _ = self.expr(sc, depth - 1)
        k = self.ch.int(0, 3)
        if k == 0:
            return f"{self.paren(a)} / {self.ch.choice(['2.0', '-3.0', '0.5'])}", shp, True
        b, bs, _ = self.expr(sc, depth - 1)
        shape = bshape(shp, bs)
        if shape is None:
            b, bs, shape = self.reduce_src(b), (), shp
        pa, pb = self.paren(a), self.paren(b)
        if k == 1:
            return f"{pa} / (1.0 + {pb} * {pb})", shape, True
        if k == 2:
            return f"{pa} / (2.0 + np.cos({b}))", shape, True
        return f"1.0 / (1.0 + np.exp({pb}))", bs, True

    def reduce_src(self, src):
        return f"np.{self.ch.choice(['sum', 'mean'])}({src})"

    def reduction(self, sc, depth):
        a, shp, _ = self.expr(sc, depth - 1)
        fn = self.ch.choice(["sum", "mean"])
        if len(shp) == 2 and self.ch.flag(40):
            axis = self.ch.int(0, 1)
            if self.ch.flag(30):
                out = list(shp)
                out[axis] = 1
                return f"np.{fn}({a}, axis={axis}, keepdims=True)", tuple(out), True
            return f"np.{fn}({a}, axis={axis})", shp[:axis] + shp[axis + 1:], True
        return f"np.{fn}({a})", (), True

    def index_options(self, shp, sc):
        """(index source, result shape) pairs that are valid for an array of shape `shp`."""
        opts = []
        n = shp[0]
        rest = shp[1:]
        for c in range(-n, n):
            opts.append((str(c), rest))
        for i, bound in sc.ints.items():
            if bound <= n:
                opts.append((i, rest))
        opts.append(("::-1", shp))
        for lo in range(1, n):
            opts.append((f"{lo}:", (n - lo,) + rest))
        if n > 1:
            opts.append((":-1", (n - 1,) + rest))
        if len(shp) == 2:
            m = shp[1]
            for c in range(m):
                opts.append((f":, {c}", (n,)))
                opts.append((f"{self.ch.int(0, n - 1)}, {c}", ()))
            opts.append((":, ::-1", shp))
        return opts

    def subscript(self, sc, depth):
        arrays = [k for k, v in sc.vars.items() if v.shape]
        if arrays and not self.ch.flag(15):
            base = arrays[self.ch.int(0, len(arrays) - 1)]
            shp = sc.vars[base].shape
        else:
            base, shp, _ = self.expr(sc, depth - 1)
            if not shp:
                return base, shp, False
            base = f"({base})"
        idx, out = self.ch.choice(self.index_options(shp, sc))
        return f"{base}[{idx}]", out, False

    def call(self, sc, depth):
        if self.in_helper >= 2:
            return None
        n = self.ch.int(1, 3)
        args = [self.expr(sc, depth - 1) for _ in range(n)]
        shapes = tuple(s for _, s, _ in args)
        helper = None
        for h in self.helpers:
            if h[1] == shapes and h[0] in self.finished:
                helper = h
        if helper is None or (len(self.helpers) < self.max_helpers and self.ch.flag(50)):
            if len(self.helpers) >= self.max_helpers:
                return None
            helper = self.make_helper(shapes)
        name, _, ret, params = helper
        parts = [a for a, _, _ in args]
        if len(parts) > 1 and self.ch.flag(25):
            parts[-1] = f"{params[-1]}={parts[-1]}"
        return f"{name}({', '.join(parts)})", ret, False

    def ifexp(self, sc, depth):
        a, shp, _ = self.expr(sc, depth - 1)
        b, bs, _ = self.expr(sc, depth - 1)
        if bs != shp and shp != () and not any(v.shape == shp for v in sc.vars.values()):
            a, shp = self.reduce_src(a), ()
        b = self.coerce(b, bs, shp, sc)
        cond = self.condition(sc, depth - 1)
        return f"({a} if {cond} else {b})", shp, False

    def coerce(self, src, shp, target, sc):
        """An expression of exactly shape `target` built from `src` of shape `shp`."""
        if shp == target:
            return src
        if target == ():
            return self.reduce_src(src)
        anchors = [k for k, v in sc.vars.items() if v.shape == target]
        anchor = anchors[self.ch.int(0, len(anchors) - 1)]
        if bshape(shp, target) == target:
            return f"{anchor} * 0.5 + {self.paren(src)}"
        return f"{anchor} + {self.reduce_src(src)}"

    def scalar(self, sc, depth):
        src, shp, _ = self.expr(sc, depth)
        return self.coerce(src, shp, (), sc)

    def condition(self, sc, depth):
        k = self.ch.int(0, 5)
        if k <= 2:
            a = self.scalar(sc, depth)
            return f"{a} {self.ch.choice(['>', '<', '>=', '<='])} {self.ch.choice(CONSTANTS)}"
        if k == 3:
            a, b = self.scalar(sc, depth), self.scalar(sc, depth)
            return f"{a} < {b}"
        if k == 4 and sc.ints:
            i = self.ch.choice(list(sc.ints))
            return f"{i} {self.ch.choice(['==', '>', '<', '!='])} {self.ch.int(0, 2)}"
        a = self.scalar(sc, max(depth - 1, 0))
        b = self.scalar(sc, max(depth - 1, 0))
        op = self.ch.choice(["and", "or"])
        return f"{a} > 0.0 {op} {b} < 0.5"

    # ----- statements: each returns a list of (indent, text) -----

    def block(self, sc, nest, in_loop, ret, min_stmts=1):
        lines = []
        for _ in range(self.ch.int(min_stmts, self.max_stmts)):
            lines += self.statement(sc, nest, in_loop, ret)
        return lines or [(0, "pass")]

    def statement(self, sc, nest, in_loop, ret):
        k = self.ch.int(0, 12)
        deep = nest < self.max_depth
        if k <= 2:
            return self.assign_new(sc)
        if k <= 5:
            return self.reassign(sc)
        if k == 6 and deep:
            return self.if_stmt(sc, nest, in_loop, ret)
        if k == 7 and deep:
            return self.for_range(sc, nest, ret)
        if k == 8 and deep:
            return self.while_loop(sc, nest, ret)
        if k == 9 and deep:
            return self.for_array(sc, nest, ret)
        if k == 10 and in_loop:
            cond = self.condition(sc, 2)
            return [(0, f"if {cond}:"), (1, self.ch.choice(["break", "continue"]))]
        if k == 11:
            cond = self.condition(sc, 2)
            value = self.returned(sc, ret)
            return [(0, f"if {cond}:"), (1, f"return {value}")]
        if k == 12:
            return self.item_write(sc) or self.reassign(sc)
        return self.assign_new(sc)

    def returned(self, sc, ret):
        src, shp, _ = self.expr(sc, 3)
        return self.coerce(src, shp, ret, sc)

    def assign_new(self, sc):
        src, shp, owned = self.expr(sc, 3)
        name = self.fresh()
        if not owned:
            sc.disown(src)
        sc.vars[name] = Var(shp, owned, local=True)
        return [(0, f"{name} = {src}")]

    def reassign(self, sc):
        names = list(sc.vars)
        if not names:
            return self.assign_new(sc)
        name = names[self.ch.int(0, len(names) - 1)]
        var = sc.vars[name]
        src, shp, owned = self.expr(sc, 2)
        if shp == var.shape and not self.ch.flag(30):
            if not owned:
                sc.disown(src)
                var.owned = False
            return [(0, f"{name} = {src}")]
        if bshape(shp, var.shape) != var.shape:
            src = self.reduce_src(src)
        if self.ch.flag(50):
            op = self.ch.choice(["+=", "-=", "*="])
            if op == "*=":
                src = f"np.tanh({src})"
            if var.shape and not var.owned:
                # x += ... on a parameter or alias would change the caller's array
                return [(0, f"{name} = {name} {op[0]} {self.paren(src)}")]
            return [(0, f"{name} {op} {src}")]
        op = self.ch.choice(["0.5 * {n} + {s}", "np.tanh({n} + {s})", "{n} * np.cos({s})"])
        var.owned = True
        return [(0, f"{name} = " + op.format(n=name, s=src))]

    def item_write(self, sc):
        owned = [k for k, v in sc.vars.items() if v.shape and v.owned and v.local]
        if not owned:
            return None
        name = owned[self.ch.int(0, len(owned) - 1)]
        shp = sc.vars[name].shape
        opts = [(i, s) for i, s in self.index_options(shp, sc) if s == () or s == shp[1:]]
        idx, out = self.ch.choice(opts)
        src, ss, _ = self.expr(sc, 2)
        if bshape(ss, out) != out:
            src = self.reduce_src(src)
        op = self.ch.choice(["=", "+="])
        return [(0, f"{name}[{idx}] {op} {src}")]

    def nested(self, sc, nest, in_loop, ret):
        inner = sc.child()
        body = self.block(inner, nest + 1, in_loop, ret)
        sc.merge_back(inner)
        return [(d + 1, t) for d, t in body]

    def if_stmt(self, sc, nest, in_loop, ret):
        lines = [(0, f"if {self.condition(sc, 2)}:")] + self.nested(sc, nest, in_loop, ret)
        if self.ch.flag(30):
            lines += [(0, f"elif {self.condition(sc, 2)}:")] + self.nested(sc, nest, in_loop, ret)
        if self.ch.flag(50):
            lines += [(0, "else:")] + self.nested(sc, nest, in_loop, ret)
        return lines

    def for_range(self, sc, nest, ret):
        i = self.fresh("i")
        k = self.ch.int(1, 3)
        head = f"for {i} in range({k}):"
        if self.ch.flag(20):
            head = f"for {i} in range(1, {k + 1}):"
            k += 1
        inner = sc.child()
        inner.ints[i] = k
        body = self.block(inner, nest + 1, True, ret)
        sc.merge_back(inner)
        return [(0, head)] + [(d + 1, t) for d, t in body]

    def while_loop(self, sc, nest, ret):
        j = self.fresh("j")
        k = self.ch.int(1, 3)
        inner = sc.child()
        inner.ints[j] = k + 1
        body = self.block(inner, nest + 1, True, ret)
        sc.merge_back(inner)
        return [(0, f"{j} = 0"), (0, f"while {j} < {k}:"), (1, f"{j} = {j} + 1")] + \
            [(d + 1, t) for d, t in body]

    def for_array(self, sc, nest, ret):
        arrays = [k for k, v in sc.vars.items() if v.shape]
        if not arrays:
            return self.for_range(sc, nest, ret)
        base = arrays[self.ch.int(0, len(arrays) - 1)]
        shp = sc.vars[base].shape
        e = self.fresh("e")
        sc.disown(base)
        inner = sc.child()
        inner.vars[e] = Var(shp[1:], False)
        body = self.block(inner, nest + 1, True, ret)
        inner.vars.pop(e)
        sc.merge_back(inner)
        return [(0, f"for {e} in {base}:")] + [(d + 1, t) for d, t in body]

    # ----- functions -----

    def function(self, name, params, shapes, ret):
        sc = Scope({p: Var(s, False) for p, s in zip(params, shapes)})
        body = self.block(sc, 0, False, ret)
        body.append((0, f"return {self.returned(sc, ret)}"))
        lines = [f"def {name}({', '.join(params)}):"]
        lines += ["    " * (d + 1) + t for d, t in body]
        return lines

    def make_helper(self, shapes):
        name = f"h{len(self.helpers) + 1}"
        params = [f"p{k}" for k in range(len(shapes))]
        ret = self.ch.choice([()] + [s for s in shapes if s])
        entry = (name, shapes, ret, params)
        self.helpers.append(entry)
        self.in_helper += 1
        saved = self.max_stmts, self.max_depth
        self.max_stmts, self.max_depth = 2, 1
        try:
            lines = self.function(name, params, shapes, ret)
        finally:
            self.max_stmts, self.max_depth = saved
            self.in_helper -= 1
        self.finished.add(name)
        self.helper_lines.append(lines)
        return entry

    def program(self):
        self.helper_lines = []
        n = self.ch.int(1, 3)
        shapes = [() if self.scalar_inputs else
                  PARAM_SHAPES[self.ch.int(0, len(PARAM_SHAPES) - 1)] for _ in range(n)]
        params = ["x", "y", "z"][:n]
        f_lines = self.function("f", params, shapes, ())
        wrt = tuple(k for k in range(n)
                    if k == 0 or not self.scalar_inputs and self.ch.flag(70))
        out = ["import numpy as np", ""]
        for lines in self.helper_lines:
            out += ["", *lines, ""]
        out += ["", *f_lines, ""]
        return Program("\n".join(out), shapes, wrt, params)


def generate(ch, **kw):
    return Generator(ch, **kw).program()


# ----- loading -----

_DIR = None


def load(source):
    """Write `source` to a temporary module file and import it."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="srcad_fuzz_")
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    name = f"fuzzprog_{digest}"
    path = os.path.join(_DIR, name + ".py")
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as fh:
            fh.write(source)
        os.replace(path + ".tmp", path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ----- the differential check -----


class Disagreement(AssertionError):
    pass


def make_args(shapes, seed):
    rng = np.random.default_rng(seed)
    return [float(rng.standard_normal()) if s == () else rng.standard_normal(s) for s in shapes]


def _evaluate(f, args):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        try:
            value = f(*copy.deepcopy(args))
        except (FloatingPointError, OverflowError, ZeroDivisionError):
            return None
        except TypeError as exc:
            # a Python float raised to a fractional power: (-0.5) ** 1.5 is complex, and
            # comparing it raises; the program leaves the reals here (NumPy would say nan)
            if "complex" in str(exc):
                return None
            raise
    if isinstance(value, complex):
        return None
    value = float(value)
    if not np.isfinite(value) or abs(value) > 1e6:
        return None
    return value


def check(module, program, seed=0, directions=2, forward=True):
    """'ok', 'skip' (ill-conditioned example) or raise Disagreement / srcad's error."""
    f = module.f
    args = make_args(program.shapes, seed)
    value = _evaluate(f, args)
    if value is None:
        return "skip"
    before = copy.deepcopy(args)
    df = srcad.grad(f, wrt=program.wrt)
    with np.errstate(all="ignore"):
        grads = df(*args)
    for a, b in zip(args, before):
        if not np.array_equal(a, b):
            raise Disagreement("srcad.grad changed the caller's argument")
    if not isinstance(grads, tuple) or len(grads) != len(program.wrt):
        raise Disagreement(f"grad with wrt={program.wrt} returned {grads!r}")
    for k, g in zip(program.wrt, grads):
        if np.shape(g) != np.shape(args[k]):
            raise Disagreement(f"gradient of argument {k} has shape {np.shape(g)}, the "
                               f"argument has shape {np.shape(args[k])}")
    rng = np.random.default_rng(seed + 1)
    jvp = getattr(srcad, "jvp", None) if forward else None
    for _ in range(directions):
        d = {k: (float(rng.standard_normal()) if program.shapes[k] == ()
                 else rng.standard_normal(program.shapes[k])) for k in program.wrt}

        def at(h):
            moved = list(args)
            for k in program.wrt:
                moved[k] = args[k] + h * d[k]
            return _evaluate(f, moved)
        points = [at(h) for h in (1e-5, -1e-5, 2e-5, -2e-5)]
        if any(p is None for p in points):
            return "skip"
        fd1 = (points[0] - points[1]) / 2e-5
        fd2 = (points[2] - points[3]) / 4e-5
        scale = 1.0 + abs(fd1) + 1e-6 * abs(value) / 1e-5
        if abs(fd1 - fd2) > 1e-6 * scale:
            return "skip"   # a branch flips within the step, or strong curvature
        analytic = float(sum(np.sum(np.asarray(g) * d[k]) for k, g in zip(program.wrt, grads)))
        if not abs(analytic - fd1) <= 1e-5 * (scale + abs(analytic)) + 4 * abs(fd1 - fd2):
            raise Disagreement(f"reverse mode: d.grad = {analytic!r}, finite differences "
                               f"{fd1!r} (h=1e-5), {fd2!r} (h=2e-5)")
        if jvp is not None:
            tangents = tuple(d[k] for k in program.wrt)
            with np.errstate(all="ignore"):
                val, tout = jvp(f, wrt=program.wrt)(*copy.deepcopy(args), tangents)
            if not np.isclose(float(val), value, rtol=1e-9, atol=1e-12):
                raise Disagreement(f"forward mode value {val!r} != f(x) = {value!r}")
            if not abs(float(tout) - analytic) <= 1e-8 * (1 + abs(analytic)):
                raise Disagreement(f"forward mode tangent {tout!r} != reverse d.grad "
                                   f"{analytic!r} (finite differences {fd1!r})")
    return "ok"
