// SPDX-License-Identifier: MIT
// Register the clawsec-traffic MCP server in a NanoClaw v2 group's
// container.json, the file v2 reads a group's extra MCP servers from
// (mcpServers: {name: {command, args, env}}); used by install-mcp.sh --v2.
//   node nanoclaw-v2-mcp.mjs check CHECKOUT FOLDER     refuse what register would refuse
//   node nanoclaw-v2-mcp.mjs register CHECKOUT FOLDER  add or update our entry only
//     (exit 3, with the entry to add, when the checkout keeps it in its DB instead)
// A container.json that is not a JSON object is refused, never rewritten;
// every other entry and key is kept; an unchanged file is not touched; the
// new file replaces the old atomically with the old one's mode and owner.
import fs from 'node:fs';
import path from 'node:path';

const NAME = 'clawsec-traffic';
const SKILL_DIR = '/app/skills/clawsec-traffic'; // container/skills, as v2 mounts it
const [mode, checkout, folder] = process.argv.slice(2);

function die(msg) {
  console.error(`install-mcp: ${msg}`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    die(`${file}: ${e.code === 'ENOENT' ? 'missing' : e.message}`);
  }
}

// Later NanoClaw v2 releases keep the group config in the central DB
// (data/v2.db, table container_configs) and rewrite container.json from it at
// every spawn: an edit of the file would be lost at the next container.
function dbBacked() {
  const sources = ['src/container-config.ts', 'dist/container-config.js'].map((f) => path.join(checkout, f));
  return sources.some((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('materializeContainerJson'));
}

function entry() {
  return { command: `${SKILL_DIR}/clawsec-traffic-mcp`, args: ['--group', folder], env: {} };
}

// A NanoClaw v2 checkout with this group, and a container.json we can edit.
function check() {
  if (!['check', 'register'].includes(mode) || !checkout || !folder) {
    die('usage: nanoclaw-v2-mcp.mjs check|register CHECKOUT FOLDER');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(folder)) die(`${folder}: not a group folder name`);
  const pkg = readJson(path.join(checkout, 'package.json'));
  if (pkg.name !== 'nanoclaw') die(`${checkout} is not a NanoClaw checkout (package.json name "${pkg.name}")`);
  const v2 = ['data/v2-sessions', 'src/container-config.ts', 'dist/container-config.js'];
  if (!v2.some((f) => fs.existsSync(path.join(checkout, f)))) {
    die(`${checkout} has none of ${v2.join(', ')}: not a NanoClaw v2 checkout (v1: INSTALL.md)`);
  }
  const groupDir = path.join(checkout, 'groups', folder);
  const st = fs.lstatSync(groupDir, { throwIfNoEntry: false });
  if (!st || !st.isDirectory()) die(`${groupDir} is not a directory: no group "${folder}" in this checkout`);
  const file = path.join(groupDir, 'container.json');
  const fst = fs.lstatSync(file, { throwIfNoEntry: false });
  if (fst && !fst.isFile()) die(`${file} is not a regular file`);
  const config = fst ? readJson(file) : {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) die(`${file} is not a JSON object`);
  const servers = config.mcpServers ?? {};
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) {
    die(`${file}: mcpServers is not an object`);
  }
  return { file, fst, config, servers };
}

function register({ file, fst, config, servers }) {
  const ours = entry();
  if (dbBacked()) {
    console.error(`install-mcp: the skill directory is installed, but this NanoClaw keeps mcpServers in ` +
      `data/v2.db (container_configs.mcp_servers) and rewrites ${file} from it at every spawn, so an ` +
      `edit of the file would not last. Add this entry to the group's mcp_servers the way your NanoClaw ` +
      `version edits group config (INSTALL.md, "NanoClaw v2"):\n  "${NAME}": ${JSON.stringify(ours)}`);
    process.exit(3);
  }
  if (JSON.stringify(servers[NAME]) === JSON.stringify(ours)) {
    console.log(`install-mcp: ${file} already registers ${NAME}`);
    return;
  }
  const next = { ...config, mcpServers: { ...servers, [NAME]: ours } };
  const tmp = `${file}.clawsec-${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: fst ? fst.mode & 0o777 : 0o644, flag: 'wx' });
  if (fst && process.getuid() === 0) fs.chownSync(tmp, fst.uid, fst.gid);
  fs.renameSync(tmp, file);
  console.log(`install-mcp: registered ${NAME} in ${file}`);
}

const found = check();
if (mode === 'register') register(found);
