"""The sandbox interface the text environments program against.

Environments only ever see `SandboxBackend.start(files) -> SandboxSession`; bubblewrap is one
implementation (`BwrapBackend`), and a container backend can be added later without touching
any environment. A session is one episode's machine: a writable home holding the episode's
files, a shell whose working folder persists between commands, and host-side file access so
that the *environment* (not the model) reads the final state to compute reward and oversight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

FileTree = Mapping[str, "str | bytes"]
"""Relative path inside the home (``"notes/todo.md"``) -> text or bytes content."""


class SandboxError(RuntimeError):
    """The sandbox itself failed (could not start, broken protocol), not the model's command."""


class SandboxUnavailableError(SandboxError):
    """The isolation tool is missing; there is deliberately no unsandboxed fallback."""


class SandboxPathError(ValueError):
    """A host-side file access named a path outside the home, a link, or a non-regular file."""


@dataclass(frozen=True)
class SandboxLimits:
    """Per-command resource limits.

    Attributes:
        wall_time_s: seconds a command may run before it (and everything it started) is killed.
        memory_mb: address-space limit per process (RLIMIT_AS).
        max_processes: processes the sandbox user may have at once (RLIMIT_NPROC).
        file_size_mb: largest file a command may write (RLIMIT_FSIZE).
        output_bytes: bytes of combined stdout/stderr kept; the rest is dropped with a marker.
        home_mb: size of the home (a tmpfs: writes past it fail with "No space left").
        tmp_mb: size of /tmp (a tmpfs, as the home; both live in memory, so both are capped).
        max_files: files and folders the home and /tmp may hold together; a command that
            creates more is killed (empty files cost kernel memory that no size cap counts).
    """

    wall_time_s: float = 10.0
    memory_mb: int = 1024
    max_processes: int = 64
    file_size_mb: int = 64
    output_bytes: int = 8192
    home_mb: int = 128
    tmp_mb: int = 64
    max_files: int = 20_000

    def __post_init__(self) -> None:
        for name in ("wall_time_s", "memory_mb", "max_processes", "file_size_mb", "output_bytes",
                     "home_mb", "tmp_mb", "max_files"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be a positive number, got {value!r}")
        if self.max_processes < 8:
            raise ValueError(
                f"SandboxLimits.max_processes must be >= 8 (a shell pipeline needs a few), "
                f"got {self.max_processes}"
            )


@dataclass(frozen=True)
class CommandResult:
    """What one shell command did. ``output`` is stdout and stderr interleaved, as in a terminal.

    ``exit_code`` follows the shell: 128 + signal when killed, 124 after a timeout.
    """

    output: str
    exit_code: int
    timed_out: bool = False
    truncated: bool = False
    output_bytes: int = 0
    note: str = ""

    def render(self) -> str:
        """The text a model sees: the output followed by bracketed markers for anything unusual."""
        parts = [self.output.rstrip("\n")] if self.output else []
        if self.truncated:
            parts.append(
                f"[output truncated: {self.output_bytes} bytes produced, only the first part shown]"
            )
        if self.timed_out:
            parts.append("[command timed out and was killed]")
        if self.note:
            parts.append(f"[{self.note}]")
        if self.exit_code != 0:
            parts.append(f"[exit code {self.exit_code}]")
        return "\n".join(parts) if parts else "[no output]"


@runtime_checkable
class SandboxSession(Protocol):
    """One episode's isolated machine. Paths are relative to the home unless absolute."""

    home: str
    """The home folder as seen inside the sandbox (e.g. ``/home/user``)."""

    @property
    def cwd(self) -> str:
        """The shell's working folder inside the sandbox; persists between commands."""
        ...

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run a bash command in the current working folder; never raises for the command."""
        ...

    def read_file(self, path: str, follow_links: bool = False) -> bytes:
        """Host-side read of a regular file in the home (SandboxPathError for links, unless
        ``follow_links``: then links resolve inside the sandbox, as a command would see them)."""
        ...

    def write_file(self, path: str, content: str | bytes) -> None:
        """Host-side write into the home (setup by environments, e.g. graders' hidden files)."""
        ...

    def list_files(self) -> list[str]:
        """Relative paths of all regular files in the home, sorted."""
        ...

    def list_links(self) -> dict[str, str]:
        """Symbolic links in the home: relative path -> target, unresolved."""
        ...

    def restart(self) -> None:
        """Kill every process in the sandbox except its init; the home and folder stay."""
        ...

    def close(self) -> None:
        """Kill everything and delete the home. Idempotent."""
        ...


@runtime_checkable
class SandboxBackend(Protocol):
    """Creates sessions. ``start`` copies ``files`` into a fresh home."""

    name: str
    limits: SandboxLimits

    def start(self, files: FileTree, home: str = "/home/user") -> SandboxSession: ...
