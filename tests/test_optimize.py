"""Each optimisation pass keeps every derivative of the program corpus unchanged, and the
optimised derivative of the reference function has no statement whose result is unused."""
import gast
import numpy as np
import pytest

import srcad
from srcad import optimize as passes
from srcad.template import is_comment, quote
from srcad.codegen import to_source
from conftest import fd_check, numeric_jacobian
from programs import CASES
from test_modes import leaves


def gradient(f, args, wrt):
    srcad.api._DERIVED.clear()
    return leaves(srcad.grad(f, wrt=wrt if isinstance(wrt, tuple) else (wrt,))(*args))


@pytest.mark.parametrize("step", passes.PASSES, ids=[p.__name__ for p in passes.PASSES])
def test_pass_preserves_every_derivative(step, monkeypatch):
    """The derivative with only this pass, and with every pass but this one, equals the
    unoptimised derivative on every program of the corpus."""
    every = passes.PASSES
    for name, f, args, wrt in CASES:
        monkeypatch.setattr(passes, "PASSES", ())
        reference = gradient(f, args, wrt)
        for subset in ((step,), tuple(p for p in every if p is not step)):
            monkeypatch.setattr(passes, "PASSES", subset)
            for a, b in zip(reference, gradient(f, args, wrt)):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_unoptimised_form_gives_the_same_derivative(name, f, args, wrt):
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    fast = leaves(srcad.grad(f, wrt=wrt_t)(*args))
    raw = leaves(srcad.grad(f, wrt=wrt_t, optimize=False)(*args))
    for a, b in zip(fast, raw):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def _every_pass_every_round(tree, names=None, check=False):
    """The plain fixed point: every pass, round after round, until a round changes nothing."""
    changed = True
    while changed:
        changed = False
        for step in passes.PASSES:
            tree, did = step(tree, names)
            if check:
                names.check()
            changed |= did
    return passes.optimize(tree, names)   # changes nothing more; adds its `pass` lines


@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_rerunning_only_after_a_change_reaches_the_plain_fixed_point(name, f, args, wrt,
                                                                      monkeypatch):
    """`optimize` runs a pass again only after another pass changed the tree (and not after
    its own change, for the passes that reach their own fixed point): the same derivative,
    text for text, as running every pass until a whole round changes nothing."""
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    sources = []
    for optimize in (passes.optimize, _every_pass_every_round):
        monkeypatch.setattr(srcad.api, "optimize", optimize)
        srcad.api._DERIVED.clear()
        df = srcad.grad(f, wrt=wrt)
        df(*args)
        sources.append(df.source)
    assert sources[0] == sources[1]


def test_reference_function_has_no_unused_statement():
    f = CASES[0][1]
    df = srcad.grad(f, wrt=(0, 1))
    df(2.0, 5.0)
    tree = gast.parse(df.source).body[0]
    body = tree.body
    for k, stmt in enumerate(body):
        if isinstance(stmt, gast.Assign):
            name = stmt.targets[0].id
            later = gast.Module(body=body[k + 1:], type_ignores=[])
            reads = {n.id for n in gast.walk(later) if isinstance(n, gast.Name)
                     and isinstance(n.ctx, gast.Load)}
            assert name in reads, f"{name} is assigned but never used"


def run_pass(step, src):
    tree = gast.FunctionDef(name="f", args=quote("def f(): pass")[0].args, body=quote(src),
                            decorator_list=[], returns=None, type_comment=None)
    tree, changed = step(tree)
    return changed, to_source(tree).split("\n", 1)[1]


