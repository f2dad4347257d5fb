"""Strict NER scoring, the evaluate_ner driver, and the LAC / jieba backends."""
from __future__ import annotations

import json

import pytest

from pipeline import registry
from pipeline.evaluation import corpora
from pipeline.backends.lac import align_words, trim_span
from pipeline.evaluation.ner import (NerReport, evaluate_ner, evaluate_spans, format_report, guideline_view,
                                   micro, score_spans)


def counts(per_type):
    return {t: (p.tp, p.fp, p.fn) for t, p in per_type.items() if (p.tp, p.fp, p.fn) != (0, 0, 0)}


# ---------------------------------------------------------------- score_spans

def test_exact_match():
    gold = [(0, 2, "PERSON"), (3, 5, "PLACE")]
    assert counts(score_spans(gold, list(gold), coarse=True)) == {"PERSON": (1, 0, 0), "PLACE": (1, 0, 0)}


def test_partial_overlap_is_a_miss_and_a_false_positive():
    got = score_spans([(0, 3, "PERSON")], [(0, 2, "PERSON")], coarse=True)
    assert counts(got) == {"PERSON": (0, 1, 1)}


def test_wrong_label_counts_under_both_types():
    got = score_spans([(0, 2, "PERSON")], [(0, 2, "PLACE")], coarse=True)
    assert counts(got) == {"PERSON": (0, 0, 1), "PLACE": (0, 1, 0)}


def test_duplicate_predictions_counted_once():
    got = score_spans([(0, 2, "PERSON")], [(0, 2, "PERSON")] * 3 + [(4, 6, "PLACE")] * 2, coarse=True)
    assert counts(got) == {"PERSON": (1, 0, 0), "PLACE": (0, 1, 0)}


def test_empty_sets():
    assert counts(score_spans([], [], coarse=True)) == {}
    assert counts(score_spans([(0, 2, "ORG")], [], coarse=True)) == {"ORG": (0, 0, 1)}
    assert counts(score_spans([], [(0, 2, "ORG")], coarse=True)) == {"ORG": (0, 1, 0)}
    total = micro(score_spans([], [], coarse=True))
    assert (total.precision, total.recall) == (1.0, 1.0)


@pytest.mark.parametrize("label", ["COMPANY", "GOV", "ORG"])
def test_any_org_type_matches_coarse_org(label):
    got = score_spans([(0, 4, "ORG")], [(0, 4, label)], coarse=True)
    assert counts(got) == {"ORG": (1, 0, 0)}


def test_fine_view_keeps_org_types_apart():
    gold = [(0, 4, "COMPANY"), (5, 9, "GOV")]
    pred = [(0, 4, "ORG"), (5, 9, "GOV")]
    assert counts(score_spans(gold, pred, coarse=False)) == {
        "COMPANY": (0, 0, 1), "ORG": (0, 1, 0), "GOV": (1, 0, 0)}
    assert counts(score_spans(gold, pred, coarse=True)) == {"ORG": (2, 0, 0)}


def test_unknown_prediction_labels_ignored():
    assert counts(score_spans([], [(0, 2, "TIME")], coarse=True)) == {}


def test_evaluate_spans_views():
    gold = [[(0, 2, "PERSON"), (3, 7, "COMPANY")], [(0, 3, "GOV")]]
    pred = [[(0, 2, "PERSON"), (3, 7, "ORG")], [(0, 3, "ORG"), (4, 5, "PLACE")]]
    fine, coarse = evaluate_spans("cluener", gold, pred)
    assert list(fine) == ["COMPANY", "GOV", "ORG", "PERSON", "PLACE"]
    assert counts(fine) == {"COMPANY": (0, 0, 1), "GOV": (0, 0, 1), "ORG": (0, 2, 0),
                            "PERSON": (1, 0, 0), "PLACE": (0, 1, 0)}
    assert counts(coarse) == {"PERSON": (1, 0, 0), "ORG": (2, 0, 0), "PLACE": (0, 1, 0)}
    m = micro(coarse)
    assert (m.tp, m.fp, m.fn) == (3, 1, 0)
    fine, coarse = evaluate_spans("msra", gold, pred)
    assert list(fine) == ["PERSON", "PLACE", "ORG"] and counts(fine) == counts(coarse)


