#!/usr/bin/env bash
# Regenerate the "sbom" of skill.json: every file the skill ships, with its
# SHA-256. Shipped = the tracked files needed to build, install and operate the
# guardian (sources, build files, scripts, the systemd unit, the docs); tests,
# benchmarks and CI are not shipped. skill.json itself cannot list its own hash.
#   scripts/gen-sbom.sh           rewrite skill.json
#   scripts/gen-sbom.sh --check   exit 1 (and say what differs) if skill.json is stale
# Outside a git checkout (an unpacked release) the list comes from skill.json.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-write}
[[ $mode == write || $mode == --check ]] || { echo "usage: gen-sbom.sh [--check]" >&2; exit 2; }
command -v node >/dev/null || { echo "gen-sbom: needs node (scripts/setup.sh installs it)" >&2; exit 1; }

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files -- README.md SKILL.md INSTALL.md CMakeLists.txt .clang-format \
		bpf detector user mcp scripts docs | LC_ALL=C sort)
else
	files=$(node -e 'for (const f of require("./skill.json").sbom.files) console.log(f.path)')
fi
# "path<TAB>sha256" lines; a listed file that is missing fails the check.
# Writing hashes what git will commit (the index), so edits in progress in the
# working tree do not leak into skill.json; checking hashes the files on disk,
# which are what gets built.
hash_of() {
	if [[ $mode == write && -n ${in_git:-} ]]; then
		git show ":$1" | sha256sum | cut -d' ' -f1
	else
		sha256sum -- "$1" | cut -d' ' -f1
	fi
}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=1
listing=$(while IFS= read -r f; do
	[[ -n $f ]] || continue
	if [[ -f $f ]]; then
		printf '%s\t%s\n' "$f" "$(hash_of "$f")"
	else
		printf '%s\t%s\n' "$f" missing
	fi
done <<<"$files")

MODE=$mode node - "$listing" <<'JS'
const fs = require('fs');
const describe = (p) => {
  const rules = [
    [/^README\.md$/, 'Overview and the two commands (demo, tests)', false],
    [/^SKILL\.md$/, 'Skill safety contract and what the container sees', true],
    [/^INSTALL\.md$/, 'NanoClaw host installation', true],
    [/^docs\//, 'Documentation', false],
    [/^bpf\//, 'eBPF capture programs, built on the host', true],
    [/^detector\//, 'Detection library: decoders, pattern registry, redaction, JSONL writer', true],
    [/^user\/agent\//, 'eBPF agent: targets, probes, flow reassembly', true],
    [/^user\/service\//, 'Host service: config, IPC tasks, state, log store', true],
    [/^user\/proxy\//, 'Optional explicit proxy and its CA', true],
    [/^user\/cli\//, 'The clawsec-traffic command', true],
    [/^mcp\//, 'MCP server run inside the agent container', true],
    [/^scripts\/clawsec-traffic\.service$/, 'systemd unit for the agent', true],
    [/^scripts\//, 'Setup, build, install and packaging scripts', true],
    [/./, 'Build definition', true],
  ];
  const [, description, required] = rules.find(([re]) => re.test(p));
  return { description, required };
};
const files = process.argv[2].split('\n').filter(Boolean).map((line) => {
  const [path, sha256] = line.split('\t');
  return { path, sha256, ...describe(path) };
});
const skill = JSON.parse(fs.readFileSync('skill.json', 'utf8'));
if (process.env.MODE === '--check') {
  const want = new Map(files.map((f) => [f.path, f.sha256]));
  const have = new Map((skill.sbom?.files || []).map((f) => [f.path, f.sha256]));
  const problems = [];
  for (const [p, h] of want) {
    if (h === 'missing') problems.push(`missing file: ${p}`);
    else if (!have.has(p)) problems.push(`not in skill.json: ${p}`);
    else if (have.get(p) !== h) problems.push(`changed: ${p}`);
  }
  for (const p of have.keys()) if (!want.has(p)) problems.push(`no longer shipped: ${p}`);
  for (const line of problems) console.error(`gen-sbom: ${line}`);
  console.log(problems.length ? `gen-sbom: skill.json is stale (${problems.length})` :
    `gen-sbom: skill.json lists all ${files.length} shipped files, hashes match`);
  process.exit(problems.length ? 1 : 0);
}
const bad = files.filter((f) => f.sha256 === 'missing');
if (bad.length) { console.error(`gen-sbom: missing ${bad.map((f) => f.path).join(', ')}`); process.exit(1); }
skill.sbom = { generator: 'scripts/gen-sbom.sh', algorithm: 'sha256', files };
fs.writeFileSync('skill.json', JSON.stringify(skill, null, 2) + '\n');
console.log(`gen-sbom: wrote ${files.length} files to skill.json`);
JS
