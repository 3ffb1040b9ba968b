"""One round's weight-independent parts laid out as arrays, for re-weighting without re-aggregating (the weight explorer, robustness)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import polars as pl

from evaltools.errors import RubricError, UsageError
from evaltools.rubric import Rubric
from evaltools.scoring.common import problem
from evaltools.scoring.methods import mcda_matrix, mcda_scores, mcda_setup
from evaltools.scoring.points import (
    criteria_frame,
    deductions_by_criterion,
    unit_adjustments,
)
from evaltools.scoring.rounds import criterion_blocks, score_round, values_key

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

# --------------------------------------------------------------------------------------------
# re-weighting: one round's weight-independent parts as arrays


@dataclass(frozen=True, eq=False)
class ReweightModel:
    """One scored round's weight-independent parts as arrays, for scoring it again with other
    weights without the long tables (the weight explorer's slider, robustness's weight samples).

    Rows are the participants sorted by ``unit_id`` (the order of ``RoundResult.units``),
    columns the rubric's criteria in order. Built by :func:`reweight_model`;
    :meth:`units` gives what :func:`score_round` gives as ``RoundResult.units`` for a rubric
    that differs from the model's only in weights (``weight``, ``max_points``): the same
    elementwise operations on the same values, the same polars horizontal sums, the same
    :mod:`evaltools.mcda` kernel on the same matrix, so the totals are the same numbers.

    Attributes
    ----------
    round : the round (int or None). method : the rubric's method.
    unit_ids : participants, sorted (String Series). criteria : criterion ids.
    values : (m, n) aggregated values (missing ones filled by the rubric's policy).
    filled : (m, n) whether a value was filled.
    high : (n,) the value earning full points. NaN: the value is already in points (MCDA
        methods); the points method puts the rubric's ``max_points`` there (so a weight change
        converts such values from their 0–max scale, as ``Leaderboard.with_weights`` does).
    is_min : (n,) criteria whose direction is ``min``.
    criterion_deductions : (m, n) deductions taken from each criterion (points method).
    total_deductions, bonuses : (m,) deductions from the total and bonuses (points method).
    fixed : ``unit_id``, ``disqualified``, ``forced_grade``, ``n_judges``, ``n_cards`` (they do
        not depend on weights).
    blocks : whether the round's values form full criterion blocks (how ``score_round`` then
        sums them); :meth:`units` needs it.
    """

    round: int | None
    method: str
    unit_ids: pl.Series
    criteria: tuple[str, ...]
    values: np.ndarray
    filled: np.ndarray
    high: np.ndarray
    is_min: np.ndarray
    criterion_deductions: np.ndarray
    total_deductions: np.ndarray
    bonuses: np.ndarray
    fixed: pl.DataFrame
    blocks: bool
    #: MCDA: the method's input matrix as ``score_round`` builds it (its row order), the
    #: normalised values (m, n) in ``unit_ids`` order and, per unit, its row in the matrix
    matrix: pl.DataFrame | None = None
    normalized: np.ndarray | None = None
    matrix_rows: np.ndarray | None = None

    def _check(self, rubric: Rubric) -> None:
        if rubric.method != self.method or tuple(rubric.criterion_ids) != self.criteria:
            raise UsageError(problem(
                "model_mismatch", "重新计权的模型与评分细则的方法或指标不一致",
                "the re-weighting model was built for another method or other criteria",
                value=rubric.method))

    def points(self, rubric: Rubric, rows: np.ndarray | slice = slice(None),
               ) -> tuple[np.ndarray, np.ndarray]:
        """The points method's criterion points after deductions and the deductions taken, both
        (rows, n), with ``rubric``'s ``max_points`` (as ``score_round``'s ``score_points``)."""
        V, D = self.values[rows], self.criterion_deductions[rows]
        pts, ded = np.empty(V.shape, order="F"), np.empty(V.shape, order="F")
        for j, c in enumerate(rubric.criteria):  # a loop over criteria
            if c.max_points is None:
                raise RubricError(problem(
                    "max_points_missing", f"计分方法 points 需要每个指标的满分 max_points，缺少：{c.id}",
                    f"method 'points' needs max_points for every criterion; missing for {c.id}",
                    column="max_points"))
            mp = float(c.max_points)
            with np.errstate(divide="ignore", invalid="ignore"):  # as polars: inf / NaN
                share = V[:, j] / (mp if np.isnan(self.high[j]) else self.high[j])
                raw = ((1.0 - share) if self.is_min[j] else share) * mp
                np.fmax(raw - D[:, j], 0.0, out=pts[:, j])  # NaN-ignoring, as polars
                np.subtract(raw, pts[:, j], out=ded[:, j])
        return pts, ded

    def contributions(self, weights: dict[str, float], rows: np.ndarray | slice = slice(None),
                      ) -> np.ndarray:
        """MCDA: the criterion columns, weight × normalised × 100, (rows, n)."""
        w = np.array([weights[c] for c in self.criteria])
        assert self.normalized is not None  # an MCDA model always has its normalised values
        return self.normalized[rows] * w * 100.0

    def units(self, rubric: Rubric) -> pl.DataFrame:
        """``score_round(dataset, rubric, round).units`` for ``rubric`` (same method, criteria
        and everything else as the model's rubric; other weights)."""
        self._check(rubric)
        ids = list(self.criteria)
        if self.method == "points":
            pts, ded = self.points(rubric)
            cols = pl.DataFrame({c: pts[:, j] for j, c in enumerate(ids)})
            sums = pl.DataFrame({c: ded[:, j] for j, c in enumerate(ids)})
            psum = cols.select(pl.sum_horizontal(ids)).to_series().to_numpy()
            csum = sums.select(pl.sum_horizontal(ids)).to_series().to_numpy()
            tded = self.total_deductions
            # fmax / fmin ignore NaN like polars' max_horizontal / min_horizontal
            total = np.fmax(psum - tded, 0.0) + self.bonuses
            deductions = csum + np.fmin(tded, psum)
            score: pl.Expr | pl.Series = pl.lit(None, pl.Float64)
            bonuses = self.bonuses
        else:
            # an MCDA model always has its matrix and the units' rows in it
            assert self.matrix is not None and self.matrix_rows is not None
            weights, norm = mcda_setup(rubric, [])
            per_unit, _ = mcda_scores(self.matrix, rubric, weights, norm, [], normalized=False)
            cols = pl.DataFrame({c: col for c, col in zip(
                ids, self.contributions(weights).T, strict=True)})
            total = per_unit["total"].to_numpy()[self.matrix_rows]
            score = per_unit["score"].gather(self.matrix_rows)
            deductions = np.zeros(len(self.unit_ids))
            bonuses = self.bonuses
        return cols.with_columns(
            self.unit_ids.alias("unit_id"),
            pl.Series("deductions", deductions), pl.Series("bonuses", bonuses),
            pl.Series("total", total), score.alias("score"),
        ).hstack(self.fixed.drop("unit_id")).select(
            "unit_id", *ids, "deductions", "bonuses", "total", "score",
            "disqualified", "forced_grade", "n_judges", "n_cards")

    def shares(self, rubric: Rubric, rows: np.ndarray, criteria: list[str]) -> pl.DataFrame:
        """``RoundResult.values``' ``share`` (of full marks, for star rules) for the units at
        ``rows`` and ``criteria``: long form ``unit_id``, ``criterion``, ``share``."""
        self._check(rubric)
        idx = [self.criteria.index(c) for c in criteria]
        if self.method == "points":
            pts, _ = self.points(rubric, rows)
            with np.errstate(divide="ignore", invalid="ignore"):
                # points() above raised for a criterion without max_points
                cols = [pts[:, j] / float(cast(float, rubric.criteria[j].max_points))
                        for j in idx]
        else:
            assert self.normalized is not None  # an MCDA model always has its normalised values
            cols = []
            for j in idx:  # a loop over criteria
                c = rubric.criteria[j]
                high = self.high[j] if not np.isnan(self.high[j]) else (
                    np.nan if c.max_points is None else float(c.max_points))
                if np.isnan(high):
                    cols.append(self.normalized[rows, j])
                    continue
                full = self.values[rows, j] / high
                cols.append(1.0 - full if self.is_min[j] else full)
        ids = self.unit_ids.gather(rows)
        return pl.DataFrame({
            "unit_id": pl.concat([ids] * len(idx)) if idx else ids.clear(),
            "criterion": np.repeat(np.array(criteria, dtype=object), len(ids)).tolist()
            if idx else [],
            "share": np.concatenate(cols) if idx else np.array([]),
        }, schema={"unit_id": pl.String, "criterion": pl.String, "share": pl.Float64})


def reweight_model(dataset: Dataset, rubric: Rubric, rnd: int | None, *,
                   cache: dict | None = None) -> ReweightModel:
    """A :class:`ReweightModel` of round ``rnd`` scored with ``rubric`` (from ``cache`` when
    ``score_round`` already filled it; it is filled otherwise).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> lb = two_buildings()
    >>> model = reweight_model(lb.dataset, lb.rubric, lb.round)
    >>> model.values.tolist()
    [[9.0, 10.0], [8.0, 8.0]]
    >>> import dataclasses
    >>> crit = tuple(dataclasses.replace(c, max_points=50.0) for c in lb.rubric.criteria)
    >>> model.units(dataclasses.replace(lb.rubric, criteria=crit))["total"].to_list()
    [95.0, 80.0]
    """
    cache = {} if cache is None else cache
    res = score_round(dataset, rubric, rnd, cache=cache)
    values = cache[values_key(rubric, rnd)][0]
    ids = list(rubric.criterion_ids)
    units = res.units.select("unit_id")
    unit_ids = units["unit_id"]
    m = unit_ids.len()
    def wide(col: str) -> pl.DataFrame:
        return units.join(values.pivot(on="criterion", index="unit_id", values=col),
                          on="unit_id", how="left", maintain_order="left")

    # column-major: the per-criterion loops below read whole columns
    V = np.asfortranarray(wide("value").select(pl.col(ids).cast(pl.Float64)).to_numpy())
    filled = wide("filled").select(pl.col(ids).fill_null(True)).to_numpy()
    crit = criteria_frame(rubric, values)
    high = crit["high"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    if rubric.method == "points":  # values already in points: on the 0–max_points scale
        high = np.where(np.isnan(high), crit["max_points"].cast(pl.Float64)
                        .fill_null(np.nan).to_numpy(), high)
    is_min = np.array([c.direction == "min" for c in rubric.criteria])
    D = np.zeros((m, len(ids)), order="F")
    per = deductions_by_criterion(res.adjustments)
    if rubric.method == "points" and per.height:
        row = units.with_row_index("_r")
        per = per.join(row, on="unit_id", how="inner").with_columns(
            _c=pl.col("criterion").replace_strict(ids, list(range(len(ids))), default=None,
                                                  return_dtype=pl.Int64)).drop_nulls("_c")
        D[per["_r"].to_numpy(), per["_c"].to_numpy()] = per["_ded"].to_numpy()
    money = units.join(unit_adjustments(res.adjustments), on="unit_id", how="left",
                       maintain_order="left").with_columns(pl.col("_tded", "bonuses")
                                                           .fill_null(0.0))
    fixed = res.units.select("unit_id", "disqualified", "forced_grade", "n_judges", "n_cards")
    blocks = criterion_blocks(res.values, ids) is not None
    matrix: pl.DataFrame | None = None
    normalized: np.ndarray | None = None
    rows: np.ndarray | None = None
    if rubric.method != "points":
        weights, norm = mcda_setup(rubric, [])
        matrix = mcda_matrix(values, ids)
        _, norm_frame = mcda_scores(matrix, rubric, weights, norm, [])
        assert norm_frame is not None  # mcda_scores returns it with normalized=True
        where = matrix.select("unit_id").with_row_index("_r")
        row_of = units.join(where, on="unit_id", how="left", maintain_order="left")["_r"]
        if row_of.null_count():
            raise UsageError(problem("model_mismatch", "MCDA 矩阵缺少参评单位",
                                      "units missing from the MCDA matrix"))
        rows = row_of.to_numpy().astype(np.int64)

        normalized = np.asfortranarray(norm_frame.select(ids).to_numpy().astype(float)[rows])
    return ReweightModel(
        round=rnd, method=rubric.method, unit_ids=unit_ids, criteria=tuple(ids), values=V,
        filled=filled, high=high, is_min=is_min, criterion_deductions=D,
        total_deductions=money["_tded"].cast(pl.Float64).to_numpy(),
        bonuses=money["bonuses"].cast(pl.Float64).to_numpy(), fixed=fixed, blocks=blocks,
        matrix=matrix, normalized=normalized, matrix_rows=rows)
