# evsim build. Everything goes to $(BUILD) (default build/).
#   make          build build/evsim
#   make run      install missing deps, build, run configs/default.yaml
#   make test     install missing deps, build and run every test twice
#                 (plain and ASan+UBSan in build/asan), then the e2e tests
#   make bench    benchmarks; prints `bench: NAME value unit` lines
#   make valgrind unit tests under valgrind memcheck
#   make lint     functions over 60 lines; make depcheck: the include rule
#   make clean
#
# Sources are found by wildcard so a new module is a new file, not a
# Makefile edit: sim/**.c and models/**.c form libevsim.a (sim/main.c is
# the CLI), tests/unit/test_*.c are Check suites (one binary each),
# tests/e2e/*.sh end-to-end scripts, tests/bench/bench_*.c benchmarks.

BUILD   ?= build
V       ?= 0
# Short "CC file" lines; `make V=1` shows the full commands.
Q       := $(if $(filter 1,$(V)),,@)
say      = $(if $(filter 1,$(V)),,@printf '  %-6s %s\n' $(1) $(2))
CC      ?= cc
SAN     ?=
PKGS    := yaml-0.1 libprotobuf-c libcjson liblz4 libzstd
CPPFLAGS_ALL := -Isim -Imodels -I$(BUILD)/gen -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# HDF5 (NIR files, sim/config/cfg_nir.c only): Debian's serial build.
HDF5_CFLAGS := $(shell pkg-config --cflags hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)
HDF5_LIBS := $(shell pkg-config --libs hdf5 2>/dev/null || echo -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5)
CPPFLAGS_ALL += $(HDF5_CFLAGS)
CFLAGS  ?= -O2 -g
# Link-time optimisation for the plain gcc build (the replay's hot path
# crosses modules: kernel queue, NoC, neurons; -flto cut its CPU time by
# about a quarter, same outputs). Not with a sanitizer (build/asan stays
# as it was) nor clang (its LTO objects need llvm-ar); LTO=  turns it off.
# One partition: a serial link-time step (the machine's cores are shared)
# without lto-wrapper's warning about serial LTRANS jobs. LTO objects
# need an archiver with the LTO plugin: gcc-ar.
CC_IS_GCC := $(shell $(CC) -v 2>&1 | grep -q '^gcc version' && echo 1)
LTO     ?= $(if $(CC_IS_GCC),$(if $(SAN),,-flto -flto-partition=one))
AR_LIB  := $(if $(strip $(LTO)),gcc-ar,ar)
CFLAGS_ALL := -std=c17 $(CFLAGS) $(LTO) -Wall -Wextra -Werror -MMD -MP $(SAN)
LDLIBS_ALL := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lprotobuf-c -lcjson -llz4 -lzstd) $(HDF5_LIBS) -lm -lpthread
# MPI (`evsim sweep` under mpirun; only sim/sweep/sweep_mpi.c sees mpi.h)
# when it is found: Debian's mpi-default-dev (Open MPI) or MPICH, through
# pkg-config or the mpicc wrapper. `make MPI=0` builds without (after a
# change, `make clean`: the object does not know which it was built as).
MPI_PC  := $(firstword $(foreach p,ompi-c mpich mpi,$(shell pkg-config --exists $(p) 2>/dev/null && echo $(p))))
MPI     ?= $(if $(MPI_PC)$(shell command -v mpicc 2>/dev/null),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := $(if $(MPI_PC),$(shell pkg-config --cflags $(MPI_PC)),$(filter -I% -D% -pthread,$(shell mpicc --showme:compile 2>/dev/null || mpicc -compile_info 2>/dev/null)))
MPI_LIBS   := $(if $(MPI_PC),$(shell pkg-config --libs $(MPI_PC)),$(filter -L% -l% -Wl% -pthread,$(shell mpicc --showme:link 2>/dev/null || mpicc -link_info 2>/dev/null)))
LDLIBS_ALL += $(MPI_LIBS)
$(BUILD)/obj/sim/sweep/sweep_mpi.o: CPPFLAGS_ALL += $(MPI_CFLAGS) -DEVSIM_MPI
endif
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -lpthread)

