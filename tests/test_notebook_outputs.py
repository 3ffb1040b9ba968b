"""What people read in the notebooks (issue 15): no output shows polars' raw frame (``shape:``, a
dtype row), ``null``, ``true``/``false`` or an English column header; every analysis notebook
starts with one parameters cell ``DATA = "data/sample"``."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
RAW_FRAME = re.compile(r"shape: \(|^│ (str|f64|i64|u32|bool|date)\b|\bnull\b|\b(true|false)\b",
                       re.M)
HEADER = re.compile(r"<th[^>]*>([^<]*)</th>")
ENGLISH = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]*$")
#: headers that are names, not English words (method names people use as they are)
ALLOWED = {"ICC", "ICC(2,k)", "ICC(3,1)", "Kendall W", "F 值"}


def _outputs(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            out += [(mime, data[mime]) for mime in ("text/plain", "text/html") if mime in data]
            if o.get("output_type") == "stream":
                out.append(("stream", o.get("text", "")))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_raw_frames_or_english_headers(path):
    assert NOTEBOOKS, "no notebooks found"
    for mime, text in _outputs(path):
        if mime == "text/html" and "<svg" in text[:200]:
            continue
        plain = re.sub(r"<style.*?</style>", "", text, flags=re.S)
        shown = re.sub(r"<[^>]+>", " ", plain) if mime == "text/html" else plain  # cell texts
        m = RAW_FRAME.search(shown)
        assert m is None, f"{path.name} {mime}: {shown[max(0, m.start() - 80):m.end() + 80]!r}"
        if mime == "text/html":
            english = [h for h in HEADER.findall(plain)
                       if ENGLISH.match(h.strip()) and h.strip() not in ALLOWED]
            assert not english, f"{path.name}: English column headers {english}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.stem.startswith("00")],
                         ids=lambda p: p.stem)
def test_every_notebook_starts_with_a_data_parameter(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.startswith('DATA = "data/sample"'), first.source
    assert "parameters" in first.metadata.get("tags", [])
    later = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "load_sample" not in later and "open_data(DATA)" in later
