"""Silver labels from two teachers: the combination rules, the DocBin round trip, the quality counts."""
from __future__ import annotations

import json

import pytest

from pipeline import registry
from pipeline.training import silver
from pipeline.training.silver import Silver, combine, quality

# 张三在北京的华为公司见到李四。
#  0 1 2 3 4 5 6 7 8 9 ...  12 13 14
TEXT = "张三在北京的华为公司见到李四。"
FIRST = [(0, 2, "PERSON"), (3, 5, "PLACE"), (6, 10, "COMPANY")]
SECOND = [(0, 2, "PERSON"), (3, 5, "ORG"), (6, 8, "ORG"), (12, 14, "PERSON")]


def _names(known: dict[str, str]):
    """A fake NER backend that tags every occurrence of the ``known`` names."""

    class Fake:
        name = "fake"

        def __init__(self, **_):
            pass

        def tag(self, texts):
            out = []
            for text in texts:
                spans = []
                for name, label in known.items():
                    start = text.find(name)
                    while start >= 0:
                        spans.append((start, start + len(name), label))
                        start = text.find(name, start + 1)
                out.append(sorted(spans))
            return out

    return Fake


@pytest.fixture
def teachers(monkeypatch):
    monkeypatch.setitem(registry.REGISTRIES["ner_backends"], "fake-a",
                        _names({"张三": "PERSON", "北京": "PLACE", "华为公司": "COMPANY"}))
    monkeypatch.setitem(registry.REGISTRIES["ner_backends"], "fake-b",
                        _names({"张三": "PERSON", "北京": "ORG", "华为": "ORG", "李四": "PERSON"}))
    return ("fake-a", "fake-b")


# ---------------------------------------------------------------- combine

def test_agreement_is_an_entity_disagreement_missing_nothing_O():
    sv = combine(TEXT, FIRST, SECOND, "agree")
    assert sv.entities == [(0, 2, "PERSON")]
    assert sv.missing == [(3, 5), (6, 10), (12, 14)]
    assert sv.added == 0


def test_one_character_agreement_stays_missing():
    sv = combine("中美会谈", [(0, 1, "PLACE"), (1, 2, "PLACE")], [(0, 1, "PLACE"), (1, 2, "PLACE")])
    assert sv.entities == [] and sv.missing == [(0, 2)]


def test_org_types_agree_as_coarse_org():
    sv = combine(TEXT, [(6, 10, "COMPANY"), (3, 5, "GOV")], [(6, 10, "ORG"), (3, 5, "ORG")])
    assert sv.entities == [(3, 5, "ORG"), (6, 10, "ORG")]
    assert sv.missing == []


def test_no_spans_is_all_outside():
    assert combine(TEXT, [], []) == Silver([], [], 0)


def test_person_option_adds_second_teacher_names_that_pass_the_check():
    sv = combine(TEXT, FIRST, SECOND, "agree+person", person_ok=lambda name, after: name[0] == "李")
    assert sv.entities == [(0, 2, "PERSON"), (12, 14, "PERSON")]
    assert sv.missing == [(3, 5), (6, 10)]
    assert sv.added == 1
    rejected = combine(TEXT, FIRST, SECOND, "agree+person", person_ok=lambda name, after: False)
    assert rejected.entities == [(0, 2, "PERSON")] and (12, 14) in rejected.missing


def test_person_option_never_overrides_a_first_teacher_span():
    sv = combine(TEXT, [(12, 15, "ORG")], [(12, 14, "PERSON")], "agree+person",
                 person_ok=lambda name, after: True)
    assert sv.entities == [] and sv.missing == [(12, 15)]


def test_person_option_passes_the_following_characters_to_the_check():
    seen = []
    combine(TEXT, [], [(0, 2, "PERSON")], "agree+person",
            person_ok=lambda name, after: seen.append((name, after)) or False)
    assert seen == [("张三", "在北")]


