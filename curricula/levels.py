"""Level samplers for the worlds: domain randomization, prioritized level replay, ACCEL.

| sampler | where each new episode's level comes from                                         |
|---------|------------------------------------------------------------------------------------|
| dr      | the env's own level distribution (its `test_share` = the share of disambiguating   |
|         | levels)                                                                            |
| plr     | with `replay_prob` a level from the buffer, drawn by score rank and staleness;     |
|         | otherwise a new level from the env, kept if it scores above the buffer's worst     |
| accel   | plr, and each replayed level comes back mutated (walls toggled, the goal moved) as  |
|         | the next new level                                                                 |

Replay distribution (Jiang et al. 2021; minimax's defaults replay_prob 0.5, staleness 0.3,
temperature 0.1): P = (1 - rho) P_S + rho P_C with P_S ~ (1 / rank(score)) ** (1 / temperature)
and P_C ~ (episodes sampled so far - episode count when the level was last sampled).
Scores come from PPO's rollouts: "pvl" = mean positive GAE advantage over the level's steps;
"maxmc" = mean (highest return seen on the level - value estimate).

The samplers reach the env only through the vector env's `get_state` / `set_state`:
`LevelCurriculum` is an SB3 `VecEnvWrapper` that writes a level into each env whose episode
just ended, and `LevelScoreCallback` scores levels after each rollout and logs which levels
were replayed and the share of disambiguating levels (`levels.jsonl` beside the curve).

Warning: PLR here updates the policy on new levels too (PLR, not robust PLR).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from specgym.agents.ppo.config import SamplerConfig
from specgym.envs.worlds.solver import distances
from specgym.envs.worlds.state import Item, WorldState
from specgym.envs.worlds.worlds import WorldSpec


@dataclass
class Entry:
    level: WorldState
    score: float
    last_sampled: int
    max_return: float = -np.inf


@dataclass
class Draw:
    """A sampler's answer: the level id, the level to write (None: keep the env's own), replayed?"""

    level_id: int
    level: WorldState | None
    replayed: bool


class DomainRandomization:
    """Every episode on a fresh level from the env's own distribution."""

    def __init__(self, config: SamplerConfig | None = None):
        self.config = config or SamplerConfig()
        self.episodes = 0
        self._next_id = 0

    def next_level(self) -> Draw:
        self.episodes += 1
        self._next_id += 1
        return Draw(self._next_id, None, False)

    def started(self, level_id: int, level: WorldState) -> None:
        """The level that env actually runs (the env's own draw when the Draw had none)."""

    def update(self, level_id: int, score: float, max_return: float | None = None) -> None:
        """A score for a level, from the rollouts."""

    def stats(self) -> dict:
        return {}


class PrioritizedLevelReplay(DomainRandomization):
    """PLR's buffer of high-score levels (see the module docstring)."""

    def __init__(self, config: SamplerConfig | None = None):
        super().__init__(config)
        self.buffer: dict[int, Entry] = {}
        self.pending: dict[int, WorldState] = {}
        self.rng = np.random.default_rng(self.config.seed)

    def can_replay(self) -> bool:
        return len(self.buffer) >= max(1, int(np.ceil(self.config.min_fill * self.config.buffer_size)))

    def replay_probs(self) -> tuple[list[int], np.ndarray]:
        """The buffer's level ids and their replay probabilities."""
        ids = list(self.buffer)
        scores = np.array([self.buffer[i].score for i in ids])
        ranks = np.empty(len(ids))
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(ids) + 1)
        h = (1.0 / ranks) ** (1.0 / self.config.temperature)
        p_score = h / h.sum()
        stale = np.array([self.episodes - self.buffer[i].last_sampled for i in ids], dtype=float)
        p_stale = stale / stale.sum() if stale.sum() > 0 else np.full(len(ids), 1.0 / len(ids))
        rho = self.config.staleness_coef
        return ids, (1 - rho) * p_score + rho * p_stale

    def next_level(self) -> Draw:
        if self.can_replay() and self.rng.random() < self.config.replay_prob:
            ids, probs = self.replay_probs()
            level_id = ids[int(self.rng.choice(len(ids), p=probs))]
            self.episodes += 1
            self.buffer[level_id].last_sampled = self.episodes
            return Draw(level_id, self.buffer[level_id].level.copy(), True)
        return self.new_level()

    def new_level(self) -> Draw:
        return super().next_level()

    def started(self, level_id: int, level: WorldState) -> None:
        if level_id not in self.buffer:
            self.pending[level_id] = level.copy()

    def update(self, level_id: int, score: float, max_return: float | None = None) -> None:
        entry = self.buffer.get(level_id)
        if entry is None:
            level = self.pending.pop(level_id, None)
            if level is None:
                return
            entry = Entry(level, score, self.episodes)
            if len(self.buffer) >= self.config.buffer_size:
                worst = min(self.buffer, key=lambda i: self.buffer[i].score)
                if self.buffer[worst].score >= score:
                    return
                del self.buffer[worst]
            self.buffer[level_id] = entry
        entry.score = float(score)
        if max_return is not None:
            entry.max_return = max(entry.max_return, float(max_return))

    def stats(self) -> dict:
        scores = [e.score for e in self.buffer.values()]
        return {"buffer_size": len(self.buffer), "buffer_mean_score": float(np.mean(scores)) if scores else 0.0}