@pytest.mark.parametrize("step, before, after", [
    (passes.fold_zero_accumulate, "vbar_2 = 0.0\nvbar_2 = vbar_2 + -vbar_3\nreturn vbar_2",
     "vbar_2 = -vbar_3\nreturn vbar_2"),
    (passes.fold_zero_accumulate, "vbar_2 = zeros_like_grad(v_2)\nvbar_1 = vbar_0\n"
     "vbar_2 = add_grad(vbar_2, g)\nreturn vbar_2",
     "vbar_1 = vbar_0\nvbar_2 = g\nreturn vbar_2"),
    (passes.fold_zero_accumulate, "vbar_2 = 0.0\nvbar_1 = vbar_2 * 3\nvbar_2 = vbar_2 + g\n"
     "return vbar_1, vbar_2", None),
    (passes.fold_identities, "vbar_1 = vbar_2 * 1.0 + 0.0\nvbar_0 = -(-vbar_1)\nreturn vbar_0",
     "vbar_1 = vbar_2\nvbar_0 = vbar_1\nreturn vbar_0"),
    # the user's own values may be booleans or integers: `* 1.0` converts them
    (passes.fold_identities, "v_1 = v_0 * 1.0\nv_2 = v_1 + 0\nreturn v_2", None),
    (passes.fold_identities, "vdot_5 = vdot_3 + -vdot_4\nreturn vdot_5",
     "vdot_5 = vdot_3 - vdot_4\nreturn vdot_5"),
    (passes.propagate_copies, "vbar_3 = vbar_5\nvbar_m1 = vbar_3 * v_0\nreturn vbar_m1",
     "vbar_m1 = vbar_5 * v_0\nreturn vbar_m1"),
    (passes.propagate_copies, "b = x * 2\nfor i in range(3):\n    c = a\n    b = b + c\n"
     "    a = b\nreturn a", "b = x * 2\nfor i in range(3):\n    b = b + a\n    a = b\nreturn a"),
    (passes.propagate_copies, "for i in range(3):\n    c = a\n    a = a + 1\n    b = b + c\n"
     "return b", None),
    (passes.propagate_copies, "c = a\nfor i in range(3):\n    b = b + c\n    a = a + 1\n"
     "return b", None),
    (passes.propagate_copies, "c = a\nfor i in range(3):\n    b = b + c\na = a + 1\n"
     "return b", "for i in range(3):\n    b = b + a\na = a + 1\nreturn b"),
    (passes.propagate_copies, "vbar_71 = vbar_2\nv_2 = _stack.pop()\nvbar_2 = vbar_71\n"
     "vbar_69 = vbar_71 * v_64\nreturn vbar_69",
     "v_2 = _stack.pop()\nvbar_69 = vbar_2 * v_64\nreturn vbar_69"),
    (passes.propagate_copies, "vbar_m1 = vbar_2\nvbar_2 = vbar_2 * 2\nreturn vbar_m1, vbar_2", None),
    (passes.eliminate_dead_code, "a = np.sin(x)\nb = a * 2\nc = x + 1\nreturn c",
     "c = x + 1\nreturn c"),
    (passes.eliminate_dead_code, "a = _stack.pop()\nreturn x", None),
    (passes.eliminate_dead_stores, "a = 1.0\nfor i in range(3):\n    a = a + i\na = 0.0\n"
     "return x", "a = 1.0\nfor i in range(3):\n    a = a + i\nreturn x"),
    (passes.fold_zero_accumulate, "a = 0.0\nfor i in range(3):\n    b = b + i\na = a + b\n"
     "return a", "for i in range(3):\n    b = b + i\na = b\nreturn a"),
    (passes.fold_zero_accumulate, "a = 0.0\nfor i in range(3):\n    b = b + a\na = a + b\n"
     "return a", None),
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    g = g * h\n    vbar_W = vbar_W + matmul_adjoint_x(g, W, h)\n"
     "return vbar_W",
     "_terms1 = []\nfor i in reversed(range(n)):\n    g = g * h\n    _terms1.append((g, h))\n"
     "vbar_W = vbar_W + matmul_adjoint_x_sum(_terms1, W)\nreturn vbar_W"),
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    vbar_W = vbar_W + matmul_adjoint_y(g, x, W)\n"
     "return vbar_W",
     "_terms1 = []\nfor i in reversed(range(n)):\n    _terms1.append((g, x))\n"
     "vbar_W = vbar_W + matmul_adjoint_y_sum(_terms1, W)\nreturn vbar_W"),
    (passes.batch_outer_products,
     "for i in range(n):\n    vbar_W = add_grad(vbar_W, matmul_adjoint_x(g, W, h))\n"
     "return vbar_W",
     "_terms1 = []\nfor i in range(n):\n    _terms1.append((g, h))\n"
     "vbar_W = add_grad(vbar_W, matmul_adjoint_x_sum(_terms1, W))\nreturn vbar_W"),
    # the adjoint is read in the loop, the fixed operand changes in it, an element is written
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    vbar_W = vbar_W + matmul_adjoint_x(g, W, h)\n"
     "    g = vbar_W @ h\nreturn vbar_W", None),
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    vbar_W = vbar_W + matmul_adjoint_x(g, W, h)\n"
     "    W = _stack.pop()\nreturn vbar_W", None),
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    vbar_W = vbar_W + matmul_adjoint_x(g, W, h)\n"
     "    h[0] = _stack.pop()\nreturn vbar_W", None),
    (passes.batch_outer_products,
     "for i in reversed(range(n)):\n    vbar_W = vbar_W + matmul_adjoint_x(g, W, h)\n"
     "    h.pop()\nreturn vbar_W", None),
    # in loops, minus signs move to where they cost nothing; straight-line code keeps them
    (passes.fold_zero_accumulate,
     "for i in range(n):\n    a = -b\n    c = _stack.pop()\n    a = a + d * c\nreturn a",
     "for i in range(n):\n    c = _stack.pop()\n    a = d * c - b\nreturn a"),
    (passes.fold_zero_accumulate,
     "for i in range(n):\n    a = -b\n    b = _stack.pop()\n    a = a + d\nreturn a", None),
    (passes.fold_zero_accumulate, "a = -b\nc = _stack.pop()\na = a + d * c\nreturn a", None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    w = v * y\n    x = x + v * z\n    u = u + w * q\n"
     "return x, u",
     "for i in range(n):\n    w = -(g * y)\n    x = x - g * z\n    u = u + w * q\nreturn x, u"),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    w = -v * q / z\n    x = x - v\nreturn w, x",
     "for i in range(n):\n    w = g * q / z\n    x = x + g\nreturn w, x"),
    # a negated product read once moves into its read, which takes the sign
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g * y)\n    x = x + v * z\nreturn x",
     "for i in range(n):\n    x = x - g * y * z\nreturn x"),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g * y)\n    w = v * z\nreturn w", None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g * y)\n    g = _stack.pop()\n    x = x + v * z\nreturn x",
     None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g * y)\n    x = x + v * z\n    u = u + v\nreturn x, u",
     None),
    # g changes before a read; a value that is not a plain negated name stays
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    g = _stack.pop()\n    x = x + v * z\nreturn x", None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g * y\n    x = x + v * z\nreturn x", None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g + y)\n    x = x + v * z\nreturn x", None),
    # two uses that need a minus of their own, a use in a sum, a use before, straight-line
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    w = v * y\n    u = v * z\nreturn u, w", None),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    w = (v + y) * z\nreturn w", None),
    (passes.absorb_negations,
     "for i in range(n):\n    w = w + v * z\n    v = -g\nreturn w", None),
    (passes.absorb_negations, "v = -g\nx = x + v * z\nreturn x", None),
    # a negation read where the sign cannot go stays, one beside it still goes
    (passes.absorb_negations,
     "for i in range(n):\n    v = -g\n    _stack.append(v)\n    u = -h\n    x = x + u * z\n"
     "return x",
     "for i in range(n):\n    v = -g\n    _stack.append(v)\n    x = x - h * z\nreturn x"),
    (passes.absorb_negations,
     "for i in range(n):\n    v = -(g * y)\n    _stack.append(v)\n    x = x + v * z\n"
     "return x", None),
    (passes.reuse_common_values,
     "for i in range(n):\n    a = 0.5 * h\n    b = a * x\n    c = 0.5 * h\nreturn b, c",
     "for i in range(n):\n    a = 0.5 * h\n    b = a * x\n    c = a\nreturn b, c"),
    # the operand or the holder changes in between, straight-line code, an element written
    (passes.reuse_common_values,
     "for i in range(n):\n    a = 0.5 * h\n    h = _stack.pop()\n    c = 0.5 * h\nreturn a, c",
     None),
    (passes.reuse_common_values,
     "for i in range(n):\n    a = 0.5 * h\n    a = a + 1\n    c = 0.5 * h\nreturn a, c", None),
    (passes.reuse_common_values,
     "for i in range(n):\n    a = 0.5 * h\n    if x:\n        h = 2\n    c = 0.5 * h\n"
     "return a, c", None),
    (passes.reuse_common_values, "a = 0.5 * h\nc = 0.5 * h\nreturn a, c", None),
    (passes.reuse_common_values,
     "for i in range(n):\n    a = 2 * h\n    h[0] = 1.0\n    c = 2 * h\nreturn a, c", None),
    (passes.drop_copied_slots,
     "for i in range(n):\n    a = 0.5 * h\n    b = a\n    c = b * x\n"
     "    _stack.append((a, b, c))\n"
     "for i in range(n):\n    a, b, c = _stack.pop()\n    g = g * b * c\nreturn g",
     "for i in range(n):\n    a = 0.5 * h\n    b = a\n    c = b * x\n"
     "    _stack.append((a, c))\n"
     "for i in range(n):\n    a, c = _stack.pop()\n    g = g * a * c\nreturn g"),
    # b read outside the two blocks; a tuple of two stays as it is
    (passes.drop_copied_slots,
     "for i in range(n):\n    a = 0.5 * h\n    b = a\n    c = b * x\n"
     "    _stack.append((a, b, c))\n"
     "for i in range(n):\n    a, b, c = _stack.pop()\n    g = g * b * c\nreturn b", None),
    (passes.drop_copied_slots,
     "for i in range(n):\n    a = 0.5 * h\n    b = a\n    _stack.append((a, b))\n"
     "for i in range(n):\n    a, b = _stack.pop()\n    g = g * b\nreturn g", None),
    (passes.keep_sum_adjoints_scalar,
     "v_3 = v_2 * v_2\nvbar_3 = spread(vbar_4, v_3, None, False)\n"
     "vbar_2 = 2.0 * unbroadcast(vbar_3 * v_2, v_2)\nreturn vbar_2",
     "v_3 = v_2 * v_2\nvbar_3 = float(vbar_4)\n"
     "vbar_2 = 2.0 * vbar_3 * v_2\nreturn vbar_2"),
    # the unbroadcast stays where its operand may be smaller than the value it sums to
    (passes.keep_sum_adjoints_scalar,
     "v_3 = v_2 * v_1\nvbar_3 = spread(vbar_4, v_3, None, False)\n"
     "vbar_2 = unbroadcast(vbar_3 * v_1, v_2)\nvbar_1 = unbroadcast(vbar_3 * v_2, v_1)\n"
     "return vbar_2, vbar_1", None),
    (passes.keep_sum_adjoints_scalar,
     "v_3 = np.exp(v_2)\nvbar_3 = spread(vbar_4, v_3, None, False)\n"
     "vbar_2 = unbroadcast(vbar_3 * v_3, v_2) * v_2\nreturn vbar_2",
     "v_3 = np.exp(v_2)\nvbar_3 = float(vbar_4)\nvbar_2 = vbar_3 * v_3 * v_2\n"
     "return vbar_2"),
    (passes.keep_sum_adjoints_scalar,
     "v_1 = np.exp(v_0)\nv_2 = v_1 * 3.0\nvbar_2 = spread(g, v_2, None, False)\n"
     "vbar_0 = vbar_2 * 3.0 * np.sign(v_0)\nreturn vbar_0",
     "v_1 = np.exp(v_0)\nv_2 = v_1 * 3.0\nvbar_2 = float(g)\n"
     "vbar_0 = vbar_2 * 3.0 * np.sign(v_0)\nreturn vbar_0"),
    # x * y may broadcast y up to x's shape; -vbar and a helper call keep the seed's shape;
    # an axis, a use in a loop, a summed value assigned twice
    (passes.keep_sum_adjoints_scalar,
     "v_1 = v_m1 * v_0\nvbar_1 = spread(g, v_1, None, False)\n"
     "vbar_m1 = unbroadcast(vbar_1 * v_0, v_m1)\nreturn vbar_m1", None),
    (passes.keep_sum_adjoints_scalar,
     "v_1 = -v_0\nvbar_1 = spread(g, v_1, None, False)\nvbar_0 = -vbar_1\nreturn vbar_0",
     None),
    (passes.keep_sum_adjoints_scalar,
     "v_1 = v_0 * 3.0\nvbar_1 = spread(g, v_1, None, False)\n"
     "vbar_0 = unbroadcast(vbar_1 * 3.0, v_0)\nreturn vbar_0", None),
    (passes.keep_sum_adjoints_scalar,
     "v_1 = v_0 * v_0\nvbar_1 = spread(g, v_1, 0, False)\nvbar_0 = vbar_1 * v_0\n"
     "return vbar_0", None),
    (passes.keep_sum_adjoints_scalar,
     "v_1 = v_0 * v_0\nvbar_1 = spread(g, v_1, None, False)\nfor i in range(3):\n"
     "    vbar_0 = vbar_1 * v_0\nreturn vbar_0", None),
    (passes.keep_sum_adjoints_scalar,
     "v_0 = x\nv_1 = v_0 * v_0\nvbar_1 = spread(g, v_1, None, False)\nv_0 = _stack.pop()\n"
     "vbar_0 = vbar_1 * v_0\nreturn vbar_0", None),
])
def test_pass_before_and_after(step, before, after):
    changed, text = run_pass(step, before)
    expected = after if after is not None else before
    assert changed == (after is not None)
    assert [l.strip() for l in text.strip().splitlines()] == \
        [l.strip() for l in expected.strip().splitlines()]


