/**
 * Maps a connection state to the status (fill, shape, text) shown under every node that uses
 * the connection: the one place where a connection state becomes a Node-RED status. Pure.
 *
 * The status is a few words, as under the core nodes ("retry in 8 s"): a longer text runs under
 * the next node on the canvas. The full description (with the reason) is `describeState`, for
 * the health message; the log has the reason too.
 *
 * Texts come from the message catalog (`p1-connection.status.*` in nodes/locales/<lang>/p1-connection.json)
 * through the `translate` function, so that they follow the runtime's language.
 */
import type { ConnectionState, TelegramSummary } from '../../connection/connection-state';
import type { NodeStatus, Translate } from './node-red';

/** Longest reason or detail shown in a status; the rest is cut at a word, with "…". */
const STATUS_DETAIL_CHARS = 24;

export function statusFor(state: ConnectionState, translate: Translate): NodeStatus {
  const t = (key: string, subs?: Record<string, unknown>) => translate(`p1-connection.status.${key}`, subs);
  switch (state.phase) {
    case 'idle':
      return { fill: 'grey', shape: 'ring', text: t('idle') };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('connecting', { detail: '' }).trim() };
    case 'waiting':
      return { fill: state.problem ? 'yellow' : 'green', shape: 'ring', text: state.problem ? t('noTelegram') : t('waitingShort') };
    case 'receiving':
      return { fill: 'green', shape: 'dot', text: formatSummary(state.summary) };
    case 'stalled':
      return { fill: 'yellow', shape: 'dot', text: t('stalled', { seconds: Math.round(state.silentForMs / 1000) }) };
    case 'reconnecting':
      return { fill: 'yellow', shape: 'ring', text: t('retry', { seconds: Math.ceil(state.inMs / 1000) }) };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: state.detail ? t('closedWhy', { detail: brief(state.detail) }) : t('closed') };
    case 'failed':
      return { fill: 'red', shape: 'dot', text: t('failed', { reason: brief(state.reason) }) };
  }
}

/** The state in full words, reason and details included: the health message's `detail`. */
export function describeState(state: ConnectionState, translate: Translate): string {
  const t = (key: string, subs?: Record<string, unknown>) => translate(`p1-connection.status.${key}`, subs);
  switch (state.phase) {
    case 'connecting':
      return t('connecting', { detail: state.detail ?? '' }).trim();
    case 'waiting':
      if (state.problem) return t('waitingProblem', { problem: state.problem });
      return state.detail ? t('waitingOn', { detail: state.detail }) : t('waiting');
    case 'receiving':
      // The link's detail names what auto-detect found ("auto → 115200 8N1").
      return state.detail ? `${formatSummary(state.summary)} · ${state.detail}` : formatSummary(state.summary);
    case 'reconnecting':
      return t('reconnecting', { seconds: Math.ceil(state.inMs / 1000), reason: state.reason });
    case 'closed':
      return state.detail ? t('closedWhy', { detail: state.detail }) : t('closed');
    case 'failed':
      return t('failed', { reason: state.reason });
    default:
      return statusFor(state, translate).text ?? '';
  }
}

/** The first words of `text` that fit in a status. */
function brief(text: string): string {
  if (text.length <= STATUS_DETAIL_CHARS) return text;
  const cut = text.slice(0, STATUS_DETAIL_CHARS);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > STATUS_DETAIL_CHARS / 2 ? cut.slice(0, lastSpace) : cut).replace(/[\s:,;.-]+$/, '')}…`;
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
