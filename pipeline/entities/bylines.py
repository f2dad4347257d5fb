"""Reporters and outlets of bylines in a plain text (when the layout stage did not find them)."""
from __future__ import annotations

import re

_ROLE_WORDS = re.compile(r"(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道)+$")


def _outlets(role: str) -> list[tuple[int, int]]:
    """Spans of the outlet names in a byline role (青岛日报/观海新闻记者)."""
    m = _ROLE_WORDS.search(role)
    body = role[: m.start()] if m else role
    out = []
    for mm in re.finditer(r"[^/／、\s]+", body):
        name = mm.group()
        # 本报驻巴黎记者: the outlet is 本报 (this paper: not an entity), 驻巴黎 its post
        name = name.split("驻", 1)[0] if "驻" in name[1:] else name
        if name in ("本报", "本刊", "本台", "本网", "本社", "综合"):
            continue
        out.append((mm.start(), mm.start() + len(name)))
    return out


def _find_bylines(text: str) -> tuple[list, list]:
    """Bylines in a plain text: lines starting with □■◇◆, else the datelines and credits
    of papers and agencies at its start and end (本报记者 X, （记者 X、Y）)."""
    from ..layout import find_credits, parse_byline

    reps, roles = [], []
    pos = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped[:1] in ("□", "■", "◇", "◆"):
            off = pos + len(line) - len(stripped)
            _, spans, role_spans = parse_byline(stripped)
            reps += [(off + s, off + e, n) for s, e, n in spans]
            roles += [(off + s, off + e, t) for s, e, t in role_spans]
        pos += len(line) + 1
    if not reps and not roles:
        credits = find_credits(text, 0)
        reps, roles = credits.reporter_spans, credits.role_spans
    return reps, roles
