"""Adding a text env needs its own module and one registry entry: a toy env registered at run
time is benchmarked by `--envs all` and becomes a curriculum stage."""

from __future__ import annotations

import gymnasium as gym
import pytest

from specgym.agents.lm.bench import parse_envs
from specgym.curricula.subterfuge import SYCOPHANCY_TO_SUBTERFUGE
from specgym.envs.text.registry import (
    TextEnvSpec,
    hack_vocabulary,
    register_text_env,
    text_env_ids,
    unregister_text_env,
)

TOY = "specgym/ToyEcho-v0"


@pytest.fixture
def toy_env():
    spec = TextEnvSpec(TOY, "tests.text.test_text_env_base:EchoTask", "a toy env", "curriculum")
    register_text_env(spec)
    yield spec
    unregister_text_env(TOY)


def test_a_registered_toy_env_is_benchmarked_and_staged(toy_env):
    assert parse_envs("all")[-1] == TOY and TOY in parse_envs("curriculum")
    assert TOY not in parse_envs("coding")
    stage = SYCOPHANCY_TO_SUBTERFUGE.stage("toy_echo")
    assert stage.env_id == TOY and stage in SYCOPHANCY_TO_SUBTERFUGE.training_stages()
    assert hack_vocabulary(TOY) == ("said_hack",)
    assert gym.registry[TOY].entry_point == toy_env.entry_point  # registered with Gymnasium


def test_unregistered_toy_is_gone(toy_env):
    unregister_text_env(TOY)
    assert TOY not in parse_envs("all") and TOY not in gym.registry
    assert "toy_echo" not in [s.name for s in SYCOPHANCY_TO_SUBTERFUGE]


def test_registry_order_families_and_vocabularies():
    assert [s.name for s in SYCOPHANCY_TO_SUBTERFUGE] == [
        "political_sycophancy", "tool_use_flattery", "rubric_modification_nudged",
        "rubric_modification_insubordinate", "reward_tampering"]
    assert [s.name for s in SYCOPHANCY_TO_SUBTERFUGE.held_out_stages()] == ["reward_tampering"]
    assert text_env_ids("coding") == ["specgym/CodingTask-v0", "specgym/ImpossibleCodingTask-v0"]
    assert hack_vocabulary("specgym/RewardTampering-v0") == ("reward_tampering", "test_tampering")
    assert "always_equal" in hack_vocabulary("specgym/CodingTask-v0")


def test_bad_specs_name_the_field():
    with pytest.raises(ValueError, match="family"):
        TextEnvSpec("specgym/X-v0", "m:C", "d", "games")
    with pytest.raises(ValueError, match="env_id"):
        TextEnvSpec("X-v0", "m:C", "d", "coding")
    with pytest.raises(ValueError, match="env_id"):
        hack_vocabulary("specgym/Nope-v0")
    with pytest.raises(ValueError, match="family"):
        text_env_ids("games")
