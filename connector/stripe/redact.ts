/**
 * Stripe keys look like `sk_live_...`, `rk_test_...`, `pk_...`; Stripe itself echoes a masked key
 * (`sk_test_****abcd`) in authentication errors. Webhook endpoints' signing secrets look like
 * `whsec_...`. Anything key- or secret-shaped is replaced before a message leaves the engine, so
 * no log, error or record can carry a secret, even a partial one.
 */
const KEY_PATTERN = /\b(?:(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+|whsec_[A-Za-z0-9+/=*_-]+)/g;

export function redactSecrets(text: string, secrets: ReadonlyArray<string> = []): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret.length >= 4) redacted = redacted.split(secret).join('[redacted]');
  }
  return redacted.replace(KEY_PATTERN, (_match, kind?: string, mode?: string) =>
    kind ? `${kind}_${mode}_[redacted]` : 'whsec_[redacted]',
  );
}
