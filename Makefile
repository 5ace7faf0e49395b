# AMF Events: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := amf

.PHONY: run test setup db lint format worker clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(STAMP)

## db: migrate the database, load the pilot cities and the AMF 2022 demo event
db: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask amf seed
	$(BIN)/flask amf demo

## run: the application on SQLite, mail written to instance/mail/
run: db
	$(BIN)/flask run --debug --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite unless AMF_TEST_DATABASE_URL names a PostgreSQL server)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check amf tests bench config.py

format: $(STAMP)
	$(BIN)/ruff format amf tests bench config.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
