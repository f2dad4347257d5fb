"""Input formats and encodings, through the real run path (stages layout + segment)."""
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.readers import InputError, decode, discover
from pipeline.runner import run

TEXT = "青岛市政府发布通知。全市共有企业6835家。"


def run_on(tmp_path, paths, **input_opts):
    cfg = load_config(data={"stages": ["layout", "segment"], "input": {"paths": paths, **input_opts},
                            "output": {"dir": str(tmp_path / "out")}}, base_dir=tmp_path)
    summary = run(cfg, progress=False)
    docs = pd.read_parquet(tmp_path / "out" / "documents")
    sents = pd.read_parquet(tmp_path / "out" / "sentences")
    return summary, docs, sents


def test_gb18030_file_is_detected_and_offsets_point_into_decoded_text(tmp_path):
    (tmp_path / "gb.txt").write_bytes(TEXT.encode("gb18030"))
    summary, docs, sents = run_on(tmp_path, ["gb.txt"])
    assert summary.ok == 1 and docs.loc[0, "text"] == TEXT
    for r in sents.itertuples():
        assert TEXT[r.start:r.end] == r.text


def test_utf8_with_bom(tmp_path):
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    _, docs, sents = run_on(tmp_path, ["bom.md"])
    assert docs.loc[0, "text"] == TEXT
    assert sents.loc[0, "start"] == 0


def test_named_encoding_and_undecodable_file_reports_position(tmp_path):
    raw = "青岛".encode("utf-8") + b"\xff\xfe\xfa" + "市".encode("utf-8")
    with pytest.raises(InputError) as err:
        decode(raw, "bad.txt", "utf-8")
    assert "bad.txt" in str(err.value) and "byte offset 6" in str(err.value) and "line 1" in str(err.value)


