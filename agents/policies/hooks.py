"""Named places in a network whose activations can be read or changed (TransformerLens-style).

A `HookPoint` is an identity module; its name comes from its module path, e.g.
`embedder.block2.res1.resadd_out`. `capture` records activations; `patch` rewrites them during a
forward pass. Hooks are always temporary (context managers), so a policy is never left altered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

PatchFn = Callable[[torch.Tensor], torch.Tensor]


class HookPoint(nn.Identity):
    """Marks a named activation; does nothing by itself."""


def hook_names(model: nn.Module) -> list[str]:
    """Every named place that can be captured or patched, in forward order."""
    return [name for name, m in model.named_modules() if isinstance(m, (HookPoint, nn.Conv2d, nn.Linear))]


def _resolve(model: nn.Module, names: list[str]) -> dict[str, nn.Module]:
    modules = dict(model.named_modules())
    unknown = [n for n in names if n not in modules]
    if unknown:
        raise ValueError(f"module: unknown names {unknown}; known: {hook_names(model)}")
    return {n: modules[n] for n in names}


@contextmanager
def capture(model: nn.Module, names: list[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of the named modules on every forward pass inside the block.

    >>> with capture(policy, ["embedder.block2.res1.resadd_out"]) as acts:
    ...     policy(obs)
    >>> acts["embedder.block2.res1.resadd_out"].shape
    """
    store: dict[str, torch.Tensor] = {}
    handles = []
    for name, module in _resolve(model, list(names)).items():
        def hook(_m, _inp, out, name=name):
            store[name] = out.detach()
        handles.append(module.register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def patch(model: nn.Module, patches: dict[str, PatchFn]) -> Iterator[None]:
    """Replace the outputs of the named modules with `fn(output)` inside the block."""
    handles = []
    for name, module in _resolve(model, list(patches)).items():
        fn = patches[name]
        handles.append(module.register_forward_hook(lambda _m, _i, out, fn=fn: fn(out)))
    try:
        yield
    finally:
        for h in handles:
            h.remove()
