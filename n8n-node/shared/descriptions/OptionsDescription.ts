/**
 * "Options": what most workflows leave alone. Both nodes share the reading options; the trigger
 * adds its item cap per poll.
 */
import type { INodeProperties } from 'n8n-workflow';

/** Default of the trigger's "Max Items per Poll" option. */
export const DEFAULT_MAX_ITEMS_PER_POLL = 10_000;

/** Options shared by both nodes. */
export const sharedOptions: INodeProperties[] = [
  {
    displayName: 'Created On or After',
    name: 'startDate',
    type: 'dateTime',
    default: '',
    description: 'Only customers created at or after this moment (in the workflow’s timezone)',
  },
  {
    displayName: 'Requests per Second',
    name: 'requestsPerSecond',
    type: 'number',
    typeOptions: { minValue: 1, maxValue: 100 },
    default: 20,
    description:
      'An extra cap on all requests to Stripe together, below what the Share of Stripe Rate Limits allows',
  },
  {
    displayName: 'Share of Stripe Rate Limits',
    name: 'maxShareOfRateLimits',
    type: 'number',
    typeOptions: { minValue: 0.05, maxValue: 1, numberPrecision: 2 },
    default: 0.8,
    description:
      'Each Stripe endpoint is read at most at this share of its limit (25 requests/s each, Search 20/s; per account 100/s live, 25/s test), leaving the rest to your own integrations',
  },
  {
    displayName: 'Connected Accounts',
    name: 'connectedAccounts',
    type: 'string',
    default: '',
    placeholder: 'all',
    description:
      'Stripe Connect platforms: read the customers of these connected accounts with the platform’s key, separated by commas (acct_..., acct_...), or "all" for every account connected to the platform (looked up at each run; an account connected since comes in full). Every item then carries its stripe_account_id. Not together with the credential’s Connected Account ID.',
  },
  {
    displayName: 'Include the Platform’s Own Customers',
    name: 'includePlatformAccount',
    type: 'boolean',
    default: false,
    description:
      'Whether to read the platform account’s own customers too, beside the connected accounts’ (their stripe_account_id is "platform")',
  },
  {
    displayName: 'Account Shard',
    name: 'accountShard',
    type: 'string',
    default: '',
    placeholder: '1/4',
    description:
      'I/N: read only the connected accounts whose id hashes to shard I of N, so N copies of this workflow (shards 1/N to N/N) read disjoint accounts that together are every account. Empty: every account.',
  },
  {
    displayName: 'Use Search API for Filters',
    name: 'useSearchApi',
    type: 'boolean',
    default: false,
    description:
      'Whether to send the filter’s conditions on email, name, phone, metadata and created to Stripe’s Search API when importing all customers, to read fewer pages. Search results lag up to a minute behind recent changes (more during Stripe incidents).',
  },
];

/** Trigger-only option: another reason for a poll to stop at a checkpoint. */
export const maxItemsPerPoll: INodeProperties = {
  displayName: 'Max Items per Poll',
  name: 'maxItemsPerPoll',
  type: 'number',
  typeOptions: { minValue: 1 },
  default: DEFAULT_MAX_ITEMS_PER_POLL,
  description:
    'A poll stops at its next checkpoint once it has this many customers and emits them; the following polls go on from there. Spreads a large first import over several executions.',
};

/** The "Options" collection, holding `options` (sorted by name, as n8n lists them). */
export function optionsProperty(options: INodeProperties[] = sharedOptions): INodeProperties {
  return {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [...options].sort((a, b) => a.displayName.localeCompare(b.displayName)),
  };
}
