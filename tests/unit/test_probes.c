// SPDX-License-Identifier: MIT
/*
 * The eBPF capture against real Node processes: a target doing an HTTPS
 * fetch() POST of 64 KB, a plain HTTP POST and a child process; a server on
 * the same node binary that is not a target. Needs root and BTF: skipped
 * without them, failed when CI=true.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "need_bpf.h"

#include "probes.h"

#define BODY_LEN 65536
/* Debian keeps bpftool in /usr/sbin, which a user's PATH may lack */
#define BPFTOOL "PATH=\"$PATH:/usr/sbin:/sbin\" bpftool"

/* Local HTTPS, HTTP and HTTPS servers; prints "<https> <http> <https2>" ports. */
static const char server_js[] =
	"const https = require('https'), http = require('http'), fs = require('fs');\n"
	"const d = process.argv[2];\n"
	"const tls = { key: fs.readFileSync(d + '/key.pem'), cert: fs.readFileSync(d + "
	"'/cert.pem') };\n"
	"const h = (req, res) => { let n = 0; req.on('data', c => n += c.length);\n"
	"  req.on('end', () => res.end('got ' + n)); };\n"
	"const s1 = https.createServer(tls, h).listen(0, '127.0.0.1', () => {\n"
	"  const s2 = http.createServer(h).listen(0, '127.0.0.1', () => {\n"
	"    const s3 = https.createServer(tls, h).listen(0, '127.0.0.1', () =>\n"
	"      console.log(`${s1.address().port} ${s2.address().port} ${s3.address().port}`));"
	" }); });\n";

/*
 * The target: on a line on stdin, n fetch() POSTs of the 64 KB body to
 * https://localhost, a plain POST, optionally a child doing a plain POST.
 */
static const char client_js[] =
	"const http = require('http'), cp = require('child_process');\n"
	"const [tp, hp, n, mode, tp2] = process.argv.slice(2);\n"
	"let body = '';\n"
	"for (let i = 0; i < 65536; i++) body += String.fromCharCode(97 + (i * 7 + (i >> 5)) % "
	"26);\n"
	"const plain = (path, data) => new Promise(ok => {\n"
	"  const q = http.request({ host: '127.0.0.1', port: hp, path, method: 'POST' },\n"
	"    res => { res.resume(); res.on('end', ok); });\n"
	"  q.end(data); });\n"
	"process.stdin.once('data', async () => {\n"
	"  if (mode === 'par') {\n"
	"    const one = p => fetch(`https://localhost:${p}/to-${p}`, { method: 'POST', body })\n"
	"      .then(r => r.text());\n"
	"    await Promise.all([tp, tp2, tp, tp2, tp, tp2].map(one));\n"
	"  } else for (let i = 0; i < +n; i++) {\n"
	"    const r = await fetch(`https://localhost:${tp}/upload`, { method: 'POST', body });\n"
	"    await r.text(); }\n"
	"  await plain('/plain', 'plain-marker-123');\n"
	"  if (mode === 'child') cp.execFileSync(process.execPath, ['-e', "
	"`require('http').request(\n"
	"    { host: '127.0.0.1', port: ${hp}, path: '/child', method: 'POST' },\n"
	"    r => r.resume()).end('child-marker-456')`]);\n"
	"  console.log('done'); process.exit(0); });\n"
	"console.log('ready');\n";

struct proc {
	pid_t pid;
	int in, out; /* its stdin (write end) and stdout (read end) */
};

/* Records received, in ring order. */
struct recs {
	unsigned char **rec;
	size_t *len;
	size_t n, cap;
	uint64_t data_bytes;
};

struct env {
	char dir[64];
	char node[4096];
	struct proc server, client;
	pid_t target; /* the client's pid, kept after it exited */
	struct cs_bin_key exe_key;
	int tls_port, http_port, tls_port2;
	struct cs_probes *probes;
	struct recs recs;
};

static int node_path(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/node", d);
		if (!access(buf, X_OK))
			return 0;
	}
	return -1;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fputs(text, f) < 0;
	return fclose(f) || err ? -1 : 0;
}

static pid_t spawn(char *const argv[], int *in, int *out, char *const extra_env)
{
	int i[2], o[2];
	pid_t pid;

	if (pipe2(i, O_CLOEXEC) || pipe2(o, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(i[0], 0);
		dup2(o[1], 1);
		if (extra_env)
			putenv(extra_env);
		execv(argv[0], argv);
		_exit(127);
	}
	close(i[0]);
	close(o[1]);
	*in = i[1];
	*out = o[0];
	return pid;
}

/* Reads one line from fd within timeout_ms; 0 or -1. */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, timeout_ms) <= 0 || read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return 0;
}

