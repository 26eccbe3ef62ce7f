import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, ChannelModel } from 'amqplib';
import { Broker, queueArguments } from '@surety/messaging';
import { createLogger } from '@surety/telemetry';
import { cluster, managementOf, nodeAmqpUrl, nodeOf, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

// Three RabbitMQ nodes, each a host of its own (scripts/cluster.sh: a network namespace and an
// address on a private bridge): the quorum queues the code declares are replicated on all three,
// and what the broker confirmed survives the loss of the node that led the queue.

interface QueueInfo {
  leader?: string;
  members?: string[];
  online?: string[];
  messages?: number;
}

const nodes: ClusterNode[] = [1, 2, 3];

function leftovers(): string[] {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return [...`${namespaces}\n${links}`.matchAll(/surety-(rmq|pg)\d|suretybr0/g)].map((match) => match[0]);
}

async function queueOn(node: ClusterNode, name: string): Promise<QueueInfo> {
  return managementOf<QueueInfo>(node, `/queues/%2F/${encodeURIComponent(name)}`);
}

/** declareReplicated declares a queue as the consumers do (queueArguments) and waits until its three members are online. */
async function declareReplicated(): Promise<{ queue: string; declared: QueueInfo }> {
  const queue = `cluster-test.${randomUUID()}`;
  const connection = await amqp.connect(nodeAmqpUrl(1));
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true, arguments: queueArguments(queue) });
  await connection.close();
  const declared = await waitFor(
    'three members online',
    () => queueOn(1, queue),
    (info) => (info.online ?? []).length === 3,
  );
  return { queue, declared };
}

/** publishConfirmed publishes `count` persistent messages through a node and answers the ids the broker confirmed. */
async function publishConfirmed(node: ClusterNode, queue: string, count: number): Promise<string[]> {
  const connection = await amqp.connect(nodeAmqpUrl(node));
  try {
    const channel = await connection.createConfirmChannel();
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const id of ids) channel.sendToQueue(queue, Buffer.from(id), { messageId: id, persistent: true });
    await channel.waitForConfirms();
    return ids;
  } finally {
    await connection.close();
  }
}

/**
 * drain consumes what the queue holds through a node, acking each, until it has `expected` ids or a
 * minute is up, and answers the ids received.
 */
