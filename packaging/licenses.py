"""The package's copyright file (Debian's machine-readable DEP-5 format), the licence texts and the
written source offer, generated from what the build really bundled, so they cannot drift.
Usage: licenses.py APP_DIR SITE_PACKAGES OUT_DIR (run by the build venv's Python)

The inventory is read from the built app itself: every file under _internal/ and every module in
the executable's Python archive (pyi-archive_viewer). Each is traced to where it came from: a Python distribution of the build venv (its RECORD), the
build's Python, a Debian package of the build machine (dpkg -S), or this project. Shared libraries
a wheel vendors (its `*.libs/` folder) carry their own licences, looked up in LIBRARIES by name;
one that is not there fails the build, as does any bundled shared library or distribution the
copyright file does not cover. Writes OUT_DIR/copyright, OUT_DIR/licenses/..., OUT_DIR/SOURCE-OFFER."""

from __future__ import annotations

import csv
import fnmatch
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tidy import is_elf  # one test of "is this a binary" for the build

ROOT = Path(__file__).resolve().parent.parent
DOC = "/usr/share/doc/video-archive"
COMMON = "/usr/share/common-licenses"
PROJECT_LICENSE = "GPL-3+"
# Libraries vendored inside wheels (auditwheel's `<dist>.libs/`): name stem -> (what, licence).
# FFmpeg's own libraries are GPL in PyAV's wheels (built with libx264 and libx265) and LGPL in
# OpenCV's. A new wheel that brings a library not listed here stops the build.
LIBRARIES = {
    "libavcodec": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libavformat": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libavutil": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libavfilter": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libavdevice": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libswscale": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libswresample": ("FFmpeg", "LGPL-2.1+ or GPL-2+"),
    "libx264": ("x264", "GPL-2+"), "libx265": ("x265", "GPL-2+"),
    "libvpx": ("libvpx", "BSD-3-clause"), "libaom": ("libaom", "BSD-2-clause"),
    "libdav1d": ("dav1d", "BSD-2-clause"), "libSvtAv1Enc": ("SVT-AV1", "BSD-3-clause-clear"),
    "libmp3lame": ("LAME", "LGPL-2+"), "libopus": ("Opus", "BSD-3-clause"),
    "libopencore-amrnb": ("opencore-amr", "Apache-2.0"), "libopencore-amrwb": ("opencore-amr", "Apache-2.0"),
    "libvpl": ("oneVPL", "Expat"), "libgnutls": ("GnuTLS", "LGPL-2.1+"),
    "libnettle": ("Nettle", "LGPL-3+ or GPL-2+"), "libhogweed": ("Nettle", "LGPL-3+ or GPL-2+"),
    "libgmp": ("GMP", "LGPL-3+ or GPL-2+"), "libunistring": ("libunistring", "LGPL-3+ or GPL-2+"),
    "libasound": ("ALSA library", "LGPL-2.1+"), "libdrm": ("libdrm", "Expat"),
    "libxcb": ("libxcb", "X11"), "libxcb-shape": ("libxcb", "X11"), "libxcb-shm": ("libxcb", "X11"),
    "libxcb-xfixes": ("libxcb", "X11"), "libXau": ("libXau", "X11"),
    "libwebp": ("libwebp", "BSD-3-clause"), "libwebpmux": ("libwebp", "BSD-3-clause"),
    "libwebpdemux": ("libwebp", "BSD-3-clause"), "libsharpyuv": ("libwebp", "BSD-3-clause"),
    "libavif": ("libavif", "BSD-2-clause"), "libpng16": ("libpng", "Libpng"),
    "libjpeg": ("libjpeg-turbo", "IJG and BSD-3-clause and Zlib"), "liblcms2": ("Little CMS", "Expat"),
    "liblzma": ("XZ Utils", "0BSD"), "libopenjp2": ("OpenJPEG", "BSD-2-clause"),
    "libtiff": ("LibTIFF", "libtiff"), "libzstd": ("Zstandard", "BSD-3-clause"),
    "libopenblasp-r0": ("OpenBLAS", "BSD-3-clause"), "libscipy_openblas64_": ("OpenBLAS", "BSD-3-clause"),
    "libgfortran": ("GCC runtime (gfortran)", "GPL-3+ with GCC-exception-3.1"),
    "libquadmath": ("GCC runtime (quadmath)", "LGPL-2.1+"),
}
# Metadata licence strings that are not SPDX, as DEP-5 short names.
SHORT = {"MIT": "Expat", "Apache 2.0": "Apache-2.0", "Apache 2.0 License": "Apache-2.0",
         "LGPL v3": "LGPL-3", "BSD 3-Clause License": "BSD-3-clause", "BSD-3-Clause": "BSD-3-clause",
         "BSD-2-Clause": "BSD-2-clause", "GPL-3.0-only": "GPL-3", "MPL-2.0 AND MIT": "MPL-2.0 and Expat",
         "any-OSI": "Zlib", "PSF-2.0": "PSF-2.0", "MIT-CMU": "MIT-CMU"}
