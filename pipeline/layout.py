"""Newspaper page layout: split a printed page into articles and repair column breaks.

A page (as the sample in ``data/raw``) is a sequence of Markdown-like lines:
heading lines (``#``/``##``/``###``), bylines (``□青岛日报/观海新闻记者 周晓峰``),
datelines (``本报4月28日讯``) and body paragraphs separated by blank lines.  The
printed columns break words and numbers across lines (``“小`` / ``巨人”企业``,
``共达成交易60`` / ``余亿元``); a paragraph that does not end a sentence is
joined to the next one.

Every character of an article's repaired ``text`` keeps the offset of the source
character it came from (``Document.offsets``), so any span found later maps back
to the exact place in the source file.

A text without bylines is not a newspaper page: it is one document, normalised
but not re-flowed.  When it opens with short title lines (no sentence-final
punctuation) before its first paragraph -- an article as crawlers write it -- those
lines are its pre-title (``…——``, ``…：``), title (the one with a column tag such as
``（国际视点）``, else the main line) and subtitle (``——…``); metadata lines under them
(``2020-01-26 10:30 来源：新华网``) are part of the header and give the page's date.

Datelines and bylines of papers and agencies are read at the start of the body and
at its end (:func:`find_credits`): ``本报北京1月26日电（记者 刘志强）``,
``新华社北京1月5日电（记者 X、Y）``, ``据新华社电``, ``本报记者 X``, ``（记者 X）``,
``（本报记者 X 整理）``, ``（综合本报记者X、Y等报道）``, ``（执笔：X）``.

The date of a document is, in order: the date of its input record
(``input.date_column``), its dateline (resolved against a date in the file name,
else ``publication_date``), the date of a metadata line under its title, a date in
the file name (``pd20200126-…``, ``2020-01-26``), ``publication_date``; else unknown
(None).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .records import Document, OffsetMap

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)\s*$")
BYLINE = re.compile(r"^[□■◇◆]")
# outlet and role, then names; several roles may follow each other
BYLINE_ROLE = re.compile(
    r"(?P<title>[^\s□■◇◆]*?(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道))[ \t\u3000]*"
    r"(?P<names>[^□■◇◆]*?)(?=[ \t\u3000]*(?:[^\s□■◇◆]*?(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道))|[ \t\u3000]*$)"
)
_CJK = r"\u4e00-\u9fff"
# news outlets that print datelines and bylines: the deictic 本报 (this paper) and the
# agencies by name, else any name ending in a paper/agency/station word
_NAMED = "本报|本刊|本台|本网|本社|新华社|中新社|中通社|新华网|人民网|中新网|央视网|央广网|光明网"
OUTLET = (rf"(?:{_NAMED}|"
          rf"[{_CJK}]{{2,8}}?(?:日报|晚报|早报|晨报|时报|商报|报|新闻网|新闻社|通讯社|广播电视台|电视台|广播电台))")
_NAMED_OUTLETS = re.compile(rf"(?:{_NAMED})$")
_PLACES = rf"[{_CJK}]{{1,10}}?(?:[、·][{_CJK}]{{1,10}}?)*"
_CN_DIGITS = "〇零一二三四五六七八九十"
_DATE = (rf"(?:(?P<year>\d{{4}}|[{_CN_DIGITS}]{{4}})年)?(?:(?P<month>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})月)?"
         rf"(?P<day>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})日")
# 本报北京1月26日电, 新华社北京1月5日电, 据新华社电, 本报讯, 本报华盛顿、开罗1月2日电, 本报安卡拉电,
# 央视网消息：
DATELINE_OUTLET = re.compile(
    rf"^(?:据)?(?P<outlet>{OUTLET})(?:驻)?(?P<place>{_PLACES})??(?:{_DATE})?(?P<kind>电|讯|消息(?=[：:（(\s]))")
# 北京1月26日电 without an outlet: a date and a break after it are required
DATELINE_BARE = re.compile(rf"^(?P<place>[{_CJK}]{{1,10}}?)?{_DATE}(?P<kind>电|讯)(?=[\s（(：:]|$)")

# after 电/讯 without a date these start a word (通讯员, 电视台), not the body
_NOT_AFTER_KIND = set("员视台话脑影力网器子报")


def match_dateline(text: str, pos: int = 0) -> re.Match | None:
    """A dateline at ``text[pos:]`` (outlet, places, date, 电/讯), or None."""
    sub = text[pos:]
    m = DATELINE_OUTLET.match(sub)
    if m and not _NAMED_OUTLETS.match(m.group("outlet")) and (
            "本报" in m.group("outlet") or not m.group("day") and re.match(rf"[{_CJK}]", sub[m.end():m.end() + 1])):
        # 齐鲁晚报讯（…）, but not 会议通报讯息 nor a title run into 本报讯: an outlet known
        # only by its ending needs a date or a break after 电/讯
        m = None
    if m and not m.group("day") and sub[m.end():m.end() + 1] in _NOT_AFTER_KIND:
        m = None  # 新华社记者…通讯员, 新华社北京电视台
    return m or DATELINE_BARE.match(sub)


# reporter roles that are titles (本报记者, 新华社记者, 本报驻巴黎记者, 通讯员) and roles in
# producing the text that are not (执笔, 撰稿)
_ROLE_WORD = r"(?:首席记者|特约记者|见习记者|实习记者|摄影记者|记者|特约通讯员|通讯员|实习生)"
CREDIT_ROLE = re.compile(
    rf"(?P<role>(?:{OUTLET}(?:驻[{_CJK}]{{1,8}}?)?)?{_ROLE_WORD}|执笔|撰稿)(?P<sep>[ \t:：]*)")
NON_TITLE_ROLES = ("执笔", "撰稿")
# what may follow the last name: 徐锦庚整理, 蒋云龙采访整理, 谢卫群等报道
_NAME_TAIL = re.compile(r"(?:等)?(?:采访整理|整理|综合报道|报道|执笔|编译|供稿|摄影|摄)$|等$")
_NAME = re.compile(rf"^(?:[{_CJK}]{{2,4}}|[{_CJK}]{{1,8}}[·•][{_CJK}]{{1,10}})$")
# genre tags written after 记者 (（记者手记）, （记者观察）) are no names
_NOT_NAMES = frozenset("手记 观察 调查 来信 专访 随笔 札记 见闻 感言 日记 述评 采访 连线 视点 视线 综述 特写 评论 "
                       "快讯 报道 获悉 了解 看到 发现 走基层 在线 一线 现场".split())


# a paragraph ending in one of these ends a sentence; otherwise the next one continues it
SENTENCE_END = set("。！？!?…；;：:")
CLOSERS = set("”’」』）)》】\"'")

# 1:1 character normalisation (offsets stay valid): full-width digits, Latin letters,
# %, . and spaces become ASCII.
_FW = {c: c - 0xFEE0 for c in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))}
_FW.update({0xFF05: ord("%"), 0xFF0E: ord("."), 0x3000: ord(" "), 0x00A0: ord(" "), 0xFEFF: ord(" ")})


def normalise(text: str) -> str:
    """Character-for-character normalisation; ``len(normalise(t)) == len(t)``."""
    return text.translate(_FW)


class LayoutSettings(BaseModel):
    """How input text is split into documents."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "newspaper", "plain"] = "auto"
    """``auto``: a text with □ bylines is a newspaper page, anything else one document (whose
    leading title lines, if any, become pre-title/title/subtitle); ``plain``: one document, no titles."""
    publication_date: dt.date | None = None
    """Issue date of the page: the date of documents without a record date, dateline or date
    in the file name; datelines such as ``本报4月28日讯`` are resolved against it when the file
    name holds no date."""
    join_column_breaks: bool = True
    """Join paragraphs that do not end a sentence (printed column breaks)."""


