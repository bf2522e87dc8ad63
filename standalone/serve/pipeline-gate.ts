/**
 * One writer per pipeline within serve: a run holds its pipeline's gate from start to end, and
 * applying webhook deliveries holds it for one short batch. A run waits for a batch to finish;
 * a batch skips a pipeline whose gate is held (its deliveries wait for the next batch), so a long
 * run never blocks the other pipelines' deliveries. (Across processes, the warehouse's lock and
 * DuckDB's one writer do the same.)
 */
export class PipelineGate {
  private readonly held = new Map<string, Promise<void>>();

  /** Waits for the gate, then holds it until the returned function is called. */
  async acquire(name: string): Promise<() => void> {
    for (let current = this.held.get(name); current; current = this.held.get(name)) {
      await current;
    }
    return this.take(name);
  }

  /** Takes the gate if it is free; undefined when someone holds it. */
  tryAcquire(name: string): (() => void) | undefined {
    return this.held.has(name) ? undefined : this.take(name);
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  private take(name: string): () => void {
    let open!: () => void;
    this.held.set(name, new Promise<void>((resolve) => (open = resolve)));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(name);
      open();
    };
  }
}
