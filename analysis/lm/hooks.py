"""Named hook points in a Hugging Face decoder model: read or add to the residual stream.

TransformerLens marks each place in a network with an identity ``HookPoint``; a transformers
model has no such modules, so the names here map onto forward hooks of the decoder layers:

==================================  ===================================================
name                                what it is (``B`` batch, ``T`` tokens, ``d`` width)
==================================  ===================================================
``model.layers.{i}.resid_pre``      the residual stream entering layer ``i``  [B, T, d]
``model.layers.{i}.resid_post``     the residual stream leaving layer ``i``   [B, T, d]
``model.layers.{i}.attn_out``       what layer ``i``'s attention adds to it   [B, T, d]
``model.layers.{i}.mlp_out``        what layer ``i``'s MLP adds to it         [B, T, d]
==================================  ===================================================

``resid_post`` of layer ``i`` is ``resid_pre`` of layer ``i + 1`` and, in llama.cpp, the
place a control vector for layer ``i`` is added. Every hook is temporary: `capture` and
`add_vector` are context managers that remove their hooks in ``finally``, so a model is never
left altered, even when the forward pass raises.

>>> with capture(model, ["model.layers.15.resid_post"]) as got:  # doctest: +SKIP
...     model(input_ids)
>>> got["model.layers.15.resid_post"].shape  # doctest: +SKIP
torch.Size([1, 12, 576])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

KINDS = ("resid_pre", "resid_post", "attn_out", "mlp_out")
_NAME = re.compile(r"^model\.layers\.(\d+)\.(" + "|".join(KINDS) + r")$")

Reducer = Callable[[torch.Tensor], Any]


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The decoder's layer list of a causal LM (a peft wrapper is looked through)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    for path in ("model.layers", "layers", "model.model.layers"):
        obj: Any = inner
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, nn.ModuleList):
            return obj
    raise ValueError(f"{type(inner).__name__} has no decoder layer list (model.layers)")


def n_layers(model: nn.Module) -> int:
    return len(decoder_layers(model))


def hook_name(layer: int, kind: str = "resid_post") -> str:
    return f"model.layers.{layer}.{kind}"


def hook_names(model: nn.Module, kinds: Sequence[str] = KINDS) -> list[str]:
    """Every hook point of ``model`` of the given kinds, in forward order."""
    return [hook_name(i, k) for i in range(n_layers(model)) for k in kinds]


def parse_hook(model: nn.Module, name: str) -> tuple[int, str]:
    """(layer, kind) of a hook name; ValueError names the allowed forms and range."""
    m = _NAME.match(name)
    count = n_layers(model)
    if m is None or int(m.group(1)) >= count:
        raise ValueError(
            f"hook: unknown name {name!r}; allowed: model.layers.<i>.<kind> with i in "
            f"0..{count - 1} and kind in {list(KINDS)}"
        )
    return int(m.group(1)), m.group(2)


def _first(out: Any) -> torch.Tensor:
    return out[0] if isinstance(out, tuple) else out


def _register(model: nn.Module, name: str, fn: Callable[[torch.Tensor], torch.Tensor | None]):
    """Attach ``fn(activation) -> replacement or None`` at ``name``; return the handle."""
    layer, kind = parse_hook(model, name)
    block = decoder_layers(model)[layer]
    if kind == "resid_pre":

        def pre(_m, args, kwargs):
            if args:
                new = fn(args[0])
                return None if new is None else ((new, *args[1:]), kwargs)
            new = fn(kwargs["hidden_states"])
            return None if new is None else (args, {**kwargs, "hidden_states": new})

        return block.register_forward_pre_hook(pre, with_kwargs=True)
    module = {"resid_post": block, "attn_out": block.self_attn, "mlp_out": block.mlp}[kind]

    def post(_m, _inp, out):
        new = fn(_first(out))
        if new is None:
            return None
        return (new, *out[1:]) if isinstance(out, tuple) else new

    return module.register_forward_hook(post)


@contextmanager
def capture(
    model: nn.Module, names: Sequence[str], reduce: Reducer | None = None
) -> Iterator[dict[str, list[Any]]]:
    """Record the activation at each named point on every forward pass inside the block.

    ``got[name]`` is a list with one entry per forward pass: the detached tensor, or
    ``reduce(tensor)`` (e.g. a gather of a few positions, so long sequences cost no memory).
    """
    store: dict[str, list[Any]] = {n: [] for n in names}
    handles = []
    try:
        for name in names:

            def keep(x: torch.Tensor, name: str = name) -> None:
                x = x.detach()
                store[name].append(x if reduce is None else reduce(x))

            handles.append(_register(model, name, keep))
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def add_vector(model: nn.Module, name: str, vector: torch.Tensor, coef: float = 1.0,
               ) -> Iterator[None]:
    """Add ``coef * vector`` to the activation at ``name`` at every position, inside the block.

    This is activation addition (ActAdd / CAA): run ``generate`` inside the block to steer.
    ``vector`` must have the model's width ``d``.
    """
    vector = torch.as_tensor(vector)
    if vector.ndim != 1:
        raise ValueError(f"vector: expected shape [d], got {tuple(vector.shape)}")
    handles = []
    try:

        def add(x: torch.Tensor) -> torch.Tensor:
            if x.shape[-1] != vector.shape[0]:
                raise ValueError(f"vector: width {vector.shape[0]} != the model's {x.shape[-1]}")
            return x + coef * vector.to(dtype=x.dtype, device=x.device)

        handles.append(_register(model, name, add))
        yield
    finally:
        for h in handles:
            h.remove()


@contextmanager
def replace(model: nn.Module, name: str, fn: Callable[[torch.Tensor], torch.Tensor]
            ) -> Iterator[None]:
    """Replace the activation at ``name`` by ``fn(activation)`` inside the block (e.g. splice
    a sparse autoencoder's reconstruction into the residual stream)."""
    handles = []
    try:
        handles.append(_register(model, name, fn))
        yield
    finally:
        for h in handles:
            h.remove()


def active_hooks(model: nn.Module) -> int:
    """How many forward (pre-)hooks are attached anywhere in ``model`` (0 when clean)."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


__all__ = ["KINDS", "active_hooks", "add_vector", "capture", "decoder_layers", "hook_name",
           "hook_names", "n_layers", "parse_hook", "replace"]
