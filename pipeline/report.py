"""The HTML review page of a run (``extract report OUT_DIR``).

One self-contained file (inline CSS and JavaScript, no fonts or scripts from the
network) that an analyst opens in a browser:

- a summary: rows per table, documents ok/failed, every failed document with its error;
- each article with its title, subtitle, byline and date, and its text rendered
  from the *source* slice ``[source_start, source_end)`` so that entity and fact
  spans, which carry source offsets, are placed exactly; entities are coloured by
  label (legend at the top, click a label to hide it), facts are boxed;
- hovering or clicking a highlight shows the record's normalised fields in the
  side panel (canonical name, division codes, method; value, unit, kind, bound,
  subject, entity, time range ...);
- tables of officials and of facts (with their sentences).

Every highlight is a ``<span class="zx-hl">`` with ``data-kind`` (``entity`` or
``fact``), ``data-label`` (the entity label, ``FACT`` for facts), ``data-text``,
``data-start``/``data-end`` (source offsets), ``data-doc`` and ``data-rid`` (the
key of its record in the page's JSON), for tests and scripts.

If a source file cannot be found (moved since the run), the article is rendered
from ``documents.text`` with spans placed by text search, and the page says so.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["LABEL_COLOURS", "build_report", "render_snippet", "write_report"]

#: Highlight colours per entity label: (background, border/legend colour).
LABEL_COLOURS: dict[str, tuple[str, str]] = {
    "PLACE": ("#dcfce7", "#16a34a"),
    "PERSON": ("#ffe4e6", "#e11d48"),
    "COMPANY": ("#dbeafe", "#2563eb"),
    "GOV": ("#fee2e2", "#b91c1c"),
    "ORG": ("#ede9fe", "#7c3aed"),
}
_OTHER_COLOUR = ("#f1f5f9", "#64748b")
LABEL_NAMES = {"PLACE": "地名 place", "PERSON": "人名 person", "COMPANY": "企业 company",
               "GOV": "政府机关 government", "ORG": "其他机构 organisation"}

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')

ENTITY_FIELDS = ["text", "label", "canonical", "method", "province", "city", "county", "adcode",
                 "entity_id", "start", "end"]
FACT_FIELDS = ["text", "value", "unit", "kind", "bound", "value_low", "value_high", "base_value", "base_unit",
               "subject", "entity", "entity_id", "time", "time_start", "time_end", "place", "start", "end",
               "sentence"]


# --------------------------------------------------------------------------- values

def _clean(v: Any) -> Any:
    """A JSON-able plain value: NaN/NA/NaT -> None, arrays -> lists, dates -> ISO strings."""
    if v is None:
        return None
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if hasattr(v, "isoformat"):  # pandas Timestamp
        try:
            return v.isoformat()
        except ValueError:  # NaT
            return None
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, (int, str, bool)):
        return v
    return str(v)


def _rows(df) -> list[dict]:
    if df is None or len(df) == 0:
        return []
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def fmt_number(v: Any) -> str:
    """``6835.0`` -> ``6,835``; ``0.125`` -> ``0.125``; None -> ``""``."""
    if v is None:
        return ""
    if isinstance(v, (int, float)):
        if isinstance(v, float) and math.isnan(v):
            return ""
        if float(v).is_integer() and abs(v) < 1e18:
            return f"{int(v):,}"
        return f"{v:,.6g}"
    return str(v)


def _json_for_script(obj: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``)."""
    s = json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# --------------------------------------------------------------------------- highlighting

@dataclass(order=True)
class Span:
    """A half-open range ``[start, end)`` to wrap in an element (offsets of the rendered text)."""

    start: int
    neg_end: int  # -end: longer spans open first at the same start
    priority: int  # lower opens first (outer) when ranges are equal
    seq: int
    open_tag: str = field(compare=False)
    close_tag: str = field(compare=False)
    part: int = field(default=0, compare=False)

    @property
    def end(self) -> int:
        return -self.neg_end


def _emit(text: str, collapse: bool) -> str:
    if collapse:
        text = re.sub(r"\n[ \t\u3000]*(?:\n[ \t\u3000]*){2,}", "\n\n", text)
    return html.escape(text, quote=False)


