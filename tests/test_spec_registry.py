"""spec/ and the op registry name the same ops (ARCHITECTURE.md: "Tests
check that spec/ and the op registry name the same ops")."""

from __future__ import annotations

import re
from pathlib import Path

from refimpl.registry import all_specs

SPEC_DIR = Path(__file__).resolve().parents[1] / "spec"
OPS_LINE = re.compile(r"^Ops:\s*(.+)$", re.MULTILINE)


def _spec_file_ops() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(SPEC_DIR.glob("*.md")):
        names: set[str] = set()
        for line in OPS_LINE.findall(path.read_text(encoding="utf-8")):
            names.update(re.findall(r"`([^`]+)`", line))
        if names:
            found[path.name] = names
    return found


def test_every_registered_op_is_specified() -> None:
    specified = set().union(*_spec_file_ops().values())
    missing = sorted(s.name for s in all_specs() if s.name not in specified)
    assert missing == [], f"registered ops without an `Ops:` entry in spec/: {missing}"


def test_every_specified_op_is_registered() -> None:
    registered = {s.name for s in all_specs()}
    stray = {
        f"{file}: {name}"
        for file, names in _spec_file_ops().items()
        for name in names
        if name not in registered
    }
    assert sorted(stray) == [], f"spec/ names ops the registry does not have: {sorted(stray)}"


def test_spec_names_are_unique_across_files() -> None:
    seen: dict[str, str] = {}
    dupes = []
    for file, names in _spec_file_ops().items():
        for name in names:
            if name in seen:
                dupes.append(f"{name} ({seen[name]}, {file})")
            seen[name] = file
    assert dupes == []