@pytest.mark.parametrize("rests", [
    [()] * 5,              # vectors: outer products, one matrix product
    [(2,)] * 3,            # matrix terms
    [(), (2,), ()],        # mixed
    [],                    # the loop ran no iteration
])
def test_loop_sums_of_matmul_adjoints_equal_the_sum_of_the_terms(rests):
    from srcad.runtime import (matmul_adjoint_x, matmul_adjoint_x_sum, matmul_adjoint_y,
                               matmul_adjoint_y_sum)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((3, 4))          # W @ y: terms (g, y)
    terms = [(rng.standard_normal((3,) + r), rng.standard_normal((4,) + r)) for r in rests]
    expected = np.zeros_like(W)
    for g, y in terms:
        expected = expected + matmul_adjoint_x(g, W, y)
    np.testing.assert_allclose(matmul_adjoint_x_sum(terms, W), expected, rtol=1e-13)
    V = rng.standard_normal((4, 3))          # x @ V: terms (g, x)
    terms = [(rng.standard_normal(r[::-1] + (3,)), rng.standard_normal(r[::-1] + (4,)))
             for r in rests]
    expected = np.zeros_like(V)
    for g, x in terms:
        expected = expected + matmul_adjoint_y(g, x, V)
    np.testing.assert_allclose(matmul_adjoint_y_sum(terms, V), expected, rtol=1e-13)


