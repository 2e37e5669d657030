"""gast -> Python source (astor's text, mostly without astor) -> compiled function."""
import ast
import linecache
import math
import re
import types

import astor
import gast
from astor.code_gen import SourceGenerator
from astor.op_util import Precedence, precedence_data, symbol_data
from astor.source_repr import split_lines

from .template import indent, is_comment

_COMMENT = re.compile(r'^(\s*)((?:"""|\'\'\'|"|\')#.*?(?:"""|\'\'\'|"|\'))\s*$', re.M)


def to_source(node):
    """Python source of a gast node or statement list; comment statements become `#` lines.
    `node` is left as it is. The text is astor's, character for character: a generated
    function is printed by `_Printer`, which hands astor the statements it does not know."""
    text = _Printer().function(node) if type(node) is gast.FunctionDef else None
    if text is None:
        text = _uncommented(astor_source(node))
    return text


def _uncommented(text):
    """astor's text with each comment statement's string made a `# ...` line (its quotes
    taken off, its escapes read: `# line 8: return "abc"`, not `... "abc\\"`). (Text without
    a `#`, a long line astor wrapped, has none: no scan.)"""
    if "#" not in text:
        return text
    return _COMMENT.sub(lambda m: m.group(1) + ast.literal_eval(m.group(2)), text)


def astor_source(node):
    """astor's text of a gast node or statement list (comments still quoted)."""
    body = node if isinstance(node, list) else [node]
    module = ast.Module(body=[_to_ast(stmt) for stmt in body], type_ignores=[])
    return astor.to_source(module)


# ----- the printer: astor's output for the statements generated code is made of -----

class _Unprintable(Exception):
    """A node, or a line that astor would wrap, that `_Printer` leaves to astor."""


_MAX_LINE = 79          # astor wraps longer lines (astor.source_repr.split_lines)
_INDENT = "    "


class _Margins(dict):
    """level -> the newline and the indentation that begin a line at that level."""

    def __missing__(self, level):
        margin = self[level] = "\n" + _INDENT * level
        return margin


_MARGINS = _Margins()


def _by_gast_class(table):
    """astor's table keyed by ast class -> the same keyed by the gast class of that name."""
    return {getattr(gast, cls.__name__): value for cls, value in table.items()
            if cls is not None and hasattr(gast, cls.__name__)}


_PRECEDENCE = _by_gast_class(precedence_data)
_SYMBOL = _by_gast_class(symbol_data)
_HIGHEST = Precedence.highest     # what astor gives a node whose parent sets none


