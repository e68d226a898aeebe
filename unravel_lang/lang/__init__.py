"""The unravel language: grammar loading, parser, compile-time check, evaluation and session."""

from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.parser import parse
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session, evaluate

__all__ = ["LanguageError", "Recorder", "Session", "evaluate", "parse"]
