"""gast -> Python source (astor behind one function) -> compiled function."""
import ast
import linecache
import re
import textwrap

import astor
import gast

from .template import is_comment

_COMMENT = re.compile(r'^(\s*)(?:"""|\'\'\'|"|\')(#.*?)(?:"""|\'\'\'|"|\')\s*$', re.M)


def to_source(node):
    """Python source of a gast node or statement list; comment statements become `#` lines.
    `node` is left as it is."""
    body = node if isinstance(node, list) else [node]
    module = ast.Module(body=[_to_ast(stmt) for stmt in body], type_ignores=[])
    text = astor.to_source(module)
    return _COMMENT.sub(r"\1\2", text)


def _to_ast(node):
    """The ast tree astor prints for a gast tree: what `gast.gast_to_ast` gives, with
    two changes for printing:

    - a block holding only comments still needs a statement: `pass` is added;
    - Constant(-0.7) prints as `-0.7`, so `(-0.7) ** 2` would print as `-0.7 ** 2`:
      negative numbers become unary minus, which the printer parenthesises.
    """
    kind = type(node)
    if kind is gast.Name:
        return ast.Name(id=node.id, ctx=_CONTEXTS.get(type(node.ctx)) or _to_ast(node.ctx))
    if kind is gast.Constant:
        if _negative(node):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-node.value, kind=None))
        return ast.Constant(value=node.value, kind=node.kind)
    if kind is gast.BinOp:       # the commonest nodes of three-address code, directly
        return ast.BinOp(left=_to_ast(node.left), op=_AST_CLASSES[type(node.op)][0](),
                         right=_to_ast(node.right))
    if kind is gast.Assign:
        return ast.Assign(targets=[_to_ast(t) for t in node.targets], value=_to_ast(node.value),
                          type_comment=getattr(node, "type_comment", None))
    if kind is gast.Call:
        return ast.Call(func=_to_ast(node.func), args=[_to_ast(a) for a in node.args],
                        keywords=[_to_ast(k) for k in node.keywords])
    if kind is gast.arguments:
        return _arguments(node)
    if kind is gast.ExceptHandler and node.name:
        return ast.ExceptHandler(type=_to_ast(node.type), name=node.name.id,
                                 body=[_to_ast(stmt) for stmt in node.body])
    cls, fields = _AST_CLASSES[kind]
    new = cls()
    for field in fields:
        value = getattr(node, field, None)
        if type(value) is list:
            if field in ("body", "orelse") and isinstance(node, gast.stmt):
                value = _block(value)
            else:
                value = [_to_ast(item) if isinstance(item, gast.AST) else item
                         for item in value]
        elif isinstance(value, gast.AST):
            value = _to_ast(value)
        setattr(new, field, value)
    return new


def _block(stmts):
    block = [_to_ast(stmt) for stmt in stmts]
    if stmts and all(is_comment(stmt) for stmt in stmts):
        block.append(ast.Pass())
    return block


def _arguments(node):
    def arg(name):
        if name is None:
            return None
        return ast.arg(arg=name.id, annotation=_to_ast(name.annotation)
                       if name.annotation is not None else None,
                       type_comment=name.type_comment)

    return ast.arguments(posonlyargs=[arg(a) for a in node.posonlyargs],
                         args=[arg(a) for a in node.args], vararg=arg(node.vararg),
                         kwonlyargs=[arg(a) for a in node.kwonlyargs],
                         kw_defaults=[_to_ast(d) if d is not None else None
                                      for d in node.kw_defaults],
                         kwarg=arg(node.kwarg), defaults=[_to_ast(d) for d in node.defaults])


def _negative(node):
    return type(node.value) in (int, float) \
        and (node.value < 0 or (node.value == 0 and str(node.value).startswith("-")))


def _ast_classes():
    """gast class -> (the ast class of the same name, the fields they share)."""
    classes = {}
    for name, cls in vars(gast).items():
        target = getattr(ast, name, None)
        if isinstance(cls, type) and issubclass(cls, gast.AST) and isinstance(target, type):
            classes[cls] = (target, tuple(f for f in cls._fields if f in target._fields))
    return classes


_AST_CLASSES = _ast_classes()
_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}


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
