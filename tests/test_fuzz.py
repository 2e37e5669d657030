"""Differential fuzzer: srcad's reverse mode vs forward mode vs finite differences.

Hypothesis generates random well-typed numeric programs as Python source
(`tests/fuzzgen.py`): straight-line arithmetic (+ - * / ** and unary minus),
NumPy elementwise functions on safe domains, sums and means (with `axis` and
`keepdims`), subscripts and slices, element writes into local arrays,
conditional expressions, `if/elif/else`, `for` over `range` and over arrays,
counter-bounded `while` loops, `break`/`continue` under conditions, early
`return`, calls to generated module-level helpers (positional and keyword
arguments), scalars and arrays of shapes (), (2,), (3,), (3, 1), (1, 3),
(3, 3) mixed by broadcasting, variables reassigned in loops and user names that
look like srcad's generated ones (`v_1`, `vbar_0`, `_stack`, `unbroadcast`).

Each program is written to a temporary module (so `inspect` finds its source)
and imported; `srcad.grad(f, wrt=...)` is compared with central differences
along random directions, at two step sizes (examples where the two disagree:
a branch or `break` that flips inside the step, overflow or NaN, are skipped
with `assume`), and, when `srcad.jvp` exists, forward mode with reverse mode.
Any srcad error is a failure: every generated construct is one the SPEC
(section 4) says srcad must differentiate. One documented refusal is counted
instead: `a = b; a += ...` followed by a read of `b`, where srcad cannot prove
that b holds a float (NumPy would update an array b in place; srcad says so).

A second generator (`tests/fuzzgen_structures.py`) writes programs of lists built with
`append`, dicts updated in loops, element writes over values read before, `while` loops
stopped by a value, `if/elif` chains, helpers with defaults and tuple returns, `np.where`,
`np.maximum` and `np.clip`, and checks the Hessian and `hvp` too. Its programs may meet
srcad's documented refusals of updates in place (an array that may be reached through
another name, the gradient's own element writes differentiated again): counted, not failed.

A third generator (`tests/fuzzgen_records.py`) writes programs of named tuples that the
arguments hold, as JAX users keep a network's layers: a list, tuple or dict of `Layer`s or
a `Net(hidden, out)` of them, beside a `Layer` argument read directly, whose fields are
read by name and by index in loops over the layers (`enumerate`, `zip`, `range(len(...))`,
a dict's items), comprehensions, if/else, helpers and local names bound to a layer. It
checks that the gradient keeps the argument's structure and classes (a list of Layers),
forward mode, and `hvp` on every fourth program.

Profiles (`--hypothesis-profile=NAME`):

- ``ci`` (default): 400 programs (the second generator a fifth as many, the third a
  quarter).
- ``long``: 6,000 programs (as many fewer)::

      python3 -m pytest tests/test_fuzz.py --hypothesis-profile=long -s

The test prints how many programs it checked (use ``-s`` to see it with
``-q``; it is also shown when the test fails). Failing programs that hypothesis
shrank are kept as regression tests in `tests/test_fuzz_regressions.py`.
"""
import os

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import srcad

import fuzzgen
import fuzzgen_records
import fuzzgen_structures

# the profiles `ci` and `long` are registered in conftest.py (before --hypothesis-profile
# is read)


def _profile():
    """`ci` unless a profile was chosen on the command line (or HYPOTHESIS_PROFILE)."""
    name = settings.get_current_profile_name()
    if name == "default":
        name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    return settings.get_profile(name)


def _run_fuzz(counts, tricky_names, scalar_inputs=False, share=1.0):
    profile = _profile()

    @settings(profile, max_examples=int(share * profile.max_examples))
    @given(data=st.data(), seed=st.integers(0, 2**16))
    def fuzz(data, seed):
        program = fuzzgen.generate(fuzzgen.DataChooser(data), tricky_names=tricky_names,
                                   scalar_inputs=scalar_inputs)
        counts["generated"] += 1
        module = fuzzgen.load(program.source)
        try:
            outcome = fuzzgen.check(module, program, seed)
        except srcad.UnsupportedError as exc:
            if "does this in place" not in str(exc) and not (
                    "may change its argument" in str(exc) and "op= ...'" not in str(exc)
                    and "in place" in str(exc)):
                raise _failure(counts, exc, program, seed) from exc
            # `a = b; a += ...; ... b ...` where srcad cannot prove b a float: NumPy would
            # change b in place, srcad refuses (documented); so where a helper's helper
            # does `p += ...` to what may be an array of the caller's (`h(x[0, 1])`).
            # Counted, not a disagreement.
            counts["refused"] = counts.get("refused", 0) + 1
            assume(False)
        except Exception as exc:
            raise _failure(counts, exc, program, seed) from exc
        if outcome == "skip":
            counts["skipped"] += 1
        assume(outcome == "ok")
        counts["checked"] += 1
    fuzz()


