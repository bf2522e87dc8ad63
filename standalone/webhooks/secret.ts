import { ConfigError } from '../../connector';

const WHERE =
  "the endpoint's signing secret, from the Stripe Dashboard (Developers > Webhooks > your endpoint > Signing secret > Reveal)";

/**
 * The signing secret of the Stripe webhook endpoint serve receives deliveries for: the config's
 * `webhook_secret`, or `STRIPE_WEBHOOK_SECRET` (so it need not sit on disk). Undefined: serve
 * takes no deliveries. A mistake names the field, never the value.
 */
export function parseWebhookSecret(
  configured: unknown,
  fromEnvironment: string | undefined,
): string | undefined {
  if (configured !== undefined && configured !== null) {
    if (typeof configured !== 'string' || !isSigningSecret(configured)) {
      throw new ConfigError(
        `\`webhook_secret\` must be ${WHERE}: a string starting with whsec_, without spaces. Or leave it out and set STRIPE_WEBHOOK_SECRET.`,
      );
    }
    return configured;
  }
  if (fromEnvironment === undefined || fromEnvironment === '') return undefined;
  if (!isSigningSecret(fromEnvironment)) {
    throw new ConfigError(
      `STRIPE_WEBHOOK_SECRET must be ${WHERE}: it starts with whsec_ and has no spaces.`,
    );
  }
  return fromEnvironment;
}

function isSigningSecret(value: string): boolean {
  return /^whsec_\S+$/.test(value);
}
