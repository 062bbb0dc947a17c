"""Should the editor window's web engine (Chromium inside Qt WebEngine) keep its sandbox?

Chromium's Linux sandbox needs unprivileged user namespaces, and refuses to start at all as root.
Turning it off everywhere would throw away a real protection, so the packaged app turns it off
only where it cannot work:
- as root (euid 0): Chromium will not run sandboxed as root;
- where the kernel refuses a user namespace (Debian's kernel.unprivileged_userns_clone = 0,
  user.max_user_namespaces = 0, a container without CLONE_NEWUSER): probed by really creating one
  in a forked child;
- under AppArmor's user-namespace restriction (Ubuntu 23.10+,
  kernel.apparmor_restrict_unprivileged_userns = 1) while this process is not confined by a
  profile that grants `userns` (the .deb installs one for /opt/video-archive; a source checkout
  or a copied folder has none). There the namespace is created but has no capabilities, so the
  probe above cannot see the problem.
VIDEO_ARCHIVE_SANDBOX=on|off overrides the decision. App/shell.py passes the answer to Qt."""

import ctypes
import os
from pathlib import Path
from typing import NamedTuple

CLONE_NEWUSER = 0x10000000
PROC = Path("/proc")


class Decision(NamedTuple):
    sandbox: bool
    reason: str


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def userns_works() -> bool:
    """Create a user namespace in a forked child (it never touches this process)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            code = 0 if libc.unshare(CLONE_NEWUSER) == 0 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def apparmor_label(proc: Path = PROC) -> str:
    """This process's AppArmor confinement ('unconfined' when none)."""
    for name in ("self/attr/apparmor/current", "self/attr/current"):
        label = _read(proc / name)
        if label:
            return label
    return "unconfined"


def decide(*, euid: int, userns: bool, apparmor_restricts: bool, label: str,
           override: str | None) -> Decision:
    if override in ("on", "off"):
        return Decision(override == "on", f"VIDEO_ARCHIVE_SANDBOX={override}")
    if euid == 0:
        return Decision(False, "running as root, where Chromium's sandbox cannot start")
    if not userns:
        return Decision(False, "this kernel refuses unprivileged user namespaces")
    if apparmor_restricts and label.split(" ")[0] == "unconfined":
        return Decision(False, "AppArmor restricts user namespaces and no AppArmor profile "
                               "grants them to this copy of the app")
    return Decision(True, "user namespaces available")


def current(env: dict[str, str] | None = None, proc: Path = PROC) -> Decision:
    env = os.environ if env is None else env
    restrict = _read(proc / "sys/kernel/apparmor_restrict_unprivileged_userns") == "1"
    return decide(euid=os.geteuid(), userns=userns_works(), apparmor_restricts=restrict,
                  label=apparmor_label(proc), override=env.get("VIDEO_ARCHIVE_SANDBOX"))
