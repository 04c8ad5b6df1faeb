"""Attacks run through the real sandbox: each is contained, reported, and the next command of
the same session still works."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

import specgym
from tests.text.conftest import requires_bwrap

pytestmark = requires_bwrap
PROJECT_ROOT = Path(specgym.__file__).resolve().parents[1]


def _still_works(session) -> None:
    result = session.run("echo alive && cat ~/notes.txt")
    assert result.output == "alive\nhello\n" and result.exit_code == 0


def test_cannot_write_outside_the_home(session):
    name = f"specgym-escape-{uuid.uuid4().hex}"
    result = session.run(
        f"echo x > /usr/{name}; echo x > /etc/{name}; echo x > /{name}; echo x > /tmp/{name}"
    )
    assert result.output.count("Read-only file system") == 3  # /tmp is private and writable
    for folder in ("/usr", "/etc", "/", "/tmp"):
        assert not os.path.exists(os.path.join(folder, name))
    _still_works(session)


def test_cannot_read_host_home_or_project(session):
    result = session.run(
        f"ls /root; cat {PROJECT_ROOT}/setup.py; ls {PROJECT_ROOT}; ls /work; cat /etc/shadow"
    )
    assert result.exit_code != 0
    assert result.output.count("No such file or directory") == 5
    _still_works(session)


def test_no_network(session):
    result = session.run(
        "echo > /dev/tcp/1.1.1.1/53; echo > /dev/tcp/127.0.0.1/22; "
        "python3 -c \"import socket; socket.create_connection(('8.8.8.8', 53), timeout=2)\""
    )
    assert "Network is unreachable" in result.output or "Connection refused" in result.output
    assert result.exit_code != 0
    assert session.run("ls /sys/class/net 2>&1").exit_code != 0
    _still_works(session)


def test_fork_bomb_is_contained(session):
    start = time.monotonic()
    result = session.run(":(){ :|:& };:", timeout=2)
    assert time.monotonic() - start < 10
    assert "Resource temporarily unavailable" in result.render() or result.timed_out
    names = session.run("cat /proc/[0-9]*/comm").output.split()
    assert names.count("bash") == 1  # every copy of the bomb is gone
    _still_works(session)


def test_infinite_loop_times_out(session):
    start = time.monotonic()
    result = session.run("while :; do :; done", timeout=1)
    assert 0.9 < time.monotonic() - start < 5
    assert result.timed_out and result.exit_code == 124
    assert "[command timed out and was killed]" in result.render()
    _still_works(session)


def test_huge_output_is_cut_with_a_marker(session):
    result = session.run("head -c 100000000 /dev/zero | tr '\\0' x")
    assert result.truncated and result.output_bytes == 100_000_000
    assert result.output == "x" * 4096
    assert "[output truncated: 100000000 bytes produced" in result.render()
    _still_works(session)


def test_the_sandbox_init_cannot_be_killed_from_inside(session):
    session.run("cd sub")
    result = session.run("kill -9 $PPID; kill -9 1; echo still here")
    assert result.exit_code == 0 and result.output == "still here\n"
    after = session.run("pwd && cat ~/notes.txt")
    assert after.output == "/home/user/sub\nhello\n" and after.note == ""


def test_memory_and_file_size_limits(session):
    memory = session.run("python3 -c 'x = bytearray(3 * 1024**3)'")
    assert "MemoryError" in memory.output
    big = session.run("head -c 200000000 /dev/zero > big.bin", timeout=5)
    assert big.exit_code == 128 + 25 and "File size limit exceeded" in big.output
    _still_works(session)


@pytest.mark.parametrize("command", ["kill -9 -1", "kill -9 1"])
def test_killing_everything_is_recovered(session, command):
    session.run(command)
    _still_works(session)
