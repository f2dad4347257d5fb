"""One bad record of any shape fails that record only: a failed `documents` row and an `errors`
row naming the file and the record, while the other records of the same file are processed."""
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.runner import run

GOOD = "青岛市政府发布通知。全市共有企业6835家。"


def jsonl(*middle: str | bytes) -> bytes:
    """A jsonl file: a good record, the given lines, a good record."""
    good = json.dumps({"id": "g1", "text": GOOD}, ensure_ascii=False).encode()
    lines = [good] + [m if isinstance(m, bytes) else m.encode() for m in middle]
    return b"\n".join(lines + [json.dumps({"id": "g2", "text": GOOD}, ensure_ascii=False).encode()]) + b"\n"


def csv(*middle: bytes) -> bytes:
    """A csv file (columns id, text, day): a good row, the given rows, a good row."""
    good = f"g1,{GOOD},2020-01-26".encode()
    return b"\n".join([b"id,text,day", good, *middle, f"g2,{GOOD},2020-01-27".encode()]) + b"\n"


def parquet(path, **columns):
    pq.write_table(pa.table(columns), path)


CASES = {
    # name: (file name, content (bytes, or a function writing the file), input settings,
    #        failed record, words of its error, records processed)
    "jsonl array": ("a.jsonl", jsonl("[1, 2]"), {}, "line 2", "expected a JSON object, got an array", 2),
    "jsonl number": ("a.jsonl", jsonl("42"), {}, "line 2", "expected a JSON object, got a number", 2),
    "jsonl null": ("a.jsonl", jsonl("null"), {}, "line 2", "expected a JSON object, got null", 2),
    "jsonl string": ("a.jsonl", jsonl('"text"'), {}, "line 2", "expected a JSON object, got a string", 2),
    "jsonl not json": ("a.jsonl", jsonl("{text: 1"), {}, "line 2", "malformed JSON", 2),
    "jsonl nested too deeply": ("a.jsonl", jsonl("[" * 100_000), {}, "line 2", "malformed JSON: nested too deeply", 2),
    "jsonl endless number": ("a.jsonl", jsonl('{"text": "x", "n": ' + "1" * 5000 + "}"), {}, "line 2",
                             "malformed JSON: Exceeds the limit", 2),
    "text a number": ("a.jsonl", jsonl('{"text": 5}'), {}, "line 2", "text column 'text' is a number, expected a string", 2),
    "text an array": ("a.jsonl", jsonl('{"text": ["a"]}'), {}, "line 2", "text column 'text' is an array", 2),
    "text an object": ("a.jsonl", jsonl('{"text": {"a": 1}}'), {}, "line 2", "text column 'text' is an object", 2),
    "text null": ("a.jsonl", jsonl('{"text": null}'), {}, "line 2", "text column 'text' is empty", 2),
    "text missing": ("a.jsonl", jsonl('{"body": "x"}'), {}, "line 2", "no text key 'text' (keys: body)", 2),
    "text a lone surrogate": ("a.jsonl", jsonl('{"text": "\\ud800x"}'), {}, "line 2",
                              "text column 'text' holds a lone surrogate \\ud800", 2),
    "key a lone surrogate": ("a.jsonl", jsonl('{"\\ud800": "x"}'), {}, "line 2", "no text key 'text' (keys: \\ud800)", 2),
    "id an array": ("a.jsonl", jsonl(f'{{"id": [1, 2], "text": "{GOOD}"}}'), {"id_column": "id"}, "line 2",
                    "id is an array [1, 2], expected a string or a number", 2),
    "id an object": ("a.jsonl", jsonl(f'{{"id": {{"a": 1}}, "text": "{GOOD}"}}'), {"id_column": "id"}, "line 2",
                     'id is an object {"a": 1}', 2),
    "id a boolean": ("a.jsonl", jsonl(f'{{"id": true, "text": "{GOOD}"}}'), {"id_column": "id"}, "line 2",
                     "id is a boolean true", 2),
    "jsonl undecodable bytes": ("a.jsonl", jsonl(b'{"id": "b", "text": "\xff\xfe\xfa"}'), {"id_column": "id"}, "line 2",
                                "cannot decode byte 0xff after '\", \"text\": \"'; the rest of the file decodes", 2),
    "csv field missing": ("b.csv", csv(f"b,{GOOD}".encode()), {"id_column": "id"}, "row 2",
                          "2 fields where the header has 3", 2),
    "csv field extra": ("b.csv", csv(f"b,{GOOD},2020-01-26,more".encode()), {"id_column": "id"}, "row 2",
                        "4 fields where the header has 3", 2),
    "csv undecodable bytes": ("b.csv", csv(b"b,\xff\xfe,2020-01-26"), {"id_column": "id"}, "row 2",
                              "cannot decode byte 0xff at the start", 2),
    "csv empty text": ("b.csv", csv(b"b,,2020-01-26"), {"id_column": "id"}, "b", "text column 'text' is empty", 2),
    "csv NUL byte": ("b.csv", csv(b"b," + b"x" * 9000 + b"\x00,2020-01-26"), {}, "row 2",
                     "cannot decode byte 0x00 after 'xxxxxxxxxxxx'", 2),
    "parquet text null": ("c.parquet", lambda p: parquet(p, text=[GOOD, None, GOOD]), {}, "row 2",
                          "text column 'text' is empty", 2),
    "parquet id a list": ("c.parquet", lambda p: parquet(p, text=[GOOD, GOOD, GOOD], id=[None, [1], None]),
                          {"id_column": "id"}, "row 2", "id is an array [1]", 2),
    "parquet text not strings": ("c.parquet", lambda p: parquet(p, text=[1, 2]), {}, None,
                                 "column 'text' has type int64, expected string", 0),
    "txt binary": ("d.txt", bytes(range(256)) * 4, {}, None, "binary content", 0),
    "txt empty": ("d.txt", b"", {}, None, "empty file", 0),
    "txt undecodable": ("d.txt", b"\x81\x30\xff\xff\xff\xfe" * 3, {}, None, "cannot decode", 0),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_record_fails_alone_naming_file_and_record(tmp_path, case):
    name, content, opts, record, words, processed = CASES[case]
    if callable(content):
        content(tmp_path / name)
    else:
        (tmp_path / name).write_bytes(content)
    cfg = load_config(data={"stages": ["layout", "segment"], "input": {"paths": [name], **opts},
                            "output": {"dir": "out"}, "run": {"cache": False}}, base_dir=tmp_path)
    summary = run(cfg, progress=False)
    docs = pd.read_parquet(tmp_path / "out" / "documents")
    errors = pd.read_parquet(tmp_path / "out" / "errors")
    failed = docs[docs["status"] == "failed"]
    assert len(failed) == 1 and summary.failed == 1
    (row,) = failed.to_dict("records")
    assert row["source"] == name and (row["record"] if record else None) == record
    where = f"{name} [{record}]: " if record else f"{name}: "
    assert row["error"].startswith(where) and words in row["error"], row["error"]
    (err,) = errors.to_dict("records")
    assert err["source"] == name and err["stage"] == "read" and err["message"] == row["error"][len(where):]
    assert summary.ok == processed == (docs["status"] == "ok").sum()
    if processed:  # the records before and after the bad one
        assert docs[docs["status"] == "ok"]["text"].tolist() == [GOOD, GOOD]


def test_a_record_date_of_another_type_leaves_the_date_to_the_text(tmp_path):
    """As documented for input.date_column: an unreadable value is no error (the dateline decides)."""
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": GOOD, "day": [2020, 1, 26]}) + "\n", encoding="utf-8")
    cfg = load_config(data={"stages": ["layout", "segment"], "input": {"paths": ["a.jsonl"], "date_column": "day"},
                            "output": {"dir": "out"}}, base_dir=tmp_path)
    assert run(cfg, progress=False).ok == 1
    assert pd.read_parquet(tmp_path / "out" / "documents")["date"].tolist() == [None]


def test_long_csv_fields_and_dictionary_encoded_parquet_text_are_read(tmp_path):
    long = "青岛市政府发布通知。" * 20_000  # 200K characters: more than the csv module's default field limit
    (tmp_path / "a.csv").write_text(f"text\n{long}\n{GOOD}\n", encoding="utf-8")
    parquet(tmp_path / "b.parquet", text=pa.array([GOOD, GOOD]).dictionary_encode())
    cfg = load_config(data={"stages": ["layout"], "input": {"paths": ["a.csv", "b.parquet"]},
                            "output": {"dir": "out"}}, base_dir=tmp_path)
    summary = run(cfg, progress=False)
    assert summary.ok == 4 and summary.failed == 0
