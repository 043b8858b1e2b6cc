#!/usr/bin/env python
"""A local HTML preview of the docs site, for machines without Quarto.

    python tools/preview.py build [--force] [--workers N]   # nbs/ -> _proc/ (nbdev) -> _site/
    python tools/preview.py serve [--port 8000]             # serve _site/ on http://127.0.0.1:PORT

`build` runs nbdev's own notebook processing (what `nbdev-proc-nbs` and `nbdev-docs` do before Quarto: frontmatter
from the H1, `show_doc` tables, hidden cells removed, doc links) into `_proc/`, then renders each processed notebook
to `_site/<page>.html`, the page name Quarto would give it (`03_rope.ipynb` -> `rope.html`). The pages follow
Quarto's reading of the cell options (`echo`, `output`, `include`, `code-fold`), take the sidebar from
`nbs/sidebar.yml`, and get previous/next links in sidebar order. Links to the hosted site
(`https://<site-url>/x.html#y`, made by nbdev's doc links) and to notebooks (`03_rope.ipynb`) become relative, so
the preview test can check every one. A notebook that nbdev cannot process is rendered from its source with the
error at the top, and is listed under `errors` in `_site/manifest.json`, which the test reads.
Needs: nbdev, mistune>=3, pygments, pyyaml (all come with `pip install nbconvert`).
"""
import argparse, base64, html, json, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, SITE = ROOT/'nbs', ROOT/'_site'
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
    """Process each changed notebook with nbdev's docs processors (the per-notebook step of `nbdev-proc-nbs`: frontmatter
    from the H1, `show_doc` tables, hidden cells removed, doc links; it runs import, export and show_doc cells) into
    `_site/.proc/`; returns {notebook: error}. The preview keeps its own cache rather than sharing `_proc/`, which
    `nbdev-proc-nbs` wipes whenever pyproject.toml is touched. Like nbdev, worker processes are reused across
    notebooks (torch is imported once per worker); unlike it, one failing notebook does not stop the others."""
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
                print(f'  nbdev {nb.name}: {secs:.1f} s' + (f'  FAILED: {err.splitlines()[0][:150]}' if err else ''), flush=True)
    finally:
        if env is None: os.environ.pop('PYTHONWARNINGS', None)
        else: os.environ['PYTHONWARNINGS'] = env
    return errors

# ---------------------------------------------------------------- markdown
def pandoc_id(text):
    "The id pandoc (and so Quarto) gives a heading: alphanumerics, `_-.` kept, spaces to `-`, lowercase, from the first letter."
    s = ''.join(c for c in text.strip() if c.isalnum() or c in '_-.' or c.isspace())
    s = re.sub(r'\s', '-', s).lower()
    while s and not s[0].isalpha(): s = s[1:]
    return s or 'section'

def _plain(h): return html.unescape(re.sub(r'<[^>]+>', '', h))

_md = None
def _markdown():
    "A mistune parser whose headings get pandoc ids, unique within the page (`ids` is set per page)."
    import mistune
    class R(mistune.HTMLRenderer):
        ids = set()
        def heading(self, text, level, **attrs):
            m = re.search(r'\s*\{([^}]*)\}\s*$', text)  # pandoc attributes: ## Title {#id .class}
            hid = None
            if m:
                text = text[:m.start()]
                hid = next((a[1:] for a in m.group(1).split() if a.startswith('#')), None)
            base = hid or pandoc_id(_plain(text))
            hid, i = base, 0
            while hid in self.ids: i += 1; hid = f'{base}-{i}'
            self.ids.add(hid)
            return (f'<h{level} id="{hid}" class="anchored">{text}'
                    f'<a class="anchor-link" href="#{hid}" aria-hidden="true">#</a></h{level}>\n')
        def block_code(self, code, info=None, **attrs):
            lang = (info or '').strip().split(None, 1)[0].strip('{}.') if (info or '').strip() else 'text'
            return highlight(code, lang)
    return mistune.create_markdown(renderer=R(escape=False), plugins=['table', 'strikethrough', 'footnotes', 'url'])

def markdown(src, ids):
    "Render markdown to HTML; heading ids are added to `ids`, the set of ids already on the page."
    global _md
    if _md is None: _md = _markdown()
    _md.renderer.ids = ids
    # pandoc link attributes: [text](url){target="_blank" style="..."} -> an <a> with those attributes
    src = re.sub(r'\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}',
                 lambda m: f'<a href="{html.escape(m.group(2))}" {m.group(3)}>{html.escape(m.group(1))}</a>', src)
    return _md(src)

