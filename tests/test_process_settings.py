"""Settings that shape the archive: extract_midpoint_stills off (no stills; thumbnails still show
the scene's midpoint frame, taken from the master) and generate_log off (no process log)."""

import json

import av
import numpy as np
from PIL import Image

from archive_checks import DATE, FAST, State


def test_no_stills_and_no_log_when_the_settings_say_so(tmp_path, media_dir):
    state = State(tmp_path / "state")
    for key in ("extract_midpoint_stills", "generate_log"):
        assert state.run("settings", "set", key, "false").returncode == 0
    master = media_dir / "counter.mp4"
    result = state.json("process", str(master), "--artwork", "Quiet", "--date", DATE,
                        "--out", str(tmp_path / "out"), *FAST)
    assert result.rc == 0 and result.outcome["status"] == "completed", result.stderr
    archive = tmp_path / "out" / f"{DATE}_Quiet"
    files = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())
    assert not any(f.startswith("stills/") or f.endswith("_process-log.txt") for f in files), files
    assert f"thumbnails/{DATE}_Quiet_s001.jpg" in files
    manifest = json.loads((archive / f"{DATE}_Quiet_manifest.json").read_text())
    assert sorted(e["path"] for e in manifest["files"]) == \
        [f for f in files if not f.endswith("_manifest.json")]

    # the thumbnail is still the midpoint frame (15 of 0-29): closer to it than to its neighbours
    thumb = np.asarray(Image.open(archive / "thumbnails" / f"{DATE}_Quiet_s001.jpg").convert("RGB"),
                       dtype=np.float32)
    with av.open(str(master)) as container:
        frames = [f.to_image().resize((thumb.shape[1], thumb.shape[0])) for f in container.decode(video=0)]
    error = {i: float(np.abs(np.asarray(frames[i], dtype=np.float32) - thumb).mean()) for i in (14, 15, 16)}
    assert error[15] < min(error[14], error[16]), error
