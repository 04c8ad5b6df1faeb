"""Sandboxes that run model-written shell commands: the interface and the bubblewrap backend."""

from specgym.envs.text.sandbox.backend import (
    CommandResult,
    FileTree,
    SandboxBackend,
    SandboxError,
    SandboxLimits,
    SandboxPathError,
    SandboxSession,
    SandboxUnavailableError,
)
from specgym.envs.text.sandbox.bwrap import BwrapBackend, BwrapSession

__all__ = [
    "BwrapBackend",
    "BwrapSession",
    "CommandResult",
    "FileTree",
    "SandboxBackend",
    "SandboxError",
    "SandboxLimits",
    "SandboxPathError",
    "SandboxSession",
    "SandboxUnavailableError",
]
