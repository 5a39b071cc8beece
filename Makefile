# segrefiner: `make demo` (set up, then run the demo), `make test` (set up, then the tests).
PYTHON_BASE ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# torch==2.13.0 resolves to the local CPU wheel on the CI machines; GPU users pass e.g.
# TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128".
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: setup test demo lint benchmark clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install -q "setuptools<81" wheel
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-build-isolation -e ".[serve,openvino]"
	touch $(STAMP)

test: setup
	$(VENV)/bin/ruff check segrefiner tools scripts tests configs
	$(PY) -m pytest -q tests

lint: setup
	$(VENV)/bin/ruff check segrefiner tools scripts tests configs

demo: setup
	@test -f tools/demo.py || { echo 'make demo: tools/demo.py is not written yet (see README)'; exit 1; }
	$(PY) tools/demo.py

benchmark: setup
	$(PY) tools/benchmark.py --json outputs/benchmark.json

clean:
	rm -rf $(VENV) outputs .pytest_cache
