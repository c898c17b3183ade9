/**
 * Decides whether a telegram is passed on: only when a chosen field changed (`changeField`),
 * and at most once per `rateLimitMs`. Pure apart from the clock value it is given.
 */
export interface EmitGateOptions {
  /** Minimum time between two emitted telegrams; 0 = no limit. */
  rateLimitMs: number;
  /** Friendly field name (e.g. `tariff`); emit only when its value changed. Empty = off. */
  changeField: string;
}

export class EmitGate {
  private lastEmitAt: number | null = null;
  private lastValue: string | undefined;
  private hasValue = false;

  constructor(private readonly options: EmitGateOptions) {}

  /** Call once per telegram; true means emit it (and remember it as the last one emitted). */
  admit(telegram: Record<string, unknown>, nowMs: number): boolean {
    const { rateLimitMs, changeField } = this.options;
    const value = changeField ? JSON.stringify(telegram[changeField]) : undefined;
    if (changeField && this.hasValue && value === this.lastValue) return false;
    if (rateLimitMs > 0 && this.lastEmitAt !== null && nowMs - this.lastEmitAt < rateLimitMs) return false;
    this.lastEmitAt = nowMs;
    this.lastValue = value;
    this.hasValue = true;
    return true;
  }
}
