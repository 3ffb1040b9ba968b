"""晒最美 charts: rank bump chart, vote-share small multiples, participation (new vs returning),
votes-by-hour heatmap with flagged bursts marked, and an entry gallery.

Every function returns an *unconfigured* altair chart (compose with ``+``, ``|``, ``&``; the
``evaltools`` theme sets the CJK font once, at export). They draw what
:func:`evaltools.campaign.analyze_campaign` already computed (``results``, ``rounds``, and
:func:`evaltools.campaign.votes_by_hour`): charts never compute ranks or flags. Labels are Chinese.

Examples
--------
>>> import altair as alt
>>> from evaltools.campaign import analyze_campaign, votes_by_hour
>>> from evaltools.datasets import load_sample
>>> a = analyze_campaign(load_sample())
>>> bump = rank_bump(a.results)
>>> [layer["mark"]["type"] for layer in bump.to_dict()["layer"]], bump.config is alt.Undefined
(['line', 'point'], True)
>>> participation(a.rounds).to_dict()["encoding"]["color"]["field"]
'投票人'
>>> heat = votes_heatmap(votes_by_hour(a.votes))
>>> [layer["mark"]["type"] for layer in heat.to_dict()["layer"]]
['rect', 'point']
"""

from __future__ import annotations

import altair as alt
import polars as pl

from evaltools.errors import Problem, UsageError

__all__ = ["entry_gallery", "participation", "rank_bump", "share_multiples", "votes_heatmap"]


def _need(frame: pl.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise UsageError(Problem(
            None, None, ", ".join(missing), None, "missing_column",
            f"{what}缺少列：{', '.join(missing)}", f"{what}: columns missing: {missing}",
            "请传入 analyze_campaign(...) 的结果表", "pass a table from analyze_campaign(...)"))


def rank_bump(results: pl.DataFrame, *, recount: bool = False) -> alt.LayerChart:
    """Bump chart: each unit's rank in its category across rounds (1 at the top), one panel per
    category when faceted by the caller (``.facet(column="类别:N")`` is left to the caller so the
    chart stays layerable). ``recount=True`` draws the recount's ranks."""
    col = "rank_recount" if recount else "rank_in_category"
    _need(results, ("round", "unit_id", "category", "title", col, "votes"), "名次变化图")
    data = results.select(
        pl.col("round").alias("轮次"), pl.col("unit_id").alias("楼栋"),
        pl.col("category").alias("类别"), pl.col("title").alias("作品"),
        pl.col(col).cast(pl.Int64).alias("名次"), pl.col("votes").alias("票数"))
    base = alt.Chart(data).encode(
        x=alt.X("轮次:O", title="轮次"),
        y=alt.Y("名次:Q", scale=alt.Scale(reverse=True, zero=False), title="类别内名次",
                axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("楼栋:N", title="楼栋"),
        detail="类别:N",
        tooltip=["轮次:O", "类别:N", "作品:N", "名次:Q", "票数:Q"],
    )
    title = "各轮名次变化（复核后）" if recount else "各轮名次变化"
    chart = alt.layer(base.mark_line(), base.mark_point(filled=True, size=60))
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title=title)


def share_multiples(results: pl.DataFrame, *, recount: bool = False,
                    columns: int = 3) -> alt.FacetChart:
    """Small multiples: each round's vote share per entry, coloured by category."""
    col = "share_recount" if recount else "share"
    _need(results, ("round", "entry_id", "category", "title", col), "得票率小图")
    data = results.select(
        pl.col("round").alias("轮次"), pl.col("entry_id").alias("作品编号"),
        pl.col("category").alias("类别"), pl.col("title").alias("作品"),
        pl.col(col).alias("得票率"))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("得票率:Q", axis=alt.Axis(format="%"), title="得票率"),
        y=alt.Y("作品编号:N", sort="-x", title=None),
        color=alt.Color("类别:N", title="类别"),
        tooltip=["轮次:O", "作品:N", "类别:N", alt.Tooltip("得票率:Q", format=".1%")],
    ).properties(width=180, height=140)
    return chart.facet(facet=alt.Facet("轮次:O", title="轮次"), columns=columns,
                       title="各轮得票率（复核后）" if recount else "各轮得票率").resolve_scale(
        y="independent")


