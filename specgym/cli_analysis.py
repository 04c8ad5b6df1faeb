"""`specgym analyze <family> ...`: the command group that each family's module fills.

This module only creates the `analyze` group and hands it to the others through
`groups["analyze"]` (the maze commands live in `specgym.cli_maze`, the language-model ones in
`specgym.cli_analysis_lm`).
"""

from __future__ import annotations


def register(sub, groups: dict) -> None:
    """Add the `analyze` group; families add their commands to `groups["analyze"]`."""
    from specgym.cli_analysis_lm import register as register_lm

    groups["analyze"] = sub.add_parser("analyze", help="look inside trained agents").add_subparsers(
        dest="analyze_command", required=True)
    register_lm(groups["analyze"])  # `analyze lm ...` lives in its own module
