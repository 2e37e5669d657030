"""The markdown report: machine, tables, SPEC targets, notes.

Pure formatting of what ``run.py`` measured; nothing here times anything.
"""

import datetime
import os
import platform
import sys

import numpy as np

from benchmarks import peers
from benchmarks.memory import format_bytes
from benchmarks.swell import swell_table
from benchmarks.timing import format_seconds
from benchmarks.workloads import SCALAR_WORKLOADS

SRCAD_TOOLS = ("srcad", "srcad fwd")
PEERS = tuple(tool for tool in peers.TOOLS if tool not in SRCAD_TOOLS)
ARRAY_WORKLOADS = ("least_squares", "mlp", "rnn")
EAGER_PEERS = ("autograd", "jax", "torch")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "XLA_FLAGS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ----- cells -----

def cell_time(cell):
    if cell.seconds is None:
        return cell.note
    text = format_seconds(cell.seconds)
    return f"~{text} (est.)" if cell.note == "est." else text


def cell_with_ratio(cell, forward_s):
    """'1.23 ms (2.4×)': the gradient time and its ratio to one forward."""
    if cell.seconds is None:
        return cell.note
    return f"{cell_time(cell)} ({per_forward(cell, forward_s):.3g}×)"


def per_forward(cell, forward_s):
    """The cell's time in forward evaluations: timed in pairs where it was."""
    return cell.per_forward if cell.per_forward is not None else cell.seconds / forward_s


def ratio(a, b):
    """a's time / b's: through their paired ratios to the forward where both have one."""
    if a is None or b is None or not a.ok or b.seconds is None:
        return None
    if a.per_forward is not None and b.per_forward is not None and not b.note:
        return a.per_forward / b.per_forward
    return a.seconds / b.seconds


def _fmt_ratio(value):
    return "—" if value is None else f"{value:.3g}×"


def best_srcad(result):
    """The faster srcad mode that ran: what a user would pick."""
    ran = [result.cells[t] for t in SRCAD_TOOLS if result.cells[t].ok]
    return min(ran, key=lambda c: c.seconds) if ran else None


# ----- sections -----

def context_lines(context):
    """Import times, and the machine's load: other processes on the same
    cores make every figure slower and noisier."""
    parts = [f"{m} {format_seconds(v) if isinstance(v, float) else v}"
             for m, v in context["imports"].items()]
    start, end = context["load_start"], context["load_end"]
    lines = ["- import times (paid once, before timing): " + ", ".join(parts),
             f"- load average (1 min) at start: {start:.2f}, at end: {end:.2f}"]
    # (at the end, the 1-minute average counts the benchmark's own busy process: about 1)
    if max(start, end - 1.0) > 0.5 * (os.cpu_count() or 1):
        lines.append("- **warning: other processes were using the CPU during "
                     "this run; rerun on an idle machine before trusting the figures**")
    return lines


def machine_lines():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    lines = [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
             f"- CPU: {cpu}, {os.cpu_count()} logical cores",
             f"- Python {platform.python_version()}, NumPy {np.__version__} "
             f"(BLAS: {blas.get('name', '?')} {blas.get('version', '')})"]
    versions = ", ".join(f"{k} {v}" for k, v in peers.versions().items())
    lines.append(f"- packages: {versions}")
    threads = [f"{v}={os.environ[v]}" for v in THREAD_VARIABLES if v in os.environ]
    if "torch" in sys.modules:
        threads.append(f"torch.get_num_threads()={sys.modules['torch'].get_num_threads()}")
    lines.append(f"- threads: {', '.join(threads) or 'library defaults'}")
    return lines


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def time_table(results):
    header = ["workload", "forward"] + list(peers.TOOLS)
    rows = [[r.name, format_seconds(r.forward_s)]
            + [cell_with_ratio(r.cells[t], r.forward_s) for t in peers.TOOLS]
            for r in results]
    return _table(header, rows)


def ratio_table(results):
    rows = [[r.name] + [_fmt_ratio(srcad_ratio(r, p)) for p in PEERS] for r in results]
    return _table(["workload"] + list(PEERS), rows)


