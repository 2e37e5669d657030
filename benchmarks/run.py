"""``python -m benchmarks [--quick] [--only NAME] [--check] [--output PATH]``

Runs every tool on every workload of SPEC section 7 in one process, checks
each gradient against the hand-written one before timing it, and prints and
writes a markdown report (see ``report.py``).  A tool that is missing or
fails fills its cell with the reason; the run itself only fails when the
hand-written baseline or the harness is broken.
"""

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

# Before anything imports tangent: its on-disk cache of generated code would
# turn every later run's "transformation" into a file read (and write to ~).
os.environ.setdefault("TANGENT_DISK_CACHE", "0")

import numpy as np

from benchmarks import peers, report
from benchmarks.memory import rss_growth_in_subprocess, traced_peak_bytes
from benchmarks.swell import expression_swell
from benchmarks.timing import measure, paired_ratio
from benchmarks.element_loops import element_loop_times
from benchmarks.transform_time import transformation_times
from benchmarks.workloads import (SCALAR_WORKLOADS, WORKLOADS, central_differences,
                                  check_inputs, count_inputs, make_inputs,
                                  max_rel_error)

HERE = Path(__file__).resolve().parent
AD_TOLERANCE = 1e-7    # relative to the largest entry of each gradient part
FD_TOLERANCE = 1e-5    # relative, with a floor of 1 (see max_rel_error)
MEMORY_WORKLOADS = ("rnn",)


@dataclass
class Settings:
    """What differs between the full run and ``--quick`` (under 30 s)."""
    quick: bool
    budget_s: float        # time budget per timed cell
    fd_limit_s: float      # finite differences estimated, not run, above this
    swell_max_n: int       # sympy: n = 1..swell_max_n
    cold_repeats: int      # fresh functions per cold transformation timing
    skip: dict = field(default_factory=dict)  # (workload, tool) -> reason

    @classmethod
    def for_mode(cls, quick):
        if not quick:
            return cls(False, budget_s=1.0, fd_limit_s=5.0, swell_max_n=12,
                       cold_repeats=5)
        # Cells whose first call costs seconds whatever the size: JAX eager
        # compiles a kernel per primitive and shape, jit compiles the
        # unrolled loop, tangent-ad transforms the 100-line function in
        # ~12 s.  All of them run in the full run.
        reason = "skipped (--quick)"
        slow = {(name, "jax"): reason for name in ("logistic", "mlp", "rnn", "rk4")}
        slow.update({("rk4", "jax jit"): reason, ("transform", "tangent-ad"): reason})
        return cls(True, budget_s=0.05, fd_limit_s=0.2, swell_max_n=6,
                   cold_repeats=1, skip=slow)


# tools whose call takes longer are not timed in pairs with the forward (their ratio is
# of two medians: at these lengths the machine's drift matters little, the time a lot)
PAIRED_LIMIT_S = 0.1
# the peers that SPEC section 7 compares srcad with workload by workload: timed in pairs
PAIRED_PEERS = ("hand", "tangent-ad")


@dataclass
class Cell:
    """One tool on one workload: a median time, or a short reason why not."""
    seconds: float = None
    setup_s: float = None   # first call's extra time: transformation, compilation
    note: str = ""          # shown in the table instead of (or after) the time
    detail: str = ""        # the full error, listed under the tables
    memory: tuple = None    # (tracemalloc peak, RSS high-water growth) in bytes
    per_forward: float = None   # time / one forward, timed in pairs (timing.paired_ratio)

    @property
    def ok(self):
        return self.seconds is not None and not self.note


@dataclass
class WorkloadResult:
    name: str
    forward_s: float
    cells: dict             # tool name -> Cell
    # peer of PAIRED_PEERS -> srcad's time / the peer's, the two timed in pairs
    srcad_paired: dict = field(default_factory=dict)


# ----- one cell -----

def _failure(exc):
    """A table-sized reason plus the full message for the notes."""
    if isinstance(exc, peers.Unavailable):
        return Cell(note=str(exc))
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return Cell(note=f"error: {type(exc).__name__}",
                detail=f"{type(exc).__name__}: {first_line[:300]}")


def _check(prepare, f, cases, tool):
    """Prepare and run the tool on each ``(args, wrt, want)`` case, the timed
    case first so that its first call is the cold one.  Returns a Cell on
    failure, else ``(Prepared of the timed case, seconds of its prepare and
    first call)``."""
    floor, tolerance = (1.0, FD_TOLERANCE) if tool == "fd" else (0.0, AD_TOLERANCE)
    timed = None
    for number, (args, wrt, want) in enumerate(cases):
        which = "small check inputs" if number else "timed inputs"
        start = time.perf_counter()
        try:
            prepared = prepare(f, args, wrt)
            got = prepared.to_numpy(prepared.run())
        except Exception as exc:  # a peer's failure is a result, not a crash
            return _failure(exc)
        timed = timed or (prepared, time.perf_counter() - start)
        error = max_rel_error(got, want, floor)
        if not error <= tolerance:
            return Cell(note="WRONG", detail=f"max relative error {error:.2e} "
                        f"against the hand-written gradient ({which})")
    return timed


