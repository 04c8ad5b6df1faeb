"""The shell driver that runs *inside* the sandbox, with the system python (``python3 -I -S``).

Why a driver: starting a fresh bubblewrap per command costs ~10 ms (4x a plain ``bash -c``),
so one sandbox lives for the episode and this loop runs each command as a child ``bash -c``.
Protocol: one JSON request per line on stdin ``{"cmd", "cwd", "timeout"}``, one JSON reply per
line on stdout ``{"output", "exit_code", "timed_out", "truncated", "output_bytes", "cwd"}``.
After every command all other processes in the sandbox are killed (``kill(-1)`` in the pid
namespace), so nothing a command left behind outlives it. Only the standard library is used.
"""

import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time

CONFIG = json.loads(sys.argv[1])
CWD_FILE = "/tmp/.specgym_cwd"
ENV = {
    "HOME": CONFIG["home"],
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


def _make_undumpable() -> None:
    """Stop sandboxed commands (same uid) from ptracing or opening /proc/<driver>/fd."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort hardening
        pass


def _limit_child() -> None:
    for which, value in RLIMITS:
        resource.setrlimit(which, (value, value))


def _kill_everything_else() -> None:
    """SIGKILL every process in this pid namespace except init (pid 1) and the driver."""
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        me = os.getpid()
        if not [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]:
            return
        time.sleep(0.002)


def _run(request: dict) -> dict:
    limit = CONFIG["output_bytes"]
    script = (
        f"trap 'pwd -P > {CWD_FILE} 2>/dev/null' EXIT\n"
        f"cd -- {_quote(request['cwd'])} 2>/dev/null || cd -- {_quote(CONFIG['home'])}\n"
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
        cwd=CONFIG["home"],
        preexec_fn=_limit_child,
        start_new_session=True,
    )
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    kept, total, timed_out, exited_at = bytearray(), 0, False, None
    while True:
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > 0.05:
            break  # a background process still holds the pipe open
        if not selector.select(min(0.05, deadline - now)):
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
    if not timed_out:  # the pipe closed; collect the shell's status before reaping others
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
    }


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def main() -> None:
    _make_undumpable()
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    protocol_out.write(json.dumps({"ready": True}) + "\n")
    protocol_out.flush()
    for line in protocol_in:
        try:
            reply = _run(json.loads(line))
        except Exception as err:  # noqa: BLE001 - report, keep serving
            reply = {"error": f"{type(err).__name__}: {err}"}
        protocol_out.write(json.dumps(reply) + "\n")
        protocol_out.flush()


main()
