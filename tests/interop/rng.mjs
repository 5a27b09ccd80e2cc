// Seeded random numbers for the generated interop scripts (mulberry32:
// small, seedable, good enough for test generation), shared so that every
// script draws the same way from a seed.
export function makeRng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    weighted: (pairs) => {
      let total = 0
      for (const [w] of pairs) total += w
      let r = next() * total
      for (const [w, v] of pairs) {
        if ((r -= w) < 0) return v
      }
      return pairs[pairs.length - 1][1]
    },
    shuffle: (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [arr[i], arr[j]] = [arr[j], arr[i]]
      }
      return arr
    }
  }
  return rng
}
