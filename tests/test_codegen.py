"""codegen's printer gives astor's text, character for character: on every derivative of
the corpus (reverse, forward, unoptimised, value-and-gradient, fuzzed programs) and on
hand-written functions full of what astor parenthesises, wraps or quotes specially."""
import numpy as np
import pytest

import srcad
from srcad import api, codegen
from srcad.template import comment, constant, fill, parse
from programs import CASES
from benchmarks import workloads
import fuzzgen


def astor_text(tree):
    return codegen._uncommented(codegen.astor_source(tree))


@pytest.fixture
def compared(monkeypatch):
    """Every tree api prints is printed by astor too; the texts must be equal."""
    printed = []

    def to_source(tree):
        text = codegen.to_source(tree)
        assert text == astor_text(tree)
        printed.append(text)
        return text

    monkeypatch.setattr(api, "to_source", to_source)
    monkeypatch.setattr(api, "_DERIVED", {})
    return printed


@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_corpus_derivatives_print_as_astor_prints_them(name, f, args, wrt, compared):
    for optimize in (True, False):
        srcad.grad(f, wrt=wrt, optimize=optimize)(*args)
    srcad.value_and_grad(f, wrt=wrt)(*args)
    if name not in ("dict_input", "list_loop"):
        indices = wrt if isinstance(wrt, tuple) else (wrt,)
        tangents = tuple(np.ones(np.shape(args[k])) if np.ndim(args[k]) else 1.0
                         for k in indices)
        srcad.jvp(f, wrt=wrt)(*args, tangents if isinstance(wrt, tuple) else tangents[0])
    assert compared


@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_workload_derivatives_print_as_astor_prints_them(name, compared):
    args, wrt = workloads.make_inputs(name, quick=True)
    srcad.grad(workloads.WORKLOADS[name][0], wrt=wrt)(*args)
    assert compared


def test_fuzzed_derivatives_print_as_astor_prints_them(compared):
    for seed in range(40):
        program = fuzzgen.generate(fuzzgen.RandomChooser(seed), tricky_names=bool(seed % 2))
        f = fuzzgen.load(program.source).f
        args = fuzzgen.make_args(program.shapes, seed)
        with np.errstate(all="ignore"):
            try:
                srcad.grad(f, wrt=program.wrt)(*args)
            except srcad.UnsupportedError:
                continue
    assert len(compared) > 30


TRICKY = '''
def tricky(a, b, c=-1.5, *rest, d, e=None, **more):
    x = (a + b) * c - (a - b) - -a + (-a) ** 2 + a ** -b + (a ** b) ** c + a ** b ** c
    y = not a and (b or c) or a if b > c >= 1 else (lambda: 0)
    z = (1).real + (a + b).T + a[1:2, ::2, :b:None] + a[()] + a[(1,)] + f(*rest, k=1, **more)
    t = a, = b, c = [a, (b,), ()], {}
    u = a[(1,)] + a[()] + (1).imag + (-1) ** a + f(x for x in a) + (yield a)
    t += a @ b // c % d << 1 | 2 ^ 3 & ~a
    print('it\\'s "quoted"', "plain", 1j, 1e1000, -0.0, True, ...)
    if a:
        pass
    elif b:
        becomes_a_comment()
    elif c:
        del a, b
    else:
        return
    for i in reversed(range(10)):
        break
    else:
        continue
    while a < b:
        very_long_name_number_one = very_long_name_number_two(very_long_argument_a, b, c, d)
        assert a, "a message"
        _stack.append((very_long_name_number_one, very_long_name_number_two, another_name))
    return aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
'''


def test_what_astor_parenthesises_wraps_and_quotes():
    tree = parse(TRICKY).body[0]
    tree.body[0:0] = [comment("line 1: plain"), comment('line 2: s = "quoted"'),
                      comment("line 3: " + "x" * 90),
                      *fill("w = a * k + m ** p", k=constant(-0.7), m=constant(-0.0),
                           p=constant(-2))]
    branch = tree.body[-4].orelse[0]
    branch.body = [comment("only a comment")]        # printed with a `pass` under it
    assert codegen.to_source(tree) == astor_text(tree)


def test_long_header_and_decorators_are_left_to_astor():
    for source in ("def f(" + ", ".join(f"argument_{k}" for k in range(12)) + "):\n    pass\n",
                   "@decorated\ndef f(x) -> float:\n    return x\n"):
        tree = parse(source).body[0]
        assert codegen.to_source(tree) == astor_text(tree)


def test_a_comment_holding_quotes_reads_as_the_line():
    """A line comment of a source line with a string in double quotes: astor escapes the
    quote before the closing triple quote, which the comment kept (`"abc\\"`)."""
    tree = fill("def f(x):\n    y = x\n    return y")[0]
    tree.body.insert(0, comment('line 8: return "abc"'))
    assert '    # line 8: return "abc"\n' in codegen.to_source(tree)
