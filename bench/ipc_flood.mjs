// SPDX-License-Identifier: MIT
// ipc_flood.mjs - the flooding containers of bench/run-ipc-load.sh: GROUPS
// group directories each get TASKS findings tasks at once (the worst case: a
// family that is nowhere in the log, limit 500, so each reads its whole byte
// budget), written as the MCP server writes them (.tmp, then rename). Then
// for SECONDS it samples how old state.json is every 100 ms and counts the
// answers that arrive (answers/s: from the first task written to the last
// answer, or over the whole window when not all came). Prints one JSON object.
// usage: node ipc_flood.mjs IPC_ROOT STATE_FILE GROUPS TASKS SECONDS
import { mkdirSync, writeFileSync, renameSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [root, stateFile, groupsArg, tasksArg, secondsArg] = process.argv.slice(2);
const groups = Number(groupsArg), tasks = Number(tasksArg), seconds = Number(secondsArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const answered = () => {
  let n = 0;
  for (let g = 0; g < groups; g++) {
    try {
      n += readdirSync(join(root, `g${g}`, 'clawsec_results')).filter((f) => f.endsWith('.json')).length;
    } catch {
      // no answer yet: the host creates the directory with the first one
    }
  }
  return n;
};

const ts = new Date().toISOString();
for (let g = 0; g < groups; g++) mkdirSync(join(root, `g${g}`, 'clawsec_tasks'), { recursive: true });
const t0 = Date.now();
for (let i = 0; i < tasks; i++) {
  for (let g = 0; g < groups; g++) {
    const id = `g${g}-q${i}`;
    const file = join(root, `g${g}`, 'clawsec_tasks', `${t0}-${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({
      type: 'clawsec_traffic_findings', requestId: id, groupFolder: `g${g}`, timestamp: ts,
      timeout_ms: 600000, args: { pattern: 'reverse_shell', limit: 500 },
    }));
    renameSync(`${file}.tmp`, file);
  }
}
const written = Date.now();
let maxAgeMs = 0, samples = 0, n = 0, allDoneMs = null;
while (Date.now() - written < seconds * 1000) {
  await sleep(100);
  const age = Date.now() - statSync(stateFile).mtimeMs;
  maxAgeMs = Math.max(maxAgeMs, age);
  samples++;
  if (allDoneMs === null && (n = answered()) === groups * tasks) allDoneMs = Date.now() - t0;
}
if (allDoneMs === null) n = answered();
// Answers per second while there was work: up to the last answer, or the whole window.
const busyS = (allDoneMs ?? Date.now() - t0) / 1000;
console.log(JSON.stringify({
  groups, tasks_per_group: tasks, tasks_written: groups * tasks, write_ms: written - t0,
  seconds, answered: n, all_answered_after_ms: allDoneMs, answers_per_sec: +(n / busyS).toFixed(1),
  state_max_age_ms: Math.round(maxAgeMs), state_samples: samples,
}));
