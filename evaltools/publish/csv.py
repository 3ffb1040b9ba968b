"""The CSV form of a leaderboard (UTF-8 with BOM, formulas defused): :func:`write_csv`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evaltools.publish.audit import dataset_inputs
from evaltools.publish.privacy import neutralize_frame, publishable
from evaltools.publish.tables import published_table
from evaltools.writing import atomic_open, check_output_path

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard

__all__ = ["write_csv"]


def write_csv(lb: Leaderboard, path: str | Path) -> Path:
    """Write the leaderboard as CSV, UTF-8 with a BOM (Excel shows the Chinese headers),
    Chinese headers, floats with the rubric's decimals (already rounded 四舍五入), and text that
    could run as a formula prefixed with an apostrophe.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = write_csv(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "榜单.csv")
    >>> raw = out.read_bytes()
    >>> raw[:3] == b"\\xef\\xbb\\xbf", raw.decode("utf-8-sig").splitlines()[1]
    (True, '1,第1名,A,,,,94.00,优秀,0,54.00,40.00,0.00,0.00,,3,,,false')
    """
    lb = publishable(lb)  # phones, ID numbers, bidi controls in names (issue 18)
    frame = neutralize_frame(published_table(lb))
    path = check_output_path(path, inputs=dataset_inputs(lb))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as f:
        frame.write_csv(f, include_bom=True, float_precision=lb.rubric.digits)
    return path
