"""How much rounding error the un-rewritten graph's own values carry.

A rewrite may legitimately change a value where the graph as written is
ill-conditioned: ``1 - sigmoid(z)`` for ``z = 30`` keeps one significant
digit, and ``log1p``/``softplus`` forms give the accurate value. Before
DebugMode raises ``RewriteMismatch`` it therefore estimates the reference's
rounding error at the mismatching variable, by running the un-rewritten
graph again (on numpy, float by float as written) with every inexact
intermediate multiplied by ``1 + d``, ``d`` uniform in
``[-NOISE_ULPS * eps, NOISE_ULPS * eps]`` of its dtype, twice with different
seeds. The spread of those runs around the reference value, times
``NOISE_FACTOR``, is added to the tolerance elementwise (positions where a
perturbed run turns non-finite, or a discrete value changes, accept any
value). A correct graph that is well conditioned moves by a few ulps, so a
rewrite that changes values there is still caught.

*Rationale*: this is Monte-Carlo arithmetic (Parker 1997) applied only on
the failure path: it costs nothing when the graphs agree, and it tells an
accuracy improvement (accepted) from a changed computation (reported)
without a higher-precision reference, which the array API does not offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from refimpl.backend import resolve_backend
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.modes.debug.checks import destroyed
from refimpl.modes.debug.compare import host

NDArray = np.ndarray[Any, Any]

NOISE_ULPS: Final = 4.0
"""Relative size of each perturbation, in units of the dtype's eps."""
NOISE_FACTOR: Final = 16.0
"""The spread of the perturbed runs is multiplied by this to bound the
reference's rounding error."""
NOISE_RUNS: Final = 2


def perturbed_runs(
    order: Sequence[Apply], inputs: dict[Variable[Any], Any], runs: int = NOISE_RUNS
) -> list[dict[Variable[Any], NDArray]]:
    """The reference graph's values in ``runs`` perturbed evaluations on
    numpy (``inputs``: the graph inputs' values; constants are read from
    the graph)."""
    xp = resolve_backend("numpy").xp
    out: list[dict[Variable[Any], NDArray]] = []
    for seed in range(runs):
        rng = np.random.default_rng(seed + 7919)
        values: dict[Variable[Any], NDArray] = {k: host(v) for k, v in inputs.items()}
        with np.errstate(all="ignore"):
            for node in order:
                args = []
                for var in node.inputs:
                    if var not in values and isinstance(var, Constant):
                        values[var] = np.asarray(var.data)
                    args.append(values[var])
                mine = destroyed(node)
                args = [a.copy() if k in mine else a for k, a in enumerate(args)]
                try:
                    results = node.op.perform(xp, node, args)
                except Exception:  # a perturbed value outside the op's domain
                    break
                for var, value in zip(node.outputs, results):
                    values[var] = _perturb(np.asarray(value), rng)
        out.append(values)
    return out


def _perturb(value: NDArray, rng: np.random.Generator) -> NDArray:
    if value.dtype.kind not in "fc" or value.size == 0:
        return value
    eps = float(np.finfo(value.dtype).eps)
    d = rng.uniform(-NOISE_ULPS * eps, NOISE_ULPS * eps, size=value.shape)
    return np.asarray(value * (1 + d)).astype(value.dtype)


def slack(expected: Any, noisy: Sequence[Any]) -> NDArray:
    """Extra absolute tolerance per element: ``NOISE_FACTOR`` times the
    largest deviation of a perturbed run from ``expected`` (``inf`` where a
    run is missing, has another shape, is non-finite or, for discrete
    values, differs)."""
    e = host(expected)
    allowance = np.zeros(e.shape, dtype=np.float64)
    for value in noisy:
        if value is None or np.shape(value) != e.shape:
            return np.full(e.shape, np.inf)
        n = host(value)
        with np.errstate(all="ignore"):
            if e.dtype.kind in "fc":
                dev = np.abs(n.astype(np.complex128) - e.astype(np.complex128))
                dev = np.where(np.isfinite(dev), dev * NOISE_FACTOR, np.inf)
            else:
                dev = np.where(n != e, np.inf, 0.0)
        allowance = np.maximum(allowance, dev)
    return allowance
