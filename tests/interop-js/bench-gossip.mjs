// js-libp2p side of bench/libp2p.sh: the same 2-node gossip burst as `SlipsP2P.Libp2p.Bench gossip`, with libp2p 2.10
// + @chainsafe/libp2p-gossipsub 14.1.2 (the versions pinned in package.json). The publisher is this process; the
// receiver is a forked child process (each node gets its own event loop, as two js nodes on one machine would).
// Usage: node bench-gossip.mjs --count N [--size 256]    Prints one JSON line (same fields as the .NET runner).
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { createNode, pinPromiseWithResolvers } from './bench-node.mjs'

pinPromiseWithResolvers()
const TOPIC = 'bench'
const args = process.argv.slice(2)
const opt = { count: 10000, size: 256, role: 'publisher', idleMs: 10000 }
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--count') opt.count = Number(args[++i])
  else if (args[i] === '--size') opt.size = Number(args[++i])
  else if (args[i] === '--receiver') opt.role = 'receiver'
  else { console.error(`unknown argument ${args[i]}`); process.exit(2) }
}

if (opt.role === 'receiver') {
  const node = await createNode({ gossip: true })
  const pubsub = node.services.pubsub
  let received = 0
  let last = 0
  pubsub.addEventListener('message', () => { received++; last = Date.now() })
  pubsub.subscribe(TOPIC)
  process.on('message', (msg) => {
    if (msg.cmd === 'reset') { received = 0; process.send({ event: 'reset' }) }
    if (msg.cmd === 'count') process.send({ event: 'count', received, last })
    if (msg.cmd === 'exit') node.stop().then(() => process.exit(0))
  })
  process.send({ event: 'listening', addr: node.getMultiaddrs()[0].toString(), peerId: node.peerId.toString() })
} else {
  const child = fork(new URL(import.meta.url).pathname, ['--receiver'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const replies = []
  const waiters = []
  child.on('message', (m) => { const w = waiters.shift(); if (w) w(m); else replies.push(m) })
  const next = () => replies.length ? Promise.resolve(replies.shift()) : new Promise((resolve) => waiters.push(resolve))
  const ask = async (cmd) => { child.send({ cmd }); return next() }

  const hello = await next()
  const node = await createNode({ gossip: true })
  const pubsub = node.services.pubsub
  pubsub.subscribe(TOPIC)
  const { multiaddr } = await import('@multiformats/multiaddr')
  await node.dial(multiaddr(hello.addr))
  const deadline = Date.now() + 60000
  while (!pubsub.getSubscribers(TOPIC).some((p) => p.toString() === hello.peerId)) {
    if (Date.now() > deadline) { console.error('the receiver never subscribed'); process.exit(1) }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // Let the first heartbeat graft the mesh, as the .NET runner's warm-up does.
  await new Promise((resolve) => setTimeout(resolve, 1500))

  const payload = new Uint8Array(opt.size).fill(7)
  const burst = async (count) => {
    const all = []
    for (let i = 0; i < count; i++) all.push(pubsub.publish(TOPIC, payload).catch(() => {}))
    await Promise.all(all)
  }
  const waitFor = async (count) => {
    let seen = -1
    let changed = Date.now()
    while (true) {
      const c = await ask('count')
      if (c.received >= count) return c
      if (c.received !== seen) { seen = c.received; changed = Date.now() } else if (Date.now() - changed > opt.idleMs) return c
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  await burst(500)
  await waitFor(500)
  await ask('reset')
  const cpu0 = process.cpuUsage()
  const start = Date.now()
  await burst(opt.count)
  const result = await waitFor(opt.count)
  const cpu = process.cpuUsage(cpu0)
  const seconds = Math.max(0.001, ((result.last || Date.now()) - start) / 1000)
  console.log(JSON.stringify({
    bench: 'gossip',
    impl: 'js-libp2p',
    count: opt.count,
    size: opt.size,
    delivered: result.received,
    lost: opt.count - result.received,
    complete: result.received >= opt.count,
    seconds,
    msgPerSec: Math.round(result.received / seconds),
    publisherCpuSeconds: (cpu.user + cpu.system) / 1e6,
    load: loadavg()[0]
  }))
  child.send({ cmd: 'exit' })
  await node.stop()
  process.exit(0)
}
