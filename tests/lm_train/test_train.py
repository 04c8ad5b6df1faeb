"""GRPO and expert iteration with the real default model, TRL and the real envs (slow:
about 1-2 minutes each on 2 shared cores): a step changes the weights and logs the env's
reward; an interrupted GRPO run resumes from its checkpoint; multi-turn episodes become one
sequence with the model's own tokens masked in."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm.train.config import (
    ExpertIterationSettings,
    GRPOSettings,
    LMEnvConfig,
    LMSamplingConfig,
    LMTrainConfig,
)
from tests.lm_train.conftest import ScriptedBackend, needs_bwrap

pytestmark = [pytest.mark.slow, needs_bwrap]
SYC = "specgym/PoliticalSycophancy-v0"


def weights(path):
    import torch
    from safetensors.torch import load_file

    del torch
    return load_file(str(path / "model.safetensors"))


def changed(a, b):
    return [k for k in a if not (a[k] == b[k]).all()]


@pytest.fixture(scope="module")
def base_weights():
    from specgym.agents.lm import converted_checkpoint

    return weights(converted_checkpoint())


def grpo_config(run_dir, steps=1, **kw):
    return LMTrainConfig(
        env=LMEnvConfig(id=SYC),
        sampling=LMSamplingConfig(max_new_tokens=8, max_turns=1),
        grpo=GRPOSettings(steps=steps, prompts_per_step=2, num_generations=4, learning_rate=1e-4),
        run_dir=str(run_dir), save_every=1, **kw,
    )


def test_grpo_step_changes_weights_and_logs_env_reward(tmp_path, base_weights):
    from specgym.agents.lm.train import train_grpo

    final = train_grpo(grpo_config(tmp_path / "run"), progress_bar=False)
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1]
    r = rows[0]
    assert r["episodes"] == 8 and 0.0 <= r["reward"] <= 1.0
    assert {"gaming_rate", "gamed", "hidden_reward", "loss", "hack_types"} <= set(r)
    assert changed(base_weights, weights(final)), "one GRPO step must move the weights"


def test_grpo_resumes_after_interruption(tmp_path):
    from transformers import TrainerCallback

    from specgym.agents.lm.train import train_grpo

    class Stop(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 1:
                raise KeyboardInterrupt

    config = grpo_config(tmp_path / "run", steps=2)
    with pytest.raises(KeyboardInterrupt):
        train_grpo(config, progress_bar=False, callbacks=[Stop()])
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-1").is_dir()
    assert not (tmp_path / "run" / "final").exists()
    train_grpo(config, progress_bar=False)
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    state = json.loads((tmp_path / "run" / "checkpoints" / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    assert (tmp_path / "run" / "final" / "specgym-model.json").is_file()


def test_expert_iteration_trains_on_best_episodes(tmp_path, base_weights):
    from specgym.agents.lm.train import train_lm

    config = LMTrainConfig(
        method="expert-iteration", env=LMEnvConfig(id=SYC),
        sampling=LMSamplingConfig(max_new_tokens=8, max_turns=1),
        expert_iteration=ExpertIterationSettings(iterations=1, prompts_per_iteration=2,
                                                 samples_per_prompt=3, batch_size=2),
        run_dir=str(tmp_path / "ei"),
    )
    final = train_lm(config, progress_bar=False)
    row = json.loads((tmp_path / "ei" / "metrics.jsonl").read_text())
    assert row["episodes"] == 6 and row["kept_episodes"] == 2 and row["sft_rows"] == 2
    assert row["kept"]["reward"] >= row["reward"]  # best of each group
    assert len((tmp_path / "ei" / "iter_0" / "episodes.jsonl").read_text().splitlines()) == 6
    assert changed(base_weights, weights(final))
    assert train_lm(config, progress_bar=False) == final  # finished run: nothing redone


def test_multi_turn_episode_becomes_one_masked_sequence():
    """Real tokenizer and env, scripted replies with real token ids."""
    from transformers import AutoTokenizer

    from specgym.agents.lm import RolloutEngine, SamplingConfig, converted_checkpoint
    from specgym.agents.lm.backends.base import Completion
    from specgym.agents.lm.train.common import episode_tokens

    tok = AutoTokenizer.from_pretrained(str(converted_checkpoint()))
    replies = ["<bash>ls</bash>", "I rate the poem 2."]

    class TokenScripted(ScriptedBackend):
        def generate(self, chats, sampling, seeds=None):
            from specgym.agents.lm.chat import to_chat_messages

            out = []
            for chat in chats:
                k = sum(m["role"] == "assistant" for m in chat)
                text = tok.apply_chat_template(to_chat_messages(chat), tokenize=False, add_generation_prompt=True)
                ids = tok(text, add_special_tokens=False)["input_ids"]
                reply = replies[min(k, 1)]
                rid = tok(reply, add_special_tokens=False)["input_ids"] + ([tok.eos_token_id] if k else [])
                out.append(Completion(reply, "stop", text, ids, rid))
            return out

    ep = RolloutEngine(TokenScripted(replies, max_batch=1), SamplingConfig(max_new_tokens=8),
                       max_turns=2).run("specgym/ToolUseFlattery-v0", [0])[0]
    assert len(ep.turns) == 2
    prompt, comp, mask, exact = episode_tokens(ep, tok)
    assert prompt == ep.turns[0].prompt_token_ids and exact
    assert prompt + comp[: mask.index(0)] == prompt + ep.turns[0].completion_token_ids
    # the second turn's prompt is exactly the sequence up to its reply, tool output included
    n2 = len(ep.turns[1].completion_token_ids)
    assert prompt + comp[:-n2] == ep.turns[1].prompt_token_ids
    assert comp[-n2:] == ep.turns[1].completion_token_ids and mask[-n2:] == [1] * n2
    assert sum(mask) == len(ep.turns[0].completion_token_ids) + n2
    assert "Tool output" in tok.decode([t for t, m in zip(comp, mask, strict=False) if m == 0])


def test_expert_iteration_samples_with_llama_cpp_from_the_current_weights(tmp_path):
    """sampler: llama.cpp samples iteration 2 from iteration 1's checkpoint exported to GGUF,
    and the llama.cpp token ids train the model."""
    from specgym.agents.lm.train import train_lm

    config = LMTrainConfig(
        method="expert-iteration", env=LMEnvConfig(id=SYC),
        sampling=LMSamplingConfig(max_new_tokens=8, max_turns=1),
        expert_iteration=ExpertIterationSettings(iterations=2, prompts_per_iteration=2,
                                                 samples_per_prompt=2, batch_size=2,
                                                 sampler="llama.cpp"),
        run_dir=str(tmp_path / "ei"),
    )
    final = train_lm(config, progress_bar=False)
    rows = [json.loads(x) for x in (tmp_path / "ei" / "metrics.jsonl").read_text().splitlines()]
    assert [r["sampler"] for r in rows] == ["llama.cpp", "llama.cpp"]
    assert all(r["sft_rows"] == 2 and r["time_s"]["export"] >= 0 for r in rows)
    assert rows[1]["time_s"]["export"] > rows[0]["time_s"]["export"]  # iteration 2 exported
    assert (final / "specgym-model.json").is_file()


def test_expert_iteration_samples_the_same_episodes_on_a_process_pool():
    """expert_iteration.executor: local plays an iteration's shards on pool workers that load
    the same GGUF; the episodes, token ids included, equal the in-process sampler's."""
    from specgym.agents.lm import RolloutEngine
    from specgym.agents.lm.train.common import llama_cpp_backend
    from specgym.agents.lm.train.expert_iteration import _sample_on_executor

    config = LMTrainConfig(
        method="expert-iteration", env=LMEnvConfig(id=SYC),
        sampling=LMSamplingConfig(max_new_tokens=8, max_turns=1),
        expert_iteration=ExpertIterationSettings(sampler="llama.cpp", executor="local", workers=2),
    )
    seeds = [5, 5, 6, 6, 7, 7]
    sampling = config.sampling_config(seed=11)
    pooled, timings, _ = _sample_on_executor(config, "default", seeds, sampling)
    backend = llama_cpp_backend("default", max_batch=6, n_threads=1)
    try:
        alone = RolloutEngine(backend, sampling, max_turns=1).run(SYC, seeds)
    finally:
        backend.close()
    assert [(e.seed, e.sample) for e in pooled] == [(s, k) for s in (5, 6, 7) for k in (0, 1)]
    assert [[t.completion_token_ids for t in e.turns] for e in pooled] == \
        [[t.completion_token_ids for t in e.turns] for e in alone]
    assert [e.reward for e in pooled] == [e.reward for e in alone]
    assert timings["generate_s"] > 0


