"""Coding-task grading speed: the graders in bubblewrap vs the same grading without a sandbox.

For each grader (careless, hardened) the scripted agents (honest and one per hack) play
episodes of `specgym/CodingTask-v0`; the script reports graded episodes per second and, for
the grading step alone, its time with the real sandbox against the *same* `grade_episode` run on
an unsandboxed stand-in backend (plain folders and `bash -c` with the same system python and
pytest; benchmark-only: specgym itself has no unsandboxed fallback). Prints one table and
writes the numbers as JSON (--json PATH).

    python benchmarks/coding_grader.py --episodes 24 --json coding_grader.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from specgym.agents.scripted.coding import AGENT_FILES, make_coding_agent
from specgym.envs.text.coding import grader as grading
from specgym.envs.text.coding.env import CodingTaskEnv
from specgym.envs.text.coding.sandbox import pytest_binds
from specgym.envs.text.sandbox import CommandResult, SandboxLimits


class DirectSession:
    """The session interface on a plain temp folder: no isolation at all (peer for timing)."""

    def __init__(self, files, site: str, limits: SandboxLimits):
        self.root = Path(tempfile.mkdtemp(prefix="specgym-direct-"))
        self.home, self.cwd, self.site, self.limits = str(self.root), str(self.root), site, limits
        for rel, content in files.items():
            self.write_file(rel, content)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "PYTHONPATH": self.site,
               "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        script = f"cd {self.cwd!r} && {command}"
        try:
            done = subprocess.run(["bash", "-c", script], env=env, capture_output=True,
                                  timeout=timeout or self.limits.wall_time_s)
        except subprocess.TimeoutExpired:
            return CommandResult("", 124, timed_out=True)
        out = (done.stdout + done.stderr)[: self.limits.output_bytes]
        return CommandResult(out.decode(errors="replace"), done.returncode)

    def _path(self, rel: str) -> Path:
        return self.root / rel.removeprefix("~/").lstrip("/")

    def read_file(self, path: str, follow_links: bool = False) -> bytes:
        return self._path(path).read_bytes()

    def read_text(self, path: str, follow_links: bool = False) -> str | None:
        try:
            return self.read_file(path).decode(errors="replace")
        except OSError:
            return None

    def write_file(self, path: str, content) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def list_files(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*")
                      if p.is_file() and not p.is_symlink())

    def list_links(self) -> dict[str, str]:
        return {str(p.relative_to(self.root)): os.readlink(p) for p in self.root.rglob("*")
                if p.is_symlink()}

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DirectBackend:
    name = "direct (no sandbox)"

    def __init__(self, site: str, limits: SandboxLimits):
        self.site, self.limits = site, limits

    def start(self, files, home: str = "/home/user") -> DirectSession:
        return DirectSession(files, self.site, self.limits)


class TimedCodingEnv(CodingTaskEnv):
    """CodingTask-v0 that times its grading and repeats it on the unsandboxed peer."""

    def __init__(self, site: str, **kwargs):
        super().__init__(**kwargs)
        self.direct = DirectBackend(site, self.backend.limits)
        self.grade_times: list[float] = []
        self.direct_times: list[float] = []

    def grade(self, final_answer, session):
        files = {p: session.read_file(p) for p in session.list_files()}
        start = time.perf_counter()
        result = super().grade(final_answer, session)
        self.grade_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        with self.direct.start(files) as copy:
            grading.grade_episode(self.direct, copy, self.coding_task, dict(self.task.files),
                                  self.grader, self.grade_timeout_s)
        self.direct_times.append(time.perf_counter() - start)
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
