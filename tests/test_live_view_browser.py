"""The live view in a real browser: headless Chromium (selenium + chromium-driver) watches a
REPL that plays two tracks through a private PulseAudio server (the real-time path).

Screenshots show both heatmaps, the heatmap moves on the beat, a swap shows the new pattern
from the loop boundary, `hush` empties the page; meanwhile a viewer that stops reading for
more than 10 s causes no underrun. Set UNRAVEL_VIEW_SHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import io
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pulse_server import private_pulse, pulse_missing
from view_client import stalled_viewer

LOOP = 32   # frames of each pattern: 4 beats at k=8
K = 8


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install chromium chromium-driver)"
    for module in ("selenium", "websockets", "PIL"):
        try:
            __import__(module)
        except ImportError:
            return f"the {module} package is missing (pip install 'unravel-lang[dev]')"
    return None


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing())),
              pytest.mark.skipif(pulse_missing() is not None, reason=str(pulse_missing()))]


class Repl:
    """`unravel repl --view` in a child process, fed line by line; its output in a queue."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "unravel_lang", "repl", *args], cwd=cwd, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in {seen}")

    def close(self) -> int:
        try:
            self.proc.stdin.close()
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def open_browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    size(driver, width, height)
    return driver


def size(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1,
                            "mobile": False})


