"""Configs of the language-model trainers (`specgym train lm`), as YAML-loadable dataclasses.

    config = load_config(LMTrainConfig, "configs/lm_grpo_flattery_cpu.yaml", ["grpo.steps=2"])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("grpo", "expert_iteration")
EI_SAMPLERS = ("transformers", "llama.cpp")


@dataclass
class LMEnvConfig:
    id: str = "specgym/ToolUseFlattery-v0"
    """A text environment id (see `specgym envs`)."""
    options: dict = field(default_factory=dict)
    """Reset options for every episode, e.g. {context_cue: training}."""
    kwargs: dict = field(default_factory=dict)
    """Keyword arguments for gym.make (e.g. grader: hardened for the coding tasks)."""
    seed_offset: int = 0
    """Training episodes use seeds seed_offset, seed_offset + 1, ..."""


@dataclass
class LMSamplingConfig:
    max_new_tokens: int = 64
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_turns: int = 3
    """Assistant replies per episode at most (an episode cut here gets no grade and reward 0)."""


@dataclass
class GRPOSettings:
    steps: int = 20
    """Optimizer steps (one generation round of prompts_per_step x num_generations episodes each)."""
    prompts_per_step: int = 2
    """Distinct env seeds per step."""
    num_generations: int = 4
    """Episodes per seed: GRPO's group (advantages are rewards minus the group mean)."""
    learning_rate: float = 1.0e-5
    beta: float = 0.0
    """KL coefficient to the starting model (0: no reference model)."""
    epsilon: float = 0.2
    num_iterations: int = 1
    max_grad_norm: float = 1.0
    scale_rewards: str = "group"
    """TRL's reward scaling: group, batch or none."""
    loss_type: str = "dapo"


@dataclass
class ExpertIterationSettings:
    iterations: int = 3
    prompts_per_iteration: int = 16
    """Distinct env seeds sampled per iteration (new seeds every iteration)."""
    samples_per_prompt: int = 4
    """Episodes per seed; the best by env reward is kept."""
    min_reward: float | None = None
    """Keep a best episode only if its reward is >= this (null: keep every best one)."""
    preference_weight: float = 0.0
    """Score = env reward + preference_weight * hidden reward (0: the env reward alone)."""
    epochs: int = 1
    learning_rate: float = 2.0e-5
    batch_size: int = 4
    sampler: str = "transformers"
    """Backend that samples each iteration's episodes: transformers (the model in training),
    or llama.cpp (the current weights exported to GGUF after every iteration and served as
    Q8_0; faster on CPU, and the samples still come from the weights being trained)."""
    executor: str = "serial"
    """Where a llama.cpp sampler's episodes run: serial (this process), local (a process pool
    of ``workers``, each loading the exported weights with ``torch_threads`` threads) or ray.
    The episodes are the same whichever runs them (`specgym.agents.lm.executor`)."""
    workers: int | None = None
    """local/ray workers (null: one per core)."""


@dataclass
class LMEvalConfig:
    episodes: int = 0
    """Episodes evaluated before and after training (0: no evaluation)."""
    seed_offset: int = 100_000
    """Evaluation seeds start here (disjoint from training seeds)."""
    temperature: float = 0.7
    max_batch: int = 16


@dataclass
class LMTrainConfig:
    model: str = "default"
    """default (SmolLM2-135M-Instruct), a GGUF path, a Hugging Face folder or cached id."""
    method: str = "grpo"
    """grpo or expert_iteration."""
    env: LMEnvConfig = field(default_factory=LMEnvConfig)
    sampling: LMSamplingConfig = field(default_factory=LMSamplingConfig)
    grpo: GRPOSettings = field(default_factory=GRPOSettings)
    expert_iteration: ExpertIterationSettings = field(default_factory=ExpertIterationSettings)
    eval: LMEvalConfig = field(default_factory=LMEvalConfig)
    lora: dict | None = None
    """null: train every weight; else peft LoraConfig fields, e.g. {r: 16, target_modules: all-linear}.
    A start model that is itself a saved adapter has that adapter trained further (this is
    ignored), so a curriculum's stages share one adapter over one named model."""
    run_dir: str = "runs/lm"
    save_every: int = 5
    """GRPO: checkpoint every n steps (an interrupted run resumes from the last one).
    Expert iteration checkpoints after every iteration."""
    seed: int = 0
    device: str = "cpu"
    torch_threads: int | None = 1
    """torch threads on CPU (1 leaves a core for the sandbox and other jobs)."""

    def __post_init__(self) -> None:
        self.method = self.method.replace("-", "_")
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {list(METHODS)}, got {self.method!r}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda', got {self.device!r}")
        if self.grpo.num_generations < 2:
            raise ValueError("grpo.num_generations: must be >= 2 (GRPO compares episodes in a group)")
        if self.sampling.temperature <= 0:
            raise ValueError("sampling.temperature: must be > 0 for training")
        for name, v in (("grpo.steps", self.grpo.steps), ("grpo.prompts_per_step", self.grpo.prompts_per_step),
                        ("expert_iteration.iterations", self.expert_iteration.iterations),
                        ("expert_iteration.samples_per_prompt", self.expert_iteration.samples_per_prompt),
                        ("expert_iteration.prompts_per_iteration", self.expert_iteration.prompts_per_iteration),
                        ("sampling.max_turns", self.sampling.max_turns), ("save_every", self.save_every)):
            if v < 1:
                raise ValueError(f"{name}: must be >= 1, got {v!r}")
        if self.expert_iteration.sampler not in EI_SAMPLERS:
            raise ValueError(f"expert_iteration.sampler: expected one of {list(EI_SAMPLERS)}, "
                             f"got {self.expert_iteration.sampler!r}")
        from specgym.agents.lm.executor import EXECUTORS

        ei = self.expert_iteration
        if ei.executor not in EXECUTORS:
            raise ValueError(f"expert_iteration.executor: expected one of {list(EXECUTORS)}, "
                             f"got {ei.executor!r}")
        if ei.executor != "serial" and ei.sampler != "llama.cpp":
            raise ValueError(f"expert_iteration.executor: {ei.executor!r} needs sampler: llama.cpp "
                             f"(the transformers sampler is the model in training, in this process)")
        if ei.workers is not None and (ei.executor == "serial" or ei.workers < 1):
            raise ValueError(f"expert_iteration.workers: an int >= 1 for the local or ray executor, "
                             f"got {ei.workers!r} with executor {ei.executor!r}")
        if self.grpo.scale_rewards not in ("group", "batch", "none"):
            raise ValueError(f"grpo.scale_rewards: expected group, batch or none, got {self.grpo.scale_rewards!r}")

    def sampling_config(self, seed: int = 0, temperature: float | None = None) -> Any:
        from specgym.agents.lm import SamplingConfig

        s = self.sampling
        return SamplingConfig(
            max_new_tokens=s.max_new_tokens,
            temperature=s.temperature if temperature is None else temperature,
            top_p=s.top_p, top_k=s.top_k, seed=seed,
        )
