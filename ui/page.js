() => {
  // Wires up what the chat's HTML (ui/render.py) marks with classes and data attributes; the HTML itself
  // never carries handlers. Delegated from the document, so it also covers messages added later.
  const COPIED = {'复制': '已复制', 'Copy': 'Copied'};
  const numberIn = (el, prefix) => {
    const name = Array.from(el.classList).find((c) => c.startsWith(prefix));
    return name ? name.slice(prefix.length) : null;
  };
  const spansIn = (el, prefix) => Array.from(el.classList).filter((c) => c.startsWith(prefix))
    .map((c) => c.slice(prefix.length).split('-').map(Number));
  const flash = (el) => { el.classList.remove('rag-flash'); void el.offsetWidth; el.classList.add('rag-flash'); };

  // An answer as plain text: its text with [n] markers, then the numbered sources with their quotes.
  const textOf = (el) => {  // textContent with line breaks kept; works on detached elements too
    const copy = el.cloneNode(true);
    copy.querySelectorAll('br').forEach((br) => br.replaceWith('\n'));
    return copy.textContent.trim();
  };
  const plainText = (reply) => {
    const text = reply.querySelector('.rag-text');
    if (!text) return textOf(reply);
    const lines = [textOf(text)];
    const cards = reply.querySelectorAll('.rag-card');
    if (cards.length) lines.push('');
    cards.forEach((card) => {
      const n = numberIn(card, 'rag-n-'), source = card.querySelector('.rag-source').textContent;
      lines.push(`[${n}] ${source}: ${card.querySelector('mark.rag-quote').textContent}`);
    });
    return lines.join('\n');
  };
  window.ragPlainText = plainText;

  document.addEventListener('click', async (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const marker = target && target.closest('a.rag-marker');
    if (marker) {
      e.preventDefault();
      const card = marker.closest('.rag-answer').querySelector(`.rag-card.rag-n-${numberIn(marker, 'rag-n-')}`);
      if (card) { card.scrollIntoView({block: 'nearest'}); flash(card); }
      return;
    }
    const copy = target && target.closest('button.rag-copy');
    if (copy) {
      const text = plainText(copy.closest('.rag-answer, .rag-refusal'));
      try { await navigator.clipboard.writeText(text); copy.textContent = COPIED[copy.textContent] || copy.textContent; } catch (err) { console.warn(err); }
    }
  });

  // The source view is fetched when opened, so no document text travels with the chat.
  document.addEventListener('toggle', async (e) => {
    const d = e.target;
    if (!(d.matches && d.matches('details.rag-doc') && d.open)) return;
    const view = d.querySelector('.rag-doc-text');
    if (!view.dataset.loaded) {
      const [start, end] = spansIn(d, 'rag-at-')[0];
      const source = d.closest('.rag-card').querySelector('.rag-source').textContent;
      const lo = Math.max(0, start - 10000);
      const url = `api/document?source=${encodeURIComponent(source)}&start=${lo}&end=${lo + 20000}`;
      const response = await fetch(url);
      const doc = await response.json();
      if (!response.ok) { view.textContent = doc.error; return; }
      const marks = spansIn(d, 'rag-mark-').filter(([s, t]) => s >= doc.start && t <= doc.end).sort((a, b) => a[0] - b[0]);
      let pos = doc.start;
      if (doc.start > 0) view.append('…');
      for (const [s, t] of marks) {
        if (s < pos) continue;
        view.append(doc.text.slice(pos - doc.start, s - doc.start));
        const mark = document.createElement('mark');
        mark.className = s === start && t === end ? 'rag-cited rag-current' : 'rag-cited';
        mark.textContent = doc.text.slice(s - doc.start, t - doc.start);
        view.append(mark);
        pos = t;
      }
      view.append(doc.text.slice(pos - doc.start));
      view.dataset.loaded = '1';
      view.tabIndex = 0;  // a scrolling region must be reachable by keyboard
    }
    const current = view.querySelector('mark.rag-current') || view.querySelector('mark');
    if (current) current.scrollIntoView({block: 'center'});
  }, true);

  // Gradio names each message by its HTML source ("bot's message: <div class=…"); name it by its text instead.
  const nameMessages = () => document.querySelectorAll('#rag-chat [aria-label*="<"]').forEach((el) => {
    const label = el.getAttribute('aria-label');
    const colon = label.indexOf(': <');
    const html = new DOMParser().parseFromString(label.slice(colon + 2), 'text/html').body;
    const reply = html.querySelector('.rag-answer, .rag-refusal');
    el.setAttribute('aria-label', reply ? plainText(reply) : textOf(html));
  });
  new MutationObserver(nameMessages).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
}
