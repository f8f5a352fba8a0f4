"""Run the benchmarks: ``python -m bench.run [--quick] [--only NAME] [--json FILE]``.

Prints the machine, then one line per measured figure (refimpl, numpy,
ratio refimpl/numpy, the target and whether it is met), then a summary of
the targets. A case whose refimpl feature does not exist yet is skipped with
the reason; a case that fails is reported and the run goes on (exit status
1). ``--json FILE`` writes every figure and the machine description.

``python -m bench.run`` imports the ``bench`` package before this module,
so the thread count is pinned before numpy loads (``bench/__init__.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from bench.cases import all_cases, select
from bench.harness import (
    HEADER,
    SCALES,
    Ctx,
    Result,
    Skip,
    fmt_result,
    format_machine,
    machine_info,
    use_clock,
)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (~1 min)")
    p.add_argument(
        "--tiny", action="store_true", help="tiny sizes, one call each (checks that cases run)"
    )
    p.add_argument(
        "--only", action="append", default=[], metavar="NAME",
        help="run only this group or case (repeatable, or comma-separated)",
    )  # fmt: skip
    p.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="wall time (default) or this process's CPU time (for a machine other jobs share)",
    )  # fmt: skip
    p.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    cases = all_cases()
    if args.list:
        for c in cases:
            print(f"{c.name:<24} {c.doc}")
        return 0
    names = [n for item in args.only for n in item.split(",") if n]
    cases = select(cases, names)
    scale = SCALES["tiny" if args.tiny else "quick" if args.quick else "full"]
    use_clock(args.clock)
    info = machine_info()
    print(format_machine(info))
    print(f"scale: {scale.name} (median of {scale.repeat} batches of >= {scale.min_time} s)\n")
    print(HEADER)
    results: list[Result] = []
    report: dict[str, Any] = {"machine": info, "scale": scale.name, "cases": {}}
    failed = False
    t_start = time.perf_counter()
    for case in cases:
        ctx = Ctx(scale, emit=lambda r: print(fmt_result(r), flush=True))
        t0 = time.perf_counter()
        status = "ok"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                case.run(ctx)
        except Skip as exc:
            status = f"skipped: {exc}"
            print(f"  {case.name:<44} SKIPPED: {exc}", flush=True)
        except Exception:
            failed = True
            status = "error: " + traceback.format_exc(limit=-3).strip().splitlines()[-1]
            print(f"  {case.name:<44} ERROR", flush=True)
            traceback.print_exc(limit=-4)
        results.extend(ctx.results)
        report["cases"][case.name] = {
            "status": status,
            "seconds": round(time.perf_counter() - t0, 2),
            "results": [r.as_dict() for r in ctx.results],
        }
    total = time.perf_counter() - t_start
    report["seconds"] = round(total, 1)
    report["load_average_end"] = machine_info()["load_average"]
    print(_summary(results, total))
    print(f"load average at the end: {report['load_average_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


def _summary(results: list[Result], total: float) -> str:
    checked = [r for r in results if r.met is not None]
    met = sum(bool(r.met) for r in checked)
    lines = [f"\ntargets: {met} of {len(checked)} met; total {total:.0f} s"]
    lines += [f"  not met: {fmt_result(r).strip()}" for r in checked if not r.met]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
