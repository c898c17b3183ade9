/**
 * From a meter's register readings to increments that never go negative.
 *
 * The anchor remembers the last reading of every register and the equipment id it came from. A
 * new equipment id (the grid operator swapped the meter) or a register that went backwards (a
 * reset, a replaced M-Bus module) re-anchors: that step adds nothing, later steps count from the
 * new reading, and an event says what happened. Pure; the anchor is plain JSON.
 */
import type { Amounts } from './period-totals';

export interface RegisterAnchor {
  equipmentId: string | null;
  /** Last reading of each register, as the meter sent it. */
  last: Amounts;
}

export type AnchorEvent =
  | { event: 'meterSwap'; previousId: string | null; equipmentId: string | null; registers: Amounts; previous: Amounts }
  | { event: 'registerReset'; register: string; previous: number; value: number };

export interface AnchoredStep {
  /** Growth of each register since the last reading (0 for the first reading and after a re-anchor). */
  increments: Amounts;
  events: AnchorEvent[];
}

export function emptyAnchor(): RegisterAnchor {
  return { equipmentId: null, last: {} };
}

export function anchorStep(anchor: RegisterAnchor, equipmentId: string | null, readings: Amounts): AnchoredStep {
  const increments: Amounts = {};
  const events: AnchorEvent[] = [];
  const swapped = equipmentId !== null && anchor.equipmentId !== null && equipmentId !== anchor.equipmentId;
  if (swapped) {
    events.push({ event: 'meterSwap', previousId: anchor.equipmentId, equipmentId, registers: { ...readings }, previous: { ...anchor.last } });
    anchor.last = {};
  }
  if (equipmentId !== null) anchor.equipmentId = equipmentId;
  for (const [name, value] of Object.entries(readings)) {
    const last = anchor.last[name];
    if (last === undefined) {
      increments[name] = 0;
    } else if (value < last) {
      events.push({ event: 'registerReset', register: name, previous: last, value });
      increments[name] = 0;
    } else {
      increments[name] = value - last;
    }
    anchor.last[name] = value;
  }
  return { increments, events };
}
