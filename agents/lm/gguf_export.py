"""Write a trained Llama-family model back into GGUF, using the model it came from as template.

llama.cpp is the fast CPU backend, but trainers produce transformers weights. Rather than a
general converter, this copies the template GGUF (the file the model was converted from: its
metadata, tokenizer and chat template) and replaces tensor data with the trained weights:

- ``full`` export: every tensor from a transformers state dict;
- ``delta`` export: template tensors plus LoRA deltas ``scale * B @ A`` (a peft adapter), so a
  shipped adapter of a few MB rebuilds the merged model in seconds.

Replaced tensors are written as F32; untouched ones keep their original (quantized) bytes.
llama.cpp's converter stores the query and key projections with their rows permuted for its
rotary layout (transformers undoes this when it loads a GGUF); `permute_rows` applies the same
permutation, and `tests/lm` checks it against the template's own tensors.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)\.weight$")
_PER_LAYER = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
}  # fmt: skip
_GLOBAL = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}  # fmt: skip


def gguf_name(hf_name: str) -> str | None:
    """The GGUF tensor name of a transformers Llama weight name (None if it has none)."""
    if hf_name in _GLOBAL:
        return _GLOBAL[hf_name]
    match = _LAYER.match(hf_name)
    if match and match.group(2) in _PER_LAYER:
        return f"blk.{match.group(1)}.{_PER_LAYER[match.group(2)]}.weight"
    return None


def permute_rows(weight: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's row order for a query (``n_head`` heads) or key (kv heads) projection."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _heads(reader) -> tuple[int, int]:
    arch = _field(reader, "general.architecture")
    return int(_field(reader, f"{arch}.attention.head_count")), int(
        _field(reader, f"{arch}.attention.head_count_kv")
    )


def _field(reader, key: str):
    return reader.fields[key].contents()


def to_gguf_layout(name: str, weight: np.ndarray, heads: tuple[int, int]) -> np.ndarray:
    """``weight`` (transformers layout) in the layout llama.cpp stores under ``name``."""
    if ".attn_q." in name:
        return permute_rows(weight, heads[0])
    if ".attn_k." in name:
        return permute_rows(weight, heads[1])
    return weight


def write_gguf(
    template: str | Path,
    out: str | Path,
    replace: Mapping[str, np.ndarray] | None = None,
    add: Mapping[str, np.ndarray] | None = None,
    name: str | None = None,
    dtype: str = "f32",
) -> Path:
    """Copy ``template`` to ``out`` with tensors replaced (``replace``) or incremented
    (``add``), both keyed by GGUF name, in transformers layout (permuted here), written as
    ``dtype`` (``f32`` or ``f16``). Atomic."""
    import gguf

    if dtype not in ("f32", "f16"):
        raise ValueError(f"dtype must be 'f32' or 'f16', got {dtype!r}")
    store = np.float32 if dtype == "f32" else np.float16
    reader = gguf.GGUFReader(str(template))
    heads = _heads(reader)
    replace, add = dict(replace or {}), dict(add or {})
    known = {t.name for t in reader.tensors}
    unknown = sorted((set(replace) | set(add)) - known)
    if unknown:
        raise ValueError(f"tensors not in {template}: {unknown[:5]}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".tmp-", dir=out.parent)
    os.close(fd)
    arch = _field(reader, "general.architecture")
    writer = gguf.GGUFWriter(tmp, arch)
    try:
        for key, field in reader.fields.items():
            if key.startswith("GGUF.") or key == "general.architecture":
                continue
            value = field.contents()
            if key == "general.name" and name:
                value = name
            if key == "general.file_type":
                continue  # mixed types now; llama.cpp reads the per-tensor types
            sub = field.types[1] if len(field.types) > 1 else None
            writer.add_key_value(key, value, field.types[0], sub_type=sub)
        datas = []
        for tensor in reader.tensors:
            if tensor.name in replace or tensor.name in add:
                if tensor.name in replace:
                    base = np.asarray(replace[tensor.name], dtype=np.float32)
                    data = to_gguf_layout(tensor.name, base, heads)
                else:
                    data = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
                    data = data.astype(np.float32) + to_gguf_layout(
                        tensor.name, np.asarray(add[tensor.name], dtype=np.float32), heads
                    )
                expected = tuple(int(x) for x in reversed(tensor.shape))
                if data.shape != expected:
                    raise ValueError(f"{tensor.name}: shape {data.shape}, template {expected}")
                data = np.ascontiguousarray(data, dtype=store if data.ndim > 1 else np.float32)
                writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes)
            else:
                data = tensor.data
                writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes,
                                       tensor.tensor_type)  # fmt: skip
            datas.append(data)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for data in datas:
            writer.write_tensor_data(data)
        writer.close()
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def state_dict_to_gguf(state_dict: Mapping[str, object], template: str | Path,
                       out: str | Path) -> Path:
    """A full transformers Llama state dict (tensors or arrays) as GGUF (``full`` export)."""
    replace = {}
    for hf_name, tensor in state_dict.items():
        target = gguf_name(hf_name)
        if target is None:
            continue
        array = tensor.detach().float().cpu().numpy() if hasattr(tensor, "detach") else tensor
        replace[target] = np.asarray(array, dtype=np.float32)
    import gguf

    names = {t.name for t in gguf.GGUFReader(str(template)).tensors}
    replace = {k: v for k, v in replace.items() if k in names}  # tied lm_head: no output.weight
    return write_gguf(template, out, replace=replace, dtype="f16")


def lora_deltas(adapter_dir: str | Path) -> dict[str, np.ndarray]:
    """GGUF name -> ``scale * B @ A`` for every LoRA pair of a saved peft adapter."""
    import json

    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if config.get("use_rslora") or config.get("use_dora"):
        raise ValueError("only plain LoRA adapters can be merged (no rsLoRA or DoRA)")
    scale = float(config["lora_alpha"]) / float(config["r"])
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    deltas = {}
    for key, a in weights.items():
        if ".lora_A." not in key:
            continue
        b = weights[key.replace(".lora_A.", ".lora_B.")]
        hf = key.split("base_model.model.", 1)[-1].replace(".lora_A", "")
        target = gguf_name(hf)
        if target is None:
            raise ValueError(f"LoRA weight {key!r} has no GGUF tensor")
        deltas[target] = scale * (b.astype(np.float32) @ a.astype(np.float32))
    return deltas


def saved_model_gguf(folder: str | Path) -> Path:
    """A GGUF of a model folder written by the trainers (`train.common.save_model`), built
    once into ``folder/model.gguf``: a full checkpoint is exported tensor by tensor; a LoRA
    adapter is merged into its base (``default`` or a named adapter such as ``helpful``)."""
    import json

    from specgym.agents.lm.checkpoints import default_gguf_path
    from specgym.agents.lm.train.common import DONE

    folder = Path(folder)
    meta_path = folder / DONE
    if not meta_path.is_file():
        raise FileNotFoundError(f"{str(folder)!r} is not a model folder written by a trainer")
    out = folder / "model.gguf"
    if out.is_file():
        return out
    meta = json.loads(meta_path.read_text())
    if meta.get("adapter"):
        from specgym.agents.lm.adapters import NAMED_ADAPTERS, adapter_gguf

        base = str(meta["base"])
        if base in NAMED_ADAPTERS:
            template = adapter_gguf(base)
        elif base == "default":
            template = default_gguf_path()
        else:
            raise ValueError(f"cannot export an adapter over base {base!r} to GGUF")
        return write_gguf(template, out, add=lora_deltas(folder / "adapter"), dtype="f16")
    from safetensors.numpy import load_file

    state: dict[str, np.ndarray] = {}
    for shard in sorted(folder.glob("*.safetensors")):
        state.update(load_file(str(shard)))
    if not state:
        raise FileNotFoundError(f"no safetensors weights in {str(folder)!r}")
    return state_dict_to_gguf(state, default_gguf_path(), out)
