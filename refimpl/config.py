"""``refimpl.config``: the one piece of global state (ARCHITECTURE.md rule 7).

Values come from, highest precedence first: assignment
(``refimpl.config.floatX = 'float32'``), the ``REFIMPL_FLAGS`` environment
variable (``floatX=float32,mode=FAST_COMPILE,backend=numpy``), the INI file
named by ``REFIMPLRC`` (default ``~/.refimplrc``, section ``[global]``), and
the defaults. Values are validated when set; an unknown flag or value raises
``ConfigError`` naming it. Config is read when graphs are built and functions
compiled, never inside an op's ``perform``/``L_op``/``R_op``.
"""

from __future__ import annotations

import configparser
import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

MODE_NAMES: Final[tuple[str, ...]] = ("FAST_COMPILE", "FAST_RUN", "DebugMode")
BACKEND_NAMES: Final[tuple[str, ...]] = (
    "numpy",
    "array_api_strict",
    "torch",
    "jax",
    "dask",
    "cupy",
)
FLOATX_VALUES: Final[tuple[str, ...]] = ("float64", "float32", "float16")


class ConfigError(ValueError):
    """An unknown configuration flag or an invalid value."""


@dataclass(frozen=True)
class _Flag:
    name: str
    default: Any
    check: Callable[[Any], Any]
    doc: str


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in choices:
            raise ConfigError(f"config.{name}: {value!r} is not one of {', '.join(choices)}")
        return value

    return check


def _mode_check(value: Any) -> Any:
    if isinstance(value, str):
        return _choice("mode", MODE_NAMES)(value)
    from refimpl.modes.mode import Mode

    if isinstance(value, Mode):
        return value
    raise ConfigError(f"config.mode: {value!r} is neither a mode name ({MODE_NAMES}) nor a Mode")


def _bool_check(name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"config.{name}: {value!r} is not a boolean")

    return check


_FLAGS: Final[dict[str, _Flag]] = {
    f.name: f
    for f in (
        _Flag("floatX", "float64", _choice("floatX", FLOATX_VALUES), "default float dtype"),
        _Flag("mode", "FAST_RUN", _mode_check, "default compilation mode"),
        _Flag("backend", "numpy", _choice("backend", BACKEND_NAMES), "default array namespace"),
        _Flag(
            "compute_test_value",
            "off",
            _choice("compute_test_value", ("off", "raise", "warn")),
            "evaluate test values while building (accepted for compatibility; 'off' only acts)",
        ),
        _Flag("print_test_value", False, _bool_check("print_test_value"), "compatibility flag"),
    )
}


def _parse_flags(text: str, origin: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ConfigError(f"{origin}: {item!r} is not of the form flag=value")
        key, value = (s.strip() for s in item.split("=", 1))
        out[key] = value
    return out


def _read_rc(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return dict(parser["global"]) if parser.has_section("global") else {}


class Config:
    """The configuration object; see the module docstring."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        values = {name: flag.default for name, flag in _FLAGS.items()}
        rc = Path(env.get("REFIMPLRC", str(Path("~/.refimplrc").expanduser())))
        for origin, settings in (
            (f"REFIMPLRC file {rc.name}", _read_rc(rc)),
            ("REFIMPL_FLAGS", _parse_flags(env.get("REFIMPL_FLAGS", ""), "REFIMPL_FLAGS")),
        ):
            for key, value in settings.items():
                if key not in _FLAGS:
                    raise ConfigError(f"{origin}: unknown flag {key!r}; known: {', '.join(_FLAGS)}")
                values[key] = _FLAGS[key].check(value)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"refimpl.config has no flag {name!r}; known: {', '.join(_FLAGS)}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _FLAGS:
            raise ConfigError(f"refimpl.config has no flag {name!r}; known: {', '.join(_FLAGS)}")
        self._values[name] = _FLAGS[name].check(value)

    @contextlib.contextmanager
    def change(self, **flags: Any) -> Iterator[None]:
        """Temporarily set flags: ``with config.change(floatX='float32'): ...``."""
        old = {k: getattr(self, k) for k in flags}
        try:
            for k, v in flags.items():
                setattr(self, k, v)
            yield
        finally:
            for k, v in old.items():
                self._values[k] = v

    def __repr__(self) -> str:
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


config: Final[Config] = Config()
