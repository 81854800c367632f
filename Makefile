# ganreport: train GAN studies, build their write-up site.
# Every target that needs Python creates/refreshes .venv itself.

PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
STUDY    ?= experiments/abstract
RUNS     ?= runs
SITE     ?= _site
BASEURL  ?=
PORT     ?= 4000
# Pinned: these builds lie on the local disk; never let pip pick another torch.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

BASEURL_ARG := $(if $(BASEURL),--baseurl $(BASEURL),)

.PHONY: all train site serve publish test lint bench bench-site clean venv

all: train site

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PINS)
	$(PY) -m pip install -q -e '.[train,test]' $(TORCH_PINS)
	touch $@

venv: $(VENV)/.installed

train: $(VENV)/.installed
	$(PY) -m ganreport train $(STUDY) --out $(RUNS) $(TRAIN_ARGS)

site: $(VENV)/.installed
	$(PY) -m ganreport build --src site_src --runs $(RUNS) --out $(SITE) $(BASEURL_ARG)

serve: $(VENV)/.installed
	$(PY) -m ganreport serve --src site_src --runs $(RUNS) --out $(SITE) --port $(PORT) $(BASEURL_ARG)

# Build with the configured baseurl (or BASEURL=) and commit _site/ to the gh-pages branch;
# `make publish PUBLISH_ARGS=--push` also pushes it (never forced).
publish: $(VENV)/.installed
	$(PY) -m ganreport publish --src site_src --runs $(RUNS) --out $(SITE) $(BASEURL_ARG) $(PUBLISH_ARGS)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check ganreport training tests

bench: $(VENV)/.installed
	$(PY) -m ganreport bench --vs-tutorial $(BENCH_ARGS)

bench-site: $(VENV)/.installed
	$(PY) -m ganreport bench $(BENCH_ARGS)

clean:
	rm -rf $(SITE) .cache .pytest_cache .ruff_cache