# ---------------------------------------------------------------- cells
_dir_re = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_ansi_re = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')

def split_directives(src):
    "({option: value}, source without the leading `#|` lines)."
    opts, lines = {}, src.splitlines()
    while lines and lines[0].startswith('#|'):
        m = _dir_re.match(lines.pop(0))
        if m: opts[m.group(1)] = m.group(2).strip('"\'') or 'true'
    return opts, '\n'.join(lines)

def _src(x): return ''.join(x) if isinstance(x, list) else (x or '')

def highlight(code, lang='python'):
    from pygments import highlight as hl
    from pygments.lexers import get_lexer_by_name
    from pygments.formatters import HtmlFormatter
    try: lexer = get_lexer_by_name(lang or 'text')
    except Exception: lexer = get_lexer_by_name('text')
    return hl(code, lexer, HtmlFormatter(cssclass='highlight sourceCode'))

class Page:
    "One notebook rendered to one HTML page."
    def __init__(self, src, nb, error=None):
        self.src, self.nb, self.error = src, nb, error
        self.fm, self.cells = self._frontmatter(nb)
        self.title = str(self.fm.get('title') or src.stem)
        self.description = str(self.fm.get('description') or '')
        self.html = self.fm.get('output-file') or nbpath2html(src.name)
        self.ids, self.n_img = set(), 0

    def _frontmatter(self, nb):
        import yaml
        cells = list(nb.get('cells', []))
        for i, c in enumerate(cells):  # nbdev puts the frontmatter in a raw cell at the top
            s = _src(c.get('source')).strip()
            if c['cell_type'] == 'raw' and s.startswith('---'):
                m = re.match(r'^---\s*\n(.*?)\n---\s*$', s, re.S)
                if m:
                    try: return (yaml.safe_load(m.group(1)) or {}), cells[:i] + cells[i+1:]
                    except yaml.YAMLError: pass
        for i, c in enumerate(cells):  # unprocessed notebook: the H1 cell, as nbdev reads it
            if c['cell_type'] == 'markdown':
                s = _src(c['source'])
                m = re.search(r'^#\s+(\S.*?)\s*$', s, re.M)
                if m:
                    d = re.search(r'^>\s+(\S.*?)\s*$', s, re.M)
                    return {'title': m.group(1), 'description': d.group(1) if d else ''}, cells[:i] + cells[i+1:]
        return {}, cells

    def attachments(self, c, s):
        for name, d in (c.get('attachments') or {}).items():
            mime, data = next(iter(d.items()))
            s = s.replace(f'attachment:{name}', f'data:{mime};base64,{_src(data)}')
        return s

    def output(self, o, asis, out_dir):
        t = o.get('output_type')
        if t == 'stream':
            txt = _ansi_re.sub('', _src(o.get('text')))
            return f'<div class="cell-output cell-output-{o.get("name", "stdout")}"><pre>{html.escape(txt)}</pre></div>'
        if t == 'error':
            tb = _ansi_re.sub('', '\n'.join(o.get('traceback') or [f"{o.get('ename')}: {o.get('evalue')}"]))
            return f'<div class="cell-output cell-output-error output_error"><pre>{html.escape(tb)}</pre></div>'
        data = o.get('data') or {}
        if asis and 'text/markdown' in data: return markdown(_src(data['text/markdown']), self.ids)
        if 'text/html' in data: return f'<div class="cell-output cell-output-display">{_src(data["text/html"])}</div>'
        if 'image/svg+xml' in data: return f'<div class="cell-output cell-output-display">{_src(data["image/svg+xml"])}</div>'
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/gif', 'gif')):
            if mime in data:
                self.n_img += 1
                name = f'{Path(self.html).stem}-{self.n_img}.{ext}'
                (out_dir/FIG).mkdir(exist_ok=True)
                (out_dir/FIG/name).write_bytes(base64.b64decode(_src(data[mime])))
                alt = html.escape(_src(data.get('text/plain', '')).strip()[:100])
                return f'<div class="cell-output cell-output-display"><img src="{FIG}/{name}" alt="{alt}"></div>'
        if 'text/markdown' in data: return f'<div class="cell-output cell-output-display">{markdown(_src(data["text/markdown"]), self.ids)}</div>'
        if 'text/latex' in data: return f'<div class="cell-output cell-output-display"><pre>{html.escape(_src(data["text/latex"]))}</pre></div>'
        if 'text/plain' in data:
            txt = _ansi_re.sub('', _src(data['text/plain']))
            return f'<div class="cell-output cell-output-display"><pre>{html.escape(txt)}</pre></div>'
        return ''

    def cell(self, c, out_dir):
        t, s = c['cell_type'], _src(c.get('source'))
        if t == 'markdown':
            if self.error: s = re.sub(r'^#+ .* -\s*$', '', s, flags=re.M)  # unprocessed: drop `## Export -` as nbdev does
            return markdown(self.attachments(c, s), self.ids)
        if t == 'raw':  # raw html passes through, like Quarto; other raw cells are not shown
            fmt = (c.get('metadata') or {}).get('format') or (c.get('metadata') or {}).get('raw_mimetype') or ''
            return s if 'html' in fmt else ''
        if t != 'code': return ''
        opts, code = split_directives(s)
        if opts.get('include') == 'false' or opts.get('hide') == 'true': return ''
        parts = []
        if opts.get('echo') != 'false' and code.strip():
            h = highlight(code, (c.get('metadata') or {}).get('language', 'python'))
            fold = opts.get('code-fold')
            if fold in ('true', 'show'):
                h = f'<details class="code-fold"{" open" if fold == "show" else ""}><summary>{html.escape(opts.get("code-summary", "Code"))}</summary>{h}</details>'
            parts.append(h)
        if opts.get('output') != 'false':
            asis = opts.get('output') == 'asis'
            parts += [self.output(o, asis, out_dir) for o in c.get('outputs') or []]
        body = '\n'.join(p for p in parts if p)
        return f'<div class="cell">{body}</div>' if body else ''

    def render(self, out_dir):
        self.ids = {'title-block-header', 'quarto-content', 'toc', 'sidebar'}
        body = [self.cell(c, out_dir) for c in self.cells]
        if self.error:
            body.insert(0, '<div class="preview-error output_error"><p><strong>nbdev could not process this notebook'
                           '</strong>; it is shown from its source.</p><pre>' + html.escape(self.error) + '</pre></div>')
        return '\n'.join(b for b in body if b)

