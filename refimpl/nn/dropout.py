"""Dropout helpers on a ``refimpl.random.RandomStream`` (spec/nn.md, "Dropout").

``dropout(x, p, rng)`` zeroes each element of ``x`` independently with
probability ``p`` (mask ``rng.binomial(x.shape, 1, 1 - p)``) and, with
``rescale=True``, divides the survivors by ``1 - p`` so the expectation is
unchanged. The mask comes from the stream: a fixed seed gives the same
masks on every run and backend, and each call of a compiled function draws
a new mask (the stream's state advances) unless ``no_default_updates=True``.
These are composites (no op of their own): the mask is a random variable
and the rest is elementwise.
"""

from __future__ import annotations

from typing import Any

from refimpl.nn._util import real_input
from refimpl.ops import shape as _shape
from refimpl.opspec import OpSpec
from refimpl.variable import TensorVariable

TV = TensorVariable


def _check_p(p: Any, who: str) -> None:
    if isinstance(p, bool) or (isinstance(p, (int, float)) and not 0.0 <= p < 1.0):
        raise ValueError(f"{who}: p (the drop probability) must be in [0, 1), got {p!r}")


def _check_rng(rng: Any, who: str) -> None:
    from refimpl.random import RandomStream

    if not isinstance(rng, RandomStream):
        raise TypeError(f"{who}: rng must be a refimpl.random.RandomStream, got {rng!r}")


def dropout_mask(shape: Any, p: Any, rng: Any, dtype: str = "float64") -> TV:
    """A mask of ``shape``: 1 with probability ``1 - p``, else 0 (``dtype``)."""
    _check_p(p, "dropout_mask")
    _check_rng(rng, "dropout_mask")
    return rng.binomial(size=shape, n=1, p=1.0 - p, dtype=dtype)  # type: ignore[no-any-return]


def dropout(x: Any, p: Any, rng: Any, rescale: bool = True) -> TV:
    """``x`` with each element dropped (set to 0) with probability ``p``;
    the kept ones divided by ``1 - p`` when ``rescale``. ``p`` is a number
    in ``[0, 1)`` (``0`` returns ``x`` itself) or a float scalar tensor;
    ``rng`` a ``RandomStream``."""
    v = real_input(x, "dropout")
    _check_p(p, "dropout")
    _check_rng(rng, "dropout")
    if not isinstance(rescale, bool):
        raise TypeError(f"dropout: rescale must be a bool, got {rescale!r}")
    if isinstance(p, (int, float)) and p == 0:
        return v
    mask = dropout_mask(_shape.shape(v), p, rng, dtype=v.dtype)
    out = v * mask
    return out / (1.0 - p) if rescale else out


SPECS: tuple[OpSpec, ...] = ()
"""None: the mask is a random variable (covered by the random family's
specs) and the rest is elementwise (spec/nn.md, "Dropout")."""
