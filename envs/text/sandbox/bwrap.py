"""Bubblewrap backend: one `bwrap` per episode, running the in-sandbox driver (`_driver.py`).

Isolation: every namespace unshared (no network), ``--die-with-parent``, a read-only view of
/usr (and the few /etc files programs need), private /tmp, /proc and /dev, the episode's temp
folder bound read-write as the home and starting folder. Run as root, the sandbox is started as
``nobody`` (uid 65534): root keeps full capabilities in its user namespace and the kernel does
not enforce RLIMIT_NPROC for it. Per-command limits (time, memory, processes, file size,
output) are applied by the driver.

>>> backend = BwrapBackend()
>>> with backend.start({"notes.txt": "hi"}) as session:
...     session.run("cd /tmp && cat ~/notes.txt").output, session.cwd
('hi', '/tmp')
"""

from __future__ import annotations

import errno
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import weakref
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
DRIVER_SOURCE = (Path(__file__).with_name("_driver.py")).read_text(encoding="utf-8")
# /etc entries programs need; everything else in the host's /etc stays invisible.
ETC_ENTRIES = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "bash.bashrc", "inputrc", "profile", "mime.types", "ssl", "python3", "python3.11",
    "python3.12", "python3.13",
)  # fmt: skip
STARTUP_TIMEOUT_S = 20.0
PROTOCOL_GRACE_S = 5.0
MAX_READ_BYTES = 8 << 20


class BwrapBackend:
    """Sandbox backend using bubblewrap. Raises SandboxUnavailableError when bwrap is missing."""

    name = "bwrap"

    def __init__(self, limits: SandboxLimits | None = None, bwrap_path: str | None = None):
        self.limits = limits or SandboxLimits()
        if not isinstance(self.limits, SandboxLimits):
            raise ValueError(f"limits must be a SandboxLimits, got {type(limits).__name__}")
        found = bwrap_path or shutil.which("bwrap")
        if not found or not os.access(found, os.X_OK):
            raise SandboxUnavailableError(INSTALL_HINT)
        self.bwrap_path = found

    def start(self, files: FileTree, home: str = "/home/user") -> BwrapSession:
        """Copy ``files`` into a fresh temp home and start the sandboxed shell there."""
        return BwrapSession(self.bwrap_path, self.limits, files, home)


