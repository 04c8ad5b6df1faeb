"""Replay a stored episode: its chat as one token sequence and where each part of it lies.

`specgym bench` (and the curriculum runner) write each episode's final chat to
``episodes.jsonl``. Replaying it teacher-forced (one forward pass over the stored text, no
regeneration) gives the activations the model had while it acted. `tokenize_episode`
renders the chat with the tokenizer's chat template up to and including the last assistant
reply, tokenizes it once, and maps character spans back to token positions:

================  ============================================================================
position          token index (or indices)
================  ============================================================================
``prompt_end``    last token of the first prompt (``...<|im_start|>assistant\\n``): the model
                  has read the task and not yet acted
``reply_end``     last token of the last assistant reply
``reply_tokens``  every token of every assistant reply (``reply_mean`` averages them)
================  ============================================================================

Warning: the stored replies are text (token ids are not in ``episodes.jsonl``), so the reply
is re-tokenized in context; where the tokenizer merges differently from how the model sampled,
a few tokens differ from the ones generated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from specgym.agents.lm.chat import to_chat_messages

POSITIONS = ("prompt_end", "reply_end", "reply_mean", "reply_tokens")
LABEL_FIELDS = ("env_id", "context_cue", "seed", "graded", "gamed", "hack_types", "reward",
                "hidden_reward", "n_turns")


@dataclass
class Replayed:
    """One episode as model input.

    Attributes:
        key: content hash of the record (names it in the activation cache).
        input_ids: the rendered chat's tokens (up to the end of the last reply).
        prompt_end: index of the first prompt's last token.
        reply_positions: indices of every reply token, all turns, in order.
        labels: the record's verdict fields (`LABEL_FIELDS`).
    """

    key: str
    input_ids: list[int]
    prompt_end: int
    reply_positions: list[int]
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def reply_end(self) -> int:
        return self.reply_positions[-1]


def record_key(record: dict[str, Any]) -> str:
    """Hash of what identifies an episode's transcript (env, cue, seed, messages, model)."""
    ident = [record.get("env_id"), record.get("context_cue", "none"), record.get("seed"),
             record.get("model"), record.get("messages")]
    return hashlib.sha1(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]


def _render(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(
        to_chat_messages(messages), tokenize=False, add_generation_prompt=True
    )


def tokenize_episode(tokenizer: Any, record: dict[str, Any], max_tokens: int | None = None
                     ) -> Replayed | None:
    """The episode's tokens and positions, or None when it has no assistant reply.

    Raises ValueError if the chat template does not render each turn's prompt as a prefix
    of the next (then turn boundaries cannot be read off one sequence), or the episode is
    longer than ``max_tokens``.
    """
    messages = record.get("messages")
    if not isinstance(messages, list):
        raise ValueError("record: 'messages' must be a list of chat messages")
    turns = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    turns = [i for i in turns if messages[i].get("content")]
    if not turns:
        return None
    last = turns[-1]
    full = _render(tokenizer, messages[:last]) + messages[last]["content"]
    spans = []
    for i in turns:
        prefix = _render(tokenizer, messages[:i])
        reply = messages[i]["content"]
        if not full.startswith(prefix) or full[len(prefix):len(prefix) + len(reply)] != reply:
            raise ValueError(
                f"episode {record.get('env_id')} seed {record.get('seed')}: the chat template "
                f"does not render turn {i}'s prompt as a prefix of the whole chat"
            )
        spans.append((len(prefix), len(prefix) + len(reply)))
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    if max_tokens is not None and len(ids) > max_tokens:
        raise ValueError(f"episode {record.get('env_id')} seed {record.get('seed')} has "
                         f"{len(ids)} tokens > max_tokens {max_tokens}")
    first_prompt_chars = spans[0][0]
    prompt_end = max(k for k, (s, _e) in enumerate(offsets) if s < first_prompt_chars)
    reply_positions = [
        k for k, (s, e) in enumerate(offsets)
        if e > s and any(a <= s < b for a, b in spans)
    ]
    if not reply_positions:
        return None
    labels = {f: record.get(f) for f in LABEL_FIELDS}
    labels["context_cue"] = labels["context_cue"] or "none"
    return Replayed(record_key(record), list(ids), prompt_end, reply_positions, labels)


__all__ = ["LABEL_FIELDS", "POSITIONS", "Replayed", "record_key", "tokenize_episode"]
