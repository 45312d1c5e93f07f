// Turns a language model's raw answer into a playlist name, or says why it cannot be one: reasoning blocks,
// markdown, labels, quotes and emoji go; one printable line of 15–40 characters stays (any script).
// Pure string functions, no I/O.

/** Shortest accepted name, in characters (code points), as AudioMuse-AI checks it. */
export const MIN_NAME_LENGTH = 15;
/** Longest accepted name; also the limit `uniqueName` keeps when it appends " (2)". */
export const MAX_NAME_LENGTH = 40;

export type CleanedName = { name: string } | { rejected: string };

// Emoji and their glue (skin tones, flags' regional indicators, ZWJ, variation selectors, keycaps, tag
// characters), plus "other symbols" (♫ ★ ✨ ☕), which models use as decoration.
const EMOJI =
  /[\p{Extended_Pictographic}\p{So}\u{1F3FB}-\u{1F3FF}\u{1F1E6}-\u{1F1FF}\u200D\uFE0E\uFE0F\u20E3\u{E0020}-\u{E007F}]/gu;
// Control, format (zero-width), surrogate, private-use and unassigned characters.
const NON_PRINTABLE = /\p{C}/gu;
const REFUSAL =
  /^(?:i'?m sorry|i am sorry|sorry\b|i can(?:not|'t)|i'?m (?:not able|unable)|i am (?:not able|unable)|as an ai\b|unfortunately\b)/i;
const LABEL =
  /^(?:(?:here(?:'s| is)\s+)?(?:(?:a|the|my|your)\s+)?(?:suggested|final|proposed|new|creative)?\s*(?:playlist\s*)?(?:name|title)(?:\s+is)?|playlist|answer|output)\s*[:：]\s*/i;
const QUOTE_PAIRS: [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['“', '”'],
  ['„', '“'],
  ['‘', '’'],
  ['«', '»'],
  ['‹', '›'],
  ['「', '」'],
  ['*', '*'],
  ['_', '_'],
];
// Characters that are never part of a name at its edges (apostrophes are: "Rockin'").
const EDGE_QUOTES = /^["“”„«»‹›「」`*]+|["“”„«»‹›「」`*]+$/g;

/** Cleans one raw model answer. */
export function cleanPlaylistName(raw: unknown): CleanedName {
  if (typeof raw !== 'string') return { rejected: 'the answer is not text' };
  let text = raw.normalize('NFKC').replace(/\r\n?/g, '\n');
  const hadReasoning = /<\/?(think|thinking|reasoning)>/i.test(text);
  text = stripReasoning(text);
  if (!text.trim())
    return { rejected: hadReasoning ? 'the answer holds only a reasoning block, no name' : 'the answer is empty' };

  const lines = text
    .split('\n')
    .map(cleanLine)
    .filter((l) => l !== '');
  if (!lines.length) return { rejected: `no usable line in ${snippet(raw)}` };
  // "Here is a name for your playlist:" followed by the name: skip the preamble.
  let line = lines[0];
  if (lines.length > 1 && /[:：]$/.test(line)) line = lines[1];

  const length = [...line].length;
  if (!/\p{L}/u.test(line)) return { rejected: `no letters in ${snippet(line)}` };
  if (REFUSAL.test(line)) return { rejected: `looks like a refusal: ${snippet(line)}` };
  if (length < MIN_NAME_LENGTH)
    return { rejected: `${length} characters, fewer than ${MIN_NAME_LENGTH}: ${snippet(line)}` };
  if (length > MAX_NAME_LENGTH)
    return { rejected: `${length} characters, more than ${MAX_NAME_LENGTH}: ${snippet(line)}` };
  return { name: line };
}

/**
 * `name`, or `name (2)`, `name (3)`… — the first that no entry of `taken` already has (compared without case
 * and without an `_automatic` suffix), shortened so the result stays within MAX_NAME_LENGTH characters.
 */
export function uniqueName(name: string, taken: Iterable<string>): string {
  const key = (s: string) =>
    s
      .normalize('NFC')
      .replace(/_automatic$/i, '')
      .trim()
      .toLowerCase();
  const used = new Set<string>();
  for (const t of taken) used.add(key(t));
  if (!used.has(key(name))) return name;
  const chars = [...name];
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const candidate =
      chars
        .slice(0, MAX_NAME_LENGTH - suffix.length)
        .join('')
        .trimEnd() + suffix;
    if (!used.has(key(candidate))) return candidate;
  }
}

/** Drops `<think>…</think>` blocks, everything before a lone closing tag (the opening one was in the
 *  prompt template), an unterminated opening block, and [INST]-style markers. */
function stripReasoning(text: string): string {
  let out = text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, '');
  const close = /<\/(?:think|thinking|reasoning)>/gi;
  let last = -1;
  for (let m = close.exec(out); m; m = close.exec(out)) last = m.index + m[0].length;
  if (last >= 0) out = out.slice(last);
  out = out.replace(/<(?:think|thinking|reasoning)>[\s\S]*$/i, '');
  return out.replace(/\[\/?(?:INST|THOUGHT)\]/gi, '');
}

function cleanLine(line: string): string {
  let s = line.replace(EMOJI, ' ').replace(/\t/g, ' ').replace(NON_PRINTABLE, '');
  s = s.replace(/\s+/g, ' ').trim();
  if (/^```/.test(s)) return ''; // a code fence line
  // Markdown: headings, quotes, list markers, links, emphasis, inline code.
  s = s.replace(/^(?:#{1,6}\s+|>\s*)+/, '');
  s = s.replace(/^(?:[-*+•]\s+|\d{1,2}[.)]\s+)/, '');
  s = s.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  s = s.replace(/\*\*|__|~~/g, '');
  for (let i = 0; i < 3; i++) {
    const before = s;
    s = s.replace(LABEL, '').trim();
    // A quoted name followed by an explanation: "Midnight Drive" - for late cruising.
    const quoted = /^["“«`]([^"”»`]{1,80})["”»`]\s*[-–—:,(]/.exec(s);
    if (quoted) s = quoted[1].trim();
    s = stripQuotes(s);
    if (s === before) break;
  }
  s = s.replace(/_automatic$/i, '');
  s = s.replace(/_/g, ' ');
  s = s.replace(/(?<!\.)\.$/, ''); // one trailing full stop, not an ellipsis
  return s.replace(/\s+/g, ' ').trim();
}

function stripQuotes(text: string): string {
  let s = text.trim();
  for (let changed = true; changed && s.length >= 2;) {
    changed = false;
    for (const [open, close] of QUOTE_PAIRS) {
      if (s.startsWith(open) && s.endsWith(close) && s.length >= open.length + close.length) {
        s = s.slice(open.length, s.length - close.length).trim();
        changed = true;
      }
    }
  }
  return s.replace(EDGE_QUOTES, '').trim();
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const chars = [...one];
  return JSON.stringify(chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : one);
}
