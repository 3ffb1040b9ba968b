"""Print a result JSON as Markdown (machine, tables): ``python -m benchmarks.report [PATH]``.

Used to refresh the table in ``docs/performance.md`` from ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.harness import format_table

DEFAULT = Path(__file__).resolve().parent / "results" / "latest.json"


def machine_markdown(env: dict) -> str:
    v = env["versions"]
    threads = ", ".join(f"{k}={val}" for k, val in env["env"].items() if val is not None) or "none"
    return "\n".join([
        f"- CPU: {env['cpu']}, nproc = {env['nproc']}, RAM {env['mem_total_gb']} GB",
        f"- {env['platform']}; Python {env['python']}",
        f"- polars {v['polars']} ({env['polars_threads']} threads), numpy {v['numpy']}, "
        f"scipy {v['scipy']}, pymcdm {v['pymcdm']}, scikit-criteria {v['scikit-criteria']}",
        f"- thread variables set in the environment: {threads}",
    ])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT
    data = json.loads(path.read_text(encoding="utf-8"))
    print(machine_markdown(data["environment"]))
    print()
    print(format_table(data["records"], data["targets"], markdown=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
