"""Check a built one-folder app and describe it. Usage: bundle_check.py APP_DIR REPORT.json

Refuses (exit 1, one line each): any of the project's tests or the shared test media, a video
file of any kind, a second Qt binding or another GUI toolkit, a partial NSS, a missing or
non-executable ffmpeg, missing frontend files. Reports: the size of each part, the shared
libraries the app needs from the system (and the Debian packages providing them here: the
.deb's Depends) and the newest glibc symbol version any binary asks for, i.e. the oldest glibc
the build runs on."""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import payload
import tidy

ROOT = Path(__file__).resolve().parent.parent
VIDEO = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".mxf", ".m4v", ".mts", ".ts"}
OTHER_TOOLKITS = ("PyQt5", "PySide2", "PySide6", "shiboken2", "shiboken6", "tkinter", "_tkinter",
                  "libtk", "libtcl", "gi", "wx", "libgtk-3", "libgtk-4", "cefpython3")
NSS = ("libnss3", "libnssutil3", "libsmime3", "libssl3", "libnspr4", "libplc4", "libplds4",
       "libsoftokn3", "libfreebl3", "libfreeblpriv3", "libnssckbi", "libnssdbm3")
# Loaded with dlopen, so no NEEDED entry names them: Qt's GL integration (EGL/GLX) and NSS's
# crypto modules (in libnss3's package), plus the X cursor library the xcb platform plugin wants.
DLOPENED = ["libnss3", "libegl1", "libgl1", "libxcb-cursor0"]
# Debian 13 / Ubuntu 24.04 renamed these in the 64-bit time_t transition; either name satisfies.
T64 = {"libasound2", "libglib2.0-0", "libcups2", "libssl3", "libcurl4", "libgstreamer1.0-0"}


def lib_stem(name: str) -> str:
    return re.sub(r"\.so(\.\d+)*$", "", name)


def readelf(args: list[str], path: Path) -> str:
    return subprocess.run(["readelf", *args, str(path)], capture_output=True, text=True).stdout


def problems_in(app: Path, files: list[Path]) -> list[str]:
    problems = []
    media = ROOT.parent / "shared" / "media"
    media_sizes = {p.stat().st_size: p for p in media.rglob("*") if p.is_file()} if media.is_dir() else {}
    test_names = {p.name for p in (ROOT / "tests").glob("*.py")} - {"__init__.py", "conftest.py"}
    for f in files:
        rel = f.relative_to(app)
        if f.suffix.lower() in VIDEO:
            problems.append(f"a video file is packaged: {rel}")
        if (f.name in test_names and "backend" not in rel.parts) or (
                rel.parts[:2] == ("_internal", "frontend") and payload.is_test(rel)):
            problems.append(f"a test file of the project is packaged: {rel}")
        twin = media_sizes.get(f.stat().st_size)
        if twin is not None and f.read_bytes() == twin.read_bytes():
            problems.append(f"shared test media is packaged: {rel} (= {twin.name})")
        if any(part in OTHER_TOOLKITS or part.split(".")[0] in OTHER_TOOLKITS for part in rel.parts):
            problems.append(f"another GUI toolkit is packaged: {rel}")
    internal = app / "_internal"
    if not (internal / "PyQt6").is_dir():
        problems.append("PyQt6 (the one Qt binding) is missing")
    nss = sorted({lib_stem(f.name) for f in files if lib_stem(f.name) in NSS})
    if nss and set(nss) != set(NSS):
        problems.append(f"a partial NSS is packaged ({', '.join(nss)}): bundle all of it or none")
    ffmpegs = [f for f in files if f.name.startswith("ffmpeg") and tidy.is_elf(f)]
    if len(ffmpegs) != 1:
        problems.append(f"expected one bundled ffmpeg, found {len(ffmpegs)}")
    elif not ffmpegs[0].stat().st_mode & 0o111:
        problems.append(f"the bundled ffmpeg is not executable: {ffmpegs[0].relative_to(app)}")
    problems += tidy.outside_paths(app)  # the build machine's paths, links and caches
    for rel in payload.data_files(ROOT):
        if not (internal / rel).is_file():
            problems.append(f"a file the app reads at run time is missing: {rel}")
    return problems


def part_of(rel: Path) -> str:
    """Group a file under the component a person would name."""
    parts = rel.parts
    if parts[0] != "_internal":
        return parts[0]
    if len(parts) == 2:
        return "python runtime and shared libraries (top level)"
    top = parts[1]
    if top == "PyQt6" and len(parts) > 3 and parts[2] == "Qt6":
        sub = parts[3]
        if sub == "lib":
            return "Qt6 libraries (" + ("QtWebEngineCore" if "WebEngineCore" in parts[-1] else "other") + ")"
        return f"Qt6 {sub}"
    return top