def test_release_arrays_deletes_after_the_last_use():
    src = ("a = x * 2\nb = np.sin(a)\nfor i in range(3):\n    c = b + i\nd = c * b\n"
           "e = d + 1\nreturn e")
    tree = gast.FunctionDef(name="f", args=quote("def f(x): pass")[0].args, body=quote(src),
                            decorator_list=[], returns=None, type_comment=None)
    tree = passes.release_arrays(tree, {"x", "a", "b", "c", "d", "e"})
    text = to_source(tree).split("\n", 1)[1]
    # x is a parameter; c is bound only inside the loop; nothing is deleted just before
    # the return; b is last read by `d = c * b`
    assert [l.strip() for l in text.strip().splitlines()] == [
        "a = x * 2", "b = np.sin(a)", "del a", "for i in range(3):", "c = b + i",
        "d = c * b", "del b", "e = d + 1", "return e"]


def test_release_arrays_only_for_array_derivatives():
    args = CASES[2][2]        # least_squares: arrays
    g = srcad.grad(CASES[2][1])
    g(*args)
    assert "del " in g.source
    g = srcad.grad(CASES[0][1], wrt=(0, 1))
    g(2.0, 5.0)
    assert "del " not in g.source


def test_release_arrays_preserves_every_derivative(monkeypatch):
    """`del` after last uses (run once, after the passes) changes no derivative."""
    for name, f, args, wrt in CASES:
        reference = gradient(f, args, wrt)
        monkeypatch.setattr(srcad.api, "release_arrays", lambda tree, arrays, names, stand_ins: tree)
        for a, b in zip(reference, gradient(f, args, wrt)):
            np.testing.assert_allclose(a, b, rtol=0, atol=0, err_msg=name)
        monkeypatch.undo()


