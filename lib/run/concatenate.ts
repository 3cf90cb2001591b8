/** Spread over at most this many arguments at once: far below any engine's limit. */
const chunk = 8192;

/**
 * The strings of `pieces` one after the other. `String.prototype.concat` over the array is
 * several times faster than `join("")`, and than a string grown one `+` at a time (V8 then
 * keeps a tree of pieces, which it walks again to flatten).
 */
export function concatenate(pieces: readonly string[]): string {
  if (pieces.length <= chunk) return "".concat(...pieces);
  let text = "";
  for (let at = 0; at < pieces.length; at += chunk) {
    text += "".concat(...pieces.slice(at, at + chunk));
  }
  return text;
}
