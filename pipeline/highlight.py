"""Entity and fact highlights as HTML, shared by the review page (:mod:`pipeline.report`)
and the Jupyter display of a result (``Result._repr_html_`` in :mod:`pipeline.api`).

:func:`render_spans` escapes a text and wraps spans in properly nested elements;
:func:`entity_span` / :func:`fact_span` make the ``<span class="zx-hl">`` of a record
(with its ``data-*`` attributes); :func:`render_snippet` is a text with its records
highlighted, for notebooks.  The page and snippet markup and styles are Jinja2
templates in ``pipeline/resources/report/`` (:func:`templates`).
"""
from __future__ import annotations

import datetime as dt
import functools
import heapq
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["FONT_STACK", "LABEL_COLOURS", "OTHER_COLOUR", "Span", "clean", "entity_span", "esc", "fact_span",
           "fmt_number", "render_snippet", "render_spans", "templates"]

#: Highlight colours per entity label: (background, border/legend colour).
LABEL_COLOURS: dict[str, tuple[str, str]] = {
    "PLACE": ("#dcfce7", "#16a34a"),
    "PERSON": ("#ffe4e6", "#e11d48"),
    "COMPANY": ("#dbeafe", "#2563eb"),
    "GOV": ("#fee2e2", "#b91c1c"),
    "ORG": ("#ede9fe", "#7c3aed"),
}
#: Colours of any other label.
OTHER_COLOUR = ("#f1f5f9", "#64748b")

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')

TEMPLATES = Path(__file__).resolve().parent / "resources" / "report"


@functools.lru_cache(maxsize=None)
def templates():
    """The Jinja2 environment of ``pipeline/resources/report/``.

    ``*.html.j2`` templates are autoescaped; other templates (``*.css.j2``) are not, as
    their output goes inside ``<style>``.  ``asset(name)`` inserts a file of that folder
    verbatim (the page's script).
    """
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,
        finalize=lambda v: "" if v is None else v,  # a missing field shows as nothing, not "None"
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = lambda name: Markup((TEMPLATES / name).read_text(encoding="utf-8"))
    env.globals["label_colours"] = list(LABEL_COLOURS.items()) + [("OTHER", OTHER_COLOUR)]
    env.globals["font_stack"] = FONT_STACK
    return env


# --------------------------------------------------------------------------- values

def clean(v: Any) -> Any:
    """A JSON-able plain value: NaN/NA/NaT -> None, arrays -> lists, dates -> ISO strings."""
    if v is None:
        return None
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
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


def esc(v: Any) -> str:
    """HTML-escaped text of ``v`` (quotes too; ``None`` -> ``""``)."""
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


def entity_span(e: Mapping, start: int, end: int, rid: str, seq: int) -> Span:
    """The highlight of entity row ``e`` over ``[start, end)``; ``rid`` keys its record in the page's JSON."""
    label = e.get("label") or "OTHER"
    attrs = (f'class="zx-hl zx-ent zx-{esc(label)}" data-kind="entity" data-label="{esc(label)}" '
             f'data-text="{esc(e.get("text"))}" data-start="{esc(e.get("start"))}" data-end="{esc(e.get("end"))}" '
             f'data-doc="{esc(e.get("doc_id"))}" data-rid="{rid}" data-canonical="{esc(e.get("canonical"))}" '
             f'data-adcode="{esc(e.get("adcode"))}" title="{esc(_entity_tip(e))}"')
    return Span(start, -end, 2, seq, f"<span {attrs}>", "</span>")


def fact_span(f: Mapping, start: int, end: int, rid: str, seq: int) -> Span:
    """The highlight of fact row ``f`` over ``[start, end)`` (inside any entity highlight at the same range)."""
    attrs = (f'class="zx-hl zx-fact" data-kind="fact" data-label="FACT" data-fact-kind="{esc(f.get("kind"))}" '
             f'data-text="{esc(f.get("text"))}" data-start="{esc(f.get("start"))}" data-end="{esc(f.get("end"))}" '
             f'data-doc="{esc(f.get("doc_id"))}" data-rid="{rid}" data-value="{esc(clean(f.get("value")))}" '
             f'data-unit="{esc(f.get("unit"))}" title="{esc(_fact_tip(f))}"')
    return Span(start, -end, 1, seq, f"<span {attrs}>", "</span>")


# --------------------------------------------------------------------------- notebooks

def render_snippet(text: str, entities: list[Mapping], facts: list[Mapping]) -> str:
    """HTML of ``text`` with entities and facts highlighted (offsets index ``text``), for Jupyter.

    Self-contained (scoped inline styles, no script); hover a highlight for its fields.
    """
    from markupsafe import Markup

    spans: list[Span] = []
    seq = 0
    for i, e in enumerate(entities):
        seq += 1
        spans.append(entity_span(e, e["start"], e["end"], f"e:{i}", seq))
    for i, f in enumerate(facts):
        seq += 1
        spans.append(fact_span(f, f["start"], f["end"], f"f:{i}", seq))
    body = Markup(render_spans(text, spans, collapse_blank_lines=False))
    return templates().get_template("snippet.html.j2").render(labels=list(LABEL_COLOURS), body=body)
