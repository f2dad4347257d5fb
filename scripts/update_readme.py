"""Regenerate the generated sections of README.md (config reference, table schemas)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def sections() -> dict[str, str]:
    from pipeline.config import config_reference
    from pipeline.schema import DESCRIPTIONS, SCHEMAS

    schema_md = []
    for name, sch in SCHEMAS.items():
        cols = ", ".join(f"`{f.name}` {f.type}" for f in sch)
        schema_md.append(f"- **{name}** — {DESCRIPTIONS[name]}: {cols}")
    return {"config-reference": config_reference(), "schemas": "\n".join(schema_md)}


def render(text: str) -> str:
    for key, body in sections().items():
        text = re.sub(rf"(<!-- {key}:start -->\n)(?:.*?\n)?(<!-- {key}:end -->)",
                      lambda m: m.group(1) + body + "\n" + m.group(2), text, flags=re.S)
    return text


if __name__ == "__main__":
    new = render(README.read_text(encoding="utf-8"))
    if "--check" in sys.argv:
        sys.exit(0 if new == README.read_text(encoding="utf-8") else 1)
    README.write_text(new, encoding="utf-8")
