"""`specgym demo` tells the story on the shipped checkpoints and never stops on a missing part."""

from __future__ import annotations

import json

import pytest

from specgym import demo


def test_maze_story_page_and_picture(tmp_path):
    summary = demo.run_demo(tmp_path, mazes=6, vector_mazes=6, bench=False)
    maze = summary["maze"]
    assert set(maze["policies"]) == {"region5", "full"} and maze["mazes"] == 6
    for row in maze["policies"].values():
        for key in ("p_cheese", "p_corner", "p_timeout"):
            assert row[key]["n"] == 6 and row[key]["ci95"][0] <= row[key]["rate"] <= row[key]["ci95"][1]
    assert "delta_p_towards_cheese" in maze["cheese_vector"]["cheese_vector"]
    assert (tmp_path / "trajectories.png").stat().st_size > 5000
    page = (tmp_path / "README.md").read_text()
    assert "![both paths on one maze](trajectories.png)" in page and "P(corner first)" in page
    assert "Skipped: --no-bench was given." in page
    assert json.loads((tmp_path / "summary.json").read_text())["maze"]["mazes"] == 6


def test_missing_parts_are_skipped_with_their_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "MAZE_CHECKPOINTS", {"region5": tmp_path / "nope", "full": tmp_path})
    monkeypatch.setattr(demo, "lm_prerequisites", lambda: "bubblewrap (bwrap) is not installed")
    summary = demo.run_demo(tmp_path / "out")
    assert "shipped checkpoints missing" in summary["maze"]["skipped"]
    assert summary["lm"] == {"skipped": "bubblewrap (bwrap) is not installed"}
    page = (tmp_path / "out" / "README.md").read_text()
    assert "Skipped: bubblewrap (bwrap) is not installed." in page


def test_shipped_lm_checkpoints_are_found(tmp_path):
    from specgym.agents.lm.train.common import DONE

    (tmp_path / "ei_rubric").mkdir()
    (tmp_path / "ei_rubric" / DONE).write_text("{}")
    (tmp_path / "unfinished").mkdir()
    assert [p.name for p in demo.shipped_lm_checkpoints(tmp_path)] == ["ei_rubric"]
    assert demo.shipped_lm_checkpoints(tmp_path / "absent") == []


@pytest.mark.slow
def test_demo_benchmarks_the_default_model(tmp_path):
    summary = demo.run_demo(tmp_path, mazes=4, vector_mazes=4, episodes=1,
                            envs="PoliticalSycophancy-v0")
    lm = summary["lm"]
    assert "skipped" not in lm, lm
    assert lm["models"]["default"]["envs"]["specgym/PoliticalSycophancy-v0"]["n"] == 1
    assert (tmp_path / "bench.png").is_file() and "specgym bench --model default" in (
        tmp_path / "README.md").read_text()
