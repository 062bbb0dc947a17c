"""`video-archive serve [--port P] [--no-browser]`: the editor's loopback server (bridge/http.py).

The one place the core's CLI reaches into bridge/: the command only starts the transport, and the
import happens when the command runs, so every other command works without the bridge."""

from backend.cli.context import Context


def register(sub) -> None:
    p = sub.add_parser("serve", help="the editor in your browser: a server on 127.0.0.1",
                       description="Prints http://127.0.0.1:P/?token=T as the first line and "
                                   "serves the editor and its JSON-RPC bridge on loopback only. "
                                   "Ctrl-C stops it; running exports pause and resume later.")
    p.add_argument("--port", type=int, default=0, metavar="P", help="default: a free port")
    p.add_argument("--no-browser", action="store_true", help="do not open the page")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args, ctx: Context) -> int:
    from bridge.app import run_server

    if not 0 <= args.port <= 65535:
        from backend.errors import InputError

        raise InputError(f"port {args.port} is not a TCP port (0-65535; 0 picks a free one)",
                         field="port")
    run_server(ctx.db_path, port=args.port, open_browser=not args.no_browser)
    return 0
