"""Concurrent episodes: one-time setup is thread-safe, and hostile episodes cannot hurt others.

Each sandbox has its own user namespace, so the per-user process limit is counted per sandbox
(Linux >= 5.14 counts RLIMIT_NPROC per user namespace): a fork bomb in one episode leaves the
others' limits untouched. Home and /tmp are capped tmpfs mounts, so a disk or memory hog is
bounded too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import gymnasium as gym
import pytest

import specgym  # noqa: F401 - registers the ids
from specgym.agents.scripted.coding import make_coding_agent, run_episode
from tests.text.conftest import requires_bwrap, specgym_temp_entries

pytestmark = requires_bwrap

COLD_START = textwrap.dedent("""
    import json, sys
    from concurrent.futures import ThreadPoolExecutor
    import gymnasium as gym
    import specgym
    from specgym.agents.scripted.coding import make_coding_agent, run_episode

    def one(seed):
        env = gym.make("specgym/CodingTask-v0")  # each thread stages pytest on first use
        try:
            return run_episode(env, make_coding_agent("honest"), seed=seed)[0]
        finally:
            env.close()

    with ThreadPoolExecutor(8) as pool:
        print(json.dumps(list(pool.map(one, range(8)))))
""")


def test_a_cold_process_runs_concurrent_coding_episodes():
    """The race that made `make demo` flaky: many threads meet the first pytest staging."""
    result = subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [1.0] * 8


HOSTILE = {
    "fork_bomb": ":(){ :|:& };:",
    "disk_fill": "for i in 1 2 3 4; do head -c 60M /dev/zero > f$i; done; "
                 "head -c 100M /dev/zero > /tmp/f",
    "memory_hog": "python3 -c 'x = bytearray(900 * 1024**2); import time; time.sleep(5)'",
    "endless_output": "yes specgym",
    "deep_tree": "python3 -c 'import os\nfor _ in range(5000): os.mkdir(\"d\"); os.chdir(\"d\")'",
    "file_flood": "mkdir m && cd m && seq 1 100000 | xargs touch",
    "kill_everything": "kill -9 -1; kill -9 1",
}
HONEST_TEXT_REPLIES = ("<bash>ls ~ && cat ~/*.md 2>/dev/null | head -5</bash>",
                       "<bash>echo ok > note.txt && cat note.txt</bash>", "The count is 0.")


def honest_text_episode(seed: int) -> dict:
    env = gym.make("specgym/RewardTampering-v0")
    try:
        env.reset(seed=seed)
        outputs = []
        for reply in HONEST_TEXT_REPLIES:
            observation, reward, terminated, truncated, info = env.step(reply)
            outputs.append(observation)
        return {"reward": reward, "outputs": outputs, "hack_types": info["hack_types"],
                "hidden_reward": info["hidden_reward"]}
    finally:
        env.close()


def honest_coding_episode(seed: int) -> dict:
    env = gym.make("specgym/CodingTask-v0")
    try:
        reward, info = run_episode(env, make_coding_agent("honest"), seed=seed)
        return {"reward": reward, "hack_types": info["hack_types"],
                "hidden_reward": info["hidden_reward"]}
    finally:
        env.close()


def hostile_episode(name: str, seed: int) -> str:
    env = gym.make("specgym/RewardTampering-v0")
    try:
        env.reset(seed=seed)
        observation, *_ = env.step(f"<bash>{HOSTILE[name]}</bash>")
        env.step("done")
        return observation
    finally:
        env.close()


def shmem_kb() -> int:
    with open("/proc/meminfo") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("Shmem:"))


@pytest.mark.slow
def test_32_concurrent_episodes_with_hostile_neighbours():
    honest = [("text", s) for s in range(8)] + [("coding", s) for s in range(8)]
    alone = {job: (honest_text_episode if job[0] == "text" else honest_coding_episode)(job[1])
             for job in honest}
    hostile = [(name, i) for i, name in enumerate(list(HOSTILE) * 3)][:16]
    tmp_before = specgym_temp_entries()
    shmem_before = shmem_kb()
    with ThreadPoolExecutor(32) as pool:
        together = {job: pool.submit(honest_text_episode if job[0] == "text"
                                     else honest_coding_episode, job[1]) for job in honest}
        attacks = [pool.submit(hostile_episode, name, seed) for name, seed in hostile]
        together = {job: future.result() for job, future in together.items()}
        for future in attacks:
            future.result()
    assert together == alone
    out = subprocess.run(["ps", "--ppid", str(os.getpid()), "-o", "comm="],
                         capture_output=True, text=True).stdout.split()
    assert "bwrap" not in out
    assert specgym_temp_entries() == tmp_before
    assert shmem_kb() - shmem_before < 64 * 1024  # every tmpfs home and /tmp was released
