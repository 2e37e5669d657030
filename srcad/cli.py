"""The `srcad` command (SPEC section 6): grad, show, check, graph, trace.

`main(argv)` is callable from tests and returns the exit status: 0 on
success, 1 when `check` finds a mismatch, 2 for every error (one line on
stderr; `--debug` adds the traceback)::

    srcad grad  model.py:loss --wrt w,b        -> writes model_grad.py
    srcad show  model.py:loss --ssa
    srcad check model.py:loss --args "[1.0, 2.0], 0.5"
    srcad graph model.py:f --args "2.0, 5.0" -o graph.svg
    srcad trace model.py:f --args "2.0, 5.0"
"""
import argparse
import ast
import contextlib
import copy
import importlib.util
import inspect
import io
import keyword
import os
import shutil
import subprocess
import sys
import tokenize
import traceback

import numpy as np

from . import __version__
from .errors import GradientCheckError, SrcadError, WrtError
from .source import unwrap


class CliError(SrcadError):
    """A mistake on the command line: a missing file, function or argument."""


# ----- the user's module -----


@contextlib.contextmanager
def user_module(path):
    """Import the file `path` for the duration of a command, as Python would import it.

    A file in a package (its folder holds `__init__.py`, and so on up) is imported by its
    dotted name, `pkg.model`, with the folder above the outermost package first on
    `sys.path`, so that its relative imports (`from . import helpers`) work and the
    derivatives' file imports it by that name; any other file as the module named after
    it. Its own folder is on `sys.path` too (for sibling imports), no `__pycache__` is
    written beside it, and `sys.modules` is restored afterwards.
    """
    if not os.path.exists(path):
        raise CliError(f"{path}: no such file")
    if not os.path.isfile(path) or not path.endswith(".py"):
        raise CliError(f"{path}: not a Python file (expected MODULE.py)")
    root, name = module_name(path)
    top = name.partition(".")[0]
    if top in ("srcad", "numpy", "gast", "astor"):
        raise CliError(f"{path}: a module named '{top}' would hide the installed package",
                       hint="rename the " + ("package" if "." in name else "file"))
    directory = os.path.dirname(os.path.abspath(path))
    saved_modules = {key: value for key, value in sys.modules.items() if _under(key, top)}
    saved_path = list(sys.path)
    saved_bytecode = sys.dont_write_bytecode
    _forget_modules(top)
    sys.path[:0] = list(dict.fromkeys([root, directory]))
    sys.dont_write_bytecode = True
    try:
        try:
            module = _import(path, name)
        except SrcadError:
            raise
        except SyntaxError as exc:
            where = exc.filename if exc.filename and os.path.exists(exc.filename) else path
            raise CliError(f"{where}:{exc.lineno}: cannot parse it ({exc.msg})") from exc
        except Exception as exc:
            raise _import_error(path, exc) from exc
        yield module
    finally:
        sys.dont_write_bytecode = saved_bytecode
        sys.path[:] = saved_path
        _forget_modules(top)
        sys.modules.update(saved_modules)


def module_name(path):
    """`(root, dotted name)` of the file `path`: for `root/pkg/sub/model.py` where `pkg` and
    `pkg/sub` hold `__init__.py`, `(root, "pkg.sub.model")`; for a file outside any
    package, its own folder and the name of the file."""
    directory, file_name = os.path.split(os.path.abspath(path))
    parts = [file_name[:-3]]
    if parts[0] == "__init__":          # the package itself: pkg/__init__.py is `pkg`
        directory, parts = os.path.dirname(directory), [os.path.basename(directory)]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part):
            what = "module" if part == parts[-1] else "package"
            raise CliError(f"{path}: '{part}' is not a valid {what} name",
                           hint=f"rename the {'file' if what == 'module' else 'folder'} to a "
                                "Python identifier")
    return directory, ".".join(parts)


def _under(module, top):
    """Whether the module named `module` is `top` or one of its submodules."""
    return module == top or module.startswith(top + ".")


def _forget_modules(top):
    for key in [key for key in sys.modules if _under(key, top)]:
        del sys.modules[key]


