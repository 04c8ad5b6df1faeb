"""Level samplers: PLR's replay distribution, a tiny PLR run, ACCEL's mutations, the PPO plumbing."""

from __future__ import annotations

import json
from collections import Counter

import gymnasium as gym
import numpy as np
import pytest

import specgym  # noqa: F401
from specgym.agents.ppo.config import MazeTrainConfig, SamplerConfig
from specgym.config import load_config
from specgym.curricula.levels import (
    Accel,
    CurriculumParts,
    LevelCurriculum,
    PrioritizedLevelReplay,
    mutate,
    score_stretches,
)
from specgym.envs.worlds import Item, world_spec
from specgym.envs.worlds.solver import distances


def filled_plr(scores, **kw) -> PrioritizedLevelReplay:
    config = SamplerConfig(name="plr", buffer_size=len(scores), min_fill=1.0, **kw)
    plr = PrioritizedLevelReplay(config)
    env = gym.make_vec("specgym/CheeseOnDish-v0", num_envs=len(scores), size=7)
    env.reset(seed=0)
    for i, s in enumerate(scores):
        draw = plr.next_level()
        plr.started(draw.level_id, env.unwrapped.get_state(i))
        plr.update(draw.level_id, s)
    return plr


def test_replay_probabilities_match_the_formula():
    plr = filled_plr([0.1, 0.5, 0.3])
    plr.episodes = 10
    for i, last in zip(plr.buffer, (4, 9, 10), strict=True):
        plr.buffer[i].last_sampled = last
    ids, probs = plr.replay_probs()
    h = np.array([1 / 3, 1.0, 1 / 2]) ** 10  # ranks 3, 1, 2 at temperature 0.1
    stale = np.array([6, 1, 0]) / 7
    np.testing.assert_allclose(probs, 0.7 * h / h.sum() + 0.3 * stale)
    assert probs.sum() == pytest.approx(1.0)


def test_tiny_plr_run_replays_high_score_levels_more_often():
    """Real envs, the SB3 wrapper, scores that a level keeps: the highest-score levels are
    replayed most, and about replay_prob of the episodes are replays."""
    from stable_baselines3.common.vec_env import VecEnv  # noqa: F401

    from specgym.agents.ppo.vec_adapter import GymnasiumVecEnvAdapter

    vec = gym.make_vec("specgym/CheeseInCorner-v0", num_envs=8, size=7, max_steps=6, test_share=0.5)
    config = SamplerConfig(name="plr", buffer_size=20, min_fill=1.0, seed=1)
    plr = PrioritizedLevelReplay(config)
    curriculum = LevelCurriculum(GymnasiumVecEnvAdapter(vec, seed=0), vec.unwrapped, plr,
                                 world_spec("corner"))
    curriculum.reset()
    level_score = {}  # a fixed score per level: its distance from mouse to cheese
    replays = Counter()
    rng = np.random.default_rng(0)
    for _ in range(400):
        before = curriculum.current.copy()
        curriculum.step_async(rng.integers(0, 4, 8))
        _, _, dones, _ = curriculum.step_wait()
        for i in np.flatnonzero(dones):
            level_id = int(before[i])
            if level_id not in level_score:
                state = plr.pending.get(level_id) or plr.buffer[level_id].level
                (cheese,) = state.cells(Item.CHEESE)
                level_score[level_id] = float(distances(state.walls, state.mouse)[cheese])
            plr.update(level_id, level_score[level_id])
        counts = curriculum.take_counts()
        replays[0] += counts["replayed"]
        replays[1] += counts["episodes"]
    assert len(plr.buffer) == 20
    share = replays[0] / replays[1]
    assert 0.35 < share < 0.55  # 0.5 once the buffer filled
    ids = sorted(plr.buffer, key=lambda i: plr.buffer[i].score)
    sampled = Counter()
    for _ in range(2000):
        draw = plr.next_level()
        if draw.replayed:
            sampled[draw.level_id] += 1
    low, high = ids[:5], ids[-5:]
    assert sum(sampled[i] for i in high) > 3 * sum(sampled[i] for i in low)


def test_pvl_and_maxmc_scores_known_answers():
    history = np.array([[1, 7], [1, 7], [2, 7]])
    adv = np.array([[1.0, -1.0], [-3.0, 2.0], [0.5, 4.0]])
    values = np.array([[0.2, 0.0], [0.4, 0.5], [0.1, 1.0]])
    returns = adv + values
    plr = PrioritizedLevelReplay(SamplerConfig(name="plr", buffer_size=4))
    assert score_stretches(history, adv, values, returns, "pvl", plr) == [0.5, 0.5, 2.0]
    scores = score_stretches(history, adv, values, returns, "maxmc", plr)
    assert scores == pytest.approx([1.2 - 0.3, 0.6 - 0.1, -1.0 - 0.5])


