"""timeline.* and edit.*: what the timeline draws, and the edits, each saved at once."""

from __future__ import annotations

import time
from fractions import Fraction

import msgspec

from backend.db.session_spec import Group, SceneNote
from backend.errors import InputError
from backend.jobs import project
from backend.media import sharp_proxy
from backend.media.scenes import Scene, smpte
from bridge.context import Bridge
from bridge.methods.common import table, Params, SessionId


class Rational(msgspec.Struct):
    num: int
    den: int


class SpriteSheet(msgspec.Struct, kw_only=True):
    url: str
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    count: int               # tiles with a picture on this sheet (the last may be part-filled)
    first_frame: int         # the frame under the first tile
    frame_step: int          # frames between tiles at the nominal rate (interval_s x fps)
    interval_s: float        # seconds between tiles
    frames: list[int]        # the exact frame under each tile (a VFR master skips numbers)


class PeaksLevel(msgspec.Struct, kw_only=True):
    url: str                 # int8, bin after bin, each [min, max] per channel (docs/bridge.md)
    samples_per_bin: int
    bins: int


class Waveform(msgspec.Struct, kw_only=True):
    sample_rate: int         # samples a second; sample 0 is the first frame's time
    channels: int
    samples: int             # per channel
    levels: list[PeaksLevel]  # finest first


def _waveform(ctx: Bridge, sid: str, result) -> Waveform | None:
    wf = result.waveform
    if wf is None:
        return None
    entry = result.scores.parent
    return Waveform(sample_rate=wf.sample_rate, channels=wf.channels, samples=wf.samples,
                    levels=[PeaksLevel(url=ctx.media_url(entry / lv.file, sid),
                                       samples_per_bin=lv.samples_per_bin, bins=lv.bins)
                            for lv in wf.levels])


class ProxyState(msgspec.Struct, kw_only=True):
    url: str | None          # the sharpest proxy made so far
    width: int | None
    height: int | None
    sharp: bool              # it is the sharp one (backend/media/sharp_proxy.py)
    pending: bool            # the sharp one is still being made
    error: str | None        # why the sharp one could not be made (the small one stays)
    scrub_url: str | None    # seeked while paused: the small proxy, without sound once copied


def _proxy_state(ctx: Bridge, sid: str, result) -> ProxyState:
    sharp, pending, error = ctx.sharp.state(result)
    if sharp is not None:
        width, height = sharp_proxy.sharp_size(result.display_width, result.display_height)
        return ProxyState(url=ctx.media_url(sharp, sid), width=width, height=height, sharp=True,
                          pending=pending, error=None, scrub_url=_scrub_url(ctx, sid, result))
    return ProxyState(url=ctx.media_url(result.proxy, sid) if result.proxy else None,
                      width=result.proxy_width, height=result.proxy_height, sharp=False,
                      pending=pending, error=error, scrub_url=_scrub_url(ctx, sid, result))


def _scrub_url(ctx: Bridge, sid: str, result) -> str | None:
    scrub = sharp_proxy.scrub_proxy(result) or result.proxy
    return ctx.media_url(scrub, sid) if scrub else None


class Timeline(msgspec.Struct, kw_only=True):
    session_id: str
    fps: Rational
    frame_count: int
    duration_s: float
    start_timecode: str      # HH:MM:SS:FF of the first frame at the nominal rate
    width: int               # display size of the master
    height: int
    scenes: list[Scene]
    cuts: list[int]
    threshold: float
    min_scene_len: int
    selection: list[int]
    groups: list[Group]
    scene_notes: list[SceneNote] = []
    proxy_url: str | None    # VP9/WebM, a keyframe every proxy_gop frames; the sharp one once made
    proxy_width: int | None
    proxy_height: int | None
    proxy_pending: bool      # a sharper proxy is being made: ask timeline.proxy for it
    scrub_url: str | None    # the small proxy (same frames; without sound once copied): seeked
                             # while paused, as a seek decodes up to proxy_gop - 1 frames
    scores_url: str          # little-endian float32, one content score per decoded frame
    score_count: int
    frame_us_url: str        # little-endian float64, each decoded frame's time in microseconds
    sprites: list[SpriteSheet]
    thumbs_url: str          # + "/<n>": decoded frame n's small JPEG; a scene shows its midpoint_index
    waveform: Waveform | None  # audio peaks; None when the master has no audio


