// The dev SMTP catcher receives what the project's mailer sends, decoded, and shows it over HTTP.
import { startSmtpCatcher, type SmtpCatcher } from '../../mail/catcher.js';
import { createMailer } from '../../mail/mailer.js';

let catcher: SmtpCatcher;
beforeAll(async () => {
  catcher = await startSmtpCatcher({ httpPort: 0, rejectRecipient: (a) => a.startsWith('bounce@') });
});
afterAll(() => catcher.close());

test('a multipart mail with a long link and non-ASCII text arrives decoded', async () => {
  const mailer = createMailer(catcher.smtpUrl, 'Gradient <no-reply@gradient.example>');
  const link = `http://127.0.0.1:3000/sso/district-with-a-long-name/login?login_hint=${encodeURIComponent('zoë.garcía123@example.org')}&x=${'y'.repeat(80)}`;
  const sent = await mailer.send({ to: 'zoë@example.org', subject: 'Invitación – Gradient ✓', text: `Hola Zoë,\n\n${link}\n`, html: `<p>Hola Zoë</p><a href="${link}">entrar</a>` });
  const mail = await catcher.waitFor((m) => m.subject.startsWith('Invitación'));
  mailer.close();
  expect(mail.subject).toBe('Invitación – Gradient ✓');
  expect(mail.from).toBe('no-reply@gradient.example');
  expect(mail.to).toEqual(['zoë@example.org']);
  expect(mail.text).toContain('Hola Zoë');
  expect(mail.text).toContain(link);
  expect(mail.html).toContain(`href="${link}"`);
  expect(mail.headers['message-id']).toBe(sent.messageId);
});

test('a refused recipient fails the send with the server’s reason', async () => {
  const mailer = createMailer(catcher.smtpUrl, 'no-reply@gradient.example');
  await expect(mailer.send({ to: 'bounce@example.org', subject: 's', text: 't' })).rejects.toThrow(/550|unavailable/);
  mailer.close();
});

test('the messages are listed over HTTP and can be cleared', async () => {
  const res = await fetch(`${catcher.httpUrl}/messages`);
  const body = (await res.json()) as { messages: { subject: string }[] };
  expect(body.messages.map((m) => m.subject)).toContain('Invitación – Gradient ✓');
  expect(await (await fetch(`${catcher.httpUrl}/`)).text()).toContain('Invitación');
  expect((await fetch(`${catcher.httpUrl}/messages`, { method: 'DELETE' })).status).toBe(204);
  expect(catcher.messages()).toEqual([]);
  await expect(catcher.waitFor(() => true, 50)).rejects.toThrow(/no matching mail/);
});
