// Run with node, require('ali-ons') resolvable (cwd or NODE_PATH): one send to each topic given.
// Usage: node alions_no_route.js <namesrv> <producerGroup> <topic>...
// Prints {version: <ali-ons version>}, then one JSON line per topic:
// {topic, send: 'ok'} or {topic, send_error: <the client's error text>, name}.
'use strict';
const { Producer, Message } = require('ali-ons');

const [namesrv, group, ...topics] = process.argv.slice(2);
// ali-ons asserts an httpclient option; with nameSrv given it is never used
const httpclient = { request: async () => { throw new Error('httpclient unused: nameSrv is given'); } };

(async () => {
  process.stdout.write(JSON.stringify({ version: require('ali-ons/package.json').version }) + '\n');
  const producer = new Producer({ httpclient, nameSrv: namesrv, producerGroup: group });
  await producer.ready();
  for (const topic of topics) {
    let result;
    try {
      await producer.send(new Message(topic, 'TagA', 'route me'));
      result = { topic, send: 'ok' };
    } catch (e) {
      result = { topic, send_error: e.message, name: e.name };
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  process.stdout.write('', () => process.exit(0));
})().catch(e => {
  process.stdout.write(JSON.stringify({ fatal: e.message, name: e.name }) + '\n', () => process.exit(1));
});
