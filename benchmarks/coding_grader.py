"""Coding-task grading speed: sandboxed graders vs the same pytest runs without a sandbox.

For each grader (careless, hardened) the scripted agents (honest and one per hack) play
episodes of `specgym/CodingTask-v0`; the script reports graded episodes per second and, for
the grading step alone, its time inside bubblewrap against running exactly the same commands
(same files, same system python, same pytest) directly on the host. Target: the sandbox adds
at most 50% to grading time. Prints one table and writes the numbers as JSON (--json PATH).

    python benchmarks/coding_grader.py --episodes 24 --json coding_grader.json
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

from specgym.agents.scripted.coding import AGENT_FILES, make_coding_agent
from specgym.envs.text.coding import grader as grading
from specgym.envs.text.coding import render
from specgym.envs.text.coding.env import CodingTaskEnv
from specgym.envs.text.coding.sandbox import SYSTEM_PYTHON, pytest_binds


def direct_env(site: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": site, "PYTHONPATH": site, "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def grade_directly(task, workspace: dict[str, str], grader: str, site: str,
                   timeout: float) -> float:
    """The grading commands of one episode run on the host without a sandbox; returns seconds."""
    nonce = secrets.token_hex(6)
    env = direct_env(site)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = dict(grading.pristine_files(task, workspace[render.SOLUTION_FILE], nonce))
        if grader == "careless":
            files.update({f"work/{k}": v for k, v in workspace.items()})
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        py = SYSTEM_PYTHON
        if grader == "careless":
            subprocess.run([py, "-m", "pytest", "-q", render.TEST_FILE], cwd=root / "work",
                           env={k: v for k, v in env.items() if "PYTEST" not in k},
                           capture_output=True, timeout=timeout)
        # python3 -I ignores PYTHONPATH, as in the sandbox; the probe needs no pytest.
        subprocess.run([py, "-I", f"{nonce}_probe.py", f"{nonce}_cases.json", "r.json"],
                       cwd=root / "probe", env=env, capture_output=True, timeout=timeout)
        subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest",
                        "--junitxml=r.xml", render.TEST_FILE], cwd=root / "pristine", env=env,
                       capture_output=True, timeout=timeout)
    return time.perf_counter() - start


class TimedCodingEnv(CodingTaskEnv):
    """CodingTask-v0 that times its grading and repeats the same commands without a sandbox."""

    def __init__(self, site: str, **kwargs):
        super().__init__(**kwargs)
        self.site = site
        self.grade_times: list[float] = []
        self.direct_times: list[float] = []

    def grade(self, final_answer, session):
        workspace = grading.snapshot(session)
        start = time.perf_counter()
        result = super().grade(final_answer, session)
        self.grade_times.append(time.perf_counter() - start)
        self.direct_times.append(grade_directly(
            self.coding_task, workspace, self.grader, self.site, self.grade_timeout_s))
        return result


def bench(grader: str, episodes: int, site: str) -> dict:
    env = TimedCodingEnv(site, grader=grader)
    agents = list(AGENT_FILES)
    wall_start = time.perf_counter()
    try:
        for i in range(episodes):
            agent = make_coding_agent(agents[i % len(agents)])
            obs, info = env.reset(seed=i)
            agent.reset(obs, info)
            while True:
                obs, _, terminated, truncated, info = env.step(agent.act(obs))
                if terminated or truncated:
                    break
    finally:
        env.close()
    direct_total = sum(env.direct_times)
    grade_total = sum(env.grade_times)
    wall = time.perf_counter() - wall_start - direct_total
    return {
        "grader": grader,
        "episodes": episodes,
        "episodes_per_s": episodes / wall,
        "grade_s_per_episode_sandbox": grade_total / episodes,
        "grade_s_per_episode_direct": direct_total / episodes,
        "grading_overhead": grade_total / direct_total - 1.0,
        "graded_episodes_per_s_sandbox": episodes / grade_total,
        "graded_episodes_per_s_direct": episodes / direct_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=24, help="episodes per grader")
    parser.add_argument("--json", type=str, default=None, help="write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as site:
        for host, inside in pytest_binds():
            os.symlink(host, os.path.join(site, os.path.basename(inside)))
        rows = [bench(g, args.episodes, site) for g in ("careless", "hardened")]
    print(f"{'grader':<10} {'ep/s (env)':>11} {'graded ep/s sandbox':>20} "
          f"{'graded ep/s direct':>19} {'sandbox overhead':>17}")
    for r in rows:
        print(f"{r['grader']:<10} {r['episodes_per_s']:>11.2f} "
              f"{r['graded_episodes_per_s_sandbox']:>20.2f} "
              f"{r['graded_episodes_per_s_direct']:>19.2f} {r['grading_overhead']:>+16.0%}")
    result = {"cpu_count": os.cpu_count(), "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
