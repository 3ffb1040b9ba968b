"""Agreement between judges: ICC (Shrout & Fleiss), Kendall's W, Krippendorff's α, the judge report
(leniency, outliers) and judges' totals per panel."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from evaltools.errors import (
    EvalToolsError,
    EvalToolsWarning,
    Problem,
    UsageError,
)
from evaltools.judging.common import (
    LEVELS,
    default_by,
    need_columns,
    warn,
)
from evaltools.records import Record

# --------------------------------------------------------------------------------------------
# Agreement: ICC, Kendall's W, Krippendorff's alpha
# --------------------------------------------------------------------------------------------


def _wide(df: pl.DataFrame, target: str, rater: str, score: str, what: str) -> np.ndarray:
    """(n targets × k raters) complete matrix; duplicates and holes are errors."""
    need_columns(df, [target, rater, score], what)
    d = df.select(target, rater, pl.col(score).cast(pl.Float64)).drop_nulls(score)
    dup = d.filter(pl.len().over(target, rater) > 1).unique([target, rater])
    if dup.height:
        raise EvalToolsError([
            Problem(None, None, score, f"{r[target]} / {r[rater]}", "duplicate_score",
                    f"评委 {r[rater]} 对 {r[target]} 打了不止一个分", f"rater {r[rater]} scored "
                    f"{r[target]} more than once", "每位评委每个对象只保留一个分数",
                    "keep one score per rater and target")
            for r in dup.head(20).iter_rows(named=True)])
    w = d.pivot(on=rater, index=target, values=score, aggregate_function=None)
    M = w.drop(target).to_numpy().astype(float)
    if np.isnan(M).any():
        holes = int(np.isnan(M).sum())
        raise EvalToolsError(Problem(
            None, None, score, holes, "incomplete_panel",
            f"{what}需要每位评委给每个对象打分，缺 {holes} 个分数",
            f"{what} needs every rater to score every target; {holes} score(s) missing",
            "补齐评分，或改用 krippendorff_alpha（允许缺失）",
            "complete the panel, or use krippendorff_alpha (allows missing scores)"))
    if M.shape[0] < 2 or M.shape[1] < 2:
        raise EvalToolsError(f"{what}至少需要 2 个对象和 2 位评委",
                             f"{what} needs at least 2 targets and 2 raters")
    return M


def _icc_table(Y: np.ndarray, confidence: float) -> dict[str, list]:
    from scipy import stats  # imported here: scipy.stats takes ~1 s to import (issue 17)

    n, k = Y.shape
    grand = Y.mean()
    ssr = k * ((Y.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((Y.mean(axis=0) - grand) ** 2).sum()
    sst = ((Y - grand) ** 2).sum()
    sse = sst - ssr - ssc
    msr, msc = ssr / (n - 1), ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (sst - ssr) / (n * (k - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr
        a = 1.0 - confidence
        df1, df1w, df2 = n - 1, n * (k - 1), (n - 1) * (k - 1)
        f1, f3, fj = msr / msw, msr / mse, msc / mse
        p1, p3 = stats.f.sf(f1, df1, df1w), stats.f.sf(f3, df1, df2)
        # ICC1 / ICC3 (Shrout & Fleiss 1979; as pingouin / psych::ICC)
        f1l, f1u = f1 / stats.f.ppf(1 - a / 2, df1, df1w), f1 * stats.f.ppf(1 - a / 2, df1w, df1)
        f3l, f3u = f3 / stats.f.ppf(1 - a / 2, df1, df2), f3 * stats.f.ppf(1 - a / 2, df2, df1)
        l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
        l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
        # ICC2: Satterthwaite degrees of freedom (McGraw & Wong 1996)
        vn = df2 * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        f2u, f2l = stats.f.ppf(1 - a / 2, n - 1, v), stats.f.ppf(1 - a / 2, v, n - 1)
        l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
        u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
        lo = [l1, l2, l3, 1 - 1 / f1l, l2 * k / (1 + l2 * (k - 1)), 1 - 1 / f3l]
        hi = [u1, u2, u3, 1 - 1 / f1u, u2 * k / (1 + u2 * (k - 1)), 1 - 1 / f3u]
    return {
        "form": ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"],
        "description": [
            "单个评委，绝对一致（单因素随机） | single rater, absolute agreement (one-way random)",
            "单个评委，绝对一致（双因素随机） | single rater, absolute agreement (two-way random)",
            "单个评委，一致性（双因素混合） | single rater, consistency (two-way mixed)",
            "评委平均，绝对一致（单因素随机） | mean of k raters, absolute (one-way random)",
            "评委平均，绝对一致（双因素随机） | mean of k raters, absolute (two-way random)",
            "评委平均，一致性（双因素混合） | mean of k raters, consistency (two-way mixed)",
        ],
        "icc": [icc1, icc2, icc3, icc1k, icc2k, icc3k],
        "F": [f1, f3, f3, f1, f3, f3],
        "df1": [df1] * 6,
        "df2": [df1w, df2, df2, df1w, df2, df2],
        "pval": [p1, p3, p3, p1, p3, p3],
        "ci_lower": lo,
        "ci_upper": hi,
    }


def icc(
    df: pl.DataFrame,
    *,
    target: str = "unit_id",
    rater: str = "judge_id",
    score: str = "score",
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Intraclass correlations in the six Shrout & Fleiss (1979) forms, with F test and CI.

    Variant: two-way ANOVA on the complete targets × raters table (MSR targets, MSC raters, MSE
    residual, MSW within targets); ICC1 = (MSR−MSW)/(MSR+(k−1)MSW), ICC2 = ICC(2,1) =
    (MSR−MSE)/(MSR+(k−1)MSE+k(MSC−MSE)/n), ICC3 = (MSR−MSE)/(MSR+(k−1)MSE) and the k-rater
    forms. Confidence intervals via the F distribution as in pingouin / psych::ICC (ICC2 with
    Satterthwaite's degrees of freedom). ICC2k is the reliability of a panel mean when judges are
    a sample of possible judges — usually the one to report for a 评委 panel.

    Requires every rater to score every target once (else an error pointing to
    :func:`krippendorff_alpha`, which allows holes).

    A constant panel (every score the same) has no variance at all: every form is 0/0. Then the
    ``icc`` column is NaN (not a number, shown as "—") and an :class:`EvalToolsWarning` says why;
    likewise for any form whose mean squares make it 0/0. It is not an error, because a panel
    that agrees perfectly on identical units is a legitimate (if uninformative) outcome.

    Examples
    --------
    Shrout & Fleiss's 6 targets × 4 judges (published .17 / .29 / .71 / .44 / .62 / .91):

    >>> import polars as pl
    >>> Y = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> df = pl.DataFrame({"unit_id": [i for i in range(6) for _ in range(4)],
    ...                    "judge_id": list("abcd") * 6, "score": sum(Y, [])})
    >>> icc(df).select("form", pl.col("icc", "ci_lower", "ci_upper").round(2))
    shape: (6, 4)
    ┌───────┬──────┬──────────┬──────────┐
    │ form  ┆ icc  ┆ ci_lower ┆ ci_upper │
    │ ---   ┆ ---  ┆ ---      ┆ ---      │
    │ str   ┆ f64  ┆ f64      ┆ f64      │
    ╞═══════╪══════╪══════════╪══════════╡
    │ ICC1  ┆ 0.17 ┆ -0.13    ┆ 0.72     │
    │ ICC2  ┆ 0.29 ┆ 0.02     ┆ 0.76     │
    │ ICC3  ┆ 0.71 ┆ 0.34     ┆ 0.95     │
    │ ICC1k ┆ 0.44 ┆ -0.88    ┆ 0.91     │
    │ ICC2k ┆ 0.62 ┆ 0.07     ┆ 0.93     │
    │ ICC3k ┆ 0.91 ┆ 0.68     ┆ 0.99     │
    └───────┴──────┴──────────┴──────────┘
    """
    Y = _wide(df, target, rater, score, "ICC ")
    table = _icc_table(Y, confidence)
    undefined = [f for f, v in zip(table["form"], table["icc"], strict=True) if not np.isfinite(v)]
    if undefined:
        if Y.max() == Y.min():
            warn(f"ICC 无定义：所有评分都相同（都是 {Y.max():g}），单位间、评委间和残差方差都为 0，"
                  f"ICC = 0/0，{'、'.join(undefined)} 记为 NaN",
                  f"ICC undefined: every score is the same ({Y.max():g}), so the variance between "
                  f"units, between raters and the residual are all 0 and ICC = 0/0; "
                  f"{', '.join(undefined)} set to NaN")
        else:
            warn(f"ICC 无定义（0/0）：{'、'.join(undefined)} 的分母为 0（方差为 0），记为 NaN",
                  f"ICC undefined (0/0): {', '.join(undefined)} have a zero denominator "
                  "(no variance); set to NaN")
    return pl.DataFrame(table, schema={
        "form": pl.String, "description": pl.String, "icc": pl.Float64, "F": pl.Float64,
        "df1": pl.Float64, "df2": pl.Float64, "pval": pl.Float64, "ci_lower": pl.Float64,
        "ci_upper": pl.Float64})


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class KendallW(Record):
    """Kendall's coefficient of concordance (tie-corrected) with its χ² test."""

    w: float
    chi2: float
    dof: int
    p: float
    n_targets: int
    n_raters: int


