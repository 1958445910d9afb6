// SPDX-License-Identifier: MIT
/*
 * test_cpu_yield.c - the capture thread's CPU class (user/agent/cpu_yield.c)
 * against a real BPF ring buffer map: normal at first, idle after a calm
 * second, raised by a long pass or by starving (woken while a normal-class
 * thread spins on its CPU), lowered after a calm second, normal when disabled
 * or stopped, never touched without CAP_SYS_NICE. The backlog rule needs
 * records in the ring: test_agent_yield.sh.
 * Needs root (a BPF map): skipped without it, failed when CI=true.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "need_bpf.h"

#include <bpf/bpf.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu_yield.h"

#define RING (64u << 10)

static int ring_or_skip(void)
{
	int fd;

	need_bpf();
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "cs_test_rb", 0, 0, RING, NULL);
	assert_true(fd >= 0);
	return fd;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

/* Polls the calling thread's class for up to ms; returns the last one seen. */
static int wait_class(int want, long ms)
{
	int c = sched_getscheduler(0);

	for (long t = 0; c != want && t < ms; t += 10) {
		sleep_ms(10);
		c = sched_getscheduler(0);
	}
	return c;
}

static void test_idle_raised_lowered(void **state)
{
	struct cs_cpu_yield_stats st;
	char err[256];
	int fd = ring_or_skip();
	struct cs_cpu_yield *y = cs_cpu_yield_start(fd, RING, true, err, sizeof(err));

	(void)state;
	assert_non_null(y);
	/* normal until the watchdog's first calm second, then idle */
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	/* a pass that lasts: raised within a few watchdog looks */
	cs_cpu_yield_busy(y, true);
	assert_int_equal(wait_class(SCHED_OTHER, 500), SCHED_OTHER);
	cs_cpu_yield_get_stats(y, &st);
	assert_true(st.enabled);
	assert_int_equal(st.raises, 1);
	assert_int_equal(st.by_why[CS_YIELD_LONG_PASS], 1);
	assert_int_equal(st.by_why[CS_YIELD_BACKLOG] + st.by_why[CS_YIELD_STARVED], 0);
	/* the pass ends: still raised for the calm second, then idle again */
	cs_cpu_yield_busy(y, false);
	sleep_ms(300);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	cs_cpu_yield_get_stats(y, &st);
	assert_int_equal(st.raises, 1);
	assert_true(st.raised_ns >= 1000000000ull);
	/* disabled: normal, and it stays so whatever the passes do */
	cs_cpu_yield_set_enabled(y, false);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	cs_cpu_yield_get_stats(y, &st);
	assert_false(st.enabled);
	cs_cpu_yield_set_enabled(y, true);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	cs_cpu_yield_stop(y);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	close(fd);
}

static atomic_bool spinning;

static void *spin(void *arg)
{
	(void)arg;
	while (atomic_load(&spinning))
		;
	return NULL;
}

/* A normal-class thread spinning on this thread's CPU, started in the normal class. */
static pthread_t start_spinner(const cpu_set_t *cpu)
{
	pthread_attr_t at;
	pthread_t t;

	atomic_store(&spinning, true);
	pthread_attr_init(&at);
	pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&at, SCHED_OTHER);
	pthread_attr_setaffinity_np(&at, sizeof(*cpu), cpu);
	assert_int_equal(pthread_create(&t, &at, spin, NULL), 0);
	pthread_attr_destroy(&at);
	return t;
}