def shot(driver, name: str) -> np.ndarray:
    """A screenshot as an RGB array `(height, width, 3)` int (kept when UNRAVEL_VIEW_SHOTS)."""
    from PIL import Image

    png = driver.get_screenshot_as_png()
    keep = os.environ.get("UNRAVEL_VIEW_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes(png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def area(driver, image: np.ndarray, css: str) -> np.ndarray:
    """The pixels of the element `css` in a screenshot."""
    from selenium.webdriver.common.by import By

    r = driver.find_element(By.CSS_SELECTOR, css).rect
    x, y, w, h = (round(r[k]) for k in ("x", "y", "width", "height"))
    return image[y : y + h, x : x + w]


def red(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 0] - pixels[..., 2] > 40


def blue(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 2] - pixels[..., 0] > 40


def left_edge(pixels: np.ndarray) -> int:
    """The leftmost pixel column of a heatmap that shows frames (its oldest frame)."""
    shown = (red(pixels) | blue(pixels)).mean(axis=0) > 0.5
    return int(np.argmax(shown))


def js(driver, script: str):
    return driver.execute_script("return " + script)


def wait_for(driver, script: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = js(driver, script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {script}")


@pytest.fixture(scope="module")
def session(tmp_path_factory, tiny_model_path):
    """A REPL with --view on a private PulseAudio server, and the URL it printed."""
    work = tmp_path_factory.mktemp("view")
    # every frame of a pass has its own mean: a column tells which frame of which pattern
    ramp = np.arange(LOOP)[:, None] / (LOOP - 1)
    wave = 0.3 * np.sin(np.arange(LOOP)[:, None] + 2 * np.arange(8)[None, :])
    up = (0.5 + 1.5 * ramp + wave).astype("f4")
    down = (-0.5 - 1.5 * ramp + wave).astype("f4")
    assert (up > 0).all() and (down < 0).all()
    np.save(work / "up.npy", up)
    np.save(work / "down.npy", down)
    with private_pulse(work / "pulse") as pulse:
        env = dict(os.environ, **pulse)
        repl = Repl(["--model", str(tiny_model_path), "--view"], env, work)
        try:
            url = repl.expect(r"view: (http://127\.0\.0\.1:\d+/)(.*)").groups()
            assert url[1] == "", f"playback is unavailable: {url[1]}"
            yield repl, url[0], up, down
        finally:
            repl.close()


def test_two_tracks_scroll_swap_and_hush_with_a_stalled_viewer(session):
    repl, url, up, down = session
    from selenium.webdriver.common.by import By

    stalled = stalled_viewer(url)
    stalled_since = time.monotonic()
    driver = open_browser(1920, 1080)
    try:
        driver.get(url)
        repl.send(f"k {K}")
        repl.send('up = load("up.npy")\ndown = load("down.npy")')
        repl.send("track lead = up")
        repl.send("track bass = down")
        wait_for(driver, "unravelView.tracks().length == 2")
        wait_for(driver, "unravelView.frameNow() - unravelView.first('lead') > 2.5 * 8")
        assert js(driver, "unravelView.state().viewers") == 2  # the stalled one is connected

        # both heatmaps: each track's area is mostly its colour (red up, blue down)
        before = js(driver, "unravelView.frameNow()")
        first = shot(driver, "view-two-tracks")
        after = js(driver, "unravelView.frameNow()")
        lead = area(driver, first, '[data-track="lead"] canvas')
        bass = area(driver, first, '[data-track="bass"] canvas')
        for pixels, colour, other in ((lead, red, blue), (bass, blue, red)):
            assert colour(pixels).mean() > 0.1, colour(pixels).mean()  # a second and more
            assert colour(pixels[:, -160:-8]).mean() > 0.9                 # up to the playhead
            assert other(pixels[:, :-8]).mean() < 0.01
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".track .name")]
        sources = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".track .src")]
        assert names == ["lead", "bass"] and sources == ["track lead = up", "track bass = down"]
        assert "k=8" in driver.find_element(By.ID, "tempo").text

        # a beat later the heatmap has moved left by as many frames as have sounded
        bpm = 60 * 44100 / 2048 / K
        time.sleep(60 / bpm)
        later_before = js(driver, "unravelView.frameNow()")
        later = area(driver, shot(driver, "view-a-beat-later"), '[data-track="lead"] canvas')
        later_after = js(driver, "unravelView.frameNow()")
        frame_px = lead.shape[1] / max(64, 4 * 4 * K)
        moved = (left_edge(lead) - left_edge(later)) / frame_px
        assert later_before - after - 1 <= moved <= later_after - before + 1, (
            moved, later_before - after, later_after - before)
        assert moved >= K - 1  # a beat at least

        # the swap takes over at the loop boundary: every column before it is the old pattern
        start = js(driver, "unravelView.first('lead')")
        repl.send("track lead = down")
        wait_for(driver, "unravelView.columns('lead').some(c => c[1] < 0)", LOOP / 20 + 5)
        time.sleep(0.5)
        columns = js(driver, "unravelView.columns('lead')")
        turn = next(f for f, mean in columns if mean < 0)
        means = dict(columns)
        # the last column of the old pattern is the last frame of a pass, the first of the
        # new one its first frame; the turn is a whole number of passes from the start
        assert means[turn - 1] == pytest.approx(up[-1].mean(), abs=0.01), (turn, columns)
        assert means[turn] == pytest.approx(down[0].mean(), abs=0.01), (turn, columns)
        assert (turn - start) % LOOP == 0, (turn, start, columns)
        assert all(mean > 0 for f, mean in columns if f < turn)
        assert all(mean < 0 for f, mean in columns if f >= turn)
        swapped = area(driver, shot(driver, "view-swapped"), '[data-track="lead"] canvas')
        is_red, is_blue = red(swapped).mean(axis=0) > 0.5, blue(swapped).mean(axis=0) > 0.5
        x = swapped.shape[1] - 8  # left of the playhead: the new pattern, now
        assert is_blue[x - 30 : x].all()
        while is_blue[x - 1] or not is_red[x - 1]:  # back to where the old one ends
            assert is_blue[x - 1] or not (is_red[x - 1] or is_blue[x - 1]), x  # lines only
            x -= 1
        assert is_red[x - 60 : x].mean() > 0.9  # the old pattern before the turn

        # the stalled viewer has not read for 10 s: no underrun, no underflow
        time.sleep(max(0.0, 10.5 - (time.monotonic() - stalled_since)))
        state = js(driver, "unravelView.state()")
        assert state["viewers"] == 2
        assert state["underruns"] == 0 and state.get("underflows", 0) == 0, state

        # hush empties the page
        repl.send("hush")
        wait_for(driver, "unravelView.tracks().length == 0", 5)
        time.sleep(0.5)
        hushed = shot(driver, "view-hushed")
        empty = area(driver, hushed, "#tracks")
        assert (red(empty) | blue(empty)).mean() < 0.001
        meter = area(driver, hushed, "#meter")
        assert (meter == meter[0, 0]).all()  # the level meter is empty too
        assert driver.find_element(By.ID, "silence").is_displayed()

        # everything came from the server itself (works offline)
        resources = js(driver, "performance.getEntriesByType('resource').map(e => e.name)")
        assert resources and all(name.startswith(url) for name in resources), resources
        lags = js(driver, "unravelView.lagStats()")
        print(f"display lag (ms) in this run: {lags}")
    finally:
        driver.quit()
        stalled.close()


def test_the_page_fits_a_laptop_screen_in_high_contrast(session):
    repl, url, up, down = session
    from selenium.webdriver.common.by import By

    driver = open_browser(1366, 768)
    try:
        driver.get(url + "?theme=contrast")
        repl.send("track lead = up")
        repl.send("track bass = down")
        wait_for(driver, "unravelView.tracks().length == 2")
        wait_for(driver, "unravelView.frameNow() - unravelView.first('lead') > 16")
        image = shot(driver, "view-laptop-contrast")
        assert js(driver, "document.body.className") == "theme-contrast"
        for css in ('[data-track="lead"] canvas', '[data-track="bass"] canvas', "#spectrum"):
            r = driver.find_element(By.CSS_SELECTOR, css).rect
            assert r["y"] + r["height"] <= 768 and r["x"] + r["width"] <= 1366, (css, r)
            assert r["height"] >= 40, (css, r)
        assert (image[:40] == 0).all(axis=-1).mean() > 0.8  # black header (pure black theme)
        assert red(area(driver, image, '[data-track="lead"] canvas')).mean() > 0.05
        repl.send("hush")
        wait_for(driver, "unravelView.tracks().length == 0", 5)
    finally:
        driver.quit()
