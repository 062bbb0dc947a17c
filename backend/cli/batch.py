"""`batch MANIFEST` (many masters, each a `process`), `batch resume`, `batch status`, and
`batch --from-folder DIR` (a first manifest to edit). Exit status: 0 every job done or skipped,
1 a job failed, 3 paused or waiting (for a GPU)."""

from __future__ import annotations

import contextlib
import sys
import threading

from backend.batch import folder, manifest, run as batch_run
from backend.batch.events import BatchEvent, Summary
from backend.cli.context import Context, print_pairs, print_table, to_json
from backend.cli.interrupt import pausing
from backend.db import batches

ACTIONS = ("resume", "status")


def register(sub) -> None:
    p = sub.add_parser(
        "batch", help="archive many masters from a manifest, here or on a Ray cluster",
        description="batch MANIFEST runs every row of a CSV (header row) or JSON list whose "
                    "columns are process's options: master, artwork, date, out, and optional rd, "
                    "preset, groups, cuts, encoder, threshold, min_scene_len. The manifest is "
                    "checked whole first: nothing runs while a row is wrong. `batch resume "
                    "[BATCH]` continues the newest (or BATCH); `batch status [BATCH]` prints its "
                    "catalogue; `batch --from-folder DIR [MANIFEST]` writes a manifest to edit. "
                    "Ctrl-C pauses every job. Exit status: 0 all done or skipped, 1 a job "
                    "failed, 3 paused or waiting for a GPU. See docs/batch.md.")
    p.add_argument("target", nargs="?", metavar="MANIFEST|resume|status",
                   help="a manifest to run; resume or status (then BATCH); with --from-folder "
                        "the manifest to write (default batch.csv)")
    p.add_argument("batch", nargs="?", metavar="BATCH", help="a batch id (default: the newest)")
    p.add_argument("--jobs", type=int, metavar="N", help="jobs at once on this machine (default 1)")
    p.add_argument("--ray", metavar="ADDRESS|auto",
                   help="run the jobs as tasks on this Ray cluster (needs the cluster extra)")
    p.add_argument("--cpus-per-job", type=float, default=1, metavar="N",
                   help="CPUs each Ray task asks for (default 1)")
    p.add_argument("--from-folder", metavar="DIR", help="write a manifest of the videos in DIR")
    p.add_argument("--date-from", choices=["mtime", "name"], default="mtime",
                   help="with --from-folder: each date from the file's time or its name")
    p.add_argument("--out", metavar="DIR", help="with --from-folder: the out column")
    p.set_defaults(func=cmd_batch)


def cmd_batch(args, ctx: Context) -> int:
    if args.from_folder:
        target = args.target or "batch.csv"
        rows = folder.write(args.from_folder, target, date_from=args.date_from, out=args.out)
        ctx.emit({"manifest": target, "rows": rows},
                 lambda d: print(f"wrote {d['manifest']} ({d['rows']} rows): edit it, then "
                                 f"video-archive batch {d['manifest']}"))
        return 0
    if args.target is None:
        print("video-archive: error: batch needs a MANIFEST (or resume, status, --from-folder)",
              file=sys.stderr)
        return 2
    if args.target == "status":
        return _status(ctx, args.batch)
    db = ctx.db()
    if args.target == "resume":
        return _drive(ctx, lambda listener, cancel: batch_run.resume(
            db, args.batch, jobs_at_once=args.jobs, ray_address=args.ray,
            cpus_per_job=args.cpus_per_job, listener=listener, cancel=cancel))
    if args.batch is not None:
        print(f"video-archive: error: unexpected {args.batch!r} after the manifest", file=sys.stderr)
        return 2
    try:
        return _drive(ctx, lambda listener, cancel: batch_run.start(
            db, args.target, jobs_at_once=args.jobs or 1, ray_address=args.ray,
            cpus_per_job=args.cpus_per_job, listener=listener, cancel=cancel))
    except manifest.ManifestErrors as exc:
        if ctx.json:
            print(to_json({"type": "manifest_refused", "manifest": exc.path,
                           "errors": exc.errors}), flush=True)
        else:
            print(f"video-archive: error: manifest {exc.path} refused, nothing was run:",
                  file=sys.stderr)
            for error in exc.errors:
                print(f"  {error.line()}", file=sys.stderr)
        return 1