@pytest.mark.parametrize("world", ["corner", "dish", "keys", "lava"])
def test_accel_mutations_keep_levels_valid_and_solvable(world):
    spec = world_spec(world)
    env = gym.make_vec(spec.env_id, num_envs=16, size=9, distribution="test")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    changed = 0
    for i in range(16):
        level = env.unwrapped.get_state(i)
        child = mutate(level, spec, 4, rng)
        child.validate(9)
        lava = (child.items & Item.LAVA) != 0
        dist = distances(child.walls, child.mouse, lava)
        assert all(dist[tuple(c)] > 0 for c in np.argwhere((child.items != 0) & ~lava))
        assert len(child.cells(spec.goal_item())) == len(level.cells(spec.goal_item()))
        changed += child != level
        env.unwrapped.set_state(i, child)
    assert changed >= 12


def test_accel_replays_come_back_mutated():
    config = SamplerConfig(name="accel", buffer_size=2, min_fill=1.0, replay_prob=1.0)
    accel = Accel(config, world_spec("dish"))
    env = gym.make_vec("specgym/CheeseOnDish-v0", num_envs=2, size=9)
    env.reset(seed=0)
    for i in range(2):
        draw = accel.next_level()
        accel.started(draw.level_id, env.unwrapped.get_state(i))
        accel.update(draw.level_id, 1.0)
    replay = accel.next_level()
    assert replay.replayed and len(accel.mutants) == 1
    accel.config.replay_prob = 0.0
    new = accel.next_level()
    assert not new.replayed and new.level is not None and new.level != replay.level


def test_sampler_config_errors_name_the_field():
    with pytest.raises(ValueError, match="sampler.name"):
        load_config(MazeTrainConfig, "configs/worlds_corner_plr.yaml", ["sampler.name=robust"])
    with pytest.raises(ValueError, match="sampler.replay_prob"):
        load_config(MazeTrainConfig, "configs/worlds_corner_plr.yaml", ["sampler.replay_prob=2"])
    with pytest.raises(ValueError, match="needs a world id"):
        load_config(MazeTrainConfig, "configs/maze_region5.yaml", ["sampler.name=plr"])


def test_tiny_ppo_run_with_plr_logs_replays_and_disambiguating_share(tmp_path):
    from specgym.agents.ppo.train import train_maze

    config = load_config(MazeTrainConfig, "configs/worlds_corner_plr.yaml", [
        "env.num_envs=8", "env.kwargs.size=7", "env.kwargs.test_share=0.5", "ppo.n_steps=32",
        "ppo.total_timesteps=1536", "sampler.buffer_size=8", "policy.channels=[2,2,2]",
        "policy.hidden=8", f"run_dir={tmp_path}", "checkpoint_every=100000",
    ])
    parts = CurriculumParts(config.sampler, config.env.world, 1, tmp_path / "levels.jsonl")
    run = train_maze(config, progress_bar=False, wrap_env=parts.wrap_env, callbacks=[parts.callback()])
    rows = [json.loads(line) for line in (run / "levels.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and rows[-1]["buffer_size"] == 8
    assert sum(r["replayed"] for r in rows) > 0
    assert any(r["top_replayed"] for r in rows)
    share = sum(r["disambiguating"] for r in rows) / sum(r["episodes"] for r in rows)
    assert 0.2 < share < 0.8
    assert (run / "final" / "policy" / "policy.pt").exists()


def test_cli_trains_a_world_with_a_sampler(tmp_path, capsys):
    from specgym.cli import main

    code = main(["train", "maze", "--config", "configs/worlds_corner_plr.yaml", "--no-progress",
                 "sampler.name=accel", "sampler.buffer_size=4", "env.num_envs=4", "env.kwargs.size=7",
                 "ppo.n_steps=16", "ppo.total_timesteps=256", "policy.channels=[2,2,2]",
                 "policy.hidden=8", f"run_dir={tmp_path}"])
    assert code == 0
    assert (tmp_path / "levels.jsonl").read_text().count("\n") == 4
    assert "final policy" in capsys.readouterr().out


@pytest.mark.slow
def test_experiment_runner_trains_evaluates_skips_and_reports(tmp_path, monkeypatch, capsys):
    from specgym.curricula import worlds_experiment as exp

    monkeypatch.setattr(exp, "ALPHAS", (0.0, 0.1))
    args = ["run", "--steps", "512", "--seeds", "1", "--episodes", "30", "--samplers", "dr",
            "--out", str(tmp_path)]
    exp.main(args)
    first = (tmp_path / "dr_a0_s0" / "eval.json").read_text()
    exp.main(args)  # finished cells are skipped, not retrained
    assert (tmp_path / "dr_a0_s0" / "eval.json").read_text() == first
    cell = json.loads(first)
    assert cell["test"]["episodes"] == 30 and "--config configs/worlds_corner_experiment.yaml" in cell["command"]
    exp.main(["report", "--out", str(tmp_path), "--plot", str(tmp_path / "p.png")])
    out = capsys.readouterr().out
    assert "| dr | 0 | 1 |" in out and "| dr | 0.1 | 1 |" in out and (tmp_path / "p.png").exists()
