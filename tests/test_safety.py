"""Issue 18, "Must not happen": nothing from arguments or the cache is executed, a re-run
never deletes what it did not write; `extract sql`, `extract show` print data as data."""
import gzip
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_config
from pipeline.runner import RunCache, _sha256, run
from pipeline.schema import SCHEMAS

GOOD = "青岛市政府发布通知。全市共有企业6835家，采购规模约170亿元。"


def fake_output(out: Path) -> Path:
    """A small output folder written directly (no pipeline run), with hostile text in it."""
    rows = {
        "documents": [{"doc_id": "d1", "source": "a.txt", "record": None, "article_index": 0, "title": "[red]标题[/red]",
                       "text": "正文", "status": "ok", "reporters": ["[bold]王凯"]},
                      {"doc_id": "d2", "source": "b.txt", "record": None, "article_index": 0, "title": "第二篇",
                       "text": "正文二", "status": "ok", "reporters": []}],
        "facts": [{"doc_id": "d1", "source": "a.txt", "start": 0, "end": 5, "text": "约170亿元", "value": 1.7e10,
                   "unit": "元", "kind": "money", "subject": "[line 2]采购规模"},
                  {"doc_id": "d2", "source": "b.txt", "start": 0, "end": 5, "text": "6835家", "value": 6835.0,
                   "unit": "家", "kind": "count", "subject": "企业"}],
        "entities": [{"entity_id": "e1", "doc_id": "d1", "source": "a.txt", "start": 0, "end": 2, "text": "青岛",
                      "label": "PLACE", "canonical": "青岛市", "province": "山东省", "city": "青岛市"}],
        "officials": [], "sentences": [], "errors": [],
    }
    for table, table_rows in rows.items():
        (out / table).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(table_rows, schema=SCHEMAS[table]), out / table / "part-00000.parquet")
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    return out


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


# --------------------------------------------------------------------------- 1. --where never runs code

@pytest.mark.parametrize("where", [
    "@pd.io.common.os.system('touch {marker}')",
    "@df.to_csv('{marker}')",
    "__import__('os').system('touch {marker}')",
    "kind = 'money'; COPY facts TO '{marker}'",
])
def test_show_where_never_executes_code(tmp_path, where):
    out = fake_output(tmp_path / "out")
    marker = tmp_path / "pwned"
    result = cli("show", out, "facts", "--where", where.format(marker=marker))
    assert result.exit_code == 2, result.output
    assert not marker.exists()
    assert "error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "COPY facts TO '{marker}'",
    "SELECT 1; COPY facts TO '{marker}'",
    "ATTACH '{marker}' AS x",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SELECT * FROM glob('/etc/*')",
    "CREATE TABLE t AS SELECT * FROM facts",
    "SELECT * FROM '{out}/facts/part-00000.parquet'",
])
def test_sql_is_read_only_and_sees_only_the_tables(tmp_path, sql):
    out = fake_output(tmp_path / "out")
    marker = tmp_path / "pwned"
    result = cli("sql", out, sql.format(marker=marker, out=out))
    assert result.exit_code == 2, result.output
    assert not marker.exists()
    assert result.output.startswith("error: sql: ") and len(result.output.strip().splitlines()) == 1


def test_sql_cannot_see_python_variables(tmp_path):
    out = fake_output(tmp_path / "out")
    result = cli("sql", out, "SELECT * FROM app")
    assert result.exit_code == 2 and "app" in result.output


