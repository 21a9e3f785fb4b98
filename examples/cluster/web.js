// A Node web app for rpm's cluster mode. Nothing in it is rpm-specific: it listens on
// PORT as usual, and rpm's preload makes that listen() use the socket the daemon owns,
// so every instance serves the same port (and a reload never closes it).
'use strict';

const http = require('http');

const instance = process.env.RPM_INSTANCE; // 0, 1, ... (NODE_APP_INSTANCE too)

const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end(`hello from web, instance ${instance}, pid ${process.pid}\n`);
});

server.listen(process.env.PORT, () => {
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
  // With `wait_ready: true`, rpm waits for this before it counts the instance as up
  // (and, during `rpm reload`, before it stops the old one).
  if (process.env.SEND_READY === '1' && process.send) process.send('ready');
});

// `rpm reload` and `rpm stop` send SIGINT (the app's kill_signal): stop accepting, let
// the requests in flight finish, then exit. The other instances keep serving meanwhile.
process.on('SIGINT', () => {
  console.log(`instance ${instance} shutting down`);
  server.close(() => process.exit(0));
});
