"""Pictures of mazes: a grid of rendered mazes, saved as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from specgym.envs.maze.render import PALETTE, tiles_of  # noqa: E402
from specgym.envs.maze.state import MazeState  # noqa: E402


def maze_image(state: MazeState):
    """One image pixel per cell, procgen's colours, for crisp plots at any size."""
    return PALETTE[tiles_of(state)]


def save_maze_grid(states: list[MazeState], path: str | Path, titles: list[str] | None = None,
                   columns: int = 4) -> Path:
    """Draw several mazes side by side with the top-right corner marked; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (len(states) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(states):
            continue
        state = states[k]
        ax.imshow(maze_image(state), interpolation="nearest")
        top, right = state.corner
        ax.plot(right, top, marker="s", markersize=4, markerfacecolor="none", markeredgecolor="red")
        if titles:
            ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


__all__ = ["maze_image", "save_maze_grid"]
