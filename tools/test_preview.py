#!/usr/bin/env python
"""Test the local docs preview (`_site/`, rendered by pandoc with `tools/preview.py build`) in headless Chromium.

    python tools/test_preview.py [--build] [--shots DIR] [--chromium /usr/bin/chromium]

Every page listed in `_site/manifest.json` is loaded over a local http server (127.0.0.1 only; requests to any other
host are blocked) and must: load (HTTP 200, no JavaScript errors, no failed local requests), have its title (the
notebook's H1 in `<title>` and in the page's `h1`), be in the sidebar, show no error output (no error cells, no
tracebacks, no stderr naming an Error, no notebook that nbdev could not process), load all its images
(naturalWidth > 0), resolve every internal link (the page exists, and so does the `#anchor` on it), and show its code
highlighted (pandoc's token spans, coloured by the page's style).
One more line checks that nbs/sidebar.yml lists the notebooks that exist (`tools/sidebar.py`).
Prints one line per page and then `preview: N passed, M failed`; exits 1 on any failure.
`--shots DIR` also saves 1280x900 screenshots of the index and the unpadding chapter (palette PNGs).
"""
import argparse, functools, http.server, json, re, sys, threading, time
from pathlib import Path
from urllib.parse import urljoin, urlparse, unquote

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT/'_site'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
SHOTS = {'index.html': 'index.png', 'unpadding.html': 'unpadding.png'}

COLLECT = r"""() => {
  const txt = e => e.innerText.trim().slice(0, 160).replace(/\s+/g, ' ');
  const h1 = document.querySelector('h1.title');
  const stderr = [...document.querySelectorAll('.cell-output-stderr')]
    .filter(e => /Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b|\bError:/m.test(e.innerText)).map(txt);
  return {
    title: document.title,
    h1: h1 ? h1.innerText.replace(/#$/, '').trim() : null,
    images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id).concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    errors: [...document.querySelectorAll('.cell-output-error, .output_error, .preview-error')].map(txt),
    stderr: stderr,
    tracebacks: [...document.querySelectorAll('.cell-output')].filter(e => e.innerText.includes('Traceback (most recent call last)')).map(txt),
    sidebar_current: !!document.querySelector('nav#sidebar a[aria-current="page"]'),
    code_blocks: document.querySelectorAll('pre.sourceCode.python code').length,
    highlighted: [...document.querySelectorAll('pre.sourceCode.python code')].filter(c => {
      const tok = c.querySelector('span.kw, span.im, span.op, span.bu, span.st, span.dv, span.fu, span.cf');
      return tok && getComputedStyle(tok).color !== getComputedStyle(c).color; }).length,
  };
}"""

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def start_server(site):
    "Serve `site` on 127.0.0.1 at a free port, in a daemon thread; returns (server, base url)."
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f'http://127.0.0.1:{srv.server_address[1]}/'

def _ids_in_file(f):
    return set(re.findall(r'\s(?:id|name)="([^"]+)"', f.read_text(encoding='utf-8', errors='replace')))

def check_links(page, links, base, site, ids_by_page):
    "Internal links of `page` that do not resolve: a missing file, or an `#anchor` missing from its page."
    bad, base_net = [], urlparse(base).netloc
    for href in links:
        if re.match(r'^(mailto|javascript|data|tel):', href, re.I): continue
        u = urlparse(urljoin(base + page, href))
        if u.scheme not in ('http', 'https') or u.netloc != base_net: continue  # external: not checked
        path = unquote(u.path).lstrip('/')
        if path == '' or path.endswith('/'): path += 'index.html'
        f = site/path
        if not f.is_file(): bad.append(href); continue
        if u.fragment and f.suffix == '.html':
            if path not in ids_by_page: ids_by_page[path] = _ids_in_file(f)
            if unquote(u.fragment) not in ids_by_page[path]: bad.append(href)
    return sorted(set(bad))

def save_shot(pg, url, dest):
    "A 1280x900 screenshot of `url`, stored as a palette PNG (small)."
    from PIL import Image
    pg.goto(url, wait_until='load')
    pg.screenshot(path=str(dest))
    im = Image.open(dest).convert('RGB').quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    im.save(dest, optimize=True)
    return dest.stat().st_size

def sidebar_problem():
    "Why nbs/sidebar.yml does not list the notebooks that exist, or None."
    sys.path.insert(0, str(Path(__file__).parent))
    import sidebar
    p = sidebar.NBS/'sidebar.yml'
    if not p.exists() or p.read_text() != sidebar.sidebar_yml():
        return 'nbs/sidebar.yml does not match the notebooks (run python tools/sidebar.py and commit it)'

