"""notebooks/explore.ipynb runs top to bottom on a fresh run output.

The notebook is read into memory and executed with nbclient (cwd: notebooks/,
``ZH_EXTRACT_OUT`` pointing at an empty temporary folder, so the notebook's
first cell runs the pipeline itself through the Python API, as on a fresh
clone).  Any cell error fails the test.  The committed notebook is never
written; the executed copy goes to ``notebooks/explore.executed.ipynb``
(gitignored) for people to look at.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
EXECUTED = ROOT / "notebooks" / "explore.executed.ipynb"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit the notebook without outputs"


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    before = hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest()
    out = tmp_path / "out"
    monkeypatch.setenv("ZH_EXTRACT_OUT", str(out))  # inherited by the kernel
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, EXECUTED)  # also when a cell failed, to look at it
    assert hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest() == before, "the committed notebook was modified"

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "through the Python API" in text  # the notebook ran the pipeline on the fresh folder
    assert (out / "manifest.json").is_file() and (out / "report.html").is_file()
    assert any("image/png" in o.get("data", {}) for o in outputs), "no chart"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any('class="zx-hl' in h for h in html), "the extract() result was not displayed highlighted"
    assert "money facts" in text and "【" in text  # facts filtered by kind, each with its sentence
    assert any("海信集团" in h for h in html)  # the organisations table
