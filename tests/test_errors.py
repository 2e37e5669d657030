"""Unsupported constructs and API misuse raise srcad's own errors, which name
the file and the line (SPEC section 4): never a bare KeyError/AttributeError."""
import inspect
import os

import numpy as np
import pytest

import srcad

THIS_FILE = os.path.basename(__file__)
G = 0.0


def line_of(fn, needle):
    """The absolute line number of the first line of `fn` containing `needle`."""
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if needle in text:
            return first + k
    raise AssertionError(f"{needle!r} not in {fn.__name__}")


def raises_located(fn, needle, error=srcad.UnsupportedError, args=(1.0,), wrt=0):
    """Assert that differentiating `fn` raises `error` naming this file and the line
    holding `needle`; return the error."""
    with pytest.raises(error) as info:
        srcad.grad(fn, wrt=wrt)(*args)
    err = info.value
    assert isinstance(err, srcad.SrcadError)
    message = str(err)
    line = line_of(fn, needle)
    assert THIS_FILE in message, message
    assert f":{line}" in message or f"line {line}" in message, (line, message)
    return err


# ----- unsupported constructs -----


def uses_try(x):
    y = x * 2.0
    try:
        y = y * x
    except ValueError:
        y = 0.0
    return y


def uses_with(x):
    y = x * 2.0
    with open(os.devnull) as fh:
        y = y * x
    return y


def uses_yield(x):
    y = x * 2.0
    yield y


def uses_global(x):
    global G
    G = x * 2.0
    return G * x


def outer_with_nonlocal(x):
    c = 1.0

    def inner(y):
        nonlocal c
        c = y
        return y
    return inner


nonlocal_writer = outer_with_nonlocal(1.0)


async def uses_async(x):
    return x * 2.0


def uses_nested_def(x):
    def square(z):
        for _ in range(2):        # (a def of assignments and a return is inlined)
            z = z * z
        return z
    return square(x) + x


def uses_class_def(x):
    class Box:
        pass
    return x * 2.0


def uses_star_args(*args):
    return args[0] * args[1]


def uses_star_kwargs(x, **kw):
    return x * kw["a"]


def uses_missing_rule(x):
    y = x * 2.0
    return np.sum(np.fft.fft(y).real)


def vector_output(x):
    return np.sin(x)


def named_params(x, w):
    return np.sum(x * w)


def test_try_is_unsupported():
    err = raises_located(uses_try, "try:")
    assert "try" in str(err)


def test_with_is_unsupported():
    err = raises_located(uses_with, "with open")
    assert "with" in str(err)


def test_yield_is_unsupported():
    err = raises_located(uses_yield, "yield y")
    assert "yield" in str(err) or "generator" in str(err)


def test_global_is_unsupported():
    err = raises_located(uses_global, "global G")
    assert "global" in str(err)


def test_nonlocal_is_unsupported():
    err = raises_located(nonlocal_writer, "nonlocal c")
    assert "nonlocal" in str(err)


def test_async_is_unsupported():
    err = raises_located(uses_async, "async def")
    assert "async" in str(err)


def test_nested_function_definition_is_unsupported():
    err = raises_located(uses_nested_def, "def square")
    assert "hint" in str(err)


def test_class_definition_is_unsupported():
    raises_located(uses_class_def, "class Box")


def test_star_args_is_unsupported():
    err = raises_located(uses_star_args, "def uses_star_args", args=(1.0, 2.0))
    assert "*args" in str(err) or "var" in str(err).lower()


def test_star_kwargs_is_unsupported():
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(uses_star_kwargs)(1.0, a=2.0)
    assert THIS_FILE in str(info.value)


def test_missing_rule_names_adjoint():
    err = raises_located(uses_missing_rule, "np.fft.fft", error=srcad.MissingRuleError,
                         args=(np.ones(4),))
    assert isinstance(err, srcad.UnsupportedError)
    assert "@srcad.adjoint" in str(err)
    assert "fft" in str(err)


def test_error_shows_source_line_and_caret():
    err = raises_located(uses_with, "with open")
    text = str(err)
    assert "with open(os.devnull) as fh:" in text
    assert "^" in text


# ----- functions without source -----


def test_lambda_without_source():
    fn = eval("lambda x: x * x")
    with pytest.raises(srcad.SourceError) as info:
        srcad.grad(fn)(1.0)
    assert isinstance(info.value, srcad.SrcadError)
    assert "lambda" in str(info.value)


def test_exec_defined_function():
    ns = {}
    exec("def made_by_exec(x):\n    return x * x\n", ns)
    with pytest.raises(srcad.SourceError) as info:
        srcad.grad(ns["made_by_exec"])(1.0)
    assert "made_by_exec" in str(info.value)


def test_builtin_function():
    with pytest.raises(srcad.SourceError):
        srcad.grad(np.sin)(1.0)


# ----- API misuse -----


def test_unknown_wrt_name():
    with pytest.raises(srcad.WrtError) as info:
        srcad.grad(named_params, wrt="z")(np.ones(2), np.ones(2))
    assert "'z'" in str(info.value) or "z" in str(info.value)
    assert "x" in str(info.value) and "w" in str(info.value)


def test_wrt_index_out_of_range():
    with pytest.raises(srcad.WrtError):
        srcad.grad(named_params, wrt=2)(np.ones(2), np.ones(2))
    with pytest.raises(srcad.WrtError):
        srcad.grad(named_params, wrt=-3)(np.ones(2), np.ones(2))
    with pytest.raises(srcad.WrtError):
        srcad.grad(named_params, wrt=(0, "nope"))(np.ones(2), np.ones(2))