IN_COMMON = {"GPL-2": "GPL-2", "GPL-3": "GPL-3", "LGPL-2": "LGPL-2", "LGPL-2.1": "LGPL-2.1",
             "LGPL-3": "LGPL-3", "Apache-2.0": "Apache-2.0", "MPL-2.0": "MPL-2.0"}
LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.I)


def dist_short(meta: str) -> str:
    expr = re.search(r"^License-Expression: (.+)$", meta, re.M)
    text = expr[1].strip() if expr else (re.search(r"^License: (.+)$", meta, re.M) or [None, ""])[1].strip()
    if not text:
        classifier = re.search(r"^Classifier: License :: OSI Approved :: (.+?)(?: License)?$", meta, re.M)
        text = {"MIT": "MIT", "Apache Software": "Apache-2.0", "BSD": "BSD-3-Clause"}.get(
            classifier[1] if classifier else "", "")
    text = SHORT.get(text, text)
    text = re.sub(r"\b(AND|OR)\b", lambda m: m[1].lower(), text).replace("Clause", "clause")
    return re.sub(r"\bMIT\b", "Expat", text) or "unknown"


def read_dists(site: Path) -> dict[str, dict]:
    """name -> {version, license, files (absolute, resolved), licence files} for the build venv."""
    dists = {}
    for info in site.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(errors="replace")
        name = re.search(r"^Name: (.+)$", meta, re.M)[1].strip()
        version = re.search(r"^Version: (.+)$", meta, re.M)[1].strip()
        files = set()
        with open(info / "RECORD", newline="") as fh:
            for row in csv.reader(fh):
                if row:
                    files.add(str((site / row[0]).resolve()))
        texts = [p for p in info.rglob("*") if p.is_file() and LICENSE_FILE.match(p.name)
                 and "__pycache__" not in p.parts]
        dists[name] = {"version": version, "license": dist_short(meta), "files": files,
                       "texts": sorted(texts), "info": info.name}
    return dists


def dpkg_owner(src: str) -> str | None:
    for candidate in dict.fromkeys([src, str(Path(src).resolve())]):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0]
        other = candidate.removeprefix("/usr") if candidate.startswith("/usr/") else "/usr" + candidate
        done = subprocess.run(["dpkg", "-S", other], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0]
    return None


def lib_stem(name: str) -> str:
    stem = re.sub(r"\.so(\.\d+)*$", "", name)
    return re.sub(r"-[0-9a-f]{8}(?:[-.].*)?$", "", stem)  # auditwheel's hash suffix


