"""Weights: entropy, CRITIC and AHP reference cases; degenerate inputs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from evaltools import weights
from evaltools.errors import EvalToolsError, EvalToolsWarning, UsageError

REF = Path(__file__).parent / "reference" / "mcda_cases.json"
CASES = {c["name"]: c for c in json.loads(REF.read_text(encoding="utf-8"))["cases"]}


def _frame(case):
    names = [f"c{j}" for j in range(len(case["matrix"][0]))]
    df = pl.DataFrame({n: [float(r[j]) for r in case["matrix"]] for j, n in enumerate(names)})
    return df, dict(zip(names, case["types"], strict=True))


def test_equal():
    assert weights.equal({"a": "max", "b": "min"}) == {"a": 0.5, "b": 0.5}


def test_entropy_reference():
    case = CASES["entropy_weights_scikit_criteria_test"]
    df, crit = _frame(case)
    w = list(weights.entropy(df, crit).values())
    np.testing.assert_allclose(w, case["expected"]["weights"], rtol=1e-9)
    np.testing.assert_allclose(w, case["published"]["library_test_6dp"], atol=1e-6)
    _, E = weights._entropy(df.to_numpy())
    np.testing.assert_allclose(E, case["expected"]["entropy_E"], rtol=1e-9)


def test_entropy_degenerate():
    with pytest.raises(EvalToolsError, match="at least 2 units"):
        weights.entropy(pl.DataFrame({"a": [1.0]}), ["a"])
    with pytest.raises(EvalToolsError, match="must not be negative"):
        weights.entropy(pl.DataFrame({"a": [1.0, -2.0]}), ["a"])
    with pytest.raises(EvalToolsError, match="constant"):
        weights.entropy(pl.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]}), ["a", "b"])
    with pytest.warns(EvalToolsWarning, match="all zero"):
        w = weights.entropy(pl.DataFrame({"a": [0.0, 0.0, 0.0], "b": [1.0, 2.0, 5.0]}), ["a", "b"])
    assert w == {"a": 0.0, "b": 1.0}
    # 0 ln 0 = 0: a zero cell is allowed
    w = weights.entropy(pl.DataFrame({"a": [0.0, 1.0, 1.0], "b": [1.0, 2.0, 3.0]}), ["a", "b"])
    assert np.isclose(sum(w.values()), 1.0) and all(v > 0 for v in w.values())


def test_critic_reference():
    case = CASES["critic_weights_diakoulaki_1995"]
    df, crit = _frame(case)
    w = list(weights.critic(df, crit).values())
    np.testing.assert_allclose(w, case["expected"]["weights"], rtol=1e-9)
    np.testing.assert_allclose(w, case["published"]["library_test_8dp"], atol=1e-8)


def test_critic_is_direction_aware():
    case = CASES["critic_weights_diakoulaki_1995"]
    df, crit = _frame(case)
    flipped = df.with_columns(-pl.col("c0"))
    w1 = weights.critic(df, crit)
    w2 = weights.critic(flipped, {**crit, "c0": "cost"})
    np.testing.assert_allclose(list(w1.values()), list(w2.values()), rtol=1e-12)


def test_critic_degenerate():
    with pytest.raises(EvalToolsError, match="at least 3 units"):
        weights.critic(pl.DataFrame({"a": [1.0, 2.0], "b": [1.0, 3.0]}), ["a", "b"])
    df = pl.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0], "k": [5.0, 5.0, 5.0]})
    with pytest.warns(EvalToolsWarning, match="constant"):
        w = weights.critic(df, ["a", "b", "k"])
    assert w["k"] == 0.0 and np.isclose(w["a"] + w["b"], 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalToolsWarning)
        ref = weights.critic(df.drop("k"), ["a", "b"])
    assert np.isclose(w["a"], ref["a"])


@pytest.mark.parametrize("name", ["ahp_saaty_2008_drink_consumption", "ahp_perfectly_consistent_3x3"])
@pytest.mark.parametrize("entries", ["pairwise_matrix", "pairwise_matrix_exact"])
def test_ahp_reference(name, entries):
    case = CASES[name]
    exp = case["expected"]
    res = weights.ahp(case[entries], labels=case["items"])
    np.testing.assert_allclose(list(res.weights.values()), exp["priority_vector_eigen"],
                               rtol=1e-9, atol=1e-12)
    assert res.lambda_max == pytest.approx(exp["lambda_max"], rel=1e-9)
    assert res.ci == pytest.approx(exp["CI"], rel=1e-9, abs=1e-12)
    assert res.cr == pytest.approx(exp["CR_saaty_1980_RI"], rel=1e-9, abs=1e-12)
    assert res.ri == exp["RI_saaty_1980"]
    tl = weights.ahp(case[entries], labels=case["items"], ri="tummala_ling")
    assert tl.cr == pytest.approx(exp["CR_tummala_ling_1998_RI"], rel=1e-9, abs=1e-12)
    assert tl.ri == exp["RI_tummala_ling_1998"]
    assert res.consistent
    if "published" in case:
        pub = case["published"]
        np.testing.assert_allclose(list(res.weights.values()), pub["priorities_3dp"], atol=5e-4)
        assert round(res.cr, 3) == pub["CR_ahpy_saaty_RI_3dp"]


def test_ahp_upper_triangle_and_fractions():
    full = weights.ahp([[1, "3/4", 2], ["4/3", 1, 3], ["1/2", "1/3", 1]])
    upper = weights.ahp([[1, "3/4", 2], [None, 1, 3], ["", None, 1]])
    assert full.weights == pytest.approx(upper.weights)
    assert list(full.weights) == ["c1", "c2", "c3"]


def test_ahp_errors():
    with pytest.raises(EvalToolsError) as e:
        weights.ahp([[1, 3], [3, 1]])
    assert e.value.problems[0].rule == "ahp_not_reciprocal"
    with pytest.raises(EvalToolsError, match="square"):
        weights.ahp([[1, 2, 3], [0.5, 1]])
    with pytest.raises(EvalToolsError) as e:
        weights.ahp([[1, "abc"], [None, 1]])
    assert e.value.problems[0].rule == "ahp_bad_entry"
    with pytest.raises(EvalToolsError) as e:
        weights.ahp([[2, 1], [1, 1]])
    assert e.value.problems[0].rule == "ahp_diagonal"
    with pytest.raises(EvalToolsError):
        weights.ahp([[1, -2], [-0.5, 1]])
    with pytest.raises(UsageError, match="saaty"):
        weights.ahp([[1]], ri="other")
    with pytest.raises(UsageError, match="tummala_ling"):
        weights.ahp(np.ones((11, 11)))


def test_ahp_two_criteria_always_consistent():
    res = weights.ahp([[1, 4], ["1/4", 1]], labels=["a", "b"])
    assert res.weights == pytest.approx({"a": 0.8, "b": 0.2})
    assert (res.ci, res.cr, res.consistent) == (0.0, 0.0, True)


def test_ahp_matches_numpy_eig_on_random_reciprocal():
    rng = np.random.default_rng(3)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    for n in range(3, 9):
        A = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        A[iu] = rng.choice(scale, size=len(iu[0]))
        A[(iu[1], iu[0])] = 1 / A[iu]
        res = weights.ahp(A)
        lam = np.linalg.eigvals(A).real.max()
        assert res.lambda_max == pytest.approx(lam, rel=1e-9)
        w = np.array(list(res.weights.values()))
        np.testing.assert_allclose(A @ w, lam * w, rtol=1e-8)


# -- issue 18 item 18: two-decimal reciprocals ------------------------------------------------

@pytest.mark.parametrize("a", [2, 3, 4, 5, 6, 7, 8, 9])
@pytest.mark.parametrize("rounding", ["half_up", "down"])
def test_ahp_accepts_two_decimal_reciprocals(a, rounding):
    # what people type for 1/a: rounded half-up (0.33, 0.14, 0.13) or truncated (0.12, 0.16);
    # rounding 1/9 up to 0.12 (8 % off) is not a two-decimal reciprocal and is rejected
    import math
    exact = 1 / a
    typed = {"half_up": math.floor(exact * 100 + 0.5) / 100, "down": math.floor(exact * 100) / 100,
             }[rounding]
    res = weights.ahp([[1, a], [typed, 1]])
    assert res.weights["c1"] > res.weights["c2"]


def test_ahp_typed_reciprocals_from_the_issue():
    for a, typed in [(3, 0.33), (9, 0.11), (7, 0.14), (6, 0.17), (8, 0.12), (8, 0.13), (5, 0.2),
                     (4, 0.25), (2, 0.5)]:
        weights.ahp([[1, a, 1], [typed, 1, typed], [1, a, 1]])  # no error
    # 3 × 0.33 was the failing case: a 3×3 matrix typed entirely with two decimals
    res = weights.ahp([[1, 3, 9], [0.33, 1, 3], [0.11, 0.33, 1]])
    assert res.consistent


@pytest.mark.parametrize("a, typed", [(3, 0.3), (3, 0.5), (9, 0.1), (2, 0.45), (5, 3)])
def test_ahp_still_rejects_non_reciprocal_naming_cell_values_and_rule(a, typed):
    with pytest.raises(EvalToolsError) as e:
        weights.ahp([[1, 1, a], [1, 1, 1], [typed, 1, 1]])
    (p,) = e.value.problems
    assert p.rule == "ahp_not_reciprocal"
    assert p.row == 3 and p.value == typed
    msg = str(p)
    assert "(3, 1)" in msg and "(1, 3)" in msg and str(a) in msg and str(typed) in msg
    assert "|ln(a_ij·a_ji)| ≤ 0.05" in msg


def test_ahp_log_tolerance_boundary():
    # product e^±0.049 passes, e^±0.051 fails, symmetrically on the log scale
    import math
    for sign in (1, -1):
        weights.ahp([[1, 4], [math.exp(sign * 0.049) / 4, 1]])
        with pytest.raises(EvalToolsError):
            weights.ahp([[1, 4], [math.exp(sign * 0.051) / 4, 1]])
