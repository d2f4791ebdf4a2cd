"""Start the demo's processes, wait until they answer, and stop every one of them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class DemoError(RuntimeError):
    """A demo process could not start; the message says which and where its log is."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path


@dataclass
class ProcessGroup:
    """The children the demo started, stopped in reverse order of start."""

    log_dir: Path
    children: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        # One run per log file: an error then shows this run's output only, never an earlier run's (a stale lock
        # message from a previous attempt, say). The previous run's log is kept beside it as `<name>.log.1`.
        if log_path.exists():
            log_path.replace(log_path.with_name(f"{name}.log.1"))
        log = log_path.open("wb")
        full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        # Own process group: Ctrl-C in the terminal reaches only the demo, which then stops its children in order.
        popen = subprocess.Popen(
            [sys.executable, *argv], stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )
        log.close()
        proc = Process(name, popen, log_path)
        self.children.append(proc)
        return proc

    def wait_healthy(self, proc: Process, url: str, timeout_s: float = 60.0) -> None:
        """Poll `url` until it answers 200; fail with the process's log tail if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise DemoError(f"{proc.name} exited with code {proc.popen.returncode}; log:\n{_tail(proc.log_path)}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise DemoError(f"{proc.name} did not answer {url} within {timeout_s:.0f} s; log:\n{_tail(proc.log_path)}")

    def check_alive(self) -> None:
        for proc in self.children:
            if proc.popen.poll() is not None:
                raise DemoError(f"{proc.name} exited with code {proc.popen.returncode}; log:\n{_tail(proc.log_path)}")

    def stop_all(self, timeout_s: float = 10.0) -> None:
        """Stop children newest first, each SIGTERM then SIGKILL after `timeout_s`: the services flush their
        last spans while the collector still listens, and the collector stops last, committing what it took."""
        for proc in reversed(self.children):
            if proc.popen.poll() is None:
                _signal_group(proc.popen, signal.SIGTERM)
                try:
                    proc.popen.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.popen, signal.SIGKILL)
                    proc.popen.wait()
        self.children.clear()


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(popen.pid, sig)
    except ProcessLookupError:
        pass


_TAIL_LINES = 30
_TAIL_BYTES = 64 * 1024


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    """The last `lines` lines of a log (read from its end: a long run's log can be large)."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _TAIL_BYTES))
            text = fh.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