def participation(rounds: pl.DataFrame) -> alt.Chart:
    """Stacked bars of voters per round: new (首次投票) and returning (回头投票)."""
    _need(rounds, ("round", "new_voters", "returning_voters", "votes"), "参与人数图")
    data = (rounds.select("round", "votes", new_voters="new_voters",
                          returning_voters="returning_voters")
            .unpivot(index=["round", "votes"], on=["new_voters", "returning_voters"],
                     variable_name="kind", value_name="人数")
            .with_columns(pl.col("kind").replace_strict(
                {"new_voters": "新投票人", "returning_voters": "回头投票人"}).alias("投票人"))
            .select(pl.col("round").alias("轮次"), "投票人", "人数",
                    pl.col("votes").alias("投票人次")))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("轮次:O", title="轮次"),
        y=alt.Y("人数:Q", stack="zero", title="投票人数"),
        color=alt.Color("投票人:N", sort=["回头投票人", "新投票人"], title="投票人"),
        order=alt.Order("投票人:N", sort="ascending"),
        tooltip=["轮次:O", "投票人:N", "人数:Q", "投票人次:Q"],
    ).properties(title="各轮参与：新投票人与回头投票人")


def votes_heatmap(by_hour: pl.DataFrame) -> alt.LayerChart:
    """Votes per day and hour (colour), with hours holding burst votes marked by a red dot.

    ``by_hour`` is :func:`evaltools.campaign.votes_by_hour` of the flagged votes.
    """
    _need(by_hour, ("round", "day", "hour", "votes", "burst_votes"), "投票时段热力图")
    data = by_hour.select(
        pl.col("round").alias("轮次"), pl.col("day").dt.strftime("%m-%d").alias("日期"),
        pl.col("hour").alias("小时"), pl.col("votes").alias("票数"),
        pl.col("burst_votes").alias("集中投票"))
    base = alt.Chart(data).encode(x=alt.X("小时:O", title="时段（时）"),
                                  y=alt.Y("日期:O", title="日期"))
    heat = base.mark_rect().encode(
        color=alt.Color("票数:Q", scale=alt.Scale(scheme="blues"), title="票数"),
        tooltip=["轮次:O", "日期:O", "小时:O", "票数:Q", "集中投票:Q"])
    marks = base.mark_point(shape="circle", filled=True, color="#d62728").encode(
        size=alt.Size("集中投票:Q", title="集中投票（存疑）")).transform_filter(
        alt.datum["集中投票"] > 0)
    chart = alt.layer(heat, marks)
    assert isinstance(chart, alt.LayerChart)  # no facet encodings: alt.layer hoists none
    return chart.properties(title="投票时段分布（红点：短时集中投票）")


def entry_gallery(results: pl.DataFrame, *, round: int | None = None,
                  columns: int = 3) -> alt.FacetChart:
    """A gallery of the entries of one round (default: the latest): photo, title, votes, rank.

    Photos come from the ``photo`` column as given (paths or URLs); for offline notebooks and PNG
    export give it ``data:`` URIs with :func:`evaltools.campaign.photo_data_uris`. Entries
    without a photo show their title only.
    """
    _need(results, ("round", "entry_id", "title", "votes", "rank_label", "category"), "作品展示")
    rnd = int(results.select(pl.col("round").max()).item()) if round is None else round
    photo = pl.col("photo") if "photo" in results.columns else pl.lit(None, pl.String)
    data = results.filter(pl.col("round") == rnd).sort("category", "rank_in_category").select(
        pl.col("entry_id").alias("作品编号"), pl.col("title").alias("作品"),
        pl.col("category").alias("类别"),
        pl.format("{} · {}票 · {}", "category", "votes", "rank_label").alias("说明"),
        photo.alias("照片"))
    base = alt.Chart(data)
    img = base.mark_image(width=120, height=80).encode(
        x=alt.value(70), y=alt.value(45), url="照片:N",
        tooltip=["作品:N", "说明:N"]).transform_filter(
        alt.datum["照片"] != None)  # noqa: E711  (a Vega expression, not Python)
    title = base.mark_text(fontSize=11).encode(x=alt.value(70), y=alt.value(100), text="作品:N")
    note = base.mark_text(fontSize=10, color="#555").encode(x=alt.value(70), y=alt.value(116),
                                                            text="说明:N")
    return alt.layer(img, title, note).properties(width=140, height=125).facet(
        facet=alt.Facet("作品编号:N", title=None, header=alt.Header(labels=False)),
        columns=columns, title=f"第{rnd}轮 晒最美作品")
