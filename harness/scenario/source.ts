// A YAML source file that can turn a field path into file:line:col, and the problem list
// every scenario and profile check writes to: `file:line:col field.path: problem`.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from '../core/errors.js';
import type { FieldPath, Problem, ProblemSink } from '../core/problems.js';
import { attribute, type Override } from './overrides.js';

export type { Problem };
import type { ShapeProblem } from './schema.js';
import { aliasProblem, MAX_ALIAS_COUNT } from './limits.js';


export function formatProblem(p: Problem): string {
  // A problem of a command-line override has no line: its "file" is the flag.
  const where = p.line === 0 ? `${p.file}:` : `${p.file}:${p.line}:${p.col}`;
  return `${where} ${p.path || '(top)'}: ${p.message}`;
}

export class ScenarioError extends InputError {
  constructor(readonly problems: Problem[]) {
    super(
      problems.map(formatProblem).join('\n'),
      problems.length > 1 ? `${problems.length} problems; fix them and run \`bench validate\` again` : undefined,
    );
  }
}

/** A parsed YAML file that can turn a path into a line:col. */
export class SourceFile {
  readonly doc: Document.Parsed;
  private readonly lc = new LineCounter();
  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: false, uniqueKeys: true });
  }

  syntaxProblems(): Problem[] {
    return this.doc.errors.map((e) => {
      const pos = this.lc.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
    });
  }

  /** The document as plain data; an alias bomb or a dangling alias is a positioned problem. */
  data(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      const at = aliasProblem(this.doc, err);
      const pos = this.lc.linePos(at.offset);
      throw new ScenarioError([{ file: this.file, line: pos.line, col: pos.col, path: '', message: at.message }]);
    }
  }

  /** Position of the node at `path`; the deepest existing ancestor when it is missing. */
  locate(path: readonly (string | number)[], atKey = false): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (atKey && n === path.length && n > 0) {
        const parent = sub.length > 1 ? this.doc.getIn(sub.slice(0, -1), true) : this.doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(sub[sub.length - 1]));
          if (pair && isScalar(pair.key) && pair.key.range) return this.lc.linePos(pair.key.range[0]);
        }
        continue;
      }
      const node = n === 0 ? this.doc.contents : (this.doc.getIn(sub, true) as { range?: [number, number, number] } | undefined);
      if (node && (node as { range?: unknown }).range) return this.lc.linePos((node as { range: [number, number, number] }).range[0]);
    }
    return { line: 1, col: 1 };
  }

  problem(path: readonly (string | number)[], message: string, atKey = false): Problem {
    const { line, col } = this.locate(path, atKey);
    return { file: this.file, line, col, path: dotted(path), message };
  }
}

function dotted(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

/** Collects problems in document order. */
export class Problems implements ProblemSink {
  readonly list: Problem[] = [];
  constructor(
    readonly src: SourceFile,
    private readonly overrides: readonly Override[] = [],
  ) {}
  add(path: FieldPath, message: string, atKey = false): void {
    this.list.push(attribute(this.src.problem(path, message, atKey), path, this.overrides));
  }
  addShape(ps: ShapeProblem[]): void {
    for (const p of ps) this.add(p.path, p.message, p.atKey);
  }
  sorted(): Problem[] {
    return [...this.list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  }
}
