"""Model specs, backend choice, sampling settings and chat mapping: the inputs users type."""

from __future__ import annotations

import pytest

from specgym.agents.lm import SamplingConfig, parse_model_spec, resolve_backend, to_chat_messages
from specgym.agents.lm.sampling import cut_at_stop

URL = "http://127.0.0.1:8000/v1"


def test_default_and_openai_specs(monkeypatch):
    monkeypatch.delenv("SPECGYM_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert parse_model_spec("default").kind == "default"
    spec = parse_model_spec("openai:gpt-x", base_url=URL + "/")
    assert (spec.kind, spec.name, spec.base_url, str(spec)) == (
        "openai",
        "gpt-x",
        URL,
        "openai:gpt-x",
    )
    with pytest.raises(ValueError, match="needs base_url"):
        parse_model_spec("openai:gpt-x")
    monkeypatch.setenv("SPECGYM_BASE_URL", URL)
    assert parse_model_spec("openai:gpt-x").base_url == URL


def test_path_specs(tmp_path, gguf_path):
    assert parse_model_spec(str(gguf_path)).kind == "gguf"
    (tmp_path / "config.json").write_text("{}")
    assert parse_model_spec(str(tmp_path)).kind == "hf"
    assert parse_model_spec("HuggingFaceTB/SmolLM2-135M-Instruct").kind == "hf"


@pytest.mark.parametrize(
    ("spec", "kwargs", "error", "match"),
    [
        ("", {}, ValueError, "non-empty"),
        ("openai:", {"base_url": URL}, ValueError, "names no model"),
        ("openai:m", {"base_url": "ftp://x"}, ValueError, "http"),
        ("default", {"base_url": URL}, ValueError, "only used with 'openai:NAME'"),
        ("/no/such/model.gguf", {}, FileNotFoundError, "does not exist"),
        ("./missing-folder", {}, FileNotFoundError, "allowed: 'default'"),
        ("not a model id!", {}, FileNotFoundError, "allowed"),
    ],
)
def test_bad_specs_name_what_is_allowed(spec, kwargs, error, match):
    with pytest.raises(error, match=match):
        parse_model_spec(spec, **kwargs)


def test_folder_without_config_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="no config.json"):
        parse_model_spec(str(tmp_path))


def test_backend_choice():
    default = parse_model_spec("default")
    assert resolve_backend(default) == "llama.cpp"
    assert resolve_backend(default, "transformers") == "transformers"
    hf = parse_model_spec("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert resolve_backend(hf) == "transformers"
    with pytest.raises(ValueError, match="needs a .gguf"):
        resolve_backend(hf, "llama.cpp")
    with pytest.raises(ValueError, match="backend must be one of"):
        resolve_backend(default, "vllm")
    with pytest.raises(ValueError, match="allowed: \\['openai'\\]"):
        resolve_backend(parse_model_spec("openai:m", base_url=URL), "transformers")


def test_sampling_config_checks_and_from_dict():
    cfg = SamplingConfig.from_dict({"max_new_tokens": 4, "stop": ["</bash>"], "temperature": 0})
    assert cfg.greedy and cfg.stop == ("</bash>",)
    with pytest.raises(ValueError, match="unknown sampling setting.*allowed"):
        SamplingConfig.from_dict({"max_tokens": 4})
    for bad in ({"max_new_tokens": 0}, {"temperature": -1}, {"top_p": 0}, {"top_k": -1},
                {"stop": "</bash>"}):  # fmt: skip
        with pytest.raises(ValueError):
            SamplingConfig(**bad)


def test_cut_at_stop_keeps_the_stop_string():
    assert cut_at_stop("a <bash>ls</bash> made-up output", ("</bash>",)) == (
        "a <bash>ls</bash>",
        True,
    )
    assert cut_at_stop("no call", ("</bash>",)) == ("no call", False)


def test_tool_messages_become_user_messages():
    history = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "<bash>ls</bash>"},
        {"role": "tool", "content": "a.txt"},
    ]
    assert to_chat_messages(history) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "<bash>ls</bash>"},
        {"role": "user", "content": "Tool output:\na.txt"},
    ]
    with pytest.raises(ValueError, match="role 'robot'"):
        to_chat_messages([{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="must end with a user or tool"):
        to_chat_messages(history[:3])
