"""backend.media.ffmpeg.run: progress, cancel, errors with the stderr tail, no child left behind."""

import subprocess
import sys
import textwrap
import threading

import psutil
import pytest

from backend.errors import Cancelled, MediaError
from backend.media import ffmpeg
from backend.media.ffmpeg import FFmpegError, Progress, RunResult, run

ENDLESS = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25", "-f", "null", "-"]


def live_children() -> list[psutil.Process]:
    """Children of this test process, zombies included (a zombie is a child nobody reaped)."""
    return [c for c in psutil.Process().children(recursive=True)
            if c.name().startswith("ffmpeg") or c.status() == psutil.STATUS_ZOMBIE]


@pytest.fixture(autouse=True)
def no_child_left():
    yield
    assert live_children() == []


def test_progress_events_arrive_in_order_and_end_at_one():
    events: list[Progress] = []
    result = run(["-stats_period", "0.05", "-re", "-f", "lavfi",
                  "-i", "testsrc2=size=64x64:rate=25:duration=0.8", "-f", "null", "-"],
                 duration=0.8, on_progress=events.append)
    assert isinstance(result, RunResult) and result.returncode == 0
    assert len(events) >= 3
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions)
    assert [e.done for e in events].count(True) == 1
    assert events[-1].done and events[-1].fraction == 1.0 and events[-1].frame == 20
    assert result.last_progress == events[-1]
    assert result.elapsed_s > 0
    if sys.platform.startswith("linux"):
        assert result.peak_rss_bytes > 1_000_000


def test_without_duration_fraction_is_unknown():
    events: list[Progress] = []
    run(["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25:duration=0.2", "-f", "null", "-"],
        on_progress=events.append)
    assert events and all(e.fraction is None for e in events)
    assert events[-1].done and events[-1].out_time_s is not None


def test_cancel_stops_the_child_and_raises_cancelled(monkeypatch):
    """ffmpeg stops on the SIGTERM (it closes its outputs); SIGKILL is never needed."""
    killed, kill = [], ffmpeg.kill
    monkeypatch.setattr(ffmpeg, "kill", lambda proc: (killed.append(proc.pid), kill(proc)))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(Cancelled):
        run(ENDLESS, cancel=cancel)
    assert killed == []


def test_cancel_set_before_start_raises_at_once():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run(ENDLESS, cancel=cancel)


def test_failing_command_raises_media_error_with_stderr_tail(tmp_path):
    missing = tmp_path / "missing.mp4"
    with pytest.raises(MediaError) as info:
        run(["-i", str(missing), "-f", "null", "-"])
    err = info.value
    assert isinstance(err, FFmpegError) and err.returncode not in (0, None)
    assert "No such file or directory" in str(err)
    assert "exit code" in str(err) and "\n" not in str(err)
    assert any(str(missing) in line for line in err.stderr_tail)


def test_chatty_stderr_never_blocks_and_tail_is_bounded():
    # -debug_ts writes about 750 KB to stderr: far beyond a pipe buffer
    result = run(["-loglevel", "info", "-debug_ts", "-f", "lavfi",
                  "-i", "testsrc2=size=64x64:rate=25:duration=20", "-f", "null", "-"], timeout=30)
    assert 0 < len(result.stderr_tail) <= ffmpeg.STDERR_TAIL_LINES


def test_timeout_stops_the_child():
    with pytest.raises(MediaError, match="longer than"):
        run(ENDLESS, timeout=0.3)


def test_exception_in_progress_callback_stops_the_child():
    def explode(_event):
        raise RuntimeError("listener broke")

    with pytest.raises(RuntimeError, match="listener broke"):
        run(["-stats_period", "0.05", *ENDLESS], on_progress=explode)


def test_progress_block_parsing_handles_missing_values():
    start = ffmpeg._progress_from({"frame": "0", "fps": "0.00", "out_time_us": "N/A",
                                   "speed": "N/A"}, 10.0, done=False)
    assert start == Progress(frame=0, fps=0.0)
    # builds before 4.4 only wrote out_time_ms, which holds microseconds
    old = ffmpeg._progress_from({"out_time_ms": "2500000", "speed": "1.5x"}, 10.0, done=False)
    assert old.out_time_s == 2.5 and old.fraction == 0.25 and old.speed == 1.5


def test_strip_log_prefix():
    line = "[vost#0:0/h264_nvenc @ 0x55] [enc:h264_nvenc @ 0x56] Cannot load libcuda.so.1"
    assert ffmpeg.strip_log_prefix(line) == "Cannot load libcuda.so.1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_child_dies_with_its_parent(tmp_path):
    script = textwrap.dedent(f"""
        import sys, threading
        from backend.media import ffmpeg
        threading.Timer(0.3, lambda: print("started", flush=True)).start()
        ffmpeg.run({ENDLESS!r})
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "started"
        children = psutil.Process(parent.pid).children()
        assert len(children) == 1
        child = children[0]
    finally:
        parent.kill()
        parent.wait()
    gone, alive = psutil.wait_procs([child], timeout=3)
    assert child in gone and not alive


# --- an ffmpeg that is a wrapper script: a stop reaches the real one ---------------------------

def wrapper(tmp_path) -> "Path":
    """A shell script that runs the real ffmpeg as its child (no exec), as a distribution's or a
    pacing wrapper does."""
    script = tmp_path / "ffmpeg-wrapper"
    script.write_text(f'#!/bin/sh\n"{ffmpeg.find_ffmpeg()}" "$@"\n')
    script.chmod(0o755)
    return script


def running_with(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker in " ".join(proc.info["cmdline"] or ()):
            found.append(proc)
    return found


def endless(marker: str) -> list[str]:
    return [*ENDLESS[:-1], "-metadata", f"title={marker}", "-"]


@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_a_stopped_wrapper_takes_its_real_ffmpeg_with_it(tmp_path, how):
    marker = f"stop-{how}-{tmp_path.name}"
    cancel = threading.Event()
    if how == "cancel":
        threading.Timer(0.5, cancel.set).start()
    with pytest.raises(Cancelled if how == "cancel" else MediaError):
        run(endless(marker), cancel=cancel, ffmpeg=wrapper(tmp_path),
            timeout=None if how == "cancel" else 0.5)
    gone, alive = psutil.wait_procs(running_with(marker), timeout=3)
    assert alive == []


def test_a_killed_stream_reader_sees_the_end_of_its_stream(tmp_path):
    """The ingest's case: a cancel SIGKILLs the streaming ffmpeg and its reader waits for the end
    of the pipe; an orphaned real ffmpeg behind a wrapper would hold it open for ever."""
    marker = f"stream-{tmp_path.name}"
    proc = ffmpeg.spawn(["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25", "-metadata",
                         f"title={marker}", "-f", "rawvideo", "-"], ffmpeg=wrapper(tmp_path),
                        stdout=subprocess.PIPE)
    assert len(proc.stdout.read(64 * 64 * 3)) == 64 * 64 * 3
    ffmpeg.kill(proc)
    ended = threading.Event()
    threading.Thread(target=lambda: (proc.stdout.read(), ended.set()), daemon=True).start()
    try:
        assert ended.wait(10), "the stream stayed open after the kill"
    finally:
        for left in running_with(marker):
            left.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_a_query_past_its_timeout_leaves_nothing_running(tmp_path):
    marker = f"query-{tmp_path.name}"
    with pytest.raises(subprocess.TimeoutExpired):
        ffmpeg.query(endless(marker), ffmpeg=wrapper(tmp_path), timeout=0.5)
    gone, alive = psutil.wait_procs(running_with(marker), timeout=3)
    assert alive == []
