#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# mk_go_seed.py OUT: the seed of fuzz_gofunc, a 12 KiB x86-64 ELF shaped like a
# Go 1.19 executable: a text segment with crypto/tls.(*Conn).Write, .Read (two
# RETs) and one more function, a read-only segment opening with the build info
# (go1.19.8) and holding a Go 1.18+ pclntab that names them. A real Go binary
# (megabytes) would make the fuzzer slow; this reaches every parser path.
import struct
import sys

TEXT_VA, RO_VA = 0x401000, 0x402000
write_fn = b"\xc3".ljust(0x20, b"\xcc")
read_fn = bytes.fromhex("4885c07401c331c0c3").ljust(0x20, b"\xcc")  # test rax; je; ret; xor; ret
other_fn = b"\xc3".ljust(0x20, b"\xcc")
text = write_fn + read_fn + other_fn
entries = [0, 0x20, 0x40, len(text)]  # relative to textStart; the last is the end

names = [b"crypto/tls.(*Conn).Write", b"crypto/tls.(*Conn).Read", b"main.main"]
nametab, name_offs = b"", []
for n in names:
    name_offs.append(len(nametab))
    nametab += n + b"\0"

HDR = 72
names_off = HDR
pcln_off = (HDR + len(nametab) + 7) & ~7
functab_len = 8 * len(entries)
funcs = b""
functab = b""
for i, e in enumerate(entries):
    funcoff = functab_len + 16 * i if i < len(names) else 0
    functab += struct.pack("<II", e, funcoff)
for i in range(len(names)):
    funcs += struct.pack("<Ii8x", entries[i], name_offs[i])
hdr = struct.pack("<IBBBBQQQQQQQQ", 0xFFFFFFF0, 0, 0, 1, 8, len(names), 0, TEXT_VA,
                  names_off, 0, 0, 0, pcln_off)
pcln = (hdr + nametab).ljust(pcln_off, b"\0") + functab + funcs

ver = b"go1.19.8"
buildinfo = (b"\xff Go buildinf:" + bytes([8, 2])).ljust(32, b"\0") + bytes([len(ver)]) + ver + b"\0"
ro = buildinfo.ljust(0x100, b"\0") + pcln

ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 62, 1,
                   TEXT_VA, 64, 0, 0, 64, 56, 2, 64, 0, 0)
PF_X, PF_R = 1, 4
phdrs = struct.pack("<IIQQQQQQ", 1, PF_R | PF_X, 0x1000, TEXT_VA, TEXT_VA, len(text), len(text), 0x1000)
phdrs += struct.pack("<IIQQQQQQ", 1, PF_R, 0x2000, RO_VA, RO_VA, len(ro), len(ro), 0x1000)
img = (ehdr + phdrs).ljust(0x1000, b"\0") + text.ljust(0x1000, b"\0") + ro
with open(sys.argv[1], "wb") as f:
    f.write(img)
