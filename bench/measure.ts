/** Mean µs per call of `fn`, after a warm-up, over at least `minMs` of wall time. */
export function microsecondsPerCall(fn: () => unknown, minMs = 1000): number {
  for (let i = 0; i < 2000; i++) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(minMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / 1000 / calls;
}
