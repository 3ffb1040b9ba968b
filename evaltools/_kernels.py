"""Compiled kernels for the affine MCDA fast path (weighted sum and TOPSIS, min-max / vector).

Why compiled: a decision matrix of n units × k criteria arrives as k polars columns. numpy needs
one pass (and a temporary) per operation, so the fastest numpy code read the 1M × 20 matrix about
nine times over; these kernels read it twice: once for the column statistics, once for the
scores. numba (LLVM) compiles them on first use and caches the machine code next to this file
(or in the user's cache directory when the package folder is read-only), on both cores.

Exactness: the score of a row is computed from that row's values in the same order (criterion 0,
1, …) whatever its position, with no fused multiply-add, so equal rows get equal scores (ties stay
ties). Only the column statistics are summed in another order than numpy's (in lanes), which
changes the sum of squares in its last bits (relative 1e-15 or so); minimum and maximum are exact.

Missing values: NaN and ±inf are not skipped: they make a minimum, maximum or sum of squares
non-finite, which the caller turns into the documented "missing value" error.

The minimum and maximum are taken on floats under fast-math flags or on order-preserving
integer keys, whichever loop this CPU runs faster (the same results); −0.0 orders below +0.0,
and NaN/±inf are caught by the sum of squares (see :func:`column_stats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import carray, njit, prange, types
from numba.extending import intrinsic

_BLOCK = 4096  # rows per block in the score kernels: the block's outputs stay in L1/L2
_PARALLEL_MIN_CELLS = 1 << 20  # units × criteria from which the kernels use every core
_REASSOC = {"reassoc", "nsz"}  # sums may be reordered (lanes); NaN/inf semantics are kept
#: the column statistics' flags: LLVM vectorises a float min/max reduction only when told there
#: is no NaN, no ±inf to care about and no sign of zero (see column_stats for why that is safe)
_STATS_FLAGS = {"reassoc", "nsz", "nnan", "ninf"}
_SIGN = np.int64(-0x8000000000000000)  # the bit pattern of −0.0
#: a float's bits xor this where the sign bit is set: int64 keys in the order of the floats
_MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)


def _compiled(**options):
    """``numba.njit`` with the machine code cached on disk (next to this file, else in the user's
    cache folder); compiled once per process instead when no cache folder is writable (numba
    refuses ``cache=True`` then, at import)."""

    def wrap(fn):
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function …: no locator available"
            return njit(**options)(fn)

    return wrap


@intrinsic
def _column(typingctx, addr):  # pragma: no cover - compiled
    """The float64 column at an integer address, as a pointer for ``numba.carray``.

    The kernels take the k columns as one int64 array of addresses (and their common length):
    a numba typed list of arrays costs half a second per process to set up, and a tuple would
    compile once per number of criteria. :class:`Columns` keeps the arrays alive meanwhile.
    """
    ptr = types.CPointer(types.float64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(ptr))

    return ptr(types.int64), codegen


@_compiled(fastmath=_REASSOC, nogil=True)
def _block_squares(c, s, e):  # pragma: no cover - compiled
    """Σ c[s:e]² — one function for both statistics kernels, so their sums of squares add in the
    same lanes and agree bit for bit whichever kernel runs (the block is in L1 by then)."""
    bss = 0.0
    for i in range(s, e):
        v = c[i]
        bss += v * v
    return bss


@_compiled(fastmath=_STATS_FLAGS, nogil=True)
def _float_min_max(c, s, e):  # pragma: no cover - compiled
    blo = np.inf
    bhi = -np.inf
    for i in range(s, e):
        v = c[i]
        blo = v if v < blo else blo
        bhi = v if v > bhi else bhi
    return blo, bhi


@_compiled(nogil=True)
def _key_min_max(c, s, e):  # pragma: no cover - compiled
    """:func:`_float_min_max` on the order-preserving integer keys of the floats, turned back
    into floats (the map is its own inverse)."""
    u = c.view(np.int64)
    blo = _MAGNITUDE
    bhi = -_MAGNITUDE - 1
    for i in range(s, e):
        k = u[i] ^ ((u[i] >> 63) & _MAGNITUDE)
        blo = k if k < blo else blo
        bhi = k if k > bhi else bhi
    out = np.empty(2, np.int64)
    out[0] = blo ^ ((blo >> 63) & _MAGNITUDE)
    out[1] = bhi ^ ((bhi >> 63) & _MAGNITUDE)
    f = out.view(np.float64)
    return f[0], f[1]


@_compiled(nogil=True)
def _column_stats(c, keys):  # pragma: no cover - compiled
    """Minimum, maximum and sum of squares of one column, block by block: each block's minimum
    and maximum on floats (``keys`` False) or on their order-preserving integer keys, then its
    squares (the sign of a zero extreme: see :func:`column_stats`)."""
    lo = np.inf
    hi = -np.inf
    ss = 0.0
    for s in range(0, c.size, _BLOCK):
        e = min(s + _BLOCK, c.size)
        blo, bhi = _key_min_max(c, s, e) if keys else _float_min_max(c, s, e)
        lo = min(lo, blo)
        hi = max(hi, bhi)
        ss += _block_squares(c, s, e)
    return lo, hi, ss


@_compiled(parallel=True, nogil=True)
def _stats_parallel(addrs, n, lo, hi, ss, keys):  # pragma: no cover - compiled
    for j in prange(addrs.size):
        lo[j], hi[j], ss[j] = _column_stats(carray(_column(addrs[np.int64(j)]), n), keys)


@_compiled(nogil=True)
def _stats_serial(addrs, n, lo, hi, ss, keys):  # pragma: no cover - compiled
    for j in range(addrs.size):
        lo[j], hi[j], ss[j] = _column_stats(carray(_column(addrs[j]), n), keys)


@_compiled(nogil=True, inline="always")
def _wsm_block(addrs, a, off, const, out, blk):  # pragma: no cover - compiled
    n, k = out.size, addrs.size
    k4 = k - k % 4
    # rows s:e of block number blk
    s = blk * _BLOCK
    e = min(s + _BLOCK, n)
    o = out[s:e]
    o[:] = const
    for j in range(0, k4, 4):  # four columns per sweep: a quarter of the loads and stores
        x0, x1 = carray(_column(addrs[j]), n)[s:e], carray(_column(addrs[j + 1]), n)[s:e]
        x2, x3 = carray(_column(addrs[j + 2]), n)[s:e], carray(_column(addrs[j + 3]), n)[s:e]
        a0, a1, a2, a3 = a[j], a[j + 1], a[j + 2], a[j + 3]
        o0, o1, o2, o3 = off[j], off[j + 1], off[j + 2], off[j + 3]
        for i in range(e - s):
            t = o[i]  # added in criterion order, exactly as one column at a time
            t += a0 * (x0[i] - o0)
            t += a1 * (x1[i] - o1)
            t += a2 * (x2[i] - o2)
            t += a3 * (x3[i] - o3)
            o[i] = t
    for j in range(k4, k):
        x = carray(_column(addrs[j]), n)[s:e]
        aj = a[j]
        oj = off[j]
        for i in range(e - s):
            o[i] += aj * (x[i] - oj)


@_compiled(parallel=True, nogil=True)
def _wsm_parallel(addrs, a, off, const, out):  # pragma: no cover - compiled
    for blk in prange((out.size + _BLOCK - 1) // _BLOCK):
        _wsm_block(addrs, a, off, const, out, blk)


@_compiled(nogil=True)
def _wsm_serial(addrs, a, off, const, out):  # pragma: no cover - compiled
    for blk in range((out.size + _BLOCK - 1) // _BLOCK):
        _wsm_block(addrs, a, off, const, out, blk)


@_compiled(nogil=True, inline="always")
def _add_squares(t, d0, d1, d2, d3):  # pragma: no cover - compiled
    """t + d0² + d1² + d2² + d3², added one at a time in that order (as column by column)."""
    t += d0 * d0
    t += d1 * d1
    t += d2 * d2
    t += d3 * d3
    return t


@_compiled(nogil=True, inline="always")
def _topsis_block(addrs, a, p, shift, closeness, d_plus, d_minus, blk):  # pragma: no cover
    n, k = d_plus.size, addrs.size
    k4 = k - k % 4
    # rows s:e of block number blk
    s = blk * _BLOCK
    e = min(s + _BLOCK, n)
    dp = d_plus[s:e]
    dm = d_minus[s:e]
    dp[:] = 0.0
    dm[:] = 0.0
    for j in range(0, k4, 4):  # four columns per sweep, added in criterion order
        x0, x1 = carray(_column(addrs[j]), n)[s:e], carray(_column(addrs[j + 1]), n)[s:e]
        x2, x3 = carray(_column(addrs[j + 2]), n)[s:e], carray(_column(addrs[j + 3]), n)[s:e]
        a0, a1, a2, a3 = a[j], a[j + 1], a[j + 2], a[j + 3]
        p0, p1, p2, p3 = p[j], p[j + 1], p[j + 2], p[j + 3]
        s0, s1, s2, s3 = shift[j], shift[j + 1], shift[j + 2], shift[j + 3]
        for i in range(e - s):
            d0 = a0 * (x0[i] - p0)  # v − PIS
            d1 = a1 * (x1[i] - p1)
            d2 = a2 * (x2[i] - p2)
            d3 = a3 * (x3[i] - p3)
            dp[i] = _add_squares(dp[i], d0, d1, d2, d3)
            dm[i] = _add_squares(dm[i], d0 + s0, d1 + s1, d2 + s2, d3 + s3)  # v − NIS
    for j in range(k4, k):
        x = carray(_column(addrs[j]), n)[s:e]
        aj = a[j]
        pj = p[j]
        sj = shift[j]
        for i in range(e - s):
            d = aj * (x[i] - pj)
            dp[i] += d * d
            d = d + sj
            dm[i] += d * d
    c = closeness[s:e]
    for i in range(e - s):  # while the block is in cache
        dp[i] = np.sqrt(dp[i])
        dm[i] = np.sqrt(dm[i])
        den = dp[i] + dm[i]
        c[i] = 1.0 if den == 0.0 else dm[i] / den


@_compiled(parallel=True, nogil=True)
def _topsis_parallel(addrs, a, p, shift, closeness, d_plus, d_minus):  # pragma: no cover
    for blk in prange((d_plus.size + _BLOCK - 1) // _BLOCK):
        _topsis_block(addrs, a, p, shift, closeness, d_plus, d_minus, blk)


@_compiled(nogil=True)
def _topsis_serial(addrs, a, p, shift, closeness, d_plus, d_minus):  # pragma: no cover
    for blk in range((d_plus.size + _BLOCK - 1) // _BLOCK):
        _topsis_block(addrs, a, p, shift, closeness, d_plus, d_minus, blk)


@dataclass(frozen=True)
class Columns:
    """k float64 columns of equal length n, ready for the kernels: the arrays (kept alive here)
    and their addresses."""

    arrays: tuple[np.ndarray, ...]
    addrs: np.ndarray
    n: int

    def __len__(self) -> int:
        return len(self.arrays)


def as_columns(cols: Sequence[np.ndarray]) -> Columns:
    """The columns as :class:`Columns` (no copy when they are contiguous float64 already, as
    polars' zero-copy views are)."""
    arrays = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in cols)
    n = arrays[0].size if arrays else 0
    if any(a.ndim != 1 or a.size != n for a in arrays):
        raise ValueError("columns must be one-dimensional and of equal length")
    addrs = np.array([a.ctypes.data for a in arrays], dtype=np.int64)
    return Columns(arrays, addrs, n)


