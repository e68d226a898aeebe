"""Between a language session and the engine, and out to the world: the stage that performs
what a session asks (`stage`), `watch` for score files, and the connections of a live session
to other software and people (Ableton Link, OSC, editors, live input, a browser view). Each
module loads its optional library on use."""
