"""Bubblewrap backend: one `bwrap` per episode, running the in-sandbox driver (`_driver.py`).

Isolation: every namespace unshared (no network), ``--die-with-parent``, a read-only view of
/usr (and the few /etc files programs need), private /proc and /dev. The home and /tmp are
size-capped tmpfs mounts that exist only inside the sandbox: nothing an episode writes reaches
the host's disk, and when the sandbox ends they are gone with it, whatever tree the agent built.
The host touches the home only through the driver, which is the namespace's pid 1 (no command
can kill it) and sees nothing but the sandbox. bubblewrap itself starts from an empty
environment, so no variable of the host is readable inside, ``/proc/1/environ`` included.

Run as root, the sandbox is started as ``nobody`` (uid 65534): root keeps full capabilities in
its user namespace and the kernel does not enforce RLIMIT_NPROC for it. Each sandbox has its own
user namespace, and since Linux 5.14 the process limit is counted per user namespace, so a fork
bomb in one sandbox does not starve another (``tests/text/test_sandbox_load.py`` shows it).

>>> backend = BwrapBackend()
>>> with backend.start({"notes.txt": "hi"}) as session:
...     session.run("cd /tmp && cat ~/notes.txt").output, session.cwd
('hi', '/tmp')
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path

from specgym.envs.text.sandbox.backend import (
    CommandResult,
    FileTree,
    SandboxError,
    SandboxLimits,
    SandboxPathError,
    SandboxUnavailableError,
)

INSTALL_HINT = (
    "bubblewrap (`bwrap`) is required to run model-written commands and was not found. "
    "Install it with `apt-get install bubblewrap` (Debian/Ubuntu package `bubblewrap`; "
    "`dnf install bubblewrap` on Fedora). There is deliberately no unsandboxed fallback."
)
NOBODY = 65534
DRIVER_SOURCE = Path(__file__).with_name("_driver.py").read_text(encoding="utf-8")
# /etc entries programs need; everything else in the host's /etc stays invisible.
ETC_ENTRIES = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "bash.bashrc", "inputrc", "profile", "mime.types", "ssl", "python3", "python3.11",
    "python3.12", "python3.13",
)  # fmt: skip
STARTUP_TIMEOUT_S = 20.0
PROTOCOL_GRACE_S = 5.0
FILE_OP_TIMEOUT_S = 30.0
MAX_READ_BYTES = 8 << 20
MAX_LIST_ENTRIES = 50_000
MAX_LIST_DEPTH = 64


class BwrapBackend:
    """Sandbox backend using bubblewrap. Raises SandboxUnavailableError when bwrap is missing.

    Args:
        limits: per-command and per-sandbox limits.
        bwrap_path: the bwrap binary (default: found on PATH).
        ro_binds: extra ``(host path, sandbox path)`` pairs mounted read-only, e.g. packages.
        masked_dirs: sandbox folders covered by an empty read-only tmpfs before ``ro_binds``
            are mounted (so only the bound entries show there).
    """

    name = "bwrap"

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        bwrap_path: str | None = None,
        ro_binds: Sequence[tuple[str, str]] = (),
        masked_dirs: Sequence[str] = (),
    ):
        self.limits = limits or SandboxLimits()
        if not isinstance(self.limits, SandboxLimits):
            raise ValueError(f"limits must be a SandboxLimits, got {type(limits).__name__}")
        found = bwrap_path or shutil.which("bwrap")
        if not found or not os.access(found, os.X_OK):
            raise SandboxUnavailableError(INSTALL_HINT)
        for host, inside in ro_binds:
            if not os.path.exists(host):
                raise ValueError(f"ro_binds: host path {host!r} does not exist")
            if not inside.startswith("/"):
                raise ValueError(f"ro_binds: sandbox path {inside!r} must be absolute")
        for folder in masked_dirs:
            if not folder.startswith("/"):
                raise ValueError(f"masked_dirs: {folder!r} must be an absolute path")
        self.bwrap_path = found
        self.ro_binds = tuple((str(h), str(i)) for h, i in ro_binds)
        self.masked_dirs = tuple(masked_dirs)

    def start(self, files: FileTree, home: str = "/home/user") -> BwrapSession:
        """Start a sandbox whose home holds ``files``."""
        return BwrapSession(self, files, home)


class BwrapSession:
    """One episode's sandbox. Use as a context manager or call `close()`."""

    def __init__(self, backend: BwrapBackend, files: FileTree, home: str):
        if not home.startswith("/home/") or home.count("/") != 2 or not home[6:].isidentifier():
            raise ValueError(f"home must look like '/home/<name>', got {home!r}")
        for path in files:
            _check_relative(path, self_home=home)
        self.home = home
        self.backend = backend
        self.limits = backend.limits
        self._uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        self._gid = NOBODY if os.geteuid() == 0 else os.getegid()
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._cwd = home
        self._closed = False
        self._files = dict(files)
        self._finalizer = weakref.finalize(self, _kill_group, [None])
        try:
            self._spawn()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------
    def _identity_files(self) -> dict[str, str]:
        user = self.home.rsplit("/", 1)[1]
        return {
            "/etc/passwd": f"root:x:0:0:root:/root:/bin/bash\n{user}:x:{self._uid}:{self._gid}::"
            f"{self.home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            "/etc/group": f"root:x:0:\n{user}:x:{self._gid}:\n",
            "/etc/hostname": "sandbox\n",
        }

    def _argv(self, data_fds: dict[str, int]) -> list[str]:
        limits = self.limits
        argv = [self.backend.bwrap_path, "--unshare-all", "--die-with-parent", "--new-session"]
        argv += ["--as-pid-1", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
            target = os.path.join("/", name)
            if os.path.islink(target):
                argv += ["--symlink", os.readlink(target), target]
            elif os.path.isdir(target):
                argv += ["--ro-bind", target, target]
        for name in ETC_ENTRIES:
            if os.path.exists(f"/etc/{name}"):
                argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for dest, fd in data_fds.items():
            argv += ["--perms", "0644", "--ro-bind-data", str(fd), dest]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
        argv += ["--size", str(limits.home_mb << 20), "--tmpfs", self.home]
        for folder in self.backend.masked_dirs:
            argv += ["--tmpfs", folder]
        for host, inside in self.backend.ro_binds:
            argv += ["--ro-bind", host, inside]
        for folder in self.backend.masked_dirs:  # after the binds: they need mount points
            argv += ["--remount-ro", folder]
        argv += ["--chdir", self.home]
        argv += ["--clearenv", "--setenv", "HOME", self.home, "--setenv", "PATH", "/usr/bin:/bin"]
        argv += ["--remount-ro", "/"]
        config = {
            "home": self.home,
            "user": self.home.rsplit("/", 1)[1],
            "memory_bytes": int(limits.memory_mb * (1 << 20)),
            "max_processes": int(limits.max_processes),
            "file_size_bytes": int(limits.file_size_mb * (1 << 20)),
            "output_bytes": int(limits.output_bytes),
            "max_files": int(limits.max_files),
        }
        argv += ["/usr/bin/python3", "-I", "-S", "-c", DRIVER_SOURCE, json.dumps(config)]
        return argv

    def _spawn(self) -> None:
        """Start bwrap from an empty environment, then copy the episode's files in."""
        data_fds = {}
        try:
            for dest, text in self._identity_files().items():
                read_end, write_end = os.pipe()
                os.write(write_end, text.encode())
                os.close(write_end)
                data_fds[dest] = read_end
            self._stderr = tempfile.TemporaryFile()
            kwargs = {}
            if self._uid != os.geteuid():
                kwargs = {"user": self._uid, "group": self._gid, "extra_groups": []}
            self._proc = subprocess.Popen(
                self._argv(data_fds),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                start_new_session=True,
                cwd="/",
                env={},
                pass_fds=tuple(data_fds.values()),
                **kwargs,
            )
        finally:
            for fd in data_fds.values():
                os.close(fd)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _kill_group, [self._proc])
        ready = self._read_reply(STARTUP_TIMEOUT_S)
        if not ready or not ready.get("ready"):
            self._stderr.seek(0)
            detail = self._stderr.read().decode(errors="replace").strip()[-2000:]
            self._kill()
            raise SandboxError(f"bubblewrap sandbox failed to start: {detail or 'no output'}")
        if self._files:
            self._write_files(self._files)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _kill_group([proc])
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def restart(self) -> None:
        """Kill every process but the sandbox's init; the home and working folder stay.

        Only when the init itself has gone (it cannot be killed from inside) does a fresh
        sandbox start, from the episode's starting files.
        """
        self._check_open()
        if self._alive():
            self.run("true")
        else:
            self._kill()
            self._spawn()

    def close(self) -> None:
        """Kill everything; the home and /tmp vanish with the sandbox. Idempotent.

        Raises SandboxError if a sandbox process survives, so a leak is never silent.
        """
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        self._kill()
        self._finalizer.detach()
        if proc is not None and proc.poll() is None:
            raise SandboxError(f"bubblewrap process {proc.pid} survived SIGKILL")

    def __enter__(self) -> BwrapSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands --------------------------------------------------------------------------
    @property
    def cwd(self) -> str:
        """The shell's working folder inside the sandbox; persists between commands."""
        return self._cwd

    @property
    def host_pid(self) -> int | None:
        """The host pid of this sandbox's bubblewrap process (None once closed)."""
        return self._proc.pid if self._proc is not None else None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` with bash in the current folder; the result never raises for it."""
        self._check_open()
        if not isinstance(command, str):
            raise ValueError(f"command must be a str, got {type(command).__name__}")
        timeout = self.limits.wall_time_s if timeout is None else timeout
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
            raise ValueError(f"timeout must be a number of seconds in (0, 3600], got {timeout!r}")
        note = ""
        if not self._alive():
            self._kill()
            self._spawn()
            note = "the sandbox had ended; a fresh one was started from the episode's files"
        request = {"op": "run", "cmd": command.replace("\0", ""), "cwd": self._cwd,
                   "timeout": float(timeout)}
        reply = self._request(request, timeout + PROTOCOL_GRACE_S)
        if reply is None or "error" in reply or "output" not in reply:
            self._kill()
            why = (reply or {}).get("error", "the sandbox stopped answering")
            return CommandResult("", 137, note=f"{why}; a fresh sandbox starts for the next "
                                 "command")
        self._cwd = reply["cwd"] if reply["cwd"].startswith("/") else self._cwd
        notes = [n for n in (note, reply.get("note", "")) if n]
        return CommandResult(
            output=reply["output"],
            exit_code=int(reply["exit_code"]),
            timed_out=bool(reply["timed_out"]),
            truncated=bool(reply["truncated"]),
            output_bytes=int(reply["output_bytes"]),
            note="; ".join(notes),
        )

    def _request(self, request: dict, timeout: float) -> dict | None:
        if not self._alive():
            return None
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._read_reply(timeout)

    def _read_reply(self, timeout: float) -> dict | None:
        """One JSON line from the driver, or None on EOF, garbage or timeout."""
        assert self._proc is not None
        stream = self._proc.stdout
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(deadline - time.monotonic()):
                    line = stream.readline()
                    if not line:
                        return None
                    try:
                        reply = json.loads(line)
                    except ValueError:
                        return None
                    return reply if isinstance(reply, dict) else None
        return None

    def _file_op(self, request: dict) -> dict:
        self._check_open()
        if not self._alive():
            raise SandboxError("the sandbox has ended; its files are gone")
        reply = self._request(request, FILE_OP_TIMEOUT_S)
        if reply is None:
            self._kill()
            raise SandboxError(f"the sandbox did not answer a {request['op']!r} request")
        if "error" in reply:
            raise SandboxError(f"{request['op']} failed inside the sandbox: {reply['error']}")
        return reply

    # -- host-side file access (through the driver) ----------------------------------------
    def _relative(self, path: str) -> str:
        return _check_relative(path, self_home=self.home)

    def read_file(self, path: str, follow_links: bool = False) -> bytes:
        """Read a regular file of the home (FileNotFoundError if absent).

        Without ``follow_links`` a link anywhere on the path raises SandboxPathError; with it,
        links resolve inside the sandbox exactly as a command's ``cat`` would resolve them.
        """
        rel = self._relative(path)
        reply = self._file_op({"op": "read", "path": rel, "follow": bool(follow_links),
                               "max_bytes": MAX_READ_BYTES})
        if reply.get("missing"):
            raise FileNotFoundError(f"{path!r} does not exist in the sandbox home")
        if "refused" in reply:
            raise SandboxPathError(f"{path!r} {reply['refused']}")
        return base64.b64decode(reply["data"])

    def read_text(self, path: str, follow_links: bool = False) -> str | None:
        """`read_file` decoded as UTF-8, or None when the file is missing or not readable."""
        try:
            return self.read_file(path, follow_links).decode("utf-8", errors="replace")
        except (OSError, SandboxPathError):
            return None

    def write_file(self, path: str, content: str | bytes) -> None:
        """Write a file into the home (folders created); refuses to pass through links."""
        self._write_files({self._relative(path): content})

    def _write_files(self, files: FileTree) -> None:
        encoded = {}
        for path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            encoded[self._relative(path)] = base64.b64encode(data).decode()
        reply = self._file_op({"op": "write", "files": encoded})
        if "refused" in reply:
            raise SandboxPathError(reply["refused"])

    def _listing(self) -> dict:
        return self._file_op({"op": "list", "max_entries": MAX_LIST_ENTRIES,
                              "max_depth": MAX_LIST_DEPTH})

    def list_files(self) -> list[str]:
        """Relative paths of the home's regular files, sorted; links are not followed.

        Bounded: at most 50,000 entries and 64 folders deep are walked.
        """
        return list(self._listing()["files"])

    def list_links(self) -> dict[str, str]:
        """Symbolic links in the home: relative path -> target (as written, unresolved)."""
        return dict(self._listing()["links"])

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError("this sandbox session is closed")


def _check_relative(path: str, self_home: str) -> str:
    """``path`` as a path relative to the home, or SandboxPathError."""
    if not isinstance(path, str) or not path:
        raise SandboxPathError(f"path must be a non-empty str, got {path!r}")
    if path.startswith("/"):
        if path != self_home and not path.startswith(self_home + "/"):
            raise SandboxPathError(f"{path!r} is outside the sandbox home {self_home}")
        path = path[len(self_home):].lstrip("/")
    if path.startswith("~/"):
        path = path[2:]
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise SandboxPathError(f"path {path!r} must name a file inside the home without '..'")
    return "/".join(parts)


def _kill_group(procs: list) -> None:
    """SIGKILL a sandbox's process group and reap it; the tmpfs home vanishes with it."""
    for proc in procs:
        if proc is None:
            continue
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            warnings.warn(f"sandbox process {proc.pid} did not die after SIGKILL", stacklevel=2)
