// js-libp2p side of bench/libp2p.sh: one yamux stream over Noise over loopback TCP, as `SlipsP2P.Libp2p.Bench stream`.
// The listener is a forked child process; this process dials, writes N MiB in 64 KiB chunks and waits for the byte
// count the listener sends back when the stream ends.
// Usage: node bench-stream.mjs --megabytes N    Prints one JSON line.
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { createNode } from './bench-node.mjs'

const PROTOCOL = '/slips/bench-stream/1.0.0'
const CHUNK = 64 * 1024
const args = process.argv.slice(2)
const opt = { megabytes: 256, role: 'dialer' }
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--megabytes') opt.megabytes = Number(args[++i])
  else if (args[i] === '--listener') opt.role = 'listener'
  else { console.error(`unknown argument ${args[i]}`); process.exit(2) }
}

if (opt.role === 'listener') {
  const node = await createNode({ gossip: false })
  await node.handle(PROTOCOL, async ({ stream }) => {
    let received = 0
    for await (const chunk of stream.source) received += chunk.byteLength
    await stream.sink([new TextEncoder().encode(String(received))])
  }, { maxInboundStreams: 8 })
  process.on('message', (m) => { if (m.cmd === 'exit') node.stop().then(() => process.exit(0)) })
  process.send({ addr: `${node.getMultiaddrs()[0].toString()}` })
} else {
  const child = fork(new URL(import.meta.url).pathname, ['--listener'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const hello = await new Promise((resolve) => child.once('message', resolve))
  const { multiaddr } = await import('@multiformats/multiaddr')
  const node = await createNode({ gossip: false })
  const chunk = new Uint8Array(CHUNK).fill(0x5a)
  const send = async (total) => {
    const stream = await node.dialProtocol(multiaddr(hello.addr), PROTOCOL)
    const answer = (async () => {
      let text = ''
      for await (const c of stream.source) text += new TextDecoder().decode(c.subarray())
      return Number(text)
    })()
    await stream.sink((async function * () { for (let sent = 0; sent < total; sent += CHUNK) yield chunk })())
    return answer
  }
  await send(32 * 1024 * 1024)
  const total = opt.megabytes * 1024 * 1024
  const start = process.hrtime.bigint()
  const counted = await send(total)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (counted !== total) { console.error(`the listener counted ${counted} bytes of ${total}`); process.exit(1) }
  console.log(JSON.stringify({ bench: 'stream', impl: 'js-libp2p', megabytes: opt.megabytes, seconds, gbitPerSec: Math.round(total * 8 / seconds / 1e6) / 1e3, load: loadavg()[0] }))
  child.send({ cmd: 'exit' })
  await node.stop()
  process.exit(0)
}