@pytest.mark.parametrize("src, unread", [
    # `a = b` goes and b is read nowhere else: the loop's `b = x * i` is dead now
    ("for i in range(3):\n    b = x * i\na = b\nreturn x", True),
    # `a = b` goes, b is still read: no value became dead
    ("for i in range(3):\n    b = x * i\na = b\nreturn b", False)])
def test_dead_stores_tell_whether_a_name_lost_its_last_read(src, unread):
    """`optimize` runs eliminate_dead_code again after eliminate_dead_stores only where a
    name lost its last read; the plain fixed point (`_every_pass_every_round`) agrees."""
    tree = gast.FunctionDef(name="f", args=quote("def f(): pass")[0].args, body=quote(src),
                            decorator_list=[], returns=None, type_comment=None)
    tree, changed, lost = passes._eliminate_dead_stores(tree)
    assert changed and lost == unread
    _, dead = passes.eliminate_dead_code(tree)
    assert dead == unread


def test_fold_identities_keeps_copies_that_are_changed_in_place():
    src = "vbar_1 = vbar_2 * 1\nvbar_1[0] = y\nvbar_3 = vbar_4 * 1.0\nreturn vbar_1, vbar_3"
    changed, text = run_pass(passes.fold_identities, src)
    assert changed and [l.strip() for l in text.strip().splitlines()] == [
        "vbar_1 = vbar_2 * 1", "vbar_1[0] = y", "vbar_3 = vbar_4", "return vbar_1, vbar_3"]


