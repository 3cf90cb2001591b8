/** `{ c: { c: … } }`, `depth` objects deep: for nesting limits. */
export function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at.c = next;
    at = next;
  }
  return root;
}
