/**
 * µs per call of `fn`: the median of many short samples after a warm-up. This machine shares its
 * cores with others, so a plain mean swings with their load; the median of 50 ms samples holds steady.
 */
export function microsecondsPerCall(fn: () => unknown, samples = 40, sampleMs = 50): number {
  for (let i = 0; i < 2000; i++) fn();
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(sampleMs) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 100; i++) fn();
      calls += 100;
      now = process.hrtime.bigint();
    }
    perCall.push(Number(now - start) / 1000 / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)];
}
