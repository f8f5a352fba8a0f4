"""``refimpl check``: run the registered specs' checks on a namespace.

    refimpl check [--backend NAME] [--ops PATTERN] [--examples N] [--seed S]
                  [--json FILE] [--xfails FILE] [--groups G,...] [--failures-only]

Prints progress, then a table op x check (``ok``, ``FAIL``, ``-`` skipped,
``xf`` expected failure, ``XPASS``) with each op's worst error ratio, then
the evidence of every failure. Exit status: 0 when everything passes, 1 on
a failure, 2 on a usage error (unknown backend, no spec matching --ops).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Final, TextIO

from refimpl.backend import BackendError, resolve_backend
from refimpl.opspec import OpSpec
from refimpl.testing.report import SYMBOL, Outcome, Report

DEFAULT_EXAMPLES: Final = 5
SHORT: Final[dict[str, str]] = {
    "value": "val", "dtype": "dtype", "backend": "ns", "infer_shape": "shape",
    "broadcast": "bcast", "no_mutation": "mut", "determinism": "det", "rop": "rop",
    "lop": "lop", "adjoint": "adj", "linearity": "lin", "grad": "grad",
    "rop_via_lop": "rvl", "second_order": "hvp", "hvp_fd": "hfd",
    "hessian_symmetry": "sym", "claim_grad": "cgrad", "claim_rop": "crop",
    "unclaimed_dtypes": "udt", "claimed_dtypes": "cdt",
}  # fmt: skip


class UsageError(Exception):
    """A bad command line (exit status 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="refimpl", description="refimpl command line")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check",
        help="run the registered ops' property checks on a namespace",
        description="Run every registered op spec's checks (value, dtype, shapes, "
        "derivatives, claims) on a namespace, against the numpy references.",
    )
    check.add_argument("--backend", default="numpy", help="namespace name (default: numpy)")
    check.add_argument(
        "--ops", default=None, help="spec names or families: comma-separated globs or a regex"
    )
    check.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"examples per op and group (default: {DEFAULT_EXAMPLES})",
    )
    check.add_argument("--seed", type=int, default=0, help="seed of the drawn examples")
    check.add_argument(
        "--json",
        dest="json_file",
        default=None,
        help="write the JSON report to this file ('-': stdout)",
    )
    check.add_argument(
        "--xfails", default=None, help="a strict xfail list ('spec::check  # reason' lines)"
    )
    check.add_argument(
        "--groups",
        default=None,
        help="comma-separated groups (value, first_order, second_order, claims)",
    )
    check.add_argument(
        "--failures-only",
        action="store_true",
        help="show only the ops with a failing check in the table",
    )
    check.add_argument("--no-progress", action="store_true", help="do not show progress")
    return parser  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """The ``refimpl`` console script; returns the exit status."""
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    try:
        return _check(ns, sys.stdout, sys.stderr)
    except UsageError as exc:
        print(f"refimpl check: error: {exc}", file=sys.stderr)
        return 2


def _options(ns: argparse.Namespace) -> tuple[Any, list[OpSpec], list[str], dict[str, str]]:
    from refimpl.registry import all_specs
    from refimpl.testing.runner import GROUPS, load_xfails, select_specs

    try:
        backend = resolve_backend(ns.backend)
    except BackendError as exc:
        raise UsageError(str(exc)) from exc
    if ns.examples < 1:
        raise UsageError(f"--examples must be at least 1, got {ns.examples}")
    specs = select_specs(all_specs(), ns.ops)
    if not specs:
        raise UsageError(f"no op spec matches --ops {ns.ops!r}")
    groups = list(GROUPS) if ns.groups is None else [g.strip() for g in ns.groups.split(",")]
    bad = [g for g in groups if g not in GROUPS]
    if bad:
        raise UsageError(f"unknown group(s) {bad}; expected some of {', '.join(GROUPS)}")
    try:
        xfail = load_xfails(ns.xfails) if ns.xfails else {}
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return backend, specs, groups, xfail


def _check(ns: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from refimpl.testing.runner import check_backend

    backend, specs, groups, xfail = _options(ns)
    progress = _Progress(len(specs), err, enabled=not ns.no_progress)
    with progress:
        report = check_backend(
            backend, None, ns.examples, ns.seed, specs=specs, groups=groups, xfail=xfail,
            progress=progress.step,
        )  # fmt: skip
    print_report(report, out, failures_only=ns.failures_only)
    if ns.json_file:
        text = report.to_json()
        if ns.json_file == "-":
            out.write(text + "\n")
        else:
            with open(ns.json_file, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
    return 0 if report.ok else 1


class _Progress:
    """rich progress bar when rich is installed and ``stream`` is a
    terminal; otherwise one plain line per failing op."""

    def __init__(self, total: int, stream: TextIO, enabled: bool = True) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled and self.stream.isatty():
            try:
                from rich.console import Console
                from rich.progress import Progress
            except ImportError:
                return self
            self._bar = Progress(console=Console(file=self.stream), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("checking", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def step(self, spec: OpSpec, outcomes: list[Outcome]) -> None:
        self.done += 1
        failing = [o.check for o in outcomes if o.failing]
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"checking {spec.name}")
        elif self.enabled:
            status = "FAIL " + ",".join(failing) if failing else "ok"
            print(f"[{self.done}/{self.total}] {spec.name}: {status}", file=self.stream)


def print_report(report: Report, out: TextIO, failures_only: bool = False) -> None:
    """The table, the failures' evidence and the summary."""
    checks: dict[str, None] = {}
    for o in report.outcomes:
        checks.setdefault(o.check, None)
    header = ["op", *(SHORT.get(c, c) for c in checks), "worst"]
    rows = []
    for op in report.ops():
        mine = {o.check: o for o in report.outcomes if o.op == op}
        if failures_only and not any(o.failing for o in mine.values()):
            continue
        cells = [SYMBOL[mine[c].status] if c in mine else "" for c in checks]
        worst = [o.worst for o in mine.values() if o.worst is not None and o.status != "skipped"]
        rows.append([op, *cells, f"{max(worst):.2g}" if worst else ""])
    _table(header, rows, out)
    legend = ", ".join(f"{v}={k}" for k, v in SHORT.items() if k in checks)
    print(f"\nchecks: {legend}", file=out)
    if report.failures:
        print("\n" + report.failure_text(), file=out)
    print(f"\n{report.summary()} in {report.duration_s:.1f} s", file=out)


def _table(header: list[str], rows: list[list[str]], out: TextIO) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), file=out)
        return
    table = Table(show_lines=False, pad_edge=False, box=None)
    for h in header:
        table.add_column(h, no_wrap=True)
    for r in rows:
        table.add_row(*(_styled(c) for c in r))
    Console(file=out, width=max(120, 8 * len(header) + 30)).print(table)


def _styled(cell: str) -> str:
    if cell in ("FAIL", "XPASS"):
        return f"[bold red]{cell}[/]"
    if cell == "ok":
        return f"[green]{cell}[/]"
    return cell
