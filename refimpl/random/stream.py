"""``RandomStream``: Theano's ``RandomStreams`` on the Threefry generator.

Each draw (each method call) gets its own state, a shared int64 vector
``[key0, key1, counter_lo, counter_hi]``. The key is derived from the
stream's seed and the draw's index (Threefry of the counter ``(index, 0)``
under the seed), the counter starts at 0, and the state's
``default_update`` advances the counter past the words the draw consumed:
``function`` applies it on every call unless ``no_default_updates=True``.
So the same programme with the same seed gives the same numbers, on every
namespace. See ``spec/random.md``.
"""

from __future__ import annotations

import operator
import secrets
from typing import Any

import numpy as np

from refimpl.random import _params as _P
from refimpl.random import distributions as _D
from refimpl.random import threefry
from refimpl.shared import SharedVariable, shared
from refimpl.variable import TensorVariable

TV = TensorVariable
UNSET = _P.UNSET


def _check_seed(seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"RandomStream: seed must be an int, got {seed!r}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"RandomStream: seed must be an int, got {seed!r}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"RandomStream: seed must be in [0, 2**64), got {value}")
    return value


class RandomStream:
    """A source of random variables: ``RandomStream(seed=None)``.

    ``seed`` is an int in ``[0, 2**64)``; ``None`` draws one from the
    operating system (``default_instance_seed`` keeps it). Methods return
    symbolic variables: ``uniform normal binomial multinomial choice
    permutation integers`` (and Theano's ``random_integers``). ``seed(s)``
    reseeds every state of the stream; ``updates()`` / ``state_updates``
    list the ``(state, new_state)`` pairs.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.default_instance_seed: int = (
            secrets.randbits(64) if seed is None else _check_seed(seed)
        )
        self.state_updates: list[tuple[SharedVariable, TV]] = []

    # ------------------------------------------------------------- states
    def seed(self, seed: int | None = None) -> None:
        """Reseed every state of the stream (``None``: the stream's current
        seed, restarting its draws); later draws use the new seed too."""
        if seed is not None:
            self.default_instance_seed = _check_seed(seed)
        for d, (state, _) in enumerate(self.state_updates):
            state.set_value(self._initial(d))

    def updates(self) -> list[tuple[SharedVariable, TV]]:
        """The ``(state, new_state)`` pair of every draw (Theano's ``updates()``)."""
        return list(self.state_updates)

    def _initial(self, draw: int) -> np.ndarray[Any, Any]:
        return np.asarray(threefry.initial_state(self.default_instance_seed, draw), np.int64)

    def _draw(self, builder: Any, *args: Any, **kwargs: Any) -> TV:
        d = len(self.state_updates)
        state = shared(self._initial(d), name=f"random_state_{d}", shape=(threefry.STATE_SIZE,))
        new_state, out = builder(state, *args, **kwargs)
        state.default_update = new_state  # type: ignore[attr-defined]
        self.state_updates.append((state, new_state))
        # Theano's attributes: rv.rng is the state, rv.update its (state, new_state) pair
        out.rng = state
        out.update = (state, new_state)
        return out  # type: ignore[no-any-return]

    # ------------------------------------------------------------- continuous
    def uniform(
        self, *args: Any, low: Any = UNSET, high: Any = UNSET, size: Any = UNSET,
        ndim: int | None = None, dtype: Any = None,
    ) -> TV:  # fmt: skip
        """Uniform on ``[low, high)``: ``uniform(low=0.0, high=1.0, size=None,
        dtype=None)``, or Theano's ``uniform(size, low, high)`` when the first
        positional argument is a size. ``dtype`` defaults to ``config.floatX``
        (promoted with float tensor bounds)."""
        v = _P.resolve(
            "uniform", args, {"low": low, "high": high, "size": size},
            ("low", "high", "size"), ("size", "low", "high"),
        )  # fmt: skip
        return self._draw(
            _D.uniform, _P.pick(v, "low", 0.0), _P.pick(v, "high", 1.0),
            _P.pick(v, "size", None), ndim, dtype,
        )  # fmt: skip

    def normal(
        self, *args: Any, loc: Any = UNSET, scale: Any = UNSET, avg: Any = UNSET,
        std: Any = UNSET, size: Any = UNSET, ndim: int | None = None, dtype: Any = None,
    ) -> TV:  # fmt: skip
        """Normal: ``normal(loc=0.0, scale=1.0, size=None, dtype=None)``, or
        Theano's ``normal(size, avg, std)``; ``avg``/``std`` are accepted as
        keywords for ``loc``/``scale``."""
        given = {"loc": loc, "scale": scale, "avg": avg, "std": std, "size": size}
        v = _P.resolve("normal", args, given, ("loc", "scale", "size"), ("size", "loc", "scale"))
        try:
            mu, sd = _P.pick(v, "loc", 0.0, "avg"), _P.pick(v, "scale", 1.0, "std")
        except TypeError as exc:
            raise TypeError(f"normal: {exc}") from None
        return self._draw(_D.normal, mu, sd, _P.pick(v, "size", None), ndim, dtype)

    # ------------------------------------------------------------- discrete
    def binomial(
        self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
        dtype: Any = "int64",
    ) -> TV:  # fmt: skip
        """Binomial(n, p) (Theano's order: ``binomial(size, n, p)``); ``n = 1``
        is exactly ``u < p``. ``n`` is a Python int; ``p`` in ``[0, 1]``."""
        return self._draw(_D.binomial, size, n, p, ndim, dtype)

    def multinomial(
        self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: int | None = None,
        dtype: Any = "int64",
    ) -> TV:  # fmt: skip
        """Counts over the categories of each row of ``pvals`` (last axis);
        ``n = 1`` gives one-hot rows (Theano's MRG ``multinomial``)."""
        return self._draw(_D.multinomial, size, n, pvals, ndim, dtype)

    def choice(
        self, a: Any, size: Any = None, replace: bool = True, p: Any = None,
        ndim: int | None = None, dtype: Any = "int64",
    ) -> TV:  # fmt: skip
        """Samples of ``range(a)`` (an int) or of the entries of the vector
        ``a``; with or without replacement; uniform or weighted by ``p``."""
        return self._draw(_D.choice, a, size, replace, p, ndim, dtype)

    def permutation(
        self, *args: Any, size: Any = UNSET, n: Any = UNSET, ndim: int | None = None,
        dtype: Any = "int64",
    ) -> TV:  # fmt: skip
        """Permutations of ``range(n)``: ``permutation(n)``, or Theano's
        ``permutation(size, n)`` (shape ``size + (n,)``)."""
        order = ("size", "n") if len(args) > 1 else ("n",)
        v = _P.resolve("permutation", args, {"size": size, "n": n}, order, order)
        count = _P.pick(v, "n", UNSET)
        if count is UNSET:
            raise TypeError("permutation: n is required")
        return self._draw(_D.permutation, count, _P.pick(v, "size", None), ndim, dtype)

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = "int64") -> TV:
        """Integers uniform on ``[low, high)`` (``integers(high)``: ``[0, high)``)."""
        return self._draw(_D.integers, low, high, size, dtype)

    def random_integers(
        self, size: Any = None, low: Any = 0, high: Any = 1, ndim: int | None = None,
        dtype: Any = "int64",
    ) -> TV:  # fmt: skip
        """Theano's ``random_integers``: uniform on ``[low, high]`` (inclusive)."""
        if ndim is not None:
            _P.normalize_size(size, ndim, "random_integers")
        return self._draw(_D.integers, low, _inclusive(high), size, dtype)


def _inclusive(high: Any) -> Any:
    if isinstance(high, TensorVariable):
        return high + 1
    return np.asarray(high) + 1 if isinstance(high, (list, tuple, np.ndarray)) else high + 1


__all__ = ["RandomStream"]
