"""`verify ARCHIVE`: check an archive from the folder alone. Exit status 0 intact, 1 damaged,
2 not an archive."""

from __future__ import annotations

import sys

from backend.archive.verify import Report, verify
from backend.cli.context import Context, to_json


def register(sub) -> None:
    p = sub.add_parser("verify", help="check an archive folder: checksums, completeness, decodes",
                       description="Check ARCHIVE without the state database: every file against "
                                   "its checksum (manifest or bag), nothing missing or extra, every "
                                   "video decoded to its end with its recorded frame count, every "
                                   "still opened with its copyright metadata. Never writes into "
                                   "the archive. Exit status: 0 intact, 1 damaged, 2 not an archive.")
    p.add_argument("archive", metavar="ARCHIVE")
    p.add_argument("--fast", action="store_true", help="sizes and existence only (no reading of contents)")
    p.add_argument("--json", dest="verify_json", action="store_true", help="the report as one JSON object")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args, ctx: Context) -> int:
    report = verify(args.archive, fast=args.fast)
    if ctx.json or args.verify_json:
        print(to_json(report), flush=True)
    else:
        _print(report)
    return report.exit_status


def _print(report: Report) -> None:
    if report.status == "not_an_archive":
        print(f"not an archive: {report.problems[0].message}", file=sys.stderr)
        return
    what = (f"{report.files_checked} files, {report.bytes_checked / 1e6:.1f} MB "
            f"({report.layout} layout, {report.mode} check")
    if report.mode == "full":
        what += f"; {report.videos_decoded} videos decoded, {report.stills_opened} stills opened"
    what += ")"
    if report.status == "intact":
        print(f"intact: {report.archive}: {what}")
        return
    for problem in report.problems:
        print(f"{problem.kind}: {problem.message}")
    print(f"damaged: {report.archive}: {len(report.problems)} problem(s) in {what}", file=sys.stderr)
