"""Sessions: bindings across runs, tempo, seeds, lengths, statements, exports, embedding."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.engine.score import render_calls
from unravel_lang.errors import UnravelError
from unravel_lang.lang import LanguageError, Recorder, Session, evaluate
from unravel_lang.latent_io import load_npy, read_latent_wav
from unravel_lang.model import load_model
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan
from unravel_lang.render import render
from unravel_lang.stats import Stats


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return load_model(tiny_model_path)


@pytest.fixture()
def tone(tmp_path):
    sr = 22050
    t = np.arange(sr) / sr
    path = tmp_path / "tone.wav"
    sf.write(path, (0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), sr)
    return path


@pytest.fixture()
def session(model, tmp_path):
    lines: list[str] = []
    s = Session(model=model, output=lines.append, base_dir=tmp_path, out_dir=tmp_path)
    s.lines = lines
    rng = np.random.default_rng(1)
    s.env["a"] = rng.standard_normal((6, model.dims)).astype(np.float32)
    s.env["b"] = rng.standard_normal((6, model.dims)).astype(np.float32)
    return s


def test_bindings_last_across_runs_and_values_are_numpy(session):
    session.run("x = fibo(a)")
    session.run("y = repeat(x, n=2)")
    y = session["y"]
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    assert y.shape == (2 * 11, session.env["a"].shape[1])  # fibo of 6 rows: 1 + 2 + 3 + 5
    np.testing.assert_array_equal(y[:11], session["x"])
    assert session.names() == ["a", "b", "x", "y"]


def test_an_error_keeps_every_earlier_binding(session):
    session.run("x = fibo(a)")
    kept = session["x"].copy()
    with pytest.raises(LanguageError):
        session.run("x = reverse(a)\nz = blend(x, nope)")
    np.testing.assert_array_equal(session["x"], kept)
    with pytest.raises(LanguageError) as info:
        session.run("w = reverse(a)\nz = blend(w, slice(b, 0, 2))")  # runs w, fails at blend
    assert "blend" in info.value.message and "shape" in info.value.message
    assert (info.value.line, info.value.col) == (2, 5)
    assert "w" in session.env and "z" not in session.env
    np.testing.assert_array_equal(session["x"], kept)


def test_runtime_errors_of_the_library_carry_the_place(session):
    with pytest.raises(LanguageError) as info:
        session.run("\n  q = repeat(a, n=0)", "s.unr")
    err = info.value
    assert (err.line, err.col) == (2, 7)
    assert "repeat" in err.message and "n" in err.message
    assert str(err).split("\n")[0].startswith("s.unr:2:7: ")


def test_bpm_snaps_and_prints(session):
    session.run("bpm 117")
    assert session.k == 11
    assert session.lines[-1].startswith("k=11 → 117.45 BPM (+0.3")
    session.run("k 8")
    assert session.k == 8 and session.lines[-1] == "k=8 → 161.49 BPM"
    assert session.bpm == pytest.approx(60 * 44100 / 2048 / 8)


def test_lengths_follow_the_tempo_grid(session):
    session.run("k 11\nbeats 3\nx = 2bars\ny = 3beats\nz = 5frames\nw = 1s")
    assert session["x"] == 66 and session["y"] == 33 and session["z"] == 5
    assert session["w"] == round(44100 / 2048)
    with pytest.raises(LanguageError) as info:
        session.run("k 3\nbeats 4\nq = 0.1bars")
    assert "not a whole number" in info.value.message and info.value.col == 5


def test_generators_take_lengths_and_the_session_seed(session):
    src = "s = stats(a, b)\nx = normal(s, k=1beats)\ny = smooth(s, k=2bars)"
    session.run("k 4\nseed 9\n" + src)
    x1, y1 = session["x"], session["y"]
    assert isinstance(session["s"], Stats)
    assert x1.shape == (4, session.env["a"].shape[1]) and y1.shape[0] == 32
    session.run("seed 9\n" + src)
    np.testing.assert_array_equal(session["x"], x1)
    np.testing.assert_array_equal(session["y"], y1)
    session.run(src)  # the draw counter moved on: new values
    assert not np.array_equal(session["x"], x1)
    session.run("seed 10\n" + src)
    assert not np.array_equal(session["x"], x1)


def test_explicit_seed_argument_wins(session):
    session.run("s = stats(a)\nx = normal(s, k=5, seed=3)\ny = normal(s, k=5, seed=3)")
    np.testing.assert_array_equal(session["x"], session["y"])


def test_arithmetic_on_arrays_and_numbers(session):
    session.run("x = a * 2 + b\ny = -a / 4\nn = 2 * 3 - 1\nm = 7 / 2")
    a, b = session["a"], session["b"]
    np.testing.assert_allclose(session["x"], a * 2 + b, rtol=1e-6)
    np.testing.assert_allclose(session["y"], -a / 4, rtol=1e-6)
    assert session["n"] == 5 and isinstance(session["n"], int) and session["m"] == 3.5
    with pytest.raises(LanguageError) as info:
        session.run("q = a + slice(b, 0, 2)")
    assert "same shape" in info.value.message
    with pytest.raises(LanguageError, match="division by zero"):
        session.run("q = a / 0")


def test_operators_build_plans(session):
    session.run("p = fibo(a) | orale(b, 3:1) >> blend(a, b, n=4)")
    p = session["p"]
    assert isinstance(p, Plan) and len(p.voices) == 3
    fib, orl, bl = p.voices
    assert fib.start == 0 and orl.start == 0
    assert bl.start == max(fib.end, orl.end)
    assert orl.latent.shape[0] == 6 * 64  # three levels of 3:1
    assert bl.latent.shape[0] == 4 * 6 * (6 * 8 + 1)  # a itself, then 48 replacements
    assert p.frames == bl.end


def test_encode_reads_relative_to_base_dir(session, tone, model):
    session.run('x = encode("tone.wav")')
    direct = model.encode_file(tone)
    np.testing.assert_array_equal(session["x"], direct)
    with pytest.raises(LanguageError) as info:
        session.run('y = encode("missing.wav")')
    assert info.value.col == 5 and "missing.wav" in info.value.message


def test_exports_choose_the_format_by_extension(session, tmp_path, model):
    session.run("seed 5\ns = stats(a)\n"
                'export a "x.npy"\nexport a "x.latent.wav"\nexport a | b "x.wav"\n'
                'export s "s.json"')
    np.testing.assert_array_equal(load_npy(tmp_path / "x.npy"), session["a"])
    lat, rate = read_latent_wav(tmp_path / "x.latent.wav")
    np.testing.assert_array_equal(lat, session["a"])
    assert rate == pytest.approx(model.latent_rate)
    audio, sr = sf.read(tmp_path / "x.wav", dtype="float32", always_2d=True)
    expected = render(Plan.of(session["a"]).layer(Plan.of(session["b"])), model, seed=5)
    assert sr == model.sr
    np.testing.assert_array_equal(audio.T, expected)
    assert Stats.load(tmp_path / "s.json") == session["s"]
    assert any(line.startswith("wrote x.wav") for line in session.lines)


def test_dry_run_writes_nothing(model, tmp_path):
    s = Session(model=model, dry_run=True, output=None, out_dir=tmp_path)
    s.env["a"] = np.zeros((3, model.dims), np.float32)
    s.run('export a "x.npy"\nexport a "y.wav"')
    assert list(tmp_path.iterdir()) == []


def test_show_prints_shape_duration_bars_and_dims(session):
    session.run("k 3\nshow a")
    text = session.lines[-1]
    first = text.split("\n")[0]
    dims = session.env["a"].shape[1]
    assert first.startswith(f"(6, {dims}) latent array · 0.28 s · 0.5 bars at k=3")
    assert "mean" in text and f"  {dims - 1:3d} " in text
    session.run("show a >> b")
    assert session.lines[-1].startswith("plan of 2 voices · 12 frames")


def test_play_and_track_go_to_the_performer(session, model):
    session.run("play a\ntrack t = b\nwait 6frames\nstop t\nplay a | b")
    calls = session.performer.calls
    assert [method for method, _ in calls] == ["play", "track", "wait", "stop", "play"]
    assert calls[1][1][0] == "t" and calls[2][1] == (6,)
    assert session.tracks == []
    # a at 0..6; t from 6 (nothing sounds there), stopped at 12; the last play waits for the
    # beat after 12 on the grid from 6 (k=11): 17..23
    assert render_calls(calls, model).shape[1] == 23 * model.ratio


def test_beats_are_passed_to_the_performer(session):
    session.run("beats 3\nk 5")
    assert session.performer.calls == [("set_beats_per_bar", (3,)), ("set_tempo", (5,))]
    assert session.beats_per_bar == 3 and session.eval("1bar") == 15


def test_quantum_is_passed_to_a_performer_that_has_set_quantum(session, model):
    session.run("quantum bar\nbeats 3\nquantum beat")
    assert session.performer.calls == [("set_quantum", ("bar",)), ("set_beats_per_bar", (3,)),
                                       ("set_quantum", ("beat",))]
    assert session.quantum == "beat"

    class NoQuantum(Performer):
        def __init__(self):
            self.calls = []

        def set_tempo(self, k):
            self.calls.append(("set_tempo", k))

    perf = NoQuantum()
    s = Session(model=model, performer=perf, output=None, quantum="bar")
    assert s.quantum == "bar"
    s.run("quantum beat\nk 5")  # a performer without set_quantum ignores it
    assert s.quantum == "beat" and perf.calls == [("set_tempo", 5)]


def test_a_session_refuses_an_unknown_quantum(model):
    with pytest.raises(UnravelError, match="quantum is 'beat' or 'bar', got 'bars'"):
        Session(model=model, quantum="bars")


def test_play_refuses_arrays_the_model_cannot_decode(session):
    session.env["c"] = np.zeros((4, 3), np.float32)
    with pytest.raises(LanguageError) as info:
        session.run("x = 1\nplay a >> c")
    assert "takes 8 latent dims, this array has 3" in info.value.message
    assert info.value.line == 2


class Calls(Performer):
    """A performer that writes down the calls it overrides."""

    def __init__(self):
        self.calls = []

    def set_tempo(self, k):
        self.calls.append(("set_tempo", k))

    def track(self, name, plan):
        self.calls.append(("track", name, plan))

    def track_source(self, name, line):
        self.calls.append(("track_source", name, line))

    def play(self, plan):
        self.calls.append(("play", plan))

    def stop(self, name):
        self.calls.append(("stop", name))

    def hush(self):
        self.calls.append(("hush",))


def test_a_performer_gets_the_calls(model):
    perf = Calls()
    s = Session(model=model, performer=perf, output=None)
    s.env["a"] = np.zeros((4, model.dims), np.float32)
    s.run("bpm 161\ntrack d = a\nplay a\nstop d\nhush")
    assert ("track_source", "d", "track d = a") in perf.calls  # the line (for the view)
    perf.calls.remove(("track_source", "d", "track d = a"))
    names = [c[0] for c in perf.calls]
    assert names == ["set_tempo", "track", "play", "stop", "hush"]
    assert perf.calls[0][1] == 8 and perf.calls[1][1] == "d"
    assert isinstance(perf.calls[2][1], Plan)


def test_a_session_refuses_a_performer_that_is_not_one(model):
    class Duck:
        def play(self, plan):
            pass

    with pytest.raises(TypeError, match="expected an unravel_lang.performer.Performer .*Duck"):
        Session(model=model, performer=Duck())


def test_model_statement_switches_models(session, tiny_model_path, noisy_model_path):
    session.run(f'model "{noisy_model_path}"')
    assert str(noisy_model_path) in str(session.model.path)
    assert session.lines[-1].startswith("model noisy.ts: sr 44100 Hz, ratio 2048")
    with pytest.raises(LanguageError) as info:
        session.run('model "nope.ts"')
    assert info.value.col == 1


def test_evaluate_returns_the_last_expression_and_fills_env(model):
    a = np.arange(24, dtype=np.float32).reshape(3, 8)
    env = {"a": a}
    out = evaluate("x = reverse(a)\nfibo(x)", env=env, model=model)
    np.testing.assert_array_equal(env["x"], a[::-1])
    np.testing.assert_array_equal(out, a[::-1][[0, 0, 1, 0, 1, 2]])
    assert evaluate("y = 2", model=model) is None


def test_recorder_default_and_eval(session):
    assert isinstance(session.performer, Recorder)
    np.testing.assert_array_equal(session.eval("reverse(a)"), session["a"][::-1])
    with pytest.raises(LanguageError):
        session.eval("x = 1")


def test_run_file_reads_relative_to_the_score(model, tmp_path, tone):
    score = tmp_path / "s.unr"
    score.write_text('x = encode("tone.wav")\n')
    s = Session(model=model, output=None)
    s.run_file(score)
    assert s["x"].shape[1] == model.dims
    with pytest.raises(Exception, match="cannot read score"):
        s.run_file(tmp_path / "none.unr")


RUNNABLE = [
    "x = fibo(a) | orale(b, 3:1) >> blend(a, b, n=2, step=8)\nplay x\nshow x",
    "k 4\ns = stats(a, b)\nc = normal(s, k=1beats) * 2 - 1\nd = swap(c, a, n=2)\n"
    "e = swap_once(c, a, count=3)\ntrack t = d >> e",
    "y = interpolate(a, b, t=0.5)\nz = jitter(repeat(y, n=2), amount=0.3)\nwait 2frames\nhush",
    "m = [1, 2, 3]\nn = select(a, [0, 1, 2, 3, 4, 5, 6, 7])\no = scale(bias(n, 0.5), 2) / 3",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(RUNNABLE),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3),
                       st.sampled_from(["", "0", "-", "9", "(", ")", ",", "a", "b", "n=", "1e9",
                                        "|", ">>", "*", "/", "0.5", "[", "]", "bars", "\n"])),
             max_size=3),
)
def test_fuzz_running_mutated_programs_raises_only_user_errors(model, source, edits):
    for pos, cut, insert in edits:
        pos = pos % (len(source) + 1)
        source = source[:pos] + insert + source[pos + cut:]
    s = Session(model=model, output=None, dry_run=True)
    rng = np.random.default_rng(0)
    s.env["a"] = rng.standard_normal((6, 8)).astype(np.float32)
    s.env["b"] = rng.standard_normal((6, 8)).astype(np.float32)
    try:
        s.run(source)
    except UnravelError as err:
        assert str(err)


def test_each_statement_evaluates_its_expression_once(session, tmp_path):
    session.run("seed 2\ns = stats(a)\n"
                'export normal(s, k=3) "n.npy"\nexport normal(s, k=3) "n.wav"\nplay normal(s, k=3)')
    assert session.draws == 3
    session.run("seed 2\ns = stats(a)\nx = normal(s, k=3)")
    np.testing.assert_array_equal(load_npy(tmp_path / "n.npy"), session["x"])


def test_evaluate_keeps_the_bindings_made_before_an_error(model):
    env = {"a": np.ones((3, 8), np.float32)}
    with pytest.raises(LanguageError):
        evaluate("x = reverse(a)\ny = repeat(a, n=0)", env=env, model=model)
    assert "x" in env and "y" not in env