def test_lexicon_option_settles_one_teacher_spans_and_label_conflicts():
    lexicons = {"PLACE": frozenset({"北京"}), "PERSON": frozenset({"李四"}),
                "ORG": frozenset({"华为公司"})}
    sv = combine(TEXT, FIRST, SECOND, "agree+lexicon", lexicons=lexicons)
    # 北京: PLACE against ORG, only PLACE listed; 李四: one teacher, listed;
    # 华为公司: listed, but the other teacher has a different span inside it
    assert sv.entities == [(0, 2, "PERSON"), (3, 5, "PLACE"), (12, 14, "PERSON")]
    assert sv.missing == [(6, 10)]
    assert sv.added == 2


def test_lexicon_option_leaves_a_conflict_both_labels_listed():
    lexicons = {"PLACE": frozenset({"北京"}), "ORG": frozenset({"北京"})}
    sv = combine(TEXT, [(3, 5, "PLACE")], [(3, 5, "ORG")], "agree+lexicon", lexicons=lexicons)
    assert sv.entities == [] and sv.missing == [(3, 5)]


def test_options_combine():
    sv = combine(TEXT, FIRST, SECOND, "agree+person+lexicon", person_ok=lambda name, after: True,
                 lexicons={"PLACE": frozenset({"北京"})})
    assert sv.entities == [(0, 2, "PERSON"), (3, 5, "PLACE"), (12, 14, "PERSON")]


@pytest.mark.parametrize("rule", ["", "union", "person", "agree+person+person", "agree+lexcon"])
def test_unknown_rules_are_refused(rule):
    with pytest.raises(ValueError, match="unknown rule"):
        silver.parse_rule(rule)


def test_cli_refuses_an_unknown_rule(capsys):
    with pytest.raises(SystemExit) as exc:
        silver.main(["--measure", "--rule", "union"])
    assert exc.value.code == 2
    assert "unknown rule 'union'" in capsys.readouterr().err


# ---------------------------------------------------------------- DocBin

def test_docbin_round_trip_keeps_entities_missing_and_outside(tmp_path):
    from spacy.tokens import DocBin

    from pipeline.training.ner import _save_docbin

    nlp = silver.char_nlp()
    text = "张三 在北京的华为公司"  # a space: still one token per character
    sv = Silver([(0, 2, "PERSON")], [(4, 6), (7, 11)])
    _save_docbin([silver.silver_doc(nlp, text, sv)], tmp_path / "x.spacy")
    doc = next(iter(DocBin().from_disk(tmp_path / "x.spacy").get_docs(nlp.vocab)))
    assert doc.text == text
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(0, 2, "PERSON")]
    iob = {t.text: t.ent_iob_ for t in doc}
    assert [t.ent_iob_ for t in doc[:2]] == ["B", "I"]
    assert iob["在"] == "O" and iob["的"] == "O"
    assert all(iob[ch] == "" for ch in "北京华为公司")


# ---------------------------------------------------------------- measurement

def test_quality_counts():
    texts = ["张三在北京的华为公司见到李四。", "王五来了"]
    gold = [[(0, 2, "PERSON"), (3, 5, "PLACE"), (6, 10, "COMPANY"), (12, 14, "PERSON")],
            [(0, 2, "PERSON")]]
    sv = [Silver([(0, 2, "PERSON"), (6, 10, "ORG")], [(3, 5)]), Silver([(0, 3, "PERSON")], [])]
    d = quality(texts, gold, sv).as_dict()
    assert (d["sentences"], d["chars"], d["gold"], d["silver"], d["correct"]) == (2, 19, 5, 3, 2)
    assert (d["missing_chars"], d["o_chars"], d["false_o_chars"]) == (2, 8, 2)  # O inside 李四
    assert (d["precision"], d["coverage"]) == (round(2 / 3, 4), 0.4)
    assert d["missing_share"] == round(2 / 19, 4)
    assert d["false_o_rate"] == 0.25


