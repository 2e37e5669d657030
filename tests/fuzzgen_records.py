"""Random programs of named tuples that the arguments hold, for the differential fuzzer
(tests/test_fuzz.py), beside `fuzzgen`'s arithmetic and `fuzzgen_structures`' lists and
dicts.

A program's module defines a named tuple class `Layer` (a `typing.NamedTuple` or a
`collections.namedtuple`) with a vector field `w` of 3 numbers and a float field `b`, in
either order, sometimes a third field (`u`, a vector, or `scale`, a float), and sometimes
`Net(hidden, out)`, a named tuple of two Layers. Its function `f` takes a holder of
Layers: `layers`, a list, a tuple or a dict with string keys of 1-3 of them, or `net`, a
Net; sometimes `p`, a Layer read directly (`p.w`); and `x`, a vector of 3 numbers. It
reads the fields (`layer.w`, `layers[0].b`, `layers["a"].w`, `net.hidden.w`, `p.b`), mixed
with index reads (`layer[0]`, `layers[1][0][2]`), in arithmetic and NumPy elementwise
functions on safe domains, in loops over the layers (`for layer in layers`, `enumerate`,
`zip` with another list, `range(len(layers))` with `layers[i].w`, `reversed`, a dict's
keys, `.items()` and `.values()`, the Layers of a Net), in comprehensions over them
(`sum(np.sum(l.w) for l in layers)`, a list of vectors read by `fuzzgen_structures`), in
if/else on values, through local names bound to a Layer (`first = layers[0]`) and in calls
of module-level helpers given a Layer; it accumulates into scalars and vectors and returns
a float. Around these it writes `fuzzgen_structures`' statements and expressions (whose
leaves may be field reads too).

Helpers given a Layer read its fields by index (`layer[0]`) or are given the fields
(`score(layer.w, layer.b, h)`): a helper that reads a named tuple parameter's field by
name (`def affine(layer, h): return layer.w * h + layer.b`) is refused by srcad (no
derivative rule for the attribute '.w': a called function is not told that its argument
is a named tuple), so the generator writes none.

`check` compares srcad.grad with respect to the holder (and p, x) with central differences
along random directions in every field, checks that the gradient has the argument's
structure and classes (a list of Layers, a dict of them, a Net of Layers), srcad.jvp's
tangent against the gradient's dot product with the direction, and (`second=True`)
srcad.hvp along a random direction against differences of srcad's gradient; no call may
change the arguments.
"""
import copy

import numpy as np

import srcad

import fuzzgen
import fuzzgen_structures
from fuzzgen_structures import CONSTS, N

KEYS = ["a", "b", "c"]


