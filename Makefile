# Two commands do all setup on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.specgym-installed
# A CPU build of torch lies on these machines' disk; elsewhere pip chooses.
LOCAL_TORCH := $(wildcard /opt/wheels/torch-2.13.0+cpu-*.whl)

.PHONY: setup demo test test-slow lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap) \
		|| echo "warning: could not install bubblewrap (Debian package 'bubblewrap'); text envs need it"
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
ifneq ($(LOCAL_TORCH),)
	$(PIP) install -q torch==2.13.0
endif
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install -q -e ".[all]"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/specgym demo --out runs/demo

lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

bench: setup
	$(PY) benchmarks/maze_throughput.py --json runs/bench/maze_throughput.json
	$(PY) benchmarks/sandbox_overhead.py
	$(PY) benchmarks/coding_grader.py
	$(PY) benchmarks/rollout_throughput.py --json runs/bench/rollout_throughput.json

clean:
	rm -rf $(VENV) build dist *.egg-info runs
