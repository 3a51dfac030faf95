// js-libp2p peer for the SlipsP2P interop tests (setup A of docs/libp2p-brief.md section 16: libp2p 2.10 on Node 20).
//
// Usage: node peer.mjs [--port N] [--dial <multiaddr>] [--seed <name>] [--topic <t>]... [--msgid js|from-seqno|sha256]
//                      [--exit-after <seconds>] [--no-pubsub]
// Prints one JSON object per line on stdout:
//   {"event":"listening","peerId":..,"addrs":[..]}  {"event":"connection:open","peer":..,"direction":..,"addr":..}
//   {"event":"connection:close","peer":..}          {"event":"identify","peer":..,"agentVersion":..,"protocols":[..],...}
//   {"event":"ping","peer":..,"rtt":ms}             {"event":"message","topic":..,"from":..,"data":..,"dataHex":..,"seqno":..}
//   {"event":"subscription-change","peer":..,"subscriptions":[{"topic":..,"subscribe":true}]}
//   {"event":"graft"|"prune","peer":..,"topic":..}  {"event":"peers","peers":[..]}  {"event":"error","command":..,"message":..}
// Reads commands from stdin, one per line:
//   dial <ma> | ping <ma|peerId> | hangup <peerId> | peers | protocols <peerId> | subscribe <t> | unsubscribe <t>
//   publish <t> <text> | mesh <t> | echo <peerId> <bytes> [streams] | exit
// It also serves /slips/test/echo/1.0.0 (echoes every byte back, then closes) for the yamux flow-control tests.
// Polyfill so that the same script also runs on the libp2p 3.x tree (Promise.withResolvers is native from Node 22).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { generateKeyPairFromSeed, generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'

const args = process.argv.slice(2)
const opt = { port: 0, dial: [], seed: null, topics: [], msgid: 'js', exitAfter: 0, pubsub: true }
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--port') opt.port = Number(args[++i])
  else if (a === '--dial') opt.dial.push(args[++i])
  else if (a === '--seed') opt.seed = args[++i]
  else if (a === '--topic') opt.topics.push(args[++i])
  else if (a === '--msgid') opt.msgid = args[++i]
  else if (a === '--exit-after') opt.exitAfter = Number(args[++i])
  else if (a === '--no-pubsub') opt.pubsub = false
  else { console.error(`unknown argument ${a}`); process.exit(2) }
}

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const hex = (u8) => Buffer.from(u8).toString('hex')

const privateKey = opt.seed
  ? await generateKeyPairFromSeed('Ed25519', createHash('sha256').update(opt.seed).digest())
  : await generateKeyPair('Ed25519')

const services = { identify: identify(), ping: ping() }
if (opt.pubsub) {
  const gs = {
    emitSelf: false,
    allowPublishToZeroTopicPeers: true,
    // All test peers share 127.0.0.1: keep the IP-colocation penalty (P6) out of the way.
    scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1']) }
  }
  if (opt.msgid === 'from-seqno') {
    gs.msgIdFn = (msg) => {
      const from = msg.from?.toMultihash?.().bytes ?? new Uint8Array()
      const seq = msg.sequenceNumber != null ? bigintTo8(msg.sequenceNumber) : new Uint8Array(8)
      const id = new Uint8Array(from.length + 8); id.set(from, 0); id.set(seq, from.length); return id
    }
  } else if (opt.msgid === 'sha256') {
    gs.msgIdFn = (msg) => new Uint8Array(createHash('sha256').update(msg.data).digest())
  }
  services.pubsub = gossipsub(gs)
}

function bigintTo8 (n) {
  const b = new Uint8Array(8); let v = BigInt(n)
  for (let i = 7; i >= 0; i--) { b[i] = Number(v & 0xffn); v >>= 8n }
  return b
}

