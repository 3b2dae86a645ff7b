import { describe, expect, it } from 'vitest';
import * as all from 'message-io';
import * as core from '@message-io/core';
import * as tcp from '@message-io/tcp';

describe('message-io', () => {
  it('re-exports every export of core and of each transport package, as the same values', () => {
    for (const [name, value] of [...Object.entries(core), ...Object.entries(tcp)]) {
      expect((all as Record<string, unknown>)[name], name).toBe(value);
    }
  });

  it('echoes over FramedTcp using only this package', async () => {
    const [handler, listener] = all.split();
    const { addr } = await handler.network().listen(all.FramedTcp, '127.0.0.1:0');
    const client = handler.network().connect(all.FramedTcp, addr);
    const received: string[] = [];
    const timeout = setTimeout(() => handler.stop(), 5000);
    await listener.forEach((event) => {
      if (event.type === 'connected') handler.network().send(client, new TextEncoder().encode('hi'));
      if (event.type === 'message' && event.endpoint !== client) handler.network().send(event.endpoint, event.data);
      if (event.type === 'message' && event.endpoint === client) {
        received.push(new TextDecoder().decode(event.data));
        handler.stop();
      }
    });
    clearTimeout(timeout);
    expect(received).toEqual(['hi']);
  });
});
