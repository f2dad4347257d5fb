"""Workers, Dask and incremental runs give the same rows as a plain local run."""
import hashlib
import json
import shutil

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.runner import run

from conftest import SAMPLE

TABLES = ("documents", "sentences", "entities", "officials", "facts", "errors")


def make_inputs(folder, n=6):
    folder.mkdir(parents=True, exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8")
    for i in range(n):
        (folder / f"page{i:02d}.txt").write_text(text if i % 2 == 0 else text.replace("青岛", "烟台"), encoding="utf-8")
    return folder


def config(tmp_path, out="out", **run_opts):
    return load_config(data={
        "stages": ["layout", "segment", "entities", "facts"],
        "input": {"paths": ["in"]},
        "layout": {"publication_date": "2024-04-29"},
        "entities": {"backend": "none"},
        "output": {"dir": out},
        "run": {"batch_size": 2, **run_opts},
    }, base_dir=tmp_path)


def table_rows(out):
    return {t: pd.read_parquet(out / t) for t in TABLES}


def digest(tables):
    rows = {t: df.to_json(orient="records", force_ascii=False) for t, df in tables.items()}
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    make_inputs(tmp / "in")
    run(config(tmp), progress=False)
    return tmp, table_rows(tmp / "out")


def test_two_workers_give_identical_rows_in_the_same_order(baseline):
    tmp, rows = baseline
    run(config(tmp, out="out2", workers=2, cache=False), progress=False)
    rows2 = table_rows(tmp / "out2")
    for t in TABLES:
        pd.testing.assert_frame_equal(rows2[t], rows[t])
    assert len(rows["documents"]) == 60 and len(rows["facts"]) > 0


def test_dask_local_cluster_gives_identical_rows(baseline):
    tmp, rows = baseline
    run(config(tmp, out="out_dask", executor="dask", cache=False, dask={"n_workers": 2}), progress=False)
    rows3 = table_rows(tmp / "out_dask")
    for t in TABLES:
        pd.testing.assert_frame_equal(rows3[t], rows[t])


def test_rerun_reuses_cached_rows_and_processes_an_added_file_alone(tmp_path):
    make_inputs(tmp_path / "in", n=3)
    first = run(config(tmp_path), progress=False)
    assert first.cached_inputs == 0
    rows1 = table_rows(tmp_path / "out")
    again = run(config(tmp_path), progress=False)
    assert again.cached_inputs == 3 and again.stage_seconds == {}
    assert digest(table_rows(tmp_path / "out")) == digest(rows1)
    shutil.copy(SAMPLE, tmp_path / "in" / "page99.txt")
    added = run(config(tmp_path), progress=False)
    assert added.cached_inputs == 3 and added.documents == 40
    forced = run(config(tmp_path), progress=False, force=True)
    assert forced.cached_inputs == 0
    assert digest(table_rows(tmp_path / "out")) == digest(table_rows(tmp_path / "out"))


def test_changing_the_config_invalidates_the_cache(tmp_path):
    make_inputs(tmp_path / "in", n=1)
    run(config(tmp_path), progress=False)
    cfg = config(tmp_path)
    cfg.layout.publication_date = None
    assert run(cfg, progress=False).cached_inputs == 0
