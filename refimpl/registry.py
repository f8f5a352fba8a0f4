"""The op registry: every ``OpSpec`` of every op family, collected once.

The family modules are listed explicitly (no discovery magic); each exposes a
``SPECS`` tuple. ``op_classes()`` lists the ``Op`` subclasses those modules
define, so a test can require every op class to be covered by a spec.
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from typing import Final

from refimpl.graph.basic import Op
from refimpl.opspec import OpSpec

FAMILY_MODULES: Final[tuple[str, ...]] = (
    "refimpl.ops.math",
    "refimpl.ops.reduction",
    "refimpl.ops.shape",
    "refimpl.ops.axes",
    "refimpl.ops.manipulation",
    "refimpl.ops.creation",
    "refimpl.ops.diagonal",
    "refimpl.ops.subtensor",
    "refimpl.ops.subtensor_advanced",
    "refimpl.ops.blas",
    "refimpl.ops.linalg",
    "refimpl.ops.decomp",
    "refimpl.ops.sort",
    "refimpl.grad.ops",
    "refimpl.random.ops",
    "refimpl.scan.op",
    "refimpl.ifelse",
    "refimpl.nn.activations",
    "refimpl.nn.softmax",
    "refimpl.nn.xent",
    "refimpl.nn.conv",
    "refimpl.nn.pool",
    "refimpl.nn.batchnorm",
    "refimpl.ops.fused",
)


@cache
def all_specs() -> tuple[OpSpec, ...]:
    """Every registered spec, in family order; names are unique."""
    specs: list[OpSpec] = []
    for name in FAMILY_MODULES:
        module = importlib.import_module(name)
        parts = name.split(".")  # refimpl.ops.math -> math; refimpl.random.ops -> random
        family = parts[2] if parts[1] == "ops" and len(parts) > 2 else parts[1]
        for spec in getattr(module, "SPECS", ()):
            specs.append(spec if spec.family else _with_family(spec, family))
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate OpSpec names: {dupes}")
    return tuple(specs)


def _with_family(spec: OpSpec, family: str) -> OpSpec:
    from dataclasses import replace

    return replace(spec, family=family)


def get_spec(name: str) -> OpSpec:
    for spec in all_specs():
        if spec.name == name:
            return spec
    raise KeyError(f"no OpSpec named {name!r}")


@cache
def op_classes() -> tuple[type[Op], ...]:
    """The concrete ``Op`` subclasses defined in the family modules."""
    found: list[type[Op]] = []
    for name in FAMILY_MODULES:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Op)
                and obj.__module__ == name
                and not inspect.isabstract(obj)
            ):
                found.append(obj)
    return tuple(found)
