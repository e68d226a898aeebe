"""The interactive front end: the prompt_toolkit shell (`app`), its tokens and highlighter
(`syntax`), completion (`complete`) and the `help` pages. What it plays goes through the
stage in `unravel_lang.live.stage`, shared with `watch`."""
