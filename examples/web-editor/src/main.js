// The collaborative editor page: a Monaco editor bound to one shared Y.Text, synced by y-websocket
// with the server that serves this page (rooms by URL path, as y-websocket does).
//
// Shared state in the room's document, so other clients (the AI agent, scripts) can join in:
//   text "monaco"           the file being edited
//   map  "meta", "language" the Monaco language id everyone sees
// Awareness carries { user: { name, color, colorLight }, selection } (y-monaco writes selection).
import * as monaco from 'monaco-editor'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { MonacoBinding } from 'y-monaco'
import './style.css'

// Monaco starts its language services in workers; build.mjs bundles each one under workers/.
const WORKER_FOR_LABEL = {
  json: 'json',
  css: 'css',
  scss: 'css',
  less: 'css',
  html: 'html',
  handlebars: 'html',
  razor: 'html',
  typescript: 'ts',
  javascript: 'ts'
}
self.MonacoEnvironment = {
  getWorker (_moduleId, label) {
    const file = `workers/${WORKER_FOR_LABEL[label] ?? 'editor'}.worker.js`
    return new Worker(new URL(file, import.meta.url), { type: 'module', name: label })
  }
}

const DEFAULT_ROOM = 'demo'
// Room names travel in the WebSocket URL path; keep them to characters that need no escaping.
const ROOM_CHARS = '[A-Za-z0-9._\\-]{1,64}' // also the input's pattern attribute (a v-flag regex)
const ROOM_PATTERN = new RegExp(`^${ROOM_CHARS}$`)
const LANGUAGES = [
  ['plaintext', 'Plain text'], ['c', 'C'], ['cpp', 'C++'], ['csharp', 'C#'], ['css', 'CSS'],
  ['go', 'Go'], ['html', 'HTML'], ['java', 'Java'], ['javascript', 'JavaScript'], ['json', 'JSON'],
  ['markdown', 'Markdown'], ['python', 'Python'], ['rust', 'Rust'], ['shell', 'Shell'],
  ['sql', 'SQL'], ['typescript', 'TypeScript'], ['yaml', 'YAML']
]
const LANGUAGE_IDS = new Set(LANGUAGES.map(([id]) => id))
const PALETTE = ['#e5484d', '#f76b15', '#ffc53d', '#46a758', '#12a594', '#0090ff', '#8e4ec6', '#d6409f']
const ANIMALS = ['Otter', 'Lynx', 'Heron', 'Fox', 'Panda', 'Koala', 'Orca', 'Falcon', 'Badger', 'Ibis']

const $ = (id) => document.getElementById(id)
const pick = (list) => list[Math.floor(Math.random() * list.length)]

// ---- where we are: room and token from the URL ------------------------------------------------

const query = new URLSearchParams(location.search)

function roomFromLocation () {
  let raw = query.get('room')
  if (raw === null && location.hash.length > 1) {
    try {
      raw = decodeURIComponent(location.hash.slice(1))
    } catch {
      raw = null
    }
  }
  raw = (raw ?? '').trim()
  return ROOM_PATTERN.test(raw) ? raw : DEFAULT_ROOM
}

const room = roomFromLocation()
const token = query.get('token')
document.title = `${room} · codesync editor`

// ---- who we are: remembered in localStorage, which may be unavailable ---------------------------

const storage = {
  get (key) {
    try { return localStorage.getItem(key) } catch { return null }
  },
  set (key, value) {
    try { localStorage.setItem(key, value) } catch { /* private mode: just not remembered */ }
  }
}

const HEX_COLOR = /^#[0-9a-f]{6}$/i
// A first visit gets a random name and colour, kept so that a reload is still the same person.
let userName = (storage.get('codesync.name') ?? '').trim()
if (!userName) storage.set('codesync.name', userName = `${pick(ANIMALS)} ${Math.floor(Math.random() * 90 + 10)}`)
let userColor = storage.get('codesync.color') ?? ''
if (!HEX_COLOR.test(userColor)) storage.set('codesync.color', userColor = pick(PALETTE))

// ---- the document and its connection ----------------------------------------------------------

const doc = new Y.Doc()
const ytext = doc.getText('monaco')
const meta = doc.getMap('meta')

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
const provider = new WebsocketProvider(wsUrl, room, doc, {
  params: token ? { token } : {},
  // Tabs of one browser would otherwise sync among themselves behind the server's back; the server
  // is the one place that decides (and checks tokens).
  disableBc: true
})
const awareness = provider.awareness

function publishUser () {
  const user = { name: userName, color: userColor, colorLight: `${userColor}33` }
  awareness.setLocalState({ ...awareness.getLocalState(), user }) // the state is null after pagehide
}
publishUser()

// ---- the editor ------------------------------------------------------------------------------

