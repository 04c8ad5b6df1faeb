"""Gymnasium `VectorEnv` -> stable-baselines3 `VecEnv`, without a Python env per slot.

SB3's VecEnv differs from Gymnasium's: `step` returns (obs, rewards, dones, infos) with a list of
per-env info dicts, a finished env is reset in the same step, and the last observation of an
episode travels in `infos[i]["terminal_observation"]` with `infos[i]["TimeLimit.truncated"]`
telling a time-out from a real ending. This adapter asks the vector env for SAME_STEP autoreset
and translates its `final_obs` / `final_info` into exactly that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env import VecEnv


class GymnasiumVecEnvAdapter(VecEnv):
    """Drive a natively batched Gymnasium vector env from SB3."""

    def __init__(self, env: VectorEnv, seed: int | None = None, timeouts_end_episodes: bool = False):
        """`timeouts_end_episodes=True` reports a time-out as a real ending (no value bootstrap),
        as procgen's PPO baselines treat it; the default keeps Gymnasium's distinction."""
        mode = env.metadata.get("autoreset_mode")
        if mode != AutoresetMode.SAME_STEP:
            raise ValueError(
                f"env: expected a vector env with autoreset_mode SAME_STEP (e.g. "
                f"gym.make_vec(..., autoreset_mode='same_step')), got {mode}"
            )
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self.env = env
        self.render_mode = None
        self._next_seed = seed
        self.timeouts_end_episodes = timeouts_end_episodes
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        obs, _ = self.env.reset(seed=self._next_seed)
        self._next_seed = None
        return obs

    def seed(self, seed: int | None = None):
        self._next_seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self.env.step(self._actions)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):  # only the envs whose episode just ended
            final = info.get("final_info", {})
            infos[i] = {k: v[i] for k, v in final.items() if not k.startswith("_")}
            if "final_obs" in info and info["final_obs"][i] is not None:
                infos[i]["terminal_observation"] = info["final_obs"][i]
                timed_out = bool(truncated[i] and not terminated[i])
                infos[i]["TimeLimit.truncated"] = timed_out and not self.timeouts_end_episodes
            else:  # no final frame (gym3/procgen): treat a time-out as an ending, as procgen PPO does
                infos[i]["terminal_observation"] = obs[i]
                infos[i]["TimeLimit.truncated"] = False
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.env, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list[Any]:
        return [getattr(self.env, method_name)(*args, **kwargs)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
