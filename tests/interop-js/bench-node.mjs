// A js-libp2p node for the benchmarks (bench-gossip.mjs, bench-stream.mjs): TCP on 127.0.0.1, Noise, yamux, identify,
// optionally gossipsub; the same options as gossip-peer.mjs uses in the interop tests.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'

/** Node 20 lacks Promise.withResolvers (native from Node 22); some libp2p dependencies call it. */
export function pinPromiseWithResolvers () {
  if (typeof Promise.withResolvers === 'function') return
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

export async function createNode ({ gossip }) {
  pinPromiseWithResolvers()
  const services = { identify: identify() }
  if (gossip) {
    services.pubsub = gossipsub({
      emitSelf: false,
      allowPublishToZeroTopicPeers: true,
      scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1']) }
    })
  }
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  })
}