def render_spans(text: str, spans: Iterable[Span], collapse_blank_lines: bool = True) -> str:
    """Escape ``text`` and wrap the spans in their tags, properly nested.

    A span that crosses the end of an enclosing one is split in two (both parts
    carry the same attributes, the second with ``data-part``), so the markup is
    always well formed whatever the spans.
    """
    heap = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    heapq.heapify(heap)
    out: list[str] = []
    stack: list[Span] = []
    pos = 0
    seq = 10 ** 9
    while heap:
        span = heapq.heappop(heap)
        while stack and stack[-1].end <= span.start:
            top = stack.pop()
            out.append(_emit(text[pos:top.end], collapse_blank_lines))
            out.append(top.close_tag)
            pos = top.end
        out.append(_emit(text[pos:span.start], collapse_blank_lines))
        pos = span.start
        if stack and span.end > stack[-1].end:  # crosses the enclosing span: split it
            cut = stack[-1].end
            seq += 1
            rest_open = span.open_tag.replace("<span ", '<span data-part="2" ', 1)
            heapq.heappush(heap, Span(cut, -span.end, span.priority, seq, rest_open, span.close_tag, 2))
            span = Span(span.start, -cut, span.priority, span.seq, span.open_tag, span.close_tag, 1)
        out.append(span.open_tag)
        stack.append(span)
    while stack:
        top = stack.pop()
        out.append(_emit(text[pos:top.end], collapse_blank_lines))
        out.append(top.close_tag)
        pos = top.end
    out.append(_emit(text[pos:], collapse_blank_lines))
    return "".join(out)


def _entity_tip(e: Mapping) -> str:
    parts = [e.get("label") or ""]
    for k in ("canonical", "province", "city", "county", "adcode", "method"):
        if e.get(k):
            parts.append(f"{k}={e[k]}")
    return " · ".join(parts)


def _fact_tip(f: Mapping) -> str:
    parts = [f"{f.get('kind') or 'fact'}: {fmt_number(f.get('value'))}{f.get('unit') or ''} ({f.get('bound') or ''})"]
    for k in ("subject", "entity", "time", "place"):
        if f.get(k):
            parts.append(f"{k}={f[k]}")
    return " · ".join(parts)


def _entity_span(e: Mapping, start: int, end: int, rid: str, seq: int) -> Span:
    label = e.get("label") or "OTHER"
    attrs = (f'class="zx-hl zx-ent zx-{_esc(label)}" data-kind="entity" data-label="{_esc(label)}" '
             f'data-text="{_esc(e.get("text"))}" data-start="{_esc(e.get("start"))}" data-end="{_esc(e.get("end"))}" '
             f'data-doc="{_esc(e.get("doc_id"))}" data-rid="{rid}" data-canonical="{_esc(e.get("canonical"))}" '
             f'data-adcode="{_esc(e.get("adcode"))}" title="{_esc(_entity_tip(e))}"')
    return Span(start, -end, 2, seq, f"<span {attrs}>", "</span>")


def _fact_span(f: Mapping, start: int, end: int, rid: str, seq: int) -> Span:
    attrs = (f'class="zx-hl zx-fact" data-kind="fact" data-label="FACT" data-fact-kind="{_esc(f.get("kind"))}" '
             f'data-text="{_esc(f.get("text"))}" data-start="{_esc(f.get("start"))}" data-end="{_esc(f.get("end"))}" '
             f'data-doc="{_esc(f.get("doc_id"))}" data-rid="{rid}" data-value="{_esc(_clean(f.get("value")))}" '
             f'data-unit="{_esc(f.get("unit"))}" title="{_esc(_fact_tip(f))}"')
    return Span(start, -end, 1, seq, f"<span {attrs}>", "</span>")


def _markdown_spans(text: str, seq0: int) -> list[Span]:
    """Heading lines (``# ...``) of a source slice, and their dimmed ``#`` markers."""
    spans = []
    seq = seq0
    for m in re.finditer(r"(?m)^(#{1,6}[ \t]+)(.*)$", text):
        level = len(m.group(1).strip())
        seq += 1
        spans.append(Span(m.start(), -m.end(), 0, seq, f'<span class="zx-md-h zx-md-h{min(level, 3)}">', "</span>"))
        seq += 1
        spans.append(Span(m.start(1), -m.end(1), 0, seq, '<span class="zx-md">', "</span>"))
    return spans


# --------------------------------------------------------------------------- sources

