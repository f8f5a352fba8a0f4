"""``refimpl.tensor`` (``import refimpl.tensor as T``): the Theano-style vocabulary.

This module only re-exports; every name is defined in ``refimpl/ops/`` (one
module per op family), ``refimpl/constructors.py`` or the core modules.
Each family's block below is maintained with that family.
"""

from __future__ import annotations

# --- core
from refimpl.constructors import *  # the constructor table: scalar, dmatrix, ...
from refimpl.constructors import tensor
from refimpl.graph.basic import Apply, Constant, Variable
from refimpl.shared import SharedVariable, TensorSharedVariable, shared
from refimpl.types import TensorType
from refimpl.variable import TensorConstant, TensorVariable, as_tensor_variable, constant

as_tensor = as_tensor_variable

# --- gradients (refimpl/grad/)
from refimpl.grad import Lop, Rop, disconnected_grad, grad, grad_clip, hessian, jacobian, zero_grad

# --- elemwise (refimpl/ops/math.py, math_compare.py, math_special.py, math_complex.py)
from refimpl.ops.elemwise import Elemwise
from refimpl.ops.math import (
    abs,
    abs_,
    add,
    cast,
    ceil,
    ceil_intdiv,
    floor,
    floor_div,
    int_div,
    inv,
    iround,
    largest,
    maximum,
    minimum,
    mod,
    mul,
    neg,
    pow,
    power,
    reciprocal,
    round,
    sgn,
    sign,
    smallest,
    sqr,
    sub,
    tensor_copy,
    true_div,
    true_divide,
    trunc,
)
from refimpl.ops.math_compare import (
    allclose,
    and_,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    clip,
    eq,
    ge,
    gt,
    invert,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    neq,
    or_,
    choose,
    switch,
    where,
    xor,
)
from refimpl.ops.math_complex import angle, complex, conj, imag, real
from refimpl.ops.math_special import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cos,
    cosh,
    deg2rad,
    erf,
    erfc,
    erfcinv,
    erfinv,
    exp,
    exp2,
    expm1,
    gamma,
    gammaln,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    psi,
    rad2deg,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
)

# --- reductions (refimpl/ops/reduction.py)
from refimpl.ops.reduction import (
    all,
    any,
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    max_and_argmax,
    mean,
    min,
    prod,
    ptp,
    std,
    sum,
    var,
)

# --- shape ops (refimpl/ops/shape.py, axes.py, manipulation.py, creation.py, diagonal.py)
from refimpl.ops.axes import DimShuffle, Rebroadcast
from refimpl.ops.creation import (
    Alloc,
    ARange,
    Eye,
    Fill,
    alloc,
    arange,
    broadcast_to,
    eye,
    fill,
    identity_like,
    mgrid,
    ogrid,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from refimpl.ops.diagonal import AllocDiag, ExtractDiag, diag, diagonal, trace
from refimpl.ops.manipulation import (
    Join,
    Repeat,
    RepeatSum,
    Split,
    Tile,
    concatenate,
    horizontal_stack,
    join,
    repeat,
    split,
    stack,
    tile,
    vertical_stack,
)
from refimpl.ops.shape import (
    Flatten,
    MakeVector,
    Reshape,
    Shape,
    ShapeI,
    SpecifyShape,
    addbroadcast,
    dimshuffle,
    expand_dims,
    flatten,
    make_vector,
    patternbroadcast,
    reshape,
    shape,
    shape_i,
    shape_padaxis,
    shape_padleft,
    shape_padright,
    specify_shape,
    squeeze,
    swapaxes,
    transpose,
    unbroadcast,
)

# --- indexing (refimpl/ops/subtensor.py, subtensor_advanced.py)
from refimpl.ops.subtensor import (
    IncSubtensor,
    SliceLength,
    Subtensor,
    getitem,
    inc_subtensor,
    set_subtensor,
)
from refimpl.ops.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedSubtensor,
    LastWriteMask,
    Nonzero,
    flatnonzero,
    nonzero,
    nonzero_values,
    take,
)

# --- linear algebra, sorting (refimpl/ops/linalg.py, refimpl/ops/sort.py)
from refimpl.ops import linalg as nlinalg
from refimpl.ops.blas import Dot, batched_dot, batched_tensordot, dot, matmul, outer, tensordot
from refimpl.ops.linalg import norm, tril, triu
from refimpl.ops.sort import argsort, sort

linalg = nlinalg  # T.linalg.inv, T.linalg.det ... (`inv` there is the matrix inverse)
slinalg = nlinalg  # Theano's slinalg names (solve, cholesky, solve_triangular, kron) live here too

# --- nn (refimpl/nn/)
from refimpl import nn as nnet  # T.nnet.sigmoid, T.nnet.conv2d ...
