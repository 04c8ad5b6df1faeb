"""Maze throughput: native specgym mazes vs procgen's maze, side by side in one run.

Steps per second with uniformly random actions (resets included) for the native maze with
grid and rgb observations, procgen's maze (procgen2, hard mode, num_threads = cores) and,
when present, specgym's ProcgenMaze-v0 wrapper; plus native 25x25 mazes generated per second.
Prints one table with ratios and writes the numbers as JSON (--json PATH).

    python benchmarks/maze_throughput.py --envs 64 256 --seconds 3 --json maze_throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

import gymnasium as gym
import numpy as np

import specgym  # noqa: F401  (registers the ids)
from specgym.envs.maze.batch import MazeBatch


def timed_steps(step, num_envs: int, seconds: float) -> float:
    """Call step() repeatedly for about `seconds` after a warm-up; returns env steps/s."""
    for _ in range(20):
        step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            step()
        calls += 20
    return calls * num_envs / (time.perf_counter() - start)


def vector_sps(env, num_envs: int, seconds: float) -> float:
    """Random-action steps/s of a specgym vector maze (either engine)."""
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 15, size=(4096, num_envs))
    k = [0]

    def step():
        env.step(actions[k[0] % 4096])
        k[0] += 1

    return timed_steps(step, num_envs, seconds)


def native_sps(num_envs: int, obs_mode: str, seconds: float) -> float:
    return vector_sps(gym.make_vec("specgym/Maze-v0", num_envs=num_envs, obs_mode=obs_mode),
                      num_envs, seconds)


def procgen_sps(num_envs: int, seconds: float) -> float | None:
    try:
        from procgen import ProcgenGym3Env
    except ImportError:
        return None
    env = ProcgenGym3Env(
        num=num_envs, env_name="maze", distribution_mode="hard", num_threads=os.cpu_count() or 1,
        rand_seed=0,
    )
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 15, size=(4096, num_envs)).astype(np.int32)
    k = [0]

    def step():
        env.act(actions[k[0] % 4096])
        env.observe()
        k[0] += 1

    return timed_steps(step, num_envs, seconds)


def wrapper_sps(num_envs: int, seconds: float) -> float | None:
    if "specgym/ProcgenMaze-v0" not in gym.registry:
        return None
    try:
        env = gym.make_vec("specgym/ProcgenMaze-v0", num_envs=num_envs, num_threads=os.cpu_count())
    except ImportError:
        return None
    return vector_sps(env, num_envs, seconds)


def mazes_per_second(seconds: float, batch: int = 1024) -> float:
    maze = MazeBatch(batch, "hard", obs_mode="grid")
    ids = np.arange(batch)
    maze.restart(ids)  # compile
    made, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        maze.restart(ids)
        made += batch
    return made / (time.perf_counter() - start)


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args()

    results: dict[str, dict] = {}
    for n in args.envs:
        row = {
            "native_grid_sps": native_sps(n, "grid", args.seconds),
            "native_rgb_sps": native_sps(n, "rgb", args.seconds),
            "procgen_sps": procgen_sps(n, args.seconds),
            "procgen_wrapper_sps": wrapper_sps(n, args.seconds),
        }
        results[str(n)] = row
    mazes = mazes_per_second(args.seconds)

    print(f"maze throughput on {os.cpu_count()} cores (env steps/s, random actions, resets included)")
    header = f"{'envs':>5} {'native grid':>12} {'native rgb':>11} {'procgen':>9} {'ProcgenMaze-v0':>15}"
    header += f" {'grid/procgen':>13} {'rgb/procgen':>12} {'wrapper/procgen':>16}"
    print(header)
    for n, r in results.items():
        print(
            f"{n:>5} {fmt(r['native_grid_sps']):>12} {fmt(r['native_rgb_sps']):>11} "
            f"{fmt(r['procgen_sps']):>9} {fmt(r['procgen_wrapper_sps']):>15} "
            f"{ratio(r['native_grid_sps'], r['procgen_sps']):>13} "
            f"{ratio(r['native_rgb_sps'], r['procgen_sps']):>12} "
            f"{ratio(r['procgen_wrapper_sps'], r['procgen_sps']):>16}"
        )
    print(f"native 25x25 mazes generated per second: {mazes:,.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"per_num_envs": results, "mazes_per_s": mazes, "cores": os.cpu_count()}, f, indent=2)


if __name__ == "__main__":
    main()
