"""Level generation for every world, compiled with numba: maze generators and item placement.

| generator  | interior                                                                  |
|------------|---------------------------------------------------------------------------|
| "kruskal"  | randomized Kruskal maze (a tree), procgen's generator; odd sizes only     |
| "blocks"   | each inner cell a wall with probability `block_density`                   |
| "noise"    | smooth value noise (lattice spacing `noise_scale`) thresholded to walls   |
| "open"     | no inner walls                                                            |

The top-right inner cell (the corner) is always open; the mouse and every item are placed in
its connected region, so every level is solvable whatever the generator. Each env owns a
splitmix64 stream (the maze's), so env i of a batch seeded with s draws the levels of a single
env seeded with s + i.
"""

from __future__ import annotations

import numba
import numpy as np

from specgym.envs.maze.generator import _carve, _next_u64, _randint

GENERATORS = ("kruskal", "blocks", "noise", "open")
WORLD_KINDS = ("corner", "dish", "keys", "lava")
CORNER, DISH, KEYS, LAVA = range(4)
CHEESE_BIT, DISH_BIT, KEY_BIT, CHEST_BIT, LAVA_BIT = 1, 2, 4, 8, 16

# Indices into the float64 parameter vector every generation call takes.
PARAMS = ("test_share", "block_density", "noise_density", "noise_scale", "corner_size",
          "keys_train_min", "keys_train_max", "chests_train_min", "chests_train_max",
          "keys_test_min", "keys_test_max", "chests_test_min", "chests_test_max", "lava_density")
P = {name: k for k, name in enumerate(PARAMS)}
DEFAULTS = {"test_share": 0.0, "block_density": 0.25, "noise_density": 0.35, "noise_scale": 3,
            "corner_size": 1, "keys_train_min": 1, "keys_train_max": 2, "chests_train_min": 3,
            "chests_train_max": 4, "keys_test_min": 3, "keys_test_max": 4, "chests_test_min": 1,
            "chests_test_max": 2, "lava_density": 0.15}


