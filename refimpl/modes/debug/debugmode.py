"""``DebugMode``: the referee mode (spec/debugmode.md).

A ``DebugMode`` is a ``Mode`` whose passes are its *base mode*'s (FAST_RUN
by default) and whose executor (``runner.DebugExecutor``) runs every node of
the rewritten graph and of the graph as written, with the checks switched on
by its options. ``function(..., mode='DebugMode')`` uses ``DEBUG_MODE``, the
default instance; ``function(..., mode=DebugMode(check_backends=('torch',)))``
a configured one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from refimpl.backend import Backend, BackendError, resolve_backend
from refimpl.graph.fg import FunctionGraph
from refimpl.modes.debug.compare import Tolerance
from refimpl.modes.debug.tracker import Snapshot, snapshot
from refimpl.modes.mode import FAST_RUN, Mode, get_mode

if TYPE_CHECKING:
    from refimpl.modes.executor import PythonExecutor

_Record = tuple[Snapshot | None, list[Any]]


@dataclass(frozen=True, init=False, repr=False)
class DebugMode(Mode):
    """Run every node and check it (see the module docstring and API.md).

    ``check_isfinite``: NaN/Inf in an input, intermediate or output;
    ``check_rewrites``: the rewritten graph against the graph as written;
    ``check_impls``: registered implementations against ``perform``;
    ``check_backends``: backend names whose result each node is compared
    with (``BackendError`` here when one is unknown or not installed);
    ``check_shapes``: ``infer_shape`` against the values; ``check_types``:
    values against declared types; ``check_inplace``: inputs changed without
    ``destroy_map``; ``rtol``/``atol``: override the per-dtype tolerances;
    ``base_mode``: the mode whose passes produce the rewritten graph (a
    ``Mode`` or a name; default FAST_RUN).
    """

    # the defaults only satisfy the dataclass machinery: __init__ sets every field
    check_isfinite: bool = True
    check_rewrites: bool = True
    check_impls: bool = True
    check_backends: tuple[str, ...] = ()
    check_shapes: bool = True
    check_types: bool = True
    check_inplace: bool = True
    rtol: float | None = None
    atol: float | None = None
    base_mode: Mode = FAST_RUN
    _records: WeakKeyDictionary[FunctionGraph, _Record] = field(
        default_factory=WeakKeyDictionary, compare=False, hash=False, repr=False
    )

    def __init__(
        self,
        check_isfinite: bool = True,
        check_rewrites: bool = True,
        check_impls: bool = True,
        check_backends: str | Iterable[str] = (),
        check_shapes: bool = True,
        check_types: bool = True,
        check_inplace: bool = True,
        rtol: float | None = None,
        atol: float | None = None,
        base_mode: Mode | str | None = None,
    ) -> None:
        base = _base(base_mode)
        names = _backend_names(check_backends)
        for label, tol in (("rtol", rtol), ("atol", atol)):
            if tol is not None and not (isinstance(tol, (int, float)) and math.isfinite(tol)
                                        and tol >= 0):  # fmt: skip
                raise ValueError(f"DebugMode: {label} must be a finite number >= 0, got {tol!r}")
        settings: dict[str, Any] = dict(
            name="DebugMode" if base is FAST_RUN else f"DebugMode[{base.name}]",
            passes=base.passes, executor="python",
            check_isfinite=bool(check_isfinite), check_rewrites=bool(check_rewrites),
            check_impls=bool(check_impls), check_backends=names,
            check_shapes=bool(check_shapes), check_types=bool(check_types),
            check_inplace=bool(check_inplace),
            rtol=None if rtol is None else float(rtol), atol=None if atol is None else float(atol),
            base_mode=base, _records=WeakKeyDictionary(),
        )  # fmt: skip
        for key, value in settings.items():
            object.__setattr__(self, key, value)

    # ----------------------------------------------------------------- options
    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(self.rtol, self.atol)

    def backends(self) -> tuple[Backend, ...]:
        """The resolved ``check_backends``."""
        return tuple(resolve_backend(n) for n in self.check_backends)

    def options(self) -> dict[str, Any]:
        """The constructor arguments of this instance."""
        return dict(
            check_isfinite=self.check_isfinite, check_rewrites=self.check_rewrites,
            check_impls=self.check_impls, check_backends=self.check_backends,
            check_shapes=self.check_shapes, check_types=self.check_types,
            check_inplace=self.check_inplace, rtol=self.rtol, atol=self.atol,
            base_mode=self.base_mode,
        )  # fmt: skip

    def excluding(self, *names: str) -> DebugMode:
        """This DebugMode refereeing its base mode without the named passes."""
        return DebugMode(**{**self.options(), "base_mode": self.base_mode.excluding(*names)})

    # ----------------------------------------------------------------- compiling
    def rewrite(self, fgraph: FunctionGraph) -> None:
        """Copy the graph as written, then run the base mode's passes,
        recording every replacement."""
        snap = snapshot(fgraph) if self.check_rewrites else None
        history: list[Any] = []
        previous = fgraph.history
        fgraph.history = history
        try:
            self.base_mode.rewrite(fgraph)
        finally:
            fgraph.history = previous
        self._records[fgraph] = (snap, history)

    def make_executor(
        self, fgraph: FunctionGraph, backend: Backend, profile: bool = False
    ) -> PythonExecutor:
        """The checking executor (``profile`` is ignored: every node runs
        several times under DebugMode, so its timings mean nothing)."""
        from refimpl.modes.debug.runner import DebugExecutor

        snap, history = self._records.pop(fgraph, (None, []))
        return DebugExecutor(fgraph, backend, self, snap, history)

    def __repr__(self) -> str:
        changed = {
            k: v for k, v in self.options().items() if v != _DEFAULTS.get(k, v) or k == "base_mode"
        }
        changed["base_mode"] = str(self.base_mode)
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"DebugMode({args})"


def _base(base_mode: Mode | str | None) -> Mode:
    if base_mode is None:
        return FAST_RUN
    if isinstance(base_mode, DebugMode):
        return base_mode.base_mode
    if base_mode == "DebugMode":
        return FAST_RUN
    if not isinstance(base_mode, (Mode, str)):
        raise TypeError(f"DebugMode: base_mode must be a Mode or a mode name, got {base_mode!r}")
    return get_mode(base_mode)


def _backend_names(check_backends: str | Iterable[str]) -> tuple[str, ...]:
    names = (check_backends,) if isinstance(check_backends, str) else tuple(check_backends)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"DebugMode: check_backends must be backend names, got {name!r}")
        try:
            resolve_backend(name)
        except BackendError as exc:
            raise BackendError(f"DebugMode(check_backends={names!r}): {exc}") from exc
    return names


_DEFAULTS: dict[str, Any] = dict(
    check_isfinite=True, check_rewrites=True, check_impls=True, check_backends=(),
    check_shapes=True, check_types=True, check_inplace=True, rtol=None, atol=None,
)  # fmt: skip

DEBUG_MODE = DebugMode()
"""The instance ``mode='DebugMode'`` selects (all checks, FAST_RUN's passes)."""