static void stop_proc(struct proc *p)
{
	if (p->pid <= 0)
		return;
	close(p->in);
	close(p->out);
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

static int start_server(struct env *e)
{
	char js[128], line[64];
	char *argv[] = {e->node, js, e->dir, NULL};

	snprintf(js, sizeof(js), "%s/server.js", e->dir);
	e->server.pid = spawn(argv, &e->server.in, &e->server.out, NULL);
	if (e->server.pid < 0 || read_line(e->server.out, line, sizeof(line), 10000) ||
	    sscanf(line, "%d %d %d", &e->tls_port, &e->http_port, &e->tls_port2) != 3)
		return -1;
	return 0;
}

/* mode: "child" (then spawn a child), "par" (parallel fetches to both
 * HTTPS servers instead of sequential ones), or "-". */
static int start_client(struct env *e, int fetches, const char *mode)
{
	static char ca_env[128];
	char js[128], tp[16], hp[16], n[16], md[8], tp2[16], line[64];
	char *argv[] = {e->node, js, tp, hp, n, md, tp2, NULL};

	snprintf(js, sizeof(js), "%s/client.js", e->dir);
	snprintf(tp, sizeof(tp), "%d", e->tls_port);
	snprintf(hp, sizeof(hp), "%d", e->http_port);
	snprintf(n, sizeof(n), "%d", fetches);
	snprintf(md, sizeof(md), "%s", mode);
	snprintf(tp2, sizeof(tp2), "%d", e->tls_port2);
	snprintf(ca_env, sizeof(ca_env), "NODE_EXTRA_CA_CERTS=%s/cert.pem", e->dir);
	e->client.pid = spawn(argv, &e->client.in, &e->client.out, ca_env);
	if (e->client.pid < 0 || read_line(e->client.out, line, sizeof(line), 10000) ||
	    strcmp(line, "ready"))
		return -1;
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char cmd[512];

	if (!e)
		return -1;
	*state = e;
	snprintf(e->dir, sizeof(e->dir), "/tmp/cs-probes-XXXXXX");
	if (!mkdtemp(e->dir) || node_path(e->node, sizeof(e->node)))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-subj /CN=localhost -addext subjectAltName=DNS:localhost -days 1 "
		 "-keyout %s/key.pem -out %s/cert.pem 2>/dev/null",
		 e->dir, e->dir);
	if (system(cmd) || write_file(e->dir, "server.js", server_js) ||
	    write_file(e->dir, "client.js", client_js))
		return -1;
	return 0;
}

static void free_recs(struct recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rec[i]);
	free(r->rec);
	free(r->len);
	memset(r, 0, sizeof(*r));
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	if (!e)
		return 0;
	stop_proc(&e->client);
	stop_proc(&e->server);
	cs_probes_close(e->probes);
	free_recs(&e->recs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (e->dir[0] && system(cmd))
		fprintf(stderr, "cannot remove %s\n", e->dir);
	free(e);
	return 0;
}

static int keep_rec(const void *rec, size_t len, void *ctx)
{
	struct recs *r = ctx;
	const struct cs_ev_hdr *h = rec;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		void *a = realloc(r->rec, cap * sizeof(*r->rec));
		void *b = a ? realloc(r->len, cap * sizeof(*r->len)) : NULL;

		if (a)
			r->rec = a;
		if (!b)
			return -1;
		r->len = b;
		r->cap = cap;
	}
	r->rec[r->n] = malloc(len);
	if (!r->rec[r->n])
		return -1;
	memcpy(r->rec[r->n], rec, len);
	r->len[r->n++] = len;
	if (h->type == CS_EV_DATA)
		r->data_bytes += ((const struct cs_ev_data *)rec)->len;
	return 0;
}

static void open_probes_with(struct env *e, const struct cs_probes_opts *o)
{
	char err[256] = "";
	int rc = cs_probes_open(o, &e->probes, err, sizeof(err));

	if (rc)
		fail_msg("cs_probes_open: %d %s", rc, err);
}

static void open_probes(struct env *e, size_t ringbuf, uint32_t cap, int exec_all)
{
	struct cs_probes_opts o = {
		.ringbuf_bytes = ringbuf, .capture_cap = cap, .exec_all = exec_all};

	open_probes_with(e, &o);
}