def _parallel(cols: Columns) -> bool:
    """Both cores only for large matrices: waking the second thread costs more than a small
    matrix takes (and milliseconds when the machine is busy)."""
    return cols.n * len(cols) >= _PARALLEL_MIN_CELLS


def column_stats(cols: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum, maximum and sum of squares of every column, in one pass over the data (block by
    block: each block's minimum and maximum, then its squares while it is in L1).

    Which min/max loop LLVM vectorises depends on the CPU: floats under fast-math flags (no NaN,
    no inf, no signed zero) ran at memory speed on an AMD AVX-512 box where integer keys (bit
    pattern b ↦ b ^ ((b >> 63) & 0x7FF…F), the numpy path's) stayed scalar; on an Intel AVX-512
    box it is the other way round (1.0 against 0.28 ms per million values). Columns of at least
    ``_CALIBRATION_ROWS`` take the loop :func:`integer_keys_faster` measured faster; both give the
    same minimum and maximum (−0.0 below +0.0: the sign of a zero extreme is restored after the
    pass, as the numpy path's keys order it) and the same sum of squares (one function, the
    same lanes), bit for bit — only the time differs. NaN or ±inf anywhere make the column's sum of
    squares non-finite (the caller's "missing value" error); its minimum and maximum are then
    meaningless. The sum of squares is plain multiplies and adds, which the hardware computes as
    IEEE arithmetic whatever the flags (tests/test_kernels.py checks NaN, ±inf and −0.0 in both
    loops and both drivers).

    >>> import numpy as np
    >>> lo, hi, ss = column_stats(as_columns([np.array([3.0, -1.0, 2.0]), np.array([0.5, 4.0, 4.0])]))
    >>> lo.tolist(), hi.tolist(), ss.tolist()
    ([-1.0, 0.5], [3.0, 4.0], [14.0, 32.25])
    """
    k = len(cols)
    lo, hi, ss = np.empty(k), np.empty(k), np.empty(k)
    keys = cols.n >= _CALIBRATION_ROWS and integer_keys_faster()
    (_stats_parallel if _parallel(cols) else _stats_serial)(cols.addrs, cols.n, lo, hi, ss,
                                                            keys)
    for j in np.flatnonzero((lo == 0.0) | (hi == 0.0)):  # the sign of a zero extreme
        bits = cols.arrays[j].view(np.int64)
        if lo[j] == 0.0:
            lo[j] = -0.0 if (bits == _SIGN).any() else 0.0
        if hi[j] == 0.0:
            hi[j] = 0.0 if (bits == 0).any() else -0.0
    return lo, hi, ss


#: columns from this long take the min/max loop :func:`integer_keys_faster` chose
_CALIBRATION_ROWS = 1 << 16
_KEYS_FASTER: bool | None = None


def integer_keys_faster() -> bool:
    """Whether this CPU takes a column's minimum and maximum faster on integer keys than on
    floats (see :func:`column_stats`): measured once per process on 256k values, a millisecond
    or two once numba has the kernels in its cache. The choice changes no result."""
    global _KEYS_FASTER
    if _KEYS_FASTER is None:
        import time

        probe = as_columns([np.linspace(-1.0, 1.0, 1 << 18)])
        lo, hi, ss = np.empty(1), np.empty(1), np.empty(1)
        seconds = {}
        for keys in (False, True, False, True):  # the first run of each compiles or loads
            start = time.perf_counter()
            _stats_serial(probe.addrs, probe.n, lo, hi, ss, keys)
            seconds[keys] = time.perf_counter() - start
        _KEYS_FASTER = seconds[True] < seconds[False]
    return _KEYS_FASTER


def weighted_rows(cols: Columns, a: np.ndarray, off: np.ndarray, const: float) -> np.ndarray:
    """Σ_j a_j (x_ij − off_j) + const for every row i.

    >>> import numpy as np
    >>> cols = as_columns([np.array([1.0, 2.0]), np.array([10.0, 30.0])])
    >>> weighted_rows(cols, np.array([0.5, 0.1]), np.array([1.0, 10.0]), 1.0).tolist()
    [1.0, 3.5]
    """
    out = np.empty(cols.n)
    (_wsm_parallel if _parallel(cols) else _wsm_serial)(
        cols.addrs, np.ascontiguousarray(a, float), np.ascontiguousarray(off, float),
         float(const), out)
    return out


def topsis_closeness(cols: Columns, a: np.ndarray, p: np.ndarray, shift: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TOPSIS on v_ij = a_j x_ij + b_j: D⁺_i = √Σ_j (a_j (x_ij − p_j))², D⁻_i = √Σ_j (a_j (x_ij −
    p_j) + shift_j)² and the closeness D⁻/(D⁺ + D⁻) (1 where both are 0).

    >>> import numpy as np
    >>> cols = as_columns([np.array([0.0, 3.0, 1.0])])
    >>> c, dp, dm = topsis_closeness(cols, np.array([1.0]), np.array([3.0]), np.array([3.0]))
    >>> c.tolist(), dp.tolist(), dm.tolist()
    ([0.0, 1.0, 0.3333333333333333], [3.0, 0.0, 2.0], [0.0, 3.0, 1.0])
    """
    closeness, d_plus, d_minus = np.empty(cols.n), np.empty(cols.n), np.empty(cols.n)
    (_topsis_parallel if _parallel(cols) else _topsis_serial)(
        cols.addrs, np.ascontiguousarray(a, float), np.ascontiguousarray(p, float),
            np.ascontiguousarray(shift, float), closeness, d_plus, d_minus)
    return closeness, d_plus, d_minus
