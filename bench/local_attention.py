"""The local layers' query chunk on CPU: C = 2w (two key chunks) against the smaller inference chunk of
`attention.local_chunk`, on the local attention alone and in the whole model.

Local attention alone: ModernBERT-base's heads (12 x 64) and window (w = 64), on 8 x 512 and one 8,192-token document,
inference (no grad) and training (forward and backward), every chunk size in `--chunks`. The whole model: our
`ModernBertModel` at the base shape, inference on the same two sets and on 32 documents ~N(256, 64), once with the
library's default chunks and once forced to C = 2w (by swapping `attention.local_chunk`). Everything runs interleaved;
the median of `--reps` timed passes after one warm-up counts, and each ratio is over C = 2w in the same run.
`--results` stores the tables with the run's machine, date, command and commit (`core.run_info`).
Run: python bench/local_attention.py [--reps 5] [--threads 2] [--results results/local_attention.json]
"""
import argparse, statistics, time
import torch
from modernbert import attention
from modernbert.attention import AttnBatch, lengths_to_cu_seqlens, _sdpa_local
from modernbert.bench import workloads
from modernbert.core import ModernBertConfig, md_table, run_info, write_json
from modernbert.model import ModernBertModel

def timed(fns:dict, reps:int)->dict:
    "Median seconds of each function, interleaved, after one warm-up pass each."
    for f in fns.values(): f()
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}

def layer_rows(sets:dict, chunks:list, reps:int, w:int=64, H:int=12, D:int=64)->list:
    rows = []
    for name, lengths in sets.items():
        batch = AttnBatch.from_cu_seqlens(lengths_to_cu_seqlens(lengths))
        for training in (False, True):
            q, k, v = (torch.randn(batch.n, H, D, requires_grad=training) for _ in range(3))
            def run(C):
                if not training:
                    with torch.no_grad(): return _sdpa_local(q, k, v, batch, w, None, 0.0, C=C)
                _sdpa_local(q, k, v, batch, w, None, 0.0, C=C).sum().backward()
            secs = timed({C: (lambda C=C: run(C)) for C in chunks}, reps)
            for C in chunks:
                rows.append(dict(part='local attention', set=name, mode='training' if training else 'inference',
                                 chunk=C, keys_scored=C + 2 * w if C < 2 * w else 2 * C,
                                 tokens_per_s=batch.n / secs[C], vs_2w=secs[2 * w] / secs[C]))
    return rows

def model_rows(sets:dict, reps:int)->list:
    config = ModernBertConfig.base()
    model = ModernBertModel(config).eval()
    default = attention.local_chunk
    forced = lambda w, training: max(2 * w, 16)
    rows = []
    for name, lengths in sets.items():
        ids = torch.randint(5, config.vocab_size, (sum(lengths),))
        cu = lengths_to_cu_seqlens(lengths)
        def run(chunk):
            attention.local_chunk = chunk
            try:
                with torch.no_grad(): model(ids, cu_seqlens=cu, max_seqlen=max(lengths))
            finally: attention.local_chunk = default
        secs = timed({'C = 2w': lambda: run(forced), 'default': lambda: run(default)}, reps)
        for k in secs:
            rows.append(dict(part='whole model (base)', set=name, mode='inference',
                             chunk='2w' if k == 'C = 2w' else f"local_chunk ({default(config.local_attention // 2, False)})",
                             tokens_per_s=sum(lengths) / secs[k], vs_2w=secs['C = 2w'] / secs[k]))
    return rows

def main(reps=5, threads=2, chunks='128,32,16,8', results=None):
    torch.set_num_threads(threads); torch.manual_seed(0)
    sets = {w.name: w.lengths for w in workloads('quick')}
    layer_sets = {k: v for k, v in sets.items() if k != 'variable N(256,64)'}
    rows = layer_rows(layer_sets, [int(c) for c in chunks.split(',')], reps) + model_rows(sets, reps)
    print(md_table(rows, fmt={'tokens_per_s': '{:,.0f}', 'vs_2w': '{:.2f}x'}))
    cmd = f'python bench/local_attention.py --reps {reps} --threads {threads} --chunks {chunks}'
    if results: print(f"wrote {write_json(results, dict(info=run_info(cmd) | dict(reps=reps), rows=rows))}")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, default=5, help='timed passes per variant (the median counts)')
    ap.add_argument('--threads', type=int, default=2, help='torch threads')
    ap.add_argument('--chunks', default='128,32,16,8', help='chunk sizes for the local layer alone (128 = 2w)')
    ap.add_argument('--results', default=None, help='also store the run as this json, e.g. results/local_attention.json')
    a = ap.parse_args()
    main(a.reps, a.threads, a.chunks, a.results)
