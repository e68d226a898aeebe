"""Regenerate docs/img/live-view.png: the live view page in headless Chromium at 1920×1080,
showing three tracks of the demo's sounds on the embedded model.

    .venv/bin/python tools/make_view_picture.py [--out docs/img/live-view.png]

The engine is read at real time by a paced reader that marks its clock as a sound card does,
so no sound card is needed. Needs chromium, chromedriver and selenium.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_view import PacedReader  # noqa: E402

from unravel_lang.engine import Engine  # noqa: E402
from unravel_lang.lang.session import Session  # noqa: E402
from unravel_lang.live.stage import Stage  # noqa: E402
from unravel_lang.model import load_model  # noqa: E402

SCORE = """\
drums = encode("audio/drums.wav")
tones = encode("audio/tones.wav")
tex = encode("audio/texture.wav")
s = stats(drums, tones)
melody = smooth(s, k=2beats, seed=3)
track drums = fit_tempo(drums)
track melody = fibo(melody) | slice(tones, 0, 1bars)
track texture = gain(slice(tex, 0, 2bars), 0.4)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "img" / "live-view.png"))
    args = parser.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    model = load_model(None)
    engine = Engine(model, seed=2026, k=11)
    reader = PacedReader(engine)
    lines: list[str] = []
    stage = Stage(engine, k=11, model=model, write=lines.append)
    session = Session(model=model, performer=stage, seed=2026, output=lines.append,
                      base_dir=REPO / "examples", k=11)
    stage.view(0)
    url = lines[-1].split()[1]
    options = Options()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1920, "height": 1080, "deviceScaleFactor": 1,
                                "mobile": False})
        driver.get(url)
        session.run(SCORE, "picture.unr")
        time.sleep(7.0)  # a few bars drawn
        Path(args.out).write_bytes(driver.get_screenshot_as_png())
        print(f"wrote {args.out}")
    finally:
        driver.quit()
        stage.close_view()
        reader.stop()
        engine.close()


if __name__ == "__main__":
    main()
