# clock.mk - build settings of the clock part (included by the Makefile).
# The heartbeat's watchdog flips liveness.in_failsafe by compare-and-swap,
# which needs BPF ISA v3 atomics (kernel >= 5.12; clang 14 defaults to v1).
$(O)/bpf/heartbeat.bpf.o: BPF_CFLAGS += -mcpu=v3
# The skeleton embeds the BPF bytecode: rebuild its users when it changes
# (the generic rule only orders them after it).
$(O)/obj/clock/heartbeat.o $(O)/asan/obj/clock/heartbeat.o: $(O)/include/heartbeat.skel.h
# and the BPF object when this file's flags change
$(O)/bpf/heartbeat.bpf.o: src/clock/clock.mk
