"""Entry photos as data URIs for offline pages: :func:`photo_data_uris`.
"""

from __future__ import annotations

import base64
from pathlib import Path

import polars as pl

__all__ = ["photo_data_uris"]


def photo_data_uris(entries: pl.DataFrame, folder: str | Path, *,
                    column: str = "photo") -> pl.DataFrame:
    """``entries`` with the photos (paths relative to ``folder``) replaced by ``data:`` URIs.

    Charts then embed the pictures and render offline (a notebook or a PNG export needs no file
    server). A photo that cannot be read becomes null. Loops over the few photos, not over votes.
    """
    if column not in entries.columns:
        return entries
    base = Path(folder)
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg", ".webp": "image/webp"}
    cache: dict[str, str | None] = {}
    for rel in entries[column].drop_nulls().unique().to_list():  # one read per distinct photo
        p = base / rel
        kind = mime.get(p.suffix.lower())
        try:
            cache[rel] = (f"data:{kind};base64,{base64.b64encode(p.read_bytes()).decode()}"
                          if kind else None)
        except OSError:
            cache[rel] = None
    return entries.with_columns(
        pl.col(column).replace_strict(cache, default=None, return_dtype=pl.String))
