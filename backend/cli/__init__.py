"""The `video-archive` command: argument parsing and wiring only. Each command group is a module
here with `register(subparsers)`; the work itself lives in backend/db, backend/media, backend/ops
and backend/jobs so that the bridge and the tests call the same code."""
