# fuzz.mk - the libFuzzer targets' build (included by the Makefile).
# The library is compiled once with coverage instrumentation
# (-fsanitize=fuzzer-no-link) and the sanitizers into build/fuzz/obj/, and
# archived: every generic fuzzer (tests/fuzz/fuzz_NAME.c) links what it uses
# from it. A few fuzzers link a subset of the sources instead (below).
FUZZ_OPT := -O1
# undefined behaviour is a crash, as in the unit tests (not a line in the log)
FUZZ_CFLAGS = $(FUZZ_OPT) -g $(CSTD) $(INCLUDES) -Itests/unit -D_GNU_SOURCE -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
FUZZ_OBJ := $(patsubst src/%.c,$(O)/fuzz/obj/%.o,$(LIB_SRC))
# The interpreter (one huge threaded function) at -O1, as the rest, with
# two changes that keep clang 14 from taking tens of minutes on it with
# UBSan (perf of the compiler): GVN without its memory-dependence analysis
# (whose PHI translation is quadratic in the dispatch's blocks), and no
# pointer-overflow check in this file (each fp[]/ip[] index was a loop exit
# for LCSSA to close). Pointer overflow is a wrap of the address space,
# which its 32-bit offsets from real pointers cannot reach; ASan still
# checks every access, and -O1 adds UBSan's object-size check, which -O0
# does not emit. It compiles in about 2.5 minutes of CPU; a guest spinning
# to its fuel uses a quarter of the CPU it took at -O0 (docs/testing.md, "Speed of
# fuzz_guest and fuzz_hostabi"). And without the comparison hooks
# (trace-cmp; its edges still count): its comparisons are the
# interpreter's bookkeeping (fuel, bounds, depth), not the input's, and
# the hooks took two thirds of fuzz_hostabi's time (guest code running in
# the interpreter). fuzz_wasm, which fuzzes the interpreter itself, builds
# its own exec.o at -O0 with them (tests/wasm/wasm.mk).
$(O)/fuzz/obj/wasm/exec.o: FUZZ_OPT := -O1 -mllvm -enable-gvn-memdep=false
$(O)/fuzz/obj/wasm/exec.o: FUZZ_COV := -fno-sanitize-coverage=trace-cmp -fno-sanitize=pointer-overflow
# (its flags are here: a change to them rebuilds it)
$(O)/fuzz/obj/wasm/exec.o: tests/fuzz/fuzz.mk

$(O)/fuzz/obj/%.o: src/%.c $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(FUZZ_COV) -c $< -o $@
$(patsubst src/%.c,$(O)/fuzz/obj/%.o,$(SKEL_USERS)): $(SKELS)

$(O)/fuzz/liblockstep.a: $(FUZZ_OBJ)
	@rm -f $@; ar rcs $@ $^

# The data plane fuzzer links only the data plane and base sources (the
# generic fuzz rule compiles every part of src/, whose parts are not all
# meant to be linked into one binary).
DP_FUZZ_SRC := $(wildcard src/dataplane/*.c src/base/*.c)

$(O)/fuzz/fuzz_xdp: tests/fuzz/fuzz_xdp.c tests/fuzz/dpi_check.h $(DP_FUZZ_SRC) $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O1 -g $(CSTD) $(INCLUDES) -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	  $< $(DP_FUZZ_SRC) $(LDLIBS) -o $@

# The QUIC decoder fuzzer: the pure user-space decoders only (libcrypto).
QUIC_FUZZ_SRC := src/dataplane/quic_initial.c src/dataplane/tls_hello.c

$(O)/fuzz/fuzz_quic: tests/fuzz/fuzz_quic.c $(QUIC_FUZZ_SRC) tests/unit/quic_protect.h $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O1 -g $(CSTD) $(INCLUDES) -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	  $< $(QUIC_FUZZ_SRC) -lcrypto -o $@

# The HTTP/2 request and HPACK fuzzer: the pure decoders only.
H2_FUZZ_SRC := src/dataplane/h2_request.c src/dataplane/h2_hpack.c

$(O)/fuzz/fuzz_h2: tests/fuzz/fuzz_h2.c $(H2_FUZZ_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O1 -g $(CSTD) $(INCLUDES) -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	  $< $(H2_FUZZ_SRC) -o $@
