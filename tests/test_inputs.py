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
