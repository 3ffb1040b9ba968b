"""Judges' scores: 去掉最高最低 trimmed mean, per-judge z-scores, agreement and a judge report.

The scores table is long: one row per (judge, unit, criterion[, round]) with a numeric ``score``.
Everything here is vectorised with polars group-bys and numpy; no loop runs over units or judges.
Variants and their sources are listed in ``docs/methods.md``; the known answers are in
``tests/reference/ratings_cases.json``.
"""

from __future__ import annotations

import sys
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
    require_columns,
)

__all__ = [
    "AGGREGATES",
    "KendallW",
    "aggregate",
    "agreement",
    "icc",
    "judge_report",
    "judge_totals",
    "kendall_w",
    "krippendorff_alpha",
    "standardize",
    "trimmed_mean",
]

Aggregate = Literal["mean", "median", "trimmed_mean"]
AGGREGATES: tuple[str, ...] = ("mean", "median", "trimmed_mean")
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def _warn(zh: str, en: str) -> None:
    warnings.warn(f"{zh} | {en}", EvalToolsWarning, stacklevel=3)


def _need_columns(df: pl.DataFrame, cols: Sequence[str], what: str) -> None:
    """``what`` (the analysis, in Chinese) needs ``cols`` in ``df``."""
    require_columns(df, cols, what_zh=f"{what}的数据", what_en=f"the data for {what}",
                    fix_zh="检查列名参数", fix_en="check the column-name arguments")


