"""Change a policy's activations in chosen channels at chosen cells, in one pass or a whole rollout.

An `Edit` says what to do at one layer: ``"add"`` a value (a steering vector), ``"replace"``
with a value (patching in activations from another maze), or ``"clamp"`` to a value (the
retargeting intervention). Values broadcast to (N, len(channels), H, W); cells are all cells,
a list of cells shared by every sample, one cell per sample ((N, 2) array), or a boolean mask.
`intervene` applies edits inside a ``with`` block (hooks removed in ``finally``); `rollout`
runs a batch of maze states in the vectorized env with edits applied at every step.

>>> edit = Edit("embedder.block1.res2.resadd_out", channels=[3, 7], mode="clamp", value=4.0,
...             cells=[(1, 6)])
>>> with intervene(policy, [edit]):
...     logits, _ = policy(obs)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from specgym.agents.maze_eval import make_eval_env
from specgym.agents.maze_eval import rollout as eval_rollout
from specgym.agents.policies.hooks import patch
from specgym.analysis.activations import check_env, check_layer
from specgym.envs.maze.state import MazeState

MODES = ("add", "replace", "clamp")


@dataclass
class Edit:
    """One change to one layer's output.

    layer: hook name, e.g. "embedder.block1.res2.resadd_out".
    channels: channel indices, or None for every channel.
    mode: "add" (x + value), "replace" (value, e.g. another input's activations) or "clamp"
        (value, a constant: the retargeting intervention). "replace" and "clamp" do the same
        arithmetic; the names record intent in reports.
    value: scalar or tensor broadcastable to (N, len(channels), H, W).
    cells: None (every cell), a list of (i, j) layer cells for every sample, an (N, 2) int array
        (one cell per sample), or a bool mask broadcastable to (N, H, W).
    """

    layer: str
    channels: Sequence[int] | None = None
    mode: str = "add"
    value: Any = 0.0
    cells: Any = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {self.mode!r}")

    def mask(self, n: int, h: int, w: int, device) -> torch.Tensor | None:
        """(N or 1, 1, H, W) bool mask of the cells to change, or None for all."""
        cells = self.cells
        if cells is None:
            return None
        if isinstance(cells, torch.Tensor) and cells.dtype == torch.bool:
            m = cells
        elif isinstance(cells, np.ndarray) and cells.dtype == bool:
            m = torch.as_tensor(cells)
        else:
            arr = np.asarray(cells, dtype=np.int64)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise ValueError(f"cells: expected (i, j) pairs, got shape {arr.shape}")
            if (arr[:, 0] >= h).any() or (arr[:, 1] >= w).any() or (arr < 0).any():
                raise ValueError(f"cells: {arr.tolist()} outside the {h}x{w} map of {self.layer}")
            if isinstance(cells, np.ndarray):  # one cell per sample
                if len(arr) != n:
                    raise ValueError(f"cells: expected {n} per-sample cells, got {len(arr)}")
                m = torch.zeros((n, h, w), dtype=torch.bool)
                m[torch.arange(n), torch.as_tensor(arr[:, 0]), torch.as_tensor(arr[:, 1])] = True
            else:  # the same cells for every sample
                m = torch.zeros((1, h, w), dtype=torch.bool)
                m[0, torch.as_tensor(arr[:, 0]), torch.as_tensor(arr[:, 1])] = True
        if m.dim() == 2:
            m = m[None]
        return m[:, None].to(device)

    def select(self, idx: np.ndarray, n: int) -> Edit:
        """This edit for the samples `idx` of a batch of n (per-sample rows picked, rest shared).

        Per-sample: a value of shape (n, C, H, W) or (n, C), cells as an (n, 2) int array or an
        (n, H, W) bool mask; anything else is shared by every sample.
        """
        value, cells = self.value, self.cells
        per_sample = isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim in (2, 4)
        if per_sample and value.shape[0] == n:  # (N, C, H, W) or, for a linear layer, (N, C)
            value = value[torch.as_tensor(idx) if isinstance(value, torch.Tensor) else idx]
        per_sample_cells = isinstance(cells, np.ndarray) and cells.dtype != bool
        mask = (isinstance(cells, torch.Tensor) and cells.dtype == torch.bool) or (
            isinstance(cells, np.ndarray) and cells.dtype == bool)
        if (per_sample_cells or (mask and cells.ndim == 3)) and len(cells) == n:
            cells = cells[torch.as_tensor(idx) if isinstance(cells, torch.Tensor) else idx]
        return Edit(self.layer, self.channels, self.mode, value, cells)

    def __call__(self, out: torch.Tensor) -> torch.Tensor:
        if out.dim() != 4 and self.cells is not None:
            raise ValueError(f"cells: layer {self.layer} is not spatial (shape {tuple(out.shape)})")
        channels = list(range(out.shape[1])) if self.channels is None else list(self.channels)
        if any(not 0 <= c < out.shape[1] for c in channels):
            raise ValueError(f"channels: expected indices in 0..{out.shape[1] - 1}, got {channels}")
        idx = torch.as_tensor(channels, dtype=torch.long, device=out.device)
        sub = out.index_select(1, idx)
        value = torch.as_tensor(self.value, dtype=out.dtype, device=out.device)
        new = sub + value if self.mode == "add" else value.expand_as(sub)
        if out.dim() == 4:
            m = self.mask(out.shape[0], out.shape[2], out.shape[3], out.device)
            if m is not None:
                new = torch.where(m, new, sub)
        result = out.clone()
        result[:, idx] = new
        return result


def _compose(fns: list[Callable]) -> Callable:
    def run(out):
        for fn in fns:
            out = fn(out)
        return out
    return run


@contextmanager
def intervene(policy, edits: Sequence[Edit]):
    """Apply `edits` to every forward pass of `policy` inside the block."""
    by_layer: dict[str, list[Edit]] = {}
    for edit in edits:
        by_layer.setdefault(check_layer(policy, edit.layer), []).append(edit)
    with patch(policy, {layer: _compose(fns) for layer, fns in by_layer.items()}):
        yield


def rollout(policy, states: Sequence[MazeState], edits: Sequence[Edit] = (), env: str = "native",
            max_steps: int = 100, targets: Sequence[tuple[int, int]] | None = None,
            stop_at_corner: bool = False, seed: int = 0, deterministic: bool = False,
            difficulty: str | None = None) -> dict[str, np.ndarray]:
    """`specgym.agents.maze_eval.rollout` over `states` with `edits` on every forward pass.

    Per-sample values and cells in the edits index the env slots (slot i plays states[i]);
    each step feeds only the live slots, with their rows of the edits. Returns the bool
    arrays `cheese_reached`, `corner_first`, `corner_reached`, `reached_target`, `timed_out`
    and `steps` (see `maze_eval.rollout`).
    """
    check_env(env)
    n = len(states)
    if n == 0:
        raise ValueError("states: expected at least one MazeState")
    difficulty = difficulty or {15: "easy", 25: "hard"}[states[0].world_size]
    venv = make_eval_env(env, n, difficulty, policy.config.input)
    edits = list(edits)

    def act(obs, idx):
        with intervene(policy, [e.select(idx, n) for e in edits]):
            return policy(obs)[0]

    try:
        return eval_rollout(policy, venv, seed, states, max_steps, stop_at_corner, targets,
                            deterministic, act if edits else None)
    finally:
        venv.close()


__all__ = ["MODES", "Edit", "intervene", "rollout"]
