"""The live engine: tracks on a tempo grid, a decode-ahead worker, a ring buffer, sinks."""

from unravel_lang.engine.clock import Clock
from unravel_lang.engine.engine import Engine, EngineStatus
from unravel_lang.engine.filesink import FileSink
from unravel_lang.engine.observe import FrameBlock, FrameListener, MixListener, SampleClock
from unravel_lang.engine.score import ScoreRender
from unravel_lang.engine.timeline import render_track, slot_seed, track_seed

__all__ = ["Clock", "Engine", "EngineStatus", "FileSink", "FrameBlock", "FrameListener",
           "MixListener", "SampleClock", "ScoreRender", "render_track", "slot_seed", "track_seed"]
