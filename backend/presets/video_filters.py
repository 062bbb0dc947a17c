"""`advanced.extra_video_filters`: the only preset field that used to be raw ffmpeg text.

Presets are shared between people, so a preset is untrusted input. The field keeps its form (a
comma-separated chain, "eq=saturation=1.05,unsharp") so stored presets and the UI stay valid,
but it is parsed, never passed through: each filter must be on the allowlist below, each
option must be one the filter is known to take, and each value must be a plain number in the
option's range (or one of its fixed words). ffmpeg then gets the chain as `render` rebuilds it
from the parsed values, so no text of the preset reaches its command line. Nothing on the list
reads or writes a file, opens a device or generates frames: filters that do (movie, metadata,
sendcmd, lut3d, drawtext, ...) are named in the refusal."""

from __future__ import annotations

import math
import re
from typing import NamedTuple


class Option(NamedTuple):
    name: str
    low: float | None = None   # numeric range, inclusive
    high: float | None = None
    integer: bool = False
    odd: bool = False          # unsharp's matrix sizes
    words: tuple[str, ...] = ()  # a choice instead of a number
    alias: str | None = None   # ffmpeg's short name (unsharp's lx, ...)


def _num(name, low, high, alias=None):
    return Option(name, low, high, alias=alias)


def _int(name, low, high, alias=None, odd=False):
    return Option(name, low, high, integer=True, odd=odd, alias=alias)


# Per filter: its options in ffmpeg's positional order. Ranges are ffmpeg's own, narrowed where
# ffmpeg allows values no archive needs (a 1024-pixel blur).
ALLOWED: dict[str, tuple[Option, ...]] = {
    "null": (),
    "hflip": (),
    "vflip": (),
    "eq": (_num("contrast", -1000, 1000), _num("brightness", -1, 1), _num("saturation", 0, 3),
           _num("gamma", 0.1, 10), _num("gamma_r", 0.1, 10), _num("gamma_g", 0.1, 10),
           _num("gamma_b", 0.1, 10), _num("gamma_weight", 0, 1)),
    # ffmpeg allows sides up to 23 but refuses x/2 + y/2 > 12: 13 keeps every pair valid
    "unsharp": (_int("luma_msize_x", 3, 13, "lx", odd=True), _int("luma_msize_y", 3, 13, "ly", odd=True),
                _num("luma_amount", -2, 5, "la"), _int("chroma_msize_x", 3, 13, "cx", odd=True),
                _int("chroma_msize_y", 3, 13, "cy", odd=True), _num("chroma_amount", -2, 5, "ca")),
    "hqdn3d": (_num("luma_spatial", 0, 100), _num("chroma_spatial", 0, 100),
               _num("luma_tmp", 0, 100), _num("chroma_tmp", 0, 100)),
    "gradfun": (_num("strength", 0.51, 64), _int("radius", 4, 32)),
    "deband": (_num("1thr", 0.00003, 0.5), _num("2thr", 0.00003, 0.5), _num("3thr", 0.00003, 0.5),
               _num("4thr", 0.00003, 0.5), _int("range", -64, 64, "r"), _num("direction", -6.28, 6.28, "d"),
               _int("blur", 0, 1, "b"), _int("coupling", 0, 1, "c")),
    "hue": (_num("h", -360, 360), _num("s", -10, 10), _num("b", -10, 10)),
    "colorbalance": tuple(_num(n, -1, 1) for n in ("rs", "gs", "bs", "rm", "gm", "bm",
                                                   "rh", "gh", "bh")) + (_int("pl", 0, 1),),
    "colortemperature": (_num("temperature", 1000, 40000), _num("mix", 0, 1), _num("pl", 0, 1)),
    "vibrance": (_num("intensity", -2, 2), _num("rbal", -10, 10), _num("gbal", -10, 10),
                 _num("bbal", -10, 10), _num("rlum", 0, 1), _num("glum", 0, 1), _num("blum", 0, 1)),
    "cas": (_num("strength", 0, 1),),
    "gblur": (_num("sigma", 0, 100), _int("steps", 1, 6), _num("sigmaV", 0, 100)),
    # only the built-in curve presets: the filter's psfile option would read a file
    "curves": (Option("preset", words=("none", "color_negative", "cross_process", "darker",
                                       "increase_contrast", "lighter", "linear_contrast",
                                       "medium_contrast", "negative", "strong_contrast",
                                       "vintage")),),
}

