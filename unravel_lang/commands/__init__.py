"""The subcommands of `unravel`, one module each."""
