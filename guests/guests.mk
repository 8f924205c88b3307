# guests.mk - builds policy modules into build/guests/ (included by Makefile):
#   guests/*.c            example policies, C -> wasm32 with clang
#   guests/as/*.ts        policies in AssemblyScript (npm, see scripts/deps.sh);
#                         guests/as/sdk/ is their SDK, not a policy
#   tests/policy/guests/  the policy tests' own modules (*.c and *.wat),
#                         into build/guests/test/
# Guests are freestanding (no libc): include/lockstep/guest.h is all they use.

WASM_CC      := $(CLANG) --target=wasm32-unknown-unknown
GUEST_CFLAGS := -O2 -nostdlib -std=gnu11 -Wall -Wextra -Werror \
                -Wno-unused-parameter -Iinclude
GUEST_LDFLAGS:= -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-debug
ASC          := guests/as/node_modules/.bin/asc

GUEST_C      := $(wildcard guests/*.c)
GUEST_AS     := $(wildcard guests/as/*.ts)
GUEST_TEST_C := $(wildcard tests/policy/guests/*.c)
GUEST_TEST_W := $(wildcard tests/policy/guests/*.wat)
GUEST_WASM   := $(patsubst guests/%.c,$(O)/guests/%.wasm,$(GUEST_C)) \
                $(patsubst tests/policy/guests/%.c,$(O)/guests/test/%.wasm,$(GUEST_TEST_C)) \
                $(patsubst tests/policy/guests/%.wat,$(O)/guests/test/%.wasm,$(GUEST_TEST_W))
GUEST_AS_WASM:= $(patsubst guests/as/%.ts,$(O)/guests/%_as.wasm,$(GUEST_AS))

guests: $(GUEST_WASM) $(GUEST_AS_WASM)

$(O)/guests/%.wasm: guests/%.c include/lockstep/guest.h
	@mkdir -p $(@D)
	$(WASM_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $< -o $@

$(O)/guests/test/%.wasm: tests/policy/guests/%.c include/lockstep/guest.h
	@mkdir -p $(@D)
	$(WASM_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $< -o $@

$(O)/guests/test/%.wasm: tests/policy/guests/%.wat
	@mkdir -p $(@D)
	wat2wasm $< -o $@

# Without the npm package (scripts/deps.sh installs it) the AssemblyScript
# guests are skipped with a note; their tests then report SKIP.
$(O)/guests/%_as.wasm: guests/as/%.ts $(wildcard guests/as/sdk/*.ts)
	@mkdir -p $(@D)
	@if [ -x $(ASC) ]; then \
		echo "asc $<"; \
		$(ASC) $< -O3 --runtime stub --noAssert --use abort= -o $@; \
	else \
		echo "guests: $(ASC) missing (run scripts/deps.sh): $@ not built" >&2; \
	fi
