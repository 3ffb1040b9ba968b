"""Ranks for a leaderboard: ties (并列), tie-breakers, labels and movement.

Conventions (see ``docs/methods.md``):

* ``min`` — standard competition ranking "1224", the 公示 default: tied units share the best
  position and the next position is skipped, shown as 并列第2名.
* ``dense`` — "1223"; ``ordinal`` — 1234 with ties broken by input order; ``average`` —
  fractional ranks (Float64).
* Tie-breakers are applied *before* ties are declared: units are ranked on the tuple
  (score, breaker 1, breaker 2, …); only units equal on every element are tied.
* Float scores are compared after rounding to 12 significant digits, so values that differ by
  floating-point noise (0.1 + 0.2 vs 0.3) are ties, as a person reading the table would expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, cast

import polars as pl

from evaltools.errors import Problem, UsageError, require_columns

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "TIES",
    "as_ties",
    "kendall_tau",
    "movement",
    "rank",
    "rank_label",
    "spearman",
    "tied",
    "weighted_spearman",
    "ws_coefficient",
]

Ties = Literal["min", "dense", "ordinal", "average"]
TIES: tuple[str, ...] = ("min", "dense", "ordinal", "average")


def as_ties(ties: str) -> Ties:
    """``ties`` checked against :data:`TIES`: the same error as :func:`rank` raises.

    Examples
    --------
    >>> as_ties("dense")
    'dense'
    """
    if ties not in TIES:
        raise UsageError.choice("ties", ties, TIES)
    return cast(Ties, ties)


_SIG_DIGITS = 12

_DIRECTIONS = {
    "max": True, "benefit": True, "+": True, "越大越好": True, "desc": True, "descending": True,
    "min": False, "cost": False, "-": False, "越小越好": False, "asc": False, "ascending": False,
}


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def _key(df: pl.DataFrame, name: str, descending: bool, *, dense: bool = True) -> pl.Expr:
    """A dense rank of one key where 1 is best (nulls stay null); ``dense=False``: the compared
    value itself (floats rounded, NaN → null)."""
    require_columns(df, [name], what_zh="要排名的表", what_en="the table to rank",
                    fix_zh="检查 by / tie_breakers 的列名",
                    fix_en="check the column names in by / tie_breakers")
    e = pl.col(name)
    if df.schema[name].is_float():  # NaN is "no score", not the largest value
        e = pl.when(e.is_nan()).then(None).otherwise(e.round_sig_figs(_SIG_DIGITS))
    return e.rank("dense", descending=descending) if dense else e


def _parse_breaker(b: str | tuple[str, str], default_desc: bool) -> tuple[str, bool]:
    if isinstance(b, str):
        return b, default_desc
    name, direction = b
    if direction not in _DIRECTIONS:
        raise UsageError.choice(f"tie_breakers[{name!r}] direction", direction, list(_DIRECTIONS))
    return name, _DIRECTIONS[direction]


def rank(
    df: pl.DataFrame,
    *,
    by: str = "score",
    descending: bool = True,
    ties: Ties = "min",
    tie_breakers: Sequence[str | tuple[str, str]] = (),
    name: str = "rank",
) -> pl.DataFrame:
    """Add a ``rank`` column (1 = best) to ``df``, keeping row order.

    Parameters
    ----------
    df : one row per unit.
    by : the column ranked on (higher is better when ``descending``).
    descending : True when a larger ``by`` is better (scores); False for VIKOR's Q.
    ties : ``min`` (1224, 公示 default, 并列第2名) | ``dense`` (1223) | ``ordinal`` (1234 by input
        order) | ``average`` (fractional, Float64).
    tie_breakers : columns consulted, in order, when ``by`` is tied, *before* ties are declared.
        A plain name uses the same direction as ``descending``; ``("col", "min")`` or
        ``("col", "max")`` (any direction alias, also "asc"/"desc") sets it explicitly.
    name : name of the added column.

    Returns
    -------
    ``df`` with ``name`` added: UInt32 for min/dense/ordinal, Float64 for average. Rows whose
    ``by`` (or a tie-breaker) is null or NaN get a null rank.

    Notes
    -----
    Float keys are rounded to 12 significant digits before comparison, so floating-point noise
    never breaks a tie. The result equals ``scipy.stats.rankdata(-score, method=...)`` (ordinal ↔
    scipy's "ordinal", which is stable in input order). Integer keys and decimals with up to six
    places (without tie-breakers; min, dense or average) are ranked by counting, in one pass and
    with the same result; other keys are sorted.

    Examples
    --------
    Scores 95, 90, 90, 85: the two 90s share 2nd place and nobody is 3rd (并列第2名).

    >>> import polars as pl
    >>> df = pl.DataFrame({"unit": list("abcde"), "score": [95, 90, 90, 85, 80]})
    >>> rank(df).with_columns(dense=rank(df, ties="dense")["rank"])
    shape: (5, 4)
    ┌──────┬───────┬──────┬───────┐
    │ unit ┆ score ┆ rank ┆ dense │
    │ ---  ┆ ---   ┆ ---  ┆ ---   │
    │ str  ┆ i64   ┆ u32  ┆ u32   │
    ╞══════╪═══════╪══════╪═══════╡
    │ a    ┆ 95    ┆ 1    ┆ 1     │
    │ b    ┆ 90    ┆ 2    ┆ 2     │
    │ c    ┆ 90    ┆ 2    ┆ 2     │
    │ d    ┆ 85    ┆ 4    ┆ 3     │
    │ e    ┆ 80    ┆ 5    ┆ 4     │
    └──────┴───────┴──────┴───────┘

    A tie-breaker (here: more cards wins) separates b and c before ties are declared:

    >>> df = df.with_columns(cards=pl.Series([3, 5, 9, 1, 1]))
    >>> rank(df, tie_breakers=["cards"])["rank"].to_list()
    [1, 3, 2, 4, 5]
    """
    if ties not in TIES:
        raise UsageError.choice("ties", ties, TIES)
    if not tie_breakers and ties != "ordinal" and by in df.columns \
            and df.height >= COUNTING_MIN_ROWS:
        fast = _counting_rank(df.get_column(by), descending=descending, ties=ties)
        if fast is not None:
            return df.with_columns(fast.alias(name))
    if not tie_breakers and ties != "ordinal":
        # one key: rank the (rounded, NaN-free) value directly — the same ranks as ranking its
        # dense rank, with one sort instead of two
        return df.with_columns(
            _key(df, by, descending, dense=False).rank(ties, descending=descending).alias(name))
    keys = [_key(df, by, descending).alias("_key0")]
    for i, b in enumerate(tie_breakers, start=1):
        bname, bdesc = _parse_breaker(b, descending)
        keys.append(_key(df, bname, bdesc).alias(f"_key{i}"))  # struct fields need unique names
    if len(keys) == 1:
        combined = keys[0]
    else:
        # lexicographic order of the per-key dense ranks; a null in any key -> null rank
        combined = (
            pl.when(pl.any_horizontal([k.is_null() for k in keys]))
            .then(None)
            .otherwise(pl.struct(keys))
        ).rank("dense")
    # combined: 1 = best, dense; now apply the tie method on it (ascending)
    return df.with_columns(combined.rank(ties).alias(name))


# Counting rank: when the key is an integer column, or a float column whose values are all
# decimals with at most _MAX_DECIMALS places (m / 10^k up to floating-point noise), the ranks
# follow from a histogram of the integer codes m: one O(n) pass, no sort. Codes m with at most
# 11 digits are points of the 12-significant-digit grid, and a value within a relative _REL_TOL
# (far below half a unit of the 12th digit, 5e-13) of m / 10^k rounds to exactly that point, so
# two values share a code exactly when their 12-digit roundings are equal: the same ties as the
# general path. Anything else (NaN, nulls, inf, noisy or wide-ranging values) takes that path.
_MAX_DECIMALS = 6
#: The counting rank is tried from this many rows on; a street office's board is ranked by
#: polars alone (numpy is not imported to rank 60 buildings; issue 17).
COUNTING_MIN_ROWS = 20_000
_REL_TOL = 2.0**-44
_MAX_CODE = 1e11
_SAMPLE = 256
_BLOCK = 1 << 16


def _decimal_scale(v: np.ndarray) -> float | None:
    """The smallest 10^k (k ≤ _MAX_DECIMALS) making a sample of ``v`` whole numbers, or None."""
    import numpy as np

    sample = v[:: max(1, v.size // _SAMPLE)]
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(_MAX_DECIMALS + 1):
            x = sample * 10.0**k
            m = np.rint(x)
            if np.all(np.abs(x - m) <= np.abs(m) * _REL_TOL):  # NaN/inf fail here
                return 10.0**k
    return None


def _decimal_codes(v: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """Integer codes m (intp, offset so the smallest is 0) with v ≈ (m + lo) / 10^k, and the
    range (lo, hi) of m + lo, or None. Blocks of _BLOCK values keep the work in cache."""
    import numpy as np

    scale = _decimal_scale(v)
    if scale is None:
        return None
    n = v.size
    codes = np.empty(n, np.intp)
    size = min(n, _BLOCK)
    x, m, tol = np.empty(size), np.empty(size), np.empty(size)
    ok = np.empty(size, bool)
    lo, hi = np.inf, -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):  # a loop over blocks, not rows
            stop = min(n, start + _BLOCK)
            w = stop - start
            bx, bm, bt, bok = x[:w], m[:w], tol[:w], ok[:w]
            np.multiply(v[start:stop], scale, out=bx)
            np.rint(bx, out=bm)
            np.subtract(bx, bm, out=bx)
            np.abs(bx, out=bx)
            np.abs(bm, out=bt)
            bt *= _REL_TOL
            np.less_equal(bx, bt, out=bok)
            if not bok.all():
                return None
            lo, hi = min(lo, float(bm.min())), max(hi, float(bm.max()))
            if max(-lo, hi) >= _MAX_CODE:
                return None
            codes[start:stop] = bm
    codes -= int(lo)
    return codes, int(lo), int(hi)


def _counting_rank(s: pl.Series, *, descending: bool, ties: str) -> pl.Series | None:
    """Ranks of ``s`` (ties min / dense / average) from a histogram of integer codes, or None
    when ``s`` is not a small-range integer or short-decimal column without nulls."""
    import numpy as np

    n = s.len()
    if n == 0 or s.null_count() or not (s.dtype.is_integer() or s.dtype.is_float()):
        return None
    if s.dtype.is_float():
        found = _decimal_codes(s.cast(pl.Float64).to_numpy())
        if found is None:
            return None
        codes, lo, hi = found
        if hi - lo > 2 * n + 65_536:
            return None
    else:
        # an integer column with values (checked above): its extremes are ints
        lo, hi = cast(int, s.min()), cast(int, s.max())
        if max(-lo, hi) >= 2**62 or hi - lo > 2 * n + 65_536:
            return None
        codes = s.to_numpy().astype(np.intp)
        codes -= lo
    counts = np.bincount(codes, minlength=int(hi - lo) + 1)
    if ties == "dense":
        present = np.cumsum(counts > 0)
        table = (present[-1] - present + 1) if descending else present
    else:
        before = np.cumsum(counts)  # codes ≤ c
        first = (n - before + 1) if descending else (before - counts + 1)
        table = first + (counts - 1) / 2.0 if ties == "average" else first
    dtype = pl.Float64 if ties == "average" else pl.UInt32
    out = table.astype(np.float64 if ties == "average" else np.uint32)[codes]
    return pl.Series(s.name, out, dtype=dtype)


def tied(col: str | pl.Expr = "rank") -> pl.Expr:
    """True where another row shares the same (non-null) rank.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"rank": [1, 2, 2, 4, None]}).select(tied())["tied"].to_list()
    [False, True, True, False, False]
    """
    e = _expr(col)
    return (e.is_not_null() & (pl.len().over(e) > 1)).alias("tied")


def rank_label(col: str | pl.Expr = "rank", tied: str | pl.Expr | None = None) -> pl.Expr:
    """The rank as published: "第1名", or "并列第2名" when tied.

    Parameters
    ----------
    col : the rank column (integer; average ranks are shown as given).
    tied : a boolean column/expression; None = computed from repeated ranks (:func:`tied`).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"score": [95, 90, 90, 85]})
    >>> rank(df).with_columns(label=rank_label())
    shape: (4, 3)
    ┌───────┬──────┬───────────┐
    │ score ┆ rank ┆ label     │
    │ ---   ┆ ---  ┆ ---       │
    │ i64   ┆ u32  ┆ str       │
    ╞═══════╪══════╪═══════════╡
    │ 95    ┆ 1    ┆ 第1名     │
    │ 90    ┆ 2    ┆ 并列第2名 │
    │ 90    ┆ 2    ┆ 并列第2名 │
    │ 85    ┆ 4    ┆ 第4名     │
    └───────┴──────┴───────────┘
    """
    r = _expr(col)
    t = globals()["tied"](r) if tied is None else _expr(tied)
    text = r.cast(pl.String)
    return (
        pl.when(r.is_null()).then(None)
        .when(t).then(pl.concat_str(pl.lit("并列第"), text, pl.lit("名")))
        .otherwise(pl.concat_str(pl.lit("第"), text, pl.lit("名")))
        .alias("rank_label")
    )


def movement(current: str | pl.Expr = "rank", previous: str | pl.Expr = "previous_rank") -> pl.Expr:
    """Rank movement against the previous round: "▲2" (up two places), "▼1", "—" (same),
    "新上榜" (not ranked last round). Null when the unit has no current rank.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"rank": [1, 2, 3, 4, None], "previous_rank": [3, 1, 3, None, 2]})
    >>> df.select(movement())["movement"].to_list()
    ['▲2', '▼1', '—', '新上榜', None]
    """
    cur = _expr(current).cast(pl.Int64)
    prev = _expr(previous).cast(pl.Int64)
    diff = prev - cur
    return (
        pl.when(cur.is_null()).then(None)
        .when(prev.is_null()).then(pl.lit("新上榜"))
        .when(diff > 0).then(pl.concat_str(pl.lit("▲"), diff.cast(pl.String)))
        .when(diff < 0).then(pl.concat_str(pl.lit("▼"), (-diff).cast(pl.String)))
        .otherwise(pl.lit("—"))
        .alias("movement")
    )


# --------------------------------------------------------------------------------------------
# Comparing two rankings (methods, weightings, rounds)
# --------------------------------------------------------------------------------------------


def _two_rankings(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Validate two rankings given as rank numbers (1 = best): same length ≥ 2, finite."""
    import numpy as np

    try:
        a = np.asarray(x, dtype=float).ravel()
        b = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise UsageError(Problem(None, None, "x, y", None, "ranks_not_numeric",
                                 "名次必须是数字", "ranks must be numbers")) from exc
    if a.size != b.size or a.size < 2:
        raise UsageError(Problem(
            None, None, "x, y", f"{a.size} / {b.size}", "ranks_length",
            "两个名次序列的长度必须相同且至少为 2", "both rankings need the same length, at least 2",
            "按同一单位顺序给出两个名次列表", "give both rank lists in the same unit order"))
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise UsageError(Problem(None, None, "x, y", None, "ranks_missing",
                                 "名次中有缺失值", "the rankings contain missing values",
                                 "先去掉未排名的单位", "drop unranked units first"))
    return a, b


