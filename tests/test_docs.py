"""The README's generated sections match the code, and the two set-up commands are there."""
import subprocess
import sys

from conftest import REPO


def test_readme_generated_sections_do_not_drift():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "update_readme.py"), "--check"], cwd=REPO)
    assert proc.returncode == 0, "README.md is out of date: run `python scripts/update_readme.py`"


def test_readme_quick_start_is_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick and "make test" in quick
