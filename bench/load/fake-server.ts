// Runs the test fake presence UAS as a standalone process, for trying the SIPp scenarios and
// the runner without the real server: node dist/bench/load/fake-server.js [port] [seconds]
// Prints {"msg":"listening","port":P} like the real server; exits after `seconds` (default 600).
import { startFakeUas } from '../../test/load/support/fake-uas.js';

const uas = await startFakeUas({ port: Number(process.argv[2] ?? 0) });
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: uas.port })}\n`);
const stop = (): void => {
  void uas.close().then(() => process.exit(0));
};
setTimeout(stop, Number(process.argv[3] ?? 600) * 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
