import {
  NodeConnectionTypes,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';
import {
  CREDENTIAL_TYPE,
  CustomerImport,
  DEFAULT_PREVIEW_LIMIT,
  LISTED_SKIPS,
  actionReadingProperties,
  STATE_KEY,
  configFromParameters,
  definitionFingerprint,
  filterProperties,
  optionsProperty,
  outputProperties,
  testStripeCustomersCredential,
  toNodeError,
  type LogFn,
} from '../../shared';

/** Customers skipped after errors get no item: the output pane says how many, the log which. */
function hintSkips(context: IExecuteFunctions, afterErrors: number): void {
  if (afterErrors === 0) return;
  context.addExecutionHints({
    message: `${afterErrors} customer(s) were skipped after errors (On Transformation Error: Skip the Customer) and have no item. n8n's log names the first ${LISTED_SKIPS} and why.`,
    type: 'warning',
    location: 'outputPane',
  });
}

/**
 * Imports Stripe customers now: every matching customer (up to a limit), or with "Only Changed
 * Since Last Run" the customers created, updated or deleted since this node last ran (its cursor
 * lives in the workflow's static data, saved by n8n after production executions). A manual run
 * of "Only Changed Since Last Run" is a bounded preview.
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
      ...actionReadingProperties,
      ...filterProperties,
      ...outputProperties,
      optionsProperty(),
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
    const written = this.getNode().parameters;
    const fingerprint = definitionFingerprint(written, timezone);
    const manual = this.getMode() === 'manual';
    const signal = this.getExecutionCancelSignal();
    const output: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const get = (name: string, fallback: unknown) =>
        this.getNodeParameter(name, itemIndex, fallback);
      const onlyChanged = get('onlyChanged', false) === true;
      try {
        const session = new CustomerImport(
          configFromParameters({ get, written }, credentials, {
            incremental: onlyChanged,
            timezone,
          }),
          log,
          fingerprint,
        );
        if (onlyChanged) {
          const staticData = this.getWorkflowStaticData('node');
          const saved = session.savedState(staticData[STATE_KEY]);
          // In the editor: a preview, bounded, and no cursor (n8n keeps none from manual runs).
          const previewLimit = manual
            ? Number(get('previewLimit', DEFAULT_PREVIEW_LIMIT))
            : undefined;
          // The engine checks the Events permission before reading anything (one request).
          const result = await session.run({
            syncMode: 'incremental',
            eventsNeededBy: 'onlyChanged',
            state: saved,
            ...(previewLimit !== undefined ? { limit: previewLimit } : {}),
            ...(signal ? { signal } : {}),
          });
          if (result.state && !manual)
            staticData[STATE_KEY] = CustomerImport.toStaticData(result.state);
          hintSkips(this, result.skipped.afterErrors);
          const emitted =
            previewLimit === undefined ? result.items : result.items.slice(0, previewLimit);
          output.push(...session.items(emitted, itemIndex));
          if (manual) {
            this.addExecutionHints({
              message: `Manual run: a preview of up to ${previewLimit} customers (Preview Limit), and no cursor is kept. When the workflow is active, each run returns every customer created, updated or deleted since the previous run.`,
              type: 'info',
              location: 'outputPane',
            });
          }
          // One cursor per node: the changes are read once per execution, not once per item.
          break;
        }
        const limit = get('returnAll', false) === true ? undefined : Number(get('limit', 50));
        const result = await session.run({
          syncMode: 'full_refresh',
          ...(limit !== undefined ? { limit } : {}),
          ...(signal ? { signal } : {}),
        });
        hintSkips(this, result.skipped.afterErrors);
        const emitted = limit === undefined ? result.items : result.items.slice(0, limit);
        output.push(...session.items(emitted, itemIndex));
      } catch (error) {
        const nodeError = toNodeError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        output.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
      }
    }
    return [output];
  }
}