def ffmpeg_license(app: Path) -> tuple[str, str]:
    """The bundled ffmpeg binary's licence, from its own build configuration."""
    [binary] = [p for p in app.rglob("ffmpeg*") if p.is_file() and is_elf(p)]
    out = subprocess.run([str(binary), "-hide_banner", "-buildconf"], capture_output=True, text=True).stdout
    flags = " ".join(out.split()).removeprefix("configuration:").split(" Exiting with")[0].strip()
    gpl = "--enable-gpl" in flags
    v3 = "--enable-version3" in flags
    short = ("GPL-3+" if v3 else "GPL-2+") if gpl else ("LGPL-3+" if v3 else "LGPL-2.1+")
    return short, flags


class Inventory:
    def __init__(self, app: Path, entries: list[list[str]], site: Path):
        self.app, self.site = app, site
        self.dists = read_dists(site)
        self.by_file = {f: name for name, d in self.dists.items() for f in d["files"]}
        self.groups: dict[tuple, set[str]] = defaultdict(set)  # (kind, name, licence) -> globs
        self.used_dists: set[str] = set()
        self.debian: set[str] = set()
        self.problems: list[str] = []
        prefix = sys.base_prefix
        for dest, src in entries:
            if not src:
                self.problems.append(f"no known origin for bundled {dest}")
                continue
            srcp = str(Path(src).resolve())
            dest = dest.replace("\\", "/")
            where = f"_internal/{dest}" if not dest.startswith("_internal/") else dest
            dist = self.by_file.get(srcp)
            name = Path(dest).name
            if dist is not None:
                self.used_dists.add(dist)
                folder = Path(dest).parts[0]
                if folder.endswith(".libs") or (len(Path(dest).parts) == 1 and ".libs/" in srcp):
                    self._vendored(f"_internal/{folder}/{name}" if folder.endswith(".libs") else where, name, dist)
                else:
                    self.groups[("dist", dist, self.dists[dist]["license"])].add(self._glob(dest))
            elif srcp.startswith(str(ROOT) + "/"):
                continue  # the project: covered by Files: *
            elif srcp.startswith(str(Path(prefix).resolve())):
                self.groups[("python", "Python", "PSF-2.0")].add(self._glob(dest))
            else:
                owner = dpkg_owner(src)
                if owner is None:
                    self.problems.append(f"no known origin for bundled {dest} (from {src})")
                    continue
                self.debian.add(owner)
                self.groups[("debian", owner, f"see {DOC}/licenses/debian/{owner}.copyright")].add(where)

    def _glob(self, dest: str) -> str:
        parts = Path(dest).parts
        if dest.endswith(".pyc") or len(parts) == 1 and not is_elf(self.app / "_internal" / dest):
            return "video-archive (the executable's Python archive)" if dest.endswith(".pyc") else f"_internal/{dest}"
        return f"_internal/{parts[0]}/*" if len(parts) > 1 else f"_internal/{dest}"

    def _vendored(self, where: str, name: str, dist: str) -> None:
        stem = lib_stem(name)
        if stem not in LIBRARIES:
            self.problems.append(f"{where} (vendored by {dist}) has no licence in packaging/licenses.py "
                                 "LIBRARIES: add it")
            return
        what, short = LIBRARIES[stem]
        self.groups[("vendored", f"{what}, vendored by {dist}", short)].add(where)


def bundle_entries(app: Path, site: Path) -> list[list[str]]:
    """[path under _internal/, the build machine's file it was copied from] for every file of
    the bundle and every module of its Python archive (as NAME.pyc)."""
    internal = app / "_internal"
    stdlib = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    entries = []
    for f in sorted(internal.rglob("*")):
        if not f.is_file() or f.is_symlink():
            continue
        rel = f.relative_to(internal).as_posix()
        candidates = [ROOT / rel, site / rel, Path(sys.base_prefix) / "lib" / f.name, stdlib / rel.split("/", 1)[-1],
                      Path("/usr/lib/x86_64-linux-gnu") / f.name, Path("/lib/x86_64-linux-gnu") / f.name]
        if rel == "base_library.zip":
            candidates.insert(0, stdlib / "os.py")
        src = next((str(c) for c in candidates if c.is_file()), "")
        entries.append([rel, src])
    listing = subprocess.run([str(Path(sys.executable).parent / "pyi-archive_viewer"), "-r", "-b",
                              str(app / app.name)], capture_output=True, text=True).stdout
    modules = listing.split("(PYZ):", 1)[-1].split()
    for mod in modules:
        base = mod.replace(".", "/")
        for top in (site, stdlib, ROOT):
            for c in (top / f"{base}.py", top / base / "__init__.py"):
                if c.is_file():
                    entries.append([f"{mod}.pyc", str(c)])
                    break
            else:
                continue
            break
    return entries