def srcad_ratio(result, peer):
    """srcad's time / `peer`'s on one workload; against the hand-written gradient and
    tangent-ad, the two timed in pairs where they were."""
    paired = result.srcad_paired.get(peer)
    if paired is not None:
        return paired
    return ratio(result.cells["srcad"], result.cells[peer])


def setup_table(results):
    tools = [tool for tool in peers.TOOLS if tool != "fd"]
    rows = [[r.name] + [format_seconds(r.cells[t].setup_s)
                        if r.cells[t].setup_s is not None else "—" for t in tools]
            for r in results]
    return _table(["workload"] + tools, rows)


def memory_table(results, quick):
    rows = []
    for r in results:
        for tool, cell in r.cells.items():
            if cell.memory is None:
                continue
            traced, rss = cell.memory
            traced_text = ("not captured" if tool in peers.NATIVE_MEMORY_TOOLS
                           else format_bytes(traced))
            rss_text = "full run only" if quick else format_bytes(rss)
            rows.append([f"{r.name}: {tool}", traced_text, rss_text])
    if not rows:
        return []
    return _table(["gradient", "tracemalloc peak", "RSS high-water growth"], rows)


def transform_lines(rows):
    table = []
    for tool, row in rows.items():
        if "note" in row:
            table.append([tool, row["note"], "", "", ""])
        else:
            table.append([tool, format_seconds(row["cold"]), format_seconds(row["cached"]),
                          format_seconds(row["call"]), f"{row['error']:.1e}"])
    return _table(["tool", "cold: grad(f) + 1st call, fresh f", "cached: same f",
                   "the call alone",
                   "gradient vs FD (rel. error)"], table)


def targets_lines(results, transform):
    """The SPEC section 7 targets, each with the figure that decides it."""
    lines = []
    for r in results:
        cell = r.cells["srcad"]
        figure = f"{per_forward(cell, r.forward_s):.3g}×" if cell.ok else cell.note
        met = per_forward(cell, r.forward_s) <= 3 if cell.ok else None
        lines.append(f"- gradient/forward <= 3, {r.name}: {figure}{_verdict(met)}")
    for r in results:
        if r.name in ARRAY_WORKLOADS:
            value = srcad_ratio(r, "hand")
            lines.append(f"- within 1.2× of hand-written, {r.name}: {_fmt_ratio(value)}"
                         f"{_verdict(None if value is None else value <= 1.2)}")
    for r in results:
        value = srcad_ratio(r, "tangent-ad")
        lines.append(f"- faster than tangent-ad, {r.name}: {_fmt_ratio(value)}"
                     f"{_verdict(None if value is None else value < 1)}")
    for r in results:
        if r.name in SCALAR_WORKLOADS:
            best = best_srcad(r)
            for peer in EAGER_PEERS:
                value = ratio(r.cells[peer], best) if best else None
                lines.append(f"- >= 5× faster than {peer}, {r.name}: "
                             f"{_fmt_ratio(value)}{_verdict(None if value is None else value >= 5)}")
    cold = transform.get("srcad", {}).get("cold")
    lines.append(f"- transformation of a 100-line function < 50 ms: "
                 f"{format_seconds(cold) if cold else 'n/a'}"
                 f"{_verdict(None if cold is None else cold < 0.05)}")
    return lines


def _verdict(met):
    """None: a figure is missing (srcad or the peer did not run)."""
    return {True: " — met", False: " — NOT met", None: " — not measured"}[met]


