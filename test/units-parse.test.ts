// harness/units.ts: every unit parser accepts the documented forms and refuses anything that
// could be read two ways, saying what is allowed. Tables: [input, expected].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALLOWED, formatBytes, formatRate, parseDuration, parseLimit, parsePercent, parseRate, parseSize, type Parsed,
} from '../harness/core/units.js';

function accepts<T>(parse: (v: unknown) => Parsed<T>, rows: [unknown, T][]): void {
  for (const [input, value] of rows) {
    assert.deepEqual(parse(input), { ok: true, value }, `${JSON.stringify(input)} -> ${JSON.stringify(value)}`);
  }
}

function refuses(parse: (v: unknown) => Parsed<unknown>, allowed: string, rows: [unknown, string][]): void {
  for (const [input, problem] of rows) {
    assert.deepEqual(parse(input), { ok: false, problem, allowed }, `${JSON.stringify(input)} is refused`);
  }
}

test('parseDuration: us/µs/ms/s to milliseconds', () => {
  accepts(parseDuration, [
    ['25ms', 25], ['0.5ms', 0.5], ['.5ms', 0.5], ['200us', 0.2], ['200µs', 0.2], ['1.5s', 1500], ['0ms', 0], [' 30 s ', 30_000], ['5min', 300_000], ['1.5min', 90_000],
  ]);
});

test('parseDuration: bare numbers have no unit; other units are not durations', () => {
  refuses(parseDuration, ALLOWED.duration, [
    [25, '25 has no unit'],
    ['25', '"25" has no unit'],
    ['2.5', '"2.5" has no unit'],
    ['1m', '"1m" is not a duration'],
    ['1h', '"1h" is not a duration'],
    ['-5ms', '"-5ms" is not a duration'],
    ['soon', '"soon" is not a duration'],
    [null, 'null has no unit'],
  ]);
});

test('parsePercent: "%" is required, 0..100', () => {
  accepts(parsePercent, [['5%', 5], ['0.1%', 0.1], ['0%', 0], ['100%', 100], ['1.5 %', 1.5]]);
  refuses(parsePercent, ALLOWED.percent, [
    [0.05, '0.05 is ambiguous without "%"'],
    [5, '5 is ambiguous without "%"'],
    ['5', '"5" is not a percentage'],
    ['five%', '"five%" is not a percentage'],
    ['-1%', '"-1%" is not a percentage'],
    ['101%', '"101%" is more than 100%'],
  ]);
});

test('parseRate: bit/kbit/mbit/gbit to bits per second, "unlimited" to null', () => {
  accepts(parseRate, [
    ['unlimited', null],
    ['64000bit', 64_000],
    ['500kbit', 500_000],
    ['20mbit', 20_000_000],
    ['20Mbit', 20_000_000],
    ['1.6mbit', 1_600_000],
    ['1.5gbit', 1_500_000_000],
    ['20 mbit', 20_000_000],
  ]);
});

test('parseRate: bytes-or-bits ambiguity, bare numbers, zero and unknown units are refused', () => {
  const ambiguous = (v: string): string =>
    `"${v}" is ambiguous: tc reads "bps" as bytes per second, others as bits; write bits explicitly`;
  refuses(parseRate, ALLOWED.rate, [
    ['20mbps', ambiguous('20mbps')],
    ['20Mbps', ambiguous('20Mbps')],
    ['20MBps', ambiguous('20MBps')],
    ['20mb', ambiguous('20mb')],
    ['20MB', ambiguous('20MB')],
    ['20b', ambiguous('20b')],
    ['20mb/s', ambiguous('20mb/s')],
    ['20mbytes', ambiguous('20mbytes')],
    [20, '20 has no unit'],
    ['20', '"20" has no unit'],
    ['0mbit', '"0mbit" must be greater than zero (use "unlimited" for no limit)'],
    ['0bit', '"0bit" must be greater than zero (use "unlimited" for no limit)'],
    ['20tbit', '"20tbit" has an unknown rate unit "tbit"'],
    ['fast', '"fast" is not a rate'],
    ['Unlimited', '"Unlimited" is not a rate'],
  ]);
});

