"""Privacy and safety of published text: masking personal fields, scrubbing free text, defusing formulas, escaping HTML.

All are polars expressions (vectorised) or frame functions: :func:`mask_name`, :func:`mask_phone`,
:func:`mask_id_number`, :func:`scrub_text`, :func:`neutralize_formula`, :func:`html_escape`,
:func:`mask_personal`, :func:`neutralize_frame`.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from typing import Any

import polars as pl

from evaltools.publish.memo import per_object

__all__ = ["html_escape", "mask_id_number", "mask_name", "mask_personal", "mask_phone", "neutralize_formula", "neutralize_frame", "publishable", "publishable_str", "scrub_text", "show_invisible"]


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
#: landlines written with an area code and a hyphen or space: 0371-68881234, 0371-6888 1234
_LANDLINE_IN_TEXT = r"(^|\D)(0\d{2,3})[-－ ](\d{3,4})[-－ ]?(\d{4})(\D|$)"
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


#: characters that reorder or hide text on a page or in a spreadsheet: C0 controls but tab and
#: newline, DEL, C1 controls, bidi embeddings / overrides / isolates (U+202A–202E, U+2066–2069,
#: U+200E/F, U+061C), zero-width characters and the BOM, the line and paragraph separators
INVISIBLE = tuple(
    [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]
    + [chr(c) for c in (0x061C, *range(0x200B, 0x2010), *range(0x2028, 0x202F),
                        *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF)])
_INVISIBLE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in INVISIBLE) + "]"


def show_invisible(col: str | pl.Expr) -> pl.Expr:
    """Show bidi controls, zero-width characters and other control characters as ``<U+XXXX>``,
    so a right-to-left override or a zero-width space cannot make one name look like another on
    the published page (issue 18, item 12). Text without them is unchanged.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"n": ["三号楼\u202egnp.exe", "JY001\u200b", "五号楼"]}).select(
    ...     show_invisible("n"))["n"].to_list()
    ['三号楼<U+202E>gnp.exe', 'JY001<U+200B>', '五号楼']
    """
    # one Aho-Corasick pass over the single characters (a chain of 53 replace_all took 35×
    # longer); text without them comes out as it went in
    return _expr(col).cast(pl.String).str.replace_many(
        list(INVISIBLE), [f"<U+{ord(c):04X}>" for c in INVISIBLE])


def publishable_text(col: str | pl.Expr) -> pl.Expr:
    """Free text as it may be published: phones and ID numbers masked (:func:`scrub_text`),
    invisible characters shown (:func:`show_invisible`)."""
    return show_invisible(scrub_text(col))


# ---------------------------------------------------------------------------------------------
# The same, for one Python string (rubric titles, notes): Python's ``re``, no polars query. The
# patterns are the ones above, spelled for ``re``: polars' ``\d`` is Unicode's Nd category in the
# Unicode version of its regex engine, newer than Python's ``unicodedata`` (the digits of scripts
# added since are listed: tests compare every code point with polars); ``$`` is ``\Z`` (``re``'s
# ``$`` also matches before a final newline). Tests check the two agree on generated text.
# ---------------------------------------------------------------------------------------------

#: Nd digits that polars' regex engine knows and Python's ``unicodedata`` (Unicode 14) does not
_NEWER_DIGITS = ("\U00010d40-\U00010d49\U000116d0-\U000116e3\U00011bf0-\U00011bf9"
                 "\U00011f50-\U00011f59\U00016130-\U00016139\U00016d70-\U00016d79"
                 "\U0001ccf0-\U0001ccf9\U0001e4f0-\U0001e4f9\U0001e5f1-\U0001e5fa")


def _python_pattern(pattern: str) -> re.Pattern[str]:
    digit, other = f"[\\d{_NEWER_DIGITS}]", f"[^\\d{_NEWER_DIGITS}]"
    body = (pattern.replace("\\D", "\0").replace("\\d", digit).replace("\0", other)
            .replace("$)", "\\Z)"))
    return re.compile(body)


def _python_replacement(template: str) -> str:
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", template)


#: (pattern, replacement) of :func:`scrub_text`, in order, each applied twice
_SCRUBS = tuple((_python_pattern(p), _python_replacement(r)) for p, r in (
    (_ID_IN_TEXT, "${1}${2}***********${3}${4}"),
    (_MOBILE_IN_TEXT, "${1}${2}****${3}${4}"),
    (_LANDLINE_IN_TEXT, "${1}${2}-****${4}${5}"),
    (_LONG_DIGITS_IN_TEXT, "${1}${2}****${3}${4}")))
_SHOWN = {ord(c): f"<U+{ord(c):04X}>" for c in INVISIBLE}
#: every pattern needs four digits in a row (138 1234 5678 has no longer run), :func:`show_invisible`
#: an invisible character: a string with neither is published as it is
_NEEDS_WORK = re.compile(f"[\\d{_NEWER_DIGITS}]{{4}}|[{re.escape(''.join(INVISIBLE))}]")


def publishable_str(text: str | None) -> str | None:
    """One string as :func:`publishable_text` makes it (phones and ID numbers masked, invisible
    characters shown), computed in Python: the same result as the polars expression, without a
    query per string (the rubric's names, the notes).

    Examples
    --------
    >>> publishable_str("王阿姨13812345678\\u202e")
    '王阿姨138****5678<U+202E>'
    >>> publishable_str(None) is None, publishable_str("")
    (True, '')
    """
    if not text or not _NEEDS_WORK.search(text):
        return text
    for pattern, replacement in _SCRUBS:
        for _ in range(2):  # twice: a match consumes the character after it, hiding a neighbour
            text = pattern.sub(replacement, text)
    return text.translate(_SHOWN)


#: rubric fields that are free text people read (ids, items and labels are keys: kept)
_TEXT_FIELDS = ("name", "group", "organiser", "period", "unit")


def _scrub_rubric_part(obj: Any) -> Any:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in _TEXT_FIELDS and isinstance(value, str):
            changes[f.name] = publishable_str(value)
        elif isinstance(value, tuple) and value and all(
                dataclasses.is_dataclass(v) and not isinstance(v, type) for v in value):
            changes[f.name] = tuple(_scrub_rubric_part(v) for v in value)
    return dataclasses.replace(obj, **changes)


def _scrub_columns(frame: Any, keep: tuple[str, ...] = ()) -> Any:
    """Every text column of ``frame`` but ``keep`` through :func:`publishable_text` (a column
    is rewritten only when it holds something to mask or show)."""
    if not isinstance(frame, pl.DataFrame):
        return frame
    cols = [n for n, t in frame.schema.items() if t == pl.String and n not in keep]
    if not cols:
        return frame
    # every pattern of scrub_text needs four digits in a row (138 1234 5678 has no longer run)
    need = frame.select(pl.any_horizontal(
        pl.col(c).str.contains(r"\d{4}|" + _INVISIBLE_CLASS).any() for c in cols)).item()
    if not need:
        return frame
    return frame.with_columns(publishable_text(c).alias(c) for c in cols)


#: the key columns of each table of a dataset (joins need them as they are); judge ids are
#: free text here: a judge id that is a phone number is masked in 评委明细
_KEYS = {"units": ("unit_id",), "scores": ("unit_id", "criterion"),
         "judges": (), "entries": ("unit_id", "entry_id", "photo", "category"),
         "deductions": ("unit_id", "item", "criterion")}


#: leaderboards :func:`publishable` returned: publishing them again returns them as they are
#: (every writer of :func:`evaltools.publish.publish` is given the one made publishable once)
_PUBLISHABLE: weakref.WeakSet[Any] = weakref.WeakSet()


def publishable(lb: Any) -> Any:
    """The leaderboard with every free-text field people will read made safe to publish (issue
    18, item 11): unit names, streets, communities, the rubric's title, organiser, period,
    criterion, group, rule, grade and star names, notes, the 晒最美 entries' titles and judge ids
    go through :func:`scrub_text` (phones and ID numbers masked) and :func:`show_invisible`.
    Every published file (page, workbook, CSV, charts, poster) is made from it. Unit ids,
    criterion ids and items are keys and stay. Idempotent.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> import dataclasses
    >>> lb = two_buildings()
    >>> lb = dataclasses.replace(lb, table=lb.table.with_columns(name=pl.lit("王13812345678楼")))
    >>> publishable(lb).table["name"].to_list()
    ['王138****5678楼', '王138****5678楼']
    """
    if not hasattr(lb, "__dataclass_fields__"):  # a stand-in: nothing to rebuild
        return lb
    try:
        if lb in _PUBLISHABLE:  # made publishable already (immutable): idempotent
            return lb
    except TypeError:  # not hashable or weakly referable: rebuilt each time
        pass
    changes: dict[str, Any] = {
        "table": _scrub_columns(lb.table, ("unit_id",)),
        "values": _scrub_columns(lb.values, ("unit_id", "criterion", "source", "rule")),
        "adjustments": _scrub_columns(lb.adjustments, ("unit_id", "kind", "item", "criterion",
                                                        "action")),
        "notes": tuple(publishable_str(n) or "" for n in lb.notes),
    }
    if dataclasses.is_dataclass(lb.rubric):
        changes["rubric"] = _scrub_rubric_part(lb.rubric)
    ds = getattr(lb, "dataset", None)
    if dataclasses.is_dataclass(ds) and not isinstance(ds, type):
        parts: dict[str, Any] = {name: _scrub_columns(getattr(ds, name), keys)
                                 for name, keys in _KEYS.items() if hasattr(ds, name)}
        ds_rubric = getattr(ds, "rubric", None)
        if dataclasses.is_dataclass(ds_rubric):
            parts["rubric"] = _scrub_rubric_part(ds_rubric)
        changes["dataset"] = dataclasses.replace(ds, **parts)
    out = dataclasses.replace(lb, **changes)
    try:
        _PUBLISHABLE.add(out)
    except TypeError:
        pass
    return out


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
    return _masked_once(frame)


def _mask_personal(frame: pl.DataFrame) -> pl.DataFrame:
    maskers = _personal_maskers()
    exprs = []
    for name, dtype in frame.schema.items():
        if name in maskers:
            exprs.append(maskers[name](name).alias(name))
        elif dtype == pl.String:
            exprs.append(publishable_text(name).alias(name))
    return frame.with_columns(exprs) if exprs else frame


#: one publication's page and workbook mask the same section frames (issue 17: four queries
#: each): the masked copy once per frame object, forgotten with the frame
_masked_once = per_object(_mask_personal)


# =============================================================================================
# CSV
# =============================================================================================


def neutralize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column through :func:`neutralize_formula`, and every header too (a criterion
    named ``=HYPERLINK(…)`` becomes a header), for the CSV and Excel files a spreadsheet opens.

    Examples
    --------
    >>> import polars as pl
    >>> neutralize_frame(pl.DataFrame({"=HYPERLINK(1)": ["=cmd"], "名称": ["三号楼"]})).rows(
    ...     named=True)
    [{"'=HYPERLINK(1)": "'=cmd", '名称': '三号楼'}]
    """
    strings = [n for n, t in frame.schema.items() if t == pl.String]
    out = frame.with_columns(neutralize_formula(n).alias(n) for n in strings) \
        if strings else frame
    risky = {n: "'" + n for n in out.columns if n[:1] in ("=", "+", "-", "@", "\t", "\r")}
    return out.rename(risky) if risky else out


# =============================================================================================
# Judges
# =============================================================================================


def judge_aliases(lb: Any) -> pl.DataFrame:
    """``judge_id`` → ``published``: how each judge appears in published files.

    Judges are private by default: sheets are usually named after the judge, so the natural judge
    id is a person's name. Every published file and the audit show 评委1…评委N instead — numbered
    in the order of the judges table when there is one, else in sorted id order, so the same
    dataset always gives the same numbers and the office can tell who 评委3 is from its own files.
    ``[publish] judge_names = true`` in the rubric publishes the ids as given (the leaderboard's
    notes then say so).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import polars as pl
    >>> ds = SimpleNamespace(judges=None, scores=pl.DataFrame({"judge_id": ["王芳", "李强", "王芳"]}))
    >>> lb = SimpleNamespace(dataset=ds, rubric=SimpleNamespace(judge_names=False))
    >>> judge_aliases(lb).rows()
    [('李强', '评委1'), ('王芳', '评委2')]
    """
    ds = getattr(lb, "dataset", None)
    judges = getattr(ds, "judges", None)
    scores = getattr(ds, "scores", None)
    ids = pl.Series("judge_id", [], pl.String)
    if judges is not None and "judge_id" in judges.columns:
        ids = judges["judge_id"].cast(pl.String).drop_nulls().unique(maintain_order=True)
    if scores is not None and "judge_id" in scores.columns:  # judges missing from the table
        extra = scores["judge_id"].cast(pl.String).drop_nulls().unique().sort()
        ids = pl.concat([ids, extra.filter(~extra.is_in(ids.implode()))])
    frame = ids.to_frame().with_row_index("k", offset=1)
    keep = bool(getattr(getattr(lb, "rubric", None), "judge_names", False))
    published = pl.col("judge_id") if keep else pl.format("评委{}", "k")
    return frame.select("judge_id", published.alias("published"))


def publish_judges(frame: pl.DataFrame, aliases: pl.DataFrame, col: str = "judge_id"
                   ) -> pl.DataFrame:
    """``frame`` with its judge column ``col`` replaced by the published judge ids."""
    mapping = dict(aliases.iter_rows())
    return frame.with_columns(pl.col(col).cast(pl.String)
                              .replace_strict(mapping, default=pl.col(col).cast(pl.String)))