@pytest.mark.parametrize("shapes", [((5,), (5,)), ((3, 1), (1, 4)), ((3, 4), (4,)), ((), (3,))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_adjoints_keep_shape_and_dtype(shapes, dtype, monkeypatch):
    """With and without the scalar sum adjoint, gradients of sums of elementwise products
    have the same values, shapes and dtypes, broadcasting operands included."""
    def f(x, y):
        return np.sum(x * x) + np.sum(np.exp(y) * x) + np.sum(np.tanh(x) * 2.0)

    rng = np.random.default_rng(3)
    args = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes]
    with_pass = srcad.grad(f, wrt=(0, 1))(*args)
    monkeypatch.setattr(passes, "PASSES", tuple(
        p for p in passes.PASSES if p is not passes.keep_sum_adjoints_scalar))
    srcad.api._DERIVED.clear()
    without = srcad.grad(f, wrt=(0, 1))(*args)
    srcad.api._DERIVED.clear()
    for a, b in zip(with_pass, without):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype is np.float32 else 1e-13)


# ----- keep_only_shapes: a stand-in for an array whose shape alone is read later -----


def _released(src, arrays):
    """`src` (the body of `f(x, y)`) after release_arrays, as stripped lines."""
    tree = gast.FunctionDef(name="f", args=quote("def f(x, y): pass")[0].args,
                            body=quote(src), decorator_list=[], returns=None,
                            type_comment=None)
    tree = passes.release_arrays(tree, set(arrays))
    return [l.strip() for l in to_source(tree).split("\n", 1)[1].strip().splitlines()]


def _idle(n):
    """`n` statements that read neither `a` nor its shape."""
    return "".join(f"c{i} = np.sin(b) * {i}.0\n" for i in range(n))


_NAMES = ["a", "b", "h", "k"] + [f"c{i}" for i in range(8)]


@pytest.mark.parametrize("shape_read", ["unbroadcast(c7, a)", "unbroadcast(c7, like=a)",
                                        "spread(c7, a, 0, True)", "zeros_like_grad(a) + c7",
                                        "expand_to(c7, a, None, False)"])
def test_keep_only_shapes_replaces_an_idle_array_by_its_stand_in(shape_read):
    """`a`'s last read of its numbers is `b = a + y`; 8 statements later only its shape is
    read: `a = shape_only(a)` goes right after that read, and a's memory with it."""
    lines = _released(f"a = x * 2.0\nb = a + y\n{_idle(8)}h = {shape_read}\nreturn h",
                      _NAMES)
    assert lines[:3] == ["a = x * 2.0", "b = a + y", "a = shape_only(a)"]
    assert lines.count("a = shape_only(a)") == 1 and lines[-2:] == [f"h = {shape_read}",
                                                                   "return h"]


