/**
 * managementClient calls RabbitMQ's management HTTP API with the credentials carried in its URL
 * (`http://user:password@host:port`), keeping them out of logged URLs.
 */
export function managementClient(managementUrl: string) {
  const base = new URL(managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString(
    'base64',
  );
  base.username = '';
  base.password = '';
  return (path: string, init: RequestInit = {}) =>
    fetch(new URL(`/api${path}`, base), {
      ...init,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json', ...init.headers },
    });
}
