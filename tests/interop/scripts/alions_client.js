// Drive ali-ons@3.12.0 from a test (node, with NODE_PATH pointing at its node_modules).
//   produce NAMESRV GROUP            < JSON lines {topic, tags, keys, body_b64, props}: one result line each
//   consume NAMESRV GROUP TOPIC TYPE EXPRESSION SECONDS [broadcast|retry]
//        TYPE: TAG | SQL92; prints READY, then one JSON line per message, until SECONDS pass or stdin closes;
//        with "retry", a body starting with "retry-" is refused (the handler throws) the first time it comes
//   ACL_ACCESS_KEY and ACL_SECRET_KEY in the environment: sign with them (accessKeyId / accessKeySecret)
'use strict';
const { Producer, Consumer, Message } = require('ali-ons');

const [cmd, namesrv, group, ...rest] = process.argv.slice(2);
const httpclient = { request: async () => { throw new Error('httpclient unused: nameSrv is given'); } };
const out = obj => process.stdout.write(JSON.stringify(obj) + '\n');
// ACL keys only when both are given: without them ali-ons does not sign at all
const acl = process.env.ACL_ACCESS_KEY !== undefined && process.env.ACL_SECRET_KEY !== undefined ?
  { accessKeyId: process.env.ACL_ACCESS_KEY, accessKeySecret: process.env.ACL_SECRET_KEY } : {};

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l));
}

async function produce() {
  const producer = new Producer({ httpclient, nameSrv: namesrv, producerGroup: group, ...acl });
  await producer.ready();
  // producer.send retries a SYSTEM_ERROR answer and then throws only "Send [n] times, still failed": keep the
  // last broker answer's error (an MQClientException with the response code and remark) to report with it
  let cause = null;
  const kernel = producer.sendKernelImpl.bind(producer);
  producer.sendKernelImpl = async (...args) => {
    try {
      return await kernel(...args);
    } catch (e) {
      cause = { name: e.name, code: e.code, message: e.message };
      throw e;
    }
  };
  for (const d of await readStdin()) {
    cause = null;
    const msg = new Message(d.topic, d.tags || '', Buffer.from(d.body_b64, 'base64'));
    if (d.keys) msg.keys = d.keys.split(' ');
    for (const [k, v] of Object.entries(d.props || {})) msg.properties[k] = v;
    try {
      const r = await producer.send(msg);
      out({ status: r.sendStatus, msg_id: r.msgId, queue_id: r.messageQueue.queueId, offset: r.queueOffset });
    } catch (e) {
      out({ error: e.message, name: e.name, cause });
    }
  }
  await producer.close();
}

async function consume() {
  const [topic, type, expression, seconds, mode] = rest;
  const consumer = new Consumer({ httpclient, nameSrv: namesrv, consumerGroup: group, ...acl,
    isBroadcast: mode === 'broadcast', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    // ali-ons ignores NOTIFY_CONSUMER_IDS_CHANGED and rebalances on a timer only (default 20 s)
    rebalanceInterval: Number(process.env.ALIONS_REBALANCE_MS || 20000) });
  const refused = new Set();
  const sub = type === 'SQL92' ? { expressionType: 'SQL92', subString: expression } : expression;
  consumer.subscribe(topic, sub, async msg => {
    out({ topic: msg.topic, tags: msg.tags, keys: msg.keys, body_b64: Buffer.from(msg.body).toString('base64'),
      queue_id: msg.queueId, queue_offset: msg.queueOffset, reconsume_times: msg.reconsumeTimes,
      msg_id: msg.msgId, props: msg.properties });
    const body = Buffer.from(msg.body).toString('utf8');
    if (mode === 'retry' && body.startsWith('retry-') && !refused.has(body)) {
      refused.add(body);
      throw new Error('consume later');
    }
  });
  consumer.on('error', e => out({ error: e.message, name: e.name }));
  await consumer.ready();
  out('READY');
  // run until SECONDS pass or the test closes our stdin
  await new Promise(resolve => {
    setTimeout(resolve, Number(seconds) * 1000);
    process.stdin.on('end', resolve);
    process.stdin.resume();
  });
}

(cmd === 'produce' ? produce() : consume())
  .then(() => process.stdout.write('', () => process.exit(0)))
  .catch(e => { out({ fatal: e.message, name: e.name }); process.stdout.write('', () => process.exit(1)); });
