// Every class of scenario mistake is reported with its exact message, at the line:col of the
// offending key or value, as `file:line:col field.path: problem (allowed: ...)`. Allowed lists
// that come from a registry (transports, placeholders, top-level fields) are built from that
// registry, so adding an entry does not break these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listProfiles, parseScenario } from '../harness/scenario/load.js';
import { scenarioSchema } from '../harness/scenario/schema.js';
import { formatProblem, ScenarioError } from '../harness/scenario/source.js';
import { BUILTIN_LIST } from '../harness/scenario/transports.js';
import { PLACEHOLDERS } from '../harness/subjects/command.js';
import { ALLOWED } from '../harness/core/units.js';
import { WORKLOAD_KINDS } from '../harness/workloads/index.js';
import { tempDir } from './kit/testkit.js';

const FILE = 'bad.yaml';
const HEAD = 'name: t\ndescription: d\n';

/** The formatted problems parseScenario reports for `text` (it must refuse it). */
async function problems(text: string, profilesDir?: string): Promise<string[]> {
  try {
    await parseScenario(FILE, text, profilesDir);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    assert.equal(err.message, err.problems.map(formatProblem).join('\n'));
    return err.problems.map(formatProblem);
  }
  assert.fail('the scenario was accepted');
}

async function rejects(text: string, expected: string[], profilesDir?: string): Promise<void> {
  assert.deepEqual(await problems(text, profilesDir), expected.map((e) => `${FILE}:${e}`));
}

