"""Draw the app icon (a film frame over an archive box) and write it in every format a platform
wants: PNG sizes for the Linux hicolor theme, .ico for Windows, .icns for macOS.
Usage: python icon.py OUT_DIR"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (16, 32, 48, 64, 128, 256, 512)


def draw(size: int = 1024) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = size / 64
    d.rounded_rectangle([4 * u, 4 * u, 60 * u, 60 * u], radius=10 * u, fill=(28, 36, 52, 255))
    # box body and lid
    d.rectangle([12 * u, 34 * u, 52 * u, 54 * u], fill=(214, 160, 72, 255))
    d.rectangle([10 * u, 29 * u, 54 * u, 35 * u], fill=(236, 186, 96, 255))
    d.rectangle([26 * u, 40 * u, 38 * u, 43 * u], fill=(120, 82, 30, 255))
    # a film frame rising out of it, with sprocket holes
    d.rectangle([17 * u, 10 * u, 47 * u, 30 * u], fill=(236, 240, 246, 255))
    d.rectangle([22 * u, 13 * u, 42 * u, 27 * u], fill=(74, 144, 226, 255))
    for x in range(18, 47, 4):
        d.rectangle([x * u, 10.8 * u, (x + 1.6) * u, 12.2 * u], fill=(28, 36, 52, 255))
        d.rectangle([x * u, 27.8 * u, (x + 1.6) * u, 29.2 * u], fill=(28, 36, 52, 255))
    return img


def write_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    big = draw()
    for s in SIZES:
        big.resize((s, s), Image.LANCZOS).save(out / f"video-archive-{s}.png")
    big.resize((256, 256), Image.LANCZOS).save(out / "video-archive.ico",
                                                sizes=[(s, s) for s in (16, 32, 48, 64, 128, 256)])
    big.resize((512, 512), Image.LANCZOS).save(out / "video-archive.icns")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
