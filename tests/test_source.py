"""srcad reads a function's lines as `inspect.getsourcelines` does (it finds the end of the
definition without the tokenizer where that is safe): the same lines, the same first line
number, for awkward layouts and for every function of srcad and of the corpus."""
import importlib
import importlib.util
import inspect
import sys
import types

import numpy as np
import pytest

from srcad.source import _definition

AWKWARD = '''
import functools

def one_line(x): return x  # a comment
def column_zero_comment(x):
    y = x
# a comment at column 0 inside
    return y
    # a trailing comment as deep as the body: inspect keeps it
  # a shallower one: inspect leaves it
        # a deeper one: kept

# a module comment
@functools.lru_cache
def string_at_column_zero(x,
                          y=1):
    s = """
not indented
# a hash line
"""
    return s
def bracket_at_column_zero(x):
    return (x +
1)
def continued_at_column_zero(x):
    return x \\
+ 1
class K:
    def method(self, x):
        if x:
            return 1
        # trailing
    # between
    @staticmethod
    def static(x):
        return x
        # last
def hash_line_ends_a_string(x):
    t = """
    # end"""
    return t
def nested(x):
    def inner(y):
        return y
    # after inner
    return inner(x)
def tab_indented(x):
\treturn x
def comment_at_the_end(x):
    return x
    # end of file'''


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    folder = tmp_path_factory.mktemp("awkward")
    (folder / "awkward_layouts.py").write_text(AWKWARD)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("awkward_layouts")
    finally:
        sys.path.remove(str(folder))


def _functions(namespace, seen):
    for value in vars(namespace).values():
        value = value.__func__ if isinstance(value, staticmethod) else value
        value = inspect.unwrap(value) if hasattr(value, "__wrapped__") else value
        if isinstance(value, types.FunctionType) and value not in seen:
            seen.add(value)
            yield value
        elif isinstance(value, type) and value.__module__ == namespace.__name__:
            yield from _functions(value, seen)


def test_awkward_layouts_read_as_inspect_reads_them(awkward):
    functions = list(_functions(awkward, set()))
    assert len(functions) == 11
    for fn in functions:
        lines, first_line, _, _ = _definition(fn)
        assert (lines, first_line) == inspect.getsourcelines(fn), fn.__qualname__


@pytest.mark.parametrize("module", ["srcad.api", "srcad.normalise", "srcad.reverse",
                                    "srcad.optimize", "srcad.runtime", "srcad.cli",
                                    "programs", "fuzzgen", "rule_specs", "ast", "tokenize"])
def test_every_function_of_a_module_reads_as_inspect_reads_it(module):
    for fn in _functions(importlib.import_module(module), set()):
        if fn.__module__ == module and fn.__name__ != "<lambda>":
            lines, first_line, _, _ = _definition(fn)
            assert (lines, first_line) == inspect.getsourcelines(fn), fn.__qualname__


@pytest.mark.parametrize("now", ["import numpy as np\n\n\n\ndef f(x):\n    return x\n",
                                 "def other(x):\n    return 2 * x\n",
                                 "x = 1\n"])
def test_a_file_changed_after_loading_is_a_clear_error(tmp_path, now):
    """The lines Python points at are no longer the function's: a SourceError saying so,
    not a crash or the derivative of another function."""
    import os
    import srcad
    path = tmp_path / "changed_after_loading.py"
    path.write_text("def g(x):\n    return x * x\n")
    spec = importlib.util.spec_from_file_location("changed_after_loading", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.write_text(now)
    os.utime(path, (1, 1))    # another modification time: linecache reads the file again
    with pytest.raises(srcad.SourceError, match="changed after the function was loaded"):
        srcad.grad(module.g)


def renamed_by_hand(x):
    return x * x


renamed_by_hand.__name__ = "loss"


def test_a_function_whose_name_was_changed_still_reads():
    import srcad
    assert srcad.grad(renamed_by_hand)(3.0) == 6.0


# ----- lines that go on a string literal are the string's: never dedented or indented -----

class _Shifted:
    def f(self, x):
        s = """ab
        cd"""
        return x * x * len(s)


def _nested():
    def g(x):
        t = 'a\
        b'
        return np.sin(x) * len(t)
    return g


def test_a_methods_multiline_string_keeps_its_spaces():
    import srcad
    s = """ab
        cd"""
    assert srcad.grad(_Shifted().f)(1.5) == pytest.approx(2 * 1.5 * len(s))
    t = 'a\
        b'
    assert srcad.grad(_nested())(0.3) == pytest.approx(np.cos(0.3) * len(t))


def test_a_raised_message_spanning_lines_reads_as_written():
    """astor prints a long string with a newline as a triple-quoted one: compiling the
    derivative inside srcad's factory must not indent the string's second line."""
    import srcad

    def f(x):
        if x > 100.0:
            raise ValueError("too\nbig, much too big: the value is far beyond the range "
                             "this function takes")
        return x * x

    df = srcad.grad(f)
    assert df(3.0) == 6.0
    with pytest.raises(ValueError) as caught:
        df(200.0)
    assert str(caught.value).startswith("too\nbig, much")


def _helper_writing(out, x):
    out[0] = x[1] * 2.0


def _calls_the_helper(x):
    out = np.zeros(2)
    _helper_writing(out, x)

    return out[0] + x[0]


def test_told_line_is_the_file_line_and_the_text_of_each_statement():
    """What the `# line N: text` comment of each statement says (`told_line`): its file
    line and text, also for a helper's statements inlined into the function (their own
    file's line) and for a statement without a line."""
    import gast
    from srcad.api import intermediate
    ir = intermediate(_calls_the_helper)
    nodes = [n for n in gast.walk(ir.source.tree) if isinstance(n, gast.stmt)]
    assert any(getattr(n, "srcad_source", None) not in (None, ir.source) for n in nodes)
    for node in nodes + [gast.Pass()]:
        line, text = ir.source.told_line(node)
        assert text == ir.source.line_text(node)
        assert line == (ir.source.file_line(node) if text else None)
