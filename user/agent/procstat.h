/* SPDX-License-Identifier: MIT */
/*
 * procstat.h - what the agent's modules read of a process or thread: fields
 * of its /proc stat line, and the monotonic clock they time it with.
 */
#ifndef CLAWSEC_PROCSTAT_H
#define CLAWSEC_PROCSTAT_H

#include <stdint.h>

/*
 * Field n (numbered as in proc(5); n >= 3) of a NUL-terminated /proc/.../stat
 * line, or NULL when the line is cut short. Fields are counted after the
 * last ')': the name (field 2) may hold spaces and parentheses.
 */
const char *cs_procstat_field(const char *stat, int n);

/* CLOCK_MONOTONIC in nanoseconds (the clock bpf_ktime_get_ns reads). */
uint64_t cs_mono_ns(void);

#endif
