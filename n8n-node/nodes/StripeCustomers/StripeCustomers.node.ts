import {
  NodeConnectionTypes,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';
import {
  CREDENTIAL_TYPE,
  CustomerImport,
  STATE_KEY,
  configFromParameters,
  definitionFingerprint,
  filterProperties,
  optionsProperty,
  testStripeCustomersCredential,
  toItem,
  toNodeError,
  transformationProperties,
  type LogFn,
} from '../../shared';

/**
 * Imports Stripe customers now: every matching customer (up to a limit), or with "Only Changed
 * Since Last Run" the customers created, updated or deleted since this node last ran (its cursor
 * lives in the workflow's static data, saved by n8n after production executions).
 */
export class StripeCustomers implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Stripe Customers',
    name: 'stripeCustomers',
    icon: { light: 'file:stripeCustomers.svg', dark: 'file:stripeCustomers.dark.svg' },
    group: ['input'],
    version: 1,
    subtitle: '={{ $parameter["onlyChanged"] ? "Changed customers" : "Import customers" }}',
    description:
      'Import Stripe customers, filtered and mapped to your Customer Model or transformed with JavaScript or Python',
    defaults: { name: 'Stripe Customers' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      { name: 'stripeCustomersApi', required: true, testedBy: 'stripeCustomersApiTest' },
    ],
    properties: [
      {
        displayName: 'Only Changed Since Last Run',
        name: 'onlyChanged',
        type: 'boolean',
        default: false,
        description:
          'Whether to return only the customers created, updated or deleted since this node last ran in an active workflow (the first run returns all of them). Needs the "Events: Read" permission.',
      },
      {
        displayName: 'Return All',
        name: 'returnAll',
        type: 'boolean',
        default: false,
        description: 'Whether to return all results or only up to a given limit',
        displayOptions: { show: { onlyChanged: [false] } },
      },
      {
        displayName: 'Limit',
        name: 'limit',
        type: 'number',
        typeOptions: { minValue: 1 },
        default: 50,
        description: 'Max number of results to return',
        displayOptions: { show: { onlyChanged: [false], returnAll: [false] } },
      },
      ...filterProperties,
      ...transformationProperties,
      optionsProperty,
    ],
  };

  methods = {
    credentialTest: { stripeCustomersApiTest: testStripeCustomersCredential },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const credentials = await this.getCredentials(CREDENTIAL_TYPE);
    // The engine's routine lines (what a run did) at debug level; warnings stay warnings.
    const log: LogFn = (level, message) =>
      level === 'WARN' ? this.logger.warn(message) : this.logger.debug(message);
    const timezone = this.getTimezone();
    const fingerprint = definitionFingerprint(this.getNode().parameters, timezone);
    const output: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const get = (name: string, fallback: unknown) =>
        this.getNodeParameter(name, itemIndex, fallback);
      const onlyChanged = get('onlyChanged', false) === true;
      try {
        const session = new CustomerImport(
          configFromParameters(get, credentials, { incremental: onlyChanged, timezone }),
          log,
          fingerprint,
        );
        const signal = this.getExecutionCancelSignal();
        if (onlyChanged) {
          const staticData = this.getWorkflowStaticData('node');
          const result = await session.run({
            syncMode: 'incremental',
            state: session.savedState(staticData[STATE_KEY]),
            ...(signal ? { signal } : {}),
          });
          if (result.state) staticData[STATE_KEY] = result.state as unknown as IDataObject;
          output.push(...result.items.map((emitted) => toItem(emitted, itemIndex)));
          // One cursor per node: the changes are read once per execution, not once per item.
          break;
        }
        const limit = get('returnAll', false) === true ? undefined : Number(get('limit', 50));
        const result = await session.run({
          syncMode: 'full_refresh',
          ...(limit !== undefined ? { limit } : {}),
          ...(signal ? { signal } : {}),
        });
        const emitted = limit === undefined ? result.items : result.items.slice(0, limit);
        output.push(...emitted.map((record) => toItem(record, itemIndex)));
      } catch (error) {
        const nodeError = toNodeError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        output.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
      }
    }
    return [output];
  }
}