const node = await createLibp2p({
  privateKey,
  addresses: { listen: [`/ip4/127.0.0.1/tcp/${opt.port}`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services
})

const ECHO = '/slips/test/echo/1.0.0'
await node.handle(ECHO, ({ stream }) => {
  stream.sink(stream.source).catch((err) => out({ event: 'error', command: 'echo-handler', message: String(err?.message ?? err) }))
})

async function echoOnce (peer, size) {
  const stream = await node.dialProtocol(peer, ECHO)
  const data = new Uint8Array(size)
  for (let off = 0; off < size; off += 65536) {
    const chunk = createHash('sha256').update(String(off)).digest()
    for (let i = 0; i < 65536 && off + i < size; i++) data[off + i] = chunk[i % 32] ^ (i & 0xff)
  }
  const sending = stream.sink((async function * () {
    for (let off = 0; off < size; off += 65536) yield data.subarray(off, Math.min(size, off + 65536))
  })())
  const parts = []
  let got = 0
  for await (const buf of stream.source) {
    const bytes = buf.subarray()
    parts.push(Buffer.from(bytes))
    got += bytes.length
  }
  await sending
  const back = Buffer.concat(parts)
  return got === size && Buffer.compare(back, Buffer.from(data)) === 0
}

node.addEventListener('connection:open', (evt) => {
  const c = evt.detail
  out({ event: 'connection:open', peer: c.remotePeer.toString(), direction: c.direction, addr: c.remoteAddr.toString(), multiplexer: c.multiplexer ?? null, encryption: c.encryption ?? null })
})
node.addEventListener('connection:close', (evt) => {
  const c = evt.detail
  out({ event: 'connection:close', peer: c.remotePeer.toString(), direction: c.direction })
})
node.addEventListener('peer:identify', (evt) => {
  const d = evt.detail
  out({
    event: 'identify',
    peer: d.peerId.toString(),
    agentVersion: d.agentVersion ?? null,
    protocolVersion: d.protocolVersion ?? null,
    protocols: d.protocols ?? [],
    listenAddrs: (d.listenAddrs ?? []).map((a) => a.toString()),
    observedAddr: d.observedAddr ? d.observedAddr.toString() : null,
    // present only when js verified the record (openAndCertify) and it names the connection's peer
    signedPeerRecord: d.signedPeerRecord ? { seq: String(d.signedPeerRecord.seq), addresses: d.signedPeerRecord.addresses.map((a) => a.toString()) } : null
  })
})

if (opt.pubsub) {
  const ps = node.services.pubsub
  ps.addEventListener('message', (evt) => {
    const m = evt.detail
    out({
      event: 'message',
      topic: m.topic,
      from: m.from ? m.from.toString() : null,
      data: Buffer.from(m.data).toString('utf8'),
      dataHex: hex(m.data),
      seqno: m.sequenceNumber != null ? m.sequenceNumber.toString() : null,
      type: m.type
    })
  })
  ps.addEventListener('subscription-change', (evt) => {
    const d = evt.detail
    out({ event: 'subscription-change', peer: d.peerId.toString(), subscriptions: d.subscriptions.map((s) => ({ topic: s.topic, subscribe: s.subscribe })) })
  })
  ps.addEventListener('gossipsub:graft', (evt) => out({ event: 'graft', peer: evt.detail.peerId, topic: evt.detail.topic, direction: evt.detail.direction }))
  ps.addEventListener('gossipsub:prune', (evt) => out({ event: 'prune', peer: evt.detail.peerId, topic: evt.detail.topic, direction: evt.detail.direction }))
  for (const t of opt.topics) ps.subscribe(t)
}

out({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

function target (text) {
  return text.startsWith('/') ? multiaddr(text) : peerIdFromString(text)
}

async function run (line) {
  const [cmd, ...rest] = line.trim().split(' ')
  if (!cmd) return
  try {
    switch (cmd) {
      case 'dial': {
        const c = await node.dial(multiaddr(rest[0]))
        out({ event: 'dialed', peer: c.remotePeer.toString(), addr: c.remoteAddr.toString() })
        break
      }
      case 'ping': {
        const rtt = await node.services.ping.ping(target(rest[0]))
        out({ event: 'ping', peer: rest[0], rtt })
        break
      }
      case 'hangup':
        await node.hangUp(target(rest[0]))
        out({ event: 'hungup', peer: rest[0] })
        break
      case 'peers':
        out({ event: 'peers', peers: node.getConnections().map((c) => ({ peer: c.remotePeer.toString(), direction: c.direction, status: c.status, streams: c.streams.map((s) => s.protocol ?? null) })) })
        break
      case 'protocols': {
        const p = await node.peerStore.get(peerIdFromString(rest[0]))
        out({ event: 'protocols', peer: rest[0], protocols: p.protocols })
        break
      }
      case 'subscribe':
        node.services.pubsub.subscribe(rest[0])
        out({ event: 'subscribed', topic: rest[0] })
        break
      case 'unsubscribe':
        node.services.pubsub.unsubscribe(rest[0])
        out({ event: 'unsubscribed', topic: rest[0] })
        break
      case 'publish': {
        const res = await node.services.pubsub.publish(rest[0], new TextEncoder().encode(rest.slice(1).join(' ')))
        out({ event: 'published', topic: rest[0], recipients: (res?.recipients ?? []).map((p) => p.toString()) })
        break
      }
      case 'mesh':
        out({ event: 'mesh', topic: rest[0], peers: node.services.pubsub.getMeshPeers(rest[0]) })
        break
      case 'echo': {
        const size = Number(rest[1]); const n = Number(rest[2] ?? 1)
        const started = Date.now()
        const results = await Promise.all(Array.from({ length: n }, () => echoOnce(peerIdFromString(rest[0]), size)))
        out({ event: 'echo', peer: rest[0], bytes: size, streams: n, ok: results.every(Boolean), ms: Date.now() - started })
        break
      }
      case 'exit':
        await shutdown(0)
        break
      default:
        out({ event: 'error', command: cmd, message: 'unknown command' })
    }
  } catch (err) {
    out({ event: 'error', command: cmd, message: String(err?.message ?? err), name: err?.name ?? null })
  }
}

let stopping = false
async function shutdown (code) {
  if (stopping) return
  stopping = true
  try { await node.stop() } catch { /* already stopping */ }
  out({ event: 'stopped' })
  process.exit(code)
}

for (const d of opt.dial) await run(`dial ${d}`)
const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => { run(line) })
rl.on('close', () => shutdown(0))
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
if (opt.exitAfter > 0) setTimeout(() => shutdown(0), opt.exitAfter * 1000).unref()