class _Printer:
    """The text astor prints for a generated function, built from the gast tree directly
    (no ast copy, no token list). It mirrors astor's `SourceGenerator` for the nodes it
    knows: a node is put in parentheses unless its precedence is at least the one its
    parent asks for, exactly as astor's `Delimit` does. A statement holding anything else,
    or a line longer than astor leaves unwrapped, is printed by astor itself, alone, at
    its indentation: astor's text for a line depends only on that line's statement.
    `tests/test_codegen.py` compares the two on every program of the corpus."""

    def __init__(self):
        self.lines = []

    def function(self, node):
        """The module text of a top-level FunctionDef, or None to let astor print it."""
        if node.decorator_list or node.returns is not None or getattr(node, "type_params", None):
            return None
        try:
            header = f"def {node.name}({self._arguments(node.args)}):"
        except _Unprintable:
            return None
        if len(header) > _MAX_LINE:
            return None
        self.lines.append(header)
        self._block(node.body, 1)
        return "".join(self.lines) + "\n"

    # ----- statements -----

    def _block(self, stmts, level):
        lines = self.lines
        margin = _MARGINS[level]
        room = _MAX_LINE - len(_INDENT) * level     # (the width a line may take at `level`)
        for stmt in stmts:
            start = len(lines)
            try:
                text = self._statement(stmt, level)
                if text is not None:
                    if len(text) > room:
                        raise _Unprintable
                    lines.append(margin + text)
            except _Unprintable:
                del lines[start:]
                lines.append(_uncommented(_astor_statement(stmt, level)))
        if stmts and all(is_comment(stmt) for stmt in stmts):
            self._line(level, "pass")

    def _line(self, level, text):
        if len(text) + len(_INDENT) * level > _MAX_LINE:
            raise _Unprintable
        self.lines.append(_MARGINS[level] + text)

    def _statement(self, node, level):
        """The line of a simple statement (its width not yet checked: `_block` checks it
        and adds it, a call fewer for each line), or None for a loop or a branch, whose
        lines this adds."""
        kind = type(node)
        expr = self._expr
        if kind is gast.Assign:
            p = _PRECEDENCE[kind]
            targets = node.targets
            if len(targets) == 1:           # (most: one name, printed without a call)
                target = targets[0]
                target = target.id if type(target) is gast.Name else expr(target, p)
                return f"{target} = {expr(node.value, p)}"
            return "".join(expr(t, p) + " = " for t in targets) + expr(node.value, p)
        if kind is gast.Expr:
            if is_comment(node):
                return self._comment(level, node.value)
            return expr(node.value, _PRECEDENCE[kind])
        if kind is gast.AugAssign:
            p = _PRECEDENCE[kind]
            return f"{expr(node.target, p)} {_SYMBOL[type(node.op)]}= {expr(node.value, p)}"
        if kind is gast.Return:
            value = node.value
            return "return" if value is None else "return " + expr(value, _PRECEDENCE[kind])
        if kind is gast.Delete:
            targets = node.targets      # (`del a, b`, release_arrays's: names, without calls)
            names = [t.id for t in targets if type(t) is gast.Name]
            return "del " + (", ".join(names) if len(names) == len(targets)
                             else self._comma_list(targets))
        if kind in _KEYWORDS:
            return _KEYWORDS[kind]
        if kind is gast.If:
            self._line(level, f"if {expr(node.test, _PRECEDENCE[kind])}:")
            self._block(node.body, level + 1)
            while len(node.orelse) == 1 and type(node.orelse[0]) is gast.If:
                node = node.orelse[0]
                self._line(level, f"elif {expr(node.test, _PRECEDENCE[kind])}:")
                self._block(node.body, level + 1)
            self._else(node.orelse, level)
        elif kind is gast.For:
            target = expr(node.target, _PRECEDENCE[kind])
            self._line(level, f"for {target} in {expr(node.iter, _HIGHEST)}:")
            self._block(node.body, level + 1)
            self._else(node.orelse, level)
        elif kind is gast.While:
            self._line(level, f"while {expr(node.test, _PRECEDENCE[kind])}:")
            self._block(node.body, level + 1)
            self._else(node.orelse, level)
        else:
            raise _Unprintable
        return None

    def _comment(self, level, node):
        """A comment's line: what `_uncommented` makes of the string astor prints in triple
        quotes on a line of its own, for text that needs no escape (the quoted line must
        fit, too)."""
        text = node.value
        if node.kind or '"' in text or "\\" in text or not text.isprintable() \
                or len(text) + 6 + len(_INDENT) * level > _MAX_LINE:
            raise _Unprintable
        return text

    def _else(self, orelse, level):
        if orelse:
            self._line(level, "else:")
            self._block(orelse, level + 1)

    def _arguments(self, node):
        if node.posonlyargs:
            raise _Unprintable
        parts = [self._arg(a) for a in node.args]
        padding = len(node.args) - len(node.defaults)
        for k, default in enumerate(node.defaults):
            parts[padding + k] += "=" + self._expr(default, Precedence.Comma)
        if node.vararg is not None:
            parts.append("*" + self._arg(node.vararg))
        if node.kwonlyargs:
            if node.vararg is None:
                parts.append("*")
            for arg, default in zip(node.kwonlyargs, node.kw_defaults):
                parts.append(self._arg(arg) if default is None
                             else self._arg(arg) + "=" + self._expr(default, Precedence.Comma))
        if node.kwarg is not None:
            parts.append("**" + self._arg(node.kwarg))
        return ", ".join(parts)

    def _arg(self, name):
        if name.annotation is not None:
            raise _Unprintable
        return name.id

    # ----- expressions -----

    def _expr(self, node, pp):
        """The text of expression `node` whose parent asks for precedence `pp`."""
        kind = type(node)
        if kind is gast.Name:
            return node.id
        if kind is gast.BinOp:
            op = type(node.op)
            p = _PRECEDENCE[op]
            if op is gast.Pow:
                text = (f"{self._expr(node.left, Precedence.Pow + 1)} ** "
                        f"{self._expr(node.right, Precedence.PowRHS)}")
            else:           # (an operand that is a name, the commonest, without a call)
                left, right = node.left, node.right
                left = left.id if type(left) is gast.Name else self._expr(left, p)
                right = right.id if type(right) is gast.Name else self._expr(right, p + 1)
                text = f"{left} {_SYMBOL[op]} {right}"
            return text if p >= pp else f"({text})"
        if kind is gast.Constant:
            return self._constant(node, pp)
        if kind is gast.Call:
            return self._call(node)
        if kind is gast.Attribute:      # (`np.exp`: a name's, without a call)
            value = node.value
            value = value.id if type(value) is gast.Name else self._expr(value, _HIGHEST)
            return f"{value}.{node.attr}"
        if kind is gast.Subscript:
            return (f"{self._expr(node.value, _HIGHEST)}"
                    f"[{self._expr(node.slice, _PRECEDENCE[kind])}]")
        if kind is gast.UnaryOp:
            return self._unary(type(node.op), node.operand, pp)
        if kind is gast.Tuple:
            elts = node.elts
            text = self._comma_list(elts) + ("," if len(elts) == 1 else "")
            return text if _PRECEDENCE[kind] >= pp and elts else f"({text})"
        if kind is gast.List:
            return f"[{self._comma_list(node.elts)}]"
        if kind is gast.Compare:
            p = _PRECEDENCE[type(node.ops[0])]
            text = self._expr(node.left, p + 1) + "".join(
                f" {_SYMBOL[type(op)]} {self._expr(right, p + 1)}"
                for op, right in zip(node.ops, node.comparators))
            return text if p >= pp else f"({text})"
        if kind is gast.BoolOp:
            p = _PRECEDENCE[type(node.op)]
            text = f" {_SYMBOL[type(node.op)]} ".join(self._expr(v, p + 1) for v in node.values)
            return text if p >= pp else f"({text})"
        if kind is gast.IfExp:
            p = _PRECEDENCE[kind]
            text = (f"{self._expr(node.body, p + 1)} if {self._expr(node.test, p + 1)} "
                    f"else {self._expr(node.orelse, p)}")
            return text if p >= pp else f"({text})"
        if kind is gast.Slice:
            return self._slice(node)
        if kind is gast.Starred:
            return "*" + self._expr(node.value, _HIGHEST)
        raise _Unprintable

    def _constant(self, node, pp):
        value = node.value
        kind = type(value)
        if kind in (int, float) and (value < 0 or (value == 0 and str(value).startswith("-"))):
            return self._unary(gast.USub, gast.Constant(value=-value, kind=None), pp)
        if kind in (int, float, bool) and (kind is not float or math.isfinite(value)):
            text = repr(value)
            return text if _PRECEDENCE[gast.Constant] >= pp else f"({text})"
        if value is None:
            return "None"
        if value is Ellipsis:
            return "..."
        raise _Unprintable          # strings (astor picks their quotes), complex, inf, nan

    def _unary(self, op, operand, pp):
        p = _PRECEDENCE[op]
        symbol = _SYMBOL[op]
        text = symbol + (" " if symbol.isalpha() else "") + self._expr(operand, p)
        return text if p >= pp else f"({text})"

    def _call(self, node):
        args, keywords = node.args, node.keywords
        p = Precedence.Comma if len(args) + len(keywords) > 1 else Precedence.call_one_arg
        parts = [a.id if type(a) is gast.Name else self._expr(a, p) for a in args]
        if keywords:
            parts += [(k.arg + "=" if k.arg else "**") + self._expr(k.value, Precedence.Comma)
                      for k in keywords]
        func = node.func            # (a name, `unbroadcast`, without a call)
        func = func.id if type(func) is gast.Name else self._expr(func, _HIGHEST)
        return f"{func}({', '.join(parts)})"

    def _slice(self, node):
        p = _PRECEDENCE[gast.Slice]
        text = (("" if node.lower is None else self._expr(node.lower, p)) + ":"
                + ("" if node.upper is None else self._expr(node.upper, p)))
        step = node.step
        if step is not None:
            text += ":"
            if not (type(step) is gast.Name and step.id == "None"):
                text += self._expr(step, p)
        return text

    def _comma_list(self, items):
        return ", ".join(self._expr(item, Precedence.Comma) for item in items)


