"""The driver that runs *inside* the sandbox as its pid 1, with the system python (``-I -S``).

Why a driver: starting a fresh bubblewrap per command costs ~10 ms (4x a plain ``bash -c``),
so one sandbox lives for the episode and this loop runs each command as a child ``bash -c``.
It is the namespace's init (``bwrap --as-pid-1``): the kernel drops every signal that a process
inside the namespace sends it without a handler, so no command can kill it, and it is made
undumpable, so no command can ptrace it or open its pipes through ``/proc/1/fd``. Its
environment is the clean one bubblewrap sets, so ``/proc/1/environ`` shows nothing of the host.

The home and ``/tmp`` are size-capped tmpfs mounts that exist only in this namespace; the host
reads and writes the home through this driver (ops ``read``, ``write``, ``list``), so every
host-side file access sees the sandbox's own view and can never follow a link to a host file.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.

=========  ==================================================  ==================================
op         request fields                                      reply fields
=========  ==================================================  ==================================
run        cmd, cwd, timeout                                   output, exit_code, timed_out,
                                                               truncated, output_bytes, cwd, note
write      files: {relative path: base64}                      ok
read       path, follow (bool), max_bytes                      data (base64) | missing | refused
list       max_entries, max_depth                              files, links, truncated
=========  ==================================================  ==================================

After every command all other processes are killed (``kill(-1)`` from init), so nothing a
command left behind outlives it. Only the standard library is used.
"""

import base64
import errno
import json
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import time

CONFIG = json.loads(sys.argv[1])
HOME = CONFIG["home"]
CWD_FILE = "/tmp/.specgym_cwd"
ENV = {
    "HOME": HOME,
    "USER": CONFIG["user"],
    "LOGNAME": CONFIG["user"],
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",
}
RLIMITS = [
    (resource.RLIMIT_AS, CONFIG["memory_bytes"]),
    (resource.RLIMIT_NPROC, CONFIG["max_processes"]),
    (resource.RLIMIT_FSIZE, CONFIG["file_size_bytes"]),
    (resource.RLIMIT_CORE, 0),
]
QUOTA_POLL_S = 0.05


