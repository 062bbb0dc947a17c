// The one way the page talks to the bridge: JSON-RPC 2.0, over pywebview's js_api inside the
// desktop window (App/ opens the page with ?shell=webview) or over HTTP in a browser (POST /rpc
// with the bearer token, events from the secret address the bridge gave). Every failure comes
// out as a BridgeError with a message a person can read; the page shows it.

export class BridgeError extends Error {
  constructor(message, { code = null, kind = "call", field = null, data = null } = {}) {
    super(message);
    this.code = code;       // JSON-RPC error code, or null when the bridge could not be reached
    this.kind = kind;       // "gone" (no answer), "call" (the bridge said no), "input" (a field)
    this.field = field;     // the field an input error names
    this.data = data;
  }
}

const RESUME_KEY = "va-resume-code";

// The page is opened with a one-time code (#code=, from the file `serve` opens), with the token
// itself (?token=, the address `serve` printed), or reloaded (a one-time code kept in this tab's
// session storage by the last swap). Either is moved out of the address bar at once and swapped at
// POST /session for the token, which lives in this page's memory only: the browser's history,
// session restore and profile never hold it (bridge/http.py).
async function login(location, storage, history) {
  const url = new URL(location.href);
  const hash = new URLSearchParams(url.hash.slice(1));
  const code = hash.get("code") ?? storage.getItem(RESUME_KEY);
  const token = url.searchParams.get("token");
  storage.removeItem(RESUME_KEY);  // one use: a second tab from it must not race this one
  if (hash.has("code") || token) {
    url.searchParams.delete("token");
    // the code goes with the address; a route after the token (#/history) stays
    history.replaceState(history.state, "", url.pathname + url.search + (hash.has("code") ? "" : url.hash));
  }
  if (!code && !token) return null;
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/session", { method: "POST", headers, body: JSON.stringify(code && !token ? { code } : {}) });
  } catch (err) {
    throw new BridgeError("The archive tool is not answering (its server stopped or the connection dropped).", { kind: "gone" });
  }
  if (!response.ok) return null;
  const granted = await response.json();
  storage.setItem(RESUME_KEY, granted.resume_code);
  return granted;
}

function fromResponse(reply) {
  if (reply && reply.error) {
    const { code, message, data } = reply.error;
    const field = data && typeof data === "object" ? data.field ?? null : null;
    const kind = data && data.code === "input_error" ? "input" : "call";
    throw new BridgeError(message || `error ${code}`, { code, kind, field, data });
  }
  return reply ? reply.result : undefined;
}

let nextId = 1;

function httpTransport({ token, events }) {
  const listeners = new Set();
  let source = null;
  const transport = {
    kind: "http",
    // keepalive: the browser finishes the request after the page has gone (a tab closing)
    async call(method, params = {}, { keepalive = false } = {}) {
      let response;
      try {
        response = await fetch("/rpc", {
          method: "POST", keepalive,
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
        });
      } catch (err) {
        throw new BridgeError("The archive tool is not answering (its server stopped or the connection dropped).", { kind: "gone" });
      }
      if (response.status === 401) throw new BridgeError("This page's access is not accepted: open the address `video-archive serve` printed.", { kind: "gone" });
      if (!response.ok) throw new BridgeError(`The bridge answered HTTP ${response.status} to ${method}.`, { kind: "gone" });
      return fromResponse(await response.json());
    },
    onEvent(fn) {
      listeners.add(fn);
      if (!source) open();
      return () => listeners.delete(fn);
    },
  };
  // The browser retries a dropped stream by itself, but gives up for good on an HTTP error (a 503
  // while the server is busy): then open it again, waiting longer each time (up to 30 s), and
  // resume after the last event seen, so nothing in between is lost.
  let lastId = null;
  let delay = 1000;
  const tell = (event) => { for (const l of listeners) l(event); };
  function open() {
    const url = lastId === null ? events : `${events}?last_event_id=${encodeURIComponent(lastId)}`;
    source = new EventSource(url);
    source.onmessage = (msg) => {
      if (msg.lastEventId) lastId = msg.lastEventId;
      let event;
      try { event = JSON.parse(msg.data); } catch { return; }
      tell(event);
    };
    source.onopen = () => { delay = 1000; tell({ type: "connection", ok: true }); };
    source.onerror = () => {
      tell({ type: "connection", ok: false });
      if (source.readyState !== EventSource.CLOSED) return;  // the browser retries this one
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  return transport;
}

function webviewTransport(api) {
  const transport = {
    kind: "webview",
    async call(method, params = {}) {
      let reply;
      try {
        // bridge/webview.py takes and answers JSON text, as POST /rpc does
        reply = await api.rpc(JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }));
      } catch (err) {
        throw new BridgeError(`The desktop bridge failed on ${method}: ${err?.message ?? err}`, { kind: "gone" });
      }
      if (typeof reply === "string") reply = JSON.parse(reply);
      return fromResponse(reply);
    },
    onEvent(fn) {
      const handler = (e) => fn(e.detail);
      window.addEventListener("va-event", handler);
      return () => window.removeEventListener("va-event", handler);
    },
  };
  // native dialogs exist only in the desktop window (App/shell.py adds them to the js_api)
  if (api.pick_file) transport.pickFile = (title) => api.pick_file(title ?? "Choose a master video");
  if (api.pick_cuts_file) transport.pickCutsFile = () => api.pick_cuts_file();
  if (api.pick_folder) transport.pickFolder = (title) => api.pick_folder(title ?? "Choose a folder");
  return transport;
}

function waitForWebview(timeoutMs) {
  return new Promise((resolve, reject) => {
    if (window.pywebview?.api?.rpc) return resolve(window.pywebview.api);
    const timer = setTimeout(() => reject(new BridgeError("The desktop window's bridge did not start.", { kind: "gone" })), timeoutMs);
    window.addEventListener("pywebviewready", () => { clearTimeout(timer); resolve(window.pywebview.api); }, { once: true });
  });
}

export async function connect(win = window) {
  const params = new URL(win.location.href).searchParams;
  if (params.get("shell") === "webview") return webviewTransport(await waitForWebview(15000));
  const granted = await login(win.location, win.sessionStorage, win.history);
  if (!granted) throw new BridgeError("No access: open the page at the address `video-archive serve` printed (it ends in ?token=…), or run `video-archive serve` again.", { kind: "gone" });
  return httpTransport(granted);
}
