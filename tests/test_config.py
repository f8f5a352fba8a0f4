"""refimpl.config: defaults, REFIMPL_FLAGS, REFIMPLRC and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

import refimpl
import refimpl.tensor as T
from refimpl.config import Config, ConfigError


def test_defaults(tmp_path: Path) -> None:
    cfg = Config({"REFIMPLRC": str(tmp_path / "none")})
    assert cfg.floatX == "float64" and cfg.mode == "FAST_RUN" and cfg.backend == "numpy"


def test_flags_override_rc_file(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    rc.write_text("[global]\nfloatX = float32\nmode = FAST_COMPILE\n")
    cfg = Config({"REFIMPLRC": str(rc), "REFIMPL_FLAGS": "mode=FAST_RUN, backend=array_api_strict"})
    assert cfg.floatX == "float32"  # from the file
    assert cfg.mode == "FAST_RUN"  # the environment wins over the file
    assert cfg.backend == "array_api_strict"


def test_assignment_wins_and_is_validated(tmp_path: Path) -> None:
    cfg = Config({"REFIMPLRC": str(tmp_path / "none"), "REFIMPL_FLAGS": "floatX=float32"})
    cfg.floatX = "float64"
    assert cfg.floatX == "float64"
    with pytest.raises(ConfigError, match="floatX: 'float8'"):
        cfg.floatX = "float8"
    with pytest.raises(ConfigError, match="no flag 'floatx'"):
        cfg.floatx = "float32"
    with pytest.raises(ConfigError, match="mode"):
        cfg.mode = "FAST_WALK"


def test_bad_environment_flags_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REFIMPL_FLAGS: unknown flag 'colour'"):
        Config({"REFIMPLRC": str(tmp_path / "none"), "REFIMPL_FLAGS": "colour=blue"})
    with pytest.raises(ConfigError, match="not of the form"):
        Config({"REFIMPLRC": str(tmp_path / "none"), "REFIMPL_FLAGS": "floatX"})
    with pytest.raises(ConfigError, match="backend"):
        Config({"REFIMPLRC": str(tmp_path / "none"), "REFIMPL_FLAGS": "backend=tensorflow"})


def test_change_is_temporary_and_floatx_is_read_at_build_time() -> None:
    with refimpl.config.change(floatX="float32"):
        x = T.scalar("x")
        y = T.vector("y") * 2.5
    assert x.dtype == "float32" and y.dtype == "float32"
    assert T.scalar().dtype == refimpl.config.floatX


def test_mode_and_backend_defaults_come_from_config() -> None:
    x = T.dscalar("x")
    with refimpl.config.change(mode="FAST_COMPILE", backend="array_api_strict"):
        f = refimpl.function([x], x + 1)
    assert f.mode.name == "FAST_COMPILE" and f.backend.name == "array_api_strict"
