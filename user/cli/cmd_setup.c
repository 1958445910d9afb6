/* SPDX-License-Identifier: MIT */
/*
 * cmd_setup.c - `clawsec-traffic setup`: print safe setup text for this
 * machine. It reads the configuration and the CA certificate and changes
 * nothing: every command it shows is for the operator to review and run,
 * and trust or proxy settings are only ever per container, never global.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cli_config.h"
#include "commands.h"

#define PROG "clawsec-traffic setup"
#define IN_CONTAINER_CA "/etc/clawsec-traffic/ca.crt"

static void usage(FILE *out)
{
	fprintf(out, "usage: clawsec-traffic setup [--config FILE]\n\n"
		     "Print what the guardian observes on this machine, where findings go, how to\n"
		     "run it, and (proxy mode) the exact container wiring and trust commands.\n"
		     "Nothing is applied: the text is for the operator to review.\n");
}

/* IPv4 address of the docker0 bridge, the host as Linux containers see it; "" if none. */
static void docker0_addr(char *out, size_t len)
{
	struct ifaddrs *ifs, *i;

	out[0] = '\0';
	if (getifaddrs(&ifs))
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, "docker0")) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out,
				  len);
			break;
		}
	}
	freeifaddrs(ifs);
}

static const char *port_of(const char *listen)
{
	const char *c = strrchr(listen, ':');

	return c ? c + 1 : CS_PROXY_DEFAULT_PORT;
}

static void observed(const struct cs_config *c)
{
	printf("What is observed\n"
	       "  - eBPF capture (`clawsec-traffic agent`, root): the plaintext that NanoClaw's "
	       "host\n"
	       "    process and its containers (nanoclaw-*) pass to OpenSSL, plus plain TCP; "
	       "runtimes\n"
	       "    with stripped static TLS (Bun single-file executables) are reported as not "
	       "visible.\n"
	       "  - Proxy mode: %s\n"
	       "  - Outbound requests are checked for secret exfiltration, inbound responses for\n"
	       "    command injection, through chunked, gzip, JSON escapes and base64.\n\n",
	       c->proxy_enabled ? "ON - traffic of containers pointed at the proxy"
				: "off (proxy.enabled = false)");
	printf("Nothing is blocked\n"
	       "  The guardian only detects and logs (mode \"%s\"); traffic is forwarded "
	       "unchanged\n"
	       "  whatever is found, and no code path exists that could block it.\n\n",
	       c->mode);
	printf("Where findings go\n"
	       "  %s/findings.jsonl (redacted JSON lines, 0600, rotated), live counters in %s.\n"
	       "  `clawsec-traffic status` summarises; inside NanoClaw the MCP tools read "
	       "them.\n\n",
	       c->log_dir, c->state_file);
	printf("Run the agent (systemd unit shipped as scripts/clawsec-traffic.service)\n"
	       "  sudo install -m 0644 scripts/clawsec-traffic.service /etc/systemd/system/\n"
	       "  sudo systemctl daemon-reload && sudo systemctl enable --now clawsec-traffic\n"
	       "  Proxy alone, in the foreground: clawsec-traffic proxy --config %s\n\n",
	       c->config_path[0] ? c->config_path : "<config.json>");
}

static void reachability(const struct cs_config *c, const char *port)
{
	char gw[INET_ADDRSTRLEN];

	docker0_addr(gw, sizeof(gw));
	printf("  The proxy listens on %s.\n", c->proxy_listen);
	if (!strncmp(c->proxy_listen, "127.", 4) || !strncmp(c->proxy_listen, "localhost:", 10))
		printf("  A loopback address is NOT reachable from containers: set proxy.listen to "
		       "the\n"
		       "  bridge address%s%s%s (not 0.0.0.0 unless a firewall keeps others out).\n",
		       gw[0] ? " (docker0 here: " : "", gw, gw[0] ? ")" : "");
	printf("  WARNING: the proxy connects wherever a client asks, including this host's\n"
	       "  loopback services (127.0.0.1:*). Listen on the Docker bridge address, not\n"
	       "  0.0.0.0, and consider a host firewall rule so that only the containers\n"
	       "  reach the proxy port (see docs/proxy.md).\n");
	printf("  Linux Docker: start the NanoClaw container with\n"
	       "      --add-host=host.docker.internal:host-gateway\n"
	       "    and use http://host.docker.internal:%s as the proxy URL.\n"
	       "  Apple Container: use the host's address on the container network (the gateway\n"
	       "    of the container's default route, e.g. `ip route` inside it), port %s.\n\n",
	       port, port);
}

static void container_env(const struct cs_config *c, const char *port)
{
	printf("  Environment of the NanoClaw container ONLY (e.g. `-e` flags in its docker run\n"
	       "  arguments); never /etc/environment or a global proxy on the host:\n"
	       "      HTTP_PROXY=http://host.docker.internal:%1$s\n"
	       "      HTTPS_PROXY=http://host.docker.internal:%1$s\n"
	       "      NO_PROXY=localhost,127.0.0.1\n"
	       "      http_proxy=http://host.docker.internal:%1$s\n"
	       "      https_proxy=http://host.docker.internal:%1$s\n"
	       "      no_proxy=localhost,127.0.0.1\n"
	       "      NODE_USE_ENV_PROXY=1\n"
	       "  Both spellings: curl ignores uppercase HTTP_PROXY, other tools read only one.\n"
	       "  NODE_USE_ENV_PROXY=1: Node's built-in fetch (Node >= 22) ignores\n"
	       "  HTTPS_PROXY without it and goes straight past the proxy. Node 20 ignores the\n"
	       "  proxy variables entirely (fetch, the Anthropic SDK, ws): run the agent on\n"
	       "  Node >= 22 for the proxy to see its traffic.\n",
	       port);
	if (c->parent_proxy[0])
		printf("  Requests continue through the parent proxy %s (e.g. NanoClaw's "
		       "credential\n"
		       "  gateway), so the container keeps its gateway behind this proxy.\n",
		       c->parent_proxy);
	else
		printf("  If the container already uses a credential gateway through HTTPS_PROXY, "
		       "set\n"
		       "  proxy.parent_proxy to that gateway's http://host:port and point "
		       "HTTPS_PROXY here.\n");
	printf("\n");
}

