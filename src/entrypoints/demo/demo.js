// The demo page's client: the gateway's WSS protocol, spoken as any browser client would speak it.
// One socket per endpoint (wss://HOST/mpesa/stk/{hash} and /mpesa/b2c/{hash}); every request carries a fresh
// `ref`, so replies can be matched to requests (and a resend would be idempotent); every `update` is shown.
'use strict';

(() => {
  const HASH_KEY = 'mpesa-gateway-demo-hash';
  const RECONNECT_MAX_MS = 10000;
  // The Paybill the C2B tab's requests are paid to (C2B_SHORTCODE), from /demo/scenarios.json.
  let PAYBILL = '600984';

  const STATUS_TEXT = {
    pending: 'Waiting for the customer to enter their M-PESA PIN',
    queued: 'Stored; waiting for a worker to send it',
    submitted: 'Sent to M-PESA; waiting for its result',
    sent: 'Sent to the gateway',
  };

  function randomHex(bytes) {
    const values = new Uint8Array(bytes);
    crypto.getRandomValues(values);
    return Array.from(values, (value) => value.toString(16).padStart(2, '0')).join('');
  }

  function browserHash(renew) {
    let hash = null;
    try {
      hash = renew ? null : localStorage.getItem(HASH_KEY);
      if (!hash) {
        hash = `demo-${randomHex(8)}`;
        localStorage.setItem(HASH_KEY, hash);
      }
    } catch {
      hash = hash || `demo-${randomHex(8)}`; // storage disabled: a hash for this page only
    }
    return hash;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clock() {
    const now = new Date();
    const pad = (value, width = 2) => String(value).padStart(width, '0');
    return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
  }

  function later(a, b) {
    // ISO 8601 times from the gateway; null/undefined is earliest.
    if (!a) return false;
    if (!b) return true;
    return Date.parse(a) > Date.parse(b);
  }

  // Daraja's times are Nairobi time (EAT, UTC+3) without a zone: 20261203141501 (STK, Transaction Status) or
  // 03.12.2026 14:15:01 (B2C). Shown in the reader's own time zone; anything else as it came.
  function darajaTime(text) {
    const compact = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
    const dotted = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
    const [year, month, day, hour, minute, second] = compact
      ? compact.slice(1)
      : dotted
        ? [dotted[3], dotted[2], dotted[1], dotted[4], dotted[5], dotted[6]]
        : [];
    const moment = year ? new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}+03:00`) : null;
    if (!moment || Number.isNaN(moment.getTime())) return String(text);
    return moment.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  // The gateway's own times (created_at, completed_at, …) are ISO 8601 in UTC.
  function localTime(text) {
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) return String(text);
    return moment.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  function retryAfter(error) {
    const wait = (error.details || []).find((detail) => Number.isInteger(detail.retry_after));
    return wait ? ` Try again in ${wait.retry_after} s.` : '';
  }

  function chip(status) {
    const node = element('span', 'chip', status);
    node.dataset.status = status;
    return node;
  }

  // One payment or withdrawal: its header shows the latest state, its timeline every step.
  class Activity {
    constructor(endpoint, request) {
      this.endpoint = endpoint;
      this.id = null;
      this.latest = null;
      this.seen = new Set();
      this.node = element('li', 'card payment');
      this.head = element('div', 'payment-head');
      this.outcome = element('p', 'outcome');
      this.facts = element('dl', 'facts');
      this.timeline = element('ol', 'timeline');
      this.actions = element('div', 'actions');
      this.raw = element('pre');
      const details = element('details');
      details.append(element('summary', null, 'Last message'), this.raw);
      this.actions.append(details);
      if (endpoint.kind === 'push') {
        this.ask = element('button', 'secondary status-check', 'Ask status');
        this.ask.type = 'button';
        this.ask.addEventListener('click', () => this.askStatus());
        // A refund: the server API's reversal of the whole payment (keyless on the simulator only).
        this.reverse = element('button', 'secondary reverse', 'Reverse');
        this.reverse.type = 'button';
        this.reverse.hidden = true;
        this.reverse.addEventListener('click', () => this.requestReversal());
        this.actions.prepend(this.ask, this.reverse);
      }
      this.node.append(this.head, this.outcome, this.facts, this.timeline, this.actions);
      this.request = request;
      this.render();
    }

    event(status, what, detail) {
      const item = element('li', 'event');
      item.dataset.status = status || 'info';
      item.dataset.at = String(performance.now());
      item.append(element('time', null, clock()), element('span', 'what', what));
      if (detail) item.append(element('span', 'detail', detail));
      this.timeline.append(item);
    }

    show(message) {
      this.raw.textContent = JSON.stringify(message, null, 2);
    }

    // A newer view of the payment (from a reply, an update or an error's details).
    apply(data) {
      if (this.id === null) this.endpoint.bind(this, data.id);
      if (!this.latest || !later(this.latest.updated_at, data.updated_at)) this.latest = data;
      this.render();
    }

    refuse(error) {
      this.refused = error;
      this.render();
    }

    render() {
      const data = this.latest;
      const request = this.request || {};
      // A payment the gateway kept but could not confirm (Daraja failed or went silent) is not shown as waiting.
      const shown = data && data.outcome_unknown && data.status === 'pending' ? 'unknown' : data && data.status;
      const status = data ? shown : this.refused ? 'refused' : 'sent';
      this.node.dataset.status = status;
      if (data) this.node.dataset.id = data.id;
      if (this.ask) this.ask.hidden = !data; // `status` needs a payment to ask about
      if (this.reverse) {
        this.reverse.hidden = !(data && data.status === 'success' && data.receipt && !data.reversal_id);
        this.reverse.disabled = Boolean(this.reversing);
      }
      const amount = data ? data.amount : request.amount;
      const who = [data ? data.phone : request.phone, data ? data.description : request.description]
        .filter((part) => part !== undefined && part !== null && part !== '')
        .join(' · ');
      this.head.replaceChildren(chip(status), element('span', 'amount', `KES ${amount ?? '?'}`), element('span', 'who', who));

      if (this.refused && !data) {
        const { code, message } = this.refused;
        this.outcome.textContent = `${code}: ${message}${message.endsWith('.') ? '' : '.'}${retryAfter(this.refused)}`;
      } else if (data) {
        const sentence = data.message || STATUS_TEXT[data.status] || data.result_desc || '';
        this.outcome.textContent = data.outcome_unknown
          ? `${this.refused ? `${this.refused.code}: ` : ''}Outcome unknown: M-PESA's own answer will settle it; ` +
            'the payment is never sent twice.'
          : sentence;
      } else {
        this.outcome.textContent = STATUS_TEXT.sent;
      }

      const facts = [];
      if (data) {
        if (data.receipt) facts.push(['Receipt', data.receipt, 'receipt']);
        if (data.recipient_name) facts.push(['Paid to', data.recipient_name]);
        if (data.completed_at) facts.push(['Completed', localTime(data.completed_at)]);
        if (data.transaction_date) facts.push(['M-PESA time', darajaTime(data.transaction_date)]);
        if (data.result_code !== null && data.result_code !== undefined) {
          facts.push(['Result', `${data.result_code}${data.result_desc ? ` · ${data.result_desc}` : ''}`]);
        }
        if (data.reversal_id) facts.push(['Reversed', data.reversal_id, 'id']);
        if (data.checkout) facts.push(['Checkout', data.checkout, 'id']);
        if (data.conversation_id) facts.push(['Conversation', data.conversation_id, 'id']);
        facts.push(['Id', data.id, 'id']);
      }
      this.facts.replaceChildren(
        ...facts.flatMap(([term, value, className]) => {
          const description = element('dd', className, value);
          if (className === 'id') description.title = value; // cut to the width with an ellipsis; whole on hover
          return [element('dt', null, term), description];
        }),
      );
    }

    async requestReversal() {
      const data = this.latest;
      if (!data || !data.receipt || this.reversing) return;
      this.reversing = true;
      this.render();
      this.event('sent', 'Reversal asked for', `receipt ${data.receipt}`);
      try {
        const answer = await fetch('/api/v1/mpesa/reversals', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${data.receipt}` },
          body: JSON.stringify({ receipt: data.receipt, reason: 'Refund from the demo page' }),
        });
        const body = await answer.json();
        if (!answer.ok) {
          const error = body.error || {};
          this.event('failed', `Reversal refused: ${error.code || answer.status}`, error.message || '');
          this.reversing = false;
        } else {
          const reversal = body.data || body;
          this.event('pending', `Reversal recorded: ${reversal.status}`, `id ${reversal.id}`);
        }
      } catch (fault) {
        this.event('failed', 'Reversal not sent', String(fault));
        this.reversing = false;
      }
      this.render();
    }

    askStatus() {
      const checkout = this.latest && (this.latest.checkout || this.latest.id);
      if (!checkout) return;
      this.endpoint.send('status', { checkout }, this, 'Asked for the stored status');
    }
  }

  // One endpoint: its socket (reconnecting, catching up with ?after=<cursor>), its form and its activity list.
  class Endpoint {
    constructor(panel, hash, scenarios) {
      this.panel = panel;
      this.hash = hash;
      this.name = panel.dataset.endpoint;
      this.kind = panel.dataset.kind;
      this.scenarios = scenarios;
      this.byRef = new Map();
      this.byId = new Map();
      this.outbox = [];
      this.cursor = ''; // the last caught_up's cursor: empty until the first one comes
      this.retryMs = 500;
      this.connection = panel.querySelector('.connection');
      this.list = panel.querySelector('.activity');
      this.empty = panel.querySelector('.empty');
      this.form = panel.querySelector('form');
      this.setUpForm();
      this.connect();
    }

    get address() {
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const query = `?after=${encodeURIComponent(this.cursor)}`;
      return `${scheme}//${location.host}/mpesa/${this.name}/${encodeURIComponent(this.hash)}${query}`;
    }

    state(state, text) {
      this.connection.dataset.state = state;
      this.connection.querySelector('.state').textContent = text;
    }

    connect() {
      const address = this.address;
      this.connection.querySelector('.address').textContent = address.split('?')[0];
      this.state('connecting', 'Connecting…');
      const socket = new WebSocket(address);
      this.socket = socket;
      socket.addEventListener('open', () => {
        this.retryMs = 500;
        this.state('open', 'Connected');
        for (const frame of this.outbox.splice(0)) socket.send(frame);
      });
      socket.addEventListener('message', (event) => this.receive(event.data));
      socket.addEventListener('close', (event) => {
        const why = event.reason ? ` (${event.code} ${event.reason})` : event.code ? ` (${event.code})` : '';
        this.state('closed', `Disconnected${why}; reconnecting…`);
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
      });
    }

    send(kind, payload, activity, what) {
      const ref = `${kind}-${randomHex(8)}`;
      const frame = JSON.stringify({ kind, payload, ref });
      this.byRef.set(ref, { activity, kind });
      activity.event(kind === 'status' ? 'info' : 'sent', what, `ref ${ref}`);
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
      else this.outbox.push(frame);
    }

    add(activity) {
      this.empty.hidden = true;
      this.list.prepend(activity.node);
    }

    // Replies and updates race: whichever names the id first creates the entry; the other joins it.
    bind(activity, id) {
      const other = this.byId.get(id);
      activity.id = id;
      this.byId.set(id, activity);
      if (other && other !== activity) {
        const events = [...activity.timeline.children, ...other.timeline.querySelectorAll('.event:not(.marker)')];
        events.sort((a, b) => Number(a.dataset.at) - Number(b.dataset.at));
        activity.timeline.replaceChildren(...events);
        other.seen.forEach((key) => activity.seen.add(key));
        if (other.latest && (!activity.latest || later(other.latest.updated_at, activity.latest.updated_at))) {
          activity.latest = other.latest;
        }
        other.node.remove();
      }
    }

    receive(text) {
      let message;
      try {
        message = JSON.parse(text);
      } catch {
        return;
      }
      if (message.kind === 'update') this.update(message);
      else if (message.kind === 'caught_up') this.caughtUp(message.data);
      else this.reply(message);
    }

    caughtUp(data) {
      this.cursor = data.cursor;
      // Cut short at CATCH_UP_MAX_UPDATES: reconnecting from the cursor sends the rest.
      if (!data.complete) this.socket.close(1000, 'catching up on the rest');
    }

    update(message) {
      const data = message.data;
      let activity = this.byId.get(data.id);
      if (!activity) {
        activity = new Activity(this, null);
        activity.event('info', 'Seen on this hash', 'started elsewhere (another tab, a server, or before a reload)');
        activity.timeline.lastElementChild.classList.add('marker');
        this.add(activity);
        this.bind(activity, data.id);
      }
      const key = `${data.status}|${data.updated_at}`;
      activity.show(message);
      if (activity.seen.has(key)) return; // the same state again (a catch-up after a reconnect)
      activity.seen.add(key);
      activity.event(data.status, `Update: ${data.status}`, this.describe(data));
      activity.apply(data);
    }

    reply(message) {
      const pending = message.ref ? this.byRef.get(message.ref) : undefined;
      if (!pending) {
        // A frame the gateway could not tie to a request of ours (not expected from this page).
        const activity = new Activity(this, null);
        activity.event('refused', `Reply: ${message.kind}`, message.error ? `${message.error.code}: ${message.error.message}` : '');
        activity.show(message);
        if (message.error) activity.refuse(message.error);
        this.add(activity);
        return;
      }
      this.byRef.delete(message.ref);
      const { activity, kind } = pending;
      activity.show(message);
      if (message.ok) {
        activity.apply(message.data);
        activity.event(message.data.status, this.acknowledgement(kind, message.data), this.describe(message.data));
        return;
      }
      const error = message.error;
      const fields = (error.details || [])
        .filter((detail) => detail.field)
        .map((detail) => `${detail.field}: ${detail.message}`);
      const withPayment = (error.details || []).find((detail) => detail.payment);
      if (withPayment) activity.apply(withPayment.payment);
      else activity.refuse(error);
      const said = fields.length ? fields.join('; ') : error.message;
      const wait = retryAfter(error);
      activity.event('refused', `Refused: ${error.code}`, wait ? `${said}${said.endsWith('.') ? '' : '.'}${wait}` : said);
    }

    acknowledgement(kind, data) {
      if (kind === 'status') return `Status: ${data.status}`;
      if (kind === 'withdraw') return `Accepted: ${data.status}`;
      return data.checkout ? 'Accepted: the prompt is on the phone' : `Accepted: ${data.status}`;
    }

    describe(data) {
      const parts = [];
      if (data.receipt) parts.push(`receipt ${data.receipt}`);
      if (data.recipient_name) parts.push(`paid to ${data.recipient_name}`);
      if (data.message) parts.push(data.message);
      else if (STATUS_TEXT[data.status]) parts.push(STATUS_TEXT[data.status]);
      if (data.outcome_unknown) parts.push('outcome unknown');
      return parts.join(' · ');
    }

    setUpForm() {
      const form = this.form;
      const amount = form.elements.amount;
      const picker = form.elements.scenario;
      const hint = form.querySelector('.scenario-hint');
      const echo = form.querySelector('.amount-echo');
      const rows = this.scenarios;

      picker.replaceChildren(
        ...rows.map((row, index) => {
          const label = row.any_other_amount ? `${row.name} (any other amount)` : `${row.name} (KES ${row.amount})`;
          const option = element('option', null, label);
          option.value = String(index);
          return option;
        }),
      );
      picker.disabled = rows.length === 0;

      const listed = (value) => rows.findIndex((row) => !row.any_other_amount && row.amount === value);
      const fallback = () => rows.findIndex((row) => row.any_other_amount);
      const syncPicker = () => {
        const value = Number(amount.value);
        const index = listed(value);
        picker.value = String(index >= 0 ? index : fallback());
        const row = rows[Number(picker.value)];
        hint.textContent = row ? row.description : '';
        echo.textContent = `KES ${amount.value || '?'}`;
      };
      picker.addEventListener('change', () => {
        const row = rows[Number(picker.value)];
        if (!row) return;
        if (!row.any_other_amount || listed(Number(amount.value)) >= 0) amount.value = String(row.amount);
        syncPicker();
      });
      amount.addEventListener('input', syncPicker);
      syncPicker();

      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const raw = amount.value.trim();
        // Whole shillings as a JSON integer; anything else is sent as typed so the gateway names the problem.
        const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
        const payload = {
          phone: form.elements.phone.value.trim(),
          amount: value,
          description: form.elements.description.value,
        };
        const activity = new Activity(this, payload);
        this.add(activity);
        activity.node.scrollIntoView({ block: 'nearest', behavior: 'smooth' }); // below the form on a phone
        const what = this.kind === 'push' ? 'Push sent' : 'Withdrawal sent';
        this.send(this.kind, payload, activity, what);
      });
    }
  }

  // The Paybill tab: payment requests created over the server API, paid by the simulator's customer, watched live
  // on the listen-only C2B socket (its catch-up sends the open requests at once).
  class PaybillDesk {
    constructor(panel, hash) {
      this.panel = panel;
      this.hash = hash;
      this.cards = new Map();
      this.connection = panel.querySelector('.connection');
      this.list = panel.querySelector('.activity');
      this.empty = panel.querySelector('.empty');
      this.form = panel.querySelector('form');
      this.form.elements.account.value = `INV-${randomHex(2).toUpperCase()}`;
      this.form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.create();
      });
      this.retryMs = 500;
      this.connect();
    }

    connect() {
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const address = `${scheme}//${location.host}/mpesa/c2b/${encodeURIComponent(this.hash)}`;
      this.connection.querySelector('.address').textContent = address;
      const socket = new WebSocket(address);
      socket.addEventListener('open', () => {
        this.retryMs = 500;
        this.connection.dataset.state = 'open';
        this.connection.querySelector('.state').textContent = 'Connected';
      });
      socket.addEventListener('message', (event) => {
        const message = JSON.parse(event.data);
        if (message.kind === 'update' && message.data) this.receive(message.data);
      });
      socket.addEventListener('close', () => {
        this.connection.dataset.state = 'closed';
        this.connection.querySelector('.state').textContent = 'Reconnecting…';
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 10000);
      });
    }

    async create() {
      const amount = Number(this.form.elements.amount.value);
      const expires = new Date(Date.now() + 60 * 60 * 1000).toISOString();
      const body = {
        hash: this.hash,
        account_reference: this.form.elements.account.value.trim(),
        amount_rule: 'exact',
        amount,
        expires_at: expires,
      };
      const answer = await fetch('/api/v1/mpesa/c2b/requests', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const reply = await answer.json();
      if (!answer.ok) {
        const error = reply.error || {};
        const card = this.card(`refused-${performance.now()}`);
        card.node.dataset.status = 'refused';
        card.outcome.textContent = `${error.code || answer.status}: ${error.message || ''}`;
        return;
      }
      this.receive(reply.data);
      this.form.elements.account.value = `INV-${randomHex(2).toUpperCase()}`;
      this.showQr(reply.data);
    }

    card(id) {
      let card = this.cards.get(id);
      if (card) return card;
      const node = element('li', 'card payment');
      const head = element('div', 'payment-head');
      const outcome = element('p', 'outcome');
      const facts = element('dl', 'facts');
      const qr = element('img', 'qr');
      qr.alt = 'M-PESA QR code';
      qr.hidden = true;
      const timeline = element('ol', 'timeline');
      const pay = element('button', 'secondary customer-pays', 'Customer pays');
      pay.type = 'button';
      const actions = element('div', 'actions');
      actions.append(pay);
      node.append(head, outcome, facts, qr, timeline, actions);
      card = { node, head, outcome, facts, qr, timeline, pay, seen: new Set(), request: null };
      pay.addEventListener('click', () => this.customerPays(card));
      this.cards.set(id, card);
      this.list.prepend(node);
      this.empty.hidden = true;
      return card;
    }

    receive(data) {
      if (data.kind === 'c2b_payment') {
        const card = data.request_id ? this.cards.get(data.request_id) : null;
        if (card && !card.seen.has(data.trans_id)) {
          card.seen.add(data.trans_id);
          this.event(card, 'success', `Paid KES ${data.amount}`, `receipt ${data.trans_id} · ${data.source}`);
        }
        return;
      }
      if (data.kind !== 'c2b_request') return;
      const card = this.card(data.id);
      if (card.request && card.request.version > data.version) return;
      const changed = !card.request || card.request.status !== data.status;
      card.request = data;
      card.node.dataset.id = data.id;
      card.node.dataset.status = data.status === 'open' ? 'pending' : data.status;
      card.head.replaceChildren(
        chip(data.status),
        element('span', 'amount', `KES ${data.amount ?? 'any'}`),
        element('span', 'who', data.account_reference),
      );
      card.outcome.textContent =
        data.status === 'open'
          ? `Waiting: pay Paybill ${PAYBILL} account ${data.account_reference}, KES ${data.outstanding} still owed.`
          : `Request ${data.status}: KES ${data.received} received.`;
      const facts = [
        ['Paybill', PAYBILL],
        ['Account', data.account_reference],
        ['Received', `KES ${data.received}`],
        ['Id', data.id, 'id'],
      ];
      card.facts.replaceChildren(
        ...facts.flatMap(([term, value, className]) => [element('dt', null, term), element('dd', className, value)]),
      );
      card.pay.hidden = data.status !== 'open';
      if (data.status !== 'open') card.qr.hidden = true; // a closed request's QR would pay for nothing
      if (changed) this.event(card, card.node.dataset.status, `Request ${data.status}`);
    }

    async showQr(request) {
      const answer = await fetch(
        `/api/v1/mpesa/c2b/requests/${encodeURIComponent(request.id)}/qr?hash=${encodeURIComponent(this.hash)}`,
      );
      if (!answer.ok) return;
      const reply = await answer.json();
      const card = this.cards.get(request.id);
      if (!card) return;
      card.qr.src = `data:image/png;base64,${reply.data.png_base64}`;
      card.qr.hidden = !card.request || card.request.status !== 'open';
    }

    async customerPays(card) {
      const request = card.request;
      if (!request) return;
      this.event(card, 'sent', 'The customer pays', `KES ${request.outstanding} to account ${request.account_reference}`);
      const answer = await fetch('/api/v1/simulator/c2b/pay', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ account: request.account_reference, amount: request.outstanding }),
      });
      const reply = await answer.json();
      if (!answer.ok) {
        const error = reply.error || {};
        this.event(card, 'failed', `Not paid: ${error.code || answer.status}`, error.message || '');
      }
    }

    event(card, status, what, detail) {
      const item = element('li', 'event');
      item.dataset.status = status || 'info';
      item.append(element('time', null, clock()), element('span', 'what', what));
      if (detail) item.append(element('span', 'detail', detail));
      card.timeline.append(item);
    }
  }

  function setUpTabs() {
    const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
    const select = (tab) => {
      for (const other of tabs) {
        const chosen = other === tab;
        other.setAttribute('aria-selected', String(chosen));
        other.tabIndex = chosen ? 0 : -1;
        document.getElementById(other.getAttribute('aria-controls')).hidden = !chosen;
      }
    };
    tabs.forEach((tab, index) => {
      tab.addEventListener('click', () => select(tab));
      tab.addEventListener('keydown', (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        const next = tabs[(index + step + tabs.length) % tabs.length];
        select(next);
        next.focus();
      });
    });
    if (location.hash === '#withdraw') select(tabs[1]);
  }

  async function start() {
    const hash = browserHash(false);
    document.getElementById('hash').textContent = hash;
    document.getElementById('new-hash').addEventListener('click', () => {
      browserHash(true);
      location.reload();
    });
    setUpTabs();
    let scenarios = { stk: [], b2c: [] };
    try {
      const response = await fetch('/demo/scenarios.json', { cache: 'no-store' });
      if (response.ok) scenarios = await response.json();
    } catch {
      // The picker stays empty; amounts still choose the outcome.
    }
    for (const panel of document.querySelectorAll('.panel')) {
      new Endpoint(panel, hash, scenarios[panel.dataset.endpoint] || []);
    }
    PAYBILL = scenarios.paybill || PAYBILL;
    new PaybillDesk(document.getElementById('panel-c2b'), hash);
    showBalances();
    setInterval(showBalances, 5000);
    document.body.dataset.ready = 'true';
  }

  // The read API's balances (GET /api/v1/mpesa/balances): each account as M-PESA last reported it.
  async function showBalances() {
    const section = document.getElementById('balances');
    let answer;
    try {
      const response = await fetch('/api/v1/mpesa/balances', { cache: 'no-store' });
      if (!response.ok) return;
      answer = await response.json();
    } catch {
      return;
    }
    if (!answer.accounts || answer.accounts.length === 0) return;
    const rows = answer.accounts.map((account) => {
      const row = document.createElement('tr');
      if (account.low) row.className = 'low';
      for (const text of [
        account.account,
        `${account.currency} ${account.available}${account.low ? ' (low)' : ''}`,
        new Date(account.checked_at).toLocaleTimeString(),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    });
    section.querySelector('tbody').replaceChildren(...rows);
    section.querySelector('table').hidden = false;
    section.querySelector('.empty').hidden = true;
  }

  start();
})();
