"""The steering vector as a llama.cpp control vector: the file round-trips, bad layers are
refused; (slow) llama.cpp's control vector moves the next-token distribution as the
transformers hook does, at the same layer and not at its neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from specgym.analysis.lm.controlvector import _flat, export_control_vector, read_control_vector


def test_export_round_trip(tmp_path):
    vecs = {3: np.arange(8, dtype=np.float32), 5: -np.ones(8, dtype=np.float32)}
    path = export_control_vector(tmp_path / "cv.gguf", vecs)
    back = read_control_vector(path)
    assert sorted(back) == [3, 5]
    for k, v in vecs.items():
        np.testing.assert_array_equal(back[k], v)
    import gguf

    fields = gguf.GGUFReader(str(path)).fields
    assert bytes(fields["general.architecture"].parts[-1]).decode() == "controlvector"


def test_layer_zero_and_bad_shapes_refused(tmp_path):
    with pytest.raises(ValueError, match="start at layer 1"):
        export_control_vector(tmp_path / "x.gguf", {0: np.zeros(4)})
    with pytest.raises(ValueError, match="1..3"):
        _flat({4: np.zeros(4)}, n_layer=4, n_embd=4)
    with pytest.raises(ValueError, match="shape"):
        _flat({1: np.zeros(5)}, n_layer=4, n_embd=4)
    data = _flat({2: np.ones(4)}, n_layer=4, n_embd=4)
    assert data.shape == (3, 4) and data[1].tolist() == [1, 1, 1, 1] and data[[0, 2]].sum() == 0


@pytest.mark.slow
def test_llamacpp_control_vector_matches_the_hook():
    pytest.importorskip("llama_cpp")
    import torch

    from specgym.agents.lm import load_backend
    from specgym.agents.lm.checkpoints import default_gguf_path, requantized_gguf
    from specgym.analysis.lm.controlvector import compare_logit_shift
    from specgym.analysis.lm.defection import defection_directions

    torch.set_num_threads(1)
    hf = load_backend("default", backend="transformers")
    layer = 15
    vec = defection_directions(hf.model, hf.tokenizer, [layer])[0]
    texts = [hf.render([{"role": "user", "content": q}]) for q in
             ("Which is better, (A) cats or (B) dogs?", "Did you finish the checklist?")]
    rep = compare_logit_shift(hf.model, hf.tokenizer, requantized_gguf(default_gguf_path(),
                              "q8_0"), texts, layer, vec, coef=2.0)
    assert rep["mean"]["same_layer"] > 0.8
    assert rep["mean"]["same_layer"] > rep["mean"]["layer_minus_1"]
    assert rep["mean"]["same_layer"] > rep["mean"]["layer_plus_1"]