@numba.njit(cache=True, inline="always")
def _uniform(rng, i):
    return (_next_u64(rng, i) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def _interior(walls, rng, i, w, gen, params):
    """Fill env i's walls: border walls, inner cells by generator `gen`."""
    walls[i, :, :] = True
    s = w - 2
    if gen == 0:
        _carve(walls, rng, i, s, 1)
    elif gen == 1:
        p = params[1]
        for r in range(1, w - 1):
            for c in range(1, w - 1):
                walls[i, r, c] = _uniform(rng, i) < p
    elif gen == 2:
        scale = max(int(params[3]), 1)
        n = s // scale + 2
        lattice = np.empty((n, n))
        for a in range(n):
            for b in range(n):
                lattice[a, b] = _uniform(rng, i)
        for r in range(s):
            for c in range(s):
                y, x = r / scale, c / scale
                a, b = int(y), int(x)
                fy, fx = y - a, x - b
                fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep
                v = (lattice[a, b] * (1 - fy) * (1 - fx) + lattice[a + 1, b] * fy * (1 - fx)
                     + lattice[a, b + 1] * (1 - fy) * fx + lattice[a + 1, b + 1] * fy * fx)
                walls[i, r + 1, c + 1] = v < params[2]
    else:
        walls[i, 1:w - 1, 1:w - 1] = False
    walls[i, 1, w - 2] = False


@numba.njit(cache=True)
def _region(walls_i, start_r, start_c, blocked, region):
    """Mark the cells reachable from start without crossing walls or `blocked`; returns the count."""
    w = walls_i.shape[0]
    region[:, :] = False
    queue = np.empty(w * w, np.int64)
    queue[0] = start_r * w + start_c
    region[start_r, start_c] = True
    head, tail = 0, 1
    while head < tail:
        cell = queue[head]
        head += 1
        r, c = cell // w, cell % w
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nr, nc = r + dr, c + dc
            if not walls_i[nr, nc] and not blocked[nr, nc] and not region[nr, nc]:
                region[nr, nc] = True
                queue[tail] = nr * w + nc
                tail += 1
    return tail


@numba.njit(cache=True)
def _pick(rng, i, free, top, left, n):
    """A uniform cell among the `free` cells of the n x n window at (top, left); (-1, -1) if none."""
    w = free.shape[0]
    count = 0
    for r in range(max(top, 0), min(top + n, w)):
        for c in range(max(left, 0), min(left + n, w)):
            count += free[r, c]
    if count == 0:
        return -1, -1
    k = _randint(rng, i, count)
    for r in range(max(top, 0), min(top + n, w)):
        for c in range(max(left, 0), min(left + n, w)):
            if free[r, c]:
                if k == 0:
                    return r, c
                k -= 1
    return -1, -1


@numba.njit(cache=True)
def _between(rng, i, lo, hi):
    lo, hi = int(lo), int(hi)
    return lo + _randint(rng, i, hi - lo + 1)


@numba.njit(cache=True)
def _place_items(walls_i, items_i, rng, i, kind, params, region, is_test):
    """Place the mouse and the world's items in `region`; returns (mouse_r, mouse_c) or (-1, -1)."""
    w = walls_i.shape[0]
    free = region.copy()
    items_i[:, :] = 0
    if kind == KEYS:
        base = 9 if is_test else 5
        n_keys = _between(rng, i, params[base], params[base + 1])
        n_chests = _between(rng, i, params[base + 2], params[base + 3])
        for k in range(n_keys + n_chests):
            r, c = _pick(rng, i, free, 0, 0, w)
            if r < 0:
                return -1, -1
            items_i[r, c] = KEY_BIT if k < n_keys else CHEST_BIT
            free[r, c] = False
    else:
        if kind == CORNER and not is_test:
            n = max(int(params[4]), 1)
            r, c = _pick(rng, i, free, 1, w - 1 - n, n)
        else:
            r, c = _pick(rng, i, free, 0, 0, w)
        if r < 0:
            return -1, -1
        items_i[r, c] = CHEESE_BIT
        free[r, c] = False
        if kind == DISH:
            if is_test:
                r, c = _pick(rng, i, free, 0, 0, w)
                if r < 0:
                    return -1, -1
                free[r, c] = False
            items_i[r, c] |= DISH_BIT
    mr, mc = _pick(rng, i, free, 0, 0, w)
    if mr < 0:
        return -1, -1
    free[mr, mc] = False
    if kind == LAVA and is_test:
        _add_lava(walls_i, items_i, rng, i, free, params[13], mr, mc)
    return mr, mc


@numba.njit(cache=True)
def _add_lava(walls_i, items_i, rng, i, free, density, mr, mc):
    """Lava on free cells with probability `density`, redrawn until the cheese stays reachable
    without touching lava (after 20 tries the level keeps no lava)."""
    w = walls_i.shape[0]
    lava = np.zeros((w, w), np.bool_)
    seen = np.zeros((w, w), np.bool_)
    for _ in range(20):
        for r in range(w):
            for c in range(w):
                lava[r, c] = free[r, c] and _uniform(rng, i) < density
        _region(walls_i, mr, mc, lava, seen)
        ok = False
        for r in range(w):
            for c in range(w):
                if items_i[r, c] & CHEESE_BIT and seen[r, c]:
                    ok = True
        if ok:
            for r in range(w):
                for c in range(w):
                    if lava[r, c]:
                        items_i[r, c] |= LAVA_BIT
            return


@numba.njit(cache=True)
def generate_levels(walls, items, mouse, rng, env_ids, kind, gen, params, force_test):
    """New levels for `env_ids`, in place. walls: bool[n, W, W]; items: uint8[n, W, W];
    mouse: int64[n, 2]; rng: uint64[n]; force_test: -1 mixes by params' test_share, 0 train, 1 test.
    """
    w = walls.shape[1]
    region = np.zeros((w, w), np.bool_)
    none = np.zeros((w, w), np.bool_)
    for e in range(env_ids.shape[0]):
        i = env_ids[e]
        is_test = _uniform(rng, i) < params[0] if force_test < 0 else force_test == 1
        for attempt in range(100):
            _interior(walls, rng, i, w, gen if attempt < 99 else 3, params)
            _region(walls[i], 1, w - 2, none, region)
            mr, mc = _place_items(walls[i], items[i], rng, i, kind, params, region, is_test)
            if mr >= 0:
                mouse[i, 0] = mr
                mouse[i, 1] = mc
                break
