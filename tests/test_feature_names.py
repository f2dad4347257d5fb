"""Names the model cut before their feature head (pipeline.entities.feature_names) and campaign bodies (pipeline.entities.campaigns)."""
from pipeline.entities.feature_names import feature_places


def _spans(text, *names):
    out, pos = [], 0
    for name, label in names:
        s = text.index(name, pos)
        out.append((s, s + len(name), label))
        pos = s + len(name)
    return out


def test_a_repeated_feature_head_makes_the_whole_name_a_place():
    text = "青木若日冰川位于高原。青木若日冰川面积很大。"
    spans = _spans(text, ("青木若", "PERSON"), ("青木若", "PERSON"))
    assert feature_places(text, spans) == [(0, 6, "PLACE"), (11, 17, "PLACE")]
    text = "进入拉玛达皇家花园。拉玛达皇家花园的门票不贵。"
    assert [text[s:e] for s, e, _ in feature_places(text, _spans(text, ("拉玛达", "ORG"), ("拉玛达", "PERSON")))] \
        == ["拉玛达皇家花园", "拉玛达皇家花园"]


def test_persons_stay_persons():
    # one mention is no evidence; a verb before the head (回村) or a one-character head (李明山) is no name
    text = "青木若日冰川位于高原。"
    spans = _spans(text, ("青木若", "PERSON"))
    assert feature_places(text, spans) == spans
    text = "王大刚回村了。王大刚回村时很高兴。"
    spans = _spans(text, ("王大刚", "PERSON"), ("王大刚", "PERSON"))
    assert feature_places(text, spans) == spans
    text = "李明山说。李明山笑了。"
    spans = _spans(text, ("李明", "PERSON"), ("李明", "PERSON"))
    assert feature_places(text, spans) == spans


def test_the_entity_stage_applies_it_and_a_setting_turns_it_off():
    from pipeline.entities import EntityStage

    text = "青木若日冰川位于高原。青木若日冰川面积很大。"
    stage = EntityStage(EntityStage.Settings(backend="none"))
    spans = _spans(text, ("青木若", "PERSON"), ("青木若", "PERSON"))
    from pipeline.records import Document

    doc = Document(doc_id="d", source="s", text=text)
    ents, _ = stage.extract(doc, spans)
    assert [(e.text, e.label) for e in ents] == [("青木若日冰川", "PLACE")] * 2
    off = EntityStage(EntityStage.Settings(backend="none", model_feature_places=False))
    ents, _ = off.extract(doc, spans)
    assert ("青木若日冰川", "PLACE") not in [(e.text, e.label) for e in ents]


def test_campaign_bodies_in_quotes_are_gov():
    from pipeline.entities.campaigns import campaign_bodies

    text = "全国“净网护苗”办联合有关部门发布通知，“净网护苗”工作小组部署专项行动。"
    assert [text[c.start:c.end] for c in campaign_bodies(text)] == ["全国“净网护苗”办", "“净网护苗”工作小组"]
    assert {c.label for c in campaign_bodies(text)} == {"GOV"}
    # a quoted phrase + 办 is mostly the verb: no body without a scope
    text = "践行“绿色”办赛理念，把“老年大学”办到社区里。"
    assert campaign_bodies(text) == []