class EditView(msgspec.Struct, kw_only=True):
    """What an edit changed: the cuts and choices as the session now holds them. The scenes are
    not sent again (a 2-hour film's 1,500 would be half a megabyte a recut): scene k spans from
    cut k-1 (the first frame for k = 0) to the frame before cut k (the last frame for the last),
    the rule the page's state and the core's scenes_at_cuts share; `midpoints[k]` is its
    thumbnail's index after `thumbs_url`."""
    cuts: list[int]
    midpoints: list[int | None]  # each scene's midpoint_index (None: a session from before them)
    selection: list[int]
    groups: list[Group]
    thumbs_url: str          # as Timeline's: one base, a scene's midpoint index after it
    scene_notes: list[SceneNote] = []


class Recut(Params):
    session_id: str
    threshold: float
    min_scene_len: int


class SetCuts(Params):
    session_id: str
    cuts: list[int]


class ImportCuts(Params):
    session_id: str
    path: str  # a CMX 3600 EDL, an OpenTimelineIO file or a LosslessCut CSV


class SetSelection(Params):
    session_id: str
    scenes: list[int]


class SetGroups(Params):
    session_id: str
    groups: list[Group]


def _thumbs_url(ctx: Bridge, sid: str, result) -> str:
    """The base of every frame thumbnail's URL: a 2-hour film's 1,500 scenes would otherwise
    repeat the secret prefix and the id 1,500 times (a third of a recut's answer)."""
    return ctx.media_url(result.thumbnails.path, sid, offsets=result.thumbnails.offsets)


def _edit_view(ctx: Bridge, state, result) -> EditView:
    return EditView(cuts=state.cuts, midpoints=[s.midpoint_index for s in state.scenes],
                    selection=state.selection,
                    groups=state.groups, thumbs_url=_thumbs_url(ctx, state.session_id, result),
                    scene_notes=state.scene_notes)


@table.method("timeline.get")
def timeline_get(ctx: Bridge, p: SessionId) -> Timeline:
    """Everything the timeline draws: rate, frames, scenes, cuts, choices, and the URLs of the
    proxy, the per-frame scores (binary), the sprite sheets, the frame thumbnails (one base:
    `thumbs_url/<n>` is decoded frame n's; a scene shows its `midpoint_index`) and the audio
    peaks (`waveform`, binary; null without audio). Starts the sharp proxy in the background."""
    opened = project.open_project(ctx.db, p.session_id)
    result = opened.ingest
    state = project.timeline(ctx.db, p.session_id, opened=opened)
    sid = p.session_id
    rate = Fraction(result.fps_rational)
    step = opened.sprite_step()
    proxy = _proxy_state(ctx, sid, result)
    sheets = [SpriteSheet(
        url=ctx.media_url(path, sid), columns=result.sprites.columns, rows=result.sprites.rows,
        tile_width=result.sprites.tile_width, tile_height=result.sprites.tile_height,
        count=len(frames), first_frame=frames[0], frame_step=step,
        interval_s=result.sprites.interval_s, frames=frames)
        for path, frames in opened.sprite_sheets()]
    return Timeline(
        session_id=sid, fps=Rational(rate.numerator, rate.denominator),
        frame_count=result.frame_count, duration_s=result.duration_s,
        start_timecode=smpte(result.time_origin_s, rate), width=result.display_width,
        height=result.display_height, scenes=state.scenes, cuts=state.cuts,
        threshold=state.threshold, min_scene_len=state.min_scene_len, selection=state.selection,
        groups=state.groups, scene_notes=state.scene_notes,
        proxy_url=proxy.url, proxy_width=proxy.width, proxy_height=proxy.height,
        proxy_pending=proxy.pending,
        scrub_url=proxy.scrub_url,
        scores_url=ctx.media_url(ctx.scores_file(result), sid), score_count=result.frame_count,
        frame_us_url=ctx.media_url(ctx.frame_us_file(result), sid),
        sprites=sheets, thumbs_url=_thumbs_url(ctx, sid, result),
        waveform=_waveform(ctx, sid, result))


