"""The built wheel installs non-editable into a fresh venv and `unravel info` works from there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the working tree (hatchling, no network: no build isolation)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
          str(REPO)], cwd=out)
    wheels = list(out.glob("unravel_lang-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    """A scratch venv with the wheel installed (not editable); returns its bin folder.

    The venv sees no repository. Its dependencies (torch, numpy, ...) come from this
    interpreter's site-packages, appended to its path by a .pth line: a plain path line does
    not run the .pth files there, so the development (editable) install stays invisible.
    """
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
          "--no-index", "--quiet", str(wheel)])
    return venv / "bin"


def _clean_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_wheel_ships_grammar_and_default_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "unravel_lang/grammar/unravel.lark" in names
    assert "unravel_lang/docs/language.md" in names  # the REPL's `help` examples
    assert "unravel_lang/models/default.ts" in names
    for page in ("index.html", "view.js", "view.css", "colormap.js"):  # the live view's page
        assert f"unravel_lang/live/view_page/{page}" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_package_is_the_wheel_not_the_repo(installed, tmp_path):
    script = (
        "import importlib.resources as r, unravel_lang; "
        "print(unravel_lang.__file__); "
        "print(r.files('unravel_lang').joinpath('grammar/unravel.lark'))"
    )
    out = _run([str(installed / "python"), "-c", script], cwd=tmp_path,
               env=_clean_env(installed)).stdout.split()
    venv = installed.parent
    assert Path(out[0]).is_relative_to(venv), out[0]
    grammar = Path(out[1])
    assert grammar.is_relative_to(venv) and grammar.is_file()
    assert grammar.read_text() == (REPO / "grammar" / "unravel.lark").read_text()


def test_unravel_info_runs_from_the_installed_wheel(installed, tmp_path):
    from unravel_lang.model import load_model

    default = load_model(None)
    proc = subprocess.run([str(installed / "unravel"), "info"], cwd=tmp_path,
                          env=_clean_env(installed), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"sample rate  {default.sr} Hz" in proc.stdout
    assert f"ratio        {default.ratio} samples" in proc.stdout
    assert f"latent size  {default.dims} dims" in proc.stdout
    # the model it reports is the copy inside the scratch venv
    model_line = next(line for line in proc.stdout.splitlines() if line.startswith("model"))
    assert str(installed.parent) in model_line and "default.ts" in model_line