# ---------------------------------------------------------------- evaluate_ner with a fake backend

def _bio(text, tags):
    return "".join(f"{c}\t{t}\n" for c, t in zip(text, tags)) + "\n"


@pytest.fixture
def fake_backend(monkeypatch):
    answers = {}

    class Fake:
        name = "fake"

        def __init__(self, **options):
            self.options = options

        def tag(self, texts):
            return [list(answers.get(t, [])) for t in texts]

    monkeypatch.setitem(registry.REGISTRIES["ner_backends"], "fake", Fake)
    return answers


def test_evaluate_ner_coarse_dataset(tmp_path, fake_backend):
    s1, s2 = "王小明去了南京", "星火公司开会"
    path = tmp_path / "test.bio"
    path.write_text(_bio(s1, ["B-PER", "I-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"])
                    + _bio(s2, ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "O"]), encoding="utf-8")
    fake_backend[s1] = [(0, 3, "PERSON"), (5, 6, "PLACE")]   # place too short
    fake_backend[s2] = [(0, 4, "COMPANY")]                    # any org type matches ORG
    rep = evaluate_ner("msra", path, backend="fake", backend_options={"x": 1})
    assert isinstance(rep, NerReport)
    assert counts(rep.per_type) == {"PERSON": (1, 0, 0), "PLACE": (0, 1, 1), "ORG": (1, 0, 0)}
    assert (rep.micro.tp, rep.micro.fp, rep.micro.fn) == (2, 1, 1)
    assert rep.headline == pytest.approx(2 / 3)
    assert rep.sentences == 2 and rep.characters == len(s1) + len(s2)
    d = rep.to_dict()
    json.dumps(d)
    assert d["micro"]["tp"] == 2 and d["options"]["x"] == 1 and "chars_per_second" in d
    text = format_report(rep)
    assert "PERSON" in text and "micro" in text and "chars/s" in text
    assert evaluate_ner("msra", path, backend="fake", limit=1).sentences == 1


