"""gast -> Python source (astor behind one function) -> compiled function."""
import linecache
import re
import textwrap

import astor
import gast

from .template import is_comment

_COMMENT = re.compile(r'^(\s*)(?:"""|\'\'\'|"|\')(#.*?)(?:"""|\'\'\'|"|\')\s*$', re.M)


def to_source(node):
    """Python source of a gast node or statement list; comment statements become `#` lines."""
    body = node if isinstance(node, list) else [node]
    for stmt in body:
        _fill_empty_blocks(stmt)
        _parenthesise_negative_constants(stmt)
    module = gast.Module(body=body, type_ignores=[])
    text = astor.to_source(gast.gast_to_ast(module))
    return _COMMENT.sub(r"\1\2", text)


def _fill_empty_blocks(tree):
    """A block holding only comments still needs a statement: add `pass`."""
    for field in ("body", "orelse"):
        block = getattr(tree, field, None)
        if isinstance(block, list):
            if block and all(is_comment(s) for s in block):
                block.append(gast.Pass())
            for stmt in block:
                _fill_empty_blocks(stmt)


def _parenthesise_negative_constants(tree):
    """Constant(-0.7) prints as `-0.7`, so `(-0.7) ** 2` would print as `-0.7 ** 2`:
    write negative numbers as unary minus, which the printer parenthesises."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for field in node._fields:
            child = getattr(node, field, None)
            if isinstance(child, list):
                for k, item in enumerate(child):
                    if _negative(item):
                        child[k] = _minus(item)
                    elif isinstance(item, gast.AST):
                        stack.append(item)
            elif _negative(child):
                setattr(node, field, _minus(child))
            elif isinstance(child, gast.AST):
                stack.append(child)


def _negative(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) \
        and (node.value < 0 or (node.value == 0 and str(node.value).startswith("-")))


def _minus(node):
    return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-node.value, kind=None))


_counter = [0]


def load(source, name, namespace, closure):
    """Compile `source` (defining `name`) so that it sees `namespace` as globals and
    `closure` (helpers, callee derivatives) as free variables.

    The text is registered with `linecache`, so tracebacks show generated lines.
    """
    _counter[0] += 1
    filename = f"<srcad {name} #{_counter[0]}>"
    params = ", ".join(sorted(closure))
    factory = (f"def __srcad_factory__({params}):\n"
               f"{textwrap.indent(source, '    ')}\n"
               f"    return {name}\n")
    linecache.cache[filename] = (len(factory), None, factory.splitlines(True), filename)
    code = compile(factory, filename, "exec")
    scope = {}
    exec(code, namespace, scope)
    return scope["__srcad_factory__"](**closure)
