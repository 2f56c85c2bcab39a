// Browser side of the demo: subscribe to /topic/browser.in (where an MQTT device publishing to
// `browser/in` lands) and SEND to /topic/browser.out (an AMQP consumer bound to amq.topic with
// `browser.out` receives it). Query parameters: ws (broker URL), login, passcode.
/* global window, document, location, StompJs */
'use strict';

const params = new URLSearchParams(location.search);
const brokerURL = params.get('ws') ?? `ws://${location.hostname}:15674/ws`;
const statusEl = document.getElementById('status');
const logEl = document.getElementById('log');

// Exposed for the end-to-end test (test/integration/stomp-browser.test.ts).
const demo = { connected: false, received: [], errors: [], send: undefined };
window.demo = demo;

const client = new StompJs.Client({
  brokerURL,
  connectHeaders: {
    login: params.get('login') ?? 'guest',
    passcode: params.get('passcode') ?? 'guest',
  },
  heartbeatIncoming: 10000,
  heartbeatOutgoing: 10000,
  reconnectDelay: 2000,
});

client.onConnect = () => {
  client.subscribe('/topic/browser.in', (message) => {
    demo.received.push({ body: message.body, headers: message.headers });
    logEl.textContent += `${message.headers.destination}: ${message.body}\n`;
  });
  // A receipt on an empty SEND proves the SUBSCRIBE before it was processed.
  client.watchForReceipt('ready', () => {
    demo.connected = true;
    statusEl.textContent = 'connected';
  });
  client.publish({ destination: '/topic/browser.ready', headers: { receipt: 'ready' } });
};

client.onStompError = (frame) => {
  demo.errors.push(frame.headers.message);
  statusEl.textContent = `error: ${frame.headers.message}`;
};

demo.send = (body) => {
  client.publish({
    destination: '/topic/browser.out',
    body,
    headers: { 'content-type': 'text/plain' },
  });
};

document.getElementById('send').addEventListener('submit', (event) => {
  event.preventDefault();
  demo.send(document.getElementById('body').value);
});

client.activate();
