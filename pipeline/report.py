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

This module gathers what the page shows; the markup, styles and script are the Jinja2
template ``pipeline/resources/report/report.html.j2`` and its ``report.css.j2`` and
``report.js``, inlined into the page.  The highlights themselves come from
:mod:`pipeline.highlight` (shared with ``Result._repr_html_`` in notebooks).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from markupsafe import Markup

from .api import load_manifest, load_tables
from .highlight import (LABEL_COLOURS, Span, clean, entity_span, fact_span, fmt_number, render_snippet,
                        render_spans, templates)

__all__ = ["LABEL_COLOURS", "build_report", "fmt_number", "render_snippet", "write_report"]

LABEL_NAMES = {"PLACE": "地名 place", "PERSON": "人名 person", "COMPANY": "企业 company",
               "GOV": "政府机关 government", "ORG": "其他机构 organisation"}

ENTITY_FIELDS = ["text", "label", "canonical", "method", "province", "city", "county", "adcode",
                 "entity_id", "start", "end"]
FACT_FIELDS = ["text", "value", "unit", "kind", "bound", "value_low", "value_high", "base_value", "base_unit",
               "subject", "entity", "entity_id", "time", "time_start", "time_end", "place", "start", "end",
               "sentence"]


def _rows(df) -> list[dict]:
    if df is None or len(df) == 0:
        return []
    return [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def _json_for_script(obj: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``)."""
    s = json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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
                make = entity_span if kind == "e" else fact_span
                spans.append(make(r, r["start"] - s0, r["end"] - s0, f"{kind}:{r['_i']}", seq))
        spans += _markdown_spans(text, seq)
    else:
        text = doc.get("text") or ""
        if note is None:
            note = "source file not found; article shown from documents.text with highlights placed by text search"
        for kind, recs in (("e", ents), ("f", facts)):
            make = entity_span if kind == "e" else fact_span
            for r, a, b in _place_by_search(text, recs):
                seq += 1
                spans.append(make(r, a, b, f"{kind}:{r['_i']}", seq))
    return render_spans(text, spans), note


# --------------------------------------------------------------------------- page

def _fmt_date(v: Any) -> str:
    return "" if v is None else str(v)[:10]


def _sentence_parts(sentence: str | None, needle: str | None):
    """A fact's sentence for the facts table: ``(before, fact text, after)`` to mark the fact, or the
    sentence alone when the fact text is not in it, or ``None``."""
    if not sentence:
        return None
    if needle and needle in sentence:
        i = sentence.index(needle)
        return (sentence[:i], needle, sentence[i + len(needle):])
    return sentence


def _counts(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def build_report(out_dir: str | Path) -> str:
    """The review page of a run's output folder, as an HTML string (template ``resources/report/report.html.j2``)."""
    from . import __version__

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
    by_date = _counts(_fmt_date(d.get("date")) or "no date" for d in docs)
    by_label = _counts(e.get("label") or "OTHER" for e in ents)
    by_kind = _counts(f.get("kind") or "?" for f in facts)

    articles = []
    for d in docs:
        did = d["doc_id"]
        source_text = srcs.texts.get((src := d.get("source") or "", d.get("record")))
        article = {
            "doc_id": did, "status": d.get("status") or "ok", "toc_title": doc_title[did],
            "has_text": source_text is not None or bool(d.get("text")),
            "pre_title": d.get("pre_title"), "title": d.get("title"), "subtitle": d.get("subtitle"),
            "date": _fmt_date(d.get("date")), "reporters": "、".join(r for r in d.get("reporters") or [] if r),
            "where": src + (f" [{d['record']}]" if d.get("record") else "") + f" #{d.get('article_index')}",
            "n_entities": len(ents_by_doc.get(did, [])), "n_facts": len(facts_by_doc.get(did, [])),
            "fields": [(k, v) for k, v in (
                ("pre_title", d.get("pre_title")), ("title", d.get("title")), ("subtitle", d.get("subtitle")),
                ("byline", d.get("byline")), ("reporters", "、".join(d.get("reporters") or [])),
                ("date", _fmt_date(d.get("date"))), ("doc_id", did),
                ("source offsets", f"[{d.get('source_start')}, {d.get('source_end')})")) if v],
            "error": d.get("error"), "body": None, "note": None,
        }
        if article["has_text"]:
            body, article["note"] = _article_body(d, source_text, ents_by_doc.get(did, []), facts_by_doc.get(did, []))
            article["body"] = Markup(body)  # escaped by render_spans
        articles.append(article)

    fact_rows = []
    for f in sorted(facts, key=lambda f: (f.get("source") or "", f.get("start") or 0)):
        lo, hi = f.get("value_low"), f.get("value_high")
        ranged = (lo is not None or hi is not None) and not (lo == hi == f.get("value"))
        dated = f.get("time_start") or f.get("time_end")
        fact_rows.append({
            "i": f["_i"], **{k: f.get(k) for k in ("text", "unit", "kind", "bound", "subject", "entity", "time", "place")},
            "value": fmt_number(f.get("value")),
            "range": (fmt_number(lo) or "…", fmt_number(hi) or "…") if ranged else None,
            "period": (_fmt_date(f.get("time_start")) or "…", _fmt_date(f.get("time_end")) or "…") if dated else None,
            "sentence": _sentence_parts(f.get("sentence"), f.get("text")),
        })

    payload = {
        "entity_fields": ENTITY_FIELDS,
        "fact_fields": FACT_FIELDS,
        "entities": [{k: r.get(k) for k in ENTITY_FIELDS + ["doc_id"]} for r in ents],
        "facts": [{k: r.get(k) for k in FACT_FIELDS + ["doc_id"]} for r in facts],
        "docs": doc_title,
    }
    created = manifest.get("created", "")
    return templates().get_template("report.html.j2").render(
        out_name=out_dir.name, out_dir=str(out_dir), config_path=manifest.get("config_path"),
        stages=", ".join(manifest.get("stages") or []), created=created[:19].replace("T", " "),
        version=manifest.get("version") or __version__,
        counts=[(name, len(tables[name])) for name in
                ("documents", "sentences", "tokens", "entities", "officials", "facts", "errors")
                if name != "tokens" or len(tables[name])],
        ok=sum(d.get("status") == "ok" for d in docs),
        failed=[d for d in docs if d.get("status") != "ok"],
        by_date=", ".join(f"{k} ({v})" for k, v in sorted(by_date.items())),
        by_label=", ".join(f"{k} {v}" for k, v in sorted(by_label.items())),
        by_kind=", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())),
        errors=errors[:500], errors_total=len(errors),
        missing=list(srcs.missing.items()),
        legend=[{"label": label, "css": label if label in LABEL_COLOURS else "OTHER",
                 "name": LABEL_NAMES.get(label, ""), "count": by_label.get(label, 0)}
                for label in list(LABEL_COLOURS) + sorted(set(by_label) - set(LABEL_COLOURS))],
        articles=articles,
        officials=[{"person": o.get("person"), "doc_id": o.get("doc_id"),
                    "doc_title": doc_title.get(o.get("doc_id"), o.get("doc_id")),
                    "titles": "；".join(t for t in (o.get("titles") or []) if t),
                    "orgs": "；".join(t for t in (o.get("orgs") or []) if t)} for o in officials],
        facts=fact_rows, kinds=sorted(by_kind.items()),
        records_json=Markup(_json_for_script(payload)),
    ) + "\n"


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
