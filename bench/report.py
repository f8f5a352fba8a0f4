"""Markdown tables of a run's figures: ``python -m bench.report RUN.json``.

``python -m bench.run --json RUN.json`` writes the figures; this prints them
as the tables RESULTS.md uses (one per group), with the machine line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.harness import fmt_value


def _row(r: dict[str, Any]) -> str:
    ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
    status = {True: "met", False: "**not met**", None: ""}[r["met"]]
    target = f"{r['target']}: {status}" if r["target"] else ""
    cells = [
        r["name"], fmt_value(r["refimpl"], r["unit"]), fmt_value(r["numpy"], r["unit"]),
        ratio, target, r["note"],
    ]  # fmt: skip
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def to_markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cpus_usable']} cores; {m['platform']}; Python {m['python']}; "
        f"numpy {m['numpy']} ({m['blas']}); refimpl {m['refimpl']} at {m['git']}; threads "
        + ", ".join(f"{k}={v}" for k, v in m["threads"].items())
        + f"; clock: {m['clock']}; scale: {report['scale']}; load average at the start "
        f"{m['load_average']}, at the end {report.get('load_average_end')}; "
        f"run time {report['seconds']:.0f} s.",
    ]
    groups: dict[str, list[dict[str, Any]]] = {}
    skipped = []
    for name, case in report["cases"].items():
        groups.setdefault(name.split(".")[0], []).extend(case["results"])
        if case["status"] != "ok":
            skipped.append(f"- `{name}`: {case['status']}")
    for group, rows in groups.items():
        if not rows:
            continue
        lines += ["", f"### {group}", "", "| benchmark | refimpl | numpy | ratio | target | note |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        lines += [_row(r) for r in rows]
    if skipped:
        lines += ["", "Not run:", *skipped]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n")[0])
    p.add_argument("json_file")
    args = p.parse_args(argv)
    print(to_markdown(json.loads(Path(args.json_file).read_text())), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
