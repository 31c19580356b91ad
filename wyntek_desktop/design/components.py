"""Connected components of an undirected graph in numpy: union-find by rounds.

Each round hooks the root of one end of every link onto the smaller root of the other
end, then shortens every path to its root (pointer jumping), and drops links that now
lie inside one component. Roots only ever point to smaller numbers, so the final root
of a component is its smallest node and labels come out in order of each component's
first node, exactly as a breadth-first labelling from node 0 numbers them.
"""

from __future__ import annotations

import numpy as np


def connected_components(nodes: int, left: np.ndarray, right: np.ndarray
                         ) -> tuple[int, np.ndarray]:
    """(count, label of every node (int32)) for links ``left[i]`` - ``right[i]``."""
    parent = np.arange(nodes, dtype=np.int32)
    left = np.asarray(left, dtype=np.int32)
    right = np.asarray(right, dtype=np.int32)
    a, b = left, right  # every node is its own root at first
    while len(left):
        apart = a != b
        if not apart.all():
            left, right, a, b = (np.compress(apart, x) for x in (left, right, a, b))
            if not len(left):
                break
        high = np.maximum(a, b)
        parent[high] = np.minimum(a, b)  # any of several writes to one root is right
        del high
        _flatten(parent)
        a = parent[left]
        b = parent[right]
    roots = parent == np.arange(nodes, dtype=np.int32)
    rank = np.cumsum(roots, dtype=np.int32)
    rank -= 1
    return int(rank[-1]) + 1 if nodes else 0, rank[parent]


def _flatten(parent: np.ndarray) -> None:
    """Point every node straight at its root, in place (buffers reused: fresh pages of
    a large array cost more than the gather itself)."""
    grand = np.empty_like(parent)
    moved = np.empty(len(parent), dtype=bool)
    current, spare = parent, grand
    while True:
        np.take(current, current, out=spare)
        np.not_equal(spare, current, out=moved)
        current, spare = spare, current
        if not moved.any():
            break
    if current is not parent:
        parent[:] = current
