// The chat page: core and the Ws browser client (bundled by esbuild with the `browser` condition)
// on the browser's own WebSocket. It joins the chat server that served it, or the one named by
// `?server=ws://host:port/`, and rejoins 2 s after a failure with a timer signal.
import { split, type Endpoint } from '@message-io/core';
import { Ws } from '@message-io/ws';

const log = document.querySelector<HTMLUListElement>('#log')!;
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const form = document.querySelector<HTMLFormElement>('#send')!;
const input = document.querySelector<HTMLInputElement>('#message')!;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const name = `guest-${Math.floor(1000 + Math.random() * 9000)}`;
const serverUrl = new URLSearchParams(location.search).get('server') ?? `ws://${location.hostname}:${document.body.dataset.chatPort}/`;

const [handler, listener] = split<'rejoin'>();
const net = handler.network();
let server: Endpoint | undefined;

/** Shows one line of the chat (or a notice, in grey). */
function show(line: string, notice = line.startsWith('* ')): void {
  const item = document.createElement('li');
  item.textContent = line;
  if (notice) item.className = 'notice';
  log.append(item);
  item.scrollIntoView({ block: 'end' });
}

/** Tells the user (and the tests, through `data-state`) where the page stands. */
function setState(state: 'connecting' | 'connected' | 'offline', text: string): void {
  document.body.dataset.state = state;
  status.textContent = text;
}

function join(): void {
  setState('connecting', `joining ${serverUrl}…`);
  server = net.connect(Ws, serverUrl);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (server === undefined || text === '') return;
  const sent = net.send(server, encoder.encode(`${name}: ${text}`));
  if (sent === 'Sent') input.value = '';
  else show(`(not sent: ${sent})`, true);
});

void listener.forEach((event) => {
  switch (event.type) {
    case 'connected':
      if (event.ok) setState('connected', `in the chat at ${serverUrl} as ${name}`);
      else {
        setState('offline', `could not join ${serverUrl}; trying again in 2 s`);
        handler.signals().sendWithTimer('rejoin', 2000);
      }
      break;
    case 'message':
      show(decoder.decode(event.data));
      break;
    case 'disconnected':
      setState('offline', 'the chat server left; trying again in 2 s');
      handler.signals().sendWithTimer('rejoin', 2000);
      break;
    case 'signal':
      join();
      break;
  }
});
join();
