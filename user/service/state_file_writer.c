/* SPDX-License-Identifier: MIT */
/* state_file_writer.c - see state_file_writer.h. */
#include "state_file_writer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

struct cs_state_file_writer {
	pthread_t th;
	pthread_mutex_t mu; /* guards what follows */
	pthread_cond_t cv;
	char path[PATH_MAX];
	char *pending; /* the newest document not yet written, or NULL */
	bool stop;
	int last_rc;
};

static void *run(void *arg)
{
	struct cs_state_file_writer *w = arg;
	char path[PATH_MAX];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		char *text;
		int rc;

		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->pending)
			break; /* stopping, nothing left */
		text = w->pending;
		w->pending = NULL;
		snprintf(path, sizeof(path), "%s", w->path);
		pthread_mutex_unlock(&w->mu);
		rc = cs_write_file_atomic(path, text, strlen(text), 0600);
		free(text);
		pthread_mutex_lock(&w->mu);
		w->last_rc = rc;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct cs_state_file_writer *cs_state_file_writer_start(char *err, size_t errlen)
{
	struct cs_state_file_writer *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* Signals stay with the caller's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->th, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return w;
	snprintf(err, errlen, "cannot start the state writer thread: %s", strerror(rc));
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return NULL;
}

int cs_state_file_writer_submit(struct cs_state_file_writer *w, const char *path, char *text)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	free(w->pending);
	w->pending = text;
	snprintf(w->path, sizeof(w->path), "%s", path);
	rc = w->last_rc;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int cs_state_file_writer_stop(struct cs_state_file_writer *w)
{
	int rc;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	rc = w->last_rc;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return rc;
}
