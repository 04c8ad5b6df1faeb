"""The documentation runs as written: every docs page is linked from the README, generated
tables are up to date, every `specgym` command in a fenced block parses, and the fast ones
(commands and Python examples) run; the slower ones run with ``-m slow``."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
# commands run by the fast suite / by -m slow; every other `specgym` command is parsed only
FAST_COMMANDS = ("specgym envs", "specgym maze show")
SLOW_COMMANDS = ("specgym eval maze", "specgym analyze maze")
# Python examples that need minutes or the language model: run with -m slow only
SLOW_EXAMPLES = ("retarget_experiment", "load_backend(")


def blocks(lang: str) -> list[tuple[str, str]]:
    """(page:line, body) of every fenced block in ``lang``."""
    out = []
    for page in PAGES:
        text = page.read_text()
        for m in FENCE.finditer(text):
            if m.group(1) == lang:
                line = text[: m.start()].count("\n") + 1
                out.append((f"{page.relative_to(ROOT)}:{line}", m.group(2)))
    return out


def commands() -> list[tuple[str, str]]:
    """(page:line, command) of every line of a bash block, comments stripped."""
    out = []
    for where, body in blocks("bash"):
        for line in body.splitlines():
            cmd = line.split(" #")[0].strip()
            if cmd:
                out.append((where, cmd))
    return out


SPECGYM = [(w, c) for w, c in commands() if c.startswith("specgym ")]
EXAMPLES = blocks("python")


def test_every_docs_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"](docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"


def test_generated_tables_are_up_to_date():
    run = subprocess.run([sys.executable, "docs/tables.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_relative_links_resolve():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


@pytest.mark.parametrize(("where", "cmd"), SPECGYM, ids=[w for w, _ in SPECGYM])
def test_every_specgym_command_parses(where, cmd):
    from specgym.cli import build_parser

    args = build_parser().parse_args(shlex.split(cmd)[1:])
    assert callable(args.func), where


@pytest.mark.parametrize(("where", "cmd"), [(w, c) for w, c in commands()
                                            if not c.startswith(("specgym ", "make "))])
def test_other_commands_name_files_that_exist(where, cmd):
    words = shlex.split(cmd)
    assert words[0] == "python" and (ROOT / words[1]).is_file(), f"{where}: {cmd}"


def _run(cmd: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=900,
                          env={"PYTHONPATH": str(ROOT), "PATH": _path(), "HOME": str(tmp_path)})


def _path() -> str:
    import os

    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _link_repo_files(tmp_path: Path) -> None:
    """Commands name repository paths (checkpoints/, configs/): run them beside links to those."""
    for name in ("checkpoints", "configs", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)


FAST = [(w, c) for w, c in SPECGYM if c.startswith(FAST_COMMANDS)]
# (commands on a run folder the reader makes first, e.g. runs/maze_region5/..., only parse)
SLOW = [(w, c) for w, c in SPECGYM
        if c.startswith(SLOW_COMMANDS) and "--checkpoint checkpoints/" in c]


@pytest.mark.parametrize(("where", "cmd"), FAST, ids=[w for w, _ in FAST])
def test_fast_commands_run(where, cmd, tmp_path):
    _link_repo_files(tmp_path)
    run = _run(shlex.split(cmd), tmp_path)
    assert run.returncode == 0, f"{where}: {cmd}\n{run.stderr[-2000:]}"
    assert "unmaintained" not in run.stderr  # no foreign banner reaches the user


@pytest.mark.slow
@pytest.mark.parametrize(("where", "cmd"), SLOW, ids=[w for w, _ in SLOW])
def test_slow_commands_run(where, cmd, tmp_path):
    _link_repo_files(tmp_path)
    run = _run(shlex.split(cmd), tmp_path)
    assert run.returncode == 0, f"{where}: {cmd}\n{run.stderr[-2000:]}"


def _example_params(slow: bool):
    chosen = [(w, b) for w, b in EXAMPLES if any(s in b for s in SLOW_EXAMPLES) == slow]
    return pytest.mark.parametrize(("where", "code"), chosen, ids=[w for w, _ in chosen])


@_example_params(slow=False)
def test_fast_python_examples_run(where, code, tmp_path):
    _link_repo_files(tmp_path)
    run = _run([sys.executable, "-c", "import torch; torch.set_num_threads(1)\n" + code],
               tmp_path)
    assert run.returncode == 0, f"{where}\n{run.stderr[-3000:]}"


@pytest.mark.slow
@_example_params(slow=True)
def test_slow_python_examples_run(where, code, tmp_path):
    _link_repo_files(tmp_path)
    run = _run([sys.executable, "-c", code], tmp_path)
    assert run.returncode == 0, f"{where}\n{run.stderr[-3000:]}"


def test_specgym_help_prints_only_specgym(tmp_path):
    run = _run([sys.executable, "-m", "specgym", "--help"], tmp_path)
    assert run.returncode == 0 and run.stderr == "" and run.stdout.startswith("usage: specgym")


def test_training_imports_no_old_gym(tmp_path):
    """SB3 would import the old gym (and print its notice); only procgen envs may."""
    code = ("import sys, specgym.agents.ppo.train, specgym.cli; "
            "assert 'gym' not in sys.modules and 'gym3' not in sys.modules")
    run = _run([sys.executable, "-c", code], tmp_path)
    assert run.returncode == 0 and run.stderr == "", run.stderr
