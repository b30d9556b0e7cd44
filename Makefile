# steadyscale: `make demo` sets up and runs the demo, `make test` runs the tests.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint clean-venv bench eval

setup: $(STAMP)

# (Re)create the virtual environment when it is missing or older than pyproject.toml.
$(STAMP): pyproject.toml
	@PYTHON="$$(scripts/find_python.sh)" || exit 1; \
	if [ ! -x "$(PY)" ] || ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "steadyscale setup: creating $(VENV) with $$PYTHON" >&2; \
		rm -rf "$(VENV)"; "$$PYTHON" -m venv "$(VENV)" || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,cluster,serve]'
	@# vspipe finds this venv's Python through VapourSynth's per-install runtime config
	$(VENV)/bin/vapoursynth config >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/steadyscale demo

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check vs_plugin tests scripts

clean-venv:
	rm -rf $(VENV)
