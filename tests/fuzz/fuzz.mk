# fuzz.mk - the data plane fuzzer links only the data plane and base sources (the
# generic fuzz rule compiles every part of src/, whose parts are not all
# meant to be linked into one binary).
DP_FUZZ_SRC := $(wildcard src/dataplane/*.c src/base/*.c)

$(O)/fuzz/fuzz_xdp: tests/fuzz/fuzz_xdp.c $(DP_FUZZ_SRC) $(HDRS) | $(GEN_HDRS)
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
