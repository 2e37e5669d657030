"""`quote(src)` and `fill(template, **names)`: the one place that builds gast nodes.

Every other module writes code as Python text and lets this module turn it
into gast nodes, so a change in gast's node classes touches only this file::

    fill("vbar_x = vbar_x + g * y", vbar_x="vbar_0", g="vbar_2", y="v_m1")
"""
import copy

import ast

import gast

COMMENT_PREFIX = "#"


def quote(src):
    """Parse statements; returns a list of gast statements."""
    return gast.parse(src).body


def quote_expr(src):
    """Parse one expression."""
    return gast.parse(src).body[0].value


def name(ident, store=False):
    """A gast Name node (load or store context)."""
    return gast.Name(id=ident, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def constant(value):
    return gast.Constant(value=value, kind=None)


def comment(text):
    """A statement that codegen prints as a `# text` line."""
    return gast.Expr(value=constant(COMMENT_PREFIX + " " + text))


def is_comment(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str) and stmt.value.value.startswith(COMMENT_PREFIX))


def call(func, args, keywords=()):
    """A call node `func(*args, **keywords)`; `func` is source text, the rest nodes."""
    return gast.Call(func=quote_expr(func), args=list(args),
                     keywords=[gast.keyword(arg=k, value=v) for k, v in keywords])


def tuple_of(elts, store=False):
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if store else gast.Load())


def assign(target, value):
    """`target = value`; `target` is a name (str) or a node."""
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def store(node):
    """A copy of `node` (a Name, Subscript or Tuple) in store context."""
    node = copy.deepcopy(node)
    node.ctx = gast.Store()
    if isinstance(node, gast.Tuple):
        node.elts = [store(e) for e in node.elts]
    return node


def load(node):
    node = copy.deepcopy(node)
    if hasattr(node, "ctx"):
        node.ctx = gast.Load()
    return node


class _Substitute(gast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node):
        if node.id not in self.names:
            return node
        value = self.names[node.id]
        if isinstance(value, str):
            return name(value, store=isinstance(node.ctx, gast.Store))
        value = copy.deepcopy(value)
        if isinstance(node.ctx, gast.Store):
            value = store(value)
        return value


def substitute(tree, names):
    """Replace Name nodes whose id is a key of `names` (in a copy of `tree`)."""
    tree = copy.deepcopy(tree)
    if isinstance(tree, list):
        return [_Substitute(names).visit(t) for t in tree]
    return _Substitute(names).visit(tree)


def fill(template, **names):
    """Parse `template` and substitute names: str values rename, node values splice."""
    return substitute(quote(template), names)


def fill_expr(template, **names):
    return substitute(quote_expr(template), names)


def source_of(node):
    """Short source text of a gast node, for messages."""
    return ast.unparse(gast.gast_to_ast(copy.deepcopy(node)))


def index_expr(index):
    """An index (slices included) as an expression that can be passed to a helper."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else constant(None)
                 for p in (index.lower, index.upper, index.step)]
        return call("slice", parts)
    if isinstance(index, gast.Tuple):
        return tuple_of([index_expr(e) for e in index.elts])
    return index
