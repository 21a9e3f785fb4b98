// rpm-preload.js: loaded into the Node apps rpm starts, as `node --require <RPM_HOME>/rpm-preload.js`.
//
// rpm's daemon owns an app's listening socket and passes it to every instance the way
// systemd does: fd 3, LISTEN_FDS=1, LISTEN_PID=<the instance's pid>, LISTEN_FDNAMES, and
// PORT (the port number, or the Unix socket path). This file patches
// net.Server.prototype.listen, where http, https, express's app.listen and fastify all
// end, so that an unmodified app's `server.listen(PORT)` takes fd 3 instead of binding.
// In cluster mode (RPM_CLUSTER=1 and a Node IPC channel to the daemon), a listen on a
// port hard-coded in the app asks the daemon for a shared socket of that port instead
// (NODE_RPM_LISTEN out, NODE_RPM_SOCKET back with the socket attached).
//
// In a process it does not apply to it does nothing at all: LISTEN_PID names another
// process (a child of the app inherits the environment but not the socket) and there is
// no cluster channel to the daemon. It never deletes LISTEN_* from process.env: apps may
// read them. In cluster mode it sets RPM_PRELOAD_PID to its pid, so that a process the
// instance forks (which inherits RPM_CLUSTER, an IPC channel to the app and this
// preload) knows not to ask its parent, which would never answer.
//
// Limits: the forms read are listen(port[, host][, backlog][, cb]),
// listen(path[, backlog][, cb]) and listen(options[, cb]) with port, host, path, backlog
// and signal; a handle or { fd } passes through unchanged. The host is not compared with
// the shared socket's address. Only fd 3 is used (not LISTEN_FDNAMES or further fds).
// exclusive, ipv6Only, readableAll and writableAll do not apply to an inherited socket.
// Sockets not made through net.Server.prototype.listen are left alone: dgram, addons,
// and Node's cluster workers under SCHED_NONE (under the default round-robin the
// primary listens through here). If Node's channel answers a handle with
// NODE_HANDLE_NACK, the request waits until the daemon sends it again.
//
// Plain CommonJS, no dependencies, Node 14 or later. Embedded in the rpm binary
// (src/cluster/preload.rs), which writes it into RPM_HOME.
'use strict';

