import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IPollFunctions,
} from 'n8n-workflow';
import {
  CREDENTIAL_TYPE,
  CustomerImport,
  DEFAULT_MAX_ITEMS_PER_POLL,
  STATE_KEY,
  TEST_EVENT_BUDGET_MS,
  claimPoll,
  configFromParameters,
  definitionFingerprint,
  filterProperties,
  isFirstPollOf,
  maxItemsPerPoll,
  optionsProperty,
  outputProperties,
  pollBudget,
  releasePoll,
  sharedOptions,
  shortestPollIntervalMs,
  testStripeCustomersCredential,
  toNodeError,
  triggerReadingProperties,
  type LogFn,
} from '../../shared';

/** "Fetch Test Event" returns this many current customers and leaves the cursor alone. */
const SAMPLE_SIZE = 5;

const seconds = (ms: number) =>
  Number.isFinite(ms) ? `${Math.round(ms / 1000)} s` : 'no time limit';

/** The engine's log lines through n8n's logger: its routine INFO lines at debug level. */
function engineLog(context: IPollFunctions): LogFn {
  return (level, message) =>
    level === 'WARN' ? context.logger.warn(message) : context.logger.debug(message);
}

/** One CustomerImport for the node's current parameters, cursor tied to them as written. */
async function openImport(context: IPollFunctions): Promise<CustomerImport> {
  const credentials = await context.getCredentials(CREDENTIAL_TYPE);
  const timezone = context.getTimezone();
  const written = context.getNode().parameters;
  const get = (name: string, fallback: unknown) => context.getNodeParameter(name, fallback);
  return new CustomerImport(
    configFromParameters({ get, written }, credentials, { incremental: true, timezone }),
    engineLog(context),
    definitionFingerprint(written, timezone),
  );
}

/**
 * "Fetch Test Event": up to SAMPLE_SIZE current customers, filtered and shaped like real items;
 * the cursor is left alone. It is the start of a first poll that imports everything (so the
 * engine checks the Events permission first, as at activation, and a key lacking it fails here
 * already), cut short. Stops looking after TEST_EVENT_BUDGET_MS; finding nothing is an error, as
 * in n8n's own triggers, so the editor says why there is no event.
 */
async function fetchTestEvent(context: IPollFunctions): Promise<INodeExecutionData[][]> {
  const started = Date.now();
  const session = await openImport(context);
  const sample = await session.run({
    syncMode: 'incremental',
    eventsNeededBy: 'trigger',
    limit: SAMPLE_SIZE,
    stopAtCheckpoint: () => (Date.now() - started > TEST_EVENT_BUDGET_MS ? 'time' : undefined),
  });
  const items = session.items(sample.items.slice(0, SAMPLE_SIZE), 0);
  if (items.length > 0) return [items];
  const hint =
    'Change the filter (or the transformation, if it skips customers), or create a matching customer in Stripe, then fetch again. Once the workflow is active, the trigger emits matching customers as they are created, updated or deleted.';
  if (sample.stoppedAtCheckpoint !== undefined) {
    throw new NodeOperationError(
      context.getNode(),
      `No customers match the current filter among those read in ${seconds(TEST_EVENT_BUDGET_MS)}`,
      {
        description: `Fetch Test Event reads customers for at most ${seconds(TEST_EVENT_BUDGET_MS)} and stopped before the end of the list. ${hint}`,
      },
    );
  }
  throw new NodeOperationError(context.getNode(), 'No customers match the current filter', {
    description: `Fetch Test Event shows up to ${SAMPLE_SIZE} current customers that pass the filter and the transformation, and found none in this Stripe account. ${hint}`,
  });
}

