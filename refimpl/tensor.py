"""``refimpl.tensor`` (``import refimpl.tensor as T``): the Theano-style vocabulary.

This module only re-exports; every name is defined in ``refimpl/ops/`` (one
module per op family), ``refimpl/constructors.py`` or the core modules.
Each family's block below is maintained with that family.
"""

# ruff: noqa: F401
from __future__ import annotations

# --- core
from refimpl.constructors import *  # noqa: F403  (the constructor table: scalar, dmatrix, ...)
from refimpl.constructors import tensor
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.shared import SharedVariable, TensorSharedVariable, shared
from refimpl.types import TensorType
from refimpl.variable import TensorConstant, TensorVariable, as_tensor_variable, constant

as_tensor = as_tensor_variable

# --- elemwise (refimpl/ops/math.py)
from refimpl.ops.math import add, cast, exp, log, mul, neg, sub, true_div

# --- reductions (refimpl/ops/reduction.py)

# --- shape ops (refimpl/ops/shape.py)

# --- indexing (refimpl/ops/subtensor.py)

# --- linear algebra, sorting (refimpl/ops/linalg.py, refimpl/ops/sort.py)
