"""Publish a leaderboard (榜单公示): offline HTML, Excel, CSV, PNG/SVG charts and a poster.

Besides :mod:`evaltools.io`, this is the only module that writes files for users. Everything it
writes is

* **offline** — the HTML page is one file with inline CSS and inline SVG charts, a Content
  Security Policy that forbids every request, no web fonts (font stack "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", sans-serif) and an A4 print stylesheet;
* **escaped** — every user-supplied string is HTML-escaped (a unit named ``<script>`` is text);
  text cells starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) cannot become
  spreadsheet formulas: XLSX writes them as strings with Excel's "quote prefix" style (the value
  is unchanged), CSV prefixes them with an apostrophe (OWASP's advice);
* **privacy-safe** — personal fields declared in :mod:`evaltools.schema` are masked (张*,
  138****1234), phone numbers and 18-digit ID numbers are masked in free text (notes, comments),
  judges appear by id only, and residents' comments are published only when the rubric says
  ``[publish] allow_comments = true``;
* **deterministic** — the generation time comes from ``SOURCE_DATE_EPOCH`` when it is set (else the
  current time, shown on the page), XLSX document properties are fixed, so publishing twice gives
  byte-identical files.

Examples
--------
Masking works on columns, as polars expressions:

>>> import polars as pl
>>> df = pl.DataFrame({"name": ["张三", "欧阳娜娜", None], "phone": ["13812341234", "0371-6888 1234", ""]})
>>> df.select(mask_name("name"), mask_phone("phone"))
shape: (3, 2)
┌──────┬─────────────┐
│ name ┆ phone       │
│ ---  ┆ ---         │
│ str  ┆ str         │
╞══════╪═════════════╡
│ 张*  ┆ 138****1234 │
│ 欧*  ┆ 037****1234 │
│ null ┆             │
└──────┴─────────────┘
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl

from evaltools.errors import Problem, UsageError, require_columns

__all__ = [
    "CHINA_TZ",
    "audit_table",
    "default_sections",
    "generated_at",
    "html_escape",
    "mask_id_number",
    "mask_name",
    "mask_personal",
    "mask_phone",
    "neutralize_formula",
    "neutralize_frame",
    "poster",
    "publish",
    "render_html",
    "save_chart",
    "scrub_text",
    "stable_svg_ids",
    "with_intervals",
    "write_csv",
    "write_excel",
    "write_html",
]

#: China has one time zone and no daylight saving time: UTC+8 (北京时间).
CHINA_TZ = timezone(timedelta(hours=8), "CST")

ChartFormat = Literal[".png", ".svg"]

METHOD_ZH = {
    "points": "百分制计分：各指标得分相加，扣分、加分后为总分",
    "weighted_sum": "加权求和：各指标标准化后按权重相加",
    "weighted_product": "加权乘积：各指标标准化后按权重相乘",
    "topsis": "TOPSIS（逼近理想解排序法）",
    "vikor": "VIKOR（折衷排序法）",
}
TIES_ZH = {
    "min": "得分相同者并列，名次相同，其后名次顺延（如 1、2、2、4），公示为“并列第2名”",
    "dense": "得分相同者并列，其后名次不跳号（如 1、2、2、3）",
    "ordinal": "不设并列，得分相同时按顺序排名",
    "average": "得分相同者取平均名次（如 1、2.5、2.5、4）",
}
ROUNDING_ZH = {"half_up": "四舍五入", "half_even": "银行家舍入（四舍六入五成双）"}
SOURCE_ZH = {"judges": "评委打分", "ratings": "群众点评", "tickets": "民情速递站",
             "campaign": "晒最美投票", "units": "台账数据"}


# =============================================================================================
# Masking and neutralising (polars expressions, vectorised)
# =============================================================================================


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def mask_name(col: str | pl.Expr) -> pl.Expr:
    """Mask a person's name: keep the first character, then one ``*`` (张三 → 张*, 欧阳娜娜 → 欧*).

    One star whatever the length, so the mask does not reveal how long the name is. Empty and
    null stay as they are.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"n": ["张三", " 李小明 ", "A"]}).select(mask_name("n"))["n"].to_list()
    ['张*', '李*', 'A*']
    """
    s = _expr(col).cast(pl.String).str.strip_chars()
    return (pl.when(s.str.len_chars() > 0).then(s.str.slice(0, 1) + pl.lit("*"))
            .otherwise(s))


def mask_phone(col: str | pl.Expr) -> pl.Expr:
    """Mask a phone number: the first three and last four digits stay (138****1234).

    Separators are dropped first; numbers of 7–10 digits keep only their last four (****1234),
    shorter ones become ``****``. Empty and null stay as they are.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"p": ["138 1234 5678", "+86 13812345678", "6888123", "12"]}).select(
    ...     mask_phone("p"))["p"].to_list()
    ['138****5678', '138****5678', '****8123', '****']
    """
    raw = _expr(col).cast(pl.String)
    digits = raw.str.replace_all(r"\D", "")
    n = digits.str.len_chars()
    # a mobile number written with the 86 country code keeps its own first three digits
    mobile = digits.str.extract(r"^(?:86)?(1[3-9]\d{9})$", 1)
    return (pl.when(raw.fill_null("").str.strip_chars().str.len_chars() == 0).then(raw)
            .when(mobile.is_not_null())
            .then(mobile.str.slice(0, 3) + pl.lit("****") + mobile.str.slice(7, 4))
            .when(n >= 11).then(digits.str.slice(0, 3) + pl.lit("****") + digits.str.slice(-4, 4))
            .when(n >= 7).then(pl.lit("****") + digits.str.slice(-4, 4))
            .otherwise(pl.lit("****")))


def mask_id_number(col: str | pl.Expr) -> pl.Expr:
    """Mask an ID number (身份证号): keep the first three and last four characters, hiding the
    birth date (410***********123X). Shorter values become ``****``.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"i": ["41010219900101123X", "abc"]}).select(mask_id_number("i"))["i"].to_list()
    ['410***********123X', '****']
    """
    s = _expr(col).cast(pl.String).str.strip_chars()
    n = s.str.len_chars()
    return (pl.when(s.fill_null("").str.len_chars() == 0).then(s)
            .when(n >= 15).then(s.str.slice(0, 3) + pl.lit("*" * 11) + s.str.slice(-4, 4))
            .otherwise(pl.lit("****")))


#: 18-digit ID numbers (17 digits and a digit or X) standing alone in text
_ID_IN_TEXT = r"(^|\D)(\d{3})\d{11}(\d{3}[0-9Xx])(\D|$)"
#: mainland mobile numbers, optionally with +86 and - or space separators
_MOBILE_IN_TEXT = r"(^|\D)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(\D|$)"
#: landlines written with an area code and a hyphen: 0371-68881234
_LANDLINE_IN_TEXT = r"(^|\D)(0\d{2,3})[-－ ](\d{3,4})(\d{4})(\D|$)"
#: any other run of 11 or more digits: 15-digit ID numbers, bank cards, two phone numbers
#: written back to back — the middle goes, whatever its length (the length is not kept either)
_LONG_DIGITS_IN_TEXT = r"(^|\D)(\d{3})\d{4,}(\d{4})(\D|$)"


def scrub_text(col: str | pl.Expr) -> pl.Expr:
    """Mask phone numbers and 18-digit ID numbers found anywhere in free text.

    Mobile numbers (with or without +86, spaces or hyphens) become 138****5678, landlines with an
    area code 0371-****1234, ID numbers 410***********123X; any other run of 11 or more digits
    (a 15-digit ID, a bank card, two phone numbers written back to back) keeps its first three and
    last four digits around ``****``. Names in free text cannot be found reliably: comments are
    published only when the rubric allows it.

    Examples
    --------
    >>> import polars as pl
    >>> text = pl.DataFrame({"t": ["王阿姨电话13812345678,13987654321；身份证410102199001011234。",
    ...                            "座机0371-68881234，编号 B01 共20户",
    ...                            "两个号码1381234567813987654321连写"]})
    >>> for line in text.select(scrub_text("t"))["t"]:
    ...     print(line)
    王阿姨电话138****5678,139****4321；身份证410***********1234。
    座机0371-****1234，编号 B01 共20户
    两个号码138****4321连写
    """
    s = _expr(col).cast(pl.String)
    for _ in range(2):  # twice: a match consumes the character after it, hiding a neighbour
        s = s.str.replace_all(_ID_IN_TEXT, "${1}${2}***********${3}${4}")
    for _ in range(2):
        s = s.str.replace_all(_MOBILE_IN_TEXT, "${1}${2}****${3}${4}")
    for _ in range(2):
        s = s.str.replace_all(_LANDLINE_IN_TEXT, "${1}${2}-****${4}${5}")
    for _ in range(2):
        s = s.str.replace_all(_LONG_DIGITS_IN_TEXT, "${1}${2}****${3}${4}")
    return s


def neutralize_formula(col: str | pl.Expr) -> pl.Expr:
    """Prefix text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return) with an apostrophe, for CSV files.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"c": ["=1+1", "@SUM(A1)", "-3", "三号楼", None]}).select(
    ...     neutralize_formula("c"))["c"].to_list()
    ["'=1+1", "'@SUM(A1)", "'-3", '三号楼', None]
    """
    return _expr(col).cast(pl.String).str.replace(r"^([=+\-@\t\r])", "'${1}")


def html_escape(col: str | pl.Expr) -> pl.Expr:
    """HTML-escape text (``& < > " '``), as :func:`html.escape` with ``quote=True``.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"u": ["<script>alert(1)</script>"]}).select(html_escape("u")).item()
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    s = _expr(col).cast(pl.String)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        s = s.str.replace_all(a, b, literal=True)
    return s


def _personal_maskers() -> dict[str, Any]:
    """Column (canonical or Chinese header) → masking expression builder, from the schema."""
    from evaltools.schema import TABLES

    by_kind = {"name": mask_name, "resident_name": mask_name, "phone": mask_phone,
               "room": lambda c: pl.when(_expr(c).is_not_null()).then(pl.lit("***")),
               "content": scrub_text, "comment": scrub_text}
    def tail(c: str) -> pl.Expr:
        return (pl.when(_expr(c).is_not_null())
                .then(_expr(c).cast(pl.String).str.slice(0, 2) + pl.lit("***")))

    out: dict[str, Any] = {}
    for spec in TABLES.values():
        for col in spec.columns:
            if col.personal:
                fn = by_kind.get(col.name, tail)
                for header in (col.name, col.label, *col.aliases):
                    out.setdefault(header, fn)
    for extra in ("身份证号", "身份证", "证件号码", "id_number"):
        out[extra] = mask_id_number
    return out


def mask_personal(frame: pl.DataFrame) -> pl.DataFrame:
    """Mask every personal column of a frame about to be published, and scrub free text.

    Personal columns are those the schema marks ``personal`` (under their canonical name or any
    Chinese header, e.g. 居民姓名, 联系电话, 房号, 意见建议, 投票人, IP), plus ID-number columns
    (身份证号). Names keep their first character, phones their first three and last four digits,
    room numbers and voter ids are hidden; every other text column is passed through
    :func:`scrub_text`. (Judges' names are personal too: publish judges by id.)

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"工单编号": ["T1"], "居民姓名": ["张三"], "联系电话": ["13812345678"],
    ...                   "房号": ["4-3-501"], "诉求内容": ["请回电 13912345678"]})
    >>> mask_personal(t).row(0)
    ('T1', '张*', '138****5678', '***', '请回电 139****5678')
    """
    maskers = _personal_maskers()
    exprs = []
    for name, dtype in frame.schema.items():
        if name in maskers:
            exprs.append(maskers[name](name).alias(name))
        elif dtype == pl.String:
            exprs.append(scrub_text(name).alias(name))
    return frame.with_columns(exprs) if exprs else frame


# =============================================================================================
# Time, audit
# =============================================================================================


def generated_at() -> datetime:
    """The generation time shown on every output: ``SOURCE_DATE_EPOCH`` (seconds since 1970, for
    reproducible builds) when set, else now — in Beijing time.

    Examples
    --------
    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    >>> generated_at().isoformat()
    '2023-11-15T06:13:20+08:00'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).astimezone(CHINA_TZ)
        except (ValueError, OverflowError, OSError):
            raise UsageError(Problem(
                None, None, "SOURCE_DATE_EPOCH", epoch, "bad_source_date_epoch",
                "环境变量 SOURCE_DATE_EPOCH 不是整数秒", "SOURCE_DATE_EPOCH is not an integer "
                "number of seconds", "设为整数（如 1700000000）或删除它",
                "set it to an integer such as 1700000000, or unset it")) from None
    return datetime.now(CHINA_TZ).replace(microsecond=0)


def _time_text(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def _file_hashes(dataset: Any) -> list[tuple[str, str]]:
    """(file name, sha256) of each data file of the dataset folder, sorted by name."""
    folder = getattr(dataset, "path", None)
    if folder is None:
        return []
    folder = Path(folder)
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        from evaltools.dataset import find_tables

        files = sorted({p for paths in find_tables(folder).values() for p in paths},
                       key=lambda p: p.name)
    else:
        return []
    return [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files]


def _rubric_changed(lb: Any) -> bool:
    original = getattr(lb.dataset, "rubric", None)
    return original is not None and original != lb.rubric


def audit_table(lb: Any, *, generated: datetime | None = None) -> pl.DataFrame:
    """What a published leaderboard was computed from: evaltools version, rubric and its SHA-256,
    the SHA-256 of each data file, round, method, and the generation time.

    Examples
    --------
    >>> from datetime import datetime
    >>> from evaltools.leaderboard import _doctest_board
    >>> t = audit_table(_doctest_board(), generated=datetime(2024, 5, 1, 9, 30, tzinfo=CHINA_TZ))
    >>> t.filter(pl.col("项目").is_in(["计分方法", "生成时间"])).rows()
    [('计分方法', 'points'), ('生成时间', '2024-05-01 09:30（北京时间）')]
    """
    from evaltools import __version__

    generated = generated or generated_at()
    rubric = lb.rubric
    rows: list[tuple[str, str]] = [
        ("evaltools 版本", __version__),
        ("评分细则", rubric.name),
        ("评分细则文件", Path(rubric.source_path).name if rubric.source_path else "（未从文件读取）"),
        ("评分细则 SHA-256", rubric.sha256 or "（无）"),
    ]
    if _rubric_changed(lb):
        rows.append(("评分细则修改", "权重、方法或并列规则已在程序中调整，与文件不同"))
    hashes = _file_hashes(lb.dataset)
    if hashes:
        rows += [(f"数据文件 {name} SHA-256", digest) for name, digest in hashes]
    else:
        rows.append(("数据文件", "（内存中的数据，无文件）"))
    rnd = lb.round
    rows += [
        ("轮次", "各轮平均" if rnd == "all" else ("—" if rnd is None else str(rnd))),
        ("计分方法", rubric.method),
        ("生成时间", _time_text(generated)),
    ]
    return pl.DataFrame(rows, schema={"项目": pl.String, "值": pl.String}, orient="row")


# =============================================================================================
# Tables that get published
# =============================================================================================


def _score_text(col: str | pl.Expr, digits: int) -> pl.Expr:
    from evaltools.charts.leaderboard import score_text

    return score_text(col, digits)


def _round(col: str | pl.Expr, rubric: Any) -> pl.Expr:
    from evaltools import rounding

    fn = rounding.round_half_even if rubric.rounding == "half_even" else rounding.round_half_up
    return fn(col, rubric.digits)


def _groups(rubric: Any) -> list[str]:
    """一级指标 in rubric order (empty when no criterion names a group)."""
    groups = [c.group for c in rubric.criteria if c.group]
    return list(dict.fromkeys(groups)) if len(groups) == len(rubric.criteria) else []


def group_points(lb: Any) -> pl.DataFrame:
    """Points per 一级指标 and unit (sum of its criteria, unrounded), wide: ``unit_id`` + one
    column per group. Empty (unit_id only) when criteria have no groups."""
    rubric = lb.rubric
    groups = _groups(rubric)
    if not groups:
        return lb.table.select("unit_id")
    of = {c.id: c.group for c in rubric.criteria}
    v = lb.values.with_columns(group=pl.col("criterion").replace_strict(of))
    wide = (v.group_by("unit_id", "group").agg(pl.col("points").sum())
            .pivot(on="group", index="unit_id", values="points"))
    return lb.table.select("unit_id").join(wide, on="unit_id", how="left").select(
        "unit_id", *groups)


def published_table(lb: Any) -> pl.DataFrame:
    """The leaderboard as published in Excel and CSV: ``Leaderboard.labelled_table()`` without
    the unrounded total (ranking used it; the 方法与权重 sheet says so)."""
    return lb.labelled_table().drop("未取舍总分", strict=False)


def _notes_zh(lb: Any) -> pl.DataFrame:
    """The notes, Chinese part only, with phones and ID numbers masked."""
    notes = pl.DataFrame({"note": list(lb.notes)}, schema={"note": pl.String})
    return notes.select(scrub_text(pl.col("note").str.split(" | ").list.first()).alias("说明"))


def method_lines(lb: Any) -> list[tuple[str, str]]:
    """(what, how) pairs describing the computation, in Chinese."""
    from evaltools import scoring

    r = lb.rubric
    lines = [("计分方法", METHOD_ZH.get(r.method, r.method))]
    if r.method != "points":
        norm = r.normalization or scoring.DEFAULT_NORMALIZATION.get(r.method, "—")
        lines.append(("标准化", str(norm)))
    judged = [c for c in r.criteria if c.source == "judges"]
    if judged:
        rules = sorted({scoring.RULE_ZH.get(c.aggregate or r.judge_aggregate,
                                            c.aggregate or r.judge_aggregate) for c in judged})
        text = "、".join(rules) + f"；每项至少 {r.min_judges} 位评委"
        if r.judge_fallback:
            text += f"，不足时改用{scoring.RULE_ZH.get(r.judge_fallback, r.judge_fallback)}"
        lines.append(("评委打分汇总", text))
    if any(c.source == "ratings" for c in r.criteria):
        lines.append(("满意率口径", scoring.satisfaction_definition(r).split(" | ")[0]))
    lines.append(("并列规则", TIES_ZH.get(r.ties, r.ties)
                  + (f"；得分相同时依次比较：{'、'.join(_breaker_names(r))}"
                     if r.tie_breakers else "")))
    lines.append(("取舍规则", f"按未取舍的总分排名；公示分数{ROUNDING_ZH.get(r.rounding, r.rounding)}"
                  f"保留 {r.digits} 位小数"))
    if r.grades:
        bands = sorted(r.grades, key=lambda b: -b.min)
        lines.append(("等级", "；".join(f"{b.name}：{b.min:g} 分及以上" for b in bands)))
    if r.stars:
        lines.append(("星级", "每达到一项标准得一颗星（最多五星）："
                      + "；".join(_star_text(s, r) for s in r.stars)))
    for rules, kind in ((r.deductions, "扣分"), (r.bonuses, "加分")):
        if rules:
            lines.append((kind, "；".join(
                f"{d.name or d.item}每处{d.points:g}分" + (f"，最多{d.cap:g}分" if d.cap else "")
                + (f"（从“{r.criterion(d.criterion).name}”中扣除，扣完为止）"
                   if getattr(d, "criterion", None) else "")
                for d in rules)))
    if r.vetoes:
        lines.append(("一票否决", "；".join(
            f"{v.name or v.item}：" + ("取消评比资格" if v.action == "disqualify"
                                      else f"等级定为{v.grade}") for v in r.vetoes)))
    return lines


def _breaker_names(r: Any) -> list[str]:
    names = {c.id: c.name for c in r.criteria}
    return [("总分" if b == "total" else names.get(b, b)) for b in r.tie_breakers]


def _star_text(s: Any, r: Any) -> str:
    if s.criterion is not None and s.min_share is not None:
        return f"{s.name}（{r.criterion(s.criterion).name}得分率≥{s.min_share:.0%}）"
    if s.min_total is not None:
        return f"{s.name}（总分≥{s.min_total:g}）"
    return s.name


def weights_table(lb: Any) -> pl.DataFrame:
    """One row per criterion: 一级指标, 指标, 来源, 汇总方式, 方向, 满分 (points) or 权重 (MCDA
    methods: the weights in effect, normalised to sum 1)."""
    from evaltools import scoring

    r = lb.rubric
    if r.method == "points":
        wname, w = "满分", [float(c.max_points or 0.0) for c in r.criteria]
    else:
        ws = scoring.mcda_weights(r, [])
        total = sum(ws.values()) or 1.0  # methods use the weights normalised to sum 1
        wname, w = "权重", [float(ws.get(c.id, 0.0)) / total for c in r.criteria]
    aggregates = []
    for c in r.criteria:
        if c.source == "judges":
            rule = c.aggregate or r.judge_aggregate
        elif c.source == "ratings":
            rule = c.aggregate or "satisfaction_rate"
        else:
            rule = c.measure or c.column or c.aggregate or ""
        aggregates.append(scoring.RULE_ZH.get(rule, rule))
    return pl.DataFrame({
        "一级指标": [c.group or "" for c in r.criteria],
        "指标": [c.name for c in r.criteria],
        "指标编号": [c.id for c in r.criteria],
        "来源": [SOURCE_ZH.get(c.source, c.source) for c in r.criteria],
        "汇总方式": aggregates,
        "方向": ["越大越好" if c.direction == "max" else "越小越好" for c in r.criteria],
        wname: w,
    })


def satisfaction_table(lb: Any) -> pl.DataFrame | None:
    """Per unit: answers, 满意率 with its Wilson interval, mean and Bayesian average (None when
    the dataset has no review cards)."""
    ratings = getattr(lb.dataset, "ratings", None)
    if ratings is None or ratings.height == 0:
        return None
    from evaltools.ratings import summarize

    cfg = lb.rubric.ratings
    s = summarize(ratings.with_columns(pl.col("unit_id").cast(pl.String)),
                  labels=cfg.labels, satisfied=cfg.satisfied, prior_weight=cfg.prior_weight,
                  confidence=cfg.confidence)
    names = lb.table.select("unit_id", "name", "rank")
    return (names.join(s, on="unit_id", how="inner").sort("rank", "unit_id", nulls_last=True)
            .select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
                    pl.col("n").cast(pl.Int64).alias("有效评价数"),
                    pl.col("n_satisfied").cast(pl.Float64).alias("满意数"),
                    pl.col("satisfaction_rate").alias("满意率"),
                    pl.col("wilson_lower").alias("满意率下限"),
                    pl.col("wilson_upper").alias("满意率上限"),
                    pl.col("mean").alias("平均分"),
                    pl.col("bayesian_average").alias("贝叶斯平均"),
                    pl.col("satisfied_definition").alias("满意口径")))


def comments_table(lb: Any) -> pl.DataFrame | None:
    """Residents' comments, scrubbed, when the rubric allows publishing them (else None)."""
    ratings = getattr(lb.dataset, "ratings", None)
    if not lb.rubric.allow_comments or ratings is None or "comment" not in ratings.columns:
        return None
    c = (ratings.filter(pl.col("comment").str.strip_chars().str.len_chars() > 0)
         .unique(["respondent_id", "comment"], keep="first", maintain_order=True)
         .join(lb.table.select("unit_id", "name"), on="unit_id", how="left")
         .sort("unit_id", "respondent_id")
         .select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
                 scrub_text("comment").alias("群众留言")))
    return c if c.height else None


