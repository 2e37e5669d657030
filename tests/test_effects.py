"""What a user function srcad cannot normalise may change (srcad/effects.py), and the
refusals that follow where such a function is called with objects the derivative reads."""
import copy

import numpy as np
import pytest

import srcad
from srcad import effects

CACHE = {}


class Box:
    pass


def sets_an_attribute(obj, w):
    obj.v = w * 2.0
    return 0.0


def updates_a_dict(d, w):
    d.update(k=w * 2.0)
    return 0.0


def writes_through_a_name(obj, w):
    inner = obj.items
    for row in inner:
        row[0] = w
    return 0.0


def fills_a_module_dict(w):
    CACHE["w"] = w * 2.0
    return 0.0


def passes_on(obj, w):
    return sets_an_attribute(obj, w)


def keeps_everything(xs, w):
    out = []
    for x in xs:
        out.append(x * w)       # a local list grows: xs stays as it is
    y = np.sum(w) * 1.0
    try:
        y = y + float(len(xs))
    except TypeError:
        pass
    return y


def writes_a_copy(xs, w):
    ys = xs.copy()
    ys[0] = w
    scaled = w * 2.0
    scaled[0] = 1.0
    return 0.0


def uses_out(a, b):
    np.multiply(a, 2.0, out=b)
    return 0.0


def grows_a_list_of_its_items(xs, w):
    ys = list(xs)
    ys.append(w)                # a new list: xs stays as it is
    zs = tuple(ys)
    return 0.0


def writes_an_item_of_a_list_of_its_items(xs, w):
    ys = list(xs)
    ys[0][1] = w                # xs's own item
    return 0.0


@pytest.mark.parametrize("fn, expected", [
    (sets_an_attribute, {"obj"}), (updates_a_dict, {"d"}), (writes_through_a_name, {"obj"}),
    (fills_a_module_dict, {""}), (passes_on, {"obj"}), (keeps_everything, set()),
    (writes_a_copy, set()), (uses_out, {"b"}), (grows_a_list_of_its_items, set()),
    (writes_an_item_of_a_list_of_its_items, {"xs"})])
def test_what_a_function_may_change(fn, expected):
    assert set(effects.changes(fn)) == expected


def after_a_setter(w):
    b = Box()
    _ = sets_an_attribute(b, w)         # its result is not needed: nothing checked it
    return np.sum(b.v * w)


def after_an_update(w):
    d = {}
    _ = updates_a_dict(d, w)
    return np.sum(d["k"] * w)


def after_a_module_change(w):
    _ = fills_a_module_dict(w)
    return np.sum(CACHE["w"] * w)


def after_a_reader(w):
    xs = [w, 2.0 * w]
    _ = keeps_everything(xs, w)
    return np.sum(xs[0] * xs[1])


class Model:
    def __init__(self, W):
        self.W = W

    def store(self, w):
        self.W = self.W * np.sum(w)
        return 0.0

    def loss(self, w):
        _ = self.store(w)
        return np.sum(self.W @ w)


@pytest.mark.parametrize("f", [after_a_setter, after_an_update, after_a_module_change])
def test_a_call_whose_changes_srcad_cannot_follow_is_refused(f):
    """Each gave half the gradient: the helper's change of `b.v` (`d['k']`, a module
    dict) was a constant to srcad."""
    with pytest.raises(srcad.UnsupportedError, match="may change a value outside|in place"):
        srcad.grad(f)(np.array([0.3, 0.7]))


def test_a_method_that_changes_self_is_refused():
    model = Model(np.array([[1.0, 2.0], [0.5, -1.0]]))
    with pytest.raises(srcad.UnsupportedError, match="argument 'self' in place"):
        srcad.grad(model.loss)(np.array([0.3, 0.7]))


def test_a_call_that_changes_nothing_is_fine():
    w = np.array([0.3, 0.7])
    # xs[0] * xs[1] = 2 w**2: gradient 4 w
    np.testing.assert_allclose(srcad.grad(after_a_reader)(w), 4.0 * w)


def changes_an_item_of_a_copy(xs, w):
    ys = xs.copy()              # a new list holding xs's arrays
    ys[0][1] = w
    return 0.0