def test_measure_with_fake_teachers(tmp_path, teachers):
    path = tmp_path / "dev.json"
    rec = {"text": TEXT, "label": {"name": {"张三": [[0, 1]], "李四": [[12, 13]]},
                                   "address": {"北京": [[3, 4]]}, "company": {"华为公司": [[6, 9]]}}}
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    result = silver.measure(["agree", "agree+lexicon"], {"x": ("cluener", path)},
                            teachers=teachers, lexicon_dir=_lexicons(tmp_path))
    rows = result["x"]
    assert list(rows) == ["fake-a alone", "fake-b alone", "agree", "agree+lexicon"]
    assert (rows["fake-a alone"]["correct"], rows["fake-a alone"]["silver"]) == (3, 3)
    assert (rows["fake-b alone"]["correct"], rows["fake-b alone"]["silver"]) == (2, 4)
    agree = rows["agree"]
    assert (agree["silver"], agree["correct"], agree["gold"], agree["missing_chars"]) == (1, 1, 4, 8)
    assert agree["false_o_chars"] == 0
    lex = rows["agree+lexicon"]
    assert (lex["silver"], lex["correct"], lex["missing_chars"]) == (3, 3, 4)
    assert "| x | agree | 1 | 1.000 | 4 | 0.250 |" in silver.format_measure(result)


def _lexicons(tmp_path):
    folder = tmp_path / "lexicons"
    folder.mkdir()
    (folder / "THUOCL_diming.txt").write_text("\ufeff北京\t100\n京\t9\n", encoding="utf-8")
    (folder / "THUOCL_lishimingren.txt").write_text("李四\t5\n", encoding="utf-8")
    (folder / "company_short_names.txt").write_text("腾讯\n\n", encoding="utf-8")
    return folder


def test_load_lexicons(tmp_path):
    assert silver.load_lexicons(_lexicons(tmp_path)) == {
        "PLACE": frozenset({"北京"}), "PERSON": frozenset({"李四"}), "ORG": frozenset({"腾讯"})}


# ---------------------------------------------------------------- raw text -> DocBins

def test_generate_writes_docbins_and_summary(tmp_path, teachers):
    from spacy.tokens import DocBin

    news = tmp_path / "raw" / "xwlb" / "news"
    news.mkdir(parents=True)
    (news / "20240101.md").write_text(f"# 标题\n\n### {TEXT}\n\n<p>张三来了。<strong>{TEXT}</strong></p>\n",
                                      encoding="utf-8")
    held = tmp_path / "held.json"
    held.write_text(json.dumps({"text": "张三来了。", "label": {}}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    summary = silver.generate("xwlb", tmp_path / "out", "agree", raw_dir=tmp_path / "raw",
                              teachers=teachers, held_out=[("cluener", held)], batch=1, shard=1)
    assert summary["sentences"] == 2  # 标题, TEXT; the repeat and the held-out sentence skipped
    assert summary["chars"] == 2 + len(TEXT)
    assert summary["repeated_sentences_skipped"] == 1 and summary["held_out_sentences_skipped"] == 1
    assert summary["entities"] == {"PERSON": 1}
    assert summary["missing_chars"] == 8 and summary["missing_share"] == round(8 / 17, 4)
    out = tmp_path / "out" / "xwlb"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    assert sorted(p.name for p in out.glob("*.spacy")) == ["000.spacy", "001.spacy"]
    nlp = silver.char_nlp()
    docs = [d for p in sorted(out.glob("*.spacy")) for d in DocBin().from_disk(p).get_docs(nlp.vocab)]
    assert [d.text for d in docs] == ["标题", TEXT]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("张三", "PERSON")]
    assert sum(t.ent_iob_ == "" for t in docs[1]) == 8


def test_markdown_text_drops_heading_marks_and_html():
    got = silver.markdown_text('### 标题\n<p style="a">甲说。</p><p><strong>乙</strong>&nbsp;丙&lt;<br>丁</p>')
    assert got == "标题\n\n甲说。\n\n乙\xa0丙<\n丁\n"
    assert silver.markdown_text("[原文](https://example.org/a.shtml)\n") == "原文\n"


def test_generate_limit_chars(tmp_path, teachers):
    news = tmp_path / "raw" / "xwlb" / "news"
    news.mkdir(parents=True)
    (news / "20240101.md").write_text("张三来了。李四走了。王五到了。\n", encoding="utf-8")
    summary = silver.generate("xwlb", tmp_path / "out", "agree", raw_dir=tmp_path / "raw",
                              teachers=teachers, held_out=[], limit_chars=12)
    assert (summary["sentences"], summary["chars"]) == (2, 10)


def test_person_check_is_the_entity_stage_name_test():
    check = silver.PersonCheck()
    assert check("王小明", "说") and check("约翰森") and check("王某")
    assert not check("严老汉") and not check("")
