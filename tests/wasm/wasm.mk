# wasm.mk - builds the WebAssembly test and benchmark modules into build/wasm/
# (included by the Makefile). Real toolchains only:
#   tests/wasm/progs/*.c   -> build/wasm/NAME.wasm        clang --target=wasm32-wasi
#   tests/wasm/hostile/*.wat -> build/wasm/hostile/*.wasm  wat2wasm
#   tests/wasm/unit/*.wat  -> build/wasm/unit/*.wasm       (read by unit tests)
#   lib/gen_many_funcs.sh      -> build/wasm/hostile/many_funcs.wasm (100k functions)
#   tests/wasm/as/hello.ts -> build/wasm/as_hello.wasm    AssemblyScript + wasi-shim
#   bench/wasm/*.c         -> build/wasm/bench/*.wasm     (and native, in the bench)

TW_CC     := $(CLANG) --target=wasm32-wasi
TW_CFLAGS := -O2 -Wall -Wextra -Werror
TW_WAT2WASM := wat2wasm
TW_ASC         := tests/wasm/as/node_modules/.bin/asc

TW_PROG_SRC := $(wildcard tests/wasm/progs/*.c)
TW_PROGS    := $(patsubst tests/wasm/progs/%.c,$(O)/wasm/%.wasm,$(TW_PROG_SRC))
TW_WAT_SRC  := $(wildcard tests/wasm/hostile/*.wat)
TW_HOSTILE  := $(patsubst tests/wasm/hostile/%.wat,$(O)/wasm/hostile/%.wasm,$(TW_WAT_SRC)) \
                 $(O)/wasm/hostile/many_funcs.wasm
TW_UNIT     := $(patsubst tests/wasm/unit/%.wat,$(O)/wasm/unit/%.wasm,$(wildcard tests/wasm/unit/*.wat))
TW_BENCH_SRC:= $(wildcard bench/wasm/*.c)
TW_BENCH    := $(patsubst bench/wasm/%.c,$(O)/wasm/bench/%.wasm,$(TW_BENCH_SRC))
# the AssemblyScript module is built only once scripts/deps.sh installed asc
TW_AS       := $(if $(wildcard $(TW_ASC)),$(O)/wasm/as_hello.wasm)

.PHONY: wasm-tests
wasm-tests: $(TW_PROGS) $(TW_HOSTILE) $(TW_UNIT) $(TW_AS) $(TW_BENCH) $(O)/fuzz/fuzz_wasm
tests-build: wasm-tests

$(O)/wasm/%.wasm: tests/wasm/progs/%.c
	@mkdir -p $(@D)
	$(TW_CC) $(TW_CFLAGS) $< -o $@ -lm

$(O)/wasm/hostile/%.wasm: tests/wasm/hostile/%.wat
	@mkdir -p $(@D)
	$(TW_WAT2WASM) --debug-names $< -o $@

$(O)/wasm/unit/%.wasm: tests/wasm/unit/%.wat
	@mkdir -p $(@D)
	$(TW_WAT2WASM) --debug-names $< -o $@

$(O)/wasm/hostile/many_funcs.wasm: tests/wasm/lib/gen_many_funcs.sh
	@mkdir -p $(@D)
	tests/wasm/lib/gen_many_funcs.sh 100000 > $(O)/wasm/hostile/many_funcs.wat
	$(TW_WAT2WASM) $(O)/wasm/hostile/many_funcs.wat -o $@

$(O)/wasm/as_hello.wasm: tests/wasm/as/hello.ts tests/wasm/as/package-lock.json
	@mkdir -p $(@D)
	$(TW_ASC) $< --config tests/wasm/as/node_modules/@assemblyscript/wasi-shim/asconfig.json \
	  -O2 -o $@

# benchmark kernels: each bench/wasm/K.c as a module exporting `bench`, with
# no imports and no entry point (see bench/wasm/kernel.h); natively, all of
# them are linked into build/bench/wasm_bench (gcc -O2, CFLAGS).
$(O)/wasm/bench/%.wasm: bench/wasm/%.c bench/wasm/kernel.h
	@mkdir -p $(@D)
	$(TW_CC) -O2 -Wall -Wextra -Werror -nostartfiles -Wl,--no-entry $< -o $@

$(O)/bench/wasm_bench: bench/wasm_bench.c $(TW_BENCH_SRC) bench/wasm/kernel.h \
		$(O)/liblockstep.a $(HDRS) $(TW_BENCH)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(TW_BENCH_SRC) $(O)/liblockstep.a $(LDLIBS) -o $@

# the engine's fuzzer links the engine alone (src/wasm), not all of src/.
# The interpreter (exec.c, one function with a thousand computed-goto
# handlers) is built at -O0: clang's UBSan at -O1 takes tens of minutes on it.
TW_ENGINE_SRC := $(filter-out src/wasm/exec.c,$(wildcard src/wasm/*.c))
TW_FUZZ_FLAGS := -g $(CSTD) $(INCLUDES) -D_GNU_SOURCE -DLW_CHECK_ACC
$(O)/fuzz/wasm_exec.o: src/wasm/exec.c $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O0 $(TW_FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(O)/fuzz/fuzz_wasm: tests/fuzz/fuzz_wasm.c $(TW_ENGINE_SRC) $(O)/fuzz/wasm_exec.o $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) -O1 $(TW_FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
	  $< $(TW_ENGINE_SRC) $(O)/fuzz/wasm_exec.o -lm -o $@
