"""Packaging: the folder layout maps onto `specgym.*` in a built wheel, and the CLI runs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        check=True,
    )
    (path,) = out.glob("specgym-*.whl")
    return path


def test_wheel_maps_folders_onto_specgym(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "specgym/__init__.py", "specgym/cli.py", "specgym/envs/__init__.py",
        "specgym/envs/maze/env.py", "specgym/envs/maze/vector.py", "specgym/agents/__init__.py",
        "specgym/curricula/__init__.py", "specgym/analysis/__init__.py",
    ]:
        assert expected in names, expected
    assert not any(n.startswith(("envs/", "tests/", "benchmarks/")) for n in names)


def test_wheel_imports_outside_the_repository(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    site = str(tmp_path / "site")
    code = (
        "import specgym, specgym.envs.maze, gymnasium as gym; "
        f"assert specgym.__file__.startswith({site!r}); "
        "env = gym.make('specgym/Maze-v0'); print(env.reset(seed=0)[0].shape)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); {code}"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "(64, 64, 3)" in result.stdout


def test_cli_lists_envs_and_draws_a_maze(tmp_path):
    envs = subprocess.run([sys.executable, "-m", "specgym", "envs"], capture_output=True, text=True)
    assert envs.returncode == 0 and "specgym/Maze-v0" in envs.stdout
    png = tmp_path / "maze.png"
    show = subprocess.run(
        [sys.executable, "-m", "specgym", "maze", "show", "--seed", "3", "--size", "7",
         "--cheese-region", "3", "--png", str(png)],
        capture_output=True, text=True,
    )
    assert show.returncode == 0, show.stderr
    assert "maze 7x7" in show.stdout and "M" in show.stdout and png.stat().st_size > 1000
    bad = subprocess.run(
        [sys.executable, "-m", "specgym", "maze", "show", "--size", "4"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "maze_size" in bad.stderr
