// Pay with M-PESA through the gateway from Node.js: push, then print every message until the payment settles.
//
//   npm install --prefix examples        (the `ws` package; Node 22+ could use its built-in WebSocket instead)
//   NODE_EXTRA_CA_CERTS=ssl/cert.pem node examples/pay.mjs wss://localhost:3000 254712345678 100
//
// Arguments (or GATEWAY_URL, PHONE, AMOUNT, HASH): the gateway's URL, the phone, the amount. NODE_EXTRA_CA_CERTS
// makes Node trust the gateway's dev certificate; with a real certificate, leave it out. Exits 0 on success.
import WebSocket from 'ws';

const url = process.argv[2] ?? process.env.GATEWAY_URL ?? 'wss://localhost:3000';
const phone = process.argv[3] ?? process.env.PHONE ?? '254712345678';
const amount = Number(process.argv[4] ?? process.env.AMOUNT ?? 100);
const hash = process.env.HASH ?? 'user123';

const ws = new WebSocket(`${url}/mpesa/stk/${hash}`);
let checkout = null;

function finish(status, detail) {
  console.log(`payment ${status}: ${detail}`);
  process.exitCode = status === 'success' ? 0 : 1;
  ws.close();
}

ws.on('open', () => {
  ws.send(JSON.stringify({ kind: 'push', payload: { phone, amount, description: 'Payment for services' } }));
});

ws.on('message', (frame) => {
  const message = JSON.parse(frame.toString());
  console.log(JSON.stringify(message));
  if (message.kind === 'push') { // the acknowledgement
    if (!message.ok) return finish('refused', message.error.code);
    checkout = message.data.checkout;
  } else if (message.kind === 'update' && message.data.checkout === checkout && message.data.status !== 'pending') {
    finish(message.data.status, message.data.receipt ?? message.data.result_desc);
  }
});

ws.on('error', (error) => {
  console.error(`cannot reach the gateway: ${error.message}`);
  process.exitCode = 2;
});
