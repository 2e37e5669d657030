"""Rules for the helpers generated code calls, so generated code can be differentiated again
(`hessian`, `hvp`, `grad(grad(f))`). Most helpers are linear in their adjoint argument and
only read the shape of the others (derivative 0); the weights and products that depend on
forward values have their own derivatives below. A helper without a tangent rule here is
read from its source when a gradient that calls it is differentiated again (and refused
where srcad cannot read it)."""
import numpy as np

from .. import runtime
from ..runtime import (add_adjoint, add_tangent, cumprod_adjoint_transpose, mul_tangent, concatenated, einsum_adjoint_operands, einsum_with, fresh, gradient_along, kept, in_sorted_order,
                       item_tangent, sorted_like, stacked_like, sum_adjoint_transpose, add_adjoint_transpose, add_at, adjugate_adjoint,
                       adjugate_second, adjugate_second_adjoint, adjugate_tangent,
                       broadcast_like, cast_like, cumprod_adjoint, cumprod_adjoint_along,
                       cumsum_adjoint,
                       diag_adjoint, diagonal_adjoint, diagonal_part, diff_adjoint,
                       einsum_adjoint, filled_diagonal, gradient_adjoint,
                       einsum_adjoint_along, expand_to, if_floating, kron_adjoint_a,
                       kron_adjoint_b, listed_tangent, matmul_adjoint_x,
                       matmul_adjoint_x_sum, matmul_adjoint_y, matmul_adjoint_y_sum,
                       matmul_adjoint_x_sum_transpose, matmul_adjoint_y_sum_transpose,
                       mul_adjoint, mul_adjoint_along, mul_adjoint_transpose,
                       mul_tangent_adjoint,
                       norm_weights_change, norm_weights_checked, norm_weights_slopes,
                       singular_weights_checked,
                       part_at, permute_axes, power_slope,
                       power_slope_in_y, exponent_tangent, prod_others_tangent, product_adjoint_a,
                       product_adjoint_b, product_rule_terms, restored_part, restored_tangent,
                       saved_item_adjoint, saved_item_tangent, set_at, sort_adjoint, field_adjoint, field_tangent,
                       sorted_adjoint, spread,
                       structured, structured_transpose, sum_adjoint, take_adjoint,
                       tensordot_adjoint_a, tensordot_adjoint_b, trace_adjoint, transposed,
                       unarray, unarray_transpose, unbroadcast, uncolumn_stack,
                       unconcatenate, unhstack, unitem, unlisted, unpad, unrepeat, unsplit,
                       unstack, unstack_like, untile, untransposed, unvstack, var_weights,
                       whole_of, with_zero_item, without_item, zeros_like_grad)
from ..runtime import (bessel_i1_slope, blocks_like, broadcast_arrays_spread, choose_adjoint,
                       choose_adjoint_transpose, compress_adjoint, ediff1d_adjoint,
                       ediff1d_tangent, gathered_adjoint, initial_dropped, initial_zero,
                       meshgrid_spread, meshgrid_tangent, modf_tangent, nan_var_weights_along,
                       pieces_like, select_adjoint, select_adjoint_transpose,
                       take_along_axis_adjoint, unblock, unbroadcast_arrays, undstack,
                       unmeshgrid, unselected, unselected_transpose)
from .registry import adjoint, elementwise, nondifferentiable, tangent

# ----- shape bookkeeping -----


@adjoint(runtime.unbroadcast)
def unbroadcast_(g, ans, t, like):
    return broadcast_like(g, t), 0


@tangent(runtime.unbroadcast)
def unbroadcast_tangent(g, ans, t, like):
    return unbroadcast(g, like), 0


@adjoint(runtime.unlisted)
def unlisted_(g, ans, u, xs):
    return listed_tangent(g, xs, u), 0


@tangent(runtime.unlisted)
def unlisted_tangent(g, ans, u, xs):
    return unlisted(g, xs), 0


@adjoint(runtime.untransposed)
def untransposed_(g, ans, u, rows):
    """untransposed is linear in its adjoints: its own adjoint transposes them back."""
    return transposed(g), 0


@tangent(runtime.untransposed)
def untransposed_tangent(g, ans, u, rows):
    return untransposed(g, rows), 0


@adjoint(runtime.if_floating)
def if_floating_(g, ans, d, like):
    return if_floating(g, like), 0


@tangent(runtime.if_floating)
def if_floating_tangent(g, ans, d, like):
    return if_floating(g, like), 0


@adjoint(runtime.broadcast_like)
def broadcast_like_(g, ans, t, like):
    return unbroadcast(g, t), 0


@tangent(runtime.broadcast_like)
def broadcast_like_tangent(g, ans, t, like):
    return broadcast_like(g, like), 0