def kendall_w(
    df: pl.DataFrame,
    *,
    target: str = "unit_id",
    rater: str = "judge_id",
    score: str = "score",
) -> KendallW:
    """Kendall's W: how far judges agree on the *order* of units (0 none … 1 identical).

    Variant: each judge's scores → average ranks; R_i = rank sum of unit i;
    S = Σ (R_i − mean R)²; W = 12 S / (m²(n³ − n) − m Σ_j T_j) with T_j = Σ (t³ − t) over judge j's
    tie groups (irr::kendall with correct = TRUE); χ² = m(n − 1) W on n − 1 degrees of freedom.
    Equals Friedman's χ² / (m(n − 1)) with judges as blocks.

    Examples
    --------
    >>> import polars as pl
    >>> ranks = [[1, 2, 1, 1], [2, 1, 3, 2], [3, 3, 2, 4], [4, 5, 4, 3], [5, 4, 5, 5]]
    >>> df = pl.DataFrame({"unit_id": [i for i in range(5) for _ in range(4)],
    ...                    "judge_id": list("abcd") * 5, "score": sum(ranks, [])})
    >>> kendall_w(df)
    KendallW(w=0.8125, chi2=13.0, dof=4, p=0.0112..., n_targets=5, n_raters=4)
    """
    from scipy import stats  # imported here: scipy.stats takes ~1 s to import (issue 17)

    Y = _wide(df, target, rater, score, "Kendall W ")
    n, m = Y.shape
    ranks = stats.rankdata(Y, axis=0, method="average")
    Rsum = ranks.sum(axis=1)
    S = float(((Rsum - Rsum.mean()) ** 2).sum())
    # tie groups per rater: counts of equal values in each column
    srt = np.sort(Y, axis=0)
    T = 0.0
    if n > 1:
        new = np.vstack([np.ones((1, m), bool), srt[1:] != srt[:-1]])
        gid = np.cumsum(new, axis=0) + np.arange(m) * (n + 1)
        t = np.bincount(gid.ravel())
        T = float((t**3 - t).sum())
    den = m**2 * (n**3 - n) - m * T
    w = 12.0 * S / den if den > 0 else float("nan")
    chi2 = m * (n - 1) * w
    return KendallW(w=float(w), chi2=float(chi2), dof=n - 1, p=float(stats.chi2.sf(chi2, n - 1)),
                    n_targets=n, n_raters=m)


