"""Backends behind one interface (`Backend.generate`): llama.cpp, transformers, endpoints.

Each backend module imports its heavy library only when used, so importing this package
stays cheap."""

from specgym.agents.lm.backends.base import Backend, Completion

__all__ = ["Backend", "Completion"]
