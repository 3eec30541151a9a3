// A remedy or hint that names a flag names one bench has (issue 15: a calibration warning
// told users to pass `--calibration-interval`, which `bench run` never had). Every `remedy:`
// and `hint:` text and every error's hint argument in the sources is read with the
// TypeScript parser; each `--flag` in it must appear in some bench command's --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'harness', 'cli.js');

function help(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
}

/** Every long option of every bench command and subcommand, from their own --help. */
function benchOptions(): Set<string> {
  const out = new Set<string>();
  const commandsOf = (text: string): string[] =>
    text.includes('Commands:') ? [...text.slice(text.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help') : [];
  const walk = (args: string[]): void => {
    const text = help(args);
    for (const m of text.matchAll(/--(?:\[no-\])?([a-z][a-z0-9-]*)/g)) out.add(`--${m[1]}`);
    for (const m of text.matchAll(/--no-([a-z][a-z0-9-]*)/g)) out.add(`--${m[1]}`);
    for (const c of commandsOf(text)) walk([...args, c]);
  };
  walk([]);
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules' && name !== 'build') out.push(...sources(p));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Texts of remedy/hint properties and of errors' second (hint) argument, with where they are. */
function remedyTexts(file: string): { where: string; text: string }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: { where: string; text: string }[] = [];
  const textOf = (n: ts.Node): string => {
    let t = '';
    const visit = (x: ts.Node): void => {
      if (ts.isStringLiteralLike(x) || ts.isTemplateHead(x) || ts.isTemplateMiddle(x) || ts.isTemplateTail(x)) t += `${x.text} `;
      ts.forEachChild(x, visit);
    };
    visit(n);
    return t;
  };
  const where = (n: ts.Node): string => `${file.slice(ROOT.length)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && (n.name.text === 'remedy' || n.name.text === 'hint')) out.push({ where: where(n), text: textOf(n.initializer) });
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && /Error$/.test(n.expression.text) && (n.arguments?.length ?? 0) >= 2) {
      out.push({ where: where(n), text: textOf(n.arguments![1]) });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

test('every --flag a remedy or hint names is an option of some bench command', () => {
  const options = benchOptions();
  assert.ok(options.has('--calibration-probes') && options.has('--probes') && options.has('--backend'), `options read from --help: ${[...options].join(' ')}`);
  const files = ['harness', 'netem', 'reports'].flatMap((d) => sources(join(ROOT, d)));
  const texts = files.flatMap(remedyTexts);
  assert.ok(texts.length > 50, `found ${texts.length} remedy/hint texts`);
  const bad: string[] = [];
  for (const { where, text } of texts) {
    // Flags of other tools are named with their tool (`ip netns exec`, `npm ci --omit`): only
    // texts that speak of bench, or of no tool, are bench's.
    for (const m of text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) {
      const before = text.slice(0, m.index);
      if (/\b(npm|apt-get|go|ssh|ip|tc|sysctl|node|iperf3|socat)\b[^.;]*$/.test(before) && !/\bbench\b[^.;]*$/.test(before)) continue;
      if (!options.has(`--${m[1]}`)) bad.push(`${where}: --${m[1]} in "${text.trim()}"`);
    }
  }
  assert.deepEqual(bad, [], 'remedies name options bench does not have');
});

test('the check itself catches a made-up flag', () => {
  const options = benchOptions();
  assert.equal(options.has('--calibration-interval'), false, 'the flag of issue 15 does not exist');
});
