"""Keeping the studio's resident memory flat over thousands of requests.

Measured here (benchmarks/studio_load.py, 2x384 LSTM, 200 tokens a request): the server grew from
about 300 MB to 700-900 MB over a few hundred requests and had not settled. Three causes, each
bounded here:

- Each request's sampler makes its own copies of the weights (`gen.stepper.Stepper`, ~9 MB for
  2x384). Freed blocks of that size raise glibc's dynamic mmap threshold, after which they come
  from the heap and are not given back: a fixed threshold keeps big blocks in mmap, returned at
  free.
- Starlette's thread pool has up to 40 threads; every thread that runs torch code keeps its own
  glibc arena and BLAS work buffers. Model work runs on `POOL_THREADS` threads of its own instead
  (`model_pool`), and glibc gets at most ``ARENAS`` arenas.
- Freed memory at the top of the heap is returned after each sample (``malloc_trim``).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from concurrent.futures import ThreadPoolExecutor

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024
ARENAS = 2

_libc = None


def _glibc():
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False  # not glibc (macOS, musl): nothing to tune
    return _libc


def bound_allocator() -> None:
    """Fix glibc's mmap threshold and cap its arenas (a no-op elsewhere)."""
    lib = _glibc()
    if lib:
        lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        lib.mallopt(M_ARENA_MAX, ARENAS)


def trim() -> None:
    lib = _glibc()
    if lib:
        lib.malloc_trim(0)


def model_pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="gen-model")


async def run_in(pool: ThreadPoolExecutor, fn, *args):
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


async def iterate_in(pool: ThreadPoolExecutor, iterator):
    """``async for`` over a blocking iterator, each ``next`` on ``pool``."""
    done = object()
    while True:
        item = await run_in(pool, next, iterator, done)
        if item is done:
            return
        yield item
