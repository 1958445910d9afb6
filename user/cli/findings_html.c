// SPDX-License-Identifier: MIT
/*
 * findings_html.c - `findings --html FILE`: one self-contained page. The
 * findings go in as JSON inside a <script type="application/json"> block
 * (every '<' escaped, so no value can close it); the page's own script
 * builds the views with textContent only, never markup from the data, and a
 * Content-Security-Policy forbids loading anything from anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "findings_follow.h"

#define PROG "clawsec-traffic findings"

static const char head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
	"<title>clawsec traffic findings</title>\n<style>\n"
	"body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.3em} h2{font-size:1.05em;margin-top:1.5em}\n"
	".cards span{display:inline-block;margin-right:1.5em}\n"
	"table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
	"text-align:left;vertical-align:top}\n"
	"td.n{text-align:right} .snip{font-family:monospace;max-width:50em;word-break:break-all}\n"
	".critical{color:#b00020} .high{color:#d35400} .medium{color:#9a7d0a} .low{color:#2e7d32}\n"
	"#counts{display:flex;gap:3em} svg{border:1px solid #ccc;background:#fafafa}\n"
	"</style></head><body>\n"
	"<h1>clawsec traffic guardian: findings</h1>\n"
	"<p class=\"cards\"><span>total <b id=\"total\">0</b></span>"
	"<span class=\"critical\">critical <b id=\"sev-critical\">0</b></span>"
	"<span class=\"high\">high <b id=\"sev-high\">0</b></span>"
	"<span class=\"medium\">medium <b id=\"sev-medium\">0</b></span>"
	"<span class=\"low\">low <b id=\"sev-low\">0</b></span></p>\n"
	"<h2>Timeline by severity</h2>\n"
	"<svg id=\"timeline\" width=\"960\" height=\"160\" role=\"img\" "
	"aria-label=\"findings over time, stacked by severity\"></svg>\n"
	"<div id=\"counts\"><div><h2>By pattern</h2><table id=\"by-pattern\"><thead><tr>"
	"<th>pattern</th><th>findings</th></tr></thead><tbody></tbody></table></div>\n"
	"<div><h2>By destination</h2><table id=\"by-dest\"><thead><tr><th>destination</th>"
	"<th>findings</th></tr></thead><tbody></tbody></table></div></div>\n"
	"<h2>Findings</h2>\n<p><input id=\"filter\" placeholder=\"filter: any text\" size=\"40\"> "
	"<select id=\"minsev\"><option value=\"low\">all severities</option>"
	"<option value=\"medium\">medium and above</option><option value=\"high\">high and "
	"above</option><option value=\"critical\">critical</option></select> "
	"<span id=\"shown\"></span> shown</p>\n"
	"<table id=\"findings\"><thead><tr><th>time (UTC)</th><th>severity</th><th>dir</th>"
	"<th>pattern</th><th>destination</th><th>source</th><th>snippet (redacted)</th></tr>"
	"</thead><tbody></tbody></table>\n"
	"<script type=\"application/json\" id=\"data\">";

static const char tail[] =
	"</script>\n<script>\n"
	"'use strict';\n"
	"const data = JSON.parse(document.getElementById('data').textContent);\n"
	"const SEV = ['critical', 'high', 'medium', 'low'];\n"
	"const COLOR = {critical: '#b00020', high: '#d35400', medium: '#e0b000', low: '#2e7d32'};\n"
	"const $ = (id) => document.getElementById(id);\n"
	"function el(tag, text, cls) { const e = document.createElement(tag);"
	" if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls;"
	" return e; }\n"
	"$('total').textContent = data.length;\n"
	"for (const s of SEV) $('sev-' + s).textContent = data.filter((f) => f.severity === "
	"s).length;\n"
	"function fillCounts(id, key) {\n"
	"  const m = new Map();\n"
	"  for (const f of data) m.set(f[key], (m.get(f[key]) || 0) + 1);\n"
	"  const rows = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));\n"
	"  const tb = document.querySelector('#' + id + ' tbody');\n"
	"  for (const [k, n] of rows) { const tr = el('tr'); const c = el('td', n, 'n');"
	" c.dataset.key = k; tr.append(el('td', k), c); tb.append(tr); }\n"
	"}\n"
	"fillCounts('by-pattern', 'pattern');\n"
	"fillCounts('by-dest', 'dest');\n"
	"function timeline() {\n"
	"  const svg = $('timeline'), NS = 'http://www.w3.org/2000/svg', W = 960, H = 160, B = "
	"48;\n"
	"  if (!data.length) return;\n"
	"  const t = data.map((f) => Date.parse(f.timestamp));\n"
	"  const lo = Math.min(...t), hi = Math.max(...t) + 1, step = (hi - lo) / B;\n"
	"  const buckets = Array.from({length: B}, () => ({critical: 0, high: 0, medium: 0, "
	"low: 0}));\n"
	"  data.forEach((f, i) => { buckets[Math.min(B - 1, Math.floor((t[i] - lo) / "
	"step))][f.severity]++; });\n"
	"  const max = Math.max(...buckets.map((b) => SEV.reduce((s, k) => s + b[k], 0)));\n"
	"  buckets.forEach((b, i) => { let y = H - 14;\n"
	"    for (const s of SEV.slice().reverse()) { if (!b[s]) continue;\n"
	"      const h = (H - 20) * b[s] / max, r = document.createElementNS(NS, 'rect');\n"
	"      r.setAttribute('x', i * W / B + 1); r.setAttribute('width', W / B - 2);\n"
	"      r.setAttribute('y', y - h); r.setAttribute('height', h);"
	" r.setAttribute('fill', COLOR[s]);\n"
	"      r.dataset.severity = s; r.dataset.count = b[s]; svg.append(r); y -= h; } });\n"
	"  const label = (x, text, anchor) => { const e = document.createElementNS(NS, 'text');"
	" e.setAttribute('x', x); e.setAttribute('y', H - 2); e.setAttribute('font-size', 11);"
	" e.setAttribute('text-anchor', anchor); e.textContent = text; svg.append(e); };\n"
	"  label(2, new Date(lo).toISOString().slice(0, 19) + 'Z', 'start');\n"
	"  label(W - 2, new Date(hi).toISOString().slice(0, 19) + 'Z', 'end');\n"
	"}\n"
	"timeline();\n"
	"const tbody = document.querySelector('#findings tbody');\n"
	"const rows = data.map((f) => { const tr = el('tr', undefined, 'row');\n"
	"  tr.append(el('td', f.timestamp.replace('T', ' ').slice(0, 19)),"
	" el('td', f.severity, f.severity), el('td', f.direction === 'outbound' ? 'out' : 'in'),"
	" el('td', f.pattern), el('td', f.dest), el('td', f.source), el('td', f.snippet, "
	"'snip'));\n"
	"  tr.dataset.severity = f.severity;"
	" tr.dataset.text = Object.values(f).join(' ').toLowerCase();\n"
	"  tbody.append(tr); return tr; });\n"
	"function applyFilter() {\n"
	"  const q = $('filter').value.toLowerCase(), min = SEV.indexOf($('minsev').value);\n"
	"  let n = 0;\n"
	"  for (const tr of rows) { const ok = tr.dataset.text.includes(q) &&"
	" SEV.indexOf(tr.dataset.severity) <= min; tr.hidden = !ok; n += ok; }\n"
	"  $('shown').textContent = n;\n"
	"}\n"
	"$('filter').addEventListener('input', applyFilter);\n"
	"$('minsev').addEventListener('change', applyFilter);\n"
	"applyFilter();\n"
	"</script>\n</body></html>\n";

struct collect {
	cJSON *arr;
};

static int add(void *ctx, const struct cs_finding *f)
{
	struct collect *c = ctx;
	cJSON *o = cs_finding_to_json(f);

	if (!o || !cJSON_AddItemToArray(c->arr, o)) {
		cJSON_Delete(o);
		return 1;
	}
	return 0;
}

/* The JSON with every '<' as \u003c: nothing in a value can end the script block. */
static int write_data(FILE *out, const char *json)
{
	for (const char *p = json; *p; p++)
		if ((*p == '<' ? fputs("\\u003c", out) : fputc(*p, out)) == EOF)
			return -1;
	return 0;
}

int cs_findings_html(const char *log_dir, const struct cs_findings_query *q, const char *path)
{
	struct collect c = {.arr = cJSON_CreateArray()};
	char *json = NULL;
	long n = c.arr ? cs_logstore_query(log_dir, q, add, &c, NULL) : -ENOMEM;
	int fd, rc = -1;
	FILE *out;

	if (n < 0 || !(json = cJSON_PrintUnformatted(c.arr))) {
		fprintf(stderr, PROG ": cannot read the findings in %s: %s\n", log_dir,
			strerror(n < 0 ? (int)-n : ENOMEM));
		cJSON_Delete(c.arr);
		return -1;
	}
	cJSON_Delete(c.arr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(json);
		return -1;
	}
	if (fputs(head, out) != EOF && write_data(out, json) == 0 && fputs(tail, out) != EOF)
		rc = 0;
	if (fclose(out) || rc) {
		fprintf(stderr, PROG ": writing %s failed\n", path);
		rc = -1;
	}
	free(json);
	return rc;
}
