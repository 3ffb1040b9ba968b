"""The engine's speed paths against the straightforward code (issue 4, second round).

ranking: the counting rank (integer and short-decimal keys) against scipy's rankdata on the
exact decimals and against polars' rank of the 12-significant-digit key; every case that must
fall back (NaN, nulls, noise beyond the tie rule, wide ranges, long decimals) gives the same ranks
as the general path. ratings: summarize's Enum-count path against the general path and by hand.
scoring: the coded panels (scores coded once; counting scatter or sort) against the general
path — shuffled rows, missing panels, duplicate rows, null scores, criteria outside the rubric,
two rounds.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats

from evaltools import ranking

TIES_FAST = ("min", "dense", "average")


def _general(s: pl.Series, ties: str, descending: bool) -> np.ndarray:
    key = pl.when(s.is_nan()).then(None).otherwise(s.round_sig_figs(12)) if s.dtype.is_float() \
        else s
    return pl.select(key.rank(ties, descending=descending)).to_series().to_numpy()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=60),
       st.integers(0, 6), st.sampled_from(TIES_FAST), st.booleans(), st.booleans())
def test_counting_rank_on_decimals_matches_rankdata(ms, k, ties, descending, noisy):
    m = np.array(ms, dtype=np.int64)
    v = m / 10.0**k
    if noisy:  # floating-point noise far below the 12th digit: still ties with the exact value
        v = v * (1 + 1e-15) if k % 2 else (v + 0.1) - 0.1
    df = pl.DataFrame({"score": v})
    with mock.patch.object(ranking, "COUNTING_MIN_ROWS", 0):  # the counting rank at any size
        got = ranking.rank(df, ties=ties, descending=descending)["rank"].to_numpy()
    np.testing.assert_array_equal(got, stats.rankdata(-m if descending else m, method=ties))
    np.testing.assert_array_equal(got, _general(df["score"], ties, descending))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=40),
       st.sampled_from([pl.Int8, pl.Int32, pl.Int64, pl.UInt16, pl.UInt64]),
       st.sampled_from(TIES_FAST), st.booleans())
def test_counting_rank_on_integers(xs, dtype, ties, descending):
    xs = [abs(x) for x in xs] if not dtype.is_signed_integer() else xs
    df = pl.DataFrame({"score": pl.Series(xs, dtype=dtype)})
    assert ranking._counting_rank(df["score"], descending=descending, ties=ties) is not None
    with mock.patch.object(ranking, "COUNTING_MIN_ROWS", 0):
        got = ranking.rank(df, ties=ties, descending=descending)["rank"]
    assert got.dtype == (pl.Float64 if ties == "average" else pl.UInt32)
    key = -np.array(xs) if descending else np.array(xs)
    np.testing.assert_array_equal(got.to_numpy(), stats.rankdata(key, method=ties))


@pytest.mark.parametrize("values", [
    [1.5, float("nan"), 2.5, 1.5],                  # NaN: no rank
    [1.5, None, 2.5, 1.5],                          # null
    [0.1, 0.1 + 1e-9, 0.3, float("inf")],          # inf
    [1 / 3, 2 / 3, 1 / 3, 0.5],                     # not short decimals
    [1e-300, 0.0, 1e-300, 2e-300],                  # tiny but distinct at 12 digits
    [1e15, 1e15 + 2, 3.0, 1e15],                    # codes beyond the 12-digit grid
    [0.0, 1e6, 0.5, 0.25],                          # a range too wide for a histogram (n small)
    [0.1234567, 0.1234568, 0.1234567, 0.2],         # seven decimals
    [1.0000000000001, 1.0, 2.0, 1.0],               # noise at the 13th digit: a tie
    [1.00000000001, 1.0, 2.0, 1.0],                 # a difference at the 11th digit: no tie
])
@pytest.mark.parametrize("ties", TIES_FAST)
def test_fallbacks_and_edges_match_the_general_path(values, ties):
    df = pl.DataFrame({"score": values}, schema={"score": pl.Float64})
    for descending, least in [(d, m) for d in (True, False) for m in (0, 10**9)]:
        with mock.patch.object(ranking, "COUNTING_MIN_ROWS", least):  # tried, then not
            got = ranking.rank(df, ties=ties, descending=descending)["rank"].to_numpy()
        np.testing.assert_array_equal(got, _general(df["score"], ties, descending))


def test_counting_rank_is_taken_for_short_decimals_and_refused_otherwise():
    fast = ranking._counting_rank
    rng = np.random.default_rng(1)
    s = pl.Series("score", rng.integers(0, 5001, 200_000) / 50.0)  # multi-block
    assert fast(s, descending=True, ties="min") is not None
    np.testing.assert_array_equal(fast(s, descending=True, ties="min").to_numpy(),
                                  stats.rankdata(-s.to_numpy(), method="min"))
    assert fast(pl.Series([1 / 3, 0.5]), descending=True, ties="min") is None
    assert fast(pl.Series([1.0, None]), descending=True, ties="min") is None
    assert fast(pl.Series(["a", "b"]), descending=True, ties="min") is None
    noisy = s.to_numpy().copy()
    noisy[150_000] = np.pi  # one bad value in a late block
    assert fast(pl.Series(noisy), descending=True, ties="min") is None


# --------------------------------------------------------------------------------------------
# ratings.summarize: the Enum-count path against the general path and a by-hand reference
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(0, 4))),
                min_size=1, max_size=80),
       st.sampled_from([("满意",), ("满意", "一般"), ("非常满意", "满意")]))
def test_summarize_enum_counts_match_general_path_and_reference(rows, satisfied):
    from evaltools.ratings import FIVE_LEVEL, summarize

    names = list(FIVE_LEVEL)
    cards = pl.DataFrame({"unit_id": [f"U{u}" for u, _ in rows],
                          "rating": [None if r is None else names[r] for _, r in rows]})
    padded = cards.with_columns(" " + pl.col("rating"))  # forces the general path
    kw = {"labels": FIVE_LEVEL, "satisfied": satisfied, "prior_weight": 3.0}
    fast, general = summarize(cards, **kw), summarize(padded, **kw)
    assert fast.equals(general)
    # by hand: units in first-appearance order of a non-null answer; units without one absent
    answered = [(u, FIVE_LEVEL[names[r]]) for u, r in rows if r is not None]
    order = list(dict.fromkeys(f"U{u}" for u, _ in answered))
    assert fast["unit_id"].to_list() == order
    if not answered:
        return
    C = np.mean([v for _, v in answered])
    sat = {FIVE_LEVEL[s] for s in satisfied}
    for row in fast.iter_rows(named=True):
        vs = np.array([v for u, v in answered if f"U{u}" == row["unit_id"]])
        assert row["n"] == vs.size
        assert row["n_satisfied"] == sum(v in sat for v in vs)
        assert row["mean"] == pytest.approx(vs.mean(), abs=1e-12)
        assert row["top2box"] == pytest.approx(np.mean(vs >= 4), abs=1e-12)
        assert row["bayesian_average"] == pytest.approx(
            (vs.sum() + 3.0 * C) / (vs.size + 3.0), abs=1e-12)


def test_summarize_unknown_label_still_reported_with_its_row():
    from evaltools.errors import EvalToolsError
    from evaltools.ratings import summarize

    cards = pl.DataFrame({"unit_id": ["A", "A", "B"], "rating": ["满意", "很好", "不满意"]})
    with pytest.raises(EvalToolsError, match="第3行"):
        summarize(cards)


# --------------------------------------------------------------------------------------------
# scoring: the coded panels (one pass over the scores) against the general path
# --------------------------------------------------------------------------------------------


def _scores_frame(seed: int, n_units: int, n_judges: int, crits: list[str], *, drop: float,
                  dup: bool, shuffle: bool, rounds: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    r, u, j, c = np.meshgrid(np.arange(1, rounds + 1), np.arange(n_units), np.arange(n_judges),
                             np.arange(len(crits) + 1), indexing="ij")  # +1: a criterion not
    r, u, j, c = r.ravel(), u.ravel(), j.ravel(), c.ravel()                # in the rubric
    keep = rng.random(r.size) >= drop
    r, u, j, c = r[keep], u[keep], j[keep], c[keep]
    if dup and r.size:
        extra = rng.integers(0, r.size, max(1, r.size // 20))
        r, u, j, c = (np.r_[a, a[extra]] for a in (r, u, j, c))
    if shuffle:
        p = rng.permutation(r.size)
        r, u, j, c = r[p], u[p], j[p], c[p]
    score = np.round(rng.uniform(0, 10, r.size), 1)
    score[rng.random(r.size) < 0.05] = np.nan
    names = [*crits, "other"]
    return pl.DataFrame({
        "round": r.astype(np.int64),
        "unit_id": pl.Series([f"U{i:03d}" for i in range(n_units)]).gather(u),
        "judge_id": pl.Series([f"J{k}" for k in range(n_judges)]).gather(j),
        "criterion": pl.Series(names).gather(c),
        "score": pl.Series(score).fill_nan(None),
    })


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 12), st.integers(3, 6),
       st.sampled_from([0.0, 0.1, 0.5]), st.booleans(), st.booleans(), st.integers(1, 2),
       st.sampled_from(["mean", "median", "trimmed_mean", "zscore"]))
def test_coded_panels_match_the_general_path(seed, n_units, n_judges, drop, dup, shuffle,
                                             rounds, aggregate):
    from types import SimpleNamespace

    from evaltools import scoring
    from evaltools.rubric import Criterion, Rubric

    crits = ["b", "a", "c"]  # rubric order differs from lexical order
    rubric = Rubric(name="t", criteria=tuple(Criterion(k, k, max_points=10, scale=(0, 10))
                                             for k in crits),
                    judge_aggregate=aggregate, min_judges=1, judge_fallback="mean",
                    missing="zero")
    scores = _scores_frame(seed, n_units, n_judges, crits, drop=drop, dup=dup, shuffle=shuffle,
                           rounds=rounds)
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None)
    assert scoring.values.score_codes(ds, rubric, None) is None  # short: the polars path
    with mock.patch.object(scoring.values, "CODED_MIN_ROWS", 0):  # the coded path at any size
        codes = scoring.values.score_codes(ds, rubric, None)
        _check_coded_rounds(ds, scores, rubric, codes, rounds)


def _check_coded_rounds(ds, scores, rubric, codes, rounds):
    from evaltools import scoring
    from evaltools.scoring.coded import round_panels

    judged = [c for c in rubric.criteria]
    assert codes is not None
    for rnd in range(1, rounds + 1):
        panels = round_panels(codes, rnd)
        fast = scoring.values._judge_values(scores, rubric, rnd, judged, [], panels)
        slow = scoring.values._judge_values(scores, rubric, rnd, judged, [], None)
        key = ["criterion", "unit_id"]
        # the same panels (scores in judge order) and values up to the last bit: the coded path
        # sums with numpy, the polars path with polars' mean
        assert fast.sort(key).drop("value").equals(slow.sort(key).drop("value"))
        assert_frame_equal(fast.sort(key), slow.sort(key), check_exact=False, rel_tol=1e-12,
                           abs_tol=1e-12)
        assert panels.participants.equals(scoring.participants(ds, rubric, rnd))
        counts = scoring.rounds._unit_counts(ds, rnd, panels.participants, panels)
        assert counts.equals(scoring.rounds._unit_counts(ds, rnd, panels.participants, None))
        if not scores.filter(pl.col("round") == rnd).is_empty():
            fast_v = scoring.values.collect_criterion_values(ds, rubric, rnd, [], panels)
            with mock.patch.object(scoring.values, "CODED_MIN_ROWS", 10**12):
                slow_v = scoring.values.collect_criterion_values(ds, rubric, rnd, [], None)
                slow_round = scoring.score_round(ds, rubric, rnd)
            assert_frame_equal(fast_v, slow_v, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
            fast_round = scoring.score_round(ds, rubric, rnd)
            # sums may differ in the last bit (polars' float sums depend on the chunk layout)
            assert_frame_equal(fast_round.units, slow_round.units, check_exact=False,
                               rel_tol=1e-12, abs_tol=1e-12)
            assert_frame_equal(fast_round.values, slow_round.values, check_exact=False,
                               rel_tol=1e-12, abs_tol=1e-12)


def test_string_codes_runs_and_scattered():
    from evaltools.judging import string_codes

    runs = pl.Series(["b"] * 100 + ["a"] * 50 + ["c"] * 30 + ["a"] * 20)
    scattered = pl.Series(["b", "a", "c", "a"] * 50)
    for x in (runs, scattered):
        codes, names = string_codes(x)
        assert names.to_list() == ["a", "b", "c"]
        assert names.gather(codes).equals(x)
    assert string_codes(pl.Series(["a", None])) is None


def test_evaluate_drops_the_coded_scores_from_its_cache_even_on_error():
    from types import SimpleNamespace

    from evaltools import evaluate, scoring
    from evaltools.errors import EvalToolsError
    from evaltools.examples import two_buildings
    from evaltools.rubric import Criterion, Rubric

    def coded(cache):
        return [k for k in cache if isinstance(k, tuple) and k[:1] == (scoring.SCORE_CODES_KEY,)]

    assert coded(two_buildings()._cache) == []
    rubric = Rubric(name="t", criteria=(Criterion("a", "a", max_points=10, scale=(0, 10)),),
                    judge_aggregate="trimmed_mean")
    scores = pl.DataFrame({"round": [1, 1], "unit_id": ["A", "A"], "judge_id": ["J1", "J2"],
                           "criterion": ["a", "a"], "score": [5.0, 6.0]})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    cache: dict = {}
    with mock.patch.object(scoring.values, "CODED_MIN_ROWS", 0), \
            pytest.raises(EvalToolsError, match="评委人数不足"):
        evaluate(ds, cache=cache)
    assert coded(cache) == []
