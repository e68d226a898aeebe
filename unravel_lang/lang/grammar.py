"""Finding and reading the grammar file `unravel.lark`, the single source of the syntax."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from unravel_lang.errors import UnravelError

GRAMMAR_NAME = "unravel.lark"


def grammar_path() -> Path:
    """Path of `unravel.lark`: inside the installed package, else the repository's `grammar/`."""
    packaged = resources.files("unravel_lang").joinpath("grammar", GRAMMAR_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    repo = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME
    if repo.is_file():
        return repo
    raise UnravelError(f"the grammar file {GRAMMAR_NAME} is missing from the installation")


@lru_cache(maxsize=1)
def grammar_text() -> str:
    """The text of the grammar."""
    return grammar_path().read_text(encoding="utf-8")