@adjoint(runtime.expand_to, runtime.spread)
def expand_to_(g, ans, t, x, axis=None, keepdims=False):
    """Both spread t over the shape of x (spread keeps x's dtype for a float t)."""
    return np.sum(g, axis=axis, keepdims=keepdims), 0


@tangent(runtime.expand_to)
def expand_to_tangent(g, ans, t, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims), 0


@tangent(runtime.spread)
def spread_tangent(g, ans, u, x, axis=None, keepdims=False):
    return spread(g, x, axis, keepdims), 0


@tangent(runtime.cast_like)
def cast_like_tangent(g, ans, u, x):
    """Linear in u; x gives the dtype only."""
    return cast_like(g, x), 0


@tangent(runtime.permute_axes)
def permute_axes_tangent(g, ans, x, axes):
    return permute_axes(g, axes), None


# The adjoints of NumPy's shape operations: linear in the adjoint u, the forward value
# (or values) giving shapes only.


@tangent(runtime.unconcatenate)
def unconcatenate_tangent(g, ans, u, xs, axis=0):
    return unconcatenate(g, xs, axis), 0


@adjoint(runtime.unconcatenate)
def unconcatenate_(g, ans, u, xs, axis=0):
    """Linear in u: its adjoint joins the pieces' adjoints back (xs gives shapes only)."""
    return concatenated(g, xs, axis), 0


@tangent(runtime.unhstack)
def unhstack_tangent(g, ans, u, xs):
    return unhstack(g, xs), 0


@adjoint(runtime.unhstack)
def unhstack_(g, ans, u, xs):
    """Linear in u: its adjoint joins the pieces' adjoints back as np.hstack joined xs."""
    return np.hstack(pieces_like(g, xs)), 0


@tangent(runtime.unvstack)
def unvstack_tangent(g, ans, u, xs):
    return unvstack(g, xs), 0


@adjoint(runtime.unvstack)
def unvstack_(g, ans, u, xs):
    return np.vstack(pieces_like(g, xs)), 0


@tangent(runtime.uncolumn_stack)
def uncolumn_stack_tangent(g, ans, u, xs):
    return uncolumn_stack(g, xs), 0


@adjoint(runtime.uncolumn_stack)
def uncolumn_stack_(g, ans, u, xs):
    return np.column_stack(pieces_like(g, xs)), 0


@tangent(runtime.unstack_like)
def unstack_like_tangent(g, ans, u, xs, axis=0):
    return unstack_like(g, xs, axis), 0


@adjoint(runtime.unstack_like)
def unstack_like_(g, ans, u, xs, axis=0):
    """Linear in u: its adjoint stacks the pieces' adjoints back (xs gives shapes only)."""
    return stacked_like(g, u, axis), 0


@tangent(runtime.unsplit)
def unsplit_tangent(g, ans, u, pieces, axis=0):
    """u is a list of adjoints (0.0 for unused pieces), pieces the forward pieces."""
    return unsplit(g, pieces, axis), 0


@tangent(runtime.unarray)
def unarray_tangent(g, ans, u, obj):
    return unarray(g, obj), 0


@adjoint(runtime.structured)
def structured_(g, ans, t, like):
    return structured_transpose(g, t), 0


@tangent(runtime.structured)
def structured_tangent(g, ans, t, like):
    return structured(g, like), 0


@adjoint(runtime.unarray)
def unarray_(g, ans, u, obj):
    return unarray_transpose(g, u, obj), 0


@tangent(runtime.untile)
def untile_tangent(g, ans, u, x, reps):
    return untile(g, x, reps), 0, None


@tangent(runtime.unrepeat)
def unrepeat_tangent(g, ans, u, x, repeats, axis=None):
    return unrepeat(g, x, repeats, axis), 0, None


@tangent(runtime.unpad)
def unpad_tangent(g, ans, u, x, pad_width, mode="constant"):
    return unpad(g, x, pad_width, mode), 0, None


@tangent(runtime.diagonal_adjoint)
def diagonal_adjoint_tangent(g, ans, u, x, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, x, offset, axis1, axis2), 0


@tangent(runtime.diag_adjoint)
def diag_adjoint_tangent(g, ans, u, v, k=0):
    return diag_adjoint(g, v, k), 0


@tangent(runtime.trace_adjoint)
def trace_adjoint_tangent(g, ans, u, x, offset=0, axis1=0, axis2=1):
    return trace_adjoint(g, x, offset, axis1, axis2), 0


@tangent(runtime.take_adjoint)
def take_adjoint_tangent(g, ans, u, x, indices, axis=None, mode="raise"):
    return take_adjoint(g, x, indices, axis, mode), 0, None


@adjoint(runtime.take_adjoint)
def take_adjoint_(g, ans, u, x, indices, axis=None, mode="raise"):
    """Linear in u: its adjoint takes at the same places (np.take of g, shaped like x)."""
    return np.take(g, indices, axis=axis, mode=mode), 0, None


