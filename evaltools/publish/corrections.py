"""Corrections after objections (公示期异议 → 复核 → 更正): compare a new publication with the one it
supersedes, list every changed score and rank with its recorded reason (更正说明), and chain the
two publications' hashes.

:func:`supersede` reads the previous output folder (its ``榜单.csv`` and ``SHA256SUMS``) and the
dataset's ``corrections`` table (更正记录); the ``SHA256SUMS`` that
:func:`evaltools.writing.publish_set` writes into every publication is the link the next
correction chains to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import (
    Problem,
    UsageError,
    ValidationError,
    ValidationReport,
    require_columns,
)
from evaltools.publish.privacy import neutralize_formula
from evaltools.publish.tables import published_table, score_text_expr
from evaltools.writing import MANIFEST, read_manifest

__all__ = ["MANIFEST", "PREVIOUS_CSV", "Supersession", "supersede"]

#: the file of a publication that a later one is compared with
PREVIOUS_CSV = "榜单.csv"
#: what is compared, in the order the 更正说明 lists it: (CSV header, label in 更正说明)
COMPARED = (("总分", "总分"), ("排名", "名次"), ("等级", "等级"), ("名称", "名称"))
#: the columns of the 更正说明 table
COLUMNS = ("单位编号", "名称", "项目", "原公示", "更正后", "更正依据")


@dataclass(frozen=True)
class Supersession:
    """A publication superseding an earlier one.

    Attributes
    ----------
    previous : the previous output folder.
    table : the 更正说明 — one row per changed item of a unit (总分, 名次, 等级, 名称) and per
        recorded correction that changed nothing published; columns :data:`COLUMNS`.
    chain : audit rows (项目, 值): the previous folder and the SHA-256 of its ``SHA256SUMS`` and
        ``榜单.csv``.
    """

    previous: Path
    table: pl.DataFrame
    chain: tuple[tuple[str, str], ...]

    @property
    def units(self) -> list[str]:
        """Unit ids named in the 更正说明, in its order."""
        return list(dict.fromkeys(self.table["单位编号"].to_list()))

    def summary(self) -> str:
        """One sentence for the notice: what this publication corrects."""
        if self.table.height == 0:
            return "本公示替代此前发布的公示；经复核，各单位的总分和名次没有变化。"
        return (f"本公示更正并替代此前发布的公示，涉及 {len(self.units)} 个单位，"
                "更正的得分、名次及理由见“更正说明”。")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _usage(zh: str, en: str, value: object, fix_zh: str, fix_en: str) -> UsageError:
    return UsageError(Problem(None, None, "--supersedes", str(value), "bad_supersedes", zh, en,
                              fix_zh, fix_en))


def _previous(previous: Path) -> tuple[pl.DataFrame, tuple[tuple[str, str], ...]]:
    """The previous publication's leaderboard (as text) and the audit rows that chain to it."""
    csv = previous / PREVIOUS_CSV
    if not csv.is_file():
        raise _usage(f"上一版公示文件夹中没有 {PREVIOUS_CSV}", f"the previous publication folder "
                     f"has no {PREVIOUS_CSV}", previous,
                     "--supersedes 应指向上一次 evaltools publish 的输出文件夹",
                     "point --supersedes at the output folder of the previous evaltools publish")
    digest = _sha256(csv)
    chain = [("上一版公示", previous.name)]
    manifest = previous / MANIFEST
    if manifest.is_file():
        sums = read_manifest(previous) or {"files": []}
        listed = {f["name"]: f["sha256"] for f in sums["files"]}.get(PREVIOUS_CSV)
        if listed is not None and listed != digest:
            raise _usage(f"上一版 {PREVIOUS_CSV} 与它的 {MANIFEST} 不符（文件在发布后被改动过）",
                         f"the previous {PREVIOUS_CSV} does not match its {MANIFEST} (changed "
                         "after publishing)", csv, "请使用原始发布的文件",
                         "use the files exactly as published")
        chain.append((f"上一版 {MANIFEST} SHA-256", _sha256(manifest)))
    else:
        chain.append((f"上一版 {MANIFEST}", "（上一版没有校验清单）"))
    chain.append((f"上一版 {PREVIOUS_CSV} SHA-256", digest))
    frame = pl.read_csv(csv, infer_schema=False, encoding="utf8")
    frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns})
    require_columns(frame, ("单位编号", "排名", "名称", "总分"), what_zh=f"上一版 {PREVIOUS_CSV}",
                    what_en=f"the previous {PREVIOUS_CSV}", error=UsageError, file=csv.name,
                    fix_zh="--supersedes 应指向 evaltools publish 的输出文件夹",
                    fix_en="point --supersedes at an evaltools publish output folder")
    return frame, tuple(chain)


