"""refimpl's benchmarks: ``python -m bench.run [--quick] [--only NAME] [--json FILE]``.

Each case times a refimpl computation against the same computation written
by hand in numpy, in the same process, and reports the ratio refimpl/numpy
(see ``bench/README.md`` and ``bench/RESULTS.md``).

Importing this package pins the BLAS/OpenMP thread count to one *before*
numpy is first imported (the variables are read when numpy's BLAS loads); if
numpy was already imported (a test process), the variables are left alone
and ``bench.harness.machine_info`` says the thread count was not pinned.
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

NUMPY_PREIMPORTED = "numpy" in sys.modules
"""Whether numpy was imported before ``bench`` (then the thread pin is too late)."""

if not NUMPY_PREIMPORTED:
    for _var in THREAD_VARS:
        os.environ[_var] = "1"