@pytest.mark.parametrize("src", [
    f"a = x * 2.0\nb = a + y\n{_idle(8)}h = unbroadcast(c7, a) * a\nreturn h",  # numbers
    f"a = x * 2.0\nb = a + y\n{_idle(8)}h = unbroadcast(c7, a)\nk = h + a\nreturn k",
    f"a = x * 2.0\nb = a + y\n{_idle(8)}h = chooser_weights(a, c7)\nreturn h",  # (values)
    f"a = x * 2.0\nb = a + y\n{_idle(7)}h = unbroadcast(c6, a)\nreturn h",  # 7 statements
    f"a = x\nb = a + y\n{_idle(8)}h = unbroadcast(c7, a)\nreturn h",       # a copy of x
    f"a = x * 2.0\nb = a + y\n{_idle(8)}a = b * 2.0\nh = unbroadcast(c7, a)\nreturn h",
    f"a = x * 2.0\nb = a + y\n{_idle(8)}h = unbroadcast(*c7, a)\nreturn h",  # (starred)
    f"a = x * 2.0\nb = a + y\nif y:\n    a = b\n{_idle(8)}h = unbroadcast(c7, a)\nreturn h",
])
def test_keep_only_shapes_keeps_an_array_read_for_more_than_its_shape(src):
    """No stand-in where a's numbers are read later, by the same statement or another, or
    a is assigned again (in a branch too), a copy, or idle for fewer than 8 statements."""
    assert not any("shape_only" in line for line in _released(src, _NAMES))


def broadcast_layer(x, y, w):
    a = np.sin(x)                   # (3, 1) + (1, 4): a's adjoint sums over the broadcast
    b = np.tanh(a + y)
    c = b * w
    d = np.exp(c) / (1.0 + np.sum(c * c, axis=1, keepdims=True))
    return np.sum(d * d) + np.sum(c)


def summed_product(x, W, b):
    a = x @ W                       # read for its shape by spread (np.sum's adjoint)
    s = np.sum(a, axis=0)
    t = np.tanh(s + b)
    u = np.exp(t) * t / (1.0 + t * t)
    return np.sum(u * u) + np.sum(np.cos(u))


def read_in_loops(x, y, n):
    a = np.cos(x)                   # last read in the forward loop, its shape in the reverse
    u = y * 1.0
    for i in range(n):
        u = np.sin(u + a)
    z = np.tanh(u) * 2.0
    w = z * z + np.exp(z)
    q = np.cos(w) * z
    return np.sum(w * u) + np.sum(q * q)


def read_in_branches(x, y, flag):
    a = np.cos(x)                   # read in a branch, its shape in the reverse one
    u = y * 2.0
    if flag:
        u = u + a
    z = np.tanh(u) * 2.0
    w = z * z + np.exp(z)
    q = np.cos(w) * z
    return np.sum(w * u) + np.sum(q * q)


_R = np.random.default_rng(11)
_X, _Y = _R.standard_normal((3, 1)), _R.standard_normal((1, 4))
SHAPE_ONLY_CASES = [
    (broadcast_layer, (_X, _Y, _R.standard_normal(4)), (0, 1, 2), "v_1 = shape_only(v_1)"),
    (summed_product, (_R.standard_normal((5, 2)), _R.standard_normal((2, 3)),
                      _R.standard_normal(3)), (0, 1, 2), "v_1 = shape_only(v_1)"),
    (read_in_loops, (_X, _Y, 3), (0, 1), "v_1 = shape_only(v_1)"),
    (read_in_branches, (_X, _Y, True), (0, 1), "v_1 = shape_only(v_1)"),
    (read_in_branches, (_X, _Y, False), (0, 1), "v_1 = shape_only(v_1)"),
]


@pytest.mark.parametrize("f, args, wrt, stand_in", SHAPE_ONLY_CASES,
                         ids=[f"{c[0].__name__}-{k}" for k, c in enumerate(SHAPE_ONLY_CASES)])
