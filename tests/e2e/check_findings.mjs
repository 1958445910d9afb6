// Reads JSONL on stdin and checks every line against docs/finding.schema.json.
// Usage: node check_findings.mjs SCHEMA < findings.jsonl ; prints the line count.
// The finding schema is flat, so this interprets exactly the keywords it uses
// and refuses any other (a check must never pass by skipping part of a schema).
import { readFileSync } from 'node:fs';

const schema = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const annotations = new Set(['$schema', '$id', 'title', 'description', '$comment']);

function check(s, v, where) {
  for (const [kw, arg] of Object.entries(s)) {
    if (annotations.has(kw) || kw === 'properties') continue;
    const bad = (why) => { throw new Error(`${where}: ${why}`); };
    switch (kw) {
      case 'type':
        if (arg === 'object' ? (typeof v !== 'object' || v === null || Array.isArray(v))
          : typeof v !== arg) bad(`not of type ${arg}`);
        break;
      case 'required':
        for (const k of arg) if (!(k in v)) bad(`missing ${k}`);
        break;
      case 'additionalProperties':
        if (arg !== false) bad('schema: only additionalProperties=false is supported');
        for (const k of Object.keys(v)) if (!(k in (s.properties || {}))) bad(`unexpected ${k}`);
        break;
      case 'const': if (v !== arg) bad(`${JSON.stringify(v)} is not ${arg}`); break;
      case 'enum': if (!arg.includes(v)) bad(`${JSON.stringify(v)} not in enum`); break;
      case 'pattern': if (!new RegExp(arg, 'u').test(v)) bad(`${v} does not match ${arg}`); break;
      case 'minLength': if ([...v].length < arg) bad(`shorter than ${arg}`); break;
      case 'maxLength': if ([...v].length > arg) bad(`longer than ${arg}`); break;
      default: bad(`schema: unsupported keyword ${kw}`);
    }
  }
  for (const [k, sub] of Object.entries(s.properties || {})) {
    if (k in v) check(sub, v[k], `${where}.${k}`);
  }
}

const lines = readFileSync(0, 'utf8').split('\n');
if (lines.pop() !== '') throw new Error('output does not end with a newline');
lines.forEach((line, i) => check(schema, JSON.parse(line), `line ${i + 1}`));
console.log(lines.length);
