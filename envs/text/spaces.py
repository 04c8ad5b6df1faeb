"""The Text space used for observations and actions: any Unicode string up to a length.

Gymnasium's `Text` stores its charset as a set, a tuple and a dict; a full Unicode charset
(1.1M characters) costs ~6 s and ~230 MB per env, so `ChatText` keeps Gymnasium's sampling
over printable ASCII while `contains` accepts every character, which is what a chat is.
"""

from __future__ import annotations

import string
from typing import Any

from gymnasium import spaces

SAMPLE_CHARSET = string.printable


class ChatText(spaces.Text):
    """Any `str` of at most ``max_length`` characters; samples are printable ASCII.

    >>> ChatText(100).contains("héllo 🎉\\n")
    True
    """

    def __init__(self, max_length: int, seed: int | None = None):
        super().__init__(max_length=max_length, min_length=0, charset=SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"ChatText(max_length={self.max_length}, charset=<any unicode>)"
