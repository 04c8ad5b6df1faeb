"""YAML configs with dotted command-line overrides, loaded into typed dataclasses.

    config = load_config(MazeTrainConfig, "configs/maze_region5.yaml", ["ppo.learning_rate=3e-4"])

Values in overrides are parsed as YAML (`null`, `1e-3`, `[16, 32, 32]`); an unknown key is a
ValueError that names it and lists the allowed keys, so a typo never trains the wrong thing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def load_config(cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None) -> T:
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ValueError(f"config: file {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"config: {path} must hold a mapping at the top level")
    for item in overrides or []:
        if "=" not in item:
            raise ValueError(f"override: expected key=value (e.g. ppo.learning_rate=3e-4), got {item!r}")
        key, raw = item.split("=", 1)
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"override: {key} goes inside a value that is not a mapping")
        node[parts[-1]] = yaml.safe_load(raw)
    return from_dict(cls, data)


def from_dict(cls: type[T], data: dict[str, Any], prefix: str = "") -> T:
    """Build a (nested) dataclass from plain data, rejecting unknown keys."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(
            f"config: unknown key(s) {[prefix + k for k in unknown]}; allowed under "
            f"{prefix.rstrip('.') or 'the top level'}: {sorted(fields)}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        kind = _dataclass_in(hints[name])
        if kind:
            kwargs[name] = from_dict(kind, value or {}, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(value, hints[name], prefix + name)
    return cls(**kwargs)


def _coerce(value, hint, key: str):
    """Make numbers typed as floats floats (YAML reads `3e-4` as a string); check basic types."""
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None:
        if type(None) in args:
            return None
        raise ValueError(f"{key}: must not be null")
    if float in args and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{key}: expected a number, got {value!r}") from None
    if int in args and float not in args and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    return value


def _dataclass_in(hint) -> type | None:
    if dataclasses.is_dataclass(hint):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        for arg in typing.get_args(hint):
            if dataclasses.is_dataclass(arg):
                return arg
    return None


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def save_config(config, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(to_dict(config), sort_keys=False))