class Accel(PrioritizedLevelReplay):
    """PLR whose replayed levels come back mutated as new levels (Parker-Holder et al. 2022)."""

    def __init__(self, config: SamplerConfig | None = None, spec: WorldSpec | None = None):
        super().__init__(config)
        if spec is None:
            raise ValueError("spec: ACCEL needs the world's spec to know which item is the goal")
        self.spec = spec
        self.mutants: list[WorldState] = []

    def next_level(self) -> Draw:
        draw = super().next_level()
        if draw.replayed:
            self.mutants.append(mutate(draw.level, self.spec, self.config.num_edits, self.rng))
        return draw

    def new_level(self) -> Draw:
        draw = super().new_level()
        if self.mutants:
            draw.level = self.mutants.pop(0)
        return draw


def make_sampler(config: SamplerConfig, spec: WorldSpec) -> DomainRandomization:
    if config.name == "dr":
        return DomainRandomization(config)
    if config.name == "plr":
        return PrioritizedLevelReplay(config)
    return Accel(config, spec)


# ----- mutations ---------------------------------------------------------------------------
def mutate(level: WorldState, spec: WorldSpec, num_edits: int, rng: np.random.Generator) -> WorldState:
    """`num_edits` random edits, each toggling one inner wall or moving the goal item to a free
    cell the mouse reaches without lava; an edit that would cut the mouse off from an item or
    the corner is skipped."""
    level = level.copy()
    w = level.size
    for _ in range(num_edits):
        lava = (level.items & Item.LAVA) != 0
        free = (distances(level.walls, level.mouse, lava) > 0) & (level.items == 0)
        if rng.random() < 0.5:
            r, c = (int(v) for v in rng.integers(1, w - 1, size=2))
            if (r, c) == level.mouse or level.items[r, c] or (r, c) == level.corner:
                continue
            walls = level.walls.copy()
            walls[r, c] = not walls[r, c]
            if _all_reachable(walls, level):
                level.walls = walls
        else:
            goals = level.cells(spec.goal_item())
            cells = np.argwhere(free)
            if not goals or not len(cells):
                continue
            src = goals[int(rng.integers(len(goals)))]
            dst = tuple(int(v) for v in cells[int(rng.integers(len(cells)))])
            bit = int(spec.goal_item())
            level.items[src] &= ~np.uint8(bit)
            level.items[dst] |= np.uint8(bit)
    return level.validate()


def _all_reachable(walls: np.ndarray, level: WorldState) -> bool:
    lava = (level.items & Item.LAVA) != 0
    dist = distances(walls, level.mouse, lava)
    targets = [tuple(v) for v in np.argwhere((level.items != 0) & ~lava)] + [level.corner]
    return all(dist[t] >= 0 for t in targets)