def _default_by(df: pl.DataFrame, by: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    if by is None:
        return [c for c in default if c in df.columns]
    by = [by] if isinstance(by, str) else list(by)
    _need_columns(df, by, "分组 (by) ")
    return by


# --------------------------------------------------------------------------------------------
# Aggregating a panel's scores
# --------------------------------------------------------------------------------------------


def trimmed_mean(col: str | pl.Expr = "score", *, drop: int = 1) -> pl.Expr:
    """去掉一个最高分和一个最低分: drop exactly ``drop`` highest and ``drop`` lowest scores, even
    when tied, and average the rest. For ``group_by().agg()`` (or ``select``).

    Variant: sort, slice off ``drop`` values at each end, mean of the remaining n − 2·drop. Nulls
    and NaN are ignored: a NaN is not a score (it is neither the highest nor counted among the
    judges), so [1, NaN, 4, 5] gives 4.0 from 3 scores. Fewer than 2·drop + 1 scores → null (use
    :func:`aggregate` to turn that into a clear error or a declared fallback). This is *not*
    ``scipy.stats.trim_mean(x, 0.1)``, which trims nothing with 5 judges.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A"] * 5 + ["B"] * 5 + ["C"] * 2,
    ...                    "score": [9, 5, 6, 8, 9, 100, 1, 20, 30, 40, 7, 8]})
    >>> df.group_by("unit", maintain_order=True).agg(trimmed_mean("score"))
    shape: (3, 2)
    ┌──────┬──────────┐
    │ unit ┆ score    │
    │ ---  ┆ ---      │
    │ str  ┆ f64      │
    ╞══════╪══════════╡
    │ A    ┆ 7.666667 │
    │ B    ┆ 30.0     │
    │ C    ┆ null     │
    └──────┴──────────┘

    A's two 9s: only one is dropped, so (5 dropped) 6, 8, 9 remain.
    """
    if not isinstance(drop, int) or drop < 0:
        raise UsageError(f"drop 必须是非负整数，收到 {drop!r}",
                         f"drop must be a non-negative integer, got {drop!r}")
    x = _expr(col).cast(pl.Float64).fill_nan(None).drop_nulls()
    n = x.len()
    return pl.when(n >= 2 * drop + 1).then(x.sort().slice(drop, n - 2 * drop).mean())


def _score(score: str) -> pl.Expr:
    """The score column as Float64 with NaN read as missing (null): a NaN is not a score."""
    return pl.col(score).cast(pl.Float64).fill_nan(None)


def _agg_expr(method: str, score: str) -> pl.Expr:
    if method == "mean":
        return _score(score).mean()
    if method == "median":
        return _score(score).median()
    return trimmed_mean(score)


def aggregate(
    df: pl.DataFrame,
    *,
    by: Sequence[str] | None = None,
    score: str = "score",
    method: Aggregate = "trimmed_mean",
    min_judges: int = 3,
    fallback: Literal["mean", "median"] | None = None,
) -> pl.DataFrame:
    """One value per (round, unit, criterion) from the panel's scores.

    Parameters
    ----------
    df : long scores table.
    by : grouping columns; None = those of ``round``, ``unit_id``, ``criterion`` present in df.
    score : the score column.
    method : ``mean`` | ``median`` | ``trimmed_mean`` (去掉一个最高分和一个最低分).
    min_judges : fewer scores than this in a group is an error, unless ``fallback`` is set.
        ``trimmed_mean`` always needs at least 3.
    fallback : ``mean`` | ``median`` | None — rule used (and recorded) for short groups.

    Missing scores (null) and NaN are left out of every method and of ``n_judges``: a NaN is not
    a score, so it is never the highest or lowest, ``mean`` averages the real scores only, and
    ``min_judges`` counts real scores.

    Returns
    -------
    DataFrame with ``by`` + ``value`` (Float64), ``n_judges`` (UInt32), ``method`` (the rule
    actually used for that row) and ``fallback_used`` (bool), in first-appearance order.

    Raises
    ------
    EvalToolsError
        Naming every unit / criterion / round with too few judges, when ``fallback`` is None.

    Examples
    --------
    >>> import polars as pl
    >>> scores = pl.DataFrame({"unit_id": ["A"] * 5 + ["B"] * 2, "criterion": "卫生",
    ...                        "score": [9, 5, 6, 8, 9, 7, 8]})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> aggregate(scores, fallback="mean")
    shape: (2, 6)
    ┌─────────┬───────────┬──────────┬──────────┬──────────────┬───────────────┐
    │ unit_id ┆ criterion ┆ value    ┆ n_judges ┆ method       ┆ fallback_used │
    │ ---     ┆ ---       ┆ ---      ┆ ---      ┆ ---          ┆ ---           │
    │ str     ┆ str       ┆ f64      ┆ u32      ┆ str          ┆ bool          │
    ╞═════════╪═══════════╪══════════╪══════════╪══════════════╪═══════════════╡
    │ A       ┆ 卫生      ┆ 7.666667 ┆ 5        ┆ trimmed_mean ┆ false         │
    │ B       ┆ 卫生      ┆ 7.5      ┆ 2        ┆ mean         ┆ true          │
    └─────────┴───────────┴──────────┴──────────┴──────────────┴───────────────┘
    """
    if method not in AGGREGATES:
        raise UsageError.choice("method", method, AGGREGATES)
    if fallback is not None and fallback not in ("mean", "median"):
        raise UsageError.choice("fallback", fallback, ["mean", "median", "None"])
    keys = _default_by(df, by, ("round", "unit_id", "criterion"))
    _need_columns(df, [score], "评委得分汇总")
    need = max(int(min_judges), 3 if method == "trimmed_mean" else 1)
    out = df.group_by(keys, maintain_order=True).agg(
        _agg_expr(method, score).alias("value"),
        _score(score).drop_nulls().len().alias("n_judges"),
        *([_agg_expr(fallback, score).alias("_fallback")] if fallback else []),
    )
    short = out.filter(pl.col("n_judges") < need)
    if short.height and fallback is None:
        label = {"trimmed_mean": "去掉最高分和最低分", "mean": "平均分", "median": "中位数"}[method]
        problems = []
        for row in short.iter_rows(named=True):  # error path: one problem per short group
            where = "，".join(f"{k} = {row[k]}" for k in keys)
            problems.append(Problem(
                None, None, score, row["n_judges"], "too_few_judges",
                f"{where}：只有 {row['n_judges']} 位评委打分，{label}至少需要 {need} 位",
                f"{', '.join(f'{k}={row[k]}' for k in keys)}: only {row['n_judges']} judge(s) "
                f"scored; {method} needs at least {need}",
                "补充评分，或在评分细则中声明 judge_fallback = \"mean\"",
                "add scores, or declare judge_fallback = \"mean\" in the rubric"))
        raise EvalToolsError(problems)
    used = pl.col("n_judges") < need
    out = out.with_columns(
        (pl.when(used).then(pl.col("_fallback")).otherwise(pl.col("value"))
         if fallback else pl.col("value")).alias("value"),
        pl.when(used).then(pl.lit(fallback or method)).otherwise(pl.lit(method)).alias("method"),
        used.alias("fallback_used"),
    ).drop("_fallback", strict=False)
    if short.height:
        _warn(f"{short.height} 组评分的评委少于 {need} 位，已改用 {fallback}",
              f"{short.height} group(s) had fewer than {need} judges; used {fallback} instead")
    return out


def panel_groups(unit: pl.Series, criterion: pl.Series, judge: pl.Series
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort a long scores table by (unit, criterion, judge) with integer codes, not strings.

    Returns ``order`` (row positions, stable), ``starts`` (first sorted position of each
    (unit, criterion) group) and ``lens`` (scores per group). Judges are ranked in their sorted
    (lexical) order, so each group's scores come out in judge order.
    """
    u = unit.cast(pl.Categorical).to_physical().cast(pl.Int64).to_numpy()
    crit = criterion.unique().sort()
    c = criterion.cast(pl.Enum(crit)).to_physical().cast(pl.Int64).to_numpy()
    judges = judge.unique().sort()
    j = judge.cast(pl.Enum(judges)).to_physical().cast(pl.Int64).to_numpy()
    n_c, n_j = max(crit.len(), 1), max(judges.len(), 1)
    g = u * n_c + c
    key = g * n_j + j
    if key.size < 2 or (key[1:] >= key[:-1]).all():  # already in order (a common export layout)
        order = np.arange(key.size)
    else:
        order = pl.Series(key).arg_sort().to_numpy()
    gs = g[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if gs.size else np.zeros(0, int)
    lens = np.diff(np.r_[starts, gs.size])
    return order, starts, lens


def string_codes(x: pl.Series) -> tuple[np.ndarray, pl.Series] | None:
    """Integer codes (int32) of a string column in the sorted order of its distinct values, and
    those sorted values; None when ``x`` has nulls.

    Exports list a unit's (or a judge's) rows together, so the column is usually a few long
    runs: then only the first value of each run is hashed and the codes are repeated over the
    runs. Otherwise every value is cast to an Enum of the sorted distinct values.
    """
    x = x.cast(pl.String)
    if x.null_count():
        return None
    n = x.len()
    head = x.head(4096)
    if n >= 64 and head.ne_missing(head.shift(1)).sum() * 4 <= head.len():
        starts = np.flatnonzero(x.ne_missing(x.shift(1)).fill_null(True).to_numpy())
        if starts.size * 4 <= n:
            first = x.gather(starts)
            names = first.unique().sort()
            run_codes = first.cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int32)
            return np.repeat(run_codes, np.diff(np.r_[starts, n])), names
    names = x.unique().sort()
    return x.cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int32), names


def coded_panels(unit: np.ndarray, crit: np.ndarray, judge: np.ndarray, scores: np.ndarray,
                  n_units: int, n_crit: int, n_judges: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lay out panels from integer codes: like :func:`panel_groups`, for codes already made.

    Returns the scores in panel order (each (criterion, unit) panel contiguous, its scores in
    judge order, repeated (unit, criterion, judge) rows in input order), ``starts``, ``lens`` and
    ``gid`` = criterion × n_units + unit of each panel; panels in (criterion, unit) order. When
    every (criterion, unit, judge) key occurs once and the key range is not much larger than the
    data, the scores are placed by a counting sort (a scatter; no sort), else by a stable sort.
    """
    key = crit.astype(np.int64)  # (criterion × n_units + unit) × n_judges + judge, in place
    key *= n_units
    key += unit
    key *= n_judges
    key += judge
    n = key.size
    span = n_units * n_crit * n_judges
    if n and n == span:  # the full grid: every unit × criterion × judge once?
        seen = np.zeros(span, bool)
        seen[key] = True
        if seen.all():
            out = np.empty(n)
            out[key] = scores
            groups = n_units * n_crit
            return (out, np.arange(groups, dtype=np.int64) * n_judges,
                    np.full(groups, n_judges, dtype=np.int64), np.arange(groups, dtype=np.int64))
    if n and span <= 4 * n + 65_536:
        counts = np.bincount(key, minlength=span)
        if counts.max() <= 1:
            out = np.empty(n)
            out[np.cumsum(counts)[key] - 1] = scores
            per_group = counts.reshape(-1, n_judges).sum(axis=1)
            gid = np.flatnonzero(per_group)
            lens = per_group[gid]
            return out, np.cumsum(lens) - lens, lens, gid
    if n < 2 or (key[1:] >= key[:-1]).all():
        order = np.arange(n)
    else:
        order = np.argsort(key, kind="stable")
    gs = key[order] // n_judges
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if n else np.zeros(0, np.int64)
    lens = np.diff(np.r_[starts, n])
    return scores[order], starts, lens, gs[starts]


def panel_reduce(sorted_scores: np.ndarray, starts: np.ndarray, lens: np.ndarray,
                  method: str, rows: np.ndarray | None = None) -> np.ndarray:
    """``mean`` / ``median`` / ``trimmed_mean`` of each group of ``sorted_scores`` (groups given by
    ``starts`` and ``lens``; only the groups ``rows`` when given), as an array (NaN where
    undefined). Vectorised per group size: the groups of each size form one (g, size) matrix."""
    rows = np.arange(starts.size) if rows is None else rows
    out = np.full(rows.size, np.nan)
    sub_lens = lens[rows]
    # equal panels tiling the scores (the full grid): rows of one (groups, size) view, no
    # index matrix
    tiled = (lens.size > 0 and sorted_scores.size == lens.size * int(lens[0])
             and lens.min() == lens.max() and (starts == np.arange(lens.size) * lens[0]).all())
    sizes = [int(lens[0])] if tiled else np.unique(sub_lens)
    for size in sizes:  # a handful of panel sizes
        if size == 0 or (method == "trimmed_mean" and size < 3):
            continue
        if tiled:
            at = np.arange(rows.size)
            m = sorted_scores.reshape(-1, size)[rows]
        else:
            at = np.flatnonzero(sub_lens == size)
            m = sorted_scores[starts[rows[at]][:, None] + np.arange(size)]
        if method == "mean":
            out[at] = m.sum(axis=1) / size
            continue
        m.sort(axis=1)
        if method == "median":
            h = size // 2
            out[at] = m[:, h] if size % 2 else (m[:, h - 1] + m[:, h]) / 2.0
        else:  # 去掉一个最高分和一个最低分
            out[at] = m[:, 1:size - 1].sum(axis=1) / (size - 2)
    return out


#: Panels of at least this many scores are turned into lists through pyarrow (see panel_lists).
PYARROW_LIST_MIN = 200_000


def panel_lists(sorted_scores: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> pl.Series:
    """Each group's scores as a ``List(Float64)`` Series, built per group size without a loop
    over groups (groups that tile ``sorted_scores`` in order: one Arrow list array on it)."""
    n = int(lens.sum())
    # One Arrow list array over the scores is ~20x faster than the loop below at 1M groups, but
    # importing pyarrow costs ~60 ms: worth it only for large panels (or when already imported).
    if (starts.size and n == sorted_scores.size and starts[0] == 0
            and (n >= PYARROW_LIST_MIN or "pyarrow" in sys.modules)
            and (starts[1:] == starts[:-1] + lens[:-1]).all()):
        import pyarrow as pa

        offsets = pa.array(np.r_[starts, n].astype(np.int64))
        arr = pa.LargeListArray.from_arrays(offsets, pa.array(sorted_scores, pa.float64()))
        return pl.Series("raw", arr, dtype=pl.List(pl.Float64))
    parts, pos = [], []
    for size in np.unique(lens):
        at = np.flatnonzero(lens == size)
        m = sorted_scores[starts[at][:, None] + np.arange(size)]
        parts.append(pl.Series("raw", m.reshape(at.size, size), dtype=pl.Array(pl.Float64, int(size)))
                     .cast(pl.List(pl.Float64)))
        pos.append(at)
    if not parts:
        return pl.Series("raw", [], dtype=pl.List(pl.Float64))
    if len(parts) == 1:
        return parts[0]
    raw = pl.concat(parts)
    return raw.gather(np.argsort(np.concatenate(pos), kind="stable"))


def standardize(
    df: pl.DataFrame,
    *,
    judge: str = "judge_id",
    score: str = "score",
    by: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Add ``z`` = (score − judge mean) / judge sd per judge (and per ``by``), plus ``z_guarded``.

    Variant: sample standard deviation (ddof = 1) within each (judge, *by) group. This removes a
    lenient or harsh judge's offset and scale when judges see comparable sets of units.
    ``by`` None = ``("round",)`` when a ``round`` column exists, else no grouping.

    Degenerate inputs: a judge with a single score (sd undefined) or identical scores (sd = 0)
    gets z = 0 for those rows, ``z_guarded`` = True and a warning — they carry no information
    about the judge's scale, so they neither help nor hurt a unit.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"judge_id": ["j1"] * 3 + ["j2"] * 3 + ["j3"],
    ...                    "unit_id": ["A", "B", "C"] * 2 + ["A"],
    ...                    "score": [7, 8, 9, 2, 4, 6, 5]})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> standardize(df)
    shape: (7, 5)
    ┌──────────┬─────────┬───────┬──────┬───────────┐
    │ judge_id ┆ unit_id ┆ score ┆ z    ┆ z_guarded │
    │ ---      ┆ ---     ┆ ---   ┆ ---  ┆ ---       │
    │ str      ┆ str     ┆ i64   ┆ f64  ┆ bool      │
    ╞══════════╪═════════╪═══════╪══════╪═══════════╡
    │ j1       ┆ A       ┆ 7     ┆ -1.0 ┆ false     │
    │ j1       ┆ B       ┆ 8     ┆ 0.0  ┆ false     │
    │ j1       ┆ C       ┆ 9     ┆ 1.0  ┆ false     │
    │ j2       ┆ A       ┆ 2     ┆ -1.0 ┆ false     │
    │ j2       ┆ B       ┆ 4     ┆ 0.0  ┆ false     │
    │ j2       ┆ C       ┆ 6     ┆ 1.0  ┆ false     │
    │ j3       ┆ A       ┆ 5     ┆ 0.0  ┆ true      │
    └──────────┴─────────┴───────┴──────┴───────────┘
    """
    keys = [judge, *_default_by(df, by, ("round",))]
    _need_columns(df, [judge, score], "z 分数标准化")
    x = pl.col(score).cast(pl.Float64)
    sd = x.std(ddof=1).over(keys)
    guarded = x.is_not_null() & (sd.is_null() | (sd == 0) | sd.is_nan())
    out = df.with_columns(
        pl.when(guarded).then(0.0).otherwise((x - x.mean().over(keys)) / sd).alias("z"),
        guarded.alias("z_guarded"),
    )
    n = int(out["z_guarded"].sum())
    if n:
        _warn(f"{n} 个评分所在的评委分组只有一个分数或分数全相同（标准差为 0），其 z 记为 0",
              f"{n} score(s) belong to a judge group with one score or zero spread; z set to 0")
    return out


# --------------------------------------------------------------------------------------------
# Agreement: ICC, Kendall's W, Krippendorff's alpha
# --------------------------------------------------------------------------------------------


def _wide(df: pl.DataFrame, target: str, rater: str, score: str, what: str) -> np.ndarray:
    """(n targets × k raters) complete matrix; duplicates and holes are errors."""
    _need_columns(df, [target, rater, score], what)
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
            _warn(f"ICC 无定义：所有评分都相同（都是 {Y.max():g}），单位间、评委间和残差方差都为 0，"
                  f"ICC = 0/0，{'、'.join(undefined)} 记为 NaN",
                  f"ICC undefined: every score is the same ({Y.max():g}), so the variance between "
                  f"units, between raters and the residual are all 0 and ICC = 0/0; "
                  f"{', '.join(undefined)} set to NaN")
        else:
            _warn(f"ICC 无定义（0/0）：{'、'.join(undefined)} 的分母为 0（方差为 0），记为 NaN",
                  f"ICC undefined (0/0): {', '.join(undefined)} have a zero denominator "
                  "(no variance); set to NaN")
    return pl.DataFrame(table, schema={
        "form": pl.String, "description": pl.String, "icc": pl.Float64, "F": pl.Float64,
        "df1": pl.Float64, "df2": pl.Float64, "pval": pl.Float64, "ci_lower": pl.Float64,
        "ci_upper": pl.Float64})


@dataclass(frozen=True)
class KendallW:
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
    _need_columns(df, [unit, rater, value], "Krippendorff α ")
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
        _warn("所有评分都相同，α 无定义（0/0），返回 NaN",
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
    cells = [unit, *_default_by(df, by, ("round", "criterion"))]
    _need_columns(df, [judge, unit, score], "评委报告")
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
    _need_columns(scores, [unit, judge, score], "评委总分")
    keys = [*by, unit, judge]
    if panel is not None:
        if units is None:
            raise UsageError("按评委组汇总需要传入单位表（units）",
                             f"panel={panel!r} needs the units table")
        _need_columns(units, [unit, panel], "评委组（panel）")
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
    _need_columns(df, [*by, target, rater, score], "一致性分析")
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