def notes_lines(results, settings):
    lines = [
        f"- Times are medians of adaptive repeats after one warm-up call, "
        f"{settings.budget_s:g} s budget per cell (time.perf_counter). "
        "Ratios in the first table are gradient time / one forward evaluation: for "
        "calls under 0.1 s, the median of per-round ratios with the gradient and "
        "the forward timed back to back in each round (up to 31 rounds), which this "
        "shared machine's drift of tens of percent between minutes barely moves; "
        "ratios between tools (second table) divide those, except srcad / hand "
        "and srcad / tangent-ad, whose two gradients are timed back to back in the "
        "same way; slower calls use the medians.",
        "- Every gradient is checked against the hand-written one before it "
        "is timed (relative error <= 1e-7; finite differences <= 1e-5); "
        "`WRONG` marks a mismatch. `logistic` is also checked at n = 8, since "
        "at r = 3.2 its derivative decays towards 0.",
        "- tangent-ad shares this venv with srcad (it accepts gast 0.6-0.7); "
        "its disk cache is disabled (TANGENT_DISK_CACHE=0).",
        "- `srcad fwd`: one `srcad.jvp` pass per scalar input (scalar workloads only).",
        "- `jax` is `jax.grad` without `jit` (op-by-op dispatch); `jax jit` times "
        "steady state only, its first call (trace + XLA compile) is in the "
        "first-call table. Python loops unroll under tracing; graphs over "
        f"{peers.JIT_MAX_FORWARD_OPS:,} forward ops are not compiled.",
        "- `fd`: central differences, 2 forward calls per scalar input; where "
        "that would exceed the cell budget the time is estimated (est.) as "
        "2 × inputs × forward.",
        "- Memory: tracemalloc counts NumPy buffers exactly but none of "
        "PyTorch's or XLA's native allocations (\"not captured\"). RSS "
        "high-water growth is taken in a fresh process per tool, warmed up on "
        "small inputs, during one full-size gradient: it covers every tool "
        "(for `jax` it includes compiling kernels for the new shapes; for "
        "`jax jit` one compiling call comes before it), but memory that "
        "allocators reuse does not show, so it is a lower bound, and a loose "
        "one for tools whose many small arrays fit in freed heap: compare "
        "NumPy-based tools by the tracemalloc column.",
    ]
    if settings.skip:
        skipped = ", ".join(f"{tool} on {what}" for what, tool in settings.skip)
        lines.append(f"- `--quick` skips the cells whose first call alone takes "
                     f"seconds at any size: {skipped}.")
    for r in results:
        for tool, cell in r.cells.items():
            if cell.detail:
                lines.append(f"- {r.name} / {tool}: {cell.detail}")
    return lines


def element_loop_lines(rows):
    table = [[name, size, format_seconds(forward),
              f"{format_seconds(fast)} ({fast / forward:.3g}×)",
              f"{format_seconds(slow)} ({slow / forward:.3g}×)"]
             for name, size, forward, fast, slow in rows]
    return _table(["workload", "size", "forward", "srcad (adds in place)",
                   "srcad, each element's update copying"], table)


def render(results, transform, swell, settings, context, loops=None):
    mode = "quick (small sizes)" if settings.quick else "full (SPEC section 7 sizes)"
    out = ["# srcad benchmarks", "", f"Mode: {mode}. Regenerate with "
           f"`python -m benchmarks{' --quick' if settings.quick else ''}`.", "",
           "## Machine", ""] + machine_lines() + context_lines(context)
    out += ["", "## Gradient time (ratio to one forward evaluation)", ""]
    out += time_table(results)
    out += ["", "## srcad (reverse) time / peer time (below 1: srcad faster)", ""]
    out += ratio_table(results)
    out += ["", "## First-call overhead (prepare + first call − one steady-state call)", "",
            "Where each tool pays for transformation, tracing or compilation: "
            "srcad on the first call per argument kinds, tangent-ad in `grad`, "
            "JAX per shape (eager: per-primitive kernels; jit: the whole graph).", ""]
    out += setup_table(results)
    memory = memory_table(results, settings.quick)
    if memory:
        out += ["", "## Peak memory of one gradient evaluation", ""] + memory
    out += ["", "## Transformation time, generated 100-line function", ""]
    out += transform_lines(transform)
    if loops:
        out += ["", "## Element loops (not a SPEC workload): reverse loops that add into "
                "adjoint arrays element by element", "",
                "`benchmarks/element_loops.py`: explicit heat steps and forward substitution "
                "written with scalar indexing, gradient time and its ratio to one forward "
                "evaluation, with srcad's update in place and with it switched off.", ""]
        out += element_loop_lines(loops)
    if swell:
        out += ["", "## Expression swell: sympy on the n-fold logistic map", "",
                "Symbolic d l_n / d l0 at r = 16/5; the AD gradient of `logistic` "
                "is the same few statements for every n.", ""]
        out += swell_table(swell) if not isinstance(swell, str) else [swell]
    out += ["", "## SPEC section 7 targets", ""] + targets_lines(results, transform)
    out += ["", "## Notes", ""] + notes_lines(results, settings)
    return "\n".join(out)
