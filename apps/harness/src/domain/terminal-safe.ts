/**
 * Characters a terminal acts on rather than shows: C0 controls but \t and \n (ESC starts CSI/OSC
 * sequences that move the cursor, clear the screen, set the title or the clipboard; \r overwrites
 * a line), DEL, and C1 (U+0080–U+009F: U+009B is a one-character CSI, U+009D an OSC).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g
/**
 * Bidirectional overrides and isolates (and the invisible marks): they reorder what is shown, so
 * a diff or a message could read differently from what it is ("Trojan Source", CVE-2021-42574).
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const hex2 = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0')
/** `\u202e`: what a JSON parser reads back as the same character. */
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * Agent-supplied text made safe to print to the operator's terminal: each control character
 * becomes a visible escape (`\x1b`, `\x07`, C1 as `\u009b`), so nothing it contains can repaint
 * the screen. Newlines and tabs stay.
 */
export function terminalSafe(text: string): string {
  return text
    .replace(TERMINAL_CONTROLS, (c) => (c.charCodeAt(0) >= 0x80 ? unicodeEscape(c) : `\\x${hex2(c)}`))
    .replace(BIDI_CONTROLS, unicodeEscape)
}

/**
 * `JSON.stringify` for a terminal: it escapes C0 itself but leaves DEL and C1 raw, which a
 * terminal still acts on; they become `\u007f`, `\u009b`… (the same string to a JSON parser).
 */
export function terminalSafeJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null')
    .replace(/[\x7f-\x9f]/g, unicodeEscape)
    .replace(BIDI_CONTROLS, unicodeEscape)
}
