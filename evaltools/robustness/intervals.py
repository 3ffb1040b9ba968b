"""Bootstrap rank intervals (:func:`rank_intervals`).

Review cards are resampled within each unit and judges within each panel of 5 or more; the round
is re-scored on a replicates × units × criteria array, chunk by chunk.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError
from evaltools.robustness._model import (
    Cancel,
    RoundModel,
    board_model,
    chunks,
    competition_ranks,
    interrupted,
    note,
)

if TYPE_CHECKING:
    from evaltools.dataset import Dataset
    from evaltools.leaderboard import Leaderboard
    from evaltools.rubric import Rubric

__all__ = ["RankIntervals", "rank_intervals"]


_FIXED_NOTE = ("重抽样时保持不变：检查发现的扣分、加分和一票否决，按缺失值规则填补的数值，参评单位表中的数值；"
               "并列按 1224 规则排名，不使用并列比较规则 | kept fixed in replicates: deductions, "
               "bonuses and vetoes found by inspection, values filled by the missing-value "
               "policy, units-table columns; replicate ties ranked 1224 without tie-breakers")


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


@dataclass
class _JudgeBlock:
    """Panels of one size k (≥ min_panel) in one round: scores (u, k, nj) of those units."""

    rows: np.ndarray  # unit index in the round model
    S: np.ndarray  # (u, k, nj) transformed scores (NaN where a judge skipped a criterion)

    def __post_init__(self) -> None:
        self.St = np.ascontiguousarray(self.S.transpose(0, 2, 1))  # (u, nj, k)
        self.complete = not np.isnan(self.S).any()


@dataclass
class _JudgeResampler:
    cols: np.ndarray  # criterion columns (in the model) of judges criteria
    rules: list[str]
    a: np.ndarray  # value = a + b · aggregate (z-score back-mapping; else 0, 1)
    b: np.ndarray
    blocks: list[_JudgeBlock]
    n_fixed: int  # units whose panels are too small to resample

    def apply(self, V: np.ndarray, rng: np.random.Generator) -> None:
        """Overwrite the judges columns of ``V`` (B, m, n) in place with resampled panels."""
        B = V.shape[0]
        rules = np.array(self.rules)
        for blk in self.blocks:
            u, k, _ = blk.S.shape
            idx = rng.integers(0, k, size=(B, u, k))
            # (B, u, nj, k): the resampled panel of each unit, judges last (reductions over it)
            X = blk.St[np.arange(u)[None, :, None, None], np.arange(blk.St.shape[1])[None, None,
                                                                                   :, None],
                       idx[:, :, None, :]]
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                if blk.complete:  # every judge scored every criterion: plain reductions
                    tot = X.sum(axis=-1)
                    agg = tot / k
                    if (rules == "trimmed_mean").any():
                        trim = (tot - X.max(axis=-1) - X.min(axis=-1)) / (k - 2)
                        agg = np.where(rules == "trimmed_mean", trim, agg)
                    if (rules == "median").any():
                        agg = np.where(rules == "median", np.median(X, axis=-1), agg)
                else:
                    cnt = np.sum(~np.isnan(X), axis=-1)
                    tot = np.nansum(X, axis=-1)
                    agg = tot / cnt
                    if (rules == "trimmed_mean").any():
                        trim = (tot - np.nanmax(X, axis=-1) - np.nanmin(X, axis=-1)) / (cnt - 2)
                        agg = np.where((rules == "trimmed_mean") & (cnt >= 3), trim, agg)
                    if (rules == "median").any():
                        agg = np.where(rules == "median", np.nanmedian(X, axis=-1), agg)
            vals = self.a + self.b * agg
            sel = np.ix_(np.arange(B), blk.rows, self.cols)
            V[sel] = np.where(np.isnan(vals), V[sel], vals)


def _judge_resampler(dataset: Dataset, rubric: Rubric, model: RoundModel,
                     min_panel: int) -> _JudgeResampler | None:
    from evaltools import judging, scoring

    crits = [(j, c) for j, c in enumerate(rubric.criteria) if c.source == "judges"]
    scores = getattr(dataset, "scores", None)
    if not crits or scores is None or model.rnd is None:
        return None
    cols = np.array([j for j, _ in crits])
    ids = [c.id for _, c in crits]
    rules = [scoring.judge_rule(c, rubric) for _, c in crits]
    s = (scores.filter(pl.col("round") == model.rnd)
         .select(pl.col("unit_id").cast(pl.String), pl.col("judge_id").cast(pl.String),
                 "criterion", pl.col("score").cast(pl.Float64))
         .filter(pl.col("criterion").is_in(ids) & pl.col("score").is_not_null()
                 & pl.col("score").is_not_nan()))
    a = np.zeros(len(ids))
    b = np.ones(len(ids))
    z_ids = [i for i, r in zip(ids, rules, strict=True) if r == "zscore"]
    if z_ids:
        zs = s.filter(pl.col("criterion").is_in(z_ids))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z = judging.standardize(zs.with_columns(pl.lit(model.rnd).alias("round")),
                                    judge="judge_id", score="score", by=("round", "criterion"))
        panel = zs.group_by("criterion").agg(pl.col("score").mean().alias("pm"),
                                             pl.col("score").std().alias("psd"))
        for row in panel.iter_rows(named=True):  # one row per z-score criterion
            j = ids.index(row["criterion"])
            a[j] = row["pm"]
            b[j] = 0.0 if not row["psd"] else row["psd"]
        s = pl.concat([s.filter(~pl.col("criterion").is_in(z_ids)),
                       z.select("unit_id", "judge_id", "criterion",
                                pl.col("z").fill_nan(0.0).fill_null(0.0).alias("score"))])
    pos = {u: i for i, u in enumerate(model.units)}
    panels = (s.group_by("unit_id").agg(pl.col("judge_id").n_unique().alias("k"))
              .filter(pl.col("unit_id").is_in(list(pos))))
    big = panels.filter(pl.col("k") >= min_panel)
    n_fixed = len(model.units) - big.height
    blocks = []
    for (k,), grp in big.sort("k").group_by("k", maintain_order=True):  # one block per size
        units = grp["unit_id"].sort()
        sub = s.join(grp.select("unit_id"), on="unit_id", how="semi").with_columns(
            _u=pl.col("unit_id").replace_strict({u: i for i, u in enumerate(units)},
                                                return_dtype=pl.Int64),
            _j=(pl.col("judge_id").rank("dense").over("unit_id") - 1).cast(pl.Int64),
            _c=pl.col("criterion").replace_strict({c: i for i, c in enumerate(ids)},
                                                  return_dtype=pl.Int64))
        S = np.full((len(units), int(k), len(ids)), np.nan)
        S[sub["_u"].to_numpy(), sub["_j"].to_numpy(), sub["_c"].to_numpy()] = \
            sub["score"].to_numpy()
        rows = np.array([pos[u] for u in units.to_list()], dtype=np.int64)
        blocks.append(_JudgeBlock(rows, S))
    # filled (missing-policy) cells stay fixed
    return _JudgeResampler(cols, rules, a, b, blocks, n_fixed)


@dataclass
class _CardResampler:
    """Review cards of every unit; resampled once per replicate and shared by all rounds."""

    units: list[str]
    offsets: np.ndarray  # (U + 1,) card ranges per unit (cards sorted by unit)
    stats: np.ndarray  # (N, 4 · nr): per card and ratings criterion: Σv, count, satisfied, top2
    crit_ids: list[str]
    rules: list[str]
    sat_values: list[float]
    top_value: float
    prior_weight: float
    z: float
    fast: list = field(default_factory=list)  # per criterion: None or (values, sat, top, p, n)
    slow_stats: np.ndarray | None = None

    def __post_init__(self) -> None:
        counts = np.diff(self.offsets)
        U = counts.size
        unit_of = np.repeat(np.arange(U), counts)
        fast: list[tuple[np.ndarray, ...] | None] = []
        slow: list[int] = []
        for j in range(len(self.crit_ids)):
            v, c = self.stats[:, 4 * j], self.stats[:, 4 * j + 1]
            uniq, code = np.unique(v, return_inverse=True)
            if np.all(c == 1) and uniq.size <= 64:
                k = np.bincount(unit_of * uniq.size + code, minlength=U * uniq.size)
                k = k.reshape(U, uniq.size).astype(float)
                n = k.sum(axis=1)
                fast.append((uniq, np.isin(uniq, self.sat_values).astype(float),
                             (uniq >= self.top_value - 1).astype(float), k / n[:, None],
                             n.astype(np.int64)))
            else:
                fast.append(None)
                slow += [4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3]
        self.fast = fast
        self.slow_stats = np.ascontiguousarray(self.stats[:, slow])

    def values(self, B: int, rng: np.random.Generator) -> np.ndarray:
        """(B, U, nr) resampled criterion values."""
        counts = np.diff(self.offsets)
        U, nr = len(counts), len(self.crit_ids)
        sv, cnt, sat, top = (np.empty((B, U, nr)) for _ in range(4))
        slow = [j for j in range(nr) if self.fast[j] is None]
        if slow:  # gather whole cards (several answers each) and add them up per unit
            assert self.slow_stats is not None  # set by __post_init__
            N = int(self.offsets[-1])
            unit_of = np.repeat(np.arange(U), counts)
            pick = self.offsets[unit_of] + np.floor(
                rng.random((B, N)) * counts[unit_of]).astype(np.int64)
            agg = np.add.reduceat(self.slow_stats[pick], self.offsets[:-1], axis=1)
            agg = agg.reshape(B, U, len(slow), 4)
            sv[..., slow], cnt[..., slow], sat[..., slow], top[..., slow] = (
                agg[..., i] for i in range(4))
        for j, f in enumerate(self.fast):
            if f is None:
                continue
            # one answer per card: resampling n cards is a multinomial draw over the unit's
            # answer values (exactly the bootstrap distribution, without gathering cards)
            vals, is_sat, is_top, p, n = f
            draws = rng.multinomial(n, p, size=(B, U)).astype(float)
            sv[..., j], sat[..., j], top[..., j] = draws @ vals, draws @ is_sat, draws @ is_top
            cnt[..., j] = n
        out = np.empty((B, len(counts), nr))
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, rule in enumerate(self.rules):
                n = cnt[..., j]
                if rule == "satisfaction_rate":
                    out[..., j] = sat[..., j] / n
                elif rule == "top2box":
                    out[..., j] = top[..., j] / n
                elif rule == "mean":
                    out[..., j] = sv[..., j] / n
                elif rule == "bayesian_average":
                    C = sv[..., j].sum(axis=1, keepdims=True) / n.sum(axis=1, keepdims=True)
                    m = self.prior_weight
                    out[..., j] = np.where(n > 0, (sv[..., j] + m * C) / (n + m), C)
                else:  # wilson_lower
                    p = sat[..., j] / n
                    z = self.z
                    centre = p + z * z / (2 * n)
                    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
                    out[..., j] = np.clip((centre - half) / (1 + z * z / n), 0.0, 1.0)
        return out


def _card_resampler(dataset: Dataset, rubric: Rubric) -> _CardResampler | None:
    from evaltools import ratings as R
    from evaltools import scoring

    crits = [c for c in rubric.criteria if c.source == "ratings"]
    cards = getattr(dataset, "ratings", None)
    if not crits or cards is None or cards.height == 0:
        return None
    cfg = rubric.ratings
    sat_vals = R.satisfied_values(cfg.satisfied, cfg.labels)
    top = max(cfg.labels.values())
    card = "respondent_id" if "respondent_id" in cards.columns else None
    base = cards.with_columns(
        _v=R.to_value("rating", labels=cfg.labels),
        _card=pl.col(card).cast(pl.String) if card else pl.int_range(pl.len()).cast(pl.String),
        unit_id=pl.col("unit_id").cast(pl.String))
    exprs = []
    for c in crits:
        sel = pl.col("item").is_in(list(c.items)) if c.items else pl.lit(True)
        v = pl.when(sel).then(pl.col("_v"))
        exprs += [v.sum().alias(f"{c.id}_sv"), v.count().cast(pl.Float64).alias(f"{c.id}_n"),
                  v.is_in(sat_vals).sum().cast(pl.Float64).alias(f"{c.id}_sat"),
                  (v >= top - 1).sum().cast(pl.Float64).alias(f"{c.id}_top")]
    per = base.group_by("unit_id", "_card").agg(exprs).sort("unit_id", "_card")
    units = per["unit_id"].unique(maintain_order=True).to_list()
    counts = per.group_by("unit_id", maintain_order=True).len()["len"].to_numpy()
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    stats = per.drop("unit_id", "_card").fill_null(0.0).to_numpy().astype(float)
    return _CardResampler(units, offsets, stats, [c.id for c in crits],
                          [scoring.rating_rule(c) for c in crits], sat_vals, float(top),
                          float(cfg.prior_weight),
                          R.z_value(cfg.confidence))


@dataclass(frozen=True, eq=False)
class RankIntervals:
    """Bootstrap rank intervals of a leaderboard (see :func:`rank_intervals`).

    table : one row per unit in leaderboard order: ``unit_id``, ``name``, ``rank`` (published),
        ``median_rank``, ``rank_lower`` / ``rank_upper`` (the ``level`` interval, e.g. 95%),
        ``p_first`` = P(rank = 1), ``p_top_k`` = P(rank ≤ ``top_k``), ``n_cards``, ``n_judges``,
        ``rank_interval`` (第3名（95%区间 2–5）). Disqualified units have nulls.
    ranks : (replicates, units) competition ranks of every replicate (0 = not ranked).
    replicates : replicates done (fewer than asked when cancelled). seed, level, top_k : as given.
    notes : what was resampled, what stayed fixed, cancellation.
    """

    table: pl.DataFrame
    ranks: np.ndarray
    replicates: int
    seed: int | None
    level: float
    top_k: int
    notes: tuple[str, ...] = field(default=())


def rank_intervals(
    lb: Leaderboard,
    *,
    replicates: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    top_k: int = 3,
    min_panel: int = 5,
    chunk: int | None = None,
    progress: bool | None = None,
    cancel: Cancel = None,
) -> RankIntervals:
    """Bootstrap rank intervals: how far each unit's rank could move by the luck of the sample.

    Each replicate resamples, with replacement, the review cards within each unit (one card = one
    respondent's answers) and the judges within each unit's panel when it has ``min_panel`` (5) or
    more judges, then re-runs the rubric's whole scoring on the resampled values — all replicates of
    a chunk at once as a ``replicates × units × criteria`` array — and ranks the units (1224).

    Parameters
    ----------
    lb : a :class:`~evaltools.leaderboard.Leaderboard`.
    replicates : number of bootstrap replicates (1000 by default).
    seed : for ``numpy.random.default_rng``; the same seed gives the same result.
    level : the coverage of the rank interval (percentile interval of the replicate ranks).
    top_k : ``p_top_k`` is P(rank ≤ top_k).
    min_panel : panels with fewer judges are not resampled (too few to resample meaningfully).
    chunk : replicates per chunk (default: sized to keep each chunk's arrays near 64 MB).
    progress : show a tqdm bar (None = only where a terminal or notebook shows it).
    cancel : a callable returning True, or a ``threading.Event``, checked between chunks.

    Returns
    -------
    RankIntervals

    Examples
    --------
    >>> from evaltools.examples import three_buildings
    >>> ri = rank_intervals(three_buildings(), replicates=200, seed=1, progress=False)
    >>> ri.table["rank_interval"].to_list()
    ['第1名（95%区间 1–2）', '第2名（95%区间 1–2）', '第3名（95%区间 3–3）']
    """
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 1:
        raise UsageError(Problem(None, None, "replicates", replicates, "bad_replicates",
                                 "重抽样次数必须是正整数", "replicates must be a positive integer"))
    if not 0.0 < level < 1.0:
        raise UsageError(Problem(None, None, "level", level, "bad_level",
                                 "区间水平必须在 0 和 1 之间", "level must be between 0 and 1"))
    board = board_model(lb)
    rubric, ds = lb.rubric, lb.dataset
    notes: list[str] = [_FIXED_NOTE]
    judges = [_judge_resampler(ds, rubric, r, min_panel) for r in board.rounds]
    cards = _card_resampler(ds, rubric)
    card_maps = []
    if cards is not None:
        rcols = np.array([rubric.criterion_ids.index(c) for c in cards.crit_ids])
        for r in board.rounds:
            pos = {u: i for i, u in enumerate(r.units)}
            have = [(pos[u], i) for i, u in enumerate(cards.units) if u in pos]
            card_maps.append((np.array([a for a, _ in have], dtype=np.int64),
                              np.array([b for _, b in have], dtype=np.int64)))
        notes.append(note(f"点评卡在每个单位内重抽样（{len(cards.units)} 个单位，"
                           f"{int(cards.offsets[-1])} 张卡）",
                           f"review cards resampled within each unit ({len(cards.units)} units, "
                           f"{int(cards.offsets[-1])} cards)"))
    jb = [j for j in judges if j is not None]
    if jb:
        n_res = sum(sum(b.rows.size for b in j.blocks) for j in jb)
        n_fix = sum(j.n_fixed for j in jb)
        notes.append(note(
            f"评委在每个单位的评委组内重抽样（{n_res} 个单位×轮次）；评委不足 {min_panel} 人的"
            f" {n_fix} 个保持原分",
            f"judges resampled within each unit's panel ({n_res} unit-rounds); {n_fix} panels "
            f"with fewer than {min_panel} judges kept as scored"))
    if cards is None and not jb:
        notes.append(note("没有可重抽样的点评卡或评委组，名次区间只反映原始结果",
                           "nothing to resample (no review cards, no panel of "
                           f"{min_panel}+ judges): intervals are the published ranks"))
    m_all = len(board.units)
    if chunk is None:
        per_rep = 8 * (sum(r.V0.size for r in board.rounds) * 3
                       + (int(cards.offsets[-1]) * cards.stats.shape[1] if cards else 0)
                       + sum(blk.S.size for j in jb for blk in j.blocks) * 2)
        chunk = int(max(1, min(replicates, (64 * 2**20) // max(per_rep, 1))))
    rng = np.random.default_rng(seed)
    ranks = np.zeros((replicates, m_all), np.int32)
    done = 0
    try:
        for start, stop in chunks(replicates, chunk, progress=progress, desc="bootstrap",
                                   cancel=cancel, notes=notes):
            B = stop - start
            card_vals = cards.values(B, rng) if cards is not None else None
            per_round = []
            for r, jr, k in zip(board.rounds, judges, range(len(board.rounds)), strict=True):
                V = np.repeat(r.V0[None], B, axis=0)
                if jr is not None:
                    jr.apply(V, rng)
                if card_vals is not None:
                    rows, src = card_maps[k]
                    new = card_vals[:, src]
                    cur = V[:, rows][:, :, rcols]
                    keep = r.filled[np.ix_(rows, rcols)] | np.isnan(new)
                    V[np.ix_(np.arange(B), rows, rcols)] = np.where(keep, cur, new)
                per_round.append(r.totals(V))
            T = board.combine(per_round)
            ranks[start:stop] = competition_ranks(T, board.eligible)
            done = stop
    except KeyboardInterrupt:
        notes.append(interrupted(done, replicates))
    ranks = ranks[:done]
    if done == 0:
        raise EvalToolsError("计算在第一批完成前被取消", "cancelled before the first chunk finished")
    table = _interval_table(lb, ranks, board.eligible, level, top_k)
    notes.append(note(f"{done} 次重抽样，随机种子 {seed}，{level:.0%} 区间为重抽样名次的百分位数区间",
                       f"{done} replicates, seed {seed}; the {level:.0%} interval is the "
                       "percentile interval of the replicate ranks"))
    return RankIntervals(table, ranks, done, seed, level, top_k, tuple(notes))


def _interval_table(lb: Leaderboard, ranks: np.ndarray, eligible: np.ndarray, level: float,
                    top_k: int) -> pl.DataFrame:
    R = ranks.astype(float)
    R[:, ~eligible] = np.nan
    alpha = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanquantile(R, alpha, axis=0, method="inverted_cdf")
        hi = np.nanquantile(R, 1.0 - alpha, axis=0, method="inverted_cdf")
        med = np.nanmedian(R, axis=0)
    p1 = np.where(eligible, (ranks == 1).mean(axis=0), np.nan)
    pk = np.where(eligible, ((ranks >= 1) & (ranks <= top_k)).mean(axis=0), np.nan)
    t = lb.table
    pct = f"{level * 100:g}%"
    out = t.select(
        "unit_id", "name", pl.col("rank").cast(pl.Int64),
        pl.Series("median_rank", med).fill_nan(None),
        pl.Series("rank_lower", lo).fill_nan(None).cast(pl.Int64),
        pl.Series("rank_upper", hi).fill_nan(None).cast(pl.Int64),
        pl.Series("p_first", p1).fill_nan(None),
        pl.Series("p_top_k", pk).fill_nan(None),
        "n_cards", "n_judges",
    )
    return out.with_columns(rank_interval=pl.when(pl.col("rank").is_not_null()).then(
        pl.format(f"第{{}}名（{pct}区间 {{}}–{{}}）", "rank", "rank_lower", "rank_upper")))
