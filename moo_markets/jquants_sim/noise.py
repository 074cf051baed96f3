"""Counter-based noise: reproducible random numbers for any slice of any key space.

Every synthetic value is a pure function of the seed and integer keys (issue, day, field...),
so a whole day and a whole issue history are the same elementwise formulas evaluated on
different index arrays, and give the same numbers either way.
"""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def hash_keys(seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """A uint64 hash of ``seed`` and the (broadcast) integer ``keys``."""
    arrays = np.broadcast_arrays(*(np.asarray(k, dtype=np.int64) for k in keys))
    with np.errstate(over="ignore"):
        x = np.full(arrays[0].shape, np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ _GOLDEN)
        x = mix64(x)
        for k in arrays:
            x = mix64(x ^ (k.astype(np.uint64) * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))
    return x


def uniform(seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """Uniform(0, 1), open at both ends."""
    x = hash_keys(seed, *keys)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def normal(seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """Standard normal (Box-Muller on two derived uniforms)."""
    u1 = uniform(seed, *keys, 1)
    u2 = uniform(seed, *keys, 2)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def choice(seed: int, n: int, *keys: np.ndarray | int) -> np.ndarray:
    """An integer in [0, n) per key."""
    return np.minimum((uniform(seed, *keys) * n).astype(np.int64), n - 1)
