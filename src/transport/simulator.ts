import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import { noise } from './simulated-household';
import { SimulatedMeter, type SimulatedProfile } from './simulated-meter';

export interface SimulatorOptions {
  profile: SimulatedProfile;
  /** Default 1 s, like a DSMR 5 meter. */
  intervalMs?: number;
  /** Seeds the household; the same seed gives the same meter. Default: one per profile, so two simulated meters side by side differ. */
  seed?: number;
  /** The clock; tests may pass their own. Default `Date.now`. */
  now?: () => number;
}

const PROFILE_NAMES: Record<SimulatedProfile, string> = {
  'nl-dsmr5': 'Dutch DSMR 5 meter',
  'be-fluvius': 'Belgian Fluvius e-MUCS meter',
};

const DEFAULT_SEEDS: Record<SimulatedProfile, number> = { 'nl-dsmr5': 1, 'be-fluvius': 2 };

/**
 * A built-in meter for trying flows without hardware: a telegram every interval (the first
 * at once), written in two or three chunks on separate event-loop turns, as reads from a
 * serial port arrive.
 */
export class SimulatorTransport extends BaseTransport {
  readonly description: string;
  private readonly meter: SimulatedMeter;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly seed: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<NodeJS.Immediate>();
  private sent = 0;

  constructor(options: SimulatorOptions) {
    super(new Backoff());
    this.seed = options.seed ?? DEFAULT_SEEDS[options.profile];
    this.meter = new SimulatedMeter(options.profile, this.seed);
    this.intervalMs = options.intervalMs !== undefined && options.intervalMs > 0 ? options.intervalMs : 1000;
    this.now = options.now ?? Date.now;
    this.description = `simulated ${PROFILE_NAMES[options.profile]}`;
  }

  protected connect(): void {
    this.report({ state: 'connected', detail: this.description });
    this.timer = setInterval(() => this.send(), this.intervalMs);
    this.later(() => this.send());
  }

  private send(): void {
    const telegram = Buffer.from(this.meter.telegramAt(this.now()), 'latin1');
    const n = this.sent++;
    const cutCount = 1 + Math.floor(2 * noise(this.seed, 200, n));
    const cuts = [0.15 + 0.35 * noise(this.seed, 201, n), 0.55 + 0.35 * noise(this.seed, 202, n)]
      .slice(0, cutCount)
      .map((share) => Math.floor(telegram.length * share));
    const edges = [0, ...cuts, telegram.length];
    this.emitInTurn(edges.slice(1).map((end, i) => telegram.subarray(edges[i], end)));
  }

  private emitInTurn(chunks: Buffer[]): void {
    const [first, ...rest] = chunks;
    this.emit('data', first);
    if (rest.length > 0) this.later(() => this.emitInTurn(rest));
  }

  private later(action: () => void): void {
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      action();
    });
    this.pending.add(handle);
  }

  protected async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const handle of this.pending) clearImmediate(handle);
    this.pending.clear();
  }
}
