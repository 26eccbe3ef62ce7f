import pg from 'pg';

/** The hosts of a libpq-style multi-host URL, each as a URL of its own. */
export interface HostList {
  urls: string[];
  /** `target_session_attrs=read-write`: only a host that takes writes (a primary) will do. */
  readWrite: boolean;
}

/**
 * hostListOf reads a multi-host URL (`postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write`)
 * as libpq does; a URL naming one host answers undefined, and is used as it is.
 */
export function hostListOf(connectionString: string): HostList | undefined {
  const match = /^(postgres(?:ql)?:\/\/(?:[^@/?]*@)?)([^/?]*)(.*)$/.exec(connectionString);
  const hosts = match?.[2]?.split(',') ?? [];
  if (!match || hosts.length < 2) return undefined;
  const [path = '', query = ''] = (match[3] ?? '').split('?');
  const params = new URLSearchParams(query);
  const attrs = params.get('target_session_attrs') ?? 'any';
  if (!['any', 'read-write', 'primary'].includes(attrs))
    throw new Error(`target_session_attrs=${attrs} is not supported: use read-write, primary or any`);
  // node-postgres would pass an unknown parameter on to the server, which refuses it.
  params.delete('target_session_attrs');
  const rest = `${path}${params.size > 0 ? `?${params.toString()}` : ''}`;
  return { urls: hosts.map((host) => `${match[1]}${host}${rest}`), readWrite: attrs !== 'any' };
}

type ConnectCallback = ((err: Error) => void) | ((err: null, client: pg.Client) => void);

/**
 * hostRotation gives a pool what libpq does for a multi-host URL and node-postgres does not: each
 * new connection goes to the host that last worked; a host that refuses the connection, or turns
 * out to be a standby when writes are wanted, sends the next connection on to the next host. So a
 * promoted standby is found without a restart, at the cost of one failed connection per host
 * passed over.
 */
export function hostRotation(hosts: HostList): Pick<pg.PoolConfig, 'Client' | 'onConnect'> {
  let current = 0;
  const moveOn = (index: number) => {
    if (current === index) current = (index + 1) % hosts.urls.length;
  };

  class HostClient extends pg.Client {
    readonly hostIndex: number;

    constructor(config: pg.ClientConfig = {}) {
      const index = current;
      super({ ...config, connectionString: hosts.urls[index] });
      this.hostIndex = index;
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connecting = super.connect().catch((error: unknown) => {
        moveOn(this.hostIndex);
        throw error;
      });
      if (!callback) return connecting;
      connecting.then(
        (client) => (callback as (err: null, client: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
    }
  }

  const refuseStandby = async (client: pg.ClientBase) => {
    const { rows } = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
    if (rows[0]?.transaction_read_only === 'off') return;
    const { hostIndex, host, port } = client as HostClient;
    moveOn(hostIndex);
    throw new Error(`${host}:${port} takes no writes (a standby): the next connection tries the next host`);
  };
  // pg-pool waits for a promise onConnect returns, and fails the connection when it rejects; its
  // type says void.
  const onConnect = refuseStandby as (client: pg.ClientBase) => void;
  return { Client: HostClient, ...(hosts.readWrite ? { onConnect } : {}) };
}
