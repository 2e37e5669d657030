"""Transformation time: how long ``srcad.grad`` takes on a 100-line function.

The function is generated (straight-line code, then a loop) and written to a
real file, because a source-to-source tool reads source through ``inspect``.
"Cold" loads the file as a fresh module every time, so each ``grad`` call
sees a new function object and cannot hit a per-function cache; "cached"
asks again for the same function, which SPEC section 2 says costs no
transformation.  tangent-ad is timed the same way for comparison; its
in-memory cache is keyed by source, so it is cleared before each cold call,
and its disk cache is switched off by the runner (``TANGENT_DISK_CACHE=0``).
"""

import importlib.util
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import measure

FUNCTION_NAME = "generated"
# Each straight-line statement combines the two previous values.
_STRAIGHT = ("v{i} = v{a} * v{b} + x",
             "v{i} = np.tanh(v{a}) - 0.5 * v{b}",
             "v{i} = v{a} * y + np.exp(-v{b} * v{b})",
             "v{i} = (v{a} - v{b}) * 0.25 + y")
_LOOP = ("acc = np.tanh(acc * v{a} + y)",
         "acc = acc + 0.1 * v{a} * acc",
         "acc = acc * 0.9 + np.exp(-acc * acc)")


def generate_source(lines=100):
    """Source of ``generated(x, y)``: ``lines`` lines in all, about 70%
    straight-line code and the rest a ``for`` loop body."""
    body = ["v0 = x * y", "v1 = x + y"]
    n_straight = int(0.7 * lines) - 3
    for i, template in zip(range(2, n_straight + 2), itertools.cycle(_STRAIGHT)):
        body.append(template.format(i=i, a=i - 1, b=i - 2))
    last = n_straight + 1
    body.append(f"acc = v{last}")
    body.append("for i in range(3):")
    n_loop = lines - len(body) - 2  # the def line and the return
    for k, template in zip(range(n_loop), itertools.cycle(_LOOP)):
        body.append("    " + template.format(a=last - k))
    body.append("return np.sum(acc * acc)")
    text = [f"def {FUNCTION_NAME}(x, y):"] + ["    " + line for line in body]
    return "import numpy as np\n\n\n" + "\n".join(text) + "\n"


class FreshFunctions:
    """Loads the generated file as a new module on every call."""

    def __init__(self, lines=100):
        self._dir = tempfile.TemporaryDirectory(prefix="srcad-bench-")
        self.path = Path(self._dir.name) / "generated_100.py"
        self.source = generate_source(lines)
        self.path.write_text(self.source)
        self._count = itertools.count()

    def __call__(self):
        name = f"srcad_bench_generated_{next(self._count)}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, FUNCTION_NAME)

    def close(self):
        self._dir.cleanup()


COLD_BUDGET_S = 20.0  # tangent-ad needs ~12 s a time: stop repeating early


def time_cold(transform, fresh, repeats, before=None):
    """Median of ``transform(f)`` over up to ``repeats`` fresh functions;
    returns it with the last function, already transformed."""
    times = []
    for i in range(repeats):
        if sum(times) > COLD_BUDGET_S:
            break
        f = fresh()
        if before is not None:
            before()
        start = time.perf_counter()
        transform(f)
        times.append(time.perf_counter() - start)
    return statistics.median(times), f


def check_generated(df, fresh):
    """The 100-line gradient against central differences, at small arrays."""
    from benchmarks.workloads import central_differences, max_rel_error
    rng = np.random.default_rng(0)
    args = (0.3 * rng.standard_normal(3), 0.3 * rng.standard_normal(3))
    want = central_differences(fresh(), args, (0, 1))
    return max_rel_error(df(*args), want, floor=1.0)


SMALL_ARGS = (np.full(3, 0.3), np.full(3, -0.2))


def _transformers():
    """tool -> (make a gradient of f and call it once, clear the tool's cache
    or None).  The call is included because srcad compiles on first use."""
    from benchmarks import peers

    def srcad_grad(f):
        df = peers.import_optional("srcad").grad(f, wrt=(0, 1))
        df(*SMALL_ARGS)
        return df

    def tangent_grad(f):
        df = peers.import_optional("tangent").grad(f, wrt=(0, 1), verbose=0)
        df(*SMALL_ARGS)
        return df

    def tangent_clear():
        peers.import_optional("tangent").clear_cache()
    return {"srcad": (srcad_grad, None), "tangent-ad": (tangent_grad, tangent_clear)}


def transformation_times(cold_repeats, budget_s, skip=()):
    """tool -> dict(cold=s, cached=s, call=s, error=rel. error vs FD), or
    dict(note=reason) for a tool that is skipped, missing or failing."""
    fresh = FreshFunctions()
    rows = {}
    try:
        for tool, (transform, clear) in _transformers().items():
            if tool in skip:
                rows[tool] = {"note": "skipped (--quick)"}
                continue
            try:
                cold, f = time_cold(transform, fresh, cold_repeats, clear)
                df = transform(f)
                rows[tool] = {
                    "cold": cold,
                    "cached": measure(lambda: transform(f), budget_s).median_s,
                    "call": measure(lambda: df(*SMALL_ARGS), budget_s).median_s,
                    "error": check_generated(df, fresh)}
            except Exception as exc:  # a missing or failing tool is a result
                text = (str(exc).strip().splitlines() or [""])[0][:200]
                rows[tool] = {"note": f"{type(exc).__name__}: {text}"}
    finally:
        fresh.close()
    return rows
