"""Residents' ratings (群众点评卡, 满意度测评): label values, 满意率, small-sample corrections.

The ratings table is long: one row per answer with a ``unit_id`` and a ``rating`` that is either a
label (满意 / 基本满意 / 不太满意 / 不满意, or a 5-level scale) or a number.

满意率 has two definitions in use: 满意 only, or 满意 + 基本满意. It is always a parameter
(``satisfied``), and every output names the definition it used (``satisfied_definition``).
Buildings receive very different numbers of cards, so small samples are shown with a Wilson
interval and a Bayesian average beside the raw rate — never instead of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol

import polars as pl

from evaltools.engines import engine_for
from evaltools.errors import EvalToolsError, Problem, UsageError, require_columns
from evaltools.scales import COMMON_SCALES, FIVE_LEVEL, FOUR_LEVEL, Scale, detect_scale

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

__all__ = [
    "COMMON_SCALES",
    "FIVE_LEVEL",
    "FOUR_LEVEL",
    "Scale",
    "bayesian_average",
    "check_labels",
    "detect_scale",
    "dirichlet_expected_score",
    "nps",
    "satisfaction_rate",
    "satisfied_definition",
    "summarize",
    "to_value",
    "top2box",
    "wilson_interval",
]

def _expr(col: str | pl.Expr | float) -> pl.Expr:
    if isinstance(col, str):
        return pl.col(col)
    if isinstance(col, pl.Expr):
        return col
    return pl.lit(col)


# z = Φ⁻¹(1 − (1 − confidence) / 2) for the usual confidences, exactly as scipy computes it
# (``scipy.special.ndtri``, the same bits as ``scipy.stats.norm.ppf``; checked in
# tests/test_import_time.py), so that scoring a board does not import scipy (issue 17).
Z_VALUES: dict[float, float] = {
    0.8: 1.2815515655446004,
    0.9: 1.6448536269514722,
    0.95: 1.959963984540054,
    0.99: 2.5758293035489004,
}


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.959963984540054 at 0.95).

    Examples
    --------
    >>> z_value(0.95)
    1.959963984540054
    """
    if not 0.0 < confidence < 1.0:
        raise UsageError(f"confidence 必须在 0 和 1 之间，收到 {confidence!r}",
                         f"confidence must be between 0 and 1, got {confidence!r}")
    if confidence in Z_VALUES:
        return Z_VALUES[confidence]
    from scipy.special import ndtri

    return float(ndtri(1.0 - (1.0 - confidence) / 2.0))


def satisfied_definition(satisfied: Sequence[str | float]) -> str:
    """The 满意率 definition as shown to users, e.g. "满意+基本满意".

    Examples
    --------
    >>> satisfied_definition(("满意", "基本满意")), satisfied_definition(["满意"])
    ('满意+基本满意', '满意')
    """
    if isinstance(satisfied, str):
        satisfied = (satisfied,)
    return "+".join(str(s) for s in satisfied)


counts_dtype = pl.Struct({"k": pl.Float64, "n": pl.Float64})
#: problems raised inside expressions, by message: polars hands the caller only the message, and
#: may run the UDF on another thread than the one that catches it, so this is a shared cache, not
#: a thread-local. A message always maps to an equal problem, so threads never disagree; entries
#: are never cleared (another thread may be about to read one), only the oldest trimmed.
_RAISED: dict[str, Problem] = {}
_RAISED_KEEP = 64


def _remember(problem: Problem) -> None:
    _RAISED[str(problem)] = problem
    while len(_RAISED) > _RAISED_KEEP:
        try:
            del _RAISED[next(iter(_RAISED))]
        except (StopIteration, KeyError, RuntimeError):  # another thread trimmed it first
            break


class _ExprUsageError(UsageError):
    """A UsageError raised while polars evaluates an expression. Polars re-creates an exception
    raised in a UDF from its message plus a dump of the expression; this keeps the original
    problem (and so a clean two-language message) instead."""

    def __init__(self, problems: Problem | str, en: str | None = None):
        if isinstance(problems, str):
            head = problems.split("\n\nThis error occurred", 1)[0]
            problems = _RAISED.get(head, problems)
        super().__init__(problems, en)


