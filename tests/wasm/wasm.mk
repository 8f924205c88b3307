# wasm.mk - builds the WebAssembly test and benchmark modules into build/wasm/
# (included by the Makefile). Real toolchains only:
#   tests/wasm/progs/*.c   -> build/wasm/NAME.wasm        clang --target=wasm32-wasi
#   tests/wasm/hostile/*.wat -> build/wasm/hostile/*.wasm  wat2wasm
#   gen_many_funcs.sh      -> build/wasm/hostile/many_funcs.wasm (100k functions)
#   tests/wasm/as/hello.ts -> build/wasm/as_hello.wasm    AssemblyScript + wasi-shim
#   bench/wasm/*.c         -> build/wasm/bench/*.wasm     (and native, in the bench)

WASI_CC     ?= $(CLANG) --target=wasm32-wasi
WASI_CFLAGS ?= -O2 -Wall -Wextra -Werror
WAT2WASM    ?= wat2wasm
ASC         := tests/wasm/as/node_modules/.bin/asc

WASM_PROG_SRC := $(wildcard tests/wasm/progs/*.c)
WASM_PROGS    := $(patsubst tests/wasm/progs/%.c,$(O)/wasm/%.wasm,$(WASM_PROG_SRC))
WASM_WAT_SRC  := $(wildcard tests/wasm/hostile/*.wat)
WASM_HOSTILE  := $(patsubst tests/wasm/hostile/%.wat,$(O)/wasm/hostile/%.wasm,$(WASM_WAT_SRC)) \
                 $(O)/wasm/hostile/many_funcs.wasm
WASM_BENCH_SRC:= $(wildcard bench/wasm/*.c)
WASM_BENCH    := $(patsubst bench/wasm/%.c,$(O)/wasm/bench/%.wasm,$(filter-out bench/wasm/harness.c,$(WASM_BENCH_SRC)))
# the AssemblyScript module is built only once scripts/deps.sh installed asc
WASM_AS       := $(if $(wildcard $(ASC)),$(O)/wasm/as_hello.wasm)

.PHONY: wasm-tests
wasm-tests: $(WASM_PROGS) $(WASM_HOSTILE) $(WASM_AS) $(WASM_BENCH)
tests-build: wasm-tests

$(O)/wasm/%.wasm: tests/wasm/progs/%.c
	@mkdir -p $(@D)
	$(WASI_CC) $(WASI_CFLAGS) $< -o $@ -lm

$(O)/wasm/hostile/%.wasm: tests/wasm/hostile/%.wat
	@mkdir -p $(@D)
	$(WAT2WASM) $< -o $@

$(O)/wasm/hostile/many_funcs.wasm: tests/wasm/gen_many_funcs.sh
	@mkdir -p $(@D)
	tests/wasm/gen_many_funcs.sh 100000 > $(O)/wasm/hostile/many_funcs.wat
	$(WAT2WASM) $(O)/wasm/hostile/many_funcs.wat -o $@

$(O)/wasm/as_hello.wasm: tests/wasm/as/hello.ts tests/wasm/as/package-lock.json
	@mkdir -p $(@D)
	$(ASC) $< --config tests/wasm/as/node_modules/@assemblyscript/wasi-shim/asconfig.json \
	  -O2 -o $@

# benchmark kernels: each bench/wasm/K.c with the shared harness, as a WASI
# reactor exporting run(n) (see bench/wasm/harness.h)
$(O)/wasm/bench/%.wasm: bench/wasm/%.c bench/wasm/kernel.h
	@mkdir -p $(@D)
	$(WASI_CC) -O2 -Wall -Wextra -Werror -mexec-model=reactor \
	  -Wl,--export=bench_run -Wl,--export=bench_check $< -o $@ -lm
