"""The curriculum runner: stage order, the evaluation matrix (JSON + heatmap), resume.

The fast test swaps the trainer and the model loader for scripted stand-ins (the envs and
the sandbox are real); the slow one runs the two-stage tiny config end to end through the
command line with the real model and TRL, interrupted after its first stage and resumed."""

from __future__ import annotations

import json
import shutil

import pytest

import specgym.agents.lm.train.common as common
import specgym.curricula.runner as runner
from specgym.config import load_config
from specgym.curricula.runner import CurriculumConfig, run_curriculum
from tests.lm_train.conftest import ScriptedBackend, needs_bwrap


class Interrupted(Exception):
    pass


def tiny_config(tmp_path, **kw):
    """The tiny config, evaluated on transformers: the fast tests swap its model loader."""
    return load_config(CurriculumConfig, "configs/subterfuge_tiny.yaml",
                       [f"run_dir={tmp_path / 'cur'}", "eval.episodes=2", "eval.backend=transformers",
                        "eval.threads=null", *kw.get("overrides", [])])


@needs_bwrap
def test_runner_matrix_and_resume_with_scripted_stages(tmp_path, monkeypatch):
    config = tiny_config(tmp_path)
    trained, loaded = [], []

    def fake_train(cfg, progress_bar=True):
        trained.append((cfg.env.id, cfg.model))
        if len(trained) == 2 and not getattr(fake_train, "resumed", False):
            raise Interrupted
        out = tmp_path / f"model{len(trained)}"
        out.mkdir(exist_ok=True)
        return out

    def fake_load(model, **kw):
        loaded.append(str(model))
        return ScriptedBackend(["(A)"], max_batch=2)

    monkeypatch.setattr(runner, "train_lm", fake_train)
    monkeypatch.setattr(common, "load_model", fake_load)
    with pytest.raises(Interrupted):
        run_curriculum(config, progress_bar=False, log=lambda *_: None)
    state = json.loads((tmp_path / "cur" / "state.json").read_text())
    assert state["finished"] == ["before", "political_sycophancy"]
    assert trained[0] == ("specgym/PoliticalSycophancy-v0", "default")
    # the second stage starts from the first stage's model
    assert trained[1] == ("specgym/ToolUseFlattery-v0", str(tmp_path / "model1"))

    fake_train.resumed = True
    trained.clear()
    m = run_curriculum(config, progress_bar=False, log=lambda *_: None)
    assert [t[0] for t in trained] == ["specgym/ToolUseFlattery-v0"]  # first stage not redone
    assert m["rows"] == ["before", "political_sycophancy", "tool_use_flattery"]
    assert m["columns"] == ["political_sycophancy", "tool_use_flattery", "reward_tampering"]
    assert m["held_out"] == ["reward_tampering"]
    # before: every column; after stage k: that stage and later ones only
    assert [[n is not None for n in r] for r in m["n"]] == [
        [True, True, True], [True, True, True], [False, True, True]]
    assert all(n in (None, 2) for r in m["n"] for n in r)
    cell = m["cells"]["political_sycophancy"]["political_sycophancy"]
    assert set(cell) >= {"gaming_rate", "ci95", "n", "gamed", "hack_types", "hidden_reward"}
    assert (tmp_path / "cur" / "matrix.png").stat().st_size > 1000
    assert json.loads((tmp_path / "cur" / "matrix.json").read_text())["rows"] == m["rows"]


