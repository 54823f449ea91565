# Every target bootstraps its own virtualenv; nothing installed by hand is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test bench lint soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

demo: $(STAMP)
	$(BIN)/ssid-rollout demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check ssid_rollout tests benchmarks
	$(BIN)/mypy --strict ssid_rollout

BENCHES := startup parse_speed round_trips lab_logins full_flow province cluster

bench: $(BENCH_STAMP)
	@failed=""; for name in $(BENCHES); do echo "== benchmarks/$$name.py"; \
	  $(BIN)/python benchmarks/$$name.py || failed="$$failed $$name"; done; \
	  if [ -n "$$failed" ]; then echo "targets missed:$$failed"; exit 1; fi

soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak tests/test_soak.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
