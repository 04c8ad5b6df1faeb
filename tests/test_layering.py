"""Data flows one way (DESIGN.md): envs import no torch and nothing from agents, analysis or
curricula; agents import nothing from analysis or curricula; nothing below the command line
imports it (or the demo). Imports are read from the source
with `ast` (module level, inside functions and under TYPE_CHECKING alike), so a violation fails
with its file and line before anything runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# folder -> import prefixes that no module in it may import
TOP = ("specgym.cli", "specgym.cli_lm", "specgym.cli_analysis", "specgym.cli_maze",
       "specgym.demo")  # the command line sits above everything
RULES: dict[str, tuple[str, ...]] = {
    "envs": ("torch", "specgym.agents", "specgym.analysis", "specgym.curricula", *TOP),
    "agents": ("specgym.analysis", "specgym.curricula", *TOP),
    "curricula": TOP,
    "analysis": ("specgym.curricula", *TOP),
}


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module of ``package``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def violations(root: Path = ROOT, rules: dict[str, tuple[str, ...]] = RULES) -> list[str]:
    """``path:line: imports X (forbidden in folder/)`` for every import that breaks a rule."""
    out = []
    for folder, banned in rules.items():
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root)
            package = ".".join(("specgym",) + rel.parent.parts)
            tree = ast.parse(path.read_text(), filename=str(path))
            seen = set()
            for line, name in imported_modules(tree, package):
                for prefix in banned:
                    if (name == prefix or name.startswith(prefix + ".")) and (line, prefix) not in seen:
                        seen.add((line, prefix))
                        out.append(f"{rel}:{line}: imports {name} (no {prefix} in {folder}/)")
    return out


# Violations being removed by their owners, each with who and why. An entry that no longer
# matches a violation fails `test_pending_entries_are_still_needed`, so the list only shrinks.
PENDING: dict[str, str] = {}


def _key(violation: str) -> str:
    path, _line, rest = violation.split(":", 2)
    return f"{path}:{rest.split(' (')[0]}"


def test_data_flows_one_way():
    found = [v for v in violations() if _key(v) not in PENDING]
    assert not found, "layering violations:\n" + "\n".join(found)


def test_pending_entries_are_still_needed():
    keys = {_key(v) for v in violations()}
    assert not set(PENDING) - keys, f"fixed, remove from PENDING: {set(PENDING) - keys}"


def test_a_planted_violation_fails_with_file_and_line(tmp_path):
    (tmp_path / "envs" / "maze").mkdir(parents=True)
    (tmp_path / "agents").mkdir()
    (tmp_path / "envs" / "maze" / "bad.py").write_text(
        '"""A module that breaks the rules."""\n\nimport numpy\n'
        "def f():\n    import torch.nn\n    from specgym.agents.policies import load_policy\n"
        "    from ...analysis import stats\n")
    (tmp_path / "agents" / "ok.py").write_text("from specgym.envs.maze import MazeEnv\n")
    (tmp_path / "agents" / "bad.py").write_text("\n\nfrom specgym.curricula.runner import x\n")
    found = violations(tmp_path)
    assert found == [
        "envs/maze/bad.py:5: imports torch.nn (no torch in envs/)",
        "envs/maze/bad.py:6: imports specgym.agents.policies (no specgym.agents in envs/)",
        "envs/maze/bad.py:7: imports specgym.analysis (no specgym.analysis in envs/)",
        "agents/bad.py:3: imports specgym.curricula.runner (no specgym.curricula in agents/)",
    ]
    with pytest.raises(AssertionError, match=r"envs/maze/bad.py:5"):
        assert not found, "\n".join(found)
