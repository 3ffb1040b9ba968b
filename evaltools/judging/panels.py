"""Aggregating a panel's scores: 去掉一个最高分和一个最低分 (trimmed mean), mean, median and per-judge
z-scores, as polars expressions and group-bys. (The integer-coded layout the scoring pipeline uses
on long score tables is :mod:`evaltools.judging.coded`.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from evaltools.errors import (
    EvalToolsError,
    Problem,
    UsageError,
)
from evaltools.judging.common import (
    AGGREGATES,
    Aggregate,
    default_by,
    expr,
    need_columns,
    warn,
)

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
    x = expr(col).cast(pl.Float64).fill_nan(None).drop_nulls()
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
    keys = default_by(df, by, ("round", "unit_id", "criterion"))
    need_columns(df, [score], "评委得分汇总")
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
        warn(f"{short.height} 组评分的评委少于 {need} 位，已改用 {fallback}",
              f"{short.height} group(s) had fewer than {need} judges; used {fallback} instead")
    return out


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
    keys = [judge, *default_by(df, by, ("round",))]
    need_columns(df, [judge, score], "z 分数标准化")
    x = pl.col(score).cast(pl.Float64)
    sd = x.std(ddof=1).over(keys)
    guarded = x.is_not_null() & (sd.is_null() | (sd == 0) | sd.is_nan())
    out = df.with_columns(
        pl.when(guarded).then(0.0).otherwise((x - x.mean().over(keys)) / sd).alias("z"),
        guarded.alias("z_guarded"),
    )
    n = int(out["z_guarded"].sum())
    if n:
        warn(f"{n} 个评分所在的评委分组只有一个分数或分数全相同（标准差为 0），其 z 记为 0",
              f"{n} score(s) belong to a judge group with one score or zero spread; z set to 0")
    return out
