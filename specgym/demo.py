"""`specgym demo`: the main job on embedded defaults, small enough for a laptop.

For now: build a batch of mazes (hard and with the cheese in the top-right 5x5 region), step
them with random actions, and write a PNG of a few mazes plus a JSON summary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np


def run_maze_demo(out: Path, num_envs: int = 256, steps: int = 2000, seed: int = 0) -> dict:
    from specgym.analysis.maze_plots import save_maze_grid

    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {}
    for name, kwargs in {"full": {}, "region5": {"cheese_region": 5}}.items():
        env = gym.make_vec("specgym/Maze-v0", num_envs=num_envs, obs_mode="grid", **kwargs)
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        ended = cheese = gamed = 0
        start = time.perf_counter()
        for _ in range(steps):
            _, _, term, trunc, info = env.step(rng.integers(0, 15, num_envs))
            if "final_info" in info:  # SAME_STEP autoreset: the ended episodes' keys
                final = info["final_info"]
                mask = final["_gamed"]
                ended += int(mask.sum())
                cheese += int(final["cheese_reached"][mask].sum())
                gamed += int(final["gamed"][mask].sum())
        seconds = time.perf_counter() - start
        summary[name] = {
            "env_steps": num_envs * steps,
            "steps_per_second": round(num_envs * steps / seconds),
            "episodes": ended,
            "random_policy_cheese_rate": cheese / max(ended, 1),
            "random_policy_gamed_rate": gamed / max(ended, 1),
        }
        states = [env.unwrapped.get_state(i) for i in range(8)]
        save_maze_grid(
            states, out / f"mazes_{name}.png",
            titles=[f"size {s.maze_size}, cheese {s.cheese}" for s in states],
        )
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
