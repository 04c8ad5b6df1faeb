"""Shipping a curriculum run between machines: the snapshot holds what a resume needs (state,
matrix, tampering transcripts, metrics, LoRA adapters) and nothing a resume rebuilds; a run
restored from it elsewhere continues without redoing a finished row."""

from __future__ import annotations

import json

import pytest

import specgym.agents.lm.train.common as common
import specgym.curricula.runner as runner
from specgym.agents.lm.train.common import DONE, save_model
from specgym.curricula.run_snapshot import restore_run, snapshot_files, snapshot_run
from specgym.curricula.runner import run_curriculum
from tests.lm_train.conftest import ScriptedBackend, needs_bwrap
from tests.lm_train.test_adapter_chain import tiny_peft_model_and_tokenizer
from tests.lm_train.test_curriculum import Interrupted, tiny_config


def write(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_snapshot_keeps_adapters_and_results_and_drops_what_a_resume_rebuilds(tmp_path):
    run = tmp_path / "run"
    model, tok = tiny_peft_model_and_tokenizer()
    final = save_model(model, tok, run / "1_a" / "train" / "final", base="helpful")
    write(final / "model.gguf")
    ckpt = save_model(model, tok, run / "2_b" / "train" / "checkpoint", base=str(final))
    write(run / "3_c" / "train" / "final" / DONE, json.dumps({"base": "default", "adapter": False}))
    for f in ("state.json", "tampering/0_before.jsonl", "1_a/train/metrics.jsonl",
              "2_b/train/state.json", "2_b/train/iter_0/episodes.jsonl"):
        write(run / f, "{}")
    write(run / "matrix.json", json.dumps({
        "rows": ["before", "a", "b"], "held_out": ["rt"],
        "cells": {"before": {"rt": {"n": 2}}, "a": {"x": {"n": 2}, "rt": {"n": 2}}, "b": {"rt": {"n": 2}}}}))
    for f, n in (("1_a/eval/x.jsonl", 2), ("1_a/eval/y.jsonl", 1), ("1_a/eval/rt.jsonl", 2),
                 ("0_before/eval/rt.jsonl", 2), ("2_b/eval/rt.jsonl", 2), ("2_b/eval/x.jsonl", 1)):
        write(run / f, "{}\n" * n)
    write(run / "4_d" / "train" / "checkpoints" / "checkpoint-3" / "trainer_state.json", "{}")
    files, skipped = snapshot_files(run)
    names = {str(f) for f in files}
    assert {"state.json", "matrix.json", "tampering/0_before.jsonl", "1_a/train/metrics.jsonl",
            "2_b/train/state.json", f"1_a/train/final/{DONE}",
            "1_a/train/final/adapter/adapter_model.safetensors",
            "2_b/train/checkpoint/adapter/adapter_config.json"} <= names
    assert not any(n.endswith(("model.gguf", "tokenizer.json")) or "iter_" in n for n in names)
    # episodes a resume extends: unfinished cells, and the first and last rows' held-out cells
    assert {n for n in names if "/eval/" in n} == {
        "1_a/eval/y.jsonl", "2_b/eval/x.jsonl", "0_before/eval/rt.jsonl", "2_b/eval/rt.jsonl"}
    assert skipped == ["3_c/train/final: a full checkpoint, too large to ship",
                       "4_d/train/checkpoints: a GRPO checkpoint is not shipped; that stage restarts"]
    out = tmp_path / "shipped"
    snapshot_run(run, out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(names)
    assert ckpt.is_dir()


def test_snapshot_refuses_a_file_over_20_mb(tmp_path):
    run = tmp_path / "run"
    write(run / "state.json", "{}")
    with open(run / "matrix.png", "wb") as fh:
        fh.truncate(21 * 2**20)
    with pytest.raises(ValueError, match=r"matrix.png is 21.0 MB, over the 20 MB limit"):
        snapshot_run(run, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_restore_never_overwrites_a_run_and_names_a_bad_snapshot(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a curriculum snapshot"):
        restore_run(tmp_path / "nothing", tmp_path / "run")
    write(tmp_path / "snap" / "state.json", json.dumps({"finished": ["before"], "models": {}}))
    write(tmp_path / "run" / "state.json", json.dumps({"finished": [], "models": {}}))
    assert restore_run(tmp_path / "snap", tmp_path / "run") is False
    assert json.loads((tmp_path / "run" / "state.json").read_text())["finished"] == []
    write(tmp_path / "started" / "0_before" / "eval" / "x.jsonl", "{}\n")
    with pytest.raises(ValueError, match="holds files but no state.json"):
        restore_run(tmp_path / "snap", tmp_path / "started")
    write(tmp_path / "snap2" / "state.json",
          json.dumps({"finished": ["a"], "models": {"a": "runs/x/1_a/train/final"}}))
    with pytest.raises(FileNotFoundError, match="does not hold"):
        restore_run(tmp_path / "snap2", tmp_path / "fresh")


@needs_bwrap
def test_a_run_restored_on_another_path_resumes_without_redoing_a_row(tmp_path, monkeypatch):
    """Stage 1 trains a real (tiny) adapter, the run is killed in stage 2, snapshotted, and
    restored under another folder: the rerun trains stage 2 from the restored stage-1 adapter."""
    trained = []
    model, tok = tiny_peft_model_and_tokenizer()

    def fake_train(cfg, progress_bar=True):
        trained.append(cfg.model)
        if len(trained) == 2 and not getattr(fake_train, "resumed", False):
            raise Interrupted
        return save_model(model, tok, f"{cfg.run_dir}/final", base=cfg.model)

    monkeypatch.setattr(runner, "train_lm", fake_train)
    monkeypatch.setattr(common, "load_model", lambda m, **kw: ScriptedBackend(["(A)"], max_batch=2))
    with pytest.raises(Interrupted):
        run_curriculum(tiny_config(tmp_path), progress_bar=False, log=lambda *_: None)
    snapshot_run(tmp_path / "cur", tmp_path / "shipped")

    elsewhere = tmp_path / "other_machine" / "cur"
    assert restore_run(tmp_path / "shipped", elsewhere)
    stage1 = elsewhere / "1_political_sycophancy" / "train" / "final"
    assert json.loads((elsewhere / "state.json").read_text())["models"]["political_sycophancy"] == str(stage1)
    fake_train.resumed = True
    trained.clear()
    config = tiny_config(tmp_path, overrides=[f"run_dir={elsewhere}"])
    m = run_curriculum(config, progress_bar=False, log=lambda *_: None)
    assert trained == [str(stage1)]  # only stage 2, from the restored adapter
    assert m["rows"] == ["before", "political_sycophancy", "tool_use_flattery"]
    meta = json.loads((elsewhere / "2_tool_use_flattery" / "train" / "final" / DONE).read_text())
    assert meta["base"] == config.train.model  # the chain's root, not a folder on the old path
