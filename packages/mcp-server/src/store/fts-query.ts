/**
 * Turns free text into a safe FTS5 query: its words, quoted, any of which may match (bm25 ranks).
 * Undefined when the text has no word at all (`🦀`, `*`, `"`): such text matches nothing.
 */
export function ftsQuery(text: string): string | undefined {
  const terms = text.match(/[\p{L}\p{N}_]+/gu);
  if (!terms || terms.length === 0) return undefined;
  return terms
    .slice(0, 32)
    .map((t) => `"${t}"`)
    .join(' OR ');
}
