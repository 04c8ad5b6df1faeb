"""Turn an environment's chat history into messages every chat template accepts.

Small models' chat templates (SmolLM2's included) know only system/user/assistant, so a
``tool`` message becomes a ``user`` message starting with ``Tool output:``; two messages of
the same role in a row are then joined, since some templates require alternation.
"""

from __future__ import annotations

from collections.abc import Sequence

ROLES = ("system", "user", "assistant", "tool")
TOOL_PREFIX = "Tool output:\n"


def to_chat_messages(messages: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Map ``messages`` (roles as in `ROLES`) to system/user/assistant messages."""
    out: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ROLES:
            raise ValueError(f"message {i} has role {role!r}; allowed: {list(ROLES)}")
        content = m.get("content")
        if not isinstance(content, str):
            raise ValueError(f"message {i} content must be str, got {type(content).__name__}")
        if role == "tool":
            role, content = "user", TOOL_PREFIX + content
        if out and out[-1]["role"] == role and role != "assistant":
            out[-1] = {"role": role, "content": out[-1]["content"] + "\n\n" + content}
        else:
            out.append({"role": role, "content": content})
    if not out or out[-1]["role"] == "assistant":
        raise ValueError("the chat must end with a user or tool message for the model to answer")
    return out
