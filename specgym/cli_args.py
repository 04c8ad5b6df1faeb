"""Argument validators shared by every `specgym` command: one per kind of argument, so the
same mistake gets the same message wherever it is made.

>>> positive_int("3"), cheese_region("none")
(3, None)
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An int >= 1 (counts: episodes, mazes, threads, steps)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """An int >= 0 (seeds, offsets)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {text!r}")
    return value


def cheese_region(text: str) -> int | None:
    """An int >= 1 (cheese in the maze's top-right n x n cells) or ``none`` (anywhere)."""
    if text.lower() in ("none", "null", "full"):
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected an int >= 1 or 'none', got {text!r}") from None
