#!/usr/bin/env bash
# One client cannot take every connection slot (issue 9: 1,100 idle sockets
# from one peer made the proxy refuse everyone else). With max_conns 60 and
# max_conns_per_client 20: a client on 127.0.0.1 holding 50 idle sockets keeps
# 20, the other 30 are closed at accept and counted; a further request from it
# is refused while a client on 127.0.0.2 is still served; once the first
# client lets go, it is served again.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node origin proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
origin=$PORT
write_config "$work/cfg.json" '"max_conns": 60, "max_conns_per_client": 20'
start_proxy proxy "$work/cfg.json" --state-file "$work/state.json"

cat >"$work/hog.js" <<'JS'
// node hog.js PROXY ORIGIN: 50 idle sockets from 127.0.0.1, then requests from both sources.
const net = require('net');
const [host, port] = process.argv[2].split(':');
const origin = process.argv[3];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const request = (localAddress) => new Promise((resolve) => {
	const s = net.connect({ host, port: +port, localAddress }, () =>
		s.write(`GET http://127.0.0.1:${origin}/ HTTP/1.1\r\nHost: x\r\n\r\n`));
	let got = '';
	s.on('data', (d) => (got += d));
	s.on('close', () => resolve(got.split('\r\n')[0] || 'closed without an answer'));
	s.on('error', () => {});
	setTimeout(() => s.destroy(), 3000);
});
(async () => {
	const hogs = [];
	let closed = 0;
	for (let i = 0; i < 50; i++) {
		const s = net.connect({ host, port: +port, localAddress: '127.0.0.1' });
		s.on('close', () => closed++);
		s.on('error', () => {});
		hogs.push(s);
	}
	await sleep(1000);
	console.log(`hog: ${50 - closed} held, ${closed} closed by the proxy`);
	console.log(`same client: ${await request('127.0.0.1')}`);
	console.log(`other client: ${await request('127.0.0.2')}`);
	hogs.forEach((s) => s.destroy());
	await sleep(500);
	console.log(`same client after: ${await request('127.0.0.1')}`);
	process.exit(0);
})();
JS
node "$work/hog.js" "$ADDR" "$origin" >"$work/hog.out" 2>&1 || fail "hog: $(cat "$work/hog.out")"
cat "$work/hog.out"
grep -qx 'hog: 20 held, 30 closed by the proxy' "$work/hog.out" || fail "per-client limit not applied"
grep -qx 'same client: closed without an answer' "$work/hog.out" || fail "the hog got a 21st connection"
grep -qx 'other client: HTTP/1.1 200 OK' "$work/hog.out" || fail "the other client was not served"
grep -qx 'same client after: HTTP/1.1 200 OK' "$work/hog.out" || fail "slots not given back"
for ((i = 0; i < 30; i++)); do
	node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1])).proxy;
		process.exit(p.refused_per_client === 31 && p.refused === 0 ? 0 : 1)' "$work/state.json" 2>/dev/null && break
	sleep 0.1
done
((i < 30)) || fail "refusals not counted: $(cat "$work/state.json")"
echo "ok: per-client connection limit"
