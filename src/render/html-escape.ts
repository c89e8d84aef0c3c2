/** Escaping of text for HTML element content and attribute values. */
import { safeMessageText } from '../util/errors.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes `& < > " '` so that any text is safe as HTML content or inside a quoted attribute; control characters and
 * bidirectional overrides (from file names) are written as visible escapes (`\x1b`, `\u202e`).
 */
export function escapeHtml(text: unknown): string {
  return safeMessageText(
    String(text ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]),
    Number.POSITIVE_INFINITY,
  );
}
