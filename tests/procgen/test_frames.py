"""Rendering check: procgen's frames decode to the cells of the parsed state (guards the parser)."""

from __future__ import annotations

import numpy as np
import pytest

from specgym.envs.maze.procgen_frames import decode_frame
from specgym.envs.maze.procgen_state import read_state
from tests.procgen.conftest import raw_maze


@pytest.mark.parametrize(("difficulty", "num", "world"), [("hard", 200, 25), ("easy", 50, 15)])
def test_frames_decode_to_parsed_state(difficulty, num, world):
    env = raw_maze(num, seed=31, difficulty=difficulty)
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(3):  # the first frames, then after some random moves (mouse facing both ways)
        _, ob, _ = env.observe()
        for frame, data in zip(ob["rgb"], env.get_state(), strict=True):
            state = read_state(data)
            walls, mouse, cheese = decode_frame(frame, world)
            np.testing.assert_array_equal(walls, state.walls)
            assert mouse == state.mouse
            assert cheese == state.cheese
            checked += 1
        for _ in range(4):
            env.act(rng.integers(0, 15, num).astype(np.int32))
    assert checked == 3 * num
    assert len({read_state(d).maze_size for d in env.get_state()}) >= 4
