/**
 * Builds the outgoing message for a telegram in the form the node's `output` option asks for,
 * and its default topic. Shared by p1-in and p1-parse so that both emit exactly the same shape.
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

/**
 * "p1/<equipment id>" when the meter states one, else "p1/<source kind>[/<client>]". The id comes
 * off the wire, so it is escaped: it always stays one topic level and never becomes an MQTT wildcard.
 */
export function defaultTopic(telegram: P1Telegram, sourceName: string, stream: string): string {
  if (telegram.equipmentId) return `p1/${topicLevel(telegram.equipmentId)}`;
  return stream ? `p1/${sourceName}/${topicLevel(stream)}` : `p1/${sourceName}`;
}

/** Text as one MQTT topic level: `/`, the wildcards `#` and `+`, NUL and `%` itself percent-encoded ("x/#" → "x%2F%23"). */
export function topicLevel(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters MQTT forbids in a topic.
  return text.replace(/[%/#+\u0000]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