def _average_ranks(a: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(a, method="average")


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation of two rankings (ρ, −1 … 1).

    ``x`` and ``y`` are rank numbers of the same units in the same order (1 = best). Variant: the
    Pearson correlation of the average ranks (ties allowed), as ``scipy.stats.spearmanr``; without
    ties it equals 1 − 6 Σ d² / (n(n² − 1)). NaN when a ranking is constant.

    Examples
    --------
    >>> spearman([1, 2, 3, 4, 5], [2, 1, 3, 4, 5])
    0.9
    """
    import numpy as np

    a, b = _two_rankings(x, y)
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = float(np.sqrt((ra**2).sum() * (rb**2).sum()))
    return float((ra * rb).sum() / den) if den > 0 else float("nan")


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-b of two rankings (−1 … 1), ties allowed.

    Variant: τ-b = (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)) with n₁, n₂ the pairs tied in
    x and in y (``scipy.stats.kendalltau``'s default, computed by it in O(n log n)).

    Examples
    --------
    One swap among five: 9 concordant pairs, 1 discordant, τ = (9 − 1)/10.

    >>> kendall_tau([1, 2, 3, 4, 5], [2, 1, 3, 4, 5])
    0.8
    """
    from scipy.stats import kendalltau

    a, b = _two_rankings(x, y)
    return float(kendalltau(a, b).statistic)


def weighted_spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Weighted Spearman r_W (Pinto da Costa & Soares 2005): disagreements at the top cost more.

    r_W = 1 − 6 Σ (x_i − y_i)² ((N − x_i + 1) + (N − y_i + 1)) / (N⁴ + N³ − N² − N), with x the
    reference ranking and y the compared one (symmetric in x and y).

    Examples
    --------
    Swapping the first two of five costs more than swapping the last two
    (1 − 6·(9 + 9)/720 against 1 − 6·(3 + 3)/720):

    >>> round(weighted_spearman([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]), 4)
    0.85
    >>> round(weighted_spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]), 4)
    0.95
    """
    a, b = _two_rankings(x, y)
    n = float(a.size)
    num = 6.0 * ((a - b) ** 2 * ((n - a + 1) + (n - b + 1))).sum()
    return float(1.0 - num / (n**4 + n**3 - n**2 - n))


def ws_coefficient(x: Sequence[float], y: Sequence[float]) -> float:
    """WS similarity coefficient (Sałabun & Urbaniak 2020), 0 … 1, asymmetric: x is the reference.

    WS = 1 − Σ 2^(−x_i) · |x_i − y_i| / max(|x_i − 1|, |x_i − N|): a change at the reference's top
    weighs most, each position down half as much.

    Examples
    --------
    Swapping the first two of five: 1 − (2⁻¹·1/4 + 2⁻²·1/3) = 0.7917.

    >>> round(ws_coefficient([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]), 4)
    0.7917
    >>> ws_coefficient([1, 2, 3], [1, 2, 3])
    1.0
    """
    import numpy as np

    a, b = _two_rankings(x, y)
    n = float(a.size)
    den = np.maximum(np.abs(a - 1.0), np.abs(a - n))
    return float(1.0 - (2.0 ** (-a) * np.abs(a - b) / den).sum())
