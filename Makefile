# Two commands do all the set-up on a fresh Debian machine:
#   make demo   — install, render the demo score with the embedded model to out/demo.wav, play it
#   make test   — install, build genuine RAVE exports when the tool is there, run the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RAVE_TOOL ?= ../shared/tools/make-rave-models
RAVE_MODELS ?= .cache/rave-models
DEMO_SCORE ?= examples/demo.unr

.PHONY: demo test system system-test venv rave-models lint clean

# Debian packages: PortAudio for playback; the tests also use PulseAudio and ALSA's plugins,
# headless Pure Data (OSC receiver), Neovim (the editor set-up of docs/editors.md) and
# headless Chromium with its driver (the live view's browser tests).
DEMO_PKGS := libportaudio2
TEST_PKGS := libportaudio2 pulseaudio libasound2-plugins alsa-utils puredata-core neovim \
             chromium chromium-driver

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get install -y -q $$missing >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null)); \
	  else \
	    echo "note: missing Debian packages:$$missing (playback and some tests need them)"; \
	    echo "      install them with: sudo apt-get install$$missing"; \
	  fi; \
	fi
endef

system:
	$(call apt_install,$(DEMO_PKGS))

system-test:
	$(call apt_install,$(TEST_PKGS))

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

test: system-test venv rave-models
	UNRAVEL_RAVE_MODELS=$(abspath $(RAVE_MODELS)) $(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) out .cache .pytest_cache .hypothesis dist build
