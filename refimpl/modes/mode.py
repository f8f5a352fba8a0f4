"""Modes: a named, explicitly ordered list of graph passes plus an executor.

Modes differ in policy, not semantics (ARCHITECTURE.md rule 5). There are no
float positions or tags: a mode's ``passes`` tuple is the order in which its
rewrites run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from refimpl.graph.fg import FunctionGraph
from refimpl.modes import rewrites


@dataclass(frozen=True)
class GraphPass:
    """A named whole-graph rewrite."""

    name: str
    apply: Callable[[FunctionGraph], None]
    doc: str = ""


@dataclass(frozen=True)
class Mode:
    """A compilation mode: ``passes`` run in order on the function graph."""

    name: str
    passes: tuple[GraphPass, ...] = ()

    def rewrite(self, fgraph: FunctionGraph) -> None:
        for p in self.passes:
            p.apply(fgraph)

    def excluding(self, *names: str) -> Mode:
        """This mode without the named passes."""
        unknown = set(names) - {p.name for p in self.passes}
        if unknown:
            raise ValueError(f"mode {self.name} has no passes {sorted(unknown)}")
        return Mode(
            f"{self.name}-{'-'.join(names)}", tuple(p for p in self.passes if p.name not in names)
        )

    def __str__(self) -> str:
        return self.name


MERGE: Final = GraphPass("merge", rewrites.merge, "merge equal constants and duplicate sub-graphs")
CONSTANT_FOLD: Final = GraphPass(
    "constant_fold", rewrites.constant_fold, "compute nodes whose inputs are all constants"
)

FAST_COMPILE: Final = Mode("FAST_COMPILE", ())
FAST_RUN: Final = Mode("FAST_RUN", (MERGE, CONSTANT_FOLD, MERGE))

_MODES: Final[dict[str, Mode]] = {"FAST_COMPILE": FAST_COMPILE, "FAST_RUN": FAST_RUN}


class UnknownModeError(ValueError):
    """A mode name that refimpl does not know."""


def get_mode(mode: str | Mode | None) -> Mode:
    """The mode for ``mode`` (a name, a ``Mode``, or ``None`` for ``config.mode``)."""
    if mode is None:
        from refimpl.config import config

        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if not isinstance(mode, str):
        raise UnknownModeError(f"mode must be a name or a Mode, got {mode!r}")
    if mode in _MODES:
        return _MODES[mode]
    if mode == "DebugMode":
        raise NotImplementedError(
            "DebugMode is not available yet (tracked as the FAST_RUN/DebugMode issue)"
        )
    raise UnknownModeError(
        f"unknown mode {mode!r}; expected one of FAST_COMPILE, FAST_RUN, DebugMode"
    )