def hands_a_holder_on(xs, w):
    box = [xs]
    np.copyto(box[0], w)
    return 0.0


def test_items_of_a_copy_and_of_a_holder_are_the_arguments_objects():
    assert set(effects.changes(changes_an_item_of_a_copy)) == {"xs"}
    assert set(effects.changes(hands_a_holder_on)) == {"xs"}
    assert set(effects.changes(writes_a_copy)) == set()


def copies_through_the_library(x):
    xs = [x, x * 2.0]
    ys = copy.copy(xs)
    return ys[0] * ys[1]


def test_a_function_srcad_cannot_read_is_named_with_the_reason():
    """The refusal says why srcad cannot follow the call: what the function may change
    and why srcad cannot read it (copy.copy's `copier(x)`)."""
    with pytest.raises(srcad.UnsupportedError) as caught:
        srcad.grad(copies_through_the_library)(0.7)
    text = str(caught.value)
    assert "copy may change" in text and "cannot follow its code" in text
    assert "ys = copy.copy(xs)" in text
    assert "no derivative rule for copy.copy" in text       # (a library's function)


LOG = []
BUF = np.zeros(2)


def writes_it(b, w):
    b[0] = w[0] * 2.0
    return 0.0


def passes_it_on(b, w):
    return writes_it(b, w) * 0.0


def copies_into(b, w):
    scale = np.sum(w) * 0.0
    _ = np.copyto(b, w * 2.0)
    return scale


def multiplies_into(b, w):
    _ = np.multiply(w, 2.0, b)          # a positional out
    return 0.0


def appends_through_a_name(w):
    log = LOG
    log.append(w * 2.0)
    return 0.0


def writes_through_a_name(w):
    buf = BUF
    buf[0] = w[0] * 2.0
    return 0.0


def after_nested(w):
    b = np.zeros(2)
    _ = passes_it_on(b, w)
    return np.sum(b * w)


def after_copyto(w):
    b = np.zeros(2)
    _ = copies_into(b, w)
    return np.sum(b * w)


def after_positional_out(w):
    b = np.zeros(2)
    _ = multiplies_into(b, w)
    return np.sum(b * w)


def after_append(w):
    _ = appends_through_a_name(w)
    return np.sum(LOG[-1] * w)


def after_buffer(w):
    _ = writes_through_a_name(w)
    return np.sum(BUF * w)


@pytest.mark.parametrize("f", [after_nested, after_copyto, after_positional_out,
                               after_append, after_buffer])
def test_changes_by_calls_and_through_names_in_functions_srcad_can_read(f):
    """Functions srcad normalises: what their calls change (np.copyto, a positional out,
    a helper of their own) and what they change through a name bound to a module value
    went unseen: half the gradient (helper-36's round)."""
    with pytest.raises(srcad.UnsupportedError, match="may change"):
        srcad.grad(f)(np.array([0.3, 0.7]))


def recursive_writer(b, w, n):
    if n == 0:
        return 0.0
    b[n - 1] = w[0]
    return recursive_writer(b, w, n - 1)


def after_recursion(w):
    b = np.zeros(2)
    _ = recursive_writer(b, w, 2)
    return np.sum(b * w)


def test_a_recursive_helper_is_read_once():
    with pytest.raises(srcad.UnsupportedError, match="may change its argument"):
        srcad.grad(after_recursion)(np.array([0.3, 0.7]))


def _prepared(*arrays):
    for a in arrays:
        a.setflags(write=True)      # a method srcad does not know: it may change a
    return np


def log_sum_exp_through_a_varargs_helper(a, b):
    xp = _prepared(a, b)
    m = xp.max(a)
    return m + xp.log(xp.sum(b * xp.exp(a - m)))


def calls_the_varargs_reader(x):
    return log_sum_exp_through_a_varargs_helper(x, np.ones(3))


def test_arguments_passed_on_through_varargs_are_followed():
    """A callee that hands its arguments to a `*arrays` helper (scipy's logsumexp does):
    the helper's `*args` bound them as a tuple, which crashed the reader (helper-66)."""
    with pytest.raises(srcad.UnsupportedError, match="may change its argument 'a' in place"):
        srcad.grad(calls_the_varargs_reader)(np.array([1.0, 2.0, 3.0]))