async function drain(node: ClusterNode, queue: string, expected: number): Promise<Set<string>> {
  const connection = await amqp.connect(nodeAmqpUrl(node));
  // A queue that is gone closes the channel: what was received so far (nothing) is the answer.
  connection.on('error', () => undefined);
  const received = new Set<string>();
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const consuming = await channel
      .consume(queue, (message) => {
        if (!message) return;
        received.add(String(message.properties.messageId));
        channel.ack(message);
      })
      .then(
        () => true,
        () => false,
      );
    if (!consuming) return received;
    await waitFor(
      `${expected} messages from ${queue}`,
      async () => received.size,
      (size) => size >= expected,
      {
        timeoutMs: 60_000,
      },
    ).catch(() => undefined);
    return received;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** listen is what a consumer does on each connection: declares its queue, consumes it and records the ids. */
function listen(queue: string, received: Set<string>) {
  let channel: Channel | undefined;
  return {
    async attach(model: ChannelModel) {
      channel = await model.createChannel();
      channel.on('error', () => undefined);
      await channel.assertQueue(queue, { durable: true, arguments: queueArguments(queue) });
      await channel.consume(queue, (message) => {
        if (!message) return;
        received.add(String(message.properties.messageId));
        channel?.ack(message);
      });
    },
    detach() {
      channel = undefined;
    },
  };
}

async function publishThrough(broker: Broker, queue: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await broker.withConfirmChannel(async (channel) => {
    for (const id of ids) channel.sendToQueue(queue, Buffer.from(id), { messageId: id, persistent: true });
    await channel.waitForConfirms();
  });
  return ids;
}

describe('three RabbitMQ nodes, each in its own network namespace', () => {
  beforeAll(async () => {
    await cluster('reset');
    await cluster('up');
  }, 300_000);

  afterAll(async () => {
    await cluster('reset');
    expect(leftovers(), 'namespaces and bridge removed').toEqual([]);
  }, 120_000);

  it('form one cluster: each node sees all three running', async () => {
    for (const node of nodes) {
      const seen = await managementOf<{ name: string; running: boolean }[]>(node, '/nodes?columns=name,running');
      expect(
        seen
          .filter((peer) => peer.running)
          .map((peer) => nodeOf(peer.name))
          .sort(),
      ).toEqual(nodes);
    }
  });

  it('replicate a queue declared with the code’s arguments on all three, and keep every confirmed message when its leader is killed', async () => {
    const { queue, declared } = await declareReplicated();
    expect(declared.members?.map(nodeOf).sort()).toEqual(nodes);

    const leader = nodeOf(declared.leader!);
    const survivor = nodes.find((node) => node !== leader)!;
    const confirmed = await publishConfirmed(survivor, queue, 500);
    await cluster('kill', leader);
    const moved = await waitFor(
      'a new leader',
      () => queueOn(survivor, queue),
      (info) => info.leader !== undefined && nodeOf(info.leader) !== leader,
    );
    expect(nodeOf(moved.leader!)).not.toBe(leader);

    const received = await drain(survivor, queue, confirmed.length);
    const lost = confirmed.filter((id) => !received.has(id));
    expect(lost, 'confirmed, then lost').toEqual([]);

    await cluster('up');
    await waitFor(
      'the killed node back as a member',
      () => queueOn(leader, queue),
      (info) => (info.online ?? []).length === 3,
    );
  });

  it('contrast: a classic queue, on one node only, loses what the broker confirmed when that node is killed', async () => {
    const queue = `cluster-test.${randomUUID()}`;
    // Declared through node 3, a classic queue lives on node 3 alone.
    const connection = await amqp.connect(nodeAmqpUrl(3));
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: false, arguments: { 'x-queue-type': 'classic' } });
    await connection.close();
    const confirmed = await publishConfirmed(1, queue, 100);
    await cluster('kill', 3);
    try {
      const received = await drain(1, queue, confirmed.length);
      expect(confirmed.filter((id) => !received.has(id))).toHaveLength(confirmed.length);
    } finally {
      await cluster('up');
    }
  });

  it("an app's connection, given every node, moves to another when its node is killed: its consumer and publisher carry on", async () => {
    const queue = `cluster-test.${randomUUID()}`;
    const received = new Set<string>();
    const logger = createLogger('cluster-test', 'silent');
    // Where the broker says our connection is: the only one open while this runs.
    const connectedTo = async (via: ClusterNode) =>
      (await managementOf<{ node: string }[]>(via, '/connections?columns=node')).map((c) => nodeOf(c.node));
    const broker = await Broker.connect(nodes.map(nodeAmqpUrl).join(','), logger);
    try {
      await broker.attach(listen(queue, received));
      const before = await publishThrough(broker, queue, 100);
      await waitFor(
        'the first 100',
        async () => received.size,
        (size) => size >= before.length,
      );
      await waitFor(
        'our connection on node 1',
        () => connectedTo(2),
        (on) => on.join() === '1',
      );

      await cluster('kill', 1);
      // A publish racing the loss fails, and an app's outbox publishes it again; this one waits.
      await waitFor(
        'our connection on node 2, the next in the list',
        () => connectedTo(2),
        (on) => on.join() === '2',
        {
          timeoutMs: 30_000,
        },
      );
      await waitFor('the broker to be attached again', async () => broker.connected, Boolean);
      const after = await publishThrough(broker, queue, 100);
      await waitFor(
        'the next 100',
        async () => after.filter((id) => received.has(id)).length,
        (n) => n === 100,
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      await broker.close();
      await cluster('up');
    }
  });

  it('keeps serving on the majority side while a node is cut off, and takes it back once healed', async () => {
    const { queue } = await declareReplicated();

    await cluster('partition', 3);
    try {
      await waitFor(
        'node 3 seen as gone',
        () => managementOf<{ name: string; running: boolean }[]>(1, '/nodes?columns=name,running'),
        (seen) => seen.filter((peer) => peer.running).length === 2,
      );
      const confirmed = await publishConfirmed(1, queue, 200);
      const received = await drain(2, queue, confirmed.length);
      expect(confirmed.filter((id) => !received.has(id))).toEqual([]);
    } finally {
      await cluster('heal', 3);
    }
    await waitFor(
      'node 3 back in the cluster and the queue',
      () => queueOn(1, queue),
      (info) => (info.online ?? []).length === 3,
      { timeoutMs: 120_000 },
    );
  });
});
