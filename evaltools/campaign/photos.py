"""Entry photos as data URIs for offline pages: :func:`photo_data_uris`.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import polars as pl

__all__ = ["photo_data_uris", "photo_refusal"]


def photo_data_uris(entries: pl.DataFrame, folder: str | Path, *,
                    column: str = "photo") -> pl.DataFrame:
    """``entries`` with the photos (paths relative to ``folder``) replaced by ``data:`` URIs.

    Charts then embed the pictures and render offline (a notebook or a PNG export needs no file
    server). A photo that cannot be read becomes null. Loops over the few photos, not over votes.

    Only files inside ``folder`` are read: a web address (``http://…``), an absolute path, a
    path leading out with ``..`` or a symbolic link pointing out of the folder is refused — the
    photo becomes null and one :class:`~evaltools.errors.EvalToolsWarning` names every refused
    photo and why (issue 18, item 13). Nothing is ever fetched from the network.

    Examples
    --------
    >>> import warnings, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.png").write_bytes(b"\\x89PNG")
    >>> e = pl.DataFrame({"photo": ["a.png", "http://example.com/b.png", "../c.png"]})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     out = photo_data_uris(e, d)
    >>> [None if v is None else v[:15] for v in out["photo"]]
    ['data:image/png;', None, None]
    >>> "http://example.com/b.png" in str(w[0].message)
    True
    """
    import warnings

    from evaltools.errors import EvalToolsWarning

    if column not in entries.columns:
        return entries
    base = Path(folder).resolve()
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg", ".webp": "image/webp"}
    cache: dict[str, str | None] = {}
    refused: list[str] = []
    for rel in entries[column].drop_nulls().unique().sort().to_list():  # one read per photo
        if rel.startswith("data:"):
            cache[rel] = rel
            continue
        why = photo_refusal(rel, base)
        if why is not None:
            cache[rel] = None
            refused.append(f"{rel!r}（{why[0]} | {why[1]}）")
            continue
        p = base / rel
        kind = mime.get(p.suffix.lower())
        try:
            cache[rel] = (f"data:{kind};base64,{base64.b64encode(p.read_bytes()).decode()}"
                          if kind else None)
        except OSError:
            cache[rel] = None
    if refused:
        warnings.warn(
            f"只读取数据文件夹 {base} 内的照片，以下照片未读取：{'；'.join(refused[:20])}"
            f"{' …' if len(refused) > 20 else ''} | only photos inside the data folder are "
            f"read; {len(refused)} photo(s) refused", EvalToolsWarning, stacklevel=2)
    return entries.with_columns(
        pl.col(column).replace_strict(cache, default=None, return_dtype=pl.String))


def photo_refusal(rel: str, base: Path) -> tuple[str, str] | None:
    """Why the photo path ``rel`` may not be read from the folder ``base`` (resolved), in Chinese
    and English; None when it names a file inside the folder (after following symlinks)."""
    text = rel.strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) or text.startswith("//"):
        return "网址，不联网读取", "a web address: nothing is fetched from the network"
    p = Path(text)
    if p.is_absolute() or re.match(r"^[A-Za-z]:[\\/]", text) or text.startswith("\\"):
        return "绝对路径，只能写数据文件夹内的相对路径", "an absolute path: give a path inside the data folder"
    try:
        target = (base / p).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return "无法解析的路径", "the path cannot be resolved"
    if target != base and base not in target.parents:
        return "指向数据文件夹之外", "it leads out of the data folder"
    return None