def run(site=SITE, chromium='/usr/bin/chromium', shots=None, timeout_ms=60000, started=None):
    from playwright.sync_api import sync_playwright
    manifest = json.loads((site/'manifest.json').read_text())
    pages = manifest['pages']
    srv, base = start_server(site)
    results, ids_by_page, links_by_page = {}, {}, {}
    t0 = time.time()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
            blocked = []
            def route(r):
                u = r.request.url
                if u.startswith(base) or u.startswith(('data:', 'blob:', 'about:')): r.continue_()
                else: blocked.append(u); r.abort()
            ctx.route('**/*', route)
            pg = ctx.new_page()
            js_errors, bad_requests = [], []
            pg.on('pageerror', lambda e: js_errors.append(str(e)[:160]))
            pg.on('requestfailed', lambda r: r.url.startswith(base) and bad_requests.append(r.url[len(base):]))
            pg.on('response', lambda r: r.url.startswith(base) and r.status >= 400 and bad_requests.append(f'{r.url[len(base):]} ({r.status})'))
            for info in pages:
                name, problems = info['html'], []
                js_errors.clear(); bad_requests.clear()
                try:
                    resp = pg.goto(base + name, wait_until='load', timeout=timeout_ms)
                    if resp is None or resp.status != 200: problems.append(f'HTTP {resp.status if resp else "no response"}')
                    d = pg.evaluate(COLLECT)
                except Exception as e:
                    results[name] = [f'did not load: {str(e).splitlines()[0][:160]}']; continue
                ids_by_page[name] = set(d['ids'])
                links_by_page[name] = d['links']
                title = info['title']
                if not title or title == Path(info['notebook']).stem: problems.append('no title (the notebook needs a `# Title` H1)')
                if not d['title'].startswith(title): problems.append(f'<title> is {d["title"]!r}, not {title!r}')
                if d['h1'] != title: problems.append(f'h1 is {d["h1"]!r}, not {title!r}')
                if not info.get('in_sidebar'): problems.append('not in nbs/sidebar.yml (run python tools/sidebar.py)')
                if info.get('error'): problems.append('nbdev could not process it: ' + info['error'].splitlines()[0][:200])
                errs = [e for e in d['errors'] if not e.startswith('nbdev could not process')]
                if errs: problems.append(f'{len(errs)} error output(s): {errs[0]}')
                if d['stderr']: problems.append(f'{len(d["stderr"])} stderr output(s) with an error: {d["stderr"][0]}')
                if d['tracebacks']: problems.append(f'{len(d["tracebacks"])} traceback(s) in outputs: {d["tracebacks"][0]}')
                broken_imgs = [i['src'] for i in d['images'] if not i['ok']]
                if broken_imgs: problems.append(f'{len(broken_imgs)} image(s) not loaded: {", ".join(broken_imgs[:5])}')
                if d['code_blocks'] and d['highlighted'] < d['code_blocks'] / 2:
                    problems.append(f"code not highlighted: {d['highlighted']} of {d['code_blocks']} python blocks coloured")
                if js_errors: problems.append(f'JavaScript error: {js_errors[0]}')
                if bad_requests: problems.append(f'failed requests: {", ".join(sorted(set(bad_requests))[:5])}')
                results[name] = problems
                results[name + ':stats'] = (len(d['images']), len(d['links']))
            if shots:
                shots = Path(shots); shots.mkdir(parents=True, exist_ok=True)
                for page, fn in SHOTS.items():
                    if (site/page).exists():
                        n = save_shot(pg, base + page, shots/fn)
                        print(f'screenshot: {(shots/fn).relative_to(ROOT) if (shots/fn).is_relative_to(ROOT) else shots/fn} ({n//1024} KiB)')
            browser.close()
    finally:
        srv.shutdown()
    n_pass = n_fail = 0
    for info in pages:
        name = info['html']
        problems = list(results.get(name, ['not visited']))
        if name in links_by_page:
            bad = check_links(name, links_by_page[name], base, site, ids_by_page)
            if bad: problems.append(f'{len(bad)} broken link(s): {", ".join(bad[:8])}{" ..." if len(bad) > 8 else ""}')
        n_img, n_links = results.get(name + ':stats', (0, 0))
        if problems:
            n_fail += 1
            print(f'FAIL {name:<18} {info["title"]!r}: ' + '; '.join(problems))
        else:
            n_pass += 1
            print(f'ok   {name:<18} {info["title"]!r} ({n_img} images, {n_links} links)')
    sb = sidebar_problem()
    if manifest.get('sidebar_missing'): sb = (sb or 'nbs/sidebar.yml') + f'; it lists notebooks that do not exist: {", ".join(manifest["sidebar_missing"])}'
    if sb: n_fail += 1; print(f'FAIL sidebar.yml          {sb}')
    else: n_pass += 1; print('ok   sidebar.yml          lists every notebook')
    total = f', {time.time()-started:.0f} s in all' if started else ''
    print(f'(browser checks {time.time()-t0:.1f} s{total}; {len(blocked)} request(s) to other hosts blocked)')
    print(f'preview: {n_pass} passed, {n_fail} failed')
    return n_fail == 0

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', action='store_true', help='run tools/preview.py build first')
    ap.add_argument('--workers', type=int, default=2, help='nbdev processing workers for --build')
    ap.add_argument('--shots', help='save screenshots of the index and the unpadding chapter to this folder')
    ap.add_argument('--chromium', default='/usr/bin/chromium')
    ap.add_argument('--started', type=float, help='epoch seconds when the whole run started, for the timing line')
    a = ap.parse_args(argv)
    if a.build:
        sys.path.insert(0, str(Path(__file__).parent))
        import preview
        preview.build(workers=a.workers)
    if not (SITE/'manifest.json').exists():
        print('no _site/manifest.json: run python tools/preview.py build'); print('preview: 0 passed, 1 failed'); return 1
    try: ok = run(chromium=a.chromium, shots=a.shots, started=a.started)
    except Exception as e:  # the browser did not start, the server could not bind, ...
        print(f'FAIL the browser test itself: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}')
        print('preview: 0 passed, 1 failed'); return 1
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
