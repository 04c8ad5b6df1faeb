"""Plumbing shared by the native and the procgen vector mazes: Gymnasium's info layout, checks."""

from __future__ import annotations

import numpy as np


class VectorMazeHelpers:
    """Mixin for a VectorEnv with `num_envs`."""

    num_envs: int

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
