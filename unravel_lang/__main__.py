"""`python -m unravel_lang` is the `unravel` command."""

from unravel_lang.cli import main

raise SystemExit(main())
