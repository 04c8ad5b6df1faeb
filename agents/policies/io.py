"""Save and load policies as a state dict plus a JSON config: no SB3 needed to use them."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from specgym.agents.policies.impala import ImpalaConfig, ImpalaPolicy

WEIGHTS = "policy.pt"
CONFIG = "policy.json"


def save_policy(policy: ImpalaPolicy, folder: str | Path, extra: dict | None = None) -> Path:
    """Write `policy.pt` (state dict) and `policy.json` (architecture + `extra`) to a folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(policy.state_dict(), folder / WEIGHTS)
    meta = {"architecture": "impala", "config": policy.config.to_dict(), **(extra or {})}
    (folder / CONFIG).write_text(json.dumps(meta, indent=2))
    return folder


def load_policy(path: str | Path) -> tuple[ImpalaPolicy, dict]:
    """Load a saved policy folder (or its policy.pt / policy.json) -> (module in eval mode, meta)."""
    path = Path(path)
    folder = path.parent if path.suffix in (".pt", ".json") else path
    if not (folder / CONFIG).exists() or not (folder / WEIGHTS).exists():
        raise FileNotFoundError(
            f"checkpoint: expected {folder / CONFIG} and {folder / WEIGHTS} (a folder written by save_policy)"
        )
    meta = json.loads((folder / CONFIG).read_text())
    policy = ImpalaPolicy(ImpalaConfig(**meta["config"]))
    policy.load_state_dict(torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True))
    policy.eval()
    return policy, meta
