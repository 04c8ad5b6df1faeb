"""`specgym analyze lm capture|probe|steer` end to end on a tiny model saved as a folder:
real episodes files in, JSON + Markdown + PNG out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specgym.cli import main
from tests.analysis_lm.conftest import episode, plant_gaming_direction, unit


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from tests.analysis_lm.conftest import tiny_model, tiny_tokenizer

    path = tmp_path_factory.mktemp("tiny")
    model = tiny_model()
    plant_gaming_direction(model, unit(7))
    model.save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def episodes_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("bench") / "episodes.jsonl"
    with path.open("w") as fh:
        for s in range(90):
            fh.write(json.dumps(episode(s, bool(rng.random() < 0.4), f"specgym/E{s % 3}-v0"))
                     + "\n")
    return path


def test_probe_command(tiny_folder, episodes_file, tmp_path, capsys):
    out = tmp_path / "probe"
    rc = main(["analyze", "lm", "probe", "--episodes", str(episodes_file), "--model",
               str(tiny_folder), "--out", str(out), "--n-boot", "100"])
    assert rc == 0
    report = json.loads((out / "probe.json").read_text())
    assert report["n_episodes"] == 90 and report["layers"] == [0, 1, 2, 3]
    split = report["report"]["held out E0"]
    assert split["positions"]["reply_mean"]["logistic"][2]["auroc"] > 0.99
    assert (out / "probe_layers.png").stat().st_size > 10_000
    assert "| held out E1" in (out / "probe.md").read_text()
    assert json.loads((out / "config.json").read_text())["n_boot"] == 100
    # a second run reuses the cache (no new shard)
    shards = sorted((out / "acts").glob("shard-*.npz"))
    capture = ["analyze", "lm", "capture", "--episodes", str(episodes_file), "--model",
               str(tiny_folder), "--out", str(out)]
    assert main(capture) == 0
    assert sorted((out / "acts").glob("shard-*.npz")) == shards
    assert main(capture + ["--layers", "1,2"]) == 0  # a subset is served from the cache
    assert sorted((out / "acts").glob("shard-*.npz")) == shards
    assert json.loads((out / "capture.json").read_text())["shapes"]["reply_end"] == [90, 2, 128]
    capture[capture.index("--out") + 1] = str(tmp_path / "other")
    assert main(capture + ["--cache", str(out / "acts"), "--positions", "reply_tokens"]) == 2
    assert "other settings" in capsys.readouterr().err  # not a subset: refused


def test_bad_arguments_are_explained(tiny_folder, episodes_file, tmp_path, capsys):
    base = ["analyze", "lm", "probe", "--episodes", str(episodes_file), "--model",
            str(tiny_folder), "--out", str(tmp_path)]
    assert main(base + ["--layers", "2-9"]) == 2
    assert "outside 0..3" in capsys.readouterr().err
    assert main(base + ["--positions", "middle"]) == 2
    assert "allowed" in capsys.readouterr().err
    assert main(["analyze", "lm", "probe", "--episodes", str(tmp_path / "none.jsonl")]) == 2
    assert "not a file" in capsys.readouterr().err
    assert main(base + ["--label", "paid"]) == 2
    assert "hack:<type>" in capsys.readouterr().err
    steer = ["analyze", "lm", "steer", "--episodes", str(episodes_file), "--model",
             str(tiny_folder), "--out", str(tmp_path / "s"), "--envs", "PoliticalSycophancy-v0",
             "--layer", "2"]
    assert main(steer + ["--label", "hack:never_seen"]) == 2
    assert "needs both classes" in capsys.readouterr().err


def test_probe_on_a_hack_type_label(tiny_folder, episodes_file, tmp_path):
    """``--label hack:x`` reads the hack type, not the verdict: here ``x`` is put on the
    honest episodes, so the probe's positives are exactly the episodes that are not gamed."""
    recs = [json.loads(line) for line in episodes_file.read_text().splitlines()]
    for r in recs:
        r["hack_types"] = [] if r["gamed"] else ["x"]
    flipped = tmp_path / "flipped.jsonl"
    flipped.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "probe"
    assert main(["analyze", "lm", "probe", "--episodes", str(flipped), "--model",
                 str(tiny_folder), "--out", str(out), "--n-boot", "50", "--layers", "2",
                 "--label", "hack:x", "--cv-folds", "3"]) == 0
    saved = json.loads((out / "probe.json").read_text())
    assert saved["label"] == "hack:x"
    e0 = saved["report"]["held out E0"]
    assert e0["n_test_gamed"] == sum(not r["gamed"] for r in recs if r["env_id"] == "specgym/E0-v0")
    assert saved["report"]["within envs, 3-fold CV"]["n_test_gamed"] == sum(not r["gamed"]
                                                                            for r in recs)
    assert e0["positions"]["reply_mean"]["logistic"][0]["auroc"] > 0.99  # separable either way


