import type {
  Icon,
  ICredentialDataDecryptedObject,
  ICredentialType,
  IHttpRequestOptions,
  INodeProperties,
} from 'n8n-workflow';

/**
 * A Stripe API key for the Stripe Customers nodes. Tested by the nodes themselves
 * (`testedBy: 'stripeCustomersApiTest'`): the test reads one customer and one event, so it fails
 * naming a missing Customers permission, and passes for a key without Events: Read, saying what
 * needs it.
 */
export class StripeCustomersApi implements ICredentialType {
  name = 'stripeCustomersApi';

  displayName = 'Stripe Customers API';

  icon: Icon = {
    light: 'file:../nodes/StripeCustomers/stripeCustomers.svg',
    dark: 'file:../nodes/StripeCustomers/stripeCustomers.dark.svg',
  };

  documentationUrl =
    'https://github.com/source-stripe-customers/source-stripe-customers/tree/main/n8n-node#credential';

  properties: INodeProperties[] = [
    {
      displayName: 'Secret or Restricted Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      required: true,
      default: '',
      placeholder: 'rk_live_...',
      description:
        'A secret key (sk_live_/sk_test_) or a restricted key (rk_live_/rk_test_) with "Customers: Read" and, for the trigger and "Only Changed Since Last Run", "Events: Read". Dashboard > Developers > API keys.',
    },
    {
      // n8n's dialog shows only "Connection tested successfully" when Test passes, not the test's
      // message: what a Customers-only key cannot do is said here, where the key is entered.
      displayName:
        'A restricted key needs "Customers: Read". The Stripe Customers Trigger and "Only Changed Since Last Run" also need "Events: Read" (Dashboard > Developers > API keys > your key > Edit, under "All core resources"). Without it they say so when the workflow is activated or first runs; everything else works.',
      name: 'permissionsNotice',
      type: 'notice',
      default: '',
    },
    {
      displayName: 'Connected Account ID',
      name: 'accountId',
      type: 'string',
      default: '',
      placeholder: 'acct_1032D82eZvKYlo2C',
      description:
        'Stripe Connect: read the customers of this connected account instead of the key’s own account. Leave empty otherwise.',
    },
    {
      displayName: 'API Base URL',
      name: 'apiBaseUrl',
      type: 'string',
      default: 'https://api.stripe.com',
      description:
        'Where the Stripe API is. Keep the default unless you go through a proxy or use a Stripe test double.',
    },
  ];

  /**
   * Lets n8n's HTTP Request node reuse this credential for other Stripe calls: the key as a
   * Bearer token and, when a connected account is set, Stripe's `Stripe-Account` header, so those
   * calls reach the same account as the nodes. (A function rather than n8n's generic headers: an
   * empty `Stripe-Account` header must not be sent.)
   */
  async authenticate(
    credentials: ICredentialDataDecryptedObject,
    requestOptions: IHttpRequestOptions,
  ): Promise<IHttpRequestOptions> {
    const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
    const accountId = text(credentials.accountId);
    return {
      ...requestOptions,
      headers: {
        ...requestOptions.headers,
        Authorization: `Bearer ${text(credentials.apiKey)}`,
        ...(accountId ? { 'Stripe-Account': accountId } : {}),
      },
    };
  }
}
