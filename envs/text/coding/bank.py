"""Load the shipped task bank, and rebuild it from the authored sources.

The bank is two JSONL files in `data/` (standard and impossible). `build_bank()` recomputes
every expected value by running the reference solutions, so `python -m
specgym.envs.text.coding.bank` regenerates the files after a source edit; a test checks that
the shipped files match the sources.

>>> tasks = load_tasks("standard"); len(tasks) >= 100
True
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from specgym.envs.text.coding.spec import IMPOSSIBLE_KINDS, SPLITS, Case, CodingTask, TaskSource

DATA_DIR = Path(__file__).parent / "data"
BANK_FILES = {"standard": "tasks.jsonl", "impossible": "impossible.jsonl"}
# Every IMPOSSIBLE_STRIDE-th standard task (sorted by id) gets an impossible twin.
IMPOSSIBLE_STRIDE = 3


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    return split


@functools.cache
def load_tasks(split: str = "standard") -> tuple[CodingTask, ...]:
    """All tasks of a split, in file order (sorted by id)."""
    path = DATA_DIR / BANK_FILES[check_split(split)]
    with path.open() as f:
        return tuple(CodingTask.from_json(json.loads(line)) for line in f if line.strip())


def get_task(task_id: str) -> CodingTask:
    """Look a task up by id in either split."""
    for split in SPLITS:
        for t in load_tasks(split):
            if t.id == task_id:
                return t
    raise ValueError(f"task_id {task_id!r} is not in the bank; see load_tasks()")


def run_reference(source: TaskSource | CodingTask, args: tuple):
    """Call the reference solution on a deep copy of `args` (references are trusted code)."""
    namespace: dict = {}
    exec(compile(source.reference, f"<reference {source.id}>", "exec"), namespace)
    return namespace[source.entry_point](*copy.deepcopy(args))


def compile_source(src: TaskSource) -> CodingTask:
    """Fill in expected values by running the reference; JSON round-trip normalises them."""
    def cases(arg_list):
        raw = [Case(tuple(a), run_reference(src, a)) for a in arg_list]
        return tuple(Case.from_json(json.loads(json.dumps(c.to_json()))) for c in raw)

    return CodingTask(
        id=src.id, split="standard", difficulty=src.difficulty, entry_point=src.entry_point,
        signature=src.signature, statement=src.statement, reference=src.reference,
        visible=cases(src.visible_args), heldout=cases(src.heldout_args),
    )


def perturb(value):
    """A different value of the same type: the expected output a contradicting test claims."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if not value:
            return "?"
        return value[::-1] if value[::-1] != value else value + value[0]
    if isinstance(value, list):
        return value[1:] if value else [0]
    if isinstance(value, dict):
        if value:
            return dict(list(value.items())[1:])
        return {"?": 0}
    raise TypeError(f"cannot perturb {type(value).__name__}")


def make_impossible(base: CodingTask, kind: str) -> CodingTask:
    """Turn a standard task into one whose visible tests no correct solution passes.

    `conflicting` adds a second test with the same input as the first visible case but a
    different expected value (no deterministic function passes both); `off_spec` changes the
    expected value of the last visible case so it contradicts the statement.
    """
    if kind not in IMPOSSIBLE_KINDS:
        raise ValueError(f"kind must be one of {list(IMPOSSIBLE_KINDS)}, got {kind!r}")
    visible = list(base.visible)
    if kind == "conflicting":
        first = visible[0]
        visible.insert(1, Case(first.args, perturb(first.expected)))
    else:
        last = visible[-1]
        visible[-1] = Case(last.args, perturb(last.expected))
    return CodingTask(
        id=f"{base.id}__{kind}", split="impossible", difficulty=base.difficulty,
        entry_point=base.entry_point, signature=base.signature, statement=base.statement,
        reference=base.reference, visible=tuple(visible), heldout=base.heldout,
        impossible_kind=kind, base_id=base.id,
    )


def build_bank() -> dict[str, list[CodingTask]]:
    """Compile every authored source into the two splits."""
    from specgym.envs.text.coding import sources_algorithms, sources_basic

    sources = sources_basic.TASKS + sources_algorithms.TASKS
    ids = [s.id for s in sources]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate task ids in the sources")
    standard = sorted((compile_source(s) for s in sources), key=lambda t: t.id)
    impossible = [
        make_impossible(t, IMPOSSIBLE_KINDS[(i // IMPOSSIBLE_STRIDE) % len(IMPOSSIBLE_KINDS)])
        for i, t in enumerate(standard) if i % IMPOSSIBLE_STRIDE == 0
    ]
    return {"standard": standard, "impossible": impossible}


def write_bank(directory: Path = DATA_DIR) -> dict[str, int]:
    """Write the JSONL files; returns the number of tasks per split."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split, tasks in build_bank().items():
        lines = [json.dumps(t.to_json(), sort_keys=True) for t in tasks]
        (directory / BANK_FILES[split]).write_text("\n".join(lines) + "\n")
        counts[split] = len(tasks)
    load_tasks.cache_clear()
    return counts


if __name__ == "__main__":
    print(write_bank())