class Scope(fuzzgen_structures.Scope):
    """fuzzgen_structures' scope, with the expressions that give a Layer (`layer`,
    `layers[0]`, `net.hidden`, `p`, `first`)."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def child(self):
        c = Scope()
        base = super().child()
        c.scalars, c.vectors, c.lists, c.dicts, c.ints = (
            base.scalars, base.vectors, base.lists, base.dicts, base.ints)
        c.refs = list(self.refs)
        return c


class Spec:
    """What a program's arguments are: the Layer class's fields [(name, "v" or "s")], the
    holder ("list", "tuple", "dict" or "net"), its size and keys, the parameters, wrt."""

    def __init__(self, fields, holder, size, params, wrt, typed):
        self.fields = fields
        self.holder = holder
        self.size = size
        self.keys = KEYS[:size] if holder == "dict" else None
        self.params = params
        self.wrt = wrt
        self.typed = typed          # typing.NamedTuple classes, else collections'

    def field_at(self, kind):
        """(index, name) of the fields of kind "v" or "s"."""
        return [(k, name) for k, (name, fk) in enumerate(self.fields) if fk == kind]


class Program(fuzzgen.Program):
    """A `fuzzgen.Program` whose `shapes` say what the arguments hold."""

    def __init__(self, source, spec):
        shapes = [_described(p, spec) for p in spec.params]
        super().__init__(source, shapes, spec.wrt, spec.params)
        self.spec = spec


def _described(param, spec):
    if param == "x":
        return (N,)
    if param == "p":
        return "Layer"
    if spec.holder == "net":
        return "Net(Layer, Layer)"
    return f"{spec.holder} of {spec.size} Layer"


class Generator(fuzzgen_structures.Generator):
    """fuzzgen_structures' generator, whose leaves may read a Layer's fields and whose
    statements loop over the Layers, bind them, call helpers with them; every decision
    drawn from chooser `ch` (choice 0 the simplest)."""

    def __init__(self, ch):
        super().__init__(ch)
        self.spec = None
        self.layer_helpers = []     # (name, "v", "s" or "fields"): the helpers of Layers

    # ----- the arguments -----

    def draw_spec(self):
        fields = [("w", "v"), ("b", "s")]
        if self.ch.flag(30):
            fields.reverse()
        if self.ch.flag(30):
            fields.append(self.ch.choice([("u", "v"), ("scale", "s")]))
        holder = self.ch.choice(["list", "tuple", "dict", "net"])
        size = 2 if holder == "net" else self.ch.int(1, 3)
        params = ["net" if holder == "net" else "layers"]
        if self.ch.flag(25):
            params.append("p")
        params.append("x")
        wrt = (0,) + tuple(k for k in range(1, len(params)) if self.ch.flag(50))
        return Spec(fields, holder, size, params, wrt, typed=self.ch.flag(50))

    def holder_refs(self):
        """Expressions that give one of the holder's Layers."""
        s = self.spec
        if s.holder == "net":
            return ["net.hidden", "net.out", "net[0]", "net[-1]"]
        if s.holder == "dict":
            return [f'layers["{k}"]' for k in s.keys]
        return [f"layers[{k}]" for k in range(-s.size, s.size)]

    def iterable(self):
        """An expression that iterates over the holder's Layers, and how many."""
        s = self.spec
        if s.holder == "net":
            return "net", 2
        if s.holder == "dict":
            return "layers.values()", s.size
        return self.ch.choice(["layers", "layers", "reversed(layers)", "layers[::-1]"]), s.size

    # ----- field reads -----

    def field_read(self, sc, kind):
        """A read of a field of kind "v" or "s" of a Layer in scope: by name, by index, or
        (a float) an element or the sum of a vector field."""
        r = self.ch.choice(sc.refs)
        if kind == "s" and self.ch.flag(35):
            at, name = self.ch.choice(self.spec.field_at("v"))
            vector = self.ch.choice([f"{r}.{name}", f"{r}[{at}]"])
            return self.ch.choice([f"{vector}[{self.ch.int(-N, N - 1)}]", f"np.sum({vector})"])
        options = self.spec.field_at(kind)
        if not options:
            return None
        at, name = self.ch.choice(options)
        return f"{r}.{name}" if not self.ch.flag(30) else f"{r}[{at}]"

    def sleaf(self, sc):
        if getattr(sc, "refs", None) and self.ch.flag(45):
            return self.field_read(sc, "s")
        return super().sleaf(sc)

    def vleaf(self, sc):
        if getattr(sc, "refs", None) and self.ch.flag(40):
            return self.field_read(sc, "v")
        return super().vleaf(sc)

    def step(self, sc, r, v):
        """A vector that one Layer `r` makes of vector `v` (a layer of a network)."""
        w = self.ch.choice([f"{r}.{name}" for _, name in self.spec.field_at("v")]
                           + [f"{r}[{at}]" for at, _ in self.spec.field_at("v")])
        bias = [f"{r}.{name}" for _, name in self.spec.field_at("s")]
        b = self.ch.choice(bias + [f"{r}[{at}]" for at, _ in self.spec.field_at("s")])
        k = self.ch.int(0, 5)
        if k == 0:
            return f"np.tanh({w} * {v} + {b})"
        if k == 1:
            return f"np.sin({w} * {v}) + {b}"
        if k == 2:
            return f"{v} * np.exp(np.tanh({b})) + 0.5 * {w}"
        if k == 3:
            return f"np.tanh({w} * {v} + {b} * {self.par(self.sexpr(sc, 1))})"
        if k == 4:
            helper = self.layer_helper("v")
            return f"{helper}({r}, {v})" if helper else f"{w} * {v}"
        return f"{w} * {v} + {b} ** 2"

    def layer_helper(self, want):
        """The name of a module-level helper given a Layer and a vector, returning a vector
        (`want` "v") or a float: it reads the Layer by index, or is given its fields by the
        caller (then None: the caller writes `score(r.w, r.b, v)` itself)."""
        known = [name for name, kind in self.layer_helpers if kind == want]
        if known and not self.ch.flag(30) or len(self.layer_helpers) >= 3:
            return self.ch.choice(known) if known else None
        name = f"{'affine' if want == 'v' else 'score'}{len(self.layer_helpers) + 1}"
        (wa, _), (ba, _) = self.spec.field_at("v")[0], self.spec.field_at("s")[0]
        # (a helper reading `layer.w` by name is refused by srcad: see the module's doc)
        if want == "v":
            body = self.ch.choice([f"layer[{wa}] * h + layer[{ba}]",
                                   f"np.tanh(layer[{wa}] * h) * np.cos(layer[{ba}])"])
        else:
            body = self.ch.choice([f"np.sum(layer[{wa}] * h) + layer[{ba}]",
                                   f"np.sum(np.sin(layer[{wa}] + h)) * layer[{ba}]"])
        self.helper_lines.append([f"def {name}(layer, h):", f"    return {body}"])
        self.layer_helpers.append((name, want))
        return name

    def scored(self, sc, r):
        """A float of Layer `r`: a helper given the Layer or its fields, or a field read."""
        k = self.ch.int(0, 2)
        v = self.vexpr(sc, 1)
        if k == 1:
            helper = self.layer_helper("s")
            if helper:
                return f"{helper}({r}, {v})"
        if k == 2:
            name = "given_fields"
            if name not in [n for n, _ in self.layer_helpers]:
                self.helper_lines.append([f"def {name}(w, b, h):",
                                          "    return np.sum(np.tanh(w * h + b))"])
                self.layer_helpers.append((name, "fields"))
            (_, w), (_, b) = self.spec.field_at("v")[0], self.spec.field_at("s")[0]
            return f"{name}({r}.{w}, {r}.{b}, {v})"
        return f"np.sum({self.field_read_of(r, 'v')} * {self.par(v)})"

    def field_read_of(self, r, kind):
        at, name = self.ch.choice(self.spec.field_at(kind))
        return f"{r}.{name}" if not self.ch.flag(25) else f"{r}[{at}]"

    # ----- statements -----

    def stmt(self, sc, nest, in_loop, ret, small):
        if not getattr(sc, "refs", None):           # (in a helper of fuzzgen_structures')
            return super().stmt(sc, nest, in_loop, ret, small)
        deep = nest < 3
        k = self.ch.int(0, 7)
        if k == 1 and deep:
            return self.layer_loop(sc, nest, ret)
        if k == 2:
            name = self.fresh("first")
            sc.refs.append(name)
            return [(0, f"{name} = {self.ch.choice(self.holder_refs())}")]
        if k == 3:
            return self.comprehension(sc)
        if k == 4 and sc.vectors:
            v = self.ch.choice(sc.vectors)
            return [(0, f"{v} = {self.step(sc, self.ch.choice(sc.refs), v)}")]
        if k == 5 and deep:
            return self.if_on_fields(sc, nest, in_loop, ret)
        if k == 6:
            s = self.fresh("s")
            line = (0, f"{s} = {self.scored(sc, self.ch.choice(sc.refs))}")
            sc.scalars.append(s)
            return [line]
        if k == 7 and sc.scalars:
            s = self.ch.choice(sc.scalars)
            return [(0, f"{s} {self.ch.choice(['+=', '-=', '='])} "
                        f"{self.scored(sc, self.ch.choice(sc.refs))}")]
        return super().stmt(sc, nest, in_loop, ret, small)

    def layer_loop(self, sc, nest, ret):
        """A loop over the Layers updating a vector and a float: by item, enumerate, zip
        with a list of floats, range(len(layers)) with layers[i], a dict's keys or items."""
        s = self.spec
        inner = sc.child()
        lines = []
        layer, i, c = self.fresh("layer"), self.fresh("i"), self.fresh("c")
        form = self.ch.int(0, 3)
        if s.holder == "dict":
            if form == 1:
                head = f"for {i} in layers:"
                layer = f"layers[{i}]"
            elif form >= 2:
                head = f"for {i}, {layer} in layers.items():"
            else:
                head = f"for {layer} in layers.values():"
        elif form == 1:
            iterable, _ = self.iterable()
            head = f"for {i}, {layer} in enumerate({iterable}):"
            inner.ints[i] = s.size
        elif form == 2:
            iterable, count = self.iterable()
            lines.append((0, f"{c}s = [{', '.join(self.sexpr(sc, 1) for _ in range(count))}]"))
            head = f"for {layer}, {c} in zip({iterable}, {c}s):"
            inner.scalars.append(c)
        elif form == 3 and s.holder != "net":
            head = f"for {i} in range(len(layers)):"
            layer = f"layers[{i}]"
            inner.ints[i] = s.size
        else:
            head = f"for {layer} in {self.iterable()[0]}:"
        inner.refs.append(layer)
        if sc.vectors and self.ch.flag(60):
            v = self.ch.choice(sc.vectors)
        else:
            v = self.fresh("h")
            lines.append((0, f"{v} = {self.vexpr(sc, 1)}"))
            sc.vectors.append(v)
        acc = self.fresh("acc")
        lines.append((0, f"{acc} = 0.0"))
        body = [(0, f"{v} = {self.step(inner, layer, v)}")]
        if self.ch.flag(60):
            body.append((0, f"{acc} = {acc} + {self.scored(inner, layer)}"))
        if self.ch.flag(30):
            body += self.block(inner, nest + 1, True, ret, small=True)
        sc.scalars.append(acc)
        return lines + [(0, head)] + self.indent(body)

    def comprehension(self, sc):
        """A float summed over the Layers, or a list of vectors made of them (read later by
        index, `sum`, `np.stack`)."""
        iterable, count = self.iterable()
        el = self.fresh("l")
        inner = sc.child()
        inner.refs.append(el)
        if self.ch.flag(50):
            s = self.fresh("s")
            sc.scalars.append(s)
            term = self.scored(inner, el) if not self.ch.flag(30) else \
                f"{self.field_read_of(el, 's')} * {self.par(self.sexpr(inner, 1))}"
            return [(0, f"{s} = sum({term} for {el} in {iterable})")]
        name = self.fresh("L")
        v = self.ch.choice(sc.vectors) if sc.vectors else "x"
        sc.lists.append((name, "v", count))
        return [(0, f"{name} = [{self.step(inner, el, v)} for {el} in {iterable}]")]

    def if_on_fields(self, sc, nest, in_loop, ret):
        """if/else on a value that fields make, each branch setting a float and perhaps
        stepping a vector."""
        r = self.fresh("r")
        cond = f"{self.scored(sc, self.ch.choice(sc.refs))} {self.ch.choice(['>', '<'])} " \
               f"{self.ch.choice(CONSTS)}"
        branches = []
        for _ in range(2):
            inner = sc.child()
            body = [(0, f"{r} = {self.sexpr(inner)}")]
            if self.ch.flag(30):
                body = self.block(inner, nest + 1, in_loop, ret, small=True) + body
            branches.append(body)
        sc.scalars.append(r)
        return [(0, f"if {cond}:")] + self.indent(branches[0]) + [(0, "else:")] \
            + self.indent(branches[1])

    # ----- the module -----

    def class_lines(self):
        s = self.spec
        if s.typed:
            lines = ["class Layer(NamedTuple):"] + [
                f"    {name}: {'np.ndarray' if kind == 'v' else 'float'}"
                for name, kind in s.fields]
            if s.holder == "net":
                lines += ["", "", "class Net(NamedTuple):", "    hidden: Layer",
                          "    out: Layer"]
            return lines
        names = " ".join(name for name, _ in s.fields)
        lines = [f'Layer = collections.namedtuple("Layer", "{names}")']
        if s.holder == "net":
            lines.append('Net = collections.namedtuple("Net", "hidden out")')
        return lines

    def program(self):
        """A `Program`: the module's source and what its arguments hold."""
        self.spec = s = self.draw_spec()
        sc = Scope()
        sc.vectors.append("x")
        sc.refs = list(self.holder_refs())
        if "p" in s.params:
            sc.refs.append("p")
        body = self.block(sc, 0, False, "s")
        end = self.sexpr(sc)
        for s_name in sc.scalars[-2:]:          # (what the body made, read: not dead code)
            end += f" + np.tanh({s_name})"
        vectors = [v for v in sc.vectors if v != "x"]
        if vectors:
            end += f" + np.sum({vectors[-1]} ** 2)"
        body.append((0, f"return {end}"))
        f_lines = [f"def f({', '.join(s.params)}):"] + ["    " * (d + 1) + t for d, t in body]
        out = ["import collections", "from typing import NamedTuple", "",
               "import numpy as np", "", ""] + self.class_lines() + [""]
        for lines in self.helper_lines:
            out += ["", *lines, ""]
        out += ["", *f_lines, ""]
        return Program("\n".join(out), s)


