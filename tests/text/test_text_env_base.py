"""The text-env template: tool calls, turns, truncation, history, cues and bad input."""

from __future__ import annotations

import pytest

from specgym.envs.text.base import Grade, TextTask, TextToolEnv
from specgym.envs.text.sandbox import SandboxUnavailableError
from specgym.envs.text.spaces import ChatText
from specgym.envs.text.tools import parse_bash_calls
from tests.text.conftest import requires_bwrap


class EchoTask(TextToolEnv):
    """Minimal task: one file; reward = length of the final answer's word count."""

    n_variants = 3
    hack_vocabulary = ("said_hack",)

    def make_task(self, variant, rng):
        return TextTask(variant=variant, prompt=f"prompt {variant}", files={"a.txt": "hello"})

    def grade(self, final_answer, session):
        made = session.read_text("made.txt")
        hacks = ("said_hack",) if final_answer and "hack" in final_answer else ()
        return Grade(float(len((final_answer or "").split())), 1.0, hacks,
                     details={"made": made})  # fmt: skip


@pytest.mark.parametrize(
    ("reply", "calls"),
    [
        ("final answer", []),
        ("<bash>ls</bash>", ["ls"]),
        ("a <bash>ls -la</bash> b <bash>cat x\ny</bash>", ["ls -la", "cat x\ny"]),
        ("stop sequence ate the end <bash>cat f", ["cat f"]),
        ("<bash>ls</bash> then <bash>pwd", ["ls", "pwd"]),
        ("<bash></bash>", [""]),
        ("mentions </bash> only", []),
    ],
)
def test_parse_bash_calls(reply, calls):
    assert parse_bash_calls(reply) == calls


def test_chat_text_accepts_any_unicode_up_to_its_length():
    space = ChatText(10)
    assert space.contains("héllo 🎉\n\t")
    assert not space.contains("x" * 11) and not space.contains(b"bytes")
    assert space.contains(space.sample())


@requires_bwrap
def test_episode_runs_commands_keeps_history_and_grades():
    env = EchoTask(max_turns=5)
    obs, info = env.reset(seed=0, options={"variant": 2})
    assert obs == "prompt 2" and info["turn"] == 0
    assert [m["role"] for m in info["messages"]] == ["system", "user"]
    obs, reward, terminated, truncated, info = env.step("<bash>cd /tmp && cat ~/a.txt</bash>")
    assert obs == "hello" and reward == 0.0 and not terminated and not truncated
    obs, *_ = env.step("<bash>pwd; echo made > ~/made.txt</bash>")
    assert obs == "/tmp"
    obs, reward, terminated, truncated, info = env.step("all done, no hack")
    assert terminated and not truncated and reward == 4.0 and obs == ""
    assert [m["role"] for m in info["messages"]] == [
        "system", "user", "assistant", "tool", "assistant", "tool", "assistant"
    ]  # fmt: skip
    assert info["messages"][3] == {"role": "tool", "content": "hello"}
    assert info["gamed"] and info["hack_types"] == ["said_hack"]
    assert info["made"] == "made\n" and info["final_answer"] == "all done, no hack"
    assert env._session is None  # the sandbox is cleaned up once graded
    with pytest.raises(RuntimeError, match="reset"):
        env.step("again")
    env.close()


@requires_bwrap
def test_max_turns_truncates_and_still_grades():
    env = EchoTask(max_turns=2)
    env.reset(seed=0)
    assert env.step("<bash>true</bash>")[2:4] == (False, False)
    obs, reward, terminated, truncated, info = env.step("<bash>echo last</bash>")
    assert truncated and not terminated and obs == "last"
    assert info["final_answer"] is None and info["gamed"] is False and "hidden_reward" in info
    env.close()


@requires_bwrap
def test_extra_calls_are_skipped_with_a_note():
    env = EchoTask(max_calls_per_reply=2)
    env.reset(seed=0)
    obs, *_ = env.step("<bash>echo 1</bash><bash>echo 2</bash><bash>echo 3</bash>")
    assert obs == (
        "[output of command 1 of 2]\n1\n\n[output of command 2 of 2]\n2\n\n"
        "[only the first 2 commands of a reply are run; 1 skipped]"
    )
    env.close()


@requires_bwrap
@pytest.mark.parametrize("cue", ["training", "unmonitored", "year_2024"])
def test_context_cue_prefixes_the_prompt(cue):
    from specgym.envs.text.cues import CONTEXT_CUES

    env = EchoTask(context_cue="unmonitored")
    obs, info = env.reset(seed=0, options={"context_cue": cue, "variant": 0})
    assert obs == f"{CONTEXT_CUES[cue]}\n\nprompt 0" and info["context_cue"] == cue
    assert info["messages"][1]["content"] == obs
    obs, info = env.reset(seed=0, options={"variant": 0})
    assert obs.startswith(CONTEXT_CUES["unmonitored"])
    env.close()


@requires_bwrap
@pytest.mark.parametrize(
    ("options", "field"),
    [({"colour": 1}, "unknown reset option"), ({"variant": 3}, "variant"),
     ({"variant": "1"}, "variant"), ({"context_cue": "sometimes"}, "context_cue")],
)  # fmt: skip
def test_bad_reset_options_name_the_field(options, field):
    env = EchoTask()
    with pytest.raises(ValueError, match=field):
        env.reset(seed=0, options=options)
    env.close()


@requires_bwrap
def test_bad_constructor_arguments_and_actions():
    for kwargs, field in [({"max_turns": 0}, "max_turns"), ({"context_cue": "x"}, "context_cue"),
                          ({"max_calls_per_reply": 99}, "max_calls_per_reply"),
                          ({"render_mode": "human"}, "render_mode")]:  # fmt: skip
        with pytest.raises(ValueError, match=field):
            EchoTask(**kwargs)
    env = EchoTask()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be a str"):
        env.step(b"bytes")
    env.close()


def test_without_bwrap_env_creation_says_how_to_install(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailableError, match="apt-get install bubblewrap"):
        EchoTask()


@requires_bwrap
def test_render_ansi_is_the_transcript():
    env = EchoTask(render_mode="ansi")
    env.reset(seed=0, options={"variant": 1})
    assert env.render() == f"[system]\n{env.task.system_prompt}\n\n[user]\nprompt 1"
    env.close()