def test_jsonl_records_each_become_a_document(tmp_path):
    rows = [{"id": "a1", "content": TEXT}, {"id": "a2", "content": "德国企业18家。"}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    summary, docs, sents = run_on(tmp_path, ["in.jsonl"], text_column="content", id_column="id")
    assert summary.ok == 2
    assert list(docs["record"]) == ["a1", "a2"]
    by_doc = dict(zip(docs["doc_id"], docs["text"]))
    for r in sents.itertuples():  # offsets index the record's text field
        assert by_doc[r.doc_id][r.start:r.end] == r.text


def test_csv_and_parquet_inputs(tmp_path):
    pd.DataFrame({"doc": ["x", "y"], "body": [TEXT, "第二篇。"]}).to_csv(tmp_path / "in.csv", index=False)
    pq.write_table(pa.table({"body": [TEXT]}), tmp_path / "in.parquet")
    summary, docs, _ = run_on(tmp_path, ["in.csv", "in.parquet"], text_column="body")
    assert summary.ok == 3
    assert sorted(docs["source"]) == ["in.csv", "in.csv", "in.parquet"]
    assert set(docs["record"]) == {"row 1", "row 2"}


def test_directories_and_globs(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "d" / "sub" / "b.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "d" / "skip.bin").write_bytes(b"\x00\x01")
    found = discover(["d"], tmp_path, ["txt", "md"])
    assert [s for _, s in found] == ["d/a.txt", "d/sub/b.md"]
    assert [s for _, s in discover(["d/**/*.md"], tmp_path, ["txt"])] == ["d/sub/b.md"]
    with pytest.raises(InputError, match="matches no files"):
        discover(["nothing/*.txt"], tmp_path, ["txt"])
    with pytest.raises(InputError, match="no such file"):
        discover(["missing.txt"], tmp_path, ["txt"])


def test_sample_page_run_writes_all_tables(tmp_path):
    from conftest import SAMPLE

    cfg = load_config(data={"stages": ["layout", "segment"], "input": {"paths": [str(SAMPLE)]},
                            "layout": {"publication_date": "2024-04-29"}, "segment": {"tokens": True},
                            "output": {"dir": str(tmp_path / "out")}}, base_dir=tmp_path)
    summary = run(cfg, progress=False)
    out = tmp_path / "out"
    assert summary.documents == 10 and summary.failed == 0
    for table in ("documents", "sentences", "tokens", "entities", "officials", "facts", "errors"):
        assert (out / table).is_dir()
        assert list((out / table).glob("part-*.parquet"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"]["documents"] == 10
    assert manifest["inputs"][0]["sha256"] and manifest["versions"]["spacy"]
    assert set(manifest["stage_seconds"]) == {"layout", "segment"}
    tokens = pd.read_parquet(out / "tokens")
    text = SAMPLE.read_text(encoding="utf-8")
    assert all(text[r.start:r.end].replace("\n", "") == r.text for r in tokens.itertuples())


# --------------------------------------------------------------------------- record dates (input.date_column)

import datetime as dt  # noqa: E402

from pipeline.readers import parse_date  # noqa: E402


@pytest.mark.parametrize("value, date", [
    ("2020-01-26", dt.date(2020, 1, 26)), ("2020/1/26", dt.date(2020, 1, 26)), ("2020.01.26", dt.date(2020, 1, 26)),
    ("20200126", dt.date(2020, 1, 26)), ("2020年1月26日", dt.date(2020, 1, 26)),
    ("2020-01-26 08:30:00", dt.date(2020, 1, 26)), ("2020-01-26T08:30:00+08:00", dt.date(2020, 1, 26)),
    (20200126, dt.date(2020, 1, 26)), (dt.datetime(2020, 1, 26, 23, 0), dt.date(2020, 1, 26)),
    (dt.date(2020, 1, 26), dt.date(2020, 1, 26)),
    ("", None), (None, None), ("yesterday", None), ("2020-13-01", None), (True, None), (3.5, None),
])
def test_parse_date_values(value, date):
    assert parse_date(value) == date


def test_a_record_date_is_the_document_date_with_or_without_layout(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": UNDATED, "day": "2020-01-26"}, ensure_ascii=False), encoding="utf-8")
    for stages in (("layout", "segment"), ("segment",)):
        _, docs = run_dated(tmp_path, [path.name], stages=stages, date_column="day")
        assert docs["date"].tolist() == [dt.date(2020, 1, 26)], stages


DATED = "本报北京1月5日电 今年一季度，青岛市新增企业6835家。"
UNDATED = "今年一季度，青岛市新增企业6835家。"


def run_dated(tmp_path, paths, stages=("layout", "segment"), layout=None, **input_opts):
    cfg = load_config(data={"stages": list(stages), "input": {"paths": paths, **input_opts},
                            "layout": layout or {}, "entities": {"backend": "none"},
                            "output": {"dir": str(tmp_path / "out")}}, base_dir=tmp_path)
    summary = run(cfg, progress=False)
    return summary, pd.read_parquet(tmp_path / "out" / "documents")


def test_date_column_wins_and_other_records_never_inherit_it(tmp_path):
    rows = [{"id": "a", "text": DATED, "day": "2020-03-02"},  # the column beats the dateline
            {"id": "b", "text": DATED},  # no key: the dateline, resolved against the file name's year
            {"id": "c", "text": UNDATED, "day": ""},  # empty: the file name's date
            {"id": "d", "text": UNDATED, "day": "not a date"}]
    path = tmp_path / "news-2019-01-10.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    _, docs = run_dated(tmp_path, [path.name], id_column="id", date_column="day",
                        layout={"publication_date": "2024-04-29"})
    dates = dict(zip(docs["record"], docs["date"]))
    assert dates == {"a": dt.date(2020, 3, 2), "b": dt.date(2019, 1, 5), "c": dt.date(2019, 1, 10),
                     "d": dt.date(2019, 1, 10)}


def test_date_column_of_csv_and_parquet(tmp_path):
    pd.DataFrame({"body": [UNDATED, UNDATED], "when": ["2020/1/26", None]}).to_csv(tmp_path / "in.csv", index=False)
    pq.write_table(pa.table({"body": [UNDATED, UNDATED],
                             "when": pa.array([dt.date(2020, 1, 27), None], pa.date32())}), tmp_path / "in.parquet")
    summary, docs = run_dated(tmp_path, ["in.csv", "in.parquet"], text_column="body", date_column="when")
    assert summary.ok == 4
    got = {(r.source, r.record): r.date for r in docs.itertuples()}
    # no date anywhere (no column value, dateline, file date or publication_date): unknown
    assert got == {("in.csv", "row 1"): dt.date(2020, 1, 26), ("in.csv", "row 2"): None,
                   ("in.parquet", "row 1"): dt.date(2020, 1, 27), ("in.parquet", "row 2"): None}


def test_missing_date_column_is_an_input_error(tmp_path):
    pd.DataFrame({"text": [UNDATED]}).to_csv(tmp_path / "in.csv", index=False)
    summary, docs = run_dated(tmp_path, ["in.csv"], date_column="when")
    assert summary.ok == 0
    assert "no date column 'when'" in docs.loc[0, "error"]


def test_facts_times_resolve_against_the_document_date(tmp_path):
    rows = [{"text": UNDATED, "day": "2020-01-26"}, {"text": UNDATED, "day": "2021-06-01"}, {"text": UNDATED}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    run_dated(tmp_path, ["in.jsonl"], stages=("layout", "segment", "entities", "facts"), date_column="day")
    docs = pd.read_parquet(tmp_path / "out" / "documents")
    facts = pd.read_parquet(tmp_path / "out" / "facts").merge(docs[["doc_id", "record"]], on="doc_id")
    starts = dict(zip(facts["record"], facts["time_start"]))
    assert starts["line 1"] == dt.date(2020, 1, 1) and starts["line 2"] == dt.date(2021, 1, 1)
    assert pd.isna(starts["line 3"])  # 今年 of an undated document is unknown