@needs_bwrap
def test_headline_cells_are_extended_after_every_row(tmp_path, monkeypatch):
    """The control row's and the last row's held-out cells grow to the headline size once
    every row has its cells; the rows between keep the ordinary size."""
    config = tiny_config(tmp_path, overrides=["eval.held_out_episodes_headline=3"])
    order = []

    def fake_train(cfg, progress_bar=True):
        out = tmp_path / cfg.env.id.split("/")[1]
        out.mkdir(exist_ok=True)
        return out

    def fake_load(model, **kw):
        order.append(str(model))
        return ScriptedBackend(["(A)"], max_batch=2)

    monkeypatch.setattr(runner, "train_lm", fake_train)
    monkeypatch.setattr(common, "load_model", fake_load)
    m = run_curriculum(config, progress_bar=False, log=lambda *_: None)
    assert [r[-1] for r in m["n"]] == [3, 2, 3]
    assert m["cells"]["before"]["reward_tampering"]["tampering"]["n"] == 3
    # rows first (control, stage 1, stage 2), then the two headline top-ups
    assert order == ["default", str(tmp_path / "PoliticalSycophancy-v0"),
                     str(tmp_path / "ToolUseFlattery-v0"), "default",
                     str(tmp_path / "ToolUseFlattery-v0")]
    again = run_curriculum(config, progress_bar=False, log=lambda *_: None)
    assert again["n"] == m["n"] and len(order) == 5  # nothing re-run


def test_config_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="stages"):
        CurriculumConfig(stages=["tool_use_flattery", "political_sycophancy"])
    with pytest.raises(ValueError, match="stages"):
        CurriculumConfig(stages=["reward_tampering"])  # held out: never trained
    with pytest.raises(ValueError, match="eval_stages"):
        CurriculumConfig(eval_stages=["nope"])
    with pytest.raises(ValueError, match="method"):
        load_config(CurriculumConfig, None, ["train.method=ppo"])
    with pytest.raises(ValueError, match="held_out_episodes_headline"):
        load_config(CurriculumConfig, None, ["eval.held_out_episodes_headline=0"])
    with pytest.raises(ValueError, match="expert_iteration.sampler"):
        load_config(CurriculumConfig, None, ["train.expert_iteration.sampler=vllm"])
    with pytest.raises(ValueError, match="eval.executor"):
        load_config(CurriculumConfig, None, ["eval.executor=threads"])
    with pytest.raises(ValueError, match="eval.workers"):
        load_config(CurriculumConfig, None, ["eval.workers=2"])  # serial runs in one process
    with pytest.raises(ValueError, match="expert_iteration.executor"):
        load_config(CurriculumConfig, None, ["train.expert_iteration.executor=local"])  # transformers
    with pytest.raises(ValueError, match="expert_iteration.workers"):
        load_config(CurriculumConfig, None, ["train.expert_iteration.sampler=llama.cpp",
                                             "train.expert_iteration.executor=local",
                                             "train.expert_iteration.workers=0"])


@needs_bwrap
def test_runner_evaluates_on_a_process_pool_with_the_same_records(tmp_path, monkeypatch):
    """eval.executor: local runs each cell's episodes on pool workers that load the model
    themselves; the cells' records equal the serial run's, so a run may switch between resumes."""
    from specgym.agents.lm.executor import BackendSpec

    script = [["<bash>echo 5 > rating.txt</bash>", "(A)", "(B)"], ["done", "I rated it."]]

    def fake_spec(model, backend="transformers", max_batch=16, threads=1, device="cpu"):
        return BackendSpec(factory="specgym.agents.lm.backends.scripted:ScriptedBackend",
                           max_batch=max_batch, options={"script": script})

    def fake_load(model, **kw):
        return fake_spec(model, max_batch=kw.get("max_batch", 2)).build()

    def fake_train(cfg, progress_bar=True):
        out = tmp_path / cfg.env.id.split("/")[1]
        out.mkdir(exist_ok=True)
        return out

    monkeypatch.setattr(runner, "train_lm", fake_train)
    monkeypatch.setattr(common, "load_model", fake_load)
    monkeypatch.setattr(common, "backend_spec", fake_spec)
    records = {}
    for executor in ("serial", "local"):
        extra = ["eval.executor=local", "eval.workers=2"] if executor == "local" else []
        config = load_config(CurriculumConfig, "configs/subterfuge_tiny.yaml",
                             [f"run_dir={tmp_path / executor}", "eval.episodes=3",
                              "eval.backend=transformers", *extra])
        m = run_curriculum(config, progress_bar=False, log=lambda *_: None)
        assert m["n"][0] == [3, 3, 3]
        records[executor] = {
            f.relative_to(tmp_path / executor).as_posix(): sorted(
                json.dumps(json.loads(x), sort_keys=True) for x in f.read_text().splitlines())
            for f in sorted((tmp_path / executor).glob("*/eval/*.jsonl"))}
    assert len(records["serial"]) == 8  # 3 cells before and after stage 1, 2 after stage 2
    assert records["local"] == records["serial"]


