import {
  NodeConnectionTypes,
  type IDataObject,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IPollFunctions,
} from 'n8n-workflow';
import {
  CREDENTIAL_TYPE,
  CustomerImport,
  STATE_KEY,
  configFromParameters,
  filterProperties,
  optionsProperty,
  testStripeCustomersCredential,
  toItem,
  toNodeError,
  transformationProperties,
  type LogFn,
} from '../../shared';

/** "Fetch Test Event" returns this many current customers and leaves the cursor alone. */
const SAMPLE_SIZE = 5;

/** Share of n8n's poll time budget after which a long poll stops at its next checkpoint. */
const BUDGET_SHARE = 0.6;

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
      {
        displayName: 'First Poll',
        name: 'firstPoll',
        type: 'options',
        noDataExpression: true,
        options: [
          {
            name: 'Start From Now',
            value: 'startNow',
            description: 'Emit only the changes made after the workflow is activated',
          },
          {
            name: 'Import All Existing Customers',
            value: 'importAll',
            description:
              'Emit every existing customer once (change "listed"), then the changes after that',
          },
        ],
        default: 'startNow',
        description:
          'What the first poll does, and any poll after the filter or output was changed',
      },
      ...filterProperties,
      ...transformationProperties,
      optionsProperty,
    ],
  };

  methods = {
    credentialTest: { stripeCustomersApiTest: testStripeCustomersCredential },
  };

  async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
    const started = Date.now();
    const credentials = await this.getCredentials(CREDENTIAL_TYPE);
    const log: LogFn = (level, message) =>
      level === 'WARN' ? this.logger.warn(message) : this.logger.info(message);
    const get = (name: string, fallback: unknown) => this.getNodeParameter(name, fallback);
    try {
      const session = new CustomerImport(
        configFromParameters(get, credentials, { incremental: true }),
        log,
      );
      if (this.getMode() === 'manual') {
        const sample = await session.run({ syncMode: 'full_refresh', limit: SAMPLE_SIZE });
        const items = sample.items.slice(0, SAMPLE_SIZE).map((emitted) => toItem(emitted, 0));
        return items.length > 0 ? [items] : null;
      }
      const staticData = this.getWorkflowStaticData('node');
      const saved = session.savedState(staticData[STATE_KEY]);
      const current = saved && session.isCurrent(saved) ? saved : undefined;
      if (!current && get('firstPoll', 'startNow') === 'startNow') {
        staticData[STATE_KEY] = (await session.startingNow()) as unknown as IDataObject;
        log('INFO', 'First poll: watching for customer changes from now on.');
        return null;
      }
      const budgetMs =
        typeof this.getPollBudgetMs === 'function' ? this.getPollBudgetMs() : undefined;
      const result = await session.run({
        syncMode: 'incremental',
        state: saved,
        ...(budgetMs !== undefined
          ? { stopAtCheckpoint: () => Date.now() - started > budgetMs * BUDGET_SHARE }
          : {}),
      });
      if (result.state) staticData[STATE_KEY] = result.state as unknown as IDataObject;
      const items = result.items.map((emitted) => toItem(emitted, 0));
      return items.length > 0 ? [items] : null;
    } catch (error) {
      throw toNodeError(this.getNode(), error);
    }
  }
}
