#!/usr/bin/env python
"""The docs site rendered by pandoc, for machines without Quarto (Quarto drives pandoc underneath).

    python tools/preview.py build [--force] [--workers N]   # nbs/ -> nbdev's processed notebooks -> pandoc -> _site/
    python tools/preview.py serve [--port 8000]             # serve _site/ on http://127.0.0.1:PORT

`build` runs nbdev's own notebook processing (what `nbdev-proc-nbs` does before Quarto: frontmatter from the H1,
`show_doc` tables, hidden cells removed, doc links) into `_site/.proc/`. A processed notebook whose frontmatter says
`execute: enabled: true` is executed (in `nbs/`), as Quarto would. Each notebook then becomes pandoc markdown the way
Quarto's engine writes it (a `.cell` div per code cell; `echo`, `output`, `include`, `code-fold` honoured; `output:
asis` text spliced in as markdown; images written to `_site/figures/`) and pandoc renders it with
`tools/preview.html` (sidebar from `nbs/sidebar.yml`, table of contents, previous/next in sidebar order, code
highlighted by pandoc). Links to the hosted site and to notebooks become relative, so the preview test can check them.
A notebook nbdev cannot process is rendered from its source with the error on top and listed under `errors` in
`_site/manifest.json`, which `tools/test_preview.py` reads. Needs: pandoc (Debian `pandoc`), nbdev, nbclient, pyyaml.
"""
import argparse, base64, html, json, os, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, SITE, TOOLS = ROOT/'nbs', ROOT/'_site', Path(__file__).resolve().parent
FIG = 'figures'  # images from cell outputs go to _site/figures/

# ---------------------------------------------------------------- processing (nbdev)
def notebooks(nbs=NBS):
    "The notebooks nbdev renders: every `*.ipynb` in `nbs` not starting with `_` or `.`."
    return sorted(p for p in Path(nbs).glob('*.ipynb') if not p.name.startswith(('_', '.')))

CACHE = SITE/'.proc'  # the preview's own copy of nbdev's processed notebooks (see `process`)

def _proc_one(src, dst):
    "Worker: run nbdev's docs processors on one notebook (what `nbdev-proc-nbs` does per notebook); the error or None."
    import warnings, traceback
    warnings.simplefilter('ignore')
    os.chdir(ROOT)  # nbdev's processors read the config from the cwd
    t = time.time()
    try:
        from nbdev.processors import FilterDefaults
        import nbdev.serve_drv
        nbdev.serve_drv.main((Path(src), Path(dst), FilterDefaults))
        return None, time.time() - t
    except BaseException as e:
        Path(dst).unlink(missing_ok=True)
        msg = str(e).strip()
        m = re.match(r'Error(?: in notebook: .*?)? in cell (\d+) :\n(.*)\n(\S[^\n]*)$', msg, re.S)
        if m: msg = f'cell {m.group(1)} raised {m.group(3)}{_why(m.group(2))}\n{m.group(2)}'
        return _short_err(msg or traceback.format_exc()), time.time() - t

def _why(src):
    "Why the docs build ran this cell, when it is not an import, export or show_doc cell."
    import ast
    try: body = ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))).body
    except SyntaxError: return ''
    if src.lstrip().startswith('#| export') or all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in body): return ''
    if any(isinstance(t, (ast.Import, ast.ImportFrom)) for t in body):
        return ' (the docs build runs every cell with an import in it: keep imports in cells of their own)'
    return ''

def _cache_key():
    import hashlib, nbdev
    h = hashlib.sha1(nbdev.__version__.encode())
    for f in (ROOT/'pyproject.toml', NBS/'_quarto.yml'):
        if f.exists(): h.update(f.read_bytes())
    return h.hexdigest()

