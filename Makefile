# Two commands do all the set-up on a fresh Debian machine:
#   make demo   — install, render the demo score with the embedded model to out/demo.wav, play it
#   make test   — install, build genuine RAVE exports when the tool is there, run the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RAVE_TOOL ?= ../shared/tools/make-rave-models
RAVE_MODELS ?= .cache/rave-models
DEMO_SCORE ?= examples/demo.unr

.PHONY: demo test system venv rave-models lint clean

system:
	@if ! ldconfig -p 2>/dev/null | grep -q libportaudio.so.2; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q libportaudio2 >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q libportaudio2 >/dev/null)) && \
	    echo "installed libportaudio2"; \
	  else \
	    echo "note: PortAudio is missing, so playback is off (export still works)."; \
	    echo "      To hear sound: sudo apt-get install libportaudio2"; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: system venv
	@mkdir -p out
	$(VENV)/bin/unravel run $(DEMO_SCORE) -o out/demo.wav --play

rave-models:
	@if [ -x "$(RAVE_TOOL)" ]; then \
	  [ -f $(RAVE_MODELS)/v2_streaming.ts ] || $(RAVE_TOOL) $(RAVE_MODELS) v2; \
	else \
	  echo "note: $(RAVE_TOOL) not found; tests of genuine RAVE exports will be skipped"; \
	fi

test: system venv rave-models
	UNRAVEL_RAVE_MODELS=$(abspath $(RAVE_MODELS)) $(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) out .cache .pytest_cache .hypothesis dist build