# Named in the refusal so a person sees why, not only that the filter is missing from the list.
READS_OR_WRITES_FILES = frozenset({
    "movie", "amovie", "metadata", "ametadata", "sendcmd", "asendcmd", "zmq", "azmq", "lut3d",
    "lut1d", "haldclut", "subtitles", "ass", "drawtext", "frei0r", "frei0r_src", "ladspa", "lv2",
    "sr", "dnn_processing", "dnn_detect", "dnn_classify", "ocr", "vidstabdetect",
    "vidstabtransform", "libvmaf", "psnr", "ssim", "vmafmotion", "signature",
    "coreimage", "coreimagesrc", "openclsrc", "program_opencl", "lensfun", "qrencode",
    "qrencodesrc", "libplacebo", "removelogo", "cover_rect", "find_rect", "streamselect",
    "select", "aselect", "showinfo", "photosensitivity",
})
_SOURCE = re.compile(r"(src|source)$|^(nullsrc|color|testsrc2?|smptebars|smptehdbars|rgbtestsrc|"
                     r"yuvtestsrc|allrgb|allyuv|haldclutsrc|life|mandelbrot|cellauto|gradients|"
                     r"sierpinski|zoneplate|buffer|abuffer|sine|anoisesrc|anullsrc|flite|aevalsrc|"
                     r"ddagrab|gfxcapture|x11grab|kmsgrab)$")

MAX_FILTERS = 16
_NAME = re.compile(r"^[a-z0-9_]+$")
# a plain decimal number: no expressions, units, hex, inf or nan
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")


class Filter(NamedTuple):
    name: str
    options: tuple[tuple[str, float | int | str], ...]  # (option name, value) in given order


def parse_chain(text: str) -> list[Filter]:
    """The filters of `text`, every value checked; a ValueError says which filter and option is
    refused and why (the caller adds the field name)."""
    text = text.strip()
    if not text:
        return []
    parts = text.split(",")
    if len(parts) > MAX_FILTERS:
        raise ValueError(f"at most {MAX_FILTERS} filters, got {len(parts)}")
    return [_parse_filter(part.strip()) for part in parts]


def render(filters: list[Filter]) -> str:
    """The chain ffmpeg gets: rebuilt from parsed names and numbers, never the preset's text."""
    def value(v):
        if isinstance(v, str):
            return v
        return str(v) if isinstance(v, int) else repr(float(v))
    return ",".join(name + ("=" + ":".join(f"{k}={value(v)}" for k, v in opts) if opts else "")
                    for name, opts in filters)


def checked_chain(text: str) -> str:
    """`text` parsed and rebuilt: what the encode steps append to their -vf chain. A stored
    value that fails (a preset saved before these checks) raises ValueError before ffmpeg runs."""
    return render(parse_chain(text))


def allowed_names() -> str:
    return ", ".join(ALLOWED)


def _refusal(name: str) -> str:
    if name in READS_OR_WRITES_FILES:
        why = "reads or writes files (or runs commands)"
    elif _SOURCE.search(name):
        why = "is a source or device filter"
    else:
        why = "is not on the allowed list"
    return f"filter {name!r} {why} and is never allowed; allowed: {allowed_names()}"


def _parse_filter(part: str) -> Filter:
    name, sep, args = part.partition("=")
    name = name.strip()
    if not name:
        raise ValueError("an empty filter (two commas, or a comma at an end)")
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a filter name (letters, digits and '_' only; no "
                         "@instances, quotes, labels or ';')")
    if name not in ALLOWED:
        raise ValueError(_refusal(name))
    spec = ALLOWED[name]
    if sep and not spec:
        raise ValueError(f"filter {name} takes no options, got {args!r}")
    if not sep:
        return Filter(name, ())
    if not args:
        raise ValueError(f"filter {name}: '=' with no options")
    by_name = {o.name: o for o in spec} | {o.alias: o for o in spec if o.alias}
    seen: dict[str, float | int | str] = {}
    named = False
    for index, item in enumerate(args.split(":")):
        key, has_key, raw = item.partition("=")
        if has_key:
            named = True
            option = by_name.get(key.strip())
            if option is None:
                known = ", ".join(o.name for o in spec)
                raise ValueError(f"filter {name} has no option {key.strip()!r} that may be set "
                                 f"(allowed: {known})")
        else:
            if index >= len(spec) or named:  # positional values come first, as in ffmpeg
                raise ValueError(f"filter {name}: value {item!r} needs a name, e.g. "
                                 f"{spec[0].name}=...")
            option, raw = spec[index], key
        if option.name in seen:
            raise ValueError(f"filter {name}: option {option.name} is given twice")
        seen[option.name] = _value(name, option, raw.strip())
    return Filter(name, tuple(seen.items()))


def _value(filter_name: str, option: Option, raw: str) -> float | int | str:
    where = f"filter {filter_name}, option {option.name}"
    if option.words:
        if raw not in option.words:
            raise ValueError(f"{where}: {raw!r} is not one of {', '.join(option.words)}")
        return raw
    if not _NUMBER.match(raw):
        raise ValueError(f"{where}: {raw!r} is not a plain number (no expressions)")
    number = float(raw)
    if not math.isfinite(number) or not option.low <= number <= option.high:
        raise ValueError(f"{where}: {raw} is outside {option.low:g}..{option.high:g}")
    if option.integer:
        if number != int(number):
            raise ValueError(f"{where}: {raw} is not a whole number")
        number = int(number)
        if option.odd and number % 2 == 0:
            raise ValueError(f"{where}: {raw} must be odd")
    return number
