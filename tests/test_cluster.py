"""Corpus statistics and seeded renders on a real Dask cluster (local worker processes) equal
what one process computes, also when a worker dies mid-job; without Dask, one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from unravel_lang.cli import main

distributed = pytest.importorskip("distributed", reason="needs unravel-lang[cluster] (Dask)")

SCORE = """bpm 117
s = stats(encode("a.wav"))
a = normal(s, k=11)
play fibo(a) >> orale(a, 3:1, depth=2) >> reverse(a)
"""


def tone(path, seconds: float, f0: float, sr: int = 44100):
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), (0.4 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), sr)
    return path


@pytest.fixture
def score(tmp_path):
    tone(tmp_path / "a.wav", 0.8, 330.0)
    path = tmp_path / "var.unr"
    path.write_text(SCORE)
    return path


def test_stats_on_a_local_cluster_writes_the_bytes_of_one_process(tmp_path, tiny_model_path):
    files = [str(tone(tmp_path / f"t{i}.wav", 0.3 + 0.1 * i, 200.0 + 50 * i)) for i in range(6)]
    one, two = tmp_path / "one.stats.json", tmp_path / "two.stats.json"
    assert main(["stats", *files, "-m", str(tiny_model_path), "-o", str(one)]) == 0
    assert main(["stats", *files, "-m", str(tiny_model_path), "-o", str(two),
                 "--workers", "2"]) == 0
    assert one.read_bytes() == two.read_bytes()


def test_seeds_survive_a_killed_worker_and_equal_single_renders(score, tmp_path,
                                                                tiny_model_path, capsys):
    from dask.distributed import Client

    from unravel_lang.cluster import local_cluster

    out = tmp_path / "out"
    with local_cluster(2) as cluster, Client(cluster) as client:
        done: list[int] = []
        runner = threading.Thread(target=lambda: done.append(main(
            ["run", str(score), "-m", str(tiny_model_path), "--seeds", "1:6",
             "-o", str(out / "{seed}.wav"), "--scheduler", cluster.scheduler_address])))
        runner.start()
        deadline = time.monotonic() + 60
        busy = {}
        while time.monotonic() < deadline and not busy:
            busy = {w: tasks for w, tasks in client.processing().items() if tasks}
            time.sleep(0.01)
        assert busy, "no job started within 60 s"
        pids = client.run(os.getpid)
        written_before = len(list(out.glob("*.wav"))) if out.exists() else 0
        os.kill(pids[next(iter(busy))], signal.SIGKILL)
        runner.join(timeout=180)
        assert done == [0], capsys.readouterr().err
    assert written_before < 6
    for seed in range(1, 7):
        single = tmp_path / f"single{seed}.wav"
        assert main(["run", str(score), "-m", str(tiny_model_path), "--seed", str(seed),
                     "-o", str(single)]) == 0
        assert (out / f"{seed}.wav").read_bytes() == single.read_bytes(), seed
    assert (out / "1.wav").read_bytes() != (out / "2.wav").read_bytes()


def test_a_failed_seed_is_reported_and_a_rerun_skips_finished_files(score, tmp_path,
                                                                    tiny_model_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "2.wav").mkdir()  # seed 2 cannot be written: a folder is in the way
    code = main(["run", str(score), "-m", str(tiny_model_path), "--seeds", "1:3",
                 "-o", str(out / "{seed}.wav")])
    err = capsys.readouterr().err
    assert code == 1 and "unravel: seed 2 failed: " in err and "1 failed" in err
    assert (out / "1.wav").is_file() and (out / "3.wav").is_file()
    (out / "2.wav").rmdir()
    stamp = (out / "1.wav").stat().st_mtime_ns
    assert main(["run", str(score), "-m", str(tiny_model_path), "--seeds", "1:3",
                 "-o", str(out / "{seed}.wav")]) == 0
    again = capsys.readouterr().err
    assert "2 of 3 files exist already: kept" in again and "rendered 1 of 1 seeds" in again
    assert (out / "1.wav").stat().st_mtime_ns == stamp and (out / "2.wav").is_file()
    assert "Traceback" not in err + again


def test_without_dask_workers_name_the_extra(score, tmp_path):
    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name.split('.')[0] in ('dask', 'distributed'):\n"
        "        raise ImportError(name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "from unravel_lang.cli import main\n"
        f"sys.exit(main(['stats', {str(score.parent / 'a.wav')!r}, '--workers', '2']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        "unravel: error: --workers and --scheduler need Dask: "
        "pip install 'unravel-lang[cluster]'")
