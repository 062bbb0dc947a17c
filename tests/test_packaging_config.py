"""The installer pieces that can be checked without building the app: the web engine sandbox
decision, the Linux desktop entry and maintainer scripts, the Windows installer script (compiled
by makensis around a stand-in folder) and the macOS bundle settings."""

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
sys.path.insert(0, str(PACKAGING / "macos"))

import bundle  # noqa: E402
from App import sandbox as web_sandbox  # noqa: E402


@pytest.mark.parametrize("case, expected", [
    (dict(euid=1000, userns=True, apparmor_restricts=False, label="unconfined"), True),
    (dict(euid=0, userns=True, apparmor_restricts=False, label="unconfined"), False),
    (dict(euid=1000, userns=False, apparmor_restricts=False, label="unconfined"), False),
    # Ubuntu 24.04 without our profile loaded: the namespace is made but useless
    (dict(euid=1000, userns=True, apparmor_restricts=True, label="unconfined"), False),
    # ... and with the .deb's profile attached to the process
    (dict(euid=1000, userns=True, apparmor_restricts=True, label="video-archive (unconfined)"), True),
])
def test_sandbox_is_switched_off_only_where_it_cannot_work(case, expected):
    decision = web_sandbox.decide(**case, override=None)
    assert decision.sandbox is expected, decision.reason


def test_sandbox_override_wins_both_ways():
    root = dict(euid=0, userns=False, apparmor_restricts=True, label="unconfined")
    assert web_sandbox.decide(**root, override="on").sandbox is True
    normal = dict(euid=1000, userns=True, apparmor_restricts=False, label="unconfined")
    assert web_sandbox.decide(**normal, override="off").sandbox is False


def test_sandbox_probe_really_creates_a_user_namespace_in_a_child():
    # the answer depends on the kernel; what matters is that probing leaves this process as it was
    before = Path("/proc/self/ns/user").resolve() if Path("/proc/self/ns/user").exists() else None
    assert web_sandbox.userns_works() in (True, False)
    after = Path("/proc/self/ns/user").resolve() if before else None
    assert before == after


def test_the_shell_tells_qt_and_says_why(monkeypatch, capsys):
    from App.shell import engine_environment

    env = engine_environment({"DISPLAY": ":1", "XDG_RUNTIME_DIR": "/tmp",
                              "VIDEO_ARCHIVE_SANDBOX": "off"}, has_gpu=True)
    assert env["QTWEBENGINE_DISABLE_SANDBOX"] == "1" and "--no-sandbox" in env["QTWEBENGINE_CHROMIUM_FLAGS"]
    assert "sandbox off: VIDEO_ARCHIVE_SANDBOX=off" in capsys.readouterr().err
    env = engine_environment({"DISPLAY": ":1", "XDG_RUNTIME_DIR": "/tmp",
                              "VIDEO_ARCHIVE_SANDBOX": "on"}, has_gpu=True)
    assert "QTWEBENGINE_DISABLE_SANDBOX" not in env


def test_desktop_entry_launches_the_editor_from_path():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "video-archive.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Terminal"] == "false"
    assert section["Exec"] == "/usr/bin/video-archive app %F"  # "Open with" passes the files
    assert section["Icon"] == "video-archive"
    assert {"video/mp4", "video/quicktime", "video/x-matroska", "application/mxf"} <= set(
        section["MimeType"].rstrip(";").split(";"))
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(PACKAGING / "linux" / "video-archive.desktop")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("script", ["postinst", "postrm"])
def test_maintainer_scripts_are_valid_posix_sh_and_never_touch_home(script):
    path = PACKAGING / "linux" / script
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    for word in ("HOME", "/home", "/root", ".config", "state.db"):
        assert not any(word in line for line in code), word