def _import(path, name):
    """The module `name` at `path`, imported (a package's parents first)."""
    if "." in name:
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _import_error(path, exc):
    """The CliError for `exc`, raised by importing `path`; a relative import outside a
    package says how to make the folder one."""
    message = f"{path}: importing it raised {type(exc).__name__}: {exc}"
    if isinstance(exc, ImportError) and "relative import" in str(exc):
        return CliError(message, hint="its relative imports need its folder to be a package: "
                                      "add an __init__.py there (srcad then imports it as "
                                      "package.module), or use absolute imports")
    return CliError(message)


def split_target(target):
    """`"model.py:f,g"` -> `("model.py", ["f", "g"])`; `"model.py"` -> `("model.py", None)`."""
    path, sep, names = target.rpartition(":")
    if not sep or not path or "/" in names or os.sep in names:
        return target, None
    funcs = [n.strip() for n in names.split(",") if n.strip()]
    if not funcs:
        raise CliError(f"{target}: no function named after ':'")
    return path, funcs


def function(module, path, name):
    """The plain Python function `name` of `module` (decorators removed)."""
    if not hasattr(module, name):
        available = sorted(n for n, v in vars(module).items() if inspect.isfunction(
            getattr(v, "__wrapped__", v)) and getattr(unwrap_quiet(v), "__module__", None)
            == module.__name__)
        listing = f" (its functions: {', '.join(available)})" if available else ""
        raise CliError(f"{path}: no function named '{name}'{listing}")
    fn = unwrap_quiet(getattr(module, name))
    if not inspect.isfunction(fn):
        raise CliError(f"{path}: '{name}' is not a function")
    return fn


def unwrap_quiet(value):
    base = getattr(value, "base", None)     # a srcad derivative (@srcad.grad): its function
    if callable(base) and not inspect.isfunction(value):
        value = base()
    try:
        return unwrap(value)
    except SrcadError:
        return value


def decorated(path):
    """`[(name, wrt)]` for the top-level functions decorated with `@srcad.grad` / `@grad`."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        tree = ast.parse(text, path)
    except SyntaxError as exc:
        raise CliError(f"{path}:{exc.lineno}: cannot parse it ({exc.msg})") from None
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            target = call.func if call else dec
            named = (isinstance(target, ast.Name) and target.id == "grad") or (
                isinstance(target, ast.Attribute) and target.attr == "grad"
                and isinstance(target.value, ast.Name) and target.value.id == "srcad")
            if not named:
                continue
            wrt = 0
            for kw in call.keywords if call else ():
                if kw.arg == "wrt":
                    try:
                        wrt = ast.literal_eval(kw.value)
                    except ValueError:
                        raise CliError(f"{path}:{dec.lineno}: wrt= must be a literal") from None
            if call and call.args:
                raise CliError(f"{path}:{dec.lineno}: write @srcad.grad(wrt=...) with a keyword")
            found.append((node.name, wrt))
    return found


# ----- arguments -----


def parse_call_args(text):
    """`--args "2.0, [1, 2]"` -> `(2.0, array([1., 2.]))`: Python literals, lists as arrays."""
    try:
        values = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else _not_literal(text) or str(exc)
        raise CliError(f"--args: cannot read {text!r} as Python literals ({detail})",
                       hint='write numbers, lists, tuples or dicts, e.g. --args "2.0, [1.0, 2.0]"'
                       ) from None
    return tuple(_arrays(v) for v in values)


def _not_literal(text):
    """"'x' is not a literal" for the first item of `--args` `text` that is no Python
    literal (literal_eval's own message names a node by its address), else None."""
    try:
        items = ast.parse(f"[{text}]", mode="eval").body.elts
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for item in items:
        try:
            ast.literal_eval(item)
        except (ValueError, TypeError, MemoryError, RecursionError):
            return f"{ast.get_source_segment(f'[{text}]', item)!r} is not a literal"
    return None


def _arrays(value):
    if isinstance(value, list):
        try:
            array = np.array(value)
        except ValueError:
            raise CliError(f"--args: {value!r} is not a rectangular array (each list "
                           "becomes one NumPy array, whose rows must be equally long)",
                           hint="for arrays of different lengths write a tuple of lists, "
                                f"one array each: {_as_tuple(value)}") from None
        if array.dtype.kind not in "biuf":
            raise CliError(f"--args: {value!r} is not an array of numbers")
        return array
    if isinstance(value, tuple):
        return tuple(_arrays(v) for v in value)
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, complex):
        raise CliError(f"--args: {value!r} is a complex number, which srcad's rules do not "
                       "take", hint="pass the real and imaginary parts as two real arguments")
    return value


