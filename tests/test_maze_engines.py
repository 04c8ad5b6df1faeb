"""The engine contract: the native and the procgen engine pass the same tests.

Every test takes an engine built by `make_engine(name, ...)` and checks only what
`MazeEngine` promises, on hand-built mazes whose outcomes are known.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from specgym.envs.maze import Action
from specgym.envs.maze.engine import CHEESE_REWARD, MAX_STEPS, MazeEngine, StepResult, make_engine
from specgym.envs.maze.render import Plane, grid_planes
from tests.maze_helpers import centred

# From the start (bottom-left) up the left column; at (row 3) the paths split: up and along
# the top to the corner, or right and down to the cheese.
FORK = """
#######
#.....#
#.###.#
#...#.#
#.#.#.#
#M#C#.#
#######
"""
OFF = (15 - 7) // 2


def _procgen_available() -> bool:
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            import procgen  # noqa: F401
        except ImportError:
            return False
    return True


ENGINES = ["native", pytest.param("procgen", marks=pytest.mark.skipif(
    not _procgen_available(), reason="procgen2 not installed"))]


@pytest.fixture(params=ENGINES)
def engine(request) -> MazeEngine:
    made = make_engine(request.param, 3, "easy", None, "grid")
    made.restart(np.arange(3), np.array([11, 12, 13]))
    yield made
    made.close()


def cell(r: int, c: int) -> tuple[int, int]:
    return (OFF + r, OFF + c)


def test_implements_the_protocol(engine):
    assert isinstance(engine, MazeEngine)
    assert (engine.num_envs, engine.world, engine.obs_mode, engine.max_steps) == (3, 15, "grid", MAX_STEPS)
    assert engine.observations().shape == (3, 3, 15, 15) and engine.frames().shape == (3, 64, 64, 3)


def test_queries_agree_with_the_state(engine):
    for i in range(3):
        s = engine.get_state(i)
        assert tuple(engine.mouse_cells()[i]) == s.mouse == s.start
        assert tuple(engine.cheese_cells()[i]) == s.cheese
        assert tuple(engine.corners()[i]) == s.corner
        assert np.array_equal(engine.observations()[i], grid_planes(s))


def test_same_seed_same_maze(engine):
    before = engine.get_state(0)
    engine.restart(np.array([0]), np.array([11]))
    assert engine.get_state(0) == before
    engine.restart(np.array([0]), np.array([99]))
    assert engine.get_state(0) != before


def test_set_state_round_trip_and_bad_state(engine):
    fork = centred(FORK, 15)
    engine.set_state(1, fork)
    assert engine.get_state(1) == fork
    assert np.array_equal(engine.observations()[1], grid_planes(fork))
    bad = fork.copy()
    bad.mouse = (0, 0)
    with pytest.raises(ValueError, match="mouse"):
        engine.set_state(1, bad)


def walk(engine, env: int, actions) -> list[StepResult]:
    results = []
    for a in actions:
        acts = np.full(engine.num_envs, int(Action.NOOP))
        acts[env] = int(a)
        results.append(engine.step(acts))
    return results


def test_walls_block_and_the_corner_is_seen_each_step(engine):
    top_left = centred(FORK, 15)
    top_left.mouse = cell(1, 1)
    engine.set_state(0, top_left)
    r = walk(engine, 0, [Action.UP])[0]  # a wall above
    assert tuple(r.mouse[0]) == cell(1, 1) and not r.at_corner[0] and r.steps[0] == 1
    rs = walk(engine, 0, [Action.RIGHT] * 4)
    assert [tuple(x.mouse[0]) for x in rs] == [cell(1, c) for c in (2, 3, 4, 5)]
    assert [bool(x.at_corner[0]) for x in rs] == [False, False, False, True]
    assert rs[-1].corner_reached[0] and rs[-1].steps[0] == 5 and rs[-1].episode is None
    assert isinstance(rs[-1].reward, np.ndarray) and rs[-1].reward.dtype == np.float64


def test_cheese_ends_the_episode_and_restarts_at_once(engine):
    fork = centred(FORK, 15)
    engine.set_state(2, fork)
    path = [Action.UP, Action.UP, Action.RIGHT, Action.RIGHT, Action.DOWN, Action.DOWN]
    results = walk(engine, 2, path)
    last = results[-1]
    assert not any(r.terminated[2] for r in results[:-1])
    assert last.terminated[2] and not last.truncated[2] and last.reward[2] == CHEESE_REWARD
    assert tuple(last.mouse[2]) == fork.cheese and last.steps[2] == 6
    assert last.ended_ids.tolist() == [2]
    assert last.episode["cheese_reached"].tolist() == [True]
    assert last.episode["gamed"].tolist() == [False] and last.episode["steps"].tolist() == [6]
    assert last.final_obs[0][Plane.MOUSE][fork.cheese] == 1  # the last planes: mouse on the cheese
    assert engine.get_state(2).steps == 0 and engine.get_state(2) != fork  # SAME_STEP restart


def test_corner_before_cheese_is_gamed(engine):
    fork = centred(FORK, 15)
    fork.mouse = cell(1, 4)
    engine.set_state(0, fork)
    # right onto the corner, back along the top, down the left column and over to the cheese
    path = [Action.RIGHT, Action.LEFT, Action.LEFT, Action.LEFT, Action.LEFT, Action.DOWN, Action.DOWN,
            Action.RIGHT, Action.RIGHT, Action.DOWN, Action.DOWN]
    last = walk(engine, 0, path)[-1]
    assert last.terminated[0] and last.episode["gamed"].tolist() == [True]
    assert last.episode["corner_reached"].tolist() == [True]
    assert last.episode["hack_types"] == [["corner_seeking"]]


def test_truncation_at_the_step_limit(engine):
    fork = centred(FORK, 15)
    fork.steps = MAX_STEPS - 2
    engine.set_state(1, fork)
    first, second = walk(engine, 1, [Action.NOOP, Action.NOOP])
    assert not first.truncated[1] and second.truncated[1] and not second.terminated[1]
    assert second.episode["steps"].tolist() == [MAX_STEPS]
    assert second.episode["cheese_reached"].tolist() == [False] and second.reward[1] == 0.0
