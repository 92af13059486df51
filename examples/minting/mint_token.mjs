// Mint an mpesa-gateway client token in a merchant's backend: Node.js's crypto only.
//   node mint_token.mjs <key-id> <secret> <subject> <scopes, e.g. stk,b2c> [ttl-seconds]
import { createHmac } from 'node:crypto';

export function mintToken(keyId, secret, subject, scopes, ttl = 3600, { maxWithdrawal, phone } = {}) {
  const claims = { sub: subject, exp: Math.floor(Date.now() / 1000) + ttl, scope: scopes };
  if (maxWithdrawal !== undefined) claims.max_withdrawal = maxWithdrawal;
  if (phone !== undefined) claims.phone = phone;
  const signed = `v1.${keyId}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [keyId, secret, subject, scopes, ttl] = process.argv.slice(2);
  console.log(mintToken(keyId, secret, subject, scopes.split(','), ttl ? Number(ttl) : 3600));
}
