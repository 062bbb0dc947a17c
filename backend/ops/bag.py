"""bag: with the `bagit` layout, the last step makes the archive a BagIt bag: the payload manifest
from the digests taken as each file was written, bag-info.txt with the artwork's metadata, the
declaration and the tag manifest."""

from __future__ import annotations

import hashlib

from backend import __version__
from backend.archive import bag, digests, layout as archive_layout
from backend.db.files import FileRecord
from backend.errors import OperatorError
from backend.media.atomic import is_partial, write_bytes_atomic
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register


@register
class BagOperator(Operator):
    id = "bag"
    label = "Make the archive a BagIt bag"
    stage = Stage.BAG
    needs_everything = True  # its manifests list every file, the archive manifest included

    def plan(self, job: Job) -> list[Unit]:
        if job.layout != "bagit":
            return []
        return [Unit(op=self.id, name="write bag", stage=self.stage, outputs=list(archive_layout.BAG_TAG_FILES))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        registered = [f for f in job.registered() if f.file_path not in unit.outputs]
        payload, tags, master = [], [], None
        for f in registered:
            entry = bag.BagEntry(
                path=archive_layout.location(job.archive, job.layout, f.file_path).relative_to(job.archive).as_posix(),
                sha256=digests.of(f, job.path(f.file_path), job.cancel), bytes=f.file_size_bytes or 0)
            (tags if f.file_path in archive_layout.ROOT_FILES else payload).append(entry)
            if f.file_type == "master":
                master = (f, entry)
        # A bag is invalid with a payload file its manifest does not list: refuse rather than
        # bag a file nobody made (a user's drop into the folder mid-run).
        listed = {e.path for e in payload}
        payload_dir = archive_layout.payload_root(job.archive, job.layout)
        strays = sorted(p.relative_to(job.archive).as_posix() for p in payload_dir.rglob("*")
                        if p.is_file() and not is_partial(p)
                        and p.relative_to(job.archive).as_posix() not in listed)
        if strays:
            raise OperatorError(f"{strays[0]} is in the bag's payload but was not made by this session "
                                f"({len(strays)} such file(s)): move it out, then resume")
        meta = job.metadata
        fields = [("Source-Organization", meta.artist), ("External-Identifier", job.prefix),
                  ("Title", meta.title), ("Project-Date", meta.date.isoformat() if meta.date else job.date),
                  ("Copyright", meta.copyright)]
        if master:
            fields += [("Source-Master", master[1].path), ("Source-Master-Original-Name", job.master.name),
                       ("Source-Master-SHA256", master[1].sha256)]
        fields.append(("Bag-Software-Agent", f"video-archive {__version__}"))
        files = bag.tag_files(payload, fields, tags)
        produced = []
        for name, data in files.items():
            write_bytes_atomic(job.path(name), data)
            produced.append(FileRecord(file_path=name, file_type="bag_tag", file_category="archive",
                                       file_format="txt", has_metadata=False,
                                       compression_settings={"sha256": hashlib.sha256(data).hexdigest()}))
        progress(1.0)
        return UnitResult(files=produced)
