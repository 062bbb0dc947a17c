"""What GPU this machine has, for `doctor` and the encoder choice: asked of nvidia-smi when it is
installed. Whether NVENC works is decided by encoders.py with a real encode, not here."""

import shutil
import subprocess

import msgspec

QUERY_TIMEOUT_S = 10.0


class GpuDevice(msgspec.Struct, frozen=True):
    name: str
    driver: str | None
    memory_mib: int | None


class GpuInfo(msgspec.Struct, frozen=True):
    devices: list[GpuDevice]
    summary: str           # "none", or one line per the devices, or why nvidia-smi failed


def gpu_info() -> GpuInfo:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return GpuInfo(devices=[], summary="none")
    try:
        out = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True,
                             timeout=QUERY_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return GpuInfo(devices=[], summary=f"none (nvidia-smi did not answer: {exc})")
    if out.returncode != 0:
        # e.g. "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"
        lines = (out.stdout + out.stderr).strip().splitlines()
        return GpuInfo(devices=[], summary=f"none (nvidia-smi: {lines[0] if lines else out.returncode})")
    devices = [_device(line) for line in out.stdout.splitlines() if line.strip()]
    if not devices:
        return GpuInfo(devices=[], summary="none")
    return GpuInfo(devices=devices, summary="; ".join(_describe(d) for d in devices))


def _device(line: str) -> GpuDevice:
    name, _, rest = line.partition(",")
    driver, _, memory = rest.partition(",")
    try:
        memory_mib = int(float(memory.strip()))
    except ValueError:  # "[N/A]" on some boards
        memory_mib = None
    return GpuDevice(name=name.strip(), driver=driver.strip() or None, memory_mib=memory_mib)


def _describe(device: GpuDevice) -> str:
    details = [f"driver {device.driver}" if device.driver else "",
               f"{device.memory_mib} MiB" if device.memory_mib else ""]
    details = [d for d in details if d]
    return f"{device.name} ({', '.join(details)})" if details else device.name
