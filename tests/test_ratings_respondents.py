"""Satisfaction per respondent: a resident's answers to several questions count once (issue 14.6)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools.errors import EvalToolsError
from evaltools.ratings import FIVE_LEVEL, FOUR_LEVEL, summarize


def survey(answers: dict[str, list[list[str | None]]]) -> pl.DataFrame:
    """unit → respondents → their answers (one per item; None = skipped)."""
    recs = [(u, f"{u}-r{r}", f"q{q}", a)
            for u, people in answers.items() for r, items in enumerate(people)
            for q, a in enumerate(items)]
    return pl.DataFrame(recs, schema=["unit_id", "respondent_id", "item", "rating"], orient="row")


def test_thirty_residents_three_questions_are_thirty_respondents():
    # 24 residents satisfied on all three questions, 6 on none: 有效评价数 30, not 90
    people = [["满意"] * 3] * 24 + [["不满意"] * 3] * 6
    out = summarize(survey({"A": people}), satisfied=["满意"]).row(0, named=True)
    assert out["n"] == 30 and out["n_answers"] == 90
    assert out["n_satisfied"] == 24 and out["n_satisfied_answers"] == 72
    assert out["satisfaction_rate"] == 0.8 and out["satisfaction_rate_answers"] == 0.8
    # the interval is the Wilson interval of 24 / 30 (scipy), not of 72 / 90
    ci = stats.binomtest(24, 30).proportion_ci(0.95, method="wilson")
    assert (out["wilson_lower"], out["wilson_upper"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
    narrow = stats.binomtest(72, 90).proportion_ci(0.95, method="wilson")
    assert out["wilson_upper"] - out["wilson_lower"] > narrow.high - narrow.low + 0.05


def test_answer_level_when_there_is_no_respondent_column():
    df = survey({"A": [["满意"] * 3] * 2}).drop("respondent_id")
    out = summarize(df)
    assert out["n"].item() == 6 and "n_answers" not in out.columns
    assert summarize(survey({"A": [["满意"] * 3] * 2}), respondent=None)["n"].item() == 6


def test_skipped_items_each_respondent_weighs_the_same():
    # r0 answers one item (满意), r1 answers four (1 满意 of 4): (1 + 1/4) / 2, not 2/5
    df = survey({"A": [["满意", None, None, None], ["满意", "不满意", "不满意", "不满意"]]})
    out = summarize(df, satisfied=["满意"]).row(0, named=True)
    assert out["n"] == 2 and out["n_answers"] == 5
    assert out["satisfaction_rate"] == pytest.approx(0.625)
    assert out["satisfaction_rate_answers"] == pytest.approx(0.4)
    assert out["mean"] == pytest.approx((4 + (4 + 1 + 1 + 1) / 4) / 2)


def test_rubric_labels_through_config():
    from evaltools.rubric import RatingsConfig

    five = RatingsConfig(labels=dict(FIVE_LEVEL), satisfied=("非常满意", "满意"), scale=(1, 5))
    df = survey({"A": [["非常满意", "一般"]], "B": [["非常不满意", "满意"]]})
    out = summarize(df, config=five)
    assert out["satisfaction_rate"].to_list() == [0.5, 0.5]
    assert out["satisfied_definition"][0] == "非常满意+满意"
    with pytest.raises(EvalToolsError, match="非常满意"):
        summarize(df)  # the built-in 4-level labels do not know 非常满意


def _reference(units, sat_values, labels, prior_weight, z):
    """Independent numpy/scipy reference of the respondent-level summary."""
    out = {}
    all_means = []
    per_unit = {}
    for u, people in units.items():
        shares, means = [], []
        for items in people:
            vals = np.array([labels[a] for a in items if a is not None], dtype=float)
            if vals.size == 0:
                continue
            shares.append(np.isin(vals, sat_values).mean())
            means.append(vals.mean())
        if shares:
            per_unit[u] = (np.array(shares), np.array(means))
            all_means += means
    C = float(np.mean(all_means)) if all_means else None
    for u, (shares, means) in per_unit.items():
        R = shares.size
        p = shares.mean()
        centre, half = p + z * z / (2 * R), z * np.sqrt(p * (1 - p) / R + z * z / (4 * R * R))
        den = 1 + z * z / R
        out[u] = {"n": R, "rate": p, "lower": max(0.0, (centre - half) / den),
                  "upper": min(1.0, (centre + half) / den), "mean": means.mean(),
                  "bayes": (R * means.mean() + prior_weight * C) / (R + prior_weight)}
    return out


ANSWER = st.one_of(st.none(), st.sampled_from(list(FOUR_LEVEL)))


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["A", "B", "C"]),
                    st.lists(st.lists(ANSWER, min_size=1, max_size=4), min_size=1, max_size=12),
                    min_size=1),
    st.sampled_from([("满意",), ("满意", "基本满意")]),
    st.floats(0.5, 20),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_respondent_summary_matches_numpy_reference(units, satisfied, prior_weight, confidence):
    df = survey(units)
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    ref = _reference(units, [FOUR_LEVEL[s] for s in satisfied], FOUR_LEVEL, prior_weight, z)
    out = summarize(df, satisfied=satisfied, prior_weight=prior_weight, confidence=confidence)
    assert sorted(out["unit_id"].to_list()) == sorted(ref)
    for row in out.iter_rows(named=True):
        r = ref[row["unit_id"]]
        assert row["n"] == r["n"]
        assert row["satisfaction_rate"] == pytest.approx(r["rate"], abs=1e-12)
        assert row["n_satisfied"] == pytest.approx(r["rate"] * r["n"], abs=1e-9)
        assert row["wilson_lower"] == pytest.approx(r["lower"], abs=1e-12)
        assert row["wilson_upper"] == pytest.approx(r["upper"], abs=1e-12)
        assert row["mean"] == pytest.approx(r["mean"], abs=1e-12)
        assert row["bayesian_average"] == pytest.approx(r["bayes"], abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list(FOUR_LEVEL)), min_size=1, max_size=40), st.integers(1, 5))
def test_same_number_of_items_gives_exactly_the_answer_rate(answers, items):
    # every respondent answers `items` questions (cycled answers): rate == answer share exactly
    people = [[answers[(i * items + j) % len(answers)] for j in range(items)]
              for i in range(len(answers))]
    out = summarize(survey({"A": people})).row(0, named=True)
    assert out["satisfaction_rate"] == out["satisfaction_rate_answers"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=60))
def test_one_item_each_is_the_binomial_wilson_interval(flags):
    df = survey({"A": [["满意" if f else "不满意"] for f in flags]})
    out = summarize(df, satisfied=["满意"]).row(0, named=True)
    ci = stats.binomtest(sum(flags), len(flags)).proportion_ci(0.95, method="wilson")
    assert (out["wilson_lower"], out["wilson_upper"]) == pytest.approx((ci.low, ci.high), abs=1e-9)


@pytest.mark.parametrize("ratings_col", [
    ["满意", "不满意", None, "基本满意", "满意", "不太满意"],  # labels only: the Enum path
    ["满意", " 不满意", None, "3", "满意", "不太满意"],  # padded and numeric: the general path
])
def test_respondent_counts_label_path_equals_general_path(ratings_col):
    """Answers that are all labels are valued by the label's position; the counts equal those
    of the general (to_value) path, nulls in answers and respondents included."""
    from evaltools import ratings

    df = pl.DataFrame({"unit_id": ["A", "A", "A", "B", "B", "B"],
                       "respondent_id": ["r1", "r1", None, "r2", None, "r3"],
                       "rating": ratings_col})
    labels = ratings.FOUR_LEVEL
    vals = ratings.satisfied_values(("满意", "基本满意"), labels)
    top = max(labels.values())
    who = pl.col("respondent_id")
    who = pl.when(who.is_null()).then(pl.format("\x00{}", pl.int_range(pl.len()))).otherwise(who)
    got = ratings._respondent_counts(df, "unit_id", "respondent_id", "rating", labels, vals, top)
    general = ratings._respondent_counts_of(df, "unit_id", who, "rating",
                                            ratings.to_value("rating", labels=labels), vals, top)
    assert got[0] == general[0] is False
    assert got[1].equals(general[1])
