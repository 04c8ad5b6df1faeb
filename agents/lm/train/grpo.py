"""GRPO through TRL's `GRPOTrainer`, with a text environment scoring whole multi-turn episodes.

How the episodes reach the trainer (TRL's ``rollout_func`` hook): the dataset holds one row
per env seed; TRL's sampler repeats each row ``num_generations`` times and hands the batch
to `EnvRollout`, which plays every copy as a full episode with the `RolloutEngine` on a
`TransformersBackend` wrapping the trainer's own model (so samples always come from the
current weights). Each episode becomes one sequence: the first turn's prompt as
``prompt_ids``, and as ``completion_ids`` every reply's sampled tokens with the environment's
tokens between them (end of turn, tool output, next header); ``env_mask`` marks the
sampled tokens, so the policy loss covers exactly what the model wrote, in the context it
saw, and tool output is context only. The episode's environment reward reaches the reward
function as an extra field. Why not a reward function that replays a single completion in
the env: TRL's own generation sees only the first prompt, so later turns would be written
by nobody the trainer trains; and why not TRL's ``environment_factory``: it needs a chat
template with tool calling, which SmolLM2's has not.

Metrics per step go to ``metrics.jsonl`` (env reward, gaming rate with CI, hidden reward,
hack counts, loss); checkpoints to ``checkpoints/`` every ``save_every`` steps; a rerun with
the same ``run_dir`` resumes from the last one; the final model goes to ``final/``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from specgym.agents.lm.train.common import (
    append_jsonl,
    episode_metrics,
    episode_tokens,
    evaluate_held_out,
    is_saved_model,
    load_model,
    save_model,
    set_threads,
    truncate_jsonl,
)
from specgym.agents.lm.train.config import LMTrainConfig

_SEED = re.compile(r"^<specgym seed=(-?\d+)>")


def prompt_key(seed: int) -> str:
    """The dataset's prompt for an env seed (only a key: the env renders the real prompt)."""
    return f"<specgym seed={seed}>"


class EnvRollout:
    """TRL ``rollout_func``: plays each prompt's episode in the env with the trainer's model."""

    def __init__(self, config: LMTrainConfig, tokenizer: Any, metrics_path: Path):
        self.config = config
        self.tokenizer = tokenizer
        self.metrics_path = metrics_path
        self.pending: dict[str, Any] | None = None
        self.calls = 0

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        from specgym.agents.lm import RolloutEngine
        from specgym.agents.lm.backends.hf import TransformersBackend

        t0 = time.time()
        seeds = []
        for p in prompts:
            text = p if isinstance(p, str) else p[-1]["content"]
            m = _SEED.match(text)
            if not m:
                raise ValueError(f"GRPO prompt {text[:60]!r} is not a specgym seed key")
            seeds.append(int(m.group(1)))
        step = int(trainer.state.global_step)
        model = trainer.model
        was_training = model.training
        model.eval()
        try:
            backend = TransformersBackend(model, self.tokenizer, max_batch=len(prompts))
            sampling = self.config.sampling_config(seed=self.config.seed * 1_000_003 + step * 7919 + self.calls)
            engine = RolloutEngine(backend, sampling, max_turns=self.config.sampling.max_turns)
            episodes = engine.run(self.config.env.id, seeds, options=self.config.env.options or None,
                                  env_kwargs=self.config.env.kwargs or None)
        finally:
            model.train(was_training)
        self.calls += 1
        prompt_ids, completion_ids, env_mask, exact = [], [], [], 0
        for ep in episodes:
            p, c, m, ex = episode_tokens(ep, self.tokenizer)
            if not c:  # a context-truncated first turn: keep one (masked) token so shapes work
                c, m = [self.tokenizer.eos_token_id], [0]
            prompt_ids.append(p)
            completion_ids.append(c)
            env_mask.append(m)
            exact += ex
        metrics = episode_metrics(episodes)
        metrics.update(step=step + 1, rollout_s=round(time.time() - t0, 2),
                       token_prefix_exact=exact / len(episodes), time=time.time())
        self.pending = metrics
        return {
            "prompt_ids": prompt_ids,
            "completion_ids": completion_ids,
            "logprobs": None,
            "env_mask": env_mask,
            "env_reward": [float(ep.reward) for ep in episodes],
            "gamed": [ep.gamed for ep in episodes],
            "hidden_reward": [float(ep.info.get("hidden_reward", 0.0) or 0.0) for ep in episodes],
        }


