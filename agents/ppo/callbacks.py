"""SB3 callbacks: the training curve written as it is produced (JSONL + TensorBoard)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback


class MazeCurveCallback(BaseCallback):
    """After each rollout, append cheese rate, corner-first rate and episode length to a JSONL file."""

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self._reset_counts()
        self._start = time.time()

    def _reset_counts(self):
        self.episodes = self.cheese = self.gamed = 0
        self.lengths: list[int] = []

    def _on_step(self) -> bool:
        dones = self.locals["dones"]
        infos = self.locals["infos"]
        for i in np.flatnonzero(dones):
            info = infos[i]
            self.episodes += 1
            # the maze reports cheese_reached; the worlds report true_step (>= 0: true goal done)
            self.cheese += bool(info.get("cheese_reached", info.get("true_step", -1) >= 0))
            self.gamed += bool(info.get("gamed", False))
            self.lengths.append(int(info.get("steps", 0)))
        return True

    def _on_rollout_end(self) -> None:
        if not self.episodes:
            return
        row = {
            "timesteps": int(self.num_timesteps),
            "episodes": self.episodes,
            "cheese_rate": self.cheese / self.episodes,
            "corner_first_rate": self.gamed / self.episodes,
            "mean_steps": float(np.mean(self.lengths)),
            "wall_s": round(time.time() - self._start, 1),
        }
        for key in ("cheese_rate", "corner_first_rate", "mean_steps"):
            self.logger.record(f"charts/{key}", row[key])
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        self._reset_counts()