@table.method("timeline.proxy")
def timeline_proxy(ctx: Bridge, p: SessionId) -> ProxyState:
    """The sharpest proxy so far: the page asks again while `pending` and swaps it in when the
    sharp one is ready."""
    return _proxy_state(ctx, p.session_id, project.open_project(ctx.db, p.session_id).ingest)


def _edited(ctx: Bridge, session_id: str, edit) -> EditView:
    """Run `edit(opened)` on the session opened once for this call, and show what it changed."""
    opened = project.open_project(ctx.db, session_id)
    return _edit_view(ctx, edit(opened), opened.ingest)


@table.method("edit.recut")
def edit_recut(ctx: Bridge, p: Recut) -> EditView:
    """Cut again at another threshold / minimum scene length from the stored scores (no decode);
    saved to the session."""
    return _edited(ctx, p.session_id, lambda opened: project.recut(
        ctx.db, p.session_id, p.threshold, p.min_scene_len, opened=opened))


@table.method("edit.set_cuts")
def edit_set_cuts(ctx: Bridge, p: SetCuts) -> EditView:
    """Replace the cut list (each cut the first frame of a scene after the first); saved at once.
    Selection and groups follow the frames."""
    return _edited(ctx, p.session_id, lambda opened: project.set_cuts(
        ctx.db, p.session_id, p.cuts, opened=opened))


@table.method("edit.import_cuts")
def edit_import_cuts(ctx: Bridge, p: ImportCuts) -> EditView:
    """Replace the cut list with an editor's (Resolve's EDL, an .otio, LosslessCut's CSV); saved
    at once."""
    def edit(opened):
        try:
            return project.import_cuts(ctx.db, p.session_id, p.path, opened=opened)
        except InputError as exc:  # the file is this method's `path`
            raise InputError(str(exc), "path" if exc.field == "cuts" else exc.field) from None
    return _edited(ctx, p.session_id, edit)


@table.method("edit.set_selection")
def edit_set_selection(ctx: Bridge, p: SetSelection) -> EditView:
    """The scenes to export, by number; saved at once."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_selection(ctx.db, p.session_id, p.scenes,
                                                        opened=opened))


@table.method("edit.set_groups")
def edit_set_groups(ctx: Bridge, p: SetGroups) -> EditView:
    """The ordered, named, coloured groups; a scene in at most one; saved at once."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_groups(ctx.db, p.session_id, p.groups,
                                                     opened=opened))


class ApplyEdit(Params):
    session_id: str
    threshold: float | None = None
    min_scene_len: int | None = None
    cuts: list[int] | None = None
    groups: list[Group] | None = None
    selection: list[int] | None = None
    scene_notes: list[dict] | None = None


@table.method("edit.apply")
def edit_apply(ctx: Bridge, p: ApplyEdit) -> EditView:
    """A whole change at once (the page's autosave): a recut, cuts, groups, selection and scene
    notes, each left out when null; saved in one transaction or not at all."""
    edit = project.Edit(threshold=p.threshold, min_scene_len=p.min_scene_len, cuts=p.cuts,
                        groups=p.groups, selection=p.selection, scene_notes=p.scene_notes)
    return _edited(ctx, p.session_id, lambda opened: project.apply_edit(
        ctx.db, p.session_id, edit, opened=opened))


class SceneNotesParams(Params):
    session_id: str
    notes: list[dict]


@table.method("edit.set_scene_notes")
def edit_set_scene_notes(ctx: Bridge, p: SceneNotesParams) -> EditView:
    """Labels and notes of scenes ([{start_frame, label, note}]), shown in the timeline and the
    contact sheet; an empty one is dropped."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_scene_notes(ctx.db, p.session_id, p.notes,
                                                          opened=opened))
