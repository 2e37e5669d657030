"""The benchmark suite runs, and its hand-written baselines are right.

No timing is asserted (SPEC section 7: performance is measured in
benchmarks/, never by a timed unit test).  Peers that are not installed
only change cell texts, so these tests need neither srcad's peers nor a
working srcad.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import workloads

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_hand_written_gradient_matches_central_differences(name):
    f, grad_f = workloads.WORKLOADS[name]
    args, wrt = workloads.check_inputs(name)
    want = workloads.central_differences(f, args, wrt)
    assert workloads.max_rel_error(grad_f(*args), want, floor=1.0) < 1e-5


@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_inputs_are_float64_and_seeded(name):
    first, wrt = workloads.make_inputs(name, quick=True)
    again, _ = workloads.make_inputs(name, quick=True)
    for k in workloads._wrt_tuple(wrt):
        assert isinstance(first[k], float) or first[k].dtype == "float64"
    for a, b in zip(first, again):
        assert (a == b) if not hasattr(a, "shape") else (a == b).all()


def test_quick_run_prints_a_row_per_workload(tmp_path):
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.split("## Gradient time")[1].split("\n## ")[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines()
            if line.startswith("| ")]
    assert set(workloads.WORKLOADS) <= set(rows)
    assert output.read_text().strip() == done.stdout.strip()