@dataclass
class _Sources:
    texts: dict[tuple[str, str | None], str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def _candidate_bases(out_dir: Path, manifest: Mapping) -> list[Path]:
    bases: list[Path] = []
    if manifest.get("base_dir"):
        bases.append(Path(manifest["base_dir"]))
    cp = manifest.get("config_path")
    if cp:
        p = Path(cp)
        bases += [p.parent] if p.is_absolute() else [Path.cwd() / p.parent, out_dir.parent / p.parent]
    bases += [out_dir, out_dir.parent, Path.cwd()]
    seen, out = set(), []
    for b in bases:
        try:
            key = b.resolve()
        except OSError:
            continue
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load_sources(out_dir: Path, manifest: Mapping, sources: Iterable[str]) -> _Sources:
    """Decoded text of every source (per record for jsonl/csv/parquet), found next to the run."""
    from . import registry
    from .config import InputSettings

    found = _Sources()
    cfg_input = dict((manifest.get("config") or {}).get("input") or {})
    cfg_input.setdefault("paths", ["."])
    try:
        settings = InputSettings(**cfg_input)
    except Exception:  # noqa: BLE001 - an older/newer manifest: fall back to defaults
        settings = InputSettings(paths=["."])
    hashes = {i.get("source"): i.get("sha256") for i in manifest.get("inputs") or [] if i.get("source")}
    bases = _candidate_bases(out_dir, manifest)
    for source in sorted(set(sources)):
        p = Path(source)
        candidates = [p] if p.is_absolute() else [b / p for b in bases]
        path = None
        for c in candidates:
            if c.is_file():
                want = hashes.get(source)
                if want and _sha256(c) != want:
                    continue
                path = c
                break
        if path is None:
            found.missing[source] = "source file not found (or changed since the run)"
            continue
        fmt = settings.format if settings.format != "auto" else path.suffix.lower().lstrip(".")
        try:
            reader = registry.get("readers", fmt)
            for rec in reader(path, source, settings):
                if rec.text is not None:
                    found.texts[(source, rec.record)] = rec.text
        except Exception as exc:  # noqa: BLE001 - shown on the page, never fatal
            found.missing[source] = f"cannot read: {exc}"
            continue
        found.paths[source] = str(path)
    return found


# --------------------------------------------------------------------------- articles

def _place_by_search(text: str, records: list[dict]) -> list[tuple[dict, int, int]]:
    """Approximate placement of records in ``text`` by their text, in source order."""
    placed, cursor = [], 0
    for r in sorted(records, key=lambda r: (r.get("start") or 0, -(r.get("end") or 0))):
        needle = r.get("text") or ""
        if not needle:
            continue
        i = text.find(needle, cursor)
        if i < 0:
            i = text.find(needle)
        if i < 0:
            continue
        placed.append((r, i, i + len(needle)))
        cursor = i
    return placed


def _article_body(doc: dict, source_text: str | None, ents: list[dict], facts: list[dict]) -> tuple[str, str | None]:
    """HTML of one article's text with highlights, and a note if placement is approximate."""
    seq = 0
    spans: list[Span] = []
    note = None
    s0, s1 = doc.get("source_start") or 0, doc.get("source_end") or 0
    exact = source_text is not None and 0 <= s0 <= s1 <= len(source_text)
    if exact:
        def offset(r: dict, key: str) -> int:  # 0 is an offset like any other (not "missing")
            v = r.get(key)
            return -1 if v is None else int(v)

        bad = [r for r in ents + facts
               if not (s0 <= offset(r, "start") <= offset(r, "end") <= s1
                       and source_text[r["start"]:r["end"]] == (r.get("text") or ""))]
        if bad:
            exact = False
            note = (f"{len(bad)} span(s) do not match the source file's text at their offsets "
                    "(the file changed since the run?); highlights placed by text search")
    if exact:
        # from the start of the first line, so that a heading's "# " marker is part of it
        line_start = source_text.rfind("\n", 0, s0) + 1
        if source_text[line_start:s0].strip(" \t#\u3000") == "":
            s0 = line_start
        text = source_text[s0:s1]
        for kind, recs in (("e", ents), ("f", facts)):
            for r in recs:
                seq += 1
                make = _entity_span if kind == "e" else _fact_span
                spans.append(make(r, r["start"] - s0, r["end"] - s0, f"{kind}:{r['_i']}", seq))
        spans += _markdown_spans(text, seq)
    else:
        text = doc.get("text") or ""
        if note is None:
            note = "source file not found; article shown from documents.text with highlights placed by text search"
        for kind, recs in (("e", ents), ("f", facts)):
            make = _entity_span if kind == "e" else _fact_span
            for r, a, b in _place_by_search(text, recs):
                seq += 1
                spans.append(make(r, a, b, f"{kind}:{r['_i']}", seq))
    return render_spans(text, spans), note


# --------------------------------------------------------------------------- page

_CSS = """
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--accent:#0f766e}
*{box-sizing:border-box}
body{margin:0;font-family:FONTS;color:var(--fg);background:var(--bg);line-height:1.7;font-size:15px}
header.zx-top{background:#0f172a;color:#f8fafc;padding:14px 24px}
header.zx-top h1{margin:0;font-size:20px;font-weight:600}
header.zx-top .zx-meta{color:#cbd5e1;font-size:12.5px;margin-top:2px;word-break:break-all}
.zx-layout{display:grid;grid-template-columns:minmax(0,1fr) 340px;gap:20px;padding:16px 24px;max-width:1500px;margin:0 auto}
main{min-width:0}
aside#zx-panel{position:sticky;top:12px;align-self:start;max-height:calc(100vh - 24px);overflow:auto;
  background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;font-size:13.5px}
aside#zx-panel h2{font-size:15px;margin:0 0 6px}
.zx-card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin-bottom:16px}
.zx-card h2{font-size:17px;margin:0 0 8px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600;position:sticky;top:0}
td.zx-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.zx-counts{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}
.zx-count{border:1px solid var(--line);border-radius:8px;padding:4px 10px;background:#f8fafc}
.zx-count b{font-size:17px;margin-right:4px}
.zx-bad{color:#b91c1c}
.zx-ok{color:#15803d}
.zx-legend{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:13.5px}
.zx-legend label{cursor:pointer;user-select:none;display:inline-flex;align-items:center;gap:4px}
.zx-toc{columns:2;font-size:13.5px;margin:0;padding-left:20px}
article.zx-article .zx-pre{color:var(--muted);font-size:13.5px}
article.zx-article h2.zx-title{font-size:19px;margin:2px 0}
article.zx-article .zx-sub{color:#374151;font-size:14.5px}
article.zx-article .zx-byline{color:var(--muted);font-size:13px;margin:4px 0 8px}
.zx-status{font-size:12px;border-radius:6px;padding:1px 6px;margin-left:6px}
.zx-status.ok{background:#dcfce7;color:#166534}.zx-status.failed{background:#fee2e2;color:#991b1b}
.zx-note{background:#fef9c3;border:1px solid #fde047;border-radius:6px;padding:4px 8px;font-size:13px;margin:6px 0}
.zx-text{white-space:pre-wrap;word-break:break-word;font-size:15.5px;line-height:1.95;margin:0;font-family:inherit}
.zx-md{color:#cbd5e1;font-size:12px}
.zx-md-h{font-weight:600}.zx-md-h1{font-size:20px;line-height:1.6}.zx-md-h2{font-size:15.5px;color:#374151}
details.zx-fields{font-size:13px;color:var(--muted);margin:-4px 0 6px}details.zx-fields summary{cursor:pointer}
.zx-hl{border-radius:3px;padding:1px 0;cursor:pointer;border-bottom:2px solid transparent}
.zx-hl.zx-sel{outline:2px solid #0f172a;outline-offset:1px}
.zx-fact{background:#fef3c7;border:1.5px dashed #d97706;border-radius:4px;padding:0 1px;font-weight:600}
.zx-swatch{display:inline-block;min-width:1.2em;padding:0 6px;border-radius:3px}
.zx-kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0 10px}
.zx-kv dt{color:var(--muted)}.zx-kv dd{margin:0;word-break:break-word}
.zx-rec{border-top:1px solid var(--line);padding-top:6px;margin-top:6px}
.zx-rec-h{font-weight:600}
.zx-empty{color:var(--muted);font-style:italic}
mark.zx-in-sent{background:#fde68a;padding:0 1px}
#zx-facts tbody tr:first-child td{border-bottom:none;padding-bottom:0}
.zx-nw{white-space:nowrap}
td.zx-sent{color:#4b5563;font-size:13px;padding-left:2em;padding-bottom:8px}
tbody.zx-row{cursor:pointer}tbody.zx-row:hover{background:#f8fafc}
.zx-flash{animation:zxflash 1.2s ease-out 1}
@keyframes zxflash{0%{box-shadow:0 0 0 6px #f59e0b}100%{box-shadow:0 0 0 0 transparent}}
select{font:inherit}
@media (max-width:900px){.zx-layout{grid-template-columns:1fr}aside#zx-panel{position:static;max-height:none}}
"""


def _label_css() -> str:
    out = []
    for label, (bg, fg) in list(LABEL_COLOURS.items()) + [("OTHER", _OTHER_COLOUR)]:
        out.append(f".zx-{label}{{background:{bg};border-bottom-color:{fg}}}")
        out.append(f".zx-hide-{label} .zx-{label}{{background:none;border-bottom-color:transparent}}")
    out.append(".zx-hide-FACT .zx-fact{background:none;border-color:transparent;font-weight:inherit}")
    return "\n".join(out)


_JS = r"""
(function(){
  "use strict";
  var data = JSON.parse(document.getElementById("zx-records").textContent);
  var panel = document.getElementById("zx-panel-body");
  var pinned = null;
  var ENT = data.entity_fields, FACT = data.fact_fields;
  function fmt(k, v){
    if (v === null || v === undefined || v === "") return null;
    if (Array.isArray(v)) return v.filter(function(x){return x!==null;}).join("；");
    if (typeof v === "number" && /^(value|value_low|value_high|base_value)$/.test(k)) {
      return Number.isInteger(v) ? v.toLocaleString("en-US") : String(v);
    }
    return String(v);
  }
  function record(el){
    var rid = el.getAttribute("data-rid") || "";
    var kind = rid.charAt(0), i = parseInt(rid.slice(2), 10);
    var rec = (kind === "e" ? data.entities : data.facts)[i];
    return rec ? {kind: kind, rec: rec} : null;
  }
  function block(item){
    var div = document.createElement("div");
    div.className = "zx-rec";
    var h = document.createElement("div");
    h.className = "zx-rec-h";
    var sw = document.createElement("span");
    if (item.kind === "e") {
      sw.className = "zx-swatch zx-" + (item.rec.label || "OTHER");
      sw.textContent = item.rec.label || "?";
    } else {
      sw.className = "zx-swatch zx-fact";
      sw.textContent = "FACT " + (item.rec.kind || "");
    }
    h.appendChild(sw);
    h.appendChild(document.createTextNode(" " + (item.rec.text || "")));
    div.appendChild(h);
    var dl = document.createElement("dl");
    dl.className = "zx-kv";
    var fields = item.kind === "e" ? ENT : FACT;
    fields.forEach(function(k){
      if (k === "text") return;
      var v = fmt(k, item.rec[k]);
      if (k === "time_start" && (item.rec.time_start || item.rec.time_end)) {
        v = (item.rec.time_start || "…") + " – " + (item.rec.time_end || "…"); k = "time range";
      } else if (k === "time_end") return;
      if (k === "start") { v = "[" + item.rec.start + ", " + item.rec.end + ")"; k = "source offsets"; }
      else if (k === "end") return;
      if (v === null) return;
      var dt = document.createElement("dt"); dt.textContent = k;
      var dd = document.createElement("dd"); dd.textContent = v;
      dl.appendChild(dt); dl.appendChild(dd);
    });
    div.appendChild(dl);
    return div;
  }
  function show(el){
    var items = [], cur = el;
    while (cur && cur.classList) {
      if (cur.classList.contains("zx-hl")) { var r = record(cur); if (r) items.push(r); }
      cur = cur.parentNode;
    }
    panel.textContent = "";
    panel.className = "";
    if (!items.length) { panel.textContent = "—"; return; }
    items.forEach(function(it){ panel.appendChild(block(it)); });
    var doc = data.docs[el.getAttribute("data-doc")];
    if (doc) {
      var p = document.createElement("div");
      p.className = "zx-empty";
      p.textContent = "article: " + doc;
      panel.appendChild(p);
    }
  }
  document.addEventListener("mouseover", function(ev){
    var el = ev.target.closest ? ev.target.closest(".zx-hl") : null;
    if (el && !pinned) show(el);
  });
  document.addEventListener("click", function(ev){
    var el = ev.target.closest ? ev.target.closest(".zx-hl") : null;
    if (el) {
      if (pinned) pinned.classList.remove("zx-sel");
      if (pinned === el) { pinned = null; return; }
      pinned = el; el.classList.add("zx-sel"); show(el);
      return;
    }
    var row = ev.target.closest ? ev.target.closest("[data-target]") : null;
    if (row) {
      var target = document.querySelector('[data-rid="' + row.getAttribute("data-target") + '"]');
      if (target) {
        target.scrollIntoView({block: "center"});
        target.classList.remove("zx-flash"); void target.offsetWidth; target.classList.add("zx-flash");
        if (pinned) pinned.classList.remove("zx-sel");
        pinned = target; target.classList.add("zx-sel"); show(target);
      }
    }
  });
  document.querySelectorAll("input[data-toggle]").forEach(function(box){
    box.addEventListener("change", function(){
      document.body.classList.toggle("zx-hide-" + box.getAttribute("data-toggle"), !box.checked);
    });
  });
  var sel = document.getElementById("zx-fact-kind");
  if (sel) sel.addEventListener("change", function(){
    var k = sel.value;
    document.querySelectorAll("#zx-facts tbody").forEach(function(tb){
      tb.style.display = (!k || tb.getAttribute("data-fact-kind") === k) ? "" : "none";
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def _fmt_date(v: Any) -> str:
    return "" if v is None else str(v)[:10]


def _sentence_html(sentence: str | None, needle: str | None) -> str:
    if not sentence:
        return ""
    if needle and needle in sentence:
        i = sentence.index(needle)
        return (_esc(sentence[:i]) + f'<mark class="zx-in-sent">{_esc(needle)}</mark>'
                + _esc(sentence[i + len(needle):]))
    return _esc(sentence)


def build_report(out_dir: str | Path) -> str:
    """The review page of a run's output folder, as an HTML string."""
    from . import __version__
    from .api import load_manifest, load_tables

    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    tables = load_tables(out_dir)
    docs = _rows(tables["documents"])
    ents = _rows(tables["entities"])
    facts = _rows(tables["facts"])
    officials = _rows(tables["officials"])
    errors = _rows(tables["errors"])
    for i, r in enumerate(ents):
        r["_i"] = i
    for i, r in enumerate(facts):
        r["_i"] = i
    docs.sort(key=lambda d: (d.get("source") or "", d.get("record") or "", d.get("article_index") or 0))
    srcs = _load_sources(out_dir, manifest, [d["source"] for d in docs if d.get("source")])
    ents_by_doc: dict[str, list[dict]] = {}
    for r in ents:
        ents_by_doc.setdefault(r.get("doc_id"), []).append(r)
    facts_by_doc: dict[str, list[dict]] = {}
    for r in facts:
        facts_by_doc.setdefault(r.get("doc_id"), []).append(r)
    doc_title = {d["doc_id"]: d.get("title") or d.get("pre_title") or f"{d.get('source')} #{d.get('article_index')}"
                 for d in docs}

    ok = sum(d.get("status") == "ok" for d in docs)
    failed = [d for d in docs if d.get("status") != "ok"]
    h: list[str] = []
    w = h.append
    w("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
    w(f"<title>zh-extract review — {_esc(out_dir.name)}</title>\n")
    w("<style>" + _CSS.replace("FONTS", FONT_STACK) + _label_css() + "</style>\n</head>\n<body>\n")

    created = manifest.get("created", "")
    w('<header class="zx-top"><h1>zh-extract 审阅 · review</h1><div class="zx-meta">')
    w(f"output <b>{_esc(out_dir)}</b>")
    if manifest.get("config_path"):
        w(f" · config {_esc(manifest['config_path'])}")
    if manifest.get("stages"):
        w(f" · stages {_esc(', '.join(manifest['stages']))}")
    if created:
        w(f" · run {_esc(created[:19].replace('T', ' '))} UTC")
    w(f" · zh-extract {_esc(manifest.get('version') or __version__)}</div></header>\n")
    w('<div class="zx-layout"><main>\n')

    # -- summary
    w('<section class="zx-card" id="zx-summary"><h2>概览 Summary</h2><div class="zx-counts">')
    for name in ("documents", "sentences", "tokens", "entities", "officials", "facts", "errors"):
        n = len(tables[name])
        if name == "tokens" and not n:
            continue
        w(f'<span class="zx-count" data-table="{name}" data-rows="{n}"><b>{n:,}</b>{name}</span>')
    w("</div>")
    w(f'<div>documents: <span class="zx-ok">{ok} ok</span>, '
      f'<span class="{"zx-bad" if failed else "zx-ok"}">{len(failed)} failed</span>')
    dates: dict[str, int] = {}
    for d in docs:
        dates[_fmt_date(d.get("date")) or "no date"] = dates.get(_fmt_date(d.get("date")) or "no date", 0) + 1
    if dates:
        w(" · by date: " + ", ".join(f"{_esc(k)} ({v})" for k, v in sorted(dates.items())))
    w("</div>")
    by_label: dict[str, int] = {}
    for e in ents:
        by_label[e.get("label") or "OTHER"] = by_label.get(e.get("label") or "OTHER", 0) + 1
    if by_label:
        w("<div>entities by label: " + ", ".join(f"{_esc(k)} {v}" for k, v in sorted(by_label.items())) + "</div>")
    by_kind: dict[str, int] = {}
    for f in facts:
        by_kind[f.get("kind") or "?"] = by_kind.get(f.get("kind") or "?", 0) + 1
    if by_kind:
        w("<div>facts by kind: " + ", ".join(f"{_esc(k)} {v}" for k, v in sorted(by_kind.items())) + "</div>")
    if failed:
        w('<h3 class="zx-bad">Failed documents</h3><table id="zx-failed"><thead><tr><th>source</th><th>record</th>'
          "<th>article</th><th>error</th></tr></thead><tbody>")
        for d in failed:
            w(f'<tr data-doc="{_esc(d.get("doc_id"))}"><td>{_esc(d.get("source"))}</td><td>{_esc(d.get("record"))}</td>'
              f'<td class="zx-num">{_esc(d.get("article_index"))}</td><td class="zx-bad">{_esc(d.get("error"))}</td></tr>')
        w("</tbody></table>")
    if errors:
        w(f"<h3>Errors ({len(errors)})</h3><table id=\"zx-errors\"><thead><tr><th>source</th><th>stage</th>"
          "<th>type</th><th>message</th></tr></thead><tbody>")
        for e in errors[:500]:
            w(f"<tr><td>{_esc(e.get('source'))}</td><td>{_esc(e.get('stage'))}</td><td>{_esc(e.get('error_type'))}</td>"
              f"<td>{_esc(e.get('message'))}</td></tr>")
        w("</tbody></table>")
        if len(errors) > 500:
            w(f"<p class=\"zx-empty\">… {len(errors) - 500} more in the errors table</p>")
    if srcs.missing:
        w('<div class="zx-note">' + "<br>".join(f"{_esc(s)}: {_esc(m)}" for s, m in srcs.missing.items()) + "</div>")
    w("</section>\n")

    # -- legend + contents
    w('<section class="zx-card" id="zx-legend"><h2>图例 Legend</h2><div class="zx-legend">')
    labels = list(LABEL_COLOURS) + sorted(set(by_label) - set(LABEL_COLOURS))
    for label in labels:
        w(f'<label><input type="checkbox" checked data-toggle="{_esc(label)}"> '
          f'<span class="zx-swatch zx-{_esc(label if label in LABEL_COLOURS else "OTHER")}" data-legend="{_esc(label)}">'
          f"{_esc(label)}</span> {_esc(LABEL_NAMES.get(label, ''))} ({by_label.get(label, 0)})</label>")
    w('<label><input type="checkbox" checked data-toggle="FACT"> <span class="zx-swatch zx-fact" data-legend="FACT">'
      f"12.5亿元</span> 数值事实 fact ({len(facts)})</label>")
    w('</div><p class="zx-empty" style="margin:6px 0 0">Hover or click a highlight to see its normalised fields; '
      "untick a label to hide it.</p>")
    if docs:
        w('<ol class="zx-toc">')
        for d in docs:
            w(f'<li><a href="#doc-{_esc(d["doc_id"])}">{_esc(doc_title[d["doc_id"]])}</a></li>')
        w("</ol>")
    w("</section>\n")

    # -- articles
    for d in docs:
        did = d["doc_id"]
        status = d.get("status") or "ok"
        w(f'<article class="zx-card zx-article" id="doc-{_esc(did)}" data-doc-id="{_esc(did)}" data-status="{_esc(status)}">')
        source_text = srcs.texts.get((src := d.get("source") or "", d.get("record")))
        has_text = source_text is not None or bool(d.get("text"))
        if not has_text:  # nothing to render: show the parsed header fields instead
            if d.get("pre_title"):
                w(f'<div class="zx-pre">{_esc(d["pre_title"])}</div>')
            w(f'<h2 class="zx-title">{_esc(d.get("title") or "(untitled)")}</h2>')
            if d.get("subtitle"):
                w(f'<div class="zx-sub">——{_esc(d["subtitle"])}</div>')
        meta = [f'<span class="zx-status {"ok" if status == "ok" else "failed"}">{_esc(status)}</span>',
                f"<b>日期 {_esc(_fmt_date(d.get('date')) or '—')}</b>"]
        if d.get("reporters"):
            meta.append("记者 " + _esc("、".join(r for r in d["reporters"] if r)))
        meta.append(_esc(src + (f" [{d['record']}]" if d.get("record") else "") + f" #{d.get('article_index')}"))
        meta.append(f"{len(ents_by_doc.get(did, []))} entities · {len(facts_by_doc.get(did, []))} facts")
        w(f'<div class="zx-byline">{" · ".join(meta)}</div>')
        fields = [("pre_title", d.get("pre_title")), ("title", d.get("title")), ("subtitle", d.get("subtitle")),
                  ("byline", d.get("byline")), ("reporters", "、".join(d.get("reporters") or [])),
                  ("date", _fmt_date(d.get("date"))), ("doc_id", did),
                  ("source offsets", f"[{d.get('source_start')}, {d.get('source_end')})")]
        w('<details class="zx-fields"><summary>parsed header fields</summary><dl class="zx-kv">'
          + "".join(f"<dt>{k}</dt><dd>{_esc(v)}</dd>" for k, v in fields if v) + "</dl></details>")
        if d.get("error"):
            w(f'<div class="zx-note zx-bad">{_esc(d["error"])}</div>')
        if has_text:
            body, note = _article_body(d, source_text, ents_by_doc.get(did, []), facts_by_doc.get(did, []))
            if note:
                w(f'<div class="zx-note">{_esc(note)}</div>')
            w(f'<div class="zx-text">{body}</div>')
        w("</article>\n")
    if not docs:
        w('<section class="zx-card"><p class="zx-empty">No documents in this run.</p></section>')

    # -- officials
    w(f'<section class="zx-card" id="zx-officials-card"><h2>官员与职务 Officials ({len(officials)})</h2>')
    if officials:
        w('<table id="zx-officials"><thead><tr><th>person</th><th>titles</th><th>organisations</th>'
          "<th>article</th></tr></thead><tbody>")
        for o in officials:
            titles = "；".join(t for t in (o.get("titles") or []) if t)
            orgs = "；".join(t for t in (o.get("orgs") or []) if t)
            did = o.get("doc_id")
            w(f'<tr data-person="{_esc(o.get("person"))}"><td>{_esc(o.get("person"))}</td><td>{_esc(titles)}</td>'
              f'<td>{_esc(orgs)}</td><td><a href="#doc-{_esc(did)}">{_esc(doc_title.get(did, did))}</a></td></tr>')
        w("</tbody></table>")
    else:
        w('<p class="zx-empty">none</p>')
    w("</section>\n")

    # -- facts
    w(f'<section class="zx-card" id="zx-facts-card"><h2>数值事实 Facts ({len(facts)})</h2>')
    if facts:
        w('<label>kind <select id="zx-fact-kind"><option value="">all</option>')
        for k in sorted(by_kind):
            w(f'<option value="{_esc(k)}">{_esc(k)} ({by_kind[k]})</option>')
        w("</select></label>")
        w('<table id="zx-facts"><thead><tr><th>text</th><th>value</th><th>unit</th><th>kind</th><th>bound</th>'
          "<th>subject</th><th>entity</th><th>time</th><th>place</th></tr></thead>")
        for f in sorted(facts, key=lambda f: (f.get("source") or "", f.get("start") or 0)):
            value = _esc(fmt_number(f.get("value")))
            lo, hi = f.get("value_low"), f.get("value_high")
            if (lo is not None or hi is not None) and not (lo == hi == f.get("value")):
                value += f'<br><small>{_esc(fmt_number(lo) or "…")} – {_esc(fmt_number(hi) or "…")}</small>'
            when = _esc(f.get("time"))
            if f.get("time_start") or f.get("time_end"):
                when += (f'<br><small><span class="zx-nw">{_esc(_fmt_date(f.get("time_start")) or "…")}</span> – '
                         f'<span class="zx-nw">{_esc(_fmt_date(f.get("time_end")) or "…")}</span></small>')
            w(f'<tbody class="zx-row" data-target="f:{f["_i"]}" data-fact-kind="{_esc(f.get("kind"))}"><tr>'
              f'<td><b>{_esc(f.get("text"))}</b></td><td class="zx-num">{value}</td><td>{_esc(f.get("unit"))}</td>'
              f'<td>{_esc(f.get("kind"))}</td><td>{_esc(f.get("bound"))}</td><td>{_esc(f.get("subject"))}</td>'
              f'<td>{_esc(f.get("entity"))}</td><td>{when}</td><td>{_esc(f.get("place"))}</td></tr>'
              f'<tr><td class="zx-sent" colspan="9">{_sentence_html(f.get("sentence"), f.get("text"))}</td></tr>'
              "</tbody>")
        w("</table>")
    else:
        w('<p class="zx-empty">none</p>')
    w("</section>\n")

    w('</main>\n<aside id="zx-panel"><h2>详情 Details</h2><div id="zx-panel-body" class="zx-empty">'
      "Hover or click a highlighted entity or fact.</div></aside></div>\n")

    payload = {
        "entity_fields": ENTITY_FIELDS,
        "fact_fields": FACT_FIELDS,
        "entities": [{k: r.get(k) for k in ENTITY_FIELDS + ["doc_id"]} for r in ents],
        "facts": [{k: r.get(k) for k in FACT_FIELDS + ["doc_id"]} for r in facts],
        "docs": doc_title,
    }
    w(f'<script type="application/json" id="zx-records">{_json_for_script(payload)}</script>\n')
    w(f"<script>{_JS}</script>\n</body>\n</html>\n")
    return "".join(h)


def write_report(out_dir: str | Path, html_path: str | Path | None = None) -> Path:
    """Write the review page of ``out_dir`` to ``html_path`` (default ``OUT_DIR/report.html``); returns the path."""
    out_dir = Path(out_dir)
    path = Path(html_path) if html_path is not None else out_dir / "report.html"
    page = build_report(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- notebooks

def render_snippet(text: str, entities: list[Mapping], facts: list[Mapping]) -> str:
    """HTML of ``text`` with entities and facts highlighted (offsets index ``text``), for Jupyter.

    Self-contained (scoped inline styles, no script); hover a highlight for its fields.
    """
    spans: list[Span] = []
    seq = 0
    for i, e in enumerate(entities):
        seq += 1
        spans.append(_entity_span(e, e["start"], e["end"], f"e:{i}", seq))
    for i, f in enumerate(facts):
        seq += 1
        spans.append(_fact_span(f, f["start"], f["end"], f"f:{i}", seq))
    css = "".join(
        f".zx-snippet .zx-{lab}{{background:{bg};border-bottom:2px solid {fg};border-radius:3px}}"
        for lab, (bg, fg) in list(LABEL_COLOURS.items()) + [("OTHER", _OTHER_COLOUR)])
    css += (".zx-snippet .zx-fact{background:#fef3c7;border:1.5px dashed #d97706;border-radius:4px;font-weight:600}"
            f".zx-snippet{{font-family:{FONT_STACK};white-space:pre-wrap;line-height:1.9}}"
            ".zx-snippet .zx-lg{font-size:12px;margin-right:6px;padding:0 4px}")
    legend = "".join(f'<span class="zx-lg zx-{lab}">{lab}</span>' for lab in LABEL_COLOURS)
    legend += '<span class="zx-lg zx-fact">FACT</span>'
    return (f'<div class="zx-snippet"><style>{css}</style><div style="white-space:normal">{legend}</div>'
            f"{render_spans(text, spans, collapse_blank_lines=False)}</div>")
