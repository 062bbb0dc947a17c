"""The archive's contact sheet: one `index.html` at the archive's root that opens from the folder
by double-click, with no server, no network and no JavaScript. Every scene with its midpoint
still, number, timecode in and out, frames, group and links to its clip and HQ still; then the
groups, the R&D files, the metadata and a checksum summary. Links are relative and
percent-encoded, images carry their size (the page does not jump while they load)."""

from __future__ import annotations

from fractions import Fraction
from html import escape
from urllib.parse import quote

import msgspec

from backend.archive.interchange import timecode as tc


class SheetFile(msgspec.Struct, frozen=True, kw_only=True):
    path: str                 # archive path
    type: str
    bytes: int
    sha256: str | None = None
    resolution: str | None = None


class SheetScene(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    start_frame: int
    end_frame: int
    midpoint_frame: int | None = None
    group: str | None = None
    exported: bool = True
    clip: str | None = None
    still_hq: str | None = None
    still_web: str | None = None
    thumbnail: str | None = None
    label: str = ""           # the person's label and note on the scene (the editor's)
    note: str = ""


class Sheet(msgspec.Struct, frozen=True, kw_only=True):
    title: str                # the archive's name
    artwork: str
    project_date: str         # ISO date
    copyright: str
    artist: str
    rate_num: int
    rate_den: int
    start_timecode: str | None = None
    link_prefix: str = ""     # "data/" when the archive is a bag
    master: dict = {}         # file name, resolution, codec, duration, frames
    facts: list[tuple[str, str]] = []  # preset, encoder, tool, layout, ...
    scenes: list[SheetScene] = []
    groups: dict[str, list[int]] = {}
    files: list[SheetFile] = []
    later_files: list[str] = []  # written after the sheet (manifest, log): linked, not summarised


CSS = """
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#6b6b70;--bg:#fafafa;--card:#fff;--line:#e2e2e6;--accent:#0a66c2}
@media (prefers-color-scheme:dark){:root{--fg:#ececf0;--muted:#a0a0a8;--bg:#151517;--card:#1f1f22;--line:#34343a;--accent:#6fb0ff}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main>section{max-width:1280px;margin:0 auto;padding:16px 24px}
header{border-bottom:1px solid var(--line)}h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 10px}
.sub{color:var(--muted)}a{color:var(--accent)}nav a{margin-right:14px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.scenes{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:14px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
figure img{display:block;width:100%;height:auto;background:#000}
figure .none{aspect-ratio:16/9;display:flex;align-items:center;justify-content:center;color:var(--muted);background:var(--line)}
figcaption{padding:8px 10px}figcaption b{font-size:15px}.tc{font-variant-numeric:tabular-nums;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.tag{display:inline-block;padding:0 6px;border-radius:9px;background:var(--line);font-size:12px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-all}
.rd img{width:96px;height:auto;display:block}footer{color:var(--muted);text-align:center;padding:24px}
@media print{figure{break-inside:avoid}}
"""


def _href(sheet: Sheet, path: str) -> str:
    return quote(sheet.link_prefix + path, safe="/")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _dims(resolution: str | None) -> str:
    try:
        w, h = (int(v) for v in (resolution or "").split("x"))
    except ValueError:
        return ""
    return f' width="{w}" height="{h}"'


def _link(sheet: Sheet, path: str | None, label: str) -> str:
    return f'<a href="{_href(sheet, path)}">{escape(label)}</a>' if path else ""


def render(sheet: Sheet) -> bytes:
    rate = Fraction(sheet.rate_num, sheet.rate_den)
    start = tc.from_timecode(sheet.start_timecode, rate) if sheet.start_timecode else 0
    files = {f.path: f for f in sheet.files}
    e = escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           f"<title>{e(sheet.artwork)} · {e(sheet.title)}</title>", f"<style>{CSS}</style></head><body>",
           "<header>", f"<h1>{e(sheet.artwork)}</h1>",
           f'<div class="sub">{e(sheet.title)} · {e(sheet.project_date)} · {e(sheet.copyright)}</div>',
           '<nav><a href="#scenes">Scenes</a><a href="#groups">Groups</a><a href="#rd">R&amp;D</a>'
           '<a href="#metadata">Metadata</a><a href="#checksums">Checksums</a></nav></header><main>']

    exported = [s for s in sheet.scenes if s.exported]
    out.append(f'<section id="scenes"><h2>Scenes ({len(exported)} exported of {len(sheet.scenes)})</h2>'
               '<div class="scenes">')
    for s in sheet.scenes:
        image = s.still_web or s.thumbnail
        tc_in, tc_out = tc.to_timecode(start + s.start_frame, rate), tc.to_timecode(start + s.end_frame, rate)
        frames = s.end_frame - s.start_frame + 1
        alt = f"Scene {s.number}, midpoint frame {s.midpoint_frame}"
        if image:
            picture = f'<img src="{_href(sheet, image)}" alt="{e(alt)}"{_dims(files[image].resolution if image in files else None)}>'
            if s.clip:
                picture = f'<a href="{_href(sheet, s.clip)}">{picture}</a>'
        else:
            picture = f'<div class="none">{"not exported" if not s.exported else "no still"}</div>'
        links = " · ".join(x for x in (_link(sheet, s.clip, "clip"), _link(sheet, s.still_hq, "HQ still")) if x)
        group = f' <span class="tag">{e(s.group)}</span>' if s.group else ""
        words = (f'<br><span class="label">{e(s.label)}</span>' if s.label else "") + \
            (f'<br><span class="note">{e(s.note).replace(chr(10), "<br>")}</span>' if s.note else "")
        out.append(f'<figure id="scene-{s.number:03d}">{picture}<figcaption><b>Scene {s.number:03d}</b>{group}{words}<br>'
                   f'<span class="tc">{tc_in} – {tc_out}</span><br>'
                   f'{frames} frames (frames {s.start_frame}–{s.end_frame})'
                   + (f"<br>{links}" if links else "") + "</figcaption></figure>")
    out.append("</div></section>")

    out.append('<section id="groups"><h2>Groups</h2>')
    if sheet.groups:
        out.append("<table><tr><th>group</th><th>scenes</th><th>clips</th></tr>")
        for name, members in sheet.groups.items():
            scene_links = ", ".join(f'<a href="#scene-{n:03d}">{n}</a>' for n in members)
            joined = [f for f in sheet.files if f.type == "group_clip" and f"/{name}/" in f"/{f.path}"]
            clip_links = ", ".join(_link(sheet, f.path, f.path.rsplit("/", 1)[-1]) for f in joined)
            out.append(f"<tr><td>{e(name)}</td><td>{scene_links}</td><td>{clip_links or '–'}</td></tr>")
        out.append("</table>")
    else:
        out.append('<p class="sub">No groups: one clip per scene.</p>')
    out.append("</section>")

    rd = [f for f in sheet.files if f.path.startswith("rd/")]
    out.append(f'<section id="rd" class="rd"><h2>R&amp;D files ({len(rd)})</h2>')
    if rd:
        out.append('<table><tr><th></th><th>file</th><th>type</th><th class="num">size</th></tr>')
        for f in rd:
            preview = (f'<img src="{_href(sheet, f.path)}" alt=""{_dims(f.resolution)}>'
                       if f.type == "rd_image" else "")
            out.append(f"<tr><td>{preview}</td><td>{_link(sheet, f.path, f.path)}</td><td>{e(f.type)}</td>"
                       f'<td class="num">{_size(f.bytes)}</td></tr>')
        out.append("</table>")
    else:
        out.append('<p class="sub">No R&amp;D folder was archived.</p>')
    out.append("</section>")

    master = sheet.master
    rows = [("Artwork", sheet.artwork), ("Project date", sheet.project_date), ("Copyright", sheet.copyright),
            ("Artist", sheet.artist), ("Frame rate", f"{float(rate):.3f} fps ({rate.numerator}/{rate.denominator})"),
            ("Start timecode", sheet.start_timecode or "00:00:00:00"), *[(k, str(v)) for k, v in master.items()],
            *sheet.facts]
    out.append('<section id="metadata"><h2>Metadata</h2><dl class="meta">'
               + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows) + "</dl>")
    main_files = [f for f in sheet.files if f.type in ("master", "master_web") or f.path.startswith("edit/")]
    main_files += [SheetFile(path=p, type="", bytes=0) for p in sheet.later_files]
    out.append("<p>" + " · ".join(_link(sheet, f.path, f.path.rsplit("/", 1)[-1]) for f in main_files) + "</p>")
    out.append("</section>")

    total = sum(f.bytes for f in sheet.files)
    by_type: dict[str, list[SheetFile]] = {}
    for f in sheet.files:
        by_type.setdefault(f.type, []).append(f)
    out.append(f'<section id="checksums"><h2>Checksums</h2><p>{len(sheet.files)} files, {_size(total)}, '
               "each with its SHA-256 below"
               + (f" and in {_link(sheet, sheet.later_files[-1], 'the manifest')}" if sheet.later_files else "")
               + ". <span class=\"sub\">Check them with <code>video-archive verify</code> or "
               "<code>sha256sum</code>.</span></p>")
    out.append('<table><tr><th>type</th><th class="num">files</th><th class="num">size</th></tr>')
    for kind, members in sorted(by_type.items()):
        out.append(f'<tr><td>{e(kind)}</td><td class="num">{len(members)}</td>'
                   f'<td class="num">{_size(sum(f.bytes for f in members))}</td></tr>')
    out.append("</table><details><summary>Every file with its SHA-256</summary><table>"
               '<tr><th>file</th><th class="num">bytes</th><th>SHA-256</th></tr>')
    for f in sorted(sheet.files, key=lambda f: f.path):
        out.append(f'<tr><td>{_link(sheet, f.path, f.path)}</td><td class="num">{f.bytes}</td>'
                   f"<td><code>{e(f.sha256 or '')}</code></td></tr>")
    out.append("</table></details></section></main>")
    # no clock time here: a resumed archive's sheet is byte for byte an uninterrupted run's
    # (the manifest and the process log say when it was made)
    out.append(f"<footer>{e(sheet.copyright)} · {e(sheet.title)}</footer></body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")
