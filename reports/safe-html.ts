// HTML that cannot carry data unescaped (issue 16, item 4). Result files travel as CI
// artifacts and are untrusted: a number field holding a string once ran script in a report,
// because renderers concatenated strings and escaped by hand, field by field. Here the only
// way to produce markup is the `html` tag (or a helper built on it): every interpolated value
// is escaped as text unless it is itself Html, whatever its declared type. A renderer that
// forgets esc() therefore escapes anyway; a value can reach the page raw only through
// Html.trusted, which takes compile-time constants (the stylesheet) and nothing from a file.

/** Markup built by `html` or a helper: safe to insert as it is. */
export class Html {
  private constructor(private readonly markup: string) {}

  /** Author-written markup only (constants in the source), never data. */
  static trusted(markup: string): Html {
    return new Html(markup);
  }

  static readonly empty = new Html('');

  toString(): string {
    return this.markup;
  }

  get isEmpty(): boolean {
    return this.markup === '';
  }
}

/** Anything a renderer may interpolate; arrays are inserted element by element, no separator. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

/** Escape text for element content and double- or single-quoted attribute values. */
export function escapeText(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function render(v: unknown): string {
  if (v instanceof Html) return v.toString();
  if (Array.isArray(v)) return v.map(render).join('');
  // null/undefined/false render as nothing, so `${cond && html`...`}` reads naturally.
  if (v === null || v === undefined || v === false) return '';
  return escapeText(v);
}

/** The template tag: literal parts are markup, every value is text unless it is Html. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return Html.trusted(out);
}

/** Values joined by a separator (text unless Html). */
export function joinHtml(parts: readonly HtmlValue[], sep: HtmlValue = ''): Html {
  return Html.trusted(parts.map(render).join(render(sep)));
}

/** Text of a value as it would be read: tags dropped, entities decoded (for data-label attributes). */
export function plainText(v: HtmlValue): string {
  if (!(v instanceof Html) && !Array.isArray(v)) return String(v ?? '');
  return render(v)
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' })[e]!)
    .replace(/\s+/g, ' ')
    .trim();
}