def _as_tuple(items):
    """`[[1, 2], [3]]` -> `"([1, 2], [3])"`: --args's way to write a sequence of arrays."""
    return "(" + ", ".join(repr(item) for item in items) + ("," if len(items) == 1 else "") \
        + ")"


def parse_wrt(text, fn):
    """`--wrt x1,x2` (names or indices, or `all`) -> indices into `fn`'s parameters."""
    params = list(inspect.signature(fn).parameters)
    if text is None:
        return None
    if text.strip() == "all":
        return tuple(range(len(params)))
    return wrt_indices(fn, [int(t) if t.strip().lstrip("-").isdigit() else t.strip()
                            for t in text.split(",") if t.strip()])


def wrt_indices(fn, wrt):
    """An index, a name, or a list of them -> a tuple of indices (as the API reads wrt)."""
    from .api import _wrt_indices
    if isinstance(wrt, (list, tuple)) and not wrt:
        raise WrtError("--wrt names no parameter")
    indices, _ = _wrt_indices(fn, tuple(wrt) if isinstance(wrt, list) else wrt)
    return tuple(dict.fromkeys(indices))


def default_wrt(fn, args):
    """The arguments to differentiate when `--wrt` is absent: the floating-point ones
    (integers such as a step count stay fixed), else every numeric one."""
    def floating(v):
        if isinstance(v, (bool, np.bool_, int, np.integer)):
            return False
        if isinstance(v, np.ndarray):
            return v.dtype.kind == "f"
        if isinstance(v, (list, tuple)):
            return bool(v) and all(floating(x) for x in v)
        if isinstance(v, dict):
            return bool(v) and all(floating(x) for x in v.values())
        return isinstance(v, (float, np.floating))
    def numeric(v):
        if isinstance(v, np.ndarray):
            return v.dtype.kind in "iuf"
        return isinstance(v, (int, float, np.integer, np.floating)) and \
            not isinstance(v, (bool, np.bool_))
    wrt = tuple(k for k, a in enumerate(args) if floating(a))
    wrt = wrt or tuple(k for k, a in enumerate(args) if numeric(a))   # "2, 5" means 2.0, 5.0
    if not wrt:
        raise CliError(f"{fn.__name__}: no numeric argument to differentiate",
                       hint="name the arguments with --wrt")
    return wrt


def need_args(ns, fn):
    args = parse_call_args(ns.args)
    params = list(inspect.signature(fn).parameters.values())
    required = [p for p in params if p.default is p.empty]
    if not len(required) <= len(args) <= len(params):
        raise CliError(f"--args: {fn.__name__} takes {len(params)} argument(s) "
                       f"({', '.join(p.name for p in params)}), got {len(args)}")
    return args


def one_function(ns, module):
    path, names = ns.target
    if not names or len(names) != 1:
        raise CliError(f"{ns.command} needs one function: MODULE.py:FUNC")
    return function(module, path, names[0])


# ----- commands -----


