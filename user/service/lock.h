/* SPDX-License-Identifier: MIT */
/*
 * lock.h - one running instance per home: a pid file held with flock().
 *
 * The kernel drops the flock when its holder dies, so a pid file left by a
 * crashed instance is simply taken over; a live holder makes the second
 * instance fail with its pid in the message.
 */
#ifndef CLAWSEC_LOCK_H
#define CLAWSEC_LOCK_H

#include <stdbool.h>
#include <stddef.h>

struct cs_lock {
	int fd;
	bool took_over; /* a stale pid file from a dead instance was replaced */
	int stale_pid;	/* its pid, 0 if none */
	char path[4096];
};

/* 0, or -1 with the reason (incl. the holder's pid) in err. Creates the parent 0700. */
int cs_lock_acquire(struct cs_lock *l, const char *pid_file, char *err, size_t errlen);
/* Removes the pid file and drops the lock. */
void cs_lock_release(struct cs_lock *l);

#endif
