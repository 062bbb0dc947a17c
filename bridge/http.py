"""The loopback HTTP transport: `POST /rpc` (JSON-RPC), `POST /session` (a one-time code swapped
for the token), `GET /s/<secret>/events` (Server-Sent Events), `GET /s/<secret>/media/<id>`
(registered media, with byte ranges) and the frontend's static files.

A web page in the user's own browser must not drive the tool, read its files or learn its token:
- it listens on 127.0.0.1 only, and every request must name the server itself in `Host`
  (127.0.0.1:P or localhost:P), so a DNS-rebound name gets nothing;
- a request that carries a foreign `Origin`, or a call, media or event request that the browser
  marks as made by another site (`Sec-Fetch-Site`), is refused; no CORS headers are ever sent;
- /rpc needs `Authorization: Bearer T` and `Content-Type: application/json`. Media and the event
  stream (which media elements and EventSource fetch without headers) live under a second secret,
  the path prefix `/s/<secret>/`, which only the bridge's own answers hand out. No cookie is ever
  set: cookies are scoped by host, not port, so every other server on loopback would receive it
  and could overwrite it;
- the browser never sees the token in a URL it opens: `serve` opens a 0600 local file that
  redirects to `/#code=C`, and the page swaps that one-time code at `POST /session` for the token
  and the event stream's address, then keeps the token in memory only (a reload swaps the
  one-time resume code the last swap gave); secrets are 256-bit, compared in constant time, and
  never logged;
- files are served only from the frontend folder and, by random id, from the media registry;
- HTTP is parsed strictly (one digits-only Content-Length, no chunks, no GET body, origin-form
  targets, strict ranges), so nothing can be smuggled into the next request;
- requests are bounded in size and each has a deadline for its line, headers and body; sockets
  still sending are kept apart from authenticated work (the oldest evicted), so trickling
  clients never keep the editor's calls out."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import secrets
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec
import numpy as np

from bridge.rpc import Dispatcher

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
MAX_BODY = 4 << 20          # bytes of one JSON-RPC message (a 2-hour cut list is ~1 MB)
MAX_CONNECTIONS = 64        # sockets still reading a request; a new one evicts the oldest
MAX_STREAMS = 16            # of which event streams
MAX_CODES = 16              # one-time codes waiting to be swapped at POST /session
MAX_WORK = 32               # authenticated requests served at once (calls, media, events)
REQUEST_DEADLINE = 5.0      # seconds for a request's line, headers and body, all together
SOCKET_TIMEOUT = 20.0       # seconds a client may stall mid-request
KEEPALIVE_S = 10.0          # an event stream writes at least this often (through proxies)
STREAM_POLL_S = 0.25        # how soon a stream notices its page left
CHUNK = 256 * 1024

STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
                ".jpg": "image/jpeg", ".ico": "image/x-icon", ".woff2": "font/woff2",
                ".webm": "video/webm", ".mp4": "video/mp4", ".txt": "text/plain; charset=utf-8"}
# The page's own scripts, styles and media only; frames are never embedded elsewhere.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
# In the desktop window pywebview runs its own scripts (js_api, evaluate_js) through eval().
CSP_WEBVIEW = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")

log = logging.getLogger("video_archive.bridge.http")
_SEQ = re.compile(r"[0-9]{1,18}")  # an event id or a frame index: ASCII digits that fit 64 bits
_LENGTH = re.compile(r"[0-9]{1,12}")
_RANGE = re.compile(r"bytes=([0-9]{1,18})?-([0-9]{1,18})?")


class Refused(Exception):
    def __init__(self, status: HTTPStatus, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, dispatcher: Dispatcher, *, port: int = 0, frontend: Path = FRONTEND,
                 max_connections: int = MAX_CONNECTIONS, max_streams: int = MAX_STREAMS,
                 csp: str = CSP):
        self.dispatcher = dispatcher
        self.csp = csp
        self.bridge = dispatcher.context
        self.frontend = Path(frontend).resolve()
        self.token = secrets.token_urlsafe(32)  # 256 random bits: POST /rpc
        self._token_bytes = self.token.encode()
        self.secret = secrets.token_urlsafe(32)  # the path prefix of media and events
        self.prefix = f"/s/{self.secret}/"
        self._codes: dict[str, None] = {}        # one-time codes not yet swapped, oldest first
        self._codes_lock = threading.Lock()
        # Sockets still sending their request (or idle between requests) are kept apart from
        # authenticated work: they are bounded in number and time, and a new connection evicts the
        # oldest of them, so trickling sockets can never keep the editor's calls out.
        self._max_reading = max_connections
        self._reading: dict[socket.socket, float] = {}  # socket -> deadline, oldest first
        self._reading_lock = threading.Lock()
        self._work = threading.BoundedSemaphore(MAX_WORK)
        self._streams = threading.BoundedSemaphore(max_streams)
        self.open_streams = 0
        self.closing = threading.Event()
        threading.Thread(target=self._reap, name="bridge-http-deadlines", daemon=True).start()
        super().__init__(("127.0.0.1", port), Handler)
        self.port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.page = f"http://127.0.0.1:{self.port}/"
        self.bridge.base_url = f"http://127.0.0.1:{self.port}/s/{self.secret}"
        self.events_path = f"{self.prefix}events"

    @property
    def url(self) -> str:
        """The address `serve` prints for its user's own terminal (the browser gets `open_file`)."""
        return f"{self.page}?token={self.token}"

    def new_code(self) -> str:
        """A one-time code that `POST /session` swaps for the token (at most MAX_CODES wait)."""
        code = secrets.token_urlsafe(32)
        with self._codes_lock:
            self._codes[code] = None
            while len(self._codes) > MAX_CODES:
                del self._codes[next(iter(self._codes))]
        return code

    def spend_code(self, candidate) -> bool:
        if not isinstance(candidate, str) or not candidate:
            return False
        with self._codes_lock:
            for code in self._codes:  # constant time per code: no early exit on a prefix
                if hmac.compare_digest(code.encode(), candidate.encode("utf-8", "replace")):
                    del self._codes[code]
                    return True
        return False

    def open_file(self, folder: Path) -> Path:
        """A page only this user can read (0600) that sends the browser to the editor with a
        one-time code: what `serve` hands the browser, so neither `ps` nor the browser's history
        ever holds the token (the code is spent by the time anyone could read it)."""
        target = f"{self.page}#code={self.new_code()}"
        html = ("<!doctype html><meta charset=utf-8><title>Video Archive Tool</title>"
                f'<meta http-equiv="refresh" content="0;url={target}">'
                f'<p><a href="{target}">Open the editor</a></p>\n')
        path = Path(folder) / f"open-{self.port}.html"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(path, 0o600)
        return path

    def secret_ok(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self.secret.encode())

    def token_ok(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self._token_bytes)

    # --- connection limits ------------------------------------------------------------------
    def watch(self, sock: socket.socket) -> None:
        """`sock` starts reading a request: it has REQUEST_DEADLINE for all of it."""
        with self._reading_lock:
            self._reading.pop(sock, None)
            self._reading[sock] = time.monotonic() + REQUEST_DEADLINE
            evicted = []
            while len(self._reading) > self._max_reading:
                oldest = next(iter(self._reading))
                del self._reading[oldest]
                evicted.append(oldest)
        for old in evicted:
            _cut(old)

    def unwatch(self, sock: socket.socket) -> None:
        with self._reading_lock:
            self._reading.pop(sock, None)

    def _reap(self) -> None:
        while not self.closing.wait(0.25):
            now = time.monotonic()
            with self._reading_lock:
                late = [s for s, deadline in self._reading.items() if deadline <= now]
                for sock in late:
                    del self._reading[sock]
            for sock in late:
                _cut(sock)

    def process_request(self, request, client_address) -> None:
        self.watch(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        self.unwatch(request)
        super().shutdown_request(request)

    def work_slot(self) -> bool:
        return self._work.acquire(blocking=False)

    def release_work(self) -> None:
        self._work.release()

    def stream_slot(self) -> bool:
        if not self._streams.acquire(blocking=False):
            return False
        with self._reading_lock:
            self.open_streams += 1
        return True

    def release_stream(self) -> None:
        with self._reading_lock:
            self.open_streams -= 1
        self._streams.release()

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, socket.timeout)):
            return  # a page that left or stalled: normal traffic
        log.exception("unexpected error while serving a request")

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """The client closed its end (an event stream's page never sends anything)."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0)) and sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):
        return True


def http_client_headers():
    """Empty headers, for an error answered before any were parsed."""
    from email.message import Message

    return Message()


def _cut(sock: socket.socket) -> None:
    """End a connection from another thread: its handler's blocked read returns at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Handler(BaseHTTPRequestHandler):
    server: BridgeServer
    protocol_version = "HTTP/1.1"
    server_version = "video-archive"
    sys_version = ""
    timeout = SOCKET_TIMEOUT
    # headers and body go out as separate writes: without TCP_NODELAY a keep-alive client waits
    # for its delayed ACK (40 ms) on every call
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # request lines carry the token on the first page load: never logged

    def log_error(self, format: str, *args) -> None:  # noqa: A002
        pass

    # --- verbs ------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._handle(self._get, body=True)

    def do_HEAD(self) -> None:
        self._handle(self._get, body=False)

    def do_POST(self) -> None:
        self._handle(self._post, body=True)

    def _not_allowed(self) -> None:
        self._handle(lambda body: self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed",
                                               allow="GET, HEAD, POST"), body=True)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def handle_one_request(self) -> None:
        self.server.watch(self.connection)  # each request on the connection has its deadline
        try:
            super().handle_one_request()
        finally:
            self.server.unwatch(self.connection)

    def handle_expect_100(self) -> bool:
        """`Expect: 100-continue` is answered only to a request that may send its body."""
        path = urlsplit(self.path).path
        if self.command == "POST" and (path == "/session" or self.server.token_ok(self._bearer())):
            return super().handle_expect_100()
        self._body_read = True  # the client waits for our word before it sends the body
        self._refuse(HTTPStatus.EXPECTATION_FAILED, "send the token before the body")
        return False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (a malformed request line, headers too long) as this server's:
        plain text with the security headers, and the connection closed."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        self.close_connection = True
        self.request_version = self.protocol_version  # never a bare HTTP/0.9 body
        if not hasattr(self, "headers"):
            self.headers = http_client_headers()
        self._refuse(status, message or status.phrase)

    def _handle(self, serve: Callable[[bool], None], *, body: bool) -> None:
        if self.command != "POST":
            self.server.unwatch(self.connection)  # no body: the request is read
        try:
            self._guard()
            serve(body)
        except Refused as exc:
            self._refuse(exc.status, exc.reason)

    @contextlib.contextmanager
    def _working(self):
        """A slot for authenticated work; unauthenticated sockets never hold one."""
        if not self.server.work_slot():
            raise Refused(HTTPStatus.SERVICE_UNAVAILABLE, "too many requests at once; try again")
        try:
            yield
        finally:
            self.server.release_work()

    # --- the checks every request passes ----------------------------------------------------
    def _guard(self) -> None:
        if not self.path.startswith("/") or self.path.startswith("//"):
            raise Refused(HTTPStatus.BAD_REQUEST, "the request target must be a path (origin-form)")
        # framing: exactly one way to know where the body ends, or the next request on this
        # connection could be smuggled inside this one
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) > 1:
            raise Refused(HTTPStatus.BAD_REQUEST, "more than one Content-Length")
        if lengths and not _LENGTH.fullmatch(lengths[0]):
            raise Refused(HTTPStatus.BAD_REQUEST, "Content-Length must be decimal digits")
        if self.headers.get("Transfer-Encoding") is not None:
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length, not chunks")
        if self.command != "POST" and lengths and int(lengths[0]) > 0:
            raise Refused(HTTPStatus.BAD_REQUEST, f"a {self.command} request has no body")
        if self.headers.get("Host", "") not in self.server.hosts:
            raise Refused(HTTPStatus.MISDIRECTED_REQUEST, "unknown Host")
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.origins:
            raise Refused(HTTPStatus.FORBIDDEN, "foreign Origin")
        site = self.headers.get("Sec-Fetch-Site")
        # the frontend's files hold no secret and may be opened from elsewhere: the file `serve`
        # opens (file://) is cross-site; calls, media and events must come from the page itself
        public = self.command in ("GET", "HEAD") and not self.path.startswith("/s/")
        if site is not None and site not in ("same-origin", "none") and not public:
            raise Refused(HTTPStatus.FORBIDDEN, "request from another site")

    def _bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value[:7].lower() == "bearer " else None

    def _require_token(self) -> None:
        if not self.server.token_ok(self._bearer()):
            raise Refused(HTTPStatus.UNAUTHORIZED, "missing or wrong token")

    # --- responses --------------------------------------------------------------------------
    def _headers(self, status: HTTPStatus, content_type: str | None, length: int | None,
                 extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _refuse(self, status: HTTPStatus, reason: str, allow: str | None = None) -> None:
        body = f"{status.value} {status.phrase}: {reason}\n".encode()
        extra = {"Cache-Control": "no-store"}
        if allow:
            extra["Allow"] = allow
        if status >= 400:
            extra["Connection"] = "close"
            self.close_connection = True
        self._drain()
        self._headers(status, "text/plain; charset=utf-8", len(body), extra)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self) -> None:
        """Read an unread small body so the client sees the answer, not a reset."""
        value = self.headers.get("Content-Length") or "0"
        if not _LENGTH.fullmatch(value):
            return
        length = int(value)
        if 0 < length <= MAX_BODY and not getattr(self, "_body_read", False):
            self._body_read = True
            try:
                self.rfile.read(length)
            except OSError:
                pass

    # --- GET --------------------------------------------------------------------------------
    def _get(self, body: bool) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/s/"):
            secret, _, rest = path[3:].partition("/")
            if not self.server.secret_ok(secret):
                raise Refused(HTTPStatus.NOT_FOUND, "not found")
            if rest == "events":
                self._events(body)
            elif rest.startswith("media/"):
                with self._working():
                    self._media(rest[len("media/"):], body)
            else:
                raise Refused(HTTPStatus.NOT_FOUND, "not found")
        elif path in ("/rpc", "/session"):
            raise Refused(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} takes POST")
        else:
            self._static(path, body)

    def _static(self, path: str, body: bool) -> None:
        file = self._frontend_file(path)
        extra = {"Cache-Control": "no-cache"}
        if file.suffix == ".html":
            extra["Content-Security-Policy"] = self.server.csp
            extra["Cache-Control"] = "no-store"
        self._send_file(file, STATIC_TYPES.get(file.suffix.lower(), "application/octet-stream"),
                        body, extra)

    def _frontend_file(self, url_path: str) -> Path:
        name = unquote(url_path)
        parts = [p for p in name.split("/") if p]
        if "\x00" in name or "\\" in name or any(p in (".", "..") or p.startswith(".")
                                                  for p in parts):
            raise Refused(HTTPStatus.NOT_FOUND, "not found")
        root = self.server.frontend
        file = root.joinpath(*parts) if parts else root
        if file.is_dir():
            file = file / "index.html"
        try:
            resolved = file.resolve(strict=True)
        except (OSError, RuntimeError):
            raise Refused(HTTPStatus.NOT_FOUND, "not found") from None
        # a symlink inside the folder must not lead out of it
        if not resolved.is_relative_to(root) or not resolved.is_file():
            raise Refused(HTTPStatus.NOT_FOUND, "not found")
        return resolved

    def _media(self, name: str, body: bool) -> None:
        media_id, _, part = name.partition("/")
        item = self.server.bridge.media.get(media_id)
        if item is None or bool(part) != bool(item.offsets):
            raise Refused(HTTPStatus.NOT_FOUND, "no such media")
        extra = {"Cache-Control": "private, max-age=3600"}
        if item.offsets is None:
            self._send_file(item.path, item.content_type, body, extra, ranges=True)
            return
        # one JPEG out of the frame-thumbnail stream, by frame index
        offsets = np.load(item.offsets, mmap_mode="r")
        if not _SEQ.fullmatch(part) or int(part) >= len(offsets) - 1:
            raise Refused(HTTPStatus.NOT_FOUND, "no such frame")
        first, end = int(offsets[int(part)]), int(offsets[int(part) + 1])
        with open(item.path, "rb") as handle:
            handle.seek(first)
            data = handle.read(end - first)
        self._headers(HTTPStatus.OK, item.content_type, len(data), extra)
        if body:
            self.wfile.write(data)

    def _send_file(self, path: Path, content_type: str, body: bool, extra: dict[str, str],
                   *, ranges: bool = False) -> None:
        try:
            handle = open(path, "rb")
        except OSError:
            raise Refused(HTTPStatus.NOT_FOUND, "not found") from None
        with handle:
            size = os_size(handle)
            first, last, status = 0, size - 1, HTTPStatus.OK
            if ranges:
                extra = {**extra, "Accept-Ranges": "bytes"}
                # no validator is ever sent, so no If-Range can match: the whole file
                span = None if self.headers.get("If-Range") is not None \
                    else parse_range(self.headers.get("Range"), size)
                if span == "unsatisfiable":
                    self._headers(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, None, 0,
                                  {"Content-Range": f"bytes */{size}"})
                    return
                if span is not None:
                    first, last = span
                    status = HTTPStatus.PARTIAL_CONTENT
                    extra["Content-Range"] = f"bytes {first}-{last}/{size}"
            length = max(0, last - first + 1)
            self._headers(status, content_type, length, extra)
            if not body:
                return
            handle.seek(first)
            left = length
            while left > 0:
                chunk = handle.read(min(left, CHUNK))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    # --- events -----------------------------------------------------------------------------
    def _events(self, body: bool) -> None:
        if not body:  # HEAD: the headers only, never a stream that holds a slot
            self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8", None,
                          {"Cache-Control": "no-store"})
            return
        if not self.server.stream_slot():
            raise Refused(HTTPStatus.SERVICE_UNAVAILABLE, "too many event streams")
        self.close_connection = True
        try:
            # the browser's own retry sends the header; the page's reopened stream, the query
            last = self.headers.get("Last-Event-ID") or \
                (parse_qs(urlsplit(self.path).query).get("last_event_id") or [""])[0]
            after = int(last) if _SEQ.fullmatch(last) else None  # anything else: from now on
            with self.server.bridge.events.subscribe(after=after) as sub:
                self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8", None,
                              {"Cache-Control": "no-store", "Connection": "close"})
                self.wfile.write(b"retry: 2000\n\n")
                self.wfile.flush()
                quiet_since = time.monotonic()
                while not self.server.closing.is_set():
                    event = sub.get(timeout=STREAM_POLL_S)
                    if event is None:
                        if sub.dropped:
                            return  # fell too far behind: the page reconnects and re-reads state
                        if _closed_by_peer(self.connection):
                            return  # the page left: its slot is free at once
                        if time.monotonic() - quiet_since < KEEPALIVE_S:
                            continue
                        quiet_since = time.monotonic()
                        self.wfile.write(b": keep-alive\n\n")
                    else:
                        self.wfile.write(b"id: %d\ndata: %s\n\n" % (event["seq"],
                                                                    msgspec.json.encode(event)))
                    self.wfile.flush()
                while (event := sub.get(timeout=0)) is not None:  # what came before the close
                    self.wfile.write(b"id: %d\ndata: %s\n\n" % (event["seq"],
                                                                msgspec.json.encode(event)))
                self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            self.server.release_stream()

    # --- POST /rpc and /session -----------------------------------------------------------
    def _post(self, body: bool) -> None:
        path = urlsplit(self.path).path
        if path not in ("/rpc", "/session"):
            raise Refused(HTTPStatus.NOT_FOUND, "not found")
        if path == "/rpc":
            self._require_token()
        with self._working():
            message = self._json_body()
            if message is None:
                return  # the client went away mid-body
            answer = self.server.dispatcher.handle(message) if path == "/rpc" \
                else self._session(message)
        if answer is None:  # notifications only
            self._headers(HTTPStatus.NO_CONTENT, None, 0, {"Cache-Control": "no-store"})
            return
        self._headers(HTTPStatus.OK, "application/json", len(answer), {"Cache-Control": "no-store"})
        self.wfile.write(answer)

    def _json_body(self) -> bytes | None:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
        value = self.headers.get("Content-Length")
        if value is None:
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
        length = int(value)  # digits only: checked by _guard
        if length > MAX_BODY:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                          f"a message may have at most {MAX_BODY} bytes")
        message = self.rfile.read(length)
        self._body_read = True
        self.server.unwatch(self.connection)  # read whole within the deadline: now the work
        if len(message) < length:
            self.close_connection = True
            return None
        return message

    def _session(self, message: bytes) -> bytes:
        """Swap a one-time code (`{"code": C}`), or the token itself (the printed address), for
        what the page needs: the token, the event stream's address and a one-time code for its
        next load (a reload), which it may keep where the token must not be."""
        try:
            code = msgspec.json.decode(message).get("code") if message.strip() else None
        except (msgspec.DecodeError, AttributeError):
            raise Refused(HTTPStatus.BAD_REQUEST, 'send {"code": "..."}') from None
        if not (self.server.spend_code(code) or self.server.token_ok(self._bearer())):
            raise Refused(HTTPStatus.UNAUTHORIZED, "unknown or spent code")
        return msgspec.json.encode({"token": self.server.token, "events": self.server.events_path,
                                    "resume_code": self.server.new_code()})


