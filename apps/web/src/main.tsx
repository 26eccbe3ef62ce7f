import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, type PageConfig } from './api.js';
import { CustomerPage } from './customer/CustomerPage.js';
import { OpsPage } from './ops/OpsPage.js';
import './styles.css';

function App() {
  const [config, setConfig] = useState<PageConfig>({
    jaegerUiUrl: null,
    traceWaterfall: false,
    runbookUrl: '/docs/runbook.md',
  });
  useEffect(() => {
    getJson<PageConfig>('/config.json').then(setConfig, () => undefined);
  }, []);
  return location.pathname.replace(/\/$/, '') === '/ops' ? (
    <OpsPage config={config} />
  ) : (
    <CustomerPage config={config} />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
