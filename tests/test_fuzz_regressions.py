"""Minimal programs found by the differential fuzzer (tests/test_fuzz.py), kept as tests.

Each entry is the shrunk program's source, the shapes of `f`'s arguments and
the `wrt` it was differentiated for. The check is the fuzzer's own
(`fuzzgen.check`): reverse mode vs central finite differences, and forward
mode vs reverse mode when `srcad.jvp` exists.
"""
import textwrap

import pytest

import fuzzgen

REGRESSIONS = {
    # a negated quotient moved into its one read, and the statement that held it went; its
    # cached names were kept, and went stale when a copy renamed the quotient's operand
    # (the tests' name-cache check failed; now the statement is forgotten too)
    "negation_moved_then_operand_renamed": ("""
        import numpy as np

        def f(x, y):
            v_1 = x
            t1 = x
            for i2 in range(1, 2):
                t3 = np.exp(-(-x / (1.0 + y * y)) * (-x / (1.0 + y * y)))
                t4 = x
                t5 = x
                t3[-3] = x
            return x
        """, [(), (3,)], (0, 1)),
    # the input of a carried loop that leaves through `return` is assigned in a branch
    # before the loop too: the reset of its adjoint there went with the loop's own names
    # (the gradient came out 1.5 instead of 0.5, silently)
    "carried_input_assigned_in_a_branch_before": ("""
        import numpy as np

        def f(x, y):
            if y > 100.0:
                x += y
            else:
                x = 0.5 * x + y
            for i5 in range(3):
                x += y
                if i5 == 1:
                    return x
            return 3.0
        """, [(), ()], (0,)),
    # two loops in a row that both carry x's tangent: the second one overwrote vdot_0
    # before the first one's reverse read it (the gradient came out halved, silently);
    # now the second loop is recorded instead
    "two_carried_loops_share_a_tangent": ("""
        import numpy as np

        def f(x):
            x += x
            j1 = 0
            while j1 < 2:
                j1 = j1 + 1
                x += x
            v_1 = x
            for i2 in range(1, 2):
                x += x
            return x
        """, [()], (0,)),
    # `t2 = x * 1` makes a new array; folding it to `t2 = x` made `t2[-3] = ...` write
    # into x (a wrong gradient, silently): the optimiser keeps such copies now.
    "multiply_by_one_copies": ("""
        import numpy as np

        def f(x, y):
            j1 = 0
            while j1 < 1:
                j1 = j1 + 1
                if j1 == 1:
                    t2 = x * 1
                    t2[-3] = np.sum(x)
            return np.sum(np.sin(x)) + y
        """, [(3,), ()], (0, 1)),
    # t2 gets a new array right before the write in every iteration; the alias `t2 = x`
    # made after it cannot reach the write (it was refused as a write through an alias).
    "fresh_before_write_in_loop": ("""
        import numpy as np

        def f(x):
            v_1 = x
            x = x + x
            x = x + x
            j1 = 0
            while j1 < 1:
                j1 = j1 + 1
                if np.sum(x) > 0.5:
                    t2 = np.sin(x)
                    t2[-3] = np.sum(x)
                    t2 = x
            return np.sum(x)
        """, [(3,)], (0,)),
    # `t3 = y` then `t3 = 0.5 * t3 + i` makes t3 a new array: writing into it does
    # not reach y (it was refused as a write through an alias).
    "rebound_before_write": ("""
        import numpy as np

        def f(x, y):
            s = 0.0
            for i in range(1, 3):
                for e in y:
                    t3 = y
                    t3 = 0.5 * t3 + i
                    t3[-3] = x * e
                    s = s + np.sum(t3 * y)
            return s
        """, [(), (3,)], (0, 1)),
    # x[i] = scalar fills a whole row of a matrix: the scalar's adjoint is the sum of
    # the row (the adjoint was the row itself: a shape error). And `t6 = t5[-3]`
    # after the write is not an alias the write could reach.
    "scalar_written_into_a_row": ("""
        import numpy as np

        def h1(p0, p2):
            return p2 * 0.5 + p0

        def f(x, y, z):
            t5 = np.sin(h1(y + np.sum(x), p2=z))
            t5[-3] = np.sum(x + x)
            t6 = t5[-3]
            return np.sum(y + np.sum(x) + t6)
        """, [(2,), (3,), (3, 3)], (0, 1, 2)),
    # np.sum(..., axis=0) was taken for a full reduction (0 == False), so a
    # scalar plus its result looked scalar and the gradient of the scalar was
    # not summed back: shape (1,) instead of ().
    "partial_sum_is_not_a_scalar": ("""
        import numpy as np

        def f(x, y):
            return np.sum(np.sum(x + y, axis=0) + x)
        """, [(), (3, 1)], (0, 1)),
    # x[-3] of a vector is a scalar: `t1 = x; x += y[-3] + x` on floats is not
    # an in-place update of an array (it was refused as one).
    "augmented_float_with_alias": ("""
        import numpy as np

        def f(x, y):
            t1 = x
            x += y[-3] + x
            return t1 * x
        """, [(), (3,)], (0, 1)),
    # A negative constant raised to a power: `(-0.7) ** 2` was emitted as
    # `-0.7 ** 2` (= -0.49) in the three-address form, so the value, the reverse
    # and the forward derivative all had the wrong sign.
    "negative_constant_power": ("""
        import numpy as np

        def f(y):
            return (-0.7) ** 2 * np.sin(y)
        """, [()], (0,)),
    "negative_constant_power_in_jvp_value": ("""
        import numpy as np

        def f(x):
            return (-0.5) ** 2 + np.sum(x)
        """, [(2,)], (0,)),
    "negative_constant_power_in_branch": ("""
        import numpy as np

        def f(x, y, z):
            if (-1.2) ** 2 < (-0.7) ** 2 - (2.0 ** np.tanh(y)):
                return np.mean(x)
            return np.mean(x * z) * y
        """, [(1, 3), (), (3, 1)], (0, 1, 2)),
    # `return` two loops deep, inside the else-part of an `if ... continue` in an
    # outer loop: the forward sweep breaks out without pushing the branch flag of
    # the `if`, the reverse sweep pops misaligned: gradient 0.0 instead of 2.0
    # (and "stack not empty" in debug mode). Shrunk from fuzz seed 6765.
    "return_in_nested_loops_after_continue": ("""
        import numpy as np

        def f(x):
            for i in range(1):
                if x > 1.5:
                    continue
                for j in range(2):
                    for k in range(2):
                        return x * 2.0
                x = x
            return x
        """, [()], (0,)),
    # A conditional expression whose value is unused and that assigns a user
    # variable named like a generated one (`v_1`): the generated code once had an
    # `if` with an empty body (IndentationError).
    "unused_ifexp_named_v_1": ("""
        import numpy as np

        def f(x):
            v_1 = (x if x > 0.5 else x)
            return x
        """, [()], (0,)),
    # Long fuzz, eighth session: the adjoints `add_adjoint(g, x, y, True/False)` of a `+`
    # that may join lists shared g's node (a copy renamed in one renamed the other), and
    # fold_zero_accumulate kept the names of the statement it removed (check: stale names).
    "sequence_adjoints_share_no_nodes": ("""
        import numpy as np


        def h1(p0, p1, p2):
            vbar_0 = p1
            return p1 * 0.5 + np.sum(p0 ** 3)


        def f(x):
            if np.sum(-((1.5 + np.tanh(x)) ** np.tanh(0.5))) > 0.5:
                t1 = x[::-1]
                if np.sum(t1) > -1.2:
                    for e2 in t1:
                        t3 = np.mean(-x - x[1])
                        x = x + e2
                        x = 0.5 * x + np.log(1.0 + (-t3) * (-t3))
                    if 0.5 >= 3.0:
                        t1 = 0.5 * t1 + h1(t1 / (1.0 + x * x), x, x)
                        v_2 = x
                        x = 0.5 * x + x
                    elif np.sum(x) > 1.5:
                        x = x + x
                    else:
                        v_m1 = x + x
                elif np.sum(x) > 0.5:
                    x = 0.5 * x + 2.0
                t4 = x
            elif np.sum(x) > 0.5:
                x = x + x
            else:
                t5 = x
            x = x + x
            x = x - x
            return np.sum((-x if np.sum(x) > 0.5 else x))
        """, [(3,)], (0,)),
    # the long fuzz of the ninth session: `t4 = x / (...)` is an array of numbers, and a
    # loop counter written into it (`t4[-3] = i3`) is no object it holds: refused as a
    # list that may hold one object twice
    "arithmetic_result_written_in_a_loop": ("""
        import numpy as np


        def f(x, y):
            for v_1 in range(1, 2):
                t1 = x
            t2 = x
            for i3 in range(1, 2):
                t4 = x / (1.0 + y[-1] * y[-1])
                t4[-3] += x
                t4[-3] = i3
            return x
        """, [(), (1, 3)], (0, 1)),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzz_regression(name):
    source, shapes, wrt = REGRESSIONS[name]
    source = textwrap.dedent(source).lstrip()
    program = fuzzgen.Program(source, shapes, wrt, ["x", "y", "z"][:len(shapes)])
    module = fuzzgen.load(source)
    for seed in range(3):
        assert fuzzgen.check(module, program, seed) in ("ok", "skip")
    assert fuzzgen.check(module, program, 0) == "ok"

