# Every target that runs code depends on `install`, so each works alone on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPEC ?= models/etth1-gru.yaml
BUNDLE ?= models/etth1-gru
COMPARE_SPEC ?= models/etth1-compare.yaml
COMPARE_OUT ?= compare/etth1
TUNE_SPEC ?= models/etth1-tune.yaml
# Extra arguments for forecast tune, e.g. TUNE_ARGS='--trials 20 --train-best'
TUNE_ARGS ?=

# Extra arguments for benchmarks/examples.py, e.g. EXAMPLES_ARGS='--only retail'
EXAMPLES_ARGS ?=
# Extra arguments for benchmarks/accuracy.py, e.g. BENCH_ARGS='--seeds 1'
BENCH_ARGS ?=
# Extra arguments for benchmarks/profile_segments.py, e.g. PROFILE_ARGS='--units 128 256'
PROFILE_ARGS ?=
# Extra arguments for benchmarks/panels.py, e.g. PANELS_ARGS='--panels retail'
PANELS_ARGS ?=
# Extra arguments for benchmarks/scale.py, e.g. SCALE_ARGS='--sizes 100 1000' or '--command'
SCALE_ARGS ?=

.PHONY: install demo compare tune test lint typecheck schema docs docs-serve clean bench-examples bench-accuracy bench-profile bench-scale bench-panels

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/forecast train $(SPEC)
	$(BIN)/forecast predict $(BUNDLE) --out $(BUNDLE)/forecast.csv
	@echo "bundle: $(BUNDLE)/  forecast: $(BUNDLE)/forecast.csv  metrics: $(BUNDLE)/metrics.json"
	@echo "report: $(BUNDLE)/report.html (open it in a browser; plots in $(BUNDLE)/plots/)"

compare: install
	$(BIN)/forecast compare $(COMPARE_SPEC) --seeds 3 --out $(COMPARE_OUT)

tune: install
	$(BIN)/forecast tune $(TUNE_SPEC) $(TUNE_ARGS)

test: install
	$(BIN)/python -m pytest -q

# ruff's checks and formatting, then the type check
lint: install
	$(BIN)/ruff check forecaster tests benchmarks docs
	$(BIN)/ruff format --check forecaster tests benchmarks docs/*.py
	@$(MAKE) --no-print-directory typecheck
	$(BIN)/lint-imports

# mypy on the package, configured in pyproject.toml ([tool.mypy])
typecheck: install
	$(BIN)/mypy forecaster

# The spec's JSON Schema, which the example specs name on their first line; a test checks
# that the committed file is what `forecast schema` prints
schema: install
	$(BIN)/forecast schema > docs/spec.schema.json

# The documentation site into site/ (mkdocs.yml; the dev extra installs the docs extra).
# --strict: a broken link or anchor, a missing included file or a stale schema fails it.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# Trains the shipped example specs; writes benchmarks/results/examples.md and .json
bench-examples: install
	$(BIN)/python benchmarks/examples.py $(EXAMPLES_ARGS)

# Trains every spec in benchmarks/specs/ and writes benchmarks/results/etth1.md and .json
bench-accuracy: install
	$(BIN)/python benchmarks/accuracy.py $(BENCH_ARGS)

# Times the segment GRU's encoder and decoder apart; writes benchmarks/results/profile.md
bench-profile: install
	$(BIN)/python benchmarks/profile_segments.py $(PROFILE_ARGS)

# The monthly panels (aus_retail, M1) against seasonal naive, AutoETS and Theta;
# writes benchmarks/results/panels.md and .json
bench-panels: install
	$(BIN)/python -m pip install --quiet -e '.[panels]'
	$(BIN)/python benchmarks/panels.py $(PANELS_ARGS)

# Memory and throughput at 100 to 10,000 series; writes benchmarks/results/scale.md
bench-scale: install
	$(BIN)/python benchmarks/scale.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .ruff_cache .mypy_cache