def test_evaluate_ner_cluener_views(tmp_path, fake_backend):
    text = "李雷在红星电器和市教育局"
    row = {"text": text, "label": {"name": {"李雷": [[0, 1]]}, "company": {"红星电器": [[3, 6]]},
                                   "government": {"市教育局": [[8, 11]]}, "game": {"红星": [[3, 4]]}}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    fake_backend[text] = [(0, 2, "PERSON"), (3, 7, "ORG"), (8, 12, "GOV")]
    rep = evaluate_ner("cluener", path, backend="fake")
    assert rep.fine
    assert counts(rep.per_type) == {"PERSON": (1, 0, 0), "COMPANY": (0, 0, 1), "ORG": (0, 1, 0),
                                    "GOV": (1, 0, 0)}
    assert counts(rep.coarse_per_type) == {"PERSON": (1, 0, 0), "ORG": (2, 0, 0)}
    assert rep.headline == 1.0
    assert "any org type matches any org type" in format_report(rep)

    # the training scorer (scores.json, model card) scores the same way
    from pipeline.training.ner import evaluate_backend_on

    scored = evaluate_backend_on(registry.get("ner_backends", "fake")(), "cluener", path)
    assert scored["micro"] == rep.micro.as_dict()
    assert list(scored["per_type"]) == ["COMPANY", "GOV", "ORG", "PERSON", "PLACE"]
    assert scored["per_type"]["GOV"] == rep.per_type["GOV"].as_dict()
    assert scored["org_any"] == rep.coarse_per_type["ORG"].as_dict()
    assert (scored["org_any"]["tp"], scored["sentences"], scored["chars"]) == (2, 1, len(text))


def test_literature_reader_keeps_names_only(tmp_path):
    """BIO with ``_`` tags; nominal/pronoun mentions (by the corpus's brat annotations) and
    one-character spans are not gold names."""
    sent = "我和母亲去泰山见张三"
    tags = ["B_Person", "O", "B_Person", "I_Person", "O", "B_Location", "I_Location", "O",
            "B_Person", "I_Person"]
    path = tmp_path / "ner_test.txt"
    path.write_text("".join(f"{c} {t}\n" for c, t in zip(sent, tags)) + "\n", encoding="utf-8")
    spans = list(corpora.load_mapped("literature", path))[0].spans
    assert spans == [(2, 4, "PERSON"), (5, 7, "PLACE"), (8, 10, "PERSON")]
    brat = tmp_path / "brat_training"
    brat.mkdir()
    (brat / "0.ann").write_text("T1\tPerson-Nominal 0 2\t母亲\nT2\tPerson-Name 3 5\t张三\n"
                                "T3\tPerson-Nominal 6 8\t母亲\nT4\tPerson-Name 9 11\t母亲\n",
                                encoding="utf-8")
    spans = list(corpora.load_mapped("literature", path))[0].spans
    assert spans == [(5, 7, "PLACE"), (8, 10, "PERSON")]


def test_evaluate_pipeline_scores_backend_alone_and_whole_stage(tmp_path, fake_backend):
    """One pass gives the backend's own spans and the entity stage's merge of them with the
    rules; ablation settings reach the stage."""
    from pipeline.evaluation.ner import evaluate_pipeline

    s1 = "国家发展和改革委员会召开会议"
    path = tmp_path / "test.bio"
    path.write_text(_bio(s1, ["B-ORG"] + ["I-ORG"] * 9 + ["O"] * 4), encoding="utf-8")
    fake_backend[s1] = [(2, 10, "ORG")]          # the backend alone gets the span wrong
    alone, whole = evaluate_pipeline("msra", path, backend="fake")
    assert (alone.micro.tp, alone.micro.fp, alone.micro.fn) == (0, 1, 1)
    assert whole.backend == "pipeline(fake)" and whole.sentences == 1
    assert (whole.micro.tp, whole.micro.fn) == (1, 0)   # the organisation-suffix rule finds it whole
    assert whole.seconds >= alone.seconds
    _, no_model = evaluate_pipeline("msra", path, backend="fake", settings={"use_model": False})
    assert no_model.options["settings"] == {"use_model": False}


def test_evaluate_ner_unknown_names(tmp_path):
    with pytest.raises(ValueError):
        evaluate_ner("nosuch", tmp_path / "x")
    path = tmp_path / "t.bio"
    path.write_text(_bio("甲", ["O"]), encoding="utf-8")
    with pytest.raises(registry.UnknownName):
        evaluate_ner("msra", path, backend="no-such-backend")


# ---------------------------------------------------------------- offsets helpers

def test_align_words_exact_and_normalised():
    assert align_words("张三在ＡＢＣ", ["张三", "在", "ＡＢＣ"]) == [(0, 2), (2, 3), (3, 6)]
    assert align_words("ＡＢＣ公司", ["ABC", "公司"]) == [(0, 3), (3, 5)]
    assert align_words("张 三", ["张", "三"]) == [(0, 1), (2, 3)]
    out = align_words("abc", ["zzz", "", "abc", "q"])
    assert all(0 <= s <= e <= 3 for s, e in out)
    assert trim_span(" 李四\u200b ", 0, 5) == (1, 3)


# ---------------------------------------------------------------- real backends (smoke)

SENT = "昨天，张伟在杭州市见到了王芳。"


@pytest.fixture(scope="module")
def lac():
    return registry.get("ner_backends", "lac")()


@pytest.fixture(scope="module")
def jieba_backend():
    return registry.get("ner_backends", "jieba")()


@pytest.mark.parametrize("which", ["lac", "jieba_backend"])
def test_backend_offsets(which, request):
    backend = request.getfixturevalue(which)
    [spans] = backend.tag([SENT])
    texts = {SENT[s:e]: lab for s, e, lab in spans}
    assert texts.get("张伟") == "PERSON"
    assert texts.get("杭州市") == "PLACE"
    for s, e, lab in spans:
        assert 0 <= s < e <= len(SENT) and lab in {"PERSON", "PLACE", "COMPANY", "GOV", "ORG"}
    # leading whitespace shifts the offsets; nothing is lost
    [shifted] = backend.tag(["  " + SENT])
    assert {(s - 2, e - 2, l) for s, e, l in shifted if l == "PERSON"} >= {(3, 5, "PERSON")}


@pytest.mark.parametrize("which", ["lac", "jieba_backend"])
def test_backend_never_raises(which, request):
    backend = request.getfixturevalue(which)
    texts = ["", " ", "\n\t", "😀\u200b\ud800", "ＡＢＣ公司", "x" * 3000, "中" * 5]
    out = backend.tag(texts)
    assert len(out) == len(texts)
    assert out[0] == [] and out[1] == []
    for text, spans in zip(texts, out):
        assert all(0 <= s < e <= len(text) for s, e, _ in spans)
    assert backend.tag([]) == []


def test_jieba_user_dict_is_private(tmp_path):
    from pipeline.backends.jieba_pos import JiebaPosBackend

    d = tmp_path / "user.txt"
    d.write_text("青云门 10 nt\n", encoding="utf-8")
    text = "张小凡加入青云门"
    assert (5, 8, "ORG") in JiebaPosBackend(user_dicts=[str(d)]).tag([text])[0]
    assert (5, 8, "ORG") not in JiebaPosBackend().tag([text])[0]


def test_guideline_conventions_drop_the_same_spans_on_both_sides(tmp_path, fake_backend):
    # MSRA tags the one-character abbreviations of 中美 and 中华; the guidelines never do
    s = "中美两国支持中华文化和王小明"
    tags = ["B-LOC", "B-LOC"] + ["O"] * 4 + ["B-LOC", "I-LOC"] + ["O"] * 3 + ["B-PER", "I-PER", "I-PER"]
    path = tmp_path / "test.bio"
    path.write_text(_bio(s, tags), encoding="utf-8")
    fake_backend[s] = [(0, 1, "PLACE"), (11, 14, "PERSON"), (6, 8, "PLACE")]
    corpus = evaluate_ner("msra", path, backend="fake")
    assert (corpus.micro.tp, corpus.micro.fp, corpus.micro.fn) == (3, 0, 1)
    aligned = evaluate_ner("msra", path, backend="fake", conventions="guidelines")
    assert (aligned.micro.tp, aligned.micro.fp, aligned.micro.fn) == (1, 0, 0)
    assert aligned.to_dict()["options"]["conventions"] == "guidelines"
    assert guideline_view(s, [(0, 1, "PLACE"), (0, 2, "PLACE"), (6, 8, "PLACE")]) == [(0, 2, "PLACE")]
    with pytest.raises(ValueError, match="conventions"):
        evaluate_ner("msra", path, backend="fake", conventions="mine")


def test_guideline_view_writes_places_together_and_bodies_whole():
    # GUIDELINES: places written together are one span; 美国政府 is the body's name (GOV)
    s = "会议在中国上海举行，美国政府表示欢迎，美国人民也是。"
    gold_msra = [(3, 5, "PLACE"), (5, 7, "PLACE"), (10, 12, "PLACE"), (19, 21, "PLACE")]
    assert guideline_view(s, gold_msra) == [(3, 7, "PLACE"), (10, 14, "GOV"), (19, 21, "PLACE")]
    # a span already starting at 政府 keeps the place as it is; a written-whole span stays
    assert guideline_view(s, [(10, 12, "PLACE"), (12, 14, "GOV")]) == [(10, 12, "PLACE"), (12, 14, "GOV")]
    assert guideline_view(s, [(3, 7, "PLACE"), (10, 14, "GOV")]) == [(3, 7, "PLACE"), (10, 14, "GOV")]
