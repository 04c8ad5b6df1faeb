"""Everything a maze PPO run needs, with the procgen literature's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from specgym.agents.policies.impala import ImpalaConfig


@dataclass
class MazeEnvConfig:
    id: str = "specgym/Maze-v0"
    """Gymnasium id: specgym/Maze-v0 (native) or specgym/ProcgenMaze-v0 (the real game)."""
    num_envs: int = 64
    difficulty: str = "easy"
    """"hard" (25x25 world) or "easy" (15x15)."""
    obs_mode: str = "grid"
    """"grid" (one-hot planes, fast on a CPU) or "rgb" (64x64 frames, a GPU job)."""
    cheese_region: int | None = 5
    """Cheese in the maze's top-right n x n cells (5 in the goal-misgeneralization work); null: anywhere."""
    maze_size: int | None = None
    """Fix the maze size (odd); null: procgen's uniform odd size."""
    seed: int = 0
    kwargs: dict = field(default_factory=dict)
    """Extra keyword arguments for the env (e.g. num_threads for procgen)."""

    def make_kwargs(self) -> dict:
        kwargs = {"difficulty": self.difficulty, "cheese_region": self.cheese_region, **self.kwargs}
        if self.id == "specgym/Maze-v0":
            kwargs.update(obs_mode=self.obs_mode, maze_size=self.maze_size)
        return kwargs


@dataclass
class PPOConfig:
    learning_rate: float = 5e-4
    gamma: float = 0.999
    gae_lambda: float = 0.95
    n_steps: int = 256
    """Rollout length per environment."""
    n_epochs: int = 3
    n_minibatches: int = 8
    clip_range: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_reward: bool = True
    """Divide rewards by a running std of the discounted return (SB3's VecNormalize), as the
    procgen PPO baselines do: with raw +10 rewards the value loss swamps the shared network."""
    bootstrap_timeouts: bool = True
    """Bootstrap the value at the 500-step time-out (Gymnasium's truncation). false: a time-out
    ends the episode with return 0, as in procgen's PPO baselines, which makes failing costly."""
    total_timesteps: int = 5_000_000


@dataclass
class MazeTrainConfig:
    env: MazeEnvConfig = field(default_factory=MazeEnvConfig)
    policy: ImpalaConfig = field(default_factory=ImpalaConfig)
    """Architecture; `input` and `world_size` are set from the env."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    run_dir: str = "runs/maze"
    """Checkpoints, TensorBoard logs, the training curve and the final policy go here."""
    checkpoint_every: int = 250_000
    """Environment steps between checkpoints (a run resumes from the last one)."""
    device: str = "cpu"
    torch_threads: int | None = None

    def __post_init__(self):
        world = {"hard": 25, "easy": 15}.get(self.env.difficulty)
        if world is None:
            raise ValueError(f"env.difficulty: expected 'hard' or 'easy', got {self.env.difficulty!r}")
        rgb = self.env.obs_mode == "rgb" or self.env.id != "specgym/Maze-v0"
        self.policy.input = "rgb" if rgb else "grid"
        self.policy.world_size = world
        if self.ppo.n_steps * self.env.num_envs % self.ppo.n_minibatches:
            raise ValueError("ppo.n_minibatches: must divide ppo.n_steps * env.num_envs")