def generate(ch):
    """A `Program` drawn with chooser `ch` (fuzzgen's Random- or DataChooser)."""
    return Generator(ch).program()


# ----- arguments, directions and their sums, keeping the named tuples' classes -----


def tree_map(fn, *trees):
    """fn applied leaf by leaf to trees of one structure (lists, tuples, named tuples,
    dicts), into a tree of that structure and classes."""
    first = trees[0]
    if isinstance(first, dict):
        return {k: tree_map(fn, *(t[k] for t in trees)) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(tree_map(fn, *items) for items in zip(*trees)))
    if isinstance(first, (list, tuple)):
        return type(first)(tree_map(fn, *items) for items in zip(*trees))
    return fn(*trees)


def leaves(tree):
    if isinstance(tree, dict):
        return [a for v in tree.values() for a in leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [a for v in tree for a in leaves(v)]
    return [tree]


def dot(a, b):
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(leaves(a), leaves(b))))


def make_args(program, module, seed):
    """The arguments: Layers of random fields in the holder, p, x."""
    s = program.spec
    rng = np.random.default_rng(seed)

    def layer():
        return module.Layer(*(rng.standard_normal(N) if kind == "v"
                              else float(rng.standard_normal()) for _, kind in s.fields))
    args = []
    for p in s.params:
        if p == "x":
            args.append(rng.standard_normal(N))
        elif p == "p":
            args.append(layer())
        elif s.holder == "net":
            args.append(module.Net(layer(), layer()))
        elif s.holder == "dict":
            args.append({k: layer() for k in s.keys})
        else:
            args.append((list if s.holder == "list" else tuple)(layer() for _ in range(s.size)))
    return args