const model = monaco.editor.createModel('', 'plaintext')
// Monaco's default line ending follows the OS; one fixed "\n" keeps a Windows peer from writing
// "\r\n" into the shared text that everyone else then sees as stray characters.
model.setEOL(monaco.editor.EndOfLineSequence.LF)
const editor = monaco.editor.create($('editor'), {
  model,
  theme: 'vs-dark',
  automaticLayout: true,
  fontSize: 14,
  minimap: { enabled: false },
  // Room above the first line for the name label of a remote cursor there.
  padding: { top: 18 },
  scrollBeyondLastLine: false,
  placeholder: `Start typing: everyone in room "${room}" sees it live.`
})
const binding = new MonacoBinding(ytext, model, new Set([editor]), awareness)

// ---- header: room switcher, language, name and colour -----------------------------------------

const roomInput = $('room')
roomInput.value = room
roomInput.pattern = ROOM_CHARS
roomInput.title = 'Letters, digits, ".", "_" and "-" (at most 64)'
$('room-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const next = roomInput.value.trim()
  if (!ROOM_PATTERN.test(next)) {
    roomInput.reportValidity()
    return
  }
  if (next === room) return
  const url = new URL(location.href)
  url.hash = ''
  url.searchParams.set('room', next) // keeps ?token= and anything else
  location.assign(url)
})

const languageSelect = $('language')
for (const [id, label] of LANGUAGES) languageSelect.add(new Option(label, id))

function applyLanguage () {
  const wanted = meta.get('language')
  const language = typeof wanted === 'string' && LANGUAGE_IDS.has(wanted) ? wanted : 'plaintext'
  languageSelect.value = language
  if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language)
}
meta.observe(applyLanguage)
applyLanguage()
languageSelect.addEventListener('change', () => meta.set('language', languageSelect.value))

const nameInput = $('name')
const colorInput = $('color')
nameInput.value = userName
colorInput.value = userColor
nameInput.addEventListener('input', () => {
  const name = nameInput.value.trim()
  if (!name) return
  userName = name
  storage.set('codesync.name', name)
  publishUser()
})
nameInput.addEventListener('blur', () => { nameInput.value = userName })
colorInput.addEventListener('input', () => {
  if (!HEX_COLOR.test(colorInput.value)) return
  userColor = colorInput.value
  storage.set('codesync.color', userColor)
  publishUser()
})

// ---- connection status -----------------------------------------------------------------------

const statusEl = $('status')
function showStatus () {
  const status = provider.wsconnected ? (provider.synced ? 'connected' : 'syncing') : provider.wsconnecting ? 'connecting' : 'disconnected'
  statusEl.dataset.status = status
  statusEl.textContent = status
}
provider.on('status', showStatus)
provider.on('sync', showStatus)
showStatus()

// ---- who is here, and how their cursors look -------------------------------------------------

// A CSS string literal that shows `text` as is, whatever characters a peer put in its name.
const cssString = (text) => `"${[...text].map((ch) => /[\w ]/.test(ch) ? ch : `\\${ch.codePointAt(0).toString(16)} `).join('')}"`

function peerUser (state) {
  const user = state?.user ?? {}
  const name = typeof user.name === 'string' && user.name.trim() ? [...user.name.trim()].slice(0, 32).join('') : 'Anonymous'
  const color = typeof user.color === 'string' && HEX_COLOR.test(user.color) ? user.color : '#888888'
  return { name, color }
}

const usersEl = $('users')
const cursorStyles = $('remote-cursor-styles')
function renderPeers () {
  // Everyone connected has a state; one without a user (a script, a bare client) is "Anonymous".
  const states = [...awareness.getStates()]
  states.sort(([a], [b]) => (a === doc.clientID ? -1 : b === doc.clientID ? 1 : a - b))
  usersEl.replaceChildren(...states.map(([clientId, state]) => {
    const { name, color } = peerUser(state)
    const item = document.createElement('li')
    item.dataset.clientId = String(clientId)
    item.style.setProperty('--user-color', color)
    item.textContent = name
    if (clientId === doc.clientID) {
      item.classList.add('self')
      item.append(Object.assign(document.createElement('span'), { className: 'you', textContent: 'you' }))
    }
    return item
  }))
  $('user-count').textContent = `(${states.length})`
  // y-monaco marks each remote selection and cursor with classes that carry the peer's clientID.
  cursorStyles.textContent = states
    .filter(([clientId]) => clientId !== doc.clientID)
    .map(([clientId, state]) => {
      const { name, color } = peerUser(state)
      return `.yRemoteSelection-${clientId}{background-color:${color}40}` +
        `.yRemoteSelectionHead-${clientId}{--user-color:${color}}` +
        `.yRemoteSelectionHead-${clientId}::after{content:${cssString(name)}}`
    })
    .join('\n')
}
awareness.on('change', renderPeers)
renderPeers()

// Tell the room we left instead of waiting for our awareness entry to time out.
window.addEventListener('pagehide', () => awareness.setLocalState(null))
window.addEventListener('pageshow', (event) => { if (event.persisted) publishUser() })

// For the browser test and for poking around in the console.
window.codesyncEditor = { monaco, doc, ytext, meta, provider, awareness, editor, model, binding, room }
