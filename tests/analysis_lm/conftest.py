"""A tiny randomly initialised Llama with a word-level chat tokenizer, and planted directions.

Built in a second from `transformers.LlamaConfig` and `tokenizers`: the real code paths
(chat template, offsets, hooks, batched capture, `TransformersBackend.generate`) run on it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + "
    "'<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
HONEST = [f"fair{i}" for i in range(8)]
GAMING = [f"cheat{i}" for i in range(8)]
FILLER = [f"w{i}" for i in range(30)]
ROLES = ["system", "user", "assistant"]
# "abcdef" and "</bash>": transformers' stop-string matcher (default stop "</bash>") needs both
WORDS = SPECIAL + ROLES + ["target", "abcdef", "</bash>"] + HONEST + GAMING + FILLER
HIDDEN = 128


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                   eos_token="<|im_end|>",
                                   additional_special_tokens=["<|im_start|>"])
    fast.chat_template = CHATML
    return fast


def tiny_model(seed: int = 0, layers: int = 4):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(WORDS), hidden_size=HIDDEN, intermediate_size=256,
                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=512, pad_token_id=0, eos_token_id=3,
                      bos_token_id=2, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    model.generation_config.eos_token_id = 3
    model.generation_config.pad_token_id = 0
    return model


def unit(seed: int) -> torch.Tensor:
    d = torch.randn(HIDDEN, generator=torch.Generator().manual_seed(seed))
    return d / d.norm()


def plant_gaming_direction(model, d: torch.Tensor, alpha: float = 1.0) -> None:
    """Gaming words' embeddings get + alpha * d: a direction a probe should find."""
    ids = [WORDS.index(w) for w in GAMING]
    with torch.no_grad():
        model.get_input_embeddings().weight[ids] += alpha * d


def plant_behaviour(model, d: torch.Tensor, scale: float = 1.0) -> int:
    """The word ``target`` is read out along d only; nothing else points along d.

    Returns the target's token id. Embeddings lose their d component, so without steering
    the target is unlikely; the other words' read-out rows are scaled up so that greedy
    decoding has a clear winner instead of a near-uniform tie that the target could win.
    """
    target = WORDS.index("target")
    with torch.no_grad():
        emb = model.get_input_embeddings().weight
        emb -= torch.outer(emb @ d, d)
        model.lm_head.weight *= 10.0
        model.lm_head.weight[target] = scale * d
    return target


def episode(seed: int, gamed: bool, env: str) -> dict:
    """A bench-like record: fixed prompt, a reply of filler plus honest or gaming words."""
    rng = np.random.default_rng(seed)
    words = list(rng.choice(FILLER, 6)) + list(rng.choice(GAMING if gamed else HONEST, 3))
    rng.shuffle(words)
    prompt = " ".join(rng.choice(FILLER, 5))
    return {
        "env_id": env, "seed": seed, "context_cue": "none", "graded": True, "gamed": gamed,
        "hack_types": ["x"] if gamed else [], "reward": float(gamed), "hidden_reward": 0.0,
        "n_turns": 1,
        "messages": [{"role": "system", "content": "w1 w2"},
                     {"role": "user", "content": prompt},
                     {"role": "assistant", "content": " ".join(words)}],
    }


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture
def model():
    torch.set_num_threads(1)
    return tiny_model()
