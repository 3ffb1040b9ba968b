"""Match building names as people type them to the units table.

A 问卷星 answer, a judge's sheet or a work order often names the building (``铝厂生活区13号楼``)
instead of giving its id (``LC013``), and never quite as the units table spells it: full-width
digits (``１３号楼``), a space, a zero-width character pasted from a chat, ``13栋`` or ``13幢`` or
``13#`` for ``13号楼``, ``十三号楼`` in Chinese numerals. :func:`normalize_unit_name` folds all of
these to one key; :func:`match_units` maps each distinct name to a unit by id or by that key and
lists the closest candidates for a name that matches nothing; :func:`unmatched_name_problems`
turns the unmatched names into one grouped :class:`~evaltools.errors.Problem` per name.

Normalisation (in this order)
    1. lower-case (Latin letters only change), Unicode NFKC (full-width → half-width, ``＃`` → ``#``,
       ideographic space → space);
    2. drop every space and the zero-width characters U+200B–U+200D, U+2060 and U+FEFF;
    3. Chinese numerals 1–999 directly before a building word (号 栋 幢 楼 单元 座 排 期 区 #) become
       Arabic digits (``十三号楼`` → ``13号楼``, ``一百零二栋`` → ``102栋``); a 第 before the number is
       dropped; leading zeros of a number are dropped (``03号楼`` → ``3号``, ``06小区`` → ``6小区``);
    4. a number followed by 号楼 / 号栋 / 号幢 / 栋楼 / 幢楼 / #楼 / 号 / 栋 / 幢 / 楼 / # becomes
       ``<number>号``, and a trailing 楼 is dropped (``综合楼`` → ``综合``).

The key is for matching only: it is never shown to users nor written anywhere.

Similarity of an unmatched name to the units is difflib's ``SequenceMatcher.ratio`` (the
Ratcliff/Obershelp "gestalt pattern matching" ratio, 2·M/T) on the normalised names; candidates with
a ratio of at least 0.5 are listed, best first, at most three.
"""

from __future__ import annotations

import difflib
import functools

import polars as pl

from .errors import Problem, UsageError

__all__ = [
    "match_units",
    "normalize_unit_id",
    "normalize_unit_name",
    "unmatched_name_problems",
]

#: zero-width space, non-joiner, joiner, word joiner, byte-order mark
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = r"[\s\u200b\u200c\u200d\u2060\ufeff]+"
_BUILDING_WORDS = ("号", "栋", "幢", "楼", "单元", "座", "排", "期", "区", "#")
_DIGITS = "零一二三四五六七八九"
SIMILARITY_CUTOFF = 0.5
MAX_CANDIDATES = 3


