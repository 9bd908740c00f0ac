// Fault builders several self-test files share.
import type { Fault } from './fault-proxy.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** ExecSync answers of a command whose argv (joined by spaces) contains `needle`, rewritten. */
export const execAnswer = (needle: string, edit: (res: Msg) => void): Fault => ({
  rpc: 'ExecSync',
  when: (req) => (req.cmd ?? []).join(' ').includes(needle),
  mutate: (res) => void edit(res),
});

/** CreateContainer requests whose config this accepts, with their security context rewritten before the runtime sees it. */
export const securityContextWith = (edit: (sc: Msg) => void, when: (config: Msg) => boolean = () => true): Fault => ({
  rpc: 'CreateContainer',
  when: (req) => when(req.config),
  mutateRequest: (req) => {
    req.config.linux ??= {};
    req.config.linux.security_context ??= {};
    edit(req.config.linux.security_context);
  },
});
