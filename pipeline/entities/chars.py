"""Label names and character helpers shared by the entity modules."""
from __future__ import annotations

import re

LABELS = ("COMPANY", "GOV", "ORG", "PLACE", "PERSON")
ORG_LABELS = ("COMPANY", "GOV", "ORG")

_WS = re.compile(r"\s+")
_PUNCT = set("，。、；：！？,.;:!?（）()《》〈〉“”‘’\"'「」『』【】[]—–-…·/／|\n\r\t □■◇◆#*")


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def nospace(s: str | None) -> str:
    return _WS.sub("", s or "")