def run_cell(name, tool, prepare, cases, forward_s, settings, runs=None):
    """Check, then time, one tool on one workload; `runs` (a dict) learns the prepared
    gradient call of the tool."""
    if (name, tool) in settings.skip:
        return Cell(note=settings.skip[(name, tool)])
    f = WORKLOADS[name][0]
    args, wrt, want = cases[0]
    if tool == "fd":
        estimate = 2 * count_inputs(args, wrt) * forward_s
        if estimate > settings.fd_limit_s:
            return Cell(seconds=estimate, note="est.")
    checked = _check(prepare, f, cases, tool)
    if isinstance(checked, Cell):
        return checked
    prepared, first_s = checked
    try:
        timing = measure(prepared.run, settings.budget_s)
    except Exception as exc:
        return _failure(exc)
    cell = Cell(seconds=timing.median_s, setup_s=max(first_s - timing.median_s, 0.0))
    if runs is not None:
        runs[tool] = prepared.run
    if timing.median_s <= PAIRED_LIMIT_S:
        cell.per_forward = paired_ratio(prepared.run, lambda: f(*args), settings.budget_s)
    if name in MEMORY_WORKLOADS:
        rss = None if settings.quick else rss_growth_in_subprocess(name, tool)
        cell.memory = (traced_peak_bytes(prepared.run), rss)
    return cell


# ----- one workload -----

def tools_for(name):
    """The tool table with the hand-written gradient of ``name`` filled in;
    forward mode only where the differentiated inputs are a few scalars."""
    tools = dict(peers.TOOLS, hand=peers.prepare_hand(WORKLOADS[name][1]))
    if name not in SCALAR_WORKLOADS:
        tools["srcad fwd"] = None
    return tools


def bench_workload(name, settings):
    f, grad_f = WORKLOADS[name]
    args, wrt = make_inputs(name, settings.quick)
    cases = [(args, wrt, grad_f(*args))]
    check_args, check_wrt = check_inputs(name)
    if not _same_inputs(check_args, args):
        cases.append((check_args, check_wrt, grad_f(*check_args)))
    forward_s = measure(lambda: f(*args), settings.budget_s).median_s
    cells, runs = {}, {}
    for tool, prepare in tools_for(name).items():
        if prepare is None:
            cells[tool] = Cell(note="—")
            continue
        cells[tool] = run_cell(name, tool, prepare, cases, forward_s, settings, runs)
        _progress(f"{name:>14} {tool:<11} {report.cell_time(cells[tool])}")
    # srcad against the hand-written gradient and tangent-ad back to back, as against the
    # forward: timed apart, minutes after each other, the heap and the machine's speed differ
    paired = {}
    for peer in PAIRED_PEERS:
        if "srcad" in runs and peer in runs \
                and max(cells["srcad"].seconds, cells[peer].seconds) <= PAIRED_LIMIT_S:
            paired[peer] = paired_ratio(runs["srcad"], runs[peer], settings.budget_s)
    return WorkloadResult(name, forward_s, cells, paired)


def _same_inputs(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _progress(line):
    print(line, file=sys.stderr, flush=True)


def run_swell(max_n):
    """Sympy rows, or a one-line reason when sympy is missing or fails."""
    try:
        return expression_swell(max_n)
    except Exception as exc:
        return f"not run: {type(exc).__name__}: {exc}"


# ----- --check: the hand-written gradients against finite differences -----

def check_hand_gradients(names):
    """0 if every hand-written gradient matches central differences."""
    failures = 0
    for name in names:
        f, grad_f = WORKLOADS[name]
        args, wrt = check_inputs(name)
        error = max_rel_error(grad_f(*args), central_differences(f, args, wrt), 1.0)
        ok = error <= FD_TOLERANCE
        failures += not ok
        print(f"{name:>14}: hand vs central differences, error {error:.1e} "
              f"{'ok' if ok else 'MISMATCH'}")
    return 1 if failures else 0


# ----- the whole run -----

def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, short budgets (under 30 s)")
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="one workload")
    parser.add_argument("--check", action="store_true",
                        help="only check the hand-written gradients")
    parser.add_argument("--output", type=Path,
                        help="report file (default: benchmarks/RESULTS.md for a "
                             "full run, benchmarks/RESULTS-quick.md otherwise)")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    names = [options.only] if options.only else list(WORKLOADS)
    if options.check:
        return check_hand_gradients(names)
    warnings.filterwarnings("ignore", category=SyntaxWarning)  # tangent-ad's sources
    settings = Settings.for_mode(options.quick)
    context = {"load_start": os.getloadavg()[0], "imports": peers.preload()}
    results = [bench_workload(name, settings) for name in names]
    transform = transformation_times(
        settings.cold_repeats, settings.budget_s,
        skip=[tool for (what, tool) in settings.skip if what == "transform"])
    swell = run_swell(settings.swell_max_n) if "logistic" in names else None
    loops = element_loop_times(settings.budget_s, settings.quick) if not options.only else None
    context["load_end"] = os.getloadavg()[0]
    text = report.render(results, transform, swell, settings, context, loops)
    print(text)
    output = options.output or HERE / (
        "RESULTS.md" if not (options.quick or options.only) else "RESULTS-quick.md")
    output.write_text(text + "\n")
    print(f"\nwritten to {output}", file=sys.stderr)
    return 0
