"""The state bridge: parse -> write -> parse, edits that show up in procgen, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from specgym.envs.maze.convert import from_procgen_bytes, recentre, to_procgen_bytes
from specgym.envs.maze.procgen_frames import decode_frame
from specgym.envs.maze.procgen_state import (
    mt19937_text,
    parse_layout,
    read_state,
    reseed_levels,
    write_state,
)
from specgym.envs.maze.state import MazeState
from tests.procgen.conftest import raw_maze


@pytest.fixture(scope="module")
def env():
    return raw_maze(16, seed=3, num_threads=0)


def test_round_trip_is_identity(env):
    for data in env.get_state():
        state = read_state(data)
        assert write_state(data, state) == data
        assert read_state(write_state(data, state)) == state
        assert state.walls.shape == (25, 25) and state.mouse == state.start


def test_parse_matches_procgen_layout(env):
    state = read_state(env.get_state()[0])
    if state.margin:
        assert state.walls[:state.margin].all() and state.walls[-state.margin:].all()
    assert not state.walls[state.corner] and not state.walls[state.start]
    assert state.cheese is not None and state.steps == 0


def test_edited_cheese_shows_in_next_frame_and_counts(env):
    data = env.get_state()[1]
    state = read_state(data)
    open_cells = [tuple(c) for c in np.argwhere(~state.walls) if tuple(c) not in (state.mouse, state.cheese)]
    target = (int(open_cells[-1][0]), int(open_cells[-1][1]))
    state.cheese = target
    states = env.get_state()
    states[1] = write_state(data, state)
    env.set_state(states)
    _, ob, _ = env.observe()
    assert decode_frame(ob["rgb"][1], 25)[2] == target
    assert read_state(env.get_state()[1]).cheese == target


def test_remove_cheese_move_mouse_and_open_wall():
    env = raw_maze(1, seed=4, num_threads=0)
    data = env.get_state()[0]
    state = read_state(data)
    while state.maze_size < 5:
        env.act(np.array([-1], dtype=np.int32))
        data = env.get_state()[0]
        state = read_state(data)
    cheese = state.cheese
    # Put the mouse beside the cheese and remove the cheese: walking there no longer ends anything.
    r, c = cheese
    neighbours = [(r + dr, c + dc) for dr, dc in ((0, -1), (1, 0), (-1, 0), (0, 1))]
    mouse = next(n for n in neighbours if not state.walls[n])
    state.mouse, state.cheese = mouse, None
    env.set_state([write_state(data, state)])
    _, ob, _ = env.observe()
    assert decode_frame(ob["rgb"][0], 25)[1:] == (mouse, None)
    action = {(0, 1): 7, (-1, 0): 5, (1, 0): 3, (0, -1): 1}[(r - mouse[0], c - mouse[1])]
    env.act(np.array([action], dtype=np.int32))
    reward, _, first = env.observe()
    assert reward[0] == 0 and not first[0]
    assert read_state(env.get_state()[0]).mouse == cheese
    # Open a wall next to the mouse's cell inside the maze, and walk into it.
    state = read_state(env.get_state()[0])
    r, c = state.mouse
    walls = [(r + dr, c + dc, a) for dr, dc, a in ((0, -1, 1), (1, 0, 3), (-1, 0, 5), (0, 1, 7))
             if state.walls[r + dr, c + dc]
             and state.margin <= r + dr < state.margin + state.maze_size
             and state.margin <= c + dc < state.margin + state.maze_size]
    wr, wc, action = walls[0]
    state.walls[wr, wc] = False
    env.set_state([write_state(env.get_state()[0], state)])
    env.act(np.array([action], dtype=np.int32))
    assert read_state(env.get_state()[0]).mouse == (wr, wc)


def test_unsupported_edits_raise_clear_errors(env):
    data = env.get_state()[0]
    state = read_state(data)
    small = recentre(state, 15) if state.maze_size <= 15 else None
    if small is not None:
        with pytest.raises(ValueError, match="walls: this procgen state's world is 25x25"):
            write_state(data, small)
    bad = state.copy()
    bad.cheese = next((int(r), int(c)) for r, c in np.argwhere(state.walls))
    with pytest.raises(ValueError, match="cheese"):
        write_state(data, bad)
    with pytest.raises(ValueError, match="state: expected a MazeState"):
        write_state(data, "not a state")
    with pytest.raises(ValueError, match="truncated"):
        parse_layout(data[:-100])
    with pytest.raises(ValueError, match="game"):
        parse_layout(data[:8] + b"mazf" + data[12:])


def test_reseed_levels_makes_levels_depend_on_the_seed_only():
    a, b = raw_maze(2, seed=1, num_threads=0), raw_maze(2, seed=99, num_threads=0)
    for env in (a, b):
        env.set_state([reseed_levels(d, 1234) for d in env.get_state()])
        env.act(np.full(2, -1, dtype=np.int32))
    first = [read_state(d) for d in a.get_state()] + [read_state(d) for d in b.get_state()]
    assert all(s == first[0] for s in first)
    expected = np.random.MT19937()
    expected._legacy_seeding(1234)
    assert first[0].extras["level_seed"] == int(expected.random_raw()) % (2**31 - 1)
    assert mt19937_text(5).split()[-1] == b"624"


def test_convert_helpers_and_recentre(env):
    data = env.get_state()[2]
    state = from_procgen_bytes(data)
    assert to_procgen_bytes(state, data) == data
    moved = recentre(recentre(state, 25), 25)
    assert moved == state
    if state.maze_size <= 15:
        small = recentre(state, 15)
        assert small.world_size == 15 and small.margin == (15 - state.maze_size) // 2
        assert recentre(small, 25) == state
    with pytest.raises(ValueError, match="world"):
        recentre(state, 14)
    assert isinstance(state, MazeState)
