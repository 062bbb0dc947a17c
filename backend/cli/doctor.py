"""`video-archive doctor`: whether this machine can do the work, and what it will use."""

import sys

from backend import doctor
from backend.cli.context import print_pairs


def register(sub) -> None:
    parser = sub.add_parser("doctor", help="check ffmpeg, encoders, GPU and the state database")
    parser.add_argument("--recheck-encoders", action="store_true",
                        help="run the encoder test encodes again instead of using the cached answer")
    parser.set_defaults(func=run)


def run(args, ctx) -> int:
    report = doctor.check(ctx.db, ctx.db_path, refresh_encoders=args.recheck_encoders)
    ctx.emit(report, _print_human)
    for warning in report.warnings:
        ctx.warn(warning)
    if report.ok:
        return 0
    for problem in report.problems:
        print(f"video-archive: error: {problem}", file=sys.stderr)
    return 1


def _print_human(report: doctor.DoctorReport) -> None:
    schema = ("-" if report.schema_version is None
              else f"{report.schema_version} (current: {report.schema_latest})")
    choice = report.encoder_choice
    print_pairs({
        "ffmpeg": f"{report.ffmpeg or 'not found'}" + (f"  [{report.ffmpeg_source}]"
                                                        if report.ffmpeg_source else ""),
        "ffmpeg version": report.ffmpeg_version or "-",
        "encoders": ", ".join(report.usable_encoders) or "none usable",
        "encoder in use": choice.encoder if choice else "-",
        "GPU": report.gpu.summary,
        "database": report.database,
        "schema version": schema,
        "PyAV": report.pyav or "not installed",
        "scenedetect": report.scenedetect or "not installed",
        "python": report.python,
        "status": "ready" if report.ok else "NOT READY",
    })
    if report.encoders:
        print("\nencoder tests (a listed encoder must also pass a real encode):")
        width = max(len(e.name) for e in report.encoders)
        for e in report.encoders:
            verdict = "usable" if e.usable else f"unavailable: {e.reason}"
            print(f"  {e.name.ljust(width)}  {verdict}")
