"""Shared fixtures. System components (CJK fonts, Chromium) skip locally when missing but fail
under CI=true, so a CI machine without them can never pass by skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def require_component(ok: bool, what: str, install: str) -> None:
    """Skip (locally) or fail (under CI=true) when a system component is missing."""
    if ok:
        return
    msg = f"missing system component: {what}; install with `{install}` (make test does it as root)"
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return "Noto Sans CJK SC" in out


@pytest.fixture(scope="session")
def cjk_font() -> None:
    require_component(has_cjk_font(), "Noto Sans CJK SC font", "apt-get install fonts-noto-cjk")


@pytest.fixture(scope="session")
def chromium() -> str:
    require_component(os.access(CHROMIUM, os.X_OK), CHROMIUM, "apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def pdf_renderer() -> None:
    """WeasyPrint with the system's pango (the 公示 PDF)."""
    from evaltools.publish.pdf import pdf_available

    require_component(pdf_available(), "pango (WeasyPrint's PDF renderer)",
                      "apt-get install libpango-1.0-0 libpangoft2-1.0-0")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The reference cases with known answers (a copy of ../shared/reference kept in the repo)."""
    return ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def test_output() -> Path:
    """Where tests leave screenshots and PNGs for a person to look at."""
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out
