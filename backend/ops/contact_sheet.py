"""contact_sheet: `index.html` at the archive's root, an offline page of every scene and file
(backend/archive/contact_sheet.py). Written before the manifest, so the manifest covers it, from
the digests taken as each file was written."""

from __future__ import annotations


import msgspec

from backend import __version__
from backend.archive import digests, layout as archive_layout
from backend.archive.contact_sheet import Sheet, SheetFile, SheetScene, render
from backend.archive.interchange.cuts import master_start_timecode, numbering_rate
from backend.db.files import FileRecord
from backend.media.atomic import write_bytes_atomic
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.clip_export import clip_path
from backend.ops.interchange import group_name
from backend.ops.operators import register
from backend.ops.still_extraction import midpoint, still_paths, stills_wanted
from backend.ops.thumbnails import thumbnail_path
from backend.ops.verification import VerificationOperator


class SheetParams(msgspec.Struct, kw_only=True):
    rate: tuple[int, int]
    start_timecode: str | None
    master: dict[str, str]
    scenes: list[SheetScene]
    later_files: list[str]   # written after the sheet (process log, manifest): linked only


@register
class ContactSheetOperator(Operator):
    id = "contact_sheet"
    label = "Write the contact sheet (index.html)"
    stage = Stage.SHEET
    Params = SheetParams
    needs_everything = True  # it shows and sums every file the units before it made

    def plan(self, job: Job) -> list[Unit]:
        video = job.master_info.video
        rate = numbering_rate(job.master_info)
        selected = set(job.selected)
        notes = {n.start_frame: n for n in job.spec.scene_notes}
        scenes = []
        for s in job.scenes:
            frame, _index = midpoint(job, s)
            hq, web = still_paths(job, s.number, frame) if stills_wanted(job) else (None, None)
            exported = s.number in selected
            scenes.append(SheetScene(
                number=s.number, start_frame=s.start_frame, end_frame=s.end_frame, midpoint_frame=frame,
                group=group_name(job, s.number), exported=exported,
                clip=clip_path(job, s.number) if exported else None,
                still_hq=hq if exported else None, still_web=web if exported else None,
                thumbnail=thumbnail_path(job, s.number) if exported else None,
                label=notes[s.start_frame].label if s.start_frame in notes else "",
                note=notes[s.start_frame].note if s.start_frame in notes else ""))
        info = job.master_info
        master = {"Master": job.master.name, "Resolution": f"{video.display_width}x{video.display_height}",
                  "Codec": video.codec, "Duration": f"{info.duration_s:.3f} s", "Frames": str(len(job.timeline))}
        return [Unit(op=self.id, name="write contact sheet", stage=self.stage,
                     outputs=[archive_layout.CONTACT_SHEET],
                     params=SheetParams(rate=(rate.numerator, rate.denominator),
                                        start_timecode=master_start_timecode(job.master),
                                        master=master, scenes=scenes,
                                        later_files=VerificationOperator().plan(job)[0].outputs))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: SheetParams = unit.params
        registered = {f.file_path: f for f in job.registered() if f.file_path not in unit.outputs}
        files = [SheetFile(path=f.file_path, type=f.file_type, bytes=f.file_size_bytes or 0,
                           sha256=digests.of(f, job.path(f.file_path), job.cancel), resolution=f.resolution)
                 for f in sorted(registered.values(), key=lambda f: f.file_path)]  # not in finishing order
        # a file a failed or switched-off unit did not make is not linked
        scenes = [msgspec.structs.replace(
            s, **{k: (getattr(s, k) if getattr(s, k) in registered else None)
                  for k in ("clip", "still_hq", "still_web", "thumbnail")})
            for s in p.scenes]
        meta = job.metadata
        sheet = Sheet(
            title=job.prefix, artwork=meta.title, project_date=meta.date.isoformat() if meta.date else job.date,
            copyright=meta.copyright, artist=meta.artist, rate_num=p.rate[0], rate_den=p.rate[1],
            start_timecode=p.start_timecode,
            link_prefix=f"{archive_layout.PAYLOAD_DIR}/" if job.layout == "bagit" else "",
            master=p.master, scenes=scenes, groups={g.name: g.scenes for g in job.groups}, files=files,
            later_files=p.later_files,
            facts=[("Preset", job.preset.id), ("Encoder", job.encoder.encoder),
                   ("Layout", job.layout), ("Made with", f"video-archive {__version__}")])
        write_bytes_atomic(job.path(unit.outputs[0]), render(sheet))
        progress(1.0)
        return UnitResult(files=[FileRecord(file_path=unit.outputs[0], file_type="contact_sheet",
                                            file_category="archive", file_format="html")])

