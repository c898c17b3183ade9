import type { ReaderProblem } from './reader';

/**
 * What the reader complained about during one stretch of input (one message into p1-parse):
 * how often each kind of problem occurred and the first message of each kind, cut to a bounded
 * length. However hostile the input, it holds a number and one short text per kind, so that a
 * problem is counted, never copied.
 */

export type ProblemKind = ReaderProblem['kind'];

/** Longest example message kept; longer ones are cut with an ellipsis. */
export const MAX_EXAMPLE_LENGTH = 200;

export class ProblemTally {
  private readonly counts = new Map<ProblemKind, number>();
  private readonly firsts = new Map<ProblemKind, string>();
  private sum = 0;

  add(problem: ReaderProblem): void {
    this.sum++;
    this.counts.set(problem.kind, (this.counts.get(problem.kind) ?? 0) + 1);
    if (!this.firsts.has(problem.kind)) this.firsts.set(problem.kind, shorten(problem.message));
  }

  /** How many problems of this kind. */
  count(kind: ProblemKind): number {
    return this.counts.get(kind) ?? 0;
  }

  get total(): number {
    return this.sum;
  }

  /** The kinds seen, in the order they first occurred. */
  get kinds(): ProblemKind[] {
    return [...this.counts.keys()];
  }

  /** The first problem of a kind (message cut to `MAX_EXAMPLE_LENGTH`), if there was one. */
  first(kind: ProblemKind): ReaderProblem | undefined {
    const message = this.firsts.get(kind);
    return message === undefined ? undefined : { kind, message };
  }
}

function shorten(message: string): string {
  return message.length <= MAX_EXAMPLE_LENGTH ? message : `${message.slice(0, MAX_EXAMPLE_LENGTH - 1)}…`;
}
