import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signToken } from '@tandem/http';
import { openSqliteStore } from '@tandem/sqlite';

const secret = 'crash-test-secret-crash-test-secret';
const dir = mkdtempSync(join(tmpdir(), 'tandem-crash-'));
const database = join(dir, 'shop.db');
const main = new URL('../src/main.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the real server process and resolves with its URL once it prints it. */
function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${database}`, TANDEM_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

async function send(url: string, type: string, body: unknown, token: string, key: string) {
  const response = await fetch(`${url}/commands/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

/** Burst command number `n`: every fourth a restock, the rest a three-product order. */
function burstCommand(n: number): { type: string; body: unknown; asAdmin: boolean } {
  if (n % 4 === 3)
    return {
      type: 'AdjustInventory',
      body: { productId: `p${(n % 3) + 1}`, delta: 1, reason: 'restock' },
      asAdmin: true,
    };
  const items = [
    { productId: 'p1', quantity: 1 },
    { productId: 'p2', quantity: 2 },
    { productId: 'p3', quantity: 1 },
  ];
  const shippingAddress = { line1: '1 Main St', city: 'Fresno', state: 'CA', zip: '93650' };
  return { type: 'PlaceOrder', body: { items, shippingAddress }, asAdmin: false };
}

/** The order id in a PlaceOrder answer (the server generates it); undefined for other commands. */
function orderIdIn(answer: string): string | undefined {
  return (JSON.parse(answer) as { ids?: { orderId?: string } }).ids?.orderId;
}

describe('crash recovery', () => {
  it('keeps every acknowledged command and no partial one across SIGKILL', async () => {
    const admin = await signToken({ sub: 'admin', role: 'admin' }, secret);
    const buyer = await signToken({ sub: 'buyer', role: 'customer' }, secret);
    const first = await startServer();
    assert.equal(
      (await send(first.url, 'RegisterCustomer', { name: 'Buyer', state: 'CA' }, buyer, 'reg')).status,
      200,
    );
    for (const p of ['p1', 'p2', 'p3']) {
      const created = await send(
        first.url,
        'CreateProduct',
        { productId: p, name: p, description: '', category: 'c', price: 100, initialStock: 100_000 },
        admin,
        `create-${p}`,
      );
      assert.equal(created.status, 200, created.body);
    }

    // A burst of multi-stream orders and restocks, 16 in flight at a time, killed part-way.
    const acknowledged = new Map<string, string>();
    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && sent < 2_000) {
        const n = sent++;
        const key = `burst-${n}`;
        const command = burstCommand(n);
        const request = send(first.url, command.type, command.body, command.asAdmin ? admin : buyer, key);
        try {
          const response = await request;
          if (response.status === 200) acknowledged.set(key, response.body);
        } catch {
          return; // the server died under this request: unacknowledged, may or may not have committed
        }
        if (acknowledged.size === 150 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.ok(killed, 'the server was killed mid-burst');
    if (first.child.exitCode === null && first.child.signalCode === null) {
      await new Promise((resolve) => first.child.once('exit', resolve));
    }

    const second = await startServer();
    const store = await openSqliteStore({ filename: database });
    try {
      const burstEvents = async () => {
        const byCommand = new Map<string, string[]>();
        /** The order id each command's events name: the one an unacknowledged order got. */
        const orderIds = new Map<string, string>();
        for (const e of await store.events.readAll({ after: 0, limit: 100_000 })) {
          const key = String(e.metadata.commandId);
          if (!key.startsWith('burst-')) continue;
          const orderId = (e.data as { orderId?: string }).orderId;
          const entry = `${e.streamId}:${e.type}${orderId === undefined ? '' : `:${orderId}`}`;
          byCommand.set(key, [...(byCommand.get(key) ?? []), entry]);
          if (orderId !== undefined && !orderIds.has(key)) orderIds.set(key, orderId);
        }
        return { byCommand, orderIds };
      };
      /** Exactly the events one whole command writes, in commit order; orders under `orderId`. */
      const whole = (key: string, orderId: string | undefined): string[] => {
        const n = Number(key.slice('burst-'.length));
        if (n % 4 === 3) return [`inventory-p${(n % 3) + 1}:StockAdjusted`];
        return [
          `order-${orderId}:OrderPlaced:${orderId}`,
          ...['p1', 'p2', 'p3'].map((p) => `inventory-${p}:StockReserved:${orderId}`),
        ];
      };

      const { byCommand, orderIds } = await burstEvents();
      for (const key of acknowledged.keys())
        assert.ok(byCommand.has(key), `acknowledged ${key} is in the log`);
      // No partial command: an OrderPlaced comes with all of its reservations and vice versa, all
      // under the id the answer gave (or, unacknowledged, under one id).
      for (const [key, events] of byCommand) {
        const answer = acknowledged.get(key);
        const orderId = answer === undefined ? orderIds.get(key) : orderIdIn(answer);
        assert.deepEqual(events, whole(key, orderId), `${key} is whole`);
      }

      // Stock never went negative, and each event's stock agrees with a fold of the stream.
      for (const p of ['p1', 'p2', 'p3']) {
        let stock = 0;
        for (const e of (await store.events.readStream(`inventory-${p}`)).events) {
          const data = e.data as { delta?: number; quantity?: number; stock: number };
          stock += e.type === 'StockReserved' ? -(data.quantity ?? 0) : (data.delta ?? 0);
          assert.equal(data.stock, stock, `${p} at ${e.position}`);
          assert.ok(stock >= 0, `${p} never negative`);
        }
      }

      // Retrying acknowledged keys replays the stored answer and writes nothing.
      const head = await store.events.headPosition();
      const retry = (key: string) => {
        const command = burstCommand(Number(key.slice('burst-'.length)));
        return send(second.url, command.type, command.body, command.asAdmin ? admin : buyer, key);
      };
      for (const [key, body] of acknowledged) {
        const again = await retry(key);
        assert.equal(again.status, 200, again.body);
        assert.equal(again.body, body, `${key} replays`);
      }
      assert.equal(await store.events.headPosition(), head);

      // Requests cut off by the kill may or may not have committed; retrying completes each once.
      const unacknowledged = Array.from({ length: sent }, (_, n) => `burst-${n}`).filter(
        (key) => !acknowledged.has(key),
      );
      assert.ok(unacknowledged.length > 0, 'some requests were in flight at the kill');
      const retried = new Map<string, string | undefined>();
      for (const key of unacknowledged) {
        const again = await retry(key);
        assert.equal(again.status, 200, `${key}: ${again.body}`);
        retried.set(key, orderIdIn(again.body));
      }
      const completed = (await burstEvents()).byCommand;
      for (const [key, orderId] of retried)
        assert.deepEqual(completed.get(key), whole(key, orderId), `${key} once`);
    } finally {
      await store.close();
      second.child.kill('SIGKILL');
    }
  });
});
