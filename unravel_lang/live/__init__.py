"""Playing with the world: connections of a live session to other software and people
(Ableton Link, OSC, editors, a browser view). Each module loads its optional library on use."""
