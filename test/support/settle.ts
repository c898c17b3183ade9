/**
 * For counts that come back a little after the action (closed handles finish their callbacks
 * on a later tick, the OS frees a descriptor when a thread is done): poll until the condition
 * holds or a generous deadline passes, then let the test assert exactly, with its own message.
 * No fixed sleep: a fast machine goes on at once, a slow one gets the time it needs.
 */
export async function settle(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