def random_like(tree, rng):
    return tree_map(lambda a: float(rng.standard_normal()) if np.ndim(a) == 0
                    else rng.standard_normal(np.shape(a)), tree)


def moved(tree, direction, h):
    return tree_map(lambda a, d: a + h * d, tree, direction)


def same_structure(g, like, where):
    """Raise `fuzzgen.Disagreement` unless gradient `g` has argument `like`'s classes,
    keys, lengths and leaf shapes (named tuples too, where the value does not depend on the
    argument, and inside a dict read by index only)."""
    if isinstance(like, (list, tuple, dict)):
        if type(g) is not type(like):
            raise fuzzgen.Disagreement(f"{where} is a {type(g).__name__}, the argument a "
                                       f"{type(like).__name__}: {g!r}")
        if isinstance(like, dict):
            if list(g) != list(like):
                raise fuzzgen.Disagreement(f"{where} has keys {list(g)}, not {list(like)}")
            for k in like:
                same_structure(g[k], like[k], f"{where}[{k!r}]")
            return
        if len(g) != len(like):
            raise fuzzgen.Disagreement(f"{where} has {len(g)} items, not {len(like)}")
        for k, (gi, li) in enumerate(zip(g, like)):
            same_structure(gi, li, f"{where}[{k}]")
        return
    if isinstance(g, (list, tuple, dict)) or np.shape(g) != np.shape(like):
        raise fuzzgen.Disagreement(f"{where} is {g!r}, the argument has shape "
                                   f"{np.shape(like)}")