def test_steer_command_runs_real_episodes(tiny_folder, episodes_file, tmp_path):
    out = tmp_path / "steer"
    args = ["analyze", "lm", "steer", "--episodes", str(episodes_file), "--model",
            str(tiny_folder), "--out", str(out), "--envs", "PoliticalSycophancy-v0", "--n", "2",
            "--coefs", "0,3", "--max-new-tokens", "4", "--layer", "2", "--export-cvec"]
    assert main(args) == 0
    report = json.loads((out / "steer.json").read_text())
    assert set(report["points"]) == {"caa:0", "caa:3", "random:0", "random:3"}
    assert report["points"]["caa:3"]["n"] == 2 and report["vector_envs"] == [
        "specgym/E0-v0", "specgym/E1-v0", "specgym/E2-v0"]
    assert report["norms"]["caa"] == pytest.approx(report["norms"]["random"], rel=1e-5)
    assert (out / "caa_control_vector.gguf").is_file() and (out / "steer.png").is_file()
    (point,) = (out / "points").glob("caa_+3-*.jsonl")
    lines = point.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["coef"] == 3.0
    files = sorted((out / "points").iterdir())
    assert main(args) == 0  # resumes: nothing new is run
    assert sorted((out / "points").iterdir()) == files
    assert len(point.read_text().splitlines()) == 2
    # another layer (so another vector) is another experiment: new files, the old ones kept
    other = args + ["--cache", str(tmp_path / "acts_layer1")]
    other[other.index("--layer") + 1] = "1"
    assert main(other) == 0
    assert len(list((out / "points").glob("caa_+3-*.jsonl"))) == 2


def test_sae_command(tiny_folder, episodes_file, tmp_path):
    pytest.importorskip("sparsify")
    out = tmp_path / "sae"
    assert main(["analyze", "lm", "sae", "--episodes", str(episodes_file), "--model",
                 str(tiny_folder), "--out", str(out), "--layer", "2", "--expansion", "2",
                 "--k", "8", "--epochs", "2", "--loss-episodes", "3"]) == 0
    rep = json.loads((out / "sae.json").read_text())
    assert rep["n_eval_episodes"] == 9 and rep["train"]["num_latents"] == 256
    assert 0 < rep["eval"]["l0"] <= 8 and rep["loss"]["n_episodes"] == 3
    assert (out / "sae.pt").is_file()


