# fuzz.mk - the data plane fuzzer links only the data plane and base sources (the
# generic fuzz rule compiles every part of src/, whose parts are not all
# meant to be linked into one binary).
DP_FUZZ_SRC := $(wildcard src/dataplane/*.c src/base/*.c)

$(O)/fuzz/fuzz_xdp: tests/fuzz/fuzz_xdp.c $(DP_FUZZ_SRC) $(HDRS) | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O1 -g $(CSTD) $(INCLUDES) -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	  $< $(DP_FUZZ_SRC) $(LDLIBS) -o $@
