"""MCDA kernels: every reference case, degenerate inputs, and properties against numpy."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaltools import mcda, ranking
from evaltools.errors import EvalToolsError, EvalToolsWarning, UsageError

REF = Path(__file__).parent / "reference" / "mcda_cases.json"
CASES = {c["name"]: c for c in json.loads(REF.read_text(encoding="utf-8"))["cases"]}
RTOL = 1e-9  # "compare with rtol ~1e-9" (conventions.numbers)


def _frame(case):
    names = [f"c{j}" for j in range(len(case["matrix"][0]))]
    cols = {n: [float(r[j]) for r in case["matrix"]] for j, n in enumerate(names)}
    df = pl.DataFrame({"unit_id": case.get("alternatives") or list(range(len(case["matrix"]))),
                       **cols})
    crit = dict(zip(names, case["types"], strict=True))  # "benefit"/"cost" aliases
    weights = dict(zip(names, case.get("weights", [1.0] * len(names)), strict=True))
    return df, crit, weights


def _cases(method):
    return [pytest.param(c, id=n) for n, c in CASES.items() if c["method"] == method]


def _check_ranking(df, by, expected, *, descending=True):
    mapping = {"competition_min": "min", "dense": "dense", "average": "average"}
    for key, ties in mapping.items():
        got = ranking.rank(df, by=by, ties=ties, descending=descending)["rank"].to_list()
        assert got == expected[key], (key, got)


@pytest.mark.parametrize("case", _cases("WSM"))
def test_wsm_reference(case):
    df, crit, w = _frame(case)
    exp = case["expected"]
    out = mcda.weighted_sum(df, crit, w, normalization="minmax")
    np.testing.assert_allclose(out["score"].to_numpy(), exp["scores"], rtol=RTOL)
    norm = mcda.normalize(df, crit, method="minmax").select(list(crit)).to_numpy()
    np.testing.assert_allclose(norm, exp["normalized_matrix"], rtol=RTOL, atol=1e-12)
    _check_ranking(out, "score", exp["ranking"])
    assert out["unit_id"].to_list() == df["unit_id"].to_list()  # row order kept


@pytest.mark.parametrize("case", _cases("TOPSIS"))
def test_topsis_reference(case):
    df, crit, w = _frame(case)
    exp = case["expected"]
    method = "minmax" if "min-max" in case["variant"] else "vector"
    out = mcda.topsis(df, crit, w, normalization=method)
    for col, key in (("score", "scores"), ("d_plus", "d_plus"), ("d_minus", "d_minus")):
        np.testing.assert_allclose(out[col].to_numpy(), exp[key], rtol=RTOL)
    _check_ranking(out, "score", exp["ranking"])
    pub = case.get("published", {})
    if "closeness_3dp" in pub:  # printed values: tolerance 1e-3 only (see the case notes)
        np.testing.assert_allclose(out["score"].to_numpy(), pub["closeness_3dp"], atol=1e-3)
        np.testing.assert_allclose(out["d_plus"].to_numpy(), pub["d_plus_4dp"], atol=2e-4)
        np.testing.assert_allclose(out["d_minus"].to_numpy(), pub["d_minus_4dp"], atol=2e-4)
        # the book's normalised matrix for the benefit columns (our cost column is 1 - x/||x||).
        # The book's printed 4-dp values carry its own rounding (range of A4: 0.4392 printed,
        # exact 0.43942), so the tolerance is 5e-4, not 1e-4.
        vec = mcda.normalize(df, crit, method="vector").select(list(crit)).to_numpy()
        book = np.array(pub["book_normalized_matrix_4dp"])
        benefit = [j for j, t in enumerate(case["types"]) if t == "benefit"]
        np.testing.assert_allclose(vec[:, benefit], book[:, benefit], atol=5e-4)
    if "pymcdm_docstring_3dp" in pub:
        np.testing.assert_allclose(out["score"].to_numpy(), pub["pymcdm_docstring_3dp"], atol=1e-3)


@pytest.mark.parametrize("case", _cases("VIKOR"))
def test_vikor_reference(case):
    df, crit, w = _frame(case)
    exp = case["expected"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalToolsWarning)  # W1 weights already sum to 1
        out = mcda.vikor(df, crit, w, v=case["params"]["v"])
    for col in ("S", "R", "Q"):
        np.testing.assert_allclose(out[col].to_numpy(), exp[col], rtol=RTOL, atol=1e-15)
    pub = case["published"]
    for col in ("S", "R", "Q"):
        np.testing.assert_allclose(out[col].to_numpy(), pub[col], atol=pub["tol"])
    _check_ranking(out, "Q", exp["ranking_by_Q"], descending=False)
    _check_ranking(out, "S", exp["ranking_by_S"], descending=False)
    _check_ranking(out, "R", exp["ranking_by_R"], descending=False)
    comp = mcda.vikor_compromise(out)
    cond = exp["compromise_conditions"]
    assert comp.dq == pytest.approx(cond["DQ"])
    assert comp.c1 is cond["C1_acceptable_advantage"]
    assert comp.c2 is cond["C2_acceptable_stability"]
    skc = next(v for k, v in case["cross_checks"].items() if k.startswith("scikit-criteria"))
    assert list(comp.compromise) == skc["compromise_set_0based"]
    assert out["compromise"].to_list() == [i in comp.compromise for i in range(df.height)]


def test_vikor_weights_as_given_are_normalised_with_warning():
    case = CASES["vikor_opricovic_tzeng_2007_weights_W1"]
    df, crit, _ = _frame(case)
    w = dict(zip(crit, case["weights_as_given"], strict=True))
    with pytest.warns(EvalToolsWarning, match="rescaled"):
        out = mcda.vikor(df, crit, w)
    np.testing.assert_allclose(out["Q"].to_numpy(), case["expected"]["Q"], rtol=RTOL, atol=1e-15)


def test_vikor_compromise_rules():
    # C1 fails: Q gaps smaller than DQ = 1/3 -> all within DQ of the best
    S = np.array([0.1, 0.2, 0.3, 0.9])
    R = np.array([0.1, 0.2, 0.3, 0.9])
    Q = np.array([0.0, 0.2, 0.3, 1.0])
    c = mcda._vikor_compromise(S, R, Q)
    assert (c.c1, c.c2, c.compromise) == (False, True, (0, 1, 2))
    # C2 fails: best by Q is not best by S nor R -> {a1, a2}
    S = np.array([0.3, 0.1, 0.9])
    R = np.array([0.3, 0.1, 0.9])
    Q = np.array([0.0, 0.6, 1.0])
    c = mcda._vikor_compromise(S, R, Q)
    assert (c.c1, c.c2, c.compromise) == (True, False, (0, 1))


# ------------------------------------------------------------------ parsing and degenerate input


def test_direction_aliases_normalised_once():
    assert mcda.parse_criteria({"a": "越大越好", "b": "越小越好", "c": "+", "d": "-", "e": "Benefit",
                                "f": "COST"}) == {"a": "max", "b": "min", "c": "max", "d": "min",
                                                  "e": "max", "f": "min"}
    with pytest.raises(UsageError) as e:
        mcda.parse_criteria({"a": "higher"})
    assert "越大越好" in str(e.value) and "benefit" in str(e.value)


@pytest.mark.parametrize("bad", [{"a": -1, "b": 1}, {"a": float("nan"), "b": 1}, {"a": 0, "b": 0}])
def test_bad_weights_are_errors(bad):
    df = pl.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(EvalToolsError):
        mcda.weighted_sum(df, ["a", "b"], bad)


def test_weights_missing_or_unknown():
    df = pl.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(EvalToolsError) as e:
        mcda.weighted_sum(df, ["a", "b"], {"a": 1, "z": 1})
    rules = {p.rule for p in e.value.problems}
    assert rules == {"unknown_weight", "missing_weight"}


def test_zero_weight_ignores_criterion():
    df = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [9.0, 1.0, 5.0]})
    out = mcda.weighted_sum(df, ["a", "b"], {"a": 1.0, "b": 0.0})
    assert out["score"].to_list() == [0.0, 0.5, 1.0]


def test_missing_value_names_unit_and_criterion():
    df = pl.DataFrame({"unit_id": ["1号楼", "2号楼", "3号楼"], "卫生": [1.0, None, 3.0],
                       "绿化": [1.0, 2.0, float("nan")]})
    with pytest.raises(EvalToolsError) as e:
        mcda.weighted_sum(df, ["卫生", "绿化"])
    probs = e.value.problems
    assert [(p.column, p.rule) for p in probs] == [("卫生", "missing_value"), ("绿化", "missing_value")]
    assert "2号楼" in probs[0].zh and "2号楼" in probs[0].en and "3号楼" in probs[1].zh


def test_missing_value_uses_id_col():
    df = pl.DataFrame({"name": ["甲", "乙"], "x": [None, 1.0]})
    with pytest.raises(EvalToolsError, match="甲"):
        mcda.topsis(df, ["x"], id_col="name")


def test_constant_criterion_minmax_gives_one_and_warns():
    df = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 5.0]})
    with pytest.warns(EvalToolsWarning, match="constant"):
        out = mcda.normalize(df, ["a", "b"], method="minmax")
    assert out["b"].to_list() == [1.0, 1.0, 1.0]


def test_single_unit():
    df = pl.DataFrame({"unit_id": ["A"], "a": [3.0], "b": [7.0]})
    with pytest.warns(EvalToolsWarning, match="one unit"):
        assert mcda.weighted_sum(df, ["a", "b"])["score"].to_list() == [1.0]
    with pytest.warns(EvalToolsWarning):
        assert mcda.topsis(df, ["a", "b"])["score"].to_list() == [1.0]
    with pytest.warns(EvalToolsWarning):
        out = mcda.vikor(df, ["a", "b"])
    assert out["Q"].to_list() == [0.0] and out["compromise"].to_list() == [True]
    assert mcda.vikor_compromise(out).c1 is None


@pytest.mark.parametrize("method", ["max", "sum"])
def test_negative_values_refused_by_ratio_normalisations(method):
    df = pl.DataFrame({"unit_id": ["A", "B"], "a": [-1.0, 2.0], "b": [1.0, 2.0]})
    with pytest.raises(EvalToolsError) as e:
        mcda.normalize(df, ["a", "b"], method=method)
    assert e.value.problems[0].column == "a" and "A" in e.value.problems[0].zh


def test_cost_zero_refused_by_max_normalisation():
    df = pl.DataFrame({"a": [0.0, 2.0]})
    with pytest.raises(EvalToolsError, match="> 0"):
        mcda.normalize(df, {"a": "min"}, method="max")


def test_weighted_product_negative_and_zscore_refused():
    df = pl.DataFrame({"a": [-1.0, 2.0], "b": [1.0, 2.0]})
    with pytest.raises(EvalToolsError):
        mcda.weighted_product(df, ["a", "b"])
    with pytest.raises(UsageError):
        mcda.weighted_product(df.with_columns(a=pl.lit(1.0)), ["a", "b"], normalization="zscore")


def test_bad_normalization_lists_choices():
    df = pl.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(UsageError, match="minmax"):
        mcda.weighted_sum(df, ["a"], normalization="l2")


def test_non_numeric_and_absent_columns():
    with pytest.raises(EvalToolsError, match="numeric"):
        mcda.weighted_sum(pl.DataFrame({"a": ["x", "y"]}), ["a"])
    with pytest.raises(EvalToolsError, match="no such criterion"):
        mcda.weighted_sum(pl.DataFrame({"a": [1.0]}), ["b"])


def test_normalisation_variants_known_values():
    df = pl.DataFrame({"b": [1.0, 2.0, 4.0], "c": [1.0, 2.0, 4.0]})
    crit = {"b": "max", "c": "min"}
    out = mcda.normalize(df, crit, method="max")
    assert out["b"].to_list() == [0.25, 0.5, 1.0] and out["c"].to_list() == [1.0, 0.5, 0.25]
    out = mcda.normalize(df, crit, method="sum")
    np.testing.assert_allclose(out["b"].to_numpy(), [1 / 7, 2 / 7, 4 / 7])
    np.testing.assert_allclose(out["c"].to_numpy(), np.array([1, 0.5, 0.25]) / 1.75)
    out = mcda.normalize(df, crit, method="vector")
    np.testing.assert_allclose(out["b"].to_numpy(), np.array([1, 2, 4]) / np.sqrt(21))
    np.testing.assert_allclose(out["c"].to_numpy(), 1 - np.array([1, 2, 4]) / np.sqrt(21))
    out = mcda.normalize(df, crit, method="zscore")
    z = (np.array([1, 2, 4]) - 7 / 3) / np.std([1, 2, 4], ddof=1)
    np.testing.assert_allclose(out["b"].to_numpy(), z)
    np.testing.assert_allclose(out["c"].to_numpy(), -z)
    out = mcda.normalize(df, crit, method="target", target={"b": 2.0, "c": 2.0})
    assert out["b"].to_list() == [0.5, 1.0, 0.0]
    with pytest.raises(UsageError, match="target"):
        mcda.normalize(df, crit, method="target")


def test_pass_through_columns_and_order():
    df = pl.DataFrame({"name": ["z", "a", "m"], "x": [3.0, 1.0, 2.0], "note": ["p", "q", "r"]})
    out = mcda.topsis(df, ["x"])
    assert out.columns == ["name", "x", "note", "score", "d_plus", "d_minus"]
    assert out["name"].to_list() == ["z", "a", "m"] and out["x"].to_list() == [3.0, 1.0, 2.0]


# ------------------------------------------------------------------------------ properties

finite = st.floats(min_value=0.5, max_value=1000, allow_nan=False, allow_infinity=False)


@st.composite
def decision(draw, min_m=2, max_m=8):
    m = draw(st.integers(min_m, max_m))
    n = draw(st.integers(1, 5))
    X = draw(arrays(np.float64, (m, n), elements=finite))
    cost = draw(arrays(np.bool_, n))
    w = draw(arrays(np.float64, n, elements=st.floats(0.01, 10)))
    names = [f"c{j}" for j in range(n)]
    df = pl.DataFrame({"unit_id": [f"u{i}" for i in range(m)],
                       **{c: X[:, j] for j, c in enumerate(names)}})
    crit = {c: ("min" if cost[j] else "max") for j, c in enumerate(names)}
    return df, crit, dict(zip(names, w, strict=True)), X, cost, w / w.sum()


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalToolsWarning)
        return fn(*a, **k)


@settings(max_examples=80, deadline=None)
@given(decision())
def test_weighted_sum_matches_plain_numpy(d):
    df, crit, w, X, cost, wn = d
    lo, hi = X.min(0), X.max(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = np.where(cost, (hi - X) / (hi - lo), (X - lo) / (hi - lo))
    R[:, hi == lo] = 1.0
    expected = (R * wn).sum(axis=1)
    got = _quiet(mcda.weighted_sum, df, crit, w)["score"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(decision(), st.randoms(use_true_random=False))
def test_permutation_invariance(d, rnd):
    df, crit, w, *_ = d
    perm = list(range(df.height))
    rnd.shuffle(perm)
    shuffled = df[perm]
    for fn in (mcda.weighted_sum, mcda.weighted_product, mcda.topsis):
        a = _quiet(fn, df, crit, w)["score"].to_numpy()
        b = _quiet(fn, shuffled, crit, w)["score"].to_numpy()
        np.testing.assert_allclose(b, a[perm], rtol=1e-9, atol=1e-12)
    a = _quiet(mcda.vikor, df, crit, w)["Q"].to_numpy()
    b = _quiet(mcda.vikor, shuffled, crit, w)["Q"].to_numpy()
    np.testing.assert_allclose(b, a[perm], rtol=1e-9, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(decision(), st.data())
def test_raising_a_benefit_value_never_lowers_wsm_rank(d, data):
    df, crit, w, *_ = d
    benefit = [c for c, v in crit.items() if v == "max"]
    assume(benefit)
    col = data.draw(st.sampled_from(benefit))
    i = data.draw(st.integers(0, df.height - 1))
    bump = data.draw(st.floats(0.1, 500))
    before = ranking.rank(_quiet(mcda.weighted_sum, df, crit, w))["rank"][i]
    raised = df.with_columns(
        pl.when(pl.int_range(pl.len()) == i).then(pl.col(col) + bump).otherwise(pl.col(col))
        .alias(col))
    after = ranking.rank(_quiet(mcda.weighted_sum, raised, crit, w))["rank"][i]
    assert after <= before


@settings(max_examples=60, deadline=None)
@given(decision(), st.floats(0.01, 1000), st.data())
def test_scale_invariance(d, factor, data):
    df, crit, w, *_ = d
    col = data.draw(st.sampled_from(list(crit)))
    scaled = df.with_columns(pl.col(col) * factor)
    # max normalisation: x/max and min/x are unchanged by a positive rescaling
    a = _quiet(mcda.normalize, df, crit, method="max").select(list(crit)).to_numpy()
    b = _quiet(mcda.normalize, scaled, crit, method="max").select(list(crit)).to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # TOPSIS with vector normalisation: same closeness
    a = _quiet(mcda.topsis, df, crit, w)["score"].to_numpy()
    b = _quiet(mcda.topsis, scaled, crit, w)["score"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(decision())
def test_topsis_vector_equals_classic_ideal_by_direction(d):
    """Our reflected-cost implementation equals the textbook rule (PIS = min for cost)."""
    df, crit, w, X, cost, wn = d
    V = X / np.sqrt((X**2).sum(0)) * wn
    pis = np.where(cost, V.min(0), V.max(0))
    nis = np.where(cost, V.max(0), V.min(0))
    dp = np.sqrt(((V - pis) ** 2).sum(1))
    dm = np.sqrt(((V - nis) ** 2).sum(1))
    with np.errstate(invalid="ignore"):
        c = np.where(dp + dm == 0, 1.0, dm / (dp + dm))
    out = _quiet(mcda.topsis, df, crit, w)
    np.testing.assert_allclose(out["d_plus"].to_numpy(), dp, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["d_minus"].to_numpy(), dm, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["score"].to_numpy(), c, rtol=1e-9, atol=1e-12)