static void test_starved_raised(void **state)
{
	struct cs_cpu_yield_stats st;
	cpu_set_t one, all;
	char err[256];
	int fd = ring_or_skip(), c;
	struct cs_cpu_yield *y = cs_cpu_yield_start(fd, RING, true, err, sizeof(err));
	struct timespec t0, t;
	pthread_t spinner;

	(void)state;
	assert_non_null(y);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	spinner = start_spinner(&one);
	/*
	 * Runnable in the idle class behind a normal-class spinner: given
	 * little CPU, whole looks pass in which it does not run at all (its
	 * schedstat run time unchanged), so it is raised as starved. Alone on
	 * the CPU it would run at every look and never be.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		c = sched_getscheduler(0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (c == SCHED_IDLE && t.tv_sec - t0.tv_sec < 5);
	atomic_store(&spinning, false);
	pthread_join(spinner, NULL);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	cs_cpu_yield_get_stats(y, &st);
	cs_cpu_yield_stop(y);
	close(fd);
	assert_int_equal(c, SCHED_OTHER);
	assert_int_equal(st.by_why[CS_YIELD_STARVED], 1);
	assert_int_equal(st.by_why[CS_YIELD_LONG_PASS] + st.by_why[CS_YIELD_BACKLOG], 0);
}

/* Without CAP_SYS_NICE a thread cannot leave the idle class: it never enters it. */
static void test_no_cap_sys_nice(void **state)
{
	int fd = ring_or_skip(), status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct d[2];
		struct rlimit rl = {0, 0};
		char err[256] = "";
		struct cs_cpu_yield *y;

		if (syscall(SYS_capget, &h, d) || setrlimit(RLIMIT_NICE, &rl))
			_exit(2);
		d[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(3);
		y = cs_cpu_yield_start(fd, RING, true, err, sizeof(err));
		_exit(y					     ? 4
		      : !strstr(err, "CAP_SYS_NICE")	     ? 5
		      : sched_getscheduler(0) != SCHED_OTHER ? 6
							     : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
}

static void *hurry_other(void *y)
{
	cs_cpu_yield_hurry(y);
	return NULL;
}

/* Before taking a lock: raised at once on the capture thread, never by another. */
static void test_hurry(void **state)
{
	struct cs_cpu_yield_stats st;
	char err[256];
	int fd = ring_or_skip();
	struct cs_cpu_yield *y = cs_cpu_yield_start(fd, RING, true, err, sizeof(err));
	pthread_t t;

	(void)state;
	assert_non_null(y);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	assert_int_equal(pthread_create(&t, NULL, hurry_other, y), 0);
	pthread_join(t, NULL);
	assert_int_equal(sched_getscheduler(0), SCHED_IDLE);
	cs_cpu_yield_hurry(y);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	cs_cpu_yield_get_stats(y, &st);
	assert_int_equal(st.raises, 1);
	assert_int_equal(st.by_why[CS_YIELD_LONG_PASS], 1);
	assert_int_equal(wait_class(SCHED_IDLE, 3000), SCHED_IDLE);
	cs_cpu_yield_stop(y);
	close(fd);
}

static void test_start_disabled(void **state)
{
	char err[256];
	int fd = ring_or_skip();
	struct cs_cpu_yield *y = cs_cpu_yield_start(fd, RING, false, err, sizeof(err));

	(void)state;
	assert_non_null(y);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	cs_cpu_yield_busy(y, true);
	sleep_ms(60);
	cs_cpu_yield_busy(y, false);
	cs_cpu_yield_stop(y);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	close(fd);
}

static void test_bad_fd(void **state)
{
	char err[256] = "";
	struct cs_cpu_yield *y = cs_cpu_yield_start(-1, RING, true, err, sizeof(err));

	(void)state;
	assert_null(y);
	assert_non_null(strstr(err, "ring buffer"));
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	/* NULL is the "not yielding" agent: every call is a no-op */
	cs_cpu_yield_busy(NULL, true);
	cs_cpu_yield_set_enabled(NULL, true);
	cs_cpu_yield_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_raised_lowered), cmocka_unit_test(test_starved_raised),
		cmocka_unit_test(test_no_cap_sys_nice),	    cmocka_unit_test(test_hurry),
		cmocka_unit_test(test_start_disabled),	    cmocka_unit_test(test_bad_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