def _check_counts(k: pl.Series, n: pl.Series, bad: pl.Series) -> None:
    """Raise a UsageError naming the first bad pair ``{k, n}`` (``bad`` marks them), if any."""
    if bad.any():
        at = int(bad.arg_true()[0])
        kk, nn = k[at], n[at]
        problem = Problem(
            None, None, None, f"k = {kk:g}, n = {nn:g}", "bad_counts",
            f"Wilson 区间的计数无效（第 {at + 1} 个，共 {int(bad.sum())} 个无效）："
            "规则是 0 ≤ k ≤ n（满意数 k 不能为负、不能超过总数 n），且均为有限数",
            f"invalid counts for the Wilson interval (item {at + 1}; {int(bad.sum())} invalid "
            "in all): the rule is 0 ≤ k ≤ n (successes k neither negative nor above the total n), "
            "both finite",
            "检查满意数和总数两列是否填反或有误", "check that the successes and totals are right")
        _remember(problem)
        raise _ExprUsageError(problem)


_WILSON_DTYPE = pl.Struct({"lower": pl.Float64, "upper": pl.Float64})


def _wilson_batch(counts: pl.Series, z: float) -> pl.Series:
    """The Wilson interval of each ``{k, n}`` of a batch: the counts are checked, then the
    bounds computed in one query (one call per batch: the counts are read once)."""
    k, m = pl.col("k"), pl.col("n")
    p = k / m
    centre = p + z * z / (2 * m)
    half = z * (p * (1 - p) / m + z * z / (4 * m * m)).sqrt()
    den = 1 + z * z / m
    ok = m > 0
    lower = pl.when(ok).then(pl.when(k == 0).then(0.0)
                             .otherwise(((centre - half) / den).clip(0.0, 1.0)))
    upper = pl.when(ok).then(pl.when(k == m).then(1.0)
                             .otherwise(((centre + half) / den).clip(0.0, 1.0)))
    bad = (~k.is_finite() | ~m.is_finite() | (k < 0) | (m < 0) | (k > m)).fill_null(False)
    frame = counts.struct.unnest()
    out = frame.select(bad.alias("bad"), pl.struct(lower.alias("lower"), upper.alias("upper"))
                       .alias("ci"))
    _check_counts(frame["k"], frame["n"], out["bad"])
    return out["ci"]


def wilson_interval(
    successes: str | pl.Expr, n: str | pl.Expr, *, confidence: float = 0.95
) -> pl.Expr:
    """Wilson score interval for a proportion, as a struct ``{lower, upper}``.

    Variant: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n) with p = k/n and
    z = Φ⁻¹(1 − (1 − confidence)/2) (exact quantile, not 1.96), clipped to [0, 1]. n = 0 → nulls.
    The lower bound is a fair sort key for 满意率 with unequal card counts (Evan Miller); show it
    beside the raw rate.

    The bounds are set exactly where the formula is exact in theory but not in floating point:
    k = 0 gives lower = 0.0 and k = n gives upper = 1.0 (the formula leaves ~1e-17), so units
    that must tie when ranked by a bound do tie. Counts outside 0 ≤ k ≤ n (k < 0, k > n, n < 0)
    or not finite are a :class:`~evaltools.errors.UsageError` naming the value and the rule when
    the expression is evaluated, never a silent NaN or null.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"k": [9, 45, 1, 0], "n": [10, 50, 1, 0]})
    >>> df.with_columns(ci=wilson_interval("k", "n")).unnest("ci").with_columns(
    ...     pl.col("lower", "upper").round(4))
    shape: (4, 4)
    ┌─────┬─────┬────────┬────────┐
    │ k   ┆ n   ┆ lower  ┆ upper  │
    │ --- ┆ --- ┆ ---    ┆ ---    │
    │ i64 ┆ i64 ┆ f64    ┆ f64    │
    ╞═════╪═════╪════════╪════════╡
    │ 9   ┆ 10  ┆ 0.5958 ┆ 0.9821 │
    │ 45  ┆ 50  ┆ 0.7864 ┆ 0.9565 │
    │ 1   ┆ 1   ┆ 0.2065 ┆ 1.0    │
    │ 0   ┆ 0   ┆ null   ┆ null   │
    └─────┴─────┴────────┴────────┘
    """
    z = z_value(confidence)
    counts = pl.struct(_expr(successes).cast(pl.Float64).alias("k"),
                       _expr(n).cast(pl.Float64).alias("n"))
    return counts.map_batches(partial(_wilson_batch, z=z), return_dtype=_WILSON_DTYPE,
                              is_elementwise=True).alias("lower")


