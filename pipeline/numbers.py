"""The number grammar of the numeric-facts stage.

Two layers:

- :func:`parse_number` turns a written number into a float: Arabic digits with
  decimals and thousands separators (``1,234.5``), full-width digits (``１２``),
  Chinese numerals (``一千零七十七``, ``两万``, ``十九``, ``三点五``; parsed with cn2an),
  bare magnitudes (``千`` as in ``超千家``) and mixed forms (``1.2万``,
  ``464.09万``, ``2万亿``).
- :func:`scan_quantities` finds quantity *mentions* in a text with a
  :class:`Catalogue` of units (``pipeline/resources/units.yaml``): qualifiers,
  number or range, multiplier and unit, plus the special forms ``N成`` (percent),
  ``百分之N`` (percent), ``N大`` (``六大工程``: a count without unit; N from 二 to 十, so that
``二十大`` (a congress) is not one), and the
  ordinals ``第N位`` / ``第N大`` / ``第N`` / ``前N`` (ranks).  It does not decide
  whether a mention is a fact (dates, identifiers, slogans ... are filtered by
  :mod:`pipeline.facts`); it reports what it saw so the caller can.

Ranges (``10至20家``, ``3-5个``, ``三到五个``, ``4%—5%``, ``零下5摄氏度至零下3摄氏度``,
neighbouring digits ``六七桌``, ``两三个``, ``二三十``): ``value`` is the low end,
``value_low``/``value_high`` the two ends and ``bound`` is ``range`` (the guidelines'
decision), qualifiers included (``约10至20家``).

Other forms: ``零下`` makes a number negative (temperatures); vague numbers ``数百``,
``几十``, ``数千万`` take their magnitude with bound ``lower``; ``一半`` is 50 %; a number
with a multiplier and no unit (``1.2亿武术爱好者``) has unit ``None`` (``form="none"``,
the caller decides whether it is a fact); a prefix qualifier may stand before a verb
(``约有120亿包``, ``至少要打两场``: ``gap_verbs`` of the catalogue); a currency word in
front stays in the span (``人民币5000万元``); a unit followed by a character of its
``not_before`` list starts a word and is no classifier (``人均``, ``部门``, ``两位数``).

``value_low``/``value_high`` for single numbers: exact -> both the value; lower ->
low only; upper -> high only; approx -> neither.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

RESOURCE = Path(__file__).parent / "resources" / "units.yaml"

KINDS = ("count", "money", "area", "length", "weight", "percent", "rank", "other")
BOUNDS = ("approx", "lower", "upper")
# the layout of a catalogue file: every key it may hold (a key outside these would be ignored)
CATALOGUE_KEYS = {"multipliers": dict, "units": dict, "time_units": list, "rank_units": list,
                  "currency_prefix": list, "qualifiers": dict}
UNIT_KEYS = ("kind", "base", "factor", "written", "not_before", "noun")
QUALIFIER_KEYS = {"prefix": dict, "suffix": dict, "magnitude_prefix": dict, "verb_gap": dict, "gap_verbs": list}

FW_DIGITS = "０１２３４５６７８９"
_FW_TABLE = {ord(c): ord("0") + i for i, c in enumerate(FW_DIGITS)}
_FW_TABLE.update({ord("．"): ord("."), ord("，"): ord(","), ord("％"): ord("%")})

CN_DIGIT_CHARS = "零〇一二两三四五六七八九"
CN_MAG_CHARS = "十百千万亿"
CN_NUM_CHARS = CN_DIGIT_CHARS + CN_MAG_CHARS
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN_DIGIT.update({"〇": 0, "两": 2})
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10 ** 4, "亿": 10 ** 8}

# An Arabic number: thousands-grouped or plain digits, optional decimals (ASCII or full width).
ARABIC = r"(?:[0-9０-９]{1,3}(?:,[0-9０-９]{3})+|[0-9０-９]+)(?:[.．][0-9０-９]+)?"
CHINESE = rf"[{CN_NUM_CHARS}]+(?:点[{CN_DIGIT_CHARS}]+)?"
_ARABIC_RE = re.compile(rf"^{ARABIC}$")
_CHINESE_RE = re.compile(rf"^{CHINESE}$")


class Catalogue:
    """Units, multipliers, time units, rank units and qualifiers (see units.yaml)."""

    def __init__(self, data: dict):
        self.units: dict[str, dict] = {k: dict(v) for k, v in (data.get("units") or {}).items() if v}
        self.multipliers: dict[str, float] = {k: float(v) for k, v in (data.get("multipliers") or {}).items() if v}
        self.time_units: list[str] = [u for u in (data.get("time_units") or []) if u]
        self.rank_units: list[str] = [u for u in (data.get("rank_units") or []) if u]
        q = data.get("qualifiers") or {}
        self.prefix: dict[str, str] = {k: v for k, v in (q.get("prefix") or {}).items() if v}
        self.suffix: dict[str, str] = {k: v for k, v in (q.get("suffix") or {}).items() if v}
        self.magnitude_prefix: dict[str, str] = {k: v for k, v in (q.get("magnitude_prefix") or {}).items() if v}
        self.verb_gap: dict[str, str] = {k: v for k, v in (q.get("verb_gap") or {}).items() if v}
        self.gap_verbs: list[str] = [v for v in (q.get("gap_verbs") or []) if v]
        self.currency_prefix: list[str] = sorted((c for c in (data.get("currency_prefix") or []) if c), key=len, reverse=True)
        for name, spec in self.units.items():
            if spec.get("kind") not in KINDS:
                raise ValueError(f"unit {name!r}: kind {spec.get('kind')!r} is not one of {', '.join(KINDS)}")
        self.unit_re = _alternation(self.units)
        self.mult_re = _alternation(self.multipliers)
        self.time_re = re.compile(r"个?(?:多|余|几|半)?(?:" + "|".join(
            re.escape(u) for u in sorted(self.time_units, key=len, reverse=True)) + ")") if self.time_units else None
        self.suffix_re = _alternation(self.suffix)
        self._prefixes = sorted(self.prefix, key=len, reverse=True)
        self._mag_prefixes = sorted(self.magnitude_prefix, key=len, reverse=True)
        self.gap_re = None
        if self.verb_gap and self.gap_verbs:
            verbs = "|".join(re.escape(v) for v in sorted(self.gap_verbs, key=len, reverse=True))
            quals = "|".join(re.escape(v) for v in sorted(self.verb_gap, key=len, reverse=True))
            self.gap_re = re.compile(rf"(?:{quals})(?:{verbs}){{1,2}}$")

    @classmethod
    def load(cls, extra: Iterable[str | Path] = ()) -> "Catalogue":
        """The shipped catalogue with each file of ``extra`` merged over it."""
        data = _read_yaml(RESOURCE)
        for path in extra:
            data = merge_catalogues(data, _read_yaml(Path(path)))
        return cls(data)

    def unit_info(self, unit: str | None) -> dict:
        return self.units.get(unit or "", {})

    def gap_prefix_before(self, text: str, pos: int) -> tuple[str, str] | None:
        """A qualifier and the verbs between it and the number ending at ``pos``
        (约有, 至少要打): (the written words, bound)."""
        if not self.gap_re:
            return None
        m = self.gap_re.search(text, max(0, pos - 10), pos)
        if not m:
            return None
        word = m.group()
        for w in sorted(self.verb_gap, key=len, reverse=True):
            if word.startswith(w):
                return word, self.verb_gap[w]
        return None

    def prefix_before(self, text: str, pos: int, magnitude: bool = False) -> tuple[str, str] | None:
        """The longest prefix qualifier ending at ``pos``: (word, bound)."""
        for table, words in ((self.prefix, self._prefixes),) + (((self.magnitude_prefix, self._mag_prefixes),) if magnitude else ()):
            for w in words:
                if text.startswith(w, pos - len(w)) and pos - len(w) >= 0:
                    return w, table[w]
        return None


def _alternation(words: Iterable[str]) -> re.Pattern | None:
    words = sorted(words, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words))


def _read_yaml(path: Path) -> dict:
    """A catalogue file, checked: a key it holds that the catalogue does not know, or a
    value of the wrong shape, raises ValueError naming the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the unit catalogue: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a unit catalogue must be a mapping")
    problem = _catalogue_problem(data)
    if problem:
        raise ValueError(f"{path}: {problem}")
    return data


