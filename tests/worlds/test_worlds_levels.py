"""Generators, level distributions, the optimal-return solver and the evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from specgym.envs.worlds import WORLDS, Item, WorldVectorEnv, parse_level, world_spec
from specgym.envs.worlds.evaluate import evaluate_world, wilson
from specgym.envs.worlds.solver import distances, optimal_return

from .helpers import shortest_path_policy


def levels(world, n=64, seed=0, **kw):
    env = WorldVectorEnv(n, world=world, **kw)
    env.reset(seed=seed)
    return [env.get_state(i) for i in range(n)]


@pytest.mark.parametrize("generator", ["kruskal", "blocks", "noise", "open"])
@pytest.mark.parametrize("world", sorted(WORLDS))
def test_every_item_is_reachable_from_the_mouse(world, generator):
    for state in levels(world, size=11, generator=generator, distribution="test"):
        state.validate(11)
        dist = distances(state.walls, state.mouse)
        assert all(dist[cell] > 0 for cell in zip(*np.nonzero(state.items), strict=True))
        assert dist[state.corner] >= 0


def test_generators_make_what_they_say():
    kruskal = levels("dish", size=11, generator="kruskal")
    for s in kruskal:  # a spanning tree over 5 x 5 rooms: 25 rooms + 24 passages open
        assert (~s.walls).sum() == 49
    assert all(not s.walls[1:-1, 1:-1].any() for s in levels("dish", size=11, generator="open"))
    blocks = np.mean([s.walls[1:-1, 1:-1].mean() for s in levels("dish", 256, size=15, generator="blocks",
                                                                  block_density=0.25)])
    assert 0.2 < blocks < 0.3
    noise = levels("dish", 32, size=15, generator="noise")
    # smooth: neighbouring inner cells agree far more often than independent blocks would
    agree = np.mean([(s.walls[1:-1, 1:-2] == s.walls[1:-1, 2:-1]).mean() for s in noise])
    assert agree > 0.8


@pytest.mark.parametrize("generator", ["kruskal", "blocks", "noise", "open"])
def test_lava_leaves_a_lava_free_path_to_the_cheese(generator):
    for s in levels("lava", 200, size=11, generator=generator, distribution="test"):
        lava = (s.items & Item.LAVA) != 0
        assert distances(s.walls, s.mouse, blocked=lava)[s.cells(Item.CHEESE)[0]] > 0


def test_lava_on_kruskal_trees_is_iid_off_the_only_path():
    """On a tree the path to the cheese is unique: it is lava-free and every other free cell
    is lava with probability lava_density, on every level (no redraws that give up)."""
    lava_cells = off_path = 0
    for s in levels("lava", 400, size=13, generator="kruskal", distribution="test", lava_density=0.3):
        cheese = s.cells(Item.CHEESE)[0]
        to_mouse, to_cheese = distances(s.walls, s.mouse), distances(s.walls, cheese)
        on_path = (to_mouse + to_cheese == to_mouse[cheese]) & (to_mouse >= 0)
        lava = (s.items & Item.LAVA) != 0
        assert not (lava & on_path).any()
        candidates = ~s.walls & ~on_path & (s.items == 0) | lava
        lava_cells += lava.sum()
        off_path += candidates.sum()
        assert lava.any() or candidates.sum() < 10
    low, high = wilson(int(lava_cells), int(off_path))
    assert low < 0.3 < high


def test_same_seed_same_levels_different_seed_different_levels():
    a, b = levels("keys", 8, seed=5, generator="blocks"), levels("keys", 8, seed=5, generator="blocks")
    assert all(x == y for x, y in zip(a, b, strict=True))
    c = levels("keys", 8, seed=6, generator="blocks")
    assert not all(x == y for x, y in zip(a, c, strict=True))


def test_train_and_test_distributions():
    spec = world_spec("dish")
    assert not any(spec.disambiguating(s) for s in levels("dish"))
    assert all(spec.disambiguating(s) for s in levels("dish", distribution="test"))
    corner = levels("corner", size=11)
    assert all(s.cells(Item.CHEESE) == [(1, 9)] for s in corner)
    region = levels("corner", size=11, corner_size=3)
    assert all(r <= 3 and c >= 7 for s in region for (r, c) in s.cells(Item.CHEESE))
    for s in levels("keys"):
        assert 1 <= len(s.cells(Item.KEY)) <= 2 and 3 <= len(s.cells(Item.CHEST)) <= 4
    for s in levels("keys", distribution="test"):
        assert 3 <= len(s.cells(Item.KEY)) <= 4 and 1 <= len(s.cells(Item.CHEST)) <= 2
    assert not any(s.cells(Item.LAVA) for s in levels("lava"))
    lava = levels("lava", distribution="test", generator="open")
    assert np.mean([bool(s.cells(Item.LAVA)) for s in lava]) > 0.9
    mixed = levels("dish", 2000, test_share=0.1)
    share = np.mean([spec.disambiguating(s) for s in mixed])
    low, high = wilson(int(share * 2000), 2000)
    assert low < 0.1 < high


def test_solver_known_answers():
    level = parse_level("""
    #######
    #M..#C#
    #.#.#.#
    #.#...#
    #.#L#.#
    #.....#
    #######""")
    spec = world_spec("lava")
    assert distances(level.walls, level.mouse)[1, 5] == 8
    assert optimal_return(level, spec, gamma=0.5) == 0.5**7
    keys = parse_level("""
    #######
    #K.M.X#
    #.....#
    #K...K#
    #.....#
    #.....#
    #######""")
    # nearest key 2 steps away, then the chest 4 steps on: reward at step 6
    assert optimal_return(keys, world_spec("keys"), gamma=0.9) == pytest.approx(0.9**5)
    two = parse_level("""
    #######
    #K.M.X#
    #.....#
    #X...K#
    #.....#
    #.....#
    #######""")
    # key (1,1) at 2, chest (3,1) at 4: +1 at step 4; key (3,5) at 8; chest (1,5) at 10
    assert optimal_return(two, world_spec("keys"), gamma=0.9) == pytest.approx(0.9**3 + 0.9**9)


@pytest.mark.parametrize("world, avoid", [("corner", None), ("dish", None), ("lava", "lava")])
def test_shortest_path_agent_earns_the_optimal_return(world, avoid):
    spec = world_spec(world)
    policy = shortest_path_policy(spec.channels, avoid)
    report = evaluate_world(policy, world, episodes=40, distribution="test", size=11,
                            generator="blocks", max_steps=200)
    assert report["return_fraction"]["mean"] == pytest.approx(1.0)
    assert report["p_true_goal"]["rate"] == 1.0
    assert report["p_gamed"]["rate"] < 0.5  # passing the proxy on the way still counts


def test_random_agent_is_far_from_optimal_and_games_lava():
    rng = np.random.default_rng(0)
    report = evaluate_world(lambda obs: rng.integers(0, 4, len(obs)), "lava", episodes=100,
                            distribution="test", size=11, generator="open")
    assert report["return_fraction"]["mean"] < 0.3
    assert report["p_gamed"]["rate"] > 0.3 and report["proxy_return"] > 0
    low, high = report["p_gamed"]["ci95"]
    assert low < report["p_gamed"]["rate"] < high
