// In-page checks for dashboard.mjs (they run inside Chromium through page.evaluate).

// Elements that stick out of the window on the right (or left) without a scrolling or
// clipping ancestor to hold them, and whether the document itself is wider than the window.
export function overflow() {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${vw} px window`);
  }
  const held = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.right <= vw + 1 && r.left >= -1)) continue;
    if (held(el)) continue;
    const name = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''}`;
    problems.push(`${name} spans ${Math.round(r.left)}..${Math.round(r.right)} in a ${vw} px window`);
    if (problems.length > 5) break;
  }
  return problems;
}

// What the overview shows, for its assertions.
export function overviewFacts() {
  return {
    sessions: Number(document.querySelector('.kpis')?.dataset.sessions || 0),
    shaded: Number(document.querySelector('.map-box')?.dataset.shaded || 0),
    protocolBars: document.querySelectorAll('.protocols .bar-row').length,
    kpis: [...document.querySelectorAll('.kpi')].map((k) => k.textContent),
  };
}

// The live items matching what the harness's attack should produce (null when none yet:
// waitForFunction waits for a truthy value, and an empty array is truthy).
export function liveMatches({ session, src, command }) {
  const found = [...document.querySelectorAll('.live-item.event')].filter((li) =>
    (session && li.dataset.session === session) || (src && li.dataset.src === src) ||
    (command && li.textContent.includes(command)) || (!session && !src && !command))
    .map((li) => ({ session: li.dataset.session, src: li.dataset.src, text: li.textContent }));
  return found.length ? found : null;
}
