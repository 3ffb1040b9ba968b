"""The affine MCDA fast path below and above ``COMPILED_MIN_CELLS`` (issue 17): numpy for small
matrices, the compiled kernels for large ones, the same rows bit for bit from the same column
statistics."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import mcda

NUMPY, KERNELS = 1 << 62, 0


def _frame(n: int, k: int, seed: int) -> tuple[pl.DataFrame, dict, dict]:
    rng = np.random.default_rng(seed)
    X = rng.choice(np.r_[rng.uniform(-50, 100, 40), 0.0, -0.0, 7.5], size=(n, k))
    crit = {f"c{j}": ("min" if j % 3 == 0 else "max") for j in range(k)}
    raw = rng.uniform(0.1, 1.0, k)
    w = dict(zip(crit, (raw / raw.sum()).tolist(), strict=True))
    return pl.DataFrame(X, schema=list(crit)), crit, w


@pytest.mark.filterwarnings("ignore::evaltools.errors.EvalToolsWarning")  # n = 1 or constant columns: warned, still scored
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 11), seed=st.integers(0, 2**32 - 1))
def test_numpy_path_is_bitwise_the_kernels(n, k, seed):
    df, crit, w = _frame(n, k, seed)
    out = {}
    for mode in (NUMPY, KERNELS):
        with patch.object(mcda, "COMPILED_MIN_CELLS", mode):
            out[mode] = [mcda.weighted_sum(df, crit, w, normalization="minmax"),
                         mcda.topsis(df, crit, w, normalization="minmax"),
                         mcda.weighted_sum(df, crit, w, normalization="vector"),
                         mcda.topsis(df, crit, w, normalization="vector")]
    for a, b in zip(out[NUMPY][:2], out[KERNELS][:2], strict=True):
        assert a.equals(b)  # min-max: identical statistics, identical rows
    for a, b in zip(out[NUMPY][2:], out[KERNELS][2:], strict=True):
        # vector: the sums of squares are added in another order (last bits)
        np.testing.assert_allclose(a["score"].to_numpy(), b["score"].to_numpy(),
                                   rtol=1e-13, atol=1e-15)


def test_statistics_match_the_kernels_exactly_for_min_and_max():
    from evaltools import _kernels

    df, crit, _ = _frame(500, 7, 4)
    cols = tuple(df.get_column(c).to_numpy() for c in crit)
    lo, hi, ss = mcda._numpy_stats(cols)
    klo, khi, kss = _kernels.column_stats(_kernels.as_columns(list(cols)))
    assert lo.view(np.int64).tolist() == klo.view(np.int64).tolist()  # −0.0 below +0.0 too
    assert hi.view(np.int64).tolist() == khi.view(np.int64).tolist()
    np.testing.assert_allclose(ss, kss, rtol=1e-14)


@pytest.mark.parametrize("n, k, kernels", [(1_000, 20, False), (25_000, 20, True)])
def test_threshold_picks_the_path(n, k, kernels):
    df, crit, _ = _frame(n, k, 1)
    cols, *_ = mcda._columns(df, list(crit), None)
    assert isinstance(cols, tuple) is not kernels
    assert mcda._uses_kernels(n, k) is kernels
