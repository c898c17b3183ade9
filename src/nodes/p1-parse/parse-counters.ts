/**
 * The running totals `p1-parse` shows in its status ("12 telegrams, 1 CRC errors"), and the
 * one error per input message a Catch node sees: which problems count, in a text that stays
 * short however many problems one message holds (counts per kind, the first example). Pure.
 */
import type { ProblemKind, ProblemTally } from '../../protocol/problem-tally';
import type { NodeStatus, Translate } from '../common/node-red';

/** How a kind is named in the summary of an error ("3 × CRC error"). */
const KIND_NAMES: Record<ProblemKind, string> = {
  crc: 'CRC error',
  skipped: 'run of skipped bytes',
  partial: 'incomplete telegram',
  oversize: 'oversize telegram',
  decrypt: 'decryption failure',
  unauthenticated: 'unauthenticated telegram',
};

/**
 * The kinds of problem worth an error for this input, or none. Bytes around telegrams (a
 * capture that starts mid-telegram, gateway trailers) are routine; input holding nothing else is not.
 */
export function seriousProblems(problems: ProblemTally, emitted: number, crcPolicy: 'drop' | 'flag' | undefined): ProblemKind[] {
  return problems.kinds.filter((kind) => {
    switch (kind) {
      case 'crc':
        return crcPolicy !== 'flag';
      case 'skipped':
        return emitted === 0;
      default:
        return true;
    }
  });
}

/**
 * One error text for the serious problems of one message: the first example, and when there
 * were more, how many of each kind ("…; 5 problems in this message: 3 × CRC error, 2 × incomplete telegram").
 */
export function describeProblems(problems: ProblemTally, kinds: readonly ProblemKind[]): string {
  const example = problems.first(kinds[0])?.message ?? '';
  const total = kinds.reduce((sum, kind) => sum + problems.count(kind), 0);
  if (total <= 1) return example;
  const counts = kinds.map((kind) => `${problems.count(kind)} × ${KIND_NAMES[kind]}`).join(', ');
  return `${example}; ${total} problems in this message: ${counts}`;
}

export class ParseCounters {
  telegrams = 0;
  crcErrors = 0;
  decryptErrors = 0;
  rejected = 0;
  discarded = 0;

  add(emitted: number, problems: ProblemTally): void {
    this.telegrams += emitted;
    this.crcErrors += problems.count('crc');
    this.decryptErrors += problems.count('decrypt');
    this.rejected += problems.count('unauthenticated');
    this.discarded += problems.count('skipped') + problems.count('partial') + problems.count('oversize');
  }

  /** Green while all is well, yellow once something was dropped; texts from `p1-parse.status.*`. */
  status(translate: Translate): NodeStatus {
    const parts = [translate('p1-parse.status.telegrams', { count: this.telegrams })];
    if (this.crcErrors) parts.push(translate('p1-parse.status.crcErrors', { count: this.crcErrors }));
    if (this.decryptErrors) parts.push(translate('p1-parse.status.decryptErrors', { count: this.decryptErrors }));
    if (this.rejected) parts.push(translate('p1-parse.status.rejected', { count: this.rejected }));
    if (this.discarded) parts.push(translate('p1-parse.status.discarded', { count: this.discarded }));
    const troubled = this.crcErrors + this.decryptErrors + this.rejected + this.discarded > 0;
    return { fill: troubled ? 'yellow' : 'green', shape: 'dot', text: parts.join(', ') };
  }
}
