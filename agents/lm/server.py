"""Serve a GGUF model as a local OpenAI-compatible endpoint (llama-cpp-python's server).

For trying the endpoint backend without a hosted API, and for its tests: the server is a
real ``python -m llama_cpp.server`` process on loopback, stopped when the context exits.

>>> with LocalServer() as server:  # doctest: +SKIP
...     backend = load_backend("openai:default", base_url=server.base_url)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from specgym.agents.lm.checkpoints import default_gguf_path

# ``python -m llama_cpp.server`` with the model loaded without llama.cpp's extra CPU buffer
# types: their AMX path dies with SIGILL on machines that report AMX without enabling it (see
# `specgym.agents.lm.backends.llamacpp.LlamaCppBackend`).
_SERVER_MAIN = (
    "import runpy, sys\n"
    "import llama_cpp.llama_cpp as low\n"
    "_default = low.llama_model_default_params\n"
    "def _params():\n"
    "    p = _default()\n"
    "    p.use_extra_bufts = False\n"
    "    return p\n"
    "low.llama_model_default_params = _params\n"
    "sys.argv[0] = 'llama_cpp.server'\n"
    "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)\n"
)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A llama-cpp-python server process serving ``gguf_path`` as model ``model_alias``.

    Args:
        gguf_path: the model file (default: the shipped SmolLM2 GGUF).
        model_alias: the model name clients ask for (``openai:<alias>``).
        n_ctx: context length the server allocates.
        n_threads: CPU threads (default: llama.cpp's choice).
        startup_timeout_s: how long to wait for the server to answer.
    """

    def __init__(
        self,
        gguf_path: str | Path | None = None,
        model_alias: str = "default",
        n_ctx: int = 2048,
        n_threads: int | None = None,
        startup_timeout_s: float = 120.0,
    ):
        self.gguf_path = Path(gguf_path) if gguf_path is not None else default_gguf_path()
        if not self.gguf_path.is_file():
            raise FileNotFoundError(f"GGUF file {str(self.gguf_path)!r} does not exist")
        self.model_alias = model_alias
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.startup_timeout_s = startup_timeout_s
        self._cmd = [
            sys.executable, "-c", _SERVER_MAIN, "--model", str(self.gguf_path),
            "--model_alias", model_alias, "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(n_ctx),
        ]  # fmt: skip
        if n_threads:
            self._cmd += ["--n_threads", str(n_threads)]
        self._proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> LocalServer:
        """Start the process and wait until ``/v1/models`` answers."""
        # The server logs a lot; a file (not a pipe nobody reads) keeps it from blocking.
        self._log = tempfile.TemporaryFile("w+")
        self._proc = subprocess.Popen(self._cmd, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read()
                self.stop()
                raise RuntimeError(
                    f"llama_cpp.server exited with code {self._proc.returncode} (needs "
                    f"'llama-cpp-python[server]'): {err[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2):
                    return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"llama_cpp.server did not answer within {self.startup_timeout_s} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
