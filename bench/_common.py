"""What every benchmark needs: a free port, the collector as a real process, its peak RSS, the load average."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
"""The bench's work folder (git-ignored): Phoenix's virtual environment is kept here between runs. Not under bench/:
the tests scan that package's sources, and a virtual environment's would be read with them."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout_s: float = 120) -> None:
    """Poll `url` until it answers 200; raises SystemExit when the process dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{url} did not answer within {timeout_s:.0f} s")


def start_collector(db: Path, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """The real `tokenledger collector` on `db` (the code under `root`), once it answers /healthz."""
    port = free_port()
    env = {**os.environ, "TOKENLEDGER_LOG_LEVEL": "warning", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "tokenledger", "collector", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, cwd=root, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz", process, 60)
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set so far (Linux `VmHWM`), MiB; None where /proc is not there."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def load_average() -> str:
    """The 1-minute load average now, as text (the machine is shared: every figure is printed beside it)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)
