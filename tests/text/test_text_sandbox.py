"""The bubblewrap sandbox: commands, persistence, limits and host-side file access."""

from __future__ import annotations

import os
import tempfile

import pytest

from specgym.envs.text.sandbox import (
    BwrapBackend,
    CommandResult,
    SandboxBackend,
    SandboxError,
    SandboxLimits,
    SandboxPathError,
    SandboxSession,
    SandboxUnavailableError,
)
from tests.text.conftest import requires_bwrap

pytestmark = requires_bwrap


def test_backend_and_session_satisfy_the_protocols(backend, session):
    assert isinstance(backend, SandboxBackend)
    assert isinstance(session, SandboxSession)


def test_files_are_in_the_home_and_commands_see_them(session):
    result = session.run("cat notes.txt sub/dir/data.txt; pwd")
    assert result == CommandResult("hello\n42\n/home/user\n", 0, output_bytes=20)


def test_working_folder_and_files_persist_between_commands(session):
    session.run("cd sub/dir && echo new > made.txt")
    assert session.cwd == "/home/user/sub/dir"
    assert session.run("pwd; cat made.txt").output == "/home/user/sub/dir\nnew\n"
    assert session.read_file("sub/dir/made.txt") == b"new\n"


def test_exit_code_and_failed_cd_keep_state(session):
    assert session.run("exit 3").exit_code == 3
    session.run("cd sub")
    result = session.run("cd /does/not/exist")
    assert result.exit_code == 1 and "No such file" in result.output
    assert session.cwd == "/home/user/sub"


def test_background_processes_do_not_outlive_their_command(session):
    session.run("sleep 30 & echo started")
    names = session.run("cat /proc/[0-9]*/comm").output.split()
    assert "sleep" not in names and names.count("bash") == 1  # only this command's shell


def test_list_and_write_files_host_side(session):
    session.write_file("graders/hidden.txt", "secret")
    assert session.list_files() == ["graders/hidden.txt", "notes.txt", "sub/dir/data.txt"]
    assert session.run("cat graders/hidden.txt").output == "secret"


def test_host_reads_refuse_links_out_of_the_home(session):
    session.run("ln -s /etc/passwd link && mkdir -p d && ln -s / d/root && mkfifo pipe")
    with pytest.raises(SandboxPathError, match="link"):
        session.read_file("link")
    with pytest.raises(SandboxPathError, match="outside"):
        session.read_file("d/root/etc/hostname")
    with pytest.raises(SandboxPathError, match="regular"):
        session.read_file("pipe")
    with pytest.raises(SandboxPathError, match="outside"):
        session.read_file("/etc/passwd")
    with pytest.raises(SandboxPathError, match=r"\.\."):
        session.read_file("../etc/passwd")
    assert session.read_text("link") is None


def test_close_kills_the_sandbox_and_leaves_nothing_on_the_host(backend):
    before = set(os.listdir(tempfile.gettempdir()))
    session = backend.start({"a.txt": "x"})
    session.run("mkdir locked && touch locked/f && chmod 000 locked")
    pid = session.host_pid
    session.close()
    session.close()  # idempotent
    assert not os.path.exists(f"/proc/{pid}")
    assert set(os.listdir(tempfile.gettempdir())) == before
    with pytest.raises(SandboxError, match="closed"):
        session.run("true")


def test_host_reads_restore_permissions_the_agent_removed(session):
    session.run("mkdir locked && echo x > locked/f && chmod 000 locked/f && chmod 000 locked")
    assert session.read_file("locked/f") == b"x\n"
    assert "locked/f" in session.list_files()


def test_restart_keeps_files_and_folder(session):
    session.run("cd sub && echo kept > k.txt")
    session.restart()
    assert session.run("pwd; cat k.txt").output == "/home/user/sub\nkept\n"


def test_missing_bwrap_says_how_to_install(monkeypatch):
    with pytest.raises(SandboxUnavailableError, match="apt-get install bubblewrap"):
        BwrapBackend(bwrap_path="/nonexistent/bwrap")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailableError, match="no unsandboxed fallback"):
        BwrapBackend()


@pytest.mark.parametrize(
    ("field", "value"),
    [("wall_time_s", 0), ("memory_mb", -1), ("output_bytes", float("nan")), ("max_processes", 2)],
)
def test_bad_limits_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        SandboxLimits(**{field: value})


def test_bad_run_arguments_name_the_field(session):
    with pytest.raises(ValueError, match="timeout"):
        session.run("true", timeout=0)
    with pytest.raises(ValueError, match="command"):
        session.run(["ls"])


def test_bad_home_and_file_paths(backend):
    with pytest.raises(ValueError, match="home"):
        backend.start({}, home="/root")
    with pytest.raises(SandboxPathError):
        backend.start({"../escape.txt": "x"})


def test_render_shows_every_marker():
    text = CommandResult(
        "out", 124, timed_out=True, truncated=True, output_bytes=9, note="n"
    ).render()
    assert text.splitlines() == [
        "out",
        "[output truncated: 9 bytes produced, only the first part shown]",
        "[command timed out and was killed]",
        "[n]",
        "[exit code 124]",
    ]
    assert CommandResult("", 0).render() == "[no output]"


def test_sandbox_runs_as_unprivileged_user(session):
    output = session.run("id -u; cat /proc/self/status | grep CapEff").output
    uid, caps = output.splitlines()
    assert int(caps.split()[1], 16) == 0
    if os.geteuid() == 0:
        assert uid == "65534"
