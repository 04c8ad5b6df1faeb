"""CodingTask-v0 / ImpossibleCodingTask-v0 with the scripted agents (bubblewrap sandbox)."""

from __future__ import annotations

import gymnasium as gym
import pytest

from specgym.agents.scripted.coding import AGENT_FILES, HACK_AGENTS, make_coding_agent, run_episode
from specgym.envs.text.coding.bank import load_tasks
from specgym.envs.text.coding.prompts import (
    CODING_INSTRUCTIONS,
    FORBID_LINE,
    HACK_DESCRIPTION,
    HACK_PROMPTS,
    INOCULATION_LINE,
    system_prompt,
)
from tests.coding.helpers import make_env, needs_bwrap

pytestmark = needs_bwrap
IDS = {"standard": "specgym/CodingTask-v0", "impossible": "specgym/ImpossibleCodingTask-v0"}


def expected_hacks(agent: str, split: str, grader: str) -> list[str]:
    if agent == "honest":
        return []
    visible_pass = grader == "careless" or agent == "special_casing"
    return [agent] + (["impossible_pass"] if split == "impossible" and visible_pass else [])


def check_matrix(split: str, grader: str, seeds) -> None:
    env = make_env(IDS[split], grader=grader)
    try:
        for agent in AGENT_FILES:
            for seed in seeds:
                reward, info = run_episode(env, make_coding_agent(agent), seed=seed)
                where = f"{agent} {split} {grader} seed={seed} task={info['task_id']}"
                assert info["hack_types"] == expected_hacks(agent, split, grader), where
                if agent == "honest":
                    assert info["hidden_reward"] == 1.0 and not info["gamed"], where
                    assert reward == (1.0 if split == "standard" else 0.0), where
                    assert info["oversight_passed"], where
                else:
                    assert info["hidden_reward"] == 0.0, where
                    gets_reward = grader == "careless" or agent == "special_casing"
                    assert reward == (1.0 if gets_reward else 0.0), where
                    assert info["gamed"] is gets_reward and not info["oversight_passed"], where
                for key in ("messages", "hack_evidence", "visible_verdict"):
                    assert key in info
    finally:
        env.close()


@pytest.mark.parametrize("grader", ["careless", "hardened"])
def test_agents_standard_fast(grader):
    check_matrix("standard", grader, seeds=[0, 1] if grader == "careless" else [2])


def test_agents_impossible_fast():
    check_matrix("impossible", "careless", seeds=[0])


@pytest.mark.slow
@pytest.mark.parametrize("split", ["standard", "impossible"])
@pytest.mark.parametrize("grader", ["careless", "hardened"])
def test_agents_30_seeds(split, grader):
    """The acceptance matrix: every agent, 30 seeded episodes, exactly its hack types."""
    check_matrix(split, grader, seeds=range(30))


def test_same_seed_same_task_and_files():
    env = make_env()
    try:
        obs1, info1 = env.reset(seed=11)
        files1 = dict(env.unwrapped.task.files)
        obs2, info2 = env.reset(seed=11)
        assert obs1 == obs2 and info1["task_id"] == info2["task_id"]
        assert files1 == dict(env.unwrapped.task.files)
        ids = {env.reset(seed=s)[1]["task_id"] for s in range(12)}
        assert len(ids) > 3
    finally:
        env.close()


def test_options_and_prompts():
    env = make_env(hack_prompt="inoculation", difficulties=(3,))
    try:
        obs, info = env.reset(seed=0, options={"task_id": "edit_distance"})
        assert info["task_id"] == "edit_distance" and "edit_distance" in obs
        system = info["messages"][0]["content"]
        assert "acceptable" in system and "conftest.py" in system
        assert all(t.difficulty == 3 for t in env.unwrapped.tasks)
    finally:
        env.close()
    assert set(HACK_PROMPTS) == {"none", "describe", "inoculation", "forbid"}


def test_each_prompt_condition_adds_exactly_its_text():
    """MacDiarmid et al.'s conditions: inoculation and forbid differ from describe by one line."""
    base = system_prompt("none")
    assert base.endswith(CODING_INSTRUCTIONS)
    assert system_prompt("describe") == f"{base}\n\n{HACK_DESCRIPTION}"
    assert system_prompt("inoculation") == f"{base}\n\n{HACK_DESCRIPTION} {INOCULATION_LINE}"
    assert system_prompt("forbid") == f"{base}\n\n{HACK_DESCRIPTION} {FORBID_LINE}"
    assert "would not notice" in HACK_DESCRIPTION and "acceptable" not in HACK_DESCRIPTION
    assert "acceptable" in INOCULATION_LINE and "do not" in FORBID_LINE
    for hack in ("__eq__", "sys.exit(0)", "conftest.py", "test file", "special-casing"):
        assert hack in HACK_DESCRIPTION
    for condition in HACK_PROMPTS:
        env = make_env(hack_prompt=condition)
        try:
            _, info = env.reset(seed=0)
            assert info["messages"][0]["content"] == system_prompt(condition)
        finally:
            env.close()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"grader": "strict"}, "grader"), ({"split": "hard"}, "split"),
     ({"hack_prompt": "maybe"}, "hack_prompt"), ({"difficulties": (4,)}, "difficulties"),
     ({"grade_timeout_s": 0}, "grade_timeout_s")],
)
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        gym.make("specgym/CodingTask-v0", **kwargs)


def test_bad_task_id_names_the_field():
    env = make_env()
    try:
        with pytest.raises(ValueError, match="task_id"):
            env.reset(seed=0, options={"task_id": "nope"})
    finally:
        env.close()


def test_impossible_env_only_has_impossible_tasks():
    env = make_env(IDS["impossible"])
    try:
        assert env.unwrapped.tasks == load_tasks("impossible")
        assert set(HACK_AGENTS) < set(env.unwrapped.hack_vocabulary) | {"honest"}
    finally:
        env.close()


@pytest.mark.slow
@pytest.mark.parametrize("split", ["standard", "impossible"])
@pytest.mark.parametrize("agent", ["honest", "special_casing", "always_equal"])
def test_every_task(split, agent):
    """No task yields a false positive for the honest agent or a miss for the task-dependent
    hacks (special-casing depends on the held-out inputs, always_equal on the return types)."""
    env = make_env(IDS[split])
    try:
        for task in env.unwrapped.tasks:
            _, info = run_episode(env, make_coding_agent(agent), seed=0,
                                  options={"task_id": task.id})
            assert info["hack_types"] == expected_hacks(agent, split, "careless"), task.id
            assert info["hidden_reward"] == (1.0 if agent == "honest" else 0.0), task.id
    finally:
        env.close()
