/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * hold.bpf.h - hold a target stopped at exec until the agent examined the
 * executable (docs/capture.md, "No cold start").
 *
 * A static-TLS executable (a Go tool, a compiled Bun, node copied to /opt)
 * carries its TLS code in itself: its probes can only go in once the agent
 * has read the file, which it learns about from the exec record. A process
 * that connects at once would send its first request before that. So the
 * exec tracepoint of a target whose executable (inode + mtime) is not in
 * exe_seen sends SIGSTOP to the task running it (bpf_send_signal acts on
 * current, which is the exec'ing task there): the signal is pending before
 * execve returns, and a pending stop is taken on the way back to user mode,
 * before the new program's first instruction. The exec record says "held";
 * the agent examines the file, attaches what it needs, marks it seen and
 * sends SIGCONT (user/agent/hold.c).
 *
 * Never a process left stopped:
 * - only while the agent's heartbeat (hold_ctl, beaten every 100 ms by its
 *   release thread, which also releases any hold older than the deadline) is
 *   younger than a second: a frozen or dead agent holds nothing new;
 * - the exit of the agent's last thread (SIGKILL included) sends SIGCONT to
 *   every process still held, from the kernel (bpf_send_signal_task, 6.13+);
 * - a stop sent by someone else while held (kill -STOP, a supervisor) is
 *   noted, and that process is not resumed by us: its stopper owns it;
 * - not held: a process with a controlling terminal (a job-control shell
 *   would report its child "Stopped" and take the terminal back), a traced
 *   one (the tracer would see the stop), and the agent itself.
 */
#ifndef CLAWSEC_HOLD_BPF_H
#define CLAWSEC_HOLD_BPF_H

#define CS_SIGCONT 18
#define CS_SIGSTOP 19
#define CS_SIGTSTP 20
#define CS_SIGTTOU 22
#define HOLD_BEAT_MAX_NS 1000000000ull /* heartbeat older than this: no new hold */
#define HOLD_MAX 1024		       /* processes held at once */

/* Written by userspace through the skeleton's mmap'ed .bss. */
struct cs_hold_ctl hold_ctl;

/* tgid -> the hold; an entry exists while the process is (meant to be) held. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HOLD_MAX);
	__type(key, __u32);
	__type(value, struct cs_hold);
} held SEC(".maps");

/* Executables the agent has examined (and, if they carry TLS, keeps probed). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct cs_exe_key);
	__type(value, __u8);
} exe_seen SEC(".maps");

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				u64 value) __ksym __weak;

/* Before 6.11 the mtime was one struct timespec64 (__i_mtime in 6.7-6.10). */
struct inode___ts {
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

static __always_inline void exe_key_of(struct linux_binprm *bprm, struct cs_exe_key *k)
{
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);

	k->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	k->ino = BPF_CORE_READ(ino, i_ino);
	k->_pad = 0;
	if (bpf_core_field_exists(ino->i_mtime_sec)) {
		k->mtime_sec = BPF_CORE_READ(ino, i_mtime_sec);
		k->mtime_nsec = BPF_CORE_READ(ino, i_mtime_nsec);
	} else {
		struct inode___ts *old = (void *)ino;

		k->mtime_sec = BPF_CORE_READ(old, i_mtime.tv_sec);
		k->mtime_nsec = BPF_CORE_READ(old, i_mtime.tv_nsec);
	}
}

static __always_inline int hold_allowed(struct task_struct *p, __u64 now)
{
	__u64 beat = hold_ctl.heartbeat_ns;

	if (!hold_ctl.enabled || (now > beat && now - beat > HOLD_BEAT_MAX_NS))
		return 0;
	return !BPF_CORE_READ(p, signal, tty) && !BPF_CORE_READ(p, ptrace);
}

/*
 * Called at exec of target p (current): CS_PROC_HELD when it is now held.
 * An entry left for this tgid is stale (the process runs, so nothing holds
 * it): replaced; the agent tells its own entry by since_ns.
 */
static __always_inline __u32 hold_exec(struct task_struct *p, const struct cs_exe_key *k,
				       __u64 start_ns, __u64 now)
{
	struct cs_hold h = {.start_ns = start_ns, .since_ns = now};
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!hold_allowed(p, now) || bpf_map_lookup_elem(&exe_seen, k))
		return 0;
	if (bpf_map_update_elem(&held, &tgid, &h, BPF_ANY)) {
		stat_add(CS_STAT_HOLD_FAIL, 1);
		return 0;
	}
	if (bpf_send_signal(CS_SIGSTOP)) {
		bpf_map_delete_elem(&held, &tgid);
		stat_add(CS_STAT_HOLD_FAIL, 1);
		return 0;
	}
	return CS_PROC_HELD;
}

/*
 * A signal to a held process. The kernel's own (ours from bpf_send_signal
 * comes as SEND_SIG_PRIV) and the agent's are not foreign; a stop or a
 * SIGCONT from anyone else decides whether the agent may resume it.
 */
static __always_inline void hold_on_signal(int sig, struct kernel_siginfo *info,
					   struct task_struct *task, int result)
{
	__u32 tgid, sender = bpf_get_current_pid_tgid() >> 32;
	struct cs_hold *h;

	if (sig != CS_SIGCONT && sig != CS_SIGSTOP && (sig < CS_SIGTSTP || sig > CS_SIGTTOU))
		return;
	if ((unsigned long)info <= 1 || sender == hold_ctl.agent_tgid ||
	    result == TRACE_SIGNAL_IGNORED)
		return;
	tgid = BPF_CORE_READ(task, tgid);
	h = bpf_map_lookup_elem(&held, &tgid);
	if (!h)
		return;
	if (sig == CS_SIGCONT)
		h->flags = (h->flags & ~CS_HOLD_FOREIGN_STOP) | CS_HOLD_FOREIGN_CONT;
	else
		h->flags |= CS_HOLD_FOREIGN_STOP;
}

static long release_one(struct bpf_map *map, __u32 *tgid, struct cs_hold *h, void *ctx)
{
	struct task_struct *t;

	if (h->flags & CS_HOLD_FOREIGN_STOP)
		return 0;
	t = bpf_task_from_pid(*tgid);
	if (!t)
		return 0;
	if (t->start_boottime == h->start_ns)
		bpf_send_signal_task(t, CS_SIGCONT, PIDTYPE_TGID, 0);
	bpf_task_release(t);
	return 0;
}

/* The agent's last thread exits: nothing will release its holds but this. */
static __always_inline void hold_agent_exit(void)
{
	if (!bpf_send_signal_task || !bpf_task_from_pid || !bpf_task_release)
		return;
	bpf_for_each_map_elem(&held, release_one, NULL, 0);
}

#endif
