/* shared_maps.h - the maps both kernel objects declare: lockstep.bpf.c (the
 * data plane) and heartbeat.bpf.c (beat and watchdog). User space loads the
 * heartbeat with bpf_map__reuse_fd on the data plane's maps, which only
 * works when the definitions match exactly -- hence one definition here. */
#ifndef LS_SHARED_MAPS_H
#define LS_SHARED_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_liveness);
} ls_liveness SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} ls_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} ls_events SEC(".maps");

#endif
