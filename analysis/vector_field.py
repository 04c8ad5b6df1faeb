"""The policy's vector field: at every open cell, the expected move under its action probabilities.

`vector_field(policy, state)` places the mouse on every open cell (cheese where it is) and
returns arrows (row, col, d_col, d_row) with length = P(move) summed per direction;
`save_vector_fields` draws several fields side by side (e.g. before and after an intervention).

>>> before = vector_field(policy, state)
>>> with intervene(policy, [edit]):  # edit must use shared cells (not per-sample ones)
...     after = vector_field(policy, state)
>>> save_vector_fields(state, [before, after], ["original", "retargeted"], "vfield.png")
"""

from __future__ import annotations

import numpy as np

from specgym.analysis.activations import forward_obs, observe
from specgym.envs.maze.actions import ACTION_DCOL, ACTION_DROW
from specgym.envs.maze.geometry import open_cells


def field_states(state):
    """(states with the mouse on every open cell except the cheese's, their cells)."""
    cells = [c for c in open_cells(state) if state.cheese is None or c != tuple(state.cheese)]
    states = []
    for c in cells:
        t = state.copy()
        t.mouse = c
        states.append(t)
    return states, cells


def vector_field(policy, state, env: str = "native") -> np.ndarray:
    """(K, 4) array of (row, col, d_col, d_row_up): the expected move at each open cell."""
    states, cells = field_states(state)
    probs = forward_obs(policy, observe(states, policy.config.input, env), batch=len(states))[0].numpy()
    dcol = probs @ ACTION_DCOL.astype(float)
    dup = probs @ (-ACTION_DROW).astype(float)
    arr = np.array(cells, dtype=float)
    return np.column_stack([arr[:, 0], arr[:, 1], dcol, dup])


def save_vector_fields(state, fields, titles, path, marks=None):
    """Draw the maze with each field's arrows, side by side; `marks` are cells to circle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specgym.analysis.maze_plots import maze_image

    fig, axes = plt.subplots(1, len(fields), figsize=(3.6 * len(fields), 3.8), squeeze=False)
    for ax, f, title in zip(axes[0], fields, titles, strict=True):
        ax.imshow(maze_image(state), interpolation="nearest")
        ax.quiver(f[:, 1], f[:, 0], f[:, 2], f[:, 3], color="red", angles="xy", scale_units="xy",
                  scale=1.4, width=0.006)
        for cell in marks or []:
            ax.plot(cell[1], cell[0], "o", markersize=9, markerfacecolor="none", markeredgecolor="cyan")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


__all__ = ["field_states", "save_vector_fields", "vector_field"]