def write(app: Path, site: Path, out: Path) -> list[str]:
    inv = Inventory(app, bundle_entries(app, site), site)
    ffmpeg_short, ffmpeg_flags = ffmpeg_license(app)
    texts = out / "licenses"
    shutil.rmtree(texts, ignore_errors=True)
    texts.mkdir(parents=True)
    paras = [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: video-archive\n"
        "Upstream-Contact: Yambo Studio <studio@yambo.invalid>\n"
        "Comment: Video Archive is GPL-3+. The app as shipped bundles PyQt6 (GPL-3 only) and\n"
        " FFmpeg built with x264 and x265 (GPL), so this package as a whole is distributed\n"
        " under the GPL version 3. Every component bundled under /opt/video-archive is\n"
        " listed below with its licence (generated from the build's inventory by\n"
        " packaging/licenses.py); licence texts and notices are in\n"
        f" {DOC}/licenses/, and the written offer of the corresponding source is\n"
        f" {DOC}/SOURCE-OFFER.",
        f"Files: *\nCopyright: Copyright 2025-2026 Yambo Studio\nLicense: {PROJECT_LICENSE}",
    ]
    ffmpeg_glob = "opt/video-archive/_internal/imageio_ffmpeg/binaries/*"
    paras.append(f"Files: {ffmpeg_glob}\nCopyright: the FFmpeg developers\nLicense: {ffmpeg_short}\n"
                 "Comment: the ffmpeg program, from imageio-ffmpeg; configured with:\n "
                 + _wrap(ffmpeg_flags))
    for (kind, name, short), globs in sorted(inv.groups.items()):
        files = " ".join(sorted(f"opt/video-archive/{g}" if not g.startswith("video-archive (") else
                                "opt/video-archive/video-archive" for g in globs if "imageio_ffmpeg/binaries" not in g))
        if not files:
            continue
        if kind == "dist":
            d = inv.dists[name]
            copy_texts(d["texts"], texts / name)
            comment = (f"Comment: Python distribution {name} {d['version']}; its licence files are in "
                       f"{DOC}/licenses/{name}/")
            paras.append(f"Files: {files}\nCopyright: the {name} authors\nLicense: {short}\n{comment}")
        elif kind == "python":
            copy_texts([Path(sys.base_prefix) / "lib" / "python3.11" / "LICENSE.txt"], texts / "python")
            paras.append(f"Files: {files}\nCopyright: Python Software Foundation\nLicense: PSF-2.0\n"
                         f"Comment: the Python {sys.version.split()[0]} runtime; its licence is in {DOC}/licenses/python/")
        elif kind == "vendored":
            paras.append(f"Files: {files}\nCopyright: the {name.split(',')[0]} authors\nLicense: {short}\n"
                         f"Comment: {name}")
        else:
            copy_texts([Path("/usr/share/doc") / name / "copyright"], texts / "debian", rename=f"{name}.copyright")
            paras.append(f"Files: {files}\nCopyright: see {DOC}/licenses/debian/{name}.copyright\n"
                         f"License: other\nComment: from Debian's package {name}; its copyright file "
                         f"is in {DOC}/licenses/debian/{name}.copyright")
    used = {s for para in paras for line in para.splitlines() if line.startswith("License: ")
            for s in re.split(r" (?:and|or|with) |[()]", line[9:]) if s.strip()}
    paras += [standalone(s.strip()) for s in sorted(used) if standalone(s.strip())]
    (out / "copyright").write_text("\n\n".join(paras) + "\n")
    (out / "SOURCE-OFFER").write_text(source_offer(inv, ffmpeg_flags))
    problems = inv.problems + uncovered(app, out / "copyright", inv)
    return problems