PROTO     := $(wildcard sim/trace/*.proto)
# ONNX models (sim/config/cfg_onnx.c only): the onnx.proto Debian's
# libonnx-dev installs, compiled like ours (no vendored copy).
# Without the package make names the missing file (tools/deps.sh installs it).
ONNX_PROTO ?= $(or $(firstword $(wildcard /usr/include/onnx/onnx.proto /usr/include/onnx/onnx-ml.proto)),/usr/include/onnx/onnx.proto)
GEN_C     := $(patsubst sim/trace/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTO)) $(BUILD)/gen/onnx.pb-c.c
GEN_H     := $(GEN_C:.c=.h)
LIB_SRC   := $(filter-out sim/main.c,$(wildcard sim/*.c sim/*/*.c models/*.c models/*/*.c))
LIB_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(GEN_C:.c=.o)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TESTSUP_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/unit/support/*.c))
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
E2E       := $(sort $(wildcard tests/e2e/*.sh))

.PHONY: all run test unit e2e bench clean deps fuzz valgrind lint depcheck
.SECONDARY:
.DELETE_ON_ERROR:
all: $(BUILD)/evsim

deps:
	@tools/deps.sh

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: sim/trace/%.proto
	@mkdir -p $(BUILD)/gen
	$(call say,PROTOC,$<)
	$(Q)protoc-c --proto_path=sim/trace --c_out=$(BUILD)/gen $<

# onnx.proto may be installed as onnx-ml.proto: generated as onnx.pb-c.*
# either way (package onnx, proto2 syntax, which protoc-c takes).
$(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen/onnx-src
	$(call say,PROTOC,$<)
	$(Q)cp $< $(BUILD)/gen/onnx-src/onnx.proto && \
	  protoc-c --proto_path=$(BUILD)/gen/onnx-src --c_out=$(BUILD)/gen $(BUILD)/gen/onnx-src/onnx.proto

# Generated code is protoc-c's, not ours: compile it without -Werror's
# extra warnings but keep it silent.
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	$(call say,CC,$<)
	$(Q)$(CC) -std=c17 $(CFLAGS) $(SAN) -w $(CPPFLAGS_ALL) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) $(CPPFLAGS_ALL) -c $< -o $@

$(BUILD)/libevsim.a: $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR_LIB) rcs $@ $^

$(BUILD)/evsim: $(BUILD)/obj/sim/main.o $(BUILD)/libevsim.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TESTSUP_OBJ) $(BUILD)/libevsim.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(BUILD)/libevsim.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

run: deps $(BUILD)/evsim
	$(BUILD)/evsim run configs/default.yaml

# Run every unit-test binary even if one fails, then fail if any did;
# JOBS of them at a time (each writes its own log and status; the logs are
# printed in order afterwards, so the output does not interleave). The
# summary counts Check's checks and the tests skipped for want of
# ../shared (tests/unit/test_skip.h: those are not run, so never counted
# as passed).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
unit: $(TEST_BIN) $(BUILD)/evsim
	@printf '%s\n' $(TEST_BIN) | xargs -P $(JOBS) -I{} sh -c \
	  'CK_DEFAULT_TIMEOUT=120 {} >{}.log 2>&1; echo $$? >{}.rc'; \
	fail=0; checks=0; skips=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; cat $$t.log; \
	  [ "$$(cat $$t.rc)" = 0 ] || { echo "FAIL: $$t"; fail=$$((fail + 1)); }; \
	  checks=$$((checks + $$(sed -n 's/.*Checks: \([0-9]*\).*/\1/p' $$t.log | head -1))); \
	  skips=$$((skips + $$(grep -c '^SKIP:' $$t.log))); \
	done; \
	echo "unit summary ($(BUILD)): $(words $(TEST_BIN)) binaries, $$checks checks run, $$fail binaries failed, $$skips tests skipped (need ../shared)"; \
	[ $$fail -eq 0 ]

# The end-to-end scripts, JOBS at a time in the same way (each uses its
# own temporary directory).
E2E_LOG := $(BUILD)/e2e
e2e: $(BUILD)/evsim
	@mkdir -p $(E2E_LOG); printf '%s\n' $(E2E) | xargs -P $(JOBS) -I{} sh -c \
	  'n=$$(basename {} .sh); EVSIM=$(abspath $(BUILD)/evsim) SHARED=$(abspath ../shared) \
	   bash {} >$(E2E_LOG)/$$n.log 2>&1; echo $$? >$(E2E_LOG)/$$n.rc'; \
	fail=0; skips=0; for t in $(E2E); do n=$$(basename $$t .sh); \
	  echo "== $$t"; cat $(E2E_LOG)/$$n.log; \
	  [ "$$(cat $(E2E_LOG)/$$n.rc)" = 0 ] || { echo "FAIL: $$t"; fail=$$((fail + 1)); }; \
	  skips=$$((skips + $$(grep -c '^SKIP' $(E2E_LOG)/$$n.log))); \
	done; \
	echo "e2e summary: $(words $(E2E)) scripts, $$fail failed, $$skips checks skipped (need ../shared)"; \
	[ $$fail -eq 0 ]