def bayesian_average(
    mean: str | pl.Expr,
    n: str | pl.Expr,
    *,
    prior_mean: float | pl.Expr,
    prior_weight: float | pl.Expr,
) -> pl.Expr:
    """Bayesian (IMDb) average: WR = v/(v+m)·R + m/(v+m)·C.

    R the unit's mean, v its number of answers, m = ``prior_weight`` (how many answers the prior
    is worth), C = ``prior_mean`` (usually the mean over all units). A unit with few cards is
    pulled towards C; with v = 0 the result is C.

    Examples
    --------
    IMDb example: A has [8, 8, 10, 5, 7, 8] (mean 7.667, 6 votes), B has [10]; m = 1, C = 8.

    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": ["A", "B"], "mean": [46 / 6, 10.0], "n": [6, 1]})
    >>> df.with_columns(wr=bayesian_average("mean", "n", prior_mean=8, prior_weight=1).round(6))
    shape: (2, 4)
    ┌──────┬──────────┬─────┬──────────┐
    │ unit ┆ mean     ┆ n   ┆ wr       │
    │ ---  ┆ ---      ┆ --- ┆ ---      │
    │ str  ┆ f64      ┆ i64 ┆ f64      │
    ╞══════╪══════════╪═════╪══════════╡
    │ A    ┆ 7.666667 ┆ 6   ┆ 7.714286 │
    │ B    ┆ 10.0     ┆ 1   ┆ 9.0      │
    └──────┴──────────┴─────┴──────────┘
    """
    if isinstance(prior_weight, int | float) and (prior_weight < 0 or math.isnan(prior_weight)):
        raise UsageError(f"prior_weight 不能为负，收到 {prior_weight!r}",
                         f"prior_weight must be non-negative, got {prior_weight!r}")
    r = _expr(mean).cast(pl.Float64)
    v = _expr(n).cast(pl.Float64)
    c = _expr(prior_mean).cast(pl.Float64)
    m = _expr(prior_weight).cast(pl.Float64)
    return pl.when(v > 0).then((v * r + m * c) / (v + m)).otherwise(c)


def to_value(
    col: str | pl.Expr = "rating", *, labels: Mapping[str, float] = FOUR_LEVEL
) -> pl.Expr:
    """Rating label → number (满意 → 4 …); numbers (or numeric strings) pass through.

    Unknown labels become null: call :func:`check_labels` first to report them (``summarize``
    does). Surrounding spaces are ignored.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"rating": ["满意", " 基本满意", "不满意", "3", "很好"]})
    >>> df.with_columns(value=to_value("rating"))["value"].to_list()
    [4.0, 3.0, 1.0, 3.0, None]
    """
    e = _expr(col)
    s = e.cast(pl.String).str.strip_chars()
    # a when/then chain over the (few) labels rather than replace_strict: it streams, so the
    # expression can run in polars' streaming engine over files larger than memory
    items = [(str(k), float(v)) for k, v in labels.items()]
    if items:
        chain: Then | ChainedThen = pl.when(s == items[0][0]).then(pl.lit(items[0][1]))
        for label, value in items[1:]:
            chain = chain.when(s == label).then(pl.lit(value))
        mapped = chain.otherwise(pl.lit(None, pl.Float64))
    else:
        mapped = pl.lit(None, pl.Float64)
    return pl.coalesce(mapped, s.cast(pl.Float64, strict=False)).alias(
        col if isinstance(col, str) else "value")