def _current(lb: Any) -> pl.DataFrame:
    """The new leaderboard as it is written to 榜单.csv (text, formulas defused)."""
    t = published_table(lb)
    digits = lb.rubric.digits
    return t.select(
        pl.col("单位编号").cast(pl.String),
        neutralize_formula(pl.col("名称")).alias("名称"),
        pl.col("排名").cast(pl.String),
        (pl.col("等级") if "等级" in t.columns else pl.lit(None, pl.String)).alias("等级"),
        pl.col("总分").round(digits).alias("总分"),
        pl.col("名次").alias("_rank") if "名次" in t.columns else pl.lit(None, pl.Int64)
        .alias("_rank"),
    )


def _corrections(lb: Any) -> pl.DataFrame:
    """The dataset's corrections of the published round, one row each (may be empty)."""
    schema: dict[str, pl.DataType] = {
        "unit_id": pl.String(), "item": pl.String(), "before": pl.String(),
        "after": pl.String(), "reason": pl.String(), "date": pl.Datetime("us")}
    c = getattr(lb.dataset, "corrections", None)
    if c is None or c.height == 0:
        return pl.DataFrame(schema=schema)
    if "round" in c.columns and isinstance(lb.round, int):
        c = c.filter(pl.col("round").is_null() | (pl.col("round") == lb.round))
    return c.select(pl.col(n).cast(t) if n in c.columns else pl.lit(None, t).alias(n)
                    for n, t in schema.items())


def _corrections_file(lb: Any) -> str:
    folder = getattr(lb.dataset, "path", None)
    if folder is not None and Path(folder).is_dir():
        from evaltools.dataset import find_tables

        found = find_tables(folder).get("corrections")
        if found:
            return found[0].name
    return "corrections.csv"


