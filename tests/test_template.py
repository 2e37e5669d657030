"""template.py: its fast copies are the copies they stand for.

`substituter(tree)` compiles `substitute(tree, names)` for the expressions of rule
templates; every expression of every registered rule is built both ways, with
names renamed, spliced as nodes, and left alone, and the two trees (positions
included) must be equal.
"""
import textwrap

import gast
import pytest

from srcad import template as T
from srcad.rules import registry


def _expressions():
    for rule in registry.all_rules():
        for kind in ("adjoint", "tangent"):
            template = getattr(rule, kind)
            if template is None:
                continue
            for k, stmt in enumerate(template.preamble):
                yield f"{rule.name}:{kind}:preamble{k}", template, stmt.value
            for k, result in enumerate(template.results):
                if result is not None:
                    yield f"{rule.name}:{kind}:result{k}", template, result


EXPRESSIONS = list(_expressions())


def _names(template, how):
    params = ["g", "ans", *template.params, *template.locals]
    if template.varargs:
        params.append(template.varargs)
    if how == "rename":
        return {p: f"v_{k}" for k, p in enumerate(params)}
    if how == "splice":
        return {p: T.quote_expr(f"a{k}.b[1:2] + {k}") for k, p in enumerate(params)}
    return {p: T.name(f"w{k}") for k, p in enumerate(params) if k % 2}   # some left alone


def _dump(tree):
    return gast.dump(tree, include_attributes=True)


def _owned(tree):
    """The ids of the nodes of `tree` that no other tree may hold: all but the contexts and
    operators (`Load`, `Add`, ...), which have no fields and are shared."""
    shared = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    return {id(n) for n in gast.walk(tree) if not isinstance(n, shared)}


@pytest.mark.parametrize("key, template, tree", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_substituter_builds_what_substitute_builds(key, template, tree):
    build = T.substituter(tree)
    for how in ("rename", "splice", "partly"):
        names = _names(template, how)
        built = build(names)
        assert _dump(built) == _dump(T.substitute(tree, names)), how
        spliced = [v for v in names.values() if not isinstance(v, str)]
        new = _owned(built)                           # spliced nodes are copied, not shared
        assert not any(new & _owned(v) for v in spliced), how
        again = build(names)                          # a new tree each time
        assert not new & _owned(again), how


def test_every_rule_expression_is_covered():
    assert len(EXPRESSIONS) > 300


def test_clone_keeps_fields_and_positions():
    tree = T.parse("def f(x):\n    y = x[1:2] * 2.0\n    for i in range(3):\n        break\n"
                   "    return -y")
    copy = T.clone(tree)
    assert _dump(copy) == _dump(tree)
    assert not _owned(copy) & _owned(tree)


@pytest.mark.parametrize("func", ["f", "np.add", "_stack.pop", "a.b.c", "x[0].append",
                                  "None", "np .add", "f(1)", "\u00e9t\u00e9.x"])
def test_a_calls_function_is_what_its_text_parses_to(func):
    made = T.call(func, [T.name("y")]).func
    parsed = T.quote_expr(func)
    assert _dump(made) == _dump(parsed)
    assert [list(vars(n)) for n in gast.walk(made)] == [list(vars(n)) for n in gast.walk(parsed)]
    assert not _owned(made) & _owned(T.call(func, []).func)     # a new tree each time


def test_clone_sets_missing_fields_to_none():
    node = gast.FunctionDef(name="f", args=None, body=[], decorator_list=[], returns=None,
                            type_comment=None)          # no type_params
    assert T.clone(node).type_params is None


def test_all_nodes_finds_what_gast_walk_finds_but_contexts_and_operators():
    tree = gast.parse(textwrap.dedent("""
        def f(x, ys):
            global g
            for i, y in enumerate(ys):
                if not (x < y <= 2.0 and x is not None):
                    x = -x + y[i:] * np.sin(x)
            return [z ** 2 for z in ys if z]
        """))
    leaves = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    walked = [n for n in gast.walk(tree) if not isinstance(n, leaves)]
    found = T.all_nodes(tree)
    assert len(found) == len(walked) and {id(n) for n in found} == {id(n) for n in walked}
    lines = [n.lineno for n in found if isinstance(n, gast.stmt)]
    assert lines == sorted(lines)           # parents first, in source order


_NESTED = textwrap.dedent("""
    def f(x, ys):
        a = x
        for i in ys:
            if i:
                while a < 1:
                    a = a + i
                else:
                    pass
            else:
                with open(a) as h:
                    b = h
        try:
            c = a
        except ValueError:
            c = 0
        else:
            c = 1
        return c
    """)


def _blocks_by_getattr(tree):
    """What `T.blocks` finds, looking at every statement for a body and an else block."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                yield block
                todo.extend(stmt for stmt in block if isinstance(stmt, gast.stmt))


def test_blocks_finds_every_statement_list_outer_ones_first():
    tree = T.parse(_NESTED)
    found = list(T.blocks(tree))
    assert [id(b) for b in found] == [id(b) for b in _blocks_by_getattr(tree)]
    assert len(found) == 11       # (the for loop's empty else block among them)


def test_names_give_what_a_walk_of_each_statement_finds():
    body = T.parse(_NESTED).body[0].body
    names = T.Names()
    for stmt in body:
        assert sorted(names.loads(stmt)) == sorted(T.loaded_names(stmt))
        assert names.stores(stmt) == T.names_stored(stmt)
        assert {id(n) for n in names.nodes(stmt)} == {id(n) for n in T.name_nodes(stmt)}
    assert sorted(names.loads_in(body)) == sorted(T.loaded_names(body))
    names.check()


def test_made_nodes_hold_their_fields_in_a_dict_of_their_own():
    fields = {"targets": [T.name("y", store=True)], "value": T.name("x"), "type_comment": None}
    made = T.new_node(gast.Assign, **fields)
    assert vars(made) == fields and vars(made) is not fields
    assert gast.dump(made) == gast.dump(T.quote("y = x")[0])
    assert list(vars(T.name("x"))) == ["id", "ctx", "annotation", "type_comment"]


@pytest.mark.parametrize("text", [
    "    def f(x):\n        return x\n",
    "  a = 1\n\n   \n  if a:\n      b = 2\n",
    "\tx = 1\n\ty = 2\n",
    "    s = 'one line'  # '''\n    t = 2\n",
    "  x = 1\r\n\x0c\n  \t\n  y = 2",
])
def test_dedent_and_indent_are_textwraps_without_strings_spanning_lines(text):
    assert T.dedent(text) == textwrap.dedent(text)
    assert T.indent(text, "  ") == textwrap.indent(text, "  ")


def test_dedent_and_indent_leave_the_lines_of_a_string_as_they_are():
    text = ('    def f(x):\n'
            '        s = """ab\n'
            '        cd"""  # it\'s "here"\n'
            "        u = '# no comment \"\"\"'\n"
            "        t = 'a\\\n"
            "   b'\n"
            '        return s\n')
    dedented = T.dedent(text)
    assert dedented.splitlines() == ['def f(x):', '    s = """ab', '        cd"""  # it\'s "here"',
                                     "    u = '# no comment \"\"\"'", "    t = 'a\\", "   b'",
                                     '    return s']
    namespace = {}
    exec(dedented, namespace)
    assert namespace["f"](0) == "ab\n        cd"
    exec("if True:\n" + T.indent(dedented, "    "), namespace)
    assert namespace["f"](0) == "ab\n        cd"
