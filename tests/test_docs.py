"""The docs' links hold: every picture and every page they point to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    missing = [t for t in local if not (page.parent / t).exists()]
    assert missing == []


def test_language_and_pattern_docs_show_pictures():
    for name in ("language.md", "patterns.md"):
        text = (REPO / "docs" / name).read_text(encoding="utf-8")
        assert re.search(r"!\[[^\]]*\]\(img/[\w-]+\.png\)", text), name
