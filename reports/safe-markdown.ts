// Markdown that cannot carry data as markup (issue 16, item 10). summary.md goes into GitHub
// job summaries and PR comments, which render raw HTML: a label or reason holding `<!--` hid
// the rest of a job summary, `<img>` or `[x](...)` added content. As with safe-html.ts, the
// only way to write Markdown is the `md` tag: literal parts are Markdown, every interpolated
// value is text, escaped, unless it is itself Md.
import { terminalLine } from '../harness/core/text.js';

export class Md {
  private constructor(private readonly markup: string) {}
  static trusted(markup: string): Md {
    return new Md(markup);
  }
  toString(): string {
    return this.markup;
  }
}

export type MdValue = Md | string | number | boolean | null | undefined | readonly MdValue[];

/**
 * Text for an inline position: control characters made visible (newlines too: one value
 * never starts a new block), HTML and entities neutralised by escaping "<", ">" and "&", and
 * every character that can open an inline construct or a table cell backslash-escaped
 * (CommonMark lets any ASCII punctuation be escaped; these are the ones that matter).
 */
export function mdText(text: unknown): string {
  return terminalLine(String(text ?? '')).replace(/[\\`*_[\]<>|#~&!]/g, (c) => `\\${c}`);
}

function render(v: unknown): string {
  if (v instanceof Md) return v.toString();
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return mdText(v);
}

export function md(strings: TemplateStringsArray, ...values: readonly MdValue[]): Md {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return Md.trusted(out);
}

export function joinMd(parts: readonly MdValue[], sep: MdValue = ''): Md {
  return Md.trusted(parts.map(render).join(render(sep)));
}

/** A code span holding `text` as it is: a fence longer than any backtick run inside. */
export function mdCode(text: unknown): Md {
  const t = terminalLine(String(text ?? ''));
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return Md.trusted(`${fence}${pad}${t}${pad}${fence}`);
}
