#!/usr/bin/env bash
# Install what the project needs on Debian 12, idempotently and quietly:
# only missing packages are installed, and `apt-get update` runs only then.
# Then install the Node test fixtures from their committed lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential cmake pkg-config clang llvm libclang-rt-14-dev
	libbpf-dev bpftool libelf-dev zlib1g-dev libbrotli-dev
	libcjson-dev libpcre2-dev libcmocka-dev libssl-dev openssl
	iproute2 util-linux procps ca-certificates curl git wget
	libnghttp2-dev libzstd-dev libdw-dev libsystemd-dev
	mitmproxy prometheus rsyslog chromium systemd
	libcapstone-dev golang-go
)
# node and npm may come from elsewhere (NodeSource, nvm): any on PATH will do.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
# Extra packages for benchmarks: scripts/setup.sh --bench
if [[ "${1:-}" == "--bench" ]]; then
	# libgnutls28-dev: bench/clients/post_gnutls.c, the GnuTLS client of run-capture.sh
	packages+=(bpftrace wrk mitmproxy hyperfine libgnutls28-dev)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for dir in tests/fixtures/node; do
	if [[ -f "$dir/package-lock.json" ]]; then
		(cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null)
	fi
done
echo "setup: dependencies ready"
