"""Publish a leaderboard (榜单公示): offline HTML, an A4 PDF, Excel, CSV, PNG/SVG charts and a poster.

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

from evaltools.publish.audit import CHINA_TZ, audit_table, generated_at
from evaltools.publish.bundle import FORMATS, PublishFormat, publish, publish_formats
from evaltools.publish.corrections import Supersession, supersede
from evaltools.publish.csv import write_csv
from evaltools.publish.excel import write_excel
from evaltools.publish.html import render_html, stable_svg_ids, write_html
from evaltools.publish.pdf import pdf_available, render_pdf, write_pdf
from evaltools.publish.poster import ChartFormat as ChartFormat
from evaltools.publish.poster import poster, save_chart
from evaltools.publish.privacy import (
    html_escape,
    mask_id_number,
    mask_name,
    mask_personal,
    mask_phone,
    neutralize_formula,
    neutralize_frame,
    scrub_text,
)
from evaltools.publish.qr import qr_png, qr_svg, unit_url
from evaltools.publish.tables import METHOD_ZH as METHOD_ZH
from evaltools.publish.tables import ROUNDING_ZH as ROUNDING_ZH
from evaltools.publish.tables import SOURCE_ZH as SOURCE_ZH
from evaltools.publish.tables import TIES_ZH as TIES_ZH
from evaltools.publish.tables import comments_table as comments_table
from evaltools.publish.tables import default_sections, with_intervals
from evaltools.publish.tables import group_points as group_points
from evaltools.publish.tables import judges_table as judges_table
from evaltools.publish.tables import method_lines as method_lines
from evaltools.publish.tables import published_table as published_table
from evaltools.publish.tables import satisfaction_table as satisfaction_table
from evaltools.publish.tables import values_table as values_table
from evaltools.publish.tables import weights_table as weights_table
from evaltools.publish.word import write_docx

__all__ = [
    "CHINA_TZ",
    "FORMATS",
    "PublishFormat",
    "Supersession",
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
    "pdf_available",
    "poster",
    "publish",
    "publish_formats",
    "qr_png",
    "qr_svg",
    "render_html",
    "render_pdf",
    "save_chart",
    "scrub_text",
    "stable_svg_ids",
    "supersede",
    "unit_url",
    "with_intervals",
    "write_csv",
    "write_docx",
    "write_excel",
    "write_html",
    "write_pdf",
]
