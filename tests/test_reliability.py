"""Bad input, nothing lost, interrupted runs and determinism (issue: reliability)."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.readers import InputError, discover
from pipeline.runner import RunFailed, run

from conftest import SAMPLE

GOOD = "青岛市政府发布通知。全市共有企业6835家。"


def config(tmp_path, paths, out="out", stages=("layout", "segment", "entities", "facts"), **extra):
    data = {"stages": list(stages), "input": {"paths": paths}, "entities": {"backend": "none"},
            "output": {"dir": out}}
    for k, v in extra.items():
        data.setdefault(k, {}).update(v)
    return load_config(data=data, base_dir=tmp_path)


def documents(tmp_path, out="out"):
    return pd.read_parquet(tmp_path / out / "documents")


BAD_FILES = {
    # name: (bytes, expected words in the error)
    "undecodable.txt": (b"\x81\x30\xff\xff\xff\xfe" * 3, ["undecodable.txt", "cannot decode", "byte offset"]),
    "mixed.txt": ("青岛".encode("utf-8") + "市政府".encode("gbk"), ["mixed.txt", "mixes encodings", "byte offset 6"]),
    "binary.txt": (bytes(range(256)) * 4, ["binary.txt", "binary content"]),
    "empty.txt": (b"", ["empty.txt", "empty file"]),
    "blank.md": (b" \n\t\n\xe3\x80\x80\n", ["blank.md", "only white space"]),
}


def test_each_bad_file_fails_alone_with_a_clear_message_and_nothing_is_lost(tmp_path):
    (tmp_path / "in").mkdir()
    for name, (raw, _) in BAD_FILES.items():
        (tmp_path / "in" / name).write_bytes(raw)
    (tmp_path / "in" / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "in" / "punct.txt").write_text("，。！？……——“”《》", encoding="utf-8")
    summary = run(config(tmp_path, ["in"]), progress=False)
    docs = documents(tmp_path).set_index("source")
    assert summary.documents == len(BAD_FILES) + 2
    assert summary.failed == len(BAD_FILES) and summary.ok == 2
    for name, (_, words) in BAD_FILES.items():
        row = docs.loc[f"in/{name}"]
        assert row["status"] == "failed"
        for w in words:
            assert w in row["error"], (name, row["error"])
    assert docs.loc["in/good.txt", "status"] == "ok"
    assert docs.loc["in/punct.txt", "status"] == "ok"
    errors = pd.read_parquet(tmp_path / "out" / "errors")
    assert sorted(errors["source"]) == sorted(f"in/{n}" for n in BAD_FILES)
    assert set(errors["stage"]) == {"read"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["documents"] == {"total": 7, "ok": 2, "failed": 5}


def test_cli_exit_code_3_when_some_documents_failed(tmp_path, write_config):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    path = write_config({"stages": ["layout", "segment"], "input": {"paths": ["in"]}, "output": {"dir": "out"}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path), "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 3
    assert (tmp_path / "out" / "documents").is_dir()


def test_fail_fast_stops_at_the_first_failure_and_writes_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(b"")
    (tmp_path / "in" / "b.txt").write_text(GOOD, encoding="utf-8")
    with pytest.raises(RunFailed, match="a.txt"):
        run(config(tmp_path, ["in"]), progress=False, fail_fast=True)
    assert not (tmp_path / "out").exists()


def test_a_50mb_single_line_file_is_processed(tmp_path):
    unit = "专精特新企业是具备专业化、精细化、特色化和创新型特征的中小企业，共有企业6835家，"
    line = unit * (50 * 1024 * 1024 // len(unit.encode("utf-8")) + 1)
    (tmp_path / "big.txt").write_text(line, encoding="utf-8")
    assert (tmp_path / "big.txt").stat().st_size >= 50 * 1024 * 1024
    # entity-stage throughput is a benchmark matter; here the file must go through read, layout,
    # sentences, facts and the writer without exhausting memory
    summary = run(config(tmp_path, ["big.txt"], stages=("layout", "segment", "facts")), progress=False)
    assert summary.ok == 1
    sents = pd.read_parquet(tmp_path / "out" / "sentences", columns=["start", "end"])
    assert sents["end"].max() == len(line) - 1 or sents["end"].max() == len(line)
    assert (sents["end"] - sents["start"]).max() <= 1000


def test_structured_input_problems(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text(
        json.dumps({"text": GOOD}, ensure_ascii=False) + "\n{not json\n" + json.dumps({"body": "x"}) + "\n",
        encoding="utf-8")
    pd.DataFrame({"body": [GOOD]}).to_csv(tmp_path / "in" / "b.csv", index=False)
    pq.write_table(pa.table({"text": [1, 2]}), tmp_path / "in" / "c.parquet")
    summary = run(config(tmp_path, ["in"]), progress=False)
    docs = documents(tmp_path)
    err = dict(zip(docs["source"] + "|" + docs["record"].fillna(""), docs["error"]))
    assert summary.ok == 1 and summary.failed == 4
    assert "malformed JSON" in err["in/a.jsonl|line 2"]
    assert "no text key 'text'" in err["in/a.jsonl|line 3"]
    assert "no column 'text' (columns: body)" in err["in/b.csv|"]
    assert "has type int64, expected string" in err["in/c.parquet|"]


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    from pathlib import Path

    (tmp_path / "locked.txt").write_text(GOOD, encoding="utf-8")
    real = Path.read_bytes

    def deny(self):  # root can read a chmod 000 file, so simulate the OS refusing
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    run(config(tmp_path, ["locked.txt"]), progress=False)
    (row,) = documents(tmp_path).to_dict("records")
    assert row["status"] == "failed" and "locked.txt" in row["error"] and "permission denied" in row["error"]


def test_missing_paths_and_empty_globs_are_errors_before_anything_is_written(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        run(config(tmp_path, ["nope.txt"]), progress=False)
    with pytest.raises(InputError, match="matches no files"):
        run(config(tmp_path, ["*.none"]), progress=False)
    assert not (tmp_path / "out").exists()


def test_a_stage_failure_in_one_document_keeps_the_others(tmp_path, monkeypatch):
    from pipeline import facts as facts_module

    original = facts_module.FactStage.process

    def flaky(self, items):
        if any("爆炸" in it.doc.text for it in items):
            raise RuntimeError("boom")
        return original(self, items)

    monkeypatch.setattr(facts_module.FactStage, "process", flaky)
    (tmp_path / "in").mkdir()
    for i, text in enumerate([GOOD, "这一篇会爆炸。共有3家。", GOOD]):
        (tmp_path / "in" / f"{i}.txt").write_text(text, encoding="utf-8")
    summary = run(config(tmp_path, ["in"], run={"batch_size": 8}), progress=False)
    docs = documents(tmp_path).set_index("source")
    assert summary.ok == 2 and summary.failed == 1
    assert docs.loc["in/1.txt", "error"] == "facts: RuntimeError: boom"
    facts = pd.read_parquet(tmp_path / "out" / "facts")
    assert set(facts["source"]) == {"in/0.txt", "in/2.txt"}


def _row_digest(out):
    digest = {}
    for table in ("documents", "sentences", "entities", "officials", "facts", "errors"):
        df = pd.read_parquet(out / table)
        digest[table] = hashlib.sha256(json.dumps(df.to_dict("records"), default=str, ensure_ascii=False,
                                                  sort_keys=True).encode()).hexdigest()
    return digest


def test_same_input_and_config_give_identical_tables(tmp_path):
    cfg = config(tmp_path, [str(SAMPLE)], layout={"publication_date": "2024-04-29"}, run={"cache": False})
    run(cfg, progress=False, output=tmp_path / "a")
    run(cfg, progress=False, output=tmp_path / "b")
    assert _row_digest(tmp_path / "a") == _row_digest(tmp_path / "b")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_run_leaves_previous_output_untouched(tmp_path, write_config, sig):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "first.txt").write_text(GOOD, encoding="utf-8")
    cfg = write_config({"stages": ["layout", "segment", "entities", "facts"], "input": {"paths": ["in"]},
                        "entities": {"backend": "none"}, "output": {"dir": "out"},
                        "run": {"batch_size": 1, "cache": False}})
    assert subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"]).returncode == 0
    before = _row_digest(tmp_path / "out")
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    text = SAMPLE.read_text(encoding="utf-8")
    for i in range(400):
        (tmp_path / "in" / f"p{i:03d}.txt").write_text(text, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"])
    tmp_dir = None
    deadline = time.time() + 60
    while time.time() < deadline and tmp_dir is None:  # wait until it is writing its temporary output
        found = list(tmp_path.glob(f".out.tmp-{proc.pid}"))
        tmp_dir = found[0] if found else None
        time.sleep(0.05)
    assert tmp_dir is not None, "run never started writing"
    time.sleep(1.0)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert (tmp_path / "out" / "manifest.json").read_text() == manifest
    assert _row_digest(tmp_path / "out") == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["documents", "sentences", "entities", "officials", "facts", "errors", "entity_index", "manifest.json"])
    if sig == signal.SIGINT:
        assert not tmp_dir.exists()  # cleaned up on the way out
    # the next run clears what a killed run left and completes
    for p in (tmp_path / "in").glob("p*.txt"):
        p.unlink()
    assert subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"]).returncode == 0
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_failed_records_travel_to_worker_processes(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(b"")
    (tmp_path / "in" / "b.txt").write_text(GOOD, encoding="utf-8")
    summary = run(config(tmp_path, ["in"], stages=("layout", "segment"), run={"workers": 2, "cache": False}),
                  progress=False)
    assert (summary.ok, summary.failed) == (1, 1)


def test_a_stage_that_cannot_start_is_exit_2_and_writes_nothing(tmp_path, write_config):
    (tmp_path / "in.txt").write_text(GOOD, encoding="utf-8")
    path = write_config({"input": {"paths": ["in.txt"]}, "output": {"dir": "out"},
                         "entities": {"backend": "spacy", "backend_options": {"model": str(tmp_path / "nomodel")}}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path), "-q"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "entities: cannot start the stage" in proc.stderr and "nomodel" in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.tmp-*"))