@dataclass
class Line:
    start: int  # source offset of the first character
    text: str  # the line without its newline
    kind: str  # blank | heading | byline | text | title (a title line without Markdown marks) | meta
    level: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if not stripped:
            kind, level = "blank", 0
        elif (m := HEADING.match(stripped)):
            kind, level = "heading", len(m.group(1))
        elif BYLINE.match(stripped):
            kind, level = "byline", 0
        else:
            kind, level = "text", 0
        lines.append(Line(pos, body, kind, level))
        pos += len(raw)
    return lines


@dataclass
class _Builder:
    """Accumulates repaired text with its source offsets."""

    text: list[str] = field(default_factory=list)
    offsets: OffsetMap = field(default_factory=OffsetMap)

    def add(self, s: str, start: int) -> tuple[int, int]:
        begin = len(self.offsets)
        self.text.append(s)
        self.offsets.extend_range(start, len(s))
        return begin, len(self.offsets)

    def add_break(self, source_pos: int) -> None:
        self.text.append("\n")
        self.offsets.append(source_pos)

    def __len__(self) -> int:
        return len(self.offsets)

    def string(self) -> str:
        return "".join(self.text)


def _content(line: Line) -> tuple[str, int]:
    """Visible content of a line and its source offset (heading marks and padding removed)."""
    s = line.text
    lead = len(s) - len(s.lstrip())
    s = s.strip()
    if line.kind == "heading":
        m = HEADING.match(s)
        inner = m.group(2)
        lead += s.index(inner, len(m.group(1))) if inner else len(s)
        s = inner
    return s, line.start + lead