class BwrapSession:
    """One episode's sandbox. Use as a context manager or call `close()`."""

    def __init__(self, bwrap_path: str, limits: SandboxLimits, files: FileTree, home: str):
        if not home.startswith("/home/") or home.count("/") != 2 or not home[6:].isidentifier():
            raise ValueError(f"home must look like '/home/<name>', got {home!r}")
        self.home = home
        self.limits = limits
        self._bwrap = bwrap_path
        self._uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        self._gid = NOBODY if os.geteuid() == 0 else os.getegid()
        self._root = Path(tempfile.mkdtemp(prefix="specgym-sandbox-"))
        self._host_home = self._root / "home"
        self._proc: subprocess.Popen | None = None
        self._cwd = home
        self._closed = False
        self._finalizer = weakref.finalize(self, _cleanup, self._root, [None])
        try:
            self._host_home.mkdir()
            for rel, content in files.items():
                self.write_file(rel, content)
            self._write_identity()
            if self._uid != os.geteuid():
                _chown_tree(self._root, self._uid, self._gid)
            os.chmod(self._root, 0o755)
            self._spawn()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------
    def _write_identity(self) -> None:
        user = self.home.rsplit("/", 1)[1]
        etc = self._root / "etc"
        etc.mkdir()
        (etc / "passwd").write_text(
            f"root:x:0:0:root:/root:/bin/bash\n{user}:x:{self._uid}:{self._gid}::{self.home}:"
            f"/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        )
        (etc / "group").write_text(f"root:x:0:\n{user}:x:{self._gid}:\n")
        (etc / "hostname").write_text("sandbox\n")

    def _argv(self) -> list[str]:
        argv = [self._bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
        argv += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
            target = os.path.join("/", name)
            if os.path.islink(target):
                argv += ["--symlink", os.readlink(target), target]
            elif os.path.isdir(target):
                argv += ["--ro-bind", target, target]
        for name in ETC_ENTRIES:
            if os.path.exists(f"/etc/{name}"):
                argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for name in ("passwd", "group", "hostname"):
            argv += ["--ro-bind", str(self._root / "etc" / name), f"/etc/{name}"]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        argv += ["--bind", str(self._host_home), self.home, "--chdir", self.home]
        # Subclasses add mounts before "--clearenv"; the root becomes read-only after them.
        argv += ["--clearenv", "--setenv", "HOME", self.home, "--setenv", "PATH", "/usr/bin:/bin"]
        argv += ["--remount-ro", "/"]
        config = {
            "home": self.home,
            "user": self.home.rsplit("/", 1)[1],
            "memory_bytes": int(self.limits.memory_mb * (1 << 20)),
            "max_processes": int(self.limits.max_processes),
            "file_size_bytes": int(self.limits.file_size_mb * (1 << 20)),
            "output_bytes": int(self.limits.output_bytes),
        }
        argv += ["/usr/bin/python3", "-I", "-S", "-c", DRIVER_SOURCE, json.dumps(config)]
        return argv

    def _spawn(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        kwargs = {}
        if self._uid != os.geteuid():
            kwargs = {"user": self._uid, "group": self._gid, "extra_groups": []}
        self._proc = subprocess.Popen(
            self._argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
            cwd="/",
            **kwargs,
        )
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, self._root, [self._proc])
        ready = self._read_reply(STARTUP_TIMEOUT_S)
        if not ready or not ready.get("ready"):
            self._stderr.seek(0)
            detail = self._stderr.read().decode(errors="replace").strip()[-2000:]
            self._kill()
            raise SandboxError(f"bubblewrap sandbox failed to start: {detail or 'no output'}")

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.close()

    def restart(self) -> None:
        """Kill every process in the sandbox and start a fresh shell on the same home."""
        self._check_open()
        self._kill()
        self._spawn()

    def close(self) -> None:
        """Kill everything and delete the home. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._proc is not None:
            self._kill()
        self._finalizer()

    def __enter__(self) -> BwrapSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands --------------------------------------------------------------------------
    @property
    def cwd(self) -> str:
        """The shell's working folder inside the sandbox; persists between commands."""
        return self._cwd

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` with bash in the current folder; the result never raises for it."""
        self._check_open()
        if not isinstance(command, str):
            raise ValueError(f"command must be a str, got {type(command).__name__}")
        timeout = self.limits.wall_time_s if timeout is None else timeout
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
            raise ValueError(f"timeout must be a number of seconds in (0, 3600], got {timeout!r}")
        note = ""
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            self._spawn()
            note = "the previous sandbox shell had ended; a fresh one was started"
        request = {"cmd": command.replace("\0", ""), "cwd": self._cwd, "timeout": float(timeout)}
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._kill()
            return CommandResult("", 137, note="the sandbox shell was killed; it restarts")
        reply = self._read_reply(timeout + PROTOCOL_GRACE_S)
        if reply is None or "error" in reply or "output" not in reply:
            self._kill()
            why = (reply or {}).get("error", "the sandbox shell was killed (e.g. its parent)")
            return CommandResult("", 137, note=f"{why}; a fresh shell starts for the next command")
        self._cwd = reply["cwd"] if reply["cwd"].startswith("/") else self._cwd
        return CommandResult(
            output=reply["output"],
            exit_code=int(reply["exit_code"]),
            timed_out=bool(reply["timed_out"]),
            truncated=bool(reply["truncated"]),
            output_bytes=int(reply["output_bytes"]),
            note=note,
        )

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

    # -- host-side file access -------------------------------------------------------------
    def _host_path(self, path: str) -> Path:
        if not isinstance(path, str) or not path:
            raise SandboxPathError(f"path must be a non-empty str, got {path!r}")
        if path.startswith("/"):
            if path != self.home and not path.startswith(self.home + "/"):
                raise SandboxPathError(f"{path!r} is outside the sandbox home {self.home}")
            path = path[len(self.home) :].lstrip("/")
        if path.startswith("~/"):
            path = path[2:]
        parts = Path(path).parts
        if not parts or ".." in parts:
            raise SandboxPathError(f"path {path!r} must name a file inside the home without '..'")
        full = self._host_home.joinpath(*parts)
        parent = full.parent.resolve()
        base = self._host_home.resolve()
        if parent != base and base not in parent.parents:
            raise SandboxPathError(f"{path!r} leads outside the sandbox home through a link")
        return full

    def read_file(self, path: str) -> bytes:
        """Read a regular file of the home without following links (FileNotFoundError if absent)."""
        full = self._host_path(path)
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise SandboxPathError(f"{path!r} is a symbolic link") from err
            raise
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SandboxPathError(f"{path!r} is not a regular file")
            if info.st_size > MAX_READ_BYTES:
                raise SandboxPathError(f"{path!r} is {info.st_size} bytes; the limit is 8 MiB")
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_text(self, path: str) -> str | None:
        """`read_file` decoded as UTF-8, or None when the file is missing or not readable."""
        try:
            return self.read_file(path).decode("utf-8", errors="replace")
        except (OSError, SandboxPathError):
            return None

    def write_file(self, path: str, content: str | bytes) -> None:
        """Write a file into the home (folders created), owned by the sandbox user."""
        full = self._host_path(path)
        if full.is_symlink():
            raise SandboxPathError(f"{path!r} is a symbolic link")
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(data)
        if self._proc is not None and self._uid != os.geteuid():
            _chown_tree(self._host_home, self._uid, self._gid)

    def list_files(self) -> list[str]:
        """Relative paths of the home's regular files, sorted; links are not followed."""
        found = []
        for dirpath, _dirs, names in os.walk(self._host_home):
            for name in names:
                full = os.path.join(dirpath, name)
                if stat.S_ISREG(os.lstat(full).st_mode):
                    found.append(os.path.relpath(full, self._host_home))
        return sorted(found)

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError("this sandbox session is closed")


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirs, names in os.walk(root):
        for name in dirs + names:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def _cleanup(root: Path, procs: list) -> None:
    """Kill a leftover sandbox and delete its folder, even if the model made it unwritable."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def make_writable(func, path, _exc):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        func(path)

    if os.path.exists(root):
        shutil.rmtree(root, onerror=make_writable)
