"""Group equal 64-bit keys in linear time: an open-addressing hash table in numpy.

Sorting millions of keys costs ~65 ns each here; one probe into this table costs a few
random memory reads, and most keys find their slot in the first round. ``insert`` gives
every key the number of the slot that holds it, so equal keys get equal numbers (not
dense: a slot number is below ``size``, about twice the number of distinct keys).

The keys come from the file (packed coordinates), so the hash is salted with a random
number drawn once per process: without it a crafted file could give every key the same
home slot and turn each insert into a walk along one long run of taken slots.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")

_EMPTY = -1
_MAX_LOAD = 0.5  # beyond this, linear probing slows down: the table doubles
#: Drawn once per process; a file cannot know it, so it cannot aim at one slot.
SALT = int.from_bytes(os.urandom(8), "little")


# Boolean-mask indexing (``a[mask]``) costs about five times ``np.compress`` in numpy
# 2.4 on this code's block sizes; the hot paths here and in the mesh code use the latter.


def mix(keys: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: every input bit affects every output bit."""
    x = keys.view(np.uint64) ^ (keys.view(np.uint64) >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@dataclass(frozen=True)
class Hashed:
    """Keys with their home slots, computed ahead for a table of ``size`` slots."""
    keys: np.ndarray
    home: np.ndarray
    size: int


def one_ahead(prepare: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``prepare(item)`` of every item in order, each one computed on a second thread
    while the caller works on the one before: numpy lets go of the GIL in its loops,
    so hashing the next block costs the caller's core nothing."""
    with ThreadPoolExecutor(1, thread_name_prefix="hash-ahead") as pool:
        pending = None
        for item in items:
            upcoming = pool.submit(prepare, item)
            if pending is not None:
                yield pending.result()
            pending = upcoming
        if pending is not None:
            yield pending.result()


class KeyTable:
    """Distinct non-negative int64 keys, each in one slot of ``self.keys``.

    ``payloads`` int32 columns (``self.payload``, -1 when unset) travel with their slot
    when the table grows, for callers that keep a value per distinct key.
    ``probes`` counts the extra probes of every insert (the cost a collision adds).
    """

    def __init__(self, expected: int, *, payloads: int = 0,
                 max_load: float = _MAX_LOAD, salt: int | None = None) -> None:
        self.max_load = max_load
        self.salt = SALT if salt is None else salt
        self.size = max(int(expected / max_load) + 1, 64)
        if self.size >= 2**31:
            raise MemoryError("too many distinct keys for one table")
        self.keys = np.full(self.size, _EMPTY, dtype=np.int64)
        self.payload: list[np.ndarray] = [np.full(self.size, _EMPTY, dtype=np.int32)
                                          for _ in range(payloads)]
        self._claimed = 0  # upper bound of occupied slots (exact after a recount)
        self.probes = 0

    def home(self, keys: np.ndarray) -> np.ndarray:
        """First slot to probe for each key (multiply-shift: any table size works)."""
        return self._home(keys, self.size)

    def _home(self, keys: np.ndarray, size: int) -> np.ndarray:
        h = mix(keys.view(np.uint64) ^ np.uint64(self.salt))
        h >>= np.uint64(32)
        h *= np.uint64(size)
        h >>= np.uint64(32)
        return h.view(np.int64)

    def hashed(self, keys: np.ndarray) -> Hashed:
        """``keys`` hashed for the table as it is now (safe on another thread)."""
        size = self.size
        return Hashed(keys, self._home(keys, size), size)

    def insert(self, keys: np.ndarray | Hashed) -> tuple[np.ndarray, np.ndarray | None]:
        """(slot of every key (int64), remap) — ``remap`` maps the slots handed out
        before to their new numbers when the table had to grow first, else None."""
        ahead = keys if isinstance(keys, Hashed) else None
        keys = keys.keys if isinstance(keys, Hashed) else keys
        remap = None
        if self._crowded(len(keys)):  # ``_claimed`` over-counts: count exactly first
            self._claimed = int(np.count_nonzero(self.keys != _EMPTY))
            if self._crowded(len(keys)):
                remap = self._grow(self._claimed + len(keys))
        # home slots hashed ahead are right unless the table has grown since
        slots = ahead.home if ahead is not None and ahead.size == self.size else self.home(keys)
        table = self.keys
        seen = table[slots]
        found = seen == keys
        free = np.flatnonzero(seen == _EMPTY)
        del seen
        claims = len(free)
        if claims:
            # several keys may claim one free slot: one write wins, the rest probe on
            at = slots[free]
            key = keys[free]
            table[at] = key
            found[free] = table[at] == key
        waiting = np.flatnonzero(~found)
        while len(waiting):
            self.probes += len(waiting)
            at = slots[waiting]
            key = keys[waiting]
            at += 1
            np.putmask(at, at == self.size, 0)
            seen = table[at]
            free = seen == _EMPTY
            if free.any():
                claims += int(np.count_nonzero(free))
                table[np.compress(free, at)] = np.compress(free, key)
                seen = table[at]
            slots[waiting] = at
            waiting = np.compress(seen != key, waiting)
        self._claimed += claims
        return slots, remap

    def _crowded(self, incoming: int) -> bool:
        """Too full to go on: past the load factor, or (should every incoming key be
        new) at risk of filling up during this insert."""
        return (self._claimed > self.max_load * self.size
                or self._claimed + incoming >= 0.9 * self.size)

    def _grow(self, needed: int) -> np.ndarray:
        old_keys, old_payload, probes = self.keys, self.payload, self.probes
        occupied = np.flatnonzero(old_keys != _EMPTY)
        self.__init__(max(needed, 2 * len(occupied)),  # type: ignore[misc]
                      payloads=len(old_payload),
                      max_load=self.max_load, salt=self.salt)
        self.probes = probes
        remap = np.full(len(old_keys), _EMPTY, dtype=np.int64)
        if len(occupied):
            moved, _ = self.insert(old_keys[occupied])
            remap[occupied] = moved
            for new, old in zip(self.payload, old_payload, strict=True):
                new[moved] = old[occupied]
        return remap
