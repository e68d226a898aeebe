"""The unravel language: grammar loading, its words, parser, the check before running, evaluation
and the session."""

from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.parser import parse
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session, evaluate

__all__ = ["LanguageError", "Recorder", "Session", "evaluate", "parse"]
