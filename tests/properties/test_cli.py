"""``refimpl check``: exit status, table, JSON report, --ops filter, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from refimpl.__main__ import main

# A few ops whose checks pass on numpy (elementwise, reduction, product).
GOOD = "exp,sum,dot"


def test_check_success_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", "--ops", GOOD, "--examples", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["op", "val", "dtype"]
    assert any(line.split()[:2] == ["exp", "ok"] for line in lines)
    assert "refimpl check on numpy: 3 ops" in out


def test_check_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    rc = main(["check", "--ops", "exp", "--examples", "2", "--seed", "3", "--json", str(path),
               "--no-progress"])  # fmt: skip
    capsys.readouterr()
    assert rc == 0
    data = json.loads(path.read_text())
    assert data["backend"] == "numpy" and data["seed"] == 3 and data["max_examples"] == 2
    assert data["ok"] is True and data["counts"]["failed"] == 0
    assert {o["op"] for o in data["outcomes"]} == {"exp"}
    first = data["outcomes"][0]
    assert set(first) >= {"op", "check", "group", "status", "examples", "worst", "message"}
    assert {o["group"] for o in data["outcomes"]} == {
        "value",
        "first_order",
        "second_order",
        "claims",
    }


def test_check_ops_filter_globs_and_families(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", "--ops", "log1*,sort", "--examples", "1", "--groups", "value",
               "--json", "-", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    data = json.loads(out[out.index("{\n") :])
    ops = {o["op"] for o in data["outcomes"]}
    assert "log1p" in ops and "argsort" in ops and "exp" not in ops, ops
    assert {o["group"] for o in data["outcomes"]} == {"value"}
    assert rc in (0, 1)


def test_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", "--backend", "nosuchlib"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "unknown backend 'nosuchlib'" in err


def test_no_matching_op_and_bad_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--ops", "no_such_op_anywhere"]) == 2
    assert "no op spec matches" in capsys.readouterr().err
    assert main(["check", "--examples", "0"]) == 2
    assert main(["check", "--groups", "value,nonsense"]) == 2
    assert main(["frobnicate"]) == 2


def test_failure_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A strict xfail on a passing check is reported XPASS and exits 1."""
    xf = tmp_path / "xfail.txt"
    xf.write_text("exp::value  # planted: exp's value check is expected to fail\n")
    rc = main(["check", "--ops", "exp", "--examples", "1", "--groups", "value",
               "--xfails", str(xf), "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 1
    assert "XPASS" in out and "remove the xfail entry" in out


def test_module_entry_point_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "refimpl", "check", "--ops", "neg", "--examples", "1",
         "--groups", "value"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "refimpl check on numpy: 1 ops" in proc.stdout
