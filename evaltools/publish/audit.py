"""When and from what a publication was made: generation time and the audit table.

:func:`generated_at` honours ``SOURCE_DATE_EPOCH``; :func:`audit_table` lists the software version,
the rubric and the SHA-256 of every input file.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import Problem, UsageError

__all__ = ["CHINA_TZ", "audit_table", "generated_at", "rubric_changed"]

#: China has one time zone and no daylight saving time: UTC+8 (北京时间).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


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


def time_text(t: datetime) -> str:
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


def rubric_changed(lb: Any) -> bool:
    """Whether the board's rubric differs from the dataset's saved rubric (weights, method or
    ties changed in code, e.g. in the weight explorer): such a page is a draft, not a 公示."""
    original = getattr(lb.dataset, "rubric", None)
    return original is not None and original != lb.rubric


_rubric_changed = rubric_changed


def audit_table(lb: Any, *, generated: datetime | None = None) -> pl.DataFrame:
    """What a published leaderboard was computed from: evaltools version, rubric and its SHA-256,
    the SHA-256 of each data file, round, method, and the generation time.

    Examples
    --------
    >>> from datetime import datetime
    >>> from evaltools.examples import two_buildings
    >>> t = audit_table(two_buildings(), generated=datetime(2024, 5, 1, 9, 30, tzinfo=CHINA_TZ))
    >>> t.filter(pl.col("项目").is_in(["计分方法", "生成时间"])).rows()
    [('计分方法', 'points'), ('生成时间', '2024-05-01 09:30（北京时间）')]
    """
    from evaltools.version import __version__

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
        ("生成时间", time_text(generated)),
    ]
    return pl.DataFrame(rows, schema={"项目": pl.String, "值": pl.String}, orient="row")