static void host_trust(const struct cs_config *c, const struct cs_ca_paths *p)
{
	printf("  Host: NanoClaw's containers need no host trust change. Only if a host process "
	       "must\n"
	       "  go through the inspecting proxy, trust it for that process alone, e.g.\n"
	       "      NODE_EXTRA_CA_CERTS=%s node ...\n"
	       "      curl --proxy http://%s --cacert %s https://...\n"
	       "  A system-wide trust change (Debian: sudo cp %s\n"
	       "  /usr/local/share/ca-certificates/clawsec-traffic.crt && sudo "
	       "update-ca-certificates)\n"
	       "  makes every program on the host accept this CA: not recommended.\n"
	       "  Hosts that pin certificates belong in proxy.inspect_exclude (tunnelled, not "
	       "inspected).\n",
	       p->cert, c->proxy_listen, p->cert, p->cert);
}

/* The trust steps; -1 when the bundle cannot be offered to containers. */
static int trust(const struct cs_config *c)
{
	struct cs_ca_paths p;
	char colon[CS_FP_COLON_LEN], hex[CS_FP_HEX_LEN];

	if (!c->https_inspection) {
		printf("HTTPS inspection: off\n"
		       "  CONNECT tunnels are relayed opaque (nothing inside TLS is seen in proxy "
		       "mode).\n"
		       "  To inspect: set proxy.https_inspection = true, run `clawsec-traffic ca "
		       "init`,\n"
		       "  then run this command again for the trust steps.\n");
		return 0;
	}
	printf("HTTPS inspection: ON for ports");
	for (size_t i = 0; i < c->n_inspect_ports; i++)
		printf(" %u", c->inspect_ports[i]);
	printf("\n");
	if (cs_ca_paths(c, &p) || cs_ca_fingerprint_file(p.cert, colon, hex)) {
		printf("  No CA yet: run `clawsec-traffic ca init` (as the user running the "
		       "proxy).\n");
		return 0;
	}
	printf("  CA certificate (public, the only file a container gets): %s\n"
	       "  Its fingerprint - compare before trusting it:\n"
	       "      sha256 Fingerprint=%s\n"
	       "      check: openssl x509 -in %s -noout -fingerprint -sha256\n\n",
	       p.cert, colon, p.cert);
	const char *given = c->ca_bundle[0] ? c->ca_bundle : p.cert;
	char gcolon[CS_FP_COLON_LEN], ghex[CS_FP_HEX_LEN];

	/* Only a file proven to be this certificate is ever offered for mounting. */
	if (cs_ca_fingerprint_file(given, gcolon, ghex) || strcmp(ghex, hex)) {
		printf("  ERROR: proxy.ca_bundle (%s) is missing or is not this CA's certificate:\n"
		       "  no container mount is shown. Copy %s there again (after `ca init`/\n"
		       "  `ca rotate`) and run this command again.\n\n",
		       given, p.cert);
		return -1;
	}
	printf("  Container (run by you; nothing here is applied):\n"
	       "      mount read-only:  -v %s:%s:ro\n"
	       "      Node:             -e NODE_EXTRA_CA_CERTS=%s\n",
	       given, IN_CONTAINER_CA, IN_CONTAINER_CA);
	printf("      SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE replace the whole "
	       "store:\n"
	       "      point them at a bundle that has the system roots too. In a Debian-based "
	       "image:\n"
	       "          COPY ca.crt /usr/local/share/ca-certificates/clawsec-traffic.crt\n"
	       "          RUN update-ca-certificates\n"
	       "      then -e SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n"
	       "           -e REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt\n"
	       "           -e CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt\n\n");
	host_trust(c, &p);
	return 0;
}

int cmd_setup(int argc, char **argv)
{
	const char *config = NULL;
	struct cs_config *c;
	int rc = cli_config_opts(argc, argv, usage, &config);

	if (rc != CLI_GO_ON)
		return rc;
	if (optind != argc) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	c = cli_config_new(PROG, config);
	if (!c)
		return CS_EXIT_ERROR;
	rc = CS_EXIT_OK;
	printf("clawsec traffic guardian: setup for this machine (nothing below has been applied)\n"
	       "config: %s\n\n",
	       c->config_path[0] ? c->config_path : "(defaults)");
	observed(c);
	if (!c->proxy_enabled) {
		printf("Proxy mode: off. Use it for containers the eBPF capture cannot see: set\n"
		       "proxy.enabled = true and run this command again for the container "
		       "wiring.\n");
	} else {
		printf("Proxy mode: on\n");
		reachability(c, port_of(c->proxy_listen));
		container_env(c, port_of(c->proxy_listen));
		if (trust(c))
			rc = CS_EXIT_ERROR;
	}
	free(c);
	return rc;
}
