"""The demo's process group: what it shows when a child dies."""

from __future__ import annotations

import pytest

from tokenledger.demo.processes import DemoError, ProcessGroup


def test_a_dead_child_shows_the_tail_of_this_runs_log_only(tmp_path):
    group = ProcessGroup(tmp_path / "demo-logs")
    group.log_dir.mkdir()
    stale = "IOException: Could not set lock on file (a previous attempt)"
    (group.log_dir / "collector.log").write_text("".join(f"earlier run line {i}\n" for i in range(50)) + stale + "\n")
    script = "import sys\nfor i in range(5): print(f'this run line {i}')\nsys.exit(3)"
    proc = group.start("collector", ["-c", script])
    try:
        proc.popen.wait(timeout=30)
        with pytest.raises(DemoError) as caught:
            group.check_alive()
    finally:
        group.stop_all()
    message = str(caught.value)
    assert "collector exited with code 3" in message
    assert stale not in message and "earlier run" not in message
    shown = [line for line in message.splitlines() if line.startswith("this run line")]
    assert shown == [f"this run line {i}" for i in range(5)]
    # The previous run's log is kept beside this one, not lost.
    assert stale in (group.log_dir / "collector.log.1").read_text()


def test_the_tail_is_the_last_30_lines(tmp_path):
    group = ProcessGroup(tmp_path / "demo-logs")
    proc = group.start("worker", ["-c", "import sys\nfor i in range(500): print(f'line {i}')\nsys.exit(1)"])
    try:
        proc.popen.wait(timeout=30)
        with pytest.raises(DemoError) as caught:
            group.check_alive()
    finally:
        group.stop_all()
    shown = [line for line in str(caught.value).splitlines() if line.startswith("line ")]
    assert shown == [f"line {i}" for i in range(470, 500)]