def test_gradients_through_stand_ins_match_differences(f, args, wrt, stand_in):
    """Gradients whose reverse sweep reads arrays' shapes from their stand-ins (straight
    code, loops, branches; operands that broadcast) against central differences, with
    each part shaped as its argument; and float32 arguments keep float32 gradients."""
    df = srcad.grad(f, wrt=wrt)
    grads = df(*args)
    assert stand_in in df.source
    fd_check(f, args, wrt, grads=grads)
    for g, k in zip(grads, wrt):
        assert np.shape(g) == np.shape(args[k]) and g.dtype == np.float64
    single = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args]
    df32 = srcad.grad(f, wrt=wrt)
    grads32 = df32(*single)
    assert stand_in in df32.source
    for g32, g, k in zip(grads32, grads, wrt):
        assert g32.dtype == np.float32 and np.shape(g32) == np.shape(args[k])
        np.testing.assert_allclose(g32, g, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("f, args, wrt, stand_in", SHAPE_ONLY_CASES[::2],
                         ids=[c[0].__name__ for c in SHAPE_ONLY_CASES[::2]])
def test_second_derivatives_through_stand_ins_match_differences(f, args, wrt, stand_in):
    """The Hessian (forward over the gradient's code, stand-ins included) and the reverse
    Jacobian of the gradient, against central differences of the unoptimised gradient."""
    rest = args[1:]
    plain = srcad.grad(f, optimize=False)           # (no stand-ins)
    expected = numeric_jacobian(lambda x: plain(x, *rest), args[0]).reshape(
        np.shape(args[0]) * 2)
    np.testing.assert_allclose(srcad.hessian(f)(*args), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(f), mode="reverse")(*args),
                               expected, rtol=1e-6, atol=1e-7)


def test_no_stand_ins_where_no_argument_is_a_matrix():
    """Vectors of a few numbers, mostly: a stand-in's call and line would not pay back
    (the same function of matrices gets them)."""
    rng = np.random.default_rng(3)
    vectors = (rng.standard_normal(3), rng.standard_normal(3), 2)
    df = srcad.grad(read_in_loops, wrt=(0, 1))
    grads = df(*vectors)
    assert "shape_only" not in df.source
    fd_check(read_in_loops, vectors, (0, 1), grads=grads)
    df(_X, _Y, 3)
    assert "v_1 = shape_only(v_1)" in df.source


def test_mlp_gradient_frees_x_w1_before_the_reverse_sweep():
    """The benchmark's mlp: the gradient keeps only the shape of X @ W1 (the largest array)
    after its one forward read, and matches central differences."""
    from benchmarks.workloads import central_differences, check_inputs, max_rel_error, mlp
    args, wrt = check_inputs("mlp")
    df = srcad.grad(mlp, wrt=wrt)
    grads = df(*args)
    lines = [l.strip() for l in df.source.splitlines()]
    assert lines[lines.index("v_1 = v_m1 @ v_m5") + 2] == "v_1 = shape_only(v_1)"
    assert max_rel_error(grads, central_differences(mlp, args, wrt), floor=1.0) < 1e-6


@pytest.mark.parametrize("x", [np.arange(6.0).reshape(2, 3), np.ones((4, 1), np.float32),
                               np.array(2.5), np.zeros((0, 3)), np.ones(3, np.complex128),
                               np.arange(4), np.ones((2, 2)).T])
@pytest.mark.parametrize("helper, call", [
    ("unbroadcast", lambda h, g, x: h(g, x)), ("broadcast_like", lambda h, g, x: h(g, x)),
    ("zeros_like_grad", lambda h, g, x: h(x)), ("spread", lambda h, g, x: h(1.5, x)),
    ("expand_to", lambda h, g, x: h(np.float32(1.5), x)),
    ("reduced_size", lambda h, g, x: h(x)), ("cast_like", lambda h, g, x: h(g, x))])
def test_shape_reading_helpers_give_the_same_for_the_stand_in(x, helper, call):
    """Each helper of runtime.SHAPE_READS gives the same value, shape and dtype for an array
    and for its stand-in, which holds one item of memory and cannot be written."""
    from srcad import runtime
    assert set(runtime.SHAPE_READS) >= {"unbroadcast", "zeros_like_grad", "spread"}
    stand_in = runtime.shape_only(x)
    assert type(stand_in) is np.ndarray and stand_in.shape == x.shape \
        and stand_in.dtype == x.dtype and not stand_in.flags.writeable \
        and all(step == 0 for step in stand_in.strides)
    g = np.full(x.shape, 0.5) if helper in ("broadcast_like", "cast_like") \
        else np.full((2,) + x.shape, 0.5)
    expected = call(getattr(runtime, helper), g, x)
    got = call(getattr(runtime, helper), g, stand_in)
    assert np.shape(got) == np.shape(expected) \
        and np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("value", [[1.0, 2.0], 3.0, np.float64(2.0), np.ma.array([1.0, 2.0]),
                                   np.array([1.0, None], dtype=object), {"a": 1.0}])
def test_shape_only_hands_back_what_is_no_plain_array(value):
    from srcad import runtime
    assert runtime.shape_only(value) is value
