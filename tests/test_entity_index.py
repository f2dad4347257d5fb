"""The corpus-level entity_index table and entities.entity_key."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import pipeline
from pipeline.api import load_tables
from pipeline.entity_index import EntityIndex
from pipeline.records import entity_key


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("index-run")
    (root / "in").mkdir()
    (root / "in" / "a-20200105.txt").write_text("海信集团在青岛市投资10亿元。海信集团董事长出席。", encoding="utf-8")
    (root / "in" / "b-20200107.txt").write_text("青岛市政府与海信集团签约。", encoding="utf-8")
    (root / "in" / "c.txt").write_text("海信集团发布新品。", encoding="utf-8")
    (root / "c.yaml").write_text("stages: [layout, segment, entities, facts]\ninput:\n  paths: [in]\n"
                                 "entities:\n  backend: none\noutput:\n  dir: out\n", encoding="utf-8")
    pipeline.run(root / "c.yaml", progress=False)
    return root / "out"


def test_every_mention_links_to_one_index_row(run_out):
    tables = load_tables(run_out)
    ents, index = tables["entities"], tables["entity_index"]
    assert not index.empty and index["entity_key"].is_unique
    assert ents["entity_key"].isin(index["entity_key"]).all()
    counts = ents.groupby("entity_key").size()
    assert (index.set_index("entity_key")["mentions"] == counts.reindex(index["entity_key"]).values).all()
    assert index["mentions"].sum() == len(ents)
    docs = ents.groupby("entity_key")["doc_id"].nunique()
    assert (index.set_index("entity_key")["documents"] == docs.reindex(index["entity_key"]).values).all()
    assert list(index["mentions"]) == sorted(index["mentions"], reverse=True)


def test_index_row_has_name_label_code_and_date_range(run_out):
    index = load_tables(run_out, ["entity_index"])["entity_index"]
    hisense = index[(index.canonical == "海信集团") & (index.label == "COMPANY")].iloc[0]
    assert (hisense.mentions, hisense.documents) == (4, 3)
    # c.txt has no date: it counts as a mention but does not widen the date range
    assert (hisense.first_date, hisense.last_date) == (dt.date(2020, 1, 5), dt.date(2020, 1, 7))
    qingdao = index[(index.canonical == "青岛市") & (index.label == "PLACE")].iloc[0]
    assert qingdao.adcode == "370200" and qingdao.entity_key == entity_key("PLACE", "青岛市", "370200")


def test_sql_over_the_index(run_out):
    from pipeline.query import query

    df = query(run_out, "SELECT canonical, mentions FROM entity_index WHERE label = 'COMPANY' "
                        "ORDER BY mentions DESC").to_pandas()
    assert isinstance(df, pd.DataFrame) and df.iloc[0]["canonical"] == "海信集团"


def test_index_counts_documents_once_and_keys_rows_without_one():
    index = EntityIndex()
    d1, d2 = dt.date(2020, 1, 2), dt.date(2020, 1, 1)
    index.add([{"doc_id": "a", "date": d1}], [
        {"doc_id": "a", "text": "张三", "label": "PERSON", "canonical": "张三"},
        {"doc_id": "a", "text": "张三", "label": "PERSON", "canonical": "张三"}])
    index.add([{"doc_id": "b", "date": d2}], [{"doc_id": "b", "text": "张三", "label": "PERSON", "canonical": None}])
    (row,) = index.rows()
    assert (row["mentions"], row["documents"], row["first_date"], row["last_date"]) == (3, 2, d2, d1)
    assert row["entity_key"] == entity_key("PERSON", "张三")