def _make_undumpable():
    """Stop sandboxed commands (same uid) from ptracing or opening /proc/1/fd."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort hardening
        pass


def _limit_child():
    for which, value in RLIMITS:
        resource.setrlimit(which, (value, value))


def _reap():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_everything_else():
    """SIGKILL every other process of the namespace (we are its init) and reap them."""
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap()
        if not [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]:
            return
        time.sleep(0.005)


def _files_in_use():
    """Inodes in use on the home and /tmp tmpfs mounts (their sizes are capped by the kernel)."""
    used = 0
    for mount in (HOME, "/tmp"):
        info = os.statvfs(mount)
        used += info.f_files - info.f_ffree
    return used


def _run(request):
    limit = CONFIG["output_bytes"]
    script = (
        f"trap 'pwd -P > {CWD_FILE} 2>/dev/null' EXIT\n"
        f"cd -- {_quote(request['cwd'])} 2>/dev/null || cd -- {_quote(HOME)}\n"
        f"{request['cmd']}\n"
    )
    try:
        os.unlink(CWD_FILE)
    except OSError:
        pass
    start = time.monotonic()
    deadline = start + request["timeout"]
    proc = subprocess.Popen(
        ["/bin/bash", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=ENV,
        cwd=HOME,
        preexec_fn=_limit_child,
        start_new_session=True,
    )
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    kept, total, timed_out, exited_at, note = bytearray(), 0, False, None, ""
    next_quota_check = start
    while True:
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        if now >= next_quota_check:
            next_quota_check = now + QUOTA_POLL_S
            in_use = _files_in_use()
            if in_use > CONFIG["max_files"]:
                note = (f"file-count limit exceeded: {in_use} files and folders, the limit is "
                        f"{CONFIG['max_files']}; the command was killed")
                break
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > 0.05:
            break  # a background process still holds the pipe open
        if not selector.select(min(QUOTA_POLL_S, deadline - now)):
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            continue
        if not chunk:
            break
        total += len(chunk)
        if len(kept) < limit:
            kept += chunk[: limit - len(kept)]
    if not timed_out and not note:  # the pipe closed; collect the shell's status first
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
    _kill_everything_else()
    proc.wait()
    selector.close()
    proc.stdout.close()
    code = proc.returncode
    exit_code = 124 if timed_out else (128 - code if code < 0 else code)
    try:
        with open(CWD_FILE, encoding="utf-8", errors="replace") as handle:
            cwd = handle.read().strip() or request["cwd"]
    except OSError:
        cwd = request["cwd"]
    return {
        "output": kept.decode("utf-8", errors="replace"),
        "exit_code": exit_code,
        "timed_out": timed_out,
        "truncated": total > limit,
        "output_bytes": total,
        "cwd": cwd,
        "note": note,
    }


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


# -- host-side file access, done from inside ------------------------------------------------
class Refused(Exception):
    """A path the host may not touch: a link, a non-regular file, too big."""


def _parts(path):
    parts = [p for p in os.fsencode(path).split(b"/") if p not in (b"", b".")]
    if not parts or b".." in parts:
        raise Refused(f"path {path!r} must name a file inside the home without '..'")
    return parts


def _open_dir(parts, create):
    """An fd of the folder ``parts`` under the home, never passing through a link."""
    fd = os.open(HOME, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise Refused("the path leads outside the home or through a link") from err
                if err.errno == errno.EACCES:  # the agent removed our permissions: restore them
                    os.fchmod(fd, 0o755)
                    os.chmod(part, 0o755, dir_fd=fd)
                    child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                else:
                    raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _read(request):
    parts = _parts(request["path"])
    limit = request["max_bytes"]
    try:
        if request.get("follow"):
            fd = os.open(os.path.join(HOME, *map(os.fsdecode, parts)), os.O_RDONLY | os.O_NONBLOCK)
        else:
            folder = _open_dir(parts[:-1], create=False)
            try:
                try:
                    fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK,
                                 dir_fd=folder)
                except PermissionError:
                    os.fchmod(folder, 0o755)
                    os.chmod(parts[-1], 0o644, dir_fd=folder)
                    fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK,
                                 dir_fd=folder)
            finally:
                os.close(folder)
    except FileNotFoundError:
        return {"missing": True}
    except NotADirectoryError:
        return {"missing": True}
    except OSError as err:
        if err.errno == errno.ELOOP:
            return {"refused": "is a symbolic link"}
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return {"refused": "is not a regular file"}
        if info.st_size > limit:
            return {"refused": f"is {info.st_size} bytes; the limit is {limit}"}
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return {"data": base64.b64encode(b"".join(chunks)).decode()}
    finally:
        os.close(fd)


def _write(request):
    for path, encoded in request["files"].items():
        parts = _parts(path)
        folder = _open_dir(parts[:-1], create=True)
        try:
            try:
                os.unlink(parts[-1], dir_fd=folder)
            except FileNotFoundError:
                pass
            except IsADirectoryError as err:
                raise Refused(f"{path!r} is a folder") from err
            fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                         dir_fd=folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.b64decode(encoded))
        finally:
            os.close(folder)
    return {"ok": True}


def _list(request):
    """Regular files and links under the home: iterative, links never followed, bounded."""
    files, links, truncated, seen = [], {}, False, 0
    stack = [(b"", 0)]
    while stack:
        rel, depth = stack.pop()
        folder = os.path.join(os.fsencode(HOME), rel) if rel else os.fsencode(HOME)
        try:
            entries = list(os.scandir(folder))
        except PermissionError:
            try:  # the agent removed our permissions (no file op runs beside a command)
                os.chmod(os.path.dirname(folder), 0o755)
                os.chmod(folder, 0o755)
                entries = list(os.scandir(folder))
            except OSError:
                truncated = True
                continue
        except OSError:  # a name too long for a path, a folder removed meanwhile
            truncated = True
            continue
        for entry in entries:
            seen += 1
            if seen > request["max_entries"]:
                return {"files": sorted(files), "links": links, "truncated": True}
            name = os.path.join(rel, entry.name) if rel else entry.name
            if entry.is_symlink():
                try:
                    links[os.fsdecode(name)] = os.fsdecode(os.readlink(entry.path))
                except OSError:
                    links[os.fsdecode(name)] = ""
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 >= request["max_depth"]:
                    truncated = True
                else:
                    stack.append((name, depth + 1))
            elif entry.is_file(follow_symlinks=False):
                files.append(os.fsdecode(name))
    return {"files": sorted(files), "links": links, "truncated": truncated}


OPS = {"run": _run, "read": _read, "write": _write, "list": _list}


def main():
    _make_undumpable()
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(null, 2)
    protocol_out.write(json.dumps({"ready": True}) + "\n")
    protocol_out.flush()
    for line in protocol_in:
        try:
            request = json.loads(line)
            reply = OPS[request.get("op", "run")](request)
        except Refused as err:
            reply = {"refused": str(err)}
        except Exception as err:  # noqa: BLE001 - report, keep serving
            reply = {"error": f"{type(err).__name__}: {err}"}
        protocol_out.write(json.dumps(reply) + "\n")
        protocol_out.flush()
        _reap()


main()
