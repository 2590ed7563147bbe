#!/usr/bin/env node
// The `pivot` command line.

import { ConfigError, loadSettings } from '../config.js';
import { startServer } from './start.js';

async function main(argv: string[]): Promise<number> {
  const [command = 'start'] = argv;
  if (command === 'call') {
    const { callCommand } = await import('./call.js');
    return callCommand(argv.slice(1));
  }
  if (command === 'start') {
    const settings = loadSettings();
    const server = await startServer(settings);
    const admin = server.boot.createdAdmin;
    console.log(`Pivot is running.
  HTTP    ${server.publicUrl}  (health: ${server.publicUrl}/health)
  SIP     udp/tcp ${settings.bind}:${server.calls.sipPorts.udp}   RTP ${settings.rtpPorts.min}-${settings.rtpPorts.max}
  Data    ${settings.dataDir}
  Account ${server.boot.account.name} (${server.boot.account.id})`);
    if (admin) {
      console.log(
        `  Admin   ${admin.username} / ${admin.password}${admin.generated ? '   (generated: set PIVOT_ADMIN_PASSWORD to choose)' : ''}`,
      );
    }
    const demo = server.boot.demo;
    // Extensions need a device: without the demo device, the number (reachable by anyone) is the way in.
    const dial = demo?.device || !demo?.number ? demo?.extension : demo.number;
    if (dial) {
      const alt = dial !== demo?.number && demo?.number ? ` (or ${demo.number})` : '';
      console.log(`  Demo    call ${dial}${alt}: npx pivot call ${dial}`);
    }
    if (demo?.device) {
      const { username, password, realm } = demo.device;
      const sip = `${server.calls.stack.advertisedHost}:${server.calls.sipPorts.udp}`;
      console.log(`  Phone   SIP ${username} / ${password} @ ${realm} on udp/tcp ${sip}`);
    }
    const stop = async (signal: string): Promise<void> => {
      console.log(`${signal}: stopping`);
      try {
        await server.stop();
        process.exit(0);
      } catch (err) {
        console.error('stop failed:', err);
        process.exit(1);
      }
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    return -1;
  }
  console.error(`unknown command "${command}". Usage: pivot start | pivot call <number> [options] (pivot call --help)`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
    process.exit(1);
  },
);
