"""The one Scene type (detected by ingest, edited in the timeline, stored in scenes_data) and the
scenes a list of cuts makes on a master's frame timeline."""

from __future__ import annotations

from backend.errors import InputError
from backend.media.timeline import FrameTimeline
from backend.model.scene import Scene


def middle_index(first, last):
    """The decoded index of the middle frame of frames first..last (elementwise on arrays): the
    frame a scene's stills, thumbnail and midpoint show."""
    return first + (last - first + 1) // 2


def timecode(seconds: float) -> str:
    """HH:MM:SS.mmm, as PySceneDetect prints a time."""
    ms = int(round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def smpte(seconds: float, rate) -> str:
    """HH:MM:SS:FF of a time counted in whole frames at the nominal `rate` (a Fraction), non-drop
    frame: the base a timeline's timecode counts from."""
    fps = max(1, round(rate))
    frames = round(seconds * rate)
    return (f"{frames // (3600 * fps):02d}:{frames // (60 * fps) % 60:02d}:"
            f"{frames // fps % 60:02d}:{frames % fps:02d}")


def check_cuts(cuts, timeline: FrameTimeline, field: str = "cuts") -> list[int]:
    """Cut frame numbers (each the first frame of a scene after the first), ascending, each once,
    each inside the film: anything else is an InputError naming the cut."""
    if not isinstance(cuts, (list, tuple)) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in cuts):
        raise InputError("cuts must be a list of frame numbers", field)
    first, last = timeline.numbers[0], timeline.numbers[-1]
    seen: set[int] = set()
    for cut in cuts:
        if not first < cut <= last:
            raise InputError(f"cut at frame {cut} is outside the master (frames {first + 1}-{last})",
                             field)
        if cut in seen:
            raise InputError(f"cut at frame {cut} is given twice", field)
        seen.add(cut)
    ordered = sorted(seen)
    # On a variable-frame-rate master numbers can skip: a scene must still hold a decoded frame.
    for start, end in zip([first, *ordered], [c - 1 for c in ordered] + [last]):
        try:
            timeline.decoded_range(start, end)
        except IndexError:
            raise InputError(f"the cut at frame {end + 1} leaves no frame in the scene of frames "
                             f"{start}-{end} (the master has no frame numbered so: it skips "
                             "numbers where frames were dropped)", field) from None
    return ordered


def scenes_at_cuts(cuts: list[int], timeline: FrameTimeline, detected=()) -> list[Scene]:
    """The scenes a checked, ascending list of cuts makes; frame numbers as detection numbers them.
    The scenes partition the decoded frames: each runs to the frame before the next one's first
    frame, the last to the last frame (timestamp numbering, VFR, can number that frame past the
    last scene's end_frame). A cut where a `detected` scene starts begins on the frame detection
    chose (that numbering can also give two frames one number); any other on the first frame
    with its number."""
    first, last = timeline.numbers[0], timeline.numbers[-1]
    starts = [first, *cuts]
    ends = [c - 1 for c in cuts] + [last]
    known = {s.start_frame: s.start_index for s in detected if s.start_index is not None}
    firsts = [0] + [known.get(c) if c in known else timeline.index(c) for c in cuts]
    lasts = [i - 1 for i in firsts[1:]] + [len(timeline) - 1]
    end_time = timeline.times[-1] + timeline.frame_duration(len(timeline) - 1) - timeline.origin
    times = [timeline.times[i] - timeline.origin for i in firsts] + [end_time]
    scenes = []
    for n, (s, e, lo, hi) in enumerate(zip(starts, ends, firsts, lasts), 1):
        mid = middle_index(lo, hi)
        scenes.append(Scene(
            number=n, start_frame=s, end_frame=e, start_time=times[n - 1], end_time=times[n],
            start_timecode=timecode(times[n - 1]), end_timecode=timecode(times[n]),
            length_frames=e - s + 1, start_index=lo, end_index=hi, midpoint_index=mid,
            midpoint_frame=timeline.numbers[mid], midpoint_time=timeline.times[mid] - timeline.origin))
    return scenes


def cuts_of(scenes: list[Scene]) -> list[int]:
    """The cut list that makes `scenes`: every scene's first frame but the first scene's."""
    return [s.start_frame for s in scenes[1:]]
