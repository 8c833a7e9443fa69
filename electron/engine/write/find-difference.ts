/** The next non-empty piece of `pieces`, or undefined at its end. */
async function nextPiece(pieces: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  for (;;) {
    const step = await pieces.next();
    if (step.done === true) return undefined;
    if (step.value.length > 0) return step.value;
  }
}

/**
 * Offset of the first byte where two byte streams differ, comparing them side by side (whole overlaps at once, byte by
 * byte only inside an overlap that differs); where one ends before the other, the offset of that end. Undefined when
 * both hold the same bytes. Each piece is used only until the next piece of its stream is asked for; both streams are
 * closed (`return`) before this resolves.
 */
export async function firstDifference(expected: AsyncIterable<Buffer>, actual: AsyncIterable<Buffer>): Promise<number | undefined> {
  const left = expected[Symbol.asyncIterator]();
  const right = actual[Symbol.asyncIterator]();
  let a: Buffer | undefined = Buffer.alloc(0);
  let b: Buffer | undefined = Buffer.alloc(0);
  let offset = 0;
  try {
    for (;;) {
      if (a.length === 0) a = await nextPiece(left);
      if (b.length === 0) b = await nextPiece(right);
      if (a === undefined || b === undefined) return a === b ? undefined : offset;
      const n = Math.min(a.length, b.length);
      if (!a.subarray(0, n).equals(b.subarray(0, n))) {
        for (let i = 0; i < n; i++) if (a[i] !== b[i]) return offset + i;
      }
      a = a.subarray(n);
      b = b.subarray(n);
      offset += n;
    }
  } finally {
    await Promise.allSettled([left.return?.(), right.return?.()]);
  }
}
