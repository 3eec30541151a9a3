// JSON text to a value, or an InputError saying where the text breaks (file:line:col). V8's
// JSON.parse names a position for some errors only ("at position 6"), not for others
// ("Unexpected token '}', ... is not valid JSON"); the position is then found by bisection:
// a prefix of broken text parses as "incomplete" up to the first bad character and as
// "wrong" from there on.
import { InputError } from '../core/errors.js';

function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: pos - start + 1 };
}

/** The parse error of `text`, or null; `atEnd`: the text merely stops early. */
function failure(text: string): { message: string; atEnd: boolean } | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const message = (err as Error).message;
    const pos = /at position (\d+)/.exec(message);
    return { message, atEnd: /Unexpected end/.test(message) || (pos !== null && Number(pos[1]) >= text.length) };
  }
}

function errorOffset(text: string, message: string): number {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  if (/Unexpected end/.test(message)) return text.length;
  let ok = 0; // longest prefix known to be valid or merely incomplete
  let bad = text.length; // shortest prefix known to be wrong
  while (bad - ok > 1) {
    const mid = (ok + bad) >>> 1;
    const f = failure(text.slice(0, mid));
    if (f === null || f.atEnd) ok = mid;
    else bad = mid;
  }
  return bad - 1;
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const { line, col } = lineCol(text, errorOffset(text, message));
    const what = message.replace(/,? ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    throw new InputError(
      `${file}:${line}:${col}: not a bench result file: broken JSON (${what})`,
      'was it cut short or edited? results are written atomically, so a file from bench is always whole',
    );
  }
}
