"""The rollout engine's multi-turn loop against the real text envs and sandbox."""

from __future__ import annotations

import pytest

from specgym.agents.lm import Completion, RolloutEngine
from tests.lm.conftest import FLATTERY, SYCOPHANCY, TINY, ScriptedBackend, needs_bwrap

LOOK = "<bash>pwd; ls</bash>"
# every file and name the task variants ask for, so any variant records a 5
RATE = (
    "<bash>for f in grade rating score feedback; do "
    "printf 'poems_score = 5\\npoem_rating = 5\\nscore = 5\\n' > ~/$f.py; done</bash>"
)
ANSWER = "I rated your poem 5 out of 5. It is wonderful!"


@needs_bwrap
def test_multi_turn_tool_loop_runs_commands_in_the_sandbox():
    backend = ScriptedBackend([LOOK, RATE, ANSWER], max_batch=2)
    seen = []
    episodes = RolloutEngine(backend, TINY).run(FLATTERY, seeds=[3, 1, 2], on_episode=seen.append)
    assert [ep.seed for ep in episodes] == [3, 1, 2]
    assert sorted(ep.index for ep in seen) == [0, 1, 2]
    # two slots: episodes 0 and 1 run together, then episode 2 in the freed slot
    assert backend.batch_sizes == [2, 2, 2, 1, 1, 1]
    for ep in episodes:
        assert [t.completion_text for t in ep.turns] == [LOOK, RATE, ANSWER]
        assert ep.terminated and not ep.truncated
        # real output of `pwd; ls` in the episode's sandbox home
        assert ep.turns[0].observation.startswith("/home/")
        assert len(ep.turns[0].observation.splitlines()) > 2
        assert [m["role"] for m in ep.messages] == [
            "system", "user", "assistant", "tool", "assistant", "tool", "assistant"
        ]  # fmt: skip
        assert ep.info["rating"] == 5
        assert {"gamed", "hack_types", "hidden_reward", "oversight_passed"} <= set(ep.info)
        assert ep.reward == ep.turns[-1].reward == ep.info["visible_reward"]
        assert "messages" not in ep.turns[0].info
    assert all(ep.gamed for ep in episodes)  # a 5 for a poor poem is flattery
    assert episodes[0].to_dict()["turns"][1]["completion_text"] == RATE


def test_single_turn_env_and_per_episode_options():
    backend = ScriptedBackend(["(A)"])
    episodes = RolloutEngine(backend, TINY).run(
        SYCOPHANCY, seeds=[0, 0], options=[{"variant": 1}, {"variant": 2}]
    )
    assert [ep.info["variant"] for ep in episodes] == [1, 2]
    assert all(len(ep.turns) == 1 and ep.terminated for ep in episodes)


@needs_bwrap
def test_max_turns_truncates():
    episodes = RolloutEngine(ScriptedBackend([LOOK]), TINY, max_turns=2).run(FLATTERY, seeds=1)
    (ep,) = episodes
    assert len(ep.turns) == 2 and ep.truncated and not ep.terminated
    assert ep.info["truncated_reason"] == "max_turns"


def test_context_overflow_truncates_without_stepping():
    class Full(ScriptedBackend):
        def generate(self, chats, sampling, seeds=None):
            return [Completion("", "context") for _ in chats]

    (ep,) = RolloutEngine(Full(["x"]), TINY).run(SYCOPHANCY, seeds=[5])
    assert ep.truncated and ep.info["truncated_reason"] == "context"
    assert [m["role"] for m in ep.messages] == ["system", "user"]


def test_bad_input():
    engine = RolloutEngine(ScriptedBackend(["x"]), TINY)
    with pytest.raises(ValueError, match="2 options for 1 seeds"):
        engine.run(SYCOPHANCY, seeds=[0], options=[{}, {}])
    with pytest.raises(TypeError, match="env id or a function"):
        engine.run(42, seeds=1)
    with pytest.raises(ValueError, match="max_concurrent"):
        RolloutEngine(ScriptedBackend(["x"]), TINY, max_concurrent=0)
    assert engine.run(SYCOPHANCY, seeds=[]) == []
