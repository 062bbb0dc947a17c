"""The loopback HTTP transport's security and limits: token, Host, Origin, Content-Type, no CORS,
no path traversal, media only by id with byte ranges, bounded requests and connections, a
thousand malformed messages answered correctly, and events reaching two listeners."""

import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bridge_client import running

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def frontend(tmp_path) -> Path:
    root = tmp_path / "frontend"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>t</title>")
    (root / "js" / "app.js").write_text("export const x = 1;")
    (tmp_path / "secret.txt").write_text("outside")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "leakdir").symlink_to(tmp_path)
    return root


@pytest.fixture
def client(db_path, frontend):
    with running(db_path, frontend) as c:
        yield c


@pytest.fixture
def media(client, tmp_path):
    data = random.Random(1).randbytes(300_000)
    path = tmp_path / "proxy.webm"
    path.write_bytes(data)
    url = client.server.bridge.media_url(path, "s1")
    return url[len(client.base):], data


def test_no_cookie_is_ever_set(client):
    for path in (f"/?token={client.token}", "/", "/?token=wrong"):
        status, headers, body = client.raw("GET", path)
        assert status == 200 and b"<title>t</title>" in body and "set-cookie" not in headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert client.raw("GET", "/js/app.js")[2] == b"export const x = 1;"


def session(client, body: bytes, headers: dict | None = None):
    status, _, answer = client.raw("POST", "/session", body,
                                   {"Content-Type": "application/json", **(headers or {})})
    return status, json.loads(answer) if status == 200 else answer


def test_a_one_time_code_is_swapped_once_for_the_token(client):
    code = client.server.new_code()
    status, granted = session(client, json.dumps({"code": code}).encode())
    assert status == 200 and granted["token"] == client.token
    assert granted["events"] == client.events and granted["events"].startswith("/s/")
    assert session(client, json.dumps({"code": code}).encode())[0] == 401  # spent
    resume = granted["resume_code"]
    status, again = session(client, json.dumps({"code": resume}).encode())  # a reload
    assert status == 200 and again["token"] == client.token and again["resume_code"] != resume
    assert session(client, json.dumps({"code": resume}).encode())[0] == 401
    # the printed address's token also gets the event stream's address
    assert session(client, b"{}", {"Authorization": f"Bearer {client.token}"})[0] == 200
    for body in (b"{}", b'{"code": "nope"}', b'{"code": 5}', b"[1]", b"nul", b""):
        assert session(client, body)[0] in (400, 401), body
    assert client.raw("POST", "/session", b"{}", {"Content-Type": "text/plain"})[0] == 415
    assert client.raw("GET", "/session")[0] == 405
    codes = [client.server.new_code() for _ in range(40)]  # unspent codes are bounded
    assert session(client, json.dumps({"code": codes[0]}).encode())[0] == 401
    assert session(client, json.dumps({"code": codes[-1]}).encode())[0] == 200


def test_token_is_256_bits_and_required(client, media):
    assert len(client.token) >= 43 and len(client.server.secret) >= 43  # 32 bytes each
    ping = b'{"jsonrpc":"2.0","method":"system.ping","id":1}'
    json_type = {"Content-Type": "application/json"}
    for auth in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {client.token}x"},
                 {"Authorization": f"Basic {client.token}"}, {"Authorization": client.token},
                 {"Cookie": f"va_token_{client.port}={client.token}"}):  # /rpc wants the header
        assert client.raw("POST", "/rpc", ping, {**json_type, **auth})[0] == 401, auth
    assert client.raw("POST", "/rpc", ping, {**json_type,
                                             "Authorization": f"Bearer {client.token}"})[0] == 200
    path, _ = media
    assert path.startswith(client.server.prefix + "media/")
    media_id = path.rsplit("/", 1)[1]
    secret = client.server.secret
    for wrong in (f"/media/{media_id}", f"/s/{secret[:-1]}/media/{media_id}",
                  f"/s/{secret}x/media/{media_id}", f"/s//media/{media_id}", "/events",
                  f"/s/{client.token}/events", f"/s/{secret[:-1]}/events"):
        for headers in ({}, {"Authorization": f"Bearer {client.token}"},
                        {"Cookie": f"va_token_{client.port}={client.token}"}):
            assert client.raw("GET", wrong, None, headers)[0] == 404, wrong
    assert client.get(path)[0] == 200


