// Text from scenarios and result files on a terminal (issue 16, item 10): result files are
// untrusted, and a reason or a label holding ESC sequences could rewrite the screen, hide
// lines or fake a "0 regressions" line; bidi overrides can reorder what is read. Such
// characters are shown as visible escapes (\x1b, \u202e) instead of being sent.

// C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** One line of terminal output: line breaks become spaces (no value can fake a line), other controls visible. */
export function terminalLine(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(UNSAFE, visible);
}

/** Terminal text that may span lines (an error listing problems): only "\n" is kept. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE_KEEP_NEWLINE, visible);
}
