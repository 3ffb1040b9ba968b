"""Rank correlations: hand-checked small rankings and properties against scipy / brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools.errors import UsageError
from evaltools.ranking import kendall_tau, spearman, weighted_spearman, ws_coefficient

REF = [1, 2, 3, 4, 5]


def test_hand_checked_values():
    # one swap at the top of five: d = (1, 1, 0, 0, 0)
    assert spearman(REF, [2, 1, 3, 4, 5]) == pytest.approx(1 - 6 * 2 / (5 * 24))  # 0.9
    assert kendall_tau(REF, [2, 1, 3, 4, 5]) == pytest.approx(0.8)  # (9 - 1) / 10
    # r_W: (x-y)^2 * ((N-x+1)+(N-y+1)) = 1*9 + 1*9 = 18 ; 1 - 6*18/720
    assert weighted_spearman(REF, [2, 1, 3, 4, 5]) == pytest.approx(0.85)
    assert weighted_spearman(REF, [1, 2, 3, 5, 4]) == pytest.approx(0.95)
    # WS: 2^-1 * 1/4 + 2^-2 * 1/3
    assert ws_coefficient(REF, [2, 1, 3, 4, 5]) == pytest.approx(1 - (0.125 + 1 / 12))
    # WS is asymmetric: swapping 4 and 5 matters little
    assert ws_coefficient(REF, [1, 2, 3, 5, 4]) == pytest.approx(1 - (2**-4 / 3 + 2**-5 / 4))


def test_identical_and_reversed():
    rev = REF[::-1]
    for f in (spearman, kendall_tau, weighted_spearman):
        assert f(REF, REF) == pytest.approx(1.0)
        assert f(REF, rev) == pytest.approx(-1.0)
    assert ws_coefficient(REF, REF) == 1.0


def test_errors_are_usage_errors():
    with pytest.raises(UsageError) as e:
        spearman([1, 2, 3], [1, 2])
    assert e.value.problems[0].rule == "ranks_length"
    with pytest.raises(UsageError):
        kendall_tau([1, float("nan")], [1, 2])
    with pytest.raises(UsageError):
        ws_coefficient([1], [1])


perms = st.integers(2, 9).flatmap(
    lambda n: st.tuples(st.permutations(list(range(1, n + 1))),
                        st.permutations(list(range(1, n + 1)))))
tied = st.integers(2, 12).flatmap(
    lambda n: st.tuples(st.lists(st.integers(1, 4), min_size=n, max_size=n),
                        st.lists(st.integers(1, 4), min_size=n, max_size=n)))


@settings(max_examples=150, deadline=None)
@given(tied)
def test_spearman_and_kendall_match_scipy(xy):
    x, y = xy
    if len(set(x)) < 2 or len(set(y)) < 2:
        return
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(perms)
def test_kendall_brute_force_and_bounds(xy):
    x, y = xy
    n = len(x)
    conc = disc = 0
    for i, j in itertools.combinations(range(n), 2):
        s = np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])
        conc += s > 0
        disc += s < 0
    assert kendall_tau(x, y) == pytest.approx((conc - disc) / (n * (n - 1) / 2))
    # permutations: Spearman closed form, r_W within [-1, 1], WS within [0, 1]
    d2 = sum((a - b) ** 2 for a, b in zip(x, y, strict=True))
    assert spearman(x, y) == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))
    assert -1 - 1e-12 <= weighted_spearman(x, y) <= 1 + 1e-12
    assert weighted_spearman(x, y) == pytest.approx(weighted_spearman(y, x))
    assert -1e-12 <= ws_coefficient(x, y) <= 1 + 1e-12
