"""Steering vectors as llama.cpp control vectors: export a GGUF file, or apply one live.

llama.cpp adds a control vector's ``direction.{i}`` tensor to the output of layer ``i``
(after the MLP's residual add), which is transformers' ``model.layers.{i}.resid_post``; layer
0 cannot carry one (llama.cpp's buffer starts at layer 1). llama-cpp-python 0.3.36 exposes
the low-level ``llama_set_adapter_cvec(ctx, data, len, n_embd, il_start, il_end)``, so a
vector can be applied to a running context without a file; ``llama-cli --control-vector
file.gguf`` reads the exported file.

Warning: llama.cpp keeps KV caches between calls; `llamacpp_control_vector` empties the
backend's slots on entry and exit so no cache computed under another vector is reused.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


def export_control_vector(path: str | Path, vectors: Mapping[int, np.ndarray],
                          model_hint: str = "llama") -> Path:
    """Write ``{layer: vector}`` (already scaled) as a llama.cpp control-vector GGUF file."""
    import gguf

    bad = [i for i in vectors if int(i) < 1]
    if bad:
        raise ValueError(f"layers: llama.cpp control vectors start at layer 1, got {bad}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "controlvector")
    writer.add_string("controlvector.model_hint", model_hint)
    writer.add_uint32("controlvector.layer_count", len(vectors))
    for layer, vec in sorted(vectors.items()):
        writer.add_tensor(f"direction.{int(layer)}", np.asarray(vec, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def read_control_vector(path: str | Path) -> dict[int, np.ndarray]:
    """``{layer: vector}`` of a control-vector GGUF file (to check a round trip)."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    return {int(t.name.split(".")[1]): np.array(t.data, dtype=np.float32)
            for t in reader.tensors if t.name.startswith("direction.")}


def _flat(vectors: Mapping[int, np.ndarray], n_layer: int, n_embd: int) -> np.ndarray:
    """llama.cpp's buffer: rows for layers 1..n_layer-1, zeros where no vector is given."""
    data = np.zeros((n_layer - 1, n_embd), dtype=np.float32)
    for layer, vec in vectors.items():
        if not 1 <= int(layer) < n_layer:
            raise ValueError(f"layer: {layer} not in 1..{n_layer - 1} (llama.cpp control vector)")
        vec = np.asarray(vec, dtype=np.float32)
        if vec.shape != (n_embd,):
            raise ValueError(f"vector: shape {vec.shape} != ({n_embd},)")
        data[int(layer) - 1] = vec
    return data


def set_control_vector(lc: Any, ctx: Any, model: Any, vectors: Mapping[int, np.ndarray] | None
                       ) -> None:
    """Apply ``{layer: vector}`` to a llama.cpp context (None clears it)."""
    if vectors is None:
        rc = lc.llama_set_adapter_cvec(ctx, None, 0, lc.llama_model_n_embd(model), -1, -1)
    else:
        n_layer, n_embd = lc.llama_model_n_layer(model), lc.llama_model_n_embd(model)
        data = _flat(vectors, n_layer, n_embd)
        ptr = data.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        rc = lc.llama_set_adapter_cvec(ctx, ptr, data.size, n_embd, 1, n_layer - 1)
    if rc != 0:
        raise RuntimeError(f"llama_set_adapter_cvec failed with code {rc}")


@contextmanager
def llamacpp_control_vector(backend: Any, vectors: Mapping[int, np.ndarray]) -> Iterator[None]:
    """Apply ``vectors`` to a `LlamaCppBackend`'s context inside the block; always cleared.

    Uses the backend's private context (``_ctx``) and slot cache (``_forget``): the backend
    has no public control-vector hook yet.
    """
    lc, ctx, model = backend._lc, backend._ctx, backend.llm.model
    backend._forget()
    try:
        set_control_vector(lc, ctx, model, vectors)
        yield
    finally:
        set_control_vector(lc, ctx, model, None)
        backend._forget()


def compare_logit_shift(model: Any, tokenizer: Any, gguf_path: str | Path, texts: list[str],
                        layer: int, vector: np.ndarray, coef: float = 1.0,
                        n_threads: int = 1) -> dict[str, Any]:
    """Does llama.cpp's control vector move the next-token distribution as the hook does?

    For each text, the change of next-token log-probabilities from adding ``coef * vector``
    at ``layer`` is computed in transformers (forward hook) and in llama.cpp (control vector
    at the same layer, and, as a check of the layer mapping, at ``layer +- 1``); returns
    their cosines. The two runtimes hold the same weights in different number formats, so
    the unsteered log-probabilities differ a little too (``base_cosine`` of the raw
    log-probabilities is reported for scale).
    """
    import llama_cpp as lc
    import torch

    from specgym.analysis.lm.hooks import add_vector, hook_name

    vec = np.asarray(vector, dtype=np.float32)

    def hf(text: str, steer: bool) -> np.ndarray:
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            if steer:
                with add_vector(model, hook_name(layer), torch.as_tensor(vec), coef):
                    logits = model(input_ids=ids).logits[0, -1]
            else:
                logits = model(input_ids=ids).logits[0, -1]
        return torch.log_softmax(logits.float(), -1).numpy()

    llm = lc.Llama(str(gguf_path), n_ctx=1024, logits_all=True, verbose=False,
                   n_threads=n_threads)

    def cpp(text: str, at: int | None) -> np.ndarray:
        set_control_vector(lc, llm.ctx, llm.model, None if at is None else {at: vec * coef})
        try:
            toks = llm.tokenize(text.encode(), add_bos=False, special=True)
            lc.llama_memory_clear(lc.llama_get_memory(llm.ctx), True)
            llm.reset()
            llm.eval(toks)
            logits = np.array(llm.scores[len(toks) - 1], dtype=np.float64)
        finally:
            set_control_vector(lc, llm.ctx, llm.model, None)
        return logits - np.logaddexp.reduce(logits)

    def cos(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))

    rows = []
    try:
        for text in texts:
            base_hf, base_cpp = hf(text, False), cpp(text, None)
            d_hf = hf(text, True) - base_hf
            row = {"base_cosine": cos(base_hf - base_hf.mean(), base_cpp - base_cpp.mean()),
                   "shift_norm_hf": float(np.linalg.norm(d_hf))}
            n_layer = lc.llama_model_n_layer(llm.model)
            for name, at in (("same_layer", layer), ("layer_minus_1", layer - 1),
                             ("layer_plus_1", layer + 1)):
                if 1 <= at < n_layer:
                    row[name] = cos(d_hf, cpp(text, at) - base_cpp)
            rows.append(row)
    finally:
        llm.close()
    keys = [k for k in rows[0] if k != "shift_norm_hf"]
    return {"layer": layer, "coef": coef, "n_texts": len(texts), "per_text": rows,
            "mean": {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}}


__all__ = ["compare_logit_shift", "export_control_vector", "llamacpp_control_vector", "read_control_vector",
           "set_control_vector"]
