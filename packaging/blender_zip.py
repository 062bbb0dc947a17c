"""The Blender extension's zip (Preferences > Get Extensions > Install from Disk), as Blender's
`extension build` lays it out: the manifest and the add-on's modules at the zip's root.
Usage: python packaging/blender_zip.py OUT_DIR  -> OUT_DIR/video_archive-VERSION.zip"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "blender"
FILES = ("blender_manifest.toml", "*.py")


def build(out_dir: Path) -> Path:
    manifest = tomllib.loads((SOURCE / "blender_manifest.toml").read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{manifest['id']}-{manifest['version']}.zip"
    files = sorted({p for pattern in FILES for p in SOURCE.glob(pattern)})
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            # a fixed date: the same source gives the same zip
            info = zipfile.ZipInfo(path.name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    print(build(Path(sys.argv[1])))