def test_foreign_host_is_refused_everywhere(client, media):
    path, _ = media
    for host in ("evil.example:%d" % client.port, "127.0.0.1", "localhost", "127.0.0.1:1",
                 "0.0.0.0:%d" % client.port, "[::1]:%d" % client.port, ""):
        for method, target in (("GET", "/"), ("GET", path), ("GET", client.events), ("POST", "/rpc")):
            status, headers, _ = client.raw(method, target, b"{}" if method == "POST" else None, {
                "Authorization": f"Bearer {client.token}", "Content-Type": "application/json"},
                host=host)
            assert status == 421, (host, target, status)
    assert client.raw("GET", "/", host=f"localhost:{client.port}")[0] == 200


def test_foreign_origin_and_cross_site_requests_are_refused(client, media):
    path, _ = media
    auth = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}
    ping = b'{"jsonrpc":"2.0","method":"system.ping","id":1}'
    for origin in ("http://evil.example", f"http://127.0.0.1:{client.port + 1}", "null",
                   f"https://127.0.0.1:{client.port}"):
        assert client.raw("POST", "/rpc", ping, {**auth, "Origin": origin})[0] == 403
        assert client.get(path, {"Origin": origin})[0] == 403
    for site in ("cross-site", "same-site"):
        assert client.raw("POST", "/rpc", ping, {**auth, "Sec-Fetch-Site": site})[0] == 403
        assert client.get(path, {"Sec-Fetch-Site": site})[0] == 403
    for origin in (f"http://127.0.0.1:{client.port}", f"http://localhost:{client.port}"):
        assert client.raw("POST", "/rpc", ping, {**auth, "Origin": origin,
                                                 "Sec-Fetch-Site": "same-origin"})[0] == 200


def test_rpc_wants_json_a_length_and_a_bounded_body(client):
    auth = {"Authorization": f"Bearer {client.token}"}
    ping = b'{"jsonrpc":"2.0","method":"system.ping","id":1}'
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        assert client.raw("POST", "/rpc", ping, {**auth, "Content-Type": kind})[0] == 415
    assert client.raw("POST", "/rpc", ping, {**auth, "Content-Type":
                                             "application/json; charset=utf-8"})[0] == 200
    assert client.raw("POST", "/rpc", None, {**auth, "Content-Type": "application/json"})[0] == 411
    # a body over the limit is refused from its Content-Length, before it is read
    conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    conn.sendall((f"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\nAuthorization: Bearer "
                  f"{client.token}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {64 << 20}\r\n\r\n[1,").encode())
    assert conn.recv(100).startswith(b"HTTP/1.1 413 ")
    conn.close()
    assert client.raw("GET", "/rpc")[0] == 405
    assert client.raw("POST", "/elsewhere", ping, {**auth, "Content-Type": "application/json"})[0] == 404


def test_no_cors_headers_ever(client, media):
    path, _ = media
    answers = [client.raw("OPTIONS", "/rpc", None, {"Origin": "http://evil.example",
                                                    "Access-Control-Request-Method": "POST"}),
               client.raw("OPTIONS", "/rpc"), client.raw("GET", "/"), client.get(path),
               client.raw("POST", "/rpc", b"{}", {"Origin": "http://evil.example"})]
    assert answers[0][0] == 403 and answers[1][0] == 405
    for _, headers, _ in answers:
        assert not [h for h in headers if h.startswith("access-control-")]


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/js/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/js/..%5c..%5csecret.txt", "//etc/passwd",
    "/%2fetc%2fpasswd", "/etc/passwd", "/leak.txt", "/leakdir/secret.txt", "/.%2e/secret.txt",
    "/index.html%00.js", "/%252e%252e/secret.txt", "/media/../index.html", "/media/%2e%2e%2fsecret.txt",
    "/media/", "/media/nope", "/.hidden", "/js/../../secret.txt"])
def test_traversal_gets_nothing(client, target):
    status, _, body = client.raw("GET", target, None)
    assert status in (404, 401), (target, status)
    assert b"outside" not in body and b"root:" not in body


