"""Hook points: they read what transformers computes, add exactly what is asked, and are
always removed (after normal exit, an exception in the block, or one inside the forward)."""

from __future__ import annotations

import pytest
import torch

from specgym.analysis.lm.hooks import active_hooks, add_vector, capture, hook_names, parse_hook


def test_resid_post_equals_hidden_states(model):
    ids = torch.tensor([[4, 10, 11, 12, 13, 14]])
    names = [f"model.layers.{i}.resid_post" for i in range(3)] + ["model.layers.0.resid_pre"]
    with capture(model, names) as got:
        out = model(input_ids=ids, output_hidden_states=True)
    hs = out.hidden_states  # hidden_states[i] enters layer i; the last one is after the norm
    for i in range(3):
        torch.testing.assert_close(got[f"model.layers.{i}.resid_post"][0], hs[i + 1])
    torch.testing.assert_close(got["model.layers.0.resid_pre"][0], hs[0])


def test_attn_plus_mlp_is_the_residual_update(model):
    ids = torch.tensor([[4, 10, 11, 12]])
    kinds = ("resid_pre", "resid_post", "attn_out", "mlp_out")
    with capture(model, [f"model.layers.1.{k}" for k in kinds]) as got:
        model(input_ids=ids)
    pre, post, attn, mlp = (got[f"model.layers.1.{k}"][0] for k in kinds)
    torch.testing.assert_close(pre + attn + mlp, post)


def test_add_vector_adds_exactly_and_reaches_later_layers(model):
    ids = torch.tensor([[4, 10, 11, 12]])
    v = torch.randn(model.config.hidden_size)
    with capture(model, ["model.layers.1.resid_post"]) as base:
        model(input_ids=ids)
    with add_vector(model, "model.layers.1.resid_post", v, 2.5), \
            capture(model, ["model.layers.1.resid_post", "model.layers.2.resid_pre"]) as got:
        model(input_ids=ids)
    torch.testing.assert_close(got["model.layers.1.resid_post"][0],
                               base["model.layers.1.resid_post"][0] + 2.5 * v)
    torch.testing.assert_close(got["model.layers.2.resid_pre"][0],
                               got["model.layers.1.resid_post"][0])


def test_hooks_removed_after_normal_exit_and_exceptions(model):
    before = active_hooks(model)
    ids = torch.tensor([[4, 10, 11]])
    with capture(model, hook_names(model)):
        assert active_hooks(model) > before
        model(input_ids=ids)
    assert active_hooks(model) == before
    with pytest.raises(RuntimeError, match="boom"):
        with add_vector(model, "model.layers.2.resid_pre", torch.zeros(128)):
            raise RuntimeError("boom")
    assert active_hooks(model) == before
    # an error raised inside the hook, mid-forward (wrong width)
    with pytest.raises(ValueError, match="width"):
        with add_vector(model, "model.layers.2.resid_post", torch.zeros(7)):
            model(input_ids=ids)
    assert active_hooks(model) == before
    # an unknown name fails before anything is attached
    with pytest.raises(ValueError, match="allowed"):
        with capture(model, ["model.layers.1.resid_post", "model.layers.9.resid_post"]):
            pass
    assert active_hooks(model) == before
    assert not model(input_ids=ids).logits.isnan().any()


def test_bad_names_are_explained(model):
    for bad in ("model.layers.4.resid_post", "layers.1.resid_post", "model.layers.1.mlp"):
        with pytest.raises(ValueError, match=r"0\.\.3"):
            parse_hook(model, bad)
