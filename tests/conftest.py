import datetime as dt
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "raw" / "000_5072bf7ae566881d.txt"
GOLD_DIR = REPO / "data" / "gold"
SHARED = REPO.parent / "shared"
PUBLICATION_DATE = dt.date(2024, 4, 29)


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML config into tmp_path and return its path."""
    import yaml

    def write(data: dict, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    return write
