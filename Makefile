# Makefile — builds bin/atelier (and bin/fashn-emu), installs its Debian dependencies,
# runs every test. `make demo` and `make test` are the two entry points; both run
# `make deps` first. Sources are discovered by directory, so adding a file needs no edit.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
OPT     ?= -O2
SAN     ?=
BUILD   ?= build/release
BIN     ?= bin
V       ?=
Q       := $(if $(V),,@)

# Debian packages: libraries (README.md, "Dependencies", says why each) and the tools the
# tests use (pdfinfo, groff, certtool for the TLS test certificates, sqlite3 to read
# journals, ffprobe (ffmpeg) to read fashn-emu's MP4s; clang's libFuzzer and valgrind for the fuzz
# and memcheck phases of make test).
DEB_PKGS := pkg-config liblua5.4-dev lua-cjson-dev libcurl4-openssl-dev libwebp-dev \
            libpng-dev libturbojpeg0-dev libcairo2-dev libsqlite3-dev libmicrohttpd-dev \
            poppler-utils fonts-dejavu-core curl libfontconfig-dev groff-base \
            gnutls-bin sqlite3 clang libclang-rt-14-dev valgrind libssl-dev ffmpeg libpango1.0-dev \
            fonts-ebgaramond fonts-noto-cjk fonts-noto-color-emoji libcsv-dev libopenh264-dev
# Wanted but not required: the HTML lookbook test drives headless Chromium and is skipped
# (saying why) where it cannot be installed; a failed install never fails the build.
OPTIONAL_DEB_PKGS := chromium
PKGS := lua5.4 lua5.4-cjson libcurl libwebp libwebpmux libpng libturbojpeg cairo sqlite3 \
        libmicrohttpd fontconfig libcrypto pangocairo pangoft2 openh264


# Libraries opened on first use instead of at start (runtime/lazy/lazy.h): `atelier -e`
# and recipes that never make a request, a page or a journal do not pay for mapping
# them. They are left off the link line; runtime/lazy/ defines their functions and
# dlopens each by the soname of the library the linker would have used
# (pkg-config name:-l name:macro suffix). LAZY=0 links them the ordinary way (after
# `make clean`: objects do not see the switch).
LAZY ?= 1
LAZY_LIBS := libcurl:curl:CURL cairo:cairo:CAIRO sqlite3:sqlite3:SQLITE3 libmicrohttpd:microhttpd:MICROHTTPD \
             fontconfig:fontconfig:FONTCONFIG libcrypto:crypto:CRYPTO libpng:png16:PNG16 \
             libturbojpeg:turbojpeg:TURBOJPEG libwebp:webp:WEBP libwebpmux:webpmux:WEBPMUX \
             pangocairo:pangocairo-1.0:PANGOCAIRO pangoft2:pangoft2-1.0:PANGOFT2 pango:pango-1.0:PANGO \
             gobject-2.0:gobject-2.0:GOBJECT glib-2.0:glib-2.0:GLIB harfbuzz:harfbuzz:HARFBUZZ \
             freetype2:freetype:FREETYPE openh264:openh264:OPENH264