def test_wrt_errors_are_srcad_errors():
    assert issubclass(srcad.WrtError, srcad.SrcadError)
    assert issubclass(srcad.UnsupportedError, srcad.SrcadError)
    assert issubclass(srcad.MissingRuleError, srcad.UnsupportedError)
    assert issubclass(srcad.SourceError, srcad.SrcadError)
    assert issubclass(srcad.NonScalarOutputError, srcad.SrcadError)


def test_non_scalar_output_names_vjp_and_jacobian():
    with pytest.raises(srcad.NonScalarOutputError) as info:
        srcad.grad(vector_output)(np.ones(3))
    text = str(info.value)
    assert "vjp" in text and "jacobian" in text
    assert "(3,)" in text


def squeezed(x):
    return np.squeeze(x) * 2.0


def test_output_check_follows_shapes_after_repeated_calls():
    # calls with arguments seen before skip the checks; a new shape must not
    g = srcad.grad(squeezed)
    for _ in range(2):
        assert np.allclose(g(np.ones((1, 1))), 2.0)
    with pytest.raises(srcad.NonScalarOutputError):
        g(np.ones((2, 1)))
    assert np.allclose(g(np.ones((1, 1))), 2.0)


def value_chosen_by_an_argument(x, s):
    if s > 1.0:
        return x * np.array([1.0, 2.0, 3.0])
    return x * x


def value_chosen_by_a_count(x, n):
    return x * 2.0 if n > 0 else np.sum(x * x)


def test_output_check_follows_values_after_repeated_calls():
    """A number at the first call, an array later, with arguments of the same types (helper-49):
    the quick paths gave the gradient of its sum; the gradient checks where the analysis does
    not show that the value is a number."""
    for make, extra in ((srcad.grad, ()), (srcad.hessian, ()), (srcad.hvp, (1.0,))):
        d = make(value_chosen_by_an_argument)
        for _ in range(2):
            assert d(2.0, 0.5, *extra) == pytest.approx(4.0 if make is srcad.grad else 2.0)
        with pytest.raises(srcad.NonScalarOutputError, match=r"shape \(3,\)"):
            d(2.0, 3.0, *extra)
    d = srcad.grad(value_chosen_by_a_count)
    for _ in range(2):
        assert d(np.ones(3), 0) == pytest.approx(2.0 * np.ones(3))
    with pytest.raises(srcad.NonScalarOutputError, match=r"shape \(3,\)"):
        d(np.ones(3), 1)


def test_a_value_shown_to_be_a_number_is_not_checked_again():
    """The generated gradient checks its value only where the analysis cannot tell."""
    for f, args in ((sum_of_cubes, (np.ones(3),)), (value_chosen_by_a_count, (np.ones(3), 0))):
        d = srcad.grad(f)
        d(*args)
        assert ("check_output" in d.source) == (f is value_chosen_by_a_count)


def sum_of_cubes(x):
    return np.sum(x ** 3)


def test_integer_arrays_are_promoted_after_float_calls():
    g = srcad.grad(sum_of_cubes)
    for _ in range(2):
        assert np.allclose(g(np.array([1.0, 2.0])), [3.0, 12.0])
    for _ in range(2):
        out = g(np.array([1, 2]))
        assert out.dtype == np.float64 and np.allclose(out, [3.0, 12.0])


class Tagged(np.ndarray):
    """An ndarray subclass: calls with it are checked every time."""


def test_array_subclasses_are_checked_on_every_call():
    g = srcad.grad(squeezed)
    one = np.ones((1, 1)).view(Tagged)
    for _ in range(2):
        assert np.allclose(g(one), 2.0)
    with pytest.raises(srcad.NonScalarOutputError):
        g(np.ones((2, 1)).view(Tagged))


def weighted_cubes(x):
    return np.sum(np.ones_like(x) * x ** 3)


def test_float_fast_path_keeps_source_and_kinds_apart():
    g = srcad.grad(weighted_cubes)
    for _ in range(2):
        assert g(2.0) == 12.0
    scalar_source = g.source
    assert np.allclose(g(np.array([1.0, 2.0])), [3.0, 12.0])
    assert g.source != scalar_source   # only the array derivative may need to unbroadcast
    assert g(np.float64(2.0)) == 12.0 and g.source == scalar_source
    assert g(2) == 12.0            # an int: promoted on the checked path


def picks_an_item(x, i):
    return x[i] * 3.0


def index_or_flag(v):
    if v > 5.0:
        return v > 0
    return 1


def picks_by_a_helper(x):
    return x[index_or_flag(x[0])] * 2.0


def square_root(x):
    return x ** 0.5


def test_values_that_become_arrays_or_complex_on_later_calls_are_refused():
    """An int index, then a bool (x[True] is (1, n)); a helper that returns an int or a
    bool; a power of a negative float (complex): after a call whose value was a number,
    the gradient of a sum or a complex number came back (helper-52)."""
    x = np.array([1.0, 2.0, 3.0])
    g = srcad.grad(picks_an_item)
    assert g(x, 1) == pytest.approx([0.0, 3.0, 0.0])
    with pytest.raises(srcad.NonScalarOutputError):
        g(x, True)
    g = srcad.grad(picks_by_a_helper)
    assert g(x) == pytest.approx([0.0, 2.0, 0.0])
    with pytest.raises(srcad.NonScalarOutputError):
        g(np.array([6.0, 2.0, 3.0]))
    g = srcad.grad(square_root)
    assert g(4.0) == pytest.approx(0.25)
    with pytest.raises(srcad.NonScalarOutputError):
        g(-4.0)
