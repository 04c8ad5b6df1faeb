"""PPO on the mazes with stable-baselines3: resumable runs, checkpoints in two formats.

A run folder holds `config.yaml`, `checkpoints/ppo_<steps>_steps.zip` (SB3, for resuming),
`curve.jsonl` (the training curve, appended as it is produced), `tb/` (TensorBoard), and at the
end `final/ppo.zip` plus `final/policy/{policy.pt,policy.json}` (loads without SB3) and
`final/curve.png`. Running the same command again resumes from the last checkpoint.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, CheckpointCallback
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, VecNormalize

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.policies.io import save_policy
from specgym.agents.ppo.callbacks import MazeCurveCallback
from specgym.agents.ppo.config import MazeTrainConfig
from specgym.agents.ppo.sb3_policy import export_policy, sb3_policy_kwargs
from specgym.agents.ppo.vec_adapter import GymnasiumVecEnvAdapter
from specgym.config import save_config, to_dict


def make_sb3_env(config: MazeTrainConfig, wrap_env: Callable | None = None) -> VecEnv:
    """The batched maze as an SB3 VecEnv; the monitor sits inside the reward normalization, so
    logged episode returns stay raw. `wrap_env(sb3_env, gymnasium_vector_env)` may wrap the
    adapter (a level sampler edits levels through the vector env's `set_state`)."""
    env_kwargs = config.env.make_kwargs()
    if config.env.id == "specgym/Maze-v0" or config.env.world is not None:
        env_kwargs["autoreset_mode"] = "same_step"
    vec = gym.make_vec(config.env.id, num_envs=config.env.num_envs, **env_kwargs)
    adapter = GymnasiumVecEnvAdapter(vec, seed=config.env.seed,
                                     timeouts_end_episodes=not config.ppo.bootstrap_timeouts)
    env = VecMonitor(adapter if wrap_env is None else wrap_env(adapter, vec.unwrapped))
    if config.ppo.normalize_reward:
        env = VecNormalize(env, norm_obs=False, norm_reward=True, gamma=config.ppo.gamma)
    return env


def normalizer_for(checkpoint: Path) -> Path:
    """The reward-normalization statistics CheckpointCallback saves next to a checkpoint."""
    return checkpoint.with_name(checkpoint.name.replace("ppo_", "ppo_vecnormalize_").replace(".zip", ".pkl"))


def latest_checkpoint(folder: Path) -> Path | None:
    found = [(int(m.group(1)), p) for p in folder.glob("ppo_*_steps.zip")
             if (m := re.search(r"ppo_(\d+)_steps", p.name))]
    return max(found)[1] if found else None


def build_model(config: MazeTrainConfig, env, run: Path) -> tuple[PPO, bool]:
    """A fresh PPO, or the last checkpoint of this run folder (resumed=True)."""
    with warnings.catch_warnings():
        # SB3 warns against the GPU for ActorCriticPolicy, assuming an MLP; ours is the IMPALA CNN,
        # which runs 2x faster end to end on a GPU (docs/benchmarks.md, PPO end to end).
        warnings.filterwarnings("ignore", message="You are trying to run PPO on the GPU")
        return _build_model(config, env, run)


def _build_model(config: MazeTrainConfig, env, run: Path) -> tuple[PPO, bool]:
    checkpoint = latest_checkpoint(run / "checkpoints")
    if checkpoint is not None:
        if isinstance(env, VecNormalize):
            stats = normalizer_for(checkpoint)
            if stats.exists():
                env = VecNormalize.load(str(stats), env.venv)
        model = PPO.load(checkpoint, env=env, device=config.device, tensorboard_log=str(run / "tb"))
        return model, True
    p = config.ppo
    batch = p.n_steps * config.env.num_envs
    model = PPO(
        ActorCriticPolicy, env,
        learning_rate=p.learning_rate, n_steps=p.n_steps, batch_size=batch // p.n_minibatches,
        n_epochs=p.n_epochs, gamma=p.gamma, gae_lambda=p.gae_lambda, clip_range=p.clip_range,
        ent_coef=p.ent_coef, vf_coef=p.vf_coef, max_grad_norm=p.max_grad_norm,
        policy_kwargs=sb3_policy_kwargs(config.policy), tensorboard_log=str(run / "tb"),
        device=config.device, seed=config.env.seed, verbose=0,
    )
    return model, False


def train_maze(config: MazeTrainConfig, progress_bar: bool = True, wrap_env: Callable | None = None,
               callbacks: list[BaseCallback] | None = None) -> Path:
    """Train (or resume) and write the final checkpoint; returns the run folder.

    `wrap_env` and `callbacks` let a caller (a level sampler in `specgym.curricula`) choose
    levels and score them from the rollouts, without this module knowing about curricula."""
    run = Path(config.run_dir)
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    save_config(config, run / "config.yaml")
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    env = make_sb3_env(config, wrap_env)
    model, resumed = build_model(config, env, run)
    if resumed:
        drop_curve_after(run / "curve.jsonl", model.num_timesteps)
        model.get_env().seed(config.env.seed + model.num_timesteps)  # fresh mazes, not a replay
    remaining = config.ppo.total_timesteps - model.num_timesteps
    start = time.time()
    if remaining > 0:
        callbacks = CallbackList([
            CheckpointCallback(
                save_freq=max(config.checkpoint_every // config.env.num_envs, 1),
                save_path=str(run / "checkpoints"), name_prefix="ppo",
                save_vecnormalize=True,
            ),
            MazeCurveCallback(run / "curve.jsonl"),
            *(callbacks or []),
        ])
        model.learn(
            remaining, callback=callbacks, reset_num_timesteps=not resumed,
            progress_bar=progress_bar, tb_log_name="ppo",
        )
    wall = time.time() - start
    finish(config, model, run, wall)
    env.close()
    return run


def drop_curve_after(curve: Path, timesteps: int) -> None:
    """Forget curve rows newer than the checkpoint we resume from (they will be redone)."""
    if curve.exists():
        rows = [r for r in curve.read_text().splitlines() if r.strip()]
        kept = [r for r in rows if json.loads(r)["timesteps"] <= timesteps]
        curve.write_text("".join(r + "\n" for r in kept))


def curve_wall_seconds(curve: Path) -> float:
    """Training wall time summed over every process of a run, from the curve's per-process clock
    (it restarts at each resume), so runs that were killed and resumed still count in full."""
    if not curve.exists():
        return 0.0
    total = last = 0.0
    for line in curve.read_text().splitlines():
        if line.strip():
            wall = json.loads(line)["wall_s"]
            if wall < last:
                total += last
            last = wall
    return round(total + last, 1)


def finish(config: MazeTrainConfig, model: PPO, run: Path, wall_s: float) -> None:
    final = run / "final"
    final.mkdir(exist_ok=True)
    model.save(final / "ppo.zip")
    if model.get_vec_normalize_env() is not None:
        model.get_vec_normalize_env().save(str(final / "vecnormalize.pkl"))
    meta_path = run / "train_meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {"wall_s": 0.0}
    meta["wall_s"] = max(round(meta["wall_s"] + wall_s, 1), curve_wall_seconds(run / "curve.jsonl"))
    meta["timesteps"] = int(model.num_timesteps)
    meta_path.write_text(json.dumps(meta, indent=2))
    save_policy(export_policy(model.policy), final / "policy", extra={
        "env": to_dict(config.env), "timesteps": int(model.num_timesteps),
        "train_wall_s": meta["wall_s"],
    })
    if (run / "curve.jsonl").exists():
        from specgym.agents.ppo.curve_plot import plot_maze_curve

        plot_maze_curve(run / "curve.jsonl", final / "curve.png")