def _shape_problem(key: str, value, shape: type) -> str | None:
    if value is None or isinstance(value, shape):
        return None
    return f"{key}: must be a {'mapping' if shape is dict else 'list'}"


def _catalogue_problem(data: dict) -> str | None:
    """The first key of a catalogue file that would be ignored or misread, described."""
    for key, value in data.items():
        if key not in CATALOGUE_KEYS:
            return f"unknown key {key!r} (allowed: {', '.join(CATALOGUE_KEYS)})"
        problem = _shape_problem(key, value, CATALOGUE_KEYS[key])
        if problem:
            return problem
    for name, spec in (data.get("units") or {}).items():
        if spec is None:
            continue  # removes a shipped unit
        if not isinstance(spec, dict):
            return f"units.{name}: must be a mapping (kind, base, factor ...)"
        for key in spec:
            if key not in UNIT_KEYS:
                return f"units.{name}: unknown key {key!r} (allowed: {', '.join(UNIT_KEYS)})"
        if "kind" in spec and spec["kind"] not in KINDS:
            return f"units.{name}.kind: {spec['kind']!r} is not one of {', '.join(KINDS)}"
    for key, value in (data.get("qualifiers") or {}).items():
        if key not in QUALIFIER_KEYS:
            return f"qualifiers: unknown key {key!r} (allowed: {', '.join(QUALIFIER_KEYS)})"
        problem = _shape_problem(f"qualifiers.{key}", value, QUALIFIER_KEYS[key])
        if problem:
            return problem
        if isinstance(value, dict):
            for word, bound in value.items():
                if bound is not None and bound not in BOUNDS:
                    return f"qualifiers.{key}.{word}: {bound!r} is not one of {', '.join(BOUNDS)}"
    return None