def check_labels(
    df: pl.DataFrame,
    col: str = "rating",
    *,
    labels: Mapping[str, float] = FOUR_LEVEL,
    file: str | None = None,
) -> None:
    """Raise one error listing every rating that is neither a known label nor a number.

    One problem per distinct unknown label, with its count and first rows. The row numbers are
    the ``_row`` column when ``df`` has one (the user's Excel rows, as the readers keep them), else
    the rows of ``df`` as given (header = 1, first data row = 2).

    Examples
    --------
    >>> import polars as pl
    >>> check_labels(pl.DataFrame({"rating": ["满意", "很好"]}))
    Traceback (most recent call last):
    ...
    evaltools.errors.EvalToolsError: 第3行 “rating”列：值 “很好” 不是已知的评价等级...
    """
    rows = pl.col("_row") if "_row" in df.columns else pl.int_range(2, pl.len() + 2)
    bad = (
        df.select(rows.alias("_row"), pl.col(col))
        .filter(pl.col(col).is_not_null() & to_value(col, labels=labels).is_null())
        .group_by(pl.col(col).cast(pl.String), maintain_order=True)
        .agg(pl.len().alias("n"), pl.col("_row").head(5).alias("rows"))
    )
    if bad.height:
        allowed = "、".join(labels)
        problems = []
        for v, n, first in bad.iter_rows():  # one problem per distinct unknown label
            more_zh = f"，共 {n} 处（第{'、'.join(map(str, first))}{'…' if n > 5 else ''}行）" if n > 1 else ""
            more_en = f"; {n} times (rows {', '.join(map(str, first))}{', …' if n > 5 else ''})" if n > 1 else ""
            problems.append(Problem(
                file, int(first[0]), col, v, "unknown_rating_label",
                f"不是已知的评价等级（允许：{allowed}，或数字）{more_zh}",
                f"is not a known rating label (allowed: {list(labels)} or a number){more_en}",
                "改为允许的等级，或在评分细则 [ratings.labels] 中加上它",
                "use an allowed label or add it to [ratings.labels] in the rubric"))
        raise EvalToolsError(problems)


def satisfied_values(satisfied: Sequence[str | float], labels: Mapping[str, float]) -> list[float]:
    if isinstance(satisfied, str):
        satisfied = (satisfied,)
    out = []
    for s in satisfied:
        if isinstance(s, str) and s in labels:
            out.append(float(labels[s]))
        else:
            try:
                out.append(float(s))
            except (TypeError, ValueError) as exc:
                raise UsageError.choice("satisfied", s, list(labels)) from exc
    return out


def satisfaction_rate(
    col: str | pl.Expr = "rating",
    *,
    satisfied: Sequence[str | float] = ("满意", "基本满意"),
    labels: Mapping[str, float] = FOUR_LEVEL,
) -> pl.Expr:
    """满意率: share of (non-missing) answers counted as satisfied, for ``group_by().agg()``.

    ``satisfied`` is the definition — ``("满意",)`` or ``("满意", "基本满意")`` — given as labels
    (translated through ``labels``, so numeric data works too) or as values. The expression is
    named ``satisfaction_rate``; state the definition next to it (:func:`satisfied_definition`).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"rating": ["满意", "基本满意", "不满意", "满意"]})
    >>> df.select(strict=satisfaction_rate(satisfied=["满意"]),
    ...           broad=satisfaction_rate(satisfied=["满意", "基本满意"]))
    shape: (1, 2)
    ┌────────┬───────┐
    │ strict ┆ broad │
    │ ---    ┆ ---   │
    │ f64    ┆ f64   │
    ╞════════╪═══════╡
    │ 0.5    ┆ 0.75  │
    └────────┴───────┘
    """
    vals = satisfied_values(satisfied, labels)
    v = to_value(col, labels=labels)
    return v.drop_nulls().is_in(vals).mean().alias("satisfaction_rate")


def top2box(col: str | pl.Expr = "rating", *, labels: Mapping[str, float] = FOUR_LEVEL,
            scale_max: float | None = None) -> pl.Expr:
    """Top-2-box: share of answers in the two highest levels of the scale (value ≥ max − 1).

    ``scale_max`` defaults to the highest value in ``labels``.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"rating": ["非常满意", "满意", "一般", "不满意"]})
    >>> df.select(top2box(labels=FIVE_LEVEL)).item()
    0.5
    """
    top = float(scale_max if scale_max is not None else max(labels.values()))
    v = to_value(col, labels=labels).drop_nulls()
    return (v >= top - 1).mean().alias("top2box")