def _chinese_forms(n: int) -> list[str]:
    """Every common way to write ``n`` (1–999) in Chinese numerals."""
    if n < 10:
        return [_DIGITS[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        tail = _DIGITS[ones] if ones else ""
        if tens == 1:
            return ["十" + tail, "一十" + tail]
        return [_DIGITS[tens] + "十" + tail]
    hundreds, rest = divmod(n, 100)
    head = _DIGITS[hundreds] + "百"
    if rest == 0:
        return [head]
    if rest < 10:
        return [head + "零" + _DIGITS[rest], head + "〇" + _DIGITS[rest]]
    if rest < 20:
        return [head + "一十" + (_DIGITS[rest - 10] if rest > 10 else "")]
    return [head + form for form in _chinese_forms(rest)]


@functools.cache
def _numeral_table() -> tuple[list[str], list[str]]:
    pairs = {
        form + word: str(n) + word
        for n in range(1, 1000)
        for form in _chinese_forms(n)
        for word in _BUILDING_WORDS
    }
    # replace_many(leftmost=True) takes the first listed pattern among those starting at the same
    # place: longest first, so 二十三号 wins over 三号 and 十三号 over 十号.
    patterns = sorted(pairs, key=lambda p: (-len(p), p))
    return patterns, [pairs[p] for p in patterns]




def _as_expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def _fold(expr: pl.Expr) -> pl.Expr:
    """Lower-case, NFKC, no spaces or zero-width characters (NFKC again once they are gone, so a
    combining mark that a space kept apart from its letter composes the same way each time)."""
    text = expr.cast(pl.String).str.to_lowercase().str.normalize("NFKC")
    return text.str.replace_all(_INVISIBLE, "").str.normalize("NFKC")


def normalize_unit_id(col: str | pl.Expr) -> pl.Expr:
    """Fold a unit id for matching: NFKC, no spaces or zero-width characters, upper-case.

    ``ＪＹ００１``, ``JY001\\u200b`` and ``jy001`` all give ``JY001``.

    >>> pl.DataFrame({"id": ["ＪＹ００１", "JY001\\u200b", " jy001"]}).select(
    ...     normalize_unit_id("id")).to_series().to_list()
    ['JY001', 'JY001', 'JY001']
    """
    return _fold(_as_expr(col)).str.to_uppercase()


def normalize_unit_name(col: str | pl.Expr) -> pl.Expr:
    """The matching key of a building name (see the module docstring for the rules).

    Parameters
    ----------
    col : a column name or a string expression.

    Returns
    -------
    pl.Expr
        The key, a string; null stays null. Idempotent: normalising a key gives the same key.

    Examples
    --------
    Full-width digits, a zero-width space, 栋 / 幢 / # for 号楼, Chinese numerals and a trailing
    楼 all give the same key:

    >>> names = ["铝厂生活区13号楼", "铝厂生活区１３号楼", "铝厂生活区 13栋\\u200b",
    ...          "铝厂生活区十三幢", "铝厂生活区13#", "铝厂生活区第13号"]
    >>> pl.DataFrame({"name": names}).select(normalize_unit_name("name").unique()).item()
    '铝厂生活区13号'
    >>> pl.select(normalize_unit_name(pl.lit("建行家属楼"))).item()
    '建行家属'
    """
    text = _fold(_as_expr(col))
    patterns, digits = _numeral_table()
    text = text.str.replace_many(patterns, digits, leftmost=True)
    text = text.str.replace_all(r"第+(\d)", "$1")
    text = text.str.replace_all(r"(^|\D)0+(\d)", "${1}${2}")
    text = text.str.replace_all(r"(\d+)(?:号楼|号栋|号幢|栋楼|幢楼|#楼|号|栋|幢|楼|#)+", "${1}号")
    return text.str.replace(r"楼+$", "")


def _candidates(key: str, keys: list[str]) -> list[tuple[str, float]]:
    scored = [(k, difflib.SequenceMatcher(None, key, k).ratio()) for k in keys]
    scored = [(k, r) for k, r in scored if r >= SIMILARITY_CUTOFF]
    scored.sort(key=lambda kr: (-kr[1], kr[0]))
    return scored[:MAX_CANDIDATES]


def match_units(names: pl.Series, units: pl.DataFrame) -> pl.DataFrame:
    """Map each distinct name (or id) to a unit of ``units``.

    A value matches a unit when its folded form equals the unit's id (:func:`normalize_unit_id`),
    else when its key equals the key of the unit's name (:func:`normalize_unit_name`). A key shared
    by two or more units is ambiguous: no unit, and those units as candidates.

    Parameters
    ----------
    names : the values as found in the file (null values are left out).
    units : the units table, with ``unit_id`` and ``name``.

    Returns
    -------
    pl.DataFrame
        One row per distinct non-null value, in order of first appearance: ``value`` (as found),
        ``unit_id`` (null when unmatched), ``matched_by`` (``"id"``, ``"name"``, ``"ambiguous"`` or
        ``"none"``), ``changed`` (true when the value differs from the matched id as typed, e.g. a
        zero-width character in an id), and for unmatched or ambiguous values ``candidate_ids``,
        ``candidate_names`` and ``similarity`` (difflib ratio of the keys), best first, at most 3.

    Examples
    --------
    >>> units = pl.DataFrame({"unit_id": ["LC013", "LC014"],
    ...                       "name": ["铝厂生活区13号楼", "铝厂生活区14号楼"]})
    >>> answers = pl.Series(["铝厂生活区１３号楼", "LC014", "铝厂生活区13号楼", "铝厂生活区15号楼"])
    >>> m = match_units(answers, units)
    >>> m.select("value", "unit_id", "matched_by").rows()  # doctest: +NORMALIZE_WHITESPACE
    [('铝厂生活区１３号楼', 'LC013', 'name'), ('LC014', 'LC014', 'id'),
     ('铝厂生活区13号楼', 'LC013', 'name'), ('铝厂生活区15号楼', None, 'none')]
    >>> m.filter(pl.col("matched_by") == "none")["candidate_ids"].to_list()
    [['LC013', 'LC014']]
    """
    missing = [c for c in ("unit_id", "name") if c not in units.columns]
    if missing:
        raise UsageError(f"参评单位表缺少列：{'、'.join(missing)}",
                         f"the units table lacks column(s): {', '.join(missing)}")
    values = (
        pl.DataFrame({"value": names.cast(pl.String)})
        .drop_nulls()
        .unique(maintain_order=True)
        .with_columns(
            normalize_unit_id("value").alias("_id_key"),
            normalize_unit_name("value").alias("_name_key"),
        )
    )
    unit_keys = units.select(
        pl.col("unit_id").cast(pl.String),
        pl.col("name").cast(pl.String),
        normalize_unit_id("unit_id").alias("_id_key"),
        normalize_unit_name("name").alias("_name_key"),
    )
    by_id = unit_keys.select("_id_key", pl.col("unit_id").alias("_by_id")).unique(
        "_id_key", keep="first", maintain_order=True)
    by_name = (
        unit_keys.drop_nulls("_name_key")
        .group_by("_name_key", maintain_order=True)
        .agg(pl.col("unit_id").alias("_name_ids"), pl.col("name").alias("_name_names"))
    )
    matched = (
        values.join(by_id, on="_id_key", how="left", maintain_order="left")
        .join(by_name, on="_name_key", how="left", maintain_order="left")
        .with_columns(_n=pl.col("_name_ids").list.len().fill_null(0))
        .with_columns(
            unit_id=pl.when(pl.col("_by_id").is_not_null()).then(pl.col("_by_id"))
            .when(pl.col("_n") == 1).then(pl.col("_name_ids").list.first()),
            matched_by=pl.when(pl.col("_by_id").is_not_null()).then(pl.lit("id"))
            .when(pl.col("_n") == 1).then(pl.lit("name"))
            .when(pl.col("_n") > 1).then(pl.lit("ambiguous"))
            .otherwise(pl.lit("none")),
        )
        .with_columns(changed=pl.col("unit_id").is_not_null() & (pl.col("value") != pl.col("unit_id"))
                      & (pl.col("matched_by") == "id"))
    )
    # Candidates: a Python loop over the distinct *unmatched* keys only (never over rows).
    unit_name_keys = by_name["_name_key"].to_list()
    ids_of = dict(zip(unit_name_keys, by_name["_name_ids"].to_list(), strict=True))
    names_of = dict(zip(unit_name_keys, by_name["_name_names"].to_list(), strict=True))
    unmatched = matched.filter(pl.col("matched_by") == "none")["_name_key"].unique().to_list()
    rows: dict[str, list] = {"_name_key": [], "_cids": [], "_cnames": [], "_sim": []}
    for key in unmatched:
        cids: list[str] = []
        cnames: list[str] = []
        sims: list[float] = []
        for k, ratio in _candidates(key or "", unit_name_keys):
            for uid, uname in zip(ids_of[k], names_of[k], strict=True):
                cids.append(uid)
                cnames.append(uname)
                sims.append(round(ratio, 3))
        rows["_name_key"].append(key)
        rows["_cids"].append(cids[:MAX_CANDIDATES])
        rows["_cnames"].append(cnames[:MAX_CANDIDATES])
        rows["_sim"].append(sims[:MAX_CANDIDATES])
    cand = pl.DataFrame(rows, schema={"_name_key": pl.String, "_cids": pl.List(pl.String),
                                      "_cnames": pl.List(pl.String), "_sim": pl.List(pl.Float64)})
    return (
        matched.join(cand, on="_name_key", how="left", maintain_order="left")
        .with_columns(
            candidate_ids=pl.when(pl.col("matched_by") == "ambiguous").then(pl.col("_name_ids"))
            .otherwise(pl.col("_cids")),
            candidate_names=pl.when(pl.col("matched_by") == "ambiguous")
            .then(pl.col("_name_names")).otherwise(pl.col("_cnames")),
            similarity=pl.when(pl.col("matched_by") == "ambiguous")
            .then(pl.col("_name_ids").list.eval(pl.lit(1.0))).otherwise(pl.col("_sim")),
        )
        .select("value", "unit_id", "matched_by", "changed", "candidate_ids", "candidate_names",
                "similarity")
    )


def unmatched_name_problems(values: pl.Series, matches: pl.DataFrame, *, file: str | None,
                            column: str, rows: pl.Series | None = None, sheet: str | None = None,
                            what_zh: str = "楼栋", max_rows: int = 5) -> list[Problem]:
    """One grouped problem per distinct value that matched no unit (or several).

    Parameters
    ----------
    values : the column as read, one entry per row of the user's file.
    matches : :func:`match_units` of ``values``.
    file, column, sheet : where the values were read (the column as the user typed it).
    rows : the Excel row number of each entry (default: header on row 1, so entry i is row i + 2).
    what_zh : what the values name, for the message (楼栋 / 楼院 / 单位).
    max_rows : how many row numbers the message lists.

    Returns
    -------
    list[Problem]
        ``unknown_unit_name`` (with the closest candidates) or ``ambiguous_unit_name``, one per
        distinct value, in order of first appearance; ``row`` is the first row where it occurs.

    Examples
    --------
    >>> units = pl.DataFrame({"unit_id": ["LC013"], "name": ["铝厂生活区13号楼"]})
    >>> answers = pl.Series(["铝厂生活区31号楼", "铝厂生活区13号楼", "铝厂生活区31号楼"])
    >>> [p] = unmatched_name_problems(answers, match_units(answers, units), file="wjx.csv",
    ...                               column="1、您居住的楼栋")
    >>> print(p.message_zh())
    wjx.csv 第2行 “1、您居住的楼栋”列：值 “铝厂生活区31号楼” 与参评单位表中的楼栋都对不上，共 2 行（第2、4行）；最接近的是 LC013 铝厂生活区13号楼。请核对名称，或在参评单位表（units.csv）中补上该楼栋。
    """
    row_numbers = rows if rows is not None else pl.Series(range(2, values.len() + 2))
    bad = matches.filter(pl.col("matched_by").is_in(["none", "ambiguous"]))
    if bad.is_empty():
        return []
    where = (
        pl.DataFrame({"value": values.cast(pl.String), "row": row_numbers.cast(pl.Int64)})
        .filter(pl.col("value").is_in(bad["value"].implode()))
        .group_by("value", maintain_order=True)
        .agg(n=pl.len(), first_rows=pl.col("row").sort().head(max_rows))
        .join(bad, on="value", how="left", maintain_order="left")
    )
    problems = []
    for rec in where.iter_rows(named=True):  # one per distinct bad value
        n = rec["n"]
        listed = "、".join(str(r) for r in rec["first_rows"]) + ("…" if n > max_rows else "")
        listed_en = ", ".join(str(r) for r in rec["first_rows"]) + (", …" if n > max_rows else "")
        pairs = [f"{i} {nm}" for i, nm in zip(rec["candidate_ids"] or [], rec["candidate_names"]
                                              or [], strict=True)]
        if rec["matched_by"] == "ambiguous":
            problems.append(Problem(
                file=file, row=rec["first_rows"][0], column=column, value=rec["value"],
                rule="ambiguous_unit_name",
                zh=f"同时对得上参评单位表中的多个{what_zh}（{'、'.join(pairs)}），共 {n} 行（第{listed}行）",
                en=f"matches several units ({', '.join(pairs)}); {n} row(s) (rows {listed_en})",
                fix_zh="请改填单位编号，或在参评单位表中把名称区分开",
                fix_en="give the unit id instead, or make the names in the units table distinct",
                sheet=sheet))
            continue
        near_zh = f"；最接近的是 {'、'.join(pairs)}" if pairs else "；没有相近的名称"
        near_en = f"; closest: {', '.join(pairs)}" if pairs else "; no similar name"
        problems.append(Problem(
            file=file, row=rec["first_rows"][0], column=column, value=rec["value"],
            rule="unknown_unit_name",
            zh=f"与参评单位表中的{what_zh}都对不上，共 {n} 行（第{listed}行）{near_zh}",
            en=f"matches no unit of the units table; {n} row(s) (rows {listed_en}){near_en}",
            fix_zh=f"请核对名称，或在参评单位表（units.csv）中补上该{what_zh}",
            fix_en="check the name, or add the unit to the units table (units.csv)",
            sheet=sheet))
    return problems
