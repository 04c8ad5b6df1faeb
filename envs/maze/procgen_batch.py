"""The procgen engine: N real procgen mazes in one gym3 instance, behind `MazeEngine`.

`ProcgenBatch` drives one `ProcgenGym3Env(num=N)` and keeps a *shadow* `MazeBatch` (native
mechanics, grid planes) in step with it: at every episode start and every state edit the shadow
is loaded from procgen's parsed state (`procgen_state.read_state`), and between those it is
stepped with the same actions. procgen's mechanics equal the native ones step for step (see
tests/procgen/test_parity.py), so the shadow knows the mouse cell at every step without
parsing procgen's state each step: it supplies `corner_reached` / `gamed`, the grid-plane
observations (`obs_mode="grid"`), and the per-step mouse / corner fields of `StepResult`.
Rewards, `first` flags and rgb frames always come from procgen itself.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from specgym.envs.maze.batch import MazeBatch, check_config
from specgym.envs.maze.engine import MAX_STEPS, StepResult
from specgym.envs.maze.procgen_state import read_state, reseed_levels, write_state
from specgym.envs.maze.state import MazeState

INSTALL_HINT = (
    "specgym/ProcgenMaze-v0 needs procgen's maze (the procgen2 package, which needs numpy<2): "
    'pip install "specgym[procgen]"'
)
MAX_STATE_BYTES = 2**20
NOOP = 4
FORCE_RESET = -1  # gym3 action that makes procgen end the episode and start a new level


def make_gym3(num: int, difficulty: str, num_threads: int, rand_seed: int):
    """A `ProcgenGym3Env` running the maze (ImportError with the install hint if absent)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # old gym prints a deprecation banner
            from procgen import ProcgenGym3Env
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return ProcgenGym3Env(
        num=num, env_name="maze", distribution_mode=difficulty, num_threads=num_threads,
        rand_seed=int(rand_seed), num_levels=0, start_level=0,
    )


