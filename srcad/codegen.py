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
