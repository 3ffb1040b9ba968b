"""Aggregating a panel's scores: 去掉一个最高分和一个最低分 (trimmed mean), mean, median, per-judge
z-scores, and the coded panels the scoring pipeline reduces without a group-by."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Literal

import numpy as np
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