lazy_field  = $(word $(2),$(subst :, ,$(1)))
lazy_soname = $(shell objdump -p "$$($(CC) -print-file-name=lib$(1).so)" 2>/dev/null | sed -n 's/^ *SONAME *//p')
ifeq ($(LAZY),1)
# lazy_def(soname,MACRO): its -D, or LAZY_MISSING; each soname is looked up once
lazy_def   = $(if $(1),-DLAZY_SO_$(2)=\"$(1)\",LAZY_MISSING)
LAZY_DEFS := $(foreach p,$(LAZY_LIBS),$(call lazy_def,$(call lazy_soname,$(call lazy_field,$p,2)),$(call lazy_field,$p,3)))
ifneq ($(filter LAZY_MISSING,$(LAZY_DEFS)),)
$(warning a lazy library's soname was not found (objdump?): linking every library at start)
LAZY := 0
endif
endif
ifeq ($(LAZY),1)
LAZY_CFLAGS := -DATELIER_LAZY $(LAZY_DEFS)
LAZY_PKGS   := $(foreach p,$(LAZY_LIBS),$(call lazy_field,$p,1))
LAZY_LDLIBS := -ldl
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null)
CFLAGS  = -std=c11 -Wall -Wextra -Werror -g $(OPT) $(SAN) -D_DEFAULT_SOURCE -MMD -MP \
          $(PKG_CFLAGS) $(LAZY_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS = $(SAN) $(EXTRA_LDFLAGS)
LDLIBS  = $(PKG_LIBS) $(LAZY_LDLIBS) -lcsv -lpthread -lm

# runtime/ is grouped by concern (runtime/README.md); every folder but emu/ is the core.
RUNTIME_SRC := $(filter-out runtime/emu/%,$(wildcard runtime/*/*.c))
EMU_SRC     := $(filter-out runtime/emu/main.c,$(wildcard runtime/emu/*.c))
BIND_SRC    := $(wildcard bindings/*.c)
UNIT_SRC    := $(wildcard tests/unit/*.c)
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
CORE_OBJ := $(call obj,$(RUNTIME_SRC) $(EMU_SRC))

ATELIER := $(BIN)/atelier
EMU_BIN := $(if $(wildcard runtime/emu/main.c),$(BIN)/fashn-emu)
UNIT    := $(BUILD)/unit-tests
REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay-%)

# Keep objects make considers intermediate (fuzz replay objects).
.SECONDARY:
.PHONY: all deps deps-debian npm-deps test check build-suite demo asan install clean bench bench-deps fuzz fuzz-build tsan-build lazy-check
all: $(ATELIER) $(EMU_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# A call into a lazily loaded library that runtime/lazy/ does not define yet fails the
# link; lazy_check then names the functions and the file they belong in.
LAZY_LINK_HINT = $(if $(LAZY_CFLAGS),|| { sh tools/lazy_check.sh "$(CC)" $(BUILD) $(LAZY_LIBS); exit 1; })

$(ATELIER): $(call obj,runtime/main.c $(BIND_SRC)) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LAZY_LINK_HINT)

# Every function the objects call from a lazy library has its definition (and none is
# left over); with LAZY=0 there is nothing to check.
lazy-check: $(call obj,runtime/main.c $(BIND_SRC)) $(CORE_OBJ)
	@$(if $(LAZY_CFLAGS),sh tools/lazy_check.sh "$(CC)" $(BUILD) $(LAZY_LIBS),echo "lazy-check: LAZY=0, every library is linked at start")

$(BIN)/fashn-emu: $(call obj,runtime/emu/main.c) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(call obj,$(UNIT_SRC)) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Each fuzz target also builds as a plain program that replays its corpus and saved
# crashes (tests/fuzz/driver.c), so `make test` keeps every crash found as a regression.
$(BUILD)/fuzz/replay-%: $(call obj,tests/fuzz/fuzz_%.c tests/fuzz/driver.c) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Targets named fuzz_bindings*.c drive the Lua bindings, so they (and their replays)
# link the bindings' objects too; Lua itself comes with LDLIBS, as for every target.
FUZZ_BIND_NAMES := $(filter bindings%,$(FUZZ_NAMES))
$(FUZZ_BIND_NAMES:%=$(BUILD)/fuzz/replay-%) $(FUZZ_BIND_NAMES:%=$(BUILD)/bin/fuzz-%): $(call obj,$(BIND_SRC))

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Installs what pkg-config/dpkg cannot find; a no-op when everything is present.
deps: deps-debian npm-deps

deps-debian:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "make deps: apt-get failed; install these by hand:$$missing" >&2; exit 1; }; \
	fi; \
	for p in $(OPTIONAL_DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' && continue; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  echo "make deps: installing optional $$p"; \
	  { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $$p; } >/dev/null 2>&1 \
	    || echo "make deps: optional $$p could not be installed; the tests that need it are skipped" >&2; \
	done

# node packages the tests use (tests/npm: the official SDK as an outside client of fashn-emu,
# puppeteer-core for chromium), installed here from the npm registry with the lockfile and
# never at test time. node and npm are looked for as commands, since they often come from
# elsewhere than Debian (NodeSource's nodejs bundles npm and conflicts with Debian's npm);
# only when one is missing are Debian's packages tried. Without them the tests that need
# them are skipped, saying why; a failed install never fails the build.
NODE_PKGS := nodejs npm
NPM_DIR   := tests/npm
npm-deps: deps-debian
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
	  $(MAKE) --no-print-directory deps-debian DEB_PKGS= OPTIONAL_DEB_PKGS="$(NODE_PKGS)"
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "make deps: no node/npm; the SDK conformance and browser tests are skipped" >&2; \
	elif [ -f $(NPM_DIR)/node_modules/.package-lock.json ] && \
	     [ ! $(NPM_DIR)/package-lock.json -nt $(NPM_DIR)/node_modules/.package-lock.json ]; then :; \
	else \
	  echo "make deps: installing $(NPM_DIR)'s node packages (npm ci)"; \
	  ( cd $(NPM_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 timeout 600 npm ci --no-audit --no-fund --loglevel=error ) \
	    || echo "make deps: npm ci failed; the tests that need its packages are skipped" >&2; \
	fi

# The suites, counted together; the last line is "N passed, N failed[, N skipped]".
# `make check` is the quick loop: the release build's suites only.
check: all $(UNIT) $(REPLAYS)
	@ATELIER_LAZY=$(LAZY) BIN=$(BIN) UNIT=$(UNIT) FUZZ_BUILD=$(BUILD)/fuzz sh tests/run

# Everything one build's suites need (used with the asan variables below).
build-suite: all $(UNIT) $(REPLAYS)

ASAN_VARS = BUILD=build/asan BIN=build/asan/bin OPT=-O1 \
            SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# ThreadSanitizer over the worker pool alone: its unit tests with the loop it posts to,
# nothing else (the whole program under TSan would add minutes and libraries' noise).
TSAN_BUILD := build/tsan
TSAN_UNIT  := $(TSAN_BUILD)/workers-tests
# With LAZY=1 libcurl loads on first use here too, and runtime/lazy/'s first calls from
# several threads at once are watched as well (test_lazy.c's lazy_concurrent test).
TSAN_SRC   := tests/unit/main.c tests/unit/test_workers.c runtime/io/workers.c runtime/io/loop.c \
              runtime/lazy/lazy.c $(if $(LAZY_CFLAGS),tests/unit/test_lazy.c \
              $(filter-out runtime/lazy/lazy.c,$(wildcard runtime/lazy/*.c)))
tsan-build: $(TSAN_UNIT)
$(TSAN_UNIT): $(TSAN_SRC) runtime/io/workers.h runtime/io/loop.h runtime/lazy/lazy.h tests/unit/unit.h
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TSAN    $@")
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=thread -D_DEFAULT_SOURCE \
	  $(PKG_CFLAGS) $(LAZY_CFLAGS) $(TSAN_SRC) -o $@ \
	  $(if $(LAZY_CFLAGS),$(LAZY_LDLIBS),$(shell pkg-config --libs libcurl)) -lpthread

# What CI runs (.ci/run): every suite of the release build, the same under ASan + UBSan,
# each libFuzzer target for TEST_FUZZ_SECONDS, and the unit tests and examples under
# valgrind, and the worker pool under ThreadSanitizer — all counted in one final line. PHASES narrows it for a quicker local run.
TEST_FUZZ_SECONDS ?= 10
PHASES ?= release asan fuzz valgrind tsan
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build-suite
	@$(if $(filter asan,$(PHASES)),$(MAKE) --no-print-directory -j$(JOBS) build-suite $(ASAN_VARS))
	@$(if $(filter fuzz,$(PHASES)),$(MAKE) --no-print-directory -j$(JOBS) fuzz-build)
	@$(if $(filter tsan,$(PHASES)),$(MAKE) --no-print-directory tsan-build)
	@ATELIER_LAZY=$(LAZY) PHASES="$(PHASES)" BIN=$(BIN) UNIT=$(UNIT) FUZZ_BUILD=$(BUILD)/fuzz ASAN_BUILD=build/asan \
	  TSAN_UNIT=$(TSAN_UNIT) \
	  FUZZER_DIR=$(FUZZ_BUILD)/bin FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) sh tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	$(ATELIER) examples/demo.lua

asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build-suite $(ASAN_VARS)
	@PHASES=asan ASAN_BUILD=build/asan sh tests/run

# libFuzzer: every tests/fuzz/fuzz_*.c for FUZZ_SECONDS each (clang, ASan + UBSan).
# Crashes land in tests/fuzz/regressions/NAME/crash-*; once fixed, give the file a name
# saying what it caught and commit it: make test replays every file there.
FUZZ_SECONDS ?= 30
FUZZ_BUILD   := build/fuzz
fuzz-build:
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(FUZZ_BUILD)/bin/fuzz-%) BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n tests/fuzz/regressions/$$n; \
	  echo "== fuzz $$n for $(FUZZ_SECONDS)s"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  $(FUZZ_BUILD)/bin/fuzz-$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    -artifact_prefix=tests/fuzz/regressions/$$n/ $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n \
	    2>&1 | grep -E '^(#[0-9]+ +DONE|==[0-9]+==|SUMMARY|INFO: Running)' || true; \
	done; \
	new=$$(find tests/fuzz/regressions -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*'); \
	if [ -n "$$new" ]; then echo "make fuzz: new crashes (fix, rename, commit):"; echo "$$new"; exit 1; fi; \
	echo "make fuzz: no crash in $(words $(FUZZ_NAMES)) target(s)"

$(FUZZ_BUILD)/bin/fuzz-%: $(call obj,tests/fuzz/fuzz_%.c) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Benchmarks against peers measured in the same run (tests/bench/README.md); never in
# `make test`. The official SDK's row needs `make deps`' node packages (npm-deps above);
# without them it is skipped, saying why.
BENCH_DEB_PKGS := imagemagick webp libssl-dev libjansson-dev lua5.4
bench: bench-deps
	@$(MAKE) --no-print-directory all
	@BIN=$(BIN) sh tests/bench/run

bench-deps: deps
	@$(MAKE) --no-print-directory deps-debian DEB_PKGS="$(BENCH_DEB_PKGS)"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/atelier/scripts
	install -m 755 $(ATELIER) $(EMU_BIN) $(DESTDIR)$(PREFIX)/bin/
	cd scripts && find . -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(PREFIX)/share/atelier/scripts/{} \;
	install -D -m 644 atelier.1 $(DESTDIR)$(PREFIX)/share/man/man1/atelier.1

clean:
	rm -rf build bin
