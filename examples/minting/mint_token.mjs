// Mint an mpesa-gateway client token in a merchant's backend with jose (`npm install jose`).
//   node mint_token.mjs <key-id> <secret> <subject> <scopes, e.g. stk,b2c> [ttl-seconds]
import { SignJWT } from 'jose';

export async function mintToken(keyId, secret, subject, scopes, ttl = 3600, { maxWithdrawal, phone } = {}) {
  const claims = { scope: scopes.join(' ') };
  if (maxWithdrawal !== undefined) claims.max_withdrawal = maxWithdrawal;
  if (phone !== undefined) claims.phone = phone;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: keyId })
    .setSubject(subject)
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
    .sign(new TextEncoder().encode(secret));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [keyId, secret, subject, scopes, ttl] = process.argv.slice(2);
  console.log(await mintToken(keyId, secret, subject, scopes.split(','), ttl ? Number(ttl) : 3600));
}