def cmd_grad(ns):
    from . import standalone
    path, names = ns.target
    with user_module(path) as module:
        marked = decorated(path)
        if names is None:
            if not marked:
                raise CliError(f"{path}: no function is decorated with @srcad.grad",
                               hint="name the functions: srcad grad MODULE.py:f,g")
            jobs = [(name, wrt) for name, wrt in marked]
        else:                  # (a function named that is decorated: the decorator's wrt)
            jobs = [(name, dict(marked).get(name)) for name in names]
        out = standalone.Module(os.path.basename(path), ns.mode)
        for name, wrt in jobs:
            fn = function(module, path, name)
            indices = parse_wrt(ns.wrt, fn) if ns.wrt is not None else wrt_indices(fn, wrt or 0)
            out.add(fn, indices, example_kinds(ns, fn))
        command = ["srcad grad", os.path.basename(path) + (":" + ",".join(names) if names else "")]
        if ns.wrt:
            command.append(f"--wrt {ns.wrt}")
        if ns.mode != "reverse":
            command.append(f"--mode {ns.mode}")
        if ns.args is not None:
            command.append(f'--args "{ns.args}"')
        if ns.output:                  # (where the file is, from the module's folder)
            command.append(f"-o {os.path.relpath(ns.output, os.path.dirname(path) or '.')}")
        text = out.text(" ".join(command))
    target = ns.output or os.path.join(os.path.dirname(path), os.path.basename(path)[:-3]
                                       + "_grad.py")
    changed = standalone.write(target, text, force=ns.force)
    listing = ", ".join(emitted for _, emitted in out.entries)
    print(f"{'wrote' if changed else 'unchanged'} {target} ({listing})")
    return 0


def example_kinds(ns, fn):
    """The kinds of the example arguments `--args` gives (None without it), which the
    derivative is made for; in reverse mode the function's value on them must be a number,
    as srcad.grad checks on the first call."""
    if ns.args is None:
        return None
    from .api import _is_scalar, _non_scalar, kinds_of
    n = len(inspect.signature(fn).parameters)
    args = need_args(ns, fn)
    kinds = (kinds_of(args) + ("other",) * n)[:n]
    if ns.mode == "reverse":
        try:
            value = fn(*copy.deepcopy(args))
        except Exception as exc:   # noqa: BLE001 - any error of the function's
            raise CliError(f"--args: {fn.__name__} fails on these arguments "
                           f"({type(exc).__name__}: {exc})",
                           hint="pass arguments that the function takes") from None
        if not _is_scalar(value):
            raise _non_scalar(fn, value)
    return kinds


def cmd_show(ns):
    from . import api, standalone
    path, names = ns.target
    with user_module(path) as module:
        fn = one_function(ns, module)
        if ns.ssa:
            text = api.ssa(fn)
        else:
            indices = parse_wrt(ns.wrt, fn) if ns.wrt is not None else wrt_indices(fn, 0)
            out = standalone.Module(os.path.basename(path), ns.mode, resolve_names=False)
            out.add(fn, indices, example_kinds(ns, fn), check_kinds=False)
            text = "\n\n".join(out.functions.values())
    colour = ns.color == "always" or (ns.color == "auto" and sys.stdout.isatty()
                                      and not os.environ.get("NO_COLOR"))
    sys.stdout.write(highlight(text) if colour else text)
    return 0


def cmd_check(ns):
    from .check import check_grad
    path, _ = ns.target
    with user_module(path) as module:
        fn = one_function(ns, module)
        args = need_args(ns, fn)
        wrt = parse_wrt(ns.wrt, fn) if ns.wrt is not None else default_wrt(fn, args)
        params = list(inspect.signature(fn).parameters)
        failure = None
        try:
            report = check_grad(fn, args, wrt=wrt, eps=ns.eps, rtol=ns.rtol, atol=ns.atol,
                                directions=ns.directions)
        except GradientCheckError as exc:
            failure, report = exc, exc.report
    width = max(len(params[k]) for k in wrt)
    print(f"gradient check of {fn.__name__} along random unit directions d: "
          f"d.grad vs central differences (eps={ns.eps:g})")
    print(f"  {'arg':<{width}}  {'analytic':<24} {'numeric':<24} error")
    for k, analytic, numeric, error in (report.rows if report else []):
        print(f"  {params[k]:<{width}}  {analytic:<24.16g} {numeric:<24.16g} {error:.2e}")
    if failure is not None:
        print(f"MISMATCH: {failure.message}")
        return 1
    print(f"ok: worst error {report.worst:.2e} (rtol={ns.rtol:g}, atol={ns.atol:g})")
    return 0