def test_media_by_id_with_ranges(client, media):
    path, data = media
    status, headers, body = client.get(path)
    assert status == 200 and body == data and headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "video/webm"
    status, headers, body = client.get(path, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert client.get(path, {"Range": "bytes=299000-"})[2] == data[299000:]
    assert client.get(path, {"Range": "bytes=-500"})[2] == data[-500:]
    assert client.get(path, {"Range": "bytes=0-9999999"})[2] == data
    status, headers, _ = client.get(path, {"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"
    assert client.get(path, {"Range": "bytes=0-1,5-9"})[0] == 200  # several spans: the whole file
    status, headers, body = client.raw("HEAD", path, None)
    assert status == 200 and body == b"" and headers["content-length"] == str(len(data))
    client.server.bridge.media.drop_session("s1")
    assert client.get(path)[0] == 404


def _malformed(rng: random.Random) -> tuple[bytes, int]:
    """A message and the error code it must get."""
    kind = rng.randrange(7)
    if kind == 0:  # not JSON
        good = json.dumps({"jsonrpc": "2.0", "method": "system.ping", "id": rng.randrange(99)})
        cut = rng.randrange(1, len(good))
        junk = [good[:cut], good[:cut] + "}}", "{" + "".join(chr(rng.randrange(33, 127))
                                                            for _ in range(rng.randrange(1, 40)))]
        text = rng.choice(junk)
        try:
            json.loads(text)
        except ValueError:
            return text.encode(), -32700
        return text.encode() + b",", -32700  # happened to be JSON ("{}"): make it not
    if kind == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))) + b"\xff", -32700
    if kind == 2:  # JSON, but not a request object
        return json.dumps(rng.choice([1, "x", None, True, 2.5, [[]], [1]])).encode(), -32600
    if kind == 3:  # a broken envelope
        message = {"jsonrpc": "2.0", "method": "system.ping", "id": 1}
        broken = rng.choice([("jsonrpc", rng.choice(["1.0", 2, None])),
                             ("method", rng.choice([1, None, [], {}])),
                             ("params", rng.choice(["x", 3, None, True])),
                             ("id", rng.choice([True, {}, [1]])), ("extra", 1)])
        message[broken[0]] = broken[1]
        if rng.random() < 0.3:
            del message["jsonrpc"]
        return json.dumps(message).encode(), -32600
    if kind == 4:
        name = "".join(rng.choice("abcxyz._") for _ in range(rng.randrange(1, 20)))
        return json.dumps({"jsonrpc": "2.0", "method": "zz" + name, "id": 3}).encode(), -32601
    if kind == 5:
        params = rng.choice([{"key": rng.choice([1, None, [], {}, True])}, {}, {"key": "a", "x": 1},
                             [1], ["a", 2]])
        return json.dumps({"jsonrpc": "2.0", "method": "settings.get", "params": params,
                           "id": "p"}).encode(), -32602
    return b"[]", -32600


def test_a_thousand_malformed_messages_then_still_serving(client):
    rng = random.Random(20261201)
    for i in range(1000):
        message, code = _malformed(rng)
        status, answer = client.rpc_raw(message)
        assert status == 200, (i, message)
        decoded = json.loads(answer)
        for one in decoded if isinstance(decoded, list) else [decoded]:  # [[]], [1]: batches
            assert one["error"]["code"] == code, (i, message, decoded)
            assert one["jsonrpc"] == "2.0"
    assert client.call("system.ping")["time"] > 0
    assert client.raw("GET", "/")[0] == 200