test('parseSize: SI (KB = 1000) and binary (KiB = 1024) to bytes', () => {
  accepts(parseSize, [
    ['64B', 64], ['0B', 0], ['1KB', 1000], ['1.5KB', 1500], ['10MB', 10_000_000], ['1GB', 1e9],
    ['1KiB', 1024], ['4MiB', 4 * 1024 ** 2], ['1GiB', 1024 ** 3], ['200 KB', 200_000],
    // Decimal fractions that binary floating point cannot multiply exactly.
    ['1.001KB', 1001], ['1.005MB', 1_005_000], ['0.001GB', 1_000_000], ['1.5KiB', 1536],
  ]);
});

test('parseSize: lower-case and bit units are refused as bits-or-bytes; fractions of a byte too', () => {
  refuses(parseSize, ALLOWED.size, [
    ['10mb', '"10mb" has an unknown size unit "mb" (bits or bytes?)'],
    ['10kb', '"10kb" has an unknown size unit "kb" (bits or bytes?)'],
    ['10Mb', '"10Mb" has an unknown size unit "Mb" (bits or bytes?)'],
    ['1kbit', '"1kbit" has an unknown size unit "kbit" (bits or bytes?)'],
    ['1kib', '"1kib" has an unknown size unit "kib"'],
    ['1.5B', '"1.5B" is not a whole number of bytes'],
    ['1.0001KB', '"1.0001KB" is not a whole number of bytes'],
    ['0.1KiB', '"0.1KiB" is not a whole number of bytes'],
    [64, '64 has no unit'],
    ['64', '"64" has no unit'],
    ['big', '"big" is not a size'],
  ]);
});

test('parseLimit: auto, packets or bytes', () => {
  accepts(parseLimit, [
    ['auto', null],
    ['1000p', { packets: 1000 }],
    ['1000 packets', { packets: 1000 }],
    ['1 packet', { packets: 1 }],
    ['256KB', { bytes: 256_000 }],
    ['64KiB', { bytes: 65_536 }],
  ]);
  refuses(parseLimit, ALLOWED.limit, [
    ['0p', '"0p" must be at least 1 packet'],
    ['0B', '"0B" must be greater than zero'],
    [1000, '1000 is not a queue limit'],
    ['1.5p', '"1.5p" is not a queue limit'],
    ['10mb', '"10mb" is not a queue limit'],
    ['AUTO', '"AUTO" is not a queue limit'],
  ]);
});

test('formatRate: the largest unit that keeps the value >= 1, at most 3 decimals', () => {
  const rows: [number | null, string][] = [
    [null, 'unlimited'], [999, '999bit'], [64_000, '64kbit'], [750_000, '750kbit'], [1_600_000, '1.6mbit'],
    [20_000_000, '20mbit'], [1e9, '1gbit'], [1_500_000_000, '1.5gbit'],
  ];
  for (const [bits, text] of rows) assert.equal(formatRate(bits), text);
});

test('formatRate output parses back to the same rate', () => {
  for (const bits of [null, 500, 64_000, 1_600_000, 20_000_000, 1_500_000_000]) {
    assert.deepEqual(parseRate(formatRate(bits)), { ok: true, value: bits });
  }
});

test('formatBytes: exact (never rounded), so workload ids stay distinct', () => {
  const rows: [number, string][] = [
    [0, '0B'], [64, '64B'], [999, '999B'], [1000, '1KB'], [1500, '1.5KB'], [1024, '1.024KB'],
    [200_000, '200KB'], [10_000_000, '10MB'], [1_234_567, '1234.567KB'], [1e9, '1GB'],
  ];
  for (const [n, text] of rows) assert.equal(formatBytes(n), text);
  for (const [n] of rows) assert.deepEqual(parseSize(formatBytes(n)), { ok: true, value: n });
});