test:
	@tools/deps.sh --with-validator
	@tools/depcheck.sh
	@out=$$(tools/lint.sh 60 5) || { echo "$$out"; exit 1; }; echo "$$out" | tail -1
	$(MAKE) --no-print-directory -j$(JOBS) unit
	$(MAKE) --no-print-directory -j$(JOBS) unit BUILD=build/asan \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	$(MAKE) --no-print-directory -j$(JOBS) e2e

bench: deps $(BENCH_BIN) $(BUILD)/evsim
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@for s in $(wildcard tests/bench/*.sh); do \
	  EVSIM=$(abspath $(BUILD)/evsim) SHARED=$(abspath ../shared) bash $$s || exit 1; done

# Functions over 60 lines and their share (fails above 5 %); the include
# rule between modules (README.md, "Code map").
lint:
	@tools/lint.sh 60 5
depcheck:
	@tools/depcheck.sh

# Every unit-test binary under valgrind's memcheck (slow; not in `make test`).
valgrind: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do echo "== valgrind $$t"; \
	  CK_FORK=no CK_DEFAULT_TIMEOUT=0 valgrind -q --error-exitcode=9 \
	    --leak-check=full --errors-for-leak-kinds=definite,indirect $$t || fail=1; \
	done; exit $$fail

clean:
	rm -rf build

# ---- fuzzing: libFuzzer over the config loaders (not part of `make test`).
# make fuzz [FUZZ_SECONDS=60]; clang is installed by tools/deps.sh --with-fuzzer.
FUZZ_SECONDS ?= 60
FUZZ_BIN := build/fuzz/fuzz_config
# Each fuzz target links the module it fuzzes and sim/base, which every
# module stands on (errors, the allocation funnel, JSON through cJSON).
BASE_SRC := $(wildcard sim/base/*.c)
$(FUZZ_BIN): tests/fuzz/fuzz_config.c $(wildcard sim/config/*.c sim/config/*.h) $(BASE_SRC) $(BUILD)/gen/onnx.pb-c.c
	@mkdir -p $(dir $@)
	clang -std=c17 -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS_ALL) \
	  tests/fuzz/fuzz_config.c $(wildcard sim/config/*.c) $(BUILD)/gen/onnx.pb-c.c $(BASE_SRC) -o $@ $(LDLIBS_ALL)

fuzz:
	@tools/deps.sh --with-fuzzer
	$(MAKE) --no-print-directory $(FUZZ_BIN)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	  build/fuzz/corpus tests/data/config/zigzag configs/hw configs/workloads configs/mappings

# ---- fuzzing the event-trace readers (not part of `make test`):
# make fuzz-events [FUZZ_SECONDS=60]; seeds are traces/, tests/fuzz/events_seeds
# (small LZ4 and ZSTD AEDAT 4 files made with the lz4 and zstd tools) and, when present,
# ../shared/reference/events (inputs cut to 32 KiB).
.PHONY: fuzz-events
FUZZ_EV_BIN := build/fuzz/fuzz_events
$(FUZZ_EV_BIN): tests/fuzz/fuzz_events.c $(wildcard sim/input/*.c sim/input/*.h) $(BASE_SRC)
	@mkdir -p $(dir $@)
	clang -std=c17 -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS_ALL) \
	  tests/fuzz/fuzz_events.c $(wildcard sim/input/*.c) $(BASE_SRC) -o $@ $(LDLIBS_ALL)

fuzz-events:
	@tools/deps.sh --with-fuzzer
	$(MAKE) --no-print-directory $(FUZZ_EV_BIN)
	@mkdir -p build/fuzz/events_corpus
	$(FUZZ_EV_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=32768 -timeout=10 \
	  build/fuzz/events_corpus traces tests/fuzz/events_seeds $(wildcard ../shared/reference/events)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
