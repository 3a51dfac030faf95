// js-libp2p gossipsub peer for the SlipsP2P gossip interop tests (tests/SlipsP2P.Interop.Tests/Gossip*.cs).
// libp2p 2.10 + @chainsafe/libp2p-gossipsub 14.1.2 on Node 20 (setup A of the libp2p brief, section 16).
//
// Usage: node gossip-peer.mjs [--port N] [--dial <multiaddr>]... [--topic <t>]... [--exit-after <seconds>]
// Prints one JSON object per line on stdout:
//   {"event":"listening","peerId":..,"addrs":[..]}
//   {"event":"connected","peerId":..,"direction":..}   {"event":"disconnected","peerId":..}
//   {"event":"subscribed"|"unsubscribed","peerId":..,"topic":..}
//   {"event":"message","topic":..,"from":..,"data":<base64>,"type":"signed"|"unsigned","seqno":..,"signature":<hex>|null}
//   {"event":"published","topic":..,"recipients":[..]}   {"event":"mesh","topic":..,"peers":[..]}
//   {"event":"dialed","peerId":..}   {"event":"error","command":..,"message":..}   {"event":"stopped"}
// Commands on stdin, one per line:
//   publish <topic> <base64 data, may be empty> | dial <multiaddr> | mesh <topic> | subscribe <topic> | exit
if (typeof Promise.withResolvers !== 'function') {
  // Node 20 lacks Promise.withResolvers (native from Node 22); some libp2p dependencies call it.
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { multiaddr } from '@multiformats/multiaddr'

const args = process.argv.slice(2)
const opt = { port: 0, dial: [], topics: [], exitAfter: 0 }
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--port') opt.port = Number(args[++i])
  else if (a === '--dial') opt.dial.push(args[++i])
  else if (a === '--topic') opt.topics.push(args[++i])
  else if (a === '--exit-after') opt.exitAfter = Number(args[++i])
  else { console.error(`unknown argument ${a}`); process.exit(2) }
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const node = await createLibp2p({
  addresses: { listen: [`/ip4/127.0.0.1/tcp/${opt.port}`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({
      emitSelf: false,
      allowPublishToZeroTopicPeers: true,
      // Every test peer is on 127.0.0.1: keep the IP-colocation score (P6) out of the way.
      scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1']) }
    })
  }
})

const pubsub = node.services.pubsub

node.addEventListener('connection:open', (evt) => {
  emit({ event: 'connected', peerId: evt.detail.remotePeer.toString(), direction: evt.detail.direction })
})
node.addEventListener('connection:close', (evt) => {
  emit({ event: 'disconnected', peerId: evt.detail.remotePeer.toString() })
})
pubsub.addEventListener('subscription-change', (evt) => {
  for (const s of evt.detail.subscriptions) {
    emit({ event: s.subscribe ? 'subscribed' : 'unsubscribed', peerId: evt.detail.peerId.toString(), topic: s.topic })
  }
})
pubsub.addEventListener('message', (evt) => {
  const m = evt.detail
  emit({
    event: 'message',
    topic: m.topic,
    from: m.type === 'signed' ? m.from.toString() : null,
    data: Buffer.from(m.data).toString('base64'),
    type: m.type,
    seqno: m.type === 'signed' && m.sequenceNumber != null ? m.sequenceNumber.toString() : null,
    signature: m.type === 'signed' && m.signature ? Buffer.from(m.signature).toString('hex') : null
  })
})

for (const t of opt.topics) pubsub.subscribe(t)
emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

async function run (line) {
  const parts = line.split(' ')
  const cmd = parts[0]
  if (!cmd) return
  try {
    switch (cmd) {
      case 'publish': {
        const data = Buffer.from(parts[2] ?? '', 'base64')
        const res = await pubsub.publish(parts[1], new Uint8Array(data))
        emit({ event: 'published', topic: parts[1], recipients: (res?.recipients ?? []).map((p) => p.toString()) })
        break
      }
      case 'dial': {
        const c = await node.dial(multiaddr(parts[1]))
        emit({ event: 'dialed', peerId: c.remotePeer.toString() })
        break
      }
      case 'subscribe':
        pubsub.subscribe(parts[1])
        break
      case 'mesh':
        emit({ event: 'mesh', topic: parts[1], peers: pubsub.getMeshPeers(parts[1]) })
        break
      case 'exit':
        await shutdown()
        break
      default:
        emit({ event: 'error', command: cmd, message: 'unknown command' })
    }
  } catch (err) {
    emit({ event: 'error', command: cmd, message: String(err?.message ?? err) })
  }
}

let stopping = false
async function shutdown () {
  if (stopping) return
  stopping = true
  try { await node.stop() } catch { /* already stopping */ }
  emit({ event: 'stopped' })
  process.exit(0)
}

for (const d of opt.dial) await run(`dial ${d}`)
const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => { run(line) })
rl.on('close', () => shutdown())
process.on('SIGTERM', () => shutdown())
process.on('SIGINT', () => shutdown())
if (opt.exitAfter > 0) setTimeout(() => shutdown(), opt.exitAfter * 1000).unref()