@tangent(runtime.sort_adjoint)
def sort_adjoint_tangent(g, ans, u, x, axis=-1):
    """x gives the order only, which is constant between ties (as argsort's derivative)."""
    return sort_adjoint(g, x, axis), 0


@tangent(runtime.sorted_adjoint)
def sorted_adjoint_tangent(g, ans, u, xs, key=None, reverse=False):
    """Linear in u; xs gives the order only."""
    return sorted_adjoint(g, xs, key, reverse), 0


@adjoint(runtime.sorted_adjoint)
def sorted_adjoint_(g, ans, u, xs, key=None, reverse=False):
    """Linear in u: its adjoint puts g in sorted(xs)'s order (xs gives the order only)."""
    return in_sorted_order(g, xs, key, reverse), 0


@adjoint(runtime.sort_adjoint)
def sort_adjoint_(g, ans, u, x, axis=-1):
    """Linear in u: its adjoint puts g in x's sorted order (x gives the order only)."""
    return sorted_like(g, x, axis), 0


@tangent(runtime.gradient_adjoint)
def gradient_adjoint_tangent(g, ans, u, f, spacings=(), axis=None, edge_order=1):
    """Linear in u; f gives the shape only."""
    return gradient_adjoint(g, f, spacings, axis, edge_order), 0


@adjoint(runtime.gradient_adjoint)
def gradient_adjoint_(g, ans, u, f, spacings=(), axis=None, edge_order=1):
    """Linear in u, D^T u along each axis: its adjoint is D g, np.gradient's own."""
    return gradient_along(g, spacings, axis, edge_order), 0


@tangent(runtime.diff_adjoint)
def diff_adjoint_tangent(g, ans, u, n=1, axis=-1):
    return diff_adjoint(g, n, axis)


@tangent(runtime.unitem)
def unitem_tangent(g, ans, u, x, index=()):
    return unitem(g, x, index), 0


@adjoint(runtime.unitem)
def unitem_(g, ans, u, x, index=()):
    """Linear in u: its adjoint is g's element there."""
    return item_tangent(g, index), 0


@tangent(runtime.cumsum_adjoint)
def cumsum_adjoint_tangent(g, ans, u, x, axis=None):
    return cumsum_adjoint(g, x, axis), 0


# ----- accumulation -----


@tangent(runtime.add_grad)
def add_grad_tangent(g, ans, a, b):
    return g, g


@adjoint(runtime.add_grad)
def add_grad_(g, ans, a, b):
    return g, g


@tangent(runtime.add_adjoint)
def add_adjoint_tangent(g, ans, u, x, y, first):
    """Linear in the adjoint u; x and y give shapes (or lengths) only."""
    return add_adjoint(g, x, y, first), 0, 0, None


@adjoint(runtime.add_adjoint)
def add_adjoint_(g, ans, u, x, y, first):
    return add_adjoint_transpose(g, u, x, y, first), 0, 0, None


@adjoint(runtime.fresh)
def fresh_(g, ans, value):
    """A copy: its derivative is the identity."""
    return g


@tangent(runtime.fresh)
def fresh_tangent(g, ans, value):
    return fresh(g)


@adjoint(runtime.kept)
def kept_(g, ans, value):
    """Copies: the derivative is the identity."""
    return g


@tangent(runtime.kept)
def kept_tangent(g, ans, value):
    return kept(g)


@adjoint(runtime.add_tangent)
def add_tangent_(g, ans, tx, ty, x, like):
    """Linear in the tangents (a joined list's parts go back to each); x and the result
    give shapes only."""
    return add_adjoint(g, tx, ty, True), add_adjoint(g, tx, ty, False), 0, 0


@adjoint(runtime.mul_tangent)
def mul_tangent_(g, ans, tx, ty, x, y, like):
    """tx y + x ty: bilinear in (tx, y) and (x, ty); the result gives a shape only."""
    return (mul_tangent_adjoint(g, tx, ty, x, y, 0), mul_tangent_adjoint(g, tx, ty, x, y, 1),
            mul_tangent_adjoint(g, tx, ty, x, y, 2), mul_tangent_adjoint(g, tx, ty, x, y, 3),
            0)


@tangent(runtime.add_tangent)
def add_tangent_tangent(g, ans, tx, ty, x, like):
    """Linear in the tangents: each one's change along g, the other's held."""
    return (add_tangent(g, zeros_like_grad(ty), x, like),
            add_tangent(zeros_like_grad(tx), g, x, like), 0, 0)


@tangent(runtime.mul_tangent)
def mul_tangent_tangent(g, ans, tx, ty, x, y, like):
    """tx y + x ty changes by g y, x g, g ty and tx g along tx, ty, x and y."""
    return (mul_tangent(g, zeros_like_grad(ty), x, y, like),
            mul_tangent(zeros_like_grad(tx), g, x, y, like),
            mul_tangent(zeros_like_grad(tx), ty, g, y, like),
            mul_tangent(tx, zeros_like_grad(ty), x, g, like), 0)


