"""Reset options shared by the single and the vector maze: start from a state, move things."""

from __future__ import annotations

from specgym.envs.maze.state import MazeState

RESET_OPTION_KEYS = ("state", "cheese", "mouse")


def check_reset_options(options: dict | None, extra_keys: tuple[str, ...] = ()) -> dict:
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
    allowed = RESET_OPTION_KEYS + extra_keys
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"options: unknown keys {unknown}; allowed: {list(allowed)}")
    return options


def edit_state(state: MazeState, options: dict) -> MazeState:
    """Apply `cheese` / `mouse` placement options to a freshly generated state.

    `cheese=None` removes the cheese; a cell (row, col) moves it there.
    """
    state = options["state"].copy() if "state" in options else state
    if "cheese" in options:
        cell = options["cheese"]
        state.cheese = None if cell is None else _as_cell("cheese", cell)
    if "mouse" in options:
        state.mouse = _as_cell("mouse", options["mouse"])
    return state


def _as_cell(name: str, cell) -> tuple[int, int]:
    try:
        row, col = cell
        return (int(row), int(col))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a (row, col) pair or None, got {cell!r}") from None


def check_render_mode(render_mode: str | None, modes: list[str]) -> str | None:
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode: expected one of {modes} or None, got {render_mode!r}")
    return render_mode
