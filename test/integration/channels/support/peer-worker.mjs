// A minimal SMSC or HTTP receiver run in a worker thread, so that what it measures (arrival
// times, throughput) is not distorted by the sending side's event loop. Used by the rate-limit
// test and the channel benchmark. Plain JavaScript because worker threads load files as is.
//
// workerData: { kind: 'smpp' | 'http' }. Posts { port } once listening; answers 'stats' with
// { received, arrivals }, and 'close' by shutting down.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const smpp = require('smpp');
const keepArrivals = workerData.keepArrivals !== false;
let received = 0;
const arrivals = [];
const now = () => performance.timeOrigin + performance.now();
const sockets = new Set();

function record() {
  received++;
  if (keepArrivals) arrivals.push(now());
}

let server;
if (workerData.kind === 'smpp') {
  let nextId = 1;
  server = smpp.createServer({}, (session) => {
    session.on('error', () => undefined);
    session.on('bind_transceiver', (pdu) => session.send(pdu.response({ system_id: 'peer' })));
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
      record();
      session.send(pdu.response({ message_id: (nextId++).toString(16) }));
    });
  });
} else {
  server = createServer({ keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      record();
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
}
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));

parentPort.on('message', (message) => {
  if (message === 'stats') {
    parentPort.postMessage({ received, arrivals });
  } else if (message === 'reset') {
    received = 0;
    arrivals.length = 0;
    parentPort.postMessage({ reset: true });
  } else if (message === 'close') {
    for (const socket of sockets) socket.destroy();
    server.close(() => process.exit(0));
  }
});
