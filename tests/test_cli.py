"""The `srcad` command line (SPEC section 6): standalone files, show, check, graph, trace."""
import json
import math
import os
import re
import runpy
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcad
from srcad.cli import main
from srcad.standalone import GENERATED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def run(*argv):
    return main([str(a) for a in argv])


def example(tmp_path, name):
    """A copy of examples/NAME.py in tmp_path (generated files go beside it)."""
    target = tmp_path / f"{name}.py"
    shutil.copy(os.path.join(EXAMPLES, f"{name}.py"), target)
    return target


def module(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


# ----- the command itself -----


def run_without_srcad(folder, check):
    """Run Python source `check` in `folder` where srcad cannot be imported; it must pass."""
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.modules['srcad'] = None\n"
                           + check], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stderr


def test_python_m_srcad_help():
    out = subprocess.run([sys.executable, "-m", "srcad", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0
    for command in ("grad", "show", "check", "graph", "trace"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["grad", "show", "check", "graph", "trace"])
def test_every_subcommand_has_help(command, capsys):
    assert run(command, "--help") == 0
    assert "usage: srcad " + command in capsys.readouterr().out


def test_no_command_is_an_error(capsys):
    assert run() == 2


# ----- standalone files, imported where srcad cannot be -----

CASES = {
    "straight": [("f", (0, 1), "(2.0, 5.0)"),
                 ("neuron", (0, 1, 2, 3, 4), "(0.1, -0.3, 0.5, 1.2, -0.7)"),
                 ("poly", (0, 1), "(1.3, 0.4)"),
                 ("poly", (0, 1), "(-1.3, 0.4)")],
    "loops": [("logistic", (0, 1), "(0.3, 3.2, 50)"),
              ("decay", (0, 1, 2), "(1.0, 0.7, 1.05)"),
              ("clipped_sum", (0, 1), "(np.array([0.5, 2.0, 1.5, -1.0, 3.0]), 1.2)")],
    "calls": [("energy", (0, 1), "(0.4, 1.3)"),
              ("damped", (0, 1), "(0.4, 1.3)")],
    "arrays": [("least_squares", (0,), "(np.array([0.5, -1.0, 2.0]), "
                "np.arange(12.0).reshape(4, 3) / 7, np.array([1.0, 0.0, -1.0, 2.0]))"),
               ("layer", (0, 1, 2), "(np.array([[0.1, 0.2], [0.3, -0.4]]), "
                "np.array([1.0, 2.0]), np.array([0.5, -0.5]))"),
               ("weighted", (0, 1), "(np.array([0.5, 1.0, -2.0]), np.array([1.0, 2.0, 3.0]))")],
}

# Runs in a fresh interpreter in which `import srcad` fails: the generated file
# and the example module alone, gradients against central differences.
ISOLATED = r"""
import json, sys
sys.modules["srcad"] = None
import importlib
import numpy as np

name, cases = sys.argv[1], json.loads(sys.argv[2])
primal = importlib.import_module(name)
derived = importlib.import_module(name + "_grad")
try:
    import srcad.runtime
    raise SystemExit("srcad is importable")
except ImportError:
    pass

def central(fn, args, k, eps=1e-6):
    x = np.asarray(args[k], dtype=float)
    out = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        def at(step):
            moved = list(args)
            y = x.copy()
            y[i] += step
            moved[k] = y if x.ndim else float(y)
            return fn(*moved)
        out[i] = (at(eps) - at(-eps)) / (2 * eps)
    return out

errors = []
for func, wrt, args_src in cases:
    args = eval(args_src, {"np": np})
    grads = getattr(derived, "grad_" + func)(*args)
    grads = grads if len(wrt) > 1 else (grads,)
    for k, g in zip(wrt, grads):
        numeric = central(getattr(primal, func), args, k)
        scale = max(1.0, float(np.max(np.abs(numeric))))
        errors.append([func, k, float(np.max(np.abs(np.asarray(g) - numeric))) / scale])
print(json.dumps(errors))
"""


@pytest.mark.parametrize("name", sorted(CASES))
def test_standalone_file_runs_without_srcad(name, tmp_path, capsys):
    path = example(tmp_path, name)
    funcs = {}
    for func, wrt, _ in CASES[name]:
        funcs[func] = wrt
    for func, wrt in funcs.items():   # one file per wrt set: write, then check, per function
        out_dir = tmp_path / func
        out_dir.mkdir()
        shutil.copy(path, out_dir / path.name)
        target = out_dir / path.name
        wrt_text = ",".join(str(k) for k in wrt)
        assert run("grad", f"{target}:{func}", "--wrt", wrt_text) == 0
        generated = out_dir / f"{name}_grad.py"
        text = generated.read_text()
        assert text.startswith(f"{GENERATED}")
        assert not re.search(r"^\s*(from|import) srcad", text, re.M)
        cases = [c for c in CASES[name] if c[0] == func]
        proc = subprocess.run([sys.executable, "-c", ISOLATED, name, json.dumps(cases)],
                              cwd=out_dir, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": ""})
        assert proc.returncode == 0, proc.stderr
        for fname, k, error in json.loads(proc.stdout):
            assert error < 1e-6, (fname, k, error)


def test_several_functions_and_their_callees_in_one_file(tmp_path, capsys):
    path = example(tmp_path, "calls")
    assert run("grad", f"{path}:energy,damped", "--wrt", "x,k") == 0
    text = (tmp_path / "calls_grad.py").read_text()
    for name in ("def grad_energy(", "def grad_damped(", "def grad_spring"):
        assert name in text
    # a module-level value is read through the module when the derivative runs
    assert re.search(r"^import calls$", text, re.M) and "calls.STIFFNESS" in text
    assert "wrote" in capsys.readouterr().out


def test_a_standalone_file_writes_defaults_as_the_function_has_them(tmp_path, capsys):
    """srcad.grad binds a default to the value the function was made with, and so does the
    file: a number as it is, another value read from the function's own defaults. It wrote
    the expression (`k=withdefaults.K`), which read K when the file was imported: `K = 5.0`
    after the def changed the file's gradient, not the function's (helper-43)."""
    path = module(tmp_path, "withdefaults", """
        import numpy as np

        K = 3.0
        W = np.array([1.0, 2.0])

        def f(x, k=K, s=-1.0, *, t=K * 2, w=W):
            return k * x * x + s * x + t * x + np.sum(w) * x

        K = 5.0
        W = np.array([10.0, 20.0])
        """)
    assert run("grad", f"{path}:f") == 0
    text = (tmp_path / "withdefaults_grad.py").read_text()
    assert "def grad_f(x, k=3.0, s=-1.0, *, t=6.0, w=withdefaults.f.__kwdefaults__['w'], " \
           "vbar_" in text
    proc = subprocess.run([sys.executable, "-c", "import withdefaults_grad as g; "
                           "print(g.grad_f(2.0))"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == pytest.approx(2 * 3.0 * 2.0 - 1.0 + 6.0 + 3.0)


def test_grad_twice_gives_identical_bytes(tmp_path, capsys):
    path = example(tmp_path, "loops")
    out = tmp_path / "loops_grad.py"
    assert run("grad", f"{path}:logistic,decay,clipped_sum") == 0
    first = out.read_bytes()
    assert run("grad", f"{path}:logistic,decay,clipped_sum") == 0
    assert out.read_bytes() == first
    assert "unchanged" in capsys.readouterr().out
    out.unlink()
    fresh = subprocess.run([sys.executable, "-m", "srcad", "grad",
                            f"{path}:logistic,decay,clipped_sum"], capture_output=True,
                           text=True, cwd=ROOT)
    assert fresh.returncode == 0, fresh.stderr
    assert out.read_bytes() == first


def test_decorated_functions_of_a_module(tmp_path, capsys):
    path = module(tmp_path, "marked", """
        import numpy as np
        import srcad

        @srcad.grad
        def a(x, y):
            return x * np.sin(y)

        @srcad.grad(wrt=("x", "y"))
        def b(x, y):
            return x * x * y

        def c(x):
            return x
    """)
    assert run("grad", path) == 0
    text = (tmp_path / "marked_grad.py").read_text()
    assert "def grad_a(" in text and "def grad_b(" in text and "grad_c" not in text
    ns = runpy.run_path(str(tmp_path / "marked_grad.py"))
    assert ns["grad_a"](2.0, 0.5) == pytest.approx(math.sin(0.5))
    assert ns["grad_b"](2.0, 3.0) == pytest.approx((12.0, 4.0))


def test_output_option_and_forward_mode(tmp_path, capsys):
    path = example(tmp_path, "straight")
    out = tmp_path / "deriv" / "f_jvp.py"
    out.parent.mkdir()
    assert run("grad", f"{path}:f", "--mode", "forward", "-o", out) == 0
    text = out.read_text()
    assert text.startswith(GENERATED) and "def jvp_f(" in text
    # the command that writes it again names where (it wrote straight_grad.py before)
    assert f"srcad grad {path.name}:f --mode forward -o deriv{os.sep}f_jvp.py\n" in text


def test_grad_specialised_on_example_arguments(tmp_path, capsys):
    path = example(tmp_path, "loops")
    out = tmp_path / "logistic_grad.py"
    assert run("grad", f"{path}:logistic", "--args", "0.3, 3.2, 10", "-o", out) == 0
    text = out.read_text()
    assert "unbroadcast" not in text and "add_grad" not in text   # floats: plain arithmetic
    namespace = runpy.run_path(str(out))
    sys.path.insert(0, str(tmp_path))
    try:
        loops = runpy.run_path(str(path))
    finally:
        sys.path.remove(str(tmp_path))
    numeric = (loops["logistic"](0.3 + 1e-6, 3.2, 10) - loops["logistic"](0.3 - 1e-6, 3.2, 10)) / 2e-6
    assert namespace["grad_logistic"](0.3, 3.2, 10) == pytest.approx(numeric, rel=1e-6)


def test_a_gradient_specialised_on_example_arguments_refuses_other_kinds(tmp_path):
    """Made for floats, the file's code took an array for x and returned, for w, an array
    where the gradient of a number is a number (helper-49, helper-50)."""
    path = module(tmp_path, "specialised", """
        import numpy as np


        def f(x, w, n=2):
            return np.sum(x * w + w ** n)
        """)
    assert run("grad", f"{path}:f", "--wrt", "x,w", "--args", "1.0, 2.0") == 0
    text = (tmp_path / "specialised_grad.py").read_text()
    assert "    check_kinds('f', ('x', 'w'), (x, w), ('scalar', 'scalar'))\n" in text
    found = without_srcad("""
        import json
        import numpy as np, specialised_grad as G
        found = [list(map(float, G.grad_f(1.0, 2.0))), list(map(float, G.grad_f(1, 2.0)))]
        try:
            G.grad_f(np.array([1.0, 2.0, 3.0]), 2.0)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[:2] == [[2.0, 5.0], [2.0, 5.0]]
    assert len(found) == 3 and "made for x of kind scalar" in found[2] and "array1" in found[2]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_file_makes_the_integers_it_differentiates_floats(mode, tmp_path):
    """helper-102: given an array of integers, the file differentiated the function of
    integers, whose np.zeros_like(x) truncated the halves written into it: [0, 1] where
    central differences (and srcad.grad, of the function of floats) give [0.5, 1.5]; for
    a bool it gave a number where srcad.grad refuses. It makes them floats as srcad.grad
    does, refuses a bool, and says in its docstring what it cannot check."""
    path = module(tmp_path, "halves", """
        import numpy as np


        def f(x):
            y = np.zeros_like(x)
            for i in range(len(x)):
                y[i] = x[i] * 0.5
            return np.sum(y * y)
        """)
    assert run("grad", f"{path}:f", "--mode", mode) == 0
    text = (tmp_path / "halves_grad.py").read_text()
    assert "    x = as_floats(x, 'x', 'f')\n" in text
    assert "Integer arguments to differentiate are made floats" in text
    found = without_srcad(f"""
        import json
        import numpy as np, halves_grad as G
        def gradient(x):
            if {mode!r} == "reverse":
                return np.asarray(G.grad_f(x), dtype=float).tolist()
            return [float(G.jvp_f(x, list(e) if isinstance(x, list) else e)[1])
                    for e in np.eye(len(x))]
        found = [gradient(np.array([1, 3])), gradient([1, 3])]
        try:
            G.grad_f(True) if {mode!r} == "reverse" else G.jvp_f(True, 1.0)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    loaded = load(path)
    x, eps = np.array([1.0, 3.0]), 1e-6
    central = [(loaded["f"](x + eps * e) - loaded["f"](x - eps * e)) / (2 * eps)
               for e in np.eye(2)]
    assert np.allclose(found[0], central) and np.allclose(found[1], central)
    assert np.allclose(central, [0.5, 1.5])
    assert len(found) == 3 and "with respect to x, which is True" in found[2]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_file_refuses_complex_arguments(mode, tmp_path):
    """helper-102: given c = 1j, not differentiated, the file's gradient of
    np.sum(np.abs(x * c) ** 2) was -2x for the 2x of central differences; a complex x gave
    [0.6+1j, 1+1j]. srcad.grad refuses complex arguments, and so does the file now."""
    path = module(tmp_path, "phases", """
        import numpy as np


        def g(x, c):
            return np.sum(np.abs(x * c) ** 2)
        """)
    assert run("grad", f"{path}:g", "--mode", mode) == 0
    found = without_srcad(f"""
        import json
        import numpy as np, phases_grad as G
        x = np.array([0.3, 0.5])
        def gradient(x, c):
            if {mode!r} == "reverse":
                return G.grad_g(x, c).tolist()
            return [float(G.jvp_g(x, c, e)[1]) for e in np.eye(2)]
        found = [gradient(x, 2.0)]
        for x, c in ((x, 1j), (x, [1.0, 2j]), (x + 0.5j, 1.0)):
            try:
                found.append(gradient(x, c))
            except TypeError as exc:
                found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    g = load(path)["g"]
    x, eps = np.array([0.3, 0.5]), 1e-6
    central = [(g(x + eps * e, 2.0) - g(x - eps * e, 2.0)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(found[0], central)
    for name, refusal in zip("ccx", found[1:]):
        assert refusal == (f"srcad: g is called with a complex {name}: srcad's rules are those "
                           "of real-valued code; pass the real and imaginary parts as two "
                           "real arguments")


def test_annotations_naming_what_only_type_checkers_import(tmp_path):
    """helper-102: under `from __future__ import annotations`, `x: Vector` of a name that only
    a type checker imports was copied into the derivative's def, which evaluates it: a bare
    NameError from srcad.grad, and from `srcad grad`. Derivatives leave annotations out."""
    path = module(tmp_path, "typed", """
        from __future__ import annotations

        from typing import TYPE_CHECKING

        import numpy as np

        if TYPE_CHECKING:
            from shapes import Vector


        def f(x: Vector, scale: float = 2.0) -> float:
            return np.sum(np.sin(x) * scale)
        """)
    f = load(path)["f"]
    x, eps = np.array([0.3, -0.5]), 1e-6
    central = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(srcad.grad(f)(x), central)
    assert np.allclose(srcad.jvp(f)(x, np.array([1.0, 0.0]))[1], central[0])
    assert run("grad", f"{path}:f") == 0
    found = without_srcad("""
        import json
        import numpy as np, typed_grad as G
        print(json.dumps(G.grad_f(np.array([0.3, -0.5])).tolist()))
        """, tmp_path)
    assert np.allclose(found, central)


def test_a_default_set_when_the_program_ran_is_refused_in_a_file(tmp_path, capsys):
    """`inner.__defaults__ = (np.array(...),)` on a closure the file cannot reach: it wrote
    `w=array([1., 3.])`, a NameError when the file was imported (helper-51)."""
    path = module(tmp_path, "late_default", """
        import numpy as np

        def make():
            def inner(x, w):
                return np.sum(w * x ** 2)
            inner.__defaults__ = (np.array([1.0, 3.0]),)
            return inner

        h = make()

        def f(x):
            return h(x) + np.sum(x)
        """)
    assert run("grad", f"{path}:f") == 2
    err = capsys.readouterr().err
    assert "the default of w was set when the program ran" in err and f"{path}:5:" in err


def test_a_named_function_that_is_decorated_keeps_the_decorators_wrt(tmp_path):
    path = module(tmp_path, "named_wrt", """
        import srcad


        @srcad.grad(wrt=(0, 1))
        def loss(x, y):
            return x * y * y
        """)
    assert run("grad", f"{path}:loss") == 0
    namespace = runpy.run_path(str(tmp_path / "named_wrt_grad.py"))
    assert namespace["grad_loss"](2.0, 3.0) == pytest.approx((9.0, 12.0))


def without_srcad(code, cwd):
    """Run `code` in a fresh interpreter that finds NumPy but not srcad (no site hooks, so
    no editable install); returns its stdout, parsed as JSON."""
    import numpy
    site = os.path.dirname(os.path.dirname(numpy.__file__))
    check = "try:\n    import srcad\nexcept ImportError:\n    pass\nelse:\n" \
            "    raise SystemExit('srcad is importable')\n"
    proc = subprocess.run([sys.executable, "-S", "-c", check + textwrap.dedent(code)],
                          cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": site})
    if "srcad is importable" in proc.stderr:
        pytest.skip("srcad is installed beside NumPy")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def load(path):
    """The module at `path`, imported in this process (with srcad)."""
    sys.path.insert(0, str(path.parent))
    try:
        return runpy.run_path(str(path))
    finally:
        sys.path.remove(str(path.parent))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_recursive_function_gets_its_own_name(mode, tmp_path, capsys):
    """grad_rec (any input) calls the derivative of rec for the kinds of its recursive
    call, which calls itself: two functions, each defined once."""
    import srcad
    path = module(tmp_path, "rec", """
        import numpy as np

        def rec(x, n):
            if n == 0:
                return x
            return rec(np.sin(x), n - 1)
    """)
    assert run("grad", f"{path}:rec", "--mode", mode) == 0
    text = (tmp_path / "rec_grad.py").read_text()
    prefix = "grad" if mode == "reverse" else "jvp"
    for name in (f"{prefix}_rec", f"{prefix}_rec_2"):
        assert len(re.findall(rf"^def {name}\(", text, re.M)) == 1, name
    call = "grad_rec(0.7, 3)" if mode == "reverse" else "jvp_rec(0.7, 3, 1.0)[1]"
    got = without_srcad(f"""
        import json
        from rec_grad import {prefix}_rec
        print(json.dumps(float({call})))
    """, tmp_path)
    rec = load(path)["rec"]
    assert got == pytest.approx(srcad.grad(rec)(0.7, 3), rel=1e-12)
    assert got == pytest.approx((rec(0.7 + 1e-6, 3) - rec(0.7 - 1e-6, 3)) / 2e-6, rel=1e-6)


def test_a_module_that_imports_srcad_needs_no_srcad_in_the_file(tmp_path, capsys):
    """The file imports the module's helpers for its forward sweep; where srcad is not
    installed, the module's `import srcad`, decorators and rules meet a stand-in."""
    import srcad
    path = module(tmp_path, "uses", """
        import numpy as np
        import srcad

        SCALE = 2.0

        def helper(x):
            return x * x

        def cube(x):
            return x * x * x

        @srcad.adjoint(cube)
        def cube_adjoint(g, ans, x):
            return g * 3.0 * x * x

        @srcad.grad(wrt=("x", "w"))
        def loss(x, w):
            return np.sum(helper(x * w) * SCALE + np.sin(w))

        @srcad.grad
        def total(x):
            return np.sum(cube(x) + helper(x))
    """)
    assert run("grad", path) == 0
    text = (tmp_path / "uses_grad.py").read_text()
    assert "except ImportError:" in text
    got = without_srcad("""
        import json
        import numpy as np
        from uses_grad import grad_loss, grad_total
        x, w = np.array([0.3, -1.2]), np.array([0.5, 2.0])
        print(json.dumps([np.asarray(g).tolist() for g in
                          (*grad_loss(x, w), grad_total(x))]))
    """, tmp_path)
    ns = load(path)
    x, w = np.array([0.3, -1.2]), np.array([0.5, 2.0])
    expected = (*ns["loss"](x, w), ns["total"](x))
    for g, e in zip(got, expected):
        assert np.allclose(g, e, rtol=1e-12)
    assert np.allclose(got[2], 3 * x * x + 2 * x)
    plain = module(tmp_path, "plain", "def f(x):\n    return x * x\n")
    assert run("grad", f"{plain}:f") == 0
    assert "import srcad" not in (tmp_path / "plain_grad.py").read_text()


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_rules_module_values_are_read_through_it(mode, tmp_path, capsys):
    """A user rule's module value in a standalone file: `rules.K`, read when it runs
    (forward mode refused the file: the value could not be imported by name)."""
    from conftest import rule_module
    module(tmp_path, "krules", rule_module("fa", 3.0))
    path = module(tmp_path, "kmodel", """
        import krules

        def f(x):
            return krules.fa(x) * x
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{path}:f", "--mode", mode) == 0
    finally:
        sys.path.remove(str(tmp_path))
    call = "grad_f(0.5)" if mode == "reverse" else "jvp_f(0.5, 1.0)[1]"
    got = without_srcad(f"""
        import json
        from kmodel_grad import {call.partition("(")[0]}
        import krules                  # (after the file, which puts a stand-in for srcad)
        before = float({call})
        krules.K = 7.0
        print(json.dumps([before, float({call})]))
    """, tmp_path)
    assert got == pytest.approx([3.0 * 0.5 + 1.5, 7.0 * 0.5 + 1.5], rel=1e-12)


# ----- error paths: one line on stderr, exit status 2 -----


def error_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_missing_file(tmp_path, capsys):
    assert run("grad", tmp_path / "nowhere.py:f") == 2
    assert "no such file" in error_line(capsys)


def test_missing_function(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("grad", f"{path}:nope") == 2
    line = error_line(capsys)
    assert "no function named 'nope'" in line and "neuron" in line


def test_bad_wrt(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("grad", f"{path}:f", "--wrt", "z") == 2
    assert "no parameter named 'z'" in error_line(capsys)


@pytest.mark.parametrize("args", ["2.0, ", "2.0,, 5", "x", "[1, [2]]"])
def test_bad_args(args, tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("check", f"{path}:f", "--args", args) == 2
    assert "--args" in error_line(capsys)


@pytest.mark.parametrize("args, what", [("x", "'x'"), ("2.0, np.ones(3)", "'np.ones(3)'")])
def test_args_that_are_no_literals_are_named(args, what, tmp_path, capsys):
    """helper-102: `--args "x"` said "malformed node or string on line 1: <ast.Name object
    at 0x7fe1fb983c10>", a different address on each run."""
    path = example(tmp_path, "straight")
    assert run("check", f"{path}:f", "--args", args) == 2
    line = error_line(capsys)
    assert " object at 0x" not in line
    assert f"{what} is not a literal" in line


def test_ragged_args_hint_at_a_tuple_of_arrays(tmp_path, capsys):
    """`--args "[[1, 2], [3]]"` said only "is not a rectangular array"; the hint writes the
    tuple of lists that --args makes arrays of one by one (np.array(...) is no literal),
    and check passes on that tuple (against central differences)."""
    path = module(tmp_path, "ragged", """
        import numpy as np


        def f(xs, s):
            total = 0.0
            for x in xs:
                total = total + s * np.sum(x ** 2)
            return total
        """)
    assert run("check", f"{path}:f", "--args", "[[1.0, 2.0], [3.0]], 2.0") == 2
    line = error_line(capsys)
    assert "is not a rectangular array" in line
    assert "hint: for arrays of different lengths write a tuple of lists" in line
    suggested = line.rpartition(": ")[2].rstrip(")")
    assert suggested == "([1.0, 2.0], [3.0]"
    assert run("check", f"{path}:f", "--args", suggested + "), 2.0") == 0
    assert "ok: worst error" in capsys.readouterr().out


def test_wrong_number_of_args(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("trace", f"{path}:f", "--args", "2.0") == 2
    assert "takes 2 argument(s)" in error_line(capsys)


def test_unsupported_construct_points_at_the_line(tmp_path, capsys):
    path = module(tmp_path, "bad", """
        import numpy as np

        def f(x):
            y = x * 2.0
            try:
                y = np.log(y)
            except ValueError:
                pass
            return y
    """)
    assert run("grad", f"{path}:f") == 2
    line = error_line(capsys)
    assert f"{path}:6:" in line and "try/except" in line
    assert not (tmp_path / "bad_grad.py").exists()


def test_debug_shows_the_traceback(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("grad", f"{path}:nope", "--debug") == 2
    assert "Traceback" in capsys.readouterr().err


def test_refuses_to_overwrite_a_foreign_file(tmp_path, capsys):
    path = example(tmp_path, "straight")
    mine = tmp_path / "straight_grad.py"
    mine.write_text("# my own code\n")
    assert run("grad", f"{path}:f") == 2
    assert "--force" in error_line(capsys)
    assert mine.read_text() == "# my own code\n"
    assert run("grad", f"{path}:f", "--force") == 0
    assert mine.read_text().startswith(GENERATED)
    assert run("grad", f"{path}:f,neuron") == 0          # its own file: overwritten
    assert "def grad_neuron(" in mine.read_text()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_closure_cannot_go_into_a_file(tmp_path, capsys):
    path = module(tmp_path, "closing", """
        def make(k):
            def scaled(x):
                return k * x * x
            return scaled

        g = make(3.0)
    """)
    assert run("grad", f"{path}:g") == 2
    assert "closure variable 'k'" in error_line(capsys)


def test_import_error_of_the_module(tmp_path, capsys):
    path = module(tmp_path, "broken", "import numpy as np\nraise RuntimeError('boom')\n")
    assert run("show", f"{path}:f") == 2
    assert "RuntimeError: boom" in error_line(capsys)


# ----- show -----


def test_show_ssa_and_derivative(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("show", f"{path}:f", "--ssa") == 0
    out = capsys.readouterr().out
    assert "v_1 = np.log(v_m1)" in out and "\x1b[" not in out
    assert run("show", f"{path}:f", "--wrt", "x1,x2") == 0
    out = capsys.readouterr().out
    assert "def grad_f(x1, x2" in out and "\x1b[" not in out
    assert run("show", f"{path}:f", "--color", "always") == 0
    assert "\x1b[" in capsys.readouterr().out


def test_show_args_shows_the_derivative_made_for_those_kinds(tmp_path, capsys):
    """`srcad show` showed only the derivative for any input (`add_adjoint(...)`,
    `unbroadcast(...)`, `check_output(...)` for the reference function); `--args` shows
    the one srcad.grad makes for such a call (what `.source` shows after it), as `srcad
    grad --args` writes it, without the file's check of the kinds."""
    path = example(tmp_path, "straight")
    assert run("show", f"{path}:f", "--wrt", "x1,x2", "--args", "2.0, 5.0") == 0
    shown = capsys.readouterr().out
    ns = {}
    exec(compile("import numpy as np\n" + shown, "<shown>", "exec"), ns)
    assert ns["grad_f"](2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))
    assert "add_adjoint" not in shown and "check_kinds" not in shown
    assert run("show", f"{path}:f", "--wrt", "x1,x2") == 0
    assert "add_adjoint" in capsys.readouterr().out
    assert run("show", f"{path}:f", "--args", "2.0") == 2
    assert "takes 2 argument(s)" in capsys.readouterr().err


# ----- check -----


def test_check_passes_on_a_correct_gradient(tmp_path, capsys):
    path = example(tmp_path, "arrays")
    assert run("check", f"{path}:layer", "--args",
               "[[0.1, 0.2], [0.3, -0.4]], [1.0, 2.0], [0.5, -0.5]") == 0
    out = capsys.readouterr().out
    assert "analytic" in out and "numeric" in out and "ok" in out


def test_check_exits_1_on_a_wrong_rule(tmp_path, capsys):
    path = module(tmp_path, "wrongrule", """
        import srcad

        def square(x):
            return x * x

        @srcad.adjoint(square)
        def square_adjoint(g, ans, x):
            return g * 3.0 * x          # wrong on purpose: should be 2 x

        def f(x):
            return square(x) + x
    """)
    assert run("check", f"{path}:f", "--args", "1.5") == 1
    assert "MISMATCH" in capsys.readouterr().out


# ----- trace -----

ROW = re.compile(r"^\s+((?:v|vbar)_m?\d+)\s+=\s+(.*?)\s{2,}(\S+)(\s+<-- first non-finite.*)?$")


def rows(text):
    """`[(name, operation, value text, marked)]` of the trace tables."""
    out = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            out.append((m.group(1), m.group(2).strip(), m.group(3), bool(m.group(4))))
    return out


def test_trace_reproduces_the_textbook_numbers(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("trace", f"{path}:f", "--args", "2.0, 5.0") == 0
    out = capsys.readouterr().out
    assert "forward primal trace" in out and "reverse adjoint trace" in out
    values = {}
    for name, _, value, marked in rows(out):
        values[name] = float(value)      # the last assignment wins (adjoint accumulation)
        assert not marked
    expected = {"v_m1": 2.0, "v_0": 5.0, "v_1": math.log(2.0), "v_2": 10.0,
                "v_3": math.log(2.0) + 10.0, "v_4": math.sin(5.0),
                "v_5": math.log(2.0) + 10.0 - math.sin(5.0),
                "vbar_5": 1.0, "vbar_4": -1.0, "vbar_m1": 5.5,
                "vbar_0": 2.0 - math.cos(5.0)}
    for name, value in expected.items():
        assert abs(values[name] - value) < 1e-12, (name, values[name], value)
    assert "v_1     = np.log(v_m1)" in out
    assert "all values finite" in out


def test_trace_marks_the_first_non_finite_row(tmp_path, capsys):
    path = module(tmp_path, "nan", """
        import numpy as np

        def f(x):
            y = np.log(x - 3.0)
            z = y * x
            return z + np.sqrt(x)
    """)
    assert run("trace", f"{path}:f", "--args", "2.0") == 0
    table = rows(capsys.readouterr().out)
    marked = [r for r in table if r[3]]
    assert len(marked) == 1
    name, op, value, _ = marked[0]
    assert op == "np.log(v_1)" and value == "nan"
    before = table[:table.index(marked[0])]
    assert all(math.isfinite(float(v)) for _, _, v, _ in before)


def test_trace_of_a_loop_limits_rows(tmp_path, capsys):
    path = example(tmp_path, "loops")
    assert run("trace", f"{path}:logistic", "--args", "0.3, 3.2, 500", "--max-rows", "20") == 0
    out = capsys.readouterr().out
    assert "rows not shown" in out and "gradient: d/dl0" in out


def test_trace_reports_where_evaluation_stopped(tmp_path, capsys):
    path = module(tmp_path, "divide", """
        def f(x, y):
            return x / (y - 1.0)
    """)
    assert run("trace", f"{path}:f", "--args", "2.0, 1.0") == 1
    assert "evaluation stopped at `v_2 = v_m1 / v_1`: ZeroDivisionError" in \
        capsys.readouterr().out


def test_trace_of_a_function_with_defaults_and_globals_named_like_generated_names(
        tmp_path, capsys):
    """The derivative reads a default that is no constant as `_default_c`, and a global
    named like a helper or a trace name under another name (`unbroadcast_`): the trace
    stopped at a NameError of each (helper-107)."""
    path = module(tmp_path, "tdefaults", """
        import numpy as np

        unbroadcast = 3.0
        v_1 = 2.0
        COEFFS = [1.0, -2.0, 0.5]

        def horner(x, coeffs=COEFFS):
            acc = 0.0
            for c in coeffs:
                acc = acc * x + c
            return acc

        def f(x, c=np.array([1.0, 2.0])):
            return np.sum(x * unbroadcast * v_1 * c)
    """)
    assert run("trace", f"{path}:horner", "--args", "0.7") == 0
    assert f"gradient: d/dx = vbar_m1 = {2 * 0.7 - 2.0!r}" in capsys.readouterr().out
    assert run("trace", f"{path}:f", "--args", "[1.0, 2.0]") == 0
    assert "gradient: d/dx = vbar_m1 = array 2 float64 [6, 12]" in capsys.readouterr().out


@pytest.mark.parametrize("body", ["return np.sin(x), x", "return np.outer(x, x)"])
def test_trace_of_a_function_whose_value_is_no_number_is_a_clear_error(
        body, tmp_path, capsys):
    """The reverse sweep is seeded with 1.0: for a tuple or an array it stopped at an error
    of NumPy's ('float' object is not subscriptable) (helper-107)."""
    path = module(tmp_path, "tnonscalar", f"""
        import numpy as np

        def f(x):
            {body}
    """)
    assert run("trace", f"{path}:f", "--args", "[1.0, 2.0]") == 2
    line = error_line(capsys)
    assert "srcad trace needs f to return a scalar" in line and "srcad.jacobian" in line


# ----- graph -----

EDGE = re.compile(r'^\s+"(\w+)" -> "(\w+)" \[label="([^"]*)"')
NODE = re.compile(r'^\s+"(\w+)" \[label="')


def test_graph_of_the_reference_function(tmp_path, capsys):
    path = example(tmp_path, "straight")
    assert run("graph", f"{path}:f", "--args", "2.0, 5.0") == 0
    dot = capsys.readouterr().out
    nodes = {m.group(1) for m in map(NODE.match, dot.splitlines()) if m}
    assert nodes == {"v_m1", "v_0", "v_1", "v_2", "v_3", "v_4", "v_5"}
    edges = {(m.group(1), m.group(2)): float(m.group(3))
             for m in map(EDGE.match, dot.splitlines()) if m}
    expected = {("v_m1", "v_1"): 0.5, ("v_m1", "v_2"): 5.0, ("v_0", "v_2"): 2.0,
                ("v_1", "v_3"): 1.0, ("v_2", "v_3"): 1.0, ("v_0", "v_4"): math.cos(5.0),
                ("v_3", "v_5"): 1.0, ("v_4", "v_5"): -1.0}
    assert set(edges) == set(expected)
    for edge, value in expected.items():
        assert abs(edges[edge] - value) < 1e-12, (edge, edges[edge], value)
    assert "0.693147" in dot      # v_1 = log 2, shown on its node


def test_graph_files(tmp_path, capsys, monkeypatch):
    path = example(tmp_path, "straight")
    assert run("graph", f"{path}:f", "--args", "2.0, 5.0", "-o", tmp_path / "g.dot") == 0
    assert (tmp_path / "g.dot").read_text().startswith("// computational graph of f")
    if shutil.which("dot"):
        assert run("graph", f"{path}:f", "--args", "2.0, 5.0", "-o", tmp_path / "g.svg") == 0
        assert "<svg" in (tmp_path / "g.svg").read_text()
    capsys.readouterr()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert run("graph", f"{path}:f", "--args", "2.0, 5.0", "-o", tmp_path / "h.svg") == 2
    assert "Graphviz" in capsys.readouterr().err
    assert (tmp_path / "h.dot").exists() and not (tmp_path / "h.svg").exists()


def test_graph_of_a_loop_is_a_clear_error(tmp_path, capsys):
    path = example(tmp_path, "loops")
    assert run("graph", f"{path}:logistic", "--args", "0.3, 3.2, 5") == 2
    line = error_line(capsys)
    assert "straight-line" in line and f"{path}:" in line


def test_committed_graph_matches_the_generator(capsys):
    """docs/graph.dot is what `srcad graph examples/straight.py:f --args "2.0, 5.0"` prints."""
    assert run("graph", os.path.join(EXAMPLES, "straight.py") + ":f", "--args", "2.0, 5.0") == 0
    with open(os.path.join(ROOT, "docs", "graph.dot"), encoding="utf-8") as fh:
        assert fh.read() == capsys.readouterr().out


# ----- eighth session (helper-22's round) -----


def test_a_written_file_imports_globals_renamed_apart_from_helpers(tmp_path, capsys):
    """A module global named like a helper (`spread`) or like a derivative (`grad_helper`) is
    `spread_` in generated code: the file imports a function under that name, and reads a
    value through its module."""
    path = module(tmp_path, "names_mod", """
        import numpy as np

        spread = 3.0


        def grad_helper(x):
            return 2.0 * x


        def f(x):
            return spread * np.sum(x ** 2)


        def g(x):
            return np.sum(grad_helper(x) * np.sin(x))
        """)
    assert run("grad", f"{path}:f,g") == 0
    text = (tmp_path / "names_mod_grad.py").read_text()
    # (a value: read through the module, which needs no other name)
    assert "grad_helper as grad_helper_" in text and "names_mod.spread" in text
    run_without_srcad(tmp_path,
                      "import numpy as np, names_mod_grad as G\n"
                      "x = np.array([0.3, -0.5, 1.2])\n"
                      "assert np.allclose(G.grad_f(x), 6 * x)\n"
                      "assert np.allclose(G.grad_g(x), 2 * np.sin(x) + 2 * x * np.cos(x))\n")


@pytest.mark.parametrize("example", [None, "[0.3, -0.5, 1.2], 2.0"])
def test_names_like_the_helpers_only_files_call_are_kept_apart(example, tmp_path, capsys):
    """helper-102: a module function named `check_kinds` (which a file made with --args
    calls first) was replaced in the file by the helper: a TypeError on each call; so
    would be one named `as_floats`, and a parameter so named shadowed the helper."""
    path = module(tmp_path, "helper_names", """
        import numpy as np


        def check_kinds(v):
            return 3.0 * v


        def f(x, as_floats):
            return np.sum(check_kinds(x) ** 2) * as_floats
        """)
    extra = [] if example is None else ["--args", example]
    assert run("grad", f"{path}:f", "--wrt", "x,as_floats", *extra) == 0
    found = without_srcad("""
        import json
        import numpy as np, helper_names_grad as G
        gx, ga = G.grad_f(np.array([0.3, -0.5, 1.2]), 2.0)
        print(json.dumps([gx.tolist(), float(ga)]))
        """, tmp_path)
    x = np.array([0.3, -0.5, 1.2])
    f = load(path)["f"]
    eps = 1e-6
    central = [(f(x + eps * e, 2.0) - f(x - eps * e, 2.0)) / (2 * eps) for e in np.eye(3)]
    assert np.allclose(found[0], central)
    assert found[1] == pytest.approx((f(x, 2.0 + eps) - f(x, 2.0 - eps)) / (2 * eps))



def test_names_like_the_helpers_a_file_copies_are_kept_apart_or_refused(tmp_path, capsys):
    """helper-102: module functions named like helpers that a file copies from srcad.runtime
    but srcad.grad did not know to keep apart (own_arithmetic, refused) were replaced by
    them in the file: a gradient of 0.0 where central differences give [5.4, -9, 12.6],
    or a TypeError. A constant of the helpers' (`_BASIC_INDEX`) that a module function is
    named like is refused when the file is written."""
    path = module(tmp_path, "like_helpers", """
        import numpy as np


        def own_arithmetic(v):
            return 3.0 * v


        def refused(v):
            return v + 1.0


        def f(x):
            return np.sum(own_arithmetic(x) ** 2) + np.sum(refused(x) * x)
        """)
    assert run("grad", f"{path}:f") == 0
    found = without_srcad("""
        import json
        import numpy as np, like_helpers_grad as G
        print(json.dumps(G.grad_f(np.array([0.3, -0.5, 0.7])).tolist()))
        """, tmp_path)
    x, eps = np.array([0.3, -0.5, 0.7]), 1e-6
    f = load(path)["f"]
    central = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    assert np.allclose(found, central)

    path = module(tmp_path, "like_a_constant", """
        import numpy as np


        def _BASIC_INDEX(v):
            return 3.0 * v


        def f(x):
            return np.sum(_BASIC_INDEX(x) ** 2) + x[0] ** 2
        """)
    capsys.readouterr()
    assert run("grad", f"{path}:f") == 2
    line = error_line(capsys)
    assert "the helpers it copies from srcad define '_BASIC_INDEX' too" in line
    assert not (tmp_path / "like_a_constant_grad.py").exists()

def test_grad_with_example_arguments_refuses_a_function_that_is_not_scalar(tmp_path, capsys):
    path = module(tmp_path, "vector", """
        def f(x):
            return x * 2.0
        """)
    assert run("grad", f"{path}:f", "--args", "[1.0, 2.0, 3.0]") == 2
    assert "to return a scalar" in capsys.readouterr().err
    assert not (tmp_path / "vector_grad.py").exists()


def test_a_closure_variable_is_refused_at_the_line_that_reads_it(tmp_path, capsys):
    path = module(tmp_path, "closed", """
        import numpy as np


        def make_loss(c):
            def loss(x):
                return c * np.sum(x ** 2)
            return loss


        loss = make_loss(3.0)
        """)
    assert run("grad", f"{path}:loss") == 2
    assert f"{path}:7:15: " in capsys.readouterr().err


# ----- ninth session -----


def test_a_written_gradient_refuses_a_value_that_is_not_scalar(tmp_path, capsys):
    """Without --args the file cannot know the kinds: a gradient of a function it cannot
    prove scalar checks the value when it runs. With the default seed an array value would
    give the gradient of its sum without a word; a seed shaped like it asks for the vjp."""
    path = module(tmp_path, "maybe_vector", """
        import numpy as np


        def f(x, y):
            return x * y + np.sin(x)


        def total(x):
            return np.sum(f(x, 2.0))
        """)
    assert run("grad", f"{path}:f,total") == 0
    text = (tmp_path / "maybe_vector_grad.py").read_text()
    assert "check_output(" in text.split("def grad_total")[0]      # f is checked
    assert "check_output(" not in text.split("def grad_total")[1].split("\ndef ")[0]
    found = without_srcad("""
        import json
        import numpy as np, maybe_vector_grad as G
        x = np.array([0.3, -0.5]); y = np.array([1.5, 2.0])
        found = [bool(np.isclose(G.grad_f(0.3, 1.5), 1.5 + np.cos(0.3))),
                 bool(np.allclose(G.grad_total(x), 2.0 + np.cos(x))),
                 bool(np.allclose(G.grad_f(x, y, vbar_3=np.ones(2)), y + np.cos(x)))]
        try:
            G.grad_f(x, y)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[:3] == [True, True, True]
    assert len(found) == 4 and "to return a scalar" in found[3] and "(2,)" in found[3]


def test_a_written_gradient_refuses_a_seed_that_is_not_a_number(tmp_path):
    """helper-102: the seed of a gradient of a number weighs it; grad_f(x, y, np.ones(3))
    broadcast the array against the adjoints, giving [0.887, 1.438, 1.933] for y's gradient,
    which is sin(x) ([0.296, 0.479, 0.644]) for any seed that is a number. The file refuses
    a seed that is not a number, where f's value is known to be one and where it is not."""
    path = module(tmp_path, "seeded", """
        import numpy as np


        def f(x, y):
            return np.sum(np.sin(x) * y) + x[0] ** 2


        def g(x):
            return np.sum(x ** 2)
        """)
    assert run("grad", f"{path}:f,g", "--wrt", "0") == 0
    assert run("grad", f"{path}:f", "--wrt", "y", "-o", tmp_path / "seeded_y.py") == 0
    text = (tmp_path / "seeded_grad.py").read_text()
    assert "    check_seed(vbar_2, 'g')\n" in text
    found = without_srcad("""
        import json
        import numpy as np, seeded_grad as G, seeded_y as Y
        x, y = np.array([0.3, 0.5, 0.7]), np.array([1.0, 2.0, 3.0])
        found = [Y.grad_f(x, y, 2.0).tolist()]
        for call in (lambda: Y.grad_f(x, y, np.ones(3)), lambda: G.grad_g(x, np.ones(3)),
                     lambda: Y.grad_f(x, y, None)):
            try:
                found.append(call().tolist())
            except TypeError as exc:
                found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert np.allclose(found[0], 2.0 * np.sin([0.3, 0.5, 0.7]))
    for name, given, refusal in zip("fgf", ["a value of shape (3,)"] * 2 + ["None"], found[1:]):
        assert refusal == (f"srcad: the seed of grad_{name} weighs the number {name} returns, "
                           f"and must be a number, not {given}; pass a float (the gradient "
                           f"of seed * {name}), or leave it out")


def test_a_written_gradient_refuses_a_value_that_is_not_a_number(tmp_path):
    """check_output took a string (0-d for np.ndim) for a scalar, and a comparison or None
    was taken for one (no check): the file returned 0.0."""
    path = module(tmp_path, "not_a_number", """
        def name(x):
            return "x" * int(x)


        def flag(x):
            return x > 0.5


        def nothing(x):
            y = x * 2
        """)
    assert run("grad", f"{path}:name,flag,nothing") == 0
    refusals = without_srcad("""
        import json
        import not_a_number_grad as G
        refusals = []
        for f in (G.grad_name, G.grad_flag, G.grad_nothing):
            try:
                f(2.0)
            except TypeError as exc:
                refusals.append(str(exc))
        print(json.dumps(refusals))
        """, tmp_path)
    assert len(refusals) == 3 and all("to return a number" in r for r in refusals)


def test_graph_of_a_function_whose_form_calls_srcad_helpers(tmp_path, capsys):
    """The three-address form calls einsum_one and largest: NameError before."""
    path = module(tmp_path, "helpers_mod", """
        import numpy as np

        def h(A):
            return np.einsum("ii->", A) * 2.0

        def k(x):
            return max(x) * 2.0
        """)
    assert run("graph", f"{path}:h", "--args", "[[0.5, 1.5], [-0.7, 0.2]]") == 0
    assert run("graph", f"{path}:k", "--args", "[0.5, 1.5, -0.7]") == 0
    assert capsys.readouterr().out.count("digraph") == 2


def test_a_written_file_reads_module_values_when_it_runs(tmp_path, capsys):
    """`from scaled import SCALE` froze the value the module had when the file was
    imported; srcad.grad reads it when the derivative runs. Rebound later, the file's
    gradient was the old one's (a wrong number against the function)."""
    path = module(tmp_path, "scaled", """
        import numpy as np

        SCALE = 2.0


        def loss(x, scaled=1.0):       # a parameter named like the module
            return np.sum(x ** 2) * SCALE * scaled
        """)
    assert run("grad", f"{path}:loss") == 0
    text = (tmp_path / "scaled_grad.py").read_text()
    assert re.search(r"^import scaled as _scaled$", text, re.M) and "_scaled.SCALE" in text
    run_without_srcad(tmp_path,
                      "import numpy as np, scaled, scaled_grad as G\n"
                      "x = np.array([0.6, -1.0])\n"
                      "scaled.SCALE = 5.0\n"
                      "assert np.allclose(G.grad_loss(x), 10.0 * x), G.grad_loss(x)\n")


def test_a_written_file_refuses_a_function_rebound_where_it_reads_it(tmp_path, capsys):
    """helper-102: the file reads `CFG.act` when it runs (through the module), and took the
    derivative of np.tanh, which it held when the file was written: after `CFG.act =
    np.sin` the gradient was 1 - sin(x)**2 ([0.913, 0.770] for the cos(x) of central
    differences), where srcad.grad makes its derivative again. The file checks that it
    calls the function it was written for."""
    path = module(tmp_path, "configured", """
        import numpy as np


        class Config:
            act = np.tanh


        CFG = Config()


        def loss(x):
            return np.sum(CFG.act(x))
        """)
    assert run("grad", f"{path}:loss") == 0
    text = (tmp_path / "configured_grad.py").read_text()
    assert "check_function(configured.CFG.act, 'numpy.tanh', 'configured.CFG.act')" in text
    found = without_srcad("""
        import json
        import numpy as np, configured, configured_grad as G
        x = np.array([0.3, 0.5])
        found = [G.grad_loss(x).tolist()]
        configured.CFG.act = np.sin
        try:
            found.append(G.grad_loss(x).tolist())
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    x, eps = np.array([0.3, 0.5]), 1e-6
    assert np.allclose(found[0], (np.tanh(x + eps) - np.tanh(x - eps)) / (2 * eps))
    assert found[1] == ("srcad: configured.CFG.act is numpy.sin here, but this file was "
                        "written for numpy.tanh; write the file again (srcad grad), or use "
                        "srcad.grad in your program")


def test_a_written_file_refuses_a_function_rebound_in_a_module_level_dict(tmp_path, capsys):
    """As `CFG.act` (above), for a function called from a module-level dict (`D["g"](x)`,
    supported since helper-101): after `D["g"] = cube` the file called cube and took
    square's derivative ([1, 3] for the [0.75, 6.75] of 3 x^2)."""
    path = module(tmp_path, "tabled", """
        import numpy as np


        def square(x):
            return x ** 2


        def cube(x):
            return x ** 3


        D = {"g": square}


        def loss(x):
            return np.sum(D["g"](x))
        """)
    assert run("grad", f"{path}:loss") == 0
    found = without_srcad("""
        import json
        import numpy as np, tabled, tabled_grad as G
        x = np.array([0.5, 1.5])
        found = [G.grad_loss(x).tolist()]
        tabled.D["g"] = tabled.cube
        try:
            found.append(G.grad_loss(x).tolist())
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[0] == [1.0, 3.0]
    assert found[1].startswith("srcad: tabled.D['g'] is tabled.cube here, but this file was "
                               "written for tabled.square")


def test_module_values_in_keywords_defaults_and_a_module_that_imports_srcad(tmp_path, capsys):
    """`axis=axis` had its keyword renamed too (a SyntaxError); `def f(w, n=n)` wrote a
    default the file did not import (a NameError; now the value, 3.0); a module that
    imports srcad was imported
    before the stand-in that lets it load where srcad is missing."""
    path = module(tmp_path, "valmod", """
        import numpy as np
        import srcad

        axis = 0
        n = 3.0

        @srcad.grad
        def f(w, n=n):
            M = np.outer(w, w)
            return np.sum(np.sum(M, axis=axis) ** 2) * n
        """)
    assert run("grad", f"{path}") == 0
    text = (tmp_path / "valmod_grad.py").read_text()
    assert "axis=valmod.axis" in text and "n=3.0" in text and "_valmod" not in text
    run_without_srcad(tmp_path,
                      "import numpy as np, valmod_grad as G\n"
                      "w = np.array([0.3, 0.7])\n"
                      "s = np.sum(w)\n"
                      "expected = 3.0 * (2 * s * np.sum(w ** 2) + 2 * s ** 2 * w)\n"
                      "assert np.allclose(G.grad_f(w), expected), G.grad_f(w)\n")


def test_the_stand_in_has_every_public_name_of_srcad(tmp_path):
    """`from srcad import SrcadError, check_grad` in the user's module: an ImportError where
    srcad is missing (helper-50). The stand-in has each name; functions raise ImportError
    when called; the error classes keep srcad's hierarchy."""
    path = module(tmp_path, "usesall", f"""
        import numpy as np
        from srcad import {", ".join(srcad.__all__)}


        def loss(w):
            return np.sum(w * stop_gradient(w))


        def checked(w):
            try:
                return check_grad(loss, (w,))
            except SrcadError:
                return None
        """)
    assert run("grad", f"{path}:loss") == 0
    run_without_srcad(tmp_path, textwrap.dedent("""
        import numpy as np, usesall_grad as G
        import srcad
        w = np.array([0.3, 0.7])
        assert np.allclose(G.grad_loss(w), w), G.grad_loss(w)
        assert issubclass(srcad.MissingRuleError, srcad.UnsupportedError)
        assert issubclass(srcad.ArgumentError, srcad.SrcadError)
        assert issubclass(srcad.ArgumentError, TypeError)
        try:
            srcad.check_grad(lambda x: x, (1.0,))
        except ImportError as exc:
            assert "srcad.check_grad needs srcad" in str(exc)
        else:
            raise AssertionError("check_grad ran")
        """))


def test_a_function_calling_a_derivative_object_is_refused_in_a_file(tmp_path, capsys):
    """Where srcad is missing, the file's stand-in for srcad.grad would make d_inner the
    function itself (wrong numbers); where the call is differentiated, the message said that
    a closure variable 'mul_adjoint' was read."""
    path = module(tmp_path, "meta", """
        import numpy as np
        import srcad

        def inner(w):
            return np.sum(w ** 4)

        d_inner = srcad.grad(inner)

        def outer(lr):
            w = np.array([0.5, -0.3])
            return np.sum((w - lr * d_inner(w)) ** 2)
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{path}:outer") == 2
    finally:
        sys.path.remove(str(tmp_path))
    assert "calls the derivative object 'd_inner'" in capsys.readouterr().err


def test_derivative_objects_behind_attributes_and_callable_objects(tmp_path, capsys):
    """`H.d(w)` of a derivative object reached through an attribute was written into a file
    (without srcad, the stand-in makes it the loss itself: wrong numbers); a callable
    object `LAYER(x)` was imported by value, so rebinding `model.LAYER` was not seen."""
    path = module(tmp_path, "holder", """
        import numpy as np
        import srcad

        def loss(w):
            return np.sum(w ** 4)

        class Holder:
            pass

        H = Holder()
        H.d = srcad.grad(loss)

        def f(w):
            return np.sum(H.d(w) ** 2)

        class Layer:
            def __init__(self, k):
                self.k = k

            def __call__(self, x):
                return self.k * x

        LAYER = Layer(2.0)

        def g(x):
            return LAYER(x) * x
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{path}:f") == 2
        assert "calls the derivative object 'H.d'" in capsys.readouterr().err
        assert run("grad", f"{path}:g") == 0
    finally:
        sys.path.remove(str(tmp_path))
    got = without_srcad("""
        import json
        from holder_grad import grad_g
        import holder
        before = float(grad_g(3.0))
        holder.LAYER = holder.Layer(5.0)
        print(json.dumps([before, float(grad_g(3.0))]))
    """, tmp_path)
    assert got == pytest.approx([12.0, 30.0])


def test_functions_and_derivative_objects_held_in_containers_in_a_file(tmp_path, capsys):
    """`FUNCS["g"](x)`: the file reads the item through the module; a derivative object in
    a list (`GRADS[0](x)`) is refused as `d(x)` is
    (the stand-in would make it the function itself; the message named a closure variable
    'check_plain_operand')."""
    path = module(tmp_path, "held", """
        import numpy as np
        import srcad

        def cube(x):
            return x ** 3

        FUNCS = {"cube": cube, "sin": np.sin}
        GRADS = [srcad.grad(cube)]

        def f(x):
            return FUNCS["cube"](x) + FUNCS["sin"](x)

        def g(x):
            return GRADS[0](x) * x
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{path}:g") == 2
        assert "calls the derivative object 'GRADS[0]'" in capsys.readouterr().err
        assert run("grad", f"{path}:f") == 0
    finally:
        sys.path.remove(str(tmp_path))
    got = without_srcad("""
        import json
        from held_grad import grad_f
        print(json.dumps(float(grad_f(0.5))))
    """, tmp_path)
    assert got == pytest.approx(0.75 + np.cos(0.5))

def test_modules_that_reach_srcad_through_others_and_modules_named_like_helpers(tmp_path,
                                                                                capsys):
    """A module that imports a rules module, which imports srcad, was imported before the
    stand-in (the file needed srcad); a module named like a helper the file copies
    (`spread`) was shadowed by the copy (AttributeError); a derivative object reached at
    run time (`self.d`) is, without srcad, an object that says it needs srcad (it was the
    function itself: wrong numbers) (helper-43)."""
    module(tmp_path, "krules2", """
        import srcad
        ns = {}
        exec("def bb(x):\\n    return 2.0 * x\\n", ns)
        bb = ns["bb"]

        @srcad.adjoint(bb)
        def bb_adjoint(g, ans, x):
            return 2.0 * g
    """)
    module(tmp_path, "spread", "K = 5.0\n")
    path = module(tmp_path, "viamod", """
        import numpy as np
        import srcad
        import spread
        from krules2 import bb

        def loss(w):
            return np.sum(w ** 4)

        class Opt:
            def __init__(self):
                self.d = srcad.grad(loss)

            def step(self, w, lr):
                return w - lr * self.d(w)

        OPT = Opt()

        def f(x):
            return np.sum(bb(x) * x) * spread.K

        def g(lr, w):
            return np.sum(OPT.step(w, lr))
    """)
    module(tmp_path, "plainmod", """
        import numpy as np
        from krules2 import bb

        def h(x):
            return np.sum(bb(x) * x)
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{tmp_path / 'viamod.py'}:f") == 0
        assert run("grad", f"{tmp_path / 'viamod.py'}:g", "--wrt", "lr", "-o",
                   str(tmp_path / "viamod_g.py")) == 0
        assert run("grad", f"{tmp_path / 'plainmod.py'}:h") == 0
    finally:
        sys.path.remove(str(tmp_path))
    got = without_srcad("""
        import json
        import numpy as np
        from plainmod_grad import grad_h
        from viamod_grad import grad_f
        from viamod_g import grad_g
        x = np.array([0.3, 0.5])
        try:
            grad_g(0.1, x)
            needs = "no error"
        except ImportError as exc:
            needs = str(exc)
        print(json.dumps([grad_h(x).tolist(), grad_f(x).tolist(), needs]))
    """, tmp_path)
    np.testing.assert_allclose(got[0], [1.2, 2.0])
    np.testing.assert_allclose(got[1], [6.0, 10.0])
    assert "needs srcad" in got[2]


def test_graph_of_a_call_of_a_function_whose_value_is_an_array(tmp_path, capsys):
    """The edge of a call was labelled with srcad.grad of the callee, which refuses an array
    value: 'grad needs double to return a scalar' (helper-107). Its local derivative is a
    Jacobian, labelled as a rule's of arrays is; a callee's number still gets its number."""
    path = module(tmp_path, "gcall", """
        import numpy as np

        def double(x):
            return x * 2.0

        def cube(t):
            return t ** 3

        def f(x, t):
            return np.sum(double(x)) + cube(t)
    """)
    assert run("graph", f"{path}:f", "--args", "[1.0, 2.0], 0.5") == 0
    dot = capsys.readouterr().out
    assert '"v_m1" -> "v_1" [label="", tooltip="d double / d x"]' in dot
    edges = {(m.group(1), m.group(2)): m.group(3) for m in map(EDGE.match, dot.splitlines())
             if m}
    assert float(edges[("v_0", "v_3")]) == 3 * 0.5 ** 2


def test_graph_of_a_function_reading_a_module_constant(tmp_path, capsys):
    """The rule's partials were evaluated without the module's names: NameError (helper-42)."""
    path = module(tmp_path, "gconst", """
        K = 3.0

        def f(x):
            return x * K
    """)
    assert run("graph", f"{path}:f", "--args", "1.0") == 0
    assert "3" in capsys.readouterr().out


def test_defaults_of_decorated_functions_in_a_file(tmp_path, capsys):
    """A default of a function decorated with @srcad.grad or a functools.wraps wrapper was
    written as the expression (`arr=model.W`), read when the file was imported: `W` bound
    again after the def gave other numbers (helper-44). The file reads it through the
    decorator: `model.f.primal.__defaults__[0]`, `model.g.__wrapped__.__defaults__[0]`."""
    path = module(tmp_path, "decodefaults", """
        import functools
        import numpy as np
        import srcad

        W = np.array([1.0, 2.0, 3.0])

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @srcad.grad
        def f(x, arr=W):
            return np.sum(x * arr)

        @logged
        def g(x, arr=W):
            return np.sum(x * arr)

        W = np.zeros(3)
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("grad", f"{path}:f,g") == 0
    finally:
        sys.path.remove(str(tmp_path))
    got = without_srcad("""
        import json
        import numpy as np
        from decodefaults_grad import grad_f, grad_g
        x = np.ones(3)
        print(json.dumps([grad_f(x).tolist(), grad_g(x).tolist()]))
    """, tmp_path)
    assert got == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_a_standalone_file_saves_a_copy_of_what_a_slice_write_replaces(tmp_path):
    """The file's derivative takes arguments of any kind: it saved `u[1:3]` as it was, a
    view that the write then changed (a wrong gradient without a word, helper-74's
    `u[...] = u * x` through a derivative object called in a function)."""
    module(tmp_path, "slices", """
        import numpy as np

        def f(x):
            u = x * 1.0
            u[1:3] = u[1:3] * x[1:3]
            return np.sum(u ** 2)

        def g(x):
            u = x * 1.0
            u[...] = u * x
            return np.sum(u ** 2)
        """)
    assert run("grad", tmp_path / "slices.py:f", "-o", tmp_path / "f_grad.py") == 0
    assert run("grad", tmp_path / "slices.py:g", "-o", tmp_path / "g_grad.py") == 0
    run_without_srcad(tmp_path, textwrap.dedent("""
        import numpy as np
        import f_grad, g_grad
        x = np.array([0.3, -0.5, 0.8, 1.2])
        expected = 2 * x
        expected[1:3] = 4 * x[1:3] ** 3
        assert np.allclose(f_grad.grad_f(x.copy()), expected), f_grad.grad_f(x)
        assert np.allclose(g_grad.grad_g(x.copy()), 4 * x ** 3)
        """))


def test_a_partial_called_in_the_function_is_no_standalone_file(tmp_path, capsys):
    """A module-level functools.partial called inside the function works in a program; a
    `srcad grad` file cannot reach its bound values: the error says so, not srcad's names
    for the function it writes for the partial (helper-77)."""
    module(tmp_path, "bound", """
        import functools
        import numpy as np

        def loss(w, X):
            return np.sum((X @ w) ** 2)

        LOSS = functools.partial(loss, X=np.eye(2))

        def total(w):
            return LOSS(w) + np.sum(w ** 2)
        """)
    assert run("grad", tmp_path / "bound.py:total") == 2
    err = capsys.readouterr().err
    assert "a functools.partial of loss is called" in err and "_p_" not in err


def test_a_file_for_any_arguments_refuses_one_with_operators_of_its_own(tmp_path, capsys):
    """helper-83: the file made without --args took an np.matrix argument, or an object
    whose class defines __rmul__, for an array ([3, 10, 3, 10] for [4.5, 5, 8, 8.5]), where
    srcad.grad refuses them. Its code checks such arguments where they meet an operator."""
    path = module(tmp_path, "operands", """
        import numpy as np


        def f(M):
            return np.sum(np.asarray(M * M))
        """)
    assert run("grad", f"{path}:f") == 0
    text = (tmp_path / "operands_grad.py").read_text()
    assert "    check_plain_operand(M, 'M', 'f')\n" in text
    found = without_srcad("""
        import json, warnings
        import numpy as np, operands_grad as G
        warnings.simplefilter("ignore")
        A = np.array([[1.0, 2.0], [0.5, 3.0]])
        found = [G.grad_f(A).tolist()]
        try:
            G.grad_f(np.matrix(A))
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    A = np.array([[1.0, 2.0], [0.5, 3.0]])
    assert np.allclose(found[0], 2 * A)
    assert len(found) == 2 and "numpy.matrix, which brings its operators" in found[1]


def test_a_forward_file_refuses_a_tangent_not_shaped_like_its_argument(tmp_path):
    """helper-102: jvp_f(x, y, 1.0) for an array y broadcast the tangent (the derivative
    along ones, where srcad.jvp refuses it), a list [1.0, 1.0, 1.0] was taken for an array,
    and a (2, 3) tangent raised a bare ValueError inside NumPy. The file checks each
    tangent's structure and shape as srcad.jvp does."""
    path = module(tmp_path, "tangents", """
        import numpy as np


        def f(x, y):
            return np.sum(np.sin(x) * y) + x[0] ** 2
        """)
    assert run("grad", f"{path}:f", "--wrt", "y", "--mode", "forward") == 0
    found = without_srcad("""
        import json
        import numpy as np, tangents_grad as G
        x, y = np.array([0.3, 0.5, 0.7]), np.array([1.0, 2.0, 3.0])
        found = [float(G.jvp_f(x, y, np.array([0.0, 1.0, 0.0]))[1])]
        for t in (1.0, [1.0, 1.0, 1.0], np.ones((2, 3))):
            try:
                found.append(float(G.jvp_f(x, y, t)[1]))
            except TypeError as exc:
                found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[0] == pytest.approx(np.sin(0.5))
    for given, refusal in zip(("shape ()", "a list of 3", "shape (2, 3)"), found[1:]):
        assert isinstance(refusal, str) and refusal.startswith(
            f"srcad: jvp_f needs the tangent of y shaped like the argument: shape (3,), not "
            f"{given}")


def test_a_forward_file_for_any_arguments_refuses_one_with_operators_of_its_own(tmp_path):
    """helper-102: the forward file (--mode forward) checked no argument, so that `A ** 2`
    of an np.matrix (a matrix power) had the tangent 2 A T of an elementwise square: 8.0
    for the 5.0 of central differences, where srcad.jvp refuses the matrix. It checks its
    arguments as the reverse file does."""
    path = module(tmp_path, "powers", """
        import numpy as np


        def f(A):
            B = A ** 2
            return B[0, 1]
        """)
    assert run("grad", f"{path}:f", "--mode", "forward") == 0
    text = (tmp_path / "powers_grad.py").read_text()
    assert "    check_plain_operand(A, 'A', 'f')\n" in text
    found = without_srcad("""
        import json
        import numpy as np, powers_grad as G
        A = np.array([[1.0, 2.0], [3.0, 4.0]])
        T = np.array([[0.0, 1.0], [0.0, 0.0]])
        found = [float(G.jvp_f(A, T)[1])]
        try:
            G.jvp_f(np.matrix(A), np.matrix(T))
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    T = np.array([[0.0, 1.0], [0.0, 0.0]])
    eps = 1e-6
    central = (((A + eps * T) ** 2)[0, 1] - ((A - eps * T) ** 2)[0, 1]) / (2 * eps)
    assert found[0] == pytest.approx(central, rel=1e-7)
    assert len(found) == 2 and "numpy.matrix, which brings its operators" in found[1]


def test_a_file_checks_what_a_helper_gives_an_operator(tmp_path):
    """helper-92: a helper's value, known only when it runs, is checked where it comes
    (`check_plain_result`): an np.matrix that a helper returns was taken for an array."""
    path = module(tmp_path, "helped", """
        import numpy as np

        W = np.array([[1.0, 2.0], [0.5, 3.0]])


        def weights():
            return W


        def f(x):
            return np.sum(np.sin(weights() * x))
        """)
    assert run("grad", f"{path}:f") == 0
    text = (tmp_path / "helped_grad.py").read_text()
    assert "check_plain_result(" in text
    found = without_srcad("""
        import json, warnings
        import numpy as np, helped, helped_grad as G
        warnings.simplefilter("ignore")
        x = np.array([[0.3, 0.7], [-0.2, 0.4]])
        found = [G.grad_f(x).tolist()]
        G.W = helped.W = np.matrix(helped.W)
        try:
            G.grad_f(x)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    W = np.array([[1.0, 2.0], [0.5, 3.0]])
    x = np.array([[0.3, 0.7], [-0.2, 0.4]])
    assert np.allclose(found[0], W * np.cos(W * x))
    assert len(found) == 2 and "the value of weights() is a numpy.matrix" in found[1]


def test_a_file_for_any_arguments_refuses_an_item_with_operators_of_its_own(tmp_path):
    """helper-90: the file made without --args took a dict (or a list) holding an
    np.matrix for one of arrays: grad_f(p, x) gave a number for p's gradient (0.336),
    where srcad.grad refuses. It checks what the arithmetic takes from its arguments."""
    path = module(tmp_path, "held", """
        import numpy as np


        def f(p, x):
            return np.sum((p["A"] @ x) ** 2)


        def g(mats, x):
            return np.sum((mats[0] @ x) ** 2)
        """)
    assert run("grad", f"{path}:f,g", "--wrt", "x") == 0
    found = without_srcad("""
        import json, warnings
        import numpy as np, held_grad as G
        warnings.simplefilter("ignore")
        A = np.array([[1.0, 2.0], [0.5, 3.0]])
        x = np.array([0.3, -0.7])
        found = [G.grad_f({"A": A}, x).tolist(), G.grad_g([A], x).tolist()]
        for call in (lambda: G.grad_f({"A": np.matrix(A)}, x),
                     lambda: G.grad_g([np.matrix(A)], x)):
            try:
                call()
            except TypeError as exc:
                found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    A = np.array([[1.0, 2.0], [0.5, 3.0]])
    x = np.array([0.3, -0.7])
    assert np.allclose(found[0], 2 * A.T @ (A @ x))
    assert np.allclose(found[1], 2 * A.T @ (A @ x))
    assert len(found) == 4
    assert all("holds a numpy.matrix, which brings its operators" in text
               for text in found[2:])


def test_a_file_checks_the_value_where_a_global_number_may_become_an_array(tmp_path):
    """helper-90: a file made with --args for `np.sum(W * x) + B * x` (B a module-level
    number) left out the check that the value is a number; B bound to an array afterwards
    made grad_f return an array (a Jacobian) for a float x."""
    path = module(tmp_path, "globalb", """
        import numpy as np

        W = np.array([1.0, 2.0])
        B = 3.0


        def f(x):
            return np.sum(W * x) + B * x
        """)
    assert run("grad", f"{path}:f", "--args", "2.0") == 0
    found = without_srcad("""
        import json
        import numpy as np, globalb, globalb_grad as G
        found = [G.grad_f(2.0)]
        globalb.B = np.array([1.0, 2.0])
        try:
            G.grad_f(2.0)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[0] == pytest.approx(6.0)
    assert len(found) == 2 and "to return a scalar" in found[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_file_checks_a_module_array_that_may_become_a_matrix(mode, tmp_path):
    """helper-102: the file reads the module's W when it runs; bound to an np.matrix
    afterwards, `W * x` and `W ** 2` became matrix products and the reverse file's gradient
    was [1.8, 0.4, 5.8, 4.4] for the [1, 1, -1.8, -1.8] of central differences (srcad.grad
    refuses the matrix). The file checks such values as it checks its arguments."""
    path = module(tmp_path, "weights", """
        import numpy as np

        W = np.array([[1.0, 2.0], [3.0, 4.0]])


        def f(x):
            return np.sum((W * x) ** 2)


        def g(x):
            return np.sum(W ** 2 * x)
        """)
    assert run("grad", f"{path}:f,g", "--mode", mode) == 0
    text = (tmp_path / "weights_grad.py").read_text()
    assert "    check_plain_operand(weights.W, 'W', 'f')\n" in text
    found = without_srcad(f"""
        import json
        import numpy as np, weights, weights_grad as G
        x = np.array([[0.5, 0.2], [-1.0, 0.3]])
        def gradient(name):
            if {mode!r} == "reverse":
                return getattr(G, "grad_" + name)(x).ravel().tolist()
            return [float(getattr(G, "jvp_" + name)(x, e.reshape(2, 2))[1]) for e in np.eye(4)]
        found = [gradient("f"), gradient("g")]
        weights.W = np.matrix(weights.W)
        for name in "fg":
            try:
                found.append(gradient(name))
            except TypeError as exc:
                found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    loaded = load(path)
    x, eps = np.array([[0.5, 0.2], [-1.0, 0.3]]), 1e-6
    for name, gradient in zip("fg", found[:2]):
        central = [(loaded[name](x + eps * e.reshape(2, 2)) - loaded[name](x - eps * e.reshape(2, 2)))
                   / (2 * eps) for e in np.eye(4)]
        assert np.allclose(gradient, central)
    for name, refusal in zip("fg", found[2:]):
        assert isinstance(refusal, str) and f"{name} computes with W by operators" in refusal
        assert "numpy.matrix, which brings its operators" in refusal


def test_rough_edges_of_the_command_line_are_clear_errors(tmp_path, capsys):
    """helper-90: -o naming a folder (IsADirectoryError), a folder srcad cannot write into
    (the temporary file's name), --wrt '' (taken for no --wrt), a complex --args (refused
    for its value), arguments the function fails on (NumPy's TypeError)."""
    path = module(tmp_path, "edges", """
        import numpy as np


        def f(x, y):
            return np.sin(x) * y
        """)
    (tmp_path / "folder").mkdir()
    cases = [(["-o", str(tmp_path / "folder"), "--force"], "it is a folder"),
             (["-o", "/proc/edges_grad.py"], "cannot write /proc/edges_grad.py"),
             (["--wrt", ""], "--wrt names no parameter"),
             (["--args", "1j, 2.0"], "is a complex number"),
             (["--args", "'s', 2.0"], "f fails on these arguments")]
    for extra, words in cases:
        capsys.readouterr()
        assert run("grad", f"{path}:f", *extra) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and ".tmp" not in err


def test_a_file_using_the_linear_algebra_and_statistics_rules_runs_without_srcad(tmp_path):
    """The helpers of svd, pinv, cov, corrcoef and polyfit (twentieth session) are copied
    into the file, which gives srcad.grad's gradient without srcad."""
    path = module(tmp_path, "stats", """
        import numpy as np


        def f(X, y):
            U, s, Vh = np.linalg.svd(X, full_matrices=False)
            fit = np.polyfit(X[:, 0], y, 1)
            return (np.sum(s ** 3) + np.sum(np.linalg.pinv(X) ** 2) + np.sum(np.cov(X.T))
                    + np.sum(np.corrcoef(X.T) ** 2) + np.sum(fit ** 2))
        """)
    assert run("grad", f"{path}:f", "--wrt", "0,1") == 0
    found = without_srcad("""
        import json
        import numpy as np, stats_grad as G
        X = np.arange(12.0).reshape(4, 3) ** 1.5 / 7 + np.eye(4, 3)
        y = np.array([0.5, -1.0, 2.0, 0.3])
        print(json.dumps([g.tolist() for g in G.grad_f(X, y)]))
        """, tmp_path)
    X = np.arange(12.0).reshape(4, 3) ** 1.5 / 7 + np.eye(4, 3)
    y = np.array([0.5, -1.0, 2.0, 0.3])
    f = runpy.run_path(str(path))["f"]
    for got, want in zip(found, srcad.grad(f, wrt=(0, 1))(X, y)):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_standalone_files_through_sorted_loops_list_inserts_and_unzips(tmp_path):
    """`for k, v in sorted(d.items())`, `xs.insert(i, v)`, `a, b = zip(*pairs)` and
    `xs.pop(i)` in files that run without srcad (their helpers, insertion_index,
    without_item, transposed and untransposed, popped_index, inserted_back, are copied in): the gradients match central differences of the functions
    themselves."""
    module(tmp_path, "lists", """
        def by_keys(x, d):
            s = 0.0
            for k, v in sorted(d.items()):
                s = s * x + v
            return s


        def inserted(x):
            xs = [x, 2.0 * x]
            for i in range(3):
                xs.insert(-1, xs[0] * x)
            return xs[0] + xs[1] * xs[-1]


        def unzipped(x):
            pairs = [(x, 2.0), (x * x, 3.0)]
            a, b = zip(*pairs)
            return a[0] * b[1] + a[1] * b[0]


        def popped(x):
            queue = [x, 2.0 * x, x * x]
            s = 0.0
            for i in range(4):
                v = queue.pop(i - 2)
                s = s + v * queue[0]
                queue.append(v * x)
            return s
        """)
    for name in ("by_keys", "inserted", "unzipped", "popped"):
        assert run("grad", f"{tmp_path / 'lists.py'}:{name}", "-o",
                   tmp_path / f"{name}_grad.py") == 0
    got = without_srcad("""
        import json
        import lists
        from by_keys_grad import grad_by_keys
        from inserted_grad import grad_inserted
        from unzipped_grad import grad_unzipped
        from popped_grad import grad_popped
        def slope(f, *rest):
            return (f(0.7 + 1e-6, *rest) - f(0.7 - 1e-6, *rest)) / 2e-6
        d = {"b": 2.0, "a": 3.0, "c": -1.0}
        print(json.dumps([[grad_by_keys(0.7, d), slope(lists.by_keys, d)],
                          [grad_inserted(0.7), slope(lists.inserted)],
                          [grad_unzipped(0.7), slope(lists.unzipped)],
                          [grad_popped(0.7), slope(lists.popped)]]))
    """, tmp_path)
    for analytic, numeric in got:
        assert analytic == pytest.approx(numeric, rel=1e-6)


def test_a_file_of_assignment_expressions(tmp_path, capsys):
    """`:=` in a `while` test and an `if` test: the standalone file gives the gradient of
    central differences (the binding of the last, failing test read after the loop)."""
    path = module(tmp_path, "walrus", """
        import numpy as np

        def f(x):
            steps = 0
            while (r := np.sin(x) * x) > 0.05:
                x = x * 0.7
                steps += 1
            if (y := r * x) > 0.0:
                return y + steps * x
            return r
        """)
    assert run("grad", f"{path}:f") == 0
    text = (tmp_path / "walrus_grad.py").read_text()
    assert "# line 6: while (r := np.sin(x) * x) > 0.05:" in text
    ns = runpy.run_path(str(tmp_path / "walrus_grad.py"))
    sys.path.insert(0, str(tmp_path))
    try:
        f = runpy.run_path(str(path))["f"]
    finally:
        sys.path.remove(str(tmp_path))
    for x in (1.3, -0.9):
        numeric = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        assert ns["grad_f"](x) == pytest.approx(numeric, rel=1e-6)


def test_a_file_checks_the_value_where_a_number_read_through_attributes_may_become_an_array(
        tmp_path):
    """As a global number's (above): `CFG.b` read as a number, and bound to an array after
    the file was written, would have made grad_f return an array for a float x."""
    path = module(tmp_path, "globalattr", """
        import numpy as np


        class Config:
            b = 3.0


        CFG = Config()


        def f(x):
            return x * x + CFG.b * x
        """)
    assert run("grad", f"{path}:f", "--args", "2.0") == 0
    found = without_srcad("""
        import json
        import numpy as np, globalattr, globalattr_grad as G
        found = [G.grad_f(2.0)]
        globalattr.CFG.b = np.array([1.0, 2.0])
        try:
            G.grad_f(2.0)
        except TypeError as exc:
            found.append(str(exc))
        print(json.dumps(found))
        """, tmp_path)
    assert found[0] == pytest.approx(7.0)
    assert len(found) == 2 and "to return a scalar" in found[1]


# ----- modules in packages -----


def package(tmp_path, files):
    """A package under tmp_path: `files` maps paths such as "pkg/model.py" to source;
    every folder on the way gets an empty `__init__.py` unless `files` gives one."""
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for relative in files:
        folder = (tmp_path / relative).parent
        while folder != tmp_path:
            (folder / "__init__.py").touch(exist_ok=True)
            folder = folder.parent
    return tmp_path


def imported(root, name):
    """The module `name` imported from the folder `root`, with `sys.modules` restored
    (the next test's package may be called the same)."""
    import importlib
    top = name.partition(".")[0]
    before = {k: v for k, v in sys.modules.items() if k == top or k.startswith(top + ".")}
    for key in before:
        del sys.modules[key]
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(root))
        for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
            del sys.modules[key]
        sys.modules.update(before)


PACKAGED = {
    "pkg/helpers.py": """
        import numpy as np

        SCALE = 2.0


        def act(x):
            return np.tanh(x) * SCALE
        """,
    "pkg/model.py": """
        import numpy as np

        from . import helpers
        from .helpers import act


        def loss(w, x):
            return np.sum(act(w * x)) + helpers.SCALE * np.sum(w ** 2)
        """,
}


def packaged_gradient_without_srcad(root, module):
    """`grad_loss` of the file `module`_grad, imported by its dotted name in a fresh
    interpreter where srcad cannot be imported, at w = [0.3, -0.2], x = [1, 2]."""
    return without_srcad(f"""
        import json
        import numpy as np
        import {module}_grad as derived
        g = derived.grad_loss(np.array([0.3, -0.2]), np.array([1.0, 2.0]))
        print(json.dumps(np.asarray(g).tolist()))
        """, root)


@pytest.mark.parametrize("layout", ["relative", "absolute", "nested"])
def test_grad_of_a_module_in_a_package(layout, tmp_path, capsys):
    """A module of a package is imported as pkg.model (its relative imports work) and its
    file imports it so: `import pkg.model_grad` from the folder above the package, without
    srcad, gives srcad.grad's numbers."""
    files = dict(PACKAGED)
    if layout == "absolute":
        files["pkg/model.py"] = files["pkg/model.py"].replace(
            "from . import helpers", "import pkg.helpers as helpers").replace(
            "from .helpers", "from pkg.helpers")
    dotted = "pkg.model"
    if layout == "nested":
        files = {"pkg/sub/" + k[4:]: v for k, v in files.items()}
        dotted = "pkg.sub.model"
    root = package(tmp_path, files)
    path = root / (dotted.replace(".", "/") + ".py")
    assert run("grad", f"{path}:loss") == 0
    text = (path.parent / "model_grad.py").read_text()
    assert f"from {dotted} import act" in text
    assert "from model import" not in text and "from . import" not in text
    expected = srcad.grad(imported(root, dotted).loss)(np.array([0.3, -0.2]),
                                                       np.array([1.0, 2.0]))
    assert packaged_gradient_without_srcad(root, dotted) == pytest.approx(
        expected.tolist(), rel=1e-12)
    assert "pkg" not in sys.modules and dotted not in sys.modules


def test_show_check_and_trace_of_a_module_in_a_package(tmp_path, capsys):
    root = package(tmp_path, PACKAGED)
    path = root / "pkg" / "model.py"
    assert run("show", f"{path}:loss", "--color", "never") == 0
    assert "def grad_loss" in capsys.readouterr().out
    assert run("check", f"{path}:loss", "--args", "[0.3, -0.2], [1.0, 2.0]") == 0
    assert "ok: worst error" in capsys.readouterr().out
    assert run("trace", f"{path}:loss", "--args", "[0.3, -0.2], [1.0, 2.0]", "--wrt",
               "w") == 0
    out = capsys.readouterr().out
    expected = srcad.grad(imported(root, "pkg.model").loss)(np.array([0.3, -0.2]),
                                                            np.array([1.0, 2.0]))
    assert f"{expected[0]:.6g}" in out and f"{expected[1]:.6g}" in out


def test_two_packages_of_one_name_one_after_the_other(tmp_path, capsys):
    """The command forgets the package it imported: another package named pkg (another
    folder) is imported afresh, and a module pkg of the caller's is back afterwards."""
    marker = type(sys)("pkg")
    sys.modules["pkg"] = marker
    try:
        for k, scale in enumerate((2.0, 3.0)):
            files = {name: text.replace("SCALE = 2.0", f"SCALE = {scale}")
                     for name, text in PACKAGED.items()}
            root = package(tmp_path / str(k), files)
            assert run("grad", f"{root / 'pkg' / 'model.py'}:loss") == 0
            g = packaged_gradient_without_srcad(root, "pkg.model")
            w, x = np.array([0.3, -0.2]), np.array([1.0, 2.0])
            exact = scale * x / np.cosh(w * x) ** 2 + 2 * scale * w
            assert g == pytest.approx(exact.tolist(), rel=1e-12)
        assert sys.modules["pkg"] is marker
    finally:
        sys.modules.pop("pkg", None)


def test_a_relative_import_outside_a_package_hints_at_init(tmp_path, capsys):
    (tmp_path / "helpers.py").write_text("def act(x):\n    return 2 * x\n")
    path = module(tmp_path, "model", """
        from .helpers import act


        def loss(x):
            return act(x)
        """)
    assert run("grad", f"{path}:loss") == 2
    err = capsys.readouterr().err
    assert "attempted relative import" in err and "add an __init__.py" in err


def test_a_package_folder_that_is_no_identifier_is_a_clear_error(tmp_path, capsys):
    root = package(tmp_path, {"my-pkg/model.py": "def f(x):\n    return x * x\n"})
    assert run("grad", f"{root / 'my-pkg' / 'model.py'}:f") == 2
    err = capsys.readouterr().err
    assert "'my-pkg' is not a valid package name" in err and "rename the folder" in err
