/**
 * The running totals `p1-parse` shows in its status ("12 telegrams, 1 CRC errors"), and the
 * decision which reader problems are errors a Catch node must see. Pure.
 */
import type { ReaderProblem } from '../../protocol/reader';
import type { NodeStatus, Translate } from '../shared/node-red';

/**
 * Problems worth an error for this input, or none. Bytes around telegrams (a capture that
 * starts mid-telegram, gateway trailers) are routine; input holding nothing else is not.
 */
export function seriousProblems(problems: readonly ReaderProblem[], emitted: number, crcPolicy: 'drop' | 'flag' | undefined): ReaderProblem[] {
  return problems.filter((problem) => {
    switch (problem.kind) {
      case 'crc':
        return crcPolicy !== 'flag';
      case 'skipped':
        return emitted === 0;
      default:
        return true;
    }
  });
}

export class ParseCounters {
  telegrams = 0;
  crcErrors = 0;
  decryptErrors = 0;
  discarded = 0;

  add(emitted: number, problems: readonly ReaderProblem[]): void {
    this.telegrams += emitted;
    for (const problem of problems) {
      if (problem.kind === 'crc') this.crcErrors++;
      else if (problem.kind === 'decrypt') this.decryptErrors++;
      else this.discarded++;
    }
  }

  /** Green while all is well, yellow once something was dropped; texts from `p1-parse.status.*`. */
  status(translate: Translate): NodeStatus {
    const parts = [translate('p1-parse.status.telegrams', { count: this.telegrams })];
    if (this.crcErrors) parts.push(translate('p1-parse.status.crcErrors', { count: this.crcErrors }));
    if (this.decryptErrors) parts.push(translate('p1-parse.status.decryptErrors', { count: this.decryptErrors }));
    if (this.discarded) parts.push(translate('p1-parse.status.discarded', { count: this.discarded }));
    const troubled = this.crcErrors + this.decryptErrors + this.discarded > 0;
    return { fill: troubled ? 'yellow' : 'green', shape: 'dot', text: parts.join(', ') };
  }
}
