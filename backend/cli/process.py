"""`process` (make an archive) and `resume` (finish a paused, failed or interrupted one)."""

from __future__ import annotations

import sys
import threading

from backend.archive.interchange.cuts import cuts_arg
from backend.cli.context import Context, print_pairs, to_json
from backend.cli.interrupt import pausing
from backend.cli.progress import Bars, JsonLines
from backend.jobs.inputs import load_groups
from backend.jobs.request import Outcome, ProcessRequest
from backend.jobs import project
from backend.jobs.runner import Runner
from backend.presets.model import parse_assignments

EXIT = {"completed": 0, "failed": 1, "paused": 3}


def register(sub) -> None:
    p = sub.add_parser("process", help="archive a master video: masters, clips, stills, R&D",
                       description="Create DIR/YY-MM-DD_ArtworkName/ from MASTER. Ctrl-C pauses "
                                   "cleanly; `video-archive resume` continues. Exit status: 0 "
                                   "completed, 1 failed, 3 paused.")
    p.add_argument("master", metavar="MASTER")
    p.add_argument("--artwork", required=True, metavar="NAME")
    p.add_argument("--date", required=True, metavar="YY-MM-DD",
                   help="the project's date; an ISO date YYYY-MM-DD is taken and shortened")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--rd", metavar="DIR", help="R&D folder (sketches, tests, renders)")
    p.add_argument("--preset", metavar="ID", help="default: the default_preset setting")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.FIELD=VALUE",
                   help="override a preset field for this job, e.g. --set video.crf=20")
    p.add_argument("--encoder", choices=["auto", "x264", "nvenc"], default="auto",
                   help="auto: NVENC when a usable GPU is found, else x264; nvenc: fail without one")
    p.add_argument("--threshold", type=float, metavar="T",
                   help="content threshold (default: the scene_threshold_default setting)")
    p.add_argument("--min-scene-len", type=int, metavar="N",
                   help="frames (default: the min_scene_length_default setting)")
    p.add_argument("--scenes", metavar="SPEC", help="'all' (default) or e.g. '1,3,5-7'")
    p.add_argument("--groups", metavar="FILE", help='JSON file: {"group name": [scene numbers]}')
    p.add_argument("--cuts", metavar="FILE|LIST",
                   help="cuts instead of scene detection: an EDL, .otio or LosslessCut .csv file "
                        "(e.g. from Resolve or LosslessCut), or frame numbers like 120,348,590")
    p.add_argument("--layout", choices=["folder", "bagit"],
                   help="archive layout (default: the archive_layout setting)")
    p.add_argument("--workers", type=int, metavar="N", help="parallel jobs (default setting)")
    p.set_defaults(func=cmd_process)

    r = sub.add_parser("resume", help="finish a paused, failed or interrupted session",
                       description="Runs only the operations not completed. Without SESSION: "
                                   "the most recent resumable session.")
    r.add_argument("session", nargs="?", metavar="SESSION")
    r.set_defaults(func=cmd_resume)


def cmd_process(args, ctx: Context) -> int:
    request = ProcessRequest(
        master=args.master, artwork=args.artwork, date=args.date, out=args.out, rd=args.rd,
        preset=args.preset, overrides=parse_assignments(args.overrides) or None,
        encoder=args.encoder, threshold=args.threshold, min_scene_len=args.min_scene_len,
        scenes=args.scenes, groups=load_groups(args.groups) or None, workers=args.workers,
        cuts=cuts_arg(args.cuts, args.master), layout=args.layout)
    return _drive(ctx, lambda runner: project.process(runner.db, request, runner=runner))


def cmd_resume(args, ctx: Context) -> int:
    return _drive(ctx, lambda runner: runner.resume(args.session))


def _drive(ctx: Context, work) -> int:
    """Run with SIGINT/SIGTERM turned into a clean pause: running ffmpeg jobs stop, the session
    is saved as paused. A second Ctrl-C stops at once (resume still works: nothing is lost)."""
    ctx.db().require_writable("archiving")  # before any folder is made
    cancel = threading.Event()
    listener = JsonLines() if ctx.json else Bars()
    runner = Runner(ctx.db(), listener=listener, cancel=cancel)

    with pausing(cancel, quiet=ctx.json,
                 message="pausing: stopping running jobs (Ctrl-C again to stop at once)"):
        outcome = work(runner)
    if ctx.json:
        print(to_json(outcome), flush=True)
    else:
        _summary(ctx, outcome)
    return EXIT[outcome.status]


def _summary(ctx: Context, outcome: Outcome) -> None:
    print()
    print_pairs({"status": outcome.status, "archive": outcome.archive_path,
                 "session": outcome.session_id,
                 "operations": f"{outcome.completed}/{outcome.total} completed"})
    for warning in dict.fromkeys(outcome.warnings):
        print(f"warning: {warning}")
    for failure in outcome.failed:
        print(f"failed: {failure}", file=sys.stderr)
    if outcome.error:
        print(f"reason: {outcome.error}", file=sys.stderr)
    if outcome.status != "completed":
        print(f"resume with: video-archive resume {outcome.session_id}")
