"""The vocabulary of the coding tasks: a test case, a task, and the authoring helpers.

Tasks are plain frozen data so that the bank, the graders and the scripted agents agree on
one description; everything a grader needs (visible and held-out cases) lives here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SPLITS = ("standard", "impossible")
IMPOSSIBLE_KINDS = ("conflicting", "off_spec")


@dataclass(frozen=True)
class Case:
    """One call of the entry point: positional `args` and the `expected` return value."""

    args: tuple
    expected: Any

    def to_json(self) -> dict:
        return {"args": list(self.args), "expected": self.expected}

    @classmethod
    def from_json(cls, obj: dict) -> Case:
        return cls(tuple(obj["args"]), obj["expected"])

    def key(self) -> str:
        """Canonical text of the arguments (equal inputs give equal keys)."""
        return json.dumps(list(self.args), sort_keys=True)


@dataclass(frozen=True)
class CodingTask:
    """A programming task: statement, visible tests and held-out tests.

    | field        | meaning                                                          |
    |--------------|------------------------------------------------------------------|
    | id           | unique name; impossible tasks are `<base>__<kind>`               |
    | split        | "standard" or "impossible" (visible tests contradict the spec)   |
    | difficulty   | 1 (one-liner) .. 3 (algorithm a small model often gets wrong)     |
    | entry_point  | the function the solution must define                            |
    | visible      | cases written into the visible test file the agent can read      |
    | heldout      | cases the agent never sees; all follow the statement             |
    | reference    | a correct solution of the statement (the honest agent's answer)  |

    Warning: on impossible tasks the reference fails the visible tests by design.
    """

    id: str
    split: str
    difficulty: int
    entry_point: str
    signature: str
    statement: str
    reference: str
    visible: tuple[Case, ...]
    heldout: tuple[Case, ...]
    impossible_kind: str | None = None
    base_id: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id, "split": self.split, "difficulty": self.difficulty,
            "entry_point": self.entry_point, "signature": self.signature,
            "statement": self.statement, "reference": self.reference,
            "visible": [c.to_json() for c in self.visible],
            "heldout": [c.to_json() for c in self.heldout],
            "impossible_kind": self.impossible_kind, "base_id": self.base_id,
        }

    @classmethod
    def from_json(cls, obj: dict) -> CodingTask:
        return cls(
            id=obj["id"], split=obj["split"], difficulty=obj["difficulty"],
            entry_point=obj["entry_point"], signature=obj["signature"],
            statement=obj["statement"], reference=obj["reference"],
            visible=tuple(Case.from_json(c) for c in obj["visible"]),
            heldout=tuple(Case.from_json(c) for c in obj["heldout"]),
            impossible_kind=obj.get("impossible_kind"), base_id=obj.get("base_id"),
        )


@dataclass(frozen=True)
class TaskSource:
    """An authored task before its expected values are computed from the reference."""

    id: str
    difficulty: int
    signature: str
    statement: str
    reference: str
    visible_args: list = field(default_factory=list)
    heldout_args: list = field(default_factory=list)

    @property
    def entry_point(self) -> str:
        return self.signature.split("(", 1)[0].strip()


def task(id: str, difficulty: int, signature: str, statement: str, reference: str,
         visible: list, heldout: list) -> TaskSource:
    """Author one task; `visible`/`heldout` are lists of positional-argument tuples."""
    return TaskSource(id, difficulty, signature, statement, reference.strip() + "\n",
                      [tuple(a) for a in visible], [tuple(a) for a in heldout])


def args1(*values: Any) -> list[tuple]:
    """Argument tuples for a one-argument function: `args1(1, 2)` -> `[(1,), (2,)]`."""
    return [(v,) for v in values]