class ProcgenBatch:
    """N procgen mazes stepped together (the engine of the single and the vector env)."""

    def __init__(
        self,
        num_envs: int,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        num_threads: int = 0,
    ):
        self.world = check_config(difficulty, cheese_region, obs_mode, MAX_STEPS, None)
        if not isinstance(num_threads, (int, np.integer)) or num_threads < 0:
            raise ValueError(f"num_threads: expected an int >= 0, got {num_threads!r}")
        self.num_envs = n = int(num_envs)
        self.max_steps = MAX_STEPS
        self.difficulty = difficulty
        self.cheese_region = cheese_region
        self.obs_mode = obs_mode
        self.gym3 = make_gym3(n, difficulty, int(num_threads), np.random.SeedSequence().entropy % 2**31)
        self._ffi = self.gym3._ffi  # gym3 CEnv's cffi handle: get_state into one reused buffer
        self._buffer = self._ffi.new(f"char[{MAX_STATE_BYTES}]")
        self.shadow = MazeBatch(n, difficulty, None, "grid", MAX_STEPS)
        self.rngs = [np.random.default_rng() for _ in range(n)]
        self.fresh = np.zeros(n, dtype=bool)  # at step 0 of an episode (nothing acted yet)
        self.frames_now = np.zeros((n, 64, 64, 3), dtype=np.uint8)
        self._all = np.arange(n)
        self._started(self._all)

    # ----- raw state access -----------------------------------------------------------------
    def raw_state(self, i: int) -> bytes:
        size = self.gym3.call_c_func("get_state", int(i), self._buffer, MAX_STATE_BYTES)
        return bytes(self._ffi.buffer(self._buffer, size))

    def set_raw_state(self, i: int, data: bytes) -> None:
        self.gym3.call_c_func("set_state", int(i), data, len(data))

    # ----- episodes -------------------------------------------------------------------------
    def restart(self, env_ids: np.ndarray, seeds: np.ndarray | None = None) -> None:
        """Start new episodes in `env_ids`; with `seeds`, reseed their level streams first.

        procgen has no per-env reset, so the restarted envs take gym3's force-reset action
        while the others are saved and restored byte for byte around that step.
        """
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if seeds is not None:
            for i, seed in zip(env_ids, seeds, strict=True):
                self.set_raw_state(i, reseed_levels(self.raw_state(i), int(seed)))
                self.rngs[i] = np.random.default_rng(int(seed))
        force = env_ids if seeds is not None else env_ids[~self.fresh[env_ids]]
        if force.size:
            keep = np.setdiff1d(self._all, force)
            saved = [self.raw_state(i) for i in keep]
            actions = np.full(self.num_envs, NOOP, dtype=np.int32)
            actions[force] = FORCE_RESET
            self.gym3.act(actions)
            for i, data in zip(keep, saved, strict=True):
                self.set_raw_state(i, data)
        self._started(env_ids)

    def _started(self, env_ids: np.ndarray) -> None:
        """Episodes just began in `env_ids`: move the cheese if asked, load the shadow."""
        for i in env_ids:
            data = self.raw_state(i)
            state = read_state(data)
            if self.cheese_region:
                state.cheese = self._region_cell(int(i), state)
                self.set_raw_state(i, write_state(data, state))
            self.shadow.set_state(int(i), state)
        self.fresh[env_ids] = True
        self._observe()

    def _region_cell(self, i: int, state: MazeState) -> tuple[int, int]:
        """A uniform open cell of the maze's top-right n x n cells, not the mouse's."""
        n = min(self.cheese_region, state.maze_size)
        top, right = state.corner
        window = np.zeros_like(state.walls)
        window[top:top + n, right - n + 1:right + 1] = True
        window &= ~state.walls
        window[state.mouse] = False
        cells = np.argwhere(window)
        r, c = cells[self.rngs[i].integers(len(cells))]
        return (int(r), int(c))

    def _observe(self) -> None:
        _, ob, _ = self.gym3.observe()
        self.frames_now = ob["rgb"]

    # ----- dynamics -------------------------------------------------------------------------
    def step(self, actions: np.ndarray) -> StepResult:
        """One action per env; procgen has already started the next episode of the ended envs.

        The result's mouse / corner fields come from the shadow, stepped with the same actions,
        so they show where each ended episode stood at its last step.
        """
        actions = np.asarray(actions, dtype=np.int64)
        self.gym3.act(actions.astype(np.int32))
        reward, ob, first = self.gym3.observe()
        self.frames_now = ob["rgb"]
        self.shadow.advance(actions)
        self.fresh[:] = False
        terminated = reward > 0
        truncated = first & ~terminated
        result = self.shadow.result(reward.astype(np.float64), terminated, truncated)
        ended = result.ended_ids
        if ended.size:
            if self.obs_mode == "grid":  # gym3 never shows an episode's last rgb frame
                result.final_obs = self.shadow.obs[ended].copy()
            if self.cheese_region:
                self._started(ended)
            else:
                self._resync(ended)
        return result

    def _resync(self, env_ids: np.ndarray) -> None:
        for i in env_ids:
            self.shadow.set_state(int(i), read_state(self.raw_state(i)))
        self.fresh[env_ids] = True

    # ----- observations and queries ---------------------------------------------------------
    def observations(self) -> np.ndarray:
        return self.frames_now.copy() if self.obs_mode == "rgb" else self.shadow.obs.copy()

    def frames(self) -> np.ndarray:
        return self.frames_now.copy()

    def mouse_cells(self) -> np.ndarray:
        return self.shadow.mouse_cells()

    def cheese_cells(self) -> np.ndarray:
        return self.shadow.cheese_cells()

    def corners(self) -> np.ndarray:
        return self.shadow.corners()

    # ----- state editing --------------------------------------------------------------------
    def get_state(self, i: int) -> MazeState:
        """procgen's parsed state (`corner_step` from the shadow, which procgen does not keep)."""
        state = read_state(self.raw_state(i))
        state.corner_step = int(self.shadow.corner_step[i])
        return state

    def set_state(self, i: int, state: MazeState) -> None:
        """Write walls, maze size, mouse, cheese and steps into procgen (ValueError if it can't)."""
        self.set_raw_state(i, write_state(self.raw_state(i), state))
        self.shadow.set_state(int(i), state)
        self.fresh[i] = False
        self._observe()

    def close(self) -> None:
        self.gym3.close()