@adjoint(runtime.mul_adjoint)
def mul_adjoint_(g, ans, u, x, y, first):
    return (mul_adjoint_transpose(g, u, x, y, first, 0),
            mul_adjoint_transpose(g, u, x, y, first, 1),
            mul_adjoint_transpose(g, u, x, y, first, 2), None)


@tangent(runtime.mul_adjoint)
def mul_adjoint_tangent(g, ans, u, x, y, first):
    """unbroadcast(u * y, x) (first) or unbroadcast(u * x, y): bilinear in u and the other
    factor; the one it is shaped like gives a shape only."""
    return (mul_adjoint(g, x, y, first), mul_adjoint_along(u, g, y, first, 1),
            mul_adjoint_along(u, x, g, first, 2), None)


@adjoint(runtime.add_at)
def add_at_(g, ans, acc, like, index, t):
    """Linear in acc and t: acc gets all of g, t the part of g at index. An index is an
    integer (or slice, or array of them): derivative 0, also where it comes from a tape
    of the gradient that also holds varying values."""
    return whole_of(g, acc), 0, 0, part_at(g, like, index, t)


@adjoint(runtime.filled_diagonal)
def filled_diagonal_(g, ans, a, val):
    """a keeps all of g but the diagonal, which val's items take."""
    return filled_diagonal(g, 0.0), diagonal_part(g, val)


@tangent(runtime.filled_diagonal)
def filled_diagonal_tangent(g, ans, a, val):
    return filled_diagonal(g, 0.0), filled_diagonal(zeros_like_grad(ans), g)


@adjoint(runtime.diagonal_part)
def diagonal_part_(g, ans, h, val):
    """Linear in h: its diagonal's items go back there (val gives a shape only)."""
    return filled_diagonal(zeros_like_grad(h), g), 0


@tangent(runtime.diagonal_part)
def diagonal_part_tangent(g, ans, h, val):
    return diagonal_part(g, val), 0


@adjoint(runtime.set_at)
def set_at_(g, ans, acc, like, index, value):
    """acc's part at index is overwritten: acc gets the rest of g, value the part."""
    return (whole_of(set_at(g, like, index, 0.0), acc), 0, 0,
            part_at(g, like, index, value, True))


@tangent(runtime.add_at)
def add_at_tangent(g, ans, acc, like, index, t):
    """(The index: derivative 0, as in add_at_.) The zeros t's tangent goes into are shaped
    like acc, not like: an item of a list's adjoint may be the number 0 where the list
    holds an array (the adjoint of an item popped and not read), and its tangent is too."""
    return add_at(g, like, index, 0.0), 0, 0, add_at(zeros_like_grad(acc), like, index, g)


@tangent(runtime.set_at)
def set_at_tangent(g, ans, acc, like, index, value):
    """(Zeros shaped like acc, as add_at_tangent's.)"""
    return set_at(g, like, index, 0.0), 0, 0, set_at(zeros_like_grad(acc), like, index, g)


@tangent(runtime.without_item)
def without_item_tangent(g, ans, xs, at):
    """(The index: derivative 0, as add_at's.)"""
    return without_item(g, at), 0


@adjoint(runtime.without_item)
def without_item_(g, ans, xs, at):
    return with_zero_item(g, xs, at), 0


@adjoint(runtime.field)
def field_(g, ans, record, name):
    """A named tuple's field (`layer.W` of an item of a list): an item, at its index."""
    return field_adjoint(g, record, name), 0


@tangent(runtime.field)
def field_tangent_(g, ans, record, name):
    return field_tangent(g, record, name), 0


@adjoint(runtime.field_adjoint)
def field_adjoint_(g, ans, t, record, name):
    """Linear in t: the adjoint takes back the field's part."""
    return field_tangent(g, record, name), 0, 0


@tangent(runtime.field_adjoint)
def field_adjoint_tangent(g, ans, t, record, name):
    return field_adjoint(g, record, name), 0, 0


@adjoint(runtime.field_tangent)
def field_tangent_adjoint(g, ans, t, record, name):
    return field_adjoint(g, record, name), 0, 0


@tangent(runtime.field_tangent)
def field_tangent_tangent(g, ans, t, record, name):
    return field_tangent(g, record, name), 0, 0


@tangent(runtime.saved_item)
def saved_item_tangent_(g, ans, container, key):
    """(The key: derivative 0, as add_at's index.)"""
    return saved_item_tangent(g, container, key), 0


@adjoint(runtime.saved_item)
def saved_item_(g, ans, container, key):
    return saved_item_adjoint(g, container, key), 0


@tangent(runtime.restored_item)
def restored_item_tangent(g, ans, container, key, saved):
    """Linear in container and saved together: the container's part at key is replaced by
    what saved holds (or dropped, with the key)."""
    return set_at(g, ans, key, 0.0), 0, restored_tangent(g, ans, key)