def judges_table(lb: Any) -> pl.DataFrame | None:
    """The judges' raw scores of the published round (judges by id and role, never by name)."""
    scores = getattr(lb.dataset, "scores", None)
    if scores is None or scores.height == 0:
        return None
    judged = [c.id for c in lb.rubric.criteria if c.source == "judges"]
    s = scores.filter(pl.col("criterion").is_in(judged))
    if isinstance(lb.round, int):
        s = s.filter(pl.col("round") == lb.round)
    names = {c.id: c.name for c in lb.rubric.criteria}
    judges = getattr(lb.dataset, "judges", None)
    s = s.with_columns(pl.col("unit_id", "judge_id").cast(pl.String))
    if judges is not None and "role" in judges.columns:
        s = s.join(judges.select(pl.col("judge_id").cast(pl.String), "role")
                   .unique("judge_id", keep="first"), on="judge_id", how="left")
    else:
        s = s.with_columns(role=pl.lit(None, pl.String))
    return (s.join(lb.table.select("unit_id", "name"), on="unit_id", how="left")
            .sort("round", "unit_id", "criterion", "judge_id")
            .select(pl.col("round").alias("轮次"), pl.col("unit_id").alias("单位编号"),
                    pl.col("name").alias("名称"),
                    pl.col("criterion").replace_strict(names, default=pl.col("criterion"))
                    .alias("指标"),
                    pl.col("judge_id").alias("评委编号"), pl.col("role").alias("评委身份"),
                    pl.col("score").alias("得分")))