/* Makes the client a target, attaches its executable, lets it run to its end. */
/* Says "go" to the client, captures until it exits, checks its last line. */
static void go_and_wait(struct env *e, const char *last_line)
{
	char line[64] = "";
	int status = -1;

	assert_int_equal(write(e->client.in, "go\n", 3), 3);
	for (int i = 0; i < 600 && waitpid(e->client.pid, &status, WNOHANG) == 0; i++)
		assert_true(cs_probes_poll(e->probes, 50, keep_rec, &e->recs) >= 0);
	assert_int_equal(read_line(e->client.out, line, sizeof(line), 1000), 0);
	assert_string_equal(line, last_line);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(e->client.in);
	close(e->client.out);
	e->target = e->client.pid;
	e->client.pid = 0;
	/* drain what is left */
	while (cs_probes_poll(e->probes, 100, keep_rec, &e->recs) > 0)
		;
}

/* Makes the client a target, attaches its executable, lets it run to its end. */
static void run_client(struct env *e)
{
	struct cs_mapped_bin *exe = calloc(1, sizeof(*exe));
	unsigned int syms = 0;

	assert_non_null(exe);
	assert_int_equal(cs_probes_add_target(e->probes, e->client.pid), 0);
	assert_int_equal(cs_find_exe(e->client.pid, exe), 0);
	assert_int_equal(
		cs_probes_attach_tls(e->probes, exe->open_path, &exe->key, e->client.pid, &syms),
		0);
	assert_int_equal(syms & CS_SYM_DATA, CS_SYM_DATA);
	/* a second process on the same binary shares the attachment */
	assert_int_equal(
		cs_probes_attach_tls(e->probes, exe->open_path, &exe->key, e->server.pid, NULL), 0);
	assert_int_equal(cs_probes_attached_binaries(e->probes), 1);
	e->exe_key = exe->key;
	free(exe);
	go_and_wait(e, "done");
}

static const void *rec_of(const struct env *e, size_t i, uint32_t type)
{
	const struct cs_ev_hdr *h = (const void *)e->recs.rec[i];

	return h->type == type ? h : NULL;
}

/* The bytes of every call on (tgid, src, dir, conn), in order, checking that
 * each call's records are contiguous; *calls gets the number of calls. */
static size_t stream(const struct env *e, uint32_t tgid, int src, int dir, uint64_t conn,
		     unsigned char *out, size_t max, size_t *calls)
{
	size_t n = 0, next = 0;
	uint32_t call = 0;

	*calls = 0;
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_data *d = rec_of(e, i, CS_EV_DATA);

		if (!d || d->h.tgid != tgid || d->src != src || d->dir != dir || d->conn != conn)
			continue;
		assert_true(e->recs.len[i] >= offsetof(struct cs_ev_data, data) + d->len);
		assert_true(d->len > 0 && d->len <= CS_DATA_CHUNK);
		if (d->offset == 0) {
			(*calls)++;
			call = d->call_id;
			next = 0;
		}
		assert_int_equal(d->call_id, call);
		assert_int_equal(d->offset, next);
		next += d->len;
		assert_true(next <= d->captured && d->captured <= d->total);
		assert_true(n + d->len <= max);
		memcpy(out + n, d->data, d->len);
		n += d->len;
	}
	return n;
}

static void make_body(unsigned char *b)
{
	for (int i = 0; i < BODY_LEN; i++)
		b[i] = 'a' + (i * 7 + (i >> 5)) % 26;
}

static const struct cs_ev_sock *find_sock(const struct env *e, uint32_t type, uint32_t tgid, int fd)
{
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_sock *s = rec_of(e, i, type);

		if (s && s->h.tgid == tgid && s->fd == fd)
			return s;
	}
	return NULL;
}

/* The last `type` record of (tgid, fd) before record `before`: a closed
 * socket's fd number is reused by the next one the process opens. */
static const struct cs_ev_sock *find_sock_before(const struct env *e, uint32_t type, uint32_t tgid,
						 int fd, size_t before)
{
	const struct cs_ev_sock *found = NULL;

	for (size_t i = 0; i < before && i < e->recs.n; i++) {
		const struct cs_ev_sock *s = rec_of(e, i, type);

		if (s && s->h.tgid == tgid && s->fd == fd)
			found = s;
	}
	return found;
}

static void assert_loopback_to(const struct cs_ev_sock *s, int port)
{
	static const unsigned char lo[4] = {127, 0, 0, 1};

	assert_non_null(s);
	assert_int_equal(s->family, 2);
	assert_int_equal(s->rport, port);
	assert_true(s->lport != 0);
	assert_memory_equal(s->laddr, lo, 4);
	assert_memory_equal(s->raddr, lo, 4);
}

/* The SSL* whose SNI was "localhost" and the fd it was tied to. */
static void tls_conn(const struct env *e, uint32_t tgid, uint64_t *ssl, int *fd)
{
	*ssl = 0;
	*fd = -1;
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_ssl *s = rec_of(e, i, CS_EV_SSL_SNI);

		if (s && s->h.tgid == tgid && !strcmp(s->sni, "localhost")) {
			*ssl = s->ssl;
			break;
		}
	}
	assert_true(*ssl != 0);
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_ssl *s = rec_of(e, i, CS_EV_SSL_FD);

		if (s && s->h.tgid == tgid && s->ssl == *ssl)
			*fd = s->fd;
	}
	assert_true(*fd >= 0);
}