def test_show_where_order_by_limit_are_sql(tmp_path):
    out = fake_output(tmp_path / "out")
    result = cli("show", out, "facts", "--where", "value > 1000 AND kind IN ('money', 'count')",
                 "--order-by", "value", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "6835家" in result.output and "170亿" not in result.output
    assert "2 rows" in result.output


def test_sql_table_csv_and_json(tmp_path):
    out = fake_output(tmp_path / "out")
    q = "SELECT kind, count(*) AS n, sum(value) AS total FROM facts GROUP BY kind ORDER BY kind"
    table = cli("sql", out, q)
    assert table.exit_code == 0 and "money" in table.output and "17,000,000,000" in table.output
    csv = cli("sql", out, q, "--csv")
    assert csv.output.splitlines() == ['"kind","n","total"', '"count",1,6835', '"money",1,1.7e+10']
    lines = cli("sql", out, q, "--json").output.splitlines()
    assert [json.loads(x) for x in lines] == [{"kind": "count", "n": 1, "total": 6835.0},
                                              {"kind": "money", "n": 1, "total": 1.7e10}]
    # CSV has no lists: a list column (documents.reporters, officials.titles) is written as JSON
    listed = cli("sql", out, "SELECT ['记者', '主任'] AS titles, 1 AS n", "--csv")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ['"titles","n"', '"[""记者"", ""主任""]",1']


def test_sql_on_a_folder_that_is_not_an_output(tmp_path):
    result = cli("sql", tmp_path, "SELECT 1")
    assert result.exit_code == 2 and "not an output folder" in result.output


# --------------------------------------------------------------------------- show prints text as text

def test_show_prints_markup_in_data_literally(tmp_path):
    out = fake_output(tmp_path / "out")
    docs = cli("show", out, "documents")
    assert docs.exit_code == 0, docs.output
    assert "[red]标题[/red]" in docs.output and "[bold]王凯" in docs.output
    facts = cli("show", out, "facts", "--where", "subject LIKE '[%'", "--columns", "subject")
    assert facts.exit_code == 0, facts.output
    assert "[line 2]" in facts.output and "LIKE '[%'" in facts.output and "1 row " in facts.output


def test_show_default_columns_are_the_readable_ones_and_columns_selects(tmp_path):
    out = fake_output(tmp_path / "out")
    default = cli("show", out, "facts").output
    header = next(line for line in default.splitlines() if "text" in line and "kind" in line)
    assert "subject" in header and "source" not in header and "value_low" not in header
    chosen = cli("show", out, "facts", "--columns", "source,value_low")
    assert chosen.exit_code == 0 and "a.txt" in chosen.output and "kind" not in chosen.output
    everything = cli("show", out, "entities", "--columns", "all")
    assert "entity_id" in everything.output
    bad = cli("show", out, "facts", "--columns", "nope")
    assert bad.exit_code == 2 and "unknown column(s) nope" in bad.output
    missing = cli("show", out, "nosuch")
    assert missing.exit_code == 2 and "no such table" in missing.output


# --------------------------------------------------------------------------- 2. the cache is never executed

class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _config(tmp_path, **run_settings):
    return load_config(data={"stages": ["layout", "segment", "entities", "facts"], "input": {"paths": ["in"]},
                             "entities": {"backend": "none"}, "output": {"dir": "out"},
                             "run": {"batch_size": 1, **run_settings}}, base_dir=tmp_path)


def test_a_planted_cache_entry_is_never_executed_and_is_a_miss(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    cfg = _config(tmp_path)
    first = run(cfg, progress=False)
    assert first.cached_inputs == 0
    expected = pq.read_table(tmp_path / "out" / "facts").to_pylist()
    marker = tmp_path / "pwned"
    cache = RunCache(tmp_path / ".out.cache", cfg.fingerprint())
    source = next(iter(json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"]))["source"]
    entry = cache.path(source, _sha256(tmp_path / "in" / "a.txt"))
    # plant a pickle where the entry is, and where the old pickle cache kept it
    for target in (entry, entry.with_name(entry.name.split(".")[0] + ".pkl.gz")):
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        with gzip.open(target, "wb") as fh:
            pickle.dump(_Evil(marker), fh)
    again = run(_config(tmp_path), progress=False)
    assert not marker.exists()
    assert again.cached_inputs == 0  # the planted entry is a miss: recomputed
    assert pq.read_table(tmp_path / "out" / "facts").to_pylist() == expected
    assert run(_config(tmp_path), progress=False).cached_inputs == 1  # and replaced by a good entry


def test_a_damaged_cache_entry_is_a_miss(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    run(_config(tmp_path), progress=False)
    expected = pq.read_table(tmp_path / "out" / "facts").to_pylist()
    [entry] = [p for p in (tmp_path / ".out.cache").iterdir() if p.is_dir()]
    marker = tmp_path / "pwned"
    (entry / "facts.parquet").write_bytes(pickle.dumps(_Evil(marker)))
    assert run(_config(tmp_path), progress=False).cached_inputs == 0
    assert not marker.exists()
    assert pq.read_table(tmp_path / "out" / "facts").to_pylist() == expected
    # a table with another schema is a miss too
    pq.write_table(pa.table({"source": ["in/a.txt"], "x": [1]}), entry / "facts.parquet")
    assert run(_config(tmp_path), progress=False).cached_inputs == 0
    assert pq.read_table(tmp_path / "out" / "facts").to_pylist() == expected


def test_cached_rows_give_the_same_tables(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text("2023年海信集团采购规模约170亿元。", encoding="utf-8")
    run(_config(tmp_path), progress=False)
    tables = {t: pq.read_table(tmp_path / "out" / t) for t in ("documents", "sentences", "entities", "facts")}
    again = run(_config(tmp_path), progress=False)
    assert again.cached_inputs == 2
    for t, data in tables.items():
        assert pq.read_table(tmp_path / "out" / t).equals(data), t
    assert not list((tmp_path / ".out.cache").glob("*.pkl*"))


# --------------------------------------------------------------------------- 3. a re-run deletes nothing it did not write

def test_a_rerun_replaces_its_own_tables_and_leaves_everything_else(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    run(_config(tmp_path, cache=False), progress=False)
    out = tmp_path / "out"
    # what a user (and the README's own commands) put into the output folder
    (out / "report.html").write_text("<html>review</html>", encoding="utf-8")
    (out / "fast").mkdir()
    (out / "fast" / "manifest.json").write_text("{}", encoding="utf-8")
    (out / "notes.md").write_text("notes", encoding="utf-8")
    # a run that writes the tokens table too, then one that does not
    cfg = _config(tmp_path, cache=False)
    cfg.segment.tokens = True
    run(cfg, progress=False)
    assert (out / "tokens").is_dir()
    (tmp_path / "in" / "b.txt").write_text("2023年海信集团采购规模约170亿元。", encoding="utf-8")
    summary = run(_config(tmp_path, cache=False), progress=False)
    assert (out / "report.html").read_text(encoding="utf-8") == "<html>review</html>"
    assert (out / "fast" / "manifest.json").is_file() and (out / "notes.md").is_file()
    assert not (out / "tokens").exists()  # the previous run's table this run does not write
    written = set(json.loads((out / "manifest.json").read_text())["rows"])
    assert {"documents", "sentences", "entities", "officials", "facts", "errors"} <= written
    assert {p.name for p in out.iterdir()} == written | {"manifest.json", "report.html", "fast", "notes.md"}
    assert pq.read_table(out / "documents").num_rows == summary.documents == 2
    assert json.loads((out / "manifest.json").read_text())["documents"]["total"] == 2
    assert not list(tmp_path.glob(".out.tmp-*")) and not list(tmp_path.glob(".out.old-*"))


def test_the_readme_report_command_then_a_rerun_keeps_the_report(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    run(_config(tmp_path, cache=False), progress=False)
    out = tmp_path / "out"
    assert cli("report", out, "--html", out / "report.html").exit_code == 0
    run(_config(tmp_path, cache=False), progress=False)
    assert (out / "report.html").is_file()


def test_a_folder_the_tool_did_not_write_is_refused(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.docx").write_text("precious", encoding="utf-8")
    from pipeline.writer import OutputError

    with pytest.raises(OutputError, match="not an output folder of this tool"):
        run(_config(tmp_path, cache=False), progress=False)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["thesis.docx"]
    # a folder of the user's under a table name, in an output folder, is refused too
    run(_config(tmp_path, cache=False), output=tmp_path / "out2", progress=False)
    (tmp_path / "out2" / "tokens").mkdir()
    (tmp_path / "out2" / "tokens" / "mine.txt").write_text("mine", encoding="utf-8")
    cfg = _config(tmp_path, cache=False)
    cfg.segment.tokens = True
    with pytest.raises(OutputError, match="tokens is not a table of the previous run"):
        run(cfg, output=tmp_path / "out2", progress=False)
    assert (tmp_path / "out2" / "tokens" / "mine.txt").is_file()


def test_an_unwritable_output_folder_is_a_one_line_error(tmp_path, write_config):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root writes anywhere a mode allows it; /proc refuses even root
    target = "/proc/zh-extract-locked/out" if os.geteuid() == 0 else "locked/out"
    cfg = write_config({"input": {"paths": ["in"]}, "entities": {"backend": "none"}, "output": {"dir": target}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "locked" in proc.stderr
    assert "cannot write the output folder" in proc.stderr


def test_an_impossible_output_folder_is_a_one_line_error(tmp_path, write_config):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    cfg = write_config({"input": {"paths": ["in"]}, "entities": {"backend": "none"},
                        "output": {"dir": "file.txt/out"}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "file.txt" in proc.stderr


# --------------------------------------------------------------------------- Ctrl-C is exit 130

def test_ctrl_c_is_exit_130_and_leaves_the_previous_output(tmp_path, write_config):
    import signal
    import time

    from conftest import SAMPLE

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    cfg = write_config({"stages": ["layout", "segment"], "input": {"paths": ["in"]}, "output": {"dir": "out"},
                        "run": {"batch_size": 1, "cache": False}})
    assert subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"]).returncode == 0
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    text = SAMPLE.read_text(encoding="utf-8")
    for i in range(300):
        (tmp_path / "in" / f"p{i:03d}.txt").write_text(text, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(cfg), "-q"], stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(f".out.tmp-{proc.pid}")):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert (tmp_path / "out" / "manifest.json").read_text() == manifest
    assert not list(tmp_path.glob(".out.tmp-*"))


# --------------------------------------------------------------------------- the progress line

def test_progress_counts_files_and_characters_and_estimates_the_total():
    from pipeline.runner import _progress

    p = _progress(False, {"a.txt": 300, "b.txt": 300, "c.txt": 600})
    assert p.estimated_total() == 400 and p.files_done == 0  # 1200 bytes at 1/3 character per byte
    p.update([{"source": "a.txt", "text": "x" * 150}, {"source": "a.txt", "text": "x" * 50}])
    assert p.files_done == 0 and p.chars_done == 200
    p.update([{"source": "b.txt", "text": "x" * 100}])
    # a.txt is done: 200 characters from 300 bytes, so the other 900 bytes are ~600 characters
    assert p.files_done == 1 and p.estimated_total() == 200 + 600
    p.update([{"source": "b.txt", "text": "x" * 100}, {"source": "c.txt", "text": "x" * 10}])
    assert p.files_done == 2 and p.estimated_total() == 410 + (600 * 400 // 600 - 10)
    assert p.estimated_total(finished=True) == 410


def test_the_progress_line_shows_files_characters_rate_and_eta(tmp_path, write_config):
    from conftest import SAMPLE

    (tmp_path / "in").mkdir()
    for i in range(3):
        (tmp_path / "in" / f"p{i}.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = write_config({"stages": ["layout", "segment"], "input": {"paths": ["in"]}, "output": {"dir": "out"},
                        "run": {"batch_size": 2, "cache": False}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(cfg)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    line = proc.stderr.splitlines()[0]
    chars = len("".join(pq.read_table(tmp_path / "out" / "documents").column("text").to_pylist()))
    assert "100%" in line and "3/3 files" in line and "chars/s" in line and "ETA" in line, line
    done = f"{chars / 1e3:.1f}k/{chars / 1e3:.1f}k chars"
    assert done in line, (done, line)


# --------------------------------------------------------------------------- the review page

def test_review_page_has_no_false_file_changed_warning_for_a_span_at_offset_0(tmp_path):
    from pipeline.report import build_report

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(GOOD, encoding="utf-8")
    run(_config(tmp_path, cache=False), progress=False)
    starts = pq.read_table(tmp_path / "out" / "entities").column("start").to_pylist()
    assert 0 in starts  # 青岛市政府 at the very start of the file
    html = build_report(tmp_path / "out")
    assert "do not match the source file" not in html and "changed since the run" not in html
    # and a file that did change is still reported
    (tmp_path / "in" / "a.txt").write_text("改" + GOOD, encoding="utf-8")
    html = build_report(tmp_path / "out")
    assert "changed since the run" in html


# --------------------------------------------------------------------------- row order

def test_documents_order_and_ids_do_not_depend_on_batch_size_or_workers(tmp_path):
    lines = [json.dumps({"text": f"第{i}条：青岛市政府发布通知，全市共有企业{i * 7}家。"}, ensure_ascii=False)
             for i in range(1, 26)]
    lines[5] = json.dumps({"nottext": 1})  # a failed record keeps its place
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = {}
    for batch_size, workers in [(1, 1), (7, 1), (16, 1), (7, 2)]:
        out = tmp_path / f"out{batch_size}_{workers}"
        run(_config(tmp_path, batch_size=batch_size, workers=workers, cache=False), output=out, progress=False)
        results[batch_size, workers] = {t: pq.read_table(out / t).to_pylist() for t in ("documents", "facts")}
    first = results[1, 1]
    records = [d["record"] for d in first["documents"]]
    assert records == [f"line {i}" for i in range(1, 26)]  # line 2 before line 10
    assert first["documents"][5]["status"] == "failed"
    for key, tables in results.items():
        assert tables == first, key