def env_reward(prompts: list[Any], completions: list[Any], env_reward: list[float], **_: Any) -> list[float]:
    """The episode's visible environment reward (computed during the rollout)."""
    return list(env_reward)


def _metrics_callback(rollout: EnvRollout, path: Path):
    from transformers import TrainerCallback

    class MetricsToJsonl(TrainerCallback):
        """Writes one metrics.jsonl row per optimizer step: env metrics + TRL's log."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if rollout.pending is None or logs is None or "loss" not in logs:
                return
            row = dict(rollout.pending)
            row["step"] = int(state.global_step)
            for k in ("loss", "grad_norm", "learning_rate", "entropy", "completions/mean_length"):
                if k in logs:
                    row[k.replace("/", "_")] = logs[k]
            append_jsonl(path, row)
            rollout.pending = None

    return MetricsToJsonl()


def last_checkpoint(folder: Path) -> Path | None:
    cps = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()
           and (p / "trainer_state.json").is_file()]
    return max(cps, key=lambda p: int(p.name.split("-")[-1])) if cps else None


def train_grpo(config: LMTrainConfig, progress_bar: bool = True, callbacks: list | None = None) -> Path:
    """Train with GRPO (resuming ``config.run_dir``); return the final model folder.

    ``callbacks``: extra transformers ``TrainerCallback``s.
    """
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from specgym.config import save_config

    set_threads(config.torch_threads)
    run = Path(config.run_dir)
    final = run / "final"
    if is_saved_model(final):
        return final
    run.mkdir(parents=True, exist_ok=True)
    save_config(config, run / "config.yaml")
    backend = load_model(config.model, lora=config.lora, device=config.device)
    model, tok = backend.model, backend.tokenizer
    g = config.grpo
    metrics_path = run / "metrics.jsonl"
    ckpt_dir = run / "checkpoints"
    resume = last_checkpoint(ckpt_dir)
    if resume is not None:
        truncate_jsonl(metrics_path, "step", int(resume.name.split("-")[-1]))
    else:
        truncate_jsonl(metrics_path, "step", 0)
    if config.eval.episodes and resume is None:
        evaluate_held_out(config, backend, run / "eval_before")

    n_prompts = g.steps * g.prompts_per_step
    seeds = [config.env.seed_offset + i for i in range(n_prompts)]
    dataset = Dataset.from_dict({"prompt": [prompt_key(s) for s in seeds]})
    args = GRPOConfig(
        output_dir=str(ckpt_dir),
        max_steps=g.steps,
        per_device_train_batch_size=g.prompts_per_step * g.num_generations,
        gradient_accumulation_steps=1,
        num_generations=g.num_generations,
        learning_rate=g.learning_rate,
        beta=g.beta,
        epsilon=g.epsilon,
        num_iterations=g.num_iterations,
        max_grad_norm=g.max_grad_norm,
        scale_rewards=g.scale_rewards,
        loss_type=g.loss_type,
        temperature=config.sampling.temperature,
        top_p=config.sampling.top_p,
        max_completion_length=config.sampling.max_new_tokens * config.sampling.max_turns,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_every,
        save_only_model=False,
        report_to=[],
        seed=config.seed,
        use_cpu=config.device == "cpu",
        bf16=False,
        disable_tqdm=not progress_bar,
        shuffle_dataset=False,
        remove_unused_columns=False,
        gradient_checkpointing=False,
    )
    rollout = EnvRollout(config, tok, metrics_path)
    model.train()
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[env_reward],
        args=args,
        train_dataset=dataset,
        processing_class=tok,
        rollout_func=rollout,
    )
    trainer.add_callback(_metrics_callback(rollout, metrics_path))
    for cb in callbacks or []:
        trainer.add_callback(cb)
    trainer.train(resume_from_checkpoint=str(resume) if resume is not None else None)
    model = trainer.model
    save_model(model, tok, final, base=config.model, extra={"method": "grpo", "steps": g.steps})
    if config.eval.episodes:
        evaluate_held_out(config, load_model(final, device=config.device, max_batch=config.eval.max_batch),
                          run / "eval_after")
    return final
