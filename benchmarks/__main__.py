"""``python -m benchmarks``: run the benchmark suite, print the table, write the JSON.

Options: ``--quick`` (small sizes, for a smoke run), ``--case NAME`` (repeatable), ``--repeat N``
(timed runs after the warm-up, default 5), ``--large`` (include opt-in cases such as the 50M-card
out-of-core run), ``--list``, ``--out PATH``. The result is written to
``benchmarks/results/latest.json`` for a full default run, else ``quick.json`` / ``partial.json``
(only ``latest.json`` is kept in git).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.harness import CASES, format_table, run_suite, select_cases, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    p.add_argument("--case", action="append", metavar="NAME", help="run only this case")
    p.add_argument("--repeat", type=int, default=5, help="timed runs after one warm-up")
    p.add_argument("--large", action="store_true", help="also run opt-in (large) cases")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--out", type=Path, help="JSON result path")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--in-process", action="store_true",
                   help="measure in this process (no child per case; RSS less meaningful)")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.list:
        select_cases(None, large=True)
        for c in CASES.values():
            extra = " (opt-in: --large)" if c.opt_in else ""
            sizes = ", ".join(map(str, c.sizes))
            print(f"{c.name:28} {c.title} [{c.size_label} = {sizes}]{extra}")
        return 0
    res = run_suite(cases=args.case, quick=args.quick, repeat=args.repeat, large=args.large,
                    in_process=args.in_process)
    print()
    print(format_table(res.records, res.targets, markdown=args.markdown))
    if args.out is not None:
        out = args.out
    elif args.quick:
        out = RESULTS / "quick.json"
    elif args.case:
        out = RESULTS / "partial.json"
    else:
        out = RESULTS / "latest.json"
    write_json(res, out)
    print(f"\nresults: {out}")
    failed = [t for t in res.targets if t["status"] == "FAIL"]
    if failed:
        print(f"{len(failed)} target(s) missed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
