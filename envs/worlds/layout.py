"""Level generation for every world, compiled with numba: maze generators and item placement.

The interior inside the border walls is laid out by `specgym.envs.maze.generator.fill_square`
(the generators of `specgym/Maze-v0`: "kruskal", "blocks", "noise", "open").

The top-right inner cell (the corner) is always open; the mouse and every item are placed in
its connected region, so every level is solvable whatever the generator. Each env owns a
splitmix64 stream (the maze's), so env i of a batch seeded with s draws the levels of a single
env seeded with s + i.
"""

from __future__ import annotations

import numba
import numpy as np

from specgym.envs.maze.generator import (
    GENERATOR_DEFAULTS,
    KRUSKAL,
    OPEN,
    _randint,
    fill_square,
    flood,
    uniform,
)

WORLD_KINDS = ("corner", "dish", "keys", "lava")
CORNER, DISH, KEYS, LAVA = range(4)
CHEESE_BIT, DISH_BIT, KEY_BIT, CHEST_BIT, LAVA_BIT = 1, 2, 4, 8, 16

# Indices into the float64 parameter vector every generation call takes.
PARAMS = ("test_share", "block_density", "noise_density", "noise_scale", "corner_size",
          "keys_train_min", "keys_train_max", "chests_train_min", "chests_train_max",
          "keys_test_min", "keys_test_max", "chests_test_min", "chests_test_max", "lava_density")
P = {name: k for k, name in enumerate(PARAMS)}
DEFAULTS = {"test_share": 0.0, **GENERATOR_DEFAULTS, "corner_size": 1,
            "keys_train_min": 1, "keys_train_max": 2, "chests_train_min": 3, "chests_train_max": 4,
            "keys_test_min": 3, "keys_test_max": 4, "chests_test_min": 1, "chests_test_max": 2,
            "lava_density": 0.15}


@numba.njit(cache=True)
def _interior(walls, rng, i, w, gen, params):
    """Fill env i's walls: border walls, inner cells by generator `gen`, the corner open."""
    walls[i, :, :] = True
    fill_square(walls, rng, i, 1, w - 2, gen, params[1], params[2], params[3])
    walls[i, 1, w - 2] = False


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
def _place_items(walls_i, items_i, rng, i, kind, gen, params, region, is_test, free, lava,
                 scratch):
    """Place the mouse and the world's items in `region`; returns (mouse_r, mouse_c) or (-1, -1).
    free, lava: bool[W, W] and scratch: uint64[2, W] are scratch."""
    w = walls_i.shape[0]
    free[:, :] = region
    items_i[:, :] = 0
    cheese_r, cheese_c = -1, -1
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
        cheese_r, cheese_c = r, c
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
    if kind == LAVA and is_test:  # region is done with: the lava check's scratch
        if gen == KRUSKAL:
            _add_lava_off_path(walls_i, items_i, rng, i, free, params[13], mr, mc, cheese_r,
                               cheese_c, region)
        else:
            _add_lava(walls_i, items_i, rng, i, free, params[13], mr, mc, cheese_r, cheese_c, lava,
                      region, scratch)
    return mr, mc


@numba.njit(cache=True)
def _add_lava(walls_i, items_i, rng, i, free, density, mr, mc, cheese_r, cheese_c, lava, seen,
              scratch):
    """Lava on free cells with probability `density`, redrawn until the cheese stays reachable
    without touching lava; after 20 failed draws, drawn off one shortest path instead."""
    w = walls_i.shape[0]
    for _ in range(20):
        for r in range(w):
            for c in range(w):
                lava[r, c] = free[r, c] and uniform(rng, i) < density
        if flood(walls_i, lava, mr, mc, cheese_r, cheese_c, seen, scratch) < 0:  # cheese reached
            for r in range(w):
                for c in range(w):
                    if lava[r, c]:
                        items_i[r, c] |= LAVA_BIT
            return
    _add_lava_off_path(walls_i, items_i, rng, i, free, density, mr, mc, cheese_r, cheese_c, seen)


@numba.njit(cache=True)
def _add_lava_off_path(walls_i, items_i, rng, i, free, density, mr, mc, cheese_r, cheese_c, path):
    """Lava on each free cell off one shortest path to the cheese with probability `density`.

    On a tree maze this is `_add_lava` exactly, in one draw: the path is unique, so "a lava-free
    path exists" means "no lava on that path", and the cells off it stay independent."""
    w = walls_i.shape[1]
    dist = np.full((w, w), -1, np.int64)
    queue = np.empty(w * w, np.int64)
    dist[mr, mc] = 0
    queue[0] = mr * w + mc
    head, tail = 0, 1
    while head < tail:  # breadth-first distances from the mouse (the border is walls)
        r, c = queue[head] // w, queue[head] % w
        head += 1
        if r == cheese_r and c == cheese_c:
            break
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if not walls_i[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue[tail] = nr * w + nc
                tail += 1
    path[:, :] = False
    r, c = cheese_r, cheese_c
    while dist[r, c] > 0:  # walk back to the mouse
        path[r, c] = True
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if not walls_i[nr, nc] and dist[nr, nc] == dist[r, c] - 1:
                r, c = nr, nc
                break
    for r in range(w):
        for c in range(w):
            if free[r, c] and not path[r, c] and uniform(rng, i) < density:
                items_i[r, c] |= LAVA_BIT


@numba.njit(cache=True)
def generate_levels(walls, items, mouse, rng, env_ids, kind, gen, params, force_test):
    """New levels for `env_ids`, in place. walls: bool[n, W, W]; items: uint8[n, W, W];
    mouse: int64[n, 2]; rng: uint64[n]; force_test: -1 mixes by params' test_share, 0 train, 1 test.
    """
    w = walls.shape[1]
    region = np.zeros((w, w), np.bool_)
    free = np.zeros((w, w), np.bool_)
    lava = np.zeros((w, w), np.bool_)
    scratch = np.empty((2, w), np.uint64)
    for e in range(env_ids.shape[0]):
        i = env_ids[e]
        is_test = uniform(rng, i) < params[0] if force_test < 0 else force_test == 1
        for attempt in range(100):
            used = gen if attempt < 99 else OPEN
            _interior(walls, rng, i, w, used, params)
            flood(walls[i], walls[i], 1, w - 2, -1, -1, region, scratch)
            mr, mc = _place_items(walls[i], items[i], rng, i, kind, used, params, region, is_test,
                                  free, lava, scratch)
            if mr >= 0:
                mouse[i, 0] = mr
                mouse[i, 1] = mc
                break
