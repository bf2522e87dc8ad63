/**
 * A scripted Stripe where a customer changes while a full import runs: the import lists it as it
 * was, and only the event log has the change.
 */
import { ScriptedStripe } from './scripted-stripe';

/** 250 customers; cus_0249 (on the first page) is renamed while the second page is read. */
export class BusyStripe extends ScriptedStripe {
  private lists = 0;

  constructor() {
    super();
    for (let i = 0; i < 250; i++) {
      this.create(
        { id: `cus_${String(i).padStart(4, '0')}`, name: 'before' },
        {
          silent: true,
          created: this.now - 10_000 + i,
        },
      );
    }
  }

  override async listCustomers(params: Parameters<ScriptedStripe['listCustomers']>[0]) {
    const page = await super.listCustomers(params);
    if (++this.lists === 2) {
      // The first page is out, with cus_0249 as it was; it changes now, and time passes.
      this.advance(5);
      this.update('cus_0249', { name: 'during' });
      this.advance(60);
    }
    return page;
  }
}