def os_size(handle) -> int:
    return os.fstat(handle.fileno()).st_size


def parse_range(header: str | None, size: int):
    """(first, last) of a single `bytes=` span; None to send the whole file (no header, several
    spans, or any syntax but ASCII digits: such a Range is ignored, as RFC 9110 says);
    "unsatisfiable" for a span past the end."""
    match = _RANGE.fullmatch(header or "")
    if match is None or match.group(1) is None and match.group(2) is None:
        return None
    start, end = match.group(1), match.group(2)
    if start is None:  # the last N bytes
        suffix = int(end)
        if suffix == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(start)
    if end is not None and int(end) < first:
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(int(end), size - 1) if end is not None else size - 1


def serve(dispatcher: Dispatcher, *, port: int = 0, frontend: Path = FRONTEND,
          open_browser: bool = True, out=None) -> None:
    """Run until SIGINT/SIGTERM: print the URL as the first line of `out`, open it in the
    browser, and on the way out pause running jobs so their sessions resume later."""
    import signal
    import webbrowser

    out = out or sys.stdout
    server = BridgeServer(dispatcher, port=port, frontend=frontend)
    print(server.url, file=out, flush=True)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="bridge-http", daemon=True)
    thread.start()
    try:
        if open_browser:
            # the browser's command line names a 0600 file, never the token (`ps` shows argv)
            opener = server.open_file(dispatcher.context.scratch).as_uri()
            threading.Thread(target=webbrowser.open, args=(opener,), daemon=True).start()
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        dispatcher.context.jobs.close()  # running exports pause cleanly: `export.resume` later
        server.closing.set()  # after the pause: open streams send its events before they end
        server.shutdown()
        server.server_close()
        deadline = time.monotonic() + 2  # streams write their last events, then end
        while server.open_streams and time.monotonic() < deadline:
            time.sleep(0.05)
