"""One case under test: its harnesses and the values the checks share.

A ``Trial`` computes lazily, once, what several checks of a group need —
the outputs, the directions ``v, w`` (and second ones for linearity), the
AD products ``Rop v`` and ``Lop w``, and the float64 finite difference along
``v`` — so a group of checks costs one draw and one set of evaluations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from refimpl.backend import Backend, resolve_backend
from refimpl.testing.cases import Case, gaussian_like, widen
from refimpl.testing.fd import FDResult, numeric_jvp
from refimpl.testing.harness import Harness, HarnessCache, Signature
from refimpl.types import DType

NDArray = np.ndarray[Any, Any]
R = TypeVar("R")

FD_BACKEND = "numpy"
"""Finite differences and references run on numpy in float64."""


@dataclass
class Trial:
    """A case on a backend, with memoised intermediate results."""

    case: Case
    backend: Backend
    cache: HarnessCache
    mode: str = "FAST_COMPILE"
    memo: dict[str, Any] = field(default_factory=dict)

    def _memo(self, key: str, make: Callable[[], R]) -> R:
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]  # type: ignore[no-any-return]

    # ------------------------------------------------------------- harnesses
    def harness_for(
        self,
        dtypes: Sequence[DType] | None = None,
        static: Sequence[Any] | None = None,
        backend: Backend | None = None,
    ) -> Harness:
        c = self.case
        sig = Signature(
            c.spec,
            tuple(dtypes or c.dtypes),
            tuple(static or c.static_shapes),
            c.params,
            backend or self.backend,
            self.mode,
        )
        return self.cache.get(sig)

    @property
    def harness(self) -> Harness:
        return self._memo("harness", self.harness_for)

    @property
    def ref_harness(self) -> Harness:
        """The float64 build on numpy, for finite differences."""
        return self._memo(
            "ref_harness",
            lambda: self.harness_for(
                [widen(d) for d in self.case.dtypes], backend=resolve_backend(FD_BACKEND)
            ),
        )

    @property
    def values(self) -> tuple[NDArray, ...]:
        return self.case.values

    @property
    def values64(self) -> list[NDArray]:
        return [np.asarray(v.astype(widen(str(v.dtype)))) for v in self.values]  # type: ignore[arg-type]

    # ------------------------------------------------------------- evaluations
    @property
    def outputs(self) -> list[Any]:
        """Raw backend outputs of the forward function."""
        return self._memo("outputs", lambda: self.harness.forward(self.values))

    @property
    def outputs_np(self) -> list[NDArray]:
        from refimpl.backend import to_numpy

        return self._memo("outputs_np", lambda: [to_numpy(o) for o in self.outputs])

    def _dx_values(self) -> list[NDArray]:
        return [self.values[i] for i in self.harness.diff_in]

    def _dy_values(self) -> list[NDArray]:
        return [self.outputs_np[k] for k in self.harness.diff_out]

    @property
    def v(self) -> list[NDArray]:
        """A unit Gaussian tangent over the differentiable inputs."""
        return self._memo("v", lambda: gaussian_like(self._dx_values(), self.case.rng(1), True))

    @property
    def v2(self) -> list[NDArray]:
        return self._memo("v2", lambda: gaussian_like(self._dx_values(), self.case.rng(2), True))

    @property
    def w(self) -> list[NDArray]:
        """A Gaussian cotangent over the differentiable outputs."""
        return self._memo("w", lambda: gaussian_like(self._dy_values(), self.case.rng(3)))

    @property
    def w2(self) -> list[NDArray]:
        return self._memo("w2", lambda: gaussian_like(self._dy_values(), self.case.rng(4)))

    @property
    def coefficients(self) -> tuple[float, float]:
        a, b = self.case.rng(5).uniform(-2.0, 2.0, size=2)
        return float(a), float(b)

    @property
    def rop_v(self) -> list[NDArray]:
        return self._memo("rop_v", lambda: self.harness.rop(self.values, self.v))

    @property
    def lop_w(self) -> list[NDArray]:
        return self._memo("lop_w", lambda: self.harness.lop(self.values, self.w))

    def fd_along(self, vs: Sequence[NDArray], f: Callable[[Sequence[NDArray]], Any]) -> FDResult:
        """The float64 finite difference of ``f`` (on all inputs) along ``vs``
        (over the differentiable inputs)."""
        full: list[NDArray | None] = [None] * len(self.values)
        for i, vi in zip(self.harness.diff_in, vs):
            full[i] = np.asarray(vi.astype(widen(str(vi.dtype))))  # type: ignore[arg-type]
        spec = self.case.spec
        return numeric_jvp(
            f, self.values64, full, fd_scale=spec.fd_scale, poly_degree=spec.poly_degree
        )

    def forward64(self, xs: Sequence[NDArray]) -> list[NDArray]:
        """The float64 reference outputs that are differentiable."""
        ref = self.ref_harness
        outs = ref.forward_np(xs)
        return [outs[k] for k in ref.diff_out]

    @property
    def fd_v(self) -> FDResult:
        return self._memo("fd_v", lambda: self.fd_along(self.v, self.forward64))

    @property
    def eps(self) -> float:
        """Machine epsilon of the working (least precise) dtype of the
        differentiable inputs and outputs."""
        dts = [self.case.dtypes[i] for i in self.harness.diff_in]
        dts += [y.dtype for y in self.harness.dy]
        low = any(d in ("float32", "complex64") for d in dts)
        half = any(d == "float16" for d in dts)
        return float(np.finfo(np.float16 if half else np.float32 if low else np.float64).eps)
