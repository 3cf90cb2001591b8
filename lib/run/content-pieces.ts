/** What a response's text content was made of. */
interface Pieces {
  readonly content: string;
  readonly pieces: readonly string[];
  readonly count: number;
}

const noted = new WeakMap<object, Pieces>();

/**
 * Notes that `content`, the text content of `response`, is `pieces` (one per text delta
 * streamed, in order) concatenated: the event log can then prove that content is the text it
 * logged by comparing the pieces by reference, without reading the text (see {@link piecesOf}).
 */
export function notePieces(response: object, content: string, pieces: readonly string[]): void {
  noted.set(response, { content, pieces, count: pieces.length });
}

/** The pieces `response`'s text content was made of, while it is still `content`. */
export function piecesOf(response: object, content: string): readonly string[] | undefined {
  const made = noted.get(response);
  if (made === undefined || made.content !== content) return undefined;
  return made.pieces.length === made.count ? made.pieces : undefined;
}
