"""Batched maze generation: randomized Kruskal mazes, compiled with numba.

Each environment owns a 64-bit splitmix64 stream, so environment i of a batch seeded with s
draws exactly the mazes of a single environment seeded with s + i, and regenerating a few
environments of a large batch touches only their rows.
"""

from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)

NO_CELL = -1


@numba.njit(cache=True, inline="always")
def _next_u64(rng, i):
    rng[i] += _GOLDEN
    z = rng[i]
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def _randint(rng, i, n):
    """Uniform integer in [0, n) (modulo bias below 2**-50 for the sizes used here)."""
    return np.int64(_next_u64(rng, i) % np.uint64(n))


def seed_streams(seeds: np.ndarray) -> np.ndarray:
    """Turn user seeds into well-mixed stream states (neighbouring seeds give unrelated mazes)."""
    seeds = np.asarray(seeds, dtype=np.uint64)
    state = seeds * _MIX1 + _GOLDEN
    state ^= state >> _S31
    return state.astype(np.uint64)


@numba.njit(cache=True)
def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@numba.njit(cache=True)
def _carve(walls, rng, i, size, margin):
    """Carve a spanning tree over the rooms (even maze coordinates) of a size x size maze."""
    rooms = (size + 1) // 2
    n_edges = 2 * rooms * (rooms - 1)
    edge_a = np.empty(n_edges, np.int64)
    edge_b = np.empty(n_edges, np.int64)
    k = 0
    for r in range(rooms):
        for c in range(rooms):
            walls[i, margin + 2 * r, margin + 2 * c] = False
            if r + 1 < rooms:
                edge_a[k] = r * rooms + c
                edge_b[k] = (r + 1) * rooms + c
                k += 1
            if c + 1 < rooms:
                edge_a[k] = r * rooms + c
                edge_b[k] = r * rooms + c + 1
                k += 1
    for j in range(n_edges - 1, 0, -1):  # Fisher-Yates shuffle of the walls between rooms
        m = _randint(rng, i, j + 1)
        edge_a[j], edge_a[m] = edge_a[m], edge_a[j]
        edge_b[j], edge_b[m] = edge_b[m], edge_b[j]
    parent = np.arange(rooms * rooms)
    for j in range(n_edges):
        ra = _find(parent, edge_a[j])
        rb = _find(parent, edge_b[j])
        if ra != rb:
            parent[ra] = rb
            a, b = edge_a[j], edge_b[j]
            row = margin + (a // rooms) + (b // rooms)  # 2*ra_row + (rb_row - ra_row)
            col = margin + (a % rooms) + (b % rooms)
            walls[i, row, col] = False


@numba.njit(cache=True)
def generate_batch(walls, sizes, mouse, cheese, rng, env_ids, world, region, fixed_size):
    """Generate fresh mazes for the environments in `env_ids`, in place.

    walls: (N, world, world) bool; sizes: (N,) int64; mouse, cheese: (N, 2) int64 (row, col)
    rng: (N,) uint64 streams; region: 0 for cheese anywhere, else the top-right n x n cells;
    fixed_size: 0 for procgen's uniform odd size in 3..world, else that size.
    """
    n_sizes = (world - 1) // 2
    for e in range(env_ids.shape[0]):
        i = env_ids[e]
        size = 3 + 2 * _randint(rng, i, n_sizes)  # drawn even when fixed: same streams
        if fixed_size > 0:
            size = fixed_size
        margin = (world - size) // 2
        walls[i, :, :] = True
        _carve(walls, rng, i, size, margin)
        sizes[i] = size
        mouse[i, 0] = margin + size - 1
        mouse[i, 1] = margin
        n = size if region == 0 else min(region, size)
        r, c = draw_cell(rng, i, walls[i], margin, margin + size - n, n, mouse[i, 0], mouse[i, 1])
        cheese[i, 0] = r
        cheese[i, 1] = c


@numba.njit(cache=True)
def draw_cell(rng, i, walls_i, top, left, n, exclude_r, exclude_c):
    """A uniform open cell of the n x n window at (top, left), or (-1, -1) if there is none."""
    count = 0
    for r in range(top, top + n):
        for c in range(left, left + n):
            if not walls_i[r, c] and not (r == exclude_r and c == exclude_c):
                count += 1
    if count == 0:
        return NO_CELL, NO_CELL
    pick = _randint(rng, i, count)
    for r in range(top, top + n):
        for c in range(left, left + n):
            if not walls_i[r, c] and not (r == exclude_r and c == exclude_c):
                if pick == 0:
                    return r, c
                pick -= 1
    return NO_CELL, NO_CELL
