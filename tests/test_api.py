"""The library API (pipeline.api): extract, Extractor, Result, load_tables."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel

import pipeline
from pipeline import api, registry
from pipeline.api import ExtractionError, Extractor, Result, load_tables
from pipeline.schema import SCHEMAS, TABLES

TEXT = "海信集团在青岛市投资10亿元建设新工厂，预计2025年投产。\n会上，青岛市政府与海信集团签署了合作协议。"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def result(extractor) -> Result:
    return extractor.extract(TEXT, date="2024-04-29")


def _assert_offsets(text: str, res: Result) -> None:
    for rec in res.entities + res.facts:
        assert 0 <= rec.start < rec.end <= len(text)
        assert text[rec.start:rec.end] == rec.text, rec
    for s in res.sentences:
        assert 0 <= s.start < s.end <= len(text)
    for o in res.officials:
        assert 0 <= o.start <= o.end <= len(text)


def test_extract_finds_records_with_offsets_into_the_input(result):
    assert result.text == TEXT
    assert len(result.documents) == 1 and result.ok and not result.failed
    assert result.documents[0].status == "ok"
    assert result.sentences, "no sentences"
    _assert_offsets(TEXT, result)
    ents = {(e.text, e.label) for e in result.entities}
    assert ("青岛市", "PLACE") in ents
    assert ("海信集团", "COMPANY") in ents
    place = next(e for e in result.entities if e.text == "青岛市")
    assert place.adcode and place.adcode.startswith("3702")
    money = [f for f in result.facts if f.kind == "money"]
    assert money and money[0].text == "10亿元" and money[0].value == pytest.approx(1e9)


def test_module_level_extract_and_lazy_exports():
    res = pipeline.extract("青岛市今年新增企业6835家。", date=dt.date(2024, 4, 29))
    assert isinstance(res, pipeline.Result)
    _assert_offsets(res.text, res)
    assert any(f.text == "6835家" and f.value == 6835 for f in res.facts)
    # the pipeline built for the default config is cached: models load once
    cached = list(api._DEFAULT_EXTRACTORS.values())
    pipeline.extract("第二次调用。")
    assert list(api._DEFAULT_EXTRACTORS.values()) == cached and len(cached) == 1
    assert pipeline.Extractor is Extractor


def test_dataframes_are_typed_like_the_tables(result, tmp_path):
    df = result.entities_df()
    assert list(df.columns) == SCHEMAS["entities"].names
    assert len(df) == len(result.entities)
    facts = result.facts_df()
    assert list(facts.columns) == SCHEMAS["facts"].names
    assert facts["value"].dtype == "float64"
    tables = result.tables()
    assert set(tables) == set(TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == SCHEMAS[name].names
    assert result.tokens_df().empty  # tokens only with segment.tokens


def test_extractor_reuses_its_pipeline_and_restores_the_date(extractor):
    pipe, stages = extractor.pipeline, list(extractor.pipeline.stages)
    a = extractor.extract("本报4月28日讯 青岛市召开会议。", date="2024-04-29")
    b = extractor.extract("青岛市召开会议。", date="2024-04-29")
    c = extractor.extract("青岛市召开会议。")
    assert extractor.pipeline is pipe and extractor.pipeline.stages == stages
    assert a.documents[0].date == dt.date(2024, 4, 28)  # dateline resolved against the given date
    assert b.documents[0].date == dt.date(2024, 4, 29)  # no dateline: the publication date
    assert c.documents[0].date is None  # the date of one call does not leak into the next
    assert "layout" in extractor.stages


def test_extract_many_matches_one_by_one(extractor):
    texts = ["青岛市召开会议。", "海信集团在青岛投资。", ""]
    many = extractor.extract_many(texts, sources=["a", "b", "c"])
    assert [r.text for r in many] == texts
    one = extractor.extract(texts[1], source="b")
    assert [(e.start, e.end, e.label) for e in many[1].entities] == [(e.start, e.end, e.label) for e in one.entities]
    assert many[2].documents == [] and many[2].entities == []
    with pytest.raises(ValueError):
        extractor.extract_many(["x", "y"], sources=["s", "s"])
    with pytest.raises(TypeError):
        extractor.extract(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        extractor.extract("x", date="28 April")


def test_config_as_dict_and_overrides():
    ex = Extractor({"stages": ["layout", "segment"]})
    res = ex.extract("青岛市召开会议。会议决定。")
    assert ex.stages == ["layout", "segment"]
    assert res.entities == [] and len(res.sentences) == 2
    ex2 = Extractor(overrides=["stages=[layout,segment]", "segment.tokens=true"])
    res2 = ex2.extract("青岛市召开会议。")
    assert res2.tokens and all(res2.text[t.start:t.end] == t.text for t in res2.tokens)


class _Boom:
    """A stage that fails on every document (to test failure reporting)."""

    name = "boom"

    class Settings(BaseModel):
        pass

    def __init__(self, settings, context=None):
        pass

    def process(self, items):
        raise RuntimeError("kaput")


def test_failures_are_returned_or_raised():
    registry.register("stages", "boom", _Boom)
    try:
        ex = Extractor({"stages": ["layout", "boom"]})
        res = ex.extract("青岛市召开会议。")
        assert not res.ok and res.failed and "kaput" in res.failed[0].error
        assert res.errors and res.errors[0].stage == "boom"
        with pytest.raises(ExtractionError, match="kaput"):
            ex.extract("青岛市召开会议。", strict=True)
    finally:
        registry.REGISTRIES["stages"].pop("boom", None)


def test_repr_and_html(result):
    assert "entities=" in repr(result)
    html = result._repr_html_()
    assert 'data-label="PLACE"' in html and 'data-text="青岛市"' in html


# --------------------------------------------------------------------------- load_tables

@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("api-run")
    (root / "in").mkdir()
    (root / "in" / "a.txt").write_text("青岛市政府召开常务会议。海信集团投资10亿元。", encoding="utf-8")
    (root / "c.yaml").write_text("stages: [layout, segment, entities, facts]\ninput:\n  paths: [in]\n"
                                 "output:\n  dir: out\n", encoding="utf-8")
    pipeline.run(root / "c.yaml", progress=False)
    return root / "out"


def test_load_tables_reads_a_run(small_run):
    tables = load_tables(small_run)
    assert set(tables) == set(TABLES) | {"entity_index"}
    for name, df in tables.items():
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns) == SCHEMAS[name].names
    assert len(tables["documents"]) == 1
    assert tables["tokens"].empty  # not written by this run, still has its columns
    source = (small_run.parent / "in" / "a.txt").read_text(encoding="utf-8")
    for row in tables["entities"].itertuples():
        assert source[row.start:row.end] == row.text
    # the same text through the API gives the same entities, with the same dtypes
    res = pipeline.extract(source)
    mine = res.entities_df()
    assert list(mine.dtypes) == list(tables["entities"].dtypes)
    assert sorted(zip(mine.start, mine.end, mine.label)) == \
        sorted(zip(tables["entities"].start, tables["entities"].end, tables["entities"].label))
    assert set(load_tables(small_run, ["facts"])) == {"facts"}


def test_load_tables_errors(tmp_path, small_run):
    with pytest.raises(FileNotFoundError, match="not an output folder"):
        load_tables(tmp_path)
    with pytest.raises(KeyError, match="unknown table"):
        load_tables(small_run, ["nope"])