def standalone(short: str) -> str | None:
    base = short.rstrip("+").split(" ")[0]
    if base in IN_COMMON:
        return (f"License: {short}\n On Debian systems the full text of the licence is in\n"
                f" {COMMON}/{IN_COMMON[base]}.")
    if base in ("other", "PSF-2.0") or base.startswith(("GPL", "LGPL", "(as")):
        return None
    return (f"License: {short}\n The full text, with each component's copyright notice, is in\n"
            f" {DOC}/licenses/ (the folder of the component that uses it).")


def copy_texts(files: list[Path], folder: Path, rename: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        if f.is_file():
            shutil.copyfile(f, folder / (rename or f.name))


def _wrap(text: str) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) > 72:
            lines.append(line)
            line = ""
        line += (" " if line else "") + w
    return "\n ".join(lines + [line])


def source_offer(inv: Inventory, ffmpeg_flags: str) -> str:
    gpl = sorted(f"{n} {d['version']}" for n, d in inv.dists.items()
                 if n in inv.used_dists and re.search(r"GPL", d["license"]))
    return (
        "Written offer of source code\n\n"
        "Parts of this package are distributed under the GNU General Public License (versions 2\n"
        "and 3) and the GNU Lesser General Public License: the ffmpeg program and the FFmpeg,\n"
        "x264 and x265 libraries bundled with PyAV and OpenCV, PyQt6 and Qt, and Video Archive\n"
        "itself. For at least three years after we last distribute this version of the package,\n"
        "Yambo Studio will give anyone who asks the complete corresponding source code of every\n"
        "one of those parts, as used in this build, on a durable medium or for download, for no\n"
        "more than the cost of physically performing the distribution.\n\n"
        "Write to: Yambo Studio <studio@yambo.invalid>, naming this package's version.\n\n"
        "The parts and versions in this build:\n"
        + "".join(f"  {g}\n" for g in gpl)
        + f"  ffmpeg (imageio-ffmpeg), configured with: {ffmpeg_flags}\n"
        + "".join(f"  {name}: {what}\n" for (kind, what, short), _ in sorted(inv.groups.items())
                  if kind == "vendored" and "GPL" in short for name in [what.split(",")[0]])
    )


def covered(copyright_text: str) -> list[str]:
    """Every Files: glob of a DEP-5 file."""
    globs = []
    for para in copyright_text.split("\n\n"):
        m = re.match(r"Files: (.+)", para)
        if m:
            globs += m[1].split()
    return globs


def uncovered(app: Path, copyright_file: Path, inv: Inventory | None = None) -> list[str]:
    """Shared libraries and Python distributions of the bundle that no paragraph but `Files: *`
    names (what the package test checks on the built .deb, too)."""
    text = copyright_file.read_text()
    globs = [g for g in covered(text) if g != "*"]
    problems = []
    for f in sorted(app.rglob("*")):
        if f.is_file() and not f.is_symlink() and is_elf(f) and f.parent != app:
            rel = f"opt/video-archive/{f.relative_to(app).as_posix()}"
            if not any(fnmatch.fnmatch(rel, g) for g in globs):
                problems.append(f"the copyright file does not cover {rel}")
    for info in (app / "_internal").glob("*.dist-info"):
        name = info.name.split("-")[0].lower().replace("_", "-")
        if not re.search(rf"Python distribution {re.escape(name)} ", text, re.I):
            problems.append(f"the copyright file does not name the distribution {info.name}")
    return problems


if __name__ == "__main__":
    found = write(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    for p in found:
        print(f"licenses: {p}", file=sys.stderr)
    sys.exit(1 if found else 0)
