/**
 * What a dishonest test contributor returns instead of its output (test builds' `test/market-tamper`
 * and `inos contribute --test-corrupt-outputs`): the output with one byte (0x21) appended, so its
 * hash differs from every honest run's and the requester's quorum must catch it.
 */
export function corrupt(output: Uint8Array): Uint8Array {
  const out = new Uint8Array(output.length + 1);
  out.set(output);
  out[output.length] = 0x21;
  return out;
}