def values_table(lb: Any) -> pl.DataFrame:
    """Per unit and criterion: aggregated value, max points or weight, points (分项得分)."""
    from evaltools import scoring

    r = lb.rubric
    order = lb.table.select("unit_id", "name", pl.int_range(pl.len()).alias("_o"))
    crit_order = {cid: i for i, cid in enumerate(r.criterion_ids)}
    groups = {c.id: c.group or "" for c in r.criteria}
    v = lb.values.join(order, on="unit_id", how="left").with_columns(
        _c=pl.col("criterion").replace_strict(crit_order, default=len(crit_order)))
    return v.sort("_o", "_c").select(
        pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"),
        pl.col("criterion").replace_strict(groups, default="").alias("一级指标"),
        pl.col("criterion_name").alias("指标"),
        pl.col("rule").replace_strict(scoring.RULE_ZH, default=pl.col("rule")).alias("汇总方式"),
        pl.col("n").alias("评委或评价数"),
        pl.col("value").alias("汇总值"),
        pl.col("weight").alias("满分" if r.method == "points" else "权重"),
        pl.col("points_raw").alias("扣分前得分"),
        pl.col("deduction").alias("扣分"),
        pl.col("points").alias("得分"),
        pl.col("share").alias("得分率") if "share" in v.columns else pl.lit(None, pl.Float64)
        .alias("得分率"),
    )


