"""How sure is this ranking? Rank intervals, SMAA-2, weight stability and panel reliability.

A 榜单 with scores to two decimals hides how fragile it is. This module measures it, for any
:class:`~evaltools.leaderboard.Leaderboard`, without calling :func:`~evaltools.evaluate` in a loop:
the rubric's scoring is rebuilt once as a numpy model of the round (units × criteria values →
totals) and then run on whole stacks of replicates or weight vectors at once.

* :func:`rank_intervals` — **bootstrap**: review cards are resampled within each unit and judges
  within each panel of 5 or more (smaller panels are kept as they are), the whole evaluation is
  re-run on a ``replicates × units × criteria`` array, chunk by chunk; per unit: median rank, the
  95% rank interval, P(rank = 1) and P(top k). Seeded with ``numpy.random.default_rng(seed)``.
* :func:`smaa` — **SMAA-2** (Lahdelma & Salminen 2001): weights drawn uniformly from the simplex
  (Dirichlet(1)), or within bounds around the rubric's weights, or under an ordering such as
  环境卫生 ≥ 居民参与; rank acceptability indices b(i, r), central weight vectors, confidence
  factors, holistic acceptability. One matrix product per chunk for weighted sum, points, weighted
  product and TOPSIS; ties share their ranks evenly, so rows and columns of b sum to 1.
* :func:`weight_stability` — for each criterion, the interval of its weight (others rescaled in
  proportion) over which rank 1 and the top-N order stay unchanged, and for each adjacent pair of
  the leaderboard the smallest single-weight change that swaps them (fragile within 0.05). Closed
  form for weighted sum and points (totals are linear in the weights); a grid with linear
  interpolation for weighted product, TOPSIS and VIKOR.
* :func:`panel_reliability` — ICC(2,k) and Kendall's W per round, criterion and judge panel with
  plain-language bands (Koo & Li 2016; Schmidt 1997), and the judges whose leniency stands out.

Long computations show a tqdm progress bar (``progress=None`` shows it in terminals and notebooks
only) and can be stopped: Ctrl-C (KeyboardInterrupt) or a ``cancel`` callback / ``threading.Event``
between chunks returns the replicates done so far, with a note.

What the replicate model keeps fixed (stated in every result's notes): deductions, bonuses and
vetoes found by inspection; values filled by the missing-value policy; ``units`` columns; the
z-score judge standardisation (judges' means and sds from the full data). Ties in replicates are
ranked 1224 on totals rounded to 9 decimals; tie-breakers are not applied.

Examples
--------
>>> from evaltools.robustness import _doctest_board
>>> lb = _doctest_board()
>>> ri = rank_intervals(lb, replicates=200, seed=1, progress=False)
>>> ri.table.select("unit_id", "rank", "rank_lower", "rank_upper", "p_first")
shape: (3, 5)
┌─────────┬──────┬────────────┬────────────┬─────────┐
│ unit_id ┆ rank ┆ rank_lower ┆ rank_upper ┆ p_first │
│ ---     ┆ ---  ┆ ---        ┆ ---        ┆ ---     │
│ str     ┆ i64  ┆ i64        ┆ i64        ┆ f64     │
╞═════════╪══════╪════════════╪════════════╪═════════╡
│ B       ┆ 1    ┆ 1          ┆ 2          ┆ 0.55    │
│ A       ┆ 2    ┆ 1          ┆ 2          ┆ 0.455   │
│ C       ┆ 3    ┆ 3          ┆ 3          ┆ 0.0     │
└─────────┴──────┴────────────┴────────────┴─────────┘
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from evaltools.errors import EvalToolsError, Problem, UsageError

__all__ = [
    "Acceptability",
    "PanelReliability",
    "RankIntervals",
    "WeightStability",
    "icc_band",
    "kendall_w_band",
    "panel_reliability",
    "rank_intervals",
    "smaa",
    "weight_stability",
]

FRAGILE = 0.05
_DIGITS = 9  # totals are compared after rounding to this many decimals (ties)
_FIXED_NOTE = ("重抽样时保持不变：检查发现的扣分、加分和一票否决，按缺失值规则填补的数值，参评单位表中的数值；"
               "并列按 1224 规则排名，不使用并列比较规则 | kept fixed in replicates: deductions, "
               "bonuses and vetoes found by inspection, values filled by the missing-value "
               "policy, units-table columns; replicate ties ranked 1224 without tie-breakers")


def _note(zh: str, en: str) -> str:
    return f"{zh} | {en}"


# --------------------------------------------------------------------------------------------
# The round as a numpy model: values (…, m, n) or weights (k, n) → totals
# --------------------------------------------------------------------------------------------


@dataclass
class _RoundModel:
    """One scored round as arrays, in the unit order of ``units`` and criterion order of the rubric.

    ``totals`` reproduces :func:`evaltools.scoring.score_round`'s totals exactly.
    """

    rnd: int | None
    units: list[str]
    V0: np.ndarray  # (m, n) aggregated values (missing already filled)
    filled: np.ndarray  # (m, n) bool
    method: str
    norm: str
    is_cost: np.ndarray  # (n,)
    w0: np.ndarray  # (n,) weights summing to 1 (points: max_points / budget)
    high: np.ndarray  # (n,) value earning full marks (points method)
    budget: float  # points: Σ max_points; MCDA: 100
    ded_crit: np.ndarray  # (m, n) deductions taken from criteria (points)
    ded_total: np.ndarray  # (m,) deductions taken from the total (points)
    bonus: np.ndarray  # (m,)
    base_total: np.ndarray  # (m,) the totals of score_round

    # -- MCDA helpers on (..., m, n) arrays: normalise over the units axis ---------------------
    def normalized(self, V: np.ndarray) -> np.ndarray:
        from evaltools import mcda

        X = np.moveaxis(V, -2, 0)  # units first: mcda.normalize_array reduces over axis 0
        if X.shape[0] == 1 and self.norm == "zscore":
            return np.zeros_like(V)
        R = mcda.normalize_array(X, self.is_cost, self.norm)
        return np.moveaxis(np.broadcast_to(R, X.shape), 0, -2)

    def totals(self, V: np.ndarray | None = None, W: np.ndarray | None = None) -> np.ndarray:
        """Totals for values ``V`` (…, m, n) at the base weights, or for weights ``W`` (k, n) on
        the base values (→ (k, m))."""
        if V is None:
            V = self.V0
        if self.method == "points":
            share = V / self.high
            share = np.where(self.is_cost, 1.0 - share, share)
            if W is None:
                pts = share * (self.w0 * self.budget)
                pts = np.maximum(pts - self.ded_crit, 0.0)
                s = pts.sum(axis=-1)
            elif not self.ded_crit.any():
                s = (share * self.budget) @ W.T  # (m, k)
                s = s.T
            else:
                pts = share[None, :, :] * (W[:, None, :] * self.budget)
                s = np.maximum(pts - self.ded_crit, 0.0).sum(axis=-1)
            return np.maximum(s - self.ded_total, 0.0) + self.bonus
        R = self.normalized(V)
        if W is None:
            return 100.0 * _mcda_score(self.method, R, self.w0[None, :], V, self.is_cost)[..., 0]
        return 100.0 * _mcda_score(self.method, R, W, V, self.is_cost).T

    def contributions(self) -> np.ndarray:
        """(m, n): each unit's total per unit of weight, for the linear methods."""
        if self.method == "points":
            share = self.V0 / self.high
            return np.where(self.is_cost, 1.0 - share, share) * self.budget
        return 100.0 * self.normalized(self.V0)


