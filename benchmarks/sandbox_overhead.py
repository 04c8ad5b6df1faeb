"""Sandbox overhead: commands/s through the bubblewrap sandbox vs plain ``bash -c``, and
episodes/s per text environment with the scripted agents. Prints one table, writes JSON.

Peers run side by side in one process, interleaved in rounds, so machine load hits both.

    python benchmarks/sandbox_overhead.py --commands 300 --episodes 20 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from pathlib import Path

import gymnasium as gym

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.scripted import SCRIPTED_AGENTS, run_episode
from specgym.envs.text.sandbox import BwrapBackend

COMMAND = "echo hello && ls / > /dev/null"
TARGET_RATIO = 3.0


def per_command_seconds(commands: int, rounds: int = 5) -> dict[str, float]:
    """Median seconds per command for plain bash, a warm sandbox session, and session start."""
    plain, sandboxed, starts = [], [], []
    backend = BwrapBackend()
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(commands // rounds):
            subprocess.run(["bash", "-c", COMMAND], capture_output=True, check=True)
        plain.append((time.perf_counter() - start) / (commands // rounds))
        start = time.perf_counter()
        session = backend.start({"notes.txt": "hi\n"})
        starts.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(commands // rounds):
            assert session.run(COMMAND).exit_code == 0
        sandboxed.append((time.perf_counter() - start) / (commands // rounds))
        session.close()
    return {
        "plain_bash_s": statistics.median(plain),
        "sandbox_s": statistics.median(sandboxed),
        "session_start_s": statistics.median(starts),
    }


def episodes_per_second(episodes: int) -> list[dict]:
    """Scripted-agent episodes/s for every (env, agent) pair."""
    rows = []
    for env_id, agents in SCRIPTED_AGENTS.items():
        env = gym.make(env_id)
        for name, (factory, _expected) in agents.items():
            start = time.perf_counter()
            for seed in range(episodes):
                run_episode(env, factory(), seed=seed)
            rows.append(
                {"env_id": env_id, "agent": name,
                 "episodes_per_s": episodes / (time.perf_counter() - start)}
            )  # fmt: skip
        env.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300, help="commands per peer")
    parser.add_argument("--episodes", type=int, default=20, help="episodes per (env, agent)")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/sandbox_overhead.json"))
    args = parser.parse_args()
    if args.commands < 5 or args.episodes < 1:
        raise ValueError("--commands must be >= 5 and --episodes >= 1")

    timing = per_command_seconds(args.commands)
    ratio = timing["sandbox_s"] / timing["plain_bash_s"]
    rows = episodes_per_second(args.episodes)

    print(f"{'peer':<34}{'commands/s':>12}{'ms/command':>12}")
    print(f"{'plain bash -c':<34}{1 / timing['plain_bash_s']:>12.1f}"
          f"{timing['plain_bash_s'] * 1e3:>12.2f}")  # fmt: skip
    print(f"{'bwrap sandbox (warm session)':<34}{1 / timing['sandbox_s']:>12.1f}"
          f"{timing['sandbox_s'] * 1e3:>12.2f}")  # fmt: skip
    print(
        f"sandbox / plain = {ratio:.2f}x (target <= {TARGET_RATIO}x); "
        f"session start {timing['session_start_s'] * 1e3:.1f} ms"
    )
    print(f"\n{'environment':<44}{'agent':<11}{'episodes/s':>11}")
    for row in rows:
        print(f"{row['env_id']:<44}{row['agent']:<11}{row['episodes_per_s']:>11.1f}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": platform.platform(), "command": COMMAND, **timing,
              "ratio": ratio, "target_ratio": TARGET_RATIO, "episodes": rows}  # fmt: skip
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