def dirichlet_expected_score(
    col: str | pl.Expr = "rating",
    *,
    labels: Mapping[str, float] = FOUR_LEVEL,
    alpha: float = 1.0,
) -> pl.Expr:
    """Expected score under a Dirichlet posterior over the scale's levels.

    Variant: a symmetric Dirichlet(α, …, α) prior over the K levels (values v_1 … v_K of
    ``labels``) updated with the counts n_k gives posterior mean shares (n_k + α)/(N + Kα), so the
    expected score is (Σ answers + α Σ_k v_k)/(N + Kα). With no answers it is the scale's midpoint
    mean(v); with many it tends to the plain mean. α = 1 is Laplace's rule.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"rating": ["满意"]})  # one card: (4 + 1+2+3+4) / (1 + 4) = 2.8
    >>> df.select(dirichlet_expected_score()).item()
    2.8
    """
    if alpha < 0:
        raise UsageError(f"alpha 不能为负，收到 {alpha!r}", f"alpha must be non-negative, got {alpha!r}")
    levels = [float(v) for v in labels.values()]
    v = to_value(col, labels=labels).drop_nulls()
    return ((v.sum() + alpha * sum(levels)) / (v.len() + alpha * len(levels))).alias(
        "dirichlet_expected_score")


def nps(col: str | pl.Expr = "rating") -> pl.Expr:
    """Net Promoter Score on a 0–10 scale: 100 × (share 9–10 − share 0–6); nulls ignored.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"rating": [10, 9, 8, 7, 6, 0, None]}).select(nps()).item()
    0.0
    """
    v = _expr(col).cast(pl.Float64).drop_nulls()
    return (100.0 * ((v >= 9).mean() - (v <= 6).mean())).alias("nps")


def _unit_counts_exact(
    df: pl.DataFrame, unit: str, rating: str, labels: Mapping[str, float], vals: list[float],
    top: float,
) -> pl.DataFrame | None:
    """Per-unit n, value total, n_satisfied and top-2 count when every answer is exactly a label.

    One lazy pass (null answers skipped): the answers are cast to an Enum of the labels (the cast is the label check:
    it fails on anything else, and the caller then takes the general path with its error report
    and its handling of padded labels and numbers), and one group-by counts each level per unit.
    The totals are Σ count × value, exact for the usual whole-number scales. None when the fast
    path does not apply.
    """
    keys = list(labels)
    if df.schema[rating] != pl.String or any(k != k.strip() for k in keys):
        return None
    code = pl.col(rating).cast(pl.Enum(keys)).to_physical()
    lf = df.lazy()
    if df[rating].null_count():  # units in first-appearance order of their answers
        lf = lf.filter(pl.col(rating).is_not_null())
    try:
        g = (lf.select(unit, code.alias("_c"))
             .group_by(unit, maintain_order=True)
             .agg(pl.col("_c").count().alias("n"),
                  *((pl.col("_c") == j).sum().alias(f"_l{j}") for j in range(len(keys))))
             .collect(engine=engine_for(df.height)))
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return None
    values = [float(x) for x in labels.values()]
    level = [pl.col(f"_l{j}") for j in range(len(keys))]
    return g.select(
        unit, "n",
        pl.sum_horizontal(c.cast(pl.Float64) * x for c, x in zip(level, values, strict=True))
        .alias("_total"),
        pl.sum_horizontal([c for c, x in zip(level, values, strict=True) if x in vals]
                          or [pl.lit(0)]).cast(pl.UInt32).alias("n_satisfied"),
        pl.sum_horizontal([c for c, x in zip(level, values, strict=True) if x >= top - 1]
                          or [pl.lit(0)]).cast(pl.UInt32).alias("_top2"),
    )


class _RatingsSettings(Protocol):
    labels: Mapping[str, float]
    satisfied: Sequence[str]
    prior_weight: float
    confidence: float


def _respondent_counts(
    df: pl.DataFrame, unit: str, respondent: str, rating: str, labels: Mapping[str, float],
    vals: list[float], top: float,
) -> tuple[bool, pl.DataFrame]:
    """Per unit: respondents, answers, and the sums of the respondents' own shares and means;
    with whether some rating is neither a label nor a number (read in the same pass).

    A respondent's m answers (non-missing) give k satisfied, value total t and top-2 count b; per
    unit the sums Σk/m, Σt/m, Σb/m over respondents are kept, and whether every respondent
    answered the same number of items (then Σk/m = K·R/N exactly: the respondent-level rate is the
    answer-level rate, with no floating-point drift).
    """
    who = pl.col(respondent).cast(pl.String)
    # an answer without a respondent id is a respondent of its own
    who = pl.when(who.is_null()).then(pl.format("\x00{}", pl.int_range(pl.len()))).otherwise(who)
    keys = list(labels)
    if df.schema[rating] == pl.String and all(k == k.strip() for k in keys):
        # every answer exactly a label (the usual export): its value by the label's position,
        # the Enum cast being the check (it fails on anything else: then the general path)
        code = pl.col(rating).cast(pl.Enum(keys)).to_physical()
        as_labels = pl.lit(pl.Series([float(x) for x in labels.values()])).gather(code)
        try:
            return _respondent_counts_of(df, unit, who, rating, as_labels, vals, top)
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            pass
    return _respondent_counts_of(df, unit, who, rating, to_value(rating, labels=labels), vals,
                                 top)


