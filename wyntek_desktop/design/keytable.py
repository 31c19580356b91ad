"""Group equal 64-bit keys in linear time: an open-addressing hash table in numpy.

Sorting millions of keys costs ~65 ns each here; one probe into this table costs a few
random memory reads, and most keys find their slot in the first round. ``insert`` gives
every key the number of the slot that holds it, so equal keys get equal numbers (not
dense: a slot number is below ``size``, about twice the number of distinct keys).
"""

from __future__ import annotations

import numpy as np

_EMPTY = -1
_MAX_LOAD = 0.5  # beyond this, linear probing slows down: the table doubles


def mix(keys: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: every input bit affects every output bit."""
    x = keys.view(np.uint64) ^ (keys.view(np.uint64) >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class KeyTable:
    """Distinct non-negative int64 keys, each in one slot of ``self.keys``."""

    def __init__(self, expected: int) -> None:
        self.size = max(int(expected / _MAX_LOAD) + 1, 64)
        if self.size >= 2**31:
            raise MemoryError("too many distinct keys for one table")
        self.keys = np.full(self.size, _EMPTY, dtype=np.int64)
        self._claimed = 0  # upper bound of occupied slots (exact after a recount)

    def home(self, keys: np.ndarray) -> np.ndarray:
        """First slot to probe for each key (multiply-shift: any table size works)."""
        h = mix(keys)
        h >>= np.uint64(32)
        h *= np.uint64(self.size)
        h >>= np.uint64(32)
        return h.view(np.int64)

    def insert(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(slot of every key (int64), remap) — ``remap`` maps the slots handed out
        before to their new numbers when the table had to grow first, else None."""
        remap = None
        if self._crowded(len(keys)):  # ``_claimed`` over-counts: count exactly first
            self._claimed = int(np.count_nonzero(self.keys != _EMPTY))
            if self._crowded(len(keys)):
                remap = self._grow(self._claimed + len(keys))
        slots = self.home(keys)
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
            at = slots[waiting]
            key = keys[waiting]
            at += 1
            at[at == self.size] = 0
            seen = table[at]
            free = seen == _EMPTY
            if free.any():
                claims += int(np.count_nonzero(free))
                table[at[free]] = key[free]
                seen = table[at]
            slots[waiting] = at
            waiting = waiting[seen != key]
        self._claimed += claims
        return slots, remap

    def _crowded(self, incoming: int) -> bool:
        """Too full to go on: past the load factor, or (should every incoming key be
        new) at risk of filling up during this insert."""
        return (self._claimed > _MAX_LOAD * self.size
                or self._claimed + incoming >= 0.9 * self.size)

    def _grow(self, needed: int) -> np.ndarray:
        old_keys = self.keys
        occupied = np.flatnonzero(old_keys != _EMPTY)
        self.__init__(max(needed, 2 * len(occupied)))  # type: ignore[misc]
        remap = np.full(len(old_keys), _EMPTY, dtype=np.int64)
        if len(occupied):
            remap[occupied], _ = self.insert(old_keys[occupied])
        return remap