/* The fd of the target's socket data whose first call starts with prefix. */
/* The fd of the first socket write starting with prefix; *at gets its record index. */
static int sock_with(const struct env *e, uint32_t tgid, const char *prefix, size_t *at)
{
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_data *d = rec_of(e, i, CS_EV_DATA);

		if (d && d->h.tgid == tgid && d->src == CS_SRC_SOCK && d->offset == 0 &&
		    d->len >= strlen(prefix) && !memcmp(d->data, prefix, strlen(prefix))) {
			*at = i;
			return (int)d->conn;
		}
	}
	return -1;
}

static void check_tls(const struct env *e, uint32_t tgid)
{
	unsigned char *buf = malloc(4 * BODY_LEN), *body = malloc(BODY_LEN);
	size_t n, calls;
	uint64_t ssl;
	char *end;
	int fd;

	assert_non_null(buf);
	assert_non_null(body);
	tls_conn(e, tgid, &ssl, &fd);
	assert_loopback_to(find_sock(e, CS_EV_SOCK_CONNECT, tgid, fd), e->tls_port);
	n = stream(e, tgid, CS_SRC_SSL, CS_DATA_EGRESS, ssl, buf, 4 * BODY_LEN - 1, &calls);
	buf[n] = 0;
	assert_true(calls >= 1);
	assert_memory_equal(buf, "POST /upload HTTP/1.1\r\n", 23);
	assert_non_null(strstr((char *)buf, "content-length: 65536\r\n"));
	end = strstr((char *)buf, "\r\n\r\n");
	assert_non_null(end);
	/* the whole body, in order, and nothing after it */
	make_body(body);
	assert_int_equal(n - (size_t)(end + 4 - (char *)buf), BODY_LEN);
	assert_memory_equal(end + 4, body, BODY_LEN);
	n = stream(e, tgid, CS_SRC_SSL, CS_DATA_INGRESS, ssl, buf, 4 * BODY_LEN - 1, &calls);
	buf[n] = 0;
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr((char *)buf, "got 65536"));
	/* ciphertext on the TLS socket is not reported as plaintext */
	assert_int_equal(
		stream(e, tgid, CS_SRC_SOCK, CS_DATA_EGRESS, fd, buf, 4 * BODY_LEN, &calls), 0);
	assert_int_equal(
		stream(e, tgid, CS_SRC_SOCK, CS_DATA_INGRESS, fd, buf, 4 * BODY_LEN, &calls), 0);
	free(buf);
	free(body);
}

static void check_plain(const struct env *e, uint32_t tgid, const char *path, const char *marker)
{
	char prefix[64], buf[8192];
	size_t n, calls, at = 0;
	int fd;

	snprintf(prefix, sizeof(prefix), "POST %s HTTP/1.1\r\n", path);
	fd = sock_with(e, tgid, prefix, &at);
	assert_true(fd >= 0);
	assert_loopback_to(find_sock_before(e, CS_EV_SOCK_CONNECT, tgid, fd, at), e->http_port);
	n = stream(e, tgid, CS_SRC_SOCK, CS_DATA_EGRESS, fd, (unsigned char *)buf, sizeof(buf) - 1,
		   &calls);
	buf[n] = 0;
	assert_non_null(strstr(buf, marker));
	n = stream(e, tgid, CS_SRC_SOCK, CS_DATA_INGRESS, fd, (unsigned char *)buf, sizeof(buf) - 1,
		   &calls);
	buf[n] = 0;
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
}

/* The child the target forked: announced, captured, and gone at the end. */
static void check_child(const struct env *e, uint32_t parent)
{
	const struct cs_ev_proc *fork_ev = NULL;
	int exited = 0;

	for (size_t i = 0; i < e->recs.n && !fork_ev; i++) {
		fork_ev = rec_of(e, i, CS_EV_PROC_FORK);
		if (fork_ev && fork_ev->ppid != parent)
			fork_ev = NULL;
	}
	assert_non_null(fork_ev);
	assert_true(fork_ev->child != parent);
	check_plain(e, fork_ev->child, "/child", "child-marker-456");
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_proc *p = rec_of(e, i, CS_EV_PROC_EXIT);

		exited += p && (p->h.tgid == fork_ev->child || p->h.tgid == parent);
	}
	assert_int_equal(exited, 2);
}