def _respondent_counts_of(
    df: pl.DataFrame, unit: str, who: pl.Expr, rating: str, value: pl.Expr, vals: list[float],
    top: float,
) -> tuple[bool, pl.DataFrame]:
    """:func:`_respondent_counts` with the answers' values given by ``value``."""
    v = pl.col("_v")
    m, k, t, b = (pl.col(c) for c in ("_m", "_k", "_t", "_b"))
    engine = engine_for(df.height)
    # Short tables (the in-memory engine): group-bys in order of appearance, so every sum adds
    # its terms in the order of the cards. Long ones (the streaming engine, from 50k answers):
    # keeping that order doubles the group-bys' memory and time at 1M cards, and the engine adds
    # partial sums as it meets them anyway; the units are put in order by their first answer.
    ordered = engine == "in-memory"
    # a group's first answer (the long tables' order), as an extra aggregate
    first = [] if ordered else [pl.col("_i").min()]
    values = df.lazy().select(unit, who.alias("_who"), value.alias("_v"),
                              pl.col(rating).is_not_null().alias("_given"),
                              *([] if ordered else [pl.int_range(pl.len(), dtype=pl.Int64)
                                                    .alias("_i")]))
    unknown = values.select((pl.col("_given") & v.is_null()).any())
    counts = (
        values
        .drop_nulls("_v")
        .group_by(unit, "_who", maintain_order=ordered)
        .agg(pl.len().alias("_m"), v.is_in(vals).sum().alias("_k"), v.sum().alias("_t"),
             (v >= top - 1).sum().alias("_b"), *first)
        .group_by(unit, maintain_order=ordered)
        .agg(
            pl.len().cast(pl.UInt32).alias("n"),
            m.sum().cast(pl.UInt32).alias("n_answers"),
            k.sum().cast(pl.UInt32).alias("n_satisfied_answers"),
            t.sum().alias("_T"), b.sum().alias("_B"),
            (m.min() == m.max()).alias("_equal"),
            (k / m).sum().alias("_share_sum"), (t / m).sum().alias("_mean_sum"),
            (b / m).sum().alias("_top_sum"), *first,
        )
    )
    if not ordered:
        counts = counts.sort("_i").drop("_i")
    # the values are computed once for both
    found, out = pl.collect_all([unknown, counts], engine=engine)
    return bool(found.item()), out


