"""PPO glue: the SB3 adapter's episode boundaries, named activations, save/load, configs, training."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from specgym.agents.maze_eval import rollout
from specgym.agents.policies import (
    ImpalaConfig,
    ImpalaPolicy,
    capture,
    hook_names,
    load_policy,
    patch,
    save_policy,
)
from specgym.agents.ppo.config import MazeTrainConfig
from specgym.agents.ppo.vec_adapter import GymnasiumVecEnvAdapter
from specgym.config import load_config
from specgym.envs.maze import Action, MazeEnv, MazeVectorEnv
from specgym.envs.maze.render import Plane
from tests.maze_helpers import centred

CORRIDOR = """
#####
#...#
#.###
#M.C#
#####
"""


def test_adapter_sets_terminal_observation_and_truncation_flags():
    vec = MazeVectorEnv(num_envs=2, obs_mode="grid", difficulty="easy", autoreset_mode="same_step",
                        max_steps=3)
    adapter = GymnasiumVecEnvAdapter(vec, seed=0)
    adapter.reset()
    state = centred(CORRIDOR, 15)
    vec.set_state(0, state)  # env 0: cheese two steps to the right
    vec.set_state(1, state)  # env 1: stands still and times out
    right, noop = int(Action.RIGHT), int(Action.NOOP)
    obs, rewards, dones, infos = adapter.step(np.array([right, noop]))
    assert not dones.any() and infos == [{}, {}]
    obs, rewards, dones, infos = adapter.step(np.array([right, noop]))
    assert dones.tolist() == [True, False] and rewards.tolist() == [10.0, 0.0]
    final = infos[0]["terminal_observation"]
    assert final[Plane.MOUSE][state.cheese] == 1  # the last frame shows the mouse on the cheese
    assert infos[0]["TimeLimit.truncated"] is False and infos[0]["cheese_reached"]
    assert not np.array_equal(obs[0], final)  # the returned obs is the next episode's first
    assert vec.get_state(0).steps == 0
    obs, rewards, dones, infos = adapter.step(np.array([noop, noop]))
    assert dones.tolist() == [False, True]
    assert infos[1]["TimeLimit.truncated"] is True and infos[1]["steps"] == 3
    assert infos[1]["terminal_observation"][Plane.MOUSE][state.mouse] == 1


def test_adapter_can_report_timeouts_as_endings():
    vec = MazeVectorEnv(num_envs=1, obs_mode="grid", difficulty="easy", autoreset_mode="same_step",
                        max_steps=2)
    adapter = GymnasiumVecEnvAdapter(vec, seed=0, timeouts_end_episodes=True)
    adapter.reset()
    vec.set_state(0, centred(CORRIDOR, 15))
    noop = np.array([int(Action.NOOP)])
    adapter.step(noop)
    _, _, dones, infos = adapter.step(noop)
    assert dones.tolist() == [True] and infos[0]["TimeLimit.truncated"] is False


def test_adapter_rejects_next_step_autoreset():
    next_step = gym.vector.SyncVectorEnv([lambda: MazeEnv(obs_mode="grid")] * 2)  # Gymnasium's default
    with pytest.raises(ValueError, match="autoreset_mode"):
        GymnasiumVecEnvAdapter(next_step)


@pytest.mark.parametrize("config,obs", [
    (ImpalaConfig(input="grid", world_size=15), torch.zeros(4, 3, 15, 15)),
    (ImpalaConfig(input="rgb", channels=[8, 16, 16]), torch.zeros(4, 64, 64, 3, dtype=torch.uint8)),
])
def test_named_activations(config, obs):
    policy = ImpalaPolicy(config)
    names = hook_names(policy)
    for expected in ["embedder.block1.conv", "embedder.block2.res1.resadd_out",
                     "embedder.block3.maxpool_out", "embedder.fc", "fc_policy", "fc_value"]:
        assert expected in names
    logits, value, acts = policy.forward_with_activations(
        obs, ["embedder.block2.res1.resadd_out", "fc_policy"])
    assert torch.equal(acts["fc_policy"], logits)
    side = 16 if config.input == "rgb" else 4
    assert acts["embedder.block2.res1.resadd_out"].shape == (4, config.channels[1], side, side)
    # resadd_out really is the residual sum: input of res1 plus its second conv
    with capture(policy, ["embedder.block2.maxpool_out", "embedder.block2.res1.conv2"]) as a:
        policy(obs)
    torch.testing.assert_close(
        a["embedder.block2.maxpool_out"] + a["embedder.block2.res1.conv2"],
        acts["embedder.block2.res1.resadd_out"],
    )
    with patch(policy, {"fc_value": lambda v: v + 5.0}):
        _, patched = policy(obs)
    torch.testing.assert_close(patched, value + 5.0)
    torch.testing.assert_close(policy(obs)[1], value)  # the hook is gone after the block
    with pytest.raises(ValueError, match="unknown names"):
        with capture(policy, ["embedder.block9"]):
            pass


def test_save_load_round_trip(tmp_path):
    import specgym.agents

    assert specgym.agents.load_policy is load_policy  # the documented entry point
    policy = ImpalaPolicy(ImpalaConfig(input="grid", world_size=25, channels=[4, 8, 8]))
    save_policy(policy, tmp_path / "p", extra={"note": "x"})
    loaded, meta = specgym.agents.load_policy(tmp_path / "p")
    obs = torch.rand(3, 3, 25, 25)
    torch.testing.assert_close(loaded(obs)[0], policy(obs)[0])
    assert meta["note"] == "x" and meta["config"]["channels"] == [4, 8, 8]
    with pytest.raises(FileNotFoundError, match="policy.json"):
        load_policy(tmp_path / "missing")


def test_config_file_and_dotted_overrides(tmp_path):
    config = load_config(MazeTrainConfig, "configs/maze_region5.yaml",
                         ["ppo.learning_rate=3e-4", "env.cheese_region=null", "policy.channels=[8, 16, 16]"])
    assert config.ppo.learning_rate == 3e-4 and config.env.cheese_region is None
    assert config.policy.channels == [8, 16, 16] and config.policy.input == "grid"
    assert config.policy.world_size == 15 and config.ppo.total_timesteps == 4_000_000
    with pytest.raises(ValueError, match="ppo.learning_rte"):
        load_config(MazeTrainConfig, None, ["ppo.learning_rte=1"])
    with pytest.raises(ValueError, match="key=value"):
        load_config(MazeTrainConfig, None, ["ppo.learning_rate"])


def tiny_config(tmp_path, steps: int) -> MazeTrainConfig:
    return load_config(MazeTrainConfig, None, [
        f"run_dir={tmp_path / 'run'}", "env.num_envs=16", "env.maze_size=3", "env.cheese_region=null",
        "env.kwargs={max_steps: 12}", "ppo.n_steps=64", "ppo.n_minibatches=4", "ppo.n_epochs=4",
        "ppo.learning_rate=1e-3", "ppo.gamma=0.9", f"ppo.total_timesteps={steps}",
        "checkpoint_every=2048", "policy.channels=[8, 16, 16]", "torch_threads=1",
    ])


def success_rate(policy, seed=123) -> float:
    env = MazeVectorEnv(num_envs=300, difficulty="easy", obs_mode="grid", maze_size=3, max_steps=12)
    return float(rollout(policy, env, seed)["cheese_reached"].mean())


def test_tiny_training_improves_a_3x3_maze_policy_and_resumes(tmp_path):
    from specgym.agents.ppo.train import train_maze

    torch.manual_seed(0)
    untrained = ImpalaPolicy(tiny_config(tmp_path, 4096).policy)
    before = success_rate(untrained)
    run = train_maze(tiny_config(tmp_path, 4096), progress_bar=False)
    trained, meta = load_policy(run / "final" / "policy")
    assert meta["timesteps"] == 4096
    # resume: a larger budget continues from the last checkpoint instead of starting over
    run = train_maze(tiny_config(tmp_path, 10240), progress_bar=False)
    trained, meta = load_policy(run / "final" / "policy")
    assert meta["timesteps"] == 10240
    rows = [json.loads(x) for x in (run / "curve.jsonl").read_text().splitlines()]
    assert rows[-1]["timesteps"] == 10240 and rows[0]["timesteps"] == 1024
    assert (run / "final" / "curve.png").exists()
    # reward normalization (on by default) resumes with its running statistics, not fresh ones
    import pickle

    assert (run / "checkpoints" / "ppo_vecnormalize_4096_steps.pkl").exists()
    stats = pickle.loads((run / "final" / "vecnormalize.pkl").read_bytes())
    assert stats.ret_rms.count > 10240 - 64, stats.ret_rms.count  # counts every step of both legs
    after = success_rate(trained)
    assert after > before + 0.2, (before, after)


def test_wall_time_sums_every_process_of_a_resumed_run(tmp_path):
    from specgym.agents.ppo.train import curve_wall_seconds

    curve = tmp_path / "curve.jsonl"
    rows = [(1024, 10.0), (2048, 20.0), (3072, 5.0), (4096, 12.5)]  # resumed after 2048 steps
    curve.write_text("".join(json.dumps({"timesteps": t, "wall_s": w}) + "\n" for t, w in rows))
    assert curve_wall_seconds(curve) == 32.5
    assert curve_wall_seconds(tmp_path / "missing.jsonl") == 0.0
