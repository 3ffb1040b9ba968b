"""Step 3 for the MCDA methods: the unit × criterion matrix handed to :mod:`evaltools.mcda` with the rubric's weights."""

from __future__ import annotations

import warnings

import polars as pl

from evaltools import labels
from evaltools.errors import UsageError
from evaltools.rubric import Rubric
from evaltools.scoring.common import DEFAULT_NORMALIZATION, note, problem
from evaltools.scoring.points import criteria_frame


def mcda_weights(rubric: Rubric, notes: list[str]) -> dict[str, float]:
    """The weights handed to the MCDA method: ``weight``, else ``max_points``, else equal."""
    ws = [c.weight for c in rubric.criteria]
    if any(w is not None for w in ws):
        if any(w is None for w in ws):
            none = ", ".join(c.id for c in rubric.criteria if c.weight is None)
            none_zh = "、".join(c.name for c in rubric.criteria if c.weight is None)
            notes.append(note(f"指标 {none_zh} 没有权重，按 0 计",
                              f"criteria {none} have no weight: 0"))
        return {c.id: float(c.weight or 0.0) for c in rubric.criteria}
    if all(c.max_points is not None for c in rubric.criteria):
        notes.append(note("评分细则没有权重，按各指标满分的比例作为权重",
                           "no weights in the rubric: max_points used as weights"))
        return {c.id: float(c.max_points) for c in rubric.criteria}
    notes.append(note("评分细则没有权重，各指标等权", "no weights in the rubric: equal weights"))
    return {c.id: 1.0 for c in rubric.criteria}


def mcda_setup(rubric: Rubric, notes: list[str]) -> tuple[dict[str, float], str]:
    """The MCDA method's weights (normalised to sum 1, in criterion order) and normalisation."""
    method = rubric.method
    norm = rubric.normalization or DEFAULT_NORMALIZATION[method]
    raw_w = mcda_weights(rubric, notes)
    total_w = sum(raw_w.values())
    if total_w <= 0:
        raise UsageError(problem(
            "zero_weights", "所有指标的权重都是 0，无法计算", "all criterion weights are zero",
            fix_zh="至少给一个指标正的权重", fix_en="give at least one criterion a positive weight"))
    weights = {k: v / total_w for k, v in raw_w.items()}
    if abs(total_w - 1.0) > 1e-9:
        shown = "、".join(f"{k} {v:.4g}" for k, v in weights.items())
        shown_zh = "、".join(f"{labels.criterion_name(rubric, k)} {v:.4g}"
                             for k, v in weights.items())
        notes.append(note(f"权重之和为 {total_w:g}，已按比例换算为和为 1：{shown_zh}",
                           f"weights summed to {total_w:g} and were renormalised to sum 1: "
                           f"{shown}"))
    return weights, norm


def mcda_matrix(values: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """The unit × criterion matrix of aggregated values handed to the MCDA method."""
    return values.pivot(on="criterion", index="unit_id", values="value").select("unit_id", *ids)


def mcda_scores(matrix: pl.DataFrame, rubric: Rubric, weights: dict[str, float], norm: str,
                 notes: list[str], *, normalized: bool = True,
                 ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Run the rubric's MCDA method on ``matrix``: per unit (matrix row order) ``unit_id``,
    ``total`` (score × 100; VIKOR (1 − Q) × 100) and ``score`` (the method's own: VIKOR's Q),
    and, with ``normalized``, the normalised matrix. Warnings become notes."""
    from evaltools import mcda

    method = rubric.method
    criteria = {c.id: c.direction for c in rubric.criteria}
    norm_frame = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "weighted_sum":
            res = mcda.weighted_sum(matrix, criteria, weights, normalization=norm,
                                     id_col="unit_id")
            score = pl.col("score")
        elif method == "weighted_product":
            res = mcda.weighted_product(matrix, criteria, weights, normalization=norm,
                                         id_col="unit_id")
            score = pl.col("score")
        elif method == "topsis":
            res = mcda.topsis(matrix, criteria, weights, normalization=norm, id_col="unit_id")
            score = pl.col("score")
        else:
            res = mcda.vikor(matrix, criteria, weights, id_col="unit_id")
            score = 1.0 - pl.col("Q")
            notes.append(note("多准则妥协排序法的折衷值越小越好，总分取 (1 − 折衷值) × 100",
                               "VIKOR's Q is lower-better: total = (1 − Q) × 100"))
        if normalized:
            norm_frame = mcda.normalize(matrix, criteria, method=norm, id_col="unit_id")
    for w in caught:
        notes.append(str(w.message))
    per_unit = res.select("unit_id", (score * 100.0).alias("total"),
                          pl.col("score" if method != "vikor" else "Q").alias("score"))
    return per_unit, norm_frame


def score_mcda(values: pl.DataFrame, rubric: Rubric, notes: list[str]) -> tuple[pl.DataFrame,
                                                                            pl.DataFrame]:
    """Run the rubric's MCDA method: (values with normalised/weight/contribution, per-unit score)."""
    method = rubric.method
    ids = list(rubric.criterion_ids)
    weights, norm = mcda_setup(rubric, notes)
    matrix = mcda_matrix(values, ids)
    per_unit, normalized = mcda_scores(matrix, rubric, weights, norm, notes)
    long_norm = normalized.unpivot(index="unit_id", on=ids, variable_name="criterion",
                                   value_name="normalized")
    wframe = pl.DataFrame({"criterion": ids, "weight": [weights[i] for i in ids]})
    # share of full marks (for star rules), as in the points method; the normalised value when
    # the criterion has neither a scale nor max points
    crit = criteria_frame(rubric, values)
    full = pl.col("value") / pl.coalesce("high", "max_points")
    vals = (
        values.join(long_norm, on=["unit_id", "criterion"], how="left")
        .join(wframe, on="criterion", how="left")
        .join(crit, on="criterion", how="left")
        .with_columns(points_raw=pl.col("normalized") * pl.col("weight") * 100.0)
        .with_columns(points=pl.col("points_raw"), deduction=pl.lit(0.0),
                      share=pl.when(full.is_null()).then(pl.col("normalized"))
                      .when(pl.col("is_min")).then(1.0 - full).otherwise(full))
    )
    notes.append(note(
        f"计分方法：{labels.method_zh(method)}，标准化：{labels.normalization_zh(norm)}；"
        "指标列为 权重 × 标准化值 × 100"
        + ("，合计即总分" if method == "weighted_sum" else "（该方法的总分不是各列之和）"),
        f"method {method}, normalisation {norm}; criterion columns show weight × normalised × 100"
        + (", which sum to the total" if method == "weighted_sum"
           else " (this method's total is not their sum)"),
    ))
    return vals, per_unit
