/** A parsed `Content-Range: bytes first-last/complete`; `complete` is undefined when the server sent `*`. */
export interface ContentRange {
  readonly first: number;
  readonly last: number;
  readonly complete?: number;
}

/** Parses a byte Content-Range header (RFC 9110 §14.4); undefined when absent or malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const complete = m[3] === '*' ? undefined : Number(m[3]);
  // RFC 9110 §14.4: a range with last < first, or past the complete length, is invalid.
  if (last < first || (complete !== undefined && last >= complete)) return undefined;
  return complete === undefined ? { first, last } : { first, last, complete };
}

/** Parses a Content-Length header (RFC 9110 §8.6); undefined when absent or malformed. */
export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