@adjoint(runtime.restored_item)
def restored_item_(g, ans, container, key, saved):
    """The container's part at key was replaced: it gets the rest of g, saved the part."""
    return set_at(g, container, key, 0.0), 0, restored_part(g, ans, key, saved)


@tangent(runtime.unstack)
def unstack_tangent(g, ans, t, axis=0):
    return unstack(g, axis)


@tangent(runtime.sum_adjoint)
def sum_adjoint_tangent(g, ans, u, xs):
    """Linear in the adjoint u; xs gives shapes only."""
    return sum_adjoint(g, xs), 0


@adjoint(runtime.sum_adjoint)
def sum_adjoint_(g, ans, u, xs):
    """Linear in u: its adjoint sums the items' adjoints, each to u's shape."""
    return sum_adjoint_transpose(g, u, xs), 0


# ----- powers -----


@adjoint(runtime.power_slope)
def power_slope_(g, ans, x, y, n=1):
    """In x the next derivative, power_slope(x, y, n + 1)."""
    return (unbroadcast(g * power_slope(x, y, n + 1), x),
            unbroadcast(g * power_slope_in_y(x, y, n), y))


@tangent(runtime.power_slope)
def power_slope_tangent(g, ans, x, y, n=1):
    return (broadcast_like(g * power_slope(x, y, n + 1), ans),
            broadcast_like(exponent_tangent(g, power_slope_in_y(x, y, n)), ans))


# ----- matrix products -----


@tangent(runtime.matmul_adjoint_x)
def matmul_adjoint_x_tangent(g, ans, gy, x, y):
    return matmul_adjoint_x(g, x, y), 0, matmul_adjoint_x(gy, x, g)


@tangent(runtime.matmul_adjoint_y)
def matmul_adjoint_y_tangent(g, ans, gy, x, y):
    return matmul_adjoint_y(g, x, y), matmul_adjoint_y(gy, g, y), 0


@tangent(runtime.tensordot_adjoint_a)
def tensordot_adjoint_a_tangent(g, ans, u, a, b, axes=2):
    """Bilinear in the adjoint u and the other factor b; a gives its shape only."""
    return tensordot_adjoint_a(g, a, b, axes), 0, tensordot_adjoint_a(u, a, g, axes)


@tangent(runtime.tensordot_adjoint_b)
def tensordot_adjoint_b_tangent(g, ans, u, a, b, axes=2):
    return tensordot_adjoint_b(g, a, b, axes), tensordot_adjoint_b(u, g, b, axes), 0


@tangent(runtime.product_adjoint_a)
def product_adjoint_a_tangent(g, ans, u, a, b, axes):
    return product_adjoint_a(g, a, b, axes), 0, product_adjoint_a(u, a, g, axes), None


@tangent(runtime.product_adjoint_b)
def product_adjoint_b_tangent(g, ans, u, a, b, axes):
    return product_adjoint_b(g, a, b, axes), product_adjoint_b(u, g, b, axes), 0, None


@tangent(runtime.kron_adjoint_a)
def kron_adjoint_a_tangent(g, ans, u, a, b):
    return kron_adjoint_a(g, a, b), 0, kron_adjoint_a(u, a, g)


@tangent(runtime.kron_adjoint_b)
def kron_adjoint_b_tangent(g, ans, u, a, b):
    return kron_adjoint_b(g, a, b), kron_adjoint_b(u, g, b), 0


@adjoint(runtime.einsum_adjoint)
def einsum_adjoint_(g, ans, u, subscripts, operands, k):
    """Linear in u and in each operand but the k-th, whose shape alone it reads."""
    return (einsum_with(g, subscripts, operands, k), None,
            einsum_adjoint_operands(g, u, subscripts, operands, k), None)


@tangent(runtime.einsum_adjoint)
def einsum_adjoint_tangent(g, ans, u, subscripts, operands, k):
    """Linear in u and in each operand but the k-th, whose shape alone it reads."""
    return (einsum_adjoint(g, subscripts, operands, k), None,
            einsum_adjoint_along(u, subscripts, operands, k, g), None)


@tangent(runtime.matmul_adjoint_x_sum)
def matmul_adjoint_x_sum_tangent(g, ans, terms, x):
    """The sum over terms (u, y) of matmul_adjoint_x(u, x, y): bilinear in each term."""
    return matmul_adjoint_x_sum(product_rule_terms(terms, g), x), 0


@tangent(runtime.matmul_adjoint_y_sum)
def matmul_adjoint_y_sum_tangent(g, ans, terms, y):
    return matmul_adjoint_y_sum(product_rule_terms(terms, g), y), 0


