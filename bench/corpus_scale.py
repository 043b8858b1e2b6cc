"""Scale check for `modernbert.data.build_corpus`: throughput and peak memory on a few hundred MB of real text.

Sources: the standard library's code with its tests, the installed site-packages (capped so the total is about --mb),
the stdlib docstrings and the pydoc help topics, kept in their natural proportions. A 32k tokenizer is trained first
on 4 MB of the training split (not timed). Prints a markdown table, or one JSON line with --json; --save writes the
result with the run's machine, date, command and commit (`modernbert.core.run_info`) for the Measurements appendix.

usage: python bench/corpus_scale.py [--mb 300] [--out DIR] [--json] [--save results/corpus_scale.json]
"""
import argparse, json, os, resource, shutil, sys, sysconfig, tempfile, time

def rss_mb(key:str='VmRSS')->float:
    "Resident set size of this process in MB: now (VmRSS) or the peak (VmHWM)."
    with open('/proc/self/status') as f: return next(int(l.split()[1]) for l in f if l.startswith(key)) / 1024

def cpu_seconds()->float:
    "User + system CPU time of this process so far (tokenizer threads included)."
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mb', type=float, default=300, help='about this many MB of input text')
    ap.add_argument('--out', default=None, help='output folder (default: a temporary folder, deleted afterwards)')
    ap.add_argument('--json', action='store_true', help='print one JSON line instead of a table')
    ap.add_argument('--save', default=None, help='write the result and the run (machine, date, command, commit) here')
    a = ap.parse_args()
    from modernbert.data import Source, python_code, python_docstrings, pydoc_topics, build_corpus, training_texts
    from modernbert.tokenizer import train_tokenizer
    from modernbert.core import run_info, write_json
    stdlib, site = sysconfig.get_paths()['stdlib'], sysconfig.get_paths()['purelib']
    def capped(src, max_bytes):
        "`src`, stopping once `max_bytes` of text were read."
        def docs(seed=None):
            n = 0
            for d in src.docs(seed):
                if n >= max_bytes: return
                n += len(d.text.encode()) if d.text else 0
                yield d
        return Source(src.name, src.kind, docs, src.weight, src.root)
    small = 34e6                                  # stdlib code + tests, docstrings, topics: about 34 MB read
    site_code = capped(python_code(site, name='site-packages'), max(a.mb * 1e6 - small, 1e6))
    srcs = [python_code(stdlib, include_tests=True, name='stdlib-code'), site_code, python_docstrings(), pydoc_topics()]
    tok = train_tokenizer(training_texts(srcs[2:] + srcs[:1], max_bytes=4_000_000), vocab_size=32768)
    out = a.out or tempfile.mkdtemp()
    rss0, t0, cpu0 = rss_mb(), time.time(), cpu_seconds()
    s = build_corpus(out, tok, srcs, weights='natural', overwrite=True, verbose=not a.json)
    peak = rss_mb('VmHWM')   # not ru_maxrss: after fork+exec it also counts the parent's peak (a notebook's, say)
    meta = json.load(open(os.path.join(out, 'meta.json')))
    res = {'input_mb': s['input_mb'], 'tokens': s['tokens'], 'heldout_tokens': s['heldout_tokens'],
           'shards': s['shards'], 'seconds': s['seconds'], 'stage_seconds': meta['build']['stage_seconds'],
           'cpu_seconds': round(cpu_seconds() - cpu0, 1), 'mb_per_s': s['mb_per_s'],
           'tokens_per_s': round(s['tokens'] / s['seconds']), 'rss_before_mb': round(rss0), 'peak_rss_mb': round(peak),
           'dropped': {k: v['dropped'] for k, v in meta['sources'].items()}}
    if a.save:
        cmd = 'python bench/corpus_scale.py ' + ' '.join(sys.argv[1:])
        write_json(a.save, {'what': 'build_corpus throughput and peak memory on real Python code and prose',
                            'info': {**run_info(cmd), 'load_avg_1min': round(os.getloadavg()[0], 1)}, 'rows': [res]})
    if not a.out: shutil.rmtree(out, ignore_errors=True)
    if a.json: print(json.dumps(res))
    else:
        from modernbert.core import md_table
        print('\n' + md_table([{k: v for k, v in res.items() if k != 'dropped'}]))

if __name__ == '__main__': main()
