"""The leaderboard (榜单): :func:`evaluate` and the immutable :class:`Leaderboard`.

``evaluate(dataset, rubric)`` runs the scoring pipeline of :mod:`evaltools.scoring` for one round,
ranks the units with :func:`evaltools.ranking.rank` (the rubric's ties rule and tie-breakers, on
*unrounded* totals), labels ranks (第1名 / 并列第2名 / 取消资格), compares with the previous round
(▲2 / ▼1 / — / 新上榜), rounds published numbers (四舍五入 to ``rubric.digits``) and gives grades
and stars. The result is frozen: ``with_weights`` / ``with_method`` / ``with_ties`` re-evaluate and
return a *new* Leaderboard, and ``explain(unit_id)`` shows how one unit's total was built.

Rounds: ``round=None`` is the latest round of the judges' scores; an int picks a round;
``"all"`` averages each unit's per-round results over the rounds it took part in (a veto in any
round counts; no movement). Rubrics without judges criteria have no rounds (``round`` is None).

Examples
--------
Two buildings, one judge panel of three, a 60 + 40 points rubric (scores out of 10):

>>> import polars as pl
>>> from types import SimpleNamespace
>>> from evaltools.rubric import Criterion, GradeBand, Rubric
>>> rubric = Rubric(name="楼栋评比", criteria=(
...     Criterion("clean", "环境卫生", max_points=60, scale=(0, 10)),
...     Criterion("tidy", "楼道整洁", max_points=40, scale=(0, 10))),
...     judge_aggregate="mean", grades=(GradeBand("优秀", 90), GradeBand("合格", 60)))
>>> scores = pl.DataFrame({
...     "round": 1, "unit_id": ["A"] * 6 + ["B"] * 6, "judge_id": ["J1", "J2", "J3"] * 4,
...     "criterion": (["clean"] * 3 + ["tidy"] * 3) * 2,
...     "score": [9.0, 9, 9, 10, 10, 10, 7, 8, 9, 8, 8, 8]})
>>> ds = SimpleNamespace(scores=scores, units=None, ratings=None, deductions=None, rubric=rubric)
>>> lb = evaluate(ds)
>>> lb.table.select("rank_label", "unit_id", "total", "grade", "clean", "tidy")
shape: (2, 6)
┌────────────┬─────────┬───────┬───────┬───────┬──────┐
│ rank_label ┆ unit_id ┆ total ┆ grade ┆ clean ┆ tidy │
│ ---        ┆ ---     ┆ ---   ┆ ---   ┆ ---   ┆ ---  │
│ str        ┆ str     ┆ f64   ┆ str   ┆ f64   ┆ f64  │
╞════════════╪═════════╪═══════╪═══════╪═══════╪══════╡
│ 第1名      ┆ A       ┆ 94.0  ┆ 优秀  ┆ 54.0  ┆ 40.0 │
│ 第2名      ┆ B       ┆ 80.0  ┆ 合格  ┆ 48.0  ┆ 32.0 │
└────────────┴─────────┴───────┴───────┴───────┴──────┘
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from evaltools import labels, scoring
from evaltools.errors import EvalToolsError, Problem, UsageError
from evaltools.rubric import Rubric
from evaltools.scoring.board import (
    RoundArg,
    evaluate_rounds,
    label_ranks,
    rank_units,
    reweighted_rubric,
    table_rows,
    unit_info,
)

if TYPE_CHECKING:
    from evaltools.dataset import Dataset

__all__ = ["Leaderboard", "Reweighting", "evaluate"]

#: Chinese headers of the fixed columns of ``Leaderboard.table`` (criteria use their names).
TABLE_LABELS = {
    "rank": "名次", "rank_label": "排名", "unit_id": "单位编号", "name": "名称", "street": "街道",
    "community": "社区", "total": "总分", "grade": "等级", "stars": "星级", "deductions": "扣分",
    "bonuses": "加分", "n_cards": "点评卡数", "n_judges": "评委人数", "movement": "名次变化",
    "previous_rank": "上轮名次", "disqualified": "取消资格", "total_unrounded": "未取舍总分",
    # added by Leaderboard.with_uncertainty (evaltools.robustness)
    "median_rank": "名次中位数", "rank_lower": "名次区间下限", "rank_upper": "名次区间上限",
    "p_first": "第一名概率", "p_top_k": "前几名概率", "rank_interval": "名次（区间）",
}



@dataclass(frozen=True, repr=False, eq=False)  # its own __repr__
class Leaderboard:
    """A ranked, explained leaderboard for one round. Immutable: ``with_*`` return new objects.

    Attributes
    ----------
    table : one row per unit in rank order (disqualified units last): ``rank``, ``rank_label``
        (第1名 / 并列第2名 / 取消资格), ``unit_id``, ``name``, ``street``, ``community``,
        ``total`` (published, rounded per the rubric), ``grade``, ``stars`` (0–5), one column per
        criterion id (points; weighted contribution × 100 for MCDA methods), ``deductions``,
        ``bonuses``, ``n_cards``, ``n_judges``, ``movement`` (▲2 / ▼1 / — / 新上榜; null without a
        previous round), ``previous_rank``, ``disqualified``, ``total_unrounded`` (ranked on).
    values : long form, unit × criterion: ``raw`` judge scores, ``rule``, aggregated ``value``,
        ``normalized``, ``weight`` (max points or normalised weight), ``points_raw``,
        ``deduction``, ``points`` (contribution), unrounded.
    adjustments : deductions (扣分), bonuses (加分) and vetoes (否决) found, per unit and item.
    notes : decisions taken, each "中文 | English" (fallbacks, fills, weights, 满意率 definition).
    rubric, dataset : what was evaluated. round : the round (int), "all" or None.
    previous_round : the round movement is measured against, or None.
    """

    table: pl.DataFrame
    values: pl.DataFrame
    adjustments: pl.DataFrame
    notes: tuple[str, ...]
    rubric: Rubric
    dataset: Dataset
    round: RoundArg
    previous_round: int | None = None
    #: weight-independent intermediate results for ``dataset`` (see ``scoring.score_round``),
    #: shared by the leaderboards derived with ``with_*`` so a weight change skips aggregation.
    _cache: dict = field(default_factory=dict, repr=False)

    def _replace(self, **changes: Any) -> Leaderboard:
        return dataclasses.replace(self, **changes)

    # ---- re-evaluation ------------------------------------------------------------------
    def with_weights(self, weights: dict[str, float]) -> Leaderboard:
        """A new leaderboard with criterion weights changed (criteria not named keep theirs).

        For MCDA methods the weights go to the method (normalised to sum 1). For the ``points``
        method, the weights re-divide the same total of ``max_points`` among the criteria
        (criteria not named keep their current ``max_points`` as weight); the notes say so.

        Examples
        --------
        >>> from evaltools.examples import two_buildings
        >>> lb = two_buildings()
        >>> lb2 = lb.with_weights({"clean": 1, "tidy": 1})
        >>> lb.table["total"].to_list(), lb2.table["total"].to_list()
        ([94.0, 80.0], [95.0, 80.0])
        """
        rubric, notes = reweighted_rubric(self.rubric, weights)
        lb = evaluate(self.dataset, rubric, round=self.round, cache=self._cache)
        return lb._replace(notes=lb.notes + notes)

    def with_method(self, method: str, normalization: str | None = None) -> Leaderboard:
        """A new leaderboard computed with another method (points | weighted_sum |
        weighted_product | topsis | vikor) and optionally another normalisation.

        Examples
        --------
        >>> from evaltools.examples import two_buildings
        >>> lb = two_buildings().with_method("weighted_sum")
        >>> lb.rubric.method, lb.table["unit_id"].to_list()
        ('weighted_sum', ['A', 'B'])
        """
        if method not in scoring.METHODS:
            raise UsageError.choice("method", method, scoring.METHODS)
        return evaluate(self.dataset, self.rubric.with_method(method, normalization),
                        round=self.round, cache=self._cache)

    def with_ties(self, ties: str, tie_breakers: tuple[str, ...] | list[str] | None = None,
                  ) -> Leaderboard:
        """A new leaderboard with another ties rule (min | dense | ordinal | average) and,
        optionally, other tie-breakers (criterion ids or "total")."""
        from evaltools import ranking

        if ties not in ranking.TIES:
            raise UsageError.choice("ties", ties, ranking.TIES)
        changes: dict[str, Any] = {"ties": ties}
        if tie_breakers is not None:
            changes["tie_breakers"] = tuple(tie_breakers)
        return evaluate(self.dataset, dataclasses.replace(self.rubric, **changes),
                        round=self.round, cache=self._cache)

    def with_uncertainty(self, *, replicates: int = 1000, seed: int | None = None,
                         level: float = 0.95, top_k: int = 3,
                         progress: bool | None = None, cancel: Any = None) -> Leaderboard:
        """A new leaderboard whose table carries bootstrap rank intervals, so it can show
        "第3名（95%区间 2–5）": ``median_rank``, ``rank_lower``, ``rank_upper``, ``p_first``,
        ``p_top_k`` and ``rank_interval``. Thin wrapper of
        :func:`evaltools.robustness.rank_intervals` (see it for the method); its notes are added.

        Examples
        --------
        >>> from evaltools.examples import three_buildings
        >>> lb = three_buildings().with_uncertainty(replicates=200, seed=1, progress=False)
        >>> lb.table["rank_interval"].to_list()
        ['第1名（95%区间 1–2）', '第2名（95%区间 1–2）', '第3名（95%区间 3–3）']
        """
        from evaltools.robustness import rank_intervals

        ri = rank_intervals(self, replicates=replicates, seed=seed, level=level, top_k=top_k,
                            progress=progress, cancel=cancel)
        cols = ["median_rank", "rank_lower", "rank_upper", "p_first", "p_top_k", "rank_interval"]
        table = self.table.drop(cols, strict=False).join(
            ri.table.select("unit_id", *cols), on="unit_id", how="left", maintain_order="left")
        return self._replace(table=table, notes=tuple(dict.fromkeys([*self.notes, *ri.notes])))

    # ---- reading ------------------------------------------------------------------------
    def labelled_table(self) -> pl.DataFrame:
        """``table`` with the Chinese headers people read (名次, 单位编号, 总分, 环境卫生 …).

        Examples
        --------
        >>> from evaltools.examples import two_buildings
        >>> two_buildings().labelled_table().columns[:8]
        ['名次', '排名', '单位编号', '名称', '街道', '社区', '总分', '等级']
        """
        names = {**TABLE_LABELS, **{c.id: c.name for c in self.rubric.criteria}}
        if len(set(names.values())) < len(names):  # a criterion named like a fixed column
            names.update({c.id: f"{c.name}（指标）" for c in self.rubric.criteria})
        return self.table.rename({c: names[c] for c in self.table.columns if c in names})

    def round_text(self) -> str:
        """The round as people read it: 第3轮 / 各轮平均; for a one-off competition (no file gave a
        round) the rubric's ``period`` (2021年第三季度, or '' without one), never an invented 第1轮.

        Examples
        --------
        >>> from evaltools.examples import two_buildings
        >>> two_buildings().round_text()
        '第1轮'
        """
        provenance = getattr(self.dataset, "provenance", None) or {}
        if provenance.get("round_given") is False:
            return self.rubric.period or ""
        if self.round == "all":
            return "各轮平均"
        if isinstance(self.round, int):
            return f"第{self.round}轮"
        return ""

    def top(self, n: int = 10) -> pl.DataFrame:
        """Units ranked ``n`` or better (a tie at the boundary keeps everyone tied)."""
        return self.table.filter(pl.col("rank") <= n)

    def explain(self, unit_id: str) -> pl.DataFrame:
        """How ``unit_id``'s total was built, one readable row per step (Chinese headers).

        Rows: each criterion (judges' raw scores, aggregate rule, aggregated value, normalised
        value, max points or weight, points before and after deductions), then deductions from
        the total, bonuses, vetoes, and the final total. For the ``points`` and ``weighted_sum``
        methods the 得分 column of all rows but the last adds up to the last (总分, unrounded).

        Examples
        --------
        >>> from evaltools.examples import two_buildings
        >>> ex = two_buildings().explain("B")
        >>> ex.select("项目", "评委打分", "汇总值", "得分")
        shape: (3, 4)
        ┌──────────┬──────────┬────────┬──────┐
        │ 项目     ┆ 评委打分 ┆ 汇总值 ┆ 得分 │
        │ ---      ┆ ---      ┆ ---    ┆ ---  │
        │ str      ┆ str      ┆ f64    ┆ f64  │
        ╞══════════╪══════════╪════════╪══════╡
        │ 环境卫生 ┆ 7, 8, 9  ┆ 8.0    ┆ 48.0 │
        │ 楼道整洁 ┆ 8, 8, 8  ┆ 8.0    ┆ 32.0 │
        │ 总分     ┆ null     ┆ null   ┆ 80.0 │
        └──────────┴──────────┴────────┴──────┘
        """
        row = self.table.filter(pl.col("unit_id") == str(unit_id))
        if row.height == 0:
            known = self.table["unit_id"].head(10).to_list()
            raise EvalToolsError(Problem(
                None, None, "unit_id", unit_id, "unknown_unit",
                "榜单中没有这个单位", "this unit is not on the leaderboard",
                f"可用的单位编号例如：{'、'.join(known)}",
                f"known unit ids include {known}"))
        return _explain(self, str(unit_id), row)

    # ---- publishing (evaltools.publish) --------------------------------------------------
    def write_html(self, path: Any, **options: Any) -> Any:
        """Write the offline 公示 page; see :func:`evaltools.publish.write_html`."""
        from evaltools import publish

        return publish.write_html(self, path, **options)

    def write_excel(self, path: Any, **options: Any) -> Any:
        """Write the Excel workbook; see :func:`evaltools.publish.write_excel`."""
        from evaltools import publish

        return publish.write_excel(self, path, **options)

    def write_csv(self, path: Any) -> Any:
        """Write the leaderboard as CSV (UTF-8 with BOM); see :func:`evaltools.publish.write_csv`."""
        from evaltools import publish

        return publish.write_csv(self, path)

    def __repr__(self) -> str:
        t = self.table
        head = [f"{label} {name} {total:.{self.rubric.digits}f}" if total is not None
                else f"{label} {name}" for label, name, total in t.head(3).select(
                    "rank_label", pl.coalesce("name", "unit_id"), "total").iter_rows()]
        rnd = "" if self.round is None else f", round={self.round!r}"
        return (f"Leaderboard({self.rubric.name!r}, method={self.rubric.method}{rnd}, "
                f"units={t.height}: {'; '.join(head)}{' …' if t.height > 3 else ''})")


class Reweighting:
    """A leaderboard re-weighted fast, for the weight explorer's slider: every unit's total
    and rank for new weights from arrays, table rows built for the top ranks only.

    ``Reweighting(lb).top(weights, n)`` is ``lb.with_weights(weights).top(n)`` — the same rows,
    ranks (ties, tie-breakers, 并列), published totals, grades, stars and movement — without
    building the other rows: the round's weight-independent parts (aggregated values,
    deductions found, vetoes, counts) are laid out once as a
    :class:`~evaltools.scoring.ReweightModel` (and one for the previous round, for movement);
    a weight change is then a few array operations per criterion (or one MCDA kernel call) and
    one ranking of the totals. Not for ``round="all"`` leaderboards (:meth:`supports`).

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> lb = two_buildings()
    >>> fast = Reweighting(lb)
    >>> fast.top({"clean": 1, "tidy": 1}, 1).select("rank_label", "unit_id", "total")
    shape: (1, 3)
    ┌────────────┬─────────┬───────┐
    │ rank_label ┆ unit_id ┆ total │
    │ ---        ┆ ---     ┆ ---   │
    │ str        ┆ str     ┆ f64   │
    ╞════════════╪═════════╪═══════╡
    │ 第1名      ┆ A       ┆ 95.0  │
    └────────────┴─────────┴───────┘
    >>> fast.top({"clean": 1, "tidy": 1}, 1).equals(lb.with_weights({"clean": 1, "tidy": 1}).top(1))
    True
    """

    def __init__(self, board: Leaderboard) -> None:
        if not self.supports(board):
            raise UsageError(Problem(
                None, None, "round", board.round, "reweighting_all_rounds",
                "各轮平均的榜单不能快速重新计权，请用 with_weights",
                "a leaderboard of all rounds cannot be re-weighted fast: use with_weights"))
        self.board = board
        assert board.round != "all"  # supports() above
        self.model = scoring.reweight_model(board.dataset, board.rubric, board.round,
                                            cache=board._cache)
        self.previous = (None if board.previous_round is None else scoring.reweight_model(
            board.dataset, board.rubric, board.previous_round, cache=board._cache))
        self.info = unit_info(board.dataset, board._cache)
        self.star_criteria = list(dict.fromkeys(
            s.criterion for s in board.rubric.stars
            if s.criterion is not None and s.min_share is not None))

    @staticmethod
    def supports(board: Leaderboard) -> bool:
        """Whether ``board`` can be re-weighted fast (one round, or no rounds)."""
        return board.round != "all"

    def rubric(self, weights: Mapping[str, float]) -> Rubric:
        """The rubric ``with_weights(weights)`` evaluates."""
        return reweighted_rubric(self.board.rubric, weights)[0]

    def top(self, weights: Mapping[str, float], n: int = 10) -> pl.DataFrame:
        """``board.with_weights(weights).top(n)``: units ranked ``n`` or better."""
        rubric = self.rubric(weights)
        units = self.model.units(rubric)
        best = rank_units(units, rubric).filter(pl.col("rank") <= n)
        rows = (units.select("unit_id").with_row_index("_row")
                .join(best.select("unit_id"), on="unit_id", how="semi")["_row"].to_numpy())
        ranked = label_ranks(units[rows], best)
        values = self.model.shares(rubric, rows, self.star_criteria)
        prev = None
        if self.previous is not None:
            before = self.previous.units(rubric)
            prev = (rank_units(before, rubric).join(best.select("unit_id"), on="unit_id", how="semi")
                    .select("unit_id", pl.col("rank").alias("previous_rank")))
        return table_rows(ranked, values, prev, self.info, rubric)


def _fmt_raw(col: str) -> pl.Expr:
    return pl.col(col).list.eval(
        pl.element().round(2).cast(pl.String).str.strip_suffix(".0")).list.join(", ")


def _explain(lb: Leaderboard, unit_id: str, row: pl.DataFrame) -> pl.DataFrame:
    rubric = lb.rubric
    v = lb.values.filter(pl.col("unit_id") == unit_id)
    rule_zh = pl.col("rule").replace_strict(labels.RULE_ZH, default=pl.col("rule"))
    weight_label = "满分" if rubric.method == "points" else "权重"
    avg = "（各轮平均）" if lb.round == "all" else ""
    cols = pl.Schema({"项目": pl.String(), "评委打分": pl.String(), "汇总方式": pl.String(),
                      "汇总值": pl.Float64(), "标准化值": pl.Float64(), "满分或权重": pl.Float64(),
                      "扣分前得分": pl.Float64(), "扣分": pl.Float64(), "得分": pl.Float64(),
                      "说明": pl.String()})
    crit_rows = v.select(
        pl.col("criterion_name").alias("项目"),
        pl.when(pl.col("raw").list.len() > 0).then(_fmt_raw("raw")).alias("评委打分"),
        rule_zh.alias("汇总方式"),
        pl.col("value").alias("汇总值"),
        pl.col("normalized").alias("标准化值"),
        pl.col("weight").alias("满分或权重"),
        pl.col("points_raw").alias("扣分前得分"),
        pl.col("deduction").alias("扣分"),
        pl.col("points").alias("得分"),
        pl.concat_str(
            pl.lit(f"{weight_label} "), pl.col("weight").round(4).cast(pl.String),
            pl.when(pl.col("n").is_not_null())
            .then(pl.format("；{}{}", "n",
                            pl.when(pl.col("source") == "judges").then(pl.lit("位评委"))
                            .otherwise(pl.lit("条评价"))))
            .otherwise(pl.lit("")),
            pl.when("filled").then(pl.lit("；缺失值已按规则填补")).otherwise(pl.lit("")),
            pl.lit(avg),
        ).alias("说明"),
    )
    adj = lb.adjustments.filter(pl.col("unit_id") == unit_id)
    if lb.round not in (None, "all"):
        adj = adj.filter(pl.col("round") == lb.round)
    adj = adj.sort(pl.col("kind").replace_strict({"扣分": 0, "加分": 1, "否决": 2}, default=3),
                   "item")
    per_round = "（各轮合计，得分为每轮平均）" if lb.round == "all" else ""
    cap_text = pl.when(pl.col("cap").is_not_null()).then(
        pl.format("（上限 {}）", pl.col("cap").round(4))).otherwise(pl.lit(""))
    adj_rows = adj.select(
        pl.format("{}：{}", "kind", "item_name").alias("项目"),
        pl.lit(None, pl.String).alias("评委打分"),
        pl.lit(None, pl.String).alias("汇总方式"),
        pl.lit(None, pl.Float64).alias("汇总值"),
        pl.lit(None, pl.Float64).alias("标准化值"),
        pl.lit(None, pl.Float64).alias("满分或权重"),
        pl.lit(None, pl.Float64).alias("扣分前得分"),
        pl.when(pl.col("kind") == "扣分").then(pl.col("applied")).alias("扣分"),
        # criterion deductions are already inside that criterion's 得分
        pl.when((pl.col("kind") == "扣分") & pl.col("criterion").is_null())
        .then(-pl.col("applied"))
        .when(pl.col("kind") == "加分").then(pl.col("applied"))
        .otherwise(None).alias("得分"),
        pl.when(pl.col("kind") == "否决")
        .then(pl.when(pl.col("action") == "disqualify").then(pl.lit("一票否决：取消资格"))
              .otherwise(pl.format("一票否决：等级定为{}",
                                   pl.col("action").str.strip_prefix("grade:"))))
        .otherwise(pl.format(
            "发现 {} 处 × {} 分{}{}", "count", pl.col("points_each").round(4), cap_text,
            pl.when(pl.col("criterion").is_not_null())
            .then(pl.format("，从指标“{}”中扣除（扣完为止，已计入该指标得分）",
                            pl.col("criterion").replace_strict(
                                labels.criterion_names(rubric), default=pl.col("criterion"))))
            .when(pl.col("kind") == "扣分").then(pl.lit("，从总分中扣除"))
            .otherwise(pl.lit("，加入总分"))) + pl.lit(per_round)).alias("说明"),
    )
    parts = [crit_rows.cast(cols), adj_rows.cast(cols)]
    r = row.row(0, named=True)
    total = r["total_unrounded"]
    listed = pl.concat(parts)["得分"].sum()
    if rubric.method in ("points", "weighted_sum") and total is not None \
            and abs(total - listed) > 1e-9:
        parts.append(pl.DataFrame({"项目": ["总分不低于0分的调整"], "得分": [total - listed],
                                   "说明": ["总分扣完为止，不为负"]}).cast(
            {"项目": pl.String, "得分": pl.Float64, "说明": pl.String}).select(
            *(pl.col(k) if k in ("项目", "得分", "说明") else pl.lit(None, t).alias(k)
              for k, t in cols.items())))
    status = [r["rank_label"] or "", r["grade"] or "", "★" * int(r["stars"] or 0),
              f"公示分 {r['total']}"]
    if rubric.method not in ("points", "weighted_sum"):
        status.append(f"{labels.method_zh(rubric.method)}的总分由方法计算（得分列之和不等于总分）")
    parts.append(pl.DataFrame({"项目": ["总分"], "得分": [total],
                               "说明": ["，".join(s for s in status if s)]}).select(
        *(pl.col(k).cast(t) if k in ("项目", "得分", "说明") else pl.lit(None, t).alias(k)
          for k, t in cols.items())))
    return pl.concat(parts)


def evaluate(dataset: Dataset, rubric: Rubric | None = None, *, round: RoundArg = None,
             cache: dict | None = None) -> Leaderboard:
    """Score and rank a dataset with a rubric: the whole pipeline, end to end.

    Parameters
    ----------
    dataset : an :class:`evaltools.dataset.Dataset` (or anything with the same table
        attributes: ``scores``, ``units``, ``ratings``, ``deductions``, ``rubric``).
    rubric : the rubric; None = ``dataset.rubric``.
    round : None = the latest round of the judges' scores; an int = that round; ``"all"`` = each
        unit's mean over the rounds it took part in.
    cache : a dict kept for this one ``dataset`` (None = a new one): aggregated criterion values,
        deductions found and counts are stored in it and re-used when only weights, method,
        normalisation or ties change (``Leaderboard.with_*`` pass theirs on). Do not share it
        between datasets, nor change the dataset's tables after use.

    Returns
    -------
    Leaderboard

    Raises
    ------
    UsageError
        No rubric, an unknown round, method or ties rule.
    EvalToolsError
        Too few judges (without a declared fallback), missing values under ``missing = "error"``,
        criteria whose source needs a module not yet available.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> lb = two_buildings()
    >>> lb.top(1).select("rank", "unit_id", "total")
    shape: (1, 3)
    ┌──────┬─────────┬───────┐
    │ rank ┆ unit_id ┆ total │
    │ ---  ┆ ---     ┆ ---   │
    │ i64  ┆ str     ┆ f64   │
    ╞══════╪═════════╪═══════╡
    │ 1    ┆ A       ┆ 94.0  │
    └──────┴─────────┴───────┘
    """
    rubric = rubric if rubric is not None else getattr(dataset, "rubric", None)
    if rubric is None:
        raise UsageError("没有评分细则：请提供 rubric.toml 或 rubric 参数",
                         "no rubric: pass rubric= or put rubric.toml in the data folder")
    cache = {} if cache is None else cache
    ev = evaluate_rounds(dataset, rubric, round=round, cache=cache)
    return Leaderboard(table=ev.table, values=ev.values, adjustments=ev.adjustments,
                       notes=ev.notes, rubric=ev.rubric, dataset=dataset, round=ev.round,
                       previous_round=ev.previous_round, _cache=cache)

