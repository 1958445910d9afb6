#!/usr/bin/env python3
"""Fill a findings log store for IPC load tests and benchmarks.

usage: fill_log_store.py LINE_FILE LOG_DIR FILES MIB
Writes findings.jsonl and findings.jsonl.1 .. .FILES-1, each about MIB MiB of
copies of the finding line in LINE_FILE (a real line from the writer), mode
0600 in a 0700 directory, as the service expects.
"""
import os
import sys

line_file, log_dir, files, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(line_file, 'rb') as f:
    line = f.readline()
if not line.endswith(b'\n'):
    sys.exit('the line file holds no complete line')
os.makedirs(log_dir, mode=0o700, exist_ok=True)
os.chmod(log_dir, 0o700)
chunk = line * max(1, (1 << 20) // len(line))
for i in range(files):
    name = os.path.join(log_dir, 'findings.jsonl' + ('' if i == 0 else f'.{i}'))
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as out:
        for _ in range(mib):
            out.write(chunk)
    os.chmod(name, 0o600)
