/**
 * A P1 dongle that serves the meter's last telegram over HTTP instead of streaming it: the
 * HomeWizard Wi-Fi P1 meter (local API v1, `GET /api/v1/telegram`, `text/plain`, switched on
 * in the HomeWizard Energy app) and other dongles with a raw-telegram URL.
 *
 * One request at a time on a keep-alive connection, one every `intervalMs` (measured from the
 * start of the previous request, so a slow answer does not stretch the rhythm). Each answer is
 * passed on as one chunk that ends in a line end, so the framer sees the whole telegram at once.
 * A dongle answers with the same telegram until the meter sends the next one: polling faster
 * than the meter would repeat it, so an answer identical to the last one passed on is skipped.
 * (Identical bodies, not timestamps: this layer does not parse, and DSMR 2.2/3 telegrams carry
 * no timestamp. A DSMR 2.2/3 meter whose values did not change at all is skipped too; nothing
 * is lost but the repeat.)
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import { describeSocketError, formatSeconds } from './link-errors';

export interface HttpPollOptions {
  host: string;
  port: number;
  /** e.g. "/api/v1/telegram". */
  path: string;
  intervalMs: number;
  /** A request not fully answered within this long fails (and the connection is retried). Default 3 s. */
  requestTimeoutMs?: number;
  /** Cap of the retry delay (1 s doubling). Default 60 s. */
  maxBackoffMs?: number;
}

/** A telegram is a few KiB at most; an answer this large is something else (a web page, a file). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Why an answer with this status is not a telegram, in the words a user can act on. */
const STATUS_HINTS: Record<number, string> = {
  403: 'API disabled? Switch on "Local API" in the HomeWizard Energy app',
  404: 'nothing at this path: check the path, or the dongle serves no raw telegram',
  503: 'the dongle has no telegram from the meter yet',
};

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A request failure with the reason already in words. */
class RequestFailure extends Error {}

/** The dongle had closed the kept-alive connection just as the request went out: not a failure of the dongle. */
class StaleConnection extends Error {}

export class HttpPollTransport extends BaseTransport {
  readonly description: string;
  private readonly url: string;
  private readonly requestTimeoutMs: number;
  /** The current attempt's connection pool; callbacks of an attempt that was released find it replaced. */
  private agent: http.Agent | undefined;
  private request: http.ClientRequest | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  /** The last body passed on, to skip the same telegram served again. */
  private lastBody: Buffer | undefined;

  constructor(private readonly options: HttpPollOptions) {
    super(new Backoff(1000, options.maxBackoffMs ?? 60_000));
    this.url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}${options.port === 80 ? '' : `:${options.port}`}${options.path}`;
    this.description = this.url;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3000;
  }

  protected connect(): void {
    this.report({ state: 'connecting', detail: this.url });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.agent = agent;
    void this.pollWhile(agent);
  }

  private async pollWhile(agent: http.Agent): Promise<void> {
    let answered = false;
    while (agent === this.agent) {
      const startedAt = Date.now();
      let answer: Answer;
      try {
        answer = await this.fetch(agent);
      } catch (err) {
        if (agent === this.agent) this.retryLater(err instanceof RequestFailure ? err.message : String(err));
        return;
      }
      if (agent !== this.agent) return;
      const problem = this.problemWith(answer);
      if (problem) {
        this.retryLater(problem);
        return;
      }
      if (!answered) {
        answered = true;
        this.backoff.reset();
        this.report({ state: 'connected', detail: this.url });
      }
      this.pass(answer.body);
      await this.wait(agent, this.options.intervalMs - (Date.now() - startedAt));
    }
  }

  /** One GET; a keep-alive connection the dongle closed in the meantime is retried once on a fresh one. */
  private async fetch(agent: http.Agent): Promise<Answer> {
    try {
      return await this.get(agent);
    } catch (err) {
      if (!(err instanceof StaleConnection)) throw err;
      return this.get(agent);
    }
  }

  private get(agent: http.Agent): Promise<Answer> {
    const { host, port, path } = this.options;
    return new Promise<Answer>((resolve, reject) => {
      let timedOut = false;
      let responded = false;
      const request = http.get({ host, port, path, agent, headers: { accept: 'text/plain' } });
      this.request = request;
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, this.requestTimeoutMs);
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        if (this.request === request) this.request = undefined;
        outcome();
      };
      // Before a response, a failure is the request's 'error'; after it, the response's.
      const fail = (err: NodeJS.ErrnoException): void => {
        if (timedOut) settle(() => reject(new RequestFailure(`timed out after ${formatSeconds(this.requestTimeoutMs)}`)));
        else if (!responded && err.code === 'ECONNRESET' && request.reusedSocket) settle(() => reject(new StaleConnection()));
        else settle(() => reject(new RequestFailure(describeSocketError(err, host, port))));
      };
      request.on('error', fail);
      request.on('response', (response) => {
        responded = true;
        response.on('error', fail);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          else
            settle(() => {
              reject(new RequestFailure(`the answer is larger than ${MAX_ANSWER_BYTES / 1024} KiB: not a telegram`));
              request.destroy();
            });
        });
        response.on('end', () => {
          if (response.complete)
            settle(() => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
          else fail(Object.assign(new Error('answer cut off'), { code: 'ECONNRESET' }));
        });
      });
    });
  }

  private problemWith(answer: Answer): string | undefined {
    if (answer.status !== 200) {
      const hint = STATUS_HINTS[answer.status];
      return hint ? `HTTP ${answer.status}: ${hint}` : `HTTP ${answer.status}`;
    }
    // No content type is tolerated (simple dongle firmware); anything but text is not a telegram.
    const type = answer.contentType.split(';')[0].trim().toLowerCase();
    if (type && !type.startsWith('text/')) return `the answer is ${type}, not a telegram: check the path`;
    return undefined;
  }

  private pass(body: Buffer): void {
    if (body.length === 0 || (this.lastBody && body.equals(this.lastBody))) return;
    this.lastBody = body;
    // The framer passes a telegram on at the line end after its CRC; a body without one would wait for the next answer.
    const ended = body[body.length - 1] === 0x0a ? body : Buffer.concat([body, Buffer.from('\r\n')]);
    this.emit('data', ended);
  }

  /** Resolves after `ms`, or never if the attempt is released first (the loop then has nothing left to do). */
  private wait(agent: http.Agent, ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (agent !== this.agent) return;
      this.waitTimer = setTimeout(resolve, Math.max(0, ms));
    });
  }

  protected async release(): Promise<void> {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const agent = this.agent;
    const request = this.request;
    this.agent = undefined;
    this.request = undefined;
    if (!agent) return;
    const sockets = [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].flat().filter((s): s is net.Socket => !!s && !s.closed);
    request?.destroy();
    agent.destroy();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())))));
  }
}
