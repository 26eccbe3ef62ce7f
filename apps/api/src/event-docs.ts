import type { FastifyPluginAsync } from 'fastify';
import { asyncApiDocument, type AsyncApiDocument } from '@surety/messaging';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** render shows the AsyncAPI document as one page: each routing key, who receives it, its messages' schemas. */
function render(document: AsyncApiDocument): string {
  const operations = Object.values(document.operations);
  const channels = Object.entries(document.channels).map(([name, channel]) => {
    const receivers = operations
      .filter((operation) => operation.action === 'receive' && operation.channel.$ref === `#/channels/${name}`)
      .map((operation) => `<li>${escape(operation.summary)}</li>`)
      .join('');
    const messages = Object.values(channel.messages)
      .map((ref) => document.components.messages[ref.$ref.split('/').pop() ?? ''])
      .map((message) =>
        message ? `<h3>${escape(message.name)}</h3><pre>${escape(JSON.stringify(message.payload, null, 2))}</pre>` : '',
      )
      .join('');
    return `<section id="${escape(name)}"><h2>${escape(name)}</h2><p>${escape(channel.title)}</p><ul>${receivers}</ul>${messages}</section>`;
  });
  const { info } = document;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto;font-size:13px}section{border-top:1px solid #ddd;margin-top:1.5rem}</style>
</head><body><h1>${escape(info.title)} ${escape(info.version)}</h1><p>${escape(info.description)}</p>
<p>AsyncAPI ${escape(document.asyncapi)}: <a href="/docs/asyncapi.json">/docs/asyncapi.json</a>. The HTTP API: <a href="/docs">/docs</a>.</p>
<nav>${Object.keys(document.channels)
    .map((name) => `<a href="#${escape(name)}">${escape(name)}</a>`)
    .join(' · ')}</nav>${channels.join('')}</body></html>`;
}

/** eventDocRoutes serve the events' AsyncAPI document beside the OpenAPI one, as JSON and as a page. */
export const eventDocRoutes: FastifyPluginAsync = async (app) => {
  const document = asyncApiDocument();
  const page = render(document);
  app.get('/docs/asyncapi.json', { schema: { hide: true } }, async () => document);
  app.get('/docs/asyncapi', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
};
