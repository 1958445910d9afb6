/* SPDX-License-Identifier: MIT */
/*
 * capture.h - records shared by capture.bpf.c (kernel) and the agent (user).
 *
 * One BPF ring buffer carries every record. Each starts with cs_ev_hdr;
 * `type` says which struct follows. Plaintext of one SSL_* or socket call is
 * split into as many CS_EV_DATA records as needed (call_id, offset, total),
 * up to the configured per-call cap; what is cut is counted in the stats map.
 *
 * Record length: a CS_EV_DATA record is reserved in size tiers, so the length
 * the ring buffer reports is at least offsetof(struct cs_ev_data, data) + len
 * and at most sizeof(struct cs_ev_data); only data[0..len) is meaningful.
 * Every other record is exactly the size of its struct.
 */
#ifndef CLAWSEC_CAPTURE_H
#define CLAWSEC_CAPTURE_H

#define CS_DATA_CHUNK 16384 /* payload bytes per data record */
#define CS_COMM_LEN 16
#define CS_SNI_LEN 128
#define CS_CAP_DEFAULT (256u << 10) /* default per-call capture cap */
#define CS_CAP_MAX (4u << 20)	    /* largest per-call cap userspace may set */
#define CS_IOV_MAX 1024		    /* iovecs walked per writev/readv/sendmsg/recvmsg */

enum cs_ev_type {
	CS_EV_DATA = 1,	    /* plaintext from SSL_* or a socket call */
	CS_EV_SOCK_CONNECT, /* connect() on a TCP socket completed or started */
	CS_EV_SOCK_ACCEPT,  /* accept4() returned a TCP socket */
	CS_EV_SOCK_CLOSE,   /* close() of a tracked socket fd */
	CS_EV_SSL_SNI,	    /* SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, ..., name) */
	CS_EV_SSL_FD,	    /* an SSL* was tied to a socket fd (see docs/capture.md) */
	CS_EV_SSL_FREE,	    /* SSL_free(ssl) */
	CS_EV_PROC_FORK,
	CS_EV_PROC_EXEC,
	CS_EV_PROC_EXIT,
	CS_EV_SOCK_SEEN, /* first data on a TCP socket not seen at connect/accept
			  * (opened before tracking began): cs_ev_sock */
};

enum cs_data_src { CS_SRC_SSL = 1, CS_SRC_SOCK = 2 };
enum cs_data_dir { CS_DATA_EGRESS = 0, CS_DATA_INGRESS = 1 };

struct cs_ev_hdr {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__u32 _pad;
	__u64 ts_ns; /* bpf_ktime_get_ns() */
};

struct cs_ev_data {
	struct cs_ev_hdr h;
	__u64 conn; /* SSL* for CS_SRC_SSL, fd for CS_SRC_SOCK */
	__u8 src;   /* enum cs_data_src */
	__u8 dir;   /* enum cs_data_dir */
	__u16 _pad;
	__u32 call_id;	/* per-CPU sequence: records of one call share it;
			 * CPU number in the top 8 bits, so ids differ
			 * across CPUs until the 24-bit count wraps */
	__u32 offset;	/* of this record's bytes within the call */
	__u32 len;	/* bytes in data[] */
	__u32 total;	/* bytes the call moved (may exceed what was captured) */
	__u32 captured; /* bytes of the call captured in all, <= per-call cap */
	__u8 data[CS_DATA_CHUNK];
};

struct cs_ev_sock {
	struct cs_ev_hdr h;
	__s32 fd;
	__u16 family;	    /* AF_INET / AF_INET6 */
	__u16 lport, rport; /* host byte order */
	__u16 _pad;
	__u8 laddr[16], raddr[16];
};

struct cs_ev_ssl {
	struct cs_ev_hdr h;
	__u64 ssl;
	__s32 fd; /* CS_EV_SSL_FD */
	__u32 _pad;
	char sni[CS_SNI_LEN]; /* CS_EV_SSL_SNI, NUL-terminated */
};

/*
 * An executable as the kernel saw it at exec (bprm->file's inode): the key of
 * the map of executables already examined (hold at exec, bpf/hold.bpf.h).
 * mtime is part of it: a file rewritten in place is examined again.
 */
struct cs_exe_key {
	__u64 dev; /* super_block s_dev, kernel encoding */
	__u64 ino;
	__s64 mtime_sec;
	__u32 mtime_nsec;
	__u32 _pad;
};

/* A process held stopped at exec (map `held`, by tgid). */
struct cs_hold {
	__u64 start_ns; /* task start_boottime: tells a reused pid apart */
	__u64 since_ns; /* bpf_ktime_get_ns() of the hold, = the exec record's ts_ns */
	__u32 flags;	/* CS_HOLD_* */
	__u32 _pad;
};

#define CS_HOLD_FOREIGN_STOP 1 /* someone else sent it a stop signal while held */
#define CS_HOLD_FOREIGN_CONT 2 /* someone else sent it SIGCONT while held */

/* Userspace -> kernel: the hold's switch and the agent's heartbeat (.bss). */
struct cs_hold_ctl {
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC (= bpf_ktime_get_ns) of the last beat */
	__u32 agent_tgid;   /* its exit releases every hold (bpf/hold.bpf.h) */
	__u32 enabled;
};

#define CS_PROC_HELD 1 /* exec record: the process is held stopped (SIGSTOP) */

struct cs_ev_proc {
	struct cs_ev_hdr h;
	__u32 ppid;  /* parent tgid for fork */
	__u32 child; /* child tgid for fork */
	__u64 cgroup_id;
	char comm[CS_COMM_LEN];
	/* exec only: */
	__u64 start_ns;	       /* the process's start_boottime */
	struct cs_exe_key exe; /* the executable */
	__u32 flags;	       /* CS_PROC_* */
	__u32 _pad;
};

/* Loss and activity counters, one slot each in a per-CPU array map. */
enum cs_stat {
	CS_STAT_EVENTS = 0, /* records written to the ring buffer */
	CS_STAT_BYTES,	    /* plaintext bytes captured */
	CS_STAT_RB_FULL,    /* records dropped: ring buffer full */
	CS_STAT_BYTES_CUT,  /* plaintext bytes past the per-call cap */
	CS_STAT_BYTES_LOST, /* plaintext bytes in records dropped for ring-buffer space */
	CS_STAT_MISSED_RET, /* return probe without a saved entry (or entry map full) */
	CS_STAT_READ_FAIL,  /* bpf_probe_read_user failed */
	CS_STAT_HOLD_FAIL,  /* exec not held: held map full or the signal refused */
	CS_STAT_MAX,
};

#endif