function profilesDir(files: Record<string, string>): string {
  const dir = tempDir('bench-profiles-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const profileText = (name: string, link: string): string => `name: ${name}\ndescription: x\nsource: test\nlink:\n${link}`;

test('YAML syntax error: reported at its position, before any schema check', async () => {
  // The parser notices an unclosed list where the next line starts; the unknown field
  // `colour` is not reported because nothing is checked on a file that does not parse.
  await rejects('name: t\ndescription: [oops\ncolour: red\n', [
    '3:1 (top): YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  await rejects('name: t\nname: u\ndescription: d\n', ['2:1 (top): YAML syntax: Map keys must be unique']);
});

test('a document that is not a mapping', async () => {
  const msg = '1:1 (top): a scenario must be a YAML mapping with name, description, link, transports, workloads';
  await rejects('- name: t\n- description: d\n', [msg]);
  await rejects('just a string\n', [msg]);
  await rejects('', [msg]);
});

test('missing required fields point at the enclosing mapping', async () => {
  await rejects('name: t\n', ['1:1 (top): missing required field "description"']);
  await rejects('# only a comment\nrepetitions: 2\n', [
    '2:1 (top): missing required field "name"',
    '2:1 (top): missing required field "description"',
  ]);
  await rejects(`${HEAD}transports:\n  - name: relay\n    server: relay {serverPort}\n`, [
    '4:5 transports[0]: missing required field "client"',
  ]);
});

test('unknown field at the top level points at the key and lists the allowed fields', async () => {
  const allowed = Object.keys(scenarioSchema.properties).join(', ');
  await rejects(`${HEAD}colour: red\n`, [`3:1 colour: unknown field (allowed: ${allowed})`]);
});

test('unknown field in link, in a direction, in a workload and in a command transport', async () => {
  await rejects(`${HEAD}link:\n  delai: 25ms\n`, [
    '4:3 link.delai: unknown field (allowed: delay, jitter, loss, rate, limit, reorder, uplink, downlink)',
  ]);
  await rejects(`${HEAD}link:\n  uplink:\n    latency: 5ms\n`, [
    '5:5 link.uplink.latency: unknown field (allowed: delay, jitter, loss, rate, limit, reorder)',
  ]);
  await rejects(`${HEAD}workloads:\n  - echo: { payload: 64B, size: 3 }\n`, [
    '4:27 workloads[0].echo.size: unknown field (allowed: payload, count, duration, concurrency, idleTimeout)',
  ]);
  await rejects(`${HEAD}workloads:\n  - bulk: { streams: 2, parallel: 4 }\n`, [
    '4:25 workloads[0].bulk.parallel: unknown field (allowed: direction, bytes, duration, streams)',
  ]);
  await rejects(`${HEAD}workloads:\n  - ping: {}\n`, [`4:5 workloads[0].ping: unknown field (allowed: ${WORKLOAD_KINDS.join(', ')})`]);
  await rejects(`${HEAD}transports:\n  - name: r\n    server: a\n    client: b {clientPort}\n    port: 5\n`, [
    '7:5 transports[0].port: unknown field (allowed: name, implementation, server, client, readyTimeout, user, carries, stats)',
  ]);
  await rejects(`${HEAD}link:\n  loss:\n    gilbert: { p: 1%, r: 20%, q: 2% }\n`, [
    '5:31 link.loss.gilbert.q: unknown field (allowed: p, r, bad, good)',
  ]);
});

test('a command transport declares what crosses the link and how it hands over counters', async () => {
  const cmd = `${HEAD}transports:\n  - name: r\n    server: a\n    client: b {clientPort}\n`;
  await rejects(`${cmd}    carries: sctp\n`, ['7:14 transports[0].carries: "sctp" is not allowed (allowed: tcp, quic, udp)']);
  await rejects(`${cmd}    carries: quic\n    stats: http\n`, ['8:12 transports[0].stats: "http" is not allowed (allowed: none, sigusr1)']);
  // A relay of TCP has its counters read from its link-facing sockets.
  await rejects(`${cmd}    stats: sigusr1\n`, ['7:12 transports[0].stats: a transport that carries tcp has its counters read from its sockets (allowed with carries: tcp: none)']);
});

test('repetitions: auto with min, max and budget: each mistake at its position, the defaults documented', async () => {
  const ok = await parseScenario(FILE, `${HEAD}repetitions: auto\n`);
  assert.equal(ok.repetitions, 3);
  assert.deepEqual(ok.adaptive, { maxReps: 10, budgetMs: 300_000 });
  const some = await parseScenario(FILE, `${HEAD}repetitions: { auto: { min: 4, budget: 90s } }\n`);
  assert.equal(some.repetitions, 4);
  assert.deepEqual(some.adaptive, { maxReps: 10, budgetMs: 90_000 });
  const fixed = await parseScenario(FILE, `${HEAD}repetitions: 6\n`);
  assert.equal(fixed.repetitions, 6);
  assert.ok(!('adaptive' in fixed), 'a fixed count adds no field, so fixed scenarios keep their hash');
  await rejects(`${HEAD}repetitions:\n  auto: { min: 5, max: 3 }\n`, ['4:24 repetitions.auto.max: 3 is below min 5 (allowed: a whole number >= min)']);
  await rejects(`${HEAD}repetitions:\n  auto: { min: 1 }\n`, ['4:16 repetitions.auto.min: 1 must be >= 2']);
  await rejects(`${HEAD}repetitions:\n  auto: { budget: 300 }\n`, [`4:19 repetitions.auto.budget: 300 has no unit (allowed: ${ALLOWED.duration})`]);
  await rejects(`${HEAD}repetitions:\n  auto: { budget: 5m }\n`, [`4:19 repetitions.auto.budget: "5m" is not a duration (allowed: ${ALLOWED.duration})`]);
  assert.equal((await parseScenario(FILE, `${HEAD}repetitions: { auto: { budget: 5min } }\n`)).adaptive?.budgetMs, 300_000);
  await rejects(`${HEAD}repetitions:\n  auto: { rounds: 4 }\n`, ['4:11 repetitions.auto.rounds: unknown field (allowed: min, max, budget)']);
  await rejects(`${HEAD}repetitions: {}\n`, ['3:14 repetitions: an empty mapping is not a repetition count (allowed: a whole number of repetitions (1..1000), auto, or { auto: { min, max, budget } })']);
});

test('a workload entry must name exactly one kind', async () => {
  await rejects(`${HEAD}workloads:\n  - echo: {}\n    bulk: {}\n`, [`4:5 workloads[0]: must have exactly one of ${WORKLOAD_KINDS.join(', ')}`]);
  await rejects(`${HEAD}workloads:\n  - {}\n`, [`4:5 workloads[0]: must have exactly one of ${WORKLOAD_KINDS.join(', ')}`]);
});

test('wrong type: says what was expected and what was found', async () => {
  await rejects(`${HEAD}repetitions: three\n`, ['3:14 repetitions: "three" is not valid (allowed: a whole number of repetitions (1..1000), auto, or { auto: { min, max, budget } })']);
  await rejects(`${HEAD}repetitions: true\n`, ['3:14 repetitions: must be an integer or a string or a mapping, not boolean true']);
  await rejects(`${HEAD}transports: tcp\n`, ['3:13 transports: must be a list, not string "tcp"']);
  await rejects(`${HEAD}link: [1, 2]\n`, ['3:7 link: must be a mapping, not a list']);
  await rejects(`${HEAD}link:\n  uplink: fast\n`, ['4:11 link.uplink: must be a mapping, not string "fast"']);
  await rejects(`${HEAD}link:\n  reorder: yes\n`, ['4:12 link.reorder: must be a boolean, not string "yes"']);
  await rejects(`${HEAD}transports: [5]\n`, ['3:14 transports[0]: must be a string or a mapping, not number 5']);
  // One problem per field: the unit parser does not repeat what the schema said.
  await rejects(`${HEAD}link:\n  delay:\n`, ['4:9 link.delay: must be a value with a unit or a list of them (a sweep), not null']);
  await rejects(`${HEAD}link:\n  delay: { a: 1 }\n`, ['4:10 link.delay: must be a value with a unit or a list of them (a sweep), not a mapping']);
  await rejects(`${HEAD}link:\n  loss: true\n`, ['4:9 link.loss: must be a string or a number or a mapping or a list, not boolean true']);
});

test('out-of-range and empty values', async () => {
  await rejects(`${HEAD}repetitions: 0\n`, ['3:14 repetitions: 0 must be >= 1']);
  await rejects(`${HEAD}workloads:\n  - echo: { concurrency: 1000 }\n`, ['4:26 workloads[0].echo.concurrency: 1000 must be <= 256']);
  await rejects('name: t\ndescription: ""\n', ['2:14 description: must not be empty']);
  await rejects(`${HEAD}transports: []\n`, ['3:13 transports: must not be empty']);
  await rejects(`${HEAD}timeout: 0s\n`, ['3:10 timeout: must be greater than zero']);
  await rejects(`${HEAD}workloads:\n  - echo: { payload: 0B }\n`, ['4:22 workloads[0].echo.payload: must be greater than zero']);
});

test('bad name pattern says which characters are allowed', async () => {
  await rejects('name: Loss 5%\ndescription: d\n', ['1:7 name: "Loss 5%" is not valid (allowed: lowercase letters, digits, ".", "_", "-")']);
  await rejects(`${HEAD}congestionControl: BBR\n`, [
    '3:20 congestionControl: "BBR" is not valid (allowed: a kernel TCP congestion control name, e.g. cubic, bbr, reno)',
  ]);
});

test('enum: bulk direction', async () => {
  await rejects(`${HEAD}workloads:\n  - bulk: { direction: sideways }\n`, [
    '4:24 workloads[0].bulk.direction: "sideways" is not allowed (allowed: upload, download)',
  ]);
});

test('values without a unit or with an ambiguous unit', async () => {
  await rejects(`${HEAD}link:\n  delay: "25"\n`, [`4:10 link.delay: "25" has no unit (allowed: ${ALLOWED.duration})`]);
  await rejects(`${HEAD}link:\n  delay: 25\n`, [`4:10 link.delay: 25 has no unit (allowed: ${ALLOWED.duration})`]);
  await rejects(`${HEAD}link:\n  loss: 0.05\n`, [
    `4:9 link.loss: 0.05 is ambiguous without "%" (allowed: ${ALLOWED.percent}, or gilbert: {p: 1%, r: 30%})`,
  ]);
  await rejects(`${HEAD}link:\n  rate: 20mbps\n`, [
    `4:9 link.rate: "20mbps" is ambiguous: tc reads "bps" as bytes per second, others as bits; write bits explicitly (allowed: ${ALLOWED.rate})`,
  ]);
  await rejects(`${HEAD}workloads:\n  - echo: { payload: 10mb }\n`, [
    `4:22 workloads[0].echo.payload: "10mb" has an unknown size unit "mb" (bits or bytes?) (allowed: ${ALLOWED.size})`,
  ]);
  await rejects(`${HEAD}workloads:\n  - bulk: { bytes: 1kbit }\n`, [
    `4:20 workloads[0].bulk.bytes: "1kbit" has an unknown size unit "kbit" (bits or bytes?) (allowed: ${ALLOWED.size})`,
  ]);
  await rejects(`${HEAD}timeout: 30\n`, [`3:10 timeout: 30 has no unit (allowed: ${ALLOWED.duration})`]);
  await rejects(`${HEAD}link:\n  limit: 0p\n`, [`4:10 link.limit: "0p" must be at least 1 packet (allowed: ${ALLOWED.limit})`]);
});

test('Gilbert-Elliott loss: shape, required fields and r = 0%', async () => {
  await rejects(`${HEAD}link:\n  loss: { burst: 1% }\n`, [
    '4:9 link.loss: a loss mapping must be {gilbert: {p, r, bad, good}} (allowed: 5%, or gilbert: {p: 1%, r: 30%, bad: 100%, good: 0%})',
  ]);
  await rejects(`${HEAD}link:\n  loss:\n    gilbert: { p: 1% }\n`, [
    '5:14 link.loss.gilbert: missing required field "r" (p: good->bad transition %, r: bad->good %, bad: loss in bad state %, good: loss in good state %)',
  ]);
  await rejects(`${HEAD}link:\n  loss:\n    gilbert: { p: 1%, r: 0% }\n`, ['5:26 link.loss.gilbert.r: r = 0% would never leave the bad state (allowed: > 0%)']);
});

test('a bad element of a sweep list is reported with its index', async () => {
  await rejects(`${HEAD}link:\n  loss: [1%, 2, 3%]\n`, [
    `4:14 link.loss[1]: 2 is ambiguous without "%" (allowed: ${ALLOWED.percent}, or gilbert: {p: 1%, r: 30%})`,
  ]);
  await rejects(`${HEAD}link:\n  uplink:\n    rate: [20mbit, 5mbps, {x: 1}]\n`, [
    `5:20 link.uplink.rate[1]: "5mbps" is ambiguous: tc reads "bps" as bytes per second, others as bits; write bits explicitly (allowed: ${ALLOWED.rate})`,
    `5:27 link.uplink.rate[2]: a mapping has no unit (allowed: ${ALLOWED.rate})`,
  ]);
});

test('an empty sweep list is refused (one problem, whatever the field)', async () => {
  const msg = 'an empty list sweeps nothing (allowed: a value or a non-empty list)';
  await rejects(`${HEAD}link:\n  loss: []\n`, [`4:9 link.loss: ${msg}`]);
  await rejects(`${HEAD}link:\n  delay: []\n`, [`4:10 link.delay: ${msg}`]);
  await rejects(`${HEAD}link:\n  downlink:\n    rate: []\n`, [`5:11 link.downlink.rate: ${msg}`]);
});

test('a sweep of more than 256 points is refused with its size', async () => {
  const list = (n: number, unit: string): string => `[${Array.from({ length: n }, (_, i) => `${i}${unit}`).join(', ')}]`;
  await rejects(`${HEAD}link:\n  loss: ${list(17, '%')}\n  delay: ${list(16, 'ms')}\n`, [
    '4:3 link: the sweep has 272 points; at most 256 are allowed (narrow a list)',
  ]);
  const ok = await parseScenario(FILE, `${HEAD}link:\n  loss: ${list(16, '%')}\n  delay: ${list(16, 'ms')}\n`);
  assert.equal(ok.points.length, 256);
});

test('unknown profile lists the profiles that exist', async () => {
  const dir = profilesDir({ 'beta.yaml': profileText('beta', '  delay: 5ms\n'), 'alpha.yaml': profileText('alpha', '  delay: 1ms\n') });
  await rejects(`${HEAD}profile: moon\n`, ['3:10 profile: unknown profile "moon" (allowed: alpha, beta)'], dir);
  const bundled = (await listProfiles()).join(', ');
  await rejects(`${HEAD}profile: moon\n`, [`3:10 profile: unknown profile "moon" (allowed: ${bundled})`]);
});

test('a profile with a list is refused, together with the scenario\'s own problems', async () => {
  const dir = profilesDir({ 'sweepy.yaml': profileText('sweepy', '  delay: 10ms\n  loss: [1%, 2%]\n') });
  const got = await problems(`${HEAD}profile: sweepy\nrepetitions: 0\n`, dir);
  assert.deepEqual(got, [
    `${join(dir, 'sweepy.yaml')}:6:9 link.loss: a profile describes one link; lists (sweeps) belong in the scenario`,
    `${FILE}:4:14 repetitions: 0 must be >= 1`,
  ]);
});

test('a profile whose name does not match its file is refused', async () => {
  const dir = profilesDir({ 'wifi2.yaml': profileText('wifi', '  delay: 10ms\n') });
  assert.deepEqual(await problems(`${HEAD}profile: wifi2\n`, dir), [`${join(dir, 'wifi2.yaml')}:1:7 name: must match the file name "wifi2"`]);
});

test('unknown and duplicate built-in transports', async () => {
  await rejects(`${HEAD}transports: [tcp, sctp]\n`, [
    `3:19 transports[1]: unknown transport "sctp" (allowed: ${BUILTIN_LIST}, or a mapping {name, server, client} for external commands)`,
  ]);
  await rejects(`${HEAD}transports: [tcp, quic, tcp]\n`, ['3:25 transports[2]: transport "tcp" is listed twice']);
  await rejects(`${HEAD}transports:\n  - name: tcp\n    server: x {serverPort}\n    client: y {clientPort}\n`, [
    `4:11 transports[0].name: transport name "tcp" is already taken (built-ins: ${BUILTIN_LIST})`,
  ]);
});

test('count (or bytes) and duration together', async () => {
  await rejects(`${HEAD}workloads:\n  - echo: { count: 10, duration: 3s }\n`, ['4:34 workloads[0].echo.duration: give either count or duration, not both']);
  await rejects(`${HEAD}workloads:\n  - bulk: { bytes: 1MB, duration: 3s }\n`, ['4:35 workloads[0].bulk.duration: give either bytes or duration, not both']);
});

test('the same workload twice names the first one', async () => {
  // handshake with no count defaults to 10: the same workload as the explicit one.
  await rejects(`${HEAD}workloads:\n  - handshake: { count: 10 }\n  - echo: {}\n  - handshake:\n`, [
    '6:5 workloads[2]: same workload as workloads[0] (handshake-n10)',
  ]);
});

test('command transport: unknown placeholder and a client that does not listen on {clientPort}', async () => {
  const allowed = PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
  await rejects(`${HEAD}transports:\n  - name: relay\n    server: relay --listen {serverPort} --to {target}\n    client: relay-c --port {clientPort}\n`, [
    `5:13 transports[0].server: unknown placeholder {target} (allowed: ${allowed})`,
  ]);
  await rejects(`${HEAD}transports:\n  - name: relay\n    server: relay --listen {serverPort}\n    client: relay-c --to {serverAddr}\n`, [
    '6:13 transports[0].client: the client command must listen on {clientPort}, where bench connects',
  ]);
  await rejects(`${HEAD}transports:\n  - name: relay\n    server: relay {serverPort}\n    client: relay-c {clientPort}\n    readyTimeout: soon\n`, [
    `7:19 transports[0].readyTimeout: "soon" is not a duration (allowed: ${ALLOWED.duration})`,
  ]);
});

test('a file with many mistakes reports all of them, sorted by position', async () => {
  const text = [
    'name: Bad Name', // 1
    'description: d', // 2
    'colour: red', // 3
    'link:', // 4
    '  delay: 25', // 5
    '  loss: 0.05', // 6
    '  rate: 20mbps', // 7
    'transports: [tcp, sctp, tcp]', // 8
    'workloads:', // 9
    '  - echo: { payload: 10mb, count: 5, duration: 2s }', // 10
    '  - bulk: { direction: sideways }', // 11
    '',
  ].join('\n');
  let err: unknown;
  await parseScenario(FILE, text).catch((e: unknown) => (err = e));
  assert.ok(err instanceof ScenarioError);
  const top = Object.keys(scenarioSchema.properties).join(', ');
  const expected = [
    'bad.yaml:1:7 name: "Bad Name" is not valid (allowed: lowercase letters, digits, ".", "_", "-")',
    `bad.yaml:3:1 colour: unknown field (allowed: ${top})`,
    `bad.yaml:5:10 link.delay: 25 has no unit (allowed: ${ALLOWED.duration})`,
    `bad.yaml:6:9 link.loss: 0.05 is ambiguous without "%" (allowed: ${ALLOWED.percent}, or gilbert: {p: 1%, r: 30%})`,
    `bad.yaml:7:9 link.rate: "20mbps" is ambiguous: tc reads "bps" as bytes per second, others as bits; write bits explicitly (allowed: ${ALLOWED.rate})`,
    `bad.yaml:8:19 transports[1]: unknown transport "sctp" (allowed: ${BUILTIN_LIST}, or a mapping {name, server, client} for external commands)`,
    'bad.yaml:8:25 transports[2]: transport "tcp" is listed twice',
    `bad.yaml:10:22 workloads[0].echo.payload: "10mb" has an unknown size unit "mb" (bits or bytes?) (allowed: ${ALLOWED.size})`,
    'bad.yaml:10:48 workloads[0].echo.duration: give either count or duration, not both',
    'bad.yaml:11:24 workloads[1].bulk.direction: "sideways" is not allowed (allowed: upload, download)',
  ];
  assert.deepEqual(err.problems.map(formatProblem), expected);
  assert.equal(err.message, expected.join('\n'));
  assert.equal(err.hint, '10 problems; fix them and run `bench validate` again');
  const positions = err.problems.map((p) => p.line * 1000 + p.col);
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
});
