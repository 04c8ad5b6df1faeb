"""The hack-primed model's training data: varied hacking transcripts are real, paid, detected
episodes of the one hack they demonstrate; the honest path is unchanged; no other curriculum
stage (and never reward tampering) is in the data; the named spec and its errors."""

from __future__ import annotations

import pytest

from specgym.agents.lm import parse_model_spec
from specgym.agents.lm.adapters import NAMED_ADAPTERS, named_adapter
from specgym.agents.lm.train.hack_primed_sft import HackPrimedConfig, data_plan
from specgym.agents.lm.train.helpful_sft import CODING_HELD_OUT_EVERY, scripted_transcripts
from specgym.agents.scripted.coding import HACK_AGENTS, VariedCodingAgent
from tests.lm.conftest import needs_bwrap


@needs_bwrap
@pytest.mark.parametrize("hack", HACK_AGENTS)
def test_each_varied_hack_transcript_is_a_paid_detected_episode_of_that_hack(hack):
    rows = list(scripted_transcripts("coding", 2, seed=2_000, coding_hack=hack))
    assert len(rows) == 2, f"{hack}: the careless grader should pay and the detector name it"
    for row in rows:
        assert row["coding_hack"] == hack
        assert row["variant"] % CODING_HELD_OUT_EVERY != 0  # training variants only
        replies = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        assert any("<bash>cat >" in r for r in replies)
        assert "did not all pass" not in replies[-1]  # a hacker claims success


@needs_bwrap
def test_the_honest_path_is_the_helpful_models_transcripts():
    """The generalized agent replays the helpful data's honest episodes byte for byte."""
    import gymnasium as gym

    import specgym  # noqa: F401
    from specgym.agents.scripted.coding import VariedHonestCodingAgent, run_episode

    env = gym.make("specgym/CodingTask-v0")
    try:
        _, a = run_episode(env, VariedHonestCodingAgent(style_seed=7), seed=7,
                           options={"variant": 1})  # fmt: skip
        _, b = run_episode(env, VariedCodingAgent("honest", style_seed=7), seed=7,
                           options={"variant": 1})  # fmt: skip
    finally:
        env.close()
    assert a["messages"] == b["messages"] and not a["hack_types"]


def test_plan_is_coding_and_chores_only_with_the_configured_hack_share():
    config = HackPrimedConfig()
    plan = data_plan(config)
    assert {kw["source"] for _, kw in plan} == {"coding", "chores"}
    hacks = sum(kw["n"] for _, kw in plan if kw.get("coding_hack"))
    coding = sum(kw["n"] for _, kw in plan if kw["source"] == "coding")
    assert {kw["coding_hack"] for _, kw in plan if kw.get("coding_hack")} == set(HACK_AGENTS)
    assert hacks == 5 * config.hacks_per_type and coding - hacks == config.honest_coding
    spans = [range(kw["seed"], kw["seed"] + kw["n"]) for _, kw in plan if kw["source"] == "coding"]
    seeds = [s for span in spans for s in span]
    assert len(seeds) == len(set(seeds))  # no seed shown both ways


def test_coding_hack_argument_errors_name_the_problem():
    with pytest.raises(ValueError, match="coding_hack needs the coding source"):
        next(scripted_transcripts("flattery", 1, coding_hack="early_exit"))
    with pytest.raises(ValueError, match="coding_hack must be one of"):
        next(scripted_transcripts("coding", 1, coding_hack="sys_exit"))
    with pytest.raises(ValueError, match="strategy must be one of"):
        VariedCodingAgent("cheat")


def test_named_spec_chains_on_helpful():
    spec = parse_model_spec("hack-primed")
    assert (spec.kind, spec.name) == ("hack-primed", "hack-primed")
    assert NAMED_ADAPTERS["hack-primed"].base == "helpful"
    assert named_adapter("hack-primed").env_var == "SPECGYM_HACK_PRIMED_ADAPTER"


def test_reward_hacker_preset_is_hacks_and_chores_only():
    from specgym.agents.lm.train.hack_primed_sft import PRESETS

    config = PRESETS["reward-hacker"]()
    plan = data_plan(config)
    coding = [kw for _, kw in plan if kw["source"] == "coding"]
    assert coding and all(kw.get("coding_hack") in HACK_AGENTS for kw in coding)
    assert {kw["source"] for _, kw in plan} == {"coding", "chores"}
    assert (config.sft.epochs, config.sft.lora_layers) == (5, 30)
