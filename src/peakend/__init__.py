"""peakend: customer experience of service halls by the peak-end rule."""

import os
import sys


def _one_blas_thread() -> None:
    """Numpy's linear algebra on `PEAKEND_BLAS_THREADS` threads (default 1) in this process: peakend's fits are small
    matrices, where more BLAS threads only contend with each other, the web's threads and DuckDB's — a 6,400 × 31
    Hessian took 80 ms on two threads of a busy 2-core machine and 2 ms on one. An explicit OPENBLAS_NUM_THREADS
    or MKL_NUM_THREADS wins."""
    raw = os.environ.get("PEAKEND_BLAS_THREADS", "").strip()
    threads = raw if raw.isdigit() and int(raw) > 0 else "1"
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)
    if "numpy" in sys.modules:  # loaded before peakend (a host program, a test runner): limit it now
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")


_one_blas_thread()
