#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# NanoClaw v2's host process runs on Node >= 22. A Node 22 from the committed
# lockfile (tests/fixtures/node: node22) making fetch() calls: the agent
# attaches to the OpenSSL that official Node 22 builds export
# (static_openssl) and reports exactly the three findings of its traffic, as
# test_agent_tls.sh checks for the system node. That the default matcher
# finds `node22 dist/index.js` in a NanoClaw checkout is test_targets'
# test_default_matcher_node22: run here with traffic, such a process would be
# picked up by every other agent test running on this machine (each has the
# default matcher) and add findings to their logs, so this one is named by pid.
source "$(dirname "$0")/agent_lib.sh"
setup
node22=$FIXTURES/node_modules/node22/bin/node
[[ -x $node22 ]] || fail "$node22 is missing: run scripts/setup.sh (npm ci of tests/fixtures/node)"
[[ $("$node22" --version) == v22.* ]] || fail "$node22 is $("$node22" --version), not Node 22"
start_server
NODE=$node22 start_client host "https://localhost:$PORT/v1/messages"
host=$CLIENT_PID

start_agent --pid "$host"
wait_for 10 target_attached "$host" || fail "Node 22 process $host not attached"
[[ $(state "(t => t.tls_path + ' ' + t.binary)(s.targets.find(t => t.pid === $host))") == \
	"static_openssl $(readlink -f "$node22")" ]] ||
	fail "not attached to Node 22's exported OpenSSL: $(state "JSON.stringify(s.targets)")"
go_and_wait host "$host"
expect_tls_findings "$PORT" "node/$host"
stop_agent
no_raw_secrets
say "ok"
