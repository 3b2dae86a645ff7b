// Signals: events a node sends to itself, now, first, or later. No network involved.
import { split } from 'message-io';

type Signal = { kind: 'tick'; n: number } | { kind: 'urgent' } | { kind: 'never' } | { kind: 'end' };
const [handler, listener] = split<Signal>();
const signals = handler.signals();

signals.send({ kind: 'tick', n: 1 }); // in order, after priority signals and due timers
signals.sendWithPriority({ kind: 'urgent' }); // before every standard signal
const timer = signals.sendWithTimer({ kind: 'never' }, 50);
signals.cancelTimer(timer); // a cancelled timer never fires
signals.sendWithTimer({ kind: 'end' }, 100);

await listener.forEach((event) => {
  if (event.type !== 'signal') return;
  console.log(`signal: ${JSON.stringify(event.signal)}`);
  if (event.signal.kind === 'tick' && event.signal.n < 3) signals.send({ kind: 'tick', n: event.signal.n + 1 });
  if (event.signal.kind === 'end') handler.stop();
});