def summarize(
    df: pl.DataFrame,
    *,
    unit: str = "unit_id",
    rating: str = "rating",
    respondent: str | None = "respondent_id",
    labels: Mapping[str, float] | None = None,
    satisfied: Sequence[str | float] | None = None,
    prior_weight: float | None = None,
    prior_mean: float | None = None,
    confidence: float | None = None,
    config: _RatingsSettings | None = None,
    file: str | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Per-unit satisfaction table: n, mean, 满意率 with its Wilson interval, Bayesian average.

    Parameters
    ----------
    df : the answers, one row per answer (``unit``, ``rating``, and usually ``respondent``).
    respondent : the column that says who answered (``respondent_id``: 答卷编号 / 点评卡编号).
        When ``df`` has it, a respondent's answers to several items count as **one** respondent
        (see below); ``None`` or a missing column counts every answer as a respondent.
    labels, satisfied, prior_weight, confidence : default to ``config``'s (the rubric's
        ``[ratings]`` section, ``rubric.ratings``), else to the 4-level labels, ("满意", "基本满意"),
        10 and 0.95. Pass ``config=rubric.ratings`` so a 5-level rubric's labels are used.
    columns : only these of the columns below, in this order (None = all); what they do not
        need is not computed (the Wilson interval when neither bound is asked for, …).

    Returns
    -------
    pl.DataFrame
        ``unit`` · ``n`` (respondents; answers when there is no respondent column) · ``mean`` ·
        ``n_satisfied`` · ``satisfaction_rate`` · ``wilson_lower`` / ``wilson_upper``
        (``confidence``) · ``bayesian_average`` (shrunk towards ``prior_mean`` — default the mean
        over all respondents — with weight ``prior_weight``) · ``top2box`` ·
        ``satisfied_definition`` (e.g. "满意+基本满意"); with a respondent column also the
        answer-level ``n_answers``, ``n_satisfied_answers`` and ``satisfaction_rate_answers``.
        Units in first-appearance order. Unknown labels → one error, one problem per label.

    Notes
    -----
    Respondent-level variant ("respondent means, Wilson on respondents", docs/methods.md): a
    respondent r with m_r answered items, k_r of them satisfied, has the share s_r = k_r / m_r
    and the mean value x̄_r. Per unit with R respondents: ``n`` = R, ``n_satisfied`` = Σ s_r (a
    whole number when each respondent answered one item), ``satisfaction_rate`` = Σ s_r / R,
    ``mean`` = Σ x̄_r / R, ``top2box`` likewise, and the Wilson interval is taken on (Σ s_r, R).
    Each s_r lies in [0, 1], so its variance is at most p(1 − p) (Bhatia–Davis inequality) and
    the Wilson interval with n = R is conservative, whereas n = number of answers treats a
    resident's correlated answers as independent. When every respondent answered the same number
    of items, the rate and mean equal the answer-level ones exactly.

    Examples
    --------
    >>> import polars as pl
    >>> cards = pl.DataFrame({"unit_id": ["A"] * 4 + ["B"],
    ...                       "rating": ["满意", "满意", "基本满意", "不满意", "满意"]})
    >>> summarize(cards, satisfied=["满意"], prior_weight=2).select(
    ...     "unit_id", "n", "satisfaction_rate", pl.col("wilson_lower", "bayesian_average").round(3),
    ...     "satisfied_definition")
    shape: (2, 6)
    ┌─────────┬─────┬───────────────────┬──────────────┬──────────────────┬──────────────────────┐
    │ unit_id ┆ n   ┆ satisfaction_rate ┆ wilson_lower ┆ bayesian_average ┆ satisfied_definition │
    │ ---     ┆ --- ┆ ---               ┆ ---          ┆ ---              ┆ ---                  │
    │ str     ┆ u32 ┆ f64               ┆ f64          ┆ f64              ┆ str                  │
    ╞═════════╪═════╪═══════════════════╪══════════════╪══════════════════╪══════════════════════╡
    │ A       ┆ 4   ┆ 0.5               ┆ 0.15         ┆ 3.067            ┆ 满意                 │
    │ B       ┆ 1   ┆ 1.0               ┆ 0.207        ┆ 3.467            ┆ 满意                 │
    └─────────┴─────┴───────────────────┴──────────────┴──────────────────┴──────────────────────┘

    B's single 满意 card gives a raw rate of 100 % against A's 50 %, but its Wilson lower bound
    is only 0.207, and its average is pulled from 4 towards the overall mean 3.2 (3.467).

    Two residents answering three questions each are two respondents, not six answers:

    >>> survey = pl.DataFrame({"unit_id": ["A"] * 6, "respondent_id": ["r1"] * 3 + ["r2"] * 3,
    ...                        "rating": ["满意", "满意", "不满意", "满意", "不满意", "不满意"]})
    >>> summarize(survey, satisfied=["满意"]).select(
    ...     "n", pl.col("n_satisfied").round(3), "satisfaction_rate", "n_answers",
    ...     "n_satisfied_answers").row(0)
    (2, 1.0, 0.5, 6, 3)
    """
    if config is not None:
        labels = config.labels if labels is None else labels
        satisfied = config.satisfied if satisfied is None else satisfied
        prior_weight = config.prior_weight if prior_weight is None else prior_weight
        confidence = config.confidence if confidence is None else confidence
    labels = FOUR_LEVEL if labels is None else labels
    satisfied = ("满意", "基本满意") if satisfied is None else satisfied
    prior_weight = 10.0 if prior_weight is None else prior_weight
    confidence = 0.95 if confidence is None else confidence
    require_columns(df, (unit, rating), what_zh="评价表", what_en="the ratings table", file=file)
    vals = satisfied_values(satisfied, labels)
    top = max(labels.values())
    if respondent is not None and respondent in df.columns:
        return _summarize_respondents(df, unit, respondent, rating, labels, vals, top, satisfied,
                                      prior_weight, prior_mean, confidence, file, columns)
    g = _unit_counts_exact(df, unit, rating, labels, vals, top)
    if g is None:
        check_labels(df, rating, labels=labels, file=file)
        v = pl.col("_v")
        g = (df.lazy().select(unit, to_value(rating, labels=labels).alias("_v")).drop_nulls("_v")
             .group_by(unit, maintain_order=True)
             .agg(pl.len().alias("n"), v.sum().alias("_total"),
                  v.is_in(vals).sum().cast(pl.UInt32).alias("n_satisfied"),
                  (v >= top - 1).sum().alias("_top2"))
             .collect(engine=engine_for(df.height)))
    C = prior_mean
    if C is None and g.height:
        C = float(g["_total"].sum()) / float(g["n"].sum())
    out = g.lazy().with_columns(
        (pl.col("_total") / pl.col("n")).alias("mean"),
        (pl.col("_top2") / pl.col("n")).alias("top2box"),
        (pl.col("n_satisfied") / pl.col("n")).alias("satisfaction_rate"),
    )
    return _with_intervals(out, unit, C, satisfied, prior_weight, confidence, columns)


def _with_intervals(
    g: pl.LazyFrame, unit: str, prior_mean: float | None, satisfied: Sequence[str | float],
    prior_weight: float, confidence: float, columns: Sequence[str] | None, *extra: str,
) -> pl.DataFrame:
    """The per-unit counts ``g`` (with ``mean`` and ``satisfaction_rate``) with the Wilson
    interval, the Bayesian average and the definition, in the published column order; one query,
    ``columns`` only (polars then skips what they do not need)."""
    out = g.with_columns(
        wilson_interval("n_satisfied", "n", confidence=confidence).alias("_w"),
        bayesian_average("mean", "n", prior_mean=float("nan") if prior_mean is None
                         else prior_mean, prior_weight=prior_weight).alias("bayesian_average"),
        pl.lit(satisfied_definition(satisfied)).alias("satisfied_definition"),
    ).select(
        unit, "n", "mean", "n_satisfied", "satisfaction_rate",
        pl.col("_w").struct.field("lower").alias("wilson_lower"),
        pl.col("_w").struct.field("upper").alias("wilson_upper"),
        "bayesian_average", "top2box", "satisfied_definition", *extra)
    return (out if columns is None else out.select(columns)).collect(engine="in-memory")


def _summarize_respondents(
    df: pl.DataFrame, unit: str, respondent: str, rating: str, labels: Mapping[str, float],
    vals: list[float], top: float, satisfied: Sequence[str | float], prior_weight: float,
    prior_mean: float | None, confidence: float, file: str | None,
    columns: Sequence[str] | None,
) -> pl.DataFrame:
    unknown, g = _respondent_counts(df, unit, respondent, rating, labels, vals, top)
    if unknown:
        check_labels(df, rating, labels=labels, file=file)
    R = pl.col("n").cast(pl.Float64)
    N = pl.col("n_answers").cast(pl.Float64)
    equal = pl.col("_equal")
    g = g.with_columns(
        pl.when(equal).then(pl.col("n_satisfied_answers") * R / N)
        .otherwise(pl.col("_share_sum")).alias("n_satisfied"),
        pl.when(equal).then(pl.col("n_satisfied_answers") / N)
        .otherwise(pl.col("_share_sum") / R).alias("satisfaction_rate"),
        pl.when(equal).then(pl.col("_T") / N).otherwise(pl.col("_mean_sum") / R).alias("mean"),
        pl.when(equal).then(pl.col("_B") / N).otherwise(pl.col("_top_sum") / R).alias("top2box"),
        (pl.col("n_satisfied_answers") / N).alias("satisfaction_rate_answers"),
    )
    C = prior_mean
    if C is None and g.height:
        C = float((g["mean"] * g["n"].cast(pl.Float64)).sum()) / float(g["n"].sum())
    return _with_intervals(g.lazy(), unit, C, satisfied, prior_weight, confidence, columns,
                           "n_answers", "n_satisfied_answers", "satisfaction_rate_answers")