@adjoint(runtime.matmul_adjoint_x_sum)
def matmul_adjoint_x_sum_(g, ans, terms, x):
    """Bilinear in each term (u, y); x gives its shape only (grad of grad of a loop that
    multiplies by one matrix each step, whose gradient collects the terms)."""
    return matmul_adjoint_x_sum_transpose(g, terms, x), 0


@adjoint(runtime.matmul_adjoint_y_sum)
def matmul_adjoint_y_sum_(g, ans, terms, y):
    return matmul_adjoint_y_sum_transpose(g, terms, y), 0


# ----- the adjugate (np.linalg.det's derivative) -----


@tangent(runtime.adjugate)
def adjugate_tangent_(g, ans, a):
    """Its entries are (n - 1)-minors of a: polynomials, differentiable everywhere."""
    return adjugate_tangent(g, a)


@adjoint(runtime.adjugate)
def adjugate_(g, ans, a):
    return adjugate_adjoint(g, a)


# adjugate_tangent(t, a) = D(a)[t] and adjugate_adjoint(h, a) = D(a)^T[h] are linear in t and
# h; in a they take the adjugate's second derivative D2(a)[t, u] (adjugate_second) or its
# adjoint in u (adjugate_second_adjoint), from the SVD as well: right where a is singular.
# Those two have no rules (det's fourth derivative): srcad refuses them (a helper's np.einsum
# of three operands).


@tangent(runtime.adjugate_tangent)
def adjugate_tangent_tangent(g, ans, t, a):
    return adjugate_tangent(g, a), adjugate_second(t, g, a)


@adjoint(runtime.adjugate_tangent)
def adjugate_tangent_adjoint(g, ans, t, a):
    return adjugate_adjoint(g, a), adjugate_second_adjoint(g, t, a)


@tangent(runtime.adjugate_adjoint)
def adjugate_adjoint_tangent(g, ans, h, a):
    return adjugate_adjoint(g, a), adjugate_second_adjoint(h, g, a)


@adjoint(runtime.adjugate_adjoint)
def adjugate_adjoint_(g, ans, h, a):
    """<g, D^T[h]> = <D[g], h>: h gets D[g], a the adjoint of D2[g, u] in u applied to h."""
    return adjugate_tangent(g, a), adjugate_second_adjoint(h, g, a)


# ----- weights and products that depend on forward values -----


@adjoint(runtime.prod_others)
def prod_others_(g, ans, x, axis=None):
    """Its Jacobian is symmetric: d p_j / d x_i is the product of the others but x_i, x_j."""
    return prod_others_tangent(g, x, axis)


@tangent(runtime.prod_others)
def prod_others_tangent_(g, ans, x, axis=None):
    return prod_others_tangent(g, x, axis)


@tangent(runtime.norm_weights)
def norm_weights_tangent(g, ans, x, n, ord=None, axis=None, keepdims=False):
    """The weights of a p-norm n of x are sign(x) |x|^(p-1) / n^(p-1), x / n for p = 2;
    those of the nuclear norm and of the matrix 2 and -2 norms singular vectors (which
    do not depend on n)."""
    return (norm_weights_change(g, x, n, ans, ord, axis, keepdims),
            expand_to(g, x, axis, keepdims) * norm_weights_slopes(x, n, ans, ord, axis,
                                                                  keepdims)[1])


@adjoint(runtime.norm_weights_kept)
def norm_weights_kept_(g, ans, w, n):
    """w as it is, where its derivative is defined; the norm is read only."""
    return norm_weights_checked(g, n), 0


@tangent(runtime.norm_weights_kept)
def norm_weights_kept_tangent(g, ans, w, n):
    return norm_weights_checked(g, n), 0


@adjoint(runtime.singular_weights_kept)
def singular_weights_kept_(g, ans, w, s, ord):
    """w as it is, where its derivative is defined; the singular values are read only."""
    return singular_weights_checked(g, s, ord), 0, None


@tangent(runtime.singular_weights_kept)
def singular_weights_kept_tangent(g, ans, w, s, ord):
    return singular_weights_checked(g, s, ord), 0, None


@adjoint(runtime.cumprod_adjoint)
def cumprod_adjoint_(g, ans, u, c, x, axis=None):
    """Linear in u; c = cumprod(x) and x as the helper reads them."""
    return (cumprod_adjoint_transpose(g, u, c, x, axis, 0),
            cumprod_adjoint_transpose(g, u, c, x, axis, 1),
            cumprod_adjoint_transpose(g, u, c, x, axis, 2))


@tangent(runtime.cumprod_adjoint)
def cumprod_adjoint_tangent(g, ans, u, c, x, axis=None):
    """Linear in u; c = cumprod(x) and x as the helper reads them (u c / x summed from the
    end where x has no zeros)."""
    return (cumprod_adjoint(g, c, x, axis), cumprod_adjoint_along(u, c, x, axis, g, 1),
            cumprod_adjoint_along(u, c, x, axis, g, 2))


