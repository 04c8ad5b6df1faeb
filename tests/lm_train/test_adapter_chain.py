"""A curriculum trains one LoRA adapter further at each stage. Saving a stage must record the
adapter's root model (a named model both backends load), never the previous stage's folder,
which no backend could use as a base."""

from __future__ import annotations

import json

from specgym.agents.lm.train.common import DONE, adapter_root, is_saved_model, save_model


def tiny_peft_model_and_tokenizer():
    from peft import LoraConfig, get_peft_model
    from tokenizers import Tokenizer, models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1)  # fmt: skip
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(r=2, target_modules=["q_proj"]))
    vocab = {f"t{i}": i for i in range(32)}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")))
    return model, tok


def test_a_stage_trained_on_from_a_saved_adapter_records_the_adapters_root(tmp_path):
    model, tok = tiny_peft_model_and_tokenizer()
    stage1 = save_model(model, tok, tmp_path / "1" / "final", base="helpful")
    stage2 = save_model(model, tok, tmp_path / "2" / "final", base=str(stage1))
    stage3 = save_model(model, tok, tmp_path / "3" / "final", base=str(stage2))
    for folder in (stage1, stage2, stage3):
        meta = json.loads((folder / DONE).read_text())
        assert meta == {"base": "helpful", "adapter": True}
        assert (folder / "adapter" / "adapter_config.json").is_file()
    assert adapter_root(stage3) == "helpful"


def test_adapter_root_leaves_models_that_are_not_adapters_alone(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / DONE).write_text(json.dumps({"base": "default", "adapter": False}))
    assert is_saved_model(full) and adapter_root(full) == str(full)
    assert adapter_root("helpful") == "helpful"
    assert adapter_root(tmp_path / "missing") == str(tmp_path / "missing")


def test_adapter_root_stops_on_a_cycle(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for x, y in ((a, b), (b, a)):
        x.mkdir()
        (x / DONE).write_text(json.dumps({"base": str(y), "adapter": True}))
    assert adapter_root(a) in (str(a), str(b))


def test_expert_iteration_resumes_from_the_count_its_checkpoint_records(tmp_path):
    """A kill between saving the checkpoint and writing state.json must not pair iteration k's
    count with iteration k+1's weights: the checkpoint's own record wins."""
    from specgym.agents.lm.train.expert_iteration import _iterations_done

    ckpt, state = tmp_path / "checkpoint", tmp_path / "state.json"
    assert _iterations_done(ckpt, state) == 0
    model, tok = tiny_peft_model_and_tokenizer()
    save_model(model, tok, ckpt, base="helpful", extra={"iterations_done": 2})
    state.write_text(json.dumps({"iterations_done": 1}))
    assert _iterations_done(ckpt, state) == 2
    save_model(model, tok, ckpt, base="helpful")  # a checkpoint from before the record
    assert _iterations_done(ckpt, state) == 1