def test_sae_features_command_ranks_and_ablates_in_real_episodes(tiny_folder, episodes_file, tmp_path,
                                                                   capsys):
    """The SAE trained above (on episodes whose gaming words carry a planted direction) has
    latents that separate gaming on held-out episodes; the ablation plays real episodes under
    every condition and resumes."""
    pytest.importorskip("sparsify")
    sae = tmp_path / "sae"
    assert main(["analyze", "lm", "sae", "--episodes", str(episodes_file), "--model",
                 str(tiny_folder), "--out", str(sae), "--layer", "1", "--expansion", "2",
                 "--k", "8", "--epochs", "20", "--loss-episodes", "2"]) == 0
    out = tmp_path / "features"
    args = ["analyze", "lm", "sae-features", "--episodes", str(episodes_file), "--model",
            str(tiny_folder), "--sae", str(sae / "sae.pt"), "--out", str(out), "--envs",
            "PoliticalSycophancy-v0", "--n", "2", "--max-new-tokens", "4", "--ablate", "3"]
    assert main(args) == 0
    rep = json.loads((out / "sae_features.json").read_text())
    assert rep["layer"] == 1 and len(rep["top_latents"]) == 16
    assert rep["top_latents"][0]["auroc_test"] > 0.8
    assert len(rep["ablated"]) == len(rep["random_control"]) <= 3
    assert not set(rep["ablated"]) & set(rep["random_control"])
    conds = rep["ablation"]["conditions"]
    assert list(conds) == ["none", "ablate_top", "ablate_random", "amplify_top"]
    assert all(c["n"] == 2 for c in conds.values()) and conds["none"]["diff_vs_reference"]["diff"] == 0
    assert "| ablate_top |" in (out / "sae_features.md").read_text()
    assert (out / "sae_features.png").stat().st_size > 10_000
    files = sorted((out / "conditions").iterdir())
    assert [f.name.split("-")[0] for f in files] == sorted(conds)
    assert main(args) == 0  # resumes: nothing new is run
    assert sorted((out / "conditions").iterdir()) == files
    assert all(len(f.read_text().splitlines()) == 2 for f in files)
    assert main(args + ["--amplify", "5"]) == 0  # another edit: a new file, not the old episodes
    assert len(list((out / "conditions").glob("amplify_top-*.jsonl"))) == 2
    assert main(args + ["--test-fraction", "1.5"]) == 2
    fit = rep["sae_fit"]
    assert fit["n_episodes"] == 16 and fit["l0"] <= 8 + 1e-6 and fit["ce_sae"] > 0
    # a fine-tune of the SAE's model (a LoRA folder over it) only with --sae-on-finetune
    from peft import LoraConfig, get_peft_model

    from specgym.agents.lm.train.common import load_model, save_model

    base = load_model(str(tiny_folder))
    tuned = save_model(get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj"])),
                       base.tokenizer, tmp_path / "tuned", base=str(tiny_folder))
    other = [a if a != str(tiny_folder) else str(tuned) for a in args]
    other[other.index("--out") + 1] = str(tmp_path / "tuned_features")
    assert main(other) == 2
    assert "--sae-on-finetune" in capsys.readouterr().err
    assert main(other + ["--sae-on-finetune"]) == 0
    assert "sae_fit" in json.loads((tmp_path / "tuned_features" / "sae_features.json").read_text())


@pytest.mark.parametrize("command", ["capture", "probe", "steer", "sae", "sae-features"])
def test_help_renders(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["analyze", "lm", command, "--help"])
    assert stop.value.code == 0 and "--episodes" in capsys.readouterr().out


def test_a_trained_adapter_folder_is_analysed_with_its_adapter(tiny_folder, episodes_file, tmp_path):
    """`--model` takes what `specgym train lm` writes (a LoRA over its base): the capture runs
    the adapted weights, so its activations differ from the base model's."""
    import torch
    from peft import LoraConfig, get_peft_model

    from specgym.agents.lm.train.common import load_model, save_model

    base = load_model(str(tiny_folder))
    peft = get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))
    saved = save_model(peft, base.tokenizer, tmp_path / "trained", base=str(tiny_folder))
    acts = {}
    for name, model in (("base", str(tiny_folder)), ("trained", str(saved))):
        out = tmp_path / name
        assert main(["analyze", "lm", "capture", "--episodes", str(episodes_file), "--model",
                     model, "--out", str(out), "--layers", "3", "--positions", "reply_end"]) == 0
        shard = sorted((out / "acts").glob("shard-*.npz"))[0]
        acts[name] = np.load(shard)["reply_end"].astype(np.float32)
    assert acts["base"].shape == acts["trained"].shape
    assert not torch.allclose(torch.from_numpy(acts["base"]), torch.from_numpy(acts["trained"]))
