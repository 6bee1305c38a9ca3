# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROMTOOL_TRIED := $(VENV)/.promtool-tried
CHROMIUM_READY := $(VENV)/.chromium-ready

.PHONY: install compile run test test-pure test-unit test-integration test-interop test-java chaos clean

install: $(STAMP) compile $(PROMTOOL_TRIED)

$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,build]'
	touch $(STAMP)

# promtool, for the Prometheus rules tests (`promtool check rules`, `promtool test rules`): only that binary, taken
# from Debian's `prometheus` package into the venv (the package itself would pull in a web UI and start a server).
# Tried once per venv; without apt-get it says so and the tests run their own checks only.
$(PROMTOOL_TRIED): | $(STAMP)
	@tmp=$$(mktemp -d); \
	if (cd $$tmp && { apt-get download -qq prometheus >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 \
			&& apt-get download -qq prometheus >/dev/null 2>&1; }; }) \
		&& dpkg-deb --fsys-tarfile $$tmp/prometheus_*.deb | tar -xO ./usr/bin/promtool > $(VENV)/bin/promtool.part \
		&& chmod +x $(VENV)/bin/promtool.part && mv $(VENV)/bin/promtool.part $(VENV)/bin/promtool; then \
		echo "promtool: $$($(VENV)/bin/promtool --version 2>&1 | head -1)"; \
	else \
		rm -f $(VENV)/bin/promtool.part; \
		echo "promtool: NOT installed (apt-get download prometheus failed): the rules tests check with their own parser only"; \
	fi; \
	rm -rf $$tmp; touch $@

# Debian's chromium and chromium-driver, for the web console's browser tests (tests/support/browser.py drives
# /usr/bin/chromium with Playwright; nothing is downloaded). Part of `make test`, not `make run`: the daemons need no
# browser. apt-get waits up to 10 minutes for another apt/dpkg to let go of its lock instead of failing on it;
# `apt-get update` only if the install fails. Without root or without apt it fails: browser tests are never skipped.
# Fonts for screenshots: Liberation/DejaVu cover Latin, Greek, Cyrillic and symbols; WenQuanYi Micro Hei (1.6 MB) CJK,
# kana and Hangul (topic and group names may be Chinese). The stamp is not trusted while /usr/bin/chromium is missing.
CHROMIUM_PKGS := chromium chromium-driver fonts-liberation fonts-wqy-microhei
ifeq ($(wildcard /usr/bin/chromium),)
.PHONY: $(CHROMIUM_READY)
endif
$(CHROMIUM_READY): | $(STAMP)
	@ready() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && { ! command -v dpkg-query >/dev/null \
		|| [ "$$(dpkg-query -W -f='$${Status}\n' $(CHROMIUM_PKGS) 2>/dev/null | grep -c 'install ok installed')" = $(words $(CHROMIUM_PKGS)) ]; }; }; \
	if ! ready; then \
		if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
			echo "chromium: NOT installed, and installing needs root and apt-get: as root, apt-get install $(CHROMIUM_PKGS)"; \
			exit 1; \
		fi; \
		echo "chromium: apt-get install $(CHROMIUM_PKGS) (log: $(VENV)/chromium-apt.log)"; \
		apt="apt-get -q -y -o DPkg::Lock::Timeout=600"; export DEBIAN_FRONTEND=noninteractive; \
		{ $$apt install $(CHROMIUM_PKGS) || { $$apt update && $$apt install $(CHROMIUM_PKGS); }; } > $(VENV)/chromium-apt.log 2>&1; \
		ready || { echo "chromium: NOT installed ($$(grep '^E:' $(VENV)/chromium-apt.log | tail -1)): the browser tests cannot run"; exit 1; }; \
	fi; \
	echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; touch $@

# The compiled hot path (remoting/hotpath.py COMPILED, Cython, in place): pip built it above; this rebuilds what
# changed since (seconds when nothing did). No compiler or no Cython: a warning, and the modules run as Python.
compile: $(STAMP)
	@$(PY) -W ignore setup.py -q build_ext --inplace
	@$(PY) -c 'from remoting import hotpath; print("hot path:", hotpath.describe())'

# NameServer on 9876 and the Broker on 10911 in the foreground; Ctrl-C stops both.
# CONF=conf/2m-2s-sync (or 2m-2s-async, 2m-noslave) starts a NameServer and every broker of that set instead.
CONF ?=
run: install
	$(PY) -m tools.devrun $(CONF)

# The whole suite compiled, then the codec and store suites again as pure Python (both modes must agree).
test: install $(CHROMIUM_READY)
	$(PY) -m pytest -q --durations=25
	$(MAKE) --no-print-directory test-pure

PURE_SUITES := tests/unit/test_codec.py tests/unit/test_codec_reference.py tests/unit/test_connection_protocol.py tests/unit/test_headers.py \
	tests/unit/test_store_message.py tests/unit/test_store_files.py tests/unit/test_store_fixtures.py \
	tests/unit/test_store_api.py tests/unit/test_store_torn_cq_entry.py tests/unit/test_properties.py tests/unit/test_hotpath.py tests/unit/test_batch_body.py \
	tests/unit/test_acl_rules.py tests/reliability/test_bad_input.py tests/integration/test_replay_java_captures.py
test-pure: install
	ROCKETMQ_PY_PURE=1 $(PY) -m pytest -q $(PURE_SUITES)

test-unit: install
	$(PY) -m pytest -q tests/unit

test-integration: install $(CHROMIUM_READY)
	$(PY) -m pytest -q tests/integration

test-interop: install $(CHROMIUM_READY)
	$(PY) -m pytest -q tests/interop

# Against the real Java RocketMQ 4.9.7 (not part of `make test`: CI cannot build Java). See README "Java oracle tests".
test-java: install
	@home="$${JAVA_ORACLE_HOME:-/tmp/javarmq}"; \
	if [ ! -x "$$home/bin/mqbroker" ] || [ ! -x "$$home/bin/run-class" ] || ! command -v javac >/dev/null 2>&1; then \
		echo "make test-java: NOT RUN: no Java RocketMQ 4.9.7 oracle at $$home (bin/mqbroker, bin/run-class) or no javac."; \
		echo "  Build it from the project root: bash ../shared/tools/java-oracle/build.sh /work/.mirror"; \
		echo "  (git mirrors of apache/rocketmq, alibaba/fastjson, openmessaging/dledger, opentracing/opentracing-java"; \
		echo "  under /work/.mirror; see ../shared/tools/java-oracle/README.md), or set JAVA_ORACLE_HOME to a build."; \
		exit 1; \
	fi; \
	echo "make test-java: Java oracle at $$home"; \
	JAVA_ORACLE_HOME="$$home" $(PY) -m pytest -q tests/java --durations=0

# SYNC_MASTER master kills under a real client: 100 rounds, prints acknowledged / found / lost (20 run in `make test`)
CHAOS_ROUNDS ?= 100
chaos: install
	$(PY) -m tests.reliability.ha_chaos $(CHAOS_ROUNDS)

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis data logs build
	find remoting store broker -name '*.so' -delete -o -name '*.c' -delete
