"""The compiled MCDA kernels (evaltools._kernels) against plain numpy, serial and parallel."""

from __future__ import annotations

from contextlib import contextmanager
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaltools import _kernels, mcda
from evaltools.errors import EvalToolsError

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def matrices(max_rows: int = 9000, max_cols: int = 9):
    """(n, k) float matrices: n crosses the 4096-row block size, k covers k % 4 = 0..3."""
    shape = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=finite))


MODES = pytest.mark.parametrize("mode", ["serial", "parallel", "serial keys", "parallel keys"])


@contextmanager
def driver(mode: str):
    """Run through the serial or the parallel driver (the parallel one forced on small inputs),
    with the statistics' min/max on integer keys ("keys") or on floats, whichever this CPU
    measured faster (the choice is forced here at every size)."""
    with patch.object(_kernels, "_PARALLEL_MIN_CELLS", 0 if "parallel" in mode else 1 << 62), \
            patch.object(_kernels, "_CALIBRATION_ROWS", 0), \
            patch.object(_kernels, "_KEYS_FASTER", "keys" in mode):
        yield


def _cols(X: np.ndarray) -> _kernels.Columns:
    return _kernels.as_columns([X[:, j] for j in range(X.shape[1])])


@MODES
@settings(max_examples=60, deadline=None)
@given(X=matrices())
def test_column_stats_match_numpy(mode, X):
    with driver(mode):
        lo, hi, ss = _kernels.column_stats(_cols(X))
        assert np.array_equal(lo, X.min(axis=0)) and np.array_equal(hi, X.max(axis=0))
        ref = np.einsum("ij,ij->j", X, X)
        np.testing.assert_allclose(ss, ref, rtol=1e-12, atol=1e-300)


@MODES
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, -np.nan])
def test_column_stats_make_any_missing_value_non_finite(mode, bad):
    with driver(mode):
        X = np.arange(30.0).reshape(10, 3)
        X[7, 1] = bad
        lo, hi, ss = _kernels.column_stats(_cols(X))
        assert not (np.isfinite(lo[1]) and np.isfinite(hi[1]) and np.isfinite(ss[1]))
        assert np.isfinite([lo[0], hi[0], ss[0], lo[2], hi[2], ss[2]]).all()


@MODES
def test_signed_zero_and_negative_values(mode):
    with driver(mode):
        X = np.array([[-0.0, -3.5], [0.0, -1e-300], [2.0, -7.25]])
        lo, hi, _ = _kernels.column_stats(_cols(X))
        assert lo.tolist() == [0.0, -7.25] and hi.tolist() == [2.0, -1e-300]
        assert np.signbit(lo[0])  # −0.0 orders below +0.0, as mcda._numpy_stats's keys do


@MODES
@settings(max_examples=80, deadline=None)
@given(X=matrices(max_rows=5000, max_cols=5).map(np.trunc).map(lambda X: X % 3 - 1),
       signs=st.data())
def test_zero_extremes_keep_the_numpy_paths_sign(mode, X, signs):
    """Columns of −1, ±0 and 1 (zero extremes are common: a count of 0): the kernel's minimum and
    maximum equal mcda._numpy_stats's bit for bit, the sign of zero included."""
    flip = signs.draw(arrays(np.bool_, X.shape))
    X = np.where((X == 0) & flip, -0.0, X)
    with driver(mode):
        lo, hi, _ss = _kernels.column_stats(_cols(X))
    rlo, rhi, _ = mcda._numpy_stats(tuple(np.ascontiguousarray(X[:, j]) for j in range(X.shape[1])))
    assert lo.tobytes() == rlo.tobytes() and hi.tobytes() == rhi.tobytes()


@MODES
@settings(max_examples=60, deadline=None)
@given(X=matrices(), data=st.data())
def test_weighted_rows_match_numpy(mode, X, data):
    with driver(mode):
        k = X.shape[1]
        a = data.draw(arrays(np.float64, k, elements=st.floats(-10, 10)))
        off = data.draw(arrays(np.float64, k, elements=finite))
        const = data.draw(st.floats(-5, 5))
        got = _kernels.weighted_rows(_cols(X), a, off, const)
        ref = (X - off) @ a + const
        scale = np.abs(X - off) @ np.abs(a) + abs(const) + 1.0
        assert np.all(np.abs(got - ref) <= 1e-13 * scale)