def supersede(lb: Any, previous: str | Path) -> Supersession:
    """Compare ``lb`` with the publication in the folder ``previous`` and build the 更正说明.

    Every unit whose published 总分, 等级 or 名称 changed, or that appears in only one of the two
    publications, must have a row in the dataset's corrections table (更正记录) for the round;
    its rows (更正项目 原值 → 更正值：理由（日期）) become the 更正依据. A unit whose 名次 alone
    changed moved because others were corrected: its 更正依据 says so and names them. Recorded
    corrections that changed nothing published are listed too.

    Raises
    ------
    ValidationError
        ``correction_without_reason``: one problem per unit that changed without a recorded
        reason, naming the unit and the change.
    UsageError
        When ``previous`` is not a publication folder (no 榜单.csv, or a 榜单.csv that does not
        match its SHA256SUMS).
    """
    previous = Path(previous)
    if not previous.is_dir():
        raise _usage("找不到上一版公示文件夹", "the previous publication folder does not exist",
                     previous, "请检查 --supersedes 的路径", "check the --supersedes path")
    old, chain = _previous(previous)
    new = _current(lb)
    digits = lb.rubric.digits
    old = old.select(
        pl.col("单位编号"),
        *(pl.col(c) if c in old.columns else pl.lit(None, pl.String).alias(c)
          for c in ("名称", "排名", "等级")),
        pl.col("总分").cast(pl.Float64, strict=False).round(digits).alias("总分"))
    both = old.join(new, on="单位编号", how="full", coalesce=True, suffix="_new")
    text = {c: (score_text_expr(c, digits) if c == "总分" else pl.col(c))
            for c in ("总分", "排名", "等级", "名称")}
    text_new = {c: (score_text_expr(f"{c}_new", digits) if c == "总分" else pl.col(f"{c}_new"))
                for c in text}
    long = pl.concat([
        both.select(
            "单位编号", pl.coalesce("名称_new", "名称").alias("名称"),
            pl.lit(label).alias("项目"), pl.lit(k).alias("_k"),
            text[col].fill_null("—").alias("原公示"),
            text_new[col].fill_null("—").alias("更正后"),
            pl.col("_rank"),
            (pl.col(col).ne_missing(pl.col(f"{col}_new"))).alias("_changed"))
        for k, (col, label) in enumerate(COMPARED)
    ]).filter(pl.col("_changed"))
    direct = long.filter(pl.col("项目") != "名次")["单位编号"].unique().to_list()
    corr = _corrections(lb)
    reasons = (corr.sort("date", "item").with_columns(
        pl.format("{}{}：{}（{}）", "item",
                  pl.when(pl.col("before").is_not_null() | pl.col("after").is_not_null())
                  .then(pl.format("由 {} 更正为 {}", pl.col("before").fill_null("—"),
                                  pl.col("after").fill_null("—")))
                  .otherwise(pl.lit("")),
                  "reason", pl.col("date").dt.strftime("%Y年%m月%d日")).alias("_why"))
        .group_by("unit_id", maintain_order=True)
        .agg(pl.col("_why").str.join("；")).rename({"unit_id": "单位编号", "_why": "更正依据"}))
    missing = (long.filter(pl.col("单位编号").is_in(direct) & (pl.col("项目") != "名次"))
               .join(reasons, on="单位编号", how="anti"))
    if missing.height:
        file = _corrections_file(lb)
        by_unit = missing.group_by("单位编号", "名称", maintain_order=True).agg(
            pl.format("{} {} → {}", "项目", "原公示", "更正后").str.join("，").alias("_what"))
        raise ValidationError(ValidationReport(tuple(
            Problem(file, None, "单位编号", uid, "correction_without_reason",
                    f"单位 {uid}（{name or '—'}）的{what}，与上一版公示不同，但更正记录中没有这个单位"
                    "的更正理由",
                    f"unit {uid} ({name or '—'}): {what} differs from the previous publication, "
                    "but the corrections table records no reason for this unit",
                    "请在更正记录（corrections.csv / 更正记录.csv）中为该单位添加一行：单位编号、"
                    "更正项目、原值、更正值、理由、日期",
                    "add a row for the unit to the corrections table (corrections.csv): unit, "
                    "item, before, after, reason, date")
            for uid, name, what in by_unit.iter_rows())))
    names = new.select("单位编号", "名称").join(
        pl.DataFrame({"单位编号": direct}, schema={"单位编号": pl.String}), on="单位编号")
    moved_by = "、".join(names.sort("单位编号")["名称"].fill_null("").to_list()) or "其他单位"
    listed = long.join(reasons, on="单位编号", how="left").with_columns(
        pl.col("更正依据").fill_null(pl.lit(f"因{moved_by}的得分更正，名次随之变动")))
    quiet = (corr.join(long.select("单位编号").unique(), left_on="unit_id", right_on="单位编号",
                       how="anti")
             .join(new.select("单位编号", "名称", "_rank"), left_on="unit_id",
                   right_on="单位编号", how="left")
             .sort("date", "item")
             .select(pl.col("unit_id").alias("单位编号"), "名称", pl.col("item").alias("项目"),
                     pl.lit(9).alias("_k"), pl.col("before").fill_null("—").alias("原公示"),
                     pl.col("after").fill_null("—").alias("更正后"), "_rank",
                     pl.format("{}（{}）；公示的总分和名次不变", "reason",
                               pl.col("date").dt.strftime("%Y年%m月%d日")).alias("更正依据")))
    table = (pl.concat([listed.drop("_changed"), quiet], how="diagonal_relaxed")
             .with_row_index("_i")
             .sort(pl.col("_rank"), "单位编号", "_k", "_i", nulls_last=True)
             .select(COLUMNS))
    return Supersession(previous=previous, table=table, chain=chain)
