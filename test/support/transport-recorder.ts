import type { Transport, TransportState } from '../../src/transport/transport';
import { waitFor } from './pty-pair';

/** Records what a transport emits and lets a test wait for it (polling, with a timeout). */
export class TransportRecorder {
  readonly states: TransportState[] = [];
  /** Data chunks in arrival order, each with the stream it came with (a TCP server's client; undefined for single-link transports). */
  readonly chunks: Array<{ source: string | undefined; data: Buffer }> = [];

  constructor(readonly transport: Transport) {
    transport.on('state', (state: TransportState) => this.states.push(state));
    transport.on('data', (data: Buffer, stream?: string) => this.chunks.push({ source: stream, data }));
  }

  /** Everything received, joined. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks.map((c) => c.data));
  }

  /** Wait for a state (from index `from` on) that matches; returns it and its index. */
  async waitForState(matches: (state: TransportState) => boolean, timeoutMs = 5000, from = 0): Promise<{ state: TransportState; index: number }> {
    let index = -1;
    await waitFor(
      () => (index = this.states.findIndex((s, i) => i >= from && matches(s))) >= 0,
      timeoutMs,
      () => `a matching state; got ${JSON.stringify(this.states.slice(from))}`,
    );
    return { state: this.states[index], index };
  }

  async waitForBytes(length: number, timeoutMs = 5000): Promise<Buffer> {
    await waitFor(
      () => this.bytes.length >= length,
      timeoutMs,
      () => `${length} bytes; got ${this.bytes.length}`,
    );
    return this.bytes;
  }

  /** Forget the data received so far. */
  clearData(): void {
    this.chunks.length = 0;
  }
}

/** A state is `connected` with exactly this detail. */
export const connectedWith = (detail: string) => (s: TransportState) => s.state === 'connected' && s.detail === detail;