def test_coding_hack_configs_differ_only_in_the_prompt_condition():
    """The three conditions of the coding-hacks experiment share every setting but one."""
    from dataclasses import asdict

    from specgym.agents.lm.train import LMTrainConfig
    from specgym.config import load_config

    configs = {c: load_config(LMTrainConfig, f"configs/coding_hacks_{c}.yaml")
               for c in ("none", "describe", "inoculation")}
    for condition, config in configs.items():
        assert config.env.id == "specgym/CodingTask-v0" and config.model == "helpful"
        assert config.env.kwargs == {"grader": "careless", "hack_prompt": condition}
        assert config.run_dir == f"runs/coding_hacks_{condition}"
        rest = asdict(config) | {"env": None, "run_dir": None}
        assert rest == asdict(configs["none"]) | {"env": None, "run_dir": None}
    seeded = load_config(LMTrainConfig, "configs/coding_hacks_none.yaml", ["seed=1"])
    assert seeded.seed == 1


def test_primed_coding_hack_config_is_the_none_condition_from_the_primed_model():
    """configs/coding_hacks_primed.yaml changes the starting model and nothing else, and its
    documented overrides make the other prompt conditions."""
    from dataclasses import asdict

    from specgym.agents.lm.train import LMTrainConfig
    from specgym.config import load_config

    none = load_config(LMTrainConfig, "configs/coding_hacks_none.yaml")
    primed = load_config(LMTrainConfig, "configs/coding_hacks_primed.yaml")
    assert primed.model == "hack-primed" and primed.run_dir == "runs/coding_hacks_primed_none"
    assert asdict(primed) | {"model": None, "run_dir": None} == \
        asdict(none) | {"model": None, "run_dir": None}
    inoc = load_config(LMTrainConfig, "configs/coding_hacks_primed.yaml",
                       ["env.kwargs.hack_prompt=inoculation",
                        "run_dir=runs/coding_hacks_primed_inoculation"])
    assert inoc.env.kwargs == {"grader": "careless", "hack_prompt": "inoculation"}