@tangent(runtime.var_weights)
def var_weights_tangent(g, ans, x, axis=None, ddof=0):
    """2 (x - mean) / (N - ddof) is linear in x."""
    return var_weights(g, axis, ddof)


# generated code builds index objects (and iterates backwards: `for` statements over
# reversed(...), which are loops, not calls)
nondifferentiable(runtime.zeros_like_grad, runtime.reduced_size, runtime.keys_of, slice)
# a forward value's stand-in that keeps only its shape and dtype (its numbers are zeros)
nondifferentiable(runtime.shape_only)
# the check before a call of a method through its class (`self.predict(w)`), the length of
# what a loop walks by index, the check before a loop walks a value backwards, the check
# that a gradient's value is a number
nondifferentiable(runtime.check_method, runtime.counted, runtime.check_reversible,
                  runtime.check_output, runtime.check_plain_operand,
                  runtime.check_item_copied,
                  runtime.check_slice_length)
# where xs.insert(i, v) puts v, where xs.pop(i) takes its item from
nondifferentiable(runtime.insertion_index, runtime.popped_index, runtime.field_index)
# the weights of np.median, np.average and np.trapezoid's items: piecewise constant in the
# values (the middle one's place), or made of what the rules take for constants; where
# np.partition's items come from, np.vander's powers, and np.histogram's bins
nondifferentiable(runtime.median_weights, runtime.average_weights, runtime.trapezoid_weights,
                  runtime.quantile_weights, runtime.partition_order, runtime.vander_powers,
                  runtime.histogram_edges_follow, runtime.histogram_bins)
# axes, shapes, dtypes and modes: integers, tuples of them, dtypes and strings
nondifferentiable(runtime.inverse_axes, runtime.method_axes, runtime.method_shape,
                  runtime.float_dtype, runtime.dot_axes, runtime.inner_axes,
                  runtime._tensordot_axes, runtime.check_pad_mode, runtime.kron_shapes)
# a call of a module's missing attribute raises where it runs (`np.trapz` in NumPy 2.4)
nondifferentiable(runtime.missing_attribute)
# the fractions k / (num - 1) at which np.linspace samples: they depend on num, endpoint,
# axis and the shapes of start and stop, never on their values
nondifferentiable(runtime.spaced_weights)
# 0/1 masks of the place each element of np.clip comes from: constant between the bounds
# (their derivative is zero wherever it exists, as np.greater's)
nondifferentiable(runtime.clip_masks)


# ----- NumPy's NaN-aware reductions, selections and shape operations -----


@tangent(runtime.nan_var_weights)
def nan_var_weights_tangent(g, ans, x, axis=None, ddof=0):
    """Linear in the numbers of x (NaN items stay NaN: their weight 0)."""
    return nan_var_weights_along(g, x, axis, ddof)


@adjoint(runtime.nan_var_weights)
def nan_var_weights_(g, ans, x, axis=None, ddof=0):
    """Its Jacobian is symmetric (a centring within each group, scaled)."""
    return nan_var_weights_along(g, x, axis, ddof)


@tangent(runtime.nan_var_weights_along)
def nan_var_weights_along_tangent(g, ans, t, x, axis=None, ddof=0):
    """Linear in t; x gives where the NaNs are and the counts only."""
    return nan_var_weights_along(g, x, axis, ddof), 0


@adjoint(runtime.nan_var_weights_along)
def nan_var_weights_along_(g, ans, t, x, axis=None, ddof=0):
    return nan_var_weights_along(g, x, axis, ddof), 0


@tangent(runtime.take_along_axis_adjoint)
def take_along_axis_adjoint_tangent(g, ans, u, x, indices, axis=-1):
    return take_along_axis_adjoint(g, x, indices, axis), 0, None


@adjoint(runtime.take_along_axis_adjoint)
def take_along_axis_adjoint_(g, ans, u, x, indices, axis=-1):
    """Its transpose takes the places back."""
    return np.take_along_axis(g, indices, axis=axis), 0, None


# The adjoints of the selections: linear in the adjoint u; the conditions and indices, and
# the forward values (shapes), have derivative 0.


@tangent(runtime.select_adjoint)
def select_adjoint_tangent(g, ans, u, condlist, choicelist):
    return select_adjoint(g, condlist, choicelist), 0, 0


@adjoint(runtime.select_adjoint)
def select_adjoint_(g, ans, u, condlist, choicelist):
    """Its transpose puts each choice's adjoint back where its condition chose it."""
    return select_adjoint_transpose(g, u, condlist, choicelist), 0, 0


@tangent(runtime.unselected)
def unselected_tangent(g, ans, u, condlist, default):
    return unselected(g, condlist, default), 0, 0


@adjoint(runtime.unselected)
def unselected_(g, ans, u, condlist, default):
    return unselected_transpose(g, u, condlist), 0, 0


