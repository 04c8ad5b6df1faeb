"""Shared pieces of the LM-training tests."""

from __future__ import annotations

import pytest

import specgym  # noqa: F401 - registers the env ids
from tests.lm.conftest import ScriptedBackend, needs_bwrap  # noqa: F401


@pytest.fixture(autouse=True)
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
