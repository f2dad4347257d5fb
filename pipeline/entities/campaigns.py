"""Bodies named after a campaign in quotes: ``全国“扫黄打非”办``, ``“扫黄打非”工作小组``.

Chinese coordination bodies take the name of the campaign they run, in quotes, followed by
the kind of body (办公室, 领导小组, 工作小组, 指挥部, 委员会; the short 办 only after a scope
such as 全国 or 省, since a quoted phrase + 办 is mostly the verb: “绿色”办赛) and sometimes
a unit of it (举报中心, 秘书处), after an optional scope (全国, 中央, 省, 市 ...).  The model
never tags across the quotes, so the stage finds them by this pattern; they are GOV.
"""
from __future__ import annotations

import re

from .merge import Cand

_SCOPE = r"(?:全国|中央|国家|省|市|县|区)"
_QUOTED = r"[“\"「][\u4e00-\u9fff]{2,8}[”\"」]"
_UNIT = r"(?:举报中心|秘书处)?"
PATTERN = re.compile(
    rf"{_SCOPE}?{_QUOTED}(?:工作)?(?:领导小组办公室|领导小组|工作小组|办公室|指挥部|委员会){_UNIT}"
    rf"|{_SCOPE}{_QUOTED}办{_UNIT}")


def campaign_bodies(text: str) -> list[Cand]:
    """GOV candidates (tier 4) for every campaign body named in ``text``."""
    return [Cand(m.start(), m.end(), "GOV", "rule:campaign_body", 4) for m in PATTERN.finditer(text)]