def _unchanged(args, before, what):
    for a, b in zip(args, before):
        if not all(np.array_equal(x, y) for x, y in zip(leaves(a), leaves(b))):
            raise fuzzgen.Disagreement(f"{what} changed the caller's argument")


def check(module, program, seed=0, second=False):
    """'ok' or 'skip' (ill-conditioned: overflow, a branch that flips within the step), or
    raise `fuzzgen.Disagreement` / srcad's error."""
    f, wrt = module.f, program.wrt
    args = make_args(program, module, seed)
    value = fuzzgen._evaluate(f, args)
    if value is None:
        return "skip"
    before = copy.deepcopy(args)
    with np.errstate(all="ignore"):
        grads = srcad.grad(f, wrt=wrt)(*args)
    _unchanged(args, before, "srcad.grad")
    if not isinstance(grads, tuple) or len(grads) != len(wrt):
        raise fuzzgen.Disagreement(f"grad with wrt={wrt} returned {grads!r}")
    for k, g in zip(wrt, grads):
        same_structure(g, args[k], f"the gradient of {program.params[k]}")
    rng = np.random.default_rng(seed + 1)
    for _ in range(2):
        d = tuple(random_like(args[k], rng) for k in wrt)

        def at(h):
            shifted = list(args)
            for k, dk in zip(wrt, d):
                shifted[k] = moved(args[k], dk, h)
            return fuzzgen._evaluate(f, shifted)
        points = [at(h) for h in (1e-5, -1e-5, 2e-5, -2e-5)]
        if any(p is None for p in points):
            return "skip"
        fd1, fd2 = (points[0] - points[1]) / 2e-5, (points[2] - points[3]) / 4e-5
        scale = 1.0 + abs(fd1) + 1e-6 * abs(value) / 1e-5
        if abs(fd1 - fd2) > 1e-6 * scale:
            return "skip"
        analytic = dot(grads, d)
        if not abs(analytic - fd1) <= 1e-5 * (scale + abs(analytic)) + 4 * abs(fd1 - fd2):
            raise fuzzgen.Disagreement(f"reverse mode: d.grad = {analytic!r}, finite "
                                       f"differences {fd1!r} (h=1e-5), {fd2!r} (h=2e-5)")
        with np.errstate(all="ignore"):
            val, tangent = srcad.jvp(f, wrt=wrt)(*args, d)
        _unchanged(args, before, "srcad.jvp")
        if not np.isclose(float(val), value, rtol=1e-9, atol=1e-12):
            raise fuzzgen.Disagreement(f"forward mode value {val!r} != f = {value!r}")
        if not abs(float(tangent) - analytic) <= 1e-8 * (1 + abs(analytic)):
            raise fuzzgen.Disagreement(f"forward mode tangent {tangent!r} != reverse d.grad "
                                       f"{analytic!r} (finite differences {fd1!r})")
    return _check_hvp(f, args, before, seed) if second else "ok"