def _inline(md):
    "Inline markdown (a title or description) to HTML, without the paragraph around it."
    h = markdown(md, set()).strip()
    return h[3:-4] if h.startswith('<p>') and h.endswith('</p>') else h

def nbpath2html(name):
    "nbdev's page name for a notebook: lowercased, the number prefix stripped (`15a_shapes.ipynb` -> `shapes.html`)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(name).name.lower()).rsplit('.', 1)[0] + '.html'

# ---------------------------------------------------------------- site
def site_url():
    import yaml
    try: return (yaml.safe_load((NBS/'nbdev.yml').read_text())['website']['site-url'] or '').rstrip('/')
    except Exception: return ''

def sidebar():
    "[(section or None, [notebook names])] from nbs/sidebar.yml, in order."
    import yaml
    try: contents = yaml.safe_load((NBS/'sidebar.yml').read_text())['website']['sidebar']['contents']
    except Exception: return [(None, ['index.ipynb'] if (NBS/'index.ipynb').exists() else [])]
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

CSS = """
:root { --accent: #2780e3; --muted: #6c757d; --border: #dee2e6; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #212529; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
header.navbar { background: var(--accent); color: #fff; padding: .6rem 1.2rem; position: sticky; top: 0; z-index: 10; display: flex; gap: 1rem; align-items: baseline; }
header.navbar a { color: #fff; font-weight: 600; font-size: 1.15rem; }
header.navbar span { opacity: .8; font-size: .85rem; }
.layout { display: grid; grid-template-columns: 250px minmax(0, 1fr) 210px; gap: 2rem; max-width: 1500px; margin: 0 auto; padding: 0 1rem; }
nav#sidebar { position: sticky; top: 3.2rem; align-self: start; max-height: calc(100vh - 3.5rem); overflow-y: auto; padding: 1rem 0; font-size: .92rem; }
nav#sidebar .section { margin: .9rem 0 .25rem; font-weight: 600; color: #343a40; }
nav#sidebar ul { list-style: none; margin: 0; padding: 0; }
nav#sidebar li a { display: block; padding: .12rem .6rem; border-left: 2px solid transparent; color: #495057; }
nav#sidebar li a[aria-current="page"] { border-left-color: var(--accent); color: var(--accent); font-weight: 600; }
nav#toc { position: sticky; top: 3.2rem; align-self: start; padding: 1rem 0; font-size: .85rem; max-height: calc(100vh - 3.5rem); overflow-y: auto; }
nav#toc h2 { font-size: .9rem; margin: 0 0 .4rem; }
nav#toc ul { list-style: none; padding-left: .6rem; border-left: 1px solid var(--border); margin: 0; }
nav#toc li { margin: .2rem 0; }
main { min-width: 0; padding: 1.2rem 0 3rem; }
#title-block-header h1.title { font-size: 2.2rem; margin: .3rem 0 .3rem; }
.anchor-link { visibility: hidden; margin-left: .3rem; font-size: .8em; color: var(--muted); }
h1:hover .anchor-link, h2:hover .anchor-link, h3:hover .anchor-link, h4:hover .anchor-link { visibility: visible; }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--border); padding-bottom: .2rem; }
blockquote { margin: 1rem 0; padding: .3rem 1rem; border-left: 4px solid var(--border); color: #495057; background: #f8f9fa; }
pre { overflow-x: auto; font-size: .86rem; line-height: 1.4; }
.description.subtitle { font-size: 1.15rem; color: #495057; }
code { font-size: .88em; color: #9753b8; } pre code, .highlight code { color: inherit; }
.highlight { background: #f6f8fa; border-radius: 4px; padding: .1rem .8rem; margin: 0; }
.highlight pre { margin: .5rem 0; }
.cell { margin: 1rem 0; }
.cell-output pre { margin: .3rem 0 0 .8rem; padding: .3rem .7rem; border-left: 2px solid lightsalmon; background: none; }
.cell-output-stderr pre { background: #fff8e6; }
.cell-output-display { overflow-x: auto; }
.cell-output-display img { max-width: 100%; height: auto; }
details.code-fold > summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--border); padding: .25rem .6rem; text-align: left; }
img { max-width: 100%; }
.output_error, .preview-error { background: #fde8e8; border-left: 4px solid #dc3545; padding: .4rem .8rem; }
.preview-error pre { white-space: pre-wrap; }
nav.page-navigation { display: flex; justify-content: space-between; gap: 1rem; margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--border); }
nav.page-navigation a { display: block; max-width: 48%; }
nav.page-navigation .next { text-align: right; margin-left: auto; }
footer.preview { color: var(--muted); font-size: .8rem; margin-top: 2rem; }
@media (max-width: 1100px) { .layout { grid-template-columns: 220px minmax(0, 1fr); } nav#toc { display: none; } }
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{head_title}</title>
<meta name="description" content="{description}">
<link rel="stylesheet" href="preview.css"><link rel="stylesheet" href="pygments.css">{styles}
</head><body>
<header class="navbar"><a href="index.html">{site}</a><span>local preview</span></header>
<div class="layout">
<nav id="sidebar" aria-label="chapters">{sidebar}</nav>
<main id="quarto-content">
<header id="title-block-header"><h1 class="title">{title}</h1>{subtitle}</header>
{body}
<nav class="page-navigation">{prev}{next}</nav>
<footer class="preview">Rendered from <code>nbs/{nb}</code> (processed by nbdev) with <code>tools/preview.py</code>; the published site is built by Quarto.</footer>
</main>
<nav id="toc" aria-label="on this page">{toc}</nav>
</div></body></html>
"""