def _held(port: int) -> socket.socket:
    """A connection the server took and now waits on (one it refused answers 503 at once; that
    happens while a just-finished request still holds its slot for a moment)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        conn = socket.create_connection(("127.0.0.1", port))
        conn.settimeout(0.5)
        try:
            answer = conn.recv(100)
        except socket.timeout:
            conn.settimeout(None)
            return conn
        conn.close()
        assert answer.startswith(b"HTTP/1.1 503 "), answer
    raise AssertionError("the server never took a connection")


def test_trickling_sockets_do_not_lock_the_editor_out(client, media):
    """64 sockets, each sending a header byte now and then, without any token."""
    stop = threading.Event()
    socks = [socket.create_connection(("127.0.0.1", client.port)) for _ in range(64)]

    def trickle():
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        while not stop.wait(0.3):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        for _ in range(5):
            assert client.call("system.ping")["time"] > 0
        path, data = media
        assert client.get(path)[2] == data
    finally:
        stop.set()
        thread.join(5)
        for sock in socks:
            sock.close()


def test_a_request_must_arrive_within_its_deadline(client, monkeypatch):
    import bridge.http

    monkeypatch.setattr(bridge.http, "REQUEST_DEADLINE", 1.0)
    sock = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
    closed = False
    for _ in range(40):  # a byte every 0.2 s would keep a per-read timeout waiting for ever
        try:
            sock.sendall(b"a")
        except OSError:
            closed = True
            break
        time.sleep(0.2)
        if _peer_closed(sock):
            closed = True
            break
    sock.close()
    assert closed, "a trickling request was never cut"


def _peer_closed(sock) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(100) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_a_closed_event_stream_frees_its_slot_at_once(db_path, frontend):
    with running(db_path, frontend, max_streams=1) as c:
        for _ in range(3):
            # the only slot comes back well before a keep-alive (10 s) would find the page gone
            deadline = time.monotonic() + 3
            while True:
                sock = socket.create_connection(("127.0.0.1", c.port), timeout=10)
                sock.sendall(f"GET {c.events} HTTP/1.1\r\nHost: 127.0.0.1:{c.port}\r\n\r\n"
                             .encode())
                if sock.recv(100).startswith(b"HTTP/1.1 200 "):
                    break
                sock.close()
                assert time.monotonic() < deadline, "a closed stream kept its slot"
                time.sleep(0.1)
            assert _stream_refused(c)  # held while open
            sock.close()


def _stream_refused(c) -> bool:
    sock = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    try:
        sock.sendall(f"GET {c.events} HTTP/1.1\r\nHost: 127.0.0.1:{c.port}\r\n\r\n".encode())
        return sock.recv(100).startswith(b"HTTP/1.1 503 ")
    finally:
        sock.close()


def _exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes, read until the server closes or goes quiet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    sock.sendall(data)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    return got


def test_framing_is_strict_and_nothing_is_smuggled(client):
    host = f"Host: 127.0.0.1:{client.port}\r\n"
    smuggled = (f"POST /rpc HTTP/1.1\r\n{host}Authorization: Bearer {client.token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 93\r\n\r\n"
                '{"jsonrpc":"2.0","method":"settings.set","params":{"key":"parallel_workers",'
                '"value":9},"id":1}')
    body = smuggled.encode()
    cases = [
        f"GET / HTTP/1.1\r\n{host}Content-Length: {len(body)}\r\n\r\n".encode() + body,
        (f"POST /rpc HTTP/1.1\r\n{host}Authorization: Bearer {client.token}\r\n"
         "Content-Type: application/json\r\nContent-Length: 2\r\n"
         f"Content-Length: {2 + len(body)}\r\n\r\n{{}}").encode() + body,
        (f"POST /rpc HTTP/1.1\r\n{host}Authorization: Bearer {client.token}\r\n"
         "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 2\r\n\r\n{}").encode() + body,
    ]
    for case in cases:
        answer = _exchange(client.port, case)
        assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 411 ")), answer[:200]
        assert answer.count(b"HTTP/1.1 ") == 1, answer  # the rest was never read as a request
    assert client.call("settings.get", {"key": "parallel_workers"})["value"] != 9


@pytest.mark.parametrize("length", ["+47", "4_7", "0x2f", "4 7", "-1", "4" * 20, "\u0664\u0667"])
def test_a_content_length_is_digits_only(client, length):
    answer = _exchange(client.port, (
        f"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\nAuthorization: Bearer "
        f"{client.token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        + "x" * 47).encode())
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]


@pytest.mark.parametrize("header", [{"Range": "bytes=+5-10"}, {"Range": "bytes=1_0-2_0"},
                                    {"Range": "bytes= 5-10"}, {"Range": "bytes=5-10",
                                                               "If-Range": "bogus"}])
def test_a_range_not_in_strict_syntax_gets_the_whole_file(client, media, header):
    path, data = media
    status, headers, body = client.get(path, header)
    assert status == 200 and body == data and "content-range" not in headers


def test_targets_heads_expectations_and_error_pages(client, db_path, frontend):
    answer = _exchange(client.port, f"GET http://127.0.0.1:{client.port}/ HTTP/1.1\r\n"
                       f"Host: 127.0.0.1:{client.port}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400 ")
    answer = _exchange(client.port, (
        f"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\nContent-Type: application/json"
        "\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n").encode())
    assert b"100 Continue" not in answer and answer.startswith(b"HTTP/1.1 417 ")
    answer = _exchange(client.port, b"GARBAGE\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b"X-Content-Type-Options: nosniff" in answer
    with running(db_path, frontend, max_streams=1) as c:
        for _ in range(3):  # HEAD never holds the only stream slot
            status, headers, body = c.raw("HEAD", c.events)
            assert status == 200 and body == b""
        assert not _stream_refused(c)


def test_events_reach_every_listener(client):
    got: list[list[dict]] = [[], []]
    ready = threading.Barrier(3)

    def listen(n):
        conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
        conn.sendall((f"GET {client.events} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
                      "\r\n").encode())
        buffer = b""
        while b"retry:" not in buffer:
            buffer += conn.recv(4096)
        ready.wait()
        while len(got[n]) < 2:
            buffer += conn.recv(4096)
            *events, buffer = buffer.split(b"\n\n")
            got[n] += [json.loads(line[6:]) for e in events for line in e.split(b"\n")
                       if line.startswith(b"data: ")]
        conn.close()

    threads = [threading.Thread(target=listen, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    ready.wait(10)
    client.server.bridge.events.publish({"type": "progress", "job_id": "j", "n": 1})
    client.server.bridge.events.publish({"type": "unit_finished", "job_id": "j", "n": 2})
    for t in threads:
        t.join(10)
    assert got[0] == got[1] == [{"type": "progress", "job_id": "j", "n": 1, "seq": 1},
                                {"type": "unit_finished", "job_id": "j", "n": 2, "seq": 2}]


def test_a_reconnecting_stream_gets_what_it_missed(client):
    for n in range(1, 6):
        client.server.bridge.events.publish({"type": "progress", "n": n})
    conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    conn.sendall((f"GET {client.events} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
                  "Last-Event-ID: 3\r\n\r\n").encode())
    buffer = b""
    while buffer.count(b"data: ") < 2:
        buffer += conn.recv(4096)
    conn.close()
    assert b"id: 4\ndata: " in buffer and b"id: 5\ndata: " in buffer and b"id: 3\n" not in buffer


def test_serve_command_prints_the_url_first_and_never_logs_the_token(db_path, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli.main", "--db", str(db_path),
                             "serve", "--no-browser"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{43,})", first)
        assert match, first
        port, token = int(match.group(1)), match.group(2)
        import http.client
        for auth in (token, "wrong"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/rpc", b'{"jsonrpc":"2.0","method":"system.info","id":1}',
                         {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
            conn.getresponse().read()
            conn.request("GET", f"/?token={token}")
            conn.getresponse().read()
            conn.close()
        # bound to loopback only
        listening = [c for c in __import__("psutil").Process(proc.pid).net_connections("inet")
                     if c.status == "LISTEN"]
        assert [c.laddr.ip for c in listening] == ["127.0.0.1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert token not in out and token not in err


def test_frame_thumbnails_by_index(client, tmp_path):
    import numpy as np

    parts = [b"\xff\xd8one\xff\xd9", b"\xff\xd8second\xff\xd9", b"\xff\xd83\xff\xd9"]
    (tmp_path / "frames.jpg").write_bytes(b"".join(parts))
    np.save(tmp_path / "frames.index.npy", np.cumsum([0] + [len(p) for p in parts]))
    url = client.server.bridge.media_url(tmp_path / "frames.jpg", "s1",
                                         offsets=tmp_path / "frames.index.npy")
    path = url[len(client.base):]
    for n, part in enumerate(parts):
        status, headers, body = client.get(f"{path}/{n}")
        assert (status, headers["content-type"], body) == (200, "image/jpeg", part)
    for bad in ("/3", "/-1", "/x", "", "/1/2", "/01x"):
        assert client.get(path + bad)[0] == 404, bad


@pytest.mark.parametrize("last", ["\u00b2", "9" * 5000, "-1", "1e3", " 3"])
def test_a_strange_last_event_id_still_gets_the_stream(client, last):
    conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    conn.sendall((f"GET {client.events} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
                  f"Last-Event-ID: {last}\r\n\r\n").encode())
    buffer = b""
    while b"retry:" not in buffer:
        data = conn.recv(4096)
        assert data, buffer
        buffer += data
    conn.close()
    assert buffer.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("index", ["\u00b2", "9" * 5000, "%C2%B2", "-1", "1_0"])
def test_a_strange_thumbnail_index_is_not_found(client, tmp_path, index):
    import numpy as np

    (tmp_path / "frames.jpg").write_bytes(b"\xff\xd8one\xff\xd9")
    np.save(tmp_path / "frames.index.npy", np.array([0, 8]))
    url = client.server.bridge.media_url(tmp_path / "frames.jpg", "s1",
                                         offsets=tmp_path / "frames.index.npy")
    conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    conn.sendall(f"GET {url[len(client.base):]}/{index} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}"
                 "\r\n\r\n".encode())
    assert conn.recv(100).startswith(b"HTTP/1.1 404 ")
    conn.close()
