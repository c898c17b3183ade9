/**
 * Plays a P1 dongle with a local HTTP API, as HomeWizard documents its Wi-Fi P1 meter (API v1):
 * a real node:http server on 127.0.0.1 that answers `GET /api/v1/telegram` with the meter's
 * latest telegram as text/plain (503 while it has none), `/api/v1/data` with JSON, anything else
 * with 404. The test sets the meter's latest telegram and tells the dongle how to misbehave: a
 * fixed status (403 for a disabled API, 5xx), no answer at all, or going away and coming back on
 * the same port.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { FIXTURES } from './paths';
import { listenOnLoopback } from './loopback';

export const TELEGRAM_PATH = '/api/v1/telegram';

/** How the dongle answers the telegram path: normally, with a fixed status, or never. */
export type DongleBehaviour = 'normal' | 'never' | { status: number };

export class FakeDongle {
  /** The meter's latest telegram; `undefined` until the meter sent one (the dongle answers 503). */
  telegram: Buffer | undefined;
  behaviour: DongleBehaviour = 'normal';
  /** Requests and connections since the dongle was created, across restarts. */
  requests = 0;
  connections = 0;
  /** The most requests ever open at once: a poller must never overlap its requests. */
  maxInFlight = 0;
  port = 0;
  /** How long the dongle keeps an idle connection open (Node's default is 5 s). */
  keepAliveMs = 5000;
  private inFlight = 0;
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  /** Listens on `port` (0 = any free port; the old port to come back in place). */
  async listen(port = this.port): Promise<this> {
    const server = http.createServer((req, res) => this.answer(req, res));
    server.keepAliveTimeout = this.keepAliveMs;
    server.on('connection', (socket: net.Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.port = await listenOnLoopback(server, port);
    this.server = server;
    return this;
  }

  /** Connections open right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Stops listening and cuts every connection, answered or not (the dongle loses power). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const [status, type, body] = this.reply(req);
    if (!status) return;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Status, content type and body for a request; status 0: no answer at all. */
  private reply(req: http.IncomingMessage): [number, string, string | Buffer] {
    const behaviour = this.behaviour;
    if (behaviour === 'never') return [0, '', ''];
    if (typeof behaviour === 'object') return [behaviour.status, 'application/json', JSON.stringify({ error: `status ${behaviour.status}` })];
    if (req.method !== 'GET') return [405, 'application/json', '{}'];
    if (req.url === '/api/v1/data') return [200, 'application/json', JSON.stringify({ active_power_w: 123 })];
    if (req.url !== TELEGRAM_PATH) return [404, 'application/json', '{}'];
    if (!this.telegram) return [503, 'text/plain', 'no telegram received'];
    return [200, 'text/plain', this.telegram];
  }
}

/** Telegrams of the corpus with a valid CRC, unencrypted (test/fixtures/telegrams/index.tsv). */
export function corpusTelegrams(count: number): Array<{ file: string; bytes: Buffer }> {
  const rows = fs
    .readFileSync(path.join(FIXTURES, 'index.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));
  return rows
    .filter((row) => row[6] === 'true' && row[7] === 'valid' && row[8] === 'no')
    .slice(0, count)
    .map(([file]) => ({ file, bytes: fs.readFileSync(path.join(FIXTURES, file)) }));
}
