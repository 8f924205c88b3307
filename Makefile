# Makefile - builds lockstep: BPF objects and their skeletons, the agent and
# CLI, guests, tests (under ASan+UBSan), fuzzers and benchmarks.
#
#   make            build everything into build/
#   make test       install deps, build, run the whole test suite
#   make mutate     the mutation check: every deliberate bug must be killed
#   make demo       install deps, build, run the demo
#   make bench      run the benchmarks
#   make fuzz       build the libFuzzer targets (clang)
#   make install    install (PREFIX=/usr/local, DESTDIR for staging)
#   make image      the container image (podman; IMAGE=lockstep:VERSION)
#
# Sources are picked up by wildcard: a new src/<part>/*.c, bpf/*.bpf.c,
# tests/unit/test_*.c or guests/*.c needs no Makefile change.

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
O        := build
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH:= $(shell $(CC) -print-multiarch 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
CSTD     := -std=gnu11
INCLUDES := -Iinclude -Isrc -I$(O)/include
CFLAGS   ?= -O2 -g
CFLAGS   += $(CSTD) $(WARN) $(INCLUDES) -D_GNU_SOURCE -fno-strict-aliasing
LDLIBS   := -lbpf -lelf -lz -lpcap -lcjson -lmicrohttpd -lyaml -lcrypto -lm -lpthread

SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
ASAN_CFLAGS := -O1 -g $(CSTD) $(WARN) $(INCLUDES) -D_GNU_SOURCE \
            -fno-strict-aliasing $(SAN)

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
            -Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRC))
SKELS    := $(patsubst bpf/%.bpf.c,$(O)/include/%.skel.h,$(BPF_SRC))
# headers made by the build: the skeletons and the version/commit
GEN_HDRS := $(SKELS) $(O)/include/build_version.h

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(O)/obj/%.o,$(LIB_SRC))
ASAN_OBJ := $(patsubst src/%.c,$(O)/asan/obj/%.o,$(LIB_SRC))

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(O)/asan/tests/%,$(TEST_SRC))
TEST_HELPER_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(O)/asan/tools/%,$(TOOL_SRC))

