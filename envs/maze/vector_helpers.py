"""Plumbing shared by the native and the procgen vector mazes: Gymnasium's info layout, checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from specgym.envs.maze.options import check_reset_options, edit_state


class VectorMazeHelpers:
    """Mixin for a VectorEnv with `num_envs`."""

    num_envs: int
    engine: Any  # a MazeEngine: get_state(i), set_state(i, state)

    def _reset_targets(self, seed, options: dict[str, Any] | None):
        """Validate reset arguments -> (env ids to reset, their seeds or None, placement options)."""
        options = dict(check_reset_options(options, extra_keys=("reset_mask", "states")))
        mask = options.pop("reset_mask", None)
        ids = np.arange(self.num_envs) if mask is None else self._check_mask(mask)
        return ids, per_env_seeds(seed, self.num_envs, ids), options

    def _apply_reset_options(self, ids: np.ndarray, options: dict[str, Any]) -> None:
        """Write `states` (one per env) or cheese/mouse placements into the reset envs."""
        states = options.pop("states", None)
        if states is not None:
            if len(states) != self.num_envs:
                raise ValueError(f"states: expected {self.num_envs} MazeStates, got {len(states)}")
            for i in ids:
                self.engine.set_state(int(i), states[i])
        if options:  # cheese / mouse placement, the same for every reset env
            for i in ids:
                self.engine.set_state(int(i), edit_state(self.engine.get_state(int(i)), options))

    def _masked_info(self, ids: np.ndarray, values: dict) -> dict[str, np.ndarray]:
        """Gymnasium's vector info layout: a full-length array per key plus a `_key` mask."""
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[ids] = True
        out: dict[str, np.ndarray] = {}
        for key, value in values.items():
            if isinstance(value, np.ndarray):
                full = np.zeros(self.num_envs, dtype=value.dtype)
                full[ids] = value
            else:
                full = self._object_array(ids, value)
            out[key] = full
            out[f"_{key}"] = mask
        return out

    def _object_array(self, ids: np.ndarray, values: list) -> np.ndarray:
        full = np.full(self.num_envs, None, dtype=object)
        for i, v in zip(ids, values, strict=True):  # only the envs that ended
            full[i] = v
        return full

    def _check_mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (self.num_envs,):
            raise ValueError(f"reset_mask: expected a bool array of shape ({self.num_envs},)")
        return np.flatnonzero(mask)

    def _check_index(self, i: int) -> int:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < self.num_envs:
            raise ValueError(f"i: expected an env index in 0..{self.num_envs - 1}, got {i!r}")
        return int(i)


def per_env_seeds(seed, num_envs: int, ids: np.ndarray) -> np.ndarray | None:
    """Seeds of the envs ``ids`` from a vector reset's ``seed``: an int ``s`` seeds env ``i``
    with ``s + i``; a sequence gives one seed per env; None stays None."""
    if seed is None:
        return None
    seeds = np.asarray(seed, dtype=np.int64)
    seeds = seeds + np.arange(num_envs) if seeds.ndim == 0 else seeds
    if seeds.shape != (num_envs,):
        raise ValueError(f"seed: expected an int or {num_envs} ints, got {seed!r}")
    return seeds[ids]