def _failure(counts, exc, program, seed):
    counts["failed"] += 1
    note = f"\n--- program (wrt={program.wrt}, shapes={program.shapes}, seed={seed})" \
           f"\n{program.source}"
    if isinstance(exc, srcad.SrcadError):
        return AssertionError(f"srcad raised {type(exc).__name__} for a supported "
                              f"program:\n{exc}{note}")
    return AssertionError(f"{type(exc).__name__}: {exc}{note}")


def _report(capsys, counts, what):
    with capsys.disabled():
        print(f"\n[fuzz] {what}: {counts['checked']} programs checked "
              f"({counts['generated']} generated, {counts['skipped']} skipped as "
              f"ill-conditioned, {counts.get('refused', 0)} refused as in-place updates "
              f"through an alias, {counts['failed']} failing runs incl. shrinking)")


def test_reverse_forward_and_finite_differences_agree(capsys):
    counts = dict(generated=0, checked=0, skipped=0, failed=0)
    try:
        _run_fuzz(counts, tricky_names=True)
    finally:
        _report(capsys, counts, "reverse vs finite differences"
                + (" vs forward" if hasattr(srcad, "jvp") else ""))
    assert counts["checked"] >= 0.75 * _profile().max_examples


def test_scalar_programs_with_one_input_agree(capsys):
    """Programs of scalars differentiated w.r.t. their first argument: where one active
    scalar enters a loop, the loop carries its tangent (reverse.py, `_carried_loops`)."""
    counts = dict(generated=0, checked=0, skipped=0, failed=0)
    try:
        _run_fuzz(counts, tricky_names=True, scalar_inputs=True, share=0.5)
    finally:
        _report(capsys, counts, "scalar programs, one input")
    assert counts["checked"] >= 0.75 * 0.5 * _profile().max_examples


def _agree_or_refuse_in_place(capsys, programs, generate, check, title):
    """Check `programs` programs that `generate` writes with `check(module, program,
    seed)`. A refusal of an update in place (an alias srcad cannot rule out) is counted;
    any other srcad error, exception or disagreement fails. Returns the counts."""
    counts = dict(generated=0, checked=0, skipped=0, failed=0, refused=0)

    @settings(_profile(), max_examples=programs)
    @given(data=st.data(), seed=st.integers(0, 2**16))
    def fuzz(data, seed):
        program = generate(fuzzgen.DataChooser(data))
        counts["generated"] += 1
        module = fuzzgen.load(program.source)
        try:
            outcome = check(module, program, seed)
        except srcad.UnsupportedError as exc:
            if "in place" not in str(exc) and "would change both" not in str(exc):
                raise _failure(counts, exc, program, seed) from exc
            counts["refused"] += 1
            assume(False)
        except Exception as exc:
            raise _failure(counts, exc, program, seed) from exc
        counts["skipped"] += outcome == "skip"
        assume(outcome == "ok")
        counts["checked"] += 1
    try:
        fuzz()
    finally:
        _report(capsys, counts, title)
    return counts


def test_structures_and_second_derivatives_agree(capsys):
    """Programs of lists, dicts, element writes, value-stopped loops and helpers with
    defaults (fuzzgen_structures): reverse, forward, Hessian and hvp against differences.
    A refusal of an update in place (an alias srcad cannot rule out) is counted; any other
    srcad error, exception or disagreement fails."""
    programs = max(1, _profile().max_examples // 5)
    counts = _agree_or_refuse_in_place(capsys, programs, fuzzgen_structures.generate,
                                       fuzzgen_structures.check,
                                       "lists, dicts, element writes; second order")
    assert counts["checked"] >= 0.5 * programs


def test_named_tuples_that_arguments_hold_agree(capsys):
    """Programs of Layers (named tuples) in a list, tuple, dict or Net argument, read by
    field and by index (fuzzgen_records): reverse mode against differences in every field,
    the gradient's structure and classes, forward mode, and hvp on every fourth program. A
    refusal of an update in place (of fuzzgen_structures' statements around them) is
    counted; any other srcad error, exception or disagreement fails."""
    programs = max(1, _profile().max_examples * 3 // 4)
    counts = _agree_or_refuse_in_place(
        capsys, programs, fuzzgen_records.generate,
        lambda module, program, seed: fuzzgen_records.check(module, program, seed,
                                                            second=seed % 4 == 0),
        "named tuples that arguments hold")
    assert counts["checked"] >= 0.5 * programs