def newest(symbols: list[tuple[str, str]]) -> tuple[int, ...]:
    return max((tuple(int(x) for x in v.split(".")) for v, _ in symbols), default=(0,))


def system_libraries(elfs: list[Path]) -> tuple[list[str], dict[str, str]]:
    """Libraries needed but not bundled; the newest GLIBC_ and GLIBCXX_ symbol versions asked
    for, each with the file that asks (what sets the oldest system the build runs on)."""
    bundled = {f.name for f in elfs}
    needed: set[str] = set()
    newest_by = {"glibc": ((0,), ""), "glibcxx": ((0,), "")}
    for f in elfs:
        versions = readelf(["-d", "-V", "-W"], f)  # the dynamic section, then the version sections
        needed.update(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", versions))
        for key, pattern in (("glibc", r"GLIBC_(\d+\.\d+(?:\.\d+)?)"), ("glibcxx", r"GLIBCXX_(\d+\.\d+(?:\.\d+)*)")):
            found = newest([(v, "") for v in re.findall(pattern, versions)])
            if found > newest_by[key][0]:
                newest_by[key] = (found, f.name)
    summary = {f"{key}": ".".join(map(str, v)) for key, (v, _) in newest_by.items()}
    summary.update({f"{key}_set_by": who for key, (_, who) in newest_by.items()})
    return sorted(n for n in needed if n not in bundled), summary


def debian_packages(libs: list[str]) -> tuple[list[str], list[str]]:
    """The packages providing `libs` on this machine; libraries no package provides."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    where = dict(re.findall(r"^\s*(\S+) \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M))
    # with a merged /usr, dpkg knows /usr/lib/... for what ldconfig lists as /lib/...
    candidates = {lib: list(dict.fromkeys([where[lib], "/usr" + where[lib], os.path.realpath(where[lib])]))
                  for lib in libs if lib in where}
    owners = dpkg_owners([path for paths in candidates.values() for path in paths])
    found, missing = set(DLOPENED), []
    for lib in libs:
        owner = next((owners[path] for path in candidates.get(lib, ()) if path in owners), None)
        if owner is None:
            missing.append(lib)
        else:
            found.add(owner)
    return sorted(found), missing


def dpkg_owners(paths: list[str]) -> dict[str, str]:
    """path -> the package that installed it, for those a package did: one `dpkg -S` for all
    (it reads its whole database each time: one call per path took 9 of a build's seconds)."""
    if not paths:
        return {}
    done = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True)
    owners = {}
    for line in done.stdout.splitlines():  # "zlib1g:amd64: /usr/lib/.../libz.so.1"
        package, sep, path = line.rpartition(": ")
        if sep and not line.startswith("diversion "):
            owners[path] = package.split(":")[0]
    return owners


def depends_line(packages: list[str], glibc: str) -> str:
    items = []
    for p in packages:
        if p == "libc6":
            items.append(f"libc6 (>= {glibc})")
        elif p.removesuffix("t64") in T64:
            base = p.removesuffix("t64")
            items.append(f"{base} | {base}t64")
        else:
            items.append(p)
    return ", ".join(dict.fromkeys(items))


def main(app: Path, report_path: Path) -> int:
    files = [p for p in app.rglob("*") if p.is_file() and not p.is_symlink()]
    problems = problems_in(app, files)
    sizes: dict[str, int] = defaultdict(int)
    for f in files:
        sizes[part_of(f.relative_to(app))] += f.stat().st_size
    elfs = [f for f in files if tidy.is_elf(f)]
    libs, versions = system_libraries(elfs)
    glibc = versions["glibc"]
    packages, unowned = debian_packages(libs)
    for lib in unowned:
        problems.append(f"{lib} is needed but neither bundled nor installed here")
    total = sum(sizes.values())
    report = {
        "total_bytes": total,
        "files": len(files),
        "parts": dict(sorted(sizes.items(), key=lambda kv: -kv[1])),
        "system_libraries": libs,
        "debian_packages": packages,
        "depends": depends_line(packages, glibc),
        "oldest_glibc": glibc,
        "newest_symbols": versions,
        "problems": problems,
    }
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{total / 2**20:.0f} MiB in {len(files)} files; needs glibc >= {glibc} "
          f"({versions['glibc_set_by']}), GLIBCXX {versions['glibcxx']} ({versions['glibcxx_set_by']})")
    for name, size in list(report["parts"].items())[:14]:
        print(f"  {size / 2**20:7.1f} MiB  {name}")
    print(f"system libraries: {' '.join(libs)}")
    for p in problems:
        print(f"bundle_check: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
