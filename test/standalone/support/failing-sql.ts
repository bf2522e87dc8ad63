/**
 * Failure injection for the warehouse: a SqlSession (or a SqlDatabase whose sessions are) that
 * fails the Nth statement matching a pattern, as a lost connection or a full disk would, without
 * patching anything inside the warehouse code. Every statement goes to the real session
 * otherwise, transactions included, so what the database keeps after a failure is what it would
 * really keep. Bulk loads count as statements, written `LOAD INTO <table>`.
 */
import {
  qualified,
  type SqlDatabase,
  type SqlSession,
  type TableRef,
} from '../../../standalone/warehouse/sql';

/** Thrown in place of the statement a trap fails. */
export class InjectedFailure extends Error {
  constructor(readonly statement: string) {
    super(`injected failure at: ${statement.replace(/\s+/g, ' ').slice(0, 120)}`);
    this.name = 'InjectedFailure';
  }
}

export interface Trap {
  /** Statements that count (all of them: /./). */
  pattern: RegExp;
  /** The matching statement to fail, counting from 1 once the trap is armed. */
  nth: number;
  /**
   * `before`: the statement never reaches the database. `after`: it runs, then the caller gets an
   * error anyway (the answer was lost on the way back).
   */
  when: 'before' | 'after';
}

/** A session that records every statement and fails the one its armed trap names. */
export class FailingSession {
  /** Every statement sent through it, in order (loads as `LOAD INTO <table>`). */
  readonly statements: string[] = [];
  private trap: Trap | undefined;
  private matched = 0;
  readonly session: SqlSession;

  constructor(private readonly inner: SqlSession) {
    const self = this;
    this.session = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'run' || property === 'query') {
          return (sql: string, params?: unknown[]) =>
            self.intercept(sql, () =>
              (target[property] as (s: string, p?: unknown[]) => Promise<unknown>).call(
                target,
                sql,
                params,
              ),
            );
        }
        if (property === 'load') {
          return (table: TableRef, ...rest: unknown[]) =>
            self.intercept(`LOAD INTO ${qualified(table)}`, () =>
              (target.load as (...args: unknown[]) => Promise<void>).call(target, table, ...rest),
            );
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** From now on, fail the trap's statement (once). */
  arm(trap: Trap): void {
    this.trap = trap;
    this.matched = 0;
  }

  disarm(): void {
    this.trap = undefined;
  }

  /** The session without any trap, to look at what the database holds. */
  get unwrapped(): SqlSession {
    return this.inner;
  }

  private async intercept<T>(statement: string, execute: () => Promise<T>): Promise<T> {
    this.statements.push(statement);
    const trap = this.trap;
    const fires = trap !== undefined && trap.pattern.test(statement) && ++this.matched === trap.nth;
    if (fires && trap.when === 'before') {
      this.trap = undefined;
      throw new InjectedFailure(statement);
    }
    const result = await execute();
    if (fires) {
      this.trap = undefined;
      throw new InjectedFailure(statement);
    }
    return result;
  }
}

/** A database whose every session is a FailingSession; `sessions` lists them as they open. */
export function failingDatabase(inner: SqlDatabase): {
  database: SqlDatabase;
  sessions: FailingSession[];
} {
  const sessions: FailingSession[] = [];
  const database: SqlDatabase = {
    dialect: inner.dialect,
    async session() {
      const failing = new FailingSession(await inner.session());
      sessions.push(failing);
      return failing.session;
    },
    close: () => inner.close(),
  };
  return { database, sessions };
}
