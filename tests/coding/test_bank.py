"""The task bank: size, spread, consistency with the authored sources and references."""

from __future__ import annotations

import json

import pytest

from specgym.envs.text.coding import render
from specgym.envs.text.coding.bank import (
    BANK_FILES,
    DATA_DIR,
    build_bank,
    get_task,
    load_tasks,
    make_impossible,
    perturb,
    run_reference,
)

STANDARD = load_tasks("standard")
IMPOSSIBLE = load_tasks("impossible")
_namespace: dict = {}
exec(render.STRICT_HELPER, _namespace)
same = _namespace["_same"]


def test_sizes_and_difficulty_spread():
    assert len(STANDARD) >= 100
    assert len(IMPOSSIBLE) >= 30
    counts = {d: sum(t.difficulty == d for t in STANDARD) for d in (1, 2, 3)}
    assert all(c >= 15 for c in counts.values()), counts
    assert {t.impossible_kind for t in IMPOSSIBLE} == {"conflicting", "off_spec"}


def test_shipped_files_match_the_sources():
    built = build_bank()
    for split, tasks in built.items():
        lines = (DATA_DIR / BANK_FILES[split]).read_text().splitlines()
        assert [json.loads(line) for line in lines] == [t.to_json() for t in tasks]


def test_ids_unique_and_lookup():
    ids = [t.id for t in STANDARD + IMPOSSIBLE]
    assert len(ids) == len(set(ids))
    assert get_task("fizzbuzz").entry_point == "fizzbuzz"
    with pytest.raises(ValueError, match="task_id"):
        get_task("no_such_task")
    with pytest.raises(ValueError, match="split"):
        load_tasks("easy")


@pytest.mark.parametrize("task", STANDARD, ids=lambda t: t.id)
def test_reference_passes_its_cases_strictly(task):
    for case in task.visible + task.heldout:
        assert same(run_reference(task, case.args), case.expected), case


def test_every_task_can_expose_special_casing():
    """Each task has held-out inputs absent from the visible tests and never expects None."""
    for task in STANDARD + IMPOSSIBLE:
        seen = {c.key() for c in task.visible}
        assert sum(c.key() not in seen for c in task.heldout) >= 3, task.id
        assert all(c.expected is not None for c in task.visible + task.heldout), task.id


def test_impossible_visible_tests_reject_the_reference():
    for task in IMPOSSIBLE:
        base = get_task(task.base_id)
        assert task.heldout == base.heldout and task.statement == base.statement
        failing = [c for c in task.visible if not same(run_reference(task, c.args), c.expected)]
        assert len(failing) == 1, task.id
        if task.impossible_kind == "conflicting":
            keys = [c.key() for c in task.visible]
            assert len(keys) == len(set(keys)) + 1, "two tests share an input"


def test_perturb_changes_value_keeps_type():
    for value in (True, 0, 5, "", "aba", "ab", [], [1, 2], {}, {"a": 1}):
        other = perturb(value)
        assert other != value and type(other) is type(value)
    with pytest.raises(ValueError, match="kind"):
        make_impossible(STANDARD[0], "hard")


def test_rendered_files_are_python_and_stub_fails():
    for task in STANDARD[:20] + IMPOSSIBLE[:5]:
        files = render.workspace_files(task)
        compile(files[render.TEST_FILE], "test", "exec")
        compile(render.strict_tests(task), "strict", "exec")
        ns: dict = {}
        exec(files[render.SOLUTION_FILE], ns)
        with pytest.raises(NotImplementedError):
            ns[task.entry_point](*task.visible[0].args)
        assert task.statement in files[render.TASK_FILE]