(function rpmPreload() {
  const env = process.env;
  const SHARED_FD = 3;
  // Set by an instance that asks the daemon for sockets, so that processes it forks
  // (child_process.fork and Node's cluster workers inherit RPM_CLUSTER, an IPC channel
  // and, through execArgv, this preload) know their channel leads to the app, not to
  // the daemon; they pass it on to their own children.
  const FORK_MARK = 'RPM_PRELOAD_PID';

  let sharedFdFree = env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS) >= 1;

  let askDaemon = false;
  if (env.RPM_CLUSTER === '1' && typeof process.send === 'function') {
    askDaemon = env[FORK_MARK] !== String(process.ppid);
    env[FORK_MARK] = String(process.pid);
  }

  if (!sharedFdFree && !askDaemon) return;

  const net = require('net');
  const path = require('path');
  const originalListen = net.Server.prototype.listen;
  const portVar = env.PORT === undefined || env.PORT === '' ? null : env.PORT;

  // Node's own coercion (lib/net.js): a value that reads as a number >= 0, else false.
  function toNumber(x) {
    return (x = Number(x)) >= 0 ? x : false;
  }

  // The port as a number when Node's validatePort would accept it, else null (then the
  // original listen runs and throws Node's own error).
  function validPort(port) {
    if (typeof port === 'string') {
      if (port.trim() === '') return null;
    } else if (typeof port !== 'number') {
      return null;
    }
    const n = +port;
    return n === n >>> 0 && n <= 0xffff ? n : null;
  }

  // What a listen() call asks for, read the way Node's normalizeArgs and listen read it:
  // { port, host } or { path }, with backlog, cb and signal; null for the forms this file
  // leaves alone (a handle, { fd }, invalid arguments).
  function readListenArgs(args) {
    const backlogFromArgs =
      toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]);
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? last : null;
    const first = args[0];

    let options;
    if (first !== null && typeof first === 'object') {
      options = first;
      if (options._handle || options.handle) return null;
      if (typeof options.fd === 'number' && options.fd >= 0) return null;
    } else if (typeof first === 'string' && toNumber(first) === false) {
      options = { path: first };
    } else {
      options = { port: first };
      if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
    }

    const request = {
      backlog: options.backlog || backlogFromArgs,
      cb: cb,
      signal: options.signal,
      port: null,
      host: null,
      path: null,
    };
    let port = options.port;
    if (
      args.length === 0 ||
      typeof first === 'function' ||
      (port === undefined && 'port' in options) ||
      port === null
    ) {
      port = 0;
    }
    if (typeof port === 'number' || typeof port === 'string') {
      request.port = validPort(port);
      if (request.port === null) return null;
      request.host = options.host ? options.host : null;
      return request;
    }
    if (typeof options.path === 'string' && toNumber(options.path) === false) {
      request.path = options.path;
      return request;
    }
    return null;
  }

  function isSharedSocket(request) {
    const portIsNumber = portVar !== null && toNumber(portVar) !== false;
    if (request.path !== null) {
      return (
        portVar !== null &&
        !portIsNumber &&
        (request.path === portVar || path.resolve(request.path) === path.resolve(portVar))
      );
    }
    // LISTEN_FDS without PORT: the socket is meant for whatever TCP port the app picks.
    if (portVar === null) return true;
    return portIsNumber && Number(portVar) === request.port;
  }

  // The arguments of the original listen for an inherited socket, keeping the caller's
  // backlog, callback and AbortSignal.
  function handleArgs(handle, request) {
    const args = [handle];
    if (request.backlog) args.push(request.backlog);
    if (request.cb) args.push(request.cb);
    return args;
  }

  function listenOnSharedFd(server, request) {
    const fd = { fd: SHARED_FD };
    if (request.signal !== undefined) fd.signal = request.signal;
    const result = originalListen.apply(server, handleArgs(fd, request));
    sharedFdFree = false;
    // Node reports a listening Unix socket's address from the path it bound; there was
    // none here, so give it the one the app asked for.
    if (request.path !== null) server._pipeName = request.path;
    return result;
  }

  net.Server.prototype.listen = function listen(...args) {
    // Already listening: the original throws ERR_SERVER_ALREADY_LISTEN.
    const request = this._handle ? null : readListenArgs(args);
    if (request !== null) {
      if (sharedFdFree && isSharedSocket(request)) {
        return listenOnSharedFd(this, request);
      }
      if (askDaemon && request.port !== null && request.port > 0 && process.connected) {
        requestSocket(this, request, args);
        return this;
      }
    }
    return originalListen.apply(this, args);
  };

  if (!askDaemon) return;

  // Cluster mode: ask the daemon over the IPC channel.
  let lastSeq = 0;
  const waiting = new Map(); // seq -> { server, request, args }
  // Handles Node did not adopt as the server's own (a non-TCP handle is reopened by fd):
  // kept so that collecting the wrap never closes the fd under the server.
  const keptHandles = [];

  // A 'disconnect' listener keeps the channel referenced through Node's own counter (the
  // one 'message' listeners use), so the process waits for the answer, and removing it
  // gives the reference back. process.channel.ref() would do the first but, once called,
  // stops 'message' listeners from ever referencing the channel again.
  function onDisconnect() {
    for (const seq of Array.from(waiting.keys())) {
      const entry = take(seq);
      originalListen.apply(entry.server, entry.args);
    }
  }

  function take(seq) {
    const entry = waiting.get(seq);
    if (entry === undefined) return undefined;
    waiting.delete(seq);
    if (waiting.size === 0) process.removeListener('disconnect', onDisconnect);
    return entry;
  }

  function requestSocket(server, request, args) {
    const seq = ++lastSeq;
    if (waiting.size === 0) process.on('disconnect', onDisconnect);
    waiting.set(seq, { server: server, request: request, args: args });
    const message = { cmd: 'NODE_RPM_LISTEN', seq: seq, port: request.port, host: request.host };
    process.send(message, (err) => {
      if (!err) return;
      // The daemon cannot be asked: do what Node does without rpm.
      const entry = take(seq);
      if (entry !== undefined) originalListen.apply(entry.server, entry.args);
    });
  }

  function watchAbort(server, signal) {
    if (!signal || typeof signal.addEventListener !== 'function') return;
    const onAbort = () => server.close();
    if (signal.aborted) {
      process.nextTick(onAbort);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    server.once('close', () => signal.removeEventListener('abort', onAbort));
  }

  function listenError(request, message, code) {
    const err = new Error(message);
    if (code) err.code = code;
    err.syscall = 'listen';
    if (request.host !== null) err.address = request.host;
    err.port = request.port;
    return err;
  }

  process.on('internalMessage', (message, handle) => {
    if (message === null || typeof message !== 'object' || message.cmd !== 'NODE_RPM_SOCKET') {
      return;
    }
    const entry = take(message.seq);
    if (entry === undefined) {
      if (handle) handle.close();
      return;
    }
    const server = entry.server;
    const request = entry.request;
    if (typeof message.error === 'string' || !handle) {
      if (handle) handle.close();
      const text =
        typeof message.error === 'string'
          ? message.error
          : 'rpm sent no socket for port ' + request.port;
      server.emit('error', listenError(request, text, message.code));
      return;
    }
    if (server._handle) {
      // The app listened some other way meanwhile.
      handle.close();
      return;
    }
    try {
      originalListen.apply(server, handleArgs(handle, request));
    } catch (err) {
      handle.close();
      server.emit('error', err);
      return;
    }
    if (server._handle !== handle) keptHandles.push(handle);
    watchAbort(server, request.signal);
  });
})();
