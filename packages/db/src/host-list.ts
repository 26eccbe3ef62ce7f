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

interface Rotation {
  Client: new (config?: pg.ClientConfig) => pg.Client;
  /** The URL of the host the next connection goes to: the one that last worked. */
  currentUrl(): string;
}

/**
 * hostRotation makes the Client class for a host list, giving it what libpq does for a multi-host
 * URL and node-postgres does not: each new connection goes to the host that last worked; a host
 * that refuses the connection, or turns out to be a standby when writes are wanted, sends the next
 * connection on to the next host. So a promoted standby is found without a restart, at the cost of
 * one failed connection per host passed over.
 */
function hostRotation(hosts: HostList): Rotation {
  let current = 0;
  const moveOn = (index: number) => {
    if (current === index) current = (index + 1) % hosts.urls.length;
  };

  const Client = class HostClient extends pg.Client {
    private readonly hostIndex: number;

    constructor(config: pg.ClientConfig = {}) {
      const index = current;
      super({ ...config, connectionString: hosts.urls[index] });
      this.hostIndex = index;
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connecting = this.connectToWritable();
      if (!callback) return connecting;
      connecting.then(
        (client) => (callback as (err: null, client: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
    }

    private async connectToWritable(): Promise<pg.Client> {
      try {
        await super.connect();
        if (hosts.readWrite && !(await this.takesWrites())) {
          await this.end().catch(() => undefined);
          throw new Error(
            `${this.host}:${this.port} takes no writes (a standby): the next connection tries the next host`,
          );
        }
        return this;
      } catch (error) {
        moveOn(this.hostIndex);
        throw error;
      }
    }

    private async takesWrites(): Promise<boolean> {
      // Connected, the client reports a lost server as an 'error' event, and its owner (a pool)
      // listens only once connect has answered: until then the query's rejection reports it.
      const heard = () => undefined;
      this.on('error', heard);
      try {
        const { rows } = await this.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
        return rows[0]?.transaction_read_only === 'off';
      } finally {
        this.off('error', heard);
      }
    }
  };
  return { Client, currentUrl: () => hosts.urls[current]! };
}

const rotations = new Map<string, Rotation>();

/** rotationFor answers the one rotation of this process for a multi-host URL; undefined for one host. */
function rotationFor(connectionString: string): Rotation | undefined {
  const hosts = hostListOf(connectionString);
  if (!hosts) return undefined;
  let rotation = rotations.get(connectionString);
  if (!rotation) {
    rotation = hostRotation(hosts);
    rotations.set(connectionString, rotation);
  }
  return rotation;
}

/**
 * clientClassFor answers the Client class that connects to `connectionString`: for a multi-host URL,
 * one rotation shared by every pool and client of this process that uses the URL, so that what one
 * connection learnt (which host is the primary) the next one starts from; otherwise node-postgres's.
 */
export function clientClassFor(connectionString: string): new (config?: pg.ClientConfig) => pg.Client {
  return rotationFor(connectionString)?.Client ?? pg.Client;
}

/**
 * currentHostOf answers the one-host URL that this process's connections to `connectionString` now
 * go to (the host that last worked, the primary once a pool has found it), or the URL itself when
 * it names one host: for a connection that can only take one host, such as logical replication's.
 */
export function currentHostOf(connectionString: string): string {
  return rotationFor(connectionString)?.currentUrl() ?? connectionString;
}

/** createClient makes one connection's client (not pooled: a LISTEN, replication), multi-host URLs included. */
export function createClient(connectionString: string, config: pg.ClientConfig = {}): pg.Client {
  const Client = clientClassFor(connectionString);
  return new Client({ ...config, connectionString });
}

/**
 * checkOut takes a connection from a pool for one-off work (a migration, an admin statement),
 * passing over each host of a multi-host URL that is down or a standby, as libpq would within one
 * attempt: a pool's rotation costs one failed connection per host it passes over.
 */
export async function checkOut(pool: pg.Pool, connectionString: string): Promise<pg.PoolClient> {
  const attempts = hostListOf(connectionString)?.urls.length ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.connect();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
