"""Worlds throughput: each goal-misgeneralization world beside the native maze, in one run.

Env steps per second with uniformly random actions (autoresets included, so level generation
counts) through the Gymnasium vector API, grid observations, for each world and each
generator, next to `specgym/Maze-v0` (easy, grid; its procgen Kruskal mazes first, then its
other generators). Prints one table with each row's ratio to the Kruskal maze and the load
average before and after (the machine may be shared), and writes the numbers as JSON
(--json PATH).

    python benchmarks/worlds_throughput.py --envs 256 --seconds 3 --json worlds_throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import gymnasium as gym
import numpy as np

import specgym  # noqa: F401  (registers the ids)
from specgym.envs.maze.generator import GENERATORS
from specgym.envs.worlds import WORLDS


def steps_per_second(env_id: str, num_envs: int, seconds: float, num_actions: int, **kwargs) -> float:
    env = gym.make_vec(env_id, num_envs=num_envs, **kwargs)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, num_actions, size=(1024, num_envs))
    for k in range(50):  # warm-up (numba compiles on first use)
        env.step(actions[k])
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for k in range(20):
            env.step(actions[(calls + k) % 1024])
        calls += 20
    sps = calls * num_envs / (time.perf_counter() - start)
    env.close()
    return sps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, nargs="+", default=[256])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=13, help="world grid side, border included")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()
    for n in args.envs:
        for gen in GENERATORS:
            sps = steps_per_second("specgym/Maze-v0", n, args.seconds, 15, obs_mode="grid",
                                   difficulty="easy", generator=gen)
            rows.append({"env": "specgym/Maze-v0 (easy)", "generator": gen, "num_envs": n, "sps": sps})
            if gen == "kruskal":
                maze = sps
        for spec in WORLDS.values():
            for gen in GENERATORS:
                sps = steps_per_second(spec.env_id, n, args.seconds, 4, size=args.size, generator=gen,
                                       distribution="test")
                rows.append({"env": spec.env_id, "generator": gen, "num_envs": n, "sps": sps})
        for r in rows:
            if r["num_envs"] == n:
                r["vs_maze"] = r["sps"] / maze
    print(f"{'env':30s} {'generator':9s} {'envs':>5s} {'steps/s':>12s} {'x maze':>7s}")
    for r in rows:
        print(f"{r['env']:30s} {r['generator']:9s} {r['num_envs']:5d} {r['sps']:12,.0f} {r['vs_maze']:7.2f}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    if args.json:
        meta = {"cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(),
                "seconds": args.seconds, "size": args.size, "loadavg_before": load_before,
                "loadavg": load_after}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
