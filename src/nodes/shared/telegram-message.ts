/**
 * Builds the outgoing message for a telegram in the form the node's `output` option asks for.
 * Shared by p1-in and p1-parse so that both emit exactly the same shape.
 */
import type { P1Telegram } from '../../protocol/types';
import type { NodeMessage } from './node-red';

export type OutputMode = 'parsed' | 'raw' | 'both';

export function isOutputMode(value: unknown): value is OutputMode {
  return value === 'parsed' || value === 'raw' || value === 'both';
}

/** parsed: payload = P1Telegram; raw: payload = telegram text; both: payload = P1Telegram, `telegram` = text. */
export function telegramMessage(output: OutputMode, telegram: P1Telegram, raw: string, topic: string): NodeMessage {
  switch (output) {
    case 'raw':
      return { topic, payload: raw };
    case 'both':
      return { topic, payload: telegram, telegram: raw };
    case 'parsed':
      return { topic, payload: telegram };
  }
}
