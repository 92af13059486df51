import { createHmac, timingSafeEqual } from 'node:crypto';

// True when `header` (Mpesa-Signature) signs `rawBody` (a Buffer of the bytes exactly as received) with the
// endpoint's secret, and was made within `toleranceSeconds` of now. Refuse the delivery otherwise.
export function verifySignature(secret, header, rawBody, toleranceSeconds = 300, now = Date.now() / 1000) {
  const pairs = header.split(',').map((item) => item.trim().split('='));
  const timestamp = Number(pairs.find(([key]) => key === 't')?.[1]);
  const signatures = pairs.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return signatures.some(
    (signature) => signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected)),
  );
}