def _drive(ctx: Context, work) -> int:
    """Ctrl-C (or SIGTERM) pauses every running job cleanly; a second one stops at once."""
    ctx.db().require_writable("archiving")
    cancel = threading.Event()
    show = _JsonLines(sys.stdout) if ctx.json else _Lines()

    # stdout carries only the batch's own lines: Ray prints what its workers and raylets say
    # (a worker lost, a task retried) there, so anything else goes to stderr meanwhile
    with pausing(cancel, quiet=ctx.json, message="pausing every job (Ctrl-C again to stop at once)"), \
            contextlib.redirect_stdout(sys.stderr):
        summary = work(show, cancel)
    if ctx.json:
        print(to_json(summary), flush=True)
    else:
        _print_summary(summary)
    return 1 if summary.failed else 3 if summary.status != "finished" else 0


class _JsonLines:
    def __init__(self, stream):
        self.stream = stream

    def __call__(self, event: BatchEvent) -> None:
        print(to_json(event), file=self.stream, flush=True)


class _Lines:
    """One line per job event on stderr, with the batch's progress and ETA; job progress at
    most every tenth of the job."""

    def __init__(self):
        self.shown: dict[int, int] = {}

    def __call__(self, event: BatchEvent) -> None:
        head = f"[{event.done}/{event.total} {100 * (event.overall or 0):3.0f}%" + \
               (f" eta {_duration(event.eta_s)}" if event.eta_s is not None else "") + "]"
        if event.type == "job_progress":
            tenth = int((event.progress or 0) * 10)
            if self.shown.get(event.job) == tenth:
                return
            self.shown[event.job] = tenth
            text = f"job {event.job}: {100 * (event.progress or 0):.0f}%"
        elif event.type == "job_started":
            text = f"job {event.job}: started {event.archive}"
        elif event.type in ("job_finished", "job_waiting"):
            text = f"job {event.job}: {event.status}" + (f" - {event.message}" if event.message else "")
        elif event.type == "warning":
            text = f"job {event.job}: warning: {event.message}"
        elif event.type == "batch_started":
            text = f"batch {event.batch_id}: {event.message}"
        else:
            return
        print(f"{head} {text}", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _print_summary(summary: Summary) -> None:
    print()
    print_pairs({"batch": summary.batch_id, "status": summary.status, "done": summary.done,
                 "skipped": summary.skipped, "failed": len(summary.failed),
                 "total size": f"{summary.total_size_bytes / 1e6:.1f} MB"})
    for path in summary.archives:
        print(f"archive: {path}")
    for failure in summary.failed:
        print(f"failed: job {failure.job} ({failure.archive}): {failure.reason}", file=sys.stderr)
    if summary.waiting:
        print(f"waiting for a GPU node: job(s) {', '.join(map(str, summary.waiting))}")
    if summary.status != "finished" or summary.failed:
        print(f"continue with: video-archive batch resume {summary.batch_id}")


def _status(ctx: Context, batch_id: str | None) -> int:
    db = ctx.db()
    run = batches.get(db, batch_id)
    jobs = batches.jobs(db, run.batch_id)
    columns = ["job", "status", "node", "archive", "session_id", "started_at", "finished_at",
               "error"]
    rows = [{c: getattr(j, c) for c in columns} for j in jobs]
    ctx.emit({"batch": run, "jobs": rows, "summary": batch_run.summarize(db, run.batch_id)},
             lambda d: (print_pairs({"batch": run.batch_id, "manifest": run.manifest_path,
                                     "mode": run.mode + (f" {run.ray_address}" if run.ray_address else
                                                         f", {run.jobs_at_once} at a time"),
                                     "status": run.status}),
                        print(), print_table(rows, columns)))
    return 0
