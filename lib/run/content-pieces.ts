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
 * logged by comparing the pieces by reference, without reading the text (see {@link takePieces}).
 */
export function notePieces(response: object, content: string, pieces: readonly string[]): void {
  noted.set(response, { content, pieces, count: pieces.length });
}

/**
 * The pieces `response`'s text content was made of, while it is still `content` (see
 * {@link notePieces}); read once: they are forgotten then. A response can stay in the heap long
 * after its run (until the collector's next full collection finds it dead), and its noted
 * pieces would keep the run's text there with it.
 */
export function takePieces(response: object, content: string): readonly string[] | undefined {
  const made = noted.get(response);
  noted.delete(response);
  if (made === undefined || made.content !== content) return undefined;
  return made.pieces.length === made.count ? made.pieces : undefined;
}