def _short_err(s, n=800):
    lines = [l for l in s.strip().splitlines() if l.strip()]
    s = '\n'.join(lines[:14])
    return s if len(s) <= n else s[:n//2] + '\n...\n' + s[-n//2:]

def process(force=False, workers=2):
    """Process each changed notebook with nbdev's docs processors (the per-notebook step of `nbdev-proc-nbs`:
    frontmatter from the H1, `show_doc` tables, hidden cells removed, doc links; it runs import, export and show_doc
    cells) into `_site/.proc/`; returns {notebook: error}. The preview keeps its own cache rather than sharing
    `_proc/`, which `nbdev-proc-nbs` wipes whenever pyproject.toml is touched. Like nbdev, worker processes are reused
    across notebooks (torch is imported once per worker); unlike it, one failing notebook does not stop the others."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    key = _cache_key()
    if force or not (CACHE/'.key').exists() or (CACHE/'.key').read_text() != key:
        shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE/'.key').write_text(key)
    for f in CACHE.glob('*.ipynb'):  # pages whose notebook is gone
        if not (NBS/f.name).exists(): f.unlink()
    def fresh(f, nb): return f.exists() and f.stat().st_mtime >= nb.stat().st_mtime
    errors = {}  # a notebook that failed and has not changed since keeps its error without being run again
    for nb in notebooks():
        e = CACHE/(nb.name + '.error')
        if fresh(e, nb): errors[nb.name] = e.read_text()
        else: e.unlink(missing_ok=True)
    todo = [nb for nb in notebooks() if nb.name not in errors and not fresh(CACHE/nb.name, nb)]
    if errors: print(f'  nbdev: unchanged since they failed: {", ".join(errors)}')
    if not todo: return errors
    if str(Path(__file__).parent) not in sys.path: sys.path.insert(0, str(Path(__file__).parent))
    import preview as mod  # workers import the function by module name, whether this file runs as a script or not
    env = os.environ.get('PYTHONWARNINGS')
    os.environ['PYTHONWARNINGS'] = 'ignore'  # nbdev's "imports and other code" warnings: the test reports what matters
    try:
        with ProcessPoolExecutor(max(1, min(workers, len(todo))), mp_context=mp.get_context('spawn')) as ex:
            futs = {ex.submit(mod._proc_one, str(nb), str(CACHE/nb.name)): nb for nb in todo}
            for f in as_completed(futs):
                nb = futs[f]
                try: err, secs = f.result()
                except Exception as e: err, secs = f'worker died: {type(e).__name__}: {e}', 0.
                if err: errors[nb.name] = err; (CACHE/(nb.name + '.error')).write_text(err)
                failed = f'  FAILED: {err.splitlines()[0][:150]}' if err else ''
                print(f'  nbdev {nb.name}: {secs:.1f} s{failed}', flush=True)
    finally:
        if env is None: os.environ.pop('PYTHONWARNINGS', None)
        else: os.environ['PYTHONWARNINGS'] = env
    return errors

# ---------------------------------------------------------------- notebook -> pandoc markdown (as Quarto's engine)
_opt_re = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_ansi_re = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')

def _src(x): return ''.join(x) if isinstance(x, list) else (x or '')

def cell_options(src):
    "({option: value}, the source without its leading `#|` lines)."
    opts, lines = {}, src.splitlines()
    while lines and lines[0].startswith('#|'):
        m = _opt_re.match(lines.pop(0))
        if m: opts[m.group(1)] = m.group(2).strip('"\'') or 'true'
    return opts, '\n'.join(lines)

def fenced(text, attrs):
    "A fenced code block with pandoc `attrs`, its fence longer than any run of backticks in `text`."
    fence = '`' * max(3, 1 + max((len(r) for r in re.findall(r'`+', text)), default=0))
    return f'{fence} {attrs}\n{text.rstrip()}\n{fence}'

def frontmatter(nb):
    "(metadata from nbdev's frontmatter cell, or from the H1 of an unprocessed notebook; the other cells)."
    import yaml
    cells = list(nb.get('cells', []))
    for i, c in enumerate(cells):
        m = re.match(r'^---\s*\n(.*?)\n---\s*$', _src(c.get('source')).strip(), re.S)
        if c['cell_type'] == 'raw' and m:
            try: return (yaml.safe_load(m.group(1)) or {}), cells[:i] + cells[i+1:]
            except yaml.YAMLError: pass
    for i, c in enumerate(cells):
        if c['cell_type'] == 'markdown' and (m := re.search(r'^#\s+(\S.*?)\s*$', _src(c['source']), re.M)):
            d = re.search(r'^>\s+(\S.*?)\s*$', _src(c['source']), re.M)
            return {'title': m.group(1), 'description': d.group(1) if d else ''}, cells[:i] + cells[i+1:]
    return {}, cells

class Images:
    "Writes the images of one page to `_site/figures/<page>-<n>.<ext>` and returns their relative paths."
    def __init__(self, page): self.page, self.n = page, 0
    def __call__(self, data, ext):
        self.n += 1
        name = f'{self.page}-{self.n}.{ext}'
        (SITE/FIG).mkdir(exist_ok=True)
        (SITE/FIG/name).write_bytes(base64.b64decode(_src(data)))
        return f'{FIG}/{name}'

def output_md(o, asis, img):
    "One cell output as pandoc markdown."
    t, data = o.get('output_type'), o.get('data') or {}
    if t == 'stream':
        txt = _ansi_re.sub('', _src(o.get('text')))
        return txt if asis else fenced(txt, f'{{.cell-output .cell-output-{o.get("name", "stdout")}}}')
    if t == 'error':
        tb = _ansi_re.sub('', '\n'.join(o.get('traceback') or [f"{o.get('ename')}: {o.get('evalue')}"]))
        return fenced(tb, '{.cell-output .cell-output-error}')
    if asis and 'text/markdown' in data: return _src(data['text/markdown'])
    for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/gif', 'gif')):
        if mime in data: return f'![]({img(data[mime], ext)})'
    if 'image/svg+xml' in data or 'text/html' in data:
        return fenced(_src(data.get('text/html') or data['image/svg+xml']), '{=html}')
    if 'text/markdown' in data: return f'::: {{.cell-output .cell-output-display}}\n{_src(data["text/markdown"])}\n:::'
    if 'text/plain' in data:
        return fenced(_ansi_re.sub('', _src(data['text/plain'])), '{.cell-output .cell-output-display}')
    return ''

def cell_md(c, img, lang='python'):
    "One notebook cell as pandoc markdown, honouring Quarto's cell options."
    t, s = c['cell_type'], _src(c.get('source'))
    if t == 'markdown':
        for name, d in (c.get('attachments') or {}).items():
            mime, data = next(iter(d.items()))
            s = s.replace(f'attachment:{name}', img(data, mime.split('/')[-1]))
        return s
    if t == 'raw':  # raw html passes through, like Quarto; other raw cells are not shown
        fmt = (c.get('metadata') or {}).get('format') or (c.get('metadata') or {}).get('raw_mimetype') or ''
        return fenced(s, '{=html}') if 'html' in fmt else ''
    opts, code = cell_options(s)
    if t != 'code' or opts.get('include') == 'false': return ''
    asis = opts.get('output') == 'asis'
    parts = []
    if opts.get('echo') != 'false' and code.strip():
        block = fenced(code, f'{{.{lang} .cell-code}}')
        if opts.get('code-fold') in ('true', 'show'):
            summary = html.escape(opts.get('code-summary', 'Code'))
            block = (fenced(f'<details class="code-fold"{" open" if opts["code-fold"] == "show" else ""}>'
                            f'<summary>{summary}</summary>', '{=html}')
                 + f'\n\n{block}\n\n' + fenced('</details>', '{=html}'))
        parts.append(block)
    if opts.get('output') != 'false': parts += [output_md(o, asis, img) for o in c.get('outputs') or []]
    body = '\n\n'.join(p for p in parts if p.strip())
    if not body: return ''
    return body if asis and not parts[0].startswith('`') else f'::: {{.cell}}\n{body}\n:::'

def nb_markdown(nb, page, error=None):
    "(metadata, pandoc markdown) of a notebook; `page` names its images."
    meta, cells = frontmatter(nb)
    img, lang = Images(page), (nb.get('metadata', {}).get('kernelspec') or {}).get('language', 'python')
    parts = [cell_md(c, img, lang) for c in cells]
    if error:
        parts.insert(0, '::: {.preview-error .output_error}\n**nbdev could not process this notebook**; it is shown '
                        'from its source.\n\n' + fenced(error, '') + '\n:::')
    return meta, '\n\n'.join(p for p in parts if p.strip()) + '\n'

def execute(nb_path):
    "Run a processed notebook in `nbs/` (where its relative paths point), as Quarto runs `execute: enabled: true`."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(NBS)}}).execute()
    nbformat.write(nb, nb_path)

# ---------------------------------------------------------------- site
def nbpath2html(name):
    "nbdev's page name for a notebook: lowercased, the number prefix stripped (`15a_shapes.ipynb` -> `shapes.html`)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(name).name.lower()).rsplit('.', 1)[0] + '.html'

def _yml(path, *keys, default=None):
    import yaml
    try:
        d = yaml.safe_load(path.read_text())
        for k in keys: d = d[k]
        return d
    except Exception: return default

def sidebar():
    "[(section or None, [notebook names])] from nbs/sidebar.yml, in order."
    contents = _yml(NBS/'sidebar.yml', 'website', 'sidebar', 'contents', default=None)
    if contents is None: return [(None, ['index.ipynb'] if (NBS/'index.ipynb').exists() else [])]
    res = []
    for e in contents:
        if isinstance(e, str): res.append((None, [e]))
        elif isinstance(e, dict) and 'section' in e:
            res.append((e['section'], [x if isinstance(x, str) else x.get('href', '') for x in e.get('contents', [])]))
        elif isinstance(e, dict) and 'href' in e: res.append((None, [e['href']]))
    return res

def rewrite_links(h, pages_by_nb, host):
    "Links to the hosted site or to notebooks -> relative page links, as Quarto resolves them."
    def fix(m):
        url = html.unescape(m.group(2))
        if host and (url == host or url.startswith(host + '/')): url = url[len(host):].lstrip('/') or 'index.html'
        path, sep, frag = url.partition('#')
        if not re.match(r'^[a-z][a-z0-9+.-]*:|^/', path) and path.endswith('.ipynb'):
            path = pages_by_nb.get(Path(path).name, nbpath2html(path))
        return f'{m.group(1)}"{html.escape(path + sep + frag)}"'
    return re.sub(r'(<a\s[^>]*?href=)"([^"]*)"', fix, h)

def pandoc(md, out, variables):
    "Render pandoc markdown `md` to `out` with the preview template; `variables` go in as-is (HTML)."
    args = ['pandoc', '-f', 'markdown-implicit_figures', '-t', 'html5', '--standalone', '--toc', '--toc-depth=2',
            '--template', str(TOOLS/'preview.html'), '--highlight-style', 'pygments', '-o', str(out)]
    for k, v in variables.items(): args += ['-V', f'{k}={v}']
    r = subprocess.run(args, input=md, text=True, capture_output=True)
    if r.returncode: raise RuntimeError(f'pandoc failed on {out.name}: {r.stderr.strip()[:500]}')

def build(force=False, workers=2):
    "Process the notebooks with nbdev, render each with pandoc into `_site/`; returns the manifest."
    if not shutil.which('pandoc'): sys.exit('preview: pandoc not found; install it (apt-get install pandoc)')
    t0 = time.time()
    errors = process(force=force, workers=workers)
    t1 = time.time()
    for f in SITE.iterdir():  # a fresh site, keeping the processing cache
        if f != CACHE: shutil.rmtree(f) if f.is_dir() else f.unlink()
    for f in NBS.rglob('*'):  # assets beside the notebooks (images, styles.css), as nbdev copies them
        rel = f.relative_to(NBS)
        if f.is_dir() or f.suffix == '.ipynb' or f.name in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml') \
           or any(p.startswith(('.', '_')) for p in rel.parts): continue
        (SITE/rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, SITE/rel)
    shutil.copy2(TOOLS/'preview.css', SITE/'preview.css')
    pages = {}
    for src in notebooks():
        proc, err = CACHE/src.name, errors.get(src.name)
        if not err and not proc.exists(): err = 'nbdev wrote no processed notebook'
        nb = json.loads((src if err else proc).read_text(encoding='utf-8'))
        meta, _ = frontmatter(nb)
        if not err and (meta.get('execute') or {}).get('enabled'):
            try: execute(proc); nb = json.loads(proc.read_text(encoding='utf-8'))
            except Exception as e: err = f'executing it failed: {str(e).strip()[-600:]}'
        html_name = meta.get('output-file') or nbpath2html(src.name)
        pages[src.name] = dict(nb=nb, meta=meta, html=html_name, error=err,
                               title=str(meta.get('title') or src.stem), description=str(meta.get('description') or ''))
    by_nb = {k: p['html'] for k, p in pages.items()}
    nav = sidebar()
    missing = [n for _, names in nav for n in names if n not in pages]  # listed, but no such notebook
    nav = [(sec, [n for n in names if n in pages]) for sec, names in nav]
    nav = [(sec, names) for sec, names in nav if names]
    order = [n for _, names in nav for n in names]
    order += [n for n in pages if n not in order]  # pages missing from sidebar.yml still get built (the test flags it)
    host = (_yml(NBS/'nbdev.yml', 'website', 'site-url', default='') or '').rstrip('/')
    site = _yml(NBS/'nbdev.yml', 'website', 'title', default='modernbert')
    manifest = {'pages': [], 'sidebar': [[s, [by_nb[n] for n in names]] for s, names in nav],
                'sidebar_missing': missing, 'process_seconds': round(t1 - t0, 1)}
    import yaml
    from concurrent.futures import ThreadPoolExecutor
    def render(i, name):
        p = pages[name]
        _, md = nb_markdown(p['nb'], Path(p['html']).stem, p['error'])
        side = []
        for sec, names in nav:
            current = lambda n: ' aria-current="page"' if n == name else ''
            items = ''.join(f'<li><a href="{by_nb[n]}"{current(n)}>{html.escape(pages[n]["title"])}</a></li>'
                            for n in names)
            side.append((f'<div class="section">{html.escape(sec)}</div>' if sec else '') + f'<ul>{items}</ul>')
        prv = pages[order[i-1]] if i > 0 else None
        nxt = pages[order[i+1]] if i + 1 < len(order) else None
        meta = {'pagetitle': p['title'], 'description': p['description']}
        out = SITE/p['html']
        pandoc('---\n' + yaml.safe_dump(meta, allow_unicode=True) + '---\n\n' + md, out, {
            'site': html.escape(site), 'notebook': html.escape(name), 'sidebar': '\n'.join(side),
            'titletext': html.escape(p['title']),
            'pagetitle-full': html.escape(f"{p['title']} – {site}" if p['title'] != site else site),
            'prev': f'<a class="prev" href="{prv["html"]}">&larr; {html.escape(prv["title"])}</a>' if prv else '',
            'next': f'<a class="next" href="{nxt["html"]}">{html.escape(nxt["title"])} &rarr;</a>' if nxt else ''})
        out.write_text(rewrite_links(out.read_text(encoding='utf-8'), by_nb, host), encoding='utf-8')
        stem = Path(p['html']).stem
        return {'notebook': name, 'html': p['html'], 'title': p['title'],
                'images': len(list((SITE/FIG).glob(stem + '-*'))) if (SITE/FIG).exists() else 0,
                'in_sidebar': any(name in names for _, names in nav), 'error': p['error']}
    with ThreadPoolExecutor(max(1, workers)) as ex:  # pandoc runs as a subprocess: threads keep `workers` of them busy
        manifest['pages'] = list(ex.map(render, range(len(order)), order))
    manifest['render_seconds'] = round(time.time() - t1, 1)
    (SITE/'manifest.json').write_text(json.dumps(manifest, indent=1))
    print(f'preview: {len(pages)} pages in {SITE.relative_to(ROOT)}/ (nbdev processing {t1-t0:.0f} s, pandoc '
          f'{time.time()-t1:.1f} s){"; processing errors in " + ", ".join(errors) if errors else ""}')
    return manifest

def serve(port=8000):
    "Serve `_site/` on 127.0.0.1 only."
    import functools, http.server
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    with http.server.ThreadingHTTPServer(('127.0.0.1', port), handler) as httpd:
        print(f'preview: http://127.0.0.1:{httpd.server_address[1]}/index.html (Ctrl-C to stop)')
        try: httpd.serve_forever()
        except KeyboardInterrupt: pass

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('build', help='process the notebooks with nbdev and render _site/ with pandoc')
    b.add_argument('--force', action='store_true', help='reprocess every notebook, ignoring the cache')
    b.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    s = sub.add_parser('serve', help='serve _site/ on 127.0.0.1')
    s.add_argument('--port', type=int, default=8000)
    a = ap.parse_args(argv)
    if a.cmd == 'build': build(force=a.force, workers=a.workers)
    else: serve(a.port)

if __name__ == '__main__': main()