/** A scheduled (or activation) poll: the changes since the saved cursor, within limits. */
async function scheduledPoll(
  context: IPollFunctions,
  activation: boolean,
): Promise<INodeExecutionData[][] | null> {
  const started = Date.now();
  const session = await openImport(context);
  const staticData = context.getWorkflowStaticData('node');
  const saved = session.savedState(staticData[STATE_KEY]);
  // Whether the key may read events is the first thing either path finds out (reading Stripe's
  // clock from the event log, or the engine's check before an incremental run): at activation,
  // n8n then refuses the workflow with the reason, after one request.
  const current = saved && session.isCurrent(saved) ? saved : undefined;
  if (!current && context.getNodeParameter('firstPoll', 'startNow') === 'startNow') {
    staticData[STATE_KEY] = CustomerImport.toStaticData(await session.startingNow());
    context.logger.info('First poll: watching for customer changes from now on.');
    return null;
  }
  const budget = pollBudget({
    n8nBudgetMs:
      typeof context.getPollBudgetMs === 'function' ? context.getPollBudgetMs() : undefined,
    intervalMs: shortestPollIntervalMs(context.getNodeParameter('pollTimes', {})),
    activation,
  });
  const options = context.getNodeParameter('options', {}) as IDataObject;
  const requestedMax = Number(options.maxItemsPerPoll ?? DEFAULT_MAX_ITEMS_PER_POLL);
  const maxItems = Number.isFinite(requestedMax)
    ? Math.max(1, Math.floor(requestedMax))
    : DEFAULT_MAX_ITEMS_PER_POLL;
  context.logger.debug(
    `Polling Stripe customers: stopping at the first checkpoint after ${seconds(budget.stopAfterMs)} (${
      budget.limitedBy === 'activation'
        ? 'activation poll'
        : budget.limitedBy === 'schedule'
          ? 'before the next scheduled poll'
          : 'n8n’s poll time budget'
    }) or ${maxItems} items.`,
  );
  const result = await session.run({
    syncMode: 'incremental',
    eventsNeededBy: 'trigger',
    state: saved,
    stopAtCheckpoint: ({ items }) => {
      if (items >= maxItems) {
        return `after ${items} items (Max Items per Poll: ${maxItems})`;
      }
      if (Date.now() - started > budget.stopAfterMs) {
        return `to stay within the poll’s time budget (${seconds(budget.stopAfterMs)}${
          budget.limitedBy === 'activation' ? ', activation poll' : ''
        })`;
      }
      return undefined;
    },
  });
  if (result.state) staticData[STATE_KEY] = CustomerImport.toStaticData(result.state);
  if (result.stoppedAtCheckpoint !== undefined) {
    context.logger.info(
      `Stopped at a checkpoint ${result.stoppedAtCheckpoint}; the next poll goes on from there.`,
    );
  }
  const items = session.items(result.items, 0);
  return items.length > 0 ? [items] : null;
}

/**
 * Polls Stripe on n8n's schedule (the Poll Times parameter n8n adds to polling nodes) and emits
 * one item per customer created, updated or deleted since the last poll. The cursor is the
 * engine's pipeline state, kept in the workflow's static data.
 */
export class StripeCustomersTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Stripe Customers Trigger',
    name: 'stripeCustomersTrigger',
    icon: { light: 'file:stripeCustomers.svg', dark: 'file:stripeCustomers.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle:
      '={{ $parameter["firstPoll"] === "importAll" ? "All customers, then changes" : "Customer changes" }}',
    description: 'Starts the workflow when Stripe customers are created, updated or deleted',
    defaults: { name: 'Stripe Customers Trigger' },
    polling: true,
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      { name: 'stripeCustomersApi', required: true, testedBy: 'stripeCustomersApiTest' },
    ],
    properties: [
      ...triggerReadingProperties,
      ...filterProperties,
      ...outputProperties,
      optionsProperty([...sharedOptions, maxItemsPerPoll]),
    ],
  };

  methods = {
    credentialTest: { stripeCustomersApiTest: testStripeCustomersCredential },
  };

  async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
    if (this.getMode() === 'manual') {
      try {
        return await fetchTestEvent(this);
      } catch (error) {
        throw toNodeError(this.getNode(), error);
      }
    }
    const activation = isFirstPollOf(this);
    const key = `${this.getWorkflow().id ?? ''}:${this.getNode().id}`;
    if (!claimPoll(key)) {
      this.logger.info(
        `Skipping this poll of "${this.getNode().name}": the previous poll is still running (it stops at a checkpoint before the next scheduled poll, or when Stripe answers slowly, a little later).`,
      );
      return null;
    }
    try {
      return await scheduledPoll(this, activation);
    } catch (error) {
      throw toNodeError(this.getNode(), error);
    } finally {
      releasePoll(key);
    }
  }
}
