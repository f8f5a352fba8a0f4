"""Graph rewrites: the passes the modes list (``refimpl/modes/mode.py``).

Each pass is a function ``<name>_pass(fgraph) -> None`` (``merge`` and
``constant_fold`` keep their names) that edits a ``FunctionGraph`` in place
through ``FunctionGraph.replace`` (which refuses a change of dtype or rank).
The walking passes apply an explicit, immutable tuple of node rewriters
(``engine.walk``) to a fixed point:

==============  ===============================================  ==================
pass            what                                             rewriters
==============  ===============================================  ==================
merge           equal constants / equal nodes become one          ``basic``
constant_fold   all-constant nodes become constants              ``basic``
shape           Shape/Shape_i of intermediates -> inferred shape  ``shape_feature``
canonicalize    algebraic identities, fills, axis/reshape chains  ``canonicalize``
stabilize       log1p, expm1, softplus, logistic complements      ``stabilize``
specialize      pow -> multiplications, fill -> alloc             ``specialize``
fusion          elementwise groups -> one FusedElemwise           ``fusion``
inplace         elementwise nodes overwrite private inputs        ``inplace``
==============  ===============================================  ==================

``spec/rewrites.md`` gives every rewrite with its conditions and rationale.
"""

from __future__ import annotations

from refimpl.graph.fg import FunctionGraph
from refimpl.modes.rewrites import (
    canonicalize,
    engine,
    fusion,
    inplace,
    shape_feature,
    specialize,
    stabilize,
)
from refimpl.modes.rewrites.basic import constant_fold, merge
from refimpl.modes.rewrites.engine import NodeRewriter, RewriteWarning, node_rewriter, walk

__all__ = [
    "NodeRewriter",
    "RewriteWarning",
    "canonicalize",
    "canonicalize_pass",
    "constant_fold",
    "engine",
    "fusion",
    "fusion_pass",
    "inplace",
    "inplace_pass",
    "merge",
    "node_rewriter",
    "shape_feature",
    "shape_pass",
    "specialize",
    "specialize_pass",
    "stabilize",
    "stabilize_pass",
    "walk",
]
# The pass functions are named ``<group>_pass``: ``rewrites.canonicalize`` etc.
# stay the modules (the rewriter lists are ``canonicalize.CANONICALIZE`` ...).


def shape_pass(fgraph: FunctionGraph) -> None:
    """Replace shapes of intermediate variables by their inferred shapes."""
    walk(fgraph, shape_feature.SHAPE_REWRITES, "shape")


def canonicalize_pass(fgraph: FunctionGraph) -> None:
    """Algebraic canonicalisation to a fixed point (see ``canonicalize.py``)."""
    walk(fgraph, canonicalize.CANONICALIZE, "canonicalize")


def stabilize_pass(fgraph: FunctionGraph) -> None:
    """Numerical stabilisation (see ``stabilize.py``), then the nn family's
    own stabilising rules (``refimpl.nn.rewrites.NN_STABILIZE``: imported here,
    when the pass runs, because ``refimpl.nn`` builds on this package)."""
    from refimpl.nn.rewrites import NN_STABILIZE

    walk(fgraph, stabilize.STABILIZE + NN_STABILIZE, "stabilize")


def specialize_pass(fgraph: FunctionGraph) -> None:
    """Cheaper equivalents (see ``specialize.py``)."""
    walk(fgraph, specialize.SPECIALIZE, "specialize")


def fusion_pass(fgraph: FunctionGraph) -> None:
    """Elementwise groups become one ``FusedElemwise`` (see ``fusion.py``)."""
    fusion.fusion(fgraph)


def inplace_pass(fgraph: FunctionGraph) -> None:
    """Elementwise nodes overwrite private input buffers (see ``inplace.py``)."""
    inplace.inplace(fgraph)