BENCH_SRC:= $(wildcard bench/*_bench.c)
BENCH_BIN:= $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRC)) $(O)/bench/flowgen $(O)/bench/vcpu_floor $(O)/bench/wake_floor

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRC))

.PHONY: all test demo bench fuzz clean deps guests format install uninstall
all: $(O)/lockstep $(O)/asan/lockstep $(BPF_OBJ) guests

deps:
	@scripts/deps.sh

# ---- BPF ------------------------------------------------------------------
$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/lockstep/wire*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Every map and program lockstep loads carries the ls_ prefix in the kernel
# (`bpftool map show`; docs/operations.md, Neighbours). libbpf names an
# object's global-data maps after the object (its first 8 characters, then
# ".rodata"/".bss"), so the object is renamed ls_<short> in the skeleton
# while its C names stay <file>_bpf: both the object's name and the
# skeleton's names of those maps are rewritten to what libbpf computes
# (a new bpf/*.bpf.c needs its line here).
LS_OBJ_lockstep  := ls_dp
LS_OBJ_heartbeat := ls_hb
LS_OBJ_reinject  := ls_ri
LS_OBJ_baseline  := ls_base
$(O)/include/%.skel.h: $(O)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.raw
	sed -e 's/^\(\s*s->name = \)"$(subst -,_,$*)_bpf";/\1"$(or $(LS_OBJ_$*),$(error bpf/$*.bpf.c needs an LS_OBJ_$* name of at most 8 characters in the Makefile))";/' \
	      -e 's/"$(shell printf %.8s $(subst -,_,$*)_bpf)\.\(rodata\|data\|bss\|kconfig\)"/"$(or $(LS_OBJ_$*),$(error bpf/$*.bpf.c needs an LS_OBJ_$* name of at most 8 characters in the Makefile))\.\1"/' \
	  $@.raw > $@.tmp && rm -f $@.raw && mv $@.tmp $@

# ---- version ----------------------------------------------------------------
# VERSION is the release; the commit comes from git when there is one. The
# header is rewritten only when its text changes, so builds stay incremental
# and src/base/build_info.c alone is recompiled on a new commit.
LS_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell \
	git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
.PHONY: FORCE
# The guest ABI version is read from the SDK header here, so that base/
# (below every part) need not include the guest SDK.
$(O)/include/build_version.h: VERSION include/lockstep/guest.h FORCE
	@mkdir -p $(@D)
	@printf '#define LS_BUILD_VERSION "%s"\n#define LS_BUILD_COMMIT "%s"\n#define LS_BUILD_GUEST_ABI %s\n' \
	  "$$(cat VERSION)" "$(LS_COMMIT)" \
	  "$$(sed -n 's/^#define LSG_ABI_VERSION \([0-9]*\).*/\1/p' include/lockstep/guest.h)" > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(O)/obj/base/build_info.o $(O)/asan/obj/base/build_info.o $(O)/tsan/obj/base/build_info.o: $(O)/include/build_version.h

# ---- user space -----------------------------------------------------------
HDRS := $(wildcard include/lockstep/*.h src/*/*.h)

$(O)/obj/%.o: src/%.c $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(O)/asan/obj/%.o: src/%.c $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

# the engine under test also checks every register read of the interpreter
# against the slot it stands for (src/wasm/ops.h)
$(O)/asan/obj/wasm/%.o: ASAN_CFLAGS += -DLW_CHECK_ACC

# Sources that embed a BPF skeleton are rebuilt when it changes (the
# order-only prerequisite above only makes sure it exists).
SKEL_USERS := $(shell grep -l 'skel\.h' $(LIB_SRC) 2>/dev/null)
$(patsubst src/%.c,$(O)/obj/%.o,$(SKEL_USERS)) \
$(patsubst src/%.c,$(O)/asan/obj/%.o,$(SKEL_USERS)): $(SKELS)

$(O)/liblockstep.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

$(O)/asan/liblockstep.a: $(ASAN_OBJ)
	@rm -f $@; ar rcs $@ $^

$(O)/lockstep: src/cli/main.c $(O)/liblockstep.a $(HDRS) | $(GEN_HDRS)
	$(CC) $(CFLAGS) $< $(O)/liblockstep.a $(LDLIBS) -o $@

$(O)/asan/lockstep: src/cli/main.c $(O)/asan/liblockstep.a $(HDRS) | $(GEN_HDRS)
	$(CC) $(ASAN_CFLAGS) $< $(O)/asan/liblockstep.a $(LDLIBS) -o $@

# ---- tests ----------------------------------------------------------------
$(O)/asan/tests/%: tests/unit/%.c $(TEST_HELPER_SRC) $(wildcard tests/unit/*.h) $(O)/asan/liblockstep.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Itests/unit $< $(TEST_HELPER_SRC) $(O)/asan/liblockstep.a $(LDLIBS) -o $@

$(O)/asan/tools/%: tests/tools/%.c $(O)/asan/liblockstep.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $< $(O)/asan/liblockstep.a $(LDLIBS) -o $@

# ThreadSanitizer: the code several threads run (the workers' rings,
# docs/workers.md) with the tests that drive it from threads, as
# build/tsan/tests/test_tsan_*: the dataplane sources for the rings' test,
# the whole library for the workers' (TSan and ASan do not mix).
TSAN_CFLAGS := -O1 -g $(CSTD) $(WARN) $(INCLUDES) -D_GNU_SOURCE -fno-strict-aliasing \
            -fsanitize=thread
TSAN_TESTS := $(O)/tsan/tests/test_tsan_dp_shard $(O)/tsan/tests/test_tsan_agent_workers \
	      $(O)/tsan/tests/test_tsan_clock_mappub
DP_SRC := $(wildcard src/dataplane/*.c src/base/*.c)
# The agent's workers (src/agent/worker.c) run the whole library from
# several threads: test_tsan_agent_workers links all of it built under TSan.
TSAN_OBJ := $(patsubst src/%.c,$(O)/tsan/obj/%.o,$(LIB_SRC))
$(O)/tsan/obj/%.o: src/%.c $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -c $< -o $@
$(patsubst src/%.c,$(O)/tsan/obj/%.o,$(SKEL_USERS)): $(SKELS)
$(O)/tsan/liblockstep.a: $(TSAN_OBJ)
	@rm -f $@; ar rcs $@ $^
# the clock mapping's seqlock (src/clock/mapping_pub.c) under a writer
# and readers, with the library built under TSan
$(O)/tsan/tests/test_tsan_agent_workers $(O)/tsan/tests/test_tsan_clock_mappub: \
$(O)/tsan/tests/test_tsan_%: tests/unit/test_%.c $(O)/tsan/liblockstep.a $(wildcard tests/unit/*.h) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -Itests/unit $< $(O)/tsan/liblockstep.a $(LDLIBS) -o $@
$(O)/tsan/tests/test_tsan_%: tests/unit/test_%.c $(DP_SRC) $(wildcard src/dataplane/*.h) $(wildcard tests/unit/*.h) $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -Itests/unit $< $(DP_SRC) $(LDLIBS) -o $@

.PHONY: tsan
tsan: $(TSAN_TESTS)

tests-build: all $(TEST_BIN) $(TOOL_BIN) $(TSAN_TESTS)

test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) tests-build
	@tests/run.sh

# ---- mutation check (tests/mutate/, docs/testing.md "Mutations") -----------
# make mutate: every mutation of tests/mutate/mutations.txt must be killed;
# make mutate MUTATIONS=a,b: those only.
.PHONY: mutate
mutate: tests-build
	@python3 tests/mutate/mutate.py $(MUTATIONS)

# ---- guests (policy modules and test programs compiled to wasm32) -----------
-include guests/guests.mk
-include tests/wasm/wasm.mk
-include src/clock/clock.mk
-include tests/fuzz/fuzz.mk
guests:

# ---- benchmarks and fuzzers --------------------------------------------------
$(O)/bench/%: bench/%.c $(O)/liblockstep.a $(HDRS) tests/unit/frame4.h $(wildcard bench/*.h) tests/unit/clock_sim.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(O)/liblockstep.a $(LDLIBS) -o $@

bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(BENCH_BIN)
	@bench/run.sh

# the library is compiled once for every fuzzer (tests/fuzz/fuzz.mk) and
# each links what it uses from the archive
$(O)/fuzz/%: tests/fuzz/%.c $(O)/fuzz/liblockstep.a $(wildcard tests/fuzz/*.h) $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  $< $(O)/fuzz/liblockstep.a $(LDLIBS) -o $@

fuzz: $(FUZZ_BIN)

demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/demo.sh

# ---- install ------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=staging root]: the binary, the
# example policies, the docs, a man page per command and bash completion
# (both generated from the binary's --help, scripts/gen-*.sh), the systemd
# unit, its configuration file and options file (kept when there already).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALLED_GUESTS := ai-gateway allowlist ratelimit blocklist_as

install: $(O)/lockstep guests
	scripts/gen-man.sh $(O)/lockstep $(O)/man
	scripts/gen-completion.sh $(O)/lockstep > $(O)/lockstep.bash
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(DATADIR)/lockstep/guests $(DESTDIR)$(DATADIR)/doc/lockstep/docs/img \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/lockstep \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(O)/lockstep $(DESTDIR)$(BINDIR)/lockstep
	install -m 0644 $(O)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(O)/lockstep.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/lockstep
	install -m 0644 $(patsubst %,$(O)/guests/%.wasm,$(INSTALLED_GUESTS)) \
	  $(DESTDIR)$(DATADIR)/lockstep/guests/
	install -m 0644 README.md $(DESTDIR)$(DATADIR)/doc/lockstep/
	install -m 0644 docs/*.md $(DESTDIR)$(DATADIR)/doc/lockstep/docs/
	install -m 0644 docs/img/* $(DESTDIR)$(DATADIR)/doc/lockstep/docs/img/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  packaging/lockstep.service.in > $(O)/lockstep.service
	install -m 0644 $(O)/lockstep.service $(DESTDIR)$(UNITDIR)/lockstep.service
	test -e $(DESTDIR)$(SYSCONFDIR)/default/lockstep || \
	  install -m 0644 packaging/lockstep.default $(DESTDIR)$(SYSCONFDIR)/default/lockstep
	test -e $(DESTDIR)$(SYSCONFDIR)/lockstep/lockstep.yaml || \
	  install -m 0644 packaging/lockstep.yaml $(DESTDIR)$(SYSCONFDIR)/lockstep/lockstep.yaml
	test -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/lockstep || \
	  install -m 0644 packaging/lockstep.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/lockstep

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lockstep $(DESTDIR)$(MANDIR)/man8/lockstep*.8 \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions/lockstep \
	  $(DESTDIR)$(UNITDIR)/lockstep.service
	rm -rf $(DESTDIR)$(DATADIR)/lockstep $(DESTDIR)$(DATADIR)/doc/lockstep

# ---- container image (packaging/Containerfile, docs/operations.md "Fleet") ---
# make image [IMAGE=lockstep:VERSION]: a FROM-scratch image of the installed
# tree and the libraries the binary loads, built with podman.
IMAGE ?= lockstep:$(shell cat VERSION)
.PHONY: image
image: $(O)/lockstep guests
	scripts/image-rootfs.sh $(O)/image/rootfs
	cp packaging/Containerfile $(O)/image/Containerfile
	podman build -q --layers=false -f $(O)/image/Containerfile --build-arg VERSION=$$(cat VERSION) \
	  --build-arg COMMIT=$(LS_COMMIT) -t $(IMAGE) $(O)/image

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(O)
