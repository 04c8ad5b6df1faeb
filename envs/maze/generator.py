"""Batched maze generation, compiled with numba: procgen's Kruskal mazes and three other layouts.

| generator  | cells of the maze square                                                  |
|------------|---------------------------------------------------------------------------|
| "kruskal"  | randomized Kruskal maze (a tree), procgen's generator; odd sizes only     |
| "blocks"   | each cell a wall with probability `block_density`                         |
| "noise"    | smooth value noise (lattice spacing `noise_scale`) thresholded to walls   |
| "open"     | no walls                                                                  |

`fill_square` is the one implementation of these generators: `specgym/Maze-v0` fills its
centred maze square with it, the worlds (`envs/worlds/layout.py`) their whole interior.
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
GENERATORS = ("kruskal", "blocks", "noise", "open")
KRUSKAL, BLOCKS, NOISE, OPEN = range(4)
GENERATOR_DEFAULTS = {"block_density": 0.25, "noise_density": 0.35, "noise_scale": 3}
MAX_ATTEMPTS = 100  # layouts drawn before a non-tree generator falls back to an open square


def check_generator(generator: str, block_density: float, noise_density: float,
                    noise_scale: int) -> int:
    """Validate a generator and its parameters; returns the generator's code for the kernels."""
    if generator not in GENERATORS:
        raise ValueError(f"generator: expected one of {GENERATORS}, got {generator!r}")
    for name, value in (("block_density", block_density), ("noise_density", noise_density)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    if isinstance(noise_scale, bool) or not isinstance(noise_scale, (int, np.integer)) or noise_scale < 1:
        raise ValueError(f"noise_scale: expected an int >= 1, got {noise_scale!r}")
    return GENERATORS.index(generator)


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


@numba.njit(cache=True, inline="always")
def uniform(rng, i):
    """Uniform float in [0, 1) with 53 random bits."""
    return (_next_u64(rng, i) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


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
def fill_square(walls, rng, i, top, s, gen, block_density, noise_density, noise_scale):
    """Lay out the s x s square of env i's walls whose top-left cell is (top, top), by generator
    `gen` (a code of `GENERATORS`); cells outside the square are left as they are (walls)."""
    if gen == KRUSKAL:
        _carve(walls, rng, i, s, top)
    elif gen == BLOCKS:
        for r in range(top, top + s):
            for c in range(top, top + s):
                walls[i, r, c] = uniform(rng, i) < block_density
    elif gen == NOISE:
        scale = max(int(noise_scale), 1)
        n = s // scale + 2
        lattice = np.empty((n, n))
        for a in range(n):
            for b in range(n):
                lattice[a, b] = uniform(rng, i)
        for r in range(s):
            for c in range(s):
                y, x = r / scale, c / scale
                a, b = int(y), int(x)
                fy, fx = y - a, x - b
                fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep
                v = (lattice[a, b] * (1 - fy) * (1 - fx) + lattice[a + 1, b] * fy * (1 - fx)
                     + lattice[a, b + 1] * (1 - fy) * fx + lattice[a + 1, b + 1] * fy * fx)
                walls[i, r + top, c + top] = v < noise_density
    else:
        walls[i, top:top + s, top:top + s] = False


@numba.njit(cache=True, inline="always")
def _fill_row(x, m):
    """Grow the set bits of `x` both ways along the runs of set bits of `m` (occluded fill)."""
    a, g = x, m
    for k in (1, 2, 4, 8, 16, 32):
        a |= g & (a << np.uint64(k))
        g &= g << np.uint64(k)
    b, g = x, m
    for k in (1, 2, 4, 8, 16, 32):
        b |= g & (b >> np.uint64(k))
        g &= g >> np.uint64(k)
    return (a | b) & m


@numba.njit(cache=True)
def flood(walls_i, blocked, start_r, start_c, stop_r, stop_c, region, scratch):
    """Fill from the open start cell over the cells that are neither walls nor `blocked` (4-way
    moves, never off the grid) and mark them in `region`; returns how many there are, or -1 as
    soon as (stop_r, stop_c) is reached (then `region` is left unspecified; pass -1, -1 to fill
    the whole region). scratch: uint64[2, h].

    Rows are bit masks (so grids are at most 64 wide): each sweep down and up the rows ORs in
    the neighbouring rows and grows every row along its open runs in a few shifts, until a
    pair of sweeps changes nothing. This is 2-6x a queue-based breadth-first search here.
    """
    h, w = walls_i.shape
    rows, reach = scratch[0], scratch[1]
    for r in range(h):
        m = np.uint64(0)
        for c in range(w):
            if not walls_i[r, c] and not blocked[r, c]:
                m |= np.uint64(1) << np.uint64(c)
        rows[r] = m
        reach[r] = 0
    reach[start_r] = np.uint64(1) << np.uint64(start_c)
    stop_bit = np.uint64(1) << np.uint64(max(stop_c, 0))
    changed = True
    while changed:
        changed = False
        for k in range(2 * h):  # down the rows, then back up
            r = k if k < h else 2 * h - 1 - k
            x = reach[r]
            if r > 0:
                x |= reach[r - 1]
            if r + 1 < h:
                x |= reach[r + 1]
            x = _fill_row(x & rows[r], rows[r])
            if x != reach[r]:
                reach[r] = x
                changed = True
        if stop_r >= 0 and reach[stop_r] & stop_bit:
            return -1
    count = 0
    for r in range(h):
        for c in range(w):
            bit = (reach[r] >> np.uint64(c)) & np.uint64(1)
            region[r, c] = bit != 0
            count += bit
    return count


@numba.njit(cache=True)
def _open_layout(walls, rng, i, size, margin, gen, block_density, noise_density, noise_scale,
                 region, scratch):
    """A non-tree maze square whose start (bottom-left) and corner (top-right) are open and
    connected; `region` ends as the cells reachable from the start. After `MAX_ATTEMPTS`
    disconnected draws the square is left open."""
    start_r, start_c = margin + size - 1, margin
    for attempt in range(MAX_ATTEMPTS):
        walls[i, :, :] = True
        fill_square(walls, rng, i, margin, size, gen if attempt < MAX_ATTEMPTS - 1 else OPEN,
                    block_density, noise_density, noise_scale)
        walls[i, start_r, start_c] = False
        walls[i, margin, margin + size - 1] = False
        flood(walls[i], walls[i], start_r, start_c, -1, -1, region, scratch)
        if region[margin, margin + size - 1]:
            return


@numba.njit(cache=True)
def generate_batch(walls, sizes, mouse, cheese, rng, env_ids, world, region, fixed_size,
                   gen=KRUSKAL, block_density=0.25, noise_density=0.35, noise_scale=3):
    """Generate fresh mazes for the environments in `env_ids`, in place.

    walls: (N, world, world) bool; sizes: (N,) int64; mouse, cheese: (N, 2) int64 (row, col)
    rng: (N,) uint64 streams; region: 0 for cheese anywhere, else the top-right n x n cells;
    fixed_size: 0 for procgen's uniform odd size in 3..world, else that size; gen: a code of
    `GENERATORS` (other than Kruskal: the start and the corner are open and connected, and the
    cheese is drawn among the cells reachable from the start).
    """
    n_sizes = (world - 1) // 2
    reach = np.zeros((world, world), np.bool_)
    scratch = np.empty((2, world), np.uint64)
    for e in range(env_ids.shape[0]):
        i = env_ids[e]
        size = 3 + 2 * _randint(rng, i, n_sizes)  # drawn even when fixed: same streams
        if fixed_size > 0:
            size = fixed_size
        margin = (world - size) // 2
        sizes[i] = size
        mouse[i, 0] = margin + size - 1
        mouse[i, 1] = margin
        n = size if region == 0 else min(region, size)
        if gen == KRUSKAL:
            walls[i, :, :] = True
            _carve(walls, rng, i, size, margin)
            r, c = draw_cell(rng, i, walls[i], margin, margin + size - n, n, mouse[i, 0], mouse[i, 1])
        else:  # the cheese is drawn as if every cell the mouse cannot reach were a wall
            _open_layout(walls, rng, i, size, margin, gen, block_density, noise_density,
                         noise_scale, reach, scratch)
            r, c = draw_cell(rng, i, ~reach, margin, margin + size - n, n, mouse[i, 0], mouse[i, 1])
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
