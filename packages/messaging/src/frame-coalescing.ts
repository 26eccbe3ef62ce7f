import type { Writable } from 'node:stream';
import type { ChannelModel } from 'amqplib';

/** The parts of amqplib's connection this module touches: its frame multiplexer and its socket. */
interface MultiplexedConnection {
  stream?: Writable;
  muxer?: { _readIncoming?: () => void; coalesced?: true };
}

/**
 * coalesceFrameWrites makes a connection send every frame its channels have ready in one socket
 * write. amqplib's multiplexer writes each frame to the socket on its own, so a batch of 200
 * publishes cost 200 system calls (and as many reads in the broker); corking the socket while the
 * multiplexer empties its channels turns them into one `writev`. Should amqplib's internals change
 * shape, the connection is left as it is: slower, never wrong.
 */
export function coalesceFrameWrites(model: ChannelModel): boolean {
  const connection = model.connection as unknown as MultiplexedConnection;
  const { muxer, stream } = connection;
  if (!muxer || !stream || typeof muxer._readIncoming !== 'function') return false;
  if (muxer.coalesced) return true;
  const readIncoming = muxer._readIncoming.bind(muxer);
  muxer._readIncoming = () => {
    stream.cork();
    try {
      readIncoming();
    } finally {
      stream.uncork();
    }
  };
  muxer.coalesced = true;
  return true;
}
