"""A ``dataset: silver`` train item (a folder of ready DocBins) in NER training configs:
it loads, ``limit`` draws a seeded sample, missing values survive, no doc reaches dev."""
from __future__ import annotations

import pytest

from pipeline.training.ner import _make_doc, build_ner_data, build_orgtype_data, load_config, silver_sample

# 张三在北京见到李四。 PERSON 张三, 北京 missing (the teachers disagree), the rest O
TEXT = "张三在北京见到李四。"


@pytest.fixture
def nlp():
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})


@pytest.fixture
def folder(tmp_path, nlp):
    """Two shards of 12 docs each; doc i ends with its number, so samples can be told apart."""
    from spacy.tokens import DocBin

    out = tmp_path / "silver" / "tiny"
    out.mkdir(parents=True)
    for shard in range(2):
        db = DocBin(store_user_data=False)
        for i in range(shard * 12, shard * 12 + 12):
            db.add(_make_doc(nlp, f"{TEXT}{i}", [(0, 2, "PERSON")], [(3, 5)])[0])
        db.to_disk(out / f"{shard:03d}.spacy")
    return out


def _numbers(docs) -> list[int]:
    return [int(d.text[len(TEXT):]) for d in docs]


def test_all_docs_load_with_their_missing_values(folder, nlp):
    docs = silver_sample(folder, nlp, 0, "0-silver-tiny")
    assert _numbers(docs) == list(range(24))
    doc = docs[0]
    assert [(e.text, e.label_) for e in doc.ents] == [("张三", "PERSON")]
    assert [t.ent_iob_ for t in doc[:6]] == ["B", "I", "O", "", "", "O"]


def test_limit_draws_a_seeded_sample(folder, nlp):
    first = _numbers(silver_sample(folder, nlp, 5, "0-silver-tiny"))
    assert len(first) == len(set(first)) == 5 and first == sorted(first)
    assert _numbers(silver_sample(folder, nlp, 5, "0-silver-tiny")) == first
    assert _numbers(silver_sample(folder, nlp, 5, "1-silver-tiny")) != first
    assert len(silver_sample(folder, nlp, 100, "0-silver-tiny")) == 24


def test_an_empty_folder_is_an_error(tmp_path, nlp):
    with pytest.raises(FileNotFoundError):
        silver_sample(tmp_path, nlp, 0, "0")


def test_silver_item_trains_ner_only_and_never_enters_dev(folder, nlp):
    config = folder.parent.parent / "train.yaml"
    config.write_text("seed: 0\ntrain:\n  - {dataset: silver, path: silver/tiny, limit: 10}\n"
                      "dev: {silver: 5}\n", encoding="utf-8")
    cfg = load_config(config)
    assert cfg["train"][0]["path"] == str(folder)
    train, dev, stats = build_ner_data(cfg, nlp)
    assert len(train) == 10 and dev == []
    st = stats["silver:tiny"]
    assert (st["sentences"], st["train_sentences"], st["dev_sentences"]) == (10, 10, 0)
    assert st["train_entities"] == {"PERSON": 10} and st["missing_chars"] == 20
    assert all(t.ent_iob_ == "" for d in train for t in d[3:5])
    assert build_orgtype_data(cfg)[2]["unique_mentions"] == 0


def test_extract_train_ner_accepts_a_silver_folder_and_names_a_missing_one(folder, capsys):
    import typer

    from pipeline.cli import _check_training_config

    config = folder.parent.parent / "train.yaml"
    config.write_text("seed: 0\ntrain:\n  - {dataset: silver, path: silver/tiny, limit: 10}\n", encoding="utf-8")
    _check_training_config(config)  # the folder holds shards: nothing missing
    config.write_text("seed: 0\ntrain:\n  - {dataset: silver, path: silver/none}\n", encoding="utf-8")
    with pytest.raises(typer.Exit) as err:
        _check_training_config(config)
    assert err.value.exit_code == 2 and "train corpus silver" in capsys.readouterr().err


def test_repeat_weighs_up_the_train_part_of_a_small_corpus(tmp_path, nlp):
    # Weibo NER's format: character + segmentation position, tab, tag
    lines = []
    for i in range(10):
        for ch, tag in zip(f"张三去北京{i}", ["B-PER.NAM", "I-PER.NAM", "O", "B-GPE.NAM", "I-GPE.NAM", "O"]):
            lines.append(f"{ch}0\t{tag}")
        lines.append("")
    (tmp_path / "weibo.train").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "train.yaml"
    config.write_text("seed: 0\ntrain:\n  - {dataset: weibo, path: weibo.train, repeat: 3}\n"
                      "dev: {weibo: 4}\n", encoding="utf-8")
    train, dev, stats = build_ner_data(load_config(config), nlp)
    assert len(dev) == 4 and len(train) == 3 * 6
    assert stats["weibo"]["repeat"] == 3 and stats["weibo"]["train_sentences"] == 6
    assert {(e.text, e.label_) for e in train[0].ents} == {("张三", "PERSON"), ("北京", "PLACE")}
    config.write_text("seed: 0\ntrain:\n  - {dataset: weibo, path: weibo.train, repeat: 0}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repeat must be a whole number"):
        build_ner_data(load_config(config), nlp)