def ends_sentence(paragraph: str) -> bool:
    s = paragraph.rstrip()
    while s and s[-1] in CLOSERS:
        s = s[:-1]
        if s and s[-1] in SENTENCE_END:
            return True
    return bool(s) and s[-1] in SENTENCE_END


def parse_byline(byline: str) -> tuple[list[str], list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Reporters of a byline.

    Returns ``(names, name_spans, role_spans)``: names without padding (``王 凯`` ->
    ``王凯``), the raw spans of each name in ``byline`` (``(start, end, name)``) and
    the spans of each outlet/role title (``青岛日报/观海新闻记者``).
    """
    names: list[str] = []
    name_spans: list[tuple[int, int, str]] = []
    role_spans: list[tuple[int, int, str]] = []
    for m in BYLINE_ROLE.finditer(byline):
        role_spans.append((m.start("title"), m.end("title"), m.group("title")))
        tokens = [(t.start() + m.start("names"), t.group()) for t in re.finditer(r"[^\s]+", m.group("names"))]
        i = 0
        while i < len(tokens):
            start, tok = tokens[i]
            end = start + len(tok)
            # names printed with padding: single characters belong together (王 凯)
            if len(tok) == 1:
                j = i + 1
                while j < len(tokens) and len(tokens[j][1]) == 1 and j - i < 3:
                    end = tokens[j][0] + 1
                    j += 1
                i = j
            else:
                i += 1
            name = re.sub(r"\s+", "", byline[start:end])
            names.append(name)
            name_spans.append((start, end, name))
    return names, name_spans, role_spans


def resolve_dateline(line: str, publication_date: dt.date | None) -> dt.date | None:
    """Date of a dateline at the start of ``line``; ``publication_date`` is the reference
    for a missing year or month (and the date of a dateline without a day, 本报讯).
    None when ``line`` has no dateline or its date cannot be known."""
    m = match_dateline(line)
    if not m:
        return None
    return _dateline_date(m, publication_date)


def _number(s: str) -> int | None:
    """1-2 digit or Chinese numerals (十一, 二十四, 三十一) and years written 一九九八/二〇二〇."""
    if s.isdigit() and s.isascii():
        return int(s)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    digits["零"] = 0
    if len(s) == 4 and all(c in digits for c in s):
        return int("".join(str(digits[c]) for c in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        if (tens and tens not in digits) or (ones and ones not in digits):
            return None
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return digits.get(s) if len(s) == 1 else None


def _dateline_date(m: re.Match, ref: dt.date | None) -> dt.date | None:
    if not m.group("day"):
        return ref
    day = _number(m.group("day"))
    month = _number(m.group("month")) if m.group("month") else (ref.month if ref else None)
    year = _number(m.group("year")) if m.group("year") else (ref.year if ref else None)
    if month is None or year is None or day is None:
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if ref and not m.group("year") and date > ref + dt.timedelta(days=1):
        try:  # a dateline after the issue date refers to the previous year (or month)
            date = date.replace(year=date.year - 1) if m.group("month") else date.replace(month=date.month - 1 or 12)
        except ValueError:
            pass
    return date


_PATH_DATE = re.compile(r"(?<![0-9])((?:19|20)\d\d)(?:(?P<sep>[-_.]?)(\d\d)(?P=sep)(\d\d)|[-_.年/](\d{1,2})[-_.月/](\d{1,2})日?)(?![0-9])")


def date_from_path(source: str | None) -> dt.date | None:
    """A date written in a file name (``pd20200126-02-02.txt``, ``2020-01-26.md``,
    ``news_2020_1_26.jsonl``), else in its folders (``2020/01/26/a.txt``); None if none."""
    if not source or source.startswith("<"):
        return None
    path = source.replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    for where in (name, path):
        for m in _PATH_DATE.finditer(where):
            y, mo, d = int(m.group(1)), int(m.group(3) or m.group(5)), int(m.group(4) or m.group(6))
            try:
                return dt.date(y, mo, d)
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- credits

@dataclass
class Credits:
    """Datelines and bylines found in an article's body (offsets index the article text)."""

    parts: list[str] = field(default_factory=list)  # the credits as written
    reporter_spans: list[tuple[int, int, str]] = field(default_factory=list)
    role_spans: list[tuple[int, int, str]] = field(default_factory=list)
    dateline: re.Match | None = None  # matched against the dateline's own text
    dateline_spans: list[tuple[int, int, str]] = field(default_factory=list)  # outlet ORG, places PLACE
    header_end: int | None = None  # end of byline lines that stand before the body


def _split_names(text: str, a: int, b: int) -> list[tuple[int, int, str]] | None:
    """Names written in ``text[a:b]`` (separated by 、，, or spaces), with their raw spans.

    Two-character names printed with padding (``王  波``) keep the padding in their span;
    runs of single characters pair up (``王  波  文  君`` -> 王波, 文君).  None if a part
    is not a name."""
    seg = text[a:b].rstrip()
    tail = _NAME_TAIL.search(seg)
    if tail:  # 徐锦庚整理 -> 徐锦庚; 记者报道 -> no names
        seg = seg[:tail.start()]
    tokens = [(a + t.start(), t.group()) for t in re.finditer(r"[^\s、，,；;]+", seg)]
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        start, tok = tokens[i]
        if len(tok) == 1:
            j = i + 1
            while j < len(tokens) and len(tokens[j][1]) == 1 and not text[tokens[j - 1][0] + 1:tokens[j][0]].strip():
                j += 1
            run = tokens[i:j]
            if len(run) < 2:
                return None
            k = 0
            while k < len(run):
                size = 3 if len(run) - k == 3 else 2
                group = run[k:k + size]
                s, e = group[0][0], group[-1][0] + 1
                out.append((s, e, "".join(t for _, t in group)))
                k += size
            i = j
            continue
        if not _NAME.match(tok) or tok in _NOT_NAMES:
            return None
        out.append((start, start + len(tok), tok))
        i += 1
    return out or None


@functools.lru_cache(maxsize=1)
def _surnames() -> frozenset[str]:
    path = Path(__file__).parent / "resources" / "entities" / "surnames.txt"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def _bare_names(text: str, a: int, b: int) -> list[tuple[int, int, str]] | None:
    """Names written alone in brackets after a dateline (``杨江、蔡升培``): two or three
    characters each, starting with a Chinese surname; None if any part is not one."""
    found = _split_names(text, a, b)
    if not found or text[a:b].strip().endswith(("等", "报道")):
        return None
    sur = _surnames()
    for _, _, name in found:
        if not 2 <= len(name) <= 3 or not (name[0] in sur or name[:2] in sur) or len(name) == 2 and name[:2] in sur:
            return None
    return found


def parse_credit(text: str, start: int = 0, end: int | None = None, *, bracketed: bool = True
                 ) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]] | None:
    """Roles and names of a credit that fills ``text[start:end]``: ``本报记者 X 通讯员 Y``,
    ``记者李永群、郑琪``, ``综合本报记者X、Y等报道``, ``执笔：王  波  文  君``.

    Returns ``(role_spans, name_spans)`` with offsets into ``text``, or None when the
    span is not entirely a credit.  Outside brackets (``bracketed=False``) a bare role
    word must be followed by a space or colon (``记者 王浩``, not ``记者节快乐``)."""
    end = len(text) if end is None else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if text.startswith(("综合", "据"), start):
        start += 1 if text[start] == "据" else 2
    roles: list[tuple[int, int, str]] = []
    names: list[tuple[int, int, str]] = []
    pos = start
    while pos < end:
        m = CREDIT_ROLE.match(text, pos, end)
        if not m:
            return None
        if not bracketed and not roles and not m.group("sep") and re.fullmatch(_ROLE_WORD, m.group("role")):
            return None
        nxt = end
        for n in CREDIT_ROLE.finditer(text, m.end(), end):
            if text[n.start() - 1].isspace() or text[n.start() - 1] in "、，,；;":
                nxt = n.start()
                break
        found = _split_names(text, m.end(), nxt)
        if not found:
            return None
        roles.append((m.start("role"), m.end("role"), m.group("role")))
        names += found
        pos = nxt
        while pos < end and text[pos].isspace():
            pos += 1
    return (roles, names) if names else None


