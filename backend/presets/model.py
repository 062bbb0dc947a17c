"""What a preset is: the design's four settings groups (stills_hq, stills_web, video, thumbnail) plus
advanced options, as frozen msgspec Structs whose constraints are the validation. Built-in data
files, user presets in state.db, imported files and `--set` overrides all go through `to_preset`,
so a bad value gets the same one-line error naming the field wherever it comes from."""

import re
import types
import typing
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct, field

from backend import text_rules
from backend.errors import InputError
from backend.presets import video_filters

PRESET_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
PresetId = Annotated[str, Meta(pattern=PRESET_ID_PATTERN, description=(
    "1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit"))]
Quality = Annotated[int, Meta(ge=1, le=100)]
Crf = Annotated[int, Meta(ge=0, le=51)]
Side = Annotated[int, Meta(ge=16, le=16384)]

X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                     "slower", "veryslow"]
NvencPreset = Literal["p1", "p2", "p3", "p4", "p5", "p6", "p7"]


class _Group(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Common options: immutable (built-ins are shared objects) and strict about unknown keys, so
    a typo in a preset file ("crff") is an error instead of a silently ignored setting."""


class StillsHQ(_Group):
    """The archival still: full display resolution, lossless."""
    format: Literal["png", "tiff"] = "png"
    # 16 keeps the precision of 10-bit and 12-bit masters; an 8-bit source gains nothing from it.
    bit_depth: Literal[8, 16] = 8
    compression_level: Annotated[int, Meta(ge=0, le=9)] = 6  # PNG zlib level
    tiff_compression: Literal["none", "lzw", "deflate", "packbits"] = "deflate"


class StillsWeb(_Group):
    """The web still: fitted inside max_width x max_height (never enlarged), compressed."""
    format: Literal["jpeg", "webp"] = "jpeg"
    max_width: Side = 1920
    max_height: Side = 1920
    quality: Quality = 85
    progressive: bool = True  # JPEG only
    chroma_subsampling: Literal["4:2:0", "4:4:4"] = "4:2:0"


class VideoSettings(_Group):
    """One encode profile: the web master and its clips (`video`), or R&D videos (`advanced.rd_video`).

    Output frames are square-pixel at the display aspect ratio, fitted inside max_width x
    max_height with even sides. `keyframe_strategy` "scene_cuts" puts a keyframe on every cut, so
    that clips are frame-exact stream copies of the web master; "fixed_interval" only keeps a
    keyframe every `keyframe_interval_s`, and clips are then encoded on their own."""
    codec: Literal["h264", "hevc"] = "h264"  # hevc only with the nvenc encoder (see check_encoder)
    profile: Literal["baseline", "main", "high"] = "high"
    pix_fmt: Literal["yuv420p"] = "yuv420p"  # what every browser decodes
    crf: Crf = 23  # libx264 quality
    x264_preset: X264Preset = "slow"
    x264_tune: Literal["film", "animation", "grain", "stillimage"] | None = None
    nvenc_preset: NvencPreset = "p6"
    nvenc_cq: Annotated[int, Meta(ge=1, le=51)] = 23  # NVENC constant quality (0 would mean auto)
    max_bitrate_kbps: Annotated[int, Meta(ge=100, le=500_000)] | None = None  # VBV cap, buffer 2x
    max_width: Side | None = 1920
    max_height: Side | None = 1080
    max_fps: Annotated[float, Meta(ge=1, le=240)] | None = None  # None: keep the source rate
    faststart: bool = True  # moov atom first, so a browser starts playing before the download ends
    audio: Literal["none", "aac"] = "none"
    audio_bitrate_kbps: Annotated[int, Meta(ge=32, le=512)] = 160
    keyframe_strategy: Literal["scene_cuts", "fixed_interval"] = "scene_cuts"
    keyframe_interval_s: Annotated[float, Meta(ge=0.1, le=60)] = 2.0

    def __post_init__(self):
        if self.codec == "hevc" and self.profile != "main":
            raise ValueError("profile: codec hevc needs profile 'main'")

    def check_encoder(self, encoder: str, where: str = "video") -> None:
        """libx264 cannot write HEVC: refuse the combination with a message that says what to change."""
        if self.codec == "hevc" and encoder != "nvenc":
            raise InputError(f"preset field {where}.codec is hevc, which only the nvenc encoder "
                             f"writes; use --encoder nvenc or set {where}.codec=h264")


class ThumbnailSettings(_Group):
    """Small per-scene previews (also used by the UI); the height follows the display aspect ratio."""
    width: Annotated[int, Meta(ge=16, le=1920)] = 320
    format: Literal["jpeg", "webp"] = "jpeg"
    quality: Quality = 75


class RdImageSettings(_Group):
    """R&D folder images: "keep" leaves each file's own format (JPEG, PNG, WebP) and only resizes."""
    format: Literal["jpeg", "webp", "keep"] = "jpeg"
    max_width: Side = 2560
    max_height: Side = 2560
    quality: Quality = 85


def _rd_video_defaults() -> VideoSettings:
    # Research footage is kept for reference: sound matters, exact clip cuts do not.
    return VideoSettings(audio="aac", audio_bitrate_kbps=128, keyframe_strategy="fixed_interval")


class AdvancedSettings(_Group):
    join_group_clips: bool = False  # also one joined clip per scene group
    rd_images: RdImageSettings = field(default_factory=RdImageSettings)
    rd_video: VideoSettings = field(default_factory=_rd_video_defaults)
    # Appended to the video filter chain of the web master and clips (after scaling): a
    # comma-separated chain of allowlisted filters with numeric options, e.g.
    # "eq=saturation=1.05,unsharp" (see video_filters: never passed to ffmpeg as written).
    extra_video_filters: Annotated[str, Meta(max_length=1000)] = ""

    def __post_init__(self):
        try:
            video_filters.parse_chain(self.extra_video_filters)
        except ValueError as exc:
            raise ValueError(f"extra_video_filters: {exc}") from None


class Preset(_Group):
    id: PresetId
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    description: Annotated[str, Meta(max_length=2000)] = ""
    base_preset: PresetId | None = None  # the built-in (or user preset) it was derived from
    stills_hq: StillsHQ = field(default_factory=StillsHQ)
    stills_web: StillsWeb = field(default_factory=StillsWeb)
    video: VideoSettings = field(default_factory=VideoSettings)
    thumbnail: ThumbnailSettings = field(default_factory=ThumbnailSettings)
    advanced: AdvancedSettings = field(default_factory=AdvancedSettings)

    def __post_init__(self):
        # shown in lists and the UI, and copied into process logs: the metadata text rule
        for name, multiline in (("name", False), ("description", True)):
            why = text_rules.problem(getattr(self, name), multiline=multiline)
            if why:
                raise ValueError(f"{name}: {why}")


GROUPS = ("stills_hq", "stills_web", "video", "thumbnail", "advanced")


# --- conversion with readable errors --------------------------------------------------------------

class PresetFieldError(InputError):
    """A preset value that fails validation. `field` is its dotted path ("video.crf"), so callers
    can say where it came from (a file, a database column)."""

    def __init__(self, field: str, problem: str, source: str):
        super().__init__(f"bad preset field {field} in {source}: {problem}")
        self.field, self.problem, self.source = field, problem, source


def to_preset(data: dict | bytes | str, source: str = "preset") -> Preset:
    """Validate `data` (a dict, or JSON text) as a Preset. `source` says where it came from in
    the error ("preset file my.json", "--set overrides")."""
    try:
        if isinstance(data, (bytes, str)):
            raw = msgspec.json.decode(data)
        else:
            raw = data
        return msgspec.convert(raw, Preset)
    except msgspec.ValidationError as exc:
        raise PresetFieldError(*describe_error(exc, raw), source) from None
    except msgspec.DecodeError as exc:
        raise InputError(f"{source} is not valid JSON: {exc}") from None


def to_dict(preset: Preset) -> dict:
    return msgspec.to_builtins(preset)


def to_json(preset: Preset) -> bytes:
    """Pretty JSON in field order, the format of the built-in data files and of exports."""
    return msgspec.json.format(msgspec.json.encode(preset), indent=2) + b"\n"


def apply_overrides(preset: Preset, overrides: dict, source: str = "overrides") -> Preset:
    """A new Preset: `overrides` (nested like the preset, e.g. {"video": {"crf": 20}}) merged
    into `preset` group by group, then validated as a whole."""
    if not overrides:
        return preset
    return to_preset(deep_merge(to_dict(preset), overrides), source)


def deep_merge(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_assignments(items: list[str]) -> dict:
    """`["video.crf=20", "stills_web.format=webp"]` -> {"video": {"crf": 20}, ...}. A value is
    read as JSON when it parses (20, 2.5, true, null, "x"), else taken as a plain string."""
    result: dict = {}
    for item in items:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise InputError(f"cannot read setting {item!r}: expected GROUP.FIELD=VALUE, "
                             "e.g. video.crf=20")
        try:
            value = msgspec.json.decode(text)
        except msgspec.DecodeError:
            value = text
        node = result
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(f"setting {item!r} conflicts with an earlier one for {part}")
            node = child
        node[parts[-1]] = value
    return result


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_OWN_CHECK = re.compile(r"^(?P<name>\w+): (?P<problem>.*)$", re.S)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")


def describe_error(exc: msgspec.ValidationError, raw: Any) -> tuple[str, str]:
    """Turn msgspec's "Expected `int` >= 0 - at `$.video.crf`" into the field and a problem a
    person can act on: ("video.crf", "expected `int` >= 0, got -1")."""
    match = _AT.match(str(exc))
    message, path = match["message"], match["path"] or ""
    names = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    owner = _type_at(Preset, names)
    own = _OWN_CHECK.match(message)
    if own and _is_struct(owner) and own["name"] in owner.__struct_fields__:
        names.append(own["name"])  # a __post_init__ check names the field it refuses
        message = own["problem"]
    elif unknown := _UNKNOWN.match(message):
        names.append(unknown["name"])
        known = ", ".join(owner.__struct_fields__) if _is_struct(owner) else ""
        message = "unknown field" + (f" (known: {known})" if known else "")
    elif missing := _MISSING.match(message):
        names.append(missing["name"])
        message = "required, missing"
    elif message.startswith("Invalid enum value"):
        message = message.replace("Invalid enum value", "not an allowed value:")
        choices = _choices(Preset, names)
        if choices:
            message += f" (allowed: {', '.join(map(str, choices))})"
    elif message.startswith("Expected"):
        message = "e" + message[1:]
        meta_text = _meta_description(Preset, names)
        if "matching regex" in message and meta_text:
            message = f"must be {meta_text}"
        found, value = _value_at(raw, names)
        if found:
            shown = msgspec.json.encode(value).decode()
            message += f" {shown}" if ", got `" in message else f", got {shown}"
    return ".".join(names) or "(whole preset)", message


def _is_struct(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, Struct)


def _strip(tp):
    """The plain type under Annotated[...] and `X | None`."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _annotation_at(root, names: list[str]):
    tp = root
    for name in names:
        plain = _strip(tp)
        if not _is_struct(plain):
            return None
        hints = typing.get_type_hints(plain, include_extras=True)
        if name not in hints:
            return None
        tp = hints[name]
    return tp


def _type_at(root, names: list[str]):
    tp = _annotation_at(root, names)
    return _strip(tp) if tp is not None else None


def _meta_description(root, names: list[str]) -> str | None:
    tp = _annotation_at(root, names)
    while tp is not None:
        if typing.get_origin(tp) is Annotated:
            for extra in typing.get_args(tp)[1:]:
                if isinstance(extra, Meta) and extra.description:
                    return extra.description
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = inner[0] if len(inner) == 1 else None
        else:
            return None
    return None


def _choices(root, names: list[str]) -> tuple:
    tp = _type_at(root, names)
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else ()


def _value_at(raw: Any, names: list[str]) -> tuple[bool, Any]:
    node = raw
    for name in names:
        if isinstance(node, dict) and name in node:
            node = node[name]
        elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
            node = node[int(name)]
        else:
            return False, None
    return True, node
