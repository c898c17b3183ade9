/**
 * Maps a connection state to the status (fill, shape, text) shown under every node that uses
 * the connection: the one place where a connection state becomes a Node-RED status. Pure.
 *
 * Texts come from the message catalog (`p1-connection.status.*` in nodes/locales/<lang>/p1-connection.json)
 * through the `translate` function, so that they follow the runtime's language.
 */
import type { ConnectionState, TelegramSummary } from '../../connection/connection-state';
import type { NodeStatus, Translate } from './node-red';

export function statusFor(state: ConnectionState, translate: Translate): NodeStatus {
  const t = (key: string, subs?: Record<string, unknown>) => translate(`p1-connection.status.${key}`, subs);
  switch (state.phase) {
    case 'idle':
      return { fill: 'grey', shape: 'ring', text: t('idle') };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('connecting', { detail: state.detail ?? '' }).trim() };
    case 'waiting':
      return {
        fill: state.problem ? 'yellow' : 'green',
        shape: 'ring',
        text: state.problem
          ? t('waitingProblem', { problem: state.problem })
          : state.detail
            ? t('waitingOn', { detail: state.detail })
            : t('waiting'),
      };
    case 'receiving':
      return { fill: 'green', shape: 'dot', text: formatSummary(state.summary) };
    case 'stalled':
      return { fill: 'yellow', shape: 'dot', text: t('stalled', { seconds: Math.round(state.silentForMs / 1000) }) };
    case 'reconnecting':
      return { fill: 'yellow', shape: 'ring', text: t('reconnecting', { seconds: Math.ceil(state.inMs / 1000), reason: state.reason }) };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: state.detail ? t('closedWhy', { detail: state.detail }) : t('closed') };
    case 'failed':
      return { fill: 'red', shape: 'dot', text: t('failed', { reason: state.reason }) };
  }
}

/** "1.23 kW ↓ 0.40 kW ↑ · 12:03:04": drawn from and fed into the grid, and the telegram's time. */
export function formatSummary(summary: TelegramSummary): string {
  const power: string[] = [];
  if (summary.delivered !== null) power.push(`${formatPower(summary.delivered, summary.unit)} ↓`);
  if (summary.returned !== null) power.push(`${formatPower(summary.returned, summary.unit)} ↑`);
  return power.length > 0 ? `${power.join(' ')} · ${summary.time}` : summary.time;
}

function formatPower(value: number, unit: string): string {
  return unit === 'kW' ? `${value.toFixed(2)} kW` : `${Math.round(value)} ${unit}`;
}
