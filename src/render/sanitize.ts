/** The one sanitiser every text renderer and table printer uses before writing to a terminal. */
/**
 * Make host-supplied text safe for a terminal: control characters other than newline and tab
 * (ESC, BEL, CR, C1 controls, DEL) become a visible `\xNN`, so a lock reason or a history line
 * cannot retitle the window, recolour or rewrite what the operator sees.
 */
export function sanitizeTerminal(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