/* IDs of links whose program is one of ids, as `bpftool link show` sees them. */
static int links_of(const uint32_t *ids, size_t n)
{
	char line[512];
	int found = 0;
	FILE *f = popen(BPFTOOL " link show 2>/dev/null", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "prog ");
		unsigned int id;

		if (p && sscanf(p, "prog %u", &id) == 1) {
			for (size_t i = 0; i < n; i++)
				found += id == ids[i];
		}
	}
	pclose(f);
	return found;
}

static int prog_exists(uint32_t id)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), BPFTOOL " prog show id %u >/dev/null 2>&1", id);
	return system(cmd) == 0;
}

/* Closes the probes and checks that none of their programs or links remain. */
static void close_and_check_clean(struct env *e)
{
	uint32_t ids[128];
	size_t n = cs_probes_prog_ids(e->probes, ids, 128);

	assert_true(n >= 10);
	assert_true(links_of(ids, n) >= 5);
	cs_probes_close(e->probes);
	e->probes = NULL;
	assert_int_equal(links_of(ids, n), 0);
	/* the kernel frees programs after an RCU grace period: allow 5 s */
	for (size_t i = 0; i < n; i++) {
		for (int t = 0; t < 100 && prog_exists(ids[i]); t++)
			nanosleep(&(struct timespec){0, 50000000}, NULL);
		assert_false(prog_exists(ids[i]));
	}
}

static void read_stats(struct env *e, uint64_t st[CS_STAT_MAX])
{
	assert_int_equal(cs_probes_read_stats(e->probes, st), 0);
	fprintf(stderr,
		"# records %zu data bytes %llu | events %llu bytes %llu rb_full %llu cut %llu "
		"lost %llu missed_ret %llu read_fail %llu\n",
		e->recs.n, (unsigned long long)e->recs.data_bytes,
		(unsigned long long)st[CS_STAT_EVENTS], (unsigned long long)st[CS_STAT_BYTES],
		(unsigned long long)st[CS_STAT_RB_FULL], (unsigned long long)st[CS_STAT_BYTES_CUT],
		(unsigned long long)st[CS_STAT_BYTES_LOST],
		(unsigned long long)st[CS_STAT_MISSED_RET],
		(unsigned long long)st[CS_STAT_READ_FAIL]);
}

static void assert_no_record_of(const struct env *e, pid_t pid)
{
	for (size_t i = 0; i < e->recs.n; i++)
		assert_int_not_equal(((const struct cs_ev_hdr *)(void *)e->recs.rec[i])->tgid, pid);
}

/* The node binary's uprobes go with its last user, not before. */
static void check_refcounts(struct env *e)
{
	uint32_t ids[128];
	size_t n = cs_probes_prog_ids(e->probes, ids, 128);
	int before = links_of(ids, n);
	int tracking = (int)cs_probes_tracking_links(e->probes);

	/* fork/exec/exit, signal_generate + the syscall hooks (2 raw or 23 per-syscall) */
	assert_true(tracking == 6 || tracking == 27);
	/* + 6 entry and 4 return uprobes on node */
	assert_int_equal(before, tracking + 10);
	assert_int_equal(cs_probes_detach_tls(e->probes, &e->exe_key, e->server.pid), 0);
	assert_int_equal(cs_probes_detach_tls(e->probes, &e->exe_key, e->server.pid), -ENOENT);
	assert_int_equal(cs_probes_attached_binaries(e->probes), 1);
	assert_int_equal(links_of(ids, n), before);
	cs_probes_forget_pid(e->probes, e->target);
	assert_int_equal(cs_probes_attached_binaries(e->probes), 0);
	assert_int_equal(links_of(ids, n), tracking);
}

static void captures_tls_plain_and_children(void **state)
{
	struct env *e = *state;
	uint64_t st[CS_STAT_MAX];

	need_bpf();
	assert_int_equal(start_server(e), 0);
	open_probes(e, 0, 0, 0);
	assert_int_equal(start_client(e, 1, "child"), 0);
	run_client(e);
	check_tls(e, e->target);
	check_plain(e, e->target, "/plain", "plain-marker-123");
	check_child(e, e->target);
	/* the server runs the same node binary, probed, but is no target */
	assert_no_record_of(e, e->server.pid);
	read_stats(e, st);
	assert_int_equal(st[CS_STAT_EVENTS], e->recs.n);
	assert_int_equal(st[CS_STAT_BYTES], e->recs.data_bytes);
	assert_true(e->recs.data_bytes > BODY_LEN);
	assert_int_equal(st[CS_STAT_RB_FULL], 0);
	assert_int_equal(st[CS_STAT_BYTES_LOST], 0);
	assert_int_equal(st[CS_STAT_BYTES_CUT], 0);
	assert_int_equal(st[CS_STAT_MISSED_RET], 0);
	assert_int_equal(st[CS_STAT_READ_FAIL], 0);
	check_refcounts(e);
	close_and_check_clean(e);
}

