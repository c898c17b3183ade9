import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A real pseudo-terminal pair made by socat: a serial port at `a` for the code under test,
 * its other end at `b` for the test to write into (what a meter would send).
 */
export interface PtyPair {
  /** Symlink to the end the transport opens. */
  readonly a: string;
  /** Symlink to the end the test writes meter bytes into. */
  readonly b: string;
  /** Write bytes into `b`; they come out of `a`. */
  write(bytes: Uint8Array | string): void;
  /** Kill socat (both ends vanish, as if the cable were unplugged) and wait for it to exit. */
  stop(): Promise<void>;
}

export const SOCAT = '/usr/bin/socat';

/** Start socat with the two links in `dir` (names `a` and `b` unless given) and wait until both exist. */
export async function startPtyPair(dir: string, names: { a?: string; b?: string } = {}, timeoutMs = 5000): Promise<PtyPair> {
  const a = path.join(dir, names.a ?? 'a');
  const b = path.join(dir, names.b ?? 'b');
  const child = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(
      () => fs.existsSync(a) && fs.existsSync(b) && /starting data transfer loop/.test(log),
      timeoutMs,
      () => `socat did not start: ${log}`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  // Keep `b` open for the pair's life: socat ends the pair when the last holder of a side closes it.
  const writer = fs.openSync(b, 'r+');
  let stopped = false;
  return {
    a,
    b,
    write(bytes) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      let offset = 0;
      while (offset < buffer.length) offset += fs.writeSync(writer, buffer, offset);
    },
    async stop() {
      if (stopped) return exited;
      stopped = true;
      fs.closeSync(writer);
      killGently(child);
      await exited;
    },
  };
}

function killGently(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** Poll `condition` every 10 ms until it holds; reject with `describe()` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
