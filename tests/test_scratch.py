"""Scratch folders are bounded and cleaned: frame.get's rendered frames stay under their limit,
and the folders a killed run left (bridge, desktop runtime) go at the next start, while those of
running processes stay."""

import os
import subprocess
import sys
import time

from backend import scratch
from bridge import context
from bridge.context import Bridge


def test_a_killed_runs_folders_go_at_the_next_start(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"video-archive-bridge-{dead.pid}-abc"
    (stale / "frames").mkdir(parents=True)
    (stale / "frames" / "x.jpg").write_bytes(b"x" * 1000)
    alive = tmp_path / f"video-archive-bridge-{os.getppid()}-def"
    alive.mkdir()
    old_style = tmp_path / "video-archive-runtime-q1w2e3"
    old_style.mkdir()
    os.utime(old_style, (time.time() - 3 * 86400,) * 2)
    fresh_old_style = tmp_path / "video-archive-runtime-zzz"
    fresh_old_style.mkdir()
    bridge = Bridge(tmp_path / "state.db")
    try:
        assert not stale.exists() and alive.exists()
        assert bridge.scratch.name.startswith(f"video-archive-bridge-{os.getpid()}-")
        assert (bridge.scratch.stat().st_mode & 0o777) == 0o700
    finally:
        bridge.close()
    scratch.make_dir("video-archive-runtime-")
    assert not old_style.exists() and fresh_old_style.exists()


def test_rendered_frames_stay_under_their_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(context, "FRAMES_BYTES", 10_000)
    bridge = Bridge(tmp_path / "state.db")
    try:
        made = []
        for n in range(30):
            made.append(bridge.frame_file("s1", f"frame-{n}.jpg",
                                          lambda path: path.write_bytes(b"j" * 1000)))
            os.utime(made[-1], (time.time() - 100 + n,) * 2)
        total = sum(f.stat().st_size for f in (bridge.scratch / "frames").rglob("*") if f.is_file())
        assert total <= 10_000
        assert made[-1].is_file() and not made[0].exists()
        renders = []
        again = bridge.frame_file("s1", "frame-29.jpg", renders.append)
        assert again == made[-1] and renders == []  # kept: not made twice
    finally:
        bridge.close()
