// Dev SMTP catcher: `tsx scripts/smtp-catcher.ts [--smtp-port 2525] [--http-port 2580]`.
// Point SMTP_URL at it; open the HTTP URL to see what was sent.
import { startSmtpCatcher } from '../mail/catcher.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0 || v > 65535) {
    console.error(`--${name} must be a port number`);
    process.exit(2);
  }
  return v;
}

const catcher = await startSmtpCatcher({ smtpPort: arg('smtp-port', 2525), httpPort: arg('http-port', 2580) });
console.log(`smtp catcher: SMTP_URL=${catcher.smtpUrl}  messages: ${catcher.httpUrl}`);
const stop = () => void catcher.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