/*
 * Six parallel fetch() POSTs to two servers, over several connections of one
 * thread: every SSL* is tied to the socket of the server its request names.
 */
static void ties_each_ssl_to_its_socket(void **state)
{
	struct env *e = *state;
	unsigned char *buf = malloc(8 * BODY_LEN);
	int tied = 0, ports[2];

	need_bpf();
	assert_non_null(buf);
	assert_int_equal(start_server(e), 0);
	open_probes(e, 0, 0, 0);
	assert_int_equal(start_client(e, 0, "par"), 0);
	run_client(e);
	ports[0] = e->tls_port;
	ports[1] = e->tls_port2;
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_ssl *t = rec_of(e, i, CS_EV_SSL_FD);
		char want[64];
		size_t n, calls;
		int port = 0;

		if (!t || t->h.tgid != (uint32_t)e->target)
			continue;
		n = stream(e, e->target, CS_SRC_SSL, CS_DATA_EGRESS, t->ssl, buf, 8 * BODY_LEN,
			   &calls);
		for (int k = 0; k < 2; k++) {
			snprintf(want, sizeof(want), "POST /to-%d HTTP/1.1\r\n", ports[k]);
			if (n > strlen(want) && !memcmp(buf, want, strlen(want)))
				port = ports[k];
		}
		assert_true(port != 0);
		assert_loopback_to(find_sock(e, CS_EV_SOCK_CONNECT, e->target, t->fd), port);
		tied++;
	}
	fprintf(stderr, "# %d SSL* tied\n", tied);
	assert_true(tied >= 2);
	free(buf);
}

/* A connected loopback TCP pair: *c connected to *s accepted; returns the port. */
static int tcp_pair(int *c, int *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof(a)), 0);
	*s = accept(l, NULL, NULL);
	assert_true(*s >= 0);
	close(l);
	return ntohs(a.sin_port);
}

/* Sends through every write-family call; returns what was sent, in order. */
static size_t send_all_kinds(int c, unsigned char *sent)
{
	struct iovec v[3] = {{"GET /v HTTP/1.1\r\n", 17}, {"X-A: 1\r\n", 8}, {"\r\n", 2}};
	struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
	unsigned char big[40000];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = 'A' + i % 23;
	assert_int_equal(writev(c, v, 3), 27);
	assert_int_equal(sendmsg(c, &m, 0), 25);
	assert_int_equal(send(c, "sendto-data", 11, 0), 11);
	assert_int_equal(write(c, big, sizeof(big)), sizeof(big));
	for (int k = 0; k < 3; k++) {
		memcpy(sent + n, v[k].iov_base, v[k].iov_len);
		n += v[k].iov_len;
	}
	memcpy(sent + n, v[0].iov_base, v[0].iov_len);
	memcpy(sent + n + 17, v[1].iov_base, v[1].iov_len);
	memcpy(sent + n + 25, "sendto-data", 11);
	memcpy(sent + n + 36, big, sizeof(big));
	return n + 36 + sizeof(big);
}

/* Receives want bytes through every read-family call, peeking first. */
static void recv_all_kinds(int s, unsigned char *got, size_t want)
{
	struct iovec v[2] = {{got, 7}, {got + 7, 9}};
	struct iovec one = {got + 16, 100};
	struct msghdr m = {.msg_iov = &one, .msg_iovlen = 1};
	unsigned char peek[10];
	size_t n;
	ssize_t r;

	assert_int_equal(recv(s, peek, sizeof(peek), MSG_PEEK), sizeof(peek));
	assert_int_equal(readv(s, v, 2), 16);
	assert_int_equal(recvmsg(s, &m, 0), 100);
	for (n = 116; n < want; n += (size_t)r) {
		r = read(s, got + n, want - n);
		assert_true(r > 0);
	}
}

/*
 * The test process itself as the target: writev/sendmsg/send/write and
 * readv/recvmsg/recv/read on a loopback TCP pair are captured exactly (peeked
 * bytes once), with connect/accept/close; pipes and unix sockets are not.
 */
