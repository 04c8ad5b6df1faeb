# Two commands do all setup on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.specgym-installed
# A CPU build of torch lies on these machines' disk; elsewhere pip chooses.
LOCAL_TORCH := $(wildcard /opt/wheels/torch-2.13.0+cpu-*.whl)
# llama.cpp compiles for the build machine's CPU by default (-march=native), and pip caches that
# wheel without noting the CPU: on another machine it dies with SIGILL. We build one portable
# wheel (AVX2/FMA, no AVX-512) once per machine, keyed by its flags, and install that.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
LLAMA_WHEELS := $(HOME)/.cache/specgym/llama-cpp-python-$(LLAMA_VERSION)-avx2

.PHONY: setup demo test test-slow lint bench docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap) \
		|| echo "warning: could not install bubblewrap (Debian package 'bubblewrap'); text envs need it"
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
ifneq ($(LOCAL_TORCH),)
	$(PIP) install -q torch==2.13.0
endif
	test -n "$$(ls $(LLAMA_WHEELS)/*.whl 2>/dev/null)" || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) wheel -q --no-cache-dir --no-deps \
		-w $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"
	$(PIP) install -q $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install -q -e ".[all]"
	touch $(STAMP)

# region5 vs its control on decision squares, then the gaming benchmark (runs/demo/README.md)
demo: setup
	$(VENV)/bin/specgym demo --out runs/demo

# rewrite the docs tables that come from JSON (checkpoint evaluations, analysis results)
docs: setup
	$(PY) docs/tables.py

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
