// Writes N tasks into each of several group directories at once, the way the
// MCP server does (.tmp, then rename), waits for every answer and checks each
// request was answered exactly once, correctly, in its own group.
// usage: node service_load.mjs IPC_ROOT GROUPS PER_GROUP TIMEOUT_MS
import { mkdir, writeFile, rename, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const [root, groupsArg, perArg, timeoutArg] = process.argv.slice(2);
const groups = Array.from({ length: Number(groupsArg) }, (_, i) => `g${i}`);
const per = Number(perArg);
const types = ['clawsec_traffic_status', 'clawsec_traffic_findings', 'clawsec_traffic_check_config'];

async function writeTask(group, i) {
  const dir = join(root, group, 'clawsec_tasks');
  const id = `${group}-req-${i}`;
  const name = `${Date.now()}-${id}.json`;
  const task = {
    type: types[i % types.length], requestId: id, groupFolder: group,
    timestamp: new Date().toISOString(), timeout_ms: 120000, args: {},
  };
  await writeFile(join(dir, `${name}.tmp`), JSON.stringify(task));
  await rename(join(dir, `${name}.tmp`), join(dir, name));
  return { group, id, type: task.type };
}

const start = Date.now();
await Promise.all(groups.map((g) => mkdir(join(root, g, 'clawsec_tasks'), { recursive: true })));
const jobs = [];
for (let i = 0; i < per; i++) for (const g of groups) jobs.push(writeTask(g, i));
const tasks = await Promise.all(jobs);
const written = Date.now();

const pending = new Map(tasks.map((t) => [`${t.group}/${t.id}`, t]));
const deadline = start + Number(timeoutArg);
while (pending.size && Date.now() < deadline) {
  for (const [key, t] of pending) {
    let text;
    try {
      text = await readFile(join(root, t.group, 'clawsec_results', `${t.id}.json`), 'utf8');
    } catch {
      continue;
    }
    const r = JSON.parse(text);
    if (r.requestId !== t.id || r.type !== t.type || r.ok !== true)
      throw new Error(`bad answer for ${key}: ${text.slice(0, 300)}`);
    pending.delete(key);
  }
  if (pending.size) await new Promise((res) => setTimeout(res, 50));
}
if (pending.size) throw new Error(`${pending.size} tasks unanswered, e.g. ${[...pending.keys()][0]}`);
const done = Date.now();

// Exactly one result per task, nothing left to do, and no answer in a foreign group.
for (const g of groups) {
  const results = (await readdir(join(root, g, 'clawsec_results'))).filter((n) => !n.startsWith('.'));
  const left = await readdir(join(root, g, 'clawsec_tasks'));
  if (results.length !== per) throw new Error(`${g}: ${results.length} results, expected ${per}`);
  if (results.some((n) => !n.startsWith(`${g}-req-`))) throw new Error(`${g}: foreign result`);
  if (left.length) throw new Error(`${g}: ${left.length} task files left`);
}
console.log(JSON.stringify({ tasks: tasks.length, groups: groups.length, write_ms: written - start,
  answer_ms: done - start, tasks_per_sec: Math.round(tasks.length / ((done - start) / 1000)) }));