def cmd_graph(ns):
    from .trace import graph, to_dot
    path, _ = ns.target
    with user_module(path) as module:
        fn = one_function(ns, module)
        args = need_args(ns, fn)
        dot = to_dot(graph(fn, args))
    if not ns.output:
        sys.stdout.write(dot)
        return 0
    stem, ext = os.path.splitext(ns.output)
    dot_path = ns.output if ext != ".svg" else stem + ".dot"
    from .standalone import write
    write(dot_path, dot, force=True)
    print(f"wrote {dot_path}")
    if ext == ".svg":
        exe = shutil.which("dot")
        if exe is None:
            raise CliError(f"cannot write {ns.output}: Graphviz 'dot' is not installed "
                           f"(the graph is in {dot_path})",
                           hint="install Graphviz (Debian/Ubuntu: apt-get install graphviz)")
        run = subprocess.run([exe, "-Tsvg", dot_path, "-o", ns.output], capture_output=True,
                             text=True)
        if run.returncode != 0:
            raise CliError(f"Graphviz failed: {run.stderr.strip().splitlines()[-1:]}")
        print(f"wrote {ns.output}")
    return 0


def cmd_trace(ns):
    from .trace import evaluation_trace, format_trace
    path, _ = ns.target
    with user_module(path) as module:
        fn = one_function(ns, module)
        args = need_args(ns, fn)
        wrt = parse_wrt(ns.wrt, fn) if ns.wrt is not None else default_wrt(fn, args)
        limit = ns.max_rows if ns.max_rows > 0 else sys.maxsize
        trace = evaluation_trace(fn, args, wrt, max_rows=limit)
    sys.stdout.write(format_trace(trace))
    return 1 if trace.error is not None else 0


# ----- colour -----

_COLOURS = {"keyword": "\033[1;35m", "comment": "\033[2;37m", "number": "\033[36m",
            "string": "\033[32m", "adjoint": "\033[33m", "def": "\033[1;34m"}
_RESET = "\033[0m"


def highlight(source):
    """`source` with ANSI colours: keywords, comments, numbers, strings, adjoint names."""
    lines = source.splitlines(True)
    edits = []
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = None
            if tok.type == tokenize.COMMENT:
                kind = "comment"
            elif tok.type == tokenize.NUMBER:
                kind = "number"
            elif tok.type == tokenize.STRING:
                kind = "string"
            elif tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
                kind = "keyword"
            elif tok.type == tokenize.NAME and previous == "def":
                kind = "def"
            elif tok.type == tokenize.NAME and tok.string.startswith(("vbar_", "vdot_")):
                kind = "adjoint"
            if tok.type == tokenize.NAME:
                previous = tok.string
            if kind and tok.start[0] == tok.end[0]:
                edits.append((tok.start, tok.end, kind))
    except (tokenize.TokenError, IndentationError):
        return source
    for (row, col), (_, end), kind in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + _COLOURS[kind] + line[col:end] + _RESET + line[end:]
    return "".join(lines)


