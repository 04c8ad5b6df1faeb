"""Ship a curriculum run between machines: what a resume needs, small enough for the repository.

A curriculum run takes longer than one working session, and a session may start on a fresh
machine. `snapshot_run` copies from a run folder only what the results and a resume need:

- the matrix, the runner's state and config, the tampering transcripts;
- each stage's training metrics and state, and its model when that is a LoRA adapter (weights
  and config, a few MB), the final one or, mid-stage, expert iteration's checkpoint;
- the evaluation episodes a resume extends: every cell not yet complete in the matrix, and the
  held-out cells of the control row and the last row, which grow to the headline size at the end.

It leaves out the GGUF exports, the tokenizer copies, the sampled training episodes and the
complete cells' episodes, which a resume rebuilds or never reads. Snapshot a stopped run: a
live one may be between writing its weights and its state. `restore_run` puts a snapshot into
an empty run folder, after which `specgym curriculum run` continues where the run stopped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from specgym.agents.lm.train.common import DONE

MAX_FILE_BYTES = 20 * 2**20
"""No shipped file may be larger (the project's rule for artefacts)."""
RUN_FILES = ("matrix.json", "matrix.png", "state.json", "config.yaml")
TRAIN_FILES = ("metrics.jsonl", "state.json", "config.yaml")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def snapshot_files(run: Path) -> tuple[list[Path], list[str]]:
    """(files to ship, relative to ``run``; reasons for what a resume needs but cannot ship)."""
    files = [Path(f) for f in RUN_FILES if (run / f).is_file()]
    files += sorted(p.relative_to(run) for p in (run / "tampering").glob("*.jsonl"))
    files += _eval_files_to_extend(run)
    skipped = []
    for train in sorted(run.glob("*/train")):
        if (train / "checkpoints").is_dir() and not (train / "final" / DONE).is_file():
            skipped.append(f"{train.relative_to(run)}/checkpoints: a GRPO checkpoint is not "
                           "shipped; that stage restarts")
        files += [p.relative_to(run) for p in (train / f for f in TRAIN_FILES) if p.is_file()]
        for name in ("final", "checkpoint"):
            model = train / name
            if not (model / DONE).is_file() or (name == "checkpoint" and (train / "final" / DONE).is_file()):
                continue
            if not json.loads((model / DONE).read_text()).get("adapter"):
                skipped.append(f"{model.relative_to(run)}: a full checkpoint, too large to ship")
                continue
            files.append(model.relative_to(run) / DONE)
            files += [model.relative_to(run) / "adapter" / f for f in ADAPTER_FILES]
    return files, skipped


def _eval_files_to_extend(run: Path) -> list[Path]:
    """Episode files of cells a resume still runs: incomplete ones, and the held-out cells
    of the first and last rows (extended to the headline size once every row is done)."""
    matrix_path = run / "matrix.json"
    if not matrix_path.is_file():
        return []
    matrix = json.loads(matrix_path.read_text())
    rows, held = matrix.get("rows", []), set(matrix.get("held_out", []))
    out = []
    for f in sorted(run.glob("*/eval/*.jsonl")):
        index, _, row = f.parent.parent.name.partition("_")
        if not index.isdigit() or row not in rows:
            continue
        n_done = sum(1 for line in f.open() if line.strip())
        cell = (matrix.get("cells", {}).get(row) or {}).get(f.stem) or {}
        headline = f.stem in held and int(index) in (0, len(rows) - 1)
        if cell.get("n") != n_done or headline:
            out.append(f.relative_to(run))
    return out


def snapshot_run(run: str | Path, out: str | Path) -> list[str]:
    """Replace ``out`` with the shippable part of the run folder ``run``; return what a resume
    would need but was left out (full checkpoints). Raises if a file exceeds 20 MB."""
    run, out = Path(run), Path(out)
    if not (run / "state.json").is_file():
        raise FileNotFoundError(f"{str(run)!r} is not a curriculum run folder (no state.json)")
    files, skipped = snapshot_files(run)
    for f in files:
        size = (run / f).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{f} is {size / 2**20:.1f} MB, over the 20 MB limit for shipped files")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for f in files:
        (tmp / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(run / f, tmp / f)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return skipped


def restore_run(snapshot: str | Path, run: str | Path) -> bool:
    """Copy ``snapshot`` into ``run`` when ``run`` holds no run yet; True if it copied. A run
    already there is never overwritten (it is newer than any snapshot of it)."""
    from specgym.agents.lm.adapters import NAMED_ADAPTERS

    snapshot, run = Path(snapshot), Path(run)
    if not (snapshot / "state.json").is_file():
        raise FileNotFoundError(f"{str(snapshot)!r} is not a curriculum snapshot (no state.json)")
    if (run / "state.json").is_file():
        return False
    if run.is_dir() and any(run.iterdir()):
        raise ValueError(f"run_dir {str(run)!r} holds files but no state.json: move it away to "
                         "restore the snapshot, or rerun without --resume-from to continue it")
    shutil.copytree(snapshot, run, dirs_exist_ok=True)
    state = json.loads((run / "state.json").read_text())
    for row, model in state.get("models", {}).items():
        tail = Path(*Path(model).parts[-3:])  # <i>_<row>/train/final, wherever the run was
        if len(Path(model).parts) >= 3 and (run / tail / DONE).is_file():
            state["models"][row] = str(run / tail)
        elif model not in NAMED_ADAPTERS and model != "default" and not Path(model).exists():
            raise FileNotFoundError(f"the snapshot's row {row!r} needs model {model!r}, which it "
                                    "does not hold (a full checkpoint is never shipped)")
    (run / "state.json").write_text(json.dumps(state, indent=2))
    return True