_KEYWORDS = {gast.Pass: "pass", gast.Break: "break", gast.Continue: "continue"}


def _astor_statement(stmt, level):
    """astor's text of one statement at indentation `level`: a newline, then its line(s)."""
    generator = SourceGenerator(_INDENT)
    generator.indentation = level
    generator.visit(_to_ast(stmt))
    generator.result.append("\n")
    return "".join(split_lines(generator.result))[:-1]


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


def load(source, name, namespace, closure, cells=None):
    """Compile `source` (defining `name`) so that it sees `namespace` as globals and
    `closure` (helpers, callee derivatives) as free variables, and reads the free variables
    named in `cells` through those cells (the user's closure variables: it reads what they
    hold when it runs, as the user's function does).

    The text is registered with `linecache`, so tracebacks show generated lines.
    """
    cells = cells or {}
    _counter[0] += 1
    filename = f"<srcad {name} #{_counter[0]}>"
    params = ", ".join(sorted(closure.keys() | cells.keys()))
    factory = (f"def __srcad_factory__({params}):\n"
               f"{indent(source, '    ')}\n"
               f"    return {name}\n")
    linecache.cache[filename] = (len(factory), None, factory.splitlines(True), filename)
    code = compile(factory, filename, "exec")
    scope = {}
    exec(code, namespace, scope)
    function = scope["__srcad_factory__"](**closure, **dict.fromkeys(cells))
    if not cells:
        return function
    return with_closure(function, [cells.get(var, cell) for var, cell in
                                   zip(function.__code__.co_freevars, function.__closure__)])


def with_closure(function, cells):
    """`function` reading its free variables through `cells` (in `co_freevars` order). A
    cell holding `function` itself (a recursive derivative calls itself by name) gives way
    to one holding the new function."""
    cells = list(cells)
    itself = [k for k, cell in enumerate(cells) if _holds(cell, function)]
    for k in itself:
        cells[k] = types.CellType()
    new = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                             function.__defaults__, tuple(cells))
    new.__kwdefaults__ = function.__kwdefaults__
    new.__dict__.update(function.__dict__)     # (what srcad noted on it: `srcad_primal`)
    for k in itself:
        cells[k].cell_contents = new
    return new


def _holds(cell, value):
    try:
        return cell.cell_contents is value
    except ValueError:         # an empty cell
        return False