# ----- the parser -----


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("target", metavar="MODULE.py:FUNC", type=_target,
                        help="a Python file and one of its functions")
    call = argparse.ArgumentParser(add_help=False)
    call.add_argument("--args", required=True, metavar="ARGS",
                      help='the arguments of one call, as Python literals, e.g. "2.0, 5.0"; '
                           "lists become NumPy arrays")
    wrt = argparse.ArgumentParser(add_help=False)
    wrt.add_argument("--wrt", metavar="X1,X2",
                     help="parameters to differentiate with respect to: names, indices, or "
                          "'all'")

    parser = argparse.ArgumentParser(
        prog="srcad", description="Source-to-source automatic differentiation for numeric "
                                  "Python: write, show, check and inspect derivatives.")
    parser.add_argument("--version", action="version", version=f"srcad {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("grad", parents=[common, wrt],
                       help="write the derivatives of functions to MODULE_grad.py",
                       description="Write standalone derivative functions (grad_FUNC) to "
                                   "MODULE_grad.py beside the module; the file needs NumPy, "
                                   "not srcad. Without :FUNC, every function decorated with "
                                   "@srcad.grad. --wrt defaults to the decorator's wrt, else "
                                   "the first parameter. A module in a package (folders with "
                                   "__init__.py) is imported as pkg.module, and the file "
                                   "imports it by that name.")
    p.add_argument("target", metavar="MODULE.py[:FUNC[,FUNC2...]]", type=_target)
    p.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                   help="reverse (grad_FUNC) or forward (jvp_FUNC) mode")
    p.add_argument("-o", "--output", metavar="OUT.py",
                   help="where to write (default: MODULE_grad.py beside MODULE.py)")
    p.add_argument("--force", action="store_true",
                   help="overwrite OUT.py even if srcad did not generate it")
    p.add_argument("--args", metavar="ARGS", default=None,
                   help='example arguments, e.g. "2.0, 5.0": the derivative is specialised '
                        "for arguments of these kinds (floats need no broadcasting code); "
                        "without it the file accepts any input")
    p.set_defaults(run=cmd_grad)

    p = sub.add_parser("show", parents=[common, target, wrt],
                       help="print the three-address form or the derivative source",
                       description="Print the derivative source of FUNC (or, with --ssa, its "
                                   "three-address form), coloured on a terminal.")
    p.add_argument("--ssa", action="store_true", help="the three-address form instead")
    p.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    p.add_argument("--args", metavar="ARGS", default=None,
                   help='example arguments, e.g. "2.0, 5.0": the derivative made for '
                        "arguments of these kinds, as srcad.grad makes it for such a call "
                        "(floats need no broadcasting code); without it, the one for any "
                        "input")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="syntax colour (auto: on a terminal, unless NO_COLOR is set)")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("check", parents=[common, target, call, wrt],
                       help="compare the derivative with finite differences",
                       description="Check the gradient against central differences along "
                                   "random directions; exit status 1 on mismatch. --wrt "
                                   "defaults to the floating-point arguments.")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--rtol", type=float, default=1e-5)
    p.add_argument("--atol", type=float, default=1e-7)
    p.add_argument("--directions", type=int, default=3, help="random directions per argument")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("graph", parents=[common, target, call],
                       help="draw the computational graph of one evaluation",
                       description="The computational graph of one evaluation of a "
                                   "straight-line function: nodes v_i with their values, "
                                   "edges labelled with local partial derivatives. DOT to "
                                   "stdout or -o FILE.dot; -o FILE.svg also writes FILE.dot "
                                   "and renders it with Graphviz 'dot'.")
    p.add_argument("-o", "--output", metavar="graph.dot|graph.svg")
    p.set_defaults(run=cmd_graph)

    p = sub.add_parser("trace", parents=[common, target, call, wrt],
                       help="print the evaluation-trace tables of one evaluation",
                       description="The forward primal trace (each v_i, its operation, its "
                                   "value) and the reverse adjoint trace (each vbar_i), with "
                                   "the first non-finite value marked; exit status 1 if "
                                   "the evaluation raises. --wrt defaults to the "
                                   "floating-point arguments.")
    p.add_argument("--max-rows", type=int, default=200, metavar="N",
                   help="rows shown per table (0: all); the first non-finite row is "
                        "always shown")
    p.set_defaults(run=cmd_trace)
    return parser


def _target(text):
    return split_target(text)


# ----- entry point -----


def _one_line(exc):
    if isinstance(exc, SrcadError):
        text = exc.message
        if exc.location is not None:
            text = f"{exc.location}: {text}"
        if exc.hint:
            text += f" (hint: {exc.hint})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split("\n"))


def main(argv=None):
    """Run the `srcad` command with `argv` (default `sys.argv[1:]`); returns the exit status."""
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except CliError as exc:     # raised by the target type, reported by argparse's caller
        print(f"srcad: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if ns.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return ns.run(ns)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:    # noqa: BLE001 - every error becomes one line and status 2
        if ns.debug:
            traceback.print_exc()
        print(f"srcad: error: {_one_line(exc)}", file=sys.stderr)
        return 2