def with_intervals(lb: Any, intervals: Any) -> Any:
    """The leaderboard with ``rank_lower`` / ``rank_upper`` joined onto its table, from a
    :class:`evaltools.robustness.RankIntervals` or a frame with ``unit_id``, ``rank_lower``,
    ``rank_upper`` (None: unchanged)."""
    if intervals is None:
        return lb
    frame = getattr(intervals, "table", intervals)
    require_columns(frame, ("unit_id", "rank_lower", "rank_upper"), what_zh="名次区间表",
                    what_en="the rank-interval table", error=UsageError,
                    fix_zh="请传入 robustness.rank_intervals(...) 的结果",
                    fix_en="pass the result of robustness.rank_intervals(...)")
    table = lb.table.drop("rank_lower", "rank_upper", strict=False).join(
        frame.select(pl.col("unit_id").cast(pl.String), "rank_lower", "rank_upper"),
        on="unit_id", how="left")
    return lb._replace(table=table)


def default_sections(lb: Any) -> dict[str, pl.DataFrame]:
    """Sections published when the dataset has the data: 民情速递站 (ticket KPIs by street, with
    their definitions, :func:`evaltools.kpi.ticket_kpis`) and 晒最美 (each round's winners,
    :func:`evaltools.campaign.analyze_campaign`). A part that cannot be computed is left out
    with a warning; the leaderboard is still published."""
    import warnings

    from evaltools.errors import EvalToolsError, EvalToolsWarning

    ds = lb.dataset
    out: dict[str, pl.DataFrame] = {}
    tickets = getattr(ds, "tickets", None)
    if tickets is not None and tickets.height:
        try:
            from evaltools import kpi

            res = kpi.ticket_kpis(ds, by="street")
            keep = [c for c in ("street", "received", "closed", "backlog", "feedback_rate",
                                "closure_rate", "on_time_closure_rate", "immediate_share",
                                "overdue", "satisfaction_rate") if c in res.table.columns]
            names = {**kpi.BY_ZH, **kpi.KPI_NAMES}
            out["民情速递站"] = res.table.select(keep).rename(
                {c: names.get(c, c) for c in keep})
            out["民情速递站指标定义"] = res.definitions().filter(
                pl.col("measure").is_in(keep)).select("指标", "定义")
        except (EvalToolsError, ImportError) as exc:
            warnings.warn(f"民情速递站部分未发布 | ticket KPIs not published: {exc}",
                          EvalToolsWarning, stacklevel=2)
    entries, votes = getattr(ds, "entries", None), getattr(ds, "votes", None)
    if entries is not None and votes is not None and votes.height:
        try:
            from evaltools import campaign

            won = campaign.analyze_campaign(ds).winners()
            keep = [c for c in ("round", "category", "entry_id", "unit_id", "title", "votes",
                                "share_in_category", "flagged_votes", "votes_recount")
                    if c in won.columns]
            out["晒最美"] = won.select(keep).rename(
                {c: campaign.ENTRY_LABELS.get(c, c) for c in keep})
        except (EvalToolsError, ImportError) as exc:
            warnings.warn(f"晒最美部分未发布 | campaign results not published: {exc}",
                          EvalToolsWarning, stacklevel=2)
    return out