def test_windows_installer_compiles_per_user_and_keeps_user_data(tmp_path):
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis (Debian package nsis) is not installed; scripts/install-system-deps adds it")
    dist = tmp_path / "video-archive"
    (dist / "_internal").mkdir(parents=True)
    for name in ("video-archive.exe", "Video Archive.exe", "_internal/python311.dll"):
        (dist / name).write_bytes(b"MZ stand-in")
    out = tmp_path / "setup.exe"
    done = subprocess.run([makensis, "-V2", f"-DDIST={dist}", "-DVERSION=0.1.0", f"-DOUTFILE={out}",
                           str(PACKAGING / "windows" / "video-archive.nsi")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes()[:2] == b"MZ"
    script = (PACKAGING / "windows" / "video-archive.nsi").read_text()
    assert "RequestExecutionLevel user" in script and "$SMPROGRAMS" in script
    uninstall = script.split('Section "Uninstall"')[1]
    assert "video-archive\\" not in uninstall.replace("$INSTDIR", "")  # never the data folder
    assert "RMDir /r \"$INSTDIR\"" not in uninstall
    # the licence is shown and installed; "Open with" on video files is offered and removed again
    assert "MUI_PAGE_LICENSE" in script and "LICENSE.txt" in script
    for ext in (".mp4", ".mov", ".mxf"):
        assert f'!insertmacro OpenWith "{ext}"' in script and f'!insertmacro UnOpenWith "{ext}"' in uninstall


def test_macos_bundle_settings_make_a_valid_plist():
    info = bundle.info_plist("0.1.0")
    data = plistlib.loads(plistlib.dumps(info))
    assert data["CFBundleExecutable"] == bundle.NAME == "Video Archive"
    assert data["CFBundleIdentifier"] == bundle.IDENTIFIER
    assert data["CFBundleShortVersionString"] == "0.1.0"
    assert data["CFBundlePackageType"] == "APPL"
    assert "GPL-3.0-or-later" in data["NSHumanReadableCopyright"]
    [kind] = data["CFBundleDocumentTypes"]
    assert kind["CFBundleTypeRole"] == "Viewer" and "public.mpeg-4" in kind["LSItemContentTypes"]
    spec = (PACKAGING / "video-archive.spec").read_text()
    assert 'WINDOWED = "Video Archive"' in spec and "bundle.info_plist(version)" in spec
    assert 'WINDOWED = "Video Archive"' in (PACKAGING / "app_main.py").read_text()


def test_depends_take_either_name_of_a_renamed_library_and_the_glibc_floor():
    import bundle_check

    line = bundle_check.depends_line(["libasound2t64", "libc6", "libglib2.0-0", "libnss3"], "2.35")
    assert line == ("libasound2 | libasound2t64, libc6 (>= 2.35), libglib2.0-0 | libglib2.0-0t64, "
                    "libnss3")
    assert bundle_check.lib_stem("libnss3.so") == "libnss3"
    assert bundle_check.lib_stem("libxcb-cursor.so.0.0.0") == "libxcb-cursor"


def test_the_owners_of_libraries_are_asked_of_dpkg_in_one_call(tmp_path, monkeypatch):
    """One `dpkg -S` for every path (a stand-in dpkg on PATH, as Debian's answers: a multiarch
    package name, a diversion line, a path no package has on stderr with exit 1)."""
    import bundle_check

    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "dpkg"
    fake.parent.mkdir()
    fake.write_text(f"""#!/bin/sh
echo "$@" >> "{calls}"
echo "diversion by dash from: /usr/lib/x86_64-linux-gnu/libz.so.1"
echo "zlib1g:amd64: /usr/lib/x86_64-linux-gnu/libz.so.1"
echo "libc6:amd64, libc6-dev:amd64: /usr/lib/x86_64-linux-gnu/libm.so.6"
echo "dpkg-query: no path found matching pattern /usr/lib/none.so.1" >&2
exit 1
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    owners = bundle_check.dpkg_owners(["/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/none.so.1",
                                       "/usr/lib/x86_64-linux-gnu/libm.so.6"])
    assert owners == {"/usr/lib/x86_64-linux-gnu/libz.so.1": "zlib1g",
                      "/usr/lib/x86_64-linux-gnu/libm.so.6": "libc6"}
    assert len(calls.read_text().splitlines()) == 1
    assert bundle_check.dpkg_owners([]) == {}  # no call at all


def test_the_payload_takes_the_frontend_and_never_a_test_or_a_checkouts_state(tmp_path):
    import payload

    for rel in ("frontend/index.html", "frontend/js/main.js", "frontend/test/cuts.test.js",
                "frontend/package.json", "frontend/js/x.test.js", "App/config/state.db",
                "App/shell.py", "App/icons/app.png", "bridge/http.py", "backend/presets/a.json",
                "backend/__init__.py", "backend/cli/main.py", "backend/tests/test_x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert [str(p) for p in payload.data_files(tmp_path)] == [
        "backend/presets/a.json", "frontend/index.html", "frontend/js/main.js", "App/icons/app.png"]
    assert payload.modules(tmp_path) == ["backend", "backend.cli.main", "bridge.http", "App.shell"]


def test_appstream_metainfo_validates(tmp_path):
    if shutil.which("appstreamcli") is None:
        pytest.skip("appstreamcli (Debian package appstream) is not installed; scripts/install-system-deps adds it")
    text = (PACKAGING / "linux" / "studio.yambo.video_archive.metainfo.xml").read_text()
    filled = tmp_path / "studio.yambo.video_archive.metainfo.xml"
    filled.write_text(text.replace("@VERSION@", "0.1.0").replace("@DATE@", "2026-12-04"))
    done = subprocess.run(["appstreamcli", "validate", "--no-net", str(filled)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "video-archive.desktop" in text and text.count("<screenshot") >= 2
    for shot in ("editor.png", "start.png", "export-summary.png"):  # what the captions describe
        assert (ROOT / "docs" / "screens" / shot).is_file()


def test_the_manual_page_is_the_commands_own_help_and_man_reads_it(tmp_path):
    import manpage
    from backend.cli.main import build_parser

    page = tmp_path / "video-archive.1"
    page.write_text(manpage.render("2026-12-04"))
    text = page.read_text()
    for name in ("process", "resume", "doctor", "app", "db"):
        assert f".SS {name}" in text
    assert build_parser().description.split(":")[0] in text
    if shutil.which("man") is None:
        pytest.skip("man (man-db) is not installed")
    done = subprocess.run(["man", "--warnings", "-P", "cat", "-l", str(page)], capture_output=True,
                          text=True, env={**os.environ, "MANWIDTH": "80"})
    assert done.returncode == 0 and "VIDEO-ARCHIVE(1)" in done.stdout, done.stderr
    assert "warning" not in done.stderr, done.stderr


def test_the_window_icon_is_the_apps_icon():
    from PIL import Image, ImageChops

    import icon
    from App.shell import ICON

    drawn = icon.draw().resize((256, 256), Image.LANCZOS)
    assert ImageChops.difference(Image.open(ICON).convert("RGBA"), drawn).getbbox() is None


def test_licence_inventory_names_wheel_libraries_and_fails_on_an_unknown_one():
    import licenses

    assert licenses.lib_stem("libavcodec-5e6b81c2.so.62.28.102") == "libavcodec"
    assert licenses.lib_stem("libopenblasp-r0-59ffcd50.3.15.so") == "libopenblasp-r0"
    assert licenses.lib_stem("libgfortran-040039e1-0352e75f.so.5.0.0") == "libgfortran"
    assert licenses.LIBRARIES["libx264"][1].startswith("GPL")
    assert licenses.dist_short("License-Expression: GPL-3.0-only\n") == "GPL-3"
    assert licenses.dist_short("License: MIT\n") == "Expat"


def test_tidy_takes_the_build_machine_out_and_the_library_still_loads(tmp_path):
    """A library as PyInstaller leaves one: debug symbols, a RUNPATH naming the build machine's
    Python beside one relative to itself, a __pycache__, a link to a trimmed library."""
    import ctypes

    import tidy

    for tool in ("gcc", "patchelf", "strip", "readelf"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed; scripts/install-system-deps adds it")
    app = tmp_path / "video-archive"
    internal = app / "_internal"
    (internal / "pkg" / "__pycache__").mkdir(parents=True)
    (internal / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"/build/folder/m.py")
    (internal / "libgone.so.6").symlink_to("PyQt6/Qt6/lib/libgone.so.6")
    source = tmp_path / "answer.c"
    source.write_text("int answer(void) { return 42; }\n")
    lib = internal / "libanswer.so"
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", str(lib), str(source),
                    "-Wl,--enable-new-dtags,-rpath,/root/.pyenv/versions/3.11.7/lib:$ORIGIN/../libs"], check=True)
    assert tidy.has_symbols(lib) and len(tidy.outside_paths(app)) == 3
    assert tidy.tidy(app) == []
    assert tidy.outside_paths(app) == []
    assert not tidy.has_symbols(lib) and tidy.loadable(lib)
    assert subprocess.run(["patchelf", "--print-rpath", str(lib)], capture_output=True,
                          text=True).stdout.strip() == "$ORIGIN/../libs"  # the bundle's own stays
    assert ctypes.CDLL(str(lib)).answer() == 42
    assert (tmp_path / tidy.UNSTRIPPED).read_text() == ""