@MODES
@settings(max_examples=60, deadline=None)
@given(X=matrices(), data=st.data())
def test_topsis_closeness_matches_numpy(mode, X, data):
    with driver(mode):
        k = X.shape[1]
        a = data.draw(arrays(np.float64, k, elements=st.floats(-1, 1)))
        p, q = X.max(axis=0), X.min(axis=0)
        c, dp, dm = _kernels.topsis_closeness(_cols(X), a, p, a * (p - q))
        V = X * a
        ref_dp = np.sqrt((((X - p) * a) ** 2).sum(axis=1))
        ref_dm = np.sqrt((((X - q) * a) ** 2).sum(axis=1))
        np.testing.assert_allclose(dp, ref_dp, rtol=1e-12, atol=1e-9 * (np.abs(V).max() + 1))
        np.testing.assert_allclose(dm, ref_dm, rtol=1e-12, atol=1e-9 * (np.abs(V).max() + 1))
        den = dp + dm
        assert np.array_equal(c, np.where(den == 0, 1.0, dm / np.where(den == 0, 1.0, den)))


def test_serial_and_parallel_are_bitwise_identical(monkeypatch):
    rng = np.random.default_rng(7)
    X = rng.uniform(-50, 100, (20_011, 7))
    a, p = rng.uniform(-1, 1, 7), X.max(axis=0)
    out = {}
    for name, cells in (("serial", 1 << 62), ("parallel", 0)):
        monkeypatch.setattr(_kernels, "_PARALLEL_MIN_CELLS", cells)
        cols = _cols(X)
        out[name] = (*_kernels.column_stats(cols), _kernels.weighted_rows(cols, a, p, 0.5),
                     *_kernels.topsis_closeness(cols, a, p, a))
    for s, par in zip(out["serial"], out["parallel"], strict=True):
        assert np.array_equal(s[np.isfinite(s)], par[np.isfinite(par)])


@MODES
def test_equal_rows_get_equal_scores_wherever_they_sit(mode):
    """Ties stay ties: a row's score does not depend on its position (block, vector lane)."""
    with driver(mode):
        rng = np.random.default_rng(3)
        row = rng.uniform(0, 100, 9)
        X = rng.uniform(0, 100, (9_001, 9))
        at = [0, 1, 2, 3, 4095, 4096, 4097, 8190, 9_000]
        X[at] = row
        df = pl.DataFrame({f"c{j}": X[:, j] for j in range(9)})
        crit = {f"c{j}": ("min" if j % 3 == 0 else "max") for j in range(9)}
        for norm in ("minmax", "vector"):
            for out in (mcda.weighted_sum(df, crit, normalization=norm),
                        mcda.topsis(df, crit, normalization=norm)):
                assert np.unique(out["score"].to_numpy()[at]).size == 1


@MODES
def test_missing_cell_is_still_named(mode):
    with driver(mode):
        df = pl.DataFrame({"unit_id": ["甲", "乙", "丙"], "卫生": [1.0, None, 3.0], "绿化": [2.0, 2.5, 1.0]})
        with pytest.raises(EvalToolsError) as e:
            mcda.topsis(df, {"卫生": "max", "绿化": "max"})
        p = e.value.problems[0]
        assert (p.column, p.rule) == ("卫生", "missing_value") and "乙" in p.message_zh()


def test_columns_of_other_dtypes_and_lengths():
    cols = _kernels.as_columns([np.array([1, 2, 3], dtype=np.int32), np.array([0.5, 1.5, 2.5])])
    assert cols.n == 3 and len(cols) == 2
    assert _kernels.weighted_rows(cols, np.ones(2), np.zeros(2), 0.0).tolist() == [1.5, 3.5, 5.5]
    with pytest.raises(ValueError):
        _kernels.as_columns([np.ones(3), np.ones(4)])


def test_kernels_compile_without_a_writable_cache_folder():
    """numba refuses cache=True where no cache folder can be found (here: code with no file);
    the kernels then compile per process instead of failing at import."""
    namespace: dict = {}
    exec("def double(x):\n    return 2 * x\n", namespace)  # no source file: no cache locator
    fn = _kernels._compiled(nogil=True)(namespace["double"])
    assert fn(21) == 42


@settings(max_examples=40, deadline=None)
@given(X=matrices(max_rows=20_000, max_cols=4), zeros=st.data())
def test_both_min_max_loops_give_the_same_bits(X, zeros):
    """Integer keys or floats: the same minimum, maximum (signed zeros too) and sum of squares,
    bit for bit, so which loop a CPU runs faster never changes a published number."""
    X = np.where(zeros.draw(arrays(np.bool_, X.shape)), -0.0, X)
    got = {}
    for keys in (False, True):
        with patch.object(_kernels, "_CALIBRATION_ROWS", 0), \
                patch.object(_kernels, "_KEYS_FASTER", keys):
            got[keys] = _kernels.column_stats(_cols(X))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(got[False], got[True], strict=True))


def test_the_loop_is_chosen_once_per_process():
    with patch.object(_kernels, "_KEYS_FASTER", None):
        choice = _kernels.integer_keys_faster()
        assert isinstance(choice, bool) and _kernels._KEYS_FASTER is choice
        assert _kernels.integer_keys_faster() is choice