/* Every kind of socket call through one syscall front end (capture.bpf.c). */
static void socket_calls_of_every_kind(struct env *e, int raw_hooks)
{
	struct cs_probes_opts o = {.raw_syscall_hooks = raw_hooks};
	unsigned char *sent = malloc(65536), *got = malloc(65536), *seen = malloc(65536);
	int c, s, port, pfd[2], ufd[2];
	size_t n, m, calls;

	need_bpf();
	assert_non_null(sent);
	assert_non_null(got);
	assert_non_null(seen);
	open_probes_with(e, &o);
	/* CI's kernels have tracefs: the cheaper front end must be the one used there */
	assert_string_equal(cs_probes_syscall_hooks(e->probes),
			    raw_hooks ? "raw sys_enter/sys_exit" : "per-syscall tracepoints");
	assert_int_equal(cs_probes_add_target(e->probes, getpid()), 0);
	port = tcp_pair(&c, &s);
	n = send_all_kinds(c, sent);
	recv_all_kinds(s, got, n);
	assert_memory_equal(got, sent, n);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ufd), 0);
	assert_int_equal(write(pfd[1], "pipe", 4), 4);
	assert_int_equal(write(ufd[0], "unix", 4), 4);
	close(c);
	close(s);
	assert_int_equal(cs_probes_remove_target(e->probes, getpid()), 0);
	while (cs_probes_poll(e->probes, 100, keep_rec, &e->recs) > 0)
		;
	assert_loopback_to(find_sock(e, CS_EV_SOCK_CONNECT, getpid(), c), port);
	assert_non_null(find_sock(e, CS_EV_SOCK_ACCEPT, getpid(), s));
	assert_int_equal(find_sock(e, CS_EV_SOCK_ACCEPT, getpid(), s)->lport, port);
	assert_non_null(find_sock(e, CS_EV_SOCK_CLOSE, getpid(), c));
	assert_non_null(find_sock(e, CS_EV_SOCK_CLOSE, getpid(), s));
	m = stream(e, getpid(), CS_SRC_SOCK, CS_DATA_EGRESS, c, seen, 65536, &calls);
	assert_int_equal(m, n);
	assert_int_equal(calls, 4);
	assert_memory_equal(seen, sent, n);
	m = stream(e, getpid(), CS_SRC_SOCK, CS_DATA_INGRESS, s, seen, 65536, &calls);
	assert_int_equal(m, n);
	assert_memory_equal(seen, sent, n);
	for (int fd = 0; fd < 2; fd++) {
		assert_int_equal(
			stream(e, getpid(), CS_SRC_SOCK, fd, pfd[0], seen, 65536, &calls) +
				stream(e, getpid(), CS_SRC_SOCK, fd, pfd[1], seen, 65536, &calls) +
				stream(e, getpid(), CS_SRC_SOCK, fd, ufd[0], seen, 65536, &calls),
			0);
	}
	close(pfd[0]);
	close(pfd[1]);
	close(ufd[0]);
	close(ufd[1]);
	free(sent);
	free(got);
	free(seen);
}

static void captures_socket_calls_of_every_kind(void **state)
{
	socket_calls_of_every_kind(*state, 0);
}

static void captures_socket_calls_through_raw_hooks(void **state)
{
	socket_calls_of_every_kind(*state, 1);
}

static bool is_exe(pid_t pid, const char *path)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return false;
	exe[n] = '\0';
	return !strcmp(exe, path);
}

