/**
 * What compiling a mapping expression gives: the type it is known to have when the config is
 * loaded, and the closure that evaluates it per customer.
 */
import type { StaticType } from './types';

/** A failure while evaluating an expression for one customer. */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

/** `env[d]` is the element bound by the map() at nesting depth d. */
export type Evaluator = (customer: Record<string, unknown>, env: unknown[]) => unknown;

export interface Compiled {
  type: StaticType;
  evaluate: Evaluator;
  /** No paths involved: the value is the same for every customer. */
  constant: boolean;
}

export interface Scope {
  /** Element types of the enclosing map() calls, innermost last. */
  elements: StaticType[];
}