def merge_catalogues(base: dict, over: dict) -> dict:
    """``over`` merged into ``base``: mappings merge key by key (``null`` deletes), lists extend."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_catalogues(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = list(dict.fromkeys(list(out[key]) + value))
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return Catalogue.load()


# --------------------------------------------------------------------------- numbers

def _fw(s: str) -> str:
    return s.translate(_FW_TABLE)


def _parse_chinese_own(s: str) -> Decimal | None:
    """A small Chinese-numeral parser: the fallback when cn2an refuses a form
    (bare magnitudes ``千``, ``百万``; digit strings ``一九``)."""
    if not s:
        return None
    if all(c in _CN_DIGIT for c in s) and len(s) > 1:
        return Decimal("".join(str(_CN_DIGIT[c]) for c in s))
    total, section, digit = 0, 0, None
    for c in s:
        if c in _CN_DIGIT:
            if digit is not None and digit != 0 and _CN_DIGIT[c] != 0:
                return None  # two digits without a magnitude between them
            digit = _CN_DIGIT[c]
        elif c in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
        elif c in _CN_BIG:
            section += digit or 0
            if section == 0:
                section = 1
            if c == "亿":
                total = (total + section) * _CN_BIG[c]
            else:
                # 万 multiplies the section; after 亿 it stays below 1e8
                total = total + section * _CN_BIG[c]
            section, digit = 0, None
        else:
            return None
    return Decimal(total + section + (digit or 0))


@lru_cache(maxsize=4096)
def _parse_chinese(s: str) -> Decimal | None:
    if "点" in s:
        whole, _, frac = s.partition("点")
        w = _parse_chinese(whole) if whole else Decimal(0)
        if w is None or not frac or any(c not in _CN_DIGIT for c in frac):
            return None
        return w + Decimal("0." + "".join(str(_CN_DIGIT[c]) for c in frac))
    if s[0] in "万亿":  # bare 万 / 亿 ... : cn2an does not take them
        return _parse_chinese_own(s)
    try:
        import cn2an  # noqa: WPS433 (imported lazily: it is slow to import)
        value = cn2an.cn2an(s.replace("〇", "零"), "smart" if "两" in s else "strict")
        return Decimal(str(value))
    except Exception:  # cn2an raises ValueError and others on malformed input
        return _parse_chinese_own(s)


def parse_decimal(s: str, catalogue: Catalogue | None = None) -> Decimal | None:
    """Like :func:`parse_number`, as an exact :class:`~decimal.Decimal`."""
    if not s:
        return None
    s = _fw(s.strip())
    cat = catalogue or default_catalogue()
    # peel trailing multipliers written after an Arabic number (1.2万, 2万亿, 3千万)
    factor = Decimal(1)
    m = re.match(rf"^({ARABIC})(.*)$", s)
    if m:
        rest = m.group(2)
        while rest:
            mm = cat.mult_re.match(rest) if cat.mult_re else None
            if not mm:
                return None
            factor *= Decimal(str(int(cat.multipliers[mm.group()]))) if float(cat.multipliers[mm.group()]).is_integer() \
                else Decimal(str(cat.multipliers[mm.group()]))
            rest = rest[mm.end():]
        try:
            return Decimal(m.group(1).replace(",", "")) * factor
        except InvalidOperation:
            return None
    if _CHINESE_RE.match(s):
        return _parse_chinese(s)
    return None


def parse_number(s: str, catalogue: Catalogue | None = None) -> float | None:
    """The value of a written number, or ``None`` if ``s`` is not one.

    >>> parse_number("1,234.5"), parse_number("一千零七十七"), parse_number("464.09万")
    (1234.5, 1077.0, 4640900.0)
    >>> parse_number("两万"), parse_number("千"), parse_number("2万亿")
    (20000.0, 1000.0, 2000000000000.0)
    """
    d = parse_decimal(s, catalogue)
    return float(d) if d is not None else None


# --------------------------------------------------------------------------- mentions

@dataclass
class Quantity:
    """One quantity mention found by :func:`scan_quantities` (offsets into the scanned text)."""

    start: int
    end: int
    text: str
    value: float | None
    unit: str | None
    kind: str
    bound: str = "exact"
    value_low: float | None = None
    value_high: float | None = None
    base_value: float | None = None
    base_unit: str | None = None
    number_text: str = ""     # the number as written (first number of a range)
    chinese: bool = False     # written in Chinese numerals
    bare_magnitude: bool = False  # 千 / 万 ... without a digit before it
    ordinal: str | None = None  # "第" or "前" for ranks
    form: str = "unit"        # unit | cheng | percent_words | da | rank | none
    qualifiers: list[str] = field(default_factory=list)
    num_start: int = 0        # where the number itself starts
    unit_end: int = 0         # end of number + multiplier + unit (before suffix qualifiers)
    is_range: bool = False
    multiplied: bool = False  # a multiplier (万, 亿 ...) was applied (1.2亿, 数千万)
    vague: bool = False       # 数百, 几十: the magnitude stands for the number


VAGUE = r"(?:数|几)[十百千万亿]+"
_NUM_RE = re.compile(rf"(?P<pct>百分之)?(?P<ord>第|前)?(?P<neg>零下)?(?P<num>{ARABIC}|{VAGUE}|{CHINESE})")
_RANGE_SEP = re.compile(r"\s*(?:至|到|~|～|-|－|—|–)\s*")
_SECOND_RE = re.compile(rf"(?P<neg>零下)?(?P<num>{ARABIC}|{CHINESE})")
# two neighbouring digits written together: 六七 (6-7), 两三 (2-3), 二三十 (20-30), 十七八 (17-18)
_ADJ_RE = re.compile(r"^(?P<pre>[二三四五六七八九]?十)?(?P<a>[一二两三四五六七八九])(?P<b>[两二三四五六七八九])(?P<tail>[十百千万亿]*)$")


def adjacent_range(s: str) -> tuple[Decimal, Decimal] | None:
    """``六七`` -> (6, 7), ``二三十`` -> (20, 30), ``十七八`` -> (17, 18), ``一两`` -> (1, 2); else None."""
    m = _ADJ_RE.match(s)
    if not m:
        return None
    a, b = _CN_DIGIT[m.group("a")], _CN_DIGIT[m.group("b")]
    if b != a + 1 or (m.group("a") == "一" and m.group("b") != "两") or (m.group("b") == "两" and a != 1) \
            or (m.group("a") == "两" and False):
        return None
    tail = m.group("tail")
    if m.group("pre"):
        if tail:
            return None
        base = _parse_chinese(m.group("pre"))
        return base + a, base + b
    if a == 1 and not tail:
        return Decimal(1), Decimal(2)
    factor = _parse_chinese("一" + tail) if tail else Decimal(1)
    if factor is None:
        return None
    return a * factor, b * factor
_INNER_Q = ("多", "余", "几")


def _bounds(value: float, bound: str) -> tuple[float | None, float | None]:
    return {"exact": (value, value), "lower": (value, None), "upper": (None, value)}.get(bound, (None, None))


def scan_quantities(text: str, catalogue: Catalogue | None = None) -> list[Quantity]:
    """Every quantity mention of ``text``, left to right, not overlapping.

    A mention is a number (or range) followed by a multiplier and a unit from the
    catalogue, or one of the special forms (N成, 百分之N, N大, 第N位/第N大/第N, 前N).
    Numbers followed by a time unit (年, 月, 日, 天, 时 ...) are reported with
    ``form="time"`` so that callers can skip them; a number with nothing after it
    has ``form="none"``.
    """
    cat = catalogue or default_catalogue()
    out: list[Quantity] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _NUM_RE.search(text, pos)
        if not m:
            break
        q = _read_quantity(text, m, cat)
        if q is None:
            pos = m.end("num") if m.end("num") > m.start() else m.start() + 1
            continue
        out.append(q)
        pos = max(q.end, m.start() + 1)
    # a number without unit joined by 或/到/至 to a quantity with one shares its unit: 数千万或过亿元
    for a, b in zip(out, out[1:]):
        if a.form == "none" and b.form == "unit" and b.unit and text[a.end:b.start] in ("或", "到", "至", "或者"):
            a.unit, a.kind, a.form = b.unit, b.kind, "unit"
            info = cat.unit_info(b.unit)
            a.base_unit = info.get("base", b.unit)
            a.base_value = a.value * float(info.get("factor", 1)) if a.value is not None else None
    return out


def _read_quantity(text: str, m: re.Match, cat: Catalogue) -> Quantity | None:
    num_text = m.group("num")
    num_start, p = m.start("num"), m.end("num")
    ordinal = m.group("ord")
    pct_words = bool(m.group("pct"))
    negative = bool(m.group("neg"))
    if negative and (ordinal or pct_words):
        return None
    vague = num_text[0] in "数几"
    chinese = vague or num_text[0] in CN_NUM_CHARS
    if chinese and num_text[-1] == "点":
        return None
    # a Chinese numeral run that swallowed a unit's first character (五千克, 三百分点)
    if chinese and len(num_text) > 1 and num_text[-1] in "千百" and cat.unit_re:
        um = cat.unit_re.match(text, p - 1)
        if um and len(um.group()) > 1:
            num_text, p = num_text[:-1], p - 1
    qualifiers: list[str] = []
    bound = "exact"
    value_high = None
    is_range = False
    adjacent = adjacent_range(num_text) if chinese and not vague and not ordinal and not pct_words else None
    if vague:
        value = parse_decimal("一" + num_text[1:], cat)
        qualifiers.append(num_text[0])
        bound = "lower"
    elif adjacent:
        value, value_high = adjacent
        is_range = True
    else:
        value = parse_decimal(num_text, cat)
    if value is None:
        return None
    bare = chinese and not vague and num_text[0] in CN_MAG_CHARS and num_text[0] != "十"

    # ---- 百分之N
    if pct_words:
        end = p
        q = Quantity(m.start(), end, text[m.start():end], float(value), "%", "percent", number_text=num_text,
                     chinese=chinese, form="percent_words", num_start=num_start, unit_end=end)
        return _finish(text, q, cat, bound, qualifiers)

    # ---- 一半: 50 %
    if num_text == "一" and text[p:p + 1] == "半" and not ordinal and text[m.start() - 1:m.start()] != "另" \
            and not (cat.time_re and cat.time_re.match(text, p)):
        q = Quantity(m.start(), p + 1, text[m.start():p + 1], 50.0, "%", "percent", number_text=num_text,
                     chinese=True, form="half", num_start=num_start, unit_end=p + 1)
        return _finish(text, q, cat, bound, qualifiers)

    # ---- range: N 至 M
    rm = _RANGE_SEP.match(text, p)
    if rm and not ordinal and not is_range and not vague:
        m2 = _SECOND_RE.match(text, rm.end())
        if m2:
            v2 = parse_decimal(m2.group("num"), cat)
            if v2 is not None and m2.group("neg"):
                v2 = -v2
            v1 = -value if negative else value
            # both ends in the same script, the second larger: 10至20家, 三到五个
            if v2 is not None and v2 > v1 and (m2.group("num")[0] in CN_NUM_CHARS) == chinese:
                value_high, is_range, p = v2, True, m2.end()

    # ---- inner qualifier (400多家, 200余个, 十几个) before or after the multiplier
    def inner(at: int) -> int:
        nonlocal bound
        if at < len(text) and text[at] in _INNER_Q and not is_range:
            qualifiers.append(text[at])
            bound = "lower"
            return at + 1
        return at

    # ---- time units: a date, clock time or duration, not a quantity
    def time_at(at: int) -> bool:
        return bool(cat.time_re and cat.time_re.match(text, at))

    if ordinal:
        return _read_ordinal(text, m, num_text, num_start, p, float(value), ordinal, chinese, cat)

    # ---- N成: 九成 -> 90 %
    if p < len(text) and text[p] == "成" and not is_range and not vague and value <= 10 and float(value).is_integer() \
            and (not chinese or num_text in "一二两三四五六七八九十") \
            and text[p + 1:p + 2] not in ("为", "立", "功", "果", "本", "员", "就", "熟", "长", "交", "效", "不", "型"):
        q = Quantity(m.start(), p + 1, text[m.start():p + 1], float(value * 10), "%", "percent",
                     number_text=num_text, chinese=chinese, form="cheng", num_start=num_start, unit_end=p + 1)
        return _finish(text, q, cat, bound, qualifiers)

    # ---- N大 + noun: 六大工程 (a count without unit)
    if p < len(text) and text[p] == "大" and not is_range and not vague and chinese and 1 < value <= 10 \
            and p + 1 < len(text) and "\u4e00" <= text[p + 1] <= "\u9fff" and text[p + 1] not in "于约小概量多批家":
        q = Quantity(m.start(), p + 1, text[m.start():p + 1], float(value), None, "count",
                     number_text=num_text, chinese=chinese, form="da", num_start=num_start, unit_end=p + 1)
        return _finish(text, q, cat, bound, qualifiers)

    p = inner(p)
    if time_at(p):
        return Quantity(m.start(), p, text[m.start():p], float(value), None, "other", form="time",
                        number_text=num_text, chinese=chinese, num_start=num_start, unit_end=p)

    # ---- multiplier + unit: prefer a unit that starts here (千克) over 千 + 克
    factor = Decimal(1)
    unit = None
    u0 = _unit_at(text, p, cat)
    mm = cat.mult_re.match(text, p) if cat.mult_re else None
    u1 = None
    p_after_mult = p
    mult_factor = Decimal(1)
    if mm:
        p_after_mult = mm.end()
        mult_factor = _factor(cat.multipliers[mm.group()])
        if p_after_mult < len(text) and text[p_after_mult] in _INNER_Q and not qualifiers and not is_range:
            p_after_mult += 1
            # 1万多亿美元: a second multiplier after the inner qualifier
            mm2 = cat.mult_re.match(text, p_after_mult)
            if mm2:
                mult_factor *= _factor(cat.multipliers[mm2.group()])
                p_after_mult = mm2.end()
        u1 = _unit_at(text, p_after_mult, cat)
    if u0 and (not mm or len(u0) >= (p_after_mult - p) + len(u1 or "")):
        unit, p = u0, p + len(u0)
    elif mm:
        if time_at(p_after_mult):
            return Quantity(m.start(), p_after_mult, text[m.start():p_after_mult], float(value), None, "other",
                            form="time", number_text=num_text, chinese=chinese, num_start=num_start)
        factor = mult_factor
        if text[mm.end():mm.end() + 1] in _INNER_Q and mm.end() < p_after_mult:
            qualifiers.append(text[mm.end()])
            bound = "lower"
        if u1:
            unit, p = u1, p_after_mult + len(u1)
        else:
            p = p_after_mult
    value = value * factor
    if value_high is not None:
        value_high = value_high * factor
    if negative:
        value, value_high = (-value_high, -value) if (is_range and adjacent) else (-value, value_high)
    # ---- a range whose ends both carry the unit: 4%—5%, 15％至20％, 零下5摄氏度至零下3摄氏度
    if unit is not None and not is_range and not vague:
        rm2 = _RANGE_SEP.match(text, p)
        m2 = _SECOND_RE.match(text, rm2.end()) if rm2 else None
        if m2 and (m2.group("num")[0] in CN_NUM_CHARS) == chinese:
            v2 = parse_decimal(m2.group("num"), cat)
            e2 = m2.end()
            f2 = Decimal(1)
            mm2 = cat.mult_re.match(text, e2) if cat.mult_re else None
            if mm2 and not _unit_at(text, e2, cat):
                f2, e2 = _factor(cat.multipliers[mm2.group()]), mm2.end()
            u2 = _unit_at(text, e2, cat)
            if v2 is not None and u2 == unit:
                v2 = v2 * f2 * (-1 if m2.group("neg") else 1)
                if v2 > value:
                    value_high, is_range, p = v2, True, e2 + len(u2)
    if unit is None:
        # a number without classifier (1.2亿武术爱好者): a count with unit null when it is a fact
        q = Quantity(m.start(), p, text[m.start():p], float(value), None, "count", form="none",
                     number_text=num_text, chinese=chinese, bare_magnitude=bare, num_start=num_start, unit_end=p,
                     multiplied=factor != 1, vague=vague, is_range=is_range)
        if is_range:
            q.value_high = float(value_high)
            bound = "range"
        return _finish(text, q, cat, bound, qualifiers)
    info = cat.unit_info(unit)
    kind = info.get("kind", "other")
    q = Quantity(m.start(), p, text[m.start():p], float(value), info.get("written", unit), kind, number_text=num_text,
                 chinese=chinese, bare_magnitude=bare, form="unit", num_start=num_start, unit_end=p,
                 is_range=is_range, multiplied=factor != 1, vague=vague)
    if is_range:
        q.value_high = float(value_high)
        bound = "range"
    return _finish(text, q, cat, bound, qualifiers)


def _factor(mult: float) -> Decimal:
    return Decimal(str(int(mult))) if float(mult).is_integer() else Decimal(str(mult))


def _unit_at(text: str, pos: int, cat: Catalogue) -> str | None:
    """The longest unit starting at ``pos``, unless it is the start of a word (人均, 部门)."""
    if not cat.unit_re:
        return None
    um = cat.unit_re.match(text, pos)
    if not um:
        return None
    unit = um.group()
    nxt = text[um.end():um.end() + 1]
    if nxt and nxt in (cat.unit_info(unit).get("not_before") or ()):
        return None
    return unit


def _read_ordinal(text, m, num_text, num_start, p, value, ordinal, chinese, cat) -> Quantity | None:
    """第N位 / 第N名 / 第N大 / 第N (clause end) and 前N / 前N名: ranks; other 第N are identifiers."""
    start = m.start("ord")
    nxt = text[p:p + 1]
    end = None
    if cat.rank_units:
        for u in sorted(cat.rank_units, key=len, reverse=True):
            if text.startswith(u, p):
                end = p + len(u)
                break
    if end is None and ordinal == "第" and nxt == "大":
        end = p + 1
    if end is None and (nxt == "" or nxt in "，。；：、！？,;:!?）)”’\n 　" ):
        end = p
    if end is None:
        # identifier ordinal (第十九批, 第一生态环境保护督察组) or 前 + count (目前五个): not a rank
        if ordinal == "第":
            return Quantity(start, p, text[start:p], value, None, "other", form="ordinal", number_text=num_text,
                            chinese=chinese, ordinal=ordinal, num_start=num_start, unit_end=p)
        return None
    bound = "upper" if ordinal == "前" else "exact"
    q = Quantity(start, end, text[start:end], value, None, "rank", number_text=num_text, chinese=chinese,
                 ordinal=ordinal, form="rank", num_start=num_start, unit_end=end)
    return _finish(text, q, cat, bound, [], allow_prefix=False)


def _finish(text: str, q: Quantity, cat: Catalogue, bound: str, qualifiers: list[str],
            allow_prefix: bool = True) -> Quantity:
    """Attach prefix and suffix qualifiers, bounds and the base value."""
    if allow_prefix:
        # a currency word in front stays in the span: 人民币5000万元
        if q.kind == "money" and q.start == q.num_start:
            for c in cat.currency_prefix:
                if text.startswith(c, q.start - len(c)) and q.start >= len(c):
                    q.start -= len(c)
                    break
        pre = cat.prefix_before(text, q.start, magnitude=q.bare_magnitude)
        # 近 after 附/最/靠/邻 is not a qualifier (附近, 最近)
        if pre and pre[0] == "近" and q.start >= 2 and text[q.start - 2] in "附最靠邻亲贴临":
            pre = None
        if pre is None and not q.bare_magnitude:
            pre = cat.gap_prefix_before(text, q.start)  # 约有120亿包, 至少要打两场
        if pre:
            q.start -= len(pre[0])
            q.qualifiers.insert(0, pre[0])
            if bound == "exact":
                bound = pre[1]
    if cat.suffix_re and not q.is_range:
        sm = cat.suffix_re.match(text, q.end)
        if sm and len(sm.group()) > 1:
            q.end = sm.end()
            q.qualifiers.append(sm.group())
            if bound == "exact":
                bound = cat.suffix[sm.group()]
    q.qualifiers = q.qualifiers + [x for x in qualifiers if x not in q.qualifiers]
    q.bound = bound
    q.text = text[q.start:q.end]
    if q.value is not None and not q.is_range:
        q.value_low, q.value_high = _bounds(q.value, bound)
    elif q.is_range:
        q.value_low = q.value
    if q.unit is not None:
        info = cat.unit_info(q.unit)
        if q.form in ("cheng", "percent_words"):
            info = cat.unit_info("%") or {"kind": "percent"}
        base = info.get("base", q.unit)
        factor = float(info.get("factor", 1))
        q.base_unit = base
        q.base_value = q.value * factor if q.value is not None else None
    return q


__all__ = ["KINDS", "Catalogue", "Quantity", "parse_number", "parse_decimal", "scan_quantities", "default_catalogue",
           "merge_catalogues", "RESOURCE"]
