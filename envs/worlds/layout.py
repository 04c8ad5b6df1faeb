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
    _randint,
    fill_square,
    reachable,
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
                lava[r, c] = free[r, c] and uniform(rng, i) < density
        reachable(walls_i, mr, mc, lava, seen)
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
        is_test = uniform(rng, i) < params[0] if force_test < 0 else force_test == 1
        for attempt in range(100):
            _interior(walls, rng, i, w, gen if attempt < 99 else 3, params)
            reachable(walls[i], 1, w - 2, none, region)
            mr, mc = _place_items(walls[i], items[i], rng, i, kind, params, region, is_test)
            if mr >= 0:
                mouse[i, 0] = mr
                mouse[i, 1] = mc
                break
