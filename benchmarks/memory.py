"""Peak memory of one gradient evaluation, measured two ways.

``tracemalloc`` sees every NumPy buffer (NumPy reports its allocations to
it), so for the NumPy-based tools it is exact; it sees nothing of what
PyTorch and XLA allocate natively.  The resident-set high-water mark sees
everything in the process, but only what the allocators had to fetch from
the OS: memory freed earlier and reused does not show, so it is a lower
bound.  Linux lets a process reset its high-water mark
(``/proc/self/clear_refs``).  In the main process the timing runs have
already left freed memory behind, so the full run measures the RSS figure
in a fresh process per tool (``python -m benchmarks.memory WORKLOAD TOOL``)
that warms up on the small check inputs only, then runs one full-size
gradient.
"""

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

CLEAR_REFS = "/proc/self/clear_refs"


def traced_peak_bytes(run):
    """Peak bytes traced by ``tracemalloc`` above the level before ``run()``."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def rss_peak_bytes(run):
    """Growth of the resident-set high-water mark during ``run()``, or None
    where the OS cannot reset the mark (not Linux)."""
    try:
        with open(CLEAR_REFS, "w") as clear:
            clear.write("5")  # 5: reset VmHWM to the current RSS
        before = _status_kib("VmRSS")
    except OSError:
        return None
    run()
    return (_status_kib("VmHWM") - before) * 1024


def format_bytes(n):
    if n is None:
        return "n/a"
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


# ----- RSS in a fresh process -----

def rss_growth_in_subprocess(workload, tool, timeout_s=120):
    """Bytes, or None if the child fails (its reason is not worth a cell)."""
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory", workload, tool],
                              cwd=root, capture_output=True, text=True,
                              timeout=timeout_s, env=dict(os.environ))
        return json.loads(done.stdout.strip().splitlines()[-1])["rss_growth"]
    except (subprocess.TimeoutExpired, ValueError, IndexError, KeyError):
        return None


def _child(workload, tool):
    from benchmarks.run import tools_for
    from benchmarks.workloads import WORKLOADS, check_inputs, make_inputs
    f = WORKLOADS[workload][0]
    prepare = tools_for(workload)[tool]
    small, wrt = check_inputs(workload)
    prepare(f, small, wrt).run()  # imports, lazy initialisation, small kernels
    args, wrt = make_inputs(workload, quick=False)
    run = prepare(f, args, wrt).run
    if tool == "jax jit":
        run()  # its first call compiles: that memory is not the gradient's
    print(json.dumps({"rss_growth": rss_peak_bytes(run)}))


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    _child(*sys.argv[1:3])
