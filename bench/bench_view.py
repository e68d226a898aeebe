"""Live view figures, measured side by side in one run.

The engine plays two tracks of the embedded model, read at real time by a paced reader that
marks the engine's sample clock as a sound card does (so no device is needed). Phases of
`--seconds` each:

1. no view (the engine alone);
2. the view server with 1 viewer (headless Chromium);
3. the view server with 5 viewers (5 headless Chromium).

For each: display lag as the pages report it (frame due time -> the frame drawn, ms: median,
p95, max), messages dropped, the reader's underruns, and CPU seconds per second of this
process, of the engine's worker thread and of the view server's thread. The engine's cost of
serving the viewers is the difference to phase 1.

Usage: python bench/bench_view.py [--seconds S]   (needs chromium, chromedriver, selenium)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import threading
import time

import numpy as np

from unravel_lang.engine import Engine
from unravel_lang.live.view import ViewServer
from unravel_lang.live.view_feed import EngineFeed
from unravel_lang.model import load_model
from unravel_lang.plan import Plan

BUFFER = 1024      # samples per read of the paced reader
LATENCY = 0.1      # seconds from a read to the sound, as a sound card would report


class PacedReader:
    """Reads the engine at real time in BUFFER-sample reads, marking its sample clock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        engine = self.engine
        out = np.zeros((engine.channels, BUFFER), np.float32)
        start, n = time.monotonic(), 0
        while self.running:
            engine.sample_clock.mark(engine.playhead, time.monotonic() + LATENCY)
            engine.read_into(out)
            n += BUFFER
            pause = start + n / engine.sr - time.monotonic()
            if pause > 0:
                time.sleep(pause)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


def thread_cpu(native_id: int) -> float:
    """CPU seconds (user + system) a thread of this process has used."""
    with open(f"/proc/self/task/{native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browsers(url: str, n: int) -> list:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    drivers = []
    for _ in range(n):
        options = Options()
        options.binary_location = shutil.which("chromium")
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1920,1080"):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options,
                                  service=Service(shutil.which("chromedriver")))
        driver.get(url)
        drivers.append(driver)
    return drivers


def measure(engine: Engine, seconds: float, server: ViewServer | None) -> dict:
    worker = engine.worker.thread.native_id
    view = server._thread.native_id if server is not None else None
    lags_before = len(server.lags) if server is not None else 0
    under = engine.underruns
    t0, p0, w0 = time.monotonic(), time.process_time(), thread_cpu(worker)
    v0 = thread_cpu(view) if view else 0.0
    time.sleep(seconds)
    wall = time.monotonic() - t0
    out = {"process": (time.process_time() - p0) / wall,
           "worker": (thread_cpu(worker) - w0) / wall,
           "view": ((thread_cpu(view) - v0) / wall) if view else 0.0,
           "underruns": engine.underruns - under}
    if server is not None:
        lags = sorted(list(server.lags)[lags_before:])
        out["lags"] = lags
        out["dropped"] = sum(v["dropped"] for v in server.stats()["viewers"].values())
        out["viewers"] = len(server.viewers)
    return out


def lag_text(lags: list[float]) -> str:
    if not lags:
        return "no reports"
    p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))]
    return (f"median {statistics.median(lags):5.1f} ms  p95 {p95:5.1f} ms  "
            f"max {lags[-1]:6.1f} ms  ({len(lags)} frames)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    model = load_model(None)
    rng = np.random.default_rng(1)
    engine = Engine(model, seed=1, k=11)
    reader = PacedReader(engine)
    engine.track("a", Plan.of(rng.standard_normal((44, model.dims)).astype(np.float32)))
    engine.track("b", Plan.of(rng.standard_normal((33, model.dims)).astype(np.float32)))
    time.sleep(1.0)
    print(f"two tracks of the embedded model ({model.dims} dims), {args.seconds:g} s a phase, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    results = {"no view": measure(engine, args.seconds, None)}
    server = ViewServer()
    url = server.start()
    feed = EngineFeed(server, engine)
    feed.attach()
    drivers: list = []
    try:
        for n in (1, 5):
            drivers += browsers(url, n - len(drivers))
            server.wait_for_viewer(10)
            time.sleep(2.0)  # pages connected, clocks set
            results[f"{n} viewer{'s' * (n > 1)}"] = measure(engine, args.seconds, server)
    finally:
        for driver in drivers:
            driver.quit()
        feed.detach()
        server.close()
        reader.stop()
        engine.close()
    base = results["no view"]
    print(f"{'':10} {'CPU/s process':>14} {'worker':>8} {'view thread':>12} {'underruns':>10}"
          f"  display lag (due -> drawn)")
    for name, r in results.items():
        lag = lag_text(r["lags"]) if "lags" in r else "-"
        print(f"{name:10} {r['process']:14.3f} {r['worker']:8.3f} {r['view']:12.3f} "
              f"{r['underruns']:10d}  {lag}")
    for name, r in results.items():
        if name == "no view":
            continue
        extra = r["process"] - base["process"]
        print(f"serving {name}: +{100 * extra:.1f} % of one core for this process "
              f"(worker thread {100 * (r['worker'] - base['worker']):+.1f} %, view thread "
              f"{100 * r['view']:.1f} %), {r['dropped']} messages dropped, "
              f"{r['viewers']} connected")


if __name__ == "__main__":
    main()
