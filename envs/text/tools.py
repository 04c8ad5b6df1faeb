"""Parsing tool calls out of a model's reply.

A tool call is ``<bash>COMMAND</bash>``. A reply that ends in an unclosed ``<bash>`` also counts
(trainers often use ``</bash>`` as a stop sequence, which removes it from the reply).
"""

from __future__ import annotations

import re

_CLOSED = re.compile(r"<bash>(.*?)</bash>", re.DOTALL)
_TRAILING_OPEN = re.compile(r"<bash>((?:(?!</bash>).)*)\Z", re.DOTALL)


def parse_bash_calls(reply: str) -> list[str]:
    """Commands in order of appearance; empty when the reply is a final answer.

    >>> parse_bash_calls("Let me look. <bash>ls -la</bash> then <bash>cat x")
    ['ls -la', 'cat x']
    """
    calls = [m.group(1).strip() for m in _CLOSED.finditer(reply)]
    tail = reply[_last_close(reply) :]
    if (match := _TRAILING_OPEN.search(tail)) is not None:
        calls.append(match.group(1).strip())
    return calls


def _last_close(reply: str) -> int:
    end = reply.rfind("</bash>")
    return 0 if end < 0 else end + len("</bash>")