def build(force=False, workers=2):
    "Process the notebooks with nbdev and write the preview to `_site/`; returns the manifest."
    t0 = time.time()
    errors = process(force=force, workers=workers)
    t1 = time.time()
    pages = {}
    for src in notebooks():
        proc = CACHE/src.name
        err = errors.get(src.name)
        use = src if (err or not proc.exists()) else proc
        if use is src and not err: err = 'nbdev wrote no processed notebook'
        pages[src.name] = Page(src, json.loads(use.read_text(encoding='utf-8')), error=err)
    for f in SITE.iterdir():  # a fresh site, keeping the processing cache
        if f != CACHE: shutil.rmtree(f) if f.is_dir() else f.unlink()
    # assets beside the notebooks (images, styles.css, ...), as nbdev copies them; not notebooks, config or scratch files
    for f in NBS.rglob('*'):
        rel = f.relative_to(NBS)
        if f.is_dir() or f.suffix == '.ipynb' or f.name in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml') \
           or any(p.startswith(('.', '_')) for p in rel.parts): continue
        (SITE/rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, SITE/rel)
    from pygments.formatters import HtmlFormatter
    (SITE/'pygments.css').write_text(HtmlFormatter(style='friendly').get_style_defs('.highlight'))
    (SITE/'preview.css').write_text(CSS)

    by_nb = {k: p.html for k, p in pages.items()}
    nav = sidebar()
    missing = [n for _, names in nav for n in names if n not in pages]  # listed, but no such notebook: left out of the nav
    nav = [(sec, [n for n in names if n in pages]) for sec, names in nav]
    nav = [(sec, names) for sec, names in nav if names]
    order = [n for _, names in nav for n in names]
    order += [n for n in pages if n not in order]  # pages missing from sidebar.yml still get built (the test flags them)
    host, site = site_url(), 'modernbert'
    try:
        import yaml; site = yaml.safe_load((NBS/'nbdev.yml').read_text())['website']['title']
    except Exception: pass

    manifest = {'pages': [], 'sidebar': [[s, [by_nb[n] for n in names]] for s, names in nav], 'sidebar_missing': missing,
                'process_seconds': round(t1 - t0, 1)}
    for i, name in enumerate(order):
        p = pages[name]
        body = rewrite_links(p.render(SITE), by_nb, host)
        side = []
        for sec, names in nav:
            items = ''.join(f'<li><a href="{by_nb.get(n, nbpath2html(n))}"'
                            f'{" aria-current=" + chr(34) + "page" + chr(34) if n == name else ""}>'
                            f'{html.escape(pages[n].title if n in pages else Path(n).stem)}</a></li>' for n in names)
            side.append((f'<div class="section">{html.escape(sec)}</div>' if sec else '') + f'<ul>{items}</ul>')
        toc = [(m.group(1), _plain(m.group(2))) for m in re.finditer(r'<h2 id="([^"]+)"[^>]*>(.*?)<a class="anchor-link"', body)]
        toc_html = ('<h2>On this page</h2><ul>' + ''.join(f'<li><a href="#{i_}">{html.escape(t)}</a></li>' for i_, t in toc)
                    + '</ul>') if toc else ''
        prv = pages[order[i-1]] if i > 0 else None
        nxt = pages[order[i+1]] if i + 1 < len(order) else None
        text = PAGE.format(
            head_title=html.escape(f'{p.title} – {site}' if p.title != site else site),
            description=html.escape(p.description), site=html.escape(site), nb=html.escape(name),
            styles='<link rel="stylesheet" href="styles.css">' if (SITE/'styles.css').exists() else '',
            sidebar='\n'.join(side), title=html.escape(p.title),
            subtitle=f'<p class="description subtitle">{_inline(p.description)}</p>' if p.description else '',
            body=body, toc=toc_html,
            prev=f'<a class="prev" href="{prv.html}">&larr; {html.escape(prv.title)}</a>' if prv else '',
            next=f'<a class="next" href="{nxt.html}">{html.escape(nxt.title)} &rarr;</a>' if nxt else '')
        (SITE/p.html).write_text(text, encoding='utf-8')
        manifest['pages'].append({'notebook': name, 'html': p.html, 'title': p.title, 'images': p.n_img,
                                  'in_sidebar': any(name in names for _, names in nav), 'error': p.error})
    manifest['render_seconds'] = round(time.time() - t1, 1)
    (SITE/'manifest.json').write_text(json.dumps(manifest, indent=1))
    print(f'preview: {len(pages)} pages in {SITE.relative_to(ROOT)}/ (nbdev processing {t1-t0:.0f} s, '
          f'rendering {time.time()-t1:.1f} s){"; processing errors in " + ", ".join(errors) if errors else ""}')
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
    b = sub.add_parser('build', help='process the notebooks with nbdev and render _site/')
    b.add_argument('--force', action='store_true', help='reprocess every notebook, ignoring the _proc/ cache')
    b.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1))
    s = sub.add_parser('serve', help='serve _site/ on 127.0.0.1')
    s.add_argument('--port', type=int, default=8000)
    a = ap.parse_args(argv)
    if a.cmd == 'build': build(force=a.force, workers=a.workers)
    else: serve(a.port)

if __name__ == '__main__': main()