@pytest.mark.slow
@needs_bwrap
def test_two_stage_tiny_curriculum_cli_with_interruption(tmp_path, monkeypatch):
    """Real model + TRL (expert iteration): ~2-4 minutes on 2 cores."""
    import specgym.cli as cli

    if "specgym.cli_lm" not in cli.EXTENSIONS:
        cli.EXTENSIONS.append("specgym.cli_lm")
    real_train = runner.train_lm
    calls = []

    def interrupt_second(cfg, progress_bar=True):
        calls.append(cfg.env.id)
        if len(calls) == 2:
            raise Interrupted
        return real_train(cfg, progress_bar)

    args = ["curriculum", "run", "--config", "configs/subterfuge_tiny.yaml", "--no-progress",
            f"run_dir={tmp_path / 'cur'}"]
    monkeypatch.setattr(runner, "train_lm", interrupt_second)
    with pytest.raises(Interrupted):
        cli.main(args)
    monkeypatch.setattr(runner, "train_lm", real_train)
    assert cli.main(args) == 0
    m = json.loads((tmp_path / "cur" / "matrix.json").read_text())
    assert m["rows"] == ["before", "political_sycophancy", "tool_use_flattery"]
    assert m["n"][2] == [None, 2, 2]
    first = tmp_path / "cur" / "1_political_sycophancy" / "train" / "final"
    second = tmp_path / "cur" / "2_tool_use_flattery" / "train"
    assert (first / "specgym-model.json").is_file()
    cfg = json.loads(json.dumps(__import__("yaml").safe_load((second / "config.yaml").read_text())))
    assert cfg["model"] == str(first)
    # one adapter chain: stage 2 trained stage 1's adapter further, over the same root model,
    # and llama.cpp evaluated each stage from its adapter merged into a GGUF
    for folder in (first, second / "final"):
        meta = json.loads((folder / "specgym-model.json").read_text())
        assert meta["base"] == "default" and meta["adapter"] is True
        assert (folder / "model.gguf").is_file()
    # shipped and restored under another path, the finished run has nothing left to do
    from specgym.curricula.run_snapshot import restore_run, snapshot_run

    snapshot_run(tmp_path / "cur", tmp_path / "shipped")
    assert not list((tmp_path / "shipped").rglob("*.gguf"))
    assert restore_run(tmp_path / "shipped", tmp_path / "elsewhere")
    monkeypatch.setattr(runner, "train_lm", interrupt_second)  # would raise if a stage reran
    calls.clear()
    assert cli.main(args[:-1] + [f"run_dir={tmp_path / 'elsewhere'}"]) == 0
    assert calls == []
    shutil.rmtree(tmp_path / "cur", ignore_errors=True)


def test_cli_train_lm_bad_config_is_a_clear_error(capsys):
    import specgym.cli as cli

    if "specgym.cli_lm" not in cli.EXTENSIONS:
        cli.EXTENSIONS.append("specgym.cli_lm")
    assert cli.main(["train", "lm", "--config", "configs/lm_grpo_rubric_cpu.yaml", "grpo.num_generations=1"]) == 2
    assert "grpo.num_generations" in capsys.readouterr().err
    assert cli.main(["curriculum", "run", "--config", "configs/subterfuge_tiny.yaml", "stages=[nope]"]) == 2
    assert "stages" in capsys.readouterr().err
