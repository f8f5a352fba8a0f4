"""Modes: a named, explicitly ordered list of graph passes plus an executor.

Modes differ in policy, not semantics (ARCHITECTURE.md rule 5). There are no
float positions or tags: a mode's ``passes`` tuple is the order in which its
rewrites run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from refimpl.graph.fg import FunctionGraph
from refimpl.modes import rewrites

if TYPE_CHECKING:
    from refimpl.backend import Backend
    from refimpl.modes.executor import PythonExecutor


@dataclass(frozen=True)
class GraphPass:
    """A named whole-graph rewrite."""

    name: str
    apply: Callable[[FunctionGraph], None]
    doc: str = ""


@dataclass(frozen=True)
class Mode:
    """A compilation mode: ``passes`` run in order on the function graph;
    ``executor`` names how the result runs: ``'python'`` (node by node,
    ``PythonExecutor``) or ``'fast'`` (one generated function,
    ``FastExecutor``; profiling falls back to ``'python'``)."""

    name: str
    passes: tuple[GraphPass, ...] = ()
    executor: Literal["python", "fast"] = "python"

    def rewrite(self, fgraph: FunctionGraph) -> None:
        # the passes allocate many long-lived graph objects: the cyclic garbage
        # collector would rescan them over and over (superlinear compile time)
        enabled = gc.isenabled()
        gc.disable()
        try:
            for p in self.passes:
                p.apply(fgraph)
        finally:
            if enabled:
                gc.enable()

    def make_executor(
        self, fgraph: FunctionGraph, backend: Backend, profile: bool = False
    ) -> PythonExecutor:
        """The executor running ``fgraph`` on ``backend`` under this mode."""
        from refimpl.modes.executor import PythonExecutor

        if self.executor == "fast" and not profile:
            from refimpl.modes.fast_executor import FastExecutor

            return FastExecutor(fgraph, backend)
        return PythonExecutor(fgraph, backend, profile=profile)

    def excluding(self, *names: str) -> Mode:
        """This mode without the named passes."""
        unknown = set(names) - {p.name for p in self.passes}
        if unknown:
            raise ValueError(f"mode {self.name} has no passes {sorted(unknown)}")
        return Mode(
            f"{self.name}-{'-'.join(names)}",
            tuple(p for p in self.passes if p.name not in names),
            self.executor,
        )

    def __str__(self) -> str:
        return self.name


MERGE: Final = GraphPass("merge", rewrites.merge, "merge equal constants and duplicate sub-graphs")
CONSTANT_FOLD: Final = GraphPass(
    "constant_fold", rewrites.constant_fold, "compute nodes whose inputs are all constants"
)
SHAPE: Final = GraphPass(
    "shape", rewrites.shape_pass, "shapes of intermediates from the inputs' shapes (x.shape[0])"
)
CANONICALIZE: Final = GraphPass(
    "canonicalize",
    rewrites.canonicalize_pass,
    "algebraic identities, fills, axis and reshape chains",
)
STABILIZE: Final = GraphPass(
    "stabilize",
    rewrites.stabilize_pass,
    "log1p, expm1, softplus forms of the logistic, log-softmax",
)
SPECIALIZE: Final = GraphPass(
    "specialize", rewrites.specialize_pass, "powers as multiplications, fill as alloc, x*-1 as -x"
)
FUSION: Final = GraphPass(
    "fusion", rewrites.fusion_pass, "elementwise groups become one FusedElemwise node"
)
INPLACE: Final = GraphPass(
    "inplace", rewrites.inplace_pass, "elementwise nodes overwrite private input buffers"
)

FAST_COMPILE: Final = Mode("FAST_COMPILE", ())
FAST_RUN: Final = Mode(
    "FAST_RUN",
    (
        MERGE,
        CONSTANT_FOLD,
        SHAPE,
        CANONICALIZE,
        MERGE,
        STABILIZE,
        SPECIALIZE,
        CANONICALIZE,
        MERGE,
        FUSION,
        INPLACE,
    ),
    executor="fast",
)
"""FAST_RUN's passes, in order (spec/rewrites.md, "The FAST_RUN pass list")."""

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
        from refimpl.modes.debug import DEBUG_MODE

        return DEBUG_MODE
    raise UnknownModeError(
        f"unknown mode {mode!r}; expected one of FAST_COMPILE, FAST_RUN, DebugMode"
    )
