// SPDX-License-Identifier: MIT
/*
 * clawsec-traffic-mcp - stdio MCP server for the clawsec traffic guardian.
 * Runs inside a NanoClaw agent container and reaches the host service
 * through task files in the IPC directory the container shares with it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipc_client.h"
#include "server.h"
#include "tools.h"

#define EXIT_USAGE 2
#define TIMEOUT_DEFAULT_MS 5000
#define TIMEOUT_MAX_MS 600000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic-mcp [--ipc-dir DIR] [--timeout-ms N] [--group NAME]\n"
		"\n"
		"MCP server (JSON-RPC over stdin/stdout) with the tools clawsec_traffic_status,\n"
		"clawsec_traffic_findings and clawsec_traffic_check_config.\n"
		"\n"
		"  --ipc-dir DIR    directory shared with the host: tasks go to "
		"DIR/clawsec_tasks,\n"
		"                   answers come from DIR/clawsec_results (default /workspace/ipc\n"
		"                   when it exists, else /workspace)\n"
		"  --timeout-ms N   how long a tool call waits for the host, 1..%d (default %d)\n"
		"  --group NAME     groupFolder written in tasks (default $NANOCLAW_GROUP_FOLDER;\n"
		"                   informational: the host trusts the directory, not this)\n",
		TIMEOUT_MAX_MS, TIMEOUT_DEFAULT_MS);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* NanoClaw group names: ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ */
static bool valid_group(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '-' || s[0] == '_')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int parse_timeout(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > TIMEOUT_MAX_MS)
		return -1;
	*out = (int)v;
	return 0;
}

static int set_dir(struct mcp_ipc *ipc, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(ipc->dir) - 64)
		return -1;
	memcpy(ipc->dir, dir, n);
	ipc->dir[n] = '\0';
	return 0;
}

static int parse_args(int argc, char **argv, struct mcp_ipc *ipc)
{
	static const struct option opts[] = {
		{"ipc-dir", required_argument, NULL, 'd'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"group", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = is_dir("/workspace/ipc") ? "/workspace/ipc" : "/workspace";
	const char *group = getenv("NANOCLAW_GROUP_FOLDER");
	int c;

	ipc->timeout_ms = TIMEOUT_DEFAULT_MS;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &ipc->timeout_ms) != 0) {
				fprintf(stderr, "clawsec-traffic-mcp: --timeout-ms must be 1..%d\n",
					TIMEOUT_MAX_MS);
				return EXIT_USAGE;
			}
			break;
		case 'g':
			if (!valid_group(optarg)) {
				fprintf(stderr, "clawsec-traffic-mcp: --group must match "
						"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$\n");
				return EXIT_USAGE;
			}
			group = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", MCP_SERVER_NAME, MCP_SERVER_VERSION);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clawsec-traffic-mcp: unexpected argument %s\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (set_dir(ipc, dir) != 0) {
		fprintf(stderr, "clawsec-traffic-mcp: --ipc-dir is empty or too long\n");
		return EXIT_USAGE;
	}
	snprintf(ipc->group, sizeof(ipc->group), "%s",
		 group && valid_group(group) ? group : "unknown");
	return 0;
}

int main(int argc, char **argv)
{
	static struct mcp_ipc ipc;
	int rc = parse_args(argc, argv, &ipc);

	if (rc != 0)
		return rc;
	/* A client that goes away must not kill us mid-write: see EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	if (mcp_tools_init() != 0) {
		fprintf(stderr, "clawsec-traffic-mcp: cannot build the tool list\n");
		return 1;
	}
	rc = mcp_server_run(&ipc);
	mcp_tools_fini();
	return rc;
}
