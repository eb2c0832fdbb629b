// Transcript replay for Telnet/SSH sessions: the logins, commands (and their outputs, when the
// sensor recorded them) appear at their recorded pace, with play/pause, restart and speed.
// Idle gaps longer than MAX_GAP seconds are shortened (and said so) so a replay never stalls.
import { h } from './dom.js';
import { get, ms } from './format.js';
import { action, shaOf } from './events.js';

const MAX_GAP = 5;
const outputOf = (e) => get(e, 'mitsu.command.output') ?? get(e, 'mitsu.output') ?? get(e, 'process.output');

// The lines one event adds to the terminal: [[class, text], …].
function linesFor(e, prompt) {
  switch (action(e)) {
    case 'session.open': return [['sys', `# connected from ${get(e, 'source.ip')}:${get(e, 'source.port')} to port ${get(e, 'destination.port')}`]];
    case 'login.attempt': return [['in', `login: ${get(e, 'user.name') ?? ''}`], ['in', `Password: ${get(e, 'mitsu.login.password') ?? ''}`],
      ['sys', get(e, 'event.outcome') === 'success' ? '# login accepted' : 'Login incorrect']];
    case 'command': {
      const out = outputOf(e);
      return [['in', `${prompt}${get(e, 'process.command_line') ?? ''}`], ...(out ? [['out', String(out)]] : [])];
    }
    case 'file.download': return [['sys', `# download ${get(e, 'url.full') ?? ''} → ${get(e, 'event.outcome') ?? ''}${shaOf(e) ? ` sha256 ${shaOf(e)}` : ''}`]];
    case 'file.upload': return [['sys', `# upload ${get(e, 'file.name') ?? ''} sha256 ${shaOf(e) ?? ''}`]];
    case 'exploit': return [['sys', `# exploit signature ${get(e, 'rule.id') ?? ''}`]];
    case 'session.close': return [['sys', `# connection closed${get(e, 'mitsu.session.end_reason') ? ` (${get(e, 'mitsu.session.end_reason')})` : ''}`]];
    default: return [];
  }
}

export function replayer(events, persona) {
  const prompt = `${(persona?.model || 'device').toLowerCase().replace(/[^a-z0-9-]/g, '')}:~# `;
  const t0 = events.length ? ms(events[0]['@timestamp']) : 0;
  const steps = events.map((e) => ({ t: (ms(e['@timestamp']) - t0) / 1000, lines: linesFor(e, prompt) }))
    .filter((s) => s.lines.length);
  const term = h('pre', { class: 'term', 'aria-live': 'polite' });
  const playBtn = h('button', { class: 'btn', type: 'button', 'data-action': 'play' }, 'Play');
  const restartBtn = h('button', { class: 'btn ghost', type: 'button' }, 'Restart');
  const speed = h('select', { 'aria-label': 'speed' }, [1, 2, 8, 32].map((x) => h('option', { value: x }, `${x}×`)));
  const clock = h('span', { class: 'clock muted' });
  const total = steps.length ? steps[steps.length - 1].t : 0;
  let i = 0, now = 0, timer = null, playing = false;

  const showClock = () => { clock.textContent = `${now.toFixed(1)} s / ${total.toFixed(1)} s`; };
  function emit(step) {
    for (const [cls, text] of step.lines) term.append(h('span', { class: `l-${cls}` }, text), '\n');
    term.scrollTop = term.scrollHeight;
  }
  function tick() {
    if (i >= steps.length) { stop(); playBtn.textContent = 'Replay'; term.dataset.done = '1'; return; }
    const gap = steps[i].t - now;
    const wait = Math.min(gap, MAX_GAP);
    timer = setTimeout(() => {
      if (gap > MAX_GAP) term.append(h('span', { class: 'l-idle' }, `… idle ${gap.toFixed(0)} s (shortened)`), '\n');
      now = steps[i].t;
      emit(steps[i]);
      i += 1;
      showClock();
      tick();
    }, (Math.max(0, wait) * 1000) / Number(speed.value));
  }
  function stop() { clearTimeout(timer); timer = null; playing = false; playBtn.textContent = 'Play'; term.dataset.playing = ''; }
  function reset() { stop(); i = 0; now = 0; term.textContent = ''; delete term.dataset.done; showClock(); }
  playBtn.addEventListener('click', () => {
    if (playing) return stop();
    if (i >= steps.length) reset();
    playing = true;
    playBtn.textContent = 'Pause';
    term.dataset.playing = '1';
    tick();
  });
  restartBtn.addEventListener('click', reset);
  speed.addEventListener('change', () => { if (playing) { clearTimeout(timer); tick(); } });
  showClock();
  const el = h('div', { class: 'replay' },
    h('div', { class: 'controls' }, playBtn, restartBtn, h('label', { class: 'inline' }, 'speed ', speed), clock),
    term, h('p', { class: 'muted small' }, steps.length ? 'Press play to replay the session at its recorded pace.' : 'Nothing typed in this session.'));
  return { el, stop };
}
