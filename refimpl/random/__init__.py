"""``refimpl.random``: portable, counter-based random streams.

``from refimpl.random import RandomStream``. The generator is
Threefry-2x32-20 (``threefry``); ``RandomBits`` (``ops``) is the one op that
draws; the distributions are composites of it (``distributions``). The same
seed gives the same numbers on every array-API namespace. See
``spec/random.md``.
"""

from __future__ import annotations

from refimpl.random.stream import RandomStream

__all__ = ["RandomStream"]