/* Attaches the libssl.so that `openssl` maps, for pid. */
static void attach_system_libssl(struct env *e, pid_t pid)
{
	struct cs_mapped_bin *b = calloc(1, sizeof(*b));
	char openssl[] = "/usr/bin/openssl", sha[] = "sha256";
	char *argv[] = {openssl, sha, NULL};
	struct proc helper = {0};
	unsigned int syms = 0;
	int err = -ENOENT;

	assert_non_null(b);
	helper.pid = spawn(argv, &helper.in, &helper.out, NULL);
	assert_true(helper.pid > 0);
	/* Until the fork has exec'd, its maps are this test's own (which maps
	 * libssl too, through cs_proxy): wait for the exec before looking. */
	for (int i = 0; i < 500 && !is_exe(helper.pid, openssl); i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	for (int i = 0; i < 500 && err == -ENOENT; i++) {
		err = cs_find_libssl(helper.pid, b);
		if (err)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	if (!err)
		err = cs_probes_attach_tls(e->probes, b->open_path, &b->key, pid, &syms);
	stop_proc(&helper);
	assert_int_equal(err, 0);
	assert_true(syms & CS_SYM_SSL_WRITE);
	free(b);
}

/* curl (libcurl -> libssl.so, socket BIO) started by a shell that is already a
 * target: the exec is reported and the TLS plaintext captured through libssl.
 * With exec_all, execs of non-targets are reported too. */
static void captures_libssl_users(void **state)
{
	struct env *e = *state;
	char cmd[512], sh[] = "/bin/sh", dash_c[] = "-c";
	char *argv[] = {sh, dash_c, cmd, NULL};
	unsigned char buf[8192];
	int fd, execs = 0, others = 0;
	size_t n, calls;
	uint64_t ssl;

	need_bpf();
	assert_int_equal(start_server(e), 0);
	open_probes(e, 0, 0, 1);
	snprintf(cmd, sizeof(cmd),
		 "read x; exec curl -sS -w '\\n' --cacert %s/cert.pem -d libssl-marker-789 "
		 "https://localhost:%d/curl",
		 e->dir, e->tls_port);
	e->client.pid = spawn(argv, &e->client.in, &e->client.out, NULL);
	assert_true(e->client.pid > 0);
	assert_int_equal(cs_probes_add_target(e->probes, e->client.pid), 0);
	attach_system_libssl(e, e->client.pid);
	go_and_wait(e, "got 17");
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_proc *p = rec_of(e, i, CS_EV_PROC_EXEC);

		execs += p && p->h.tgid == (uint32_t)e->target && !strcmp(p->comm, "curl");
		/* exec_all: the helper that found libssl is no target, yet reported */
		others += p && p->h.tgid != (uint32_t)e->target && !strcmp(p->comm, "openssl");
	}
	assert_int_equal(execs, 1);
	assert_true(others >= 1);
	tls_conn(e, e->target, &ssl, &fd);
	assert_loopback_to(find_sock(e, CS_EV_SOCK_CONNECT, e->target, fd), e->tls_port);
	n = stream(e, e->target, CS_SRC_SSL, CS_DATA_EGRESS, ssl, buf, sizeof(buf) - 1, &calls);
	buf[n] = 0;
	assert_memory_equal(buf, "POST /curl HTTP/1.1\r\n", 21);
	assert_non_null(strstr((char *)buf, "\r\n\r\nlibssl-marker-789"));
	n = stream(e, e->target, CS_SRC_SSL, CS_DATA_INGRESS, ssl, buf, sizeof(buf) - 1, &calls);
	buf[n] = 0;
	assert_non_null(strstr((char *)buf, "got 17"));
	assert_no_record_of(e, e->server.pid);
	close_and_check_clean(e);
}

/* A call longer than the per-call cap: its first cap bytes, the rest counted. */
static void cap_cuts_long_calls(void **state)
{
	const uint32_t cap = 20000;
	struct env *e = *state;
	const struct cs_ev_data *big = NULL;
	uint64_t st[CS_STAT_MAX], got = 0, cut = 0;

	need_bpf();
	assert_int_equal(start_server(e), 0);
	open_probes(e, 0, cap, 0);
	assert_int_equal(start_client(e, 1, "-"), 0);
	run_client(e);
	for (size_t i = 0; i < e->recs.n; i++) {
		const struct cs_ev_data *d = rec_of(e, i, CS_EV_DATA);

		if (!d || d->total <= cap)
			continue;
		if (d->offset == 0) {
			big = d;
			cut += d->total - cap;
		}
		assert_non_null(big);
		assert_int_equal(d->call_id, big->call_id);
		assert_int_equal(d->captured, cap);
		got += d->len;
	}
	assert_non_null(big);
	assert_true(big->total > BODY_LEN);
	assert_memory_equal(big->data, "POST /upload HTTP/1.1\r\n", 23);
	read_stats(e, st);
	assert_int_equal(got % cap, 0);
	assert_int_equal(st[CS_STAT_BYTES_CUT], cut);
	assert_int_equal(st[CS_STAT_RB_FULL], 0);
	check_plain(e, e->target, "/plain", "plain-marker-123");
}

/* A 4 KiB ring buffer cannot hold a 16 KiB record: drops are counted, small
 * records still flow, the capture goes on. */
static void tiny_ring_counts_drops(void **state)
{
	struct env *e = *state;
	uint64_t st[CS_STAT_MAX];

	need_bpf();
	assert_int_equal(start_server(e), 0);
	open_probes(e, 4096, 0, 0);
	assert_int_equal(start_client(e, 10, "-"), 0);
	run_client(e);
	read_stats(e, st);
	assert_true(st[CS_STAT_RB_FULL] >= 10);
	assert_true(st[CS_STAT_BYTES_LOST] >= 10 * BODY_LEN);
	assert_int_equal(st[CS_STAT_EVENTS], e->recs.n);
	assert_int_equal(st[CS_STAT_BYTES], e->recs.data_bytes);
	check_plain(e, e->target, "/plain", "plain-marker-123");
	close_and_check_clean(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(captures_tls_plain_and_children, setup, teardown),
		cmocka_unit_test_setup_teardown(ties_each_ssl_to_its_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(captures_socket_calls_of_every_kind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(captures_socket_calls_through_raw_hooks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(captures_libssl_users, setup, teardown),
		cmocka_unit_test_setup_teardown(cap_cuts_long_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(tiny_ring_counts_drops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