def _delta2(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        s = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = ((values[:, None] - values[None, :]) / s) ** 2
        return np.where(s == 0, 0.0, d)
    # ordinal: (sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2 with categories in sorted order
    cs = np.cumsum(n_c)
    lo = np.minimum.outer(np.arange(values.size), np.arange(values.size))
    hi = np.maximum.outer(np.arange(values.size), np.arange(values.size))
    between = cs[hi] - cs[lo] + n_c[lo]
    return (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2


def krippendorff_alpha(
    df: pl.DataFrame,
    *,
    unit: str = "unit_id",
    rater: str = "judge_id",
    value: str = "score",
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "interval",
) -> float:
    """Krippendorff's α: agreement for any number of raters, missing scores allowed.

    Variant (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"): coincidence matrix
    o_ck = Σ_u (n_uc n_uk − [c = k] n_uc)/(m_u − 1) over units with m_u ≥ 2 values;
    α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck with the difference function δ² of the
    ``level`` (nominal, ordinal rank-based, interval squared difference, ratio ((c−k)/(c+k))²).
    Units scored by only one rater are not pairable and are ignored.

    Degenerate inputs: fewer than 2 pairable values → error; a single value used throughout
    (no variation, α = 0/0) → NaN with a warning.

    Examples
    --------
    Krippendorff's (2011) example, 4 coders × 12 units with holes (α nominal 0.743, ordinal 0.815,
    interval 0.849, ratio 0.797):

    >>> import polars as pl
    >>> data = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...         "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}
    >>> df = pl.DataFrame({"unit_id": list(range(12)) * 4, "judge_id": sum([[k] * 12 for k in data], []),
    ...                    "score": sum(data.values(), [])})
    >>> [round(krippendorff_alpha(df, level=lv), 3) for lv in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
    """
    if level not in LEVELS:
        raise UsageError.choice("level", level, LEVELS)
    need_columns(df, [unit, rater, value], "Krippendorff α ")
    d = df.select(unit, rater, value).drop_nulls(value)
    if d.schema[value].is_float():
        d = d.filter(pl.col(value).is_not_nan())
    if level != "nominal" and not d.schema[value].is_numeric():
        raise EvalToolsError(Problem(
            None, None, value, str(d.schema[value]), "not_numeric",
            f"{level} 级别的 α 需要数值评分", f"alpha at level {level} needs numeric values",
            "改用 level=\"nominal\" 或把评分转为数字", "use level=\"nominal\" or numeric values"))
    dup = d.filter(pl.len().over(unit, rater) > 1)
    if dup.height:
        r = dup.row(0, named=True)
        raise EvalToolsError(Problem(
            None, None, value, f"{r[unit]} / {r[rater]}", "duplicate_score",
            "同一评委对同一对象有多个分数", "a rater scored the same unit more than once",
            "每位评委每个对象只保留一个分数", "keep one score per rater and unit"))
    u_idx = d[unit].to_physical().rank("dense").to_numpy().astype(int) - 1
    raw = d[value].to_numpy()
    values, v_idx = np.unique(raw, return_inverse=True)
    N = np.zeros((int(u_idx.max()) + 1 if u_idx.size else 0, values.size))
    np.add.at(N, (u_idx, v_idx), 1.0)
    m_u = N.sum(axis=1)
    N = N[m_u >= 2]
    m_u = m_u[m_u >= 2]
    if N.shape[0] == 0:
        raise EvalToolsError("没有任何对象被至少两位评委打分，无法计算 α",
                             "no unit was scored by two or more raters; alpha is undefined")
    Wt = N / (m_u - 1.0)[:, None]
    coinc = Wt.T @ N - np.diag(Wt.sum(axis=0))
    n_c = coinc.sum(axis=0)
    n = n_c.sum()
    vals = values.astype(float) if level != "nominal" else np.arange(values.size, dtype=float)
    D = _delta2(vals, n_c, level)
    expected = float((np.outer(n_c, n_c) * D).sum())
    if expected == 0:
        warn("所有评分都相同，α 无定义（0/0），返回 NaN",
              "every value is the same; alpha is undefined (0/0), returning NaN")
        return float("nan")
    return float(1.0 - (n - 1.0) * (coinc * D).sum() / expected)


# --------------------------------------------------------------------------------------------
# Judge report
# --------------------------------------------------------------------------------------------


def judge_report(
    df: pl.DataFrame,
    *,
    judge: str = "judge_id",
    unit: str = "unit_id",
    score: str = "score",
    by: Sequence[str] | None = None,
    outlier_z: float = 3.5,
) -> pl.DataFrame:
    """One row per judge: how lenient, how spread, how well aligned with the rest of the panel.

    Columns: ``n`` (scores given), ``mean``, ``sd`` (spread, ddof = 1), ``leniency`` (mean of the
    judge's score − the panel mean on the same unit/criterion/round; > 0 = lenient), ``loo_corr``
    (Pearson correlation of the judge's scores with the mean of the *other* judges on the same
    cells — low or negative means the judge orders units differently), ``robust_z`` (modified
    z-score of the leniency across judges, 0.6745·(L − median)/MAD, Iglewicz & Hoaglin; with
    MAD = 0 the mean absolute deviation × 1.2533 is used) and ``outlier`` (|robust_z| > ``outlier_z``,
    default 3.5). Flags are evidence for a person to review, not a reason to drop scores.

    ``by``: cell columns besides ``unit``; None = ``round`` and ``criterion`` where present.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"judge_id": ["j1"] * 3 + ["j2"] * 3 + ["j3"] * 3,
    ...                    "unit_id": ["A", "B", "C"] * 3,
    ...                    "score": [8, 6, 4, 9, 7, 5, 7, 6, 5]})
    >>> judge_report(df).with_columns(pl.col("leniency", "robust_z").round(3))
    shape: (3, 8)
    ┌──────────┬─────┬──────┬─────┬──────────┬──────────┬──────────┬─────────┐
    │ judge_id ┆ n   ┆ mean ┆ sd  ┆ leniency ┆ loo_corr ┆ robust_z ┆ outlier │
    │ ---      ┆ --- ┆ ---  ┆ --- ┆ ---      ┆ ---      ┆ ---      ┆ ---     │
    │ str      ┆ u32 ┆ f64  ┆ f64 ┆ f64      ┆ f64      ┆ f64      ┆ bool    │
    ╞══════════╪═════╪══════╪═════╪══════════╪══════════╪══════════╪═════════╡
    │ j1       ┆ 3   ┆ 6.0  ┆ 2.0 ┆ -0.333   ┆ 1.0      ┆ 0.0      ┆ false   │
    │ j2       ┆ 3   ┆ 7.0  ┆ 2.0 ┆ 0.667    ┆ 1.0      ┆ 2.394    ┆ false   │
    │ j3       ┆ 3   ┆ 6.0  ┆ 1.0 ┆ -0.333   ┆ 1.0      ┆ 0.0      ┆ false   │
    └──────────┴─────┴──────┴─────┴──────────┴──────────┴──────────┴─────────┘

    j2 scores above the panel mean on every building (9, 7, 5 against 8, 6.33, 4.67): leniency +0.67.
    """
    cells = [unit, *default_by(df, by, ("round", "criterion"))]
    need_columns(df, [judge, unit, score], "评委报告")
    x = pl.col(score).cast(pl.Float64)
    d = df.filter(pl.col(score).is_not_null()).with_columns(
        (x - x.mean().over(cells)).alias("_dev"),
        pl.when(pl.len().over(cells) > 1)
        .then((x.sum().over(cells) - x) / (pl.len().over(cells) - 1))
        .alias("_loo"),
    )
    rep = d.group_by(judge, maintain_order=True).agg(
        pl.len().alias("n"),
        x.mean().alias("mean"),
        x.std(ddof=1).alias("sd"),
        pl.col("_dev").mean().alias("leniency"),
        pl.corr(x, pl.col("_loo")).alias("loo_corr"),
    )
    L = pl.col("leniency")
    med = L.median()
    mad = (L - med).abs().median()
    meanad = (L - med).abs().mean()
    z = (pl.when(mad > 0).then(0.6745 * (L - med) / mad)
         .when(meanad > 0).then((L - med) / (1.253314 * meanad))
         .otherwise(0.0))
    return rep.with_columns(z.alias("robust_z")).with_columns(
        (pl.col("robust_z").abs() > outlier_z).alias("outlier"))


# --------------------------------------------------------------------------------------------
# Agreement per panel (round, street …)
# --------------------------------------------------------------------------------------------


def judge_totals(
    scores: pl.DataFrame,
    units: pl.DataFrame | None = None,
    *,
    by: Sequence[str] = ("round",),
    panel: str | None = None,
    unit: str = "unit_id",
    judge: str = "judge_id",
    score: str = "score",
) -> pl.DataFrame:
    """Each judge's total for each unit (the sum over criteria): the input of :func:`agreement`.

    ``panel`` names a column of ``units`` (e.g. ``"street"``: one panel of judges per street)
    that is joined onto the scores and kept as a grouping column after ``by``. Sorted by ``by``,
    panel, unit and judge. A judge who scored only some criteria of a unit gets the sum of those:
    agreement on totals assumes every judge scored every criterion (as the data checks do).

    Examples
    --------
    >>> import polars as pl
    >>> scores = pl.DataFrame({"round": 1, "judge_id": ["J1", "J1", "J2", "J2", "J1", "J2"],
    ...     "unit_id": ["A", "A", "A", "A", "B", "B"], "criterion": ["卫生", "绿化"] * 2 + ["卫生"] * 2,
    ...     "score": [8.0, 7.0, 9.0, 6.5, 5.0, 6.0]})
    >>> units = pl.DataFrame({"unit_id": ["A", "B"], "street": ["济源路", "新安路"]})
    >>> judge_totals(scores, units, panel="street")
    shape: (4, 5)
    ┌───────┬────────┬─────────┬──────────┬───────┐
    │ round ┆ street ┆ unit_id ┆ judge_id ┆ score │
    │ ---   ┆ ---    ┆ ---     ┆ ---      ┆ ---   │
    │ i32   ┆ str    ┆ str     ┆ str      ┆ f64   │
    ╞═══════╪════════╪═════════╪══════════╪═══════╡
    │ 1     ┆ 新安路 ┆ B       ┆ J1       ┆ 5.0   │
    │ 1     ┆ 新安路 ┆ B       ┆ J2       ┆ 6.0   │
    │ 1     ┆ 济源路 ┆ A       ┆ J1       ┆ 15.0  │
    │ 1     ┆ 济源路 ┆ A       ┆ J2       ┆ 15.5  │
    └───────┴────────┴─────────┴──────────┴───────┘
    """
    by = [c for c in by if c in scores.columns]
    need_columns(scores, [unit, judge, score], "评委总分")
    keys = [*by, unit, judge]
    if panel is not None:
        if units is None:
            raise UsageError("按评委组汇总需要传入单位表（units）",
                             f"panel={panel!r} needs the units table")
        need_columns(units, [unit, panel], "评委组（panel）")
        scores = scores.join(units.select(unit, panel), on=unit, how="left")
        keys = [*by, panel, unit, judge]
    return scores.group_by(keys).agg(pl.col(score).sum()).sort(keys)


def agreement(
    df: pl.DataFrame,
    *,
    by: Sequence[str] = ("round",),
    target: str = "unit_id",
    rater: str = "judge_id",
    score: str = "score",
) -> pl.DataFrame:
    """Panel agreement per group (e.g. per round and street panel): ICC(2,k) with its interval,
    ICC(3,1), Kendall's W with its p-value and Krippendorff's α (interval).

    One row per group of ``by``: ``n_units``, ``n_judges``, ``icc2k``, ``icc2k_lower``,
    ``icc2k_upper``, ``icc3``, ``kendall_w``, ``kendall_p``, ``alpha``. ICC and W need a complete
    panel (every judge scores every unit once): for an incomplete one they are null and only α
    (which allows holes) is given. A loop runs over the groups (rounds × panels), not over units.

    Examples
    --------
    >>> import polars as pl
    >>> Y = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> df = pl.DataFrame({"round": 1, "unit_id": [i for i in range(6) for _ in range(4)],
    ...                    "judge_id": list("abcd") * 6, "score": sum(Y, [])})
    >>> agreement(df).select("round", "n_units", "n_judges", pl.col("icc2k", "icc3").round(2))
    shape: (1, 5)
    ┌───────┬─────────┬──────────┬───────┬──────┐
    │ round ┆ n_units ┆ n_judges ┆ icc2k ┆ icc3 │
    │ ---   ┆ ---     ┆ ---      ┆ ---   ┆ ---  │
    │ i32   ┆ i64     ┆ i64      ┆ f64   ┆ f64  │
    ╞═══════╪═════════╪══════════╪═══════╪══════╡
    │ 1     ┆ 6       ┆ 4        ┆ 0.62  ┆ 0.71 │
    └───────┴─────────┴──────────┴───────┴──────┘
    """
    by = list(by)
    need_columns(df, [*by, target, rater, score], "一致性分析")
    rows = []
    for key, g in df.group_by(by, maintain_order=True):  # groups = panels, not units
        row = dict(zip(by, key, strict=True))
        row.update(n_units=g[target].n_unique(), n_judges=g[rater].n_unique())
        try:
            t = icc(g, target=target, rater=rater, score=score)
            i2k = t.filter(pl.col("form") == "ICC2k").row(0, named=True)
            row.update(icc2k=i2k["icc"], icc2k_lower=i2k["ci_lower"],
                       icc2k_upper=i2k["ci_upper"],
                       icc3=t.filter(pl.col("form") == "ICC3")["icc"][0])
            kw = kendall_w(g, target=target, rater=rater, score=score)
            row.update(kendall_w=kw.w, kendall_p=kw.p)
        except EvalToolsError:
            pass
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvalToolsWarning)
                row["alpha"] = krippendorff_alpha(g, unit=target, rater=rater, value=score,
                                                  level="interval")
        except EvalToolsError:
            row["alpha"] = None
        rows.append(row)
    schema = pl.Schema({**{c: df.schema[c] for c in by}, "n_units": pl.Int64(),
                        "n_judges": pl.Int64(),
                        **dict.fromkeys(("icc2k", "icc2k_lower", "icc2k_upper", "icc3",
                                         "kendall_w", "kendall_p", "alpha"), pl.Float64())})
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
