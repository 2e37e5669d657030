"""``python -m benchmarks``: see ``benchmarks/run.py``.

Every tool runs single-threaded unless the caller sets these variables: on a
small shared machine, multithreaded OpenBLAS spin-waits on busy cores (a
128x100x128 matmul took 40 ms instead of 0.1 ms here), and one thread makes
the comparison about differentiation overhead rather than about BLAS, Eigen
or OpenMP scheduling.  They must be set before NumPy, PyTorch or JAX load.
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

from benchmarks.run import main  # noqa: E402  (after the thread settings)

raise SystemExit(main())