_OPEN, _CLOSE = "（(", "）)"
_REPORTS = re.compile(r"报道[：:]")
_DEICTIC_OUTLETS = ("本报", "本刊", "本台", "本网", "本社")


_CREDIT_MAX = 400  # a dateline with its credit is shorter than this (12 places, 13 names)


def _edge_lines(text: str, lo: int, first: int, last: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(start, end)`` of the first ``first`` and the last ``last`` non-blank lines of
    ``text[lo:]``, white space trimmed; found from the two ends (a 50 MB text is not split)."""
    head, pos, n = [], lo, len(text)
    while pos < n and len(head) < first:
        nl = text.find("\n", pos)
        nl = n if nl == -1 else nl
        a, z = pos, nl
        while a < z and text[a].isspace():
            a += 1
        while z > a and text[z - 1].isspace():
            z -= 1
        if z > a:
            head.append((a, z))
        pos = nl + 1
    tail, end = [], n
    while end > lo and len(tail) < last:
        nl = text.rfind("\n", lo, end)
        a, z = (lo if nl == -1 else nl + 1), end
        while a < z and text[a].isspace():
            a += 1
        while z > a and text[z - 1].isspace():
            z -= 1
        if z > a:
            tail.append((a, z))
        end = lo if nl == -1 else nl
    return head, tail


def find_credits(text: str, body_start: int) -> Credits:
    """Datelines and bylines at the start of the body (its first lines) and at its end
    (its last lines, or a bracketed credit closing the last paragraph)."""
    c = Credits()
    head, tail = _edge_lines(text, body_start, 3, 2)
    if not head:
        return c

    def add(found, part: str) -> None:
        roles, names = found
        c.role_spans += roles
        c.reporter_spans += names
        c.parts.append(part)

    def dateline(m: re.Match, at: int) -> None:
        if c.dateline is None:
            c.dateline = m
        if "outlet" in m.re.groupindex and m.group("outlet") not in _DEICTIC_OUTLETS:
            c.dateline_spans.append((at + m.start("outlet"), at + m.end("outlet"), "ORG"))
        if "outlet" in m.re.groupindex and m.group("place"):
            for p in re.finditer(r"[^、·]+", m.group("place")):
                s = at + m.start("place") + p.start()
                c.dateline_spans.append((s, s + len(p.group()), "PLACE"))

    used = set()
    # the start: byline lines, then a dateline with its bracketed credit
    for a, z in head:
        m = match_dateline(text[a:min(z, a + _CREDIT_MAX)])
        if m:
            dateline(m, a)
            used.add(a)
            after = a + m.end()
            while after < z and text[after] in " \t":
                after += 1
            if after < z and text[after] in _OPEN:
                close = _closing(text, after, min(z, after + _CREDIT_MAX))
                found = parse_credit(text, after + 1, close) if close else None
                if not found and close:
                    # 新华社沈阳5月10日电（杨江、蔡升培）: names without a role (and so without a title)
                    names = _bare_names(text, after + 1, close)
                    found = ([], names) if names else None
                if found:
                    add(found, text[a:close + 1])
                    break
            # 本报北京5月28日讯记者王霞光报道：… / 本报讯 记者 X 通讯员 Y 报道：
            said = _REPORTS.search(text, after, min(z, after + 80))
            found = parse_credit(text, after, said.start() + 2) if said else None
            if found:
                add(found, text[a:said.start() + 2])
                break
            c.parts.append(text[a:a + m.end()])
            break
        found = parse_credit(text, a, z, bracketed=False) if z - a <= 60 else None
        if not found and z - a <= 60 and text[a] in _OPEN and text[z - 1] in _CLOSE and _closing(text, a, z) == z - 1:
            found = parse_credit(text, a + 1, z - 1)
        if not found:
            break
        add(found, text[a:z])
        used.add(a)
        c.header_end = z
    # the end: bracketed credits and datelines, byline lines
    for a, z in tail:
        if a in used:
            break
        if text[z - 1] in _CLOSE:
            o = _opening(text, max(a, z - _CREDIT_MAX), z - 1)
            if o is None:
                break
            if o > a and text[o - 1] not in "。！？!?”’…":
                break
            m = match_dateline(text[o + 1:z - 1])
            rest = o + 1 + (m.end() if m else 0)
            found = parse_credit(text, rest, z - 1) if text[rest:z - 1].strip() else None
            if m and (found or not text[rest:z - 1].strip()):
                dateline(m, o + 1)
            elif not found:
                break
            if found:
                c.role_spans += found[0]
                c.reporter_spans += found[1]
            c.parts.append(text[o:z])
            if o > a:
                break
            continue
        found = parse_credit(text, a, z, bracketed=False) if z - a <= 60 else None
        if not found:
            break
        add(found, text[a:z])
    c.reporter_spans.sort()
    c.role_spans.sort()
    return c


def _closing(text: str, o: int, limit: int) -> int | None:
    depth = 0
    for i in range(o, limit):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def _opening(text: str, lo: int, close: int) -> int | None:
    depth = 0
    for i in range(close, lo - 1, -1):
        if text[i] in _CLOSE:
            depth += 1
        elif text[i] in _OPEN:
            depth -= 1
            if depth == 0:
                return i
    return None


def doc_id_for(source: str, record: str | None, article_index: int) -> str:
    key = f"{source}\x00{record or ''}\x00{article_index}"
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _article_starts(lines: list[Line]) -> list[int]:
    """Index of the first header line of each article (the headings before a byline)."""
    starts = []
    for i, line in enumerate(lines):
        if line.kind != "byline":
            continue
        j, first = i - 1, i
        while j >= 0 and lines[j].kind in ("blank", "heading"):
            if lines[j].kind == "heading":
                first = j
            j -= 1
        if not starts or first > starts[-1]:
            starts.append(first)
    return starts


def build_article(lines: list[Line], source_text: str, settings: LayoutSettings, *,
                  source: str, record: str | None, article_index: int, reflow: bool,
                  record_date: dt.date | None = None) -> Document:
    """Repaired text and header fields of one article made of ``lines``.

    ``record_date``: the date of the input record (``input.date_column``), which wins
    over every date the text or its file name gives."""
    b = _Builder()
    headings: list[tuple[int, str]] = []
    byline = None
    byline_at = None
    reporters: list[str] = []
    reporter_spans: list[tuple[int, int, str]] = []
    role_spans: list[tuple[int, int, str]] = []
    body_start = None
    dateline_match = None
    page_date = None  # of a metadata line under the title (2020-01-26 10:30 来源：…)
    prev: Line | None = None
    gap_start = None  # source offset of the newline after the previous content line
    blank_between = False
    for line in lines:
        if line.kind == "blank":
            blank_between = prev is not None
            continue
        content, cstart = _content(line)
        if prev is not None:
            join = (reflow and settings.join_column_breaks and blank_between
                    and prev.kind == "text" and line.kind == "text"
                    and not ends_sentence(_content(prev)[0]))
            if not join:
                b.add_break(gap_start)
        in_header = body_start is None and line.kind in ("heading", "title", "byline", "meta")
        start, end = b.add(content, cstart)
        if in_header and line.kind in ("heading", "title"):
            headings.append((line.level, content))
        elif in_header and line.kind == "meta":
            page_date = page_date or meta_date(content)
        elif line.kind == "byline" and byline is None:
            byline, byline_at = content, start
            reporters, spans, roles = parse_byline(content)
            reporter_spans = [(start + s, start + e, n) for s, e, n in spans]
            role_spans = [(start + s, start + e, t) for s, e, t in roles]
        elif body_start is None:
            body_start = start
            dateline_match = match_dateline(content)
        prev = line
        gap_start = line.end
        blank_between = False
    text = b.string()
    pre = title = sub = None
    if headings:
        top = min(level for level, _ in headings)
        k = next(i for i, (level, _) in enumerate(headings) if level == top)
        pre = " ".join(h.rstrip("—-－：: ") for _, h in headings[:k]) or None
        title = headings[k][1]
        sub = " ".join(h.lstrip("—-－ ") for _, h in headings[k + 1:]) or None
    if body_start is None:
        body_start = len(text)
    dateline_spans: list[tuple[int, int, str]] = []
    if byline is None:
        # no □ byline: datelines and credits of papers and agencies in the body
        credits = find_credits(text, body_start)
        if credits.parts:
            byline = " ".join(credits.parts)
            byline_at = text.find(credits.parts[0], body_start)
            reporter_spans, role_spans = credits.reporter_spans, credits.role_spans
            seen = set()
            reporters = [n for _, _, n in reporter_spans if not (n in seen or seen.add(n))]
        dateline_match = credits.dateline or dateline_match
        dateline_spans = credits.dateline_spans
        if credits.header_end is not None:
            body_start = min(len(text), credits.header_end + 1)
    file_date = date_from_path(source)
    ref = file_date or settings.publication_date
    date = (record_date or (dateline_match and _dateline_date(dateline_match, page_date or ref))
            or page_date or file_date or settings.publication_date)
    offsets = b.offsets
    doc = Document(
        doc_id=doc_id_for(source, record, article_index), source=source, record=record,
        article_index=article_index,
        pre_title=pre, title=title, subtitle=sub, byline=byline, reporters=reporters,
        date=date, text=text, body_start=body_start,
        source_start=offsets[0] if offsets else 0, source_end=(offsets[-1] + 1) if offsets else 0,
        offsets=offsets, source_text=source_text,
    )
    doc.reporter_spans = reporter_spans  # type: ignore[attr-defined]
    doc.byline_roles = role_spans  # type: ignore[attr-defined]
    doc.byline_start = byline_at  # type: ignore[attr-defined]
    doc.dateline_spans = dateline_spans  # type: ignore[attr-defined]
    return doc


# an article's title lines: short, no sentence inside, not ending one
_TITLE_MAX = 64
_TITLE_END = set("。；;…，,、")
_COLUMN_TAG = re.compile(r"[（(][^（）()]{2,16}[）)]$")


def _title_like(line: Line, strong: bool) -> bool:
    s = line.text.strip()
    if line.kind != "text" or not 2 <= len(s) <= _TITLE_MAX or "。" in s:
        return False
    last = s.rstrip("”’」』》\"'")[-1:] if s.rstrip("”’」』》\"'") else ""
    if last in _TITLE_END or (last in "！？!?" and not strong):
        return False
    if match_dateline(s) or parse_credit(s, bracketed=False) or (s[0] in _OPEN and s[-1] in _CLOSE) or _is_meta(s):
        return False
    return True


# a line of web-page metadata between the title and the body: its date, source, author
_META_DATE = re.compile(
    r"^(?:(?:发布|发表|更新|出版)?(?:时间|日期)\s*[:：]\s*)?(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*"
    r"(?P<d>\d{1,2})\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?(?:\s|$)")
_META_KEY = re.compile(r"^(?:来源|稿源|出处|作者|责任编辑|编辑|原标题|发布时间|发布日期|发稿时间)\s*[:：]")


def _is_meta(text: str) -> bool:
    t = text.strip()
    return len(t) <= 80 and bool(_META_DATE.match(t) or _META_KEY.match(t))


def meta_date(text: str) -> dt.date | None:
    """The date of a metadata line (``2020-01-26 10:30 来源：新华网``, ``发布时间：2020年1月26日``)."""
    for part in [text.strip()] + [m.group(1) for m in re.finditer(r"(?:时间|日期)\s*[:：]\s*(.+)", text)]:
        m = _META_DATE.match(part)
        if m:
            try:
                return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            except ValueError:
                return None
    return None


def title_lines(lines: list[Line]) -> dict[int, str]:
    """The title block of an article as crawlers write it: ``{line index: role}`` with
    roles ``pre``/``title``/``sub`` (and ``meta`` for metadata lines after them: date,
    source, author), or ``{}`` when the text does not open with one.

    Title lines are the leading short lines without sentence-final punctuation, up to a
    blank line (at most four) or, without a blank line, up to three lines followed by a
    paragraph that ends a sentence.  The body must follow."""
    window = 200  # the decision is made at the start of the text; a 50 MB file is not scanned
    content = [i for i, line in enumerate(lines[:window]) if line.kind != "blank"]
    if len(content) < 2 or lines[content[0]].kind != "text" or not _title_like(lines[content[0]], strong=True):
        return {}
    first = content[0]
    blank_at = next((i for i in range(first, min(len(lines), window)) if lines[i].kind == "blank"), None)
    block: list[int] = []
    meta: list[int] = []
    if blank_at is not None and blank_at - first <= 6 and any(i > blank_at for i in content):
        block = list(range(first, blank_at))
        k = len(block)
        while k > 1 and _is_meta(lines[block[k - 1]].text):
            k -= 1
        block, meta = block[:k], block[k:]
        if len(block) > 4 or not all(_title_like(lines[i], strong=True) for i in block):
            block, meta = [], []
    if not block:
        # without a blank line the lines must read as titles, not as the start of a
        # hard-wrapped paragraph: no comma unless marked as a title (——, a column tag), and
        # the text must not be wrapped at a fixed width
        for i in content[:3]:
            t = lines[i].text.strip()
            marked = t.endswith(("——", "：", ":")) or t.startswith("——") or bool(_COLUMN_TAG.search(t))
            if not _title_like(lines[i], strong=False) or (not marked and re.search(r"[，,]", t)):
                break
            block.append(i)
        open_lines = [i for i in content if not ends_sentence(lines[i].text) and not _is_meta(lines[i].text)]
        if len(open_lines) >= 3 and len(open_lines) > 0.3 * len(content):
            return {}
        if not block:
            return {}
    # metadata lines right after the title lines
    for i in content:
        if i <= max(block + meta):
            continue
        if not _is_meta(lines[i].text) or len(meta) >= 4:
            break
        meta.append(i)
    rest = [i for i in content if i > max(block + meta)]
    if not rest:
        return {}
    nxt = lines[rest[0]].text.strip()
    no_blank_after = all(lines[i].kind != "blank" for i in range(block[0], rest[0]))
    if no_blank_after and not (ends_sentence(nxt) or len(nxt) > _TITLE_MAX or match_dateline(nxt)
                               or parse_credit(nxt, bracketed=False)):
        return {}
    body = rest
    if not any(ends_sentence(lines[i].text) or len(lines[i].text.strip()) > _TITLE_MAX for i in body):
        return {}
    texts = [lines[i].text.strip() for i in block]
    pre_mark = [t.endswith(("——", "—", "：", ":")) for t in texts]
    sub_mark = [t.startswith(("——", "—", "－－")) for t in texts]
    main = [k for k in range(len(block)) if not pre_mark[k] and not sub_mark[k]]
    if not main:
        t = len(block) - 1
    elif any(_COLUMN_TAG.search(texts[k]) for k in main):
        t = next(k for k in main if _COLUMN_TAG.search(texts[k]))
    elif any(pre_mark):
        last_pre = max(k for k in range(len(block)) if pre_mark[k])
        t = next((k for k in main if k > last_pre), main[0])
    elif len(main) == 1:
        t = main[0]
    else:
        # 引题 above the main title is the common form; a 副题 below starts with ——
        t = main[1]
    roles = {i: ("pre" if k < t else "title" if k == t else "sub") for k, i in enumerate(block)}
    roles.update({i: "meta" for i in meta})
    return roles


def split_page(source_text: str, source: str, settings: LayoutSettings | None = None,
               record: str | None = None, date: dt.date | None = None) -> list[Document]:
    """Split a decoded source text into article documents (one for plain text).

    ``date``: the input record's own date (``input.date_column``), if any."""
    settings = settings or LayoutSettings()
    text = normalise(source_text)
    lines = split_lines(text)
    starts = _article_starts(lines) if settings.mode != "plain" else []
    if settings.mode != "plain" and not starts:
        # an article as crawlers write it: title lines, then the body
        for i, role in title_lines(lines).items():
            lines[i].kind, lines[i].level = ("meta", 0) if role == "meta" else ("title", 1 if role == "title" else 2)
    if settings.mode == "newspaper" and not starts:
        starts = [0]
    if not starts:
        doc = build_article(lines, source_text, settings, source=source, record=record,
                            article_index=0, reflow=False, record_date=date)
        return [doc]
    docs = []
    bounds = starts + [len(lines)]
    for k, (a, z) in enumerate(zip(bounds, bounds[1:])):
        docs.append(build_article(lines[a:z], source_text, settings, source=source, record=record,
                                  article_index=k, reflow=True, record_date=date))
    return docs


class LayoutStage:
    """Split each input document into articles (newspaper pages) and repair column breaks."""

    name = "layout"
    Settings = LayoutSettings

    def __init__(self, settings: LayoutSettings, context=None):
        self.settings = settings

    def process(self, items: list) -> list:
        from .stage import Analysis

        out = []
        for item in items:
            d = item.doc
            # d.date: the record's own date (input.date_column), set by the reader
            out.extend(Analysis(doc) for doc in split_page(d.source_text, d.source, self.settings,
                                                           record=d.record, date=d.date))
        return out
