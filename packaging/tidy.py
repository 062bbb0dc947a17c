"""Take the build machine out of a one-folder app. Usage: tidy.py APP_DIR

PyInstaller copies files as they are on the build machine; what of that machine would ride along
and is removed here:
- RUNPATH/RPATH entries that are not relative to the file ($ORIGIN...): libpython and the
  lib-dynload modules name the build's own Python prefix (a pyenv under root's home), which every
  user's process would then probe;
- __pycache__ folders (compiled with the build folder's path inside);
- symbolic links whose target was trimmed (PyInstaller links Qt libraries it later lost);
- debug symbols: every ELF file is stripped of what the dynamic linker does not need.
Prints one line per kind of change; exits 1 naming any file it could not fix."""

import os
import shutil
import subprocess
import sys
from pathlib import Path


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def foreign_search_paths(path: Path) -> tuple[str, list[str]] | None:
    """The file's RUNPATH (or RPATH) as (whole value, entries not relative to $ORIGIN)."""
    done = subprocess.run(["patchelf", "--print-rpath", str(path)], capture_output=True, text=True)
    value = done.stdout.strip()
    if done.returncode != 0 or not value:
        return None
    foreign = [p for p in value.split(":") if p and not p.startswith(("$ORIGIN", "${ORIGIN}"))]
    return (value, foreign) if foreign else None


UNSTRIPPED = "unstrippable.txt"


def loadable(path: Path) -> bool:
    """Whether every LOAD segment's file offset and address agree modulo its alignment, as the
    dynamic linker requires. binutils' and LLVM's strip both break that on libraries a wheel's
    repair tool (auditwheel, through patchelf) has grown, which then fail to load at all."""
    out = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields[:1] == ["LOAD"]:
            offset, vaddr, align = int(fields[1], 16), int(fields[2], 16), int(fields[-1], 16)
            if align > 1 and (offset - vaddr) % align:
                return False
    return True


def has_symbols(path: Path) -> bool:
    out = subprocess.run(["readelf", "-SW", str(path)], capture_output=True, text=True).stdout
    return any(name in out for name in (" .symtab ", " .debug_"))


def strip(elf: Path) -> bool:
    """Strip `elf` of what the dynamic linker does not need (--strip-unneeded keeps every symbol
    a shared object exports or imports), unless the result would not load: then it stays whole."""
    temp = elf.with_name(elf.name + ".stripped")
    done = subprocess.run(["strip", "--strip-unneeded", "--remove-section=.comment", "-o",
                           str(temp), str(elf)], capture_output=True, text=True)
    if done.returncode != 0 or not loadable(temp):
        temp.unlink(missing_ok=True)
        return False
    shutil.copymode(elf, temp)
    os.replace(temp, elf)
    return True


def tidy(app: Path) -> list[str]:
    problems: list[str] = []
    for cache in sorted(app.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    links = [p for p in app.rglob("*") if p.is_symlink() and not p.exists()]
    for link in links:
        link.unlink()
    elfs = [p for p in app.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    before = sum(p.stat().st_size for p in elfs)
    kept_whole = []
    for elf in elfs:
        if elf.parent == app or not has_symbols(elf):
            continue  # the executables (PyInstaller's bootloader carries the app's archive), or
            # stripped already: stripping again only rewrites the file, and may break it
        if not strip(elf):
            kept_whole.append(elf.relative_to(app).as_posix())
    after = sum(p.stat().st_size for p in elfs)
    fixed = 0
    for elf in elfs:
        found = foreign_search_paths(elf)
        if found is None:
            continue
        value, foreign = found
        kept = ":".join(p for p in value.split(":") if p and p not in foreign)
        args = ["--set-rpath", kept] if kept else ["--remove-rpath"]
        if subprocess.run(["patchelf", *args, str(elf)], capture_output=True).returncode != 0:
            problems.append(f"cannot rewrite the search path of {elf.relative_to(app)}")
        fixed += 1
    (app.parent / UNSTRIPPED).write_text("".join(f"{p}\n" for p in sorted(kept_whole)))
    print(f"tidy: {len(links)} dangling links removed; {fixed} search paths outside the app "
          f"removed; ELF files stripped ({(before - after) / 2**20:.0f} MiB), "
          f"{len(kept_whole)} kept whole (listed in {UNSTRIPPED})")
    return problems


def outside_paths(app: Path) -> list[str]:
    """What the bundle check refuses: any of the above still there."""
    found = [f"a __pycache__ folder: {p.relative_to(app)}" for p in app.rglob("__pycache__")]
    found += [f"a dangling link: {p.relative_to(app)}" for p in app.rglob("*")
              if p.is_symlink() and not p.exists()]
    for elf in (p for p in app.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)):
        paths = foreign_search_paths(elf)
        if paths:
            found.append(f"a search path outside the app ({':'.join(paths[1])}) in {elf.relative_to(app)}")
    return found


if __name__ == "__main__":
    problems = tidy(Path(sys.argv[1]))
    for problem in problems:
        print(f"tidy: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
