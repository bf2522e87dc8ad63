import type { Access } from './sql';

interface Closable {
  closeSync(): void;
}

/**
 * Holds an embedded database open only while someone uses it: the first `acquire` opens it, the
 * last `release` closes it (which also releases the file lock for other processes). A read may
 * share an instance opened for writing; a write waits for a read-only instance to be let go and
 * then opens the file for writing.
 */
export class InstanceLease<Instance extends Closable> {
  private instance: Instance | undefined;
  private access: Access | undefined;
  private holders = 0;
  /** Acquisitions wait their turn: one open or close at a time. */
  private turn: Promise<unknown> = Promise.resolve();
  private idle: Array<() => void> = [];

  constructor(private readonly open: (access: Access) => Promise<Instance>) {}

  acquire(access: Access): Promise<Instance> {
    const next = this.turn.then(() => this.take(access));
    this.turn = next.catch(() => {});
    return next;
  }

  private async take(access: Access): Promise<Instance> {
    if (this.instance && (this.access === 'write' || access === 'read')) {
      this.holders++;
      return this.instance;
    }
    // Open read-only, and a writer wants it: wait for the readers, which close it.
    if (this.instance) await new Promise<void>((resolve) => this.idle.push(resolve));
    const instance = await this.open(access);
    this.instance = instance;
    this.access = access;
    this.holders = 1;
    return instance;
  }

  release(): void {
    if (this.holders === 0) return;
    this.holders--;
    if (this.holders > 0) return;
    const instance = this.instance;
    this.instance = undefined;
    this.access = undefined;
    try {
      instance?.closeSync();
    } finally {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
