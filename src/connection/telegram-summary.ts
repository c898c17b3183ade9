/**
 * The few live values of a telegram that the connection state carries for the status line
 * (power drawn and fed back, the telegram's time). Pure; read by OBIS code so that every
 * country profile works alike.
 */
import type { P1Telegram } from '../protocol/types';
import type { TelegramSummary } from './connection-state';

const POWER_DELIVERED = '1-0:1.7.0';
const POWER_RETURNED = '1-0:2.7.0';

export function summarizeTelegram(telegram: P1Telegram, receivedAt: Date): TelegramSummary {
  const delivered = telegram.obis[POWER_DELIVERED];
  const returned = telegram.obis[POWER_RETURNED];
  return {
    delivered: typeof delivered?.value === 'number' ? delivered.value : null,
    returned: typeof returned?.value === 'number' ? returned.value : null,
    unit: delivered?.unit ?? returned?.unit ?? 'kW',
    time: clockTime(telegram.timestamp) ?? receivedAt.toTimeString().slice(0, 8),
  };
}

/** HH:MM:SS of an ISO-8601 stamp as written (the meter's local time, not converted). */
function clockTime(iso: string | null): string | null {
  const match = iso ? /T(\d\d:\d\d:\d\d)/.exec(iso) : null;
  return match ? match[1] : null;
}