def _check_hvp(f, args, before, seed):
    """srcad.hvp w.r.t. the holder along a random direction against central differences
    of srcad's gradient (steps 1e-5 and 2e-5), with the holder's structure."""
    v = random_like(args[0], np.random.default_rng(seed + 2))
    with np.errstate(all="ignore"):
        product = srcad.hvp(f)(*args, v)
    _unchanged(args, before, "srcad.hvp")
    same_structure(product, args[0], "hvp")
    gradient = srcad.grad(f)
    points = []
    for h in (1e-5, -1e-5, 2e-5, -2e-5):
        shifted = [moved(args[0], v, h)] + list(args[1:])
        with np.errstate(all="ignore"):
            g = gradient(*shifted)
        if not all(np.all(np.isfinite(a)) for a in leaves(g)):
            return "skip"
        points.append(leaves(g))
    fd1 = [(a - b) / 2e-5 for a, b in zip(points[0], points[1])]
    fd2 = [(a - b) / 4e-5 for a, b in zip(points[2], points[3])]
    scale = 1.0 + max(np.max(np.abs(a)) for a in fd1)
    gap = max(np.max(np.abs(a - b)) for a, b in zip(fd1, fd2))
    if gap > 1e-5 * scale:
        return "skip"        # a branch flips within the step, or strong curvature
    for mine, want in zip(leaves(product), fd1):
        if not np.max(np.abs(np.asarray(mine) - want)) <= 1e-4 * scale + 4 * gap:
            raise fuzzgen.Disagreement(f"hvp {leaves(product)!r}, differences of the "
                                       f"gradient {fd1!r}")
    return "ok"
