"""Panel reliability (:func:`panel_reliability`).

ICC(2,k) and Kendall's W per round, criterion and judge panel, with plain-language bands
(:func:`icc_band`, :func:`kendall_w_band`) and the judges whose leniency stands out.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from evaltools.errors import EvalToolsError
from evaltools.robustness._model import note

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["PanelReliability", "icc_band", "kendall_w_band", "panel_reliability"]


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


def panel_reliability(lb: Leaderboard, *, stand_out: float = 3.5) -> PanelReliability:
    """ICC(2,k) and Kendall's W per round, criterion and judge panel, with plain-language bands,
    and the lenient or harsh judges named with evidence.

    A *panel* is a set of judges who scored the same units in a round (units scored by exactly the
    same judges); ICC needs such a complete table. Judges are flagged when the robust z of their
    leniency (:func:`evaltools.judging.judge_report`) exceeds ``stand_out`` (3.5, Iglewicz &
    Hoaglin) in absolute value.

    Examples
    --------
    >>> from evaltools.examples import three_buildings
    >>> pr = panel_reliability(three_buildings())
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
    jschema = pl.Schema({"round": pl.Int64(), "judge_id": pl.String(), "n": pl.Int64(),
                         "leniency": pl.Float64(), "robust_z": pl.Float64(),
                         "tendency": pl.String(), "evidence": pl.String()})
    if scores is None or not jids or not rounds or rounds == [None]:
        return PanelReliability(pl.DataFrame(schema=schema), pl.DataFrame(schema=jschema),
                                (note("没有评委打分", "no judges' scores"),))
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
    notes = (note("ICC 取 ICC(2,k)（评委组平均分的信度），分级按 Koo & Li (2016)；Kendall W 分级按 "
                   f"Schmidt (1997)；robust z 绝对值超过 {stand_out} 的评委列出供人工复核",
                   "ICC is ICC(2,k) (reliability of the panel mean), bands per Koo & Li (2016); "
                   f"Kendall's W bands per Schmidt (1997); judges with |robust z| > {stand_out} "
                   "are listed for a person to review"),)
    return PanelReliability(table, judges, notes)