# ----- plumbing into SB3 -------------------------------------------------------------------
class LevelCurriculum(VecEnvWrapper):
    """Writes the sampler's level into every env whose episode just ended (SAME_STEP envs)."""

    def __init__(self, venv: VecEnv, world_env, sampler: DomainRandomization, spec: WorldSpec,
                 corner_size: int = 1):
        super().__init__(venv)
        self.world_env = world_env
        self.sampler = sampler
        self.world_spec = spec  # not `spec`: SB3's VecMonitor reads venv.spec as a Gymnasium spec
        self.corner_size = corner_size
        self.current = np.zeros(self.num_envs, dtype=np.int64)
        self.history: list[np.ndarray] = []
        self.counts = {"episodes": 0, "replayed": 0, "disambiguating": 0}
        self.replayed_ids: Counter = Counter()

    def _start(self, ids) -> None:
        for i in ids:
            i = int(i)
            draw = self.sampler.next_level()
            if draw.level is not None:
                self.world_env.set_state(i, draw.level)
            level = self.world_env.get_state(i)
            self.sampler.started(draw.level_id, level)
            self.current[i] = draw.level_id
            self.counts["episodes"] += 1
            self.counts["replayed"] += draw.replayed
            if draw.replayed:
                self.replayed_ids[draw.level_id] += 1
            self.counts["disambiguating"] += self.world_spec.disambiguating(level, self.corner_size)

    def reset(self) -> np.ndarray:
        self.venv.reset()
        self._start(range(self.num_envs))
        return self.world_env.observations()

    def step_async(self, actions: np.ndarray) -> None:
        self.history.append(self.current.copy())
        self.venv.step_async(actions)

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        ended = np.flatnonzero(dones)
        if ended.size:
            self._start(ended)
            obs = self.world_env.observations()
        return obs, rewards, dones, infos

    def take_counts(self) -> dict:
        """Episodes started since the last call: how many, how many replays, how many on
        disambiguating levels, and the five most replayed level ids with their counts."""
        counts, self.counts = self.counts, {"episodes": 0, "replayed": 0, "disambiguating": 0}
        counts["top_replayed"] = [[int(i), int(k)] for i, k in self.replayed_ids.most_common(5)]
        self.replayed_ids = Counter()
        return counts


class LevelScoreCallback(BaseCallback):
    """After each rollout: score each (env, level) stretch of it, update the sampler, log a row."""

    def __init__(self, curriculum: LevelCurriculum, score: str = "pvl", path: str | Path | None = None):
        super().__init__()
        self.curriculum = curriculum
        self.score = score
        self.path = Path(path) if path else None
        self._start = time.time()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buf = self.model.rollout_buffer
        history = np.stack(self.curriculum.history[-buf.buffer_size:])
        self.curriculum.history.clear()
        scores = score_stretches(history, buf.advantages, buf.values, buf.returns, self.score,
                                 self.curriculum.sampler)
        counts = self.curriculum.take_counts()
        n = max(counts["episodes"], 1)
        row = {"timesteps": int(self.num_timesteps), **counts,
               "replayed_share": counts["replayed"] / n,
               "disambiguating_share": counts["disambiguating"] / n,
               "mean_score": float(np.mean(scores)) if scores else 0.0,
               **self.curriculum.sampler.stats(), "wall_s": round(time.time() - self._start, 1)}
        for key in ("replayed_share", "disambiguating_share", "mean_score"):
            self.logger.record(f"curriculum/{key}", row[key])
        if self.path:
            with self.path.open("a") as f:
                f.write(json.dumps(row) + "\n")


def score_stretches(history: np.ndarray, advantages: np.ndarray, values: np.ndarray,
                    returns: np.ndarray, score: str, sampler: DomainRandomization) -> list[float]:
    """Split each env's column of the rollout where its level id changes; score each stretch."""
    out = []
    steps, n_envs = history.shape
    for e in range(n_envs):
        col = history[:, e]
        cuts = np.flatnonzero(np.diff(col)) + 1
        for start, stop in zip(np.r_[0, cuts], np.r_[cuts, steps], strict=True):
            level_id = int(col[start])
            ret = float(returns[start, e])
            if score == "pvl":
                s = float(np.clip(advantages[start:stop, e], 0, None).mean())
            else:
                entry = getattr(sampler, "buffer", {}).get(level_id)
                best = max(ret, entry.max_return) if entry is not None else ret
                s = float((best - values[start:stop, e]).mean())
            sampler.update(level_id, s, ret)
            out.append(s)
    return out


@dataclass
class CurriculumParts:
    """What `specgym train maze` passes to PPO for a world: the env wrapper and the callback."""

    config: SamplerConfig
    spec: WorldSpec
    corner_size: int = 1
    log_path: Path | None = None
    curriculum: LevelCurriculum | None = field(default=None, init=False)

    def wrap_env(self, venv: VecEnv, world_env) -> LevelCurriculum:
        sampler = make_sampler(self.config, self.spec)
        self.curriculum = LevelCurriculum(venv, world_env, sampler, self.spec, self.corner_size)
        return self.curriculum

    def callback(self) -> BaseCallback:
        return _LazyScoreCallback(self)


class _LazyScoreCallback(LevelScoreCallback):
    """The score callback, bound to the curriculum once `wrap_env` has built it."""

    def __init__(self, parts: CurriculumParts):
        BaseCallback.__init__(self)
        self.parts = parts
        self.score = parts.config.score
        self.path = parts.log_path
        self._start = time.time()

    @property
    def curriculum(self) -> LevelCurriculum:
        return self.parts.curriculum