@tangent(runtime.choose_adjoint)
def choose_adjoint_tangent(g, ans, u, a, choices, mode="raise"):
    return choose_adjoint(g, a, choices, mode), 0, 0


@adjoint(runtime.choose_adjoint)
def choose_adjoint_(g, ans, u, a, choices, mode="raise"):
    return choose_adjoint_transpose(g, u, a, choices, mode), 0, 0


@tangent(runtime.compress_adjoint)
def compress_adjoint_tangent(g, ans, u, condition, x, axis=None):
    return compress_adjoint(g, condition, x, axis), 0, 0


@adjoint(runtime.compress_adjoint)
def compress_adjoint_(g, ans, u, condition, x, axis=None):
    """Its transpose keeps the places again."""
    return np.compress(condition, np.reshape(g, np.shape(x)), axis=axis), 0, 0


# np.cumulative_sum's and np.cumulative_prod's leading initial value: dropping it and
# putting a zero there are linear, and each other's transposes


@tangent(runtime.initial_dropped)
def initial_dropped_tangent(g, ans, v, axis=None, include_initial=False):
    return initial_dropped(g, axis, include_initial)


@adjoint(runtime.initial_dropped)
def initial_dropped_(g, ans, v, axis=None, include_initial=False):
    return initial_zero(g, axis, include_initial)


@tangent(runtime.initial_zero)
def initial_zero_tangent(g, ans, t, axis=None, include_initial=False):
    return initial_zero(g, axis, include_initial)


@adjoint(runtime.initial_zero)
def initial_zero_(g, ans, t, axis=None, include_initial=False):
    return initial_dropped(g, axis, include_initial)


@tangent(runtime.unmeshgrid)
def unmeshgrid_tangent(g, ans, u, grids, xs, indexing="xy"):
    """Linear in the grids' adjoints u; the grids and inputs give shapes only."""
    return unmeshgrid(g, grids, xs, indexing), 0, 0


@adjoint(runtime.unmeshgrid)
def unmeshgrid_(g, ans, u, grids, xs, indexing="xy"):
    """Its transpose spreads each input's adjoint over its grid."""
    return meshgrid_spread(g, u, grids, xs, indexing), 0, 0


@tangent(runtime.meshgrid_tangent)
def meshgrid_tangent_tangent(g, ans, t, xs, copy=True, sparse=False, indexing="xy"):
    return meshgrid_tangent(g, xs, copy, sparse, indexing), 0


@tangent(runtime.unbroadcast_arrays)
def unbroadcast_arrays_tangent(g, ans, u, outs, xs):
    return unbroadcast_arrays(g, outs, xs), 0, 0


@adjoint(runtime.unbroadcast_arrays)
def unbroadcast_arrays_(g, ans, u, outs, xs):
    """Its transpose broadcasts each input's adjoint like its result again."""
    return broadcast_arrays_spread(g, u, outs, xs), 0, 0


@tangent(runtime.undstack)
def undstack_tangent(g, ans, u, xs):
    return undstack(g, xs), 0


@adjoint(runtime.undstack)
def undstack_(g, ans, u, xs):
    return np.dstack(pieces_like(g, xs)), 0


@tangent(runtime.unblock)
def unblock_tangent(g, ans, u, arrays):
    return unblock(g, arrays), 0


@adjoint(runtime.unblock)
def unblock_(g, ans, u, arrays):
    """Linear in u: its adjoint joins the blocks' adjoints back as np.block joined them."""
    return np.block(blocks_like(g, arrays)), 0


@tangent(runtime.gathered_adjoint)
def gathered_adjoint_tangent(g, ans, u, x, origins):
    """Linear in u; x gives a shape, origins are indices."""
    return gathered_adjoint(g, x, origins), 0, 0


@tangent(runtime.ediff1d_adjoint)
def ediff1d_adjoint_tangent(g, ans, u, ary, to_begin=None):
    return ediff1d_adjoint(g, ary, to_begin), 0


@tangent(runtime.ediff1d_tangent)
def ediff1d_tangent_tangent(g, ans, t, to_end=None, to_begin=None):
    return ediff1d_tangent(g, to_end, to_begin)


@elementwise(runtime.bessel_i1)
def bessel_i1_(g, ans, x):
    """I1' = I0 - I1 / x (np.i0's second derivative)."""
    return g * bessel_i1_slope(x)


# which items are numbers, how many, and the 0/1 shares of a group's max and min: piecewise
# constant in the values
nondifferentiable(runtime.present, runtime.nan_count, runtime.nan_chooser_weights,
                  runtime.ptp_weights)
# indices of items, and where they go
nondifferentiable(runtime.item_indices)


@tangent(runtime.modf_tangent)
def modf_tangent_tangent(g, ans, t):
    return modf_tangent(g)


@adjoint(runtime.modf_tangent)
def modf_tangent_(g, ans, t):
    """Only the fractional part's adjoint reaches t."""
    return g[0]
