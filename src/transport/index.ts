/**
 * Byte sources for a P1 connection. Nothing outside this folder touches `serialport`, `node:net` or `node:http`.
 */
import { HttpPollTransport } from './http-poll';
import { ReplayTransport } from './replay';
import { SerialTransport, type SerialFraming } from './serial';
import type { SimulatedProfile } from './simulated-meter';
import { SimulatorTransport } from './simulator';
import { TcpClientTransport } from './tcp-client';
import { TcpServerTransport } from './tcp-server';
import type { Transport } from './transport';

export type { ClientRejection, Transport, TransportState } from './transport';
export { parseAllowList } from './allow-list';
export type { SerialFraming, SerialSettings } from './serial';
export { describeSettings } from './serial';
export { listSerialPorts, type SerialPortChoice } from './serial-ports';
export { diagnoseGarbage, type GarbageDiagnosis, type GarbageKind } from './garbage-diagnosis';
export { SimulatedMeter, type SimulatedProfile } from './simulated-meter';
export { SplitterServer, type SplitterCounts, type SplitterOptions } from './splitter-server';

export type TransportConfig =
  | { kind: 'serial'; path: string; framing: SerialFraming; baudRate?: number; dataBits?: 7 | 8; parity?: 'none' | 'even' | 'odd'; stopBits?: 1 | 2 }
  | { kind: 'tcp-client'; host: string; port: number; connectTimeoutMs?: number; idleTimeoutMs?: number; maxBackoffMs?: number }
  | { kind: 'tcp-server'; bindAddress: string; port: number; maxClients?: number; clientIdleTimeoutMs?: number; allowedClients?: string[] }
  | { kind: 'replay'; file: string; intervalMs: number /* 0 = the capture's own rate */; loop: boolean }
  | { kind: 'simulator'; profile: SimulatedProfile; intervalMs: number }
  | { kind: 'http'; host: string; port: number; path: string; intervalMs: number; requestTimeoutMs?: number; maxBackoffMs?: number };

/** A transport for a configuration; not yet open (call `open()`). */
export function createTransport(config: TransportConfig): Transport {
  switch (config.kind) {
    case 'serial': {
      const { path, framing, baudRate, dataBits, parity, stopBits } = config;
      return new SerialTransport({ path, framing, custom: { baudRate, dataBits, parity, stopBits } });
    }
    case 'tcp-client':
      return new TcpClientTransport(config);
    case 'tcp-server':
      return new TcpServerTransport(config);
    case 'replay':
      return new ReplayTransport(config);
    case 'simulator':
      return new SimulatorTransport({ profile: config.profile, intervalMs: config.intervalMs });
    case 'http':
      return new HttpPollTransport(config);
  }
}