# =============================================================================================
# HTML
# =============================================================================================


def _template(name: str) -> str:
    return resources.files("evaltools").joinpath("templates", name).read_text(encoding="utf-8")


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _round_text(lb: Any) -> str:
    if lb.round == "all":
        return "各轮平均"
    if isinstance(lb.round, int):
        return f"第{lb.round}轮"
    return ""


def _cells(frame: pl.DataFrame, specs: list[tuple[str, pl.Expr]]) -> pl.Series:
    """Each row as ``<td…>…</td>…`` (vectorised): specs are (class, escaped-HTML expression)."""
    parts = []
    for cls, expr in specs:
        attr = f' class="{cls}"' if cls else ""
        parts.append(pl.concat_str(pl.lit(f"<td{attr}>"), expr.fill_null(""), pl.lit("</td>")))
    return frame.select(pl.concat_str(parts).alias("cells"))["cells"]


def _is_rate(name: str) -> bool:
    """Columns shown as percentages: 满意率, 得票率, 立即办理占比 … (values 0–1)."""
    return name.endswith(("率", "占比", "率上限", "率下限", "rate", "share"))


def _generic_table(frame: pl.DataFrame, *, table_id: str | None = None,
                   caption: str | None = None, digits: int = 2) -> str:
    """Any (masked) frame as an escaped HTML table; numbers right-aligned, floats 四舍五入,
    rates (:func:`_is_rate`) as percentages with one decimal."""
    specs = []
    for name, dtype in frame.schema.items():
        if dtype.is_float() and _is_rate(name):
            specs.append(("num", _score_text(pl.col(name) * 100, 1) + pl.lit("%")))
        elif dtype.is_float():
            specs.append(("num", _score_text(name, digits)))
        elif dtype.is_numeric():
            specs.append(("num", pl.col(name).cast(pl.String)))
        elif dtype == pl.Boolean:
            specs.append(("", pl.when(pl.col(name)).then(pl.lit("是")).otherwise(pl.lit("否"))))
        else:
            specs.append(("", html_escape(pl.col(name).cast(pl.String))))
    num = ' class="num"'
    head = "".join(f"<th{num if d.is_numeric() else ''}>{_e(n)}</th>"
                   for n, d in frame.schema.items())
    body = (_cells(frame, specs).to_frame()
            .select(pl.format("<tr>{}</tr>", "cells").str.join("\n")).item()
            if frame.height else "")
    tid = f' id="{_e(table_id)}"' if table_id else ""
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table{tid}>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _leaderboard_html(lb: Any) -> str:
    r = lb.rubric
    d = r.digits
    t = lb.table.join(group_points(lb), on="unit_id", how="left", suffix="_group")
    groups = _groups(r)
    cols = set(t.columns)
    head: list[tuple[str, str]] = [("", "排名"), ("", "单位"), ("", "街道"), ("", "社区"),
                                   ("num", "总分")]
    name = pl.coalesce(pl.col("name"), pl.col("unit_id"))
    specs: list[tuple[str, pl.Expr]] = [
        ("rank", html_escape("rank_label")),
        ("unit", pl.concat_str(html_escape(name), pl.lit('<span class="unit-id">'),
                               html_escape("unit_id"), pl.lit("</span>"))),
        ("", html_escape("street")),
        ("", html_escape("community")),
        ("num", _score_text("total", d)),
    ]
    if r.grades:
        head.append(("", "等级"))
        specs.append(("", html_escape("grade")))
    if r.stars:
        head.append(("", "星级"))
        n = pl.col("stars").fill_null(0).clip(0, 5)
        specs.append(("stars", pl.lit("★★★★★").str.slice(0, n)
                      + pl.lit("☆☆☆☆☆").str.slice(0, pl.lit(5) - n)))
    if groups:
        full = {g: sum(float(c.max_points or 0.0) for c in r.criteria if c.group == g)
                for g in groups}
        for g in groups:
            head.append(("num", f"{g}（{full[g]:g}分）" if r.method == "points" else g))
            specs.append(("num", _score_text(_round(pl.col(g), r), d)))
    else:
        for c in r.criteria:
            head.append(("num", c.name))
            specs.append(("num", _score_text(c.id, d)))
    if {"rank_lower", "rank_upper"} <= cols:
        head.append(("num", "名次区间"))
        specs.append(("num", pl.format("{}–{}", "rank_lower", "rank_upper")))
    if lb.previous_round is not None:
        head.append(("", f"较第{lb.previous_round}轮"))
        mv = pl.col("movement")
        specs.append(("", pl.when(mv.str.starts_with("▲"))
                      .then(pl.format('<span class="up">{}</span>', html_escape(mv)))
                      .when(mv.str.starts_with("▼"))
                      .then(pl.format('<span class="down">{}</span>', html_escape(mv)))
                      .otherwise(html_escape(mv))))
    cells = _cells(t, specs)
    row_class = (pl.when(pl.col("disqualified")).then(pl.lit("disqualified"))
                 .when(pl.col("rank") == 1).then(pl.lit("top1")).otherwise(pl.lit("")))
    rows = t.select(
        pl.format('<tr class="{}" data-unit-id="{}">{}</tr>', row_class, html_escape("unit_id"),
                  cells).str.join("\n")).item() if t.height else ""
    header = "".join(f'<th class="{c}">{_e(h)}</th>' if c else f"<th>{_e(h)}</th>"
                     for c, h in head)
    unit_word = "楼院" if r.unit == "courtyard" else "楼栋"
    caption = (f"共 {t.height} 个{unit_word}；总分满分 {r.total_points:g} 分"
               if r.method == "points" else f"共 {t.height} 个{unit_word}；{r.method} 综合得分 × 100")
    if groups:
        caption += "；分项为各一级指标得分"
    return (f'<table id="leaderboard-table"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{header}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>")


def _kv_html(pairs: list[tuple[str, str]], *, css: str = "kv", code: bool = False) -> str:
    def val(v: str) -> str:
        return f"<code>{_e(v)}</code>" if code and len(v) == 64 else _e(v)

    return f'<dl class="{css}">' + "".join(
        f"<dt>{_e(k)}</dt><dd>{val(v)}</dd>" for k, v in pairs) + "</dl>"


def _charts_html(lb: Any, top: int | None) -> str:
    from evaltools.charts import leaderboard as charts
    from evaltools.charts import to_svg

    figures = [("总分排名", charts.leaderboard_bars(lb, top=top))]
    figures.append(("各指标得分率", charts.criteria_heatmap(lb, top=top)))
    parts = [f'<figure class="chart" id="chart-{i + 1}" aria-label="{_e(title)}">'
             f"{stable_svg_ids(_strip_xml_decl(to_svg(chart)), f'chart-{i + 1}')}</figure>"
             for i, (title, chart) in enumerate(figures)]
    return '<section id="charts">\n<h2>图表</h2>\n' + "\n".join(parts) + "\n</section>"


def _strip_xml_decl(svg: str) -> str:
    svg = svg.strip()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    return svg


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def stable_svg_ids(svg: str, prefix: str = "c") -> str:
    """Rename the ids inside an SVG to ``<prefix>-1``, ``<prefix>-2`` … in order of appearance.

    vl-convert numbers gradients and clip paths with a counter that keeps growing within a
    process (``gradient_0``, then ``gradient_1`` …), so the same chart would give different bytes
    depending on what was drawn before; and two inline SVGs on one page must not share ids.

    Examples
    --------
    >>> stable_svg_ids('<svg><linearGradient id="gradient_7"/><path fill="url(#gradient_7)"/></svg>',
    ...                "chart-1")
    '<svg><linearGradient id="chart-1-1"/><path fill="url(#chart-1-1)"/></svg>'
    """
    ids = list(dict.fromkeys(_SVG_ID.findall(svg)))
    if not ids:
        return svg
    new = {old: f"{prefix}-{k + 1}" for k, old in enumerate(ids)}
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=[")])')
    return pattern.sub(lambda m: m.group(1) + new[m.group(2)], svg)


def render_html(lb: Any, *, title: str | None = None, charts: bool = True,
                top: int | None = None, generated: datetime | None = None,
                notice_start: date | None = None,
                sections: Mapping[str, pl.DataFrame] | None = None,
                intervals: Any = None) -> str:
    """The 公示 page as one HTML string (see :func:`write_html`)."""
    from evaltools import __version__

    lb = with_intervals(lb, intervals)
    sections = default_sections(lb) if sections is None else sections
    r = lb.rubric
    generated = generated or generated_at()
    rnd = _round_text(lb)
    title = title or f"{r.name}{rnd}结果公示"
    facts = []
    if r.organiser:
        facts.append(("主办单位", r.organiser))
    if r.period:
        facts.append(("评比期间", r.period))
    if rnd:
        facts.append(("本次公示", rnd))
    facts.append(("发布时间", _time_text(generated)))
    facts_html = "\n".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)

    method = _kv_html(method_lines(lb))
    method += "\n<h3>指标与权重</h3>\n" + _generic_table(weights_table(lb), table_id="weights",
                                                       digits=4 if r.method != "points" else 2)

    extra = []
    sat = satisfaction_table(lb)
    if sat is not None:
        extra.append('<section id="satisfaction">\n<h2>群众满意度</h2>\n'
                      + _generic_table(sat.drop("满意口径"), digits=r.digits,
                                       caption=f"满意率 = {sat['满意口径'][0]} 的评价 / 有效评价数；"
                                       "上下限为 Wilson 区间，样本少时区间宽")
                      + "\n</section>")
    comments = comments_table(lb)
    if comments is not None:
        extra.append('<section id="comments">\n<h2>群众留言</h2>\n'
                     + _generic_table(comments) + "\n</section>")
    for i, (name, frame) in enumerate(sections.items()):
        extra.append(f'<section id="section-{i + 1}">\n<h2>{_e(name)}</h2>\n'
                     + _generic_table(mask_personal(frame), digits=r.digits) + "\n</section>")

    notes = _notes_zh(lb)["说明"].to_list()
    notes_html = ('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
                  if notes else "<p>无</p>")
    if r.notice_days:
        start = notice_start or generated.date()
        end = start + timedelta(days=r.notice_days - 1)
        notice = (f"公示期 {r.notice_days} 天（{start:%Y年%m月%d日} 至 {end:%Y年%m月%d日}）。"
                  "公示期内如对结果有异议，请向" + (r.organiser or "主办单位") + "反映。")
    else:
        notice = "公示期内如对结果有异议，请向" + (r.organiser or "主办单位") + "反映。"
    notice_html = f'<p class="notice-box">{_e(notice)}</p>'
    audit = audit_table(lb, generated=generated)
    audit_html = _kv_html(list(audit.iter_rows()), code=True)

    page = string.Template(_template("leaderboard.html"))
    return page.substitute(
        version=_e(__version__), title=_e(title), css=_template("style.css"),
        facts=facts_html, table=_leaderboard_html(lb),
        charts=_charts_html(lb, top) if charts else "",
        method=method, sections="\n".join(extra), notes=notes_html, notice=notice_html,
        audit=audit_html)


def write_html(lb: Any, path: str | Path, *, title: str | None = None, charts: bool = True,
               top: int | None = None, generated: datetime | None = None,
               notice_start: date | None = None,
               sections: Mapping[str, pl.DataFrame] | None = None,
               intervals: Any = None) -> Path:
    """Write the 公示 page: one self-contained, offline HTML file that prints on A4.

    Contents: title, organiser, period and round; the leaderboard (rank with 并列, unit,
    street/community, total, grade, stars, points per 一级指标, rank interval when the table has
    ``rank_lower``/``rank_upper`` or ``intervals`` is given, change since the previous round); charts as inline SVG; how it was
    computed (method, weights, judge aggregation, 满意率 definition, tie and rounding rules,
    deductions, bonuses, vetoes); satisfaction per unit; notes; the public-notice period; an audit
    footer (evaltools version, rubric SHA-256, SHA-256 of each data file, generation time).

    Parameters
    ----------
    lb : the Leaderboard.
    path : the file to write (parent folders are created).
    title : page title; default "<rubric name><round>结果公示".
    charts : include the inline SVG charts.
    top : charts show ranks 1..top only (the table always lists every unit).
    generated : generation time; default :func:`generated_at` (``SOURCE_DATE_EPOCH``).
    notice_start : first day of the public notice; default the generation date.
    sections : more tables to publish, by Chinese heading; personal columns are masked with
        :func:`mask_personal`. None = :func:`default_sections` (民情速递站 and 晒最美 when the
        dataset has tickets or votes); ``{}`` = none.
    intervals : rank intervals (:func:`evaltools.robustness.rank_intervals`) to show as 名次区间.

    Returns
    -------
    Path of the file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.leaderboard import _doctest_board
    >>> out = write_html(_doctest_board(), pathlib.Path(tempfile.mkdtemp()) / "榜单公示.html",
    ...                  charts=False)
    >>> text = out.read_text(encoding="utf-8")
    >>> "<h1 id=\\"title\\">楼栋评比第1轮结果公示</h1>" in text, "http://" in text.split("<body>")[1]
    (True, False)
    """
    text = render_html(lb, title=title, charts=charts, top=top, generated=generated,
                       notice_start=notice_start, sections=sections, intervals=intervals)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


# =============================================================================================
# CSV
# =============================================================================================


def neutralize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column through :func:`neutralize_formula` (for CSV a spreadsheet opens)."""
    strings = [n for n, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(neutralize_formula(n).alias(n) for n in strings) \
        if strings else frame


def write_csv(lb: Any, path: str | Path) -> Path:
    """Write the leaderboard as CSV, UTF-8 with a BOM (Excel shows the Chinese headers),
    Chinese headers, floats with the rubric's decimals (already rounded 四舍五入), and text that
    could run as a formula prefixed with an apostrophe.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.leaderboard import _doctest_board
    >>> out = write_csv(_doctest_board(), pathlib.Path(tempfile.mkdtemp()) / "榜单.csv")
    >>> raw = out.read_bytes()
    >>> raw[:3] == b"\\xef\\xbb\\xbf", raw.decode("utf-8-sig").splitlines()[1]
    (True, '1,第1名,A,,,,94.00,优秀,0,54.00,40.00,0.00,0.00,,3,,,false')
    """
    frame = neutralize_frame(published_table(lb))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, include_bom=True, float_precision=lb.rubric.digits)
    return path


# =============================================================================================
# Excel
# =============================================================================================


def _display_width(frame: pl.DataFrame) -> dict[str, float]:
    """Column widths in Excel units: CJK characters count two (UTF-8 bytes − chars)/2 + chars."""
    if frame.width == 0:
        return {}
    widths = {}
    w = lambda s: s.str.len_chars() + (s.str.len_bytes() - s.str.len_chars()) / 2  # noqa: E731
    stats = frame.select(
        w(pl.col(n).cast(pl.String).fill_null("")).max().alias(n) for n in frame.columns
    ).row(0, named=True) if frame.height else dict.fromkeys(frame.columns, 0)
    for n in frame.columns:
        header = len(n) + (len(n.encode("utf-8")) - len(n)) / 2
        widths[n] = min(max(float(stats[n] or 0), header) + 2.5, 60.0)
    return widths


class _Book:
    """An xlsxwriter workbook with the formats every sheet shares (deterministic bytes)."""

    def __init__(self, path: Path, lb: Any, generated: datetime):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "nan_inf_to_errors": True,
        })
        r = lb.rubric
        self.wb.set_properties({
            "title": f"{r.name}{_round_text(lb)}评比结果",
            "subject": "榜单公示",
            "author": r.organiser or "evaltools",
            "company": r.organiser or "",
            "comments": "由 evaltools 生成",
            "created": generated.astimezone(UTC).replace(tzinfo=None),  # xlsxwriter writes UTC
        })
        self.digits = r.digits
        self.header = self.wb.add_format({"bold": True, "bg_color": "#F6F1EA", "border": 1,
                                          "align": "center", "valign": "vcenter"})
        # quote_prefix: a text cell stays text even when edited (=, +, -, @ never become formulas)
        self.text = self.wb.add_format({"quote_prefix": True})
        self.score = self.wb.add_format({"num_format": "0." + "0" * r.digits if r.digits
                                         else "0"})
        self.rate = self.wb.add_format({"num_format": "0.0%"})
        self.integer = self.wb.add_format({"num_format": "0"})
        self.when = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.bold = self.wb.add_format({"bold": True})

    def sheet(self, name: str, frame: pl.DataFrame, *, freeze_cols: int = 0,
              round_floats: bool = True) -> None:
        """One table per sheet: header row, frozen, widths fitted to Chinese text; rates
        (满意率, 得分率 …) as percentages."""
        from evaltools.rounding import round_half_up

        ws = self.wb.add_worksheet(name)
        rates = tuple(n for n, t in frame.schema.items() if t.is_float() and _is_rate(n))
        floats = [n for n, t in frame.schema.items() if t.is_float() and n not in rates]
        if round_floats and floats:
            frame = frame.with_columns(round_half_up(n, self.digits) for n in floats)
        widths = _display_width(frame)
        for j, (col, dtype) in enumerate(frame.schema.items()):
            ws.write_string(0, j, col, self.header)
            values = frame[col]
            if col in rates:
                fmt, width = self.rate, max(widths[col], 9)
            elif dtype.is_float():
                fmt, width = self.score, max(widths[col], 8)
            elif dtype.is_integer():
                fmt, width = self.integer, widths[col]
            elif dtype.is_temporal():
                fmt, width = self.when, max(widths[col], 17)
                values = values.cast(pl.Datetime("us"))
            elif dtype == pl.Boolean:
                fmt, width = None, widths[col]
            else:
                fmt, width = self.text, widths[col]
                values = values.cast(pl.String)
            if frame.height:
                ws.write_column(1, j, values.to_list(), fmt)
            ws.set_column(j, j, width)
        ws.freeze_panes(1, freeze_cols)
        if frame.height and frame.width:
            ws.autofilter(0, 0, frame.height, frame.width - 1)

    def key_values(self, name: str, blocks: list[tuple[str, pl.DataFrame]]) -> None:
        """Several small tables on one sheet, each under a bold title."""
        ws = self.wb.add_worksheet(name)
        row = 0
        widths: dict[int, float] = {}
        for title, frame in blocks:
            ws.write_string(row, 0, title, self.bold)
            row += 1
            for j, col in enumerate(frame.columns):
                ws.write_string(row, j, col, self.header)
            for j, (col, w) in enumerate(_display_width(frame).items()):
                widths[j] = max(widths.get(j, 0.0), w)
                values = frame[col]
                fmt = self.text if values.dtype == pl.String else None
                ws.write_column(row + 1, j, values.to_list(), fmt)
            row += frame.height + 2
        for j, w in widths.items():
            ws.set_column(j, j, w)

    def close(self) -> None:
        self.wb.close()


def write_excel(lb: Any, path: str | Path, *, generated: datetime | None = None,
                sections: Mapping[str, pl.DataFrame] | None = None,
                intervals: Any = None) -> Path:
    """Write the leaderboard workbook.

    Sheets: 总榜 (the leaderboard, Chinese headers), 分项得分 (unit × criterion: value, max points
    or weight, deductions, points), 评委明细 (the round's raw scores, judges by id and role),
    评委宽严度 (:func:`evaltools.judging.judge_report`), 满意度 (per unit, when there are review
    cards), 群众留言 (only when the rubric allows comments), 方法与权重, 审计; then ``sections``
    (None = :func:`default_sections`: 民情速递站 and 晒最美 when present), personal columns
    masked. ``intervals`` adds 名次区间 columns (rank_lower / rank_upper) to 总榜. Headers are frozen, widths fit Chinese
    text, numbers are rounded 四舍五入 to the rubric's decimals and formatted, text cells are
    written as text (never formulas). Fixed document properties (created = generation time) make
    the bytes reproducible.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.leaderboard import _doctest_board
    >>> out = write_excel(_doctest_board(), pathlib.Path(tempfile.mkdtemp()) / "榜单.xlsx")
    >>> pl.read_excel(out, sheet_name="总榜", schema_overrides={"总分": pl.Float64}).select(
    ...     "排名", "单位编号", "总分")
    shape: (2, 3)
    ┌───────┬──────────┬──────┐
    │ 排名  ┆ 单位编号 ┆ 总分 │
    │ ---   ┆ ---      ┆ ---  │
    │ str   ┆ str      ┆ f64  │
    ╞═══════╪══════════╪══════╡
    │ 第1名 ┆ A        ┆ 94.0 │
    │ 第2名 ┆ B        ┆ 80.0 │
    └───────┴──────────┴──────┘
    """
    from evaltools.judging import judge_report

    generated = generated or generated_at()
    lb = with_intervals(lb, intervals)
    sections = default_sections(lb) if sections is None else sections
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(path, lb, generated)
    try:
        book.sheet("总榜", published_table(lb), freeze_cols=4)
        values = values_table(lb)
        book.sheet("分项得分", values, freeze_cols=2)
        judges = judges_table(lb)
        if judges is not None and judges.height:
            book.sheet("评委明细", judges, round_floats=False, freeze_cols=2)
            raw = lb.dataset.scores.filter(pl.col("criterion").is_in(
                [c.id for c in lb.rubric.criteria if c.source == "judges"]))
            if isinstance(lb.round, int):
                raw = raw.filter(pl.col("round") == lb.round)
            rep = judge_report(raw.with_columns(pl.col("judge_id").cast(pl.String)))
            book.sheet("评委宽严度", rep.select(
                pl.col("judge_id").alias("评委编号"), pl.col("n").cast(pl.Int64).alias("打分数"),
                pl.col("mean").alias("平均分"), pl.col("sd").alias("标准差"),
                pl.col("leniency").alias("宽严度"), pl.col("loo_corr").alias("与其他评委相关"),
                pl.col("robust_z").alias("稳健z值"), pl.col("outlier").alias("需复核")))
        sat = satisfaction_table(lb)
        if sat is not None:
            book.sheet("满意度", sat)
        comments = comments_table(lb)
        if comments is not None:
            book.sheet("群众留言", comments)
        for name, frame in sections.items():
            book.sheet(name[:31], mask_personal(frame))
        method = pl.DataFrame(method_lines(lb), schema={"项目": pl.String, "说明": pl.String},
                              orient="row")
        book.key_values("方法与权重", [("计算方法", method), ("指标与权重", weights_table(lb)),
                                        ("说明", _notes_zh(lb))])
        book.key_values("审计", [("审计信息", audit_table(lb, generated=generated))])
    finally:
        book.close()
    return path


# =============================================================================================
# Charts and poster
# =============================================================================================


def save_chart(chart: Any, path: str | Path, *, scale: float = 2.0) -> Path:
    """Save an altair chart as PNG or SVG (from the suffix), drawn offline by vl-convert with the
    CJK font (Chinese glyphs, not boxes). The chart may be unconfigured: the evaltools theme is
    applied at export.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.leaderboard import _doctest_board
    >>> from evaltools.charts.leaderboard import leaderboard_bars
    >>> out = save_chart(leaderboard_bars(_doctest_board()), pathlib.Path(tempfile.mkdtemp()) / "a.svg")
    >>> out.read_text(encoding="utf-8").lstrip().startswith(("<svg", "<?xml"))
    True
    """
    from evaltools.charts import to_png, to_svg

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise UsageError.choice("path suffix", suffix or path.name, [".png", ".svg"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        path.write_bytes(to_png(chart, scale=scale))
    else:
        path.write_bytes(stable_svg_ids(to_svg(chart)).encode("utf-8"))
    return path


def poster(lb: Any, path: str | Path, *, top: int = 10, title: str | None = None,
           generated: datetime | None = None, scale: float = 2.0) -> Path:
    """A poster (PNG or SVG) of the top ``top`` units — rank, name, street, total, stars — for a
    WeChat group or a notice board; organiser, round and date in the subtitle.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.leaderboard import _doctest_board
    >>> out = poster(_doctest_board(), pathlib.Path(tempfile.mkdtemp()) / "海报.png", top=3)
    >>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from evaltools.charts.leaderboard import poster_chart

    generated = generated or generated_at()
    r = lb.rubric
    sub = [s for s in (r.organiser, _round_text(lb), f"{generated:%Y年%m月%d日}") if s]
    chart = poster_chart(lb, top=top, title=title or f"{r.name} 光荣榜",
                         subtitle="　".join(sub))
    return save_chart(chart, path, scale=scale)


# =============================================================================================
# Everything at once
# =============================================================================================


def publish(lb: Any, out: str | Path, *, top: int = 10,
            sections: Mapping[str, pl.DataFrame] | None = None,
            intervals: Any = None) -> dict[str, Path]:
    """Write every output into the folder ``out``: 榜单公示.html, 榜单.xlsx, 榜单.csv,
    总分排名.png / .svg (all ranked units), 海报.png (top ``top``). Returns kind → path.

    One generation time (``SOURCE_DATE_EPOCH`` or now) is used for all files; ``sections`` and
    ``intervals`` as in :func:`write_html`.
    """
    from evaltools.charts.leaderboard import leaderboard_bars

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    when = generated_at()
    lb = with_intervals(lb, intervals)
    sections = default_sections(lb) if sections is None else sections
    bars = leaderboard_bars(lb)
    return {
        "html": write_html(lb, out / "榜单公示.html", generated=when, sections=sections),
        "xlsx": write_excel(lb, out / "榜单.xlsx", generated=when, sections=sections),
        "csv": write_csv(lb, out / "榜单.csv"),
        "png": save_chart(bars, out / "总分排名.png"),
        "svg": save_chart(bars, out / "总分排名.svg"),
        "poster": poster(lb, out / "海报.png", top=top, generated=when),
    }