def _mcda_score(method: str, R: np.ndarray, W: np.ndarray, X: np.ndarray,
                is_cost: np.ndarray) -> np.ndarray:
    """Scores (…, m, k) of the MCDA ``method`` for each weight row of ``W`` (k, n), higher is
    better (VIKOR: 1 − Q). Mirrors the kernels of :mod:`evaltools.mcda`, batched."""
    from evaltools import mcda

    if method == "weighted_sum":
        return R @ W.T
    if method == "weighted_product":
        with np.errstate(divide="ignore"):
            return np.exp(np.log(R) @ W.T)
    if method == "topsis":
        # V = R·w, ideal = w·max R (w ≥ 0): squared distances are matrix products
        hi = R.max(axis=-2, keepdims=True)
        lo = R.min(axis=-2, keepdims=True)
        dp = np.sqrt(np.maximum(((R - hi) ** 2) @ (W**2).T, 0.0))
        dm = np.sqrt(np.maximum(((R - lo) ** 2) @ (W**2).T, 0.0))
        den = dp + dm
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den == 0, 1.0, dm / den)
    if method == "vikor":
        X0 = np.moveaxis(X, -2, 0)
        N = np.moveaxis(np.broadcast_to(mcda.normalize_array(X0, is_cost, "minmax"), X0.shape), 0, -2)
        regret = (1.0 - N)[..., None, :] * W  # (…, m, k, n)
        S, Rr = regret.sum(axis=-1), regret.max(axis=-1)  # (…, m, k)

        def scaled(a: np.ndarray) -> np.ndarray:
            lo, hi = a.min(axis=-2, keepdims=True), a.max(axis=-2, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(hi == lo, 0.0, (a - lo) / (hi - lo))

        return 1.0 - (0.5 * scaled(S) + 0.5 * scaled(Rr))
    raise UsageError.choice("method", method, ("points", "weighted_sum", "weighted_product",
                                               "topsis", "vikor"))


def _round_model(dataset: Any, rubric: Any, rnd: int | None) -> _RoundModel:
    from evaltools import scoring

    # the round's arrays come from scoring's re-weighting model (shared with the weight
    # explorer's fast path); its totals for the rubric's own weights are score_round's
    model = scoring.reweight_model(dataset, rubric, rnd)
    ids = list(rubric.criterion_ids)
    units = model.unit_ids.to_list()
    m, n = model.values.shape
    method = rubric.method
    if method == "points":
        maxp = np.array([float(c.max_points) if c.max_points is not None else np.nan
                         for c in rubric.criteria])
        high = np.where(np.isnan(model.high), maxp, model.high)
        budget = float(maxp.sum())
        w0 = maxp / budget
        ded_crit = np.ascontiguousarray(model.criterion_deductions)
        ded_total, bonus = model.total_deductions, model.bonuses
        norm = "share"
    else:
        raw = scoring.mcda_weights(rubric, [])
        w = np.array([raw[c] for c in ids], dtype=float)
        w0 = w / w.sum()
        high = np.ones(n)
        budget = 100.0
        ded_crit, ded_total, bonus = np.zeros((m, n)), np.zeros(m), np.zeros(m)
        norm = rubric.normalization or scoring.DEFAULT_NORMALIZATION[method]
    base = model.units(rubric)["total"].to_numpy().astype(float)
    return _RoundModel(rnd, units, np.ascontiguousarray(model.values), model.filled, method,
                       norm, model.is_min.copy(), w0, high, budget, ded_crit, ded_total, bonus,
                       base)


@dataclass
class _Board:
    """A leaderboard as round models plus the mapping of each round's units onto the table."""

    lb: Any
    units: list[str]  # every unit of lb.table, in table order
    eligible: np.ndarray  # (M,) ranked in the published table
    rounds: list[_RoundModel]
    maps: list[np.ndarray]  # per round: index into ``units`` of each round unit
    criteria: list[str]
    names: list[str]

    @property
    def w0(self) -> np.ndarray:
        return self.rounds[0].w0

    def combine(self, per_round: list[np.ndarray]) -> np.ndarray:
        """Mean over the rounds each unit took part in: list of (…, m_r) → (…, M)."""
        if len(per_round) == 1:
            if self.maps[0].size == len(self.units):  # a permutation: one gather
                return np.take(per_round[0], np.argsort(self.maps[0]), axis=-1)
            out = np.full((*per_round[0].shape[:-1], len(self.units)), np.nan)
            out[..., self.maps[0]] = per_round[0]
            return out
        s = np.zeros((*per_round[0].shape[:-1], len(self.units)))
        c = np.zeros(len(self.units))
        for t, idx in zip(per_round, self.maps, strict=True):
            s[..., idx] += t
            c[idx] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c

    def totals_w(self, W: np.ndarray) -> np.ndarray:
        return self.combine([r.totals(W=W) for r in self.rounds])

    def neg_totals_w(self, idx: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``W`` (k, n) → minus the totals of the table units ``idx`` (k, len(idx)), C-contiguous.

        One round whose totals are linear in the weights (weighted sum; points without
        per-criterion deductions) gets one matrix product ``W @ (−C)ᵀ`` on the contributions of
        just those units, already in table order: no (m, k) transpose, no gather, no negated copy
        (equal to ``−totals_w(W)[:, idx]`` up to the last bit of the sums). Otherwise the general
        model is used.
        """
        if len(self.rounds) == 1:
            r = self.rounds[0]
            inv = np.full(len(self.units), -1, np.int64)
            inv[self.maps[0]] = np.arange(self.maps[0].size)
            sel = inv[idx]
            linear = r.method == "weighted_sum" or (r.method == "points"
                                                    and not r.ded_crit.any())
            if linear and not (sel < 0).any():
                negC = np.ascontiguousarray(-r.contributions()[sel].T)  # (n, m)
                if r.method == "weighted_sum":
                    return lambda W: _small_matmul(W, negC)
                ded, bonus = r.ded_total[sel], r.bonus[sel]

                def points(W: np.ndarray) -> np.ndarray:
                    S = _small_matmul(W, negC)  # −Σ points before deductions and bonus
                    S += ded
                    np.minimum(S, 0.0, out=S)
                    S -= bonus
                    return S

                return points
        return lambda W: np.negative(self.totals_w(W)[:, idx], order="C")


def _small_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for a thin inner dimension (criteria) without BLAS threads.

    numpy's own einsum loop, single-threaded. With ``@`` OpenBLAS splits the product over both
    cores and its worker threads keep spinning afterwards, which on a busy 2-core machine slowed
    the argsort after every product: SMAA 10 000 samples × 1 000 units × 10 criteria took
    0.88–1.10 s with ``@`` and 0.37–0.55 s single-threaded (load ≈ 4).
    """
    return np.einsum("kn,nm->km", A, B, optimize=False)


def _board(lb: Any) -> _Board:
    from evaltools.scoring import round_numbers

    ds, rubric = lb.dataset, lb.rubric
    if lb.round == "all":
        rounds = round_numbers(ds, rubric) or [None]
    else:
        rounds = [lb.round]
    models = [_round_model(ds, rubric, r) for r in rounds]
    units = lb.table["unit_id"].to_list()
    pos = {u: i for i, u in enumerate(units)}
    maps = [np.array([pos[u] for u in m.units], dtype=np.int64) for m in models]
    eligible = (~lb.table["disqualified"] & lb.table["total_unrounded"].is_not_null()).to_numpy()
    return _Board(lb, units, eligible, models, maps, list(rubric.criterion_ids),
                  [c.name for c in rubric.criteria])


# --------------------------------------------------------------------------------------------
# Ranking stacks of totals
# --------------------------------------------------------------------------------------------


def _order(T: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row of totals (k, M) descending: (order, sorted keys); ineligible units last."""
    key = np.where(eligible, np.round(T, _DIGITS), -np.inf)
    key = np.where(np.isnan(key), -np.inf, key)
    order = np.argsort(-key, axis=1, kind="stable")
    return order, np.take_along_axis(key, order, axis=1)


def _group_bounds(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted rows ``s`` (k, M): the first and one-past-last position of each tie group."""
    new = np.ones(s.shape, bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    return _group_bounds_from(new)


def _group_bounds_from(new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group bounds from the flags "a new tie group starts here" (k, M)."""
    k, M = new.shape
    pos = np.broadcast_to(np.arange(M), (k, M))
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    end_flag = np.ones((k, M), bool)
    end_flag[:, :-1] = new[:, 1:]
    end = np.minimum.accumulate(np.where(end_flag, pos + 1, M)[:, ::-1], axis=1)[:, ::-1]
    return start, end


def _competition_ranks(T: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """1224 ranks (k, M) as int32; 0 for ineligible units."""
    order, s = _order(T, eligible)
    start, _ = _group_bounds(s)
    ranks = np.empty(order.shape, np.int32)
    np.put_along_axis(ranks, order, (start + 1).astype(np.int32), axis=1)
    return np.where(eligible & np.isfinite(T), ranks, 0)


# --------------------------------------------------------------------------------------------
# Cancelling and progress
# --------------------------------------------------------------------------------------------

Cancel = Callable[[], bool] | Any | None


def _cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def _chunks(total: int, size: int, *, progress: bool | None, desc: str, cancel: Cancel,
            notes: list[str]):
    """Yield (start, stop) chunks with a tqdm bar; stop early on cancel or Ctrl-C (noted).

    ``progress=False`` makes no bar at all: even a disabled tqdm creates a multiprocessing lock
    (a named semaphore, reported as leaked when a worker process exits)."""
    if progress is False:
        from types import SimpleNamespace

        bar = SimpleNamespace(update=lambda n: None, close=lambda: None)
    else:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, disable=None if progress is None else not progress,
                   leave=False)
    done = 0
    try:
        while done < total:
            if _cancelled(cancel):
                notes.append(_note(f"计算已取消：只完成了 {done}/{total}",
                                   f"cancelled: only {done} of {total} done"))
                return
            stop = min(total, done + size)
            yield done, stop
            bar.update(stop - done)
            done = stop
    finally:
        bar.close()


def _interrupted(done: int, total: int) -> str:
    return _note(f"计算被中断：只完成了 {done}/{total}", f"interrupted: only {done} of {total} done")


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


def _judge_resampler(dataset: Any, rubric: Any, model: _RoundModel,
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
        fast, slow = [], []
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


def _card_resampler(dataset: Any, rubric: Any) -> _CardResampler | None:
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
    lb: Any,
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
    >>> from evaltools.robustness import _doctest_board
    >>> ri = rank_intervals(_doctest_board(), replicates=200, seed=1, progress=False)
    >>> ri.table["rank_interval"].to_list()
    ['第1名（95%区间 1–2）', '第2名（95%区间 1–2）', '第3名（95%区间 3–3）']
    """
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 1:
        raise UsageError(Problem(None, None, "replicates", replicates, "bad_replicates",
                                 "重抽样次数必须是正整数", "replicates must be a positive integer"))
    if not 0.0 < level < 1.0:
        raise UsageError(Problem(None, None, "level", level, "bad_level",
                                 "区间水平必须在 0 和 1 之间", "level must be between 0 and 1"))
    board = _board(lb)
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
        notes.append(_note(f"点评卡在每个单位内重抽样（{len(cards.units)} 个单位，"
                           f"{int(cards.offsets[-1])} 张卡）",
                           f"review cards resampled within each unit ({len(cards.units)} units, "
                           f"{int(cards.offsets[-1])} cards)"))
    jb = [j for j in judges if j is not None]
    if jb:
        n_res = sum(sum(b.rows.size for b in j.blocks) for j in jb)
        n_fix = sum(j.n_fixed for j in jb)
        notes.append(_note(
            f"评委在每个单位的评委组内重抽样（{n_res} 个单位×轮次）；评委不足 {min_panel} 人的"
            f" {n_fix} 个保持原分",
            f"judges resampled within each unit's panel ({n_res} unit-rounds); {n_fix} panels "
            f"with fewer than {min_panel} judges kept as scored"))
    if cards is None and not jb:
        notes.append(_note("没有可重抽样的点评卡或评委组，名次区间只反映原始结果",
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
        for start, stop in _chunks(replicates, chunk, progress=progress, desc="bootstrap",
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
            ranks[start:stop] = _competition_ranks(T, board.eligible)
            done = stop
    except KeyboardInterrupt:
        notes.append(_interrupted(done, replicates))
    ranks = ranks[:done]
    if done == 0:
        raise EvalToolsError("计算在第一批完成前被取消", "cancelled before the first chunk finished")
    table = _interval_table(lb, ranks, board.eligible, level, top_k)
    notes.append(_note(f"{done} 次重抽样，随机种子 {seed}，{level:.0%} 区间为重抽样名次的百分位数区间",
                       f"{done} replicates, seed {seed}; the {level:.0%} interval is the "
                       "percentile interval of the replicate ranks"))
    return RankIntervals(table, ranks, done, seed, level, top_k, tuple(notes))


def _interval_table(lb: Any, ranks: np.ndarray, eligible: np.ndarray, level: float,
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


# --------------------------------------------------------------------------------------------
# SMAA-2
# --------------------------------------------------------------------------------------------

_ORDER_RE = re.compile(r"^\s*(.+?)\s*(≥|>=|>|≤|<=|<)\s*(.+?)\s*$")


def _criterion_index(board: _Board, name: str, what: str) -> int:
    for j, (cid, cname) in enumerate(zip(board.criteria, board.names, strict=True)):
        if name in (cid, cname):
            return j
    raise UsageError.choice(what, name, board.criteria)


def _parse_order(board: _Board, order: Sequence[str | tuple[str, str]]) -> list[tuple[int, int]]:
    """"环境卫生 ≥ 居民参与" / ("clean", "tidy") → [(i, j)] meaning w_i ≥ w_j."""
    pairs = []
    for item in order:
        if isinstance(item, str):
            m = _ORDER_RE.match(item)
            if not m:
                raise UsageError(Problem(
                    None, None, "order", item, "bad_order",
                    "权重顺序应写成“指标A ≥ 指标B”", "an ordering must read 'A >= B'"))
            a, op, b = m.groups()
            if op in ("≤", "<=", "<"):
                a, b = b, a
        else:
            a, b = item
        pairs.append((_criterion_index(board, a, "order"), _criterion_index(board, b, "order")))
    return pairs


def _weight_sampler(board: _Board, bounds: float | Mapping[str, tuple[float, float]] | None,
                    order: Sequence[str | tuple[str, str]] | None,
                    rng: np.random.Generator) -> tuple[Callable[[int], np.ndarray], str]:
    n = len(board.criteria)
    w0 = board.w0
    lo = np.zeros(n)
    hi = np.ones(n)
    how_zh, how_en = "权重在单纯形上均匀抽取（Dirichlet(1)）", "weights uniform on the simplex (Dirichlet(1))"
    if bounds is not None:
        if isinstance(bounds, Mapping):
            for k, (a, b) in bounds.items():
                j = _criterion_index(board, k, "bounds")
                lo[j], hi[j] = float(a), float(b)
            how_zh, how_en = "权重在给定上下限内抽取", "weights within the given bounds"
        else:
            x = float(bounds)
            if not 0.0 <= x < 1.0:
                raise UsageError(Problem(None, None, "bounds", bounds, "bad_bounds",
                                         "上下浮动比例应在 0 和 1 之间（如 0.2 表示 ±20%）",
                                         "a relative bound must be in [0, 1) (0.2 = ±20%)"))
            lo, hi = w0 * (1 - x), w0 * (1 + x)
            how_zh = f"各权重在评分细则权重的 ±{x:.0%} 内抽取，再按比例归一"
            how_en = f"each weight within ±{x:.0%} of the rubric's, then rescaled to sum 1"
        if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12 or np.any(lo > hi):
            raise UsageError(Problem(None, None, "bounds", str(bounds), "infeasible_bounds",
                                     "权重上下限无法同时满足且总和为 1",
                                     "no weights within these bounds sum to 1"))
    pairs = _parse_order(board, order) if order else []
    if pairs:
        how_zh += "，并满足顺序 " + "、".join(f"{board.names[a]} ≥ {board.names[b]}"
                                           for a, b in pairs)
        how_en += ", with " + ", ".join(f"{board.criteria[a]} >= {board.criteria[b]}"
                                      for a, b in pairs)
    chain = None
    if pairs and bounds is None:
        # a complete chain w_a ≥ w_b ≥ … over all criteria: sorted uniform samples, no rejection
        succ = dict(pairs)
        heads = set(succ) - set(succ.values())
        if len(pairs) == n - 1 and len(heads) == 1 and len(set(succ)) == n - 1:
            chain, cur = [], heads.pop()
            while cur is not None:
                chain.append(cur)
                cur = succ.get(cur)
            if len(chain) != n:
                chain = None

    def draw(k: int) -> np.ndarray:
        if bounds is None:
            W = rng.dirichlet(np.ones(n), size=k)
            if chain is not None:
                W = -np.sort(-W, axis=1)
                out = np.empty_like(W)
                out[:, chain] = W
                return out
        else:
            W = lo + rng.random((k, n)) * (hi - lo)
            W = W / W.sum(axis=1, keepdims=True)
        return W

    def sample(k: int) -> np.ndarray:
        if bounds is None and (chain is not None or not pairs):
            return draw(k)
        got: list[np.ndarray] = []
        have, tries = 0, 0
        while have < k:
            W = draw(max(k, 1000))
            ok = np.ones(W.shape[0], bool)
            if bounds is not None:
                ok &= np.all((W >= lo - 1e-12) & (W <= hi + 1e-12), axis=1)
            for a, b in pairs:
                ok &= W[:, a] >= W[:, b]
            got.append(W[ok])
            have += int(ok.sum())
            tries += W.shape[0]
            if tries > 200 * k + 100_000 and have < k:
                raise UsageError(Problem(None, None, "bounds", str(bounds), "weights_too_tight",
                                         "权重约束太紧，抽不到满足条件的权重",
                                         "the weight constraints are too tight to sample"))
        return np.concatenate(got)[:k]

    return sample, _note(how_zh, how_en)


@dataclass(frozen=True, eq=False)
class Acceptability:
    """SMAA-2 results (see :func:`smaa`).

    indices : (units, ranks) b(i, r) = share of weight samples giving unit i rank r (rows and
        columns sum to 1 over the ranked units; ties share their ranks evenly).
    table : per unit in leaderboard order: ``unit_id``, ``name``, ``rank`` (published),
        ``b1`` (first-rank acceptability), ``holistic`` (Σ_r α_r b(i, r), α_r = (m − r)/(m − 1),
        over the kept ranks r ≤ max_rank),
        ``confidence`` (confidence factor p_c: P(rank 1) at the unit's central weights),
        one ``w_<criterion>`` column per criterion (central weight vector; null when b1 = 0).
    samples : weight samples drawn. criteria : criterion ids. notes : how weights were drawn.
    """

    indices: np.ndarray
    table: pl.DataFrame
    samples: int
    criteria: tuple[str, ...]
    unit_ids: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def long(self, max_rank: int | None = None) -> pl.DataFrame:
        """b(i, r) in long form: ``unit_id``, ``rank``, ``acceptability`` (ranks ≤ max_rank)."""
        R = self.indices.shape[1] if max_rank is None else min(max_rank, self.indices.shape[1])
        m = len(self.unit_ids)
        return pl.DataFrame({
            "unit_id": np.repeat(np.array(self.unit_ids, dtype=object), R).tolist(),
            "rank": np.tile(np.arange(1, R + 1), m),
            "acceptability": self.indices[:, :R].ravel(),
        }).with_columns(pl.col("rank").cast(pl.Int64))


def smaa(
    lb: Any,
    *,
    samples: int = 10_000,
    seed: int | None = None,
    bounds: float | Mapping[str, tuple[float, float]] | None = None,
    order: Sequence[str | tuple[str, str]] | None = None,
    max_rank: int | None = None,
    chunk: int | None = None,
    progress: bool | None = None,
    cancel: Cancel = None,
) -> Acceptability:
    """SMAA-2: which ranks can each unit reach when the weights are not known exactly?

    Weights are drawn uniformly from the simplex (Dirichlet(1)), or, with ``bounds``, within
    ±x of the rubric's weights (a float such as 0.2) or within explicit per-criterion
    ``{criterion: (low, high)}`` bounds (drawn uniformly in the box, rescaled to sum 1 and kept
    when still in bounds), and/or with an ``order`` such as ``["环境卫生 ≥ 居民参与"]`` (criterion
    names or ids; a complete chain is sampled exactly by sorting, other orders by rejection). For
    the points method the weights re-divide the same total of full marks among the criteria.
    ``max_rank`` keeps b(i, r) for ranks 1..max_rank only (default: every rank up to 2000 ranked
    units, else the first 100, which bounds memory at units × max_rank).

    Each chunk of weight samples is scored with one matrix product (weighted sum, points without
    per-criterion deductions, weighted product on logs, TOPSIS on squared distances; VIKOR needs a
    units × samples × criteria array) and ranked by a vectorised argsort. Tied units split their
    ranks evenly, so identical units get identical indices and every row and column sums to 1.

    Examples
    --------
    >>> from evaltools.robustness import _doctest_board
    >>> acc = smaa(_doctest_board(), samples=2000, seed=3, progress=False)
    >>> acc.table.select("unit_id", "b1", "confidence").with_columns(pl.col("b1").round(2))
    shape: (3, 3)
    ┌─────────┬──────┬────────────┐
    │ unit_id ┆ b1   ┆ confidence │
    │ ---     ┆ ---  ┆ ---        │
    │ str     ┆ f64  ┆ f64        │
    ╞═════════╪══════╪════════════╡
    │ B       ┆ 0.49 ┆ 1.0        │
    │ A       ┆ 0.51 ┆ 1.0        │
    │ C       ┆ 0.0  ┆ null       │
    └─────────┴──────┴────────────┘

    C is dominated (worse than B on both criteria): it can never be first, b(C, 1) = 0;
    A and B each come first under about half of all weightings.
    """
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise UsageError(Problem(None, None, "samples", samples, "bad_samples",
                                 "抽样次数必须是正整数", "samples must be a positive integer"))
    board = _board(lb)
    rng = np.random.default_rng(seed)
    sample, how = _weight_sampler(board, bounds, order, rng)
    notes = [how]
    elig = board.eligible
    idx = np.flatnonzero(elig)
    m = idx.size
    n = len(board.criteria)
    M = len(board.units)
    if max_rank is None:
        max_rank = m if m <= 2000 else 100
    R = int(max(1, min(max_rank, m)))
    if R < m:
        notes.append(_note(f"只统计前 {R} 个名次的可接受度", f"acceptability kept for ranks 1–{R}"))
    direct = np.zeros(m * R)
    diff = np.zeros(m * (R + 1))
    cw = np.zeros((m, n))
    first = np.zeros(m)
    if chunk is None:
        per = 8 * M * (4 + (n if board.rounds[0].method == "vikor" else 0))
        chunk = int(max(1, min(samples, (64 * 2**20) // per)))
    neg_totals = board.neg_totals_w(idx)
    done = 0
    try:
        for start, stop in _chunks(samples, chunk, progress=progress, desc="SMAA",
                                   cancel=cancel, notes=notes):
            W = sample(stop - start)
            d_direct, d_diff, d_cw, d_first = _accumulate(neg_totals(W), R, W)  # (k, m)
            direct += d_direct
            if d_diff is not None:
                diff += d_diff
            cw += d_cw
            first += d_first
            done = stop
    except KeyboardInterrupt:
        notes.append(_interrupted(done, samples))
    if done == 0:
        raise EvalToolsError("计算在第一批完成前被取消", "cancelled before the first chunk finished")
    b = (direct.reshape(m, R) + np.cumsum(diff.reshape(m, R + 1), axis=1)[:, :R]) / done
    with np.errstate(invalid="ignore", divide="ignore"):
        central = np.full((M, n), np.nan)
        central[idx] = cw / first[:, None]
    first_all = np.zeros(M)
    first_all[idx] = first
    conf = np.full(M, np.nan)
    has = np.flatnonzero(elig & (first_all > 0))
    if has.size:
        Tc = board.totals_w(central[has])  # (q, M)
        _, s = _order(Tc, elig)
        start_, end_ = _group_bounds(s)
        g = (end_[:, 0] - start_[:, 0]).astype(float)
        in_first = np.take_along_axis(np.round(np.where(elig, Tc, -np.inf), _DIGITS),
                                      has[:, None], axis=1)[:, 0] == s[:, 0]
        conf[has] = np.where(in_first, 1.0 / g, 0.0)
    alpha = (m - np.arange(1, m + 1)) / (m - 1) if m > 1 else np.ones(1)
    hol = np.full(M, np.nan)
    b1 = np.full(M, np.nan)
    if m:
        hol[idx] = b @ alpha[:R]  # with max_rank < m: over the kept ranks only
        b1[idx] = b[:, 0]
    table = lb.table.select("unit_id", "name", pl.col("rank").cast(pl.Int64)).with_columns(
        pl.Series("b1", b1).fill_nan(None), pl.Series("holistic", hol).fill_nan(None),
        pl.Series("confidence", conf).fill_nan(None),
        *(pl.Series(f"w_{c}", central[:, j]).fill_nan(None)
          for j, c in enumerate(board.criteria)))
    notes.append(_note(f"{done} 组权重样本，随机种子 {seed}；并列的单位平分其名次",
                       f"{done} weight samples, seed {seed}; tied units share their ranks evenly"))
    return Acceptability(b, table, done, tuple(board.criteria),
                         tuple(np.array(board.units, dtype=object)[idx].tolist()), tuple(notes))


def _accumulate(N: np.ndarray, R: int, W: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """One chunk of *negated* totals of the ranked units ``N`` (k, m), C-contiguous: counts of
    (unit, rank < R) of the untied entries, the tied entries' shares in difference form (None
    without ties), first-rank weight sums and first-rank counts. Sorting ``−totals`` ascending
    is sorting the totals descending; only tied entries need their group's bounds."""
    k, m = N.shape
    n = W.shape[1]
    order = np.argsort(N, axis=1)
    # the sorted rows by one flat gather (faster than take_along_axis)
    s = np.take(N.ravel(), order + (np.arange(k) * m)[:, None])
    # equal up to 12 significant digits (as evaltools.ranking) = tied
    tol = 1e-12 * max(1.0, float(np.abs(s[:, :1]).max(initial=0.0)),
                      float(np.abs(s[:, -1:]).max(initial=0.0)))  # rows are sorted
    tie = (s[:, 1:] - s[:, :-1]) <= tol  # (k, m − 1), neighbours in sorted order
    pos = np.arange(R)
    top = order[:, 0]
    if not tie.any():
        direct = np.bincount((order[:, :R] * R + pos).ravel(), minlength=m * R).astype(float)
        first = np.bincount(top, minlength=m).astype(float)
        cw = np.stack([np.bincount(top, weights=W[:, j], minlength=m) for j in range(n)], axis=1)
        return direct, None, cw, first
    # entries tied with a neighbour; the others take their position as rank, as above
    tied = np.zeros((k, m), bool)
    tied[:, 1:] = tie
    tied[:, :-1] |= tie
    lone = ~tied[:, :R]
    direct = np.bincount((order[:, :R] * R + pos)[lone], minlength=m * R).astype(float)
    # tie groups numbered over the flattened rows (every row starts a group): the bounds of
    # the group of each tied entry, as positions in its row
    new = np.ones(k * m, bool)
    new.reshape(k, m)[:, 1:] = ~tie
    starts = np.flatnonzero(new)
    size = np.diff(starts, append=k * m)  # groups never span rows
    e = np.flatnonzero(tied)
    grp = np.cumsum(new, dtype=np.int64)[e] - 1
    start = (starts % m)[grp]
    g = size[grp]
    end = start + g
    unit = order.ravel()[e]
    share = 1.0 / g
    if R < m:
        keep = start < R
        e, unit, start, end, share = e[keep], unit[keep], start[keep], end[keep], share[keep]
    # a unit tied over positions start..end−1 takes each of those ranks with probability 1/g
    base = unit * (R + 1)
    diff = np.bincount(np.concatenate([base + start, base + np.minimum(end, R)]),
                       weights=np.concatenate([share, -share]), minlength=m * (R + 1))
    # first rank: the top unit of rows without a tie at the top, else the first group's members
    # with 1/g each
    at_top = np.flatnonzero(start == 0)
    lone_top = np.flatnonzero(~tied[:, 0])
    fu = np.concatenate([top[lone_top], unit[at_top]])
    fw = np.concatenate([np.ones(lone_top.size), share[at_top]])
    fr = np.concatenate([lone_top, e[at_top] // m])
    first = np.bincount(fu, weights=fw, minlength=m)
    cw = np.stack([np.bincount(fu, weights=fw * W[fr, j], minlength=m) for j in range(n)],
                  axis=1)
    return direct, diff, cw, first


# --------------------------------------------------------------------------------------------
# Weight stability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WeightStability:
    """How far each weight can move before the leaderboard changes (see :func:`weight_stability`).

    criteria : per criterion: ``criterion``, ``name``, ``weight`` (now, normalised to sum 1),
        ``first_low`` / ``first_high`` (the weight interval keeping rank 1), ``top_low`` /
        ``top_high`` (keeping the top-``top_n`` order), each with the other weights rescaled in
        proportion.
    pairs : per adjacent pair of the leaderboard: ``position`` (upper unit's rank), ``upper``,
        ``lower``, ``gap`` (total difference), ``criterion`` (whose weight swaps them with the
        smallest change), ``new_weight``, ``change`` (signed), ``fragile`` (|change| ≤ 0.05);
        nulls when no single weight can swap them.
    method : ``closed_form`` or ``grid``. notes : how it was computed.
    """

    criteria: pl.DataFrame
    pairs: pl.DataFrame
    method: str
    top_n: int
    notes: tuple[str, ...] = field(default=())


def _others_scaled(w: np.ndarray, j: int, t: np.ndarray) -> np.ndarray:
    """Weight vectors with w_j = t and the others rescaled in proportion: (len(t), n)."""
    rest = 1.0 - w[j]
    W = np.outer((1.0 - t) / rest if rest > 0 else np.zeros_like(t), w)
    if rest <= 0:  # a single weighted criterion: spread the rest evenly
        W = np.outer(1.0 - t, np.full(w.size, 1.0 / max(w.size - 1, 1)))
    W[:, j] = t
    return W


def weight_stability(
    lb: Any,
    *,
    top_n: int = 3,
    fragile: float = FRAGILE,
    grid: int = 201,
) -> WeightStability:
    """Weight intervals that keep rank 1 and the top-N order, and the smallest single-weight
    change that swaps each adjacent pair of the leaderboard.

    Changing criterion j's weight to t rescales the others in proportion,
    w_k(t) = w_k (1 − t)/(1 − w_j). For **weighted sum** and **points** every total is then linear
    in t: total_i(t) = e_i + t a_ij + (1 − t) r_ij, with a_ij unit i's total per unit weight of
    criterion j and r_ij the same for the other criteria together. Two units p above q swap at
    t* = w_j − D/(Δa − Δr) (D the current gap), the closed form used here, vectorised over all
    pairs and criteria. (Points: the floors at 0 of deductions are treated as fixed, exact unless a
    deduction would exhaust a criterion.) For **weighted product, TOPSIS and VIKOR** the totals are
    computed on a grid of ``grid`` weights in [0, 1] per criterion and the crossing points are
    interpolated linearly between neighbouring grid points (precision about 1/(grid − 1)).

    Examples
    --------
    Weighted sum, two criteria at 0.5/0.5; after min-max B = (0.270, 1) and A = (1, 0.255), so
    B leads by 63.51 − 62.73 points. With clean at weight t (tidy 1 − t) they tie where
    0.270 t + (1 − t) = t + 0.255 (1 − t), t = 0.5053: a change of 0.0053, fragile. C is 0 on both
    criteria and can never pass A (null: no single weight swaps them).

    >>> from evaltools.robustness import _doctest_board
    >>> ws = weight_stability(_doctest_board(), top_n=2)
    >>> ws.pairs.select("upper", "lower", "criterion", pl.col("new_weight", "change").round(4),
    ...                 "fragile")
    shape: (2, 6)
    ┌───────┬───────┬───────────┬────────────┬────────┬─────────┐
    │ upper ┆ lower ┆ criterion ┆ new_weight ┆ change ┆ fragile │
    │ ---   ┆ ---   ┆ ---       ┆ ---        ┆ ---    ┆ ---     │
    │ str   ┆ str   ┆ str       ┆ f64        ┆ f64    ┆ bool    │
    ╞═══════╪═══════╪═══════════╪════════════╪════════╪═════════╡
    │ B     ┆ A     ┆ clean     ┆ 0.5053     ┆ 0.0053 ┆ true    │
    │ A     ┆ C     ┆ null      ┆ null       ┆ null   ┆ null    │
    └───────┴───────┴───────────┴────────────┴────────┴─────────┘
    """
    if not isinstance(top_n, int) or top_n < 1:
        raise UsageError(Problem(None, None, "top_n", top_n, "bad_top_n",
                                 "top_n 必须是正整数", "top_n must be a positive integer"))
    board = _board(lb)
    w = board.w0
    n = w.size
    elig = board.eligible
    idx = np.flatnonzero(elig)
    ranked = idx  # lb.table is in rank order
    T0 = lb.table["total_unrounded"].to_numpy().astype(float)
    method = board.rounds[0].method
    linear = method in ("points", "weighted_sum")
    notes = []
    m = ranked.size
    N = min(top_n, m)
    # pairs that must keep their order: adjacent pairs of the whole table, the top-N chain,
    # the Nth against everyone below, the leader against everyone
    adj_up, adj_lo = ranked[:-1], ranked[1:]
    if linear:
        A = board.combine([r.contributions().T for r in board.rounds]).T  # (M, n)
        e = T0 - A @ w
        # total_i(t) for criterion j: e_i + t·A_ij + (1−t)·r_ij
        with np.errstate(invalid="ignore", divide="ignore"):
            Rr = ((A @ w)[:, None] - A * w) / (1.0 - w)  # (M, n)
        slope = A - Rr  # d total / dt (M, n)
        T_now = e + A @ w

        def crossing(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            """t* per (pair, criterion) where p and q swap (NaN when never in [0, 1])."""
            D = (T_now[p] - T_now[q])[:, None]
            k = slope[p] - slope[q]
            with np.errstate(invalid="ignore", divide="ignore"):
                t = w - D / k
            return np.where((k != 0) & (t >= 0) & (t <= 1), t, np.nan)

        def interval(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Per criterion, the t-interval around w keeping every p above q."""
            if p.size == 0:
                return np.zeros(n), np.ones(n)
            t = crossing(p, q)
            below = np.where(t <= w, t, -np.inf)
            above = np.where(t >= w, t, np.inf)
            lo = np.nanmax(np.where(np.isnan(t), -np.inf, below), axis=0)
            hi = np.nanmin(np.where(np.isnan(t), np.inf, above), axis=0)
            return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)

        notes.append(_note("加权求和/百分制的总分是权重的线性函数：区间和交换点按解析式计算",
                           "weighted sum / points totals are linear in the weights: intervals "
                           "and swap points in closed form"))
        kind = "closed_form"
    else:
        ts = np.linspace(0.0, 1.0, grid)
        TT = np.stack([board.totals_w(_others_scaled(w, j, ts)) for j in range(n)])  # (n, G, M)

        def crossing(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            D = TT[:, :, p] - TT[:, :, q]  # (n, G, P)
            sgn = D > 0
            out = np.full((p.size, n), np.nan)
            for j in range(n):  # criteria only
                cur = np.searchsorted(ts, w[j])
                d = D[j]
                flip = sgn[j, 1:] != sgn[j, :-1]  # (G-1, P)
                gidx = np.arange(grid - 1)[:, None]
                dist = np.where(flip, np.abs(gidx + 0.5 - cur), np.inf)
                best = np.argmin(dist, axis=0)
                has = np.isfinite(dist[best, np.arange(p.size)])
                d0, d1 = d[best, np.arange(p.size)], d[best + 1, np.arange(p.size)]
                with np.errstate(invalid="ignore", divide="ignore"):
                    t = ts[best] + (ts[1] - ts[0]) * d0 / (d0 - d1)
                out[:, j] = np.where(has, t, np.nan)
            return out

        def interval(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if p.size == 0:
                return np.zeros(n), np.ones(n)
            ok = np.all(np.round(TT[:, :, p] - TT[:, :, q], _DIGITS) > 0, axis=2)  # (n, G)
            lo, hi = np.zeros(n), np.ones(n)
            for j in range(n):
                cur = int(np.argmin(np.abs(ts - w[j])))
                bad = np.flatnonzero(~ok[j])
                left, right = bad[bad < cur], bad[bad > cur]
                if not ok[j, cur]:
                    lo[j] = hi[j] = w[j]
                    continue
                lo[j] = ts[left.max() + 1] if left.size else 0.0
                hi[j] = ts[right.min() - 1] if right.size else 1.0
            return lo, hi

        notes.append(_note(f"{method} 的总分不是权重的线性函数：在 [0, 1] 上取 {grid} 个权重网格点计算，"
                           "交换点在相邻网格点之间线性插值",
                           f"{method} totals are not linear in the weights: a grid of {grid} "
                           "weights in [0, 1], swap points interpolated between grid points"))
        kind = "grid"
    leader = ranked[:1]
    others = ranked[1:]
    f_lo, f_hi = interval(np.repeat(leader, others.size), others)
    chain_p, chain_q = ranked[:max(N - 1, 0)], ranked[1:N]
    below_p = np.repeat(ranked[N - 1:N], max(m - N, 0))
    t_lo, t_hi = interval(np.concatenate([chain_p, below_p]),
                          np.concatenate([chain_q, ranked[N:]]))
    if m >= 1 and np.round(T0[leader] - T0[others], _DIGITS).min(initial=np.inf) <= 0:
        f_lo, f_hi = w.copy(), w.copy()  # tied for first: any change can reorder
        notes.append(_note("第一名并列，任何权重变化都可能改变第一名",
                           "rank 1 is tied: any weight change may change it"))
    crit = pl.DataFrame({
        "criterion": board.criteria, "name": board.names, "weight": w,
        "first_low": f_lo, "first_high": f_hi, "top_low": t_lo, "top_high": t_hi,
    })
    tstar = crossing(adj_up, adj_lo) if adj_up.size else np.zeros((0, n))
    change = tstar - w
    gap = T0[adj_up] - T0[adj_lo]
    tied = np.round(gap, _DIGITS) <= 0
    absd = np.where(np.isnan(change), np.inf, np.round(np.abs(change), 12))  # ties: first
    best = np.argmin(absd, axis=1) if adj_up.size else np.zeros(0, int)
    bestd = absd[np.arange(adj_up.size), best] if adj_up.size else np.zeros(0)
    has = np.isfinite(bestd) | tied
    units = np.array(board.units, dtype=object)
    ranks = lb.table["rank"].to_numpy()
    crit_ids = np.array(board.criteria, dtype=object)
    ch = np.where(tied, 0.0, change[np.arange(adj_up.size), best] if adj_up.size else np.zeros(0))
    pairs = pl.DataFrame({
        "position": ranks[adj_up].astype(np.int64) if adj_up.size else np.zeros(0, np.int64),
        "upper": units[adj_up].tolist(), "lower": units[adj_lo].tolist(),
        "gap": gap,
        "criterion": np.where(has & ~tied, crit_ids[best] if adj_up.size else [], None).tolist(),
        "new_weight": np.where(has, w[best] + ch, np.nan),
        "change": np.where(has, ch, np.nan),
    }, schema={"position": pl.Int64, "upper": pl.String, "lower": pl.String, "gap": pl.Float64,
               "criterion": pl.String, "new_weight": pl.Float64, "change": pl.Float64})
    pairs = pairs.with_columns(pl.col("new_weight", "change").fill_nan(None)).with_columns(
        fragile=pl.when(pl.col("change").is_not_null())
        .then(pl.col("change").abs() <= fragile + 1e-12))
    notes.append(_note(f"相邻名次的交换点离现在的权重不超过 {fragile} 即标为“不稳”",
                       f"pairs that swap within {fragile} of a weight are flagged fragile"))
    return WeightStability(crit, pairs, kind, N, tuple(notes))


# --------------------------------------------------------------------------------------------
# Panel reliability
# --------------------------------------------------------------------------------------------

#: Koo & Li (2016): ICC < 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, > 0.9 excellent.
ICC_BANDS = ((0.9, "优秀", "excellent"), (0.75, "良好", "good"), (0.5, "一般", "moderate"),
             (-math.inf, "差", "poor"))
#: Schmidt (1997): W < 0.1 very weak, 0.1–0.3 weak, 0.3–0.5 moderate, 0.5–0.7 strong, ≥ 0.7 very
#: strong agreement on the order of units.
W_BANDS = ((0.7, "很强", "very strong"), (0.5, "强", "strong"), (0.3, "中等", "moderate"),
           (0.1, "弱", "weak"), (-math.inf, "很弱", "very weak"))


def _band(x: float | None, bands: tuple) -> str | None:
    if x is None or not math.isfinite(x):
        return None
    for lo, zh, en in bands:
        if x >= lo:
            return f"{zh} {en}"
    return None  # pragma: no cover


def icc_band(icc: float | None) -> str | None:
    """Plain-language band of an ICC (Koo & Li 2016).

    >>> icc_band(0.62), icc_band(0.91)
    ('一般 moderate', '优秀 excellent')
    """
    return _band(icc, ICC_BANDS)


def kendall_w_band(w: float | None) -> str | None:
    """Plain-language band of Kendall's W (Schmidt 1997).

    >>> kendall_w_band(0.8125)
    '很强 very strong'
    """
    return _band(w, W_BANDS)


@dataclass(frozen=True, eq=False)
class PanelReliability:
    """Agreement of the judges (see :func:`panel_reliability`).

    table : per round, criterion and panel (the set of judges who scored the same units):
        ``round``, ``criterion``, ``name``, ``panel`` (judge ids), ``n_units``, ``n_judges``,
        ``icc2k`` (reliability of the panel mean) with ``icc_band``, ``kendall_w`` with
        ``w_band``; nulls with a reason in ``note`` when it cannot be computed.
    judges : per round, the judges whose leniency stands out: ``round``, ``judge_id``, ``n``,
        ``leniency`` (mean difference from the panel on the same unit and criterion),
        ``robust_z``, ``tendency`` (偏宽 lenient / 偏严 harsh), ``evidence`` (a sentence).
    """

    table: pl.DataFrame
    judges: pl.DataFrame
    notes: tuple[str, ...] = field(default=())


def panel_reliability(lb: Any, *, stand_out: float = 3.5) -> PanelReliability:
    """ICC(2,k) and Kendall's W per round, criterion and judge panel, with plain-language bands,
    and the lenient or harsh judges named with evidence.

    A *panel* is a set of judges who scored the same units in a round (units scored by exactly the
    same judges); ICC needs such a complete table. Judges are flagged when the robust z of their
    leniency (:func:`evaltools.judging.judge_report`) exceeds ``stand_out`` (3.5, Iglewicz &
    Hoaglin) in absolute value.

    Examples
    --------
    >>> from evaltools.robustness import _doctest_board
    >>> pr = panel_reliability(_doctest_board())
    >>> pr.table.select("criterion", "n_units", "n_judges", pl.col("icc2k").round(3), "icc_band")
    shape: (2, 5)
    ┌───────────┬─────────┬──────────┬───────┬────────────────┐
    │ criterion ┆ n_units ┆ n_judges ┆ icc2k ┆ icc_band       │
    │ ---       ┆ ---     ┆ ---      ┆ ---   ┆ ---            │
    │ str       ┆ i64     ┆ i64      ┆ f64   ┆ str            │
    ╞═══════════╪═════════╪══════════╪═══════╪════════════════╡
    │ clean     ┆ 3       ┆ 5        ┆ 0.97  ┆ 优秀 excellent │
    │ tidy      ┆ 3       ┆ 5        ┆ 0.761 ┆ 良好 good      │
    └───────────┴─────────┴──────────┴───────┴────────────────┘
    """
    from evaltools import judging
    from evaltools.scoring import round_numbers

    ds, rubric = lb.dataset, lb.rubric
    scores = getattr(ds, "scores", None)
    jids = [c.id for c in rubric.criteria if c.source == "judges"]
    rounds = round_numbers(ds, rubric) if lb.round == "all" else [lb.round]
    rows: list[dict] = []
    judge_rows: list[pl.DataFrame] = []
    names = {c.id: c.name for c in rubric.criteria}
    schema = {"round": pl.Int64, "criterion": pl.String, "name": pl.String, "panel": pl.String,
              "n_units": pl.Int64, "n_judges": pl.Int64, "icc2k": pl.Float64,
              "icc_band": pl.String, "kendall_w": pl.Float64, "w_band": pl.String,
              "note": pl.String}
    jschema = {"round": pl.Int64, "judge_id": pl.String, "n": pl.Int64, "leniency": pl.Float64,
               "robust_z": pl.Float64, "tendency": pl.String, "evidence": pl.String}
    if scores is None or not jids or not rounds or rounds == [None]:
        return PanelReliability(pl.DataFrame(schema=schema), pl.DataFrame(schema=jschema),
                                (_note("没有评委打分", "no judges' scores"),))
    for rnd in rounds:
        s = (scores.filter((pl.col("round") == rnd) & pl.col("criterion").is_in(jids))
             .select(pl.col("unit_id").cast(pl.String), pl.col("judge_id").cast(pl.String),
                     "criterion", pl.col("score").cast(pl.Float64))
             .drop_nulls("score"))
        panel = s.group_by("unit_id").agg(
            pl.col("judge_id").unique().sort().str.join("、").alias("panel"))
        s = s.join(panel, on="unit_id")
        for (cid, pan), grp in s.group_by("criterion", "panel", maintain_order=True):
            n_units, n_j = grp["unit_id"].n_unique(), grp["judge_id"].n_unique()
            rec = {"round": rnd, "criterion": cid, "name": names[cid], "panel": pan,
                   "n_units": n_units, "n_judges": n_j, "icc2k": None, "icc_band": None,
                   "kendall_w": None, "w_band": None, "note": None}
            if n_units < 3 or n_j < 2:
                rec["note"] = "单位少于 3 个或评委少于 2 人 | fewer than 3 units or 2 judges"
            else:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        icc = judging.icc(grp)
                        w = judging.kendall_w(grp)
                    v = icc.filter(pl.col("form") == "ICC2k")["icc"].item()
                    rec.update(icc2k=v, icc_band=icc_band(v), kendall_w=w.w,
                               w_band=kendall_w_band(w.w))
                except EvalToolsError:
                    rec["note"] = ("评分表不完整（有评委漏打），无法计算 ICC | incomplete table "
                                   "(a judge skipped a unit)")
            rows.append(rec)
        rep = judging.judge_report(s, by=["criterion"])
        flagged = rep.filter(pl.col("robust_z").abs() > stand_out)
        judge_rows.append(flagged.select(
            pl.lit(rnd, pl.Int64).alias("round"), "judge_id", pl.col("n").cast(pl.Int64),
            "leniency", "robust_z",
            pl.when(pl.col("leniency") > 0).then(pl.lit("偏宽 lenient"))
            .otherwise(pl.lit("偏严 harsh")).alias("tendency"),
            pl.format("第{}轮评委 {} 的 {} 个评分平均比同组其他评委{} {} 分（robust z = {}）| "
                      "round {}: judge {}'s {} scores average {} points {} the panel "
                      "(robust z = {})",
                      pl.lit(rnd), "judge_id", "n",
                      pl.when(pl.col("leniency") > 0).then(pl.lit("高")).otherwise(pl.lit("低")),
                      pl.col("leniency").abs().round(2), pl.col("robust_z").round(1),
                      pl.lit(rnd), "judge_id", "n", pl.col("leniency").abs().round(2),
                      pl.when(pl.col("leniency") > 0).then(pl.lit("above"))
                      .otherwise(pl.lit("below")), pl.col("robust_z").round(1)
                      ).alias("evidence")))
    table = pl.DataFrame(rows, schema=schema)
    judges = pl.concat(judge_rows).cast(jschema) if judge_rows else pl.DataFrame(schema=jschema)
    notes = (_note("ICC 取 ICC(2,k)（评委组平均分的信度），分级按 Koo & Li (2016)；Kendall W 分级按 "
                   f"Schmidt (1997)；robust z 绝对值超过 {stand_out} 的评委列出供人工复核",
                   "ICC is ICC(2,k) (reliability of the panel mean), bands per Koo & Li (2016); "
                   f"Kendall's W bands per Schmidt (1997); judges with |robust z| > {stand_out} "
                   "are listed for a person to review"),)
    return PanelReliability(table, judges, notes)


# --------------------------------------------------------------------------------------------
# Doctest data
# --------------------------------------------------------------------------------------------


def _doctest_board() -> Any:
    """Three buildings, five judges, weighted sum on two criteria: A and B trade places on the
    weights, C is dominated by B."""
    from types import SimpleNamespace

    from evaltools.leaderboard import evaluate
    from evaltools.rubric import Criterion, Rubric

    rubric = Rubric(name="示例", criteria=(
        Criterion("clean", "环境卫生", weight=0.5, scale=(0, 10)),
        Criterion("tidy", "楼道整洁", weight=0.5, scale=(0, 10))),
        method="weighted_sum", judge_aggregate="mean", min_judges=1)
    clean = {"A": [9, 9, 8, 9, 9.5], "B": [6, 7, 6, 5, 7], "C": [5, 6, 5, 4, 6]}
    tidy = {"A": [7, 8, 7, 8, 7.9], "B": [9, 9, 7, 9, 8], "C": [7, 8, 7, 7, 7.5]}
    units, judges, crits, vals = [], [], [], []
    for cid, table in (("clean", clean), ("tidy", tidy)):
        for u, xs in table.items():
            units += [u] * 5
            judges += [f"J{i}" for i in range(1, 6)]
            crits += [cid] * 5
            vals += [float(x) for x in xs]
    scores = pl.DataFrame({"round": 1, "unit_id": units, "judge_id": judges, "criterion": crits,
                           "score": vals})
    ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
    return evaluate(ds)


Method = Literal["points", "weighted_sum", "weighted_product", "topsis", "vikor"]
