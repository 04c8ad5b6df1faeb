"""End-to-end PPO throughput (stable-baselines3 + IMPALA) on the native maze and on procgen.

Same network (IMPALA 16/32/32), same PPO settings, one run: environment steps per second
for native grid planes, native rgb frames, procgen's real game with grid planes (parsed state)
and with its rgb frames. Each row also splits the time into rollout collection (env + policy
forward) and the PPO update (3 epochs of forward/backward), which is where the time goes.

    python benchmarks/ppo_throughput.py --num-envs 32 --n-steps 128 --rollouts 3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from stable_baselines3.common.callbacks import BaseCallback

from specgym.agents.ppo.config import MazeTrainConfig
from specgym.agents.ppo.train import build_model, make_sb3_env
from specgym.config import load_config

PEERS = {
    "native grid": ["env.id=specgym/Maze-v0", "env.obs_mode=grid"],
    "native rgb": ["env.id=specgym/Maze-v0", "env.obs_mode=rgb"],
    "procgen grid": ["env.id=specgym/ProcgenMaze-v0", "env.kwargs={obs_mode: grid, num_threads: 0}"],
    "procgen rgb": ["env.id=specgym/ProcgenMaze-v0", "env.kwargs={obs_mode: rgb, num_threads: 0}"],
}


class PhaseTimer(BaseCallback):
    """Wall time spent collecting rollouts vs updating."""

    def __init__(self):
        super().__init__()
        self.rollout_s = 0.0
        self._t = 0.0

    def _on_rollout_start(self):
        self._t = time.perf_counter()

    def _on_rollout_end(self):
        self.rollout_s += time.perf_counter() - self._t

    def _on_step(self) -> bool:
        return True


def measure(name: str, overrides: list[str], args, tmp: str) -> dict:
    config = load_config(MazeTrainConfig, None, [
        f"run_dir={tmp}/{name.replace(' ', '_')}", f"env.num_envs={args.num_envs}",
        "env.difficulty=easy", f"device={args.device}", f"ppo.n_steps={args.n_steps}",
        "ppo.n_minibatches=8", *overrides,
    ])
    if "grid" in name and config.env.id != "specgym/Maze-v0":
        config.policy.input = "grid"  # procgen with grid planes feeds the grid network
    env = make_sb3_env(config)
    model, _ = build_model(config, env, Path(config.run_dir))
    steps = args.num_envs * args.n_steps
    model.learn(steps, progress_bar=False)  # warm-up rollout (allocations, numba, procgen)
    timer = PhaseTimer()
    start = time.perf_counter()
    model.learn(steps * args.rollouts, callback=timer, reset_num_timesteps=False, progress_bar=False)
    total = time.perf_counter() - start
    env.close()
    return {
        "sps": steps * args.rollouts / total,
        "rollout_share": timer.rollout_s / total,
        "update_share": 1 - timer.rollout_s / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=32)
    parser.add_argument("--n-steps", type=int, default=128)
    parser.add_argument("--rollouts", type=int, default=3)
    parser.add_argument("--peers", nargs="+", default=list(PEERS), choices=list(PEERS))
    parser.add_argument("--device", default="cpu", help="torch device for the policy (cpu, cuda)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    import tempfile

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.peers:
            results[name] = measure(name, PEERS[name], args, tmp)
    base = results.get("procgen rgb", {}).get("sps")
    cuda = args.device.startswith("cuda")
    on = torch.cuda.get_device_name() if cuda else f"{os.cpu_count()} cores"
    print(f"PPO end to end on {on}, torch {torch.__version__}, "
          f"{args.num_envs} envs x {args.n_steps} steps, IMPALA 16/32/32, easy mazes")
    print(f"{'peer':14s} {'env steps/s':>12s} {'rollout':>8s} {'update':>7s} {'vs procgen rgb':>15s}")
    for name, r in results.items():
        ratio = f"{r['sps'] / base:.2f}x" if base else "n/a"
        print(f"{name:14s} {r['sps']:12,.0f} {r['rollout_share']:8.0%} {r['update_share']:7.0%} {ratio:>15s}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()
