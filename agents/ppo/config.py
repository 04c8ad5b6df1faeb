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

    @property
    def world(self):
        """The world's spec when `id` names a goal-misgeneralization world, else None."""
        from specgym.envs.worlds.worlds import WORLDS

        return next((w for w in WORLDS.values() if w.env_id == self.id), None)

    def make_kwargs(self) -> dict:
        if self.world is not None:  # worlds take their own options (size, generator, ...) in kwargs
            return {"obs_mode": self.obs_mode, **self.kwargs}
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


SAMPLERS = ("dr", "plr", "accel")
SCORES = ("pvl", "maxmc")


@dataclass
class SamplerConfig:
    """Which levels PPO trains on (`specgym.curricula.levels`); worlds only. Defaults: minimax's."""

    name: str = "dr"
    """"dr" (the env's own level distribution), "plr" (prioritized level replay) or "accel"."""
    score: str = "pvl"
    """Level score: "pvl" (mean positive GAE advantage) or "maxmc" (max return seen - value)."""
    replay_prob: float = 0.5
    staleness_coef: float = 0.3
    temperature: float = 0.1
    """Rank prioritization h = (1 / rank) ** (1 / temperature)."""
    buffer_size: int = 4000
    min_fill: float = 0.5
    """Replay starts once the buffer holds this share of buffer_size levels."""
    num_edits: int = 3
    """ACCEL: edits per mutation (toggle a wall, or move the goal)."""
    seed: int = 0

    def __post_init__(self):
        if self.name not in SAMPLERS:
            raise ValueError(f"sampler.name: expected one of {SAMPLERS}, got {self.name!r}")
        if self.score not in SCORES:
            raise ValueError(f"sampler.score: expected one of {SCORES}, got {self.score!r}")
        for key in ("replay_prob", "staleness_coef", "min_fill"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ValueError(f"sampler.{key}: expected a number in [0, 1], got {getattr(self, key)!r}")
        if self.temperature <= 0 or self.buffer_size < 1 or self.num_edits < 1:
            raise ValueError("sampler.temperature, buffer_size, num_edits: expected > 0, >= 1, >= 1")


@dataclass
class MazeTrainConfig:
    env: MazeEnvConfig = field(default_factory=MazeEnvConfig)
    policy: ImpalaConfig = field(default_factory=ImpalaConfig)
    """Architecture; `input` and `world_size` are set from the env."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    """Level sampler for the worlds (dr / plr / accel); the mazes take only dr."""
    run_dir: str = "runs/maze"
    """Checkpoints, TensorBoard logs, the training curve and the final policy go here."""
    checkpoint_every: int = 250_000
    """Environment steps between checkpoints (a run resumes from the last one)."""
    device: str = "cpu"
    torch_threads: int | None = None

    def __post_init__(self):
        spec = self.env.world
        if spec is not None:  # a goal-misgeneralization world: grid planes, four moves
            if self.env.obs_mode != "grid":
                raise ValueError(f"env.obs_mode: the worlds train on 'grid', got {self.env.obs_mode!r}")
            self.policy.input = "grid"
            self.policy.world_size = int(self.env.kwargs.get("size", 13))
            self.policy.in_channels = len(spec.channels)
            self.policy.num_actions = 4
            self._check_batch()
            return
        if self.sampler.name != "dr":
            raise ValueError(f"sampler.name: {self.sampler.name!r} needs a world id (specgym/CheeseInCorner-v0, "
                             f"...); {self.env.id} takes only 'dr'")
        world = {"hard": 25, "easy": 15}.get(self.env.difficulty)
        if world is None:
            raise ValueError(f"env.difficulty: expected 'hard' or 'easy', got {self.env.difficulty!r}")
        rgb = self.env.obs_mode == "rgb" or self.env.id != "specgym/Maze-v0"
        self.policy.input = "rgb" if rgb else "grid"
        self.policy.world_size = world
        self._check_batch()

    def _check_batch(self):
        if self.ppo.n_steps * self.env.num_envs % self.ppo.n_minibatches:
            raise ValueError("ppo.n_minibatches: must divide ppo.n_steps * env.num_envs")
