"""The benchmarks still run: each case once, at a tiny size.

These tests never look at a timing (bench/ measures; tests do not assert on
speed). They check that every case runs, that refimpl's values agree with
the hand-written numpy versions (each case raises ``Mismatch`` otherwise),
and that the runner's command line and JSON output work.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` does not put the repository root on the path
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.cases import all_cases, select  # noqa: E402
from bench.harness import SCALES, Ctx, Result, Skip, Target  # noqa: E402

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_runs_at_tiny_size(case: object) -> None:
    ctx = Ctx(SCALES["tiny"])
    try:
        case.run(ctx)  # type: ignore[attr-defined]
    except Skip as exc:
        pytest.skip(f"{case.name}: {exc}")  # type: ignore[attr-defined]
    assert ctx.results, f"{case.name} produced no figures"  # type: ignore[attr-defined]
    for r in ctx.results:
        assert r.name.startswith(case.group + "."), r.name  # type: ignore[attr-defined]
        assert math.isfinite(r.refimpl), r
        assert r.numpy is None or math.isfinite(r.numpy), r


def test_every_group_has_cases() -> None:
    groups = {c.group for c in CASES}
    assert groups == {"overhead", "logreg", "mlp", "hvp", "rnn", "convnet", "compile", "memory"}
    assert len({c.name for c in CASES}) == len(CASES)


def test_select_by_group_prefix_and_name() -> None:
    assert {c.group for c in select(CASES, ["mlp"])} == {"mlp"}
    assert [c.name for c in select(CASES, ["mlp.float32"])] == ["mlp.float32"]
    assert select(CASES, []) == CASES
    with pytest.raises(SystemExit, match="no such benchmark"):
        select(CASES, ["nonexistent"])


def test_result_ratio_and_target() -> None:
    r = Result("x.y", 2.0, numpy=4.0, target=Target("ratio", 1.1, "<= 1.1x"))
    assert r.ratio == 0.5 and r.met is True
    r = Result("x.y", 5e-6, target=Target("value", 4e-6, "<= 4 µs"))
    assert r.ratio is None and r.met is False
    assert "NOT MET" in harness.fmt_result(r)
    assert Result("x.y", 1.0).met is None


def test_formatting_units() -> None:
    assert harness.fmt_value(1.5e-6, "s") == "1.5 µs"
    assert harness.fmt_value(0.0123, "s") == "12.3 ms"
    assert harness.fmt_value(80e6, "B") == "80.0 MB"
    assert harness.fmt_value(2e-5, "s/node") == "20 µs/node"
    assert harness.fmt_value(None, "s") == "-"


def test_peak_bytes_counts_numpy_allocations() -> None:
    peak = harness.peak_bytes(lambda: np.ones(10**6))
    assert peak >= 8 * 10**6


def test_machine_info_names_the_thread_settings() -> None:
    info = harness.machine_info()
    assert set(info["threads"]) == {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}
    assert "threads" in harness.format_machine(info)


def test_runner_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import run

    out = tmp_path / "r.json"
    assert run.main(["--tiny", "--only", "overhead.scalar", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert list(report["cases"]) == ["overhead.scalar"]
    case = report["cases"]["overhead.scalar"]
    assert case["status"] == "ok" and case["results"]
    assert "targets:" in capsys.readouterr().out
    from bench import report as md

    table = md.to_markdown(report)
    assert "| overhead.scalar FAST_RUN |" in table and "### overhead" in table


def test_runner_lists_cases(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import run

    assert run.main(["--list"]) == 0
    assert "logreg.train_step" in capsys.readouterr().out


def test_nodeprof_reports_each_node() -> None:
    import refimpl
    import refimpl.tensor as T
    from bench import nodeprof

    x = T.dvector("x")
    f = refimpl.function([x], T.exp(x).sum() * 2, mode="FAST_RUN", backend="numpy")
    prof = nodeprof.profile_function(f, (np.ones(5),), calls=3)
    assert len(prof["nodes"]) == len(f.fgraph.apply_nodes)
    assert "call path" in nodeprof.report("t", prof)
