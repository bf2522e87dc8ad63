import { describeError, type Wording } from '../connector';

/**
 * A failure and the words to say it in: a config refused while its file was read, when the
 * command that reports it knows the file's wording only through the error. `error` is the
 * engine's own (its kind decides the exit status).
 */
export class WordedFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly wording: Wording,
  ) {
    super(describeError(error, wording), { cause: error });
    this.name = 'WordedFailure';
  }
}

/** The engine's error inside a worded failure, or the error itself. */
export const unworded = (error: unknown): unknown =>
  error instanceof WordedFailure ? error.error : error;
