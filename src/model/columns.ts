/** Comparisons of column arrays (snapshot sections kept as columns), without allocating per item. */

/** sameStrings: two columns hold the same values in the same order (a compare per item, no allocation). */
export function sameStrings(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * u64Words views a 64-bit column as its 32-bit words (element i at 2i, 2i + 1, host order), without a copy:
 * reading or writing a BigUint64Array element makes a bigint, which 100k values a scrape should not.
 */
export function u64Words(numbers: BigUint64Array): Uint32Array {
  return new Uint32Array(numbers.buffer, numbers.byteOffset, 2 * numbers.length);
}

/**
 * u64Column is the 64-bit column whose words `words` are (u64Words' inverse): a view when their place in
 * memory allows one (a multiple of 8 bytes), a copy otherwise.
 */
export function u64Column(words: Uint32Array): BigUint64Array {
  const source = words.byteOffset % 8 === 0 ? words : words.slice();
  return new BigUint64Array(source.buffer, source.byteOffset, source.length / 2);
}

/** grown copies a column into a larger one of the same kind and returns the larger one. */
export function grown<T extends Uint8Array | Uint32Array | BigUint64Array>(old: T, bigger: T): T {
  bigger.set(old as never);
  return bigger;
}

/** sameBytes: two typed arrays hold the same bytes. */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const view = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return view(a).equals(view(b));
}
