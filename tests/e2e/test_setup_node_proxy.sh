#!/usr/bin/env bash
# `setup`'s container wiring, used as printed by a real Node 22 client
# (issue 14): fetch() with exactly the variables setup prints goes through
# the proxy (the proxy logs the FAKE key it carried, redacted); the same
# environment without NODE_USE_ENV_PROXY=1 goes straight past it, which is
# why setup prints that variable.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

NODE22=$NODE_DIR/node_modules/node22/bin/node
[[ -x $NODE22 ]] || fail "no Node 22 at $NODE22 (tests/fixtures/node: npm ci)"

# The config refuses port 0: take a port the kernel just handed out.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
	console.log(s.address().port); s.close(); })')
# The origin on 127.0.0.2: not covered by the printed NO_PROXY (localhost,127.0.0.1).
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
node -e '
const net = require("net"), fs = require("fs");
const srv = net.createServer((s) => {
	let got = "";
	s.on("data", (d) => { got += d; fs.appendFileSync(process.argv[1], d);
		const h = got.indexOf("\r\n\r\n"), m = /content-length: *(\d+)/i.exec(got);
		if (h >= 0 && got.length >= h + 4 + (m ? +m[1] : 0)) s.end(fs.readFileSync(process.argv[2])); });
});
srv.listen(0, "127.0.0.2", () => console.log("listening " + srv.address().port));' \
	"$work/origin.rec" "$work/reply-ok" >"$work/origin.log" 2>&1 &
pids+=($!)
up=$(wait_line "$work/origin.log" '^listening [0-9]+$')
# Undici tunnels plain http:// through CONNECT too: the proxy's destination
# policy must allow the loopback origin and its port explicitly.
allow_cidrs='["127.0.0.2/32"]' write_config "$work/cfg.json" "\"connect_ports\": [$up]"
sed -i "s/127.0.0.1:10255/127.0.0.1:$port/" "$work/cfg.json"
"$CS_CLI" setup --config "$work/cfg.json" >"$work/setup.out" 2>&1 || fail "setup: $(cat "$work/setup.out")"
grep -q "NODE_USE_ENV_PROXY=1: Node's built-in fetch" "$work/setup.out" || fail "setup does not say why"
grep -q "Node 20 ignores" "$work/setup.out" || fail "setup does not warn about Node 20"

# The container environment exactly as printed; inside a container
# host.docker.internal is the host, here the proxy is on loopback.
mapfile -t wiring < <(sed -n '/^  Environment of the NanoClaw container ONLY/,/^  Both spellings/p' "$work/setup.out" |
	grep -E '^      [A-Za-z_]+=' | sed -e 's/^ *//' -e 's/host\.docker\.internal/127.0.0.1/')
printf '%s\n' "${wiring[@]}" | grep -qx "NODE_USE_ENV_PROXY=1" || fail "NODE_USE_ENV_PROXY=1 not printed"
[[ ${#wiring[@]} -eq 7 ]] || fail "unexpected wiring: ${wiring[*]}"

"$CS_CLI" proxy --config "$work/cfg.json" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_line "$work/proxy.log" "listening on 127.0.0.1:$port," >/dev/null

key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS1%.0s' {1..6})AA"
# fetch N [VAR=...]: Node 22 POSTs the key with the wiring (plus/minus changes).
fetch() {
	local n=$1
	shift
	env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u NO_PROXY -u no_proxy \
		"$@" "$NODE22" -e '
fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" },
	body: JSON.stringify({ n: +process.argv[2], content: "my key is " + process.argv[3] }) })
	.then(async (r) => { console.log(r.status, await r.text()); })
	.catch((e) => { console.error(e); process.exit(1); });' \
		"http://127.0.0.2:$up/v1/messages" "$n" "$key" >"$work/client$n.log" 2>&1 ||
		fail "Node 22 client $n: $(cat "$work/client$n.log")"
	grep -qx "200 ok" "$work/client$n.log" || fail "client $n: $(cat "$work/client$n.log")"
}

# 1. Without NODE_USE_ENV_PROXY, Node 22's fetch ignores the proxy variables.
mapfile -t without < <(printf '%s\n' "${wiring[@]}" | grep -v '^NODE_USE_ENV_PROXY=')
fetch 1 "${without[@]}"
grep -q '"n":1' "$work/origin.rec" || fail "origin did not get request 1"
sleep 0.5
findings | grep -q ai_api_key && fail "request 1 went through the proxy without NODE_USE_ENV_PROXY?"

# 2. With the wiring as printed: through the proxy, which logs the key redacted.
fetch 2 "${wiring[@]}"
grep -q '"n":2' "$work/origin.rec" || fail "origin did not get request 2"
wait_finding ai_api_key || fail "no finding: Node 22 fetch did not go through the proxy"
findings | grep -q '"source":"proxy/127.0.0.1:' || fail "finding source is not the proxy"
[[ $(findings | grep -c ai_api_key) -eq 1 ]] || fail "expected exactly one finding: $(findings)"
findings | grep -qF "$key" && fail "the raw key reached the findings log"
grep -qF "$key" "$work/proxy.log" && fail "the raw key reached the proxy's output"
echo "ok: Node 22 fetch goes through the proxy with setup's wiring, and past it without NODE_USE_ENV_PROXY"
