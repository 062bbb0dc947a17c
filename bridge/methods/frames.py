"""frame.*: the master's own frames at full quality."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from PIL import Image

from backend.jobs import project
from backend.media import stills
from bridge.context import Bridge
from bridge.methods.common import table, Params


class FrameParams(Params):
    session_id: str
    frame: int
    format: Literal["jpeg", "png"] = "jpeg"
    # the viewer's size in device pixels: a JPEG fitted inside it (never enlarged), which is
    # quicker to make, send and decode than the full frame
    max_width: Annotated[int, msgspec.Meta(ge=16, le=16384)] | None = None
    max_height: Annotated[int, msgspec.Meta(ge=16, le=16384)] | None = None


class FrameImage(msgspec.Struct, kw_only=True):
    url: str
    frame: int
    width: int
    height: int


class AroundCut(Params):
    session_id: str
    cut: int                 # the first frame of the scene after the cut


class CutFrames(msgspec.Struct, kw_only=True):
    before_url: str          # the last frame before the cut
    after_url: str           # the cut's own frame
    before_frame: int
    after_frame: int
    before_score: float      # content score of each frame (its difference from the one before)
    after_score: float


def _frame(ctx: Bridge, opened, index: int, fmt: str,
           fit: tuple[int, int] | None = None) -> FrameImage:
    line = opened.frames
    fit = fit if fmt == "jpeg" else None
    size = f"-{fit[0]}x{fit[1]}" if fit else ""
    out = ctx.frame_file(opened.session_id,
                         f"frame-{line.numbers[index]}{size}.{'jpg' if fmt == 'jpeg' else 'png'}",
                         lambda path: stills.frame_image(opened.session.master_path, index,
                                                         line.times[index], fmt, path, fit))
    with Image.open(out) as image:
        width, height = image.size
    return FrameImage(url=ctx.media_url(out, opened.session_id), frame=line.numbers[index],
                      width=width, height=height)


@table.method("frame.get")
def frame_get(ctx: Bridge, p: FrameParams) -> FrameImage:
    """The master's own frame at full quality (decoded from the master, not the proxy); a JPEG
    fitted inside max_width x max_height when given (the viewer's size; never enlarged)."""
    opened = project.open_project(ctx.db, p.session_id)
    fit = (p.max_width or 16384, p.max_height or 16384) if p.max_width or p.max_height else None
    return _frame(ctx, opened, opened.frame_index(p.frame, "frame"), p.format, fit)


@table.method("frame.around_cut")
def frame_around_cut(ctx: Bridge, p: AroundCut) -> CutFrames:
    """The frames either side of a cut at full quality, with their content scores."""
    opened = project.open_project(ctx.db, p.session_id)
    before_index, after_index = opened.cut_indices(p.cut, "cut")
    after = _frame(ctx, opened, after_index, "jpeg")
    before = _frame(ctx, opened, before_index, "jpeg")
    before_score, after_score = opened.scores(before_index, after_index)
    return CutFrames(before_url=before.url, after_url=after.url, before_frame=before.frame,
                     after_frame=after.frame, before_score=before_score, after_score=after_score)
