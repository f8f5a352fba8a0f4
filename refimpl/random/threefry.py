"""Threefry-2x32-20, the counter-based generator behind ``refimpl.random``.

Threefry (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
as 1, 2, 3", SC 2011; the Random123 library) maps a 2-word key and a 2-word
counter to 2 random 32-bit words with 20 rounds of add, rotate and xor. Only
``+`` modulo 2**32, shifts, ``|``, ``&`` and ``^`` are needed, so the same
bits come out of every array-API namespace.

Words are carried in **int64** arrays holding values in ``[0, 2**32)`` and
masked with ``0xFFFFFFFF`` after every addition: torch (2.x, CPU) does not
implement ``+``, shifts or ``%`` on uint32, and int64 works everywhere (jax
needs x64, which refimpl's jax backend switches on). A left rotation by
``r <= 29`` of a value below ``2**32`` stays below ``2**61``.

Two implementations live here: ``threefry2x32`` (through ``xp``, used by the
``RandomBits`` op) and ``threefry2x32_ints`` (plain Python ints, used on the
host to derive per-draw keys from a seed and as the reference of the test
specs). ``random_words`` is the counter bookkeeping of a state vector
``[key0, key1, counter_lo, counter_hi]``. See ``spec/random.md``.
"""

from __future__ import annotations

from typing import Final

from array_api_compat import device

from refimpl._typing import Array, Namespace

MASK32: Final = 0xFFFFFFFF
ROUNDS: Final = 20
ROTATIONS: Final[tuple[int, ...]] = (13, 15, 26, 6, 17, 29, 16, 24)
"""Random123's rotation constants R_32x2 (one per round, cyclically)."""
PARITY: Final = 0x1BD11BDA
"""Skein's key-schedule parity constant for 32-bit words."""
STATE_SIZE: Final = 4
"""A state vector: ``[key0, key1, counter_lo, counter_hi]`` (int64, each in [0, 2**32))."""


def threefry2x32(
    xp: Namespace, key0: Array, key1: Array, x0: Array, x1: Array
) -> tuple[Array, Array]:
    """Threefry-2x32-20 of the counter words ``(x0, x1)`` under the key
    ``(key0, key1)``: int64 arrays with values in ``[0, 2**32)``, broadcast
    against each other. Returns the two output words (int64, same range)."""
    key2 = key0 ^ key1 ^ PARITY
    keys = (key0, key1, key2)
    x0 = (x0 + key0) & MASK32
    x1 = (x1 + key1) & MASK32
    for r in range(ROUNDS):
        x0 = (x0 + x1) & MASK32
        rot = ROTATIONS[r % 8]
        x1 = ((x1 << rot) & MASK32) | (x1 >> (32 - rot))
        x1 = x1 ^ x0
        if r % 4 == 3:  # key injection after every fourth round
            i = r // 4 + 1
            x0 = (x0 + keys[i % 3]) & MASK32
            x1 = (x1 + keys[(i + 1) % 3] + i) & MASK32
    return x0, x1


def threefry2x32_ints(key: tuple[int, int], counter: tuple[int, int]) -> tuple[int, int]:
    """Threefry-2x32-20 on plain Python ints (host side; the reference)."""
    k0, k1 = key[0] & MASK32, key[1] & MASK32
    ks = (k0, k1, k0 ^ k1 ^ PARITY)
    x0 = (counter[0] + k0) & MASK32
    x1 = (counter[1] + k1) & MASK32
    for r in range(ROUNDS):
        x0 = (x0 + x1) & MASK32
        rot = ROTATIONS[r % 8]
        x1 = ((x1 << rot) & MASK32) | (x1 >> (32 - rot))
        x1 ^= x0
        if r % 4 == 3:
            i = r // 4 + 1
            x0 = (x0 + ks[i % 3]) & MASK32
            x1 = (x1 + ks[(i + 1) % 3] + i) & MASK32
    return x0, x1


def random_words(xp: Namespace, state: Array, n: int) -> tuple[Array, Array, Array]:
    """The words of the next ``n`` counters of ``state`` (an int64 vector
    ``[key0, key1, counter_lo, counter_hi]``; entries are taken modulo
    ``2**32``): ``(x0, x1, new_state)`` with ``x0``/``x1`` int64 vectors of
    length ``n`` (counter ``base + i`` gives ``x0[i], x1[i]``, where ``base =
    counter_hi * 2**32 + counter_lo``) and ``new_state`` the state advanced by
    ``n`` counters (the 64-bit counter wraps modulo ``2**64``)."""
    k0 = state[0] & MASK32
    k1 = state[1] & MASK32
    lo = state[2] & MASK32
    hi = state[3] & MASK32
    idx = xp.arange(n, dtype=xp.int64, device=device(state))
    total = idx + lo  # < 2**62 + 2**32: no int64 overflow
    c0 = total & MASK32
    c1 = (hi + (total >> 32)) & MASK32
    x0, x1 = threefry2x32(xp, k0, k1, c0, c1)
    end = lo + n
    new_state = xp.stack([k0, k1, end & MASK32, (hi + (end >> 32)) & MASK32])
    return x0, x1, new_state


def key_for(seed: int, draw: int) -> tuple[int, int]:
    """The key of the ``draw``-th draw of a stream seeded with ``seed`` (a
    64-bit seed used as a Threefry key over the counter ``(draw, 0)``)."""
    return threefry2x32_ints((seed & MASK32, (seed >> 32) & MASK32), (draw & MASK32, draw >> 32))


def initial_state(seed: int, draw: int) -> list[int]:
    """The state vector of a fresh draw: its key and a zero counter."""
    k0, k1 = key_for(seed, draw)
    return [k0, k1, 0, 0]
