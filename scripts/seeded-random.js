// SPDX-License-Identifier: MIT
/*
 * seeded-random.js - the deterministic generator every corpus and fixture
 * generator uses (scripts/gen-benign-corpus.js, bench/gen-nanoclaw-corpus.js,
 * bench/gen-credential-fixtures.js): the same seed gives the same bytes on
 * every machine, so the tests that read their output can assert exact counts.
 *
 * seeded(seed) -> { rnd, int, pick }: mulberry32 (small, fast, deterministic);
 * rnd() in [0, 1), int(n) in [0, n), pick(array) one element.
 */
'use strict';

function seeded(seed) {
	let s = seed >>> 0;
	function rnd() {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}
	const int = (n) => Math.floor(rnd() * n);
	const pick = (a) => a[int(a.length)];
	return { rnd, int, pick };
}

module.exports = { seeded };
