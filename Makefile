# gluon_notes: `make demo` trains softmax regression on real Fashion-MNIST, `make test` runs the suite.
# Both create .venv, install the pinned stack (through constraints.txt) and obtain the data first.
# GPU users: make MXNET=mxnet-cu117==1.9.1 demo
PYTHON ?= python3
# `make test NUMPY=1.26.4` builds and tests a separate venv, .venv-numpy1.26.4, from
# constraints-numpy1.26.4.txt (numpy 1.26.4, the newest matplotlib for it); by default .venv
# and constraints.txt (numpy 1.23.5, the tested default).
NUMPY  ?=
VENV   ?= $(if $(NUMPY),.venv-numpy$(NUMPY),.venv)
CONSTRAINTS ?= $(if $(NUMPY),constraints-numpy$(NUMPY).txt,constraints.txt)
$(if $(wildcard $(CONSTRAINTS)),,$(error $(CONSTRAINTS) does not exist; NUMPY= takes a version with a constraints-numpy<version>.txt))
MXNET  ?= mxnet==1.9.1
# The optional PyTorch peer of `gluon-notes bench` and of the PyTorch-course comparisons;
# `make test PEER=` leaves it out (and no longer promises it to the tests).
# torch==2.13.0 is the CPU build on this project's machines; elsewhere PyPI serves a large CUDA one.
PEER   ?= torch==2.13.0
# What `make test` promises its tests: their tests fail (never skip) when a promised peer is missing.
# BROWSER= leaves Chromium (the report's browser test) out, as PEER= leaves PyTorch out.
BROWSER ?= chromium
REQUIRE ?= $(if $(PEER),torch$(comma))data$(if $(BROWSER),$(comma)chromium)
comma := ,
BIN     = $(VENV)/bin
PIP     = $(BIN)/python -m pip --disable-pip-version-check
STAMP   = $(VENV)/.installed
DEB_DATA = /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
SUDO    = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install peer data browser demo test test-fast lint bench bench-pipeline clean
.DEFAULT_GOAL := demo

$(STAMP): setup.cfg $(CONSTRAINTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(if $(NUMPY),echo "*" > $(VENV)/.gitignore)
	$(PIP) install -q -c $(CONSTRAINTS) "$(MXNET)" -e ".[book,test]"
	touch $(STAMP)

install: $(STAMP)

$(VENV)/.peer: $(STAMP)
	@if [ -n "$(PEER)" ]; then $(PIP) install -q -c $(CONSTRAINTS) "$(PEER)" \
	  || echo "note: could not install $(PEER); the bench's PyTorch column will say 'not installed'"; fi
	touch $@

peer: $(VENV)/.peer

# Debian's dataset-fashion-mnist holds the official files; without apt, `gluon-notes data` downloads them.
data: install
	@if [ ! -f $(DEB_DATA) ] && command -v apt-get >/dev/null; then \
	  ( $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist >/dev/null ) \
	  || echo "note: could not install dataset-fashion-mnist with apt-get; gluon-notes will download the data"; \
	fi
	$(BIN)/gluon-notes data

demo: data
	$(BIN)/gluon-notes run softmax --out runs/softmax

# Debian's chromium renders the report's HTML page headless in the tests.
browser:
	@if [ -n "$(BROWSER)" ] && ! command -v $(BROWSER) >/dev/null; then \
	  ( $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(BROWSER) >/dev/null ) \
	  || echo "note: could not install $(BROWSER) with apt-get; the report's browser test will fail"; \
	fi

test: data peer browser
	GLUON_NOTES_REQUIRE=$(REQUIRE) $(BIN)/python -m pytest -q
	$(BIN)/ruff check .

lint: install
	$(BIN)/ruff check .

test-fast: install
	$(BIN)/python -m pytest -q -m "not realdata"

bench: data peer
	$(BIN)/gluon-notes bench --out runs/bench

bench-pipeline: data
	$(BIN)/python -m gluon_notes.bench.pipeline

clean:
	rm -rf $(VENV) runs .pytest_cache
